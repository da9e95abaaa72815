// AnomalyDetector: a streaming, causal anomaly scorer for one univariate time series (issue #3).
//
// Each Update(t, x) folds one point into a bounded model of the series and returns a score in
// [0, 1] for that point, computed only from points seen so far (no look-ahead). The model learns
// the series' level (fast and slow EWMAs), its noise (exponentially weighted mean absolute
// deviations), its daily and weekly seasonality (time-of-day / hour-of-week profiles of the
// deviation from the slow level) and the range of values it has visited (decaying extremes).
// Five detectors read the model:
//   1. novelty   - how far x lies outside the values the series has visited (new extremes);
//   2. spike     - |x - fast level| against the series' own step noise;
//   3. seasonal  - |x - seasonal prediction| against the seasonal residual noise, used only
//                  when the profile explains the series (residual noise well below raw noise);
//   4. change    - two-sided CUSUM on standardised residuals (level shifts and drifts);
//   5. shape     - novelty of the recent shape: the last kShapeBins bin means (bins of
//                  shape_bin_points points), range-normalised, against a bounded memory of
//                  kShapeProtos remembered prototype windows (nearest-neighbour distance, as
//                  KNN-CAD / ARTime do); catches contextual anomalies that stay inside the
//                  visited range (a burst of spikes, a flattened or drifting stretch); a
//                  second, smaller memory does the same at a coarser scale (coarse_bin_points).
// The detector z-values are fused by a weighted max into a surprise z and mapped to [0, 1).
// Post-processing a product also wants: no score during a warm-up (the model has not learned
// yet), and further scores for the same event are damped
// for a hold period, so one incident raises one alert: a score is reported in full only when it
// beats the decaying peak of recent scores.
//
// The sampling period is inferred from the timestamps (median-of-3 of positive gaps, smoothed);
// repeated or out-of-order timestamps are accepted (the point is scored, the clock does not move
// backwards). NaN or infinite values score 0 and leave the state unchanged; finite magnitudes
// beyond 1e150 are clamped to 1e150 (so that no sum or difference overflows).
//
// State is a fixed-size object (see StateBytes()), under 4 KiB. One parameter set
// (DetectorConfig{}) is meant for every series.
// Thread-safety: not thread-safe; use one detector per series (instances are independent).
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>

namespace dai::anomaly {

//! The one parameter set. Defaults are the values measured on NAB (scripts/nab-eval).
struct DetectorConfig {
  int warmup_points = 150;             //!< points scored 0 while the model learns
  double fast_alpha = 0.3;             //!< EWMA weight of the fast level
  double slow_halflife_days = 0.1;     //!< half-life of the slow level, in days of data
  double noise_alpha = 0.01;           //!< EW weight of the noise (MAD) trackers
  double season_alpha = 0.05;          //!< EW weight of one seasonal bucket update
  double range_halflife_days = 30.0;   //!< half-life of the visited range, days of data
  double novelty_mad_weight = 1.0;     //!< novelty scale: this many level MADs ...
  double novelty_range = 0.1;          //!< ... or this fraction of the visited range
  double novelty_ref = 2.0;            //!< novelty z that counts as much as a record residual
  double record_halflife_days = 60.0;  //!< half-life of each detector's record z
  double record_floor = 8.0;           //!< records below this many noise units do not count
  double w_novelty = 1.3;              //!< weight of the novelty detector in the fusion
  double w_spike = 0.0;                //!< weight of the spike detector
  double w_season = 0.5;               //!< weight of the seasonal detector
  double w_change = 0.5;               //!< weight of the change (CUSUM) detector
  double cusum_k = 0.5;                //!< CUSUM allowance, in noise units
  double cusum_h = 16.0;               //!< CUSUM decision level, in noise units
  double season_min_gain = 0.1;        //!< the seasonal profile must cut the noise by this much
  double like_halflife_days = 0.0;     //!< half-life of the surprise calibration (0 = off)
  double like_short_alpha = 0.3;       //!< EW weight of the short-term surprise mean
  double z_scale = 1.0;                //!< z at which the score is 0.5 (score = z / (z + z_scale))
  double hold_hours = 6.0;             //!< half-life of the alert hold's peak
  double hold_margin = 0.1;            //!< a score must beat the peak by this much to count
  double hold_damp = 0.0;              //!< factor applied to scores that do not beat the peak
  int shape_bin_points = 12;           //!< points averaged into one bin of the shape window
  double shape_vigilance = 0.05;       //!< distance (fraction of range) that makes a new prototype
  double shape_learn = 0.1;            //!< rate at which the nearest prototype moves to a window
  double shape_floor = 0.04;          //!< shape distances below this fraction of range do not count
  double shape_record_bins = 150;     //!< half-life of the shape record, in bins
  double shape_typical_k = 2.0;       //!< shape distances below this many typical ones do not count
  double shape_typical_alpha = 0.01;  //!< EW weight (per bin) of the typical shape distance
  double w_shape = 0.6;               //!< weight of the shape-novelty detector
  int coarse_bin_points = 48;  //!< bin of the coarse shape memory (6 bins: a day of 5-min data)
  double w_coarse = 0.4;       //!< weight of the coarse shape-novelty detector
};

class AnomalyDetector {
 public:
  explicit AnomalyDetector(const DetectorConfig& config = DetectorConfig{});

  //! Folds (unix_seconds, value) into the model and returns this point's score in [0, 1].
  //! Never fails: non-finite values score 0 and do not change the model.
  double Update(int64_t unix_seconds, double value);

  //! Bytes of state one series costs (the object itself; it owns no heap memory).
  size_t StateBytes() const { return sizeof(*this); }

  //! Points accepted so far (finite values only).
  int64_t points() const { return n_; }
  //! The inferred sampling period in seconds (0 until two distinct timestamps were seen).
  double period_seconds() const { return period_; }

 private:
  static constexpr int kDayBuckets = 288;   // 5-minute buckets
  static constexpr int kWeekBuckets = 168;  // hour-of-week buckets
  static constexpr int kShapeBins = 6;      // bins per shape window
  static constexpr int kShapeProtos = 48;   // remembered shape prototypes
  static constexpr int kCoarseProtos = 8;   // remembered coarse shape prototypes

  double Fuse(double x, int64_t t);
  // One shape memory: the current bin, the last kShapeBins bin means, the prototypes.
  template <int kProtos>
  struct ShapeMemory {
    double bin_sum = 0;
    int bin_count = 0;
    int bins_seen = 0;
    int protos = 0;
    uint32_t clock = 0;
    double record = 0;
    double typical = 0;  // EW mean of the nearest-neighbour distances
    std::array<float, kShapeBins> bins{};
    std::array<std::array<float, kShapeBins>, kProtos> proto{};
    std::array<uint32_t, kProtos> used{};
  };
  template <int kProtos>
  double ShapeNovelty(ShapeMemory<kProtos>& m, int bin_points, double x);
  void Learn(double x, int64_t t);
  void UpdatePeriod(int64_t t);
  double PointsPerDay() const;

  DetectorConfig cfg_;
  int64_t n_ = 0;
  int64_t last_t_ = 0;
  bool have_t_ = false;
  double period_ = 0;
  std::array<double, 3> gaps_{};  // last positive gaps for the median-of-3
  int gap_count_ = 0;

  double fast_ = 0, slow_ = 0;
  double step_mad_ = 0;     // EW mean |x - fast_prev|
  double level_mad_ = 0;    // EW mean |x - slow_prev|
  double day_mad_ = 0;      // EW mean |x - (slow + day profile)|
  double week_mad_ = 0;     // EW mean |x - (slow + week profile)|
  double lo_ = 0, hi_ = 0;  // visited range (decays towards the slow level)
  double cusum_pos_ = 0, cusum_neg_ = 0;
  double short_u_ = 0, mean_u_ = 0, var_u_ = 0;  // surprise calibration
  std::array<double, 3> record_{};               // decaying max z of spike, season, change
  double peak_ = 0;                              // decaying peak of recent scores (the alert hold)
  std::array<float, kDayBuckets> day_{};         // mean deviation from the slow level
  std::array<float, kWeekBuckets> week_{};
  std::bitset<kDayBuckets> day_seen_{};  // buckets that hold a learned value
  std::bitset<kWeekBuckets> week_seen_{};
  ShapeMemory<kShapeProtos> shape_;
  ShapeMemory<kCoarseProtos> coarse_;
};

}  // namespace dai::anomaly
