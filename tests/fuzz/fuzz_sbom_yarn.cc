// libFuzzer target: the sbom engine's yarn parser (LockfileKind::kYarnLock), then purls and a
// CycloneDX document for whatever it accepts. Must never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/sbom/fuzz_check.h"
#include "engines/sbom/package.h"
#include "engines/sbom/sbom_document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return dai::sbom::FuzzOneLockfile(dai::sbom::LockfileKind::kYarnLock,
                                    std::string_view(reinterpret_cast<const char*>(data), size));
}
