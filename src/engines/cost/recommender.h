// Savings recommendations, each with its evidence and expected monthly saving:
//  * rightsizing: the Kubernetes VPA recommender's method (a decaying histogram of usage,
//    a high percentile plus a safety margin, with a floor) for container requests, and the
//    cheapest instance type of a price catalog that fits the recommendation for VMs;
//  * idle resources: utilization under a threshold for N days, and load balancers, IPs and
//    NAT gateways billed only for provisioned hours with no metered work;
//  * commitments: the savings-plan hourly commitment that maximises net saving over an hourly
//    on-demand profile, with the coverage and utilization it implies.
// Pure. Thread-safety: free functions and value types.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engines/cost/cost_aggregator.h"

namespace dai::cost {

inline constexpr double kHoursPerMonth = 730.0;

//! VPA-style histogram: exponentially growing buckets, sample weights that double every
//! `half_life` seconds (so recent samples count more).
class DecayingHistogram {
 public:
  DecayingHistogram(double first_bucket, double ratio, double max_value, int64_t half_life,
                    int64_t reference_time);
  void Add(double value, double weight, int64_t time);
  //! The smallest bucket upper bound at or above the p-th weighted percentile (0 when empty).
  double Percentile(double p) const;
  double total_weight() const { return total_; }

 private:
  size_t Bucket(double value) const;
  double first_, ratio_;
  int64_t half_life_, reference_;
  std::vector<double> weights_;
  double total_ = 0;
};

struct UsageSample {
  int64_t time = 0;  //!< unix seconds
  double value = 0;  //!< cores (CPU) or bytes (memory)
};

struct ContainerUsage {
  std::string id;                   //!< namespace/workload/container
  double cpu_request = 0;           //!< cores
  double memory_request = 0;        //!< bytes
  std::vector<UsageSample> cpu;     //!< usage samples
  std::vector<UsageSample> memory;  //!< peak per interval (VPA aggregates memory as peaks)
};

struct RightsizingOptions {
  double target_percentile = 0.9;           //!< VPA's target
  double upper_percentile = 0.95;           //!< VPA's upper bound
  double safety_margin = 0.15;              //!< VPA's default margin
  double min_cpu = 0.025;                   //!< cores (VPA's pod minimum)
  double min_memory = 250.0 * 1024 * 1024;  //!< bytes
  int64_t half_life = 86400;                //!< VPA's 24 h
  double cpu_price_per_core_hour = 0.0316;  //!< caller's price model
  double memory_price_per_gib_hour = 0.0042;
  int min_samples = 24;     //!< fewer: no recommendation
  double min_change = 0.1;  //!< ignore changes under 10% of the request
};

struct RightsizingRecommendation {
  std::string id;
  double cpu_request = 0, cpu_target = 0, cpu_upper = 0, cpu_peak = 0;
  double memory_request = 0, memory_target = 0, memory_upper = 0, memory_peak = 0;
  double current_monthly = 0, projected_monthly = 0, monthly_saving = 0;  //!< may be negative
  std::string risk;  //!< low | medium | high: the observed peak against the recommendation
  std::string evidence;
  int samples = 0;
};

//! One recommendation per container with enough samples whose target differs from its
//! request by more than min_change (upsizing, with a negative saving, is reported too).
std::vector<RightsizingRecommendation> RecommendRightsizing(
    const std::vector<ContainerUsage>& usage, const RightsizingOptions& options, int64_t now);

struct InstanceType {
  std::string name;
  double vcpu = 0;
  double memory_gib = 0;
  double hourly_price = 0;
};
//! The cheapest catalog entry with at least `cpu` cores and `memory_gib`; nullptr if none.
const InstanceType* CheapestFit(const std::vector<InstanceType>& catalog, double cpu,
                                double memory_gib);

//! A resource's daily utilization (from resource_utilization rows).
struct DailyUtilization {
  int64_t day = 0;
  double cpu_request = 0;  //!< cores; 0 when unknown
  double cpu_p95 = 0;      //!< cores
  double network_bytes = 0;
};

struct IdleOptions {
  double cpu_fraction = 0.05;  //!< p95 under 5% of the request (or 0.05 cores without one)
  double network_bytes_per_day = 1e6;
  int min_days = 7;
  double min_monthly_cost = 0.01;
};

struct IdleFinding {
  std::string resource_id, resource_type, service, provider, region;
  std::string reason;  //!< "low_utilization" or "provisioned_without_usage"
  std::string evidence;
  double monthly_cost = 0;  //!< the saving if removed
  double confidence = 0;
};

//! Idle resources from utilization (every one of at least min_days days under the thresholds)
//! and from line items (a load balancer, IP or NAT gateway charged only per provisioned hour,
//! with no metered work, over at least min_days). `resources` gives the cost; its window is
//! [window_start, window_end).
std::vector<IdleFinding> FindIdle(
    const std::vector<ResourceSummary>& resources,
    const std::map<std::string, std::vector<DailyUtilization>>& utilization, int64_t window_start,
    int64_t window_end, const IdleOptions& options);

struct CommitmentRecommendation {
  double hourly_commitment = 0;  //!< $/h committed (at the discounted rate)
  double covered_on_demand = 0;  //!< $/h of on-demand usage that commitment covers
  double on_demand_monthly = 0;  //!< current spend, per 730 h
  double monthly_cost_with = 0;  //!< commitment + uncovered on-demand, per 730 h
  double monthly_saving = 0;
  double coverage = 0;     //!< share of on-demand spend covered
  double utilization = 0;  //!< share of the commitment used
  int hours = 0;
};

//! The commitment level maximising net saving for an hourly on-demand profile (missing hours
//! count as 0) and a discount (0.28 = 28% off on-demand). The optimum covers the level of
//! on-demand spend that is exceeded in a (1 - discount) share of hours.
CommitmentRecommendation SizeCommitment(const std::vector<double>& hourly_on_demand,
                                        double discount);

}  // namespace dai::cost
