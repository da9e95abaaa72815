// costOptimizer.*: the specification's getCosts, getRecommendations, applyRecommendation,
// setbudget and forecast, plus what the Cost page needs (listBudgets, refreshRecommendations,
// listImports, importCsv for small uploads; large files go through `devops-ai cost import`).
#include "modules/cost/cost_service.h"
#include "registry/schema.h"

namespace dai::costopt {
namespace {

namespace s = schema;

Json IntervalSchema() {
  return s::Object({s::Req("mean", s::Number()), s::Req("lo80", s::Number()),
                    s::Req("hi80", s::Number()), s::Req("lo95", s::Number()),
                    s::Req("hi95", s::Number())});
}

Json ImportSchema() {
  return s::Object(
      {s::Req("importId", s::Int()), s::Req("duplicate", s::Bool()), s::Req("format", s::String()),
       s::Req("rows", s::Int()), s::Req("currency", s::String()), s::Req("billedCost", s::Number()),
       s::Req("effectiveCost", s::Number()),
       s::Req("periods",
              s::Array(s::Object({s::Req("start", s::String()), s::Req("end", s::String()),
                                  s::Req("rows", s::Int()), s::Req("billedCost", s::Number()),
                                  s::Req("effectiveCost", s::Number())}))),
       s::Req("replacedImports", s::Array(s::Int()))});
}

Json ForecastSchema() {
  Json daily = IntervalSchema();
  daily["properties"]["day"] = s::String();
  daily["required"].push_back("day");
  return s::Object(
      {s::Req("horizon", s::String()), s::Req("scope", s::String()),
       s::Req("currency", s::Nullable(s::String())), s::Req("periodStart", s::String()),
       s::Req("periodEnd", s::String()), s::Req("asOf", s::String()),
       s::Req("actualToDate", s::Number()), s::Req("model", s::String()),
       s::Req("projected", IntervalSchema()),
       s::Req("history",
              s::Array(s::Object({s::Req("day", s::String()), s::Req("cost", s::Number())}))),
       s::Req("daily", s::Array(daily)), s::Req("backtestMape", s::Nullable(s::Number())),
       s::Req("seasonalNaiveMape", s::Nullable(s::Number())), s::Req("backtestPoints", s::Int())});
}

Json BudgetSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("name", s::String()), s::Req("scope", s::String()),
       s::Req("amount", s::Number()), s::Req("currency", s::String()),
       s::Req("period", s::String()), s::Req("thresholds", s::Array(s::Number())),
       s::Req("periodStart", s::String()), s::Req("periodEnd", s::String()),
       s::Req("asOf", s::String()), s::Req("actual", s::Number()), s::Req("forecast", s::Number()),
       s::Req("forecastHigh", s::Number()), s::Req("actualPercent", s::Number()),
       s::Req("forecastPercent", s::Number()), s::Req("burnRate", s::Number()),
       s::Req("projectedExhaustion", s::Nullable(s::String())),
       s::Req("status", s::Enum({"ok", "warning", "exceeded"})),
       s::Req("crossings",
              s::Array(s::Object({s::Req("kind", s::String()), s::Req("threshold", s::Number()),
                                  s::Req("value", s::Number())})))});
}

Json RecommendationSchema() {
  return s::Object({s::Req("id", s::Int()), s::Req("type", s::String()),
                    s::Req("resourceId", s::String()), s::Req("resourceType", s::String()),
                    s::Req("provider", s::String()), s::Req("title", s::String()),
                    s::Req("description", s::String()), s::Req("currentCost", s::Number()),
                    s::Req("projectedCost", s::Number()), s::Req("monthlySavings", s::Number()),
                    s::Req("currency", s::String()), s::Req("confidence", s::Nullable(s::Number())),
                    s::Req("risk", s::Enum({"low", "medium", "high"})),
                    s::Req("status", s::Enum({"open", "applied", "dismissed", "expired"})),
                    s::Req("details", s::Any()), s::Req("appliedAt", s::Nullable(s::String())),
                    s::Req("createdAt", s::String())});
}

Json RealizedSchema() {
  return s::Nullable(s::Object({s::Req("beforeDaily", s::Number()),
                                s::Req("afterDaily", s::Number()), s::Req("beforeDays", s::Int()),
                                s::Req("afterDays", s::Int()), s::Req("monthly", s::Number())}));
}

Json RecommendationItemSchema() {
  Json item = RecommendationSchema();
  item["properties"]["realizedSavings"] = RealizedSchema();
  item["required"].push_back("realizedSavings");
  return item;
}

Json NumOrNull() { return s::Nullable(s::Number()); }

Json SpotProviderSchema() { return s::Enum({"aws", "gcp", "azure", "default"}); }

Json SpotWorkloadSchema() {
  return s::Object(
      {s::Req("id", s::String()), s::Req("kind", s::String()), s::Req("namespace", s::String()),
       s::Req("name", s::String()), s::Req("replicas", s::Int()), s::Req("suitable", s::Bool()),
       s::Req("criteria", s::Array(s::Object({s::Req("name", s::String()), s::Req("met", s::Bool()),
                                              s::Req("detail", s::String())}))),
       s::Req("failed", s::Array(s::String())), s::Req("monthlyCost", s::Number()),
       s::Req("monthlySavings", s::Number()),
       s::Req("costSource", s::Enum({"utilization", "requests", "none"})),
       s::Req("risk", s::Enum({"low", "medium", "high"})), s::Req("evidence", s::String()),
       s::Req("patch", s::Any()), s::Req("patchYaml", s::String())});
}

}  // namespace

void CostService::RegisterProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  registry.Add(MakeProcedure(
      "costOptimizer.getCosts", Q, Role::kViewer,
      s::Object(
          {s::Req("start", s::DateTime()), s::Req("end", s::DateTime()),
           s::Opt(
               "groupBy", s::String(1, 100),
               "provider, account, subAccount, service, serviceCategory, region, chargeCategory, "
               "namespace (OpenCost), resource or tag:<key>; default service"),
           s::Opt("top", s::Int(1, 100), "groups shown before (other); default 10")}),
      s::Object(
          {s::Req("start", s::String()), s::Req("end", s::String()), s::Req("groupBy", s::String()),
           s::Req("currencies", s::Array(s::String())), s::Req("days", s::Array(s::String())),
           s::Req("groups",
                  s::Array(s::Object({s::Req("key", s::String()), s::Req("billedCost", s::Number()),
                                      s::Req("effectiveCost", s::Number()),
                                      s::Req("series", s::Array(s::Number()))}))),
           s::Req("billedCost", s::Number()), s::Req("effectiveCost", s::Number())}),
      "Cost breakdown per day and dimension over [start, end) (effective = amortized, billed = "
      "invoiced)",
      [this](const Json& in, CallContext&) { return GetCosts(in); }));
  registry.Add(MakeProcedure(
      "costOptimizer.forecast", Q, Role::kViewer,
      s::Object({s::Req("horizon", s::Enum({"month", "quarter"})),
                 s::Opt("scope", s::String(1, 500), "'all' or '<dimension>=<value>'")}),
      ForecastSchema(),
      "Spend to the end of the month or quarter of the latest billing data, with 80% and 95% "
      "intervals",
      [this](const Json& in, CallContext&) { return Forecast(in); }));
  registry.Add(MakeProcedure(
      "costOptimizer.setbudget", M, Role::kOperator,
      s::Object({s::Req("name", s::String(1, 200)), s::Req("scope", s::String(1, 500)),
                 s::Req("amount", s::Number()), s::Req("currency", s::String(3, 3)),
                 s::Req("period", s::Enum({"monthly", "quarterly", "yearly"})),
                 s::Opt("thresholds", s::Array(s::Number(), 10),
                        "percents of amount; default [50, 80, 100]")}),
      BudgetSchema(), "Create or update a budget (by name) and evaluate it",
      [this](const Json& in, CallContext& ctx) { return SetBudget(in, *ctx.identity); }));
  registry.Add(MakeProcedure("costOptimizer.listBudgets", Q, Role::kViewer, s::Object({}),
                             s::Object({s::Req("items", s::Array(BudgetSchema()))}),
                             "Budgets with spend, forecast, burn rate and status",
                             [this](const Json&, CallContext&) { return ListBudgets(); }));
  registry.Add(MakeProcedure(
      "costOptimizer.getRecommendations", Q, Role::kViewer,
      s::PageInput({s::Opt("status", s::Enum({"open", "applied", "dismissed"})),
                    s::Opt("type", s::Enum({"rightsizing", "idle_resource", "savings_plan",
                                            "spot_instance"}))}),
      s::Object({s::Req("items", s::Array(RecommendationItemSchema())), s::Req("total", s::Int(0)),
                 s::Req("totalMonthlySavings", s::Number())}),
      "Savings recommendations, largest monthly saving first",
      [this](const Json& in, CallContext&) { return GetRecommendations(in); }));
  registry.Add(MakeProcedure(
      "costOptimizer.refreshRecommendations", M, Role::kOperator,
      s::Object(
          {s::Opt("commitmentDiscount", s::Number(), "savings-plan discount assumed, default 0.28"),
           s::Opt("spotProvider", SpotProviderSchema(),
                  "whose spot pool and notice; default: from the nodes' providerID"),
           s::Opt("spotDiscount", s::Number(),
                  "spot discount assumed, default the provider's (0.60)")}),
      s::Object({s::Req("created", s::Int()), s::Req("asOf", s::String()),
                 s::Opt("spot",
                        s::Object({s::Req("assessed", s::Int()), s::Req("suitable", s::Int()),
                                   s::Opt("error", s::String())}),
                        "spot suitability, when a cluster is configured")}),
      "Recompute idle, commitment, rightsizing and spot recommendations from the stored data "
      "and the cluster",
      [this](const Json& in, CallContext&) { return RefreshRecommendations(in); }));
  registry.Add(MakeProcedure(
      "costOptimizer.applyRecommendation", M, Role::kOperator,
      s::Object({s::Req("id", s::Int(1)), s::Opt("dryRun", s::Bool())}),
      s::Object({s::Req("recommendation", RecommendationSchema()), s::Req("change", s::Any()),
                 s::Req("dryRun", s::Bool())}),
      "The change that applies a recommendation (Kubernetes patch or CLI command); marks it "
      "applied "
      "unless dryRun",
      [this](const Json& in, CallContext& ctx) { return ApplyRecommendation(in, *ctx.identity); }));
  registry.Add(MakeProcedure(
      "costOptimizer.decideProposal", M, Role::kOperator,
      s::Object({s::Req("id", s::Int(1)), s::Req("decision", s::Enum({"approve", "reject"})),
                 s::Opt("note", s::String(0, 1000))}),
      s::Object({s::Req("recommendation", RecommendationSchema()), s::Req("change", s::Any())}),
      "Approve (apply) or reject a proposal to apply a recommendation (the assistant proposes; a "
      "person decides)",
      [this](const Json& in, CallContext& ctx) { return DecideProposal(in, *ctx.identity); }));
  {
    auto p = MakeProcedure(
        "costOptimizer.assessSpot", Q, Role::kViewer,
        s::Object({s::Opt("provider", SpotProviderSchema(),
                          "whose spot pool, notice and discount; default: from the nodes"),
                   s::Opt("spotDiscount", s::Number(), "override the table's discount, (0, 1)")}),
        s::Object({s::Req("provider", s::String()), s::Req("discount", s::Number()),
                   s::Req("discountSource", s::String()), s::Req("noticeSeconds", s::Int()),
                   s::Req("currency", s::String()),
                   s::Req("workloads", s::Array(SpotWorkloadSchema())),
                   s::Req("errors", s::Array(s::String()))}),
        "Spot suitability of every workload of the cluster: each criterion met or failed, the "
        "expected monthly saving, the risk and the patch (nothing is applied)",
        [this](const Json& in, CallContext&) { return AssessSpot(in); });
    p.may_block = true;  // reads the cluster
    registry.Add(std::move(p));
  }
  registry.Add(MakeProcedure(
      "costOptimizer.listImports", Q, Role::kViewer, s::Object({s::Opt("limit", s::Int(1, 500))}),
      s::Object({s::Req("items", s::Array(s::Any()))}), "Billing file imports, newest first",
      [this](const Json& in, CallContext&) { return ListImports(in); }));
  {
    auto p = MakeProcedure(
        "costOptimizer.collectUtilization", M, Role::kOperator,
        s::Object({s::Opt("hours", s::Int(1, 168),
                          "hours back from now, the current one included; "
                          "default 1"),
                   s::Opt("stepSeconds", s::Int(1, 3600), "sample spacing; default 60")}),
        s::Object({s::Req("from", s::String()), s::Req("to", s::String()),
                   s::Req("hours", s::Int()), s::Req("rows", s::Int()),
                   s::Req("containers", s::Int()), s::Req("hosts", s::Int())}),
        "Read container (cAdvisor, kube-state-metrics) and host (node_exporter) utilization from "
        "Prometheus into resource_utilization now (the hourly job does this by itself)",
        [this](const Json& in, CallContext&) {
          const TimePoint now = clock_.Now();
          return CollectUtilization(now - std::chrono::hours(in.value("hours", int64_t{1})), now,
                                    std::chrono::seconds(in.value("stepSeconds", int64_t{60})));
        });
    registry.Add(std::move(p));
  }
  registry.Add(MakeProcedure(
      "costOptimizer.getUtilization", Q, Role::kViewer,
      s::Object({s::Opt("hours", s::Int(1, 336), "default 24")}),
      s::Object({s::Req("hours", s::Int()),
                 s::Req("items",
                        s::Array(s::Object(
                            {s::Req("resourceId", s::String()), s::Req("resourceType", s::String()),
                             s::Req("namespace", s::Nullable(s::String())),
                             s::Req("cpuRequest", NumOrNull()), s::Req("cpuAvg", NumOrNull()),
                             s::Req("cpuP95", NumOrNull()), s::Req("cpuMax", NumOrNull()),
                             s::Req("memoryRequest", NumOrNull()), s::Req("memoryAvg", NumOrNull()),
                             s::Req("memoryP95", NumOrNull()), s::Req("memoryMax", NumOrNull()),
                             s::Req("networkBytes", NumOrNull()), s::Req("samples", s::Int()),
                             s::Req("hours", s::Int()), s::Req("from", s::String()),
                             s::Req("to", s::String())})))}),
      "Utilization per resource (CPU in cores, memory in bytes) over the last hours",
      [this](const Json& in, CallContext&) { return GetUtilization(in); }));
  registry.Add(MakeProcedure(
      "costOptimizer.collectorStatus", Q, Role::kViewer, s::Object({}),
      s::Object(
          {s::Req("prometheusConfigured", s::Bool()), s::Req("openCostConfigured", s::Bool()),
           s::Req("collectors", s::Array(s::Object({s::Req("name", s::String()),
                                                    s::Req("cursor", s::Nullable(s::String())),
                                                    s::Req("lastRunAt", s::Nullable(s::String())),
                                                    s::Req("lastError", s::Nullable(s::String())),
                                                    s::Req("details", s::Any())})))}),
      "The scheduled collectors (Prometheus utilization, OpenCost): cursor, last run, last error",
      [this](const Json&, CallContext&) { return CollectorStatus(); }));
  {
    auto p = MakeProcedure(
        "costOptimizer.getEstimate", Q, Role::kViewer, s::Object({}),
        s::Object(
            {s::Req("asOf", s::String()), s::Req("currency", s::String()),
             s::Req("prices",
                    s::Object({s::Req("vcpuHour", s::Number()), s::Req("gibHour", s::Number())})),
             s::Req("method", s::String()),
             s::Req("hosts",
                    s::Array(s::Object(
                        {s::Req("instance", s::String()), s::Req("cpuCores", s::Number()),
                         s::Req("memoryBytes", s::Number()), s::Req("cpuUsed", s::Number()),
                         s::Req("memoryUsed", s::Number()), s::Req("assetHourly", s::Number()),
                         s::Req("usedHourly", s::Number()), s::Req("assetMonthly", s::Number())}))),
             s::Req("containers",
                    s::Array(s::Object(
                        {s::Req("id", s::String()), s::Req("namespace", s::String()),
                         s::Req("cpuRequest", s::Number()), s::Req("cpuUsage", s::Number()),
                         s::Req("memoryRequest", s::Number()), s::Req("memoryUsage", s::Number()),
                         s::Req("hourly", s::Number()), s::Req("monthly", s::Number())}))),
             s::Req(
                 "totals",
                 s::Object({s::Req("assetHourly", s::Number()), s::Req("usedHourly", s::Number()),
                            s::Req("allocatedHourly", s::Number()),
                            s::Req("idleHourly", s::Number()), s::Req("assetMonthly", s::Number()),
                            s::Req("allocatedMonthly", s::Number()),
                            s::Req("idleMonthly", s::Number())}))}),
        "Real-time cost estimate from Prometheus and the price sheet: hosts (node_exporter), "
        "containers (max(request, usage) x price) and idle",
        [this](const Json&, CallContext&) { return Estimate(); });
    p.may_block = true;  // calls Prometheus
    registry.Add(std::move(p));
  }
  Json anomaly_item = s::Object({s::Req("dimension", s::String()), s::Req("key", s::String()),
                                 s::Req("day", s::String()), s::Req("cost", s::Number()),
                                 s::Req("expected", s::Number()), s::Req("score", s::Number()),
                                 s::Req("evidence", s::Array(s::Any()))});
  registry.Add(MakeProcedure(
      "costOptimizer.detectAnomalies", M, Role::kOperator,
      s::Object({s::Opt("threshold", s::Number(), "anomaly score in (0, 1); default 0.8")}),
      s::Object({s::Req("scored", s::Int()), s::Req("found", s::Int()), s::Req("raised", s::Int()),
                 s::Req("signalled", s::Bool()), s::Req("items", s::Array(anomaly_item))}),
      "Score daily spend per service and account; new anomalies become Incident Commander "
      "signals with their top line items (also run after each import)",
      [this](const Json& in, CallContext&) { return DetectAnomalies(in); }));
  {
    Json listed = anomaly_item;
    listed["properties"]["id"] = s::Int();
    listed["properties"]["currency"] = s::String();
    listed["properties"]["createdAt"] = s::String();
    for (const char* f : {"id", "currency", "createdAt"}) listed["required"].push_back(f);
    registry.Add(MakeProcedure("costOptimizer.listAnomalies", Q, Role::kViewer,
                               s::Object({s::Opt("limit", s::Int(1, 500))}),
                               s::Object({s::Req("items", s::Array(listed))}),
                               "Raised cost anomalies, newest day first",
                               [this](const Json& in, CallContext&) { return ListAnomalies(in); }));
  }
  {
    auto p = MakeProcedure(
        "costOptimizer.pullOpenCost", M, Role::kOperator,
        s::Object({s::Opt("days", s::Int(1, 90), "daily windows back from today; default 3")}),
        s::Object({s::Req("allocations", s::Int()), s::Req("namespaces", s::Int()),
                   s::Req("totalCost", s::Number()), s::Req("from", s::String()),
                   s::Req("to", s::String())}),
        "Pull OpenCost's /allocation/compute (by namespace, daily) now (the hourly job does this "
        "by itself)",
        [this](const Json& in, CallContext&) {
          return PullOpenCost(static_cast<int>(in.value("days", int64_t{3})));
        });
    registry.Add(std::move(p));
  }
  registry.Add(MakeProcedure(
      "costOptimizer.importCsv", M, Role::kOperator,
      s::Object({s::Req("name", s::String(1, 200)), s::Req("csv", s::String(1, 1000000)),
                 s::Opt("expectedPeriod", s::String(7, 7), "YYYY-MM")}),
      ImportSchema(),
      "Import a small FOCUS or CUR CSV sent in the request (larger files: devops-ai cost import)",
      [this](const Json& in, CallContext& ctx) -> Result<Json> {
        const std::string csv = in.at("csv").get<std::string>();
        size_t pos = 0;
        ChunkSource source = [&csv, &pos](char* buffer, size_t capacity) -> Result<size_t> {
          const size_t n = std::min(capacity, csv.size() - pos);
          std::copy_n(csv.data() + pos, n, buffer);
          pos += n;
          return n;
        };
        ImportOptions options;
        options.source = in.at("name").get<std::string>();
        options.actor = ctx.identity ? ctx.identity->username : "";
        if (in.contains("expectedPeriod"))
          options.expected_period = in["expectedPeriod"].get<std::string>();
        return Import(source, options);
      }));
}

}  // namespace dai::costopt
