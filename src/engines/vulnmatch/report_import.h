// Imports Trivy and Grype JSON reports into one findings model, so teams running those
// scanners see their results next to ours. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::vulnmatch {

struct ImportedFinding {
  std::string scanner;  //!< "trivy" or "grype"
  std::string vuln_id;
  std::vector<std::string> aliases;
  std::string package_name;
  std::string package_version;
  std::string ecosystem;  //!< Trivy result Type / Grype artifact type ("npm", "debian", "rpm" ...)
  std::string fixed_version;
  std::string severity;  //!< CRITICAL/HIGH/MEDIUM/LOW/UNKNOWN
  double cvss_score = -1;
  std::string cvss_vector;
  std::string title;
  std::string location;  //!< Trivy Target / Grype first location path
};

struct ImportedPackage {
  std::string name, version, ecosystem, location;
};

struct ImportedReport {
  std::string scanner;
  std::string artifact;  //!< what was scanned
  std::vector<ImportedFinding> findings;
  std::vector<ImportedPackage> packages;  //!< Trivy --list-all-pkgs "Packages", if present
};

//! Recognises a Trivy (SchemaVersion + Results) or Grype (matches + descriptor) JSON report.
//! INVALID_ARGUMENT naming what is missing when it is neither.
Result<ImportedReport> ImportScannerReport(std::string_view json);

}  // namespace dai::vulnmatch
