#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

#include "engines/cost/cost_anomaly.h"
#include "engines/cost/opencost.h"
#include "engines/cost/utilization.h"

namespace dai::cost {
namespace {

TEST(SummarizeSamples, AverageP95MaxSkipNonFinite) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  v.push_back(NAN);
  v.push_back(INFINITY);
  const auto s = SummarizeSamples(v);
  EXPECT_EQ(s.count, 100);
  EXPECT_DOUBLE_EQ(s.avg, 50.5);
  EXPECT_DOUBLE_EQ(s.p95, 95);
  EXPECT_DOUBLE_EQ(s.max, 100);
  EXPECT_EQ(SummarizeSamples({}).count, 0);
  const auto one = SummarizeSamples({3.5});
  EXPECT_DOUBLE_EQ(one.p95, 3.5);
}

TEST(WorkloadOfPod, DeploymentStatefulSetDaemonSetAndPlainNames) {
  EXPECT_EQ(WorkloadOfPod("checkout-7d9f8c6b5d-x2x9z"), "checkout");
  EXPECT_EQ(WorkloadOfPod("payments-api-5f6d7b8c9-abcde"), "payments-api");
  EXPECT_EQ(WorkloadOfPod("db-0"), "db");
  EXPECT_EQ(WorkloadOfPod("fluentd-7xk2p"), "fluentd");
  EXPECT_EQ(WorkloadOfPod("standalone"), "standalone");
  EXPECT_EQ(WorkloadOfPod("my-Pod-ABCDE"), "my-Pod-ABCDE");
  EXPECT_EQ(WorkloadOfPod("-12345"), "-12345");
  EXPECT_EQ(WorkloadOfPod(""), "");
}

TEST(PriceModel, ContainerCostsTheLargerOfRequestAndUsage) {
  PriceSheet p;
  p.vcpu_hour = 0.04;
  p.gib_hour = 0.005;
  EXPECT_DOUBLE_EQ(HourlyCost(p, 2, 4 * kGiB), 0.08 + 0.02);
  // Request above usage: the request is paid for; usage above request: the usage.
  EXPECT_DOUBLE_EQ(AllocatedHourlyCost(p, 1.0, 0.2, 2 * kGiB, 1 * kGiB), 0.04 + 0.01);
  EXPECT_DOUBLE_EQ(AllocatedHourlyCost(p, 0.5, 1.5, 0, 3 * kGiB), 0.06 + 0.015);
  EXPECT_DOUBLE_EQ(AllocatedHourlyCost(p, NAN, -1, 0, 0), 0);
}

TEST(PriceModel, HostIdleIsAssetMinusAllocated) {
  PriceSheet p;
  p.vcpu_hour = 0.05;
  p.gib_hour = 0.01;
  const auto e = EstimateHost(p, 4, 8 * kGiB, 1, 2 * kGiB, 0.1);
  EXPECT_DOUBLE_EQ(e.asset_hourly, 0.2 + 0.08);
  EXPECT_DOUBLE_EQ(e.used_hourly, 0.05 + 0.02);
  EXPECT_DOUBLE_EQ(e.allocated_hourly, 0.1);
  EXPECT_NEAR(e.idle_hourly, 0.18, 1e-12);
  // Over-allocated: idle is never negative.
  EXPECT_DOUBLE_EQ(EstimateHost(p, 1, kGiB, 1, kGiB, 5).idle_hourly, 0);
}

constexpr int64_t kSecPerDay = 86400;
constexpr int64_t kJune1 = 1717200000 / kSecPerDay * kSecPerDay;  // 2024-06-01

DailySpend NoisySeries(const std::string& key, int days, double level, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, level * 0.03);
  DailySpend s{key, kJune1, {}};
  for (int d = 0; d < days; ++d) {
    const bool weekend = (d % 7) >= 5;
    s.costs.push_back(level * (weekend ? 0.8 : 1.0) + noise(rng));
  }
  return s;
}

TEST(CostAnomalies, SeededSpikeIsFoundOnItsDayOnly) {
  std::vector<DailySpend> series = {NoisySeries("AmazonEC2", 60, 500, 7),
                                    NoisySeries("AmazonS3", 60, 80, 11)};
  series[0].costs[50] *= 2.5;  // the spike
  const auto found = FindCostAnomalies(series, CostAnomalyOptions{});
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].key, "AmazonEC2");
  EXPECT_EQ(found[0].day, kJune1 + 50 * kSecPerDay);
  EXPECT_GE(found[0].score, 0.8);
  EXPECT_NEAR(found[0].expected, 500, 120);
  for (const auto& a : found) {
    EXPECT_EQ(a.key, "AmazonEC2") << "false positive on " << a.key << " day " << a.day;
    EXPECT_EQ(a.day, kJune1 + 50 * kSecPerDay);
  }
}

TEST(CostAnomalies, CausalJudgeFromAndDropsAreNotReported) {
  std::vector<DailySpend> series = {NoisySeries("svc", 60, 300, 3)};
  series[0].costs[40] *= 3;
  series[0].costs[50] = 1.5;  // a drop is not a cost anomaly
  CostAnomalyOptions o;
  // Appending later days does not change what an earlier day scored (causal).
  auto shorter = series;
  shorter[0].costs.resize(45);
  const auto a = FindCostAnomalies(series, o);
  const auto b = FindCostAnomalies(shorter, o);
  ASSERT_FALSE(b.empty());
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a[0].day, b[0].day);
  EXPECT_DOUBLE_EQ(a[0].score, b[0].score);
  for (const auto& x : a) EXPECT_NE(x.day, kJune1 + 50 * kSecPerDay);
  o.judge_from = kJune1 + 41 * kSecPerDay;
  EXPECT_TRUE(FindCostAnomalies(series, o).empty());
  // Under the warm-up nothing is scored.
  std::vector<DailySpend> young = {NoisySeries("new", 10, 300, 5)};
  young[0].costs[9] *= 4;
  EXPECT_TRUE(FindCostAnomalies(young, CostAnomalyOptions{}).empty());
}

}  // namespace
}  // namespace dai::cost

namespace dai::cost {
namespace {

TEST(OpenCost, ParsesTheDocumentedAnswer) {
  auto a = ParseOpenCostAllocations(
      R"({"code":200,"data":[{"shop":{"name":"shop","properties":{"cluster":"c1",)"
      R"("namespace":"shop"},"window":{"start":"2026-11-27T00:00:00Z","end":)"
      R"("2026-11-28T00:00:00Z"},"cpuCost":1.5,"ramCost":0.4,"pvCost":0.1,"totalCost":2.0},)"
      R"("__idle__":{"name":"__idle__","window":{"start":"2026-11-27T00:00:00Z","end":)"
      R"("2026-11-28T00:00:00Z"},"cpuCost":0.3,"ramCost":0.1}},null]})");
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(a->size(), 2u);
  const auto& idle = (*a)[0].name == "__idle__" ? (*a)[0] : (*a)[1];
  const auto& shop = (*a)[0].name == "shop" ? (*a)[0] : (*a)[1];
  EXPECT_EQ(shop.ns, "shop");
  EXPECT_EQ(shop.cluster, "c1");
  EXPECT_DOUBLE_EQ(shop.total, 2.0);
  EXPECT_EQ(shop.end - shop.start, 86400);
  EXPECT_EQ(idle.ns, "");             // idle belongs to no namespace
  EXPECT_DOUBLE_EQ(idle.total, 0.4);  // no totalCost: the sum of the parts
}

TEST(OpenCost, RefusesOtherShapesNamingTheField) {
  auto bad = ParseOpenCostAllocations(
      R"({"code":200,"data":[{"shop":{"window":{"start":"2026-11-27T00:00:00Z","end":)"
      R"("2026-11-28T00:00:00Z"},"cpuCost":"lots"}}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "OpenCost answer: data[0][\"shop\"].cpuCost: expected a number");
  EXPECT_EQ(ParseOpenCostAllocations(R"({"code":500,"message":"boom"})").status().code(),
            StatusCode::kUnavailable);
  EXPECT_NE(ParseOpenCostAllocations(R"({"data":[{"x":{"window":{}}}]})")
                .status()
                .message()
                .find("data[0][\"x\"].window"),
            std::string::npos);
  EXPECT_FALSE(ParseOpenCostAllocations("[").ok());
  EXPECT_FALSE(ParseOpenCostAllocations(R"({"data":{}})").ok());
  EXPECT_TRUE(ParseOpenCostAllocations(R"({"code":200,"data":[]})")->empty());
}

}  // namespace
}  // namespace dai::cost
