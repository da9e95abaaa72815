#include "engines/cost/recommender.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace dai::cost {
namespace {

constexpr int64_t kNow = 1725148800;
constexpr double kMiB = 1024.0 * 1024;

TEST(DecayingHistogram, PercentileOfUniformSamples) {
  DecayingHistogram h(0.01, 1.05, 100, 86400, kNow);
  for (int i = 1; i <= 1000; ++i) h.Add(i / 1000.0, 1.0, kNow);  // 0.001..1.0 cores
  const double p90 = h.Percentile(0.9);
  EXPECT_GE(p90, 0.9);
  EXPECT_LE(p90, 0.9 * 1.06 + 0.01);  // within one 5% bucket
  EXPECT_EQ(DecayingHistogram(0.01, 1.05, 1, 86400, kNow).Percentile(0.5), 0);
}

TEST(DecayingHistogram, RecentSamplesWeighMore) {
  DecayingHistogram h(0.01, 1.05, 100, 86400, kNow);
  for (int i = 0; i < 100; ++i) h.Add(2.0, 1.0, kNow - 10 * 86400);  // old: weight 2^-10
  for (int i = 0; i < 100; ++i) h.Add(0.5, 1.0, kNow);
  EXPECT_LT(h.Percentile(0.9), 0.6);
}

ContainerUsage Container(const std::string& id, double cpu_req, double mem_req, double cpu_level,
                         double mem_level, double cpu_spike = 0) {
  ContainerUsage c{id, cpu_req, mem_req, {}, {}};
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0.9, 1.1);
  for (int i = 0; i < 7 * 24; ++i) {
    const int64_t t = kNow - (7 * 24 - i) * 3600;
    double cpu = cpu_level * u(rng);
    if (cpu_spike > 0 && i == 100) cpu = cpu_spike;
    c.cpu.push_back({t, cpu});
    c.memory.push_back({t, mem_level * u(rng)});
  }
  return c;
}

TEST(RecommendRightsizing, OverprovisionedContainerShrinksWithMargin) {
  RightsizingOptions o;
  const auto recs =
      RecommendRightsizing({Container("shop/web/app", 2.0, 4096 * kMiB, 0.2, 500 * kMiB)}, o, kNow);
  ASSERT_EQ(recs.size(), 1u);
  const auto& r = recs[0];
  // p90 of U(0.18, 0.22) ~ 0.216, x1.15 ~ 0.25 (bucket rounding adds up to 5%).
  EXPECT_GT(r.cpu_target, 0.22 * 1.0);
  EXPECT_LT(r.cpu_target, 0.22 * 1.15 * 1.11);  // buckets are ~10% wide here (VPA's)
  EXPECT_GT(r.memory_target, 540 * kMiB);
  EXPECT_LT(r.memory_target, 550 * 1.15 * 1.11 * kMiB);
  EXPECT_GT(r.monthly_saving, 0);
  EXPECT_NEAR(r.current_monthly,
              (2.0 * o.cpu_price_per_core_hour + 4.0 * o.memory_price_per_gib_hour) * 730, 1e-9);
  EXPECT_EQ(r.risk, "low");
  EXPECT_NE(r.evidence.find("168 samples"), std::string::npos) << r.evidence;
}

TEST(RecommendRightsizing, FloorsSpikesAndRightSizedContainers) {
  RightsizingOptions o;
  const auto recs = RecommendRightsizing(
      {Container("tiny", 1.0, 1024 * kMiB, 0.001, 10 * kMiB),
       Container("spiky", 1.0, 1024 * kMiB, 0.1, 200 * kMiB, /*cpu_spike=*/3.0),
       Container("right", 0.25, 300 * kMiB, 0.2, 240 * kMiB)},
      o, kNow);
  std::map<std::string, RightsizingRecommendation> by_id;
  for (const auto& r : recs) by_id[r.id] = r;
  ASSERT_TRUE(by_id.count("tiny"));
  EXPECT_DOUBLE_EQ(by_id["tiny"].cpu_target, o.min_cpu);
  EXPECT_DOUBLE_EQ(by_id["tiny"].memory_target, o.min_memory);
  ASSERT_TRUE(by_id.count("spiky"));
  EXPECT_EQ(by_id["spiky"].risk, "high");  // one spike of 3 cores far above the recommendation
  EXPECT_FALSE(by_id.count("right"));      // within 10% of its request: no recommendation
  // Too few samples: nothing.
  ContainerUsage few{"few", 1, 1e9, {{kNow, 0.1}}, {{kNow, 1e8}}};
  EXPECT_TRUE(RecommendRightsizing({few}, o, kNow).empty());
}

TEST(CheapestFit, PicksTheCheapestTypeThatFits) {
  const std::vector<InstanceType> catalog = {{"m.large", 2, 8, 0.096},
                                             {"c.large", 2, 4, 0.085},
                                             {"r.large", 2, 16, 0.126},
                                             {"m.xlarge", 4, 16, 0.192}};
  EXPECT_EQ(CheapestFit(catalog, 1.5, 3.5)->name, "c.large");
  EXPECT_EQ(CheapestFit(catalog, 2, 6)->name, "m.large");
  EXPECT_EQ(CheapestFit(catalog, 3, 6)->name, "m.xlarge");
  EXPECT_EQ(CheapestFit(catalog, 8, 6), nullptr);
}

TEST(FindIdle, UtilizationAndProvisionedOnlyRules) {
  const int64_t start = kNow - 30 * kDay;
  std::vector<ResourceSummary> res(4);
  res[0] = {"vm-idle", "", "instance", "EC2", "Compute", "AWS", "us-east-1",
            "",        30, start,      kNow,  720,       0};
  res[1] = {"vm-busy", "", "instance", "EC2", "Compute", "AWS", "us-east-1",
            "",        30, start,      kNow,  720,       0};
  res[2] = {
      "arn:lb/idle", "",  "", "Elastic Load Balancing", "Networking", "AWS", "", "", 16.2, start,
      kNow,          720, 0};
  res[3] = {
      "arn:lb/used", "",  "", "Elastic Load Balancing", "Networking", "AWS", "", "", 20, start,
      kNow,          720, 300};
  std::map<std::string, std::vector<DailyUtilization>> util;
  for (int d = 0; d < 10; ++d) {
    util["vm-idle"].push_back({start + d * kDay, 2.0, 0.02, 1000});
    util["vm-busy"].push_back({start + d * kDay, 2.0, d == 5 ? 1.5 : 0.02, 1000});
  }
  const auto found = FindIdle(res, util, start, kNow, IdleOptions{});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].resource_id, "vm-idle");
  EXPECT_EQ(found[0].reason, "low_utilization");
  EXPECT_NEAR(found[0].monthly_cost, 30.0 / 30 * 730 / 24, 1e-9);
  EXPECT_EQ(found[1].resource_id, "arn:lb/idle");
  EXPECT_EQ(found[1].reason, "provisioned_without_usage");
}

TEST(SizeCommitment, ConstantUsageIsFullyCommitted) {
  const auto r = SizeCommitment(std::vector<double>(100, 10.0), 0.3);
  EXPECT_NEAR(r.hourly_commitment, 7.0, 1e-9);
  EXPECT_NEAR(r.monthly_saving, 3.0 * 730, 1e-6);
  EXPECT_NEAR(r.coverage, 1.0, 1e-12);
  EXPECT_NEAR(r.utilization, 1.0, 1e-12);
}

TEST(SizeCommitment, OptimumIsTheDiscountQuantile) {
  // Usage uniform on 0..99: the optimal covered level K has P(u > K) = 1 - d, i.e. K ~ 30.
  std::vector<double> u;
  for (int i = 0; i < 100; ++i) u.push_back(i);
  const auto r = SizeCommitment(u, 0.3);
  EXPECT_NEAR(r.covered_on_demand, 30, 1.0);
  // Brute force over a fine grid agrees with the closed-form search.
  double best = 0;
  for (double k = 0; k <= 100; k += 0.25) {
    double cost = 0, od = 0;
    for (const double v : u) {
      cost += k * 0.7 + std::max(0.0, v - k);
      od += v;
    }
    best = std::max(best, od - cost);
  }
  EXPECT_NEAR(r.monthly_saving, best * 730 / 100, 1e-6);
  EXPECT_GT(r.coverage, 0.45);
  EXPECT_LT(r.utilization, 1.0);
  EXPECT_EQ(SizeCommitment({}, 0.3).hourly_commitment, 0);
  EXPECT_EQ(SizeCommitment(u, 1.5).hourly_commitment, 0);
}

}  // namespace
}  // namespace dai::cost
