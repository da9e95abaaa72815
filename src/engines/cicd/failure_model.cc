#include "engines/cicd/failure_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>

namespace dai::cicd {

std::vector<std::string> FeatureNames() {
  return {"files touched (log)", "lines changed (log)",          "file failure history",
          "author failure rate", "hours since last green (log)", "dependency change",
          "test files touched"};
}

std::vector<double> FeatureVector(const ChangeFeatures& f) {
  return {std::log1p(std::max(0.0, f.files_touched)),
          std::log1p(std::max(0.0, f.lines_changed)),
          f.file_failure_rate,
          f.author_failure_rate,
          std::log1p(std::max(0.0, f.hours_since_green)),
          f.dependency_change,
          f.test_files_touched};
}

namespace {
double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-std::clamp(z, -40.0, 40.0))); }
}  // namespace

Result<FailureModel> FailureModel::Train(const std::vector<ChangeFeatures>& x,
                                         const std::vector<int>& failed, double l2,
                                         int iterations) {
  if (x.size() != failed.size())
    return Status::InvalidArgument("features and labels differ in length");
  if (x.size() < 10)
    return Status::InvalidArgument("need at least 10 runs to train, got " +
                                   std::to_string(x.size()));
  int positives = static_cast<int>(std::count(failed.begin(), failed.end(), 1));
  if (positives == 0 || positives == static_cast<int>(x.size()))
    return Status::InvalidArgument("training runs must include both failures and successes");
  const size_t n = x.size(), d = FeatureNames().size();
  std::vector<std::vector<double>> rows;
  rows.reserve(n);
  for (const auto& f : x) rows.push_back(FeatureVector(f));
  FailureModel m;
  m.mean_.assign(d, 0);
  m.scale_.assign(d, 0);
  for (const auto& r : rows)
    for (size_t k = 0; k < d; ++k) m.mean_[k] += r[k] / static_cast<double>(n);
  for (const auto& r : rows)
    for (size_t k = 0; k < d; ++k)
      m.scale_[k] += (r[k] - m.mean_[k]) * (r[k] - m.mean_[k]) / static_cast<double>(n);
  for (auto& s : m.scale_) s = s > 1e-12 ? std::sqrt(s) : 1.0;
  for (auto& r : rows)
    for (size_t k = 0; k < d; ++k) r[k] = (r[k] - m.mean_[k]) / m.scale_[k];
  m.w_.assign(d + 1, 0);
  double base = static_cast<double>(positives) / static_cast<double>(n);
  m.w_[0] = std::log(base / (1 - base));
  const double lr = 0.5;
  std::vector<double> grad(d + 1);
  for (int it = 0; it < iterations; ++it) {
    std::fill(grad.begin(), grad.end(), 0.0);
    for (size_t i = 0; i < n; ++i) {
      double z = m.w_[0];
      for (size_t k = 0; k < d; ++k) z += m.w_[k + 1] * rows[i][k];
      double err = Sigmoid(z) - failed[i];
      grad[0] += err;
      for (size_t k = 0; k < d; ++k) grad[k + 1] += err * rows[i][k];
    }
    m.w_[0] -= lr * grad[0] / static_cast<double>(n);
    for (size_t k = 0; k < d; ++k)
      m.w_[k + 1] -= lr * (grad[k + 1] / static_cast<double>(n) + l2 * m.w_[k + 1]);
  }
  return m;
}

Prediction FailureModel::Predict(const ChangeFeatures& f) const {
  auto r = FeatureVector(f);
  auto names = FeatureNames();
  double z = w_[0];
  std::vector<Reason> reasons;
  for (size_t k = 0; k < r.size(); ++k) {
    double c = w_[k + 1] * (r[k] - mean_[k]) / scale_[k];
    z += c;
    if (c > 0.05) reasons.push_back({names[k], c});
  }
  std::sort(reasons.begin(), reasons.end(),
            [](const Reason& a, const Reason& b) { return a.contribution > b.contribution; });
  if (reasons.size() > 3) reasons.resize(3);
  return {Sigmoid(z), reasons};
}

double Auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mann–Whitney formulation with average ranks for ties.
  double rank_sum_pos = 0;
  size_t pos = 0, i = 0;
  while (i < idx.size()) {
    size_t j = i;
    while (j + 1 < idx.size() && scores[idx[j + 1]] == scores[idx[i]]) ++j;
    double avg_rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k)
      if (labels[idx[k]] == 1) {
        rank_sum_pos += avg_rank;
        ++pos;
      }
    i = j + 1;
  }
  size_t neg = scores.size() - pos;
  if (pos == 0 || neg == 0) return 0.5;
  double p = static_cast<double>(pos), q = static_cast<double>(neg);
  return (rank_sum_pos - p * (p + 1) / 2.0) / (p * q);
}

double PrecisionAt(const std::vector<double>& scores, const std::vector<int>& labels,
                   double threshold) {
  int predicted = 0, correct = 0;
  for (size_t i = 0; i < scores.size(); ++i)
    if (scores[i] >= threshold) {
      ++predicted;
      correct += labels[i] == 1;
    }
  return predicted ? static_cast<double>(correct) / predicted : 0.0;
}

double RecallAt(const std::vector<double>& scores, const std::vector<int>& labels,
                double threshold) {
  int positives = 0, caught = 0;
  for (size_t i = 0; i < scores.size(); ++i)
    if (labels[i] == 1) {
      ++positives;
      caught += scores[i] >= threshold;
    }
  return positives ? static_cast<double>(caught) / positives : 0.0;
}

std::vector<ChangeFeatures> HistoryFeatures(const std::vector<ChangeRecord>& runs) {
  std::map<std::string, std::pair<int, int>> by_file, by_author;  // runs, failures
  std::optional<double> last_green;
  std::vector<ChangeFeatures> out;
  out.reserve(runs.size());
  for (const auto& r : runs) {
    ChangeFeatures f;
    f.files_touched = static_cast<double>(r.files.size());
    f.lines_changed = r.lines_changed;
    for (const auto& file : r.files) {
      auto it = by_file.find(file);
      if (it != by_file.end() && it->second.first > 0)
        f.file_failure_rate = std::max(f.file_failure_rate,
                                       static_cast<double>(it->second.second) / it->second.first);
    }
    auto a = by_author.find(r.author);
    if (a != by_author.end() && a->second.first > 0)
      f.author_failure_rate = static_cast<double>(a->second.second) / a->second.first;
    f.hours_since_green = last_green ? std::max(0.0, r.time_hours - *last_green) : 0.0;
    f.dependency_change = r.dependency_change ? 1.0 : 0.0;
    f.test_files_touched = r.test_files_touched;
    out.push_back(f);
    for (const auto& file : r.files) {
      auto& e = by_file[file];
      ++e.first;
      e.second += r.failed;
    }
    auto& e = by_author[r.author];
    ++e.first;
    e.second += r.failed;
    if (!r.failed) last_green = r.time_hours;
  }
  return out;
}

Result<PredictionEvaluation> EvaluatePrediction(const std::vector<ChangeRecord>& runs,
                                                double train_share) {
  auto x = HistoryFeatures(runs);
  const size_t split =
      static_cast<size_t>(std::clamp(train_share, 0.0, 1.0) * static_cast<double>(runs.size()));
  std::vector<ChangeFeatures> xtr(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(split));
  std::vector<int> ytr, yte;
  for (size_t i = 0; i < runs.size(); ++i) (i < split ? ytr : yte).push_back(runs[i].failed);
  DAI_ASSIGN_OR_RETURN(auto model, FailureModel::Train(xtr, ytr));
  PredictionEvaluation ev;
  ev.train_runs = static_cast<int>(ytr.size());
  ev.test_runs = static_cast<int>(yte.size());
  ev.train_failures = static_cast<int>(std::count(ytr.begin(), ytr.end(), 1));
  ev.test_failures = static_cast<int>(std::count(yte.begin(), yte.end(), 1));
  ev.weights = model.weights();
  std::vector<double> str, ste;
  for (size_t i = 0; i < runs.size(); ++i)
    (i < split ? str : ste).push_back(model.Predict(x[i]).probability);
  // The threshold with the best F1 on the training runs (never looking at the test part).
  double best_f1 = -1;
  for (double t : str) {
    double p = PrecisionAt(str, ytr, t), r = RecallAt(str, ytr, t);
    double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
    if (f1 > best_f1 + 1e-12 || (std::abs(f1 - best_f1) <= 1e-12 && t > ev.threshold))
      best_f1 = f1, ev.threshold = t;
  }
  ev.auc = Auc(ste, yte);
  ev.precision = PrecisionAt(ste, yte, ev.threshold);
  ev.recall = RecallAt(ste, yte, ev.threshold);
  return ev;
}

}  // namespace dai::cicd
