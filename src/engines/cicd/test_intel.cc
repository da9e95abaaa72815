#include "engines/cicd/test_intel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>

namespace dai::cicd {

std::vector<FlakinessReport> AnalyzeFlakiness(const std::vector<TestObservation>& history,
                                              int window, double flip_threshold) {
  std::map<std::string, std::vector<const TestObservation*>> by_test;
  for (const auto& o : history)
    if (o.outcome != TestOutcome::kSkipped) by_test[o.test].push_back(&o);
  std::vector<FlakinessReport> out;
  for (auto& [test, obs] : by_test) {
    std::stable_sort(obs.begin(), obs.end(),
                     [](const TestObservation* a, const TestObservation* b) {
                       return a->run_index < b->run_index;
                     });
    if (window > 0 && static_cast<int>(obs.size()) > window)
      obs.erase(obs.begin(), obs.end() - window);
    FlakinessReport r;
    r.test = test;
    r.runs = static_cast<int>(obs.size());
    std::map<std::string, int> commit_mask;  // bit 1 passed, bit 2 failed
    int flips = 0;
    double total = 0;
    for (size_t i = 0; i < obs.size(); ++i) {
      bool failed = obs[i]->outcome != TestOutcome::kPassed;
      r.failures += failed;
      total += obs[i]->duration_ms;
      commit_mask[obs[i]->commit] |= failed ? 2 : 1;
      if (i > 0 && failed != (obs[i - 1]->outcome != TestOutcome::kPassed)) ++flips;
    }
    for (const auto& [c, mask] : commit_mask)
      if (mask == 3 && !c.empty()) r.mixed_on_commit = true;
    r.flip_rate = r.runs > 1 ? static_cast<double>(flips) / (r.runs - 1) : 0.0;
    r.avg_duration_ms = r.runs ? total / r.runs : 0.0;
    r.flaky_score = std::min(1.0, r.flip_rate + (r.mixed_on_commit ? 0.5 : 0.0));
    r.is_flaky = r.mixed_on_commit || (r.flip_rate >= flip_threshold && r.failures >= 2);
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const FlakinessReport& a, const FlakinessReport& b) {
    return a.flaky_score != b.flaky_score ? a.flaky_score > b.flaky_score : a.test < b.test;
  });
  return out;
}

namespace {

std::vector<std::string> Parts(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string Stem(const std::string& s) {
  std::string b = s.substr(s.rfind('/') == std::string::npos ? 0 : s.rfind('/') + 1);
  b = b.substr(0, b.find('.'));
  for (const char* suffix : {"_test", "-test", "_spec", "Test", "Tests"}) {
    std::string sfx = suffix;
    if (b.size() > sfx.size() && b.compare(b.size() - sfx.size(), sfx.size(), sfx) == 0)
      b.resize(b.size() - sfx.size());
  }
  if (b.rfind("test_", 0) == 0) b = b.substr(5);
  std::transform(b.begin(), b.end(), b.begin(), [](unsigned char c) { return std::tolower(c); });
  return b;
}

// Share of the changed file's directory names found among the test file's (any depth: src/x/a.c
// and test/x/a_test.c share "x").
double DirOverlap(const std::string& file, const std::string& test_file) {
  auto a = Parts(file), b = Parts(test_file);
  if (a.size() < 2 || b.size() < 2) return 0;
  std::set<std::string> bd(b.begin(), b.end() - 1);
  int shared = 0;
  for (size_t i = 0; i + 1 < a.size(); ++i) shared += bd.count(a[i]) ? 1 : 0;
  return static_cast<double>(shared) / static_cast<double>(a.size() - 1);
}

// 0..1: shared leading directories and directory names, plus a bonus when the file stem names
// the test (its name, or its file's stem: then 0.7, up to 1.0 with shared directory names).
double Proximity(const std::string& file, const std::string& test, const std::string& test_file) {
  double best = 0;
  std::string stem = Stem(file);
  std::string lower_test = test;
  std::transform(lower_test.begin(), lower_test.end(), lower_test.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (stem.size() >= 3 && lower_test.find(stem) != std::string::npos) best = 0.6;
  if (!test_file.empty()) {
    auto a = Parts(file), b = Parts(test_file);
    size_t common = 0;
    while (common + 1 < a.size() && common + 1 < b.size() && a[common] == b[common]) ++common;
    size_t denom = std::max(a.size(), b.size()) - 1;
    if (denom > 0)
      best = std::max(best, 0.6 * static_cast<double>(common) / static_cast<double>(denom));
    const double overlap = DirOverlap(file, test_file);
    best = std::max(best, 0.5 * overlap);
    if (Stem(test_file) == stem && stem.size() >= 2) best = std::max(best, 0.7 + 0.3 * overlap);
  }
  return best;
}

}  // namespace

namespace {

// RankTests over the first `count` runs of `all` (the replay ranks from a prefix, no copies).
std::vector<SelectedTest> RankPrefix(const std::vector<RunRecord>& all, size_t count,
                                     const std::vector<std::string>& changed_files,
                                     double budget_ms) {
  const size_t n = std::min(count, all.size());
  std::map<std::string, double> duration;
  std::map<std::string, std::string> test_file;
  std::map<std::string, int> seen, fails;
  std::map<std::string, size_t> last_fail;                    // run index + 1
  std::map<std::string, int> file_changes;                    // runs where the file changed
  std::map<std::string, std::map<std::string, int>> co_fail;  // file -> test -> count
  std::set<std::string> changed(changed_files.begin(), changed_files.end());
  for (size_t i = 0; i < n; ++i) {
    const RunRecord& run = all[i];
    for (const auto& [t, d] : run.test_duration_ms) {
      duration[t] = duration.count(t) ? 0.7 * duration[t] + 0.3 * d : d;
      ++seen[t];
    }
    for (const auto& [t, f] : run.test_file) test_file[t] = f;
    std::set<std::string> failed(run.failed_tests.begin(), run.failed_tests.end());
    for (const auto& t : failed) {
      ++fails[t];
      last_fail[t] = i + 1;
      if (!duration.count(t)) duration[t] = 0;
    }
    std::set<std::string> files(run.changed_files.begin(), run.changed_files.end());
    for (const auto& f : files) {
      if (!changed.count(f)) continue;
      ++file_changes[f];
      for (const auto& t : failed) ++co_fail[f][t];
    }
  }
  std::vector<SelectedTest> ranked;
  for (const auto& [t, d] : duration) {
    SelectedTest s;
    s.test = t;
    s.duration_ms = d;
    // Co-failure: P(test fails | file changed), Laplace-smoothed toward 0, combined over the
    // changed files as independent chances.
    double miss = 1.0, best_p = 0;
    std::string best_file;
    int best_k = 0, best_n = 0;
    for (const auto& [f, n] : file_changes) {
      auto ft = co_fail[f].find(t);
      int k = ft == co_fail[f].end() ? 0 : ft->second;
      double p = k / (n + 1.0);
      miss *= 1.0 - p;
      if (p > best_p) best_p = p, best_file = f, best_k = k, best_n = n;
    }
    std::vector<SelectionReason> reasons;
    if (best_p > 0)
      reasons.push_back({"co-failure",
                         "failed in " + std::to_string(best_k) + " of " + std::to_string(best_n) +
                             " earlier runs that changed " + best_file,
                         1.0 - miss});
    double prox = 0;
    std::string prox_file;
    const std::string tf = test_file.count(t) ? test_file[t] : std::string();
    for (const auto& f : changed_files) {
      double p = Proximity(f, t, tf);
      if (p > prox) prox = p, prox_file = f;
    }
    if (prox > 0) {
      char closeness[16];
      std::snprintf(closeness, sizeof closeness, "%.2f", prox);
      reasons.push_back({"proximity",
                         (tf.empty() ? "test name matches " : "test file " + tf + " is near ") +
                             prox_file + " (path proximity " + closeness + ")",
                         0.35 * prox});
    }
    if (last_fail.count(t)) {
      size_t ago = n + 1 - last_fail[t];  // 1: the latest run
      reasons.push_back({"recency",
                         ago == 1 ? "failed in the latest run"
                                  : "last failed " + std::to_string(ago) + " runs ago",
                         0.25 * std::exp(-static_cast<double>(ago - 1) / 10.0)});
    }
    if (fails[t] > 0)
      reasons.push_back({"base-rate",
                         "failed in " + std::to_string(fails[t]) + " of " +
                             std::to_string(std::max(seen[t], fails[t])) + " runs",
                         fails[t] / (std::max(seen[t], fails[t]) + 2.0)});
    double pass = 1.0;
    for (const auto& r : reasons) pass *= 1.0 - std::clamp(r.value, 0.0, 1.0);
    s.score = 1.0 - pass;
    std::sort(reasons.begin(), reasons.end(),
              [](const SelectionReason& a, const SelectionReason& b) { return a.value > b.value; });
    s.reasons = std::move(reasons);
    ranked.push_back(std::move(s));
  }
  std::sort(ranked.begin(), ranked.end(), [](const SelectedTest& a, const SelectedTest& b) {
    return a.score != b.score ? a.score > b.score : a.test < b.test;
  });
  if (budget_ms <= 0) {
    for (auto& s : ranked) s.selected = true;
    return ranked;
  }
  // Greedy by expected catches per unit of time (a knapsack's classic approximation).
  std::vector<size_t> order(ranked.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return ranked[a].score / (ranked[a].duration_ms + 1.0) >
           ranked[b].score / (ranked[b].duration_ms + 1.0);
  });
  double spent = 0;
  for (size_t i : order) {
    if (ranked[i].score <= 0) break;
    if (spent + ranked[i].duration_ms > budget_ms) continue;
    spent += ranked[i].duration_ms;
    ranked[i].selected = true;
  }
  return ranked;
}

}  // namespace

std::vector<SelectedTest> RankTests(const std::vector<RunRecord>& history,
                                    const std::vector<std::string>& changed_files,
                                    double budget_ms) {
  return RankPrefix(history, history.size(), changed_files, budget_ms);
}

std::vector<SelectedTest> SelectTests(const std::vector<RunRecord>& history,
                                      const std::vector<std::string>& changed_files,
                                      double budget_ms) {
  auto ranked = RankTests(history, changed_files, budget_ms);
  std::vector<SelectedTest> out;
  for (auto& s : ranked)
    if (s.selected) out.push_back(std::move(s));
  return out;
}

SelectionEvaluation EvaluateSelection(const std::vector<RunRecord>& runs, double budget_share,
                                      int warmup, uint64_t seed, int seeds) {
  SelectionEvaluation ev;
  seeds = std::max(seeds, 1);
  std::vector<std::mt19937_64> rngs;
  for (int k = 0; k < seeds; ++k) rngs.emplace_back(seed + static_cast<uint64_t>(k));
  std::vector<double> random_hits(static_cast<size_t>(seeds), 0.0);
  double time_sum = 0;
  for (size_t i = static_cast<size_t>(std::max(warmup, 1)); i < runs.size(); ++i) {
    const RunRecord& run = runs[i];
    double total = 0;
    for (const auto& [t, d] : run.test_duration_ms) total += d;
    if (total <= 0) continue;
    auto ranked = RankPrefix(runs, i, run.changed_files, budget_share * total);
    double spent = 0;
    std::set<std::string> picked;
    for (const auto& s : ranked) {
      if (!s.selected || !run.test_duration_ms.count(s.test)) continue;
      picked.insert(s.test);
      spent += run.test_duration_ms.at(s.test);
    }
    ++ev.evaluated_runs;
    time_sum += spent / total;
    if (run.failed_tests.empty()) continue;
    ++ev.failing_runs;
    bool hit = std::any_of(run.failed_tests.begin(), run.failed_tests.end(),
                           [&](const std::string& t) { return picked.count(t) > 0; });
    ev.caught_selected += hit;
    std::vector<std::pair<std::string, double>> tests(run.test_duration_ms.begin(),
                                                      run.test_duration_ms.end());
    for (int k = 0; k < seeds; ++k) {
      std::shuffle(tests.begin(), tests.end(), rngs[static_cast<size_t>(k)]);
      double used = 0;
      std::set<std::string> rnd;
      for (const auto& [t, dur] : tests) {
        if (used + dur > spent) continue;
        used += dur;
        rnd.insert(t);
      }
      random_hits[static_cast<size_t>(k)] +=
          std::any_of(run.failed_tests.begin(), run.failed_tests.end(),
                      [&](const std::string& t) { return rnd.count(t) > 0; });
    }
  }
  if (ev.failing_runs > 0) {
    ev.caught_selected /= ev.failing_runs;
    for (double h : random_hits) ev.caught_random_by_seed.push_back(h / ev.failing_runs);
    std::vector<double> sorted = ev.caught_random_by_seed;
    std::sort(sorted.begin(), sorted.end());
    size_t m = sorted.size() / 2;
    ev.caught_random = sorted.size() % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2.0;
  }
  ev.time_share = ev.evaluated_runs ? time_sum / ev.evaluated_runs : 0;
  return ev;
}

}  // namespace dai::cicd
