// metrics.anomalies: the anomaly overlay of the PromQL explorer. A range query's series are
// scored causally by the anomaly engine (one AnomalyDetector per series, fed in time order),
// with extra history before the shown range so the detector has warmed up by its start.
// Thread-safety: ScoreOverlay is a pure function; the registered handler is safe for concurrent
// calls (PrometheusClient is).
#pragma once

#include <cstddef>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "ports/metrics_source.h"
#include "registry/procedure.h"

namespace dai::prometheus {
class PrometheusClient;
}

namespace dai::metrics {

struct OverlayOptions {
  double threshold = 0.5;  //!< points scoring at or above this are listed as anomalies
  size_t max_series = 50;  //!< series beyond this are dropped (truncated: true)
};

//! Scores each series in time order with its own detector; points before `from` only warm the
//! detector up and are not returned. Non-finite values are returned as null and score 0.
//! Returns {threshold, truncated, series: [{metric, times, values, scores, maxScore,
//! anomalies: [{t, value, score}]}]}. Never fails.
Json ScoreOverlay(const std::vector<MetricSeries>& series, TimePoint from,
                  const OverlayOptions& options);

//! How many points before the range are fetched to warm the detector up.
int WarmupPoints();

//! Registers metrics.anomalies. `prometheus` may be null: the procedure then answers
//! FAILED_PRECONDITION naming the setting.
void RegisterAnomalyOverlay(ProcedureRegistry& registry,
                            const prometheus::PrometheusClient* prometheus);

}  // namespace dai::metrics
