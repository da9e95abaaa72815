// WatchService: the user's watched PromQL queries (`watched_queries`). A scheduled job
// (`anomaly.watch`, when the first watch is due: its step after its last run, at least every
// 30 s and at most every second) reads each due query from Prometheus (query_range over its
// window at its resolution), feeds every series through the streaming anomaly engine, and turns
// a score at or above the threshold among the points new since the last evaluation into a
// firing signal (source "anomaly": the series labels, the score, the window and the recent
// points as evidence) through IncidentService::Ingest; a series that was firing and scores
// below the threshold again sends the resolved signal. Without a Prometheus configured the
// procedures still manage watches and evaluation answers FAILED_PRECONDITION naming the
// setting.
// Thread-safety: safe for concurrent use.
#pragma once

#include <functional>
#include <string>

#include "adapters/prometheus/prometheus_client.h"
#include "core/clock.h"
#include "core/json.h"
#include "modules/incident_commander/incident_service.h"
#include "registry/procedure.h"
#include "store/database.h"
#include "store/job_repository.h"
#include "store/job_worker.h"

namespace dai::incidents {

class WatchService {
 public:
  WatchService(store::Database& db, store::JobRepository& jobs, const Clock& clock,
               IncidentService& incidents, const prometheus::PrometheusClient* prometheus);

  void RegisterProcedures(ProcedureRegistry& registry);
  //! Registers the `anomaly.watch` job kind and its schedule (see the file comment).
  Status AttachWorker(store::JobWorker& worker);
  //! Also hands every committed anomaly signal batch (firing and resolved) to `sink` (the app
  //! wires the Self-Healing Engine here, so rules can act on anomalies).
  void SetSignalSink(std::function<void(const alerts::AlertBatch&)> sink) {
    sink_ = std::move(sink);
  }

  Result<Json> Create(const Json& in);
  Result<Json> Update(int64_t id, const Json& in);
  Status Delete(int64_t id);
  Result<Json> List();
  //! Evaluates one watch now; returns what it found (series, max scores, signals sent).
  Result<Json> Evaluate(int64_t id);
  //! Evaluates every enabled watch that is due.
  Status EvaluateDue();

 private:
  static constexpr std::chrono::seconds kMinWatchTick{1};
  static constexpr std::chrono::seconds kMaxWatchTick{30};
  //! When the first enabled watch is due, within [now + kMinWatchTick, now + kMaxWatchTick].
  Result<TimePoint> NextDue();

  store::Database& db_;
  store::JobRepository& jobs_;
  const Clock& clock_;
  IncidentService& incidents_;
  const prometheus::PrometheusClient* prometheus_;
  std::function<void(const alerts::AlertBatch&)> sink_;
};

}  // namespace dai::incidents
