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
               "resource or tag:<key>; default service"),
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
                    s::Opt("type", s::Enum({"rightsizing", "idle_resource", "savings_plan"}))}),
      s::Object({s::Req("items", s::Array(RecommendationSchema())), s::Req("total", s::Int(0)),
                 s::Req("totalMonthlySavings", s::Number())}),
      "Savings recommendations, largest monthly saving first",
      [this](const Json& in, CallContext&) { return GetRecommendations(in); }));
  registry.Add(MakeProcedure(
      "costOptimizer.refreshRecommendations", M, Role::kOperator,
      s::Object({s::Opt("commitmentDiscount", s::Number(),
                        "savings-plan discount assumed, default 0.28")}),
      s::Object({s::Req("created", s::Int()), s::Req("asOf", s::String())}),
      "Recompute idle, commitment and rightsizing recommendations from the stored data",
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
      "costOptimizer.listImports", Q, Role::kViewer, s::Object({s::Opt("limit", s::Int(1, 500))}),
      s::Object({s::Req("items", s::Array(s::Any()))}), "Billing file imports, newest first",
      [this](const Json& in, CallContext&) { return ListImports(in); }));
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
