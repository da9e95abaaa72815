// Deployment targets and canary auto-rollback: a pipeline's deploy targets name the rollback
// each takes ({action, target}: a Kubernetes rollout undo or a runbook, run by Self-Healing's
// executors), a canary judgement names one (or gives it inline), and a failing verdict
// requests it through Self-Healing, whose rule for that action and target decides (approval,
// retry limit, hourly limit, cooldown) and records the action with the verdict as evidence.
// Also the pipeline editor's procedures: updatePipeline (definition and deploy targets) and
// exportPipeline (our model <-> GitHub Actions / GitLab CI YAML).
#include <set>

#include "engines/cicd/pipeline.h"
#include "modules/cicd_orchestrator/cicd_service.h"
#include "store/repository_util.h"

namespace dai::cicd {

namespace {

bool IsRollbackAction(const std::string& a) {
  for (const char* x : kRollbackActions)
    if (a == x) return true;
  return false;
}

Result<Json> CheckRollback(const Json& r, const std::string& where) {
  if (!r.is_object()) return Status::InvalidArgument(where + ": must be an object");
  if (!r.contains("action") || !r["action"].is_string() ||
      !IsRollbackAction(r["action"].get<std::string>())) {
    std::string names;
    for (const char* x : kRollbackActions) names += std::string(names.empty() ? "" : ", ") + x;
    return Status::InvalidArgument(where + ".action: one of " + names);
  }
  if (!r.contains("target") || !r["target"].is_string() || r["target"].get<std::string>().empty())
    return Status::InvalidArgument(where +
                                   ".target: required (the Deployment or runbook the healing "
                                   "rule allows)");
  return Json{{"action", r["action"]}, {"target", r["target"]}};
}

}  // namespace

Result<Json> CheckDeployTargets(const Json& targets) {
  if (!targets.is_array()) return Status::InvalidArgument("deployTargets: must be an array");
  Json out = Json::array();
  std::set<std::string> names;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Json& t = targets[i];
    const std::string where = "deployTargets[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() ||
        t["name"].get<std::string>().empty())
      return Status::InvalidArgument(where + ".name: required");
    const std::string name = t["name"].get<std::string>();
    if (!names.insert(name).second)
      return Status::InvalidArgument(where + ".name: \"" + name + "\" is given twice");
    Json n = {{"name", name}};
    if (t.contains("rollback") && !t["rollback"].is_null()) {
      DAI_ASSIGN_OR_RETURN(n["rollback"], CheckRollback(t["rollback"], where + ".rollback"));
    }
    out.push_back(std::move(n));
  }
  return out;
}

Result<Json> CicdService::CanaryRollbackTarget(const Json& in) {
  if (in.contains("rollback")) {
    if (in.contains("deployTarget"))
      return Status::InvalidArgument("give rollback or deployTarget, not both");
    DAI_ASSIGN_OR_RETURN(Json r, CheckRollback(in["rollback"], "rollback"));
    r["from"] = "request";
    return r;
  }
  if (!in.contains("deployTarget")) return Json(nullptr);
  if (!in.contains("pipelineId"))
    return Status::InvalidArgument("deployTarget: needs pipelineId (the pipeline it belongs to)");
  const std::string name = in["deployTarget"].get<std::string>();
  DAI_ASSIGN_OR_RETURN(Json p, GetPipeline(in["pipelineId"].get<int64_t>()));
  for (const auto& t : p["deployTargets"]) {
    if (t["name"] != name) continue;
    if (!t.contains("rollback"))
      return Status::FailedPrecondition("deploy target \"" + name + "\" of pipeline \"" +
                                        p["name"].get<std::string>() + "\" has no rollback");
    Json r = t["rollback"];
    r["from"] = "pipeline " + p["name"].get<std::string>() + " deploy target " + name;
    return r;
  }
  return Status::NotFound("pipeline \"" + p["name"].get<std::string>() +
                          "\" has no deploy target \"" + name + "\"");
}

Json CicdService::AutoRollback(const Json& target, const Json& verdict, const Json& in) {
  Json out = {{"action", target["action"]},
              {"target", target["target"]},
              {"from", target["from"]},
              {"requested", false}};
  if (verdict["decision"] != "fail") {
    out["reason"] = "canary decision " + verdict["decision"].get<std::string>() + " (score " +
                    std::to_string(static_cast<int>(verdict["score"].get<double>())) +
                    "): no rollback";
    return out;
  }
  if (!options_.request_healing) {
    out["error"] = "Self-Healing is not available in this process: no rollback was requested";
    return out;
  }
  std::map<std::string, std::string> labels = {
      {"alertname", "CanaryFailed"},
      {"canary_decision", "fail"},
      {"canary_score", std::to_string(verdict["score"].get<double>())},
  };
  if (in.contains("pipelineId"))
    labels["pipeline_id"] = std::to_string(in["pipelineId"].get<int64_t>());
  if (in.contains("deployTarget")) labels["deploy_target"] = in["deployTarget"].get<std::string>();
  Json evidence = {{"canary",
                    {{"score", verdict["score"]},
                     {"decision", verdict["decision"]},
                     {"summary", verdict["summary"]},
                     {"metrics", verdict["metrics"]}}}};
  auto decided = options_.request_healing(target["action"].get<std::string>(),
                                          target["target"].get<std::string>(), labels, evidence);
  if (!decided.ok()) {
    out["error"] = decided.status().message();
    return out;
  }
  out["requested"] = true;
  out["healingActionId"] = (*decided)["id"];
  out["healingVerdict"] = (*decided)["verdict"];
  out["reason"] = (*decided)["reason"];
  out["rule"] = (*decided)["rule"];
  return out;
}

Result<Json> CicdService::UpdatePipeline(const Json& in) {
  const int64_t id = in["id"].get<int64_t>();
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT config FROM pipelines WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("pipeline " + std::to_string(id) + " does not exist");
  auto parsed = ParseJson(rows.rows[0].GetString("config"));
  Json config = parsed.ok() && parsed->is_object() ? *parsed : Json::object();
  if (in.contains("definition")) {
    const Json& d = in["definition"];
    Pipeline p;
    if (d.is_string()) {
      auto gh = ParseGithubWorkflow(d.get<std::string>());
      if (!gh.ok()) return Status::InvalidArgument("definition: " + gh.status().message());
      p = *gh;
    } else {
      auto pj = PipelineFromJson(d);
      if (!pj.ok()) return Status::InvalidArgument("definition: " + pj.status().message());
      p = *pj;
    }
    config["definition"] = PipelineToJson(p);
  }
  if (in.contains("deployTargets")) {
    DAI_ASSIGN_OR_RETURN(config["deployTargets"], CheckDeployTargets(in["deployTargets"]));
  }
  DAI_RETURN_IF_ERROR(db_.Query("UPDATE pipelines SET config = ?, updated_at = ? WHERE id = ?",
                                {DumpJson(config), clock_.Now(), id})
                          .status());
  return GetPipeline(id);
}

Result<Json> CicdService::ExportPipeline(const Json& in) {
  Pipeline p;
  if (in.contains("yaml")) {
    if (in.contains("definition"))
      return Status::InvalidArgument("give definition or yaml, not both");
    auto gh = ParseGithubWorkflow(in["yaml"].get<std::string>());
    if (!gh.ok()) return Status(gh.status().code(), "yaml: " + gh.status().message());
    p = *gh;
  } else if (in.contains("definition")) {
    auto pj = PipelineFromJson(in["definition"]);
    if (!pj.ok()) return Status::InvalidArgument(pj.status().message());
    p = *pj;
  } else {
    return Status::InvalidArgument("give definition (our model) or yaml (GitHub Actions)");
  }
  // Structure only (ids, needs, cycles): an edited job may not have its steps yet.
  DAI_RETURN_IF_ERROR(ValidatePipeline(p, /*runnable=*/false));
  const std::string format = in.value("format", "github");
  return Json{{"format", format},
              {"yaml", format == "gitlab" ? ToGitlabCiYaml(p) : ToGithubActionsYaml(p)},
              {"definition", PipelineToJson(p)}};
}

}  // namespace dai::cicd
