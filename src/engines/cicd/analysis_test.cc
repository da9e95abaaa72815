#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "core/json.h"
#include "engines/cicd/canary.h"
#include "engines/cicd/failure_model.h"
#include "engines/cicd/junit.h"
#include "engines/cicd/release_notes.h"
#include "engines/cicd/test_intel.h"

namespace dai::cicd {
namespace {

namespace fs = std::filesystem;

Step S(std::string name, std::vector<std::string> argv) {
  Step s;
  s.name = std::move(name);
  s.argv = std::move(argv);
  return s;
}

Job J(std::string id, std::vector<std::string> needs, std::vector<Step> steps) {
  Job j;
  j.id = std::move(id);
  j.needs = std::move(needs);
  j.steps = std::move(steps);
  return j;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Junit, CountsMatchSharedSummary) {
  fs::path root = fs::path(DAI_SHARED_DATA) / "ci/junit";
  if (!fs::exists(root / "summary.json")) GTEST_SKIP() << "shared data absent: " << root;
  auto summary = ParseJson(ReadFile(root / "summary.json"));
  ASSERT_TRUE(summary.ok());
  int files = 0;
  for (const auto& [rel, expect] : (*summary)["files"].items()) {
    auto report = ParseJunitXml(ReadFile(root / rel));
    ASSERT_TRUE(report.ok()) << rel << ": " << report.status().ToString();
    int failed = 0, error_only = 0, skipped = 0, passed = 0;
    for (const auto& c : report->cases) {
      failed += c.outcome == TestOutcome::kFailed;
      error_only += c.outcome == TestOutcome::kError;
      skipped += c.outcome == TestOutcome::kSkipped;
      passed += c.outcome == TestOutcome::kPassed;
    }
    EXPECT_EQ(static_cast<int>(report->cases.size()), expect["testcases"].get<int>()) << rel;
    EXPECT_EQ(failed, expect["with_failure"].get<int>()) << rel;
    EXPECT_EQ(error_only, expect["with_error_only"].get<int>()) << rel;
    EXPECT_EQ(skipped, expect["skipped"].get<int>()) << rel;
    EXPECT_EQ(passed, expect["passed"].get<int>()) << rel;
    ++files;
  }
  EXPECT_GT(files, 15);
}

TEST(Junit, BadInputIsNamed) {
  EXPECT_EQ(ParseJunitXml("<testsuite><testcase").status().code(), StatusCode::kParseError);
  EXPECT_EQ(ParseJunitXml("<html/>").status().code(), StatusCode::kInvalidArgument);
  // Entities are never expanded from a DTD (no billion laughs, no external fetch).
  auto r = ParseJunitXml(
      "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]><testsuite><testcase "
      "name=\"t\">"
      "<failure message=\"&b;\"/></testcase></testsuite>");
  ASSERT_TRUE(r.ok());
  EXPECT_LT(r->cases[0].message.size(), 10u);
  auto t = ParseJunitXml(R"(<testsuites><testsuite name="S"><testcase name="a" time="1.5"/>
      <testcase name="b" classname="C"><error message="boom"/></testcase></testsuite></testsuites>)");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->cases[0].suite, "S");
  EXPECT_DOUBLE_EQ(t->cases[0].duration_ms, 1500);
  EXPECT_EQ(t->cases[1].suite, "C");
  EXPECT_EQ(t->cases[1].message, "boom");
}

TEST(Flakiness, MixedOnCommitAndFlipRate) {
  std::vector<TestObservation> h;
  for (int i = 0; i < 20; ++i) {
    h.push_back({"stable", "c" + std::to_string(i), i, TestOutcome::kPassed, 10});
    h.push_back({"flipper", "c" + std::to_string(i), i,
                 i % 2 ? TestOutcome::kFailed : TestOutcome::kPassed, 10});
    // Broken once for a stretch: fails on commits 5..9, consistently, then fixed.
    h.push_back({"broke", "c" + std::to_string(i), i,
                 i >= 5 && i < 10 ? TestOutcome::kFailed : TestOutcome::kPassed, 10});
  }
  h.push_back({"retry", "x", 0, TestOutcome::kFailed, 5});
  h.push_back({"retry", "x", 1, TestOutcome::kPassed, 5});
  auto r = AnalyzeFlakiness(h);
  std::map<std::string, FlakinessReport> by;
  for (const auto& x : r) by[x.test] = x;
  EXPECT_FALSE(by["stable"].is_flaky);
  EXPECT_TRUE(by["flipper"].is_flaky);
  EXPECT_NEAR(by["flipper"].flip_rate, 1.0, 1e-9);
  EXPECT_FALSE(by["broke"].is_flaky) << "a real breakage then a fix flips twice in 19";
  EXPECT_TRUE(by["retry"].is_flaky);
  EXPECT_TRUE(by["retry"].mixed_on_commit);
}

// Synthetic history with known structure: each module's tests fail when that module changes
// with a bug; a selection that learns co-failure should beat a random subset of equal cost.
std::vector<RunRecord> SyntheticHistory(uint64_t seed, int runs) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const int kModules = 20, kTestsPerModule = 5;
  std::vector<RunRecord> out;
  for (int r = 0; r < runs; ++r) {
    RunRecord run;
    int m = static_cast<int>(u(rng) * kModules);
    run.changed_files.push_back("src/m" + std::to_string(m) + "/impl.cc");
    if (u(rng) < 0.3) run.changed_files.push_back("README.md");
    for (int mm = 0; mm < kModules; ++mm)
      for (int t = 0; t < kTestsPerModule; ++t) {
        std::string name = "m" + std::to_string(mm) + "::t" + std::to_string(t);
        run.test_duration_ms[name] = 100 + 50 * t;
        run.test_file[name] =
            "tests/m" + std::to_string(mm) + "/t" + std::to_string(t) + "_test.cc";
      }
    if (u(rng) < 0.25) {  // a seeded fault in the changed module breaks one or two of its tests
      int t = static_cast<int>(u(rng) * kTestsPerModule);
      run.failed_tests.push_back("m" + std::to_string(m) + "::t" + std::to_string(t));
    }
    if (u(rng) < 0.05) run.failed_tests.push_back("m0::t0");  // background noise
    out.push_back(std::move(run));
  }
  return out;
}

TEST(Selection, BeatsRandomAtEqualCostOnSyntheticHistory) {
  auto runs = SyntheticHistory(7, 300);
  auto ev = EvaluateSelection(runs, 0.1, 30, 11);
  EXPECT_GT(ev.failing_runs, 40);
  EXPECT_LE(ev.time_share, 0.1 + 1e-9);
  EXPECT_GT(ev.caught_selected, ev.caught_random + 0.3)
      << "selected " << ev.caught_selected << " random " << ev.caught_random;
  // Budget 0 means everything, ranked: the changed module's tests come first.
  auto all = SelectTests(runs, {"src/m3/impl.cc"}, 0);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0].test.substr(0, 4), "m3::");
}

TEST(Selection, ReasonsBudgetAndDensity) {
  std::vector<RunRecord> h;
  auto run = [](std::vector<std::string> files, std::vector<std::string> failed) {
    RunRecord r;
    r.changed_files = std::move(files);
    r.test_duration_ms = {{"a::hit", 100}, {"b::slow", 5000}, {"c::never", 50}, {"d::cheap", 10}};
    r.test_file = {{"a::hit", "test/a/hit.test.js"},
                   {"b::slow", "test/b/slow.test.js"},
                   {"c::never", "test/c/never.test.js"},
                   {"d::cheap", "test/d/cheap.test.js"}};
    r.failed_tests = std::move(failed);
    return r;
  };
  h.push_back(run({"src/a.js"}, {"a::hit"}));
  h.push_back(run({"src/a.js"}, {"a::hit", "b::slow"}));
  h.push_back(run({"src/a.js"}, {}));
  h.push_back(run({"src/other.js"}, {"d::cheap"}));
  h.push_back(run({"src/a.js"}, {"a::hit", "b::slow"}));
  auto ranked = RankTests(h, {"src/a.js"}, 0);
  ASSERT_EQ(ranked.size(), 4u);
  EXPECT_EQ(ranked[0].test, "a::hit");
  ASSERT_FALSE(ranked[0].reasons.empty());
  EXPECT_EQ(ranked[0].reasons[0].kind, "co-failure");
  EXPECT_EQ(ranked[0].reasons[0].text, "failed in 3 of 4 earlier runs that changed src/a.js");
  for (const auto& t : ranked) {
    EXPECT_TRUE(t.selected) << "no budget selects everything";
    EXPECT_GE(t.score, 0.0);
    EXPECT_LE(t.score, 1.0);
    if (t.test == "c::never") {
      EXPECT_EQ(t.score, 0.0);
      EXPECT_TRUE(t.reasons.empty());
    }
  }
  // 200 ms: a::hit (100) and d::cheap (10) fit; b::slow (5 s) scores high but does not fit;
  // c::never has no signal and is never picked.
  auto picked = SelectTests(h, {"src/a.js"}, 200);
  std::set<std::string> names;
  double spent = 0;
  for (const auto& t : picked) names.insert(t.test), spent += t.duration_ms;
  EXPECT_EQ(names, (std::set<std::string>{"a::hit", "d::cheap"}));
  EXPECT_LE(spent, 200.0);
  // A budget that fits b::slow alone or a::hit: density (score/ms) prefers a::hit.
  auto one = SelectTests(h, {"src/a.js"}, 5000);
  ASSERT_FALSE(one.empty());
  EXPECT_EQ(one[0].test, "a::hit");
  EXPECT_EQ(std::count_if(one.begin(), one.end(),
                          [](const SelectedTest& t) { return t.test == "b::slow"; }),
            0);
  // An unseen file: no co-failure, proximity from the test file's name still ranks a::hit.
  auto fresh = RankTests(h, {"src/a/hit.js"}, 0);
  ASSERT_FALSE(fresh.empty());
  bool prox = false;
  for (const auto& r : fresh[0].reasons) prox |= r.kind == "proximity";
  EXPECT_EQ(fresh[0].test, "a::hit");
  EXPECT_TRUE(prox);
}

TEST(Selection, RandomBaselinePerSeedAndMedian) {
  auto runs = SyntheticHistory(5, 120);
  auto ev = EvaluateSelection(runs, 0.2, 20, 100, 5);
  ASSERT_EQ(ev.caught_random_by_seed.size(), 5u);
  std::vector<double> v = ev.caught_random_by_seed;
  std::sort(v.begin(), v.end());
  EXPECT_DOUBLE_EQ(ev.caught_random, v[2]);
  EXPECT_EQ(ev.evaluated_runs, 100);
  EXPECT_GT(ev.caught_selected, ev.caught_random);
  // Same seed, same answer; another seed, other draws.
  auto again = EvaluateSelection(runs, 0.2, 20, 100, 5);
  EXPECT_EQ(again.caught_random_by_seed, ev.caught_random_by_seed);
}

TEST(FailureModel, HistoryFeaturesSeeOnlyTheEarlierRuns) {
  std::vector<ChangeRecord> runs(3);
  runs[0] = {{"src/a.cc"}, 10, "ann", 0, false, 0, true};
  runs[1] = {{"src/a.cc", "src/b.cc"}, 5, "ann", 2, false, 1, false};
  runs[2] = {{"src/b.cc"}, 1, "bob", 5, true, 0, false};
  auto f = HistoryFeatures(runs);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].file_failure_rate, 0.0) << "its own outcome is not known before it";
  EXPECT_EQ(f[0].author_failure_rate, 0.0);
  EXPECT_EQ(f[1].file_failure_rate, 1.0);
  EXPECT_EQ(f[1].author_failure_rate, 1.0);
  EXPECT_EQ(f[1].hours_since_green, 0.0) << "no green run yet";
  EXPECT_EQ(f[1].files_touched, 2.0);
  EXPECT_EQ(f[2].file_failure_rate, 0.0);
  EXPECT_EQ(f[2].author_failure_rate, 0.0);
  EXPECT_DOUBLE_EQ(f[2].hours_since_green, 3.0);
  EXPECT_EQ(f[2].dependency_change, 1.0);
}

TEST(FailureModel, TimeOrderedEvaluation) {
  // Failures come from fault-prone files: one of src/f0..f3 touched raises the risk a lot.
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<ChangeRecord> runs;
  for (int i = 0; i < 600; ++i) {
    ChangeRecord r;
    int n = 1 + static_cast<int>(u(rng) * 3);
    double p = 0.05;
    for (int k = 0; k < n; ++k) {
      int f = static_cast<int>(u(rng) * 20);
      r.files.push_back("src/f" + std::to_string(f) + ".cc");
      if (f < 4) p = 0.7;
    }
    r.lines_changed = 10;
    r.author = "a";
    r.time_hours = i;
    r.failed = u(rng) < p;
    runs.push_back(r);
  }
  auto ev = EvaluatePrediction(runs, 0.7);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->train_runs, 420);
  EXPECT_EQ(ev->test_runs, 180);
  EXPECT_GT(ev->auc, 0.75);
  double base = static_cast<double>(ev->test_failures) / ev->test_runs;
  EXPECT_GT(ev->precision, base + 0.2);
  EXPECT_GT(ev->recall, 0.3);
  // Outcomes unrelated to anything: chance.
  for (auto& r : runs) r.failed = u(rng) < 0.3;
  auto noise = EvaluatePrediction(runs, 0.7);
  ASSERT_TRUE(noise.ok());
  EXPECT_NEAR(noise->auc, 0.5, 0.12);
  std::vector<ChangeRecord> few(runs.begin(), runs.begin() + 8);
  EXPECT_FALSE(EvaluatePrediction(few, 0.7).ok());
}

TEST(FailureModel, HeldOutAucOnSyntheticHistoryAndChanceOnNoise) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<ChangeFeatures> x;
  std::vector<int> y, noise;
  std::vector<double> true_p;
  for (int i = 0; i < 3000; ++i) {
    ChangeFeatures f;
    f.files_touched = std::floor(1 + 20 * u(rng) * u(rng));
    f.lines_changed = std::floor(f.files_touched * 40 * u(rng));
    f.file_failure_rate = u(rng) * 0.5;
    f.author_failure_rate = u(rng) * 0.3;
    f.hours_since_green = 100 * u(rng) * u(rng);
    f.dependency_change = u(rng) < 0.1;
    f.test_files_touched = u(rng) < 0.4;
    double z = -3 + 0.5 * std::log1p(f.lines_changed) + 4 * f.file_failure_rate +
               1.5 * f.dependency_change;
    double p = 1 / (1 + std::exp(-z));
    true_p.push_back(p);
    x.push_back(f);
    y.push_back(u(rng) < p);
    noise.push_back(u(rng) < 0.2);
  }
  const size_t split = 2100;  // time-ordered: train on the past, evaluate on the future
  std::vector<ChangeFeatures> xtr(x.begin(), x.begin() + split), xte(x.begin() + split, x.end());
  std::vector<int> ytr(y.begin(), y.begin() + split), yte(y.begin() + split, y.end());
  auto model = FailureModel::Train(xtr, ytr);
  ASSERT_TRUE(model.ok());
  std::vector<double> scores, bayes(true_p.begin() + split, true_p.end());
  for (const auto& f : xte) scores.push_back(model->Predict(f).probability);
  double auc = Auc(scores, yte), best = Auc(bayes, yte);
  EXPECT_GT(auc, 0.65);
  EXPECT_GT(auc, best - 0.03) << "learned " << auc << " vs the generating model's " << best;
  auto p = model->Predict(xte[0]);
  EXPECT_LE(p.reasons.size(), 3u);
  // On labels unrelated to the features, held-out AUC must be near chance.
  std::vector<int> ntr(noise.begin(), noise.begin() + split),
      nte(noise.begin() + split, noise.end());
  auto noise_model = FailureModel::Train(xtr, ntr);
  ASSERT_TRUE(noise_model.ok());
  std::vector<double> ns;
  for (const auto& f : xte) ns.push_back(noise_model->Predict(f).probability);
  EXPECT_NEAR(Auc(ns, nte), 0.5, 0.07);
  EXPECT_FALSE(FailureModel::Train({}, {}).ok());
}

TEST(Metrics, AucAndPrecisionKnownValues) {
  EXPECT_DOUBLE_EQ(Auc({0.1, 0.2, 0.3, 0.4}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(Auc({0.4, 0.3, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(Auc({0.5, 0.5}, {0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(PrecisionAt({0.9, 0.8, 0.1}, {1, 0, 1}, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(RecallAt({0.9, 0.8, 0.1}, {1, 0, 1}, 0.5), 0.5);
}

TEST(Canary, MannWhitneyKnownValue) {
  // scipy.stats.mannwhitneyu([1..5],[6..10], method='asymptotic'): U=0, p=0.01219.
  auto r = MannWhitneyU({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->u, 0);
  EXPECT_NEAR(r->p_value, 0.01219, 2e-4);
  EXPECT_DOUBLE_EQ(r->hodges_lehmann, 5);
  auto same = MannWhitneyU({1, 1, 1}, {1, 1, 1});
  ASSERT_TRUE(same.ok());
  EXPECT_DOUBLE_EQ(same->p_value, 1);
  EXPECT_FALSE(MannWhitneyU({}, {1}).ok());
  EXPECT_FALSE(MannWhitneyU({NAN}, {1}).ok());
}

std::vector<double> Normal(std::mt19937_64& rng, double mean, double sd, int n) {
  std::normal_distribution<double> d(mean, sd);
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(d(rng));
  return v;
}

TEST(Canary, HealthyPassesDegradedFails) {
  std::mt19937_64 rng(5);
  CanaryConfig cfg;
  std::vector<CanaryMetric> healthy = {
      {"latency_p99", Normal(rng, 200, 20, 60), Normal(rng, 200, 20, 60), Direction::kIncrease, 2,
       false, 0.1},
      {"error_rate", Normal(rng, 0.01, 0.002, 60), Normal(rng, 0.01, 0.002, 60),
       Direction::kIncrease, 1, true, 0.2},
      {"throughput", Normal(rng, 500, 30, 60), Normal(rng, 500, 30, 60), Direction::kDecrease, 1,
       false, 0.1}};
  auto ok = JudgeCanary(healthy, cfg);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->decision, CanaryDecision::kPass) << ok->summary;
  auto degraded = healthy;
  degraded[0].canary = Normal(rng, 300, 20, 60);  // latency up 50%: High, harmful
  degraded[2].canary = Normal(rng, 650, 30, 60);  // throughput up: High, harmless
  auto bad = JudgeCanary(degraded, cfg);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->metrics[0].classification, MetricClass::kHigh);
  EXPECT_TRUE(bad->metrics[0].failed);
  EXPECT_EQ(bad->metrics[2].classification, MetricClass::kHigh);
  EXPECT_FALSE(bad->metrics[2].failed);
  EXPECT_NEAR(bad->score, 50, 1e-9);
  EXPECT_EQ(bad->decision, CanaryDecision::kFail);
  auto critical = healthy;
  critical[1].canary = Normal(rng, 0.05, 0.002, 60);
  auto crit = JudgeCanary(critical, cfg);
  ASSERT_TRUE(crit.ok());
  EXPECT_DOUBLE_EQ(crit->score, 0);
  // Too few samples: NODATA, never a silent pass.
  CanaryMetric tiny;
  tiny.name = "x";
  tiny.baseline = {1, 2};
  tiny.canary = {1, 2};
  auto few = JudgeCanary({tiny}, cfg);
  ASSERT_TRUE(few.ok());
  EXPECT_EQ(few->decision, CanaryDecision::kMarginal);
  EXPECT_EQ(few->metrics[0].classification, MetricClass::kNodata);
}

TEST(Canary, FalseAlarmRateNearAlpha) {
  std::mt19937_64 rng(9);
  CanaryConfig cfg;
  int flagged = 0;
  const int kTrials = 400;
  for (int i = 0; i < kTrials; ++i) {
    CanaryMetric m{
        "m", Normal(rng, 100, 10, 30), Normal(rng, 100, 10, 30), Direction::kEither, 1, false, 0.0};
    auto v = JudgeCanary({m}, cfg);
    ASSERT_TRUE(v.ok());
    flagged += v->metrics[0].failed;
  }
  double rate = static_cast<double>(flagged) / kTrials;
  EXPECT_GT(rate, 0.01);
  EXPECT_LT(rate, 0.09);
}

TEST(ReleaseNotes, ConventionalCommitsGrouped) {
  std::vector<CommitInfo> commits = {
      {"aaaaaaa1", "Ann", "feat(api): add pipelines endpoint (#12)"},
      {"bbbbbbb2", "Bob", "fix: crash on empty YAML\n\nCloses #30"},
      {"ccccccc3", "Ann",
       "refactor(core)!: drop the v1 config\n\nBREAKING CHANGE: config v1 is no longer read"},
      {"ddddddd4", "Cy", "Merge branch 'x'"},
      {"eeeeeee5", "Cy", "update readme"},
      {"fffffff6", "Bob", "feat!: new CLI"}};
  auto p = ParseConventionalCommit(commits[0]);
  EXPECT_TRUE(p.conventional);
  EXPECT_EQ(p.type, "feat");
  EXPECT_EQ(p.scope, "api");
  EXPECT_EQ(p.subject, "add pipelines endpoint (#12)");
  EXPECT_EQ(p.refs, std::vector<std::string>{"#12"});
  auto notes = BuildReleaseNotes(commits, "v2.0.0");
  EXPECT_EQ(notes.features, 2);
  EXPECT_EQ(notes.fixes, 1);
  EXPECT_EQ(notes.breaking, 2);
  EXPECT_EQ(notes.other, 1);
  EXPECT_EQ(notes.authors, (std::vector<std::string>{"Ann", "Bob", "Cy"}));
  EXPECT_NE(notes.markdown.find("## Breaking changes"), std::string::npos);
  EXPECT_NE(notes.markdown.find("**core:** config v1 is no longer read"), std::string::npos);
  EXPECT_NE(notes.markdown.find("crash on empty YAML (#30)"), std::string::npos);
  EXPECT_EQ(notes.markdown.find("Merge branch"), std::string::npos);
  EXPECT_FALSE(ParseConventionalCommit({"", "", "feat(: nope"}).conventional);
}

TEST(Optimizations, CacheParallelFlakySlow) {
  Pipeline p;
  p.jobs = {J("npm", {}, {S("install", {"npm", "ci"}), S("test", {"npm", "test"})}),
            J("docker", {"npm"}, {S("build", {"docker", "build", "."})})};
  std::vector<StepTiming> t = {{"npm", "install", {"npm", "ci"}, 30000},
                               {"npm", "test", {"npm", "test"}, 5000},
                               {"docker", "build", {"docker", "build", "."}, 2000}};
  FlakinessReport f;
  f.test = "t";
  f.is_flaky = true;
  f.flip_rate = 0.5;
  f.avg_duration_ms = 1000;
  auto o = SuggestOptimizations(p, t, {f});
  std::set<std::string> types;
  for (const auto& x : o) types.insert(x.type);
  EXPECT_EQ(types,
            (std::set<std::string>{"caching", "parallelization", "flaky_test", "step_removal"}));
  for (const auto& x : o) {
    if (x.type == "caching") {
      EXPECT_NEAR(x.estimated_seconds_saved, 21, 1e-9);
    }
  }
}

}  // namespace
}  // namespace dai::cicd
