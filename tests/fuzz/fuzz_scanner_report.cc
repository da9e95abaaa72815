// libFuzzer target: Trivy / Grype JSON report import (engines/vulnmatch/report_import).
// Must never crash, hang or throw; every imported finding names a vulnerability and package.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engines/vulnmatch/report_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = dai::vulnmatch::ImportScannerReport(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.ok()) return 0;
  for (const auto& f : r->findings)
    if (f.vuln_id.empty() || f.package_name.empty()) std::abort();
  return 0;
}
