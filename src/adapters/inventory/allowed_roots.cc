#include "adapters/inventory/allowed_roots.h"

#include <algorithm>
#include <filesystem>

namespace dai::inventory {

Result<std::string> CanonicalPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string normal = fs::weakly_canonical(fs::path(path), ec).lexically_normal().string();
  if (ec) return Status::InvalidArgument(path + ": " + ec.message());
  return normal;
}

bool WithinRoots(const std::string& canonical, const std::vector<std::string>& roots) {
  namespace fs = std::filesystem;
  return std::any_of(roots.begin(), roots.end(), [&](const std::string& root) {
    std::error_code ec;
    std::string r = fs::weakly_canonical(fs::path(root), ec).lexically_normal().string();
    while (r.size() > 1 && r.back() == '/') r.pop_back();
    return !ec && (canonical == r ||
                   (canonical.size() > r.size() && canonical.compare(0, r.size(), r) == 0 &&
                    (r == "/" || canonical[r.size()] == '/')));
  });
}

}  // namespace dai::inventory
