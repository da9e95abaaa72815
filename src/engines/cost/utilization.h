// Utilization and the real-time cost estimate (issue #8):
//  * SummarizeSamples: one hour's samples of a usage series → average, p95, maximum;
//  * WorkloadOfPod: the Deployment/StatefulSet/DaemonSet name a pod name was made from;
//  * the price model of OpenCost: a container costs max(request, usage) × price, a host's asset
//    cost is its capacity × price, and idle = asset − allocated.
// Pure. Thread-safety: free functions and value types.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dai::cost {

struct SampleStats {
  double avg = 0, p95 = 0, max = 0;
  int count = 0;  //!< finite samples summarised (0: the other fields are 0)
};

//! Average, nearest-rank 95th percentile and maximum of the finite values.
SampleStats SummarizeSamples(std::vector<double> values);

//! "checkout-7d9f8c6b5d-x2x9z" → "checkout" (Deployment: ReplicaSet hash + pod suffix),
//! "fluentd-7xk2p" → "fluentd" (DaemonSet/Job suffix), "db-0" → "db" (StatefulSet ordinal);
//! a name that matches none of these is returned unchanged.
std::string WorkloadOfPod(std::string_view pod);

//! A price sheet for on-premises hosts and containers (OpenCost's custom pricing). Defaults are
//! OpenCost's default custom prices.
struct PriceSheet {
  double vcpu_hour = 0.031611;  //!< per vCPU (core) hour
  double gib_hour = 0.004237;   //!< per GiB of memory per hour
  std::string currency = "USD";
};

inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

//! Cost per hour of `cores` and `memory_bytes` at the sheet's prices.
double HourlyCost(const PriceSheet& prices, double cores, double memory_bytes);

//! OpenCost's allocation: max(request, usage) per resource, priced. A missing request (<= 0)
//! counts as 0, a missing usage likewise.
double AllocatedHourlyCost(const PriceSheet& prices, double cpu_request, double cpu_usage,
                           double memory_request, double memory_usage);

struct HostEstimate {
  double asset_hourly = 0;      //!< capacity × price
  double used_hourly = 0;       //!< usage × price
  double allocated_hourly = 0;  //!< Σ containers' max(request, usage) × price
  double idle_hourly = 0;       //!< asset − allocated (never below 0)
};

HostEstimate EstimateHost(const PriceSheet& prices, double cores, double memory_bytes,
                          double cpu_used, double memory_used, double allocated_hourly);

}  // namespace dai::cost
