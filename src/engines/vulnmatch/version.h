// Version comparison per package ecosystem, implemented from each scheme's specification:
// SemVer 2.0.0 (npm, crates.io; Go modules with a leading "v", pseudo-versions and
// "+incompatible"), PEP 440 (PyPI), Debian policy 5.6.12 (epochs, "~"), Alpine apk-tools,
// Maven ComparableVersion, RubyGems Gem::Version and Composer (PHP version_compare with
// Composer's normalisation). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace dai::vulnmatch {

enum class VersionScheme {
  kSemver,    //!< npm, crates.io, NuGet-like strict x.y.z[-pre][+build]
  kGo,        //!< Go modules: SemVer with an optional "v" prefix
  kPep440,    //!< PyPI
  kDebian,    //!< dpkg (Debian, Ubuntu)
  kApk,       //!< Alpine
  kMaven,     //!< Maven ComparableVersion
  kRubyGems,  //!< RubyGems
  kComposer,  //!< Packagist
};

//! The scheme an OSV ecosystem name uses ("npm", "PyPI", "Go", "Debian:12", "Alpine:v3.18",
//! "Ubuntu:22.04:LTS", "crates.io", "Maven", "RubyGems", "Packagist"); nullopt when unknown.
std::optional<VersionScheme> SchemeForEcosystem(std::string_view ecosystem);
std::string_view SchemeName(VersionScheme scheme);

//! Whether `version` parses under `scheme` (strictly for SemVer/PEP 440; every string is a
//! valid Debian/Maven/RubyGems version as long as it is non-empty and well-formed).
bool IsValidVersion(VersionScheme scheme, std::string_view version);

//! <0, 0, >0 as a is lower, equal or higher than b. INVALID_ARGUMENT naming the version
//! that does not parse under the scheme.
Result<int> CompareVersions(VersionScheme scheme, std::string_view a, std::string_view b);

//! The SemVer major/minor/patch of a version under any scheme (best effort: the first three
//! numeric release components), used for upgrade distance. nullopt if there is no number.
struct ReleaseTriple {
  long long major = 0, minor = 0, patch = 0;
};
std::optional<ReleaseTriple> ReleaseComponents(VersionScheme scheme, std::string_view version);

}  // namespace dai::vulnmatch
