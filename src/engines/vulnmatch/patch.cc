#include "engines/vulnmatch/patch.h"

#include <algorithm>
#include <cmath>

namespace dai::vulnmatch {

std::string_view UpgradeDistanceName(UpgradeDistance d) {
  switch (d) {
    case UpgradeDistance::kNone:
      return "none";
    case UpgradeDistance::kPatch:
      return "patch";
    case UpgradeDistance::kMinor:
      return "minor";
    case UpgradeDistance::kMajor:
      return "major";
    case UpgradeDistance::kUnknown:
      return "unknown";
  }
  return "unknown";
}

PatchAssessment AssessPatch(const PatchInput& in) {
  PatchAssessment out;
  double severity = 0.4;  // UNKNOWN: between LOW and MEDIUM
  if (in.cvss_score >= 0)
    severity = in.cvss_score / 10.0;
  else if (in.severity == "CRITICAL")
    severity = 0.95;
  else if (in.severity == "HIGH")
    severity = 0.8;
  else if (in.severity == "MEDIUM")
    severity = 0.55;
  else if (in.severity == "LOW")
    severity = 0.25;
  out.exposure = (in.direct ? 1.0 : 0.7) * (in.dev ? 0.3 : 1.0);
  if (in.minimal_fix) {
    auto a = ReleaseComponents(in.scheme, in.installed);
    auto b = ReleaseComponents(in.scheme, *in.minimal_fix);
    if (a && b) {
      if (b->major != a->major)
        out.distance = UpgradeDistance::kMajor;
      else if (b->minor != a->minor)
        out.distance = UpgradeDistance::kMinor;
      else if (b->patch != a->patch)
        out.distance = UpgradeDistance::kPatch;
      else
        out.distance = UpgradeDistance::kPatch;  // pre-release / revision bump
      // SemVer: below 1.0.0 a minor bump may break (spec item 4).
      out.crosses_major = out.distance == UpgradeDistance::kMajor ||
                          (a->major == 0 && out.distance == UpgradeDistance::kMinor &&
                           in.scheme != VersionScheme::kDebian && in.scheme != VersionScheme::kApk);
    }
  } else {
    out.distance = UpgradeDistance::kNone;
  }
  // OS package updates from the distribution's security archive are compatible by policy.
  const bool distro = in.scheme == VersionScheme::kDebian || in.scheme == VersionScheme::kApk;
  if (out.distance == UpgradeDistance::kNone)
    out.breaking_risk = "n/a";
  else if (distro || out.distance == UpgradeDistance::kPatch)
    out.breaking_risk = "low";
  else if (out.crosses_major)
    out.breaking_risk = "high";
  else if (out.distance == UpgradeDistance::kMinor)
    out.breaking_risk = "medium";
  else
    out.breaking_risk = "medium";
  if (out.breaking_risk != "n/a" && in.dependents >= 5 && out.breaking_risk == "medium")
    out.breaking_risk = "high";  // many dependents must accept the new version
  double score = severity * out.exposure * 100.0;
  out.risk_score = static_cast<int>(std::lround(std::clamp(score, 0.0, 100.0)));
  out.rationale =
      std::string(in.severity.empty() ? "UNKNOWN" : in.severity) + " severity, " +
      (in.direct ? "direct" : "transitive") + (in.dev ? " dev" : " runtime") + " dependency; " +
      (in.minimal_fix
           ? "fixed in " + *in.minimal_fix + " (" + std::string(UpgradeDistanceName(out.distance)) +
                 (out.crosses_major ? ", breaking by SemVer" : "") + ")"
           : std::string("no fixed version published")) +
      (in.dependents > 0 ? "; " + std::to_string(in.dependents) + " dependents" : "");
  return out;
}

}  // namespace dai::vulnmatch
