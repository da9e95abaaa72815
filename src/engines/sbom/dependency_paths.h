// Dependency paths (issue #6): for a vulnerable package, the chain from a direct dependency of
// the project to it, as the lockfile's graph says (Package::depends_on, read by the npm v1-v3,
// yarn, pnpm, Cargo, poetry, Pipfile, composer, Gemfile and OS parsers where the format records
// edges). Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engines/sbom/package.h"

namespace dai::sbom {

//! For each package, the shortest chain of package indexes from a direct dependency to it
//! (both ends included; a direct dependency's chain is itself). Edges are followed only between
//! packages of the same `location`; an edge "name@version" goes to that version when present,
//! "name" to every package of that name. The start points are the packages marked direct, and
//! the dependencies of packages marked root; in a file that marks neither (Cargo.lock,
//! poetry.lock) the packages nothing depends on. Empty when the file has no graph or the package is
//! not reachable from a direct dependency.
std::vector<std::vector<size_t>> DependencyPaths(const std::vector<Package>& packages);

//! "a@1.0.0 > b@2.0.0 > c@3.0.0" for a chain from DependencyPaths.
std::string DependencyPathText(const std::vector<Package>& packages,
                               const std::vector<size_t>& path);

}  // namespace dai::sbom
