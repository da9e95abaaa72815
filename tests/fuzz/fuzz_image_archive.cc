// Fuzzes the container-image reader (docker save / OCI tarballs through libarchive: manifest,
// layers in order, whiteouts, path and size checks) on arbitrary bytes, handed over as a
// memory file: no crash, no read outside the archive, bounded work (small limits), and an
// answer that is an inventory or an error naming what was wrong.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/inventory/image_inventory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  const int fd = memfd_create("fuzz-image", 0);
  if (fd < 0) return 0;
  size_t off = 0;
  while (off < size) {
    const ssize_t n = write(fd, data + off, size - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  dai::inventory::ImageLimits limits;
  limits.max_uncompressed_bytes = 16 << 20;
  limits.max_entries = 5000;
  limits.max_file_bytes = 1 << 20;
  limits.max_kept_bytes = 4 << 20;
  limits.max_json_bytes = 256 << 10;
  auto inv = dai::inventory::ScanImage("/proc/self/fd/" + std::to_string(fd), limits);
  if (!inv.ok() && inv.status().message().empty()) __builtin_trap();  // errors say what
  close(fd);
  return 0;
}
