// Predictive build failure: a logistic regression trained in-process (batch gradient descent
// with L2, standardized features) over features of a change, with AUC and precision at a
// threshold for honest evaluation on a time-ordered split, and per-prediction reasons (the
// features contributing most to the log-odds).
// Thread-safety: value types and pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace dai::cicd {

//! Features of one change, computed by the caller from history known before the change.
struct ChangeFeatures {
  double files_touched = 0;
  double lines_changed = 0;
  double file_failure_rate = 0;    //!< max past failure rate of runs touching these files
  double author_failure_rate = 0;  //!< author's failure rate over their recent runs
  double hours_since_green = 0;    //!< since the pipeline's last successful run
  double dependency_change = 0;    //!< 1 when a lockfile/manifest changed
  double test_files_touched = 0;
};

std::vector<std::string> FeatureNames();
std::vector<double> FeatureVector(const ChangeFeatures& f);

struct Reason {
  std::string feature;
  double contribution = 0;  //!< to the log-odds, relative to the training mean
};

struct Prediction {
  double probability = 0;
  std::vector<Reason> reasons;  //!< up to 3, largest positive contributions first
};

class FailureModel {
 public:
  //! INVALID_ARGUMENT unless there are at least 10 examples with both classes present.
  static Result<FailureModel> Train(const std::vector<ChangeFeatures>& x,
                                    const std::vector<int>& failed, double l2 = 0.01,
                                    int iterations = 500);
  Prediction Predict(const ChangeFeatures& f) const;
  const std::vector<double>& weights() const { return w_; }

 private:
  std::vector<double> mean_, scale_, w_;  // w_[0] is the bias
};

//! Area under the ROC curve (ties counted half). 0.5 when a class is absent.
double Auc(const std::vector<double>& scores, const std::vector<int>& labels);
//! Share of positives among scores >= threshold (0 when none predicted).
double PrecisionAt(const std::vector<double>& scores, const std::vector<int>& labels,
                   double threshold);
double RecallAt(const std::vector<double>& scores, const std::vector<int>& labels,
                double threshold);

//! One finished run's change, as the history features need it.
struct ChangeRecord {
  std::vector<std::string> files;
  double lines_changed = 0;
  std::string author;
  double time_hours = 0;  //!< when the run happened (any origin), hours
  bool dependency_change = false;
  int test_files_touched = 0;
  bool failed = false;
};

//! Each run's features from what was known before it (file and author failure rates of earlier
//! runs, hours since the last green run): the features a model trained at that time would see.
std::vector<ChangeFeatures> HistoryFeatures(const std::vector<ChangeRecord>& runs);

struct PredictionEvaluation {
  int train_runs = 0, test_runs = 0, train_failures = 0, test_failures = 0;
  double auc = 0.5;
  double threshold = 0.5;  //!< chosen on the training runs (best F1 there)
  double precision = 0, recall = 0;
  std::vector<double> weights;  //!< bias first, then FeatureNames() order (standardized)
};

//! Time-ordered split: trains on the first `train_share` of `runs`, chooses the threshold on
//! them, and scores the rest. INVALID_ARGUMENT when the training part cannot train.
Result<PredictionEvaluation> EvaluatePrediction(const std::vector<ChangeRecord>& runs,
                                                double train_share = 0.7);

}  // namespace dai::cicd
