// Container image inventory without a container engine: a `docker save` tarball, an OCI image
// layout tarball or an OCI image layout directory. Layers are read in manifest order with
// libarchive (gzip/zstd/plain), whiteouts applied (".wh.NAME" deletes, ".wh..wh..opq" makes a
// directory opaque), and only the files the sbom analyzers need (lockfiles, package
// databases, os-release) are kept in memory; nothing is written to disk and links are never
// followed. Paths with "..", absolute paths and oversized entries are skipped and reported.
// Thread-safety: stateless function.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "engines/sbom/sbom_document.h"

namespace dai::inventory {

struct ImageLimits {
  uint64_t max_uncompressed_bytes = 16ull << 30;  //!< all layers together (decompression bombs)
  uint64_t max_entries = 4'000'000;               //!< all layers together
  uint64_t max_file_bytes = 64ull << 20;          //!< one analyzed file
  uint64_t max_kept_bytes = 1ull << 30;           //!< all analyzed files kept in memory
  uint64_t max_json_bytes = 4ull << 20;           //!< manifest / index / config blobs
};

//! Inventory of the image at `path` (a .tar/.tar.gz file or an OCI layout directory).
//! INVALID_ARGUMENT naming what is missing when it is not an image; RESOURCE_EXHAUSTED when a
//! limit stops the read (the message names the limit).
Result<sbom::Inventory> ScanImage(const std::string& path, const ImageLimits& limits = {});

}  // namespace dai::inventory
