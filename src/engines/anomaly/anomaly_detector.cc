#include "engines/anomaly/anomaly_detector.h"

#include <algorithm>
#include <cmath>

namespace dai::anomaly {
namespace {

constexpr double kSecondsPerDay = 86400.0;
constexpr int64_t kSecondsPerWeek = 7 * 86400;

//! Per-point EW weight whose half-life is `points` points.
double AlphaForHalfLife(double points) {
  if (points <= 1.0) return 0.5;
  return 1.0 - std::exp2(-1.0 / points);
}

double Median3(double a, double b, double c) {
  return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

}  // namespace

AnomalyDetector::AnomalyDetector(const DetectorConfig& config) : cfg_(config) {}

void AnomalyDetector::UpdatePeriod(int64_t t) {
  if (!have_t_) {
    have_t_ = true;
    last_t_ = t;
    return;
  }
  if (t <= last_t_) return;  // repeated or out of order: the clock does not move back
  const double gap = static_cast<double>(t - last_t_);
  last_t_ = t;
  gaps_[gap_count_ % 3] = gap;
  ++gap_count_;
  double med = gap;
  if (gap_count_ >= 3) med = Median3(gaps_[0], gaps_[1], gaps_[2]);
  period_ = period_ == 0 ? med : period_ + 0.05 * (med - period_);
}

double AnomalyDetector::PointsPerDay() const {
  if (period_ <= 0) return 288.0;  // 5-minute data until the period is known
  return std::clamp(kSecondsPerDay / period_, 1.0, 1e6);
}

double AnomalyDetector::Update(int64_t unix_seconds, double value) {
  if (!std::isfinite(value)) return 0.0;
  // Magnitudes beyond 1e150 are clamped to it: differences and sums of such values would
  // overflow to infinity and turn the model into NaN (the score stays the highest there is).
  constexpr double kValueLimit = 1e150;
  value = std::clamp(value, -kValueLimit, kValueLimit);
  const int64_t prev_t = last_t_;
  const bool had_t = have_t_;
  UpdatePeriod(unix_seconds);
  const int64_t t = last_t_;  // monotone clock
  const double dt = had_t ? static_cast<double>(t - prev_t) : 0.0;
  if (n_ == 0) {
    fast_ = slow_ = lo_ = hi_ = value;
    ++n_;
    Learn(value, t);
    return 0.0;
  }
  double score = Fuse(value, t);
  Learn(value, t);
  ++n_;
  if (n_ <= cfg_.warmup_points) return 0.0;

  // Alert hold: one event, one alert. A score is reported in full only when it exceeds every
  // score of the last hours (a peak that decays with half-life hold_hours); otherwise it is the
  // same event (or a smaller one) and is damped.
  peak_ *= std::exp2(-dt / (cfg_.hold_hours * 3600.0));
  if (score > peak_ + cfg_.hold_margin) {
    peak_ = score;
  } else {
    peak_ = std::max(peak_, score);
    score *= cfg_.hold_damp;
  }
  return std::clamp(score, 0.0, 1.0);
}

double AnomalyDetector::Fuse(double x, int64_t t) {
  const double range = hi_ - lo_;
  const double floor = 0.01 * range + 1e-9 * (1.0 + std::fabs(slow_));

  // 1. novelty: outside the visited range.
  const double outside = std::max({x - hi_, lo_ - x, 0.0});
  const double z_novelty =
      outside / std::max({cfg_.novelty_mad_weight * level_mad_, cfg_.novelty_range * range, floor});

  // 2. spike against the step noise.
  const double z_spike = std::fabs(x - fast_) / std::max(step_mad_, floor);

  // 3. seasonal residual, when a profile explains the series.
  const int day_b = static_cast<int>((t % 86400 + 86400) % 86400 / (86400 / kDayBuckets));
  const int week_b = static_cast<int>(((t + 3 * 86400) % kSecondsPerWeek + kSecondsPerWeek) %
                                      kSecondsPerWeek / 3600);
  double pred = slow_;
  double mad = level_mad_;
  const double gain_limit = (1.0 - cfg_.season_min_gain) * level_mad_;
  if (day_seen_[day_b] && day_mad_ < gain_limit && day_mad_ <= week_mad_) {
    pred = slow_ + day_[day_b];
    mad = day_mad_;
  } else if (week_seen_[week_b] && week_mad_ < gain_limit) {
    pred = slow_ + week_[week_b];
    mad = week_mad_;
  }
  const double resid = x - pred;
  const double scale = std::max(mad, floor);
  const double z_season = mad < level_mad_ ? std::fabs(resid) / scale : 0.0;

  // 4. CUSUM on standardised residuals.
  const double r = std::clamp(resid / scale, -20.0, 20.0);
  cusum_pos_ = std::max(0.0, cusum_pos_ + r - cfg_.cusum_k);
  cusum_neg_ = std::max(0.0, cusum_neg_ - r - cfg_.cusum_k);
  const double z_change = 6.0 * std::max(cusum_pos_, cusum_neg_) / cfg_.cusum_h;
  if (cusum_pos_ > cfg_.cusum_h) cusum_pos_ = 0;
  if (cusum_neg_ > cfg_.cusum_h) cusum_neg_ = 0;

  // Each residual detector is calibrated against its own record: the decaying maximum of its
  // past z values (floored at record_floor noise units). A ratio above 1 is a new record.
  const double a_rec = AlphaForHalfLife(cfg_.record_halflife_days * PointsPerDay());
  const double zs[3] = {z_spike, z_season, z_change};
  const double ws[3] = {cfg_.w_spike, cfg_.w_season, cfg_.w_change};
  double z = cfg_.w_novelty * z_novelty / cfg_.novelty_ref;
  for (int i = 0; i < 3; ++i) {
    const double ratio = zs[i] / std::max(record_[i], cfg_.record_floor);
    z = std::max(z, ws[i] * ratio);
    record_[i] = std::max(record_[i] * (1.0 - a_rec), zs[i]);
  }
  z = std::max(z, cfg_.w_shape * ShapeNovelty(shape_, cfg_.shape_bin_points, x));
  z = std::max(z, cfg_.w_coarse * ShapeNovelty(coarse_, cfg_.coarse_bin_points, x));
  if (cfg_.like_halflife_days <= 0) return z / (z + cfg_.z_scale);

  // Calibration against the series' own history of surprise: the short-term mean of log1p(z)
  // standardised by its long-term EW mean and deviation (like NAB's "anomaly likelihood").
  const double u = std::log1p(z);
  const double a_long = AlphaForHalfLife(cfg_.like_halflife_days * PointsPerDay());
  short_u_ += cfg_.like_short_alpha * (u - short_u_);
  const double sd = std::sqrt(var_u_) + 0.05;
  const double zz = std::max(0.0, (short_u_ - mean_u_) / sd);
  const double clipped = std::min(u, mean_u_ + 4.0 * sd);
  const double d = clipped - mean_u_;
  mean_u_ += a_long * d;
  var_u_ = (1.0 - a_long) * (var_u_ + a_long * d * d);
  return zz / (zz + cfg_.z_scale);
}

// Shape novelty (KNN-CAD / ARTime style, with a bounded memory): the series is averaged into bins
// of shape_bin_points points; at each completed bin the window of the last kShapeBins bin means
// is compared with the remembered prototypes (mean absolute difference per bin, as a fraction of
// the visited range). A window farther than shape_vigilance from every prototype becomes a new
// prototype (replacing the least recently matched one when the memory is full); otherwise the
// nearest prototype moves towards it. The returned z is the distance against its own decaying
// record, as for the residual detectors, floored at shape_floor of the range and at
// shape_typical_k times the typical nearest-neighbour distance (an EW mean that starts at 0, so
// the floor rises as the memory fills): a shape unlike every remembered one, farther than any
// recent novelty and well beyond the distances the series' own noise produces, scores above 1.
// Without the typical-distance floor, pure noise keeps setting small new records. Between bin
// completions it returns 0.
template <int kProtos>
double AnomalyDetector::ShapeNovelty(ShapeMemory<kProtos>& m, int bin_points, double x) {
  m.bin_sum += x;
  if (++m.bin_count < bin_points) return 0.0;
  // Bins are stored as floats: an absurd value (beyond float range) is clamped, not overflowed.
  constexpr double kFloatLimit = 1e37;
  const double raw_mean = m.bin_sum / m.bin_count;
  const double mean = std::isnan(raw_mean) ? 0.0 : std::clamp(raw_mean, -kFloatLimit, kFloatLimit);
  m.bin_sum = 0;
  m.bin_count = 0;
  for (int i = 0; i + 1 < kShapeBins; ++i) m.bins[i] = m.bins[i + 1];
  m.bins[kShapeBins - 1] = static_cast<float>(mean);
  if (++m.bins_seen < kShapeBins) return 0.0;
  const double range = std::max(hi_ - lo_, 1e-9 * (1.0 + std::fabs(slow_)));
  ++m.clock;
  int best = -1;
  double best_d = 0;
  for (int p = 0; p < m.protos; ++p) {
    double d = 0;
    for (int i = 0; i < kShapeBins; ++i) d += std::fabs(m.bins[i] - m.proto[p][i]);
    if (best < 0 || d < best_d) {
      best = p;
      best_d = d;
    }
  }
  const double dist = best < 0 ? 0.0 : best_d / (kShapeBins * range);
  if (best < 0 || dist > cfg_.shape_vigilance) {
    int slot = m.protos;
    if (m.protos < kProtos) {
      ++m.protos;
    } else {
      slot = 0;
      for (int p = 1; p < kProtos; ++p) {
        if (m.used[p] < m.used[slot]) slot = p;
      }
    }
    m.proto[slot] = m.bins;
    m.used[slot] = m.clock;
  } else {
    for (int i = 0; i < kShapeBins; ++i) {
      m.proto[best][i] += static_cast<float>(cfg_.shape_learn * (m.bins[i] - m.proto[best][i]));
    }
    m.used[best] = m.clock;
  }
  if (best < 0 || !std::isfinite(dist)) return 0.0;
  const double z = dist / std::max({m.record, cfg_.shape_floor, cfg_.shape_typical_k * m.typical});
  m.typical += cfg_.shape_typical_alpha * (dist - m.typical);
  m.record = std::max(m.record * std::exp2(-1.0 / cfg_.shape_record_bins), dist);
  return z;
}

void AnomalyDetector::Learn(double x, int64_t t) {
  const double ppd = PointsPerDay();
  const double a_slow = AlphaForHalfLife(cfg_.slow_halflife_days * ppd);
  const double a_range = AlphaForHalfLife(cfg_.range_halflife_days * ppd);
  const double a_noise = cfg_.noise_alpha;
  const double range = hi_ - lo_;
  const double floor = 0.01 * range + 1e-9 * (1.0 + std::fabs(slow_));

  auto track = [&](double& mad, double err) {
    const double cap = 5.0 * std::max(mad, floor);
    const double e = n_ < 10 ? std::fabs(err) : std::min(std::fabs(err), cap);
    mad += a_noise * (e - mad);
  };

  const int day_b = static_cast<int>((t % 86400 + 86400) % 86400 / (86400 / kDayBuckets));
  const int week_b = static_cast<int>(((t + 3 * 86400) % kSecondsPerWeek + kSecondsPerWeek) %
                                      kSecondsPerWeek / 3600);
  const double dev = x - slow_;
  if (n_ > 0) {
    track(step_mad_, x - fast_);
    track(level_mad_, dev);
    track(day_mad_, day_seen_[day_b] ? dev - day_[day_b] : dev);
    track(week_mad_, week_seen_[week_b] ? dev - week_[week_b] : dev);
  }
  if (day_seen_[day_b]) {
    day_[day_b] += static_cast<float>(cfg_.season_alpha * (dev - day_[day_b]));
  } else {
    day_[day_b] = static_cast<float>(dev);
    day_seen_[day_b] = true;
  }
  if (week_seen_[week_b]) {
    week_[week_b] += static_cast<float>(cfg_.season_alpha * (dev - week_[week_b]));
  } else {
    week_[week_b] = static_cast<float>(dev);
    week_seen_[week_b] = true;
  }
  fast_ += cfg_.fast_alpha * (x - fast_);
  slow_ += a_slow * (x - slow_);
  hi_ -= a_range * (hi_ - slow_);
  lo_ -= a_range * (lo_ - slow_);
  hi_ = std::max(hi_, x);
  lo_ = std::min(lo_, x);
}

}  // namespace dai::anomaly
