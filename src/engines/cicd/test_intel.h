// Test intelligence: flakiness from outcome history, test selection for a change (co-failure
// with changed files, path proximity, recency, within a time budget), and a replay evaluator
// that measures selection against running everything and a random subset of equal cost.
// Thread-safety: pure functions (randomness comes from an explicit seed).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engines/cicd/junit.h"

namespace dai::cicd {

//! One test outcome in one run.
struct TestObservation {
  std::string test;  //!< "suite::name"
  std::string commit;
  int64_t run_index = 0;  //!< increasing with time
  TestOutcome outcome = TestOutcome::kPassed;
  double duration_ms = 0;
};

struct FlakinessReport {
  std::string test;
  int runs = 0, failures = 0;
  double flip_rate = 0;          //!< outcome changes / (runs-1) over the window
  bool mixed_on_commit = false;  //!< failed and passed on the same commit
  double flaky_score = 0;        //!< 0..1
  bool is_flaky = false;
  double avg_duration_ms = 0;
};

//! Per test, over its last `window` non-skipped runs. A test is flaky when it both failed and
//! passed on one commit, or its flip rate is at least `flip_threshold` with at least 2 failures.
std::vector<FlakinessReport> AnalyzeFlakiness(const std::vector<TestObservation>& history,
                                              int window = 50, double flip_threshold = 0.3);

//! A past run for selection: which files changed, which tests ran (with durations) and failed.
struct RunRecord {
  std::vector<std::string> changed_files;
  std::map<std::string, double> test_duration_ms;
  std::vector<std::string> failed_tests;
  std::map<std::string, std::string> test_file;  //!< optional: test -> its source file
};

struct SelectedTest {
  std::string test;
  double score = 0;
  double duration_ms = 0;
};

//! Ranks the tests known from `history` for a change and picks, greedily by score per
//! millisecond, those fitting `budget_ms` (a budget <= 0 selects everything, ordered).
std::vector<SelectedTest> SelectTests(const std::vector<RunRecord>& history,
                                      const std::vector<std::string>& changed_files,
                                      double budget_ms);

struct SelectionEvaluation {
  int failing_runs = 0;
  double caught_selected = 0;  //!< share of failing runs where a selected test failed
  double caught_random = 0;    //!< same for a random subset of equal cost (mean of draws)
  double time_share = 0;       //!< mean share of the full suite's time spent by the selection
};

//! Replays `runs` in order: for each run after `warmup`, trains on the runs before it, selects
//! with a budget of `budget_share` of that run's total test time, and checks whether a failing
//! test was selected. The random baseline spends the same time.
SelectionEvaluation EvaluateSelection(const std::vector<RunRecord>& runs, double budget_share,
                                      int warmup, uint64_t seed);

}  // namespace dai::cicd
