// Healing rule evaluation (issue #5): signals per second matched and decided against 10,000
// rules (healing::Decide over a RuleIndex), beside the anchor measured in the same run on the
// same signal stream: decoding each signal from its Alertmanager webhook JSON
// (alerts::DecodeAlertmanagerWebhook), the work every signal costs before any rule sees it.
// Rules: 10,000 alert rules, each with an alertname equality matcher (1,000 distinct names,
// 10 rules per name differing in a job matcher, one in ten with a regex matcher on instance).
// Signals: 1,000 alerts over those names and jobs (seeded), with a history of 200 past actions.
// Items processed = signals. Compare the two rows' items_per_second (the ratio is the cost of
// deciding relative to merely decoding).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "engines/alerts/alert.h"
#include "engines/healing/decision.h"

namespace {

namespace h = dai::healing;

const dai::TimePoint kNow = dai::FromUnixMillis(1'800'000'000'000);

const h::RuleIndex& Rules() {
  static const h::RuleIndex index = [] {
    std::vector<h::Rule> rules;
    rules.reserve(10000);
    for (int i = 0; i < 10000; ++i) {
      dai::Json matchers = {"alertname=\"Alert" + std::to_string(i / 10) + "\"",
                            "job=\"job" + std::to_string(i % 10) + "\""};
      if (i % 10 == 3) matchers.push_back("instance=~\"10\\\\.0\\\\..*\"");
      dai::Json spec = {{"name", "rule" + std::to_string(i)},
                        {"conditionType", "alert"},
                        {"conditionConfig", {{"matchers", matchers}}},
                        {"actionType", "restart_process"},
                        {"actionConfig", {{"target", "proc" + std::to_string(i % 50)}}},
                        {"requiresApproval", i % 2 == 0}};
      auto r = h::RuleFromSpec(spec);
      if (!r.ok()) std::abort();
      r->id = i + 1;
      rules.push_back(std::move(r).value());
    }
    return h::RuleIndex(std::move(rules));
  }();
  return index;
}

struct Stream {
  std::vector<h::Signal> signals;
  std::vector<std::string> bodies;
  h::History history;
};

const Stream& Signals() {
  static const Stream s = [] {
    Stream out;
    std::mt19937_64 rng(7);
    for (int i = 0; i < 1000; ++i) {
      const int name = static_cast<int>(rng() % 1000);
      const int job = static_cast<int>(rng() % 10);
      h::Signal sig;
      sig.labels = {{"alertname", "Alert" + std::to_string(name)},
                    {"job", "job" + std::to_string(job)},
                    {"instance", "10.0." + std::to_string(i % 256) + ".1:9100"},
                    {"severity", "critical"}};
      out.signals.push_back(sig);
      out.bodies.push_back(
          R"({"version":"4","status":"firing","receiver":"r","groupKey":"{}:{}","alerts":[{"status":"firing","labels":{"alertname":")" +
          sig.labels["alertname"] + R"(","job":")" + sig.labels["job"] + R"(","instance":")" +
          sig.labels["instance"] +
          R"(","severity":"critical"},"annotations":{},"startsAt":"2026-11-28T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":""}]})");
    }
    for (int i = 0; i < 200; ++i) {
      out.history.records.push_back({static_cast<int64_t>(rng() % 10000 + 1),
                                     "proc" + std::to_string(rng() % 50),
                                     i % 3 == 0 ? h::Outcome::kFailed : h::Outcome::kSucceeded,
                                     kNow - std::chrono::seconds(rng() % 7200)});
    }
    return out;
  }();
  return s;
}

void BM_Decide10kRules(benchmark::State& state) {
  const auto& rules = Rules();
  const auto& stream = Signals();
  size_t idx = 0;
  size_t decisions = 0;
  for (auto _ : state) {
    auto d = h::Decide(rules, stream.signals[idx], stream.history, {}, kNow);
    decisions += d.size();
    benchmark::DoNotOptimize(d);
    idx = (idx + 1) % stream.signals.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["decisions_per_signal"] =
      static_cast<double>(decisions) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Decide10kRules);

void BM_AnchorDecodeWebhook(benchmark::State& state) {
  const auto& stream = Signals();
  size_t idx = 0;
  for (auto _ : state) {
    auto b = dai::alerts::DecodeAlertmanagerWebhook(stream.bodies[idx], kNow);
    benchmark::DoNotOptimize(b);
    idx = (idx + 1) % stream.bodies.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_AnchorDecodeWebhook);

}  // namespace

BENCHMARK_MAIN();
