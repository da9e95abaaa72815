#include "engines/cicd/test_intel.h"

#include <algorithm>
#include <cmath>
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

// 0..1: shared leading directories, plus a bonus when the file stem names the test.
double Proximity(const std::string& file, const std::string& test, const std::string& test_file) {
  double best = 0;
  std::string stem = Stem(file);
  std::string lower_test = test;
  std::transform(lower_test.begin(), lower_test.end(), lower_test.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (stem.size() >= 3 && lower_test.find(stem) != std::string::npos) best = 0.8;
  if (!test_file.empty()) {
    auto a = Parts(file), b = Parts(test_file);
    size_t common = 0;
    while (common + 1 < a.size() && common + 1 < b.size() && a[common] == b[common]) ++common;
    size_t denom = std::max(a.size(), b.size()) - 1;
    if (denom > 0)
      best = std::max(best, 0.6 * static_cast<double>(common) / static_cast<double>(denom));
    if (Stem(test_file) == stem && stem.size() >= 2) best = 1.0;
  }
  return best;
}

}  // namespace

std::vector<SelectedTest> SelectTests(const std::vector<RunRecord>& history,
                                      const std::vector<std::string>& changed_files,
                                      double budget_ms) {
  std::map<std::string, double> duration, recency, fail_rate;
  std::map<std::string, std::string> test_file;
  std::map<std::string, int> seen, fails;
  std::map<std::string, int> file_changes;                    // runs where file changed
  std::map<std::string, std::map<std::string, int>> co_fail;  // file -> test -> count
  std::set<std::string> changed(changed_files.begin(), changed_files.end());
  const double n = static_cast<double>(history.size());
  for (size_t i = 0; i < history.size(); ++i) {
    const RunRecord& run = history[i];
    for (const auto& [t, d] : run.test_duration_ms) {
      duration[t] = duration.count(t) ? 0.7 * duration[t] + 0.3 * d : d;
      ++seen[t];
    }
    for (const auto& [t, f] : run.test_file) test_file[t] = f;
    double age = n - static_cast<double>(i);  // 1 for the latest run
    for (const auto& t : run.failed_tests) {
      ++fails[t];
      recency[t] = std::max(recency[t], std::exp(-age / 20.0));
    }
    for (const auto& f : run.changed_files) {
      if (!changed.count(f)) continue;
      ++file_changes[f];
      for (const auto& t : run.failed_tests) ++co_fail[f][t];
    }
  }
  std::vector<SelectedTest> ranked;
  for (const auto& [t, d] : duration) {
    double co = 0;
    for (const auto& f : changed_files) {
      auto fc = file_changes.find(f);
      if (fc == file_changes.end()) continue;
      auto it = co_fail[f].find(t);
      // P(test fails | file changed), Laplace-smoothed toward 0.
      double p = (it == co_fail[f].end() ? 0.0 : it->second) / (fc->second + 1.0);
      co = std::max(co, p);
    }
    double prox = 0;
    for (const auto& f : changed_files)
      prox = std::max(prox, Proximity(f, t, test_file.count(t) ? test_file[t] : std::string()));
    double base_rate = (fails[t] + 0.0) / (seen[t] + 2.0);
    double score = 3.0 * co + 1.0 * prox + 0.7 * recency[t] + 0.5 * base_rate;
    ranked.push_back({t, score, d});
  }
  std::sort(ranked.begin(), ranked.end(), [](const SelectedTest& a, const SelectedTest& b) {
    return a.score != b.score ? a.score > b.score : a.test < b.test;
  });
  if (budget_ms <= 0) return ranked;
  // Greedy by score per unit of time, then the selection is ordered by score (likely
  // failures first).
  std::vector<SelectedTest> by_density = ranked;
  std::stable_sort(by_density.begin(), by_density.end(),
                   [](const SelectedTest& a, const SelectedTest& b) {
                     return a.score / (a.duration_ms + 1.0) > b.score / (b.duration_ms + 1.0);
                   });
  std::vector<SelectedTest> out;
  double spent = 0;
  for (const auto& s : by_density) {
    if (s.score <= 0) break;
    if (spent + s.duration_ms > budget_ms) continue;
    spent += s.duration_ms;
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const SelectedTest& a, const SelectedTest& b) {
    return a.score != b.score ? a.score > b.score : a.test < b.test;
  });
  return out;
}

SelectionEvaluation EvaluateSelection(const std::vector<RunRecord>& runs, double budget_share,
                                      int warmup, uint64_t seed) {
  SelectionEvaluation ev;
  std::mt19937_64 rng(seed);
  double time_sum = 0;
  int evaluated = 0;
  for (size_t i = static_cast<size_t>(std::max(warmup, 1)); i < runs.size(); ++i) {
    const RunRecord& run = runs[i];
    double total = 0;
    for (const auto& [t, d] : run.test_duration_ms) total += d;
    if (total <= 0) continue;
    std::vector<RunRecord> past(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(i));
    auto selected = SelectTests(past, run.changed_files, budget_share * total);
    double spent = 0;
    std::set<std::string> picked;
    for (const auto& s : selected) {
      if (!run.test_duration_ms.count(s.test)) continue;
      picked.insert(s.test);
      spent += run.test_duration_ms.at(s.test);
    }
    ++evaluated;
    time_sum += spent / total;
    if (run.failed_tests.empty()) continue;
    ++ev.failing_runs;
    bool hit = std::any_of(run.failed_tests.begin(), run.failed_tests.end(),
                           [&](const std::string& t) { return picked.count(t) > 0; });
    ev.caught_selected += hit;
    // Random baseline: shuffled tests added while they fit the same time; 20 draws.
    std::vector<std::pair<std::string, double>> tests(run.test_duration_ms.begin(),
                                                      run.test_duration_ms.end());
    double hits = 0;
    const int kDraws = 20;
    for (int d = 0; d < kDraws; ++d) {
      std::shuffle(tests.begin(), tests.end(), rng);
      double used = 0;
      std::set<std::string> rnd;
      for (const auto& [t, dur] : tests) {
        if (used + dur > spent) continue;
        used += dur;
        rnd.insert(t);
      }
      hits += std::any_of(run.failed_tests.begin(), run.failed_tests.end(),
                          [&](const std::string& t) { return rnd.count(t) > 0; });
    }
    ev.caught_random += hits / kDraws;
  }
  if (ev.failing_runs > 0) {
    ev.caught_selected /= ev.failing_runs;
    ev.caught_random /= ev.failing_runs;
  }
  ev.time_share = evaluated ? time_sum / evaluated : 0;
  return ev;
}

}  // namespace dai::cicd
