#include "engines/cost/budget.h"

#include <algorithm>
#include <cmath>

namespace dai::cost {

const char* BudgetStatusName(BudgetStatus status) {
  switch (status) {
    case BudgetStatus::kOk:
      return "ok";
    case BudgetStatus::kWarning:
      return "warning";
    case BudgetStatus::kExceeded:
      return "exceeded";
  }
  return "ok";
}

namespace {
std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

BudgetEvaluation EvaluateBudget(const BudgetSpec& spec, const BudgetInput& in) {
  BudgetEvaluation ev;
  if (spec.amount <= 0 || spec.period_end <= spec.period_start) return ev;
  ev.actual_percent = 100.0 * in.actual / spec.amount;
  ev.forecast_percent = 100.0 * in.forecast / spec.amount;
  const double length = static_cast<double>(spec.period_end - spec.period_start);
  ev.elapsed_fraction =
      std::clamp(static_cast<double>(in.now - spec.period_start) / length, 0.0, 1.0);
  if (ev.elapsed_fraction > 0) ev.burn_rate = (in.actual / spec.amount) / ev.elapsed_fraction;
  if (in.actual > 0 && ev.elapsed_fraction > 0) {
    const double rate =
        in.actual / (static_cast<double>(in.now - spec.period_start));  // per second
    const double remaining = spec.amount - in.actual;
    if (remaining <= 0) {
      ev.projected_exhaustion = in.now;
    } else {
      const double t = static_cast<double>(in.now) + remaining / rate;
      if (t < static_cast<double>(spec.period_end))
        ev.projected_exhaustion = static_cast<int64_t>(t);
    }
  }
  std::vector<double> thresholds = spec.thresholds;
  if (thresholds.empty()) thresholds = {80, 100};
  std::sort(thresholds.begin(), thresholds.end());
  const std::string prefix = std::to_string(spec.period_start) + ":";
  for (const double t : thresholds) {
    if (ev.actual_percent >= t)
      ev.crossings.push_back({prefix + "actual:" + Num(t), "actual", t, ev.actual_percent});
    if (ev.forecast_percent >= t)
      ev.crossings.push_back({prefix + "forecast:" + Num(t), "forecast", t, ev.forecast_percent});
  }
  const bool burning = ev.elapsed_fraction >= 0.1 && ev.burn_rate > 1.2;
  if (burning) ev.crossings.push_back({prefix + "burn", "burn_rate", 1.2, ev.burn_rate});
  if (ev.actual_percent >= 100) {
    ev.status = BudgetStatus::kExceeded;
  } else if (ev.actual_percent >= thresholds.front() || ev.forecast_percent >= 100 || burning) {
    ev.status = BudgetStatus::kWarning;
  }
  return ev;
}

std::vector<BudgetCrossing> NewCrossings(const BudgetEvaluation& evaluation,
                                         const std::set<std::string>& notified) {
  std::vector<BudgetCrossing> out;
  for (const auto& c : evaluation.crossings)
    if (notified.count(c.key) == 0) out.push_back(c);
  return out;
}

}  // namespace dai::cost
