#include "engines/vulnmatch/matcher.h"

namespace dai::vulnmatch {
namespace {

std::string_view Base(std::string_view eco) { return eco.substr(0, eco.find(':')); }

std::string_view Release(std::string_view eco) {
  size_t colon = eco.find(':');
  if (colon == std::string_view::npos) return {};
  std::string_view rest = eco.substr(colon + 1);
  return rest.substr(0, rest.find(':'));
}

}  // namespace

bool EcosystemApplies(std::string_view adv, std::string_view pkg) {
  if (Base(adv) != Base(pkg)) return false;
  std::string_view pr = Release(pkg), ar = Release(adv);
  if (pr.empty() || ar.empty()) return true;
  return pr == ar;
}

std::string AdvisoryIndex::Key(std::string_view ecosystem, std::string_view name) {
  std::string key(Base(ecosystem));
  key.push_back('\n');
  key += NormalizePackageName(ecosystem, name);
  return key;
}

void AdvisoryIndex::Add(Advisory advisory) {
  if (!advisory.withdrawn.empty()) return;
  const size_t idx = advisories_.size();
  for (size_t i = 0; i < advisory.affected.size(); ++i)
    by_package_[Key(advisory.affected[i].ecosystem, advisory.affected[i].name)].push_back({idx, i});
  advisories_.push_back(std::move(advisory));
}

std::vector<Finding> AdvisoryIndex::Match(const std::vector<PackageQuery>& packages,
                                          std::vector<std::string>* warnings) const {
  std::vector<Finding> out;
  std::string key;
  for (size_t p = 0; p < packages.size(); ++p) {
    const PackageQuery& q = packages[p];
    auto scheme = SchemeForEcosystem(q.ecosystem);
    if (!scheme) continue;
    auto it = by_package_.find(Key(q.ecosystem, q.name));
    if (it == by_package_.end()) continue;
    if (!IsValidVersion(*scheme, q.version) && !(IsValidVersion(VersionScheme::kGo, q.version))) {
      if (warnings)
        warnings->push_back(q.ecosystem + " " + q.name + "@" + q.version +
                            ": version does not parse as " + std::string(SchemeName(*scheme)) +
                            "; not matched");
      continue;
    }
    size_t last_advisory = static_cast<size_t>(-1);
    for (const Entry& e : it->second) {
      const Advisory& adv = advisories_[e.advisory];
      const OsvAffected& aff = adv.affected[e.affected];
      if (!EcosystemApplies(aff.ecosystem, q.ecosystem)) continue;
      if (e.advisory == last_advisory) continue;  // one finding per advisory and package
      auto affected = IsAffected(aff, *scheme, q.version);
      if (!affected.ok() || !*affected) continue;
      last_advisory = e.advisory;
      Finding f;
      f.package = p;
      f.advisory = e.advisory;
      f.affected = e.affected;
      f.fixed_versions = FixedVersions(aff);
      f.minimal_fix = MinimalFix(aff, *scheme, q.version);
      const std::string& vector = !aff.cvss_vector.empty() ? aff.cvss_vector : adv.cvss_vector;
      if (!vector.empty()) {
        auto score = CvssV3BaseScore(vector);
        if (score.ok()) f.cvss_score = *score;
      }
      if (f.cvss_score >= 0)
        f.severity = std::string(SeverityForScore(f.cvss_score));
      else if (!adv.severity_label.empty())
        f.severity = adv.severity_label;
      else
        f.severity = "UNKNOWN";
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace dai::vulnmatch
