// One file of a local git repository at a ref ("HEAD", a branch, a tag or a commit id), read
// from the object database (no checkout, the work tree is ignored). Thread-safety: free function;
// each call opens the repository itself.
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"

namespace dai::gitrepo {

//! The content of `path` (relative to the repository root, '/'-separated) at `ref` in the
//! repository at `repo`. NOT_FOUND naming what is missing (repository, ref, path), INVALID_ARGUMENT
//! for a path that is absolute or has "..", or that names a directory; larger than `max_bytes`
//! is refused.
Result<std::string> ReadFileAtRef(const std::string& repo, const std::string& ref,
                                  const std::string& path, size_t max_bytes = 8u << 20);

}  // namespace dai::gitrepo
