// Budget evaluation: spend to date and forecast against a budget's thresholds, the burn rate
// (share of budget used / share of period elapsed), the day the budget runs out at the current
// rate, and which threshold crossings are new (alert once per crossing per period). Pure:
// the caller passes "now". Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace dai::cost {

struct BudgetSpec {
  double amount = 0;               //!< > 0
  std::vector<double> thresholds;  //!< percents of amount, e.g. {50, 80, 100}
  int64_t period_start = 0;        //!< unix seconds
  int64_t period_end = 0;          //!< unix seconds, exclusive
};

struct BudgetInput {
  double actual = 0;         //!< spend in the period so far
  double forecast = 0;       //!< projected spend for the whole period (actual + forecast mean)
  double forecast_high = 0;  //!< the 80% upper bound of that projection
  int64_t now = 0;
};

enum class BudgetStatus { kOk, kWarning, kExceeded };
const char* BudgetStatusName(BudgetStatus status);

struct BudgetCrossing {
  std::string
      key;  //!< stable per period: "<period_start>:actual:80", "...:forecast:100", "...:burn"
  std::string kind;      //!< "actual", "forecast" or "burn_rate"
  double threshold = 0;  //!< percent (for burn_rate: the rate, 1 = on track)
  double value = 0;      //!< percent of budget (actual/forecast) or the burn rate
};

struct BudgetEvaluation {
  BudgetStatus status = BudgetStatus::kOk;
  double actual_percent = 0;
  double forecast_percent = 0;
  double elapsed_fraction = 0;
  double burn_rate = 0;                   //!< 1.0 = spending exactly at the budgeted pace
  int64_t projected_exhaustion = 0;       //!< when the budget runs out at the current rate, or 0
  std::vector<BudgetCrossing> crossings;  //!< every crossing true now (new or not)
};

//! Evaluates a budget. Status: exceeded when actual >= 100%; warning when actual crosses the
//! lowest threshold, the forecast exceeds 100%, or the burn rate is above 1.2 after 10% of the
//! period has elapsed; else ok. The burn-rate crossing is only raised after 10% of the period
//! (earlier rates are noise).
BudgetEvaluation EvaluateBudget(const BudgetSpec& spec, const BudgetInput& input);

//! The crossings of `evaluation` whose keys are not in `notified` (to alert once per crossing).
std::vector<BudgetCrossing> NewCrossings(const BudgetEvaluation& evaluation,
                                         const std::set<std::string>& notified);

}  // namespace dai::cost
