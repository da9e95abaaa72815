#include "engines/cost/recommender.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace dai::cost {
namespace {

std::string Fmt(const char* format, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, a, b, c, d);
  return buf;
}

std::string Lower(std::string_view s) {
  std::string out;
  for (const char c : s)
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

}  // namespace

DecayingHistogram::DecayingHistogram(double first_bucket, double ratio, double max_value,
                                     int64_t half_life, int64_t reference_time)
    : first_(first_bucket), ratio_(ratio), half_life_(half_life), reference_(reference_time) {
  // Bucket i covers [first*(ratio^i - 1)/(ratio - 1), first*(ratio^(i+1) - 1)/(ratio - 1)).
  const size_t n = static_cast<size_t>(std::ceil(
                       std::log(max_value * (ratio - 1) / first_bucket + 1) / std::log(ratio))) +
                   1;
  weights_.assign(std::max<size_t>(n, 1), 0.0);
}

size_t DecayingHistogram::Bucket(double value) const {
  if (value < first_) return 0;
  const double idx = std::floor(std::log(value * (ratio_ - 1) / first_ + 1) / std::log(ratio_));
  return std::min(weights_.size() - 1, static_cast<size_t>(std::max(0.0, idx)));
}

void DecayingHistogram::Add(double value, double weight, int64_t time) {
  if (!(value >= 0) || !(weight > 0)) return;
  const double decay =
      std::exp2(static_cast<double>(time - reference_) / static_cast<double>(half_life_));
  const double w = weight * decay;
  if (!std::isfinite(w)) return;
  weights_[Bucket(value)] += w;
  total_ += w;
}

double DecayingHistogram::Percentile(double p) const {
  if (total_ <= 0) return 0;
  const double target = p * total_;
  double acc = 0;
  for (size_t i = 0; i < weights_.size(); ++i) {
    acc += weights_[i];
    if (acc >= target - 1e-12 * total_) {
      return first_ * (std::pow(ratio_, static_cast<double>(i + 1)) - 1) / (ratio_ - 1);
    }
  }
  return first_ * (std::pow(ratio_, static_cast<double>(weights_.size())) - 1) / (ratio_ - 1);
}

std::vector<RightsizingRecommendation> RecommendRightsizing(
    const std::vector<ContainerUsage>& usage, const RightsizingOptions& o, int64_t now) {
  std::vector<RightsizingRecommendation> out;
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  for (const auto& c : usage) {
    const int samples = static_cast<int>(std::min(c.cpu.size(), c.memory.size()));
    if (samples < o.min_samples) continue;
    // VPA: CPU buckets from 0.01 cores, memory from 10 MB, both growing by 5%. The reference
    // time is "now" so weights are <= 1 and cannot overflow.
    DecayingHistogram cpu(0.01, 1.05, 1000.0, o.half_life, now);
    DecayingHistogram mem(1e7, 1.05, 1e12, o.half_life, now);
    double cpu_peak = 0, mem_peak = 0;
    for (const auto& s : c.cpu) {
      cpu.Add(s.value, 1.0, s.time);
      cpu_peak = std::max(cpu_peak, s.value);
    }
    for (const auto& s : c.memory) {
      mem.Add(s.value, 1.0, s.time);
      mem_peak = std::max(mem_peak, s.value);
    }
    RightsizingRecommendation r;
    r.id = c.id;
    r.samples = samples;
    r.cpu_request = c.cpu_request;
    r.memory_request = c.memory_request;
    r.cpu_peak = cpu_peak;
    r.memory_peak = mem_peak;
    r.cpu_target = std::max(o.min_cpu, cpu.Percentile(o.target_percentile) * (1 + o.safety_margin));
    r.cpu_upper = std::max(o.min_cpu, cpu.Percentile(o.upper_percentile) * (1 + o.safety_margin));
    r.memory_target =
        std::max(o.min_memory, mem.Percentile(o.target_percentile) * (1 + o.safety_margin));
    r.memory_upper =
        std::max(o.min_memory, mem.Percentile(o.upper_percentile) * (1 + o.safety_margin));
    const bool cpu_changes = c.cpu_request <= 0 ||
                             std::fabs(r.cpu_target - c.cpu_request) > o.min_change * c.cpu_request;
    const bool mem_changes =
        c.memory_request <= 0 ||
        std::fabs(r.memory_target - c.memory_request) > o.min_change * c.memory_request;
    if (!cpu_changes && !mem_changes) continue;
    auto monthly = [&](double cores, double bytes) {
      return (cores * o.cpu_price_per_core_hour + bytes / kGiB * o.memory_price_per_gib_hour) *
             kHoursPerMonth;
    };
    r.current_monthly = monthly(c.cpu_request, c.memory_request);
    r.projected_monthly = monthly(r.cpu_target, r.memory_target);
    r.monthly_saving = r.current_monthly - r.projected_monthly;
    // Risk: memory above the recommendation means OOM kills; CPU above it means throttling.
    if (mem_peak > r.memory_upper || cpu_peak > 2 * r.cpu_upper) {
      r.risk = "high";
    } else if (mem_peak > r.memory_target || cpu_peak > r.cpu_upper) {
      r.risk = "medium";
    } else {
      r.risk = "low";
    }
    r.evidence =
        Fmt("%.0f samples; CPU p90 x1.15 = %.3f cores (request %.3f, peak %.3f); ", samples,
            r.cpu_target, c.cpu_request, cpu_peak) +
        Fmt("memory p90 x1.15 = %.0f MiB (request %.0f MiB, peak %.0f MiB)",
            r.memory_target / 1048576.0, c.memory_request / 1048576.0, mem_peak / 1048576.0);
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.monthly_saving != b.monthly_saving) return a.monthly_saving > b.monthly_saving;
    return a.id < b.id;
  });
  return out;
}

const InstanceType* CheapestFit(const std::vector<InstanceType>& catalog, double cpu,
                                double memory_gib) {
  const InstanceType* best = nullptr;
  for (const auto& t : catalog) {
    if (t.vcpu + 1e-9 < cpu || t.memory_gib + 1e-9 < memory_gib) continue;
    if (best == nullptr || t.hourly_price < best->hourly_price ||
        (t.hourly_price == best->hourly_price && t.name < best->name))
      best = &t;
  }
  return best;
}

std::vector<IdleFinding> FindIdle(
    const std::vector<ResourceSummary>& resources,
    const std::map<std::string, std::vector<DailyUtilization>>& utilization, int64_t window_start,
    int64_t window_end, const IdleOptions& o) {
  std::vector<IdleFinding> out;
  const double window_days = std::max(1.0, static_cast<double>(window_end - window_start) / kDay);
  for (const auto& r : resources) {
    const double monthly = r.effective / window_days * (kHoursPerMonth / 24.0);
    if (monthly < o.min_monthly_cost) continue;
    const double seen_days = static_cast<double>(r.last_seen - r.first_seen) / kDay;
    IdleFinding f;
    f.resource_id = r.resource_id;
    f.resource_type = r.resource_type;
    f.service = r.service;
    f.provider = r.provider;
    f.region = r.region;
    f.monthly_cost = monthly;
    auto it = utilization.find(r.resource_id);
    if (it != utilization.end() && static_cast<int>(it->second.size()) >= o.min_days) {
      bool idle = true;
      double max_cpu = 0, max_net = 0;
      for (const auto& d : it->second) {
        const double limit = d.cpu_request > 0 ? o.cpu_fraction * d.cpu_request : 0.05;
        if (d.cpu_p95 > limit || d.network_bytes > o.network_bytes_per_day) idle = false;
        max_cpu = std::max(max_cpu, d.cpu_p95);
        max_net = std::max(max_net, d.network_bytes);
      }
      if (idle) {
        f.reason = "low_utilization";
        f.confidence = 0.9;
        f.evidence =
            Fmt("%.0f days with CPU p95 at most %.3f cores and network at most %.0f bytes/day",
                static_cast<double>(it->second.size()), max_cpu, max_net);
        out.push_back(f);
        continue;
      }
    }
    const std::string kind = Lower(r.resource_type + " " + r.service + " " + r.resource_id);
    const bool fixed_fee_kind = kind.find("load balanc") != std::string::npos ||
                                kind.find("loadbalancer") != std::string::npos ||
                                kind.find("elastic ip") != std::string::npos ||
                                kind.find("public ip") != std::string::npos ||
                                kind.find("nat gateway") != std::string::npos ||
                                kind.find("natgateway") != std::string::npos;
    if (fixed_fee_kind && r.time_priced_rows > 0 && r.usage_priced_rows == 0 &&
        seen_days >= o.min_days) {
      f.reason = "provisioned_without_usage";
      f.confidence = 0.6;
      f.evidence =
          Fmt("%.0f hourly charges over %.1f days and no metered usage (no data processed)",
              static_cast<double>(r.time_priced_rows), seen_days);
      out.push_back(f);
    }
  }
  std::sort(out.begin(), out.end(), [](const IdleFinding& a, const IdleFinding& b) {
    if (a.monthly_cost != b.monthly_cost) return a.monthly_cost > b.monthly_cost;
    return a.resource_id < b.resource_id;
  });
  return out;
}

CommitmentRecommendation SizeCommitment(const std::vector<double>& hourly, double discount) {
  CommitmentRecommendation r;
  r.hours = static_cast<int>(hourly.size());
  if (hourly.empty() || !(discount > 0 && discount < 1)) return r;
  std::vector<double> u;
  u.reserve(hourly.size());
  for (const double v : hourly) u.push_back(std::isfinite(v) && v > 0 ? v : 0.0);
  std::sort(u.begin(), u.end());
  const double n = static_cast<double>(u.size());
  double total = 0;
  for (const double v : u) total += v;
  // Covering K $/h of on-demand costs K(1-d) per hour and removes min(u, K) of on-demand.
  // saving(K) = sum(min(u_h, K)) - n K (1 - d); piecewise linear, so the optimum is at a u_h.
  double best_k = 0, best_saving = 0;
  double below = 0;  // sum of u_i for i < idx
  for (size_t i = 0; i < u.size(); ++i) {
    const double k = u[i];
    const double covered = below + k * (n - static_cast<double>(i));
    const double saving = covered - n * k * (1 - discount);
    if (saving > best_saving + 1e-12) {
      best_saving = saving;
      best_k = k;
    }
    below += u[i];
  }
  double covered = 0;
  for (const double v : u) covered += std::min(v, best_k);
  const double scale = kHoursPerMonth / n;
  r.covered_on_demand = best_k;
  r.hourly_commitment = best_k * (1 - discount);
  r.on_demand_monthly = total * scale;
  r.monthly_saving = best_saving * scale;
  r.monthly_cost_with = r.on_demand_monthly - r.monthly_saving;
  r.coverage = total > 0 ? covered / total : 0;
  r.utilization = best_k > 0 ? covered / (best_k * n) : 0;
  return r;
}

}  // namespace dai::cost
