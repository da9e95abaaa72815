// Spot suitability (issue #8): the cluster's workloads from the Kubernetes adapter, their measured
// per-pod cost from resource_utilization, the decision in engines/cost/spot.
#include <cmath>
#include <map>

#include "modules/cost/cost_service.h"

namespace dai::costopt {
namespace {

constexpr int64_t kSpotWindow = 14 * 86400;

Json CriteriaJson(const std::vector<cost::SpotCriterion>& criteria) {
  Json out = Json::array();
  for (const auto& c : criteria)
    out.push_back({{"name", c.name}, {"met", c.met}, {"detail", c.detail}});
  return out;
}

}  // namespace

Result<CostService::SpotRun> CostService::RunSpotAssessment(const Json& input) {
  if (!options_.read_cluster)
    return Status::FailedPrecondition(
        "no Kubernetes cluster is configured: start the server with --kubeconfig FILE (or "
        "in-cluster) to assess workloads for spot");
  SpotRun run;
  std::vector<Json> objects;
  DAI_RETURN_IF_ERROR(options_.read_cluster(&objects, &run.errors));
  const std::string name = input.contains("provider") ? input["provider"].get<std::string>()
                                                      : cost::DetectSpotProvider(objects);
  const cost::SpotProvider* provider = cost::FindSpotProvider(name);
  if (!provider)
    return Status::InvalidArgument("provider: unknown spot provider '" + name +
                                   "' (aws, gcp, azure or default)");
  run.provider = *provider;
  if (input.contains("spotDiscount")) {
    const double d = input["spotDiscount"].get<double>();
    if (!(d > 0 && d < 1)) return Status::InvalidArgument("spotDiscount: must be in (0, 1)");
    run.provider.discount = d;
    run.provider.source = "spotDiscount given with the request";
  }
  // Measured cost per pod: OpenCost's max(request, usage) x the price sheet, averaged over the
  // hours of the latest 14 days of container utilization, summed over a workload's containers.
  DAI_ASSIGN_OR_RETURN(auto last, db_.Query("SELECT MAX(period_end) FROM resource_utilization "
                                            "WHERE resource_type = 'container'"));
  std::map<std::string, double> per_pod;
  if (!last.rows.empty() && !last.rows[0].IsNull(size_t{0})) {
    const TimePoint end = last.rows[0].GetTime(size_t{0});
    DAI_ASSIGN_OR_RETURN(
        auto rows,
        db_.Query("SELECT resource_id, cpu_request, cpu_usage_avg, memory_request, "
                  "memory_usage_avg FROM resource_utilization WHERE resource_type = 'container' "
                  "AND period_start >= ?",
                  {end - std::chrono::seconds(kSpotWindow)}));
    std::map<std::string, std::pair<double, int>> containers;  // id -> (sum of hourly, hours)
    for (const auto& row : rows.rows) {
      auto v = [&](size_t i) { return row.IsNull(i) ? 0.0 : row.GetDouble(i); };
      const double hourly =
          cost::HourlyCost(options_.prices, std::max(v(1), v(2)), std::max(v(3), v(4)));
      auto& c = containers[row.GetString(size_t{0})];
      c.first += hourly;
      c.second += 1;
    }
    for (const auto& [id, c] : containers) {
      const size_t slash = id.rfind('/');
      if (slash == std::string::npos || c.second == 0) continue;
      per_pod[id.substr(0, slash)] += c.first / c.second;
    }
  }
  cost::SpotOptions options;
  options.provider = run.provider;
  options.prices = options_.prices;
  run.workloads = cost::AssessSpot(objects, per_pod, options);
  return run;
}

Result<Json> CostService::AssessSpot(const Json& input) {
  DAI_ASSIGN_OR_RETURN(SpotRun run, RunSpotAssessment(input));
  Json workloads = Json::array();
  for (const auto& a : run.workloads) {
    workloads.push_back({{"id", a.id},
                         {"kind", a.kind},
                         {"namespace", a.namespace_},
                         {"name", a.name},
                         {"replicas", a.replicas},
                         {"suitable", a.suitable},
                         {"criteria", CriteriaJson(a.criteria)},
                         {"failed", a.failed},
                         {"monthlyCost", a.monthly_cost},
                         {"monthlySavings", a.monthly_saving},
                         {"costSource", a.cost_source},
                         {"risk", a.risk},
                         {"evidence", a.evidence},
                         {"patch", a.patch},
                         {"patchYaml", a.patch_yaml}});
  }
  return Json{{"provider", run.provider.name},
              {"discount", run.provider.discount},
              {"discountSource", run.provider.source},
              {"noticeSeconds", run.provider.notice_seconds},
              {"currency", options_.prices.currency},
              {"workloads", workloads},
              {"errors", run.errors}};
}

}  // namespace dai::costopt
