#include "engines/cost/forecast.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace dai::cost {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Params {
  ForecastModel model;
  double alpha = 0, beta = 0, gamma = 0, phi = 1;
};

struct State {
  double level = 0, trend = 0;
  std::vector<double> season;  // ring: season[i % m] is the seasonal term of step i
};

bool HasTrend(ForecastModel m) {
  return m == ForecastModel::kTrend || m == ForecastModel::kTrendSeasonal;
}
bool HasSeason(ForecastModel m) {
  return m == ForecastModel::kSeasonal || m == ForecastModel::kTrendSeasonal;
}

// Classical initial states from the first seasons.
State Initial(const std::vector<double>& y, ForecastModel model, int m) {
  State s;
  const int n = static_cast<int>(y.size());
  if (HasSeason(model)) {
    const double mean1 = std::accumulate(y.begin(), y.begin() + m, 0.0) / m;
    s.level = mean1;
    s.season.resize(static_cast<size_t>(m));
    for (int i = 0; i < m; ++i)
      s.season[static_cast<size_t>(i)] = y[static_cast<size_t>(i)] - mean1;
    if (HasTrend(model) && n >= 2 * m) {
      const double mean2 = std::accumulate(y.begin() + m, y.begin() + 2 * m, 0.0) / m;
      s.trend = (mean2 - mean1) / m;
    }
    // The level at the end of the first season (its mean sits at its centre).
    s.level = mean1 + s.trend * (m - 1) / 2.0;
  } else {
    s.level = y[0];
    if (HasTrend(model) && n >= 2) s.trend = y[1] - y[0];
  }
  return s;
}

int FirstStep(ForecastModel model, int m) { return HasSeason(model) ? m : 1; }

// Runs the recursions over y; returns the one-step SSE (from the first step after the
// initialisation) and leaves the final state in `s`.
double Run(const std::vector<double>& y, const Params& p, int m, State& s, int* count) {
  double sse = 0;
  int c = 0;
  const int n = static_cast<int>(y.size());
  for (int t = FirstStep(p.model, m); t < n; ++t) {
    const double seas = HasSeason(p.model) ? s.season[static_cast<size_t>(t % m)] : 0.0;
    const double damped = p.phi * s.trend;
    const double pred = s.level + damped + seas;
    const double e = y[static_cast<size_t>(t)] - pred;
    sse += e * e;
    ++c;
    s.level = s.level + damped + p.alpha * e;
    s.trend = damped + p.beta * e;
    if (HasSeason(p.model)) s.season[static_cast<size_t>(t % m)] = seas + p.gamma * e;
  }
  *count = c;
  return sse;
}

std::vector<double> PointForecast(const State& s, const Params& p, int m, int n, int horizon) {
  std::vector<double> out;
  double damp_sum = 0, phi_pow = 1;
  for (int h = 1; h <= horizon; ++h) {
    phi_pow *= p.phi;
    damp_sum += phi_pow;
    const double seas = HasSeason(p.model) ? s.season[static_cast<size_t>((n + h - 1) % m)] : 0.0;
    out.push_back(s.level + damp_sum * s.trend + seas);
  }
  return out;
}

struct Fit {
  Params params;
  State state;
  double sigma = 0;
  bool ok = false;
};

int ParamCount(ForecastModel model, int m) {
  switch (model) {
    case ForecastModel::kLevel:
      return 2;
    case ForecastModel::kTrend:
      return 5;
    case ForecastModel::kSeasonal:
      return 3 + m;
    case ForecastModel::kTrendSeasonal:
      return 5 + m;
    case ForecastModel::kSeasonalNaive:
      return 0;
  }
  return 0;
}

bool Feasible(ForecastModel model, int n, int m) {
  switch (model) {
    case ForecastModel::kSeasonalNaive:
      return n > m;
    case ForecastModel::kLevel:
      return n >= 3;
    case ForecastModel::kTrend:
      return n >= 6;
    case ForecastModel::kSeasonal:
      return n >= 2 * m + 2;
    case ForecastModel::kTrendSeasonal:
      return n >= 3 * m;
  }
  return false;
}

Fit FitModel(const std::vector<double>& y, ForecastModel model, int m) {
  Fit best;
  const int n = static_cast<int>(y.size());
  if (model == ForecastModel::kSeasonalNaive) {
    double sse = 0;
    int c = 0;
    for (int t = m; t < n; ++t) {
      const double e = y[static_cast<size_t>(t)] - y[static_cast<size_t>(t - m)];
      sse += e * e;
      ++c;
    }
    best.params.model = model;
    best.sigma = c > 1 ? std::sqrt(sse / (c - 1)) : 0.0;
    std::vector<double> ring(static_cast<size_t>(m));
    for (int i = 0; i < m; ++i)
      ring[static_cast<size_t>((n - m + i) % m)] = y[static_cast<size_t>(n - m + i)];
    best.state.season = ring;
    best.ok = true;
    return best;
  }
  static const double kAlphas[] = {0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4,
                                   0.5,  0.6,  0.7, 0.8,  0.9, 0.99};
  static const double kBetas[] = {0.0, 0.01, 0.03, 0.1, 0.2};
  static const double kGammas[] = {0.0, 0.02, 0.05, 0.1, 0.2, 0.35};
  static const double kPhis[] = {0.9, 0.95, 0.98, 1.0};
  const State init = Initial(y, model, m);
  double best_sse = std::numeric_limits<double>::infinity();
  int best_count = 0;
  for (const double alpha : kAlphas) {
    for (const double beta : kBetas) {
      if (!HasTrend(model) && beta != 0.0) continue;
      if (beta > alpha) continue;
      for (const double gamma : kGammas) {
        if (!HasSeason(model) && gamma != 0.0) continue;
        if (gamma > 1.0 - alpha) continue;
        for (const double phi : kPhis) {
          if (!HasTrend(model) && phi != 1.0) continue;
          Params p{model, alpha, beta, gamma, phi};
          State s = init;
          int count = 0;
          const double sse = Run(y, p, m, s, &count);
          if (std::isfinite(sse) && sse < best_sse) {
            best_sse = sse;
            best_count = count;
            best.params = p;
            best.state = s;
            best.ok = true;
          }
        }
      }
    }
  }
  const int dof = std::max(1, best_count - ParamCount(model, m));
  best.sigma = best.ok ? std::sqrt(best_sse / dof) : 0.0;
  return best;
}

std::vector<double> FitAndPredict(const std::vector<double>& y, ForecastModel model, int m, int h) {
  const Fit f = FitModel(y, model, m);
  const int n = static_cast<int>(y.size());
  if (model == ForecastModel::kSeasonalNaive) {
    std::vector<double> out;
    for (int i = 1; i <= h; ++i)
      out.push_back(f.state.season[static_cast<size_t>((n + i - 1) % m)]);
    return out;
  }
  return PointForecast(f.state, f.params, m, n, h);
}

double Quantile(std::vector<double>& v, double q) {
  if (v.empty()) return kNaN;
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(v.size() - 1, lo + 1);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  double b = a;
  if (hi != lo) {
    b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  }
  return a + (b - a) * (pos - static_cast<double>(lo));
}

Interval Summarise(std::vector<double>& draws, double mean) {
  Interval iv;
  iv.mean = mean;
  iv.lo95 = Quantile(draws, 0.025);
  iv.lo80 = Quantile(draws, 0.10);
  iv.hi80 = Quantile(draws, 0.90);
  iv.hi95 = Quantile(draws, 0.975);
  return iv;
}

}  // namespace

std::string_view ForecastModelName(ForecastModel model) {
  switch (model) {
    case ForecastModel::kSeasonalNaive:
      return "seasonal_naive";
    case ForecastModel::kLevel:
      return "ets_ann";
    case ForecastModel::kTrend:
      return "ets_aadn";
    case ForecastModel::kSeasonal:
      return "ets_ana";
    case ForecastModel::kTrendSeasonal:
      return "ets_aada";
  }
  return "unknown";
}

double Mape(const std::vector<double>& actual, const std::vector<double>& predicted) {
  double sum = 0;
  int count = 0;
  const size_t n = std::min(actual.size(), predicted.size());
  double scale = 0;
  for (size_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(actual[i]));
  for (size_t i = 0; i < n; ++i) {
    if (std::fabs(actual[i]) <= 1e-9 * std::max(1.0, scale)) continue;
    sum += std::fabs((actual[i] - predicted[i]) / actual[i]);
    ++count;
  }
  return count == 0 ? kNaN : 100.0 * sum / count;
}

Result<ForecastResult> Forecast(const std::vector<double>& y, const ForecastOptions& options) {
  const int n = static_cast<int>(y.size());
  if (n < 3)
    return Status::InvalidArgument("history: at least 3 points are needed, got " +
                                   std::to_string(n));
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(y[static_cast<size_t>(i)]))
      return Status::InvalidArgument("history[" + std::to_string(i) + "] is not a finite number");
  }
  if (options.horizon < 1 || options.horizon > 400)
    return Status::InvalidArgument("horizon: must be 1..400, got " +
                                   std::to_string(options.horizon));
  if (options.season < 2 || options.season > 366)
    return Status::InvalidArgument("season: must be 2..366, got " + std::to_string(options.season));
  if (options.simulations < 100 || options.simulations > 100000)
    return Status::InvalidArgument("simulations: must be 100..100000");
  const int m = options.season;
  const int h = options.horizon;

  // Backtest on a hold-out at the end; every feasible candidate is scored on the same points.
  int b = options.backtest > 0 ? options.backtest : std::min({h, n / 4, 28});
  const std::vector<ForecastModel> all = {ForecastModel::kSeasonalNaive, ForecastModel::kLevel,
                                          ForecastModel::kTrend, ForecastModel::kSeasonal,
                                          ForecastModel::kTrendSeasonal};
  ForecastResult result;
  result.seasonal_naive_mape = kNaN;
  ForecastModel chosen = ForecastModel::kLevel;
  double chosen_mape = std::numeric_limits<double>::infinity();
  if (b >= 1 && n - b >= 3) {
    const std::vector<double> train(y.begin(), y.end() - b);
    const std::vector<double> test(y.end() - b, y.end());
    result.backtest_points = b;
    for (const auto model : all) {
      if (!Feasible(model, n - b, m)) {
        result.candidates.push_back({model, kNaN});
        continue;
      }
      const double mape = Mape(test, FitAndPredict(train, model, m, b));
      result.candidates.push_back({model, mape});
      if (model == ForecastModel::kSeasonalNaive) result.seasonal_naive_mape = mape;
      // The baseline is reported, not chosen: it has no smoothing to give sound intervals for
      // long horizons with few seasons. Ties go to the simpler model (listed first).
      if (model != ForecastModel::kSeasonalNaive && Feasible(model, n, m) && std::isfinite(mape) &&
          mape < chosen_mape - 1e-9) {
        chosen = model;
        chosen_mape = mape;
      }
    }
  }
  if (!std::isfinite(chosen_mape)) {
    // Too short to backtest: the richest model the data supports.
    chosen = Feasible(ForecastModel::kSeasonal, n, m) ? ForecastModel::kSeasonal
             : Feasible(ForecastModel::kTrend, n, m)  ? ForecastModel::kTrend
                                                      : ForecastModel::kLevel;
    chosen_mape = kNaN;
  }
  result.model = chosen;
  result.backtest_mape = chosen_mape;

  const Fit fit = FitModel(y, chosen, m);
  result.alpha = fit.params.alpha;
  result.beta = fit.params.beta;
  result.gamma = fit.params.gamma;
  result.phi = fit.params.phi;
  result.sigma = fit.sigma;
  const std::vector<double> mean = PointForecast(fit.state, fit.params, m, n, h);

  // Sample paths of the fitted model: the same recursions with N(0, sigma^2) errors.
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int sims = options.simulations;
  std::vector<std::vector<double>> draws(static_cast<size_t>(h),
                                         std::vector<double>(static_cast<size_t>(sims)));
  std::vector<double> totals(static_cast<size_t>(sims));
  for (int sim = 0; sim < sims; ++sim) {
    State s = fit.state;
    double total = 0;
    for (int step = 1; step <= h; ++step) {
      const int t = n + step - 1;
      const double seas = HasSeason(chosen) ? s.season[static_cast<size_t>(t % m)] : 0.0;
      const double damped = fit.params.phi * s.trend;
      const double e = fit.sigma * normal(rng);
      const double value = s.level + damped + seas + e;
      s.level = s.level + damped + fit.params.alpha * e;
      s.trend = damped + fit.params.beta * e;
      if (HasSeason(chosen)) s.season[static_cast<size_t>(t % m)] = seas + fit.params.gamma * e;
      draws[static_cast<size_t>(step - 1)][static_cast<size_t>(sim)] = value;
      total += value;
    }
    totals[static_cast<size_t>(sim)] = total;
  }
  for (int step = 0; step < h; ++step)
    result.steps.push_back(
        Summarise(draws[static_cast<size_t>(step)], mean[static_cast<size_t>(step)]));
  result.total = Summarise(totals, std::accumulate(mean.begin(), mean.end(), 0.0));
  return result;
}

}  // namespace dai::cost
