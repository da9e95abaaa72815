// Manifest patches: the edit that moves one package to a fixing version in the file it was
// found in, as new content plus a unified diff, or — for lockfiles that only their package
// manager may rewrite — the command that does it. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "engines/sbom/package.h"

namespace dai::sbom {

struct ManifestPatch {
  std::string new_content;  //!< empty when only a command can make the change
  std::string diff;         //!< unified diff (a/PATH b/PATH), empty with new_content
  std::string command;      //!< the package-manager command that makes the same change
  std::string note;         //!< what the user should know (e.g. "regenerate the lockfile")
};

//! The change that sets `name` from `from_version` to `to_version` in `content` (a file of
//! `kind` at `path`). Files edited directly: requirements.txt, go.mod, pom.xml (literal or
//! property versions). Lockfiles get the package manager's command instead. NOT_FOUND when
//! the package at that version is not in the file; FAILED_PRECONDITION when the format
//! cannot be patched.
Result<ManifestPatch> ProposeManifestPatch(LockfileKind kind, std::string_view path,
                                           std::string_view content, std::string_view name,
                                           std::string_view from_version,
                                           std::string_view to_version);

//! A unified diff of two texts that differ only in replaced lines (same line count), with
//! three lines of context; "" when they are equal.
std::string UnifiedDiffSameLength(std::string_view path, std::string_view before,
                                  std::string_view after);

}  // namespace dai::sbom
