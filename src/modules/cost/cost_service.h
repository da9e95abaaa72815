// CostService: the Cost Optimizer's use cases over the store. Imports FOCUS/CUR files
// (streamed, staged under a 'loading' import, committed in one short transaction that replaces
// the same billing period and account of earlier imports; a file already imported is
// recognised by its SHA-256 and not imported twice), serves breakdowns from the daily
// pre-aggregates, forecasts with intervals, budgets with once-per-crossing alerts, and
// recommendations (idle resources, commitments, rightsizing) with the change that applies them.
// Thread-safety: safe for concurrent use (state lives in the database).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/prometheus/prometheus_client.h"
#include "core/clock.h"
#include "core/json.h"
#include "engines/alerts/alert.h"
#include "engines/cost/cost_aggregator.h"
#include "engines/cost/spot.h"
#include "engines/cost/utilization.h"
#include "registry/procedure.h"
#include "store/database.h"
#include "store/job_repository.h"
#include "store/job_worker.h"

namespace dai::costopt {

//! Pulls the next bytes of a file into `buffer`; returns how many (0 at the end).
using ChunkSource = std::function<Result<size_t>(char* buffer, size_t capacity)>;

struct ImportOptions {
  std::string source;  //!< a name for the file (shown in listImports)
  std::string actor;   //!< who imported it
  //! When set ("2024-09"), every row's billing period must start in that month.
  std::optional<std::string> expected_period;
  size_t batch_rows = 5000;  //!< rows per staging transaction
  //! Daily aggregate cells held in memory before they are spilled to the import's private
  //! table (cost_daily_spill) and added up at commit: bounds the import's memory whatever the
  //! number of (day, account, service, region, ...) combinations.
  size_t aggregate_budget = 50000;
};

struct CostServiceOptions {
  double commitment_discount = 0.28;  //!< savings-plan discount assumed for sizing
  int idle_min_days = 7;
  //! Where utilization and the real-time estimate come from; null: not configured (the
  //! collector does nothing, the estimate answers FAILED_PRECONDITION naming the setting).
  const prometheus::PrometheusClient* prometheus = nullptr;
  cost::PriceSheet prices;  //!< the price sheet of the real-time estimate
  //! Cost anomalies go to the Incident Commander through this (IncidentService::Ingest in the
  //! server); empty: anomalies are recorded and listed but not signalled.
  std::function<Status(const alerts::AlertBatch&)> signals;
  double anomaly_threshold = 0.8;  //!< anomaly engine score at or above which a day is raised
  //! OpenCost's base URL ("http://opencost.opencost:9003"); empty: the pull does nothing.
  std::string opencost_url;
  http::HttpClientOptions opencost_http;  //!< timeouts and the outbound policy of the pull
  //! Lists the cluster's workloads, PodDisruptionBudgets, HorizontalPodAutoscalers and Nodes
  //! (the Kubernetes adapter in the server), adding one line per kind it could not list to
  //! `errors`; empty: no cluster (spot suitability answers FAILED_PRECONDITION naming the
  //! setting, and refreshRecommendations skips it).
  std::function<Status(std::vector<Json>* objects, std::vector<std::string>* errors)> read_cluster;
};

class CostService {
 public:
  //! `publish(type, json)` sends live updates (SSE); may be empty.
  CostService(store::Database& db, const Clock& clock, CostServiceOptions options,
              std::function<void(const std::string&, const std::string&)> publish);

  //! Imports one file. The answer: {importId, duplicate, format, rows, currency, billedCost,
  //! effectiveCost, periods:[{start,end,rows,billedCost,effectiveCost}], replacedImports}.
  //! Nothing of a failed import stays visible; its cost_imports row records the error.
  Result<Json> Import(const ChunkSource& source, const ImportOptions& options);
  //! Opens a plain or gzip file and imports it.
  Result<Json> ImportFile(const std::string& path, const ImportOptions& options);

  Result<Json> GetCosts(const Json& input);
  Result<Json> Forecast(const Json& input);
  Result<Json> SetBudget(const Json& input, const Identity& who);
  Result<Json> ListBudgets();
  Result<Json> RefreshRecommendations(const Json& input);
  Result<Json> GetRecommendations(const Json& input);
  Result<Json> ApplyRecommendation(const Json& input, const Identity& who);
  //! Records a proposal to apply an open recommendation (the assistant's): it waits in
  //! details.proposal {by, reason, at, status: pending} until a person decides it.
  Result<Json> ProposeRecommendation(int64_t id, const std::string& by, const std::string& reason);
  //! {id, decision: approve|reject, note?}: approve applies the recommendation as `who`;
  //! reject leaves it open. FAILED_PRECONDITION when no proposal is pending.
  Result<Json> DecideProposal(const Json& input, const Identity& who);
  Result<Json> ListImports(const Json& input);
  //! Spot suitability of every workload of the cluster: {provider, discount, discountSource,
  //! noticeSeconds, workloads: [{id, kind, namespace, name, replicas, suitable, criteria,
  //! failed, monthlyCost, monthlySavings, costSource, risk, evidence, patch, patchYaml}],
  //! errors}. Input: provider? (aws|gcp|azure|default; default: from the nodes), spotDiscount?.
  Result<Json> AssessSpot(const Json& input);

  //! Reads CPU/memory usage and requests per container (cAdvisor, kube-state-metrics) and per
  //! host (node_exporter) from Prometheus over [from, to) at `step`, and writes one
  //! resource_utilization row per resource and hour (an hour collected again is replaced).
  //! Answers {from, to, hours, rows, containers, hosts}. FAILED_PRECONDITION without Prometheus.
  Result<Json> CollectUtilization(TimePoint from, TimePoint to, std::chrono::seconds step);
  //! The hourly job's body: collects the completed hours since the cursor (at most 7 days
  //! back, so missed hours are backfilled), then moves the cursor. Errors are recorded in
  //! cost_collector_state and returned.
  Status CollectUtilizationDue();
  //! Collector cursors, last runs and errors.
  Result<Json> CollectorStatus();
  //! Utilization per resource over the last `hours` hours (from resource_utilization).
  Result<Json> GetUtilization(const Json& input);
  //! The real-time estimate from Prometheus now: each host's asset cost (capacity × price
  //! sheet), each container's max(request, usage) × price, and idle = asset − allocated.
  Result<Json> Estimate();
  //! Scores daily spend per service and per account with the anomaly engine; days at or above
  //! the threshold not raised before are recorded and sent as signals with their top line items.
  Result<Json> DetectAnomalies(const Json& input);
  Result<Json> ListAnomalies(const Json& input);
  //! Pulls OpenCost's /allocation/compute for the last `days` days (daily windows, aggregated by
  //! namespace) into cost_allocations. FAILED_PRECONDITION without opencost_url.
  Result<Json> PullOpenCost(int days);

  //! Registers the `cost.utilization` (hourly) and `cost.opencost` (hourly) job kinds and their
  //! schedules.
  Status AttachWorker(store::JobWorker& worker, store::JobRepository& jobs);

  //! Declares the costOptimizer.* procedures.
  void RegisterProcedures(ProcedureRegistry& registry);

 private:
  struct Scope {
    std::string column;  //!< a cost_daily column from a fixed list, or empty for all
    std::string value;
  };
  Result<Scope> ParseScope(const std::string& scope) const;
  //! The last day with data + 1 day (capped at now), as unix seconds of a UTC day start.
  Result<int64_t> AsOf();
  //! getCosts by a rollup dimension (a cost_rollup column) over [start, end): totals from the
  //! monthly and daily rollups, series for the shown groups and "(other)" only.
  Result<cost::Breakdown> RollupBreakdown(const std::string& column, int64_t start, int64_t end,
                                          size_t top, std::set<std::string>& currencies);
  static Json BreakdownJson(const cost::Breakdown& b, int64_t start, int64_t end,
                            const std::string& group_by, const std::set<std::string>& currencies);
  Result<std::vector<double>> DailySeries(const Scope& scope, int64_t from_day, int64_t to_day);
  Result<Json> ForecastPeriod(const Scope& scope, const std::string& horizon, int64_t as_of);
  Result<Json> EvaluateBudgets(std::optional<int64_t> only_id);
  //! Spend of a resource per day in the 30 days before and after `applied_at`: null when
  //! either side has no billing data.
  Result<Json> RealizedSavings(const std::string& resource_id, TimePoint applied_at);
  struct SpotRun {
    cost::SpotProvider provider;
    std::vector<cost::SpotAssessment> workloads;
    std::vector<std::string> errors;
  };
  //! Reads the cluster and the measured per-pod cost (resource_utilization, latest 14 days)
  //! and assesses every workload.
  Result<SpotRun> RunSpotAssessment(const Json& input);
  Status RecordCollectorRun(const std::string& name, std::optional<TimePoint> cursor,
                            const Status& outcome, const Json& details);

  store::Database& db_;
  const Clock& clock_;
  CostServiceOptions options_;
  std::function<void(const std::string&, const std::string&)> publish_;
};

}  // namespace dai::costopt
