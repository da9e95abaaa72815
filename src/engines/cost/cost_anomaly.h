// Cost anomalies (issue #8): daily spend per dimension value (service, account, ...) scored by
// the Incident Commander's streaming anomaly engine (engines/anomaly), causally: each day is
// judged only from the days before it. Days scoring at or above the threshold, with spend
// above the recent level (a drop in spend is not a cost anomaly) and above a minimum amount,
// are reported with the level they departed from.
// Pure. Thread-safety: free functions and value types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dai::cost {

struct DailySpend {
  std::string key;            //!< the dimension value ("AmazonEC2", an account id, ...)
  int64_t first_day = 0;      //!< unix seconds of the first day's start (UTC)
  std::vector<double> costs;  //!< one value per consecutive day (0 for a day without spend)
};

struct CostAnomalyOptions {
  double threshold = 0.8;     //!< anomaly score at or above which a day is reported
  int warmup_days = 14;       //!< days the model learns before it scores
  double min_cost = 1.0;      //!< a day under this spend is never reported
  double min_increase = 0.2;  //!< spend must exceed the trailing median by this fraction
  int64_t judge_from = 0;     //!< only days starting at or after this are reported
};

struct CostAnomaly {
  std::string key;
  int64_t day = 0;  //!< unix seconds of the day's start
  double cost = 0;
  double expected = 0;  //!< median of the 7 days before
  double score = 0;     //!< the anomaly engine's score in [0, 1]
};

//! Scores every series; returns the reported days, highest score first.
std::vector<CostAnomaly> FindCostAnomalies(const std::vector<DailySpend>& series,
                                           const CostAnomalyOptions& options);

}  // namespace dai::cost
