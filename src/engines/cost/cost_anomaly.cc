#include "engines/cost/cost_anomaly.h"

#include <algorithm>
#include <cmath>

#include "engines/anomaly/anomaly_detector.h"

namespace dai::cost {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

double TrailingMedian(const std::vector<double>& costs, size_t i, size_t window) {
  const size_t from = i >= window ? i - window : 0;
  std::vector<double> w(costs.begin() + static_cast<std::ptrdiff_t>(from),
                        costs.begin() + static_cast<std::ptrdiff_t>(i));
  if (w.empty()) return 0;
  std::sort(w.begin(), w.end());
  const size_t n = w.size();
  return n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
}

}  // namespace

std::vector<CostAnomaly> FindCostAnomalies(const std::vector<DailySpend>& series,
                                           const CostAnomalyOptions& options) {
  anomaly::DetectorConfig config;
  config.warmup_points = std::max(1, options.warmup_days);
  // A daily series: hold an event for a few days, not hours.
  config.hold_hours = 72;
  std::vector<CostAnomaly> out;
  for (const auto& s : series) {
    anomaly::AnomalyDetector detector(config);
    for (size_t i = 0; i < s.costs.size(); ++i) {
      const int64_t day = s.first_day + static_cast<int64_t>(i) * kSecondsPerDay;
      const double cost = s.costs[i];
      const double score = detector.Update(day, cost);
      if (day < options.judge_from || !std::isfinite(cost)) continue;
      if (score < options.threshold || cost < options.min_cost) continue;
      const double expected = TrailingMedian(s.costs, i, 7);
      if (cost <= expected * (1 + options.min_increase)) continue;
      out.push_back({s.key, day, cost, expected, score});
    }
  }
  std::sort(out.begin(), out.end(), [](const CostAnomaly& a, const CostAnomaly& b) {
    return a.score != b.score ? a.score > b.score : a.day < b.day;
  });
  return out;
}

}  // namespace dai::cost
