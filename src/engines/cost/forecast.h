// Spend forecasting with prediction intervals: additive exponential smoothing (level, damped
// trend, weekly seasonality; the ETS(A,Ad,A) family and its simpler members) fitted by
// one-step squared error, the model chosen by a hold-out backtest (MAPE) against the
// seasonal-naive baseline, and 80%/95% intervals for each day and for the horizon's total
// from simulated sample paths of the fitted state-space model (Gaussian errors with the
// in-sample residual variance). Pure and deterministic (the seed is an input).
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::cost {

enum class ForecastModel { kSeasonalNaive, kLevel, kTrend, kSeasonal, kTrendSeasonal };
std::string_view ForecastModelName(ForecastModel model);

struct ForecastOptions {
  int horizon = 30;        //!< steps (days) ahead, 1..400
  int season = 7;          //!< seasonal period in steps (7: weekly for daily data)
  int simulations = 2000;  //!< sample paths for the intervals
  uint64_t seed = 1;
  int backtest = 0;  //!< hold-out length; 0 = min(horizon, n/4, 28)
};

struct Interval {
  double mean = 0, lo80 = 0, hi80 = 0, lo95 = 0, hi95 = 0;
};

struct ModelScore {
  ForecastModel model;
  double mape;  //!< NaN when the model could not be backtested
};

struct ForecastResult {
  ForecastModel model = ForecastModel::kLevel;
  double alpha = 0, beta = 0, gamma = 0, phi = 1;
  double sigma = 0;             //!< one-step residual standard deviation
  std::vector<Interval> steps;  //!< h = 1..horizon
  Interval total;               //!< the sum over the horizon
  int backtest_points = 0;
  double backtest_mape = 0;        //!< of the chosen model, in percent
  double seasonal_naive_mape = 0;  //!< of the baseline on the same hold-out (NaN if too short)
  std::vector<ModelScore> candidates;
};

//! Forecasts `history` (equally spaced, oldest first) `options.horizon` steps ahead. Needs at
//! least 3 points; non-finite values are refused naming their index.
Result<ForecastResult> Forecast(const std::vector<double>& history, const ForecastOptions& options);

//! Mean absolute percentage error in percent over the pairs whose actual is not ~0.
double Mape(const std::vector<double>& actual, const std::vector<double>& predicted);

}  // namespace dai::cost
