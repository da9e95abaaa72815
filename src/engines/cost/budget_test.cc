#include "engines/cost/budget.h"

#include <gtest/gtest.h>

namespace dai::cost {
namespace {

constexpr int64_t kStart = 1725148800;  // 2024-09-01
constexpr int64_t kEnd = kStart + 30 * 86400;

TEST(EvaluateBudget, OnTrackIsOk) {
  const auto ev = EvaluateBudget(
      {1000, {50, 80, 100}, kStart, kEnd},
      {.actual = 300, .forecast = 950, .forecast_high = 990, .now = kStart + 10 * 86400});
  EXPECT_EQ(ev.status, BudgetStatus::kOk);
  EXPECT_NEAR(ev.burn_rate, 0.9, 1e-9);
  EXPECT_NEAR(ev.forecast_percent, 95, 1e-9);
  ASSERT_EQ(ev.crossings.size(), 2u);  // forecast crossed 50 and 80
  EXPECT_EQ(ev.crossings[0].kind, "forecast");
  EXPECT_EQ(ev.projected_exhaustion, 0);
}

TEST(EvaluateBudget, BurnRateWarnsAndProjectsExhaustion) {
  const auto ev = EvaluateBudget(
      {1000, {80, 100}, kStart, kEnd},
      {.actual = 500, .forecast = 1500, .forecast_high = 1600, .now = kStart + 10 * 86400});
  EXPECT_EQ(ev.status, BudgetStatus::kWarning);
  EXPECT_NEAR(ev.burn_rate, 1.5, 1e-9);
  EXPECT_EQ(ev.projected_exhaustion, kStart + 20 * 86400);  // 50/day from 500 left
  bool burn = false;
  for (const auto& c : ev.crossings) burn |= c.kind == "burn_rate";
  EXPECT_TRUE(burn);
}

TEST(EvaluateBudget, ExceededAndOncePerCrossing) {
  const BudgetSpec spec{100, {80, 100}, kStart, kEnd};
  const auto first = EvaluateBudget(
      spec, {.actual = 85, .forecast = 90, .forecast_high = 95, .now = kStart + 25 * 86400});
  EXPECT_EQ(first.status, BudgetStatus::kWarning);
  auto fresh = NewCrossings(first, {});
  std::set<std::string> notified;
  for (const auto& c : fresh) notified.insert(c.key);
  EXPECT_EQ(fresh.size(), 2u);  // actual 80, forecast 80
  const auto second = EvaluateBudget(
      spec, {.actual = 101, .forecast = 110, .forecast_high = 115, .now = kStart + 27 * 86400});
  EXPECT_EQ(second.status, BudgetStatus::kExceeded);
  const auto again = NewCrossings(second, notified);
  ASSERT_EQ(again.size(), 2u);  // only the 100% crossings are new
  for (const auto& c : again) EXPECT_EQ(c.threshold, 100);
  // A new period has new keys.
  const auto next =
      EvaluateBudget({100, {80, 100}, kEnd, kEnd + 30 * 86400},
                     {.actual = 85, .forecast = 90, .forecast_high = 95, .now = kEnd + 25 * 86400});
  EXPECT_EQ(NewCrossings(next, notified).size(), 2u);
}

TEST(EvaluateBudget, EarlyBurnIsNotAnAlert) {
  const auto ev =
      EvaluateBudget({1000, {80}, kStart, kEnd},
                     {.actual = 50, .forecast = 0, .forecast_high = 0, .now = kStart + 86400});
  EXPECT_GT(ev.burn_rate, 1.2);
  EXPECT_EQ(ev.status, BudgetStatus::kOk);
  EXPECT_TRUE(ev.crossings.empty());
}

}  // namespace
}  // namespace dai::cost
