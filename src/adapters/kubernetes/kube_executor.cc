#include "adapters/kubernetes/kube_executor.h"

#include "engines/healing/decision.h"

#include <algorithm>
#include <thread>

namespace dai::kube {
namespace {

constexpr const char* kRestartedAt = "kubectl.kubernetes.io/restartedAt";
constexpr const char* kRevision = "deployment.kubernetes.io/revision";

int64_t IntAt(const Json& j, std::initializer_list<const char*> path, int64_t def) {
  const Json* cur = &j;
  for (const char* p : path) {
    if (!cur->is_object()) return def;
    auto it = cur->find(p);
    if (it == cur->end()) return def;
    cur = &*it;
  }
  return cur->is_number_integer() ? cur->get<int64_t>() : def;
}

std::string StringAt(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* p : path) {
    if (!cur->is_object()) return "";
    auto it = cur->find(p);
    if (it == cur->end()) return "";
    cur = &*it;
  }
  return cur->is_string() ? cur->get<std::string>() : "";
}

int64_t ParseRevision(const Json& rs) {
  const Json& ann = rs.contains("metadata") ? rs["metadata"].value("annotations", Json::object())
                                            : Json::object();
  if (!ann.is_object() || !ann.contains(kRevision) || !ann[kRevision].is_string()) return -1;
  const std::string text = ann[kRevision].get<std::string>();
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stoll(text);
}

// A compact view of a workload's rollout state, for the audit row.
Json RolloutState(const Json& o) {
  return Json{{"generation", IntAt(o, {"metadata", "generation"}, 0)},
              {"observedGeneration", IntAt(o, {"status", "observedGeneration"}, 0)},
              {"replicas", IntAt(o, {"spec", "replicas"}, 1)},
              {"updatedReplicas", IntAt(o, {"status", "updatedReplicas"}, 0)},
              {"readyReplicas", IntAt(o, {"status", "readyReplicas"}, 0)},
              {"resourceVersion", StringAt(o, {"metadata", "resourceVersion"})}};
}

// RFC 3339 in seconds, as `kubectl rollout restart` writes restartedAt.
std::string Rfc3339Seconds(TimePoint t) {
  std::string s = FormatIso8601(t);  // "2026-11-28T15:19:24.123Z"
  return s.size() >= 19 ? s.substr(0, 19) + "Z" : s;
}

}  // namespace

struct KubernetesExecutor::Plan {
  std::string action;
  const ResourceRef* ref = nullptr;
  std::string ns;
  std::string name;
  std::string method;  // DELETE or PATCH
  std::string path;
  std::string subresource;
  PatchType patch_type = PatchType::kMerge;
  Json patch;  // null for DELETE
  Json before;
  int64_t want_replicas = -1;  // scaling
  std::string uid;
  Json notes = Json::object();
  std::chrono::milliseconds verify_timeout{0};

  Json Describe() const {
    Json j{{"action", action},
           {"kind", ref->kind},
           {"namespace", ns},
           {"name", name},
           {"request", {{"method", method}, {"path", path}}}};
    if (method == "PATCH") {
      j["request"]["contentType"] = PatchContentType(patch_type);
      j["request"]["body"] = patch;
    }
    if (!notes.empty()) j["notes"] = notes;
    return j;
  }
};

Result<KubernetesExecutor::Plan> KubernetesExecutor::MakePlan(const ActionRequest& req,
                                                              bool record) const {
  if (!client_)
    return Status::FailedPrecondition(
        "Kubernetes is not configured: start the server with --kubeconfig FILE (or "
        "DEVOPS_AI_KUBECONFIG, or run in a pod with a service account)");
  const Json& cfg = req.config;
  Plan plan;
  plan.action = req.action_type;
  plan.name = req.target;
  plan.ns = cfg.value("namespace", std::string());
  if (plan.ns.empty()) plan.ns = client_->config().namespace_;
  plan.verify_timeout =
      cfg.contains("verifyTimeoutSeconds") && cfg["verifyTimeoutSeconds"].is_number_integer()
          ? std::chrono::milliseconds(cfg["verifyTimeoutSeconds"].get<int64_t>() * 1000)
          : options_.verify_timeout;
  std::string kind = cfg.value("kind", std::string());
  if (req.action_type == "cordon_node") {
    // kubectl cordon: spec.unschedulable = true on the node (cluster-scoped). Pods keep running;
    // no new pod is scheduled there.
    plan.ns.clear();
    plan.ref = FindResource("nodes");
    DAI_ASSIGN_OR_RETURN(plan.before, client_->Get(*plan.ref, "", plan.name));
    plan.uid = StringAt(plan.before, {"metadata", "uid"});
    DAI_ASSIGN_OR_RETURN(plan.path, ResourcePath(*plan.ref, "", plan.name));
    plan.method = "PATCH";
    plan.patch_type = PatchType::kStrategicMerge;
    plan.patch = Json{{"spec", {{"unschedulable", true}}}};
    const bool already = plan.before.contains("spec") && plan.before["spec"].is_object() &&
                         plan.before["spec"].value("unschedulable", false);
    plan.notes = Json{{"alreadyCordoned", already}};
    return plan;
  }
  if (req.action_type == "restart_pod") {
    if (!kind.empty() && kind != "pod")
      return Status::InvalidArgument("restart_pod acts on pods (actionConfig.kind \"" + kind +
                                     "\")");
    kind = "pod";
  } else if (kind.empty()) {
    kind = "deployment";
  }
  if (kind == "pod" && req.action_type != "restart_pod")
    return Status::InvalidArgument(req.action_type +
                                   " acts on a deployment or statefulset, not a pod");
  plan.ref = FindResource(kind);
  if (!plan.ref) return Status::InvalidArgument("unknown kind \"" + kind + "\"");
  DAI_ASSIGN_OR_RETURN(plan.before, client_->Get(*plan.ref, plan.ns, plan.name));
  plan.uid = StringAt(plan.before, {"metadata", "uid"});
  DAI_ASSIGN_OR_RETURN(plan.path, ResourcePath(*plan.ref, plan.ns, plan.name));

  if (req.action_type == "restart_pod") {
    plan.method = "DELETE";
    plan.notes["owner"] = plan.before["metadata"].value("ownerReferences", Json::array());
    if (plan.notes["owner"].empty())
      plan.notes["warning"] = "the pod has no owner: nothing will recreate it";
    return plan;
  }
  plan.method = "PATCH";
  if (req.action_type == "rollout_restart") {
    plan.patch_type = PatchType::kStrategicMerge;
    plan.patch = Json{
        {"spec",
         {{"template",
           {{"metadata", {{"annotations", {{kRestartedAt, Rfc3339Seconds(clock_.Now())}}}}}}}}}};
    return plan;
  }
  if (req.action_type == "scale_up" || req.action_type == "scale_down") {
    DAI_ASSIGN_OR_RETURN(Json scale, client_->GetScale(*plan.ref, plan.ns, plan.name));
    const int64_t current = IntAt(scale, {"spec", "replicas"}, 0);
    const int64_t lo = cfg.value("minReplicas", 1);
    const int64_t hi = cfg.value("maxReplicas", current);
    const int64_t step = cfg.value("step", 1);
    const bool up = req.action_type == "scale_up";
    int64_t want = std::clamp<int64_t>(up ? current + step : current - step, lo, std::max(lo, hi));
    Json formula;
    if (cfg.contains("targetValue")) {
      // Kubernetes HPA's formula on the signal's metric value: ceil(current * metric / target),
      // within the tolerance unchanged, bounded, and for scale-down stabilized over the window.
      const std::string label = cfg.value("metricLabel", std::string("value"));
      const Json labels = req.signal.value("labels", Json::object());
      const std::string text = labels.contains(label) && labels[label].is_string()
                                   ? labels[label].get<std::string>()
                                   : "";
      double metric = 0;
      try {
        size_t used = 0;
        metric = std::stod(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
      } catch (const std::exception&) {
        return Status::InvalidArgument("scaling on a metric needs a numeric \"" + label +
                                       "\" label on the signal (got \"" + text.substr(0, 64) +
                                       "\")");
      }
      healing::ScaleInput in;
      in.current = static_cast<int>(current);
      in.metric = metric;
      in.target = cfg["targetValue"].get<double>();
      in.tolerance = cfg.value("tolerance", 0.1);
      in.min_replicas = static_cast<int>(lo);
      in.max_replicas = static_cast<int>(std::max(lo, hi));
      const auto window = std::chrono::seconds(cfg.value("stabilizationSeconds", 300));
      const std::string key = plan.ns + "/" + plan.name;
      const TimePoint now = clock_.Now();
      {
        std::lock_guard<std::mutex> lock(recommendations_mu_);
        auto& recent = recommendations_[key];
        while (!recent.empty() && recent.front().first < now - window) recent.pop_front();
        for (const auto& [t, r] : recent) in.recent.push_back(r);
      }
      DAI_ASSIGN_OR_RETURN(int desired, healing::DesiredReplicas(in));
      {
        // The raw recommendation (before stabilization) is what later scale-downs look back on.
        healing::ScaleInput raw = in;
        raw.recent.clear();
        auto r = healing::DesiredReplicas(raw);
        std::lock_guard<std::mutex> lock(recommendations_mu_);
        auto& recent = recommendations_[key];
        if (r.ok() && record) recent.emplace_back(now, *r);
        while (recent.size() > 1000) recent.pop_front();
      }
      want = desired;
      formula =
          Json{{"metric", metric},          {"metricLabel", label}, {"targetValue", in.target},
               {"tolerance", in.tolerance}, {"current", current},   {"desired", desired}};
    }
    if (!formula.is_null() &&
        (want == current || (up && want < current) || (!up && want > current))) {
      return Status::FailedPrecondition(
          plan.ref->resource + " " + plan.ns + "/" + plan.name + ": the HPA formula gives " +
          std::to_string(want) + " replicas for " + std::to_string(current) + " (metric " +
          formula["metric"].dump() + ", target " + formula["targetValue"].dump() + ", tolerance " +
          formula["tolerance"].dump() + "): no " + (up ? "scale-up" : "scale-down"));
    }
    if (want == current || (up && want < current) || (!up && want > current))
      return Status::FailedPrecondition(plan.ref->resource + " " + plan.ns + "/" + plan.name +
                                        " has " + std::to_string(current) + " replicas: " +
                                        (up ? "already at maxReplicas " + std::to_string(hi)
                                            : "already at minReplicas " + std::to_string(lo)));
    plan.want_replicas = want;
    plan.subresource = "scale";
    DAI_ASSIGN_OR_RETURN(plan.path, ResourcePath(*plan.ref, plan.ns, plan.name, "scale"));
    plan.patch =
        Json{{"metadata", {{"resourceVersion", StringAt(scale, {"metadata", "resourceVersion"})}}},
             {"spec", {{"replicas", want}}}};
    plan.notes = Json{{"from", current}, {"to", want}, {"minReplicas", lo}, {"maxReplicas", hi}};
    if (!formula.is_null()) plan.notes["formula"] = formula;
    return plan;
  }
  if (req.action_type == "rollback") {
    // As `kubectl rollout undo`: the workload's history is the objects it owns, numbered by
    // revision — a Deployment's ReplicaSets (deployment.kubernetes.io/revision), a StatefulSet's
    // ControllerRevisions (.revision, data = the template as a strategic-merge patch); the
    // template of the newest revision below the current one is put back.
    const bool sts = plan.ref->resource == "statefulsets";
    if (!sts && plan.ref->resource != "deployments")
      return Status::FailedPrecondition(
          "rollback is supported for deployments and statefulsets, not " + plan.ref->resource);
    const std::string owner_kind = sts ? "StatefulSet" : "Deployment";
    const std::string history_kind = sts ? "ControllerRevision" : "ReplicaSet";
    ListOptions lo;
    lo.namespace_ = plan.ns;
    DAI_ASSIGN_OR_RETURN(
        ListResult history,
        client_->List(*FindResource(sts ? "controllerrevisions" : "replicasets"), lo));
    std::vector<std::pair<int64_t, const Json*>> owned;
    for (const Json& item : history.items) {
      const Json& owners = item["metadata"].value("ownerReferences", Json::array());
      bool mine = false;
      for (const Json& o : owners)
        if (o.is_object() && o.value("uid", "") == plan.uid && o.value("kind", "") == owner_kind)
          mine = true;
      int64_t rev = -1;
      if (!sts)
        rev = ParseRevision(item);
      else if (item.contains("revision") && item["revision"].is_number_integer())
        rev = item["revision"].get<int64_t>();
      if (mine && rev >= 0) owned.emplace_back(rev, &item);
    }
    std::sort(owned.begin(), owned.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    if (owned.size() < 2)
      return Status::FailedPrecondition(plan.ref->resource + " " + plan.ns + "/" + plan.name +
                                        ": no previous revision to roll back to (" +
                                        std::to_string(owned.size()) + " " + history_kind +
                                        "(s) found)");
    const Json& previous = *owned[1].second;
    Json tpl;
    if (sts) {
      const Json& data = previous.value("data", Json::object());
      const Json& spec = data.is_object() ? data.value("spec", Json::object()) : Json::object();
      if (!spec.is_object() || !spec.contains("template") || !spec["template"].is_object())
        return Status::FailedPrecondition(
            "statefulsets " + plan.ns + "/" + plan.name + ": ControllerRevision " +
            StringAt(previous, {"metadata", "name"}) + " has no data.spec.template to restore");
      tpl = spec["template"];
      tpl.erase("$patch");  // the strategic-merge directive, not part of the template
    } else {
      tpl = previous["spec"]["template"];
      if (tpl.contains("metadata") && tpl["metadata"].contains("labels") &&
          tpl["metadata"]["labels"].is_object())
        tpl["metadata"]["labels"].erase("pod-template-hash");
    }
    plan.patch_type = PatchType::kJsonPatch;
    plan.patch =
        Json::array({Json{{"op", "test"},
                          {"path", "/metadata/resourceVersion"},
                          {"value", StringAt(plan.before, {"metadata", "resourceVersion"})}},
                     Json{{"op", "replace"}, {"path", "/spec/template"}, {"value", tpl}}});
    plan.notes =
        Json{{"fromRevision", owned[0].first},
             {"toRevision", owned[1].first},
             {sts ? "controllerRevision" : "replicaSet", StringAt(previous, {"metadata", "name"})}};
    return plan;
  }
  return Status::InvalidArgument("the Kubernetes executor does not handle action " +
                                 req.action_type);
}

Result<Json> KubernetesExecutor::DryRun(const ActionRequest& request) {
  DAI_ASSIGN_OR_RETURN(Plan plan, MakePlan(request, false));
  Json j = plan.Describe();
  if (plan.action == "cordon_node") {
    j["before"] = Json{{"unschedulable", plan.notes.value("alreadyCordoned", false)}};
  } else {
    j["before"] =
        plan.action == "restart_pod" ? Json{{"uid", plan.uid}} : RolloutState(plan.before);
  }
  return j;
}

Result<Json> KubernetesExecutor::VerifyRollout(const Plan& plan, int64_t min_generation,
                                               int64_t want_replicas,
                                               std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Json last;
  for (;;) {
    DAI_ASSIGN_OR_RETURN(last, client_->Get(*plan.ref, plan.ns, plan.name));
    Json s = RolloutState(last);
    const int64_t gen = s["generation"].get<int64_t>();
    const int64_t want = want_replicas >= 0 ? want_replicas : s["replicas"].get<int64_t>();
    const bool observed = s["observedGeneration"].get<int64_t>() >= gen && gen >= min_generation;
    const bool updated = s["updatedReplicas"].get<int64_t>() >= want;
    const bool ready =
        s["readyReplicas"].get<int64_t>() >= want && s["replicas"].get<int64_t>() == want;
    if (observed && updated && ready) return s;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::DeadlineExceeded(
          plan.ref->resource + " " + plan.ns + "/" + plan.name + ": not rolled out after " +
          std::to_string(timeout.count() / 1000) + " s (generation " + std::to_string(gen) +
          ", observedGeneration " + std::to_string(s["observedGeneration"].get<int64_t>()) +
          ", updatedReplicas " + std::to_string(s["updatedReplicas"].get<int64_t>()) +
          ", readyReplicas " + std::to_string(s["readyReplicas"].get<int64_t>()) + " of " +
          std::to_string(want) + ")");
    }
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

Result<Json> KubernetesExecutor::Execute(const ActionRequest& request) {
  DAI_ASSIGN_OR_RETURN(Plan plan, MakePlan(request, true));
  Json out = plan.Describe();
  if (plan.action == "restart_pod") {
    DAI_RETURN_IF_ERROR(client_->DeletePod(plan.ns, plan.name).status());
    // Verified when the pod is gone, terminating, or replaced by a new object of that name.
    const auto deadline = std::chrono::steady_clock::now() + plan.verify_timeout;
    for (;;) {
      auto now = client_->Get(*plan.ref, plan.ns, plan.name);
      if (!now.ok() && now.status().code() == StatusCode::kNotFound) {
        out["verified"] = Json{{"deleted", true}};
        return out;
      }
      DAI_RETURN_IF_ERROR(now.status());
      if (StringAt(*now, {"metadata", "uid"}) != plan.uid) {
        out["verified"] = Json{{"replacedBy", StringAt(*now, {"metadata", "uid"})}};
        return out;
      }
      if (!StringAt(*now, {"metadata", "deletionTimestamp"}).empty()) {
        out["verified"] = Json{{"terminating", true}};
        return out;
      }
      if (std::chrono::steady_clock::now() >= deadline)
        return Status::DeadlineExceeded("pods " + plan.ns + "/" + plan.name +
                                        ": still running after the delete");
      std::this_thread::sleep_for(options_.poll_interval);
    }
  }
  if (plan.action == "cordon_node") {
    DAI_RETURN_IF_ERROR(
        client_->Patch(*plan.ref, "", plan.name, plan.patch, plan.patch_type).status());
    DAI_ASSIGN_OR_RETURN(Json node, client_->Get(*plan.ref, "", plan.name));
    const bool cordoned = node.contains("spec") && node["spec"].is_object() &&
                          node["spec"].value("unschedulable", false);
    if (!cordoned) {
      return Status::Unavailable("nodes " + plan.name +
                                 ": spec.unschedulable is not true after the patch");
    }
    out["verified"] = Json{{"unschedulable", true}};
    return out;
  }
  const int64_t before_generation = IntAt(plan.before, {"metadata", "generation"}, 0);
  DAI_ASSIGN_OR_RETURN(Json answer, client_->Patch(*plan.ref, plan.ns, plan.name, plan.patch,
                                                   plan.patch_type, plan.subresource));
  (void)answer;
  out["before"] = RolloutState(plan.before);
  // A template or replica change bumps metadata.generation; the controller must observe it.
  DAI_ASSIGN_OR_RETURN(Json after, VerifyRollout(plan, before_generation + 1, plan.want_replicas,
                                                 plan.verify_timeout));
  out["after"] = after;
  out["verified"] = true;
  return out;
}

}  // namespace dai::kube
