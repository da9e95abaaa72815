#include "engines/cost/utilization.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace dai::cost {

SampleStats SummarizeSamples(std::vector<double> values) {
  values.erase(
      std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }),
      values.end());
  SampleStats s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (const double v : values) sum += v;
  s.count = static_cast<int>(values.size());
  s.avg = sum / static_cast<double>(values.size());
  const size_t rank = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(values.size())));
  s.p95 = values[std::max<size_t>(rank, 1) - 1];
  s.max = values.back();
  return s;
}

namespace {

bool AllLowerAlnum(std::string_view s) {
  for (const char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c))))
      return false;
  return !s.empty();
}

bool AllDigits(std::string_view s) {
  for (const char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

}  // namespace

std::string WorkloadOfPod(std::string_view pod) {
  const size_t last = pod.rfind('-');
  if (last == std::string_view::npos || last == 0) return std::string(pod);
  const std::string_view suffix = pod.substr(last + 1);
  const std::string_view head = pod.substr(0, last);
  if (AllDigits(suffix)) return std::string(head);  // StatefulSet ordinal
  if (suffix.size() != 5 || !AllLowerAlnum(suffix)) return std::string(pod);
  // Deployment: <name>-<ReplicaSet hash of 6-10>-<5>.
  const size_t prev = head.rfind('-');
  if (prev != std::string_view::npos && prev > 0) {
    const std::string_view hash = head.substr(prev + 1);
    if (hash.size() >= 6 && hash.size() <= 10 && AllLowerAlnum(hash))
      return std::string(head.substr(0, prev));
  }
  return std::string(head);  // DaemonSet / Job: <name>-<5>
}

double HourlyCost(const PriceSheet& prices, double cores, double memory_bytes) {
  return std::max(0.0, cores) * prices.vcpu_hour +
         std::max(0.0, memory_bytes) / kGiB * prices.gib_hour;
}

double AllocatedHourlyCost(const PriceSheet& prices, double cpu_request, double cpu_usage,
                           double memory_request, double memory_usage) {
  auto clean = [](double v) { return std::isfinite(v) && v > 0 ? v : 0.0; };
  return HourlyCost(prices, std::max(clean(cpu_request), clean(cpu_usage)),
                    std::max(clean(memory_request), clean(memory_usage)));
}

HostEstimate EstimateHost(const PriceSheet& prices, double cores, double memory_bytes,
                          double cpu_used, double memory_used, double allocated_hourly) {
  HostEstimate e;
  e.asset_hourly = HourlyCost(prices, cores, memory_bytes);
  e.used_hourly =
      HourlyCost(prices, std::min(cpu_used, cores), std::min(memory_used, memory_bytes));
  e.allocated_hourly = std::max(0.0, allocated_hourly);
  e.idle_hourly = std::max(0.0, e.asset_hourly - e.allocated_hourly);
  return e;
}

}  // namespace dai::cost
