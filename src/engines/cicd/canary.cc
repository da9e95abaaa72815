#include "engines/cicd/canary.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace dai::cicd {

std::string_view MetricClassName(MetricClass c) {
  switch (c) {
    case MetricClass::kPass:
      return "pass";
    case MetricClass::kHigh:
      return "high";
    case MetricClass::kLow:
      return "low";
    case MetricClass::kNodata:
      return "nodata";
  }
  return "pass";
}

std::string_view CanaryDecisionName(CanaryDecision d) {
  switch (d) {
    case CanaryDecision::kPass:
      return "pass";
    case CanaryDecision::kMarginal:
      return "marginal";
    case CanaryDecision::kFail:
      return "fail";
  }
  return "pass";
}

namespace {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2.0;
}

}  // namespace

Result<MannWhitneyResult> MannWhitneyU(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return Status::InvalidArgument("Mann-Whitney: a sample is empty");
  for (const auto* v : {&a, &b})
    for (double x : *v)
      if (!std::isfinite(x))
        return Status::InvalidArgument("Mann-Whitney: a sample holds a non-finite value");
  const size_t n1 = a.size(), n2 = b.size(), n = n1 + n2;
  std::vector<std::pair<double, int>> all;
  all.reserve(n);
  for (double x : a) all.emplace_back(x, 0);
  for (double x : b) all.emplace_back(x, 1);
  std::sort(all.begin(), all.end(), [](const auto& l, const auto& r) { return l.first < r.first; });
  double r1 = 0, tie_term = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && all[j + 1].first == all[i].first) ++j;
    double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    for (size_t k = i; k <= j; ++k)
      if (all[k].second == 0) r1 += rank;
    i = j + 1;
  }
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2),
               dn = static_cast<double>(n);
  MannWhitneyResult res;
  res.u = r1 - dn1 * (dn1 + 1) / 2.0;
  double mu = dn1 * dn2 / 2.0;
  double sigma2 = dn1 * dn2 / 12.0 * ((dn + 1) - tie_term / (dn * (dn - 1 > 0 ? dn - 1 : 1)));
  if (sigma2 <= 0) {
    res.z = 0;
    res.p_value = 1;
  } else {
    double diff = res.u - mu;
    double cc = diff > 0 ? -0.5 : (diff < 0 ? 0.5 : 0.0);
    res.z = (diff + cc) / std::sqrt(sigma2);
    res.p_value = std::min(1.0, std::erfc(std::fabs(res.z) / std::sqrt(2.0)));
  }
  // Hodges–Lehmann shift: median of all pairwise differences (bounded: subsample big inputs).
  std::vector<double> diffs;
  const size_t step1 = std::max<size_t>(1, n1 / 300), step2 = std::max<size_t>(1, n2 / 300);
  for (size_t i = 0; i < n1; i += step1)
    for (size_t j = 0; j < n2; j += step2) diffs.push_back(b[j] - a[i]);
  res.hodges_lehmann = Median(std::move(diffs));
  return res;
}

Result<CanaryVerdict> JudgeCanary(const std::vector<CanaryMetric>& metrics,
                                  const CanaryConfig& config) {
  if (metrics.empty()) return Status::InvalidArgument("canary: no metrics to judge");
  if (!(config.fail_threshold <= config.pass_threshold) || config.pass_threshold > 100 ||
      config.fail_threshold < 0)
    return Status::InvalidArgument("canary: thresholds must satisfy 0 <= fail <= pass <= 100");
  if (!(config.alpha > 0 && config.alpha < 1))
    return Status::InvalidArgument("canary: alpha must be in (0,1)");
  CanaryVerdict verdict;
  double total_weight = 0, pass_weight = 0;
  bool critical_failed = false;
  for (const auto& m : metrics) {
    if (!(m.weight > 0) || !std::isfinite(m.weight))
      return Status::InvalidArgument("canary: metric '" + m.name + "' needs a positive weight");
    MetricVerdict mv;
    mv.name = m.name;
    mv.baseline_median = Median(m.baseline);
    mv.canary_median = Median(m.canary);
    if (static_cast<int>(m.baseline.size()) < config.min_samples ||
        static_cast<int>(m.canary.size()) < config.min_samples) {
      mv.classification = MetricClass::kNodata;
      verdict.metrics.push_back(mv);
      continue;
    }
    DAI_ASSIGN_OR_RETURN(auto mw, MannWhitneyU(m.baseline, m.canary));
    mv.p_value = mw.p_value;
    double scale = std::max(std::fabs(mv.baseline_median), 1e-9);
    mv.relative_shift = mw.hodges_lehmann / scale;
    bool significant = mw.p_value < config.alpha && std::fabs(mv.relative_shift) > m.allowed_change;
    if (significant)
      mv.classification = mw.hodges_lehmann > 0 ? MetricClass::kHigh : MetricClass::kLow;
    mv.failed = (mv.classification == MetricClass::kHigh && m.harmful != Direction::kDecrease) ||
                (mv.classification == MetricClass::kLow && m.harmful != Direction::kIncrease);
    total_weight += m.weight;
    if (!mv.failed) pass_weight += m.weight;
    if (mv.failed && m.critical) critical_failed = true;
    verdict.metrics.push_back(mv);
  }
  std::ostringstream summary;
  if (total_weight == 0) {
    verdict.score = 0;
    verdict.decision = CanaryDecision::kMarginal;
    summary << "no metric had enough samples (" << config.min_samples << " per side needed)";
  } else {
    verdict.score = critical_failed ? 0.0 : 100.0 * pass_weight / total_weight;
    verdict.decision = verdict.score >= config.pass_threshold  ? CanaryDecision::kPass
                       : verdict.score < config.fail_threshold ? CanaryDecision::kFail
                                                               : CanaryDecision::kMarginal;
    int failed = 0;
    for (const auto& mv : verdict.metrics) failed += mv.failed;
    summary << "score " << std::round(verdict.score * 10) / 10 << ": " << failed << " of "
            << verdict.metrics.size() << " metrics failed"
            << (critical_failed ? " (a critical metric failed)" : "");
  }
  verdict.summary = summary.str();
  return verdict;
}

}  // namespace dai::cicd
