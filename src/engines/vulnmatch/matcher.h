// Matches packages against an index of OSV advisories. Build the index once (Add), then
// Match any number of package lists; Match is const and safe to call from several threads.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engines/vulnmatch/osv.h"

namespace dai::vulnmatch {

struct PackageQuery {
  std::string ecosystem;  //!< OSV ecosystem; OS packages with their release ("Debian:12")
  std::string name;       //!< OS packages: the source package name
  std::string version;
};

struct Finding {
  size_t package = 0;   //!< index into the queries
  size_t advisory = 0;  //!< index into the AdvisoryIndex
  size_t affected = 0;  //!< index into the advisory's affected[]
  std::vector<std::string> fixed_versions;
  std::optional<std::string> minimal_fix;
  double cvss_score = -1;  //!< -1 when no CVSS v3 vector is given
  std::string severity;    //!< CRITICAL/HIGH/MEDIUM/LOW or UNKNOWN
};

class AdvisoryIndex {
 public:
  //! Adds an advisory; withdrawn advisories are kept out of matching.
  void Add(Advisory advisory);
  size_t size() const { return advisories_.size(); }
  const Advisory& advisory(size_t i) const { return advisories_[i]; }
  //! Every (package, advisory) pair where the package's version is affected. Versions that do
  //! not parse are reported in `warnings` (once per package) and not matched.
  std::vector<Finding> Match(const std::vector<PackageQuery>& packages,
                             std::vector<std::string>* warnings = nullptr) const;

 private:
  struct Entry {
    size_t advisory;
    size_t affected;
  };
  static std::string Key(std::string_view ecosystem, std::string_view name);
  std::vector<Advisory> advisories_;
  std::unordered_map<std::string, std::vector<Entry>> by_package_;
};

//! Whether an advisory's ecosystem applies to a package's ("Ubuntu:18.04:LTS" applies to
//! "Ubuntu:18.04"; "Debian:11" does not apply to "Debian:12"; a package without a release
//! matches any release of its distribution).
bool EcosystemApplies(std::string_view advisory_ecosystem, std::string_view package_ecosystem);

}  // namespace dai::vulnmatch
