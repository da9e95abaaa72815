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

//! Why a test was ranked where it is: one signal and its share of the estimate.
struct SelectionReason {
  std::string kind;  //!< "co-failure", "proximity", "recency", "base-rate"
  std::string text;  //!< e.g. "failed in 3 of 4 earlier runs that changed src/a.js"
  double value = 0;  //!< the signal's probability term (0..1)
};

struct SelectedTest {
  std::string test;
  //! Estimated probability that the test fails on this change (0..1): the signals combined as
  //! independent chances, 1 - prod(1 - term).
  double score = 0;
  double duration_ms = 0;  //!< smoothed over history (exponential, weight 0.3 on the newest)
  bool selected = false;   //!< within the budget (always true with no budget)
  std::vector<SelectionReason> reasons;  //!< largest term first; empty when score is 0
};

//! Every test known from `history`, ranked for a change by estimated failure probability, with
//! its reasons. Within `budget_ms` (<= 0: no budget, all selected) tests are picked greedily by
//! expected catches per millisecond (score / duration) while they fit; tests with score 0 are
//! never picked under a budget.
std::vector<SelectedTest> RankTests(const std::vector<RunRecord>& history,
                                    const std::vector<std::string>& changed_files,
                                    double budget_ms);

//! The selected subset of RankTests, ordered by score.
std::vector<SelectedTest> SelectTests(const std::vector<RunRecord>& history,
                                      const std::vector<std::string>& changed_files,
                                      double budget_ms);

struct SelectionEvaluation {
  int evaluated_runs = 0;
  int failing_runs = 0;        //!< evaluated runs where at least one test failed
  double caught_selected = 0;  //!< share of failing runs where a selected test failed
  double time_share = 0;       //!< mean share of the run's test time spent by the selection
  //! Random subsets of equal cost (tests shuffled, added while they fit the time the selection
  //! spent on that run): the share caught per seed, and their median.
  std::vector<double> caught_random_by_seed;
  double caught_random = 0;
};

//! Replays `runs` in order: for each run from index max(warmup,1), ranks with the runs before
//! it, selects within `budget_share` of that run's total test time, and checks whether a
//! failing test was selected. One random draw per run per seed (seeds seed, seed+1, ...).
SelectionEvaluation EvaluateSelection(const std::vector<RunRecord>& runs, double budget_share,
                                      int warmup, uint64_t seed, int seeds = 5);

}  // namespace dai::cicd
