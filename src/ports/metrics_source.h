// MetricsSource: where modules read time series (DESIGN.md: metrics stay in Prometheus or
// anything speaking its HTTP API; we query, we do not copy). Implemented by
// PrometheusMetricsSource (adapters/prometheus); tests may use a fake that follows the same
// contract.
// Thread-safety: implementations must be safe for concurrent calls.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace dai {

struct MetricPoint {
  TimePoint time;
  double value = 0;  //!< NaN and +/-Inf are kept as Prometheus reports them
};

//! One labelled series. An instant query gives one point per series.
struct MetricSeries {
  std::map<std::string, std::string> labels;  //!< includes __name__ when the query keeps it
  std::vector<MetricPoint> points;            //!< in time order
};

class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  //! Evaluates `promql` at `at`. A scalar result is one series without labels. INVALID_ARGUMENT
  //! for a query the backend rejects (its message kept), UNAVAILABLE/DEADLINE_EXCEEDED when
  //! the backend cannot be reached in time.
  virtual Result<std::vector<MetricSeries>> Instant(std::string_view promql, TimePoint at) = 0;
  //! Evaluates `promql` over [start, end] every `step`. Same failures as Instant; also
  //! INVALID_ARGUMENT for end < start or a non-positive step.
  virtual Result<std::vector<MetricSeries>> Range(std::string_view promql, TimePoint start,
                                                  TimePoint end,
                                                  std::chrono::milliseconds step) = 0;
  //! OK when the backend is reachable and ready to answer queries.
  virtual Status Check() = 0;
};

}  // namespace dai
