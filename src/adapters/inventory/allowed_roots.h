// Paths on this host that a setting allows the server to read (scan_roots, drift_roots): the
// path is resolved first (symbolic links followed), so a link inside a root cannot point
// outside it, and roots match whole path components.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace dai::inventory {

//! `path` with symbolic links resolved and lexically normal. INVALID_ARGUMENT "path: reason"
//! when it cannot be resolved.
Result<std::string> CanonicalPath(const std::string& path);

//! Whether `canonical` (from CanonicalPath) is one of `roots` or lies inside one: root /srv/a
//! allows /srv/a and /srv/a/x, not /srv/ab. Each root is resolved the same way.
bool WithinRoots(const std::string& canonical, const std::vector<std::string>& roots);

}  // namespace dai::inventory
