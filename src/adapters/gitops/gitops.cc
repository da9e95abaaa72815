#include "adapters/gitops/gitops.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "adapters/kubernetes/kube_wire.h"

namespace dai::gitops {

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

Result<std::string> ReadToken(const std::string& file) {
  std::ifstream in(file);
  if (!in)
    return Status::FailedPrecondition("setting argocd_token_file: cannot read \"" + file + "\"");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = Trim(ss.str());
  if (t.empty()) return Status::FailedPrecondition("setting argocd_token_file: the file is empty");
  if (t.find_first_of("\r\n") != std::string::npos)
    return Status::FailedPrecondition("setting argocd_token_file: the token must be one line");
  return t;
}

// grpc-gateway error bodies: {"error": ..., "code": <grpc code>, "message": ...}.
Status ArgoError(int http_status, const std::string& body, const std::string& what) {
  std::string message;
  auto j = ParseJson(body);
  if (j.ok() && j->is_object()) {
    if (j->contains("message") && (*j)["message"].is_string())
      message = (*j)["message"].get<std::string>();
    else if (j->contains("error") && (*j)["error"].is_string())
      message = (*j)["error"].get<std::string>();
  }
  if (message.empty()) message = body.substr(0, 200);
  const std::string m =
      "Argo CD " + what + ": " + message + " (HTTP " + std::to_string(http_status) + ")";
  int code = j.ok() && j->is_object() ? j->value("code", 0) : 0;
  if (http_status == 404 || code == 5) return Status::NotFound(m);
  // A refused token is a configuration problem of this server, not the caller's identity.
  if (http_status == 401 || code == 16)
    return Status::FailedPrecondition(m + ": check the token in argocd_token_file");
  if (http_status == 403 || code == 7)
    return Status::FailedPrecondition(m + ": the token's account or role lacks this permission");
  if (code == 9) return Status::FailedPrecondition(m);
  if (code == 3) return Status::InvalidArgument(m);
  if (http_status == 409) return Status::Conflict(m);
  if (http_status >= 500) return Status::Unavailable(m);
  return Status::FailedPrecondition(m);
}

std::string Str(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->contains(k)) return "";
    cur = &(*cur)[k];
  }
  return cur->is_string() ? cur->get<std::string>() : "";
}

}  // namespace

Result<std::shared_ptr<const ArgoCdClient>> ArgoCdClient::Create(ArgoCdOptions options) {
  if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0)
    return Status::InvalidArgument("setting argocd_url: expected an http(s) URL");
  while (!options.url.empty() && options.url.back() == '/') options.url.pop_back();
  if (options.token_file.empty())
    return Status::InvalidArgument("setting argocd_token_file: required with argocd_url");
  DAI_RETURN_IF_ERROR(ReadToken(options.token_file).status());
  return std::shared_ptr<const ArgoCdClient>(new ArgoCdClient(std::move(options)));
}

Result<Json> ArgoCdClient::Call(const std::string& method, const std::string& path,
                                const Json& body, const std::string& what) const {
  DAI_ASSIGN_OR_RETURN(std::string token, ReadToken(options_.token_file));
  http::HttpClientRequest req;
  req.method = method;
  req.url = options_.url + path;
  req.headers = {{"authorization", "Bearer " + token}, {"accept", "application/json"}};
  if (!body.is_null()) {
    req.headers.emplace_back("content-type", "application/json");
    req.body = DumpJson(body);
  }
  DAI_ASSIGN_OR_RETURN(auto resp, http_.Send(req));
  if (resp.status < 200 || resp.status >= 300) return ArgoError(resp.status, resp.body, what);
  auto j = ParseJson(resp.body);
  if (!j.ok()) return Status::Unavailable("Argo CD " + what + ": the answer is not JSON");
  return *j;
}

Result<Json> ArgoCdClient::GetApplication(const std::string& name,
                                          const std::string& app_namespace) const {
  std::string path = "/api/v1/applications/" + kube::PercentEncode(name);
  if (!app_namespace.empty()) path += "?appNamespace=" + kube::PercentEncode(app_namespace);
  return Call("GET", path, Json(), "application \"" + name + "\"");
}

Result<Json> ArgoCdClient::Sync(const std::string& name, const std::string& app_namespace,
                                const std::string& revision, bool prune, bool dry_run) const {
  Json body = {{"name", name}, {"prune", prune}, {"dryRun", dry_run}};
  if (!revision.empty()) body["revision"] = revision;
  if (!app_namespace.empty()) body["appNamespace"] = app_namespace;
  return Call("POST", "/api/v1/applications/" + kube::PercentEncode(name) + "/sync", body,
              "sync of \"" + name + "\"");
}

Result<Json> ArgoCdClient::Rollback(const std::string& name, const std::string& app_namespace,
                                    int64_t id, bool prune, bool dry_run) const {
  // ApplicationRollbackRequest: id is an int64, which grpc-gateway writes as a JSON string.
  Json body = {{"name", name}, {"id", std::to_string(id)}, {"prune", prune}, {"dryRun", dry_run}};
  if (!app_namespace.empty()) body["appNamespace"] = app_namespace;
  return Call("POST", "/api/v1/applications/" + kube::PercentEncode(name) + "/rollback", body,
              "rollback of \"" + name + "\"");
}

Json ArgoCdStatus(const Json& app) {
  Json history = Json::array();
  if (app.contains("status") && app["status"].contains("history") &&
      app["status"]["history"].is_array()) {
    for (const auto& h : app["status"]["history"]) {
      int64_t id = 0;
      if (h.contains("id")) {
        if (h["id"].is_number_integer()) id = h["id"].get<int64_t>();
        if (h["id"].is_string()) id = std::strtoll(h["id"].get<std::string>().c_str(), nullptr, 10);
      }
      history.push_back(
          {{"id", id}, {"revision", Str(h, {"revision"})}, {"deployedAt", Str(h, {"deployedAt"})}});
    }
  }
  const bool automated = app.contains("spec") && app["spec"].contains("syncPolicy") &&
                         app["spec"]["syncPolicy"].is_object() &&
                         app["spec"]["syncPolicy"].contains("automated") &&
                         !app["spec"]["syncPolicy"]["automated"].is_null();
  Json op = nullptr;
  if (app.contains("status") && app["status"].contains("operationState")) {
    op = {{"phase", Str(app, {"status", "operationState", "phase"})},
          {"message", Str(app, {"status", "operationState", "message"})}};
  }
  return {{"provider", "argocd"},
          {"name", Str(app, {"metadata", "name"})},
          {"namespace", Str(app, {"metadata", "namespace"})},
          {"sync", Str(app, {"status", "sync", "status"})},
          {"health", Str(app, {"status", "health", "status"})},
          {"revision", Str(app, {"status", "sync", "revision"})},
          {"message", Str(app, {"status", "health", "message"})},
          {"suspended", false},
          {"autoSync", automated},
          {"history", history},
          {"operation", op}};
}

Result<Json> ArgoCdRollbackEntry(const Json& app, std::optional<int64_t> id) {
  Json st = ArgoCdStatus(app);
  const Json& h = st["history"];
  if (id) {
    for (const auto& e : h)
      if (e["id"].get<int64_t>() == *id) return e;
    return Status::InvalidArgument("application " + st["name"].get<std::string>() +
                                   " does not have deployment with id " + std::to_string(*id));
  }
  if (h.size() < 2)
    return Status::FailedPrecondition("application " + st["name"].get<std::string>() +
                                      " has no previous deployment to roll back to");
  return h[h.size() - 2];
}

Result<kube::ResourceRef> FluxResource(const std::string& kind) {
  if (kind == "kustomization" || kind == "Kustomization")
    return kube::ResourceRef{"kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization",
                             true};
  if (kind == "helmrelease" || kind == "HelmRelease")
    return kube::ResourceRef{"helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease", true};
  return Status::InvalidArgument("kind: one of kustomization, helmrelease (got \"" + kind + "\")");
}

Json FluxStatus(const Json& obj, const std::string& kind) {
  std::string ready = "Unknown", reason, message;
  if (obj.contains("status") && obj["status"].contains("conditions") &&
      obj["status"]["conditions"].is_array()) {
    for (const auto& c : obj["status"]["conditions"]) {
      if (Str(c, {"type"}) != "Ready") continue;
      ready = Str(c, {"status"});
      reason = Str(c, {"reason"});
      message = Str(c, {"message"});
    }
  }
  const bool suspended = obj.contains("spec") && obj["spec"].is_object() &&
                         obj["spec"].value("suspend", false);
  // Flux has one Ready condition: True is in sync and healthy, False failed, Unknown
  // reconciling. Sync compares the applied revision with the last attempted one.
  const std::string applied = kind == "helmrelease" ? Str(obj, {"status", "lastAttemptedRevision"})
                                                    : Str(obj, {"status", "lastAppliedRevision"});
  const std::string attempted = Str(obj, {"status", "lastAttemptedRevision"});
  std::string sync = ready == "True" ? "Synced" : ready == "False" ? "OutOfSync" : "Progressing";
  std::string health = ready == "True" ? "Healthy" : ready == "False" ? "Degraded" : "Progressing";
  if (suspended) health = "Suspended";
  Json op = nullptr;
  const std::string handled = Str(obj, {"status", "lastHandledReconcileAt"});
  const std::string requested =
      Str(obj, {"metadata", "annotations", "reconcile.fluxcd.io/requestedAt"});
  if (!requested.empty())
    op = {{"phase", handled == requested ? "Succeeded" : "Running"},
          {"message", "reconcile requested at " + requested +
                          (handled == requested ? ", handled" : ", not handled yet")}};
  return {{"provider", "flux"},
          {"kind", kind},
          {"name", Str(obj, {"metadata", "name"})},
          {"namespace", Str(obj, {"metadata", "namespace"})},
          {"sync", sync},
          {"health", health},
          {"revision", applied.empty() ? attempted : applied},
          {"message", reason.empty() ? message : reason + ": " + message},
          {"suspended", suspended},
          {"autoSync", !suspended},
          {"history", Json::array()},
          {"operation", op}};
}

Json FluxReconcilePatch(const std::string& requested_at) {
  return {{"metadata", {{"annotations", {{"reconcile.fluxcd.io/requestedAt", requested_at}}}}}};
}

Json FluxSuspendPatch(bool suspend) {
  // `flux resume` removes the field; a merge patch with null does the same.
  return {{"spec", {{"suspend", suspend ? Json(true) : Json(nullptr)}}}};
}

Result<Json> ArgoCdRollbackExecutor::Plan(const ActionRequest& request, Json* app) {
  if (!client_)
    return Status::FailedPrecondition(
        "argocd_rollback: Argo CD is not configured (settings argocd_url, argocd_token_file)");
  const std::string ns = request.config.value("appNamespace", std::string());
  DAI_ASSIGN_OR_RETURN(*app, client_->GetApplication(request.target, ns));
  std::optional<int64_t> id;
  if (request.config.contains("historyId")) id = request.config["historyId"].get<int64_t>();
  DAI_ASSIGN_OR_RETURN(Json entry, ArgoCdRollbackEntry(*app, id));
  Json st = ArgoCdStatus(*app);
  if (st["autoSync"].get<bool>())
    return Status::FailedPrecondition(
        "argocd_rollback: application " + request.target +
        " has automated sync on, and Argo CD refuses a rollback then (it would sync forward "
        "again): turn automated sync off, or revert the commit in git");
  Json body = {{"name", request.target},
               {"id", std::to_string(entry["id"].get<int64_t>())},
               {"prune", request.config.value("prune", false)},
               {"dryRun", false}};
  if (!ns.empty()) body["appNamespace"] = ns;
  return Json{
      {"request",
       {{"method", "POST"},
        {"path", "/api/v1/applications/" + kube::PercentEncode(request.target) + "/rollback"},
        {"body", body}}},
      {"from", {{"revision", st["revision"]}, {"sync", st["sync"]}, {"health", st["health"]}}},
      {"to", entry}};
}

Result<Json> ArgoCdRollbackExecutor::DryRun(const ActionRequest& request) {
  Json app;
  return Plan(request, &app);
}

Result<Json> ArgoCdRollbackExecutor::Execute(const ActionRequest& request) {
  Json app;
  DAI_ASSIGN_OR_RETURN(Json plan, Plan(request, &app));
  const std::string ns = request.config.value("appNamespace", std::string());
  const int64_t id = plan["to"]["id"].get<int64_t>();
  const std::string want = plan["to"]["revision"].get<std::string>();
  DAI_RETURN_IF_ERROR(
      client_->Rollback(request.target, ns, id, request.config.value("prune", false), false)
          .status());
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(request.config.value("verifyTimeoutSeconds", 120));
  Json st;
  while (true) {
    DAI_ASSIGN_OR_RETURN(Json now, client_->GetApplication(request.target, ns));
    st = ArgoCdStatus(now);
    const std::string phase =
        st["operation"].is_null() ? "" : st["operation"]["phase"].get<std::string>();
    if (phase == "Failed" || phase == "Error")
      return Status::FailedPrecondition("argocd_rollback: the rollback operation of " +
                                        request.target + " ended " + phase + ": " +
                                        st["operation"]["message"].get<std::string>());
    if (phase == "Succeeded" && st["revision"] == want && st["health"] == "Healthy") break;
    if (std::chrono::steady_clock::now() >= deadline)
      return Status::DeadlineExceeded(
          "argocd_rollback: " + request.target + " did not settle on revision " + want +
          " in time (operation " + (phase.empty() ? "none" : phase) + ", revision " +
          st["revision"].get<std::string>() + ", health " + st["health"].get<std::string>() + ")");
    std::this_thread::sleep_for(poll_);
  }
  plan["after"] = {{"revision", st["revision"]}, {"sync", st["sync"]}, {"health", st["health"]}};
  return plan;
}

}  // namespace dai::gitops
