#include "modules/self_healing/drift_executor.h"

#include "engines/healing/drift.h"
#include "engines/posture/manifest.h"

namespace dai::self_healing {

Result<std::string> ReadDesiredState(const Json& cfg, const DriftExecutorHooks& hooks) {
  const std::string desired = cfg.value("desired", std::string());
  const std::string repository = cfg.value("repository", std::string());
  if (repository.empty()) {
    if (!hooks.read_file) {
      return Status::FailedPrecondition(
          "drift rules need readable roots: start the server with --drift-roots");
    }
    return hooks.read_file(desired);
  }
  if (!hooks.read_git) {
    return Status::FailedPrecondition(
        "drift rules need readable roots: start the server with --drift-roots");
  }
  return hooks.read_git(repository, cfg.value("ref", std::string("HEAD")), desired);
}

std::string DesiredStateName(const Json& cfg) {
  const std::string desired = cfg.value("desired", std::string());
  const std::string repository = cfg.value("repository", std::string());
  if (repository.empty()) return desired;
  return repository + "@" + cfg.value("ref", std::string("HEAD")) + ":" + desired;
}

Result<Json> DriftCorrectionExecutor::Execute(const ActionRequest& request) {
  return Run(request, true);
}

Result<Json> DriftCorrectionExecutor::DryRun(const ActionRequest& request) {
  return Run(request, false);
}

Result<Json> DriftCorrectionExecutor::Run(const ActionRequest& request, bool apply) {
  const Json source = request.config.value("source", Json::object());
  const std::string format = source.value("format", std::string());
  if (format.empty() || source.value("desired", std::string()).empty()) {
    return Status::FailedPrecondition("apply_desired needs the config_drift rule's source");
  }
  const std::string desired_path = DesiredStateName(source);
  DAI_ASSIGN_OR_RETURN(std::string desired, ReadDesiredState(source, hooks_));
  if (format == "kubernetes") {
    DAI_ASSIGN_OR_RETURN(auto objects, posture::ParseManifests(desired, desired_path));
    const std::string ns = source.value("namespace", std::string("default"));
    for (const auto& o : objects) {
      auto ref = healing::RefOf(o.doc, ns);
      if (!ref.ok() || ref->ToString() != request.target) continue;
      const Json body = healing::ApplyBody(o.doc, *ref);
      const std::string api = o.doc.value("apiVersion", std::string());
      Json plan = {{"apply", ref->ToString()}, {"from", desired_path}, {"body", body}};
      if (!apply) return plan;
      if (!hooks_.apply_object) {
        return Status::FailedPrecondition("Kubernetes is not configured: --kubeconfig");
      }
      DAI_ASSIGN_OR_RETURN(Json live,
                           hooks_.apply_object(api, ref->kind, ref->namespace_, ref->name, body));
      plan.erase("body");
      plan["resourceVersion"] = live.is_object() && live.contains("metadata")
                                    ? live["metadata"].value("resourceVersion", std::string())
                                    : std::string();
      return plan;
    }
    return Status::NotFound(desired_path + " names no object " + request.target);
  }
  const std::string actual_path = source.value("actual", std::string());
  if (request.target != actual_path) {
    return Status::InvalidArgument("target " + request.target + " is not the rule's file " +
                                   actual_path);
  }
  Json plan = {{"write", actual_path}, {"from", desired_path}, {"bytes", desired.size()}};
  if (!apply) return plan;
  if (!hooks_.write_file) return Status::FailedPrecondition("no file writer is configured");
  DAI_RETURN_IF_ERROR(hooks_.write_file(actual_path, desired));
  return plan;
}

}  // namespace dai::self_healing
