#include "engines/cost/forecast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace dai::cost {
namespace {

// A series with a known generating process: level + trend + weekly pattern + N(0, sd^2).
std::vector<double> Synthetic(int n, double sd, uint64_t seed, double trend = 0.5) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, sd);
  std::vector<double> y;
  const double weekly[7] = {10, 12, 11, 13, 9, -25, -30};
  for (int t = 0; t < n; ++t) y.push_back(200 + trend * t + weekly[t % 7] + noise(rng));
  return y;
}

TEST(Forecast, RecoversTrendAndWeeklySeasonality) {
  const auto y = Synthetic(140, 2.0, 7);
  ForecastOptions o;
  o.horizon = 28;
  auto r = Forecast(y, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->model == ForecastModel::kTrendSeasonal || r->model == ForecastModel::kSeasonal)
      << ForecastModelName(r->model);
  const double weekly[7] = {10, 12, 11, 13, 9, -25, -30};
  for (int h = 1; h <= 28; ++h) {
    const int t = 140 + h - 1;
    const double truth = 200 + 0.5 * t + weekly[t % 7];
    EXPECT_NEAR(r->steps[static_cast<size_t>(h - 1)].mean, truth, 8.0) << "h=" << h;
  }
  EXPECT_NEAR(r->sigma, 2.0, 0.6);
  // The chosen model beats the seasonal-naive baseline on the hold-out (the trend moves it).
  EXPECT_LT(r->backtest_mape, r->seasonal_naive_mape);
  // Intervals are ordered and widen with the horizon.
  for (const auto& s : r->steps) {
    EXPECT_LT(s.lo95, s.lo80);
    EXPECT_LT(s.lo80, s.mean);
    EXPECT_LT(s.mean, s.hi80);
    EXPECT_LT(s.hi80, s.hi95);
  }
  EXPECT_GT(r->steps.back().hi95 - r->steps.back().lo95,
            r->steps.front().hi95 - r->steps.front().lo95);
}

TEST(Forecast, IntervalsCoverAtTheirNominalRate) {
  // Over many independent series from the same process, the 80% and 95% intervals of the
  // daily values and of the horizon total must contain the truth about that often.
  int inside80 = 0, inside95 = 0, total_inside95 = 0, points = 0, totals = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    const auto full = Synthetic(112 + 14, 5.0, seed * 7919);
    const std::vector<double> history(full.begin(), full.begin() + 112);
    ForecastOptions o;
    o.horizon = 14;
    o.simulations = 1000;
    o.seed = seed;
    auto r = Forecast(history, o);
    ASSERT_TRUE(r.ok());
    double future_total = 0;
    for (int h = 0; h < 14; ++h) {
      const double actual = full[static_cast<size_t>(112 + h)];
      future_total += actual;
      const auto& s = r->steps[static_cast<size_t>(h)];
      inside80 += actual >= s.lo80 && actual <= s.hi80;
      inside95 += actual >= s.lo95 && actual <= s.hi95;
      ++points;
    }
    total_inside95 += future_total >= r->total.lo95 && future_total <= r->total.hi95;
    ++totals;
  }
  const double c80 = static_cast<double>(inside80) / points;
  const double c95 = static_cast<double>(inside95) / points;
  EXPECT_GT(c80, 0.70);
  EXPECT_LT(c80, 0.90);
  EXPECT_GT(c95, 0.88);
  EXPECT_LE(c95, 0.995);
  EXPECT_GE(static_cast<double>(total_inside95) / totals, 0.83);
}

TEST(Forecast, FlatSeriesWithoutSeasonPrefersLevel) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> y;
  for (int t = 0; t < 60; ++t) y.push_back(50 + noise(rng));
  ForecastOptions o;
  o.horizon = 10;
  auto r = Forecast(y, o);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->steps[9].mean, 50, 2.0);
  EXPECT_NEAR(r->total.mean, 500, 15);
  EXPECT_GT(r->total.hi95, r->total.mean);
}

TEST(Forecast, ShortHistoryStillForecastsAndBadInputIsNamed) {
  auto r = Forecast({1, 2, 3}, ForecastOptions{.horizon = 2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->steps.size(), 2u);
  EXPECT_EQ(Forecast({1, 2}, {}).status().message(),
            "history: at least 3 points are needed, got 2");
  EXPECT_EQ(Forecast({1, NAN, 3, 4}, {}).status().message(), "history[1] is not a finite number");
  EXPECT_FALSE(Forecast({1, 2, 3}, ForecastOptions{.horizon = 0}).ok());
}

TEST(Forecast, DeterministicForASeed) {
  const auto y = Synthetic(60, 3.0, 11);
  auto a = Forecast(y, ForecastOptions{.horizon = 7, .seed = 5});
  auto b = Forecast(y, ForecastOptions{.horizon = 7, .seed = 5});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->total.hi95, b->total.hi95);
}

TEST(Mape, SkipsZeroActuals) {
  EXPECT_DOUBLE_EQ(Mape({100, 0, 200}, {110, 5, 180}), 10.0);
  EXPECT_TRUE(std::isnan(Mape({0, 0}, {1, 1})));
}

}  // namespace
}  // namespace dai::cost
