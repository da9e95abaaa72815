// libFuzzer target: version comparison for every scheme (engines/vulnmatch/version). Input:
// one scheme byte, then two versions separated by '\n'. Comparison must be reflexive and
// antisymmetric whenever both versions parse, and never crash or hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engines/vulnmatch/version.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using dai::vulnmatch::VersionScheme;
  if (size < 1) return 0;
  auto scheme = static_cast<VersionScheme>(data[0] % 8);
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t nl = rest.find('\n');
  std::string_view a = rest.substr(0, nl);
  std::string_view b = nl == std::string_view::npos ? a : rest.substr(nl + 1);
  auto ab = dai::vulnmatch::CompareVersions(scheme, a, b);
  auto ba = dai::vulnmatch::CompareVersions(scheme, b, a);
  if (ab.ok() != ba.ok()) std::abort();
  if (ab.ok() && *ab != -*ba) std::abort();
  if (dai::vulnmatch::IsValidVersion(scheme, a)) {
    auto aa = dai::vulnmatch::CompareVersions(scheme, a, a);
    if (!aa.ok() || *aa != 0) std::abort();
  }
  (void)dai::vulnmatch::ReleaseComponents(scheme, a);
  return 0;
}
