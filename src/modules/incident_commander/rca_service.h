// RcaService: root-cause ranking of real incidents (issue #3), with the same engine
// (engines/rca) that `devops-ai rca rank` runs on the scenario files. For one incident it builds
// the engine's input from what the platform knows:
//  - the incident's start: its first critical member alert's start (else its first alert's),
//    when earlier than the detection (Alertmanager tells us after `for:`), at most 6 h back;
//  - services: the incident's own service, its member alerts' `service` labels, and the
//    services of the service graph: the latest architecture snapshot's connections (component
//    names, callers → callees; self-loops dropped) plus calls an admin declared in `rca.config`;
//  - metric series per service from Prometheus (query_range over the engine's baseline and
//    detection windows around the incident's detection time): one PromQL query per metric
//    class, each answering one series per service label (`rca.config` in the settings table,
//    changed with setRcaConfig; defaults follow common HTTP/process metric names);
//  - alerts: the incident's member alerts (service, name, severity, start);
//  - changes: deployment pipeline runs and executed self-healing actions in the window, by
//    service.
// The ranking (best first, with evidence lines, confidence and a templated explanation) and a
// summary of the inputs (what was read, what was missing and why) are stored in
// incidents.root_cause_analysis and recorded on the timeline. Without Prometheus the ranking
// uses alerts, graph and changes only and says that metrics were not read.
// PromQL comes from an admin's configuration, never from alert values; label values reach
// Prometheus only inside results, never in query text.
// Thread-safety: safe for concurrent use (no state beyond its dependencies).
#pragma once

#include <string>
#include <vector>

#include "adapters/prometheus/prometheus_client.h"
#include "core/clock.h"
#include "core/json.h"
#include "engines/rca/rca_input.h"
#include "ports/narrator.h"
#include "registry/procedure.h"
#include "store/database.h"

namespace dai::incidents {

struct RcaMetricQuery {
  std::string metric;  //!< engine metric name: latency_p99_ms, error_rate, request_rate, ...
  std::string query;   //!< PromQL answering one series per service label value
};

struct RcaSettings {
  std::string service_label = "service";
  int step_seconds = 15;
  std::vector<RcaMetricQuery> metrics;
  //! Service calls declared by an admin (caller → callee), added to the snapshot's graph.
  std::vector<std::pair<std::string, std::string>> calls;
  Json ToJson() const;
  //! INVALID_ARGUMENT naming the field.
  static Result<RcaSettings> FromJson(const Json& j);
  static RcaSettings Defaults();
};

class RcaService {
 public:
  RcaService(store::Database& db, const Clock& clock,
             const prometheus::PrometheusClient* prometheus);

  void RegisterProcedures(ProcedureRegistry& registry);

  //! Ranks the causes of incident `id`, stores and returns the analysis.
  Result<Json> Analyze(int64_t id, const std::string& actor);
  //! The stored analysis (null when none was made).
  Result<Json> Get(int64_t id);
  Result<RcaSettings> Settings();
  Result<Json> SetSettings(const Json& in);

  //! The narrator of the ranking's explanation (an LLM; may be null). Must outlive the service.
  void SetNarrator(Narrator* narrator) { narrator_ = narrator; }

  //! Builds the engine input for an incident and notes what could not be read. Exposed for
  //! tests.
  Result<rca::RcaInput> BuildInput(int64_t id, const RcaSettings& settings, Json& inputs);

 private:
  store::Database& db_;
  const Clock& clock_;
  const prometheus::PrometheusClient* prometheus_;
  Narrator* narrator_ = nullptr;
};

}  // namespace dai::incidents
