// Patch assessment: for a finding, how far the minimal fixing version is from the installed
// one and how risky staying and upgrading are. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "engines/vulnmatch/version.h"

namespace dai::vulnmatch {

enum class UpgradeDistance { kNone, kPatch, kMinor, kMajor, kUnknown };
std::string_view UpgradeDistanceName(UpgradeDistance d);

struct PatchInput {
  VersionScheme scheme = VersionScheme::kSemver;
  std::string installed;
  std::optional<std::string> minimal_fix;
  std::string severity;  //!< CRITICAL/HIGH/MEDIUM/LOW/UNKNOWN
  double cvss_score = -1;
  bool direct = false;  //!< a direct dependency (else transitive or unknown)
  bool dev = false;     //!< development-only
  int dependents = 0;   //!< packages in the inventory that depend on this one
};

struct PatchAssessment {
  UpgradeDistance distance = UpgradeDistance::kUnknown;
  bool crosses_major = false;  //!< SemVer: major changes, or 0.x minor changes
  double exposure = 0;         //!< 0..1: direct/transitive x runtime/dev
  int risk_score = 0;          //!< 0..100: severity x exposure, raised for an easy fix
  std::string breaking_risk;   //!< low / medium / high: the risk the upgrade itself breaks things
  std::string rationale;       //!< one sentence naming the factors
};

PatchAssessment AssessPatch(const PatchInput& in);

}  // namespace dai::vulnmatch
