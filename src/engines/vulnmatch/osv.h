// OSV advisories (https://ossf.github.io/osv-schema/): the parsed record, range evaluation
// per ecosystem, and CVSS v3.x base scores. Pure; thread-safe (value types, no state).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engines/vulnmatch/version.h"

namespace dai::vulnmatch {

struct OsvEvent {
  enum class Kind { kIntroduced, kFixed, kLastAffected, kLimit };
  Kind kind = Kind::kIntroduced;
  std::string version;
};

struct OsvRange {
  std::string type;  //!< SEMVER, ECOSYSTEM or GIT (GIT ranges cannot be evaluated on versions)
  std::vector<OsvEvent> events;
};

struct OsvAffected {
  std::string ecosystem;  //!< "npm", "PyPI", "Debian:12", "Ubuntu:18.04:LTS" ...
  std::string name;
  std::vector<OsvRange> ranges;
  std::vector<std::string> versions;  //!< explicitly enumerated affected versions
  std::string cvss_vector;            //!< per-package severity, if given
};

struct Advisory {
  std::string id;
  std::vector<std::string> aliases;  //!< CVE-..., GHSA-... (plus "upstream" ids)
  std::string summary;
  std::string details;
  std::string published, modified, withdrawn;
  std::vector<OsvAffected> affected;
  std::string cvss_vector;     //!< the highest-version CVSS vector in severity[]
  std::string severity_label;  //!< CRITICAL/HIGH/MEDIUM/LOW from a database or distro rating
  std::vector<std::string> references;
};

//! Parses one OSV JSON record. INVALID_ARGUMENT naming the missing/mistyped field.
Result<Advisory> ParseOsv(std::string_view json);
//! Parses the text of an OSV file that may hold one record or an array of records.
Result<std::vector<Advisory>> ParseOsvDocument(std::string_view json);

//! Whether `version` is affected by `affected` (ranges + versions list). `scheme` orders
//! ECOSYSTEM ranges; SEMVER ranges use SemVer (a leading "v" allowed). INVALID_ARGUMENT when
//! the installed version does not parse under the scheme; events that do not parse are
//! reported through `skipped` and ignored.
Result<bool> IsAffected(const OsvAffected& affected, VersionScheme scheme, std::string_view version,
                        std::vector<std::string>* skipped = nullptr);

//! The fixed versions named in `affected`, and the lowest one above `version` (the minimal
//! fixing version), if any.
std::vector<std::string> FixedVersions(const OsvAffected& affected);
std::optional<std::string> MinimalFix(const OsvAffected& affected, VersionScheme scheme,
                                      std::string_view version);

//! CVSS v3.0/v3.1 base score from a vector ("CVSS:3.1/AV:N/AC:L/..."), per the FIRST
//! specification (section 7). INVALID_ARGUMENT naming the missing or bad metric.
Result<double> CvssV3BaseScore(std::string_view vector);
//! "CRITICAL" (>= 9.0), "HIGH" (>= 7.0), "MEDIUM" (>= 4.0), "LOW" (> 0), "NONE".
std::string_view SeverityForScore(double score);

//! Normalises a package name for comparison in its ecosystem (PyPI: PEP 503; Packagist:
//! lower case; others unchanged).
std::string NormalizePackageName(std::string_view ecosystem, std::string_view name);

}  // namespace dai::vulnmatch
