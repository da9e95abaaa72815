// Inventory of a file, a directory tree (a repository or a root filesystem) or, with
// image_inventory.h, a container image: finds lockfiles, manifests and OS package databases
// and runs the sbom engine's parsers on them. Reads files only; never writes outside the
// scratch directory it is given. Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "engines/sbom/sbom_document.h"

namespace dai::inventory {

struct ScanLimits {
  uint64_t max_file_bytes = sbom::kMaxInputBytes;  //!< larger files are skipped with a warning
  uint64_t max_files_visited = 2'000'000;          //!< directory walk bound
  int max_depth = 64;
};

//! Scans a path: a single lockfile/package database (recognised by name; `kind_hint` forces a
//! format by its LockfileKindName), or a directory tree. Paths in the result are relative to
//! `path` for directories. NOT_FOUND when the path does not exist; INVALID_ARGUMENT when a
//! single file's format is not recognised.
Result<sbom::Inventory> ScanPath(const std::string& path, const std::string& kind_hint = "",
                                 const ScanLimits& limits = {});

}  // namespace dai::inventory
