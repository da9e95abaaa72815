// Aggregates built while a cost file streams in: daily totals per dimension tuple (what the
// breakdown, trend and forecast read), billing periods seen, the hourly on-demand compute
// profile (what commitment sizing reads) and per-resource summaries (what idle detection
// reads). Also the ranking of a breakdown with an "other" bucket. Pure.
// Thread-safety: one aggregator per import; not shared.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "engines/cost/focus_reader.h"

namespace dai::cost {

inline constexpr int64_t kDay = 86400;
inline constexpr int64_t kHour = 3600;

//! One day's cost for one combination of the pre-aggregated dimensions.
struct DailyCost {
  int64_t day = 0;             //!< unix seconds of the UTC day start
  int64_t billing_period = 0;  //!< unix seconds of the billing period start
  std::string provider, billing_account, sub_account, service, service_category, region,
      charge_category, currency;
  double billed = 0, effective = 0, list = 0;
  int64_t rows = 0;
};

//! A billing period present in the input.
struct BillingPeriod {
  int64_t start = 0, end = 0;
  int64_t rows = 0;
  double billed = 0, effective = 0;
  int64_t first_line = 0;
};

//! What one resource cost over the input, and how it was charged.
struct ResourceSummary {
  std::string resource_id, resource_name, resource_type, service, service_category, provider,
      region, sub_account;
  double effective = 0;
  int64_t first_seen = 0, last_seen = 0;  //!< charge period bounds
  int64_t time_priced_rows = 0;           //!< rows priced per hour (provisioned capacity)
  int64_t usage_priced_rows = 0;          //!< rows priced per unit of work (GB, requests, LCU ...)
};

class CostAggregator {
 public:
  //! `track_resources`: whether Add keeps the per-resource summaries (Resources()); an import
  //! does not read them, and they grow with the number of resources.
  explicit CostAggregator(bool track_resources = true) : track_resources_(track_resources) {}

  //! Adds one record. Fails when its currency differs from the first record's (one file, one
  //! billing currency), naming both lines.
  Status Add(const CostRecord& record);

  std::vector<DailyCost> Daily() const;
  //! The daily cells held now (each a (dimensions, billing period, day) combination).
  size_t daily_cells() const { return daily_.size(); }
  //! Hands every daily cell held now to `sink` (unordered, one at a time) and forgets them, so
  //! a caller can move them out of memory (partial sums: a later record may add to the same
  //! combination again, and the caller adds the parts up). Stops at the first error.
  Status DrainDaily(const std::function<Status(const DailyCost&)>& sink);
  std::vector<BillingPeriod> Periods() const;
  //! (billing period start, hour start) → on-demand (Standard pricing) compute usage cost.
  const std::map<std::pair<int64_t, int64_t>, double>& OnDemandComputeHourly() const {
    return on_demand_hourly_;
  }
  std::vector<ResourceSummary> Resources() const;
  const std::string& currency() const { return currency_; }
  int64_t records() const { return records_; }
  double total_billed() const { return total_billed_; }
  double total_effective() const { return total_effective_; }

 private:
  struct Agg {
    double billed = 0, effective = 0, list = 0;
    int64_t rows = 0;
  };
  std::unordered_map<std::string, Agg> daily_;
  std::map<std::pair<int64_t, int64_t>, BillingPeriod> periods_;
  std::map<std::pair<int64_t, int64_t>, double> on_demand_hourly_;
  std::unordered_map<std::string, ResourceSummary> resources_;
  std::string currency_;
  int64_t currency_line_ = 0;
  int64_t records_ = 0;
  double total_billed_ = 0, total_effective_ = 0;
  std::string key_;
  bool track_resources_ = true;
};

//! Whether a unit names provisioned time ("Hrs", "Hours", "Instance-hours") rather than work.
bool IsTimeUnit(std::string_view unit);

//! One group of a breakdown: its key, total and per-day series aligned with `days`.
struct BreakdownGroup {
  std::string key;
  double billed = 0, effective = 0;
  std::vector<double> series;  //!< effective cost per day
};
struct Breakdown {
  std::vector<int64_t> days;           //!< every UTC day in [start, end)
  std::vector<BreakdownGroup> groups;  //!< by effective cost, descending; "(other)" last
  double billed = 0, effective = 0;
};
//! An input cell of a breakdown: one day, one group key.
struct BreakdownCell {
  int64_t day;
  std::string key;
  double billed, effective;
};
//! Ranks groups by effective cost over [start_day, end_day) and folds all past `top` into
//! "(other)". Cells outside the range are ignored. An empty key is shown as "(none)".
Breakdown BuildBreakdown(const std::vector<BreakdownCell>& cells, int64_t start_day,
                         int64_t end_day, size_t top);

}  // namespace dai::cost
