#include "engines/rca/root_cause_ranker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace dai::rca {
namespace {

constexpr int64_t kStep = 15;
constexpr int64_t kStart = 1'700'000'000;
constexpr int kPoints = 4 * 240;                  // 4 hours
constexpr int64_t kIncident = kStart + 3 * 3600;  // 3 h of history, 1 h after

//! Builds synthetic incidents: Gaussian noise around a level, plus step or ramp faults.
class Builder {
 public:
  explicit Builder(uint32_t seed) : rng_(seed) {}

  Builder& AddService(const std::string& name) {
    in_.services.push_back({name, "api"});
    return *this;
  }
  Builder& Call(const std::string& from, const std::string& to) {
    in_.calls.push_back({from, to});
    return *this;
  }
  //! A series with noise `sd` around `level`; from `fault_at` on, `shift` is added
  //! (ramping over `ramp_s` seconds).
  Builder& AddSeries(const std::string& service, const std::string& metric, double level, double sd,
                     int64_t fault_at = 0, double shift = 0, int64_t ramp_s = 0) {
    Series s{service, metric, kStart, kStep, {}};
    std::normal_distribution<double> noise(0, sd);
    for (int i = 0; i < kPoints; ++i) {
      int64_t t = kStart + i * kStep;
      double v = level + noise(rng_);
      if (fault_at != 0 && t >= fault_at) {
        double frac = ramp_s > 0 ? std::min(1.0, static_cast<double>(t - fault_at) / ramp_s) : 1.0;
        v += shift * frac;
      }
      s.values.push_back(v);
    }
    in_.series.push_back(std::move(s));
    return *this;
  }
  //! Heavy noise: occasional large spikes of a few points.
  Builder& AddSpikySeries(const std::string& service, const std::string& metric, double level) {
    Series s{service, metric, kStart, kStep, {}};
    std::normal_distribution<double> noise(0, level * 0.05);
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = 0; i < kPoints; ++i) {
      double v = level + noise(rng_);
      if (u(rng_) < 0.05) v += level * 3;
      s.values.push_back(v);
    }
    in_.series.push_back(std::move(s));
    return *this;
  }
  Builder& AddAlert(const std::string& service, const std::string& name, int64_t at) {
    in_.alerts.push_back({service, name, "critical", at});
    return *this;
  }
  Builder& AddChange(const std::string& service, const std::string& kind, int64_t at) {
    in_.changes.push_back({service, kind, at});
    return *this;
  }
  RcaInput Build() {
    in_.incident_start = kIncident;
    return in_;
  }

 private:
  std::mt19937 rng_;
  RcaInput in_;
};

//! A → B → C, fault at C's latency; it propagates to B then A, each a little later.
Builder Chain(uint32_t seed) {
  Builder b(seed);
  b.AddService("A").AddService("B").AddService("C").Call("A", "B").Call("B", "C");
  const int64_t fault = kIncident - 180;
  b.AddSeries("C", "latency_p99_ms", 20, 2, fault, 200)
      .AddSeries("B", "latency_p99_ms", 40, 3, fault + 30, 210)
      .AddSeries("A", "latency_p99_ms", 80, 5, fault + 60, 230);
  for (const char* s : {"A", "B", "C"}) b.AddSeries(s, "cpu_usage", 1, 0.05);
  return b;
}

size_t RankOf(const RcaResult& r, const std::string& service) {
  for (size_t i = 0; i < r.ranking.size(); ++i) {
    if (r.ranking[i].service == service) return i;
  }
  return r.ranking.size();
}

TEST(RootCauseRankerTest, ChainFaultAtTheCalleeRanksItFirst) {
  auto r = RankRootCauses(Chain(1).Build());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->ranking.size(), 3u);
  EXPECT_EQ(r->ranking[0].service, "C");
  const Candidate& c = r->ranking[0];
  EXPECT_TRUE(c.anomalous_callees.empty());
  EXPECT_EQ(c.anomalous_callers.size(), 2u);
  ASSERT_FALSE(c.series.empty());
  EXPECT_EQ(c.series[0].metric, "latency_p99_ms");
  EXPECT_NEAR(static_cast<double>(c.onset), static_cast<double>(kIncident - 180), 60);
  EXPECT_GT(c.confidence, r->ranking[1].confidence);
  EXPECT_NE(c.explanation.find("none of its dependencies deviated"), std::string::npos)
      << c.explanation;
  // B and A are symptoms: each has an anomalous dependency that deviated first.
  EXPECT_EQ(r->ranking[1].anomalous_callees.size(), 1u);
}

TEST(RootCauseRankerTest, LoudAlertAtTheEntryIsNotTheRoot) {
  auto in = Chain(2).AddAlert("A", "SLOErrorBudgetBurn", kIncident).Build();
  auto r = RankRootCauses(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ranking[0].service, "C");
  EXPECT_GT(RankOf(*r, "A"), 0u);
  EXPECT_FALSE(r->ranking[RankOf(*r, "A")].anomalous_callees.empty());
}

TEST(RootCauseRankerTest, InnocentDeployWithoutAnomalyDoesNotRise) {
  Builder b = Chain(3);
  b.AddService("D").Call("A", "D").AddSeries("D", "latency_p99_ms", 10, 1);
  b.AddChange("D", "deploy", kIncident - 10 * 60);
  auto r = RankRootCauses(b.Build());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ranking[0].service, "C");
  EXPECT_EQ(RankOf(*r, "D"), 3u);
  EXPECT_TRUE(r->ranking[3].changes.empty());
}

TEST(RootCauseRankerTest, DeployBeforeTheOnsetIsEvidence) {
  Builder b(4);
  b.AddService("A").AddService("B").AddService("C").Call("A", "B").Call("A", "C");
  const int64_t fault = kIncident - 120;
  // B and C both go bad at the same time with similar strength; only B was just deployed.
  b.AddSeries("B", "error_rate", 0.01, 0.001, fault, 0.05)
      .AddSeries("C", "error_rate", 0.01, 0.001, fault, 0.05)
      .AddSeries("A", "error_rate", 0.01, 0.001, fault + 30, 0.05)
      .AddChange("B", "deploy", fault - 60);
  auto r = RankRootCauses(b.Build());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ranking[0].service, "B");
  ASSERT_FALSE(r->ranking[0].changes.empty());
  EXPECT_NE(r->ranking[0].changes[0].find("deploy"), std::string::npos);
}

TEST(RootCauseRankerTest, NoisyUnrelatedServiceDoesNotWin) {
  Builder b = Chain(5);
  b.AddService("N").AddSpikySeries("N", "latency_p99_ms", 50).AddSpikySeries("N", "cpu_usage", 2);
  auto r = RankRootCauses(b.Build());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ranking[0].service, "C");
  EXPECT_EQ(r->ranking[RankOf(*r, "N")].onset, 0) << "single spikes are not a held deviation";
}

TEST(RootCauseRankerTest, MemoryLeakRampIsFoundEarly) {
  Builder b(6);
  b.AddService("web").AddService("store").Call("web", "store");
  b.AddSeries("store", "memory_bytes", 1e9, 1e7, kIncident - 40 * 60, 2e9, 40 * 60)
      .AddSeries("web", "latency_p99_ms", 100, 5, kIncident - 60, 300)
      .AddSeries("store", "latency_p99_ms", 10, 1)
      .AddAlert("web", "SLOLatencyBurn", kIncident);
  auto r = RankRootCauses(b.Build());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ranking[0].service, "store");
  EXPECT_LT(r->ranking[0].onset, kIncident - 10 * 60);
}

TEST(RootCauseRankerTest, DependencyWithUnobservedImpactIsAHiddenSharedCause) {
  // A and B both call C; C exports only CPU (calm), so its latency fault is invisible, yet A
  // and B turn slow together with no other anomalous dependency.
  Builder b(8);
  b.AddService("web").AddService("A").AddService("B").AddService("C");
  b.Call("web", "A").Call("web", "B").Call("A", "C").Call("B", "C");
  const int64_t fault = kIncident - 120;
  b.AddSeries("A", "latency_p99_ms", 30, 2, fault, 150)
      .AddSeries("B", "latency_p99_ms", 50, 3, fault + 15, 150)
      .AddSeries("web", "latency_p99_ms", 90, 5, fault + 45, 160)
      .AddSeries("C", "cpu_usage", 1, 0.05);
  auto r = RankRootCauses(b.Build());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ranking[0].service, "C");
  EXPECT_TRUE(r->ranking[0].hidden_cause);
  EXPECT_NE(r->ranking[0].explanation.find("hidden cause"), std::string::npos);

  // When C's latency is exported and calm, the shared-cause reading does not apply.
  b.AddSeries("C", "latency_p99_ms", 5, 0.3).AddSeries("C", "error_rate", 0.001, 0.0001);
  auto seen = RankRootCauses(b.Build());
  ASSERT_TRUE(seen.ok());
  EXPECT_NE(seen->ranking[0].service, "C");
  EXPECT_FALSE(seen->ranking[RankOf(*seen, "C")].hidden_cause);
}

TEST(RootCauseRankerTest, BlipThatEndedBeforeTheIncidentLosesToTheOngoingFault) {
  Builder b(9);
  b.AddService("web").AddService("X").AddService("Y").Call("web", "X").Call("web", "Y");
  // X had an error blip 20 minutes earlier that ended; Y's latency fault is ongoing.
  Series blip{"X", "error_rate", kStart, kStep, {}};
  std::mt19937 rng(9);
  std::normal_distribution<double> noise(0, 0.0002);
  for (int i = 0; i < kPoints; ++i) {
    int64_t t = kStart + i * kStep;
    bool on = t >= kIncident - 20 * 60 && t < kIncident - 16 * 60;
    blip.values.push_back(0.002 + noise(rng) + (on ? 0.05 : 0.0));
  }
  b.AddSeries("Y", "latency_p99_ms", 20, 1, kIncident - 90, 40)
      .AddSeries("web", "latency_p99_ms", 80, 4, kIncident - 60, 60);
  RcaInput in = b.Build();
  in.series.push_back(std::move(blip));
  auto r = RankRootCauses(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ranking[0].service, "Y");
}

TEST(RootCauseRankerTest, NothingAnomalousStillRanksEveryService) {
  Builder b(7);
  b.AddService("a").AddService("b").Call("a", "b");
  b.AddSeries("a", "cpu_usage", 1, 0.1).AddSeries("b", "cpu_usage", 1, 0.1);
  auto r = RankRootCauses(b.Build());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->ranking.size(), 2u);
  for (const Candidate& c : r->ranking) EXPECT_EQ(c.onset, 0);
}

TEST(RootCauseRankerTest, MalformedInputIsHandled) {
  RcaInput empty;
  auto r = RankRootCauses(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  RcaInput odd;
  odd.services.push_back({"a", ""});
  odd.calls.push_back({"a", "a"});                           // self-loop: ignored
  odd.calls.push_back({"a", "ghost"});                       // unknown callee: added
  odd.series.push_back({"a", "latency_p99_ms", 0, 15, {}});  // empty series
  odd.series.push_back({"a", "cpu_usage", 0, 15, {NAN, NAN, NAN}});
  odd.incident_start = 100;
  auto ok = RankRootCauses(odd);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->ranking.size(), 2u);

  odd.series.push_back({"a", "x", 0, 0, {1, 2}});
  auto bad = RankRootCauses(odd);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("step_seconds"), std::string::npos);
}

}  // namespace
}  // namespace dai::rca
