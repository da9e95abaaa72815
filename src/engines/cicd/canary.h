// Canary judgement in the manner of Netflix's Kayenta: per metric, the canary's samples are
// compared with the baseline's by the two-sided Mann–Whitney U test (normal approximation with
// tie correction and continuity correction); a significant difference whose Hodges–Lehmann
// shift exceeds the allowed relative change is classified High or Low, and it fails the metric
// when it goes in the metric's harmful direction. The score is the weighted share of passing
// metrics; a failing critical metric scores 0.
// Thread-safety: value types and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::cicd {

struct MannWhitneyResult {
  double u = 0;  //!< U of the first sample
  double z = 0;
  double p_value = 1;         //!< two-sided
  double hodges_lehmann = 0;  //!< median of pairwise differences (second - first)
};

//! INVALID_ARGUMENT when a sample is empty or holds a non-finite value.
Result<MannWhitneyResult> MannWhitneyU(const std::vector<double>& first,
                                       const std::vector<double>& second);

enum class Direction { kIncrease, kDecrease, kEither };  //!< which change is harmful
enum class MetricClass { kPass, kHigh, kLow, kNodata };
std::string_view MetricClassName(MetricClass c);

struct CanaryMetric {
  std::string name;
  std::vector<double> baseline, canary;
  Direction harmful = Direction::kIncrease;
  double weight = 1;
  bool critical = false;
  double allowed_change = 0.1;  //!< relative shift tolerated even when significant
};

struct MetricVerdict {
  std::string name;
  MetricClass classification = MetricClass::kPass;
  bool failed = false;
  double p_value = 1, baseline_median = 0, canary_median = 0, relative_shift = 0;
};

enum class CanaryDecision { kPass, kMarginal, kFail };
std::string_view CanaryDecisionName(CanaryDecision d);

struct CanaryVerdict {
  double score = 0;  //!< 0..100
  CanaryDecision decision = CanaryDecision::kPass;
  std::vector<MetricVerdict> metrics;
  std::string summary;
};

struct CanaryConfig {
  double alpha = 0.05;
  double pass_threshold = 95;  //!< score >= pass: promote
  double fail_threshold = 75;  //!< score < fail: roll back; between: marginal
  int min_samples = 5;         //!< fewer samples on either side: NODATA (not counted)
};

//! INVALID_ARGUMENT when no metric is given, thresholds are out of order, or weights are not
//! positive. Metrics with too few samples are NODATA; if every metric is NODATA the decision
//! is Marginal with score 0 (never a silent pass).
Result<CanaryVerdict> JudgeCanary(const std::vector<CanaryMetric>& metrics,
                                  const CanaryConfig& config);

}  // namespace dai::cicd
