// PromQL threshold conditions (healing_rules.condition_type = metric_threshold): the rule's
// instant query is evaluated on a schedule by the module; this code turns each evaluation's
// samples into firing / resolved transitions with Prometheus' `for` semantics — a series must
// breach the threshold at every evaluation for `forSeconds` before it fires, and it resolves
// the first evaluation it no longer breaches (or is absent). Pure: the caller passes the
// samples, the time and the state kept between evaluations.
// Thread-safety: value types and pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/status.h"

namespace dai::healing {

struct ThresholdCondition {
  std::string query;
  //! ">", ">=", "<", "<=", "==", "!=", or "" (every series the query returns breaches: the
  //! query is the condition itself, e.g. `up == 0`).
  std::string op;
  double threshold = 0;
  int for_seconds = 0;
};

//! From a metric_threshold rule's conditionConfig (validated by RuleFromSpec).
Result<ThresholdCondition> ThresholdFromConfig(const Json& condition_config);

//! True when `value` breaches the condition (NaN never does).
bool Breaches(const ThresholdCondition& c, double value);

struct Sample {
  std::map<std::string, std::string> labels;  //!< without __name__
  double value = 0;
};

//! Parses the data of a Prometheus instant query ({"resultType": "vector"|"scalar", "result":
//! ...}, as /api/v1/query answers it inside "data"). INVALID_ARGUMENT naming what was wrong
//! (matrix and string results are refused: a threshold compares one value per series).
Result<std::vector<Sample>> ParseInstantData(const Json& data);

//! Per series (keyed by its sorted labels): when it started breaching and whether it fired.
struct SeriesState {
  TimePoint breaching_since;
  bool firing = false;
  std::map<std::string, std::string> labels;
  double value = 0;
};
using ThresholdState = std::map<std::string, SeriesState>;

struct ThresholdTransition {
  bool firing = true;  //!< false: resolved
  std::string series;  //!< the series key (stable fingerprint part)
  std::map<std::string, std::string> labels;
  double value = 0;  //!< the value that fired (or the last breaching value when resolved)
};

//! The key of a label set: `{a="1",b="2"}` (sorted, as map order).
std::string SeriesKey(const std::map<std::string, std::string>& labels);

//! Advances `state` by one evaluation at `now` and returns the transitions it caused.
std::vector<ThresholdTransition> StepThreshold(const ThresholdCondition& c,
                                               const std::vector<Sample>& samples,
                                               ThresholdState& state, TimePoint now);

}  // namespace dai::healing
