// metrics.anomalies: scoring of range-query series for the explorer's overlay (pure part) and
// the procedure's answer without a Prometheus. The Prometheus path runs against a real
// Prometheus in tests/integration/anomaly_watch.test.mjs.
#include "modules/metrics/anomaly_overlay.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "registry/schema.h"

namespace dai::metrics {
namespace {

// A steady series with small deterministic noise, one point a minute, and a spike at `spike`.
MetricSeries Steady(int points, int spike, double spike_value) {
  MetricSeries s;
  s.labels = {{"__name__", "latency_seconds"}, {"job", "api"}};
  for (int i = 0; i < points; ++i) {
    const double noise = ((i * 7919) % 13) / 1000.0;
    s.points.push_back({FromUnixMillis((1'700'000'000LL + i * 60LL) * 1000),
                        i == spike ? spike_value : 0.2 + noise});
  }
  return s;
}

TEST(AnomalyOverlay, FlagsASpikeAfterWarmupAndReturnsOnlyTheRange) {
  const int kPoints = 400;
  const int kFromIdx = 200;
  const TimePoint from = FromUnixMillis((1'700'000'000LL + kFromIdx * 60LL) * 1000);
  Json out = ScoreOverlay({Steady(kPoints, 300, 5.0)}, from, OverlayOptions{});
  ASSERT_EQ(out["series"].size(), 1u);
  const Json& s = out["series"][0];
  EXPECT_EQ(s["metric"]["job"], "api");
  ASSERT_EQ(s["times"].size(), static_cast<size_t>(kPoints - kFromIdx));
  EXPECT_EQ(s["times"][0], 1'700'000'000LL + kFromIdx * 60LL);
  ASSERT_EQ(s["scores"].size(), s["times"].size());
  ASSERT_EQ(s["values"].size(), s["times"].size());
  ASSERT_GE(s["anomalies"].size(), 1u);
  EXPECT_EQ(s["anomalies"][0]["t"], 1'700'000'000LL + 300 * 60LL);
  EXPECT_DOUBLE_EQ(s["anomalies"][0]["value"].get<double>(), 5.0);
  EXPECT_GE(s["anomalies"][0]["score"].get<double>(), 0.5);
  EXPECT_GE(s["maxScore"].get<double>(), 0.5);
  // Every listed anomaly is at or above the threshold; the steady part before the spike is not.
  for (const auto& a : s["anomalies"]) EXPECT_GE(a["score"].get<double>(), 0.5);
  for (size_t i = 0; i < 100; ++i) EXPECT_LT(s["scores"][i].get<double>(), 0.5) << i;
  EXPECT_EQ(out["truncated"], false);
}

TEST(AnomalyOverlay, ScoringIsCausalSoLaterPointsDoNotChangeEarlierScores) {
  const TimePoint from = FromUnixMillis(1'700'000'000LL * 1000);
  Json short_run = ScoreOverlay({Steady(250, -1, 0)}, from, OverlayOptions{});
  Json long_run = ScoreOverlay({Steady(400, 300, 9.0)}, from, OverlayOptions{});
  for (size_t i = 0; i < 250; ++i) {
    EXPECT_EQ(short_run["series"][0]["scores"][i], long_run["series"][0]["scores"][i]) << i;
  }
}

TEST(AnomalyOverlay, NonFiniteValuesAreNullAndNeverAnomalies) {
  MetricSeries s = Steady(300, -1, 0);
  s.points[250].value = std::numeric_limits<double>::quiet_NaN();
  s.points[260].value = std::numeric_limits<double>::infinity();
  Json out = ScoreOverlay({s}, s.points[240].time, OverlayOptions{});
  const Json& r = out["series"][0];
  EXPECT_TRUE(r["values"][10].is_null());
  EXPECT_TRUE(r["values"][20].is_null());
  EXPECT_EQ(r["scores"][10].get<double>(), 0.0);
  for (const auto& a : r["anomalies"]) EXPECT_TRUE(std::isfinite(a["value"].get<double>()));
}

TEST(AnomalyOverlay, UnorderedPointsAreScoredInTimeOrder) {
  MetricSeries s = Steady(300, 280, 7.0);
  MetricSeries reversed = s;
  std::reverse(reversed.points.begin(), reversed.points.end());
  const TimePoint from = s.points[200].time;
  EXPECT_EQ(ScoreOverlay({s}, from, OverlayOptions{}),
            ScoreOverlay({reversed}, from, OverlayOptions{}));
}

TEST(AnomalyOverlay, CapsTheNumberOfSeriesAndSaysSo) {
  std::vector<MetricSeries> many(5, Steady(10, -1, 0));
  OverlayOptions options;
  options.max_series = 3;
  Json out = ScoreOverlay(many, FromUnixMillis(0), options);
  EXPECT_EQ(out["series"].size(), 3u);
  EXPECT_EQ(out["truncated"], true);
  options.threshold = 0.99;
  EXPECT_EQ(ScoreOverlay({}, FromUnixMillis(0), options)["series"].size(), 0u);
}

TEST(AnomalyOverlay, ProcedureWithoutPrometheusNamesTheSetting) {
  ProcedureRegistry registry;
  RegisterAnomalyOverlay(registry, nullptr);
  const Procedure* p = registry.Find("metrics.anomalies");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->kind, ProcedureKind::kQuery);
  EXPECT_TRUE(p->may_block);
  CallContext ctx;
  auto r = p->handler(Json{{"query", "up"},
                           {"start", "2026-01-01T00:00:00Z"},
                           {"end", "2026-01-01T01:00:00Z"},
                           {"step", 15}},
                      ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("--prometheus-url"), std::string::npos);
  // The input schema refuses a missing step, naming it.
  auto bad = schema::Validate(
      p->input_schema,
      Json{{"query", "up"}, {"start", "2026-01-01T00:00:00Z"}, {"end", "2026-01-01T01:00:00Z"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.ToString().find("step"), std::string::npos) << bad.ToString();
}

}  // namespace
}  // namespace dai::metrics
