#include "engines/vulnmatch/report_import.h"

#include <algorithm>

#include "core/json.h"
#include "engines/vulnmatch/osv.h"

namespace dai::vulnmatch {
namespace {

std::string Str(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

// obj[key] without operator[]'s preconditions: a missing key or a non-object gives null.
const Json& Field(const Json& obj, const char* key) {
  static const Json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  if (s == "NEGLIGIBLE") return "LOW";
  if (s != "CRITICAL" && s != "HIGH" && s != "MEDIUM" && s != "LOW") return "UNKNOWN";
  return s;
}

void ScoreFromVector(ImportedFinding& f) {
  if (f.cvss_vector.empty()) return;
  auto score = CvssV3BaseScore(f.cvss_vector);
  if (score.ok()) f.cvss_score = *score;
}

Result<ImportedReport> FromTrivy(const Json& doc) {
  ImportedReport r;
  r.scanner = "trivy";
  r.artifact = Str(doc, "ArtifactName");
  const Json& results = Field(doc, "Results");
  if (!results.is_array())
    return Status::InvalidArgument("Trivy report: \"Results\" is not an array");
  for (const auto& res : results) {
    if (!res.is_object()) continue;
    const std::string target = Str(res, "Target"), type = Str(res, "Type");
    if (const Json& pk = Field(res, "Packages"); pk.is_array())
      for (const auto& p : pk)
        r.packages.push_back({Str(p, "Name"), Str(p, "Version"), type, target});
    const Json& vulns = Field(res, "Vulnerabilities");
    if (!vulns.is_array()) continue;
    for (const auto& v : vulns) {
      ImportedFinding f;
      f.scanner = "trivy";
      f.vuln_id = Str(v, "VulnerabilityID");
      f.package_name = Str(v, "PkgName");
      f.package_version = Str(v, "InstalledVersion");
      f.fixed_version = Str(v, "FixedVersion");
      f.severity = Upper(Str(v, "Severity"));
      f.title = Str(v, "Title");
      f.ecosystem = type;
      f.location = target;
      if (f.vuln_id.empty() || f.package_name.empty())
        return Status::InvalidArgument("Trivy report: a vulnerability in " + target +
                                       " lacks VulnerabilityID or PkgName");
      // CVSS: prefer the source Trivy used for the severity, then NVD, then any.
      if (const Json* cvss = &Field(v, "CVSS"); cvss->is_object()) {
        std::string src = Str(v, "SeveritySource");
        for (const std::string& key : {src, std::string("nvd")}) {
          if (!f.cvss_vector.empty()) break;
          if (auto s = cvss->find(key); !key.empty() && s != cvss->end())
            f.cvss_vector = Str(*s, "V3Vector");
        }
        for (auto s = cvss->begin(); s != cvss->end() && f.cvss_vector.empty(); ++s)
          f.cvss_vector = Str(*s, "V3Vector");
      }
      ScoreFromVector(f);
      r.findings.push_back(std::move(f));
    }
  }
  return r;
}

Result<ImportedReport> FromGrype(const Json& doc) {
  ImportedReport r;
  r.scanner = "grype";
  if (auto src = doc.find("source"); src != doc.end() && src->is_object()) {
    const Json& target = Field(*src, "target");
    r.artifact = target.is_string() ? target.get<std::string>() : Str(target, "userInput");
  }
  const Json& matches = Field(doc, "matches");
  if (!matches.is_array())
    return Status::InvalidArgument("Grype report: \"matches\" is not an array");
  for (const auto& m : matches) {
    const Json& v = Field(m, "vulnerability");
    const Json& a = Field(m, "artifact");
    ImportedFinding f;
    f.scanner = "grype";
    f.vuln_id = Str(v, "id");
    f.package_name = Str(a, "name");
    f.package_version = Str(a, "version");
    f.ecosystem = Str(a, "type");
    f.severity = Upper(Str(v, "severity"));
    f.title = Str(v, "description").substr(0, 200);
    if (f.vuln_id.empty() || f.package_name.empty())
      return Status::InvalidArgument(
          "Grype report: a match lacks vulnerability.id or artifact.name");
    if (const Json& fix = Field(v, "fix"); fix.is_object())
      if (const Json& vs = Field(fix, "versions");
          vs.is_array() && !vs.empty() && vs[0].is_string())
        f.fixed_version = vs[0].get<std::string>();
    if (const Json& cvss = Field(v, "cvss"); cvss.is_array())
      for (const auto& c : cvss)
        if (f.cvss_vector.empty() && Str(c, "vector").rfind("CVSS:3", 0) == 0)
          f.cvss_vector = Str(c, "vector");
    if (const Json& rel = Field(m, "relatedVulnerabilities"); rel.is_array())
      for (const auto& x : rel)
        if (!Str(x, "id").empty() && Str(x, "id") != f.vuln_id) f.aliases.push_back(Str(x, "id"));
    if (const Json& locs = Field(a, "locations"); locs.is_array() && !locs.empty())
      f.location = Str(locs[0], "path");
    ScoreFromVector(f);
    r.findings.push_back(std::move(f));
  }
  return r;
}

}  // namespace

Result<ImportedReport> ImportScannerReport(std::string_view json) {
  auto doc = ParseJson(json);
  if (!doc.ok()) return doc.status().WithContext("scanner report");
  if (!doc->is_object()) return Status::InvalidArgument("scanner report is not a JSON object");
  if (doc->contains("Results") || doc->contains("SchemaVersion")) {
    if (!doc->contains("Results")) {
      ImportedReport empty;
      empty.scanner = "trivy";
      empty.artifact = Str(*doc, "ArtifactName");
      return empty;
    }
    return FromTrivy(*doc);
  }
  if (doc->contains("matches")) return FromGrype(*doc);
  return Status::InvalidArgument(
      "not a Trivy (\"SchemaVersion\"/\"Results\") or Grype (\"matches\") JSON report");
}

}  // namespace dai::vulnmatch
