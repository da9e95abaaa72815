// CostService's collectors: utilization from Prometheus into resource_utilization (hourly job with
// backfill), the real-time estimate (OpenCost's price model over Prometheus usage and requests),
// cost anomalies (daily spend per dimension through the anomaly engine, raised as Incident
// Commander signals), OpenCost's allocation API, and realized savings of applied
// recommendations.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "engines/cost/cost_aggregator.h"
#include "engines/cost/cost_anomaly.h"
#include "engines/cost/focus_reader.h"
#include "engines/cost/opencost.h"
#include "engines/cost/recommender.h"
#include "engines/cost/utilization.h"
#include "modules/cost/cost_service.h"

namespace dai::costopt {
namespace {

constexpr int64_t kCollectHour = 3600;
constexpr int64_t kCollectDay = 86400;
constexpr const char* kUtilizationCollector = "prometheus.utilization";
constexpr const char* kOpenCostCollector = "opencost.allocation";

int64_t UnixOf(TimePoint t) { return ToUnixMillis(t) / 1000; }
TimePoint TimeOf(int64_t unix_seconds) { return FromUnixMillis(unix_seconds * 1000); }
int64_t FloorTo(int64_t t, int64_t unit) { return (t >= 0 ? t : t - unit + 1) / unit * unit; }

std::string IsoDay(int64_t unix_seconds) {
  return FormatIso8601(TimeOf(FloorTo(unix_seconds, kCollectDay))).substr(0, 10);
}

std::string Label(const MetricSeries& s, const std::string& name) {
  auto it = s.labels.find(name);
  return it == s.labels.end() ? "" : it->second;
}

// The queries of the collector: cAdvisor (kubelet) and kube-state-metrics names for containers,
// node_exporter's for hosts. Container series without a container name (the pod cgroup) and the
// pause container are left out. CPU is irate() at each step: the usage between the last two
// scrapes, like the per-minute samples VPA's recommender takes (rate() over a fixed window would
// also understate a series younger than the window).
constexpr const char* kContainerCpu =
    "sum by (namespace, pod, container) (irate(container_cpu_usage_seconds_total{container!=\"\","
    "container!=\"POD\"}[5m]))";
constexpr const char* kContainerMemory =
    "sum by (namespace, pod, container) (container_memory_working_set_bytes{container!=\"\","
    "container!=\"POD\"})";
constexpr const char* kContainerCpuRequest =
    "sum by (namespace, pod, container) (kube_pod_container_resource_requests{resource=\"cpu\"})";
constexpr const char* kContainerMemoryRequest =
    "sum by (namespace, pod, container) "
    "(kube_pod_container_resource_requests{resource=\"memory\"})";
constexpr const char* kHostCpuUsed =
    "sum by (instance) (irate(node_cpu_seconds_total{mode!=\"idle\",mode!=\"iowait\","
    "mode!=\"steal\"}[5m]))";
constexpr const char* kHostCores = "count by (instance) (node_cpu_seconds_total{mode=\"idle\"})";
constexpr const char* kHostMemoryUsed =
    "sum by (instance) (node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)";
constexpr const char* kHostMemoryTotal = "sum by (instance) (node_memory_MemTotal_bytes)";
constexpr const char* kHostNetwork =
    "sum by (instance) (irate(node_network_receive_bytes_total{device!=\"lo\"}[5m])) + "
    "sum by (instance) (irate(node_network_transmit_bytes_total{device!=\"lo\"}[5m]))";

// Samples of one resource within one hour.
struct HourSamples {
  std::vector<double> cpu, memory, network;
  double cpu_request = 0, memory_request = 0;
  double cores = 0, memory_total = 0;
  std::set<std::string> pods;
};

struct ResourceKey {
  std::string id, type, ns;
  bool operator<(const ResourceKey& o) const { return id < o.id; }
};

enum class Into { kCpu, kMemory, kNetwork, kCpuRequest, kMemoryRequest, kCores, kMemoryTotal };

}  // namespace

// ------------------------------------------------------------------------------ utilization

Result<Json> CostService::CollectUtilization(TimePoint from, TimePoint to,
                                             std::chrono::seconds step) {
  if (!options_.prometheus)
    return Status::FailedPrecondition(
        "Prometheus is not configured: start the server with --prometheus-url (or "
        "DEVOPS_AI_PROMETHEUS_URL)");
  if (step.count() <= 0) return Status::InvalidArgument("stepSeconds: must be positive");
  const int64_t start = FloorTo(UnixOf(from), kCollectHour);
  const int64_t end = UnixOf(to);
  if (end <= start) return Status::InvalidArgument("to: must be after from");
  std::map<ResourceKey, std::map<int64_t, HourSamples>> data;
  auto add = [&](const char* query, bool container, Into into) -> Status {
    // Prometheus answers at most 11,000 points per series: query a day at a time.
    for (int64_t chunk = start; chunk < end; chunk += kCollectDay) {
      const int64_t chunk_end = std::min(end, chunk + kCollectDay);
      DAI_ASSIGN_OR_RETURN(auto d, options_.prometheus->QueryRange(
                                       query, TimeOf(chunk), TimeOf(chunk_end) - Millis(1),
                                       std::chrono::duration_cast<Millis>(step)));
      DAI_ASSIGN_OR_RETURN(auto series, prometheus::ParseSeries(d));
      for (const auto& s : series) {
        ResourceKey key;
        std::string pod;
        if (container) {
          pod = Label(s, "pod");
          const std::string name = Label(s, "container");
          if (pod.empty() || name.empty()) continue;
          key.ns = Label(s, "namespace");
          key.id =
              (key.ns.empty() ? "default" : key.ns) + "/" + cost::WorkloadOfPod(pod) + "/" + name;
          key.type = "container";
        } else {
          const std::string instance = Label(s, "instance");
          if (instance.empty()) continue;
          key.id = "host/" + instance;
          key.type = "host";
        }
        auto& hours = data[key];
        for (const auto& p : s.points) {
          if (!std::isfinite(p.value)) continue;
          const int64_t t = UnixOf(p.time);
          if (t < start || t >= end) continue;
          auto& h = hours[FloorTo(t, kCollectHour)];
          if (!pod.empty()) h.pods.insert(pod);
          switch (into) {
            case Into::kCpu:
              h.cpu.push_back(p.value);
              break;
            case Into::kMemory:
              h.memory.push_back(p.value);
              break;
            case Into::kNetwork:
              h.network.push_back(p.value);
              break;
            case Into::kCpuRequest:
              h.cpu_request = std::max(h.cpu_request, p.value);
              break;
            case Into::kMemoryRequest:
              h.memory_request = std::max(h.memory_request, p.value);
              break;
            case Into::kCores:
              h.cores = std::max(h.cores, p.value);
              break;
            case Into::kMemoryTotal:
              h.memory_total = std::max(h.memory_total, p.value);
              break;
          }
        }
      }
    }
    return Status::Ok();
  };
  DAI_RETURN_IF_ERROR(add(kContainerCpu, true, Into::kCpu));
  DAI_RETURN_IF_ERROR(add(kContainerMemory, true, Into::kMemory));
  DAI_RETURN_IF_ERROR(add(kContainerCpuRequest, true, Into::kCpuRequest));
  DAI_RETURN_IF_ERROR(add(kContainerMemoryRequest, true, Into::kMemoryRequest));
  DAI_RETURN_IF_ERROR(add(kHostCpuUsed, false, Into::kCpu));
  DAI_RETURN_IF_ERROR(add(kHostMemoryUsed, false, Into::kMemory));
  DAI_RETURN_IF_ERROR(add(kHostCores, false, Into::kCores));
  DAI_RETURN_IF_ERROR(add(kHostMemoryTotal, false, Into::kMemoryTotal));
  DAI_RETURN_IF_ERROR(add(kHostNetwork, false, Into::kNetwork));

  const TimePoint now = clock_.Now();
  int rows = 0, containers = 0, hosts = 0;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    rows = containers = hosts = 0;
    DAI_RETURN_IF_ERROR(conn.Query("DELETE FROM resource_utilization WHERE source = 'prometheus' "
                                   "AND period_start >= ? AND period_start < ?",
                                   {TimeOf(start), TimeOf(end)})
                            .status());
    for (const auto& [key, hours] : data) {
      bool wrote = false;
      for (const auto& [hour, h] : hours) {
        const auto cpu = cost::SummarizeSamples(h.cpu);
        const auto mem = cost::SummarizeSamples(h.memory);
        if (cpu.count == 0 && mem.count == 0) continue;  // requests alone: nothing ran
        const auto net = cost::SummarizeSamples(h.network);
        const int64_t covered = std::min<int64_t>(kCollectHour, end - hour);
        auto opt = [](const cost::SampleStats& s, double v) {
          return s.count ? store::Param(v) : store::Param(nullptr);
        };
        Json meta = {{"collector", kUtilizationCollector}, {"stepSeconds", step.count()}};
        if (key.type == "container") {
          meta["pods"] = std::vector<std::string>(h.pods.begin(), h.pods.end());
        } else {
          meta["cpuCores"] = h.cores;
          meta["memoryBytes"] = h.memory_total;
        }
        if (covered < kCollectHour) meta["partialSeconds"] = covered;
        const bool is_container = key.type == "container";
        DAI_RETURN_IF_ERROR(
            conn.Query(
                    "INSERT INTO resource_utilization (resource_id, resource_type, namespace, "
                    "cpu_request, cpu_usage_avg, cpu_usage_p95, cpu_usage_max, memory_request, "
                    "memory_usage_avg, memory_usage_p95, memory_usage_max, network_bytes, "
                    "sample_count, period_start, period_end, metadata, created_at, source) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'prometheus')",
                    {key.id, key.type,
                     key.ns.empty() ? store::Param(nullptr) : store::Param(key.ns),
                     is_container && h.cpu_request > 0 ? store::Param(h.cpu_request)
                                                       : store::Param(nullptr),
                     opt(cpu, cpu.avg), opt(cpu, cpu.p95), opt(cpu, cpu.max),
                     is_container && h.memory_request > 0 ? store::Param(h.memory_request)
                                                          : store::Param(nullptr),
                     opt(mem, mem.avg), opt(mem, mem.p95), opt(mem, mem.max),
                     net.count ? store::Param(net.avg * static_cast<double>(covered))
                               : store::Param(nullptr),
                     int64_t{std::max(cpu.count, mem.count)}, TimeOf(hour),
                     TimeOf(hour + kCollectHour), DumpJson(meta), now})
                .status());
        ++rows;
        wrote = true;
      }
      if (wrote) ++(key.type == "container" ? containers : hosts);
    }
    return Status::Ok();
  }));
  return Json{{"from", FormatIso8601(TimeOf(start))},
              {"to", FormatIso8601(TimeOf(end))},
              {"hours", (end - start + kCollectHour - 1) / kCollectHour},
              {"rows", rows},
              {"containers", containers},
              {"hosts", hosts}};
}

Status CostService::RecordCollectorRun(const std::string& name, std::optional<TimePoint> cursor,
                                       const Status& outcome, const Json& details) {
  const TimePoint now = clock_.Now();
  const store::Param error =
      outcome.ok() ? store::Param(nullptr) : store::Param(outcome.ToString());
  return db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto r, conn.Query("SELECT name FROM cost_collector_state WHERE name = ?", {name}));
    if (r.rows.empty()) {
      return conn
          .Query(
              "INSERT INTO cost_collector_state (name, cursor_at, last_run_at, last_error, "
              "details) VALUES (?, ?, ?, ?, ?)",
              {name, cursor ? store::Param(*cursor) : store::Param(nullptr), now, error,
               DumpJson(details)})
          .status();
    }
    if (cursor) {
      return conn
          .Query(
              "UPDATE cost_collector_state SET cursor_at = ?, last_run_at = ?, last_error = ?, "
              "details = ? WHERE name = ?",
              {*cursor, now, error, DumpJson(details), name})
          .status();
    }
    return conn
        .Query(
            "UPDATE cost_collector_state SET last_run_at = ?, last_error = ?, details = ? "
            "WHERE name = ?",
            {now, error, DumpJson(details), name})
        .status();
  });
}

Status CostService::CollectUtilizationDue() {
  if (!options_.prometheus) return Status::Ok();
  const int64_t now_hour = FloorTo(UnixOf(clock_.Now()), kCollectHour);
  DAI_ASSIGN_OR_RETURN(auto r,
                       db_.Query("SELECT cursor_at FROM cost_collector_state WHERE name = ?",
                                 {std::string(kUtilizationCollector)}));
  // First run: the last day; after a pause: at most the last 7 days (Prometheus's usual
  // retention is longer, and rightsizing reads 14 days).
  int64_t cursor = now_hour - kCollectDay;
  if (!r.rows.empty() && !r.rows[0].IsNull(size_t{0}))
    cursor = UnixOf(r.rows[0].GetTime(size_t{0}));
  cursor = std::max(cursor, now_hour - 7 * kCollectDay);
  if (cursor >= now_hour) return Status::Ok();
  auto collected = CollectUtilization(TimeOf(cursor), TimeOf(now_hour), std::chrono::seconds(60));
  if (!collected.ok()) {
    DAI_RETURN_IF_ERROR(RecordCollectorRun(kUtilizationCollector, std::nullopt, collected.status(),
                                           Json::object()));
    return collected.status();
  }
  return RecordCollectorRun(kUtilizationCollector, TimeOf(now_hour), Status::Ok(), *collected);
}

Result<Json> CostService::CollectorStatus() {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT name, cursor_at, last_run_at, last_error, details "
                                         "FROM cost_collector_state ORDER BY name"));
  Json items = Json::array();
  for (const auto& row : r.rows) {
    auto details = ParseJson(row.GetString(size_t{4}));
    const auto cursor = row.GetOptTime(size_t{1});
    const auto last = row.GetOptTime(size_t{2});
    items.push_back(
        {{"name", row.GetString(size_t{0})},
         {"cursor", cursor ? Json(FormatIso8601(*cursor)) : Json(nullptr)},
         {"lastRunAt", last ? Json(FormatIso8601(*last)) : Json(nullptr)},
         {"lastError", row.IsNull(size_t{3}) ? Json(nullptr) : Json(row.GetString(size_t{3}))},
         {"details", details.ok() ? *details : Json::object()}});
  }
  return Json{{"prometheusConfigured", options_.prometheus != nullptr},
              {"openCostConfigured", !options_.opencost_url.empty()},
              {"collectors", items}};
}

Result<Json> CostService::GetUtilization(const Json& input) {
  const int64_t hours = input.value("hours", int64_t{24});
  const TimePoint since = clock_.Now() - std::chrono::hours(hours);
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("SELECT resource_id, MAX(resource_type), MAX(namespace), MAX(cpu_request), "
                        "AVG(cpu_usage_avg), MAX(cpu_usage_p95), MAX(cpu_usage_max), "
                        "MAX(memory_request), AVG(memory_usage_avg), MAX(memory_usage_p95), "
                        "MAX(memory_usage_max), SUM(network_bytes), SUM(sample_count), COUNT(*), "
                        "MIN(period_start), MAX(period_end) FROM resource_utilization WHERE "
                        "period_end > ? GROUP BY resource_id ORDER BY resource_id LIMIT 500",
                        {since}));
  auto num = [](const store::Row& row, size_t i) {
    return row.IsNull(i) ? Json(nullptr) : Json(row.GetDouble(i));
  };
  Json items = Json::array();
  for (const auto& row : r.rows) {
    items.push_back(
        {{"resourceId", row.GetString(size_t{0})},
         {"resourceType", row.GetString(size_t{1})},
         {"namespace", row.IsNull(size_t{2}) ? Json(nullptr) : Json(row.GetString(size_t{2}))},
         {"cpuRequest", num(row, 3)},
         {"cpuAvg", num(row, 4)},
         {"cpuP95", num(row, 5)},
         {"cpuMax", num(row, 6)},
         {"memoryRequest", num(row, 7)},
         {"memoryAvg", num(row, 8)},
         {"memoryP95", num(row, 9)},
         {"memoryMax", num(row, 10)},
         {"networkBytes", num(row, 11)},
         {"samples", row.GetInt(size_t{12})},
         {"hours", row.GetInt(size_t{13})},
         {"from", FormatIso8601(row.GetTime(size_t{14}))},
         {"to", FormatIso8601(row.GetTime(size_t{15}))}});
  }
  return Json{{"hours", hours}, {"items", items}};
}

// ------------------------------------------------------------------------ real-time estimate

Result<Json> CostService::Estimate() {
  if (!options_.prometheus)
    return Status::FailedPrecondition(
        "Prometheus is not configured: start the server with --prometheus-url (or "
        "DEVOPS_AI_PROMETHEUS_URL)");
  const TimePoint now = clock_.Now();
  auto instant = [&](const char* query) -> Result<std::vector<MetricSeries>> {
    DAI_ASSIGN_OR_RETURN(auto d, options_.prometheus->Query(query, now));
    return prometheus::ParseSeries(d);
  };
  auto value = [](const MetricSeries& s) {
    return s.points.empty() || !std::isfinite(s.points.back().value) ? 0.0 : s.points.back().value;
  };
  struct Host {
    double cores = 0, memory = 0, cpu_used = 0, memory_used = 0;
  };
  std::map<std::string, Host> hosts;
  auto host_metric = [&](const char* q, double Host::*field) -> Status {
    DAI_ASSIGN_OR_RETURN(auto series, instant(q));
    for (const auto& s : series) {
      const std::string instance = Label(s, "instance");
      if (!instance.empty()) hosts[instance].*field = value(s);
    }
    return Status::Ok();
  };
  DAI_RETURN_IF_ERROR(host_metric(kHostCores, &Host::cores));
  DAI_RETURN_IF_ERROR(host_metric(kHostMemoryTotal, &Host::memory));
  DAI_RETURN_IF_ERROR(host_metric(kHostCpuUsed, &Host::cpu_used));
  DAI_RETURN_IF_ERROR(host_metric(kHostMemoryUsed, &Host::memory_used));
  struct Container {
    std::string ns;
    double cpu_request = 0, cpu = 0, memory_request = 0, memory = 0;
  };
  std::map<std::string, Container> containers;
  auto container_metric = [&](const char* q, double Container::*field) -> Status {
    DAI_ASSIGN_OR_RETURN(auto series, instant(q));
    for (const auto& s : series) {
      const std::string pod = Label(s, "pod"), name = Label(s, "container");
      if (pod.empty() || name.empty()) continue;
      const std::string ns = Label(s, "namespace");
      auto& c = containers[(ns.empty() ? "default" : ns) + "/" + pod + "/" + name];
      c.ns = ns;
      c.*field = value(s);
    }
    return Status::Ok();
  };
  DAI_RETURN_IF_ERROR(container_metric(kContainerCpu, &Container::cpu));
  DAI_RETURN_IF_ERROR(container_metric(kContainerMemory, &Container::memory));
  DAI_RETURN_IF_ERROR(container_metric(kContainerCpuRequest, &Container::cpu_request));
  DAI_RETURN_IF_ERROR(container_metric(kContainerMemoryRequest, &Container::memory_request));

  const auto& prices = options_.prices;
  Json container_items = Json::array();
  double allocated = 0;
  for (const auto& [id, c] : containers) {
    const double hourly =
        cost::AllocatedHourlyCost(prices, c.cpu_request, c.cpu, c.memory_request, c.memory);
    allocated += hourly;
    container_items.push_back({{"id", id},
                               {"namespace", c.ns},
                               {"cpuRequest", c.cpu_request},
                               {"cpuUsage", c.cpu},
                               {"memoryRequest", c.memory_request},
                               {"memoryUsage", c.memory},
                               {"hourly", hourly},
                               {"monthly", hourly * cost::kHoursPerMonth}});
  }
  Json host_items = Json::array();
  double asset = 0, used = 0;
  for (const auto& [instance, h] : hosts) {
    const auto e = cost::EstimateHost(prices, h.cores, h.memory, h.cpu_used, h.memory_used, 0);
    asset += e.asset_hourly;
    used += e.used_hourly;
    host_items.push_back({{"instance", instance},
                          {"cpuCores", h.cores},
                          {"memoryBytes", h.memory},
                          {"cpuUsed", h.cpu_used},
                          {"memoryUsed", h.memory_used},
                          {"assetHourly", e.asset_hourly},
                          {"usedHourly", e.used_hourly},
                          {"assetMonthly", e.asset_hourly * cost::kHoursPerMonth}});
  }
  // Cluster-wide idle (OpenCost's idle allocation): what the hosts cost minus what the
  // containers on them are allocated.
  const auto total = cost::EstimateHost(prices, 0, 0, 0, 0, allocated);
  const double idle = std::max(0.0, asset - total.allocated_hourly);
  return Json{{"asOf", FormatIso8601(now)},
              {"currency", prices.currency},
              {"prices", {{"vcpuHour", prices.vcpu_hour}, {"gibHour", prices.gib_hour}}},
              {"method",
               "OpenCost's: host = capacity x price sheet; container = max(request, usage) x "
               "price; idle = host cost - allocated"},
              {"hosts", host_items},
              {"containers", container_items},
              {"totals",
               {{"assetHourly", asset},
                {"usedHourly", used},
                {"allocatedHourly", allocated},
                {"idleHourly", idle},
                {"assetMonthly", asset * cost::kHoursPerMonth},
                {"allocatedMonthly", allocated * cost::kHoursPerMonth},
                {"idleMonthly", idle * cost::kHoursPerMonth}}}};
}

// ----------------------------------------------------------------------------- cost anomalies

Result<Json> CostService::DetectAnomalies(const Json& input) {
  const double threshold = input.value("threshold", options_.anomaly_threshold);
  if (!(threshold > 0 && threshold < 1))
    return Status::InvalidArgument("threshold: must be in (0, 1)");
  DAI_ASSIGN_OR_RETURN(auto last, db_.Query("SELECT MIN(day), MAX(day) FROM cost_daily"));
  if (last.rows.empty() || last.rows[0].IsNull(size_t{1}))
    return Json{{"scored", 0}, {"found", 0}, {"raised", 0}, {"items", Json::array()}};
  DAI_ASSIGN_OR_RETURN(int64_t first_day, cost::ParseTimestamp(last.rows[0].GetString(size_t{0})));
  DAI_ASSIGN_OR_RETURN(int64_t last_day, cost::ParseTimestamp(last.rows[0].GetString(size_t{1})));
  const int64_t from = std::max(first_day, last_day - 365 * kCollectDay);
  struct Dim {
    const char* name;
    const char* daily_column;
    const char* record_column;
  };
  const Dim dims[] = {{"service", "service", "service"},
                      {"account", "billing_account", "account_id"}};
  cost::CostAnomalyOptions o;
  o.threshold = threshold;
  // Only the last 31 days of data are judged: older days were judged when they arrived.
  o.judge_from = last_day - 30 * kCollectDay;
  DAI_ASSIGN_OR_RETURN(auto currency_rows, db_.Query("SELECT DISTINCT currency FROM cost_daily"));
  const std::string currency =
      currency_rows.rows.size() == 1 ? currency_rows.rows[0].GetString(size_t{0}) : "";
  const size_t days = static_cast<size_t>((last_day - from) / kCollectDay + 1);
  int scored = 0, found = 0;
  Json raised_items = Json::array();
  alerts::AlertBatch batch;
  const TimePoint now = clock_.Now();
  for (const auto& dim : dims) {
    DAI_ASSIGN_OR_RETURN(auto r,
                         db_.Query("SELECT value, day, SUM(effective_cost) FROM cost_rollup WHERE "
                                   "dimension = ? AND day >= ? GROUP BY value, day",
                                   {std::string(dim.daily_column), IsoDay(from)}));
    std::map<std::string, cost::DailySpend> series;
    for (const auto& row : r.rows) {
      auto day = cost::ParseTimestamp(row.GetString(size_t{1}));
      if (!day.ok()) continue;
      auto& s = series[row.GetString(size_t{0})];
      if (s.costs.empty()) {
        s.key = row.GetString(size_t{0});
        s.first_day = from;
        s.costs.assign(days, 0.0);
      }
      const int64_t idx = (*day - from) / kCollectDay;
      if (idx >= 0 && idx < static_cast<int64_t>(days))
        s.costs[static_cast<size_t>(idx)] += row.GetDouble(size_t{2});
    }
    std::vector<cost::DailySpend> list;
    for (auto& [k, s] : series) list.push_back(std::move(s));
    scored += static_cast<int>(list.size());
    for (const auto& a : cost::FindCostAnomalies(list, o)) {
      ++found;
      // The line items that made the day: the largest first.
      DAI_ASSIGN_OR_RETURN(
          auto lines,
          db_.Query(std::string("SELECT resource_id, service, account_id, region, "
                                "charge_category, effective_cost, billed_cost, usage_quantity, "
                                "usage_unit FROM cost_records WHERE period_start >= ? AND "
                                "period_start < ? AND ") +
                        dim.record_column +
                        " = ? AND import_id IN (SELECT CAST(id AS TEXT) FROM cost_imports WHERE "
                        "status = 'committed') ORDER BY effective_cost DESC LIMIT 5",
                    {TimeOf(a.day), TimeOf(a.day + kCollectDay), a.key}));
      Json evidence = Json::array();
      for (const auto& l : lines.rows) {
        evidence.push_back(
            {{"resourceId", l.GetString(size_t{0})},
             {"service", l.GetString(size_t{1})},
             {"account", l.GetString(size_t{2})},
             {"region", l.GetString(size_t{3})},
             {"chargeCategory", l.GetString(size_t{4})},
             {"effectiveCost", l.GetDouble(size_t{5})},
             {"billedCost", l.GetDouble(size_t{6})},
             {"usageQuantity", l.IsNull(size_t{7}) ? Json(nullptr) : Json(l.GetDouble(size_t{7}))},
             {"usageUnit", l.GetString(size_t{8})}});
      }
      std::map<std::string, std::string> labels = {{"alertname", "CostAnomaly"},
                                                   {"dimension", dim.name},
                                                   {dim.name, a.key},
                                                   {"module", "costOptimizer"}};
      const double increase = a.expected > 0 ? a.cost / a.expected - 1 : 0;
      labels["severity"] =
          a.score >= 0.95 && (a.expected <= 0 || increase >= 1) ? "high" : "medium";
      const std::string fingerprint = alerts::LabelFingerprint(labels);
      // Without a signal sink (the CLI) nothing is recorded: the server raises it later.
      bool inserted = false;
      if (options_.signals)
        DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
          DAI_ASSIGN_OR_RETURN(auto seen,
                               conn.Query("SELECT id FROM cost_anomalies WHERE "
                                          "dimension = ? AND dim_key = ? AND day = ?",
                                          {std::string(dim.name), a.key, IsoDay(a.day)}));
          inserted = seen.rows.empty();
          if (!inserted) return Status::Ok();
          return conn
              .Query(
                  "INSERT INTO cost_anomalies (dimension, dim_key, day, cost, expected, score, "
                  "currency, fingerprint, evidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?)",
                  {std::string(dim.name), a.key, IsoDay(a.day), a.cost, a.expected, a.score,
                   currency, fingerprint, DumpJson(evidence), now})
              .status();
        }));
      if (options_.signals && !inserted) continue;
      char summary[256];
      std::snprintf(summary, sizeof summary, "%.2f %s on %s against a usual %.2f (score %.3f)",
                    a.cost, currency.c_str(), IsoDay(a.day).c_str(), a.expected, a.score);
      alerts::Alert alert;
      alert.source = "cost";
      alert.status = alerts::AlertStatus::kFiring;
      alert.labels = labels;
      alert.fingerprint = fingerprint;
      // The signal is about a billing day; the incident starts when it was seen.
      alert.starts_at = now;
      alert.annotations = {
          {"summary", "Cost anomaly: " + std::string(dim.name) + " " + a.key + " spent " + summary},
          {"description", "Daily spend per " + std::string(dim.name) +
                              " scored by the anomaly engine (causal: each day judged from the "
                              "days before it); the largest line items of the day are attached."},
          {"day", IsoDay(a.day)},
          {"evidence", DumpJson(evidence)}};
      batch.alerts.push_back(std::move(alert));
      raised_items.push_back({{"dimension", dim.name},
                              {"key", a.key},
                              {"day", IsoDay(a.day)},
                              {"cost", a.cost},
                              {"expected", a.expected},
                              {"score", a.score},
                              {"evidence", evidence}});
    }
  }
  Json ingest = nullptr;
  if (!batch.alerts.empty() && options_.signals) {
    DAI_RETURN_IF_ERROR(options_.signals(batch));
    ingest = true;
  }
  if (!batch.alerts.empty() && publish_)
    publish_("cost.anomaly", DumpJson({{"raised", raised_items.size()}}));
  return Json{{"scored", scored},
              {"found", found},
              {"raised", raised_items.size()},
              {"signalled", options_.signals != nullptr && !batch.alerts.empty()},
              {"items", raised_items}};
}

Result<Json> CostService::ListAnomalies(const Json& input) {
  const int64_t limit = input.value("limit", int64_t{50});
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT id, dimension, dim_key, day, cost, expected, "
                                         "score, currency, evidence, created_at FROM "
                                         "cost_anomalies ORDER BY day DESC, score DESC LIMIT ?",
                                         {limit}));
  Json items = Json::array();
  for (const auto& row : r.rows) {
    auto evidence = ParseJson(row.GetString(size_t{8}));
    items.push_back({{"id", row.GetInt(size_t{0})},
                     {"dimension", row.GetString(size_t{1})},
                     {"key", row.GetString(size_t{2})},
                     {"day", row.GetString(size_t{3})},
                     {"cost", row.GetDouble(size_t{4})},
                     {"expected", row.GetDouble(size_t{5})},
                     {"score", row.GetDouble(size_t{6})},
                     {"currency", row.GetString(size_t{7})},
                     {"evidence", evidence.ok() ? *evidence : Json::array()},
                     {"createdAt", FormatIso8601(row.GetTime(size_t{9}))}});
  }
  return Json{{"items", items}};
}

// ---------------------------------------------------------------------------- realized savings

Result<Json> CostService::RealizedSavings(const std::string& resource_id, TimePoint applied_at) {
  if (resource_id.empty()) return Json(nullptr);
  const int64_t applied = UnixOf(applied_at);
  const int64_t applied_day = FloorTo(applied, kCollectDay);
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("SELECT period_start, effective_cost FROM cost_records WHERE resource_id "
                        "= ? AND period_start >= ? AND period_start < ? AND import_id IN (SELECT "
                        "CAST(id AS TEXT) FROM cost_imports WHERE status = 'committed')",
                        {resource_id, TimeOf(applied_day - 30 * kCollectDay),
                         TimeOf(applied_day + 31 * kCollectDay)}));
  // The day of the change is left out: it is part before and part after.
  std::map<int64_t, double> before, after;
  for (const auto& row : r.rows) {
    const int64_t day = FloorTo(UnixOf(row.GetTime(size_t{0})), kCollectDay);
    if (day < applied_day) before[day] += row.GetDouble(size_t{1});
    if (day > applied_day) after[day] += row.GetDouble(size_t{1});
  }
  if (before.empty()) return Json(nullptr);
  // After the change the resource may be gone entirely (no rows): every day after it up to the
  // latest billing day counts as zero spend.
  DAI_ASSIGN_OR_RETURN(auto last, db_.Query("SELECT MAX(day) FROM cost_daily"));
  if (last.rows.empty() || last.rows[0].IsNull(size_t{0})) return Json(nullptr);
  DAI_ASSIGN_OR_RETURN(int64_t last_day, cost::ParseTimestamp(last.rows[0].GetString(size_t{0})));
  const int64_t after_days = std::min<int64_t>(30, (last_day - applied_day) / kCollectDay);
  if (after_days <= 0) return Json(nullptr);
  double before_sum = 0, after_sum = 0;
  for (const auto& [d, v] : before) before_sum += v;
  for (const auto& [d, v] : after)
    if (d <= applied_day + after_days * kCollectDay) after_sum += v;
  const double before_daily = before_sum / static_cast<double>(before.size());
  const double after_daily = after_sum / static_cast<double>(after_days);
  return Json{{"beforeDaily", before_daily},
              {"afterDaily", after_daily},
              {"beforeDays", before.size()},
              {"afterDays", after_days},
              {"monthly", (before_daily - after_daily) * 30.4}};
}

// -------------------------------------------------------------------------------- OpenCost

Result<Json> CostService::PullOpenCost(int days) {
  if (options_.opencost_url.empty())
    return Status::FailedPrecondition(
        "OpenCost is not configured: start the server with --opencost-url (or "
        "DEVOPS_AI_OPENCOST_URL)");
  if (days < 1 || days > 90) return Status::InvalidArgument("days: must be in [1, 90]");
  const int64_t today = FloorTo(UnixOf(clock_.Now()), kCollectDay);
  const int64_t start = today - static_cast<int64_t>(days) * kCollectDay;
  // OpenCost's documented query: a window of RFC 3339 times, one set per daily step,
  // aggregated by namespace.
  std::string base = options_.opencost_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = base + "/allocation/compute?window=" + FormatIso8601(TimeOf(start)) +
                          "," + FormatIso8601(TimeOf(today + kCollectDay)) +
                          "&aggregate=namespace&step=1d&accumulate=false";
  http::HttpClient client(options_.opencost_http);
  http::HttpClientRequest request;
  request.url = url;
  request.headers = {{"accept", "application/json"}};
  DAI_ASSIGN_OR_RETURN(auto response, client.Send(request));
  if (response.status != 200)
    return Status::Unavailable("OpenCost answered HTTP " + std::to_string(response.status) +
                               " to " + http::RedactUrl(url));
  DAI_ASSIGN_OR_RETURN(auto allocs, cost::ParseOpenCostAllocations(response.body));
  const TimePoint now = clock_.Now();
  std::set<std::string> namespaces;
  double total = 0;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    namespaces.clear();
    total = 0;
    for (const auto& x : allocs) {
      DAI_RETURN_IF_ERROR(conn.Query("DELETE FROM cost_allocations WHERE source = 'opencost' AND "
                                     "window_start = ? AND name = ?",
                                     {TimeOf(x.start), x.name})
                              .status());
      DAI_RETURN_IF_ERROR(
          conn.Query("INSERT INTO cost_allocations (source, window_start, window_end, day, name, "
                     "cluster, namespace, controller_kind, controller, pod, container, cpu_cost, "
                     "ram_cost, gpu_cost, pv_cost, network_cost, load_balancer_cost, "
                     "shared_cost, external_cost, total_cost, currency, properties, "
                     "collected_at) VALUES ('opencost', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                     "?, ?, ?, ?, ?, ?, ?, ?)",
                     {TimeOf(x.start),
                      TimeOf(x.end),
                      IsoDay(x.start),
                      x.name,
                      x.cluster,
                      x.ns,
                      x.controller_kind,
                      x.controller,
                      x.pod,
                      x.container,
                      x.cpu,
                      x.ram,
                      x.gpu,
                      x.pv,
                      x.network,
                      x.load_balancer,
                      x.shared,
                      x.external,
                      x.total,
                      options_.prices.currency,
                      x.properties,
                      now})
              .status());
      namespaces.insert(x.ns);
      total += x.total;
    }
    return Status::Ok();
  }));
  return Json{{"allocations", allocs.size()},
              {"namespaces", namespaces.size()},
              {"totalCost", total},
              {"from", IsoDay(start)},
              {"to", IsoDay(today)}};
}

// ------------------------------------------------------------------------------------- jobs

Status CostService::AttachWorker(store::JobWorker& worker, store::JobRepository& jobs) {
  worker.Register("cost.utilization",
                  [this](const store::Job&, store::JobControl& control) -> Status {
                    const int64_t now = UnixOf(clock_.Now());
                    // A minute past the next hour, so the hour's last scrape has landed.
                    control.RescheduleAt(TimeOf(FloorTo(now, kCollectHour) + kCollectHour + 60));
                    // Recorded in cost_collector_state; the schedule continues either way.
                    (void)CollectUtilizationDue();
                    // Billing files imported from the CLI are checked for anomalies here.
                    if (options_.signals) (void)DetectAnomalies(Json::object());
                    return Status::Ok();
                  });
  worker.Register("cost.opencost", [this](const store::Job&, store::JobControl& control) -> Status {
    control.RescheduleAt(clock_.Now() + std::chrono::hours(1));
    if (options_.opencost_url.empty()) return Status::Ok();
    auto pulled = PullOpenCost(3);
    (void)RecordCollectorRun(kOpenCostCollector, std::nullopt, pulled.status(),
                             pulled.ok() ? *pulled : Json::object());
    return Status::Ok();
  });
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(
      jobs.EnsureScheduled("cost.utilization", "schedule:cost.utilization", "{}", now, now)
          .status());
  return jobs.EnsureScheduled("cost.opencost", "schedule:cost.opencost", "{}", now, now).status();
}

}  // namespace dai::costopt
