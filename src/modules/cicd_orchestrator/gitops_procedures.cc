// cicdOrchestrator.gitops*: an Argo CD Application's or a Flux Kustomization/HelmRelease's sync
// and health (viewers), and sync / rollback / suspend-resume (operators, audited like every
// mutation). Argo CD through its API server (adapters/gitops), Flux through the Kubernetes API.
#include "adapters/gitops/gitops.h"
#include "modules/cicd_orchestrator/cicd_service.h"
#include "registry/schema.h"

namespace dai::cicd {

namespace {

namespace s = schema;

Json StatusSchema() {
  return s::Object({s::Req("provider", s::Enum({"argocd", "flux"})), s::Opt("kind", s::String()),
                    s::Req("name", s::String()), s::Req("namespace", s::String()),
                    s::Req("sync", s::String()), s::Req("health", s::String()),
                    s::Req("revision", s::String()), s::Req("message", s::String()),
                    s::Req("suspended", s::Bool()), s::Req("autoSync", s::Bool()),
                    s::Req("history", s::Array(s::Object({s::Req("id", s::Int()),
                                                          s::Req("revision", s::String()),
                                                          s::Req("deployedAt", s::String())}))),
                    s::Req("operation", s::Nullable(s::Object({s::Req("phase", s::String()),
                                                               s::Req("message", s::String())})))});
}

Json TargetFields(std::vector<s::Field> extra) {
  std::vector<s::Field> f = {
      s::Req("provider", s::Enum({"argocd", "flux"})), s::Req("name", s::String(1, 253)),
      s::Opt("namespace", s::String(1, 63),
             "Flux: the object's namespace (default flux-system); Argo CD: the "
             "application's namespace when apps live outside argocd's"),
      s::Opt("kind", s::Enum({"kustomization", "helmrelease"}),
             "Flux: the object's kind (default kustomization)")};
  for (auto& e : extra) f.push_back(std::move(e));
  return s::Object(f);
}

}  // namespace

Status CicdService::NeedArgo() const {
  if (!options_.argocd)
    return Status::FailedPrecondition(
        "Argo CD is not configured (settings argocd_url and argocd_token_file)");
  return Status::Ok();
}

Status CicdService::NeedFlux() const {
  if (!options_.kube)
    return Status::FailedPrecondition(
        "Flux is read through the Kubernetes API: no Kubernetes cluster is configured (setting "
        "kubeconfig)");
  return Status::Ok();
}

Result<Json> CicdService::GitopsStatus(const Json& in) {
  const std::string name = in["name"].get<std::string>();
  if (in["provider"] == "argocd") {
    DAI_RETURN_IF_ERROR(NeedArgo());
    DAI_ASSIGN_OR_RETURN(Json app,
                         options_.argocd->GetApplication(name, in.value("namespace", "")));
    return gitops::ArgoCdStatus(app);
  }
  DAI_RETURN_IF_ERROR(NeedFlux());
  const std::string kind = in.value("kind", "kustomization");
  DAI_ASSIGN_OR_RETURN(auto ref, gitops::FluxResource(kind));
  DAI_ASSIGN_OR_RETURN(Json obj,
                       options_.kube->Get(ref, in.value("namespace", "flux-system"), name));
  return gitops::FluxStatus(obj, kind);
}

Result<Json> CicdService::GitopsSync(const Json& in) {
  const std::string name = in["name"].get<std::string>();
  if (in["provider"] == "argocd") {
    DAI_RETURN_IF_ERROR(NeedArgo());
    DAI_ASSIGN_OR_RETURN(
        Json app, options_.argocd->Sync(name, in.value("namespace", ""), in.value("revision", ""),
                                        in.value("prune", false), in.value("dryRun", false)));
    return gitops::ArgoCdStatus(app);
  }
  DAI_RETURN_IF_ERROR(NeedFlux());
  for (const char* k : {"revision", "prune", "dryRun"})
    if (in.contains(k))
      return Status::InvalidArgument(std::string(k) +
                                     ": Argo CD only (Flux reconciles its source's revision)");
  const std::string kind = in.value("kind", "kustomization");
  DAI_ASSIGN_OR_RETURN(auto ref, gitops::FluxResource(kind));
  DAI_ASSIGN_OR_RETURN(Json obj,
                       options_.kube->Patch(ref, in.value("namespace", "flux-system"), name,
                                            gitops::FluxReconcilePatch(FormatIso8601(clock_.Now())),
                                            kube::PatchType::kMerge));
  return gitops::FluxStatus(obj, kind);
}

Result<Json> CicdService::GitopsRollback(const Json& in) {
  const std::string name = in["name"].get<std::string>();
  if (in["provider"] == "flux")
    return Status::InvalidArgument(
        "provider: Flux keeps no deployment history to roll back to: revert the commit in git "
        "(Flux then applies it), or suspend the object");
  DAI_RETURN_IF_ERROR(NeedArgo());
  const std::string ns = in.value("namespace", "");
  DAI_ASSIGN_OR_RETURN(Json app, options_.argocd->GetApplication(name, ns));
  std::optional<int64_t> id;
  if (in.contains("historyId")) id = in["historyId"].get<int64_t>();
  DAI_ASSIGN_OR_RETURN(Json entry, gitops::ArgoCdRollbackEntry(app, id));
  DAI_ASSIGN_OR_RETURN(
      Json after, options_.argocd->Rollback(name, ns, entry["id"].get<int64_t>(),
                                            in.value("prune", false), in.value("dryRun", false)));
  return Json{{"status", gitops::ArgoCdStatus(after)}, {"rolledBackTo", entry}};
}

Result<Json> CicdService::GitopsSuspend(const Json& in) {
  DAI_RETURN_IF_ERROR(NeedFlux());
  const std::string kind = in.value("kind", "kustomization");
  DAI_ASSIGN_OR_RETURN(auto ref, gitops::FluxResource(kind));
  DAI_ASSIGN_OR_RETURN(
      Json obj, options_.kube->Patch(
                    ref, in.value("namespace", "flux-system"), in["name"].get<std::string>(),
                    gitops::FluxSuspendPatch(in["suspend"].get<bool>()), kube::PatchType::kMerge));
  return gitops::FluxStatus(obj, kind);
}

void CicdService::RegisterGitopsProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  Procedure status = MakeProcedure(
      "cicdOrchestrator.gitopsStatus", Q, Role::kViewer, TargetFields({}), StatusSchema(),
      "Sync and health of an Argo CD Application or a Flux Kustomization/HelmRelease",
      [this](const Json& in, CallContext&) { return GitopsStatus(in); });
  status.may_block = true;  // calls Argo CD or the Kubernetes API
  registry.Add(std::move(status));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.gitopsSync", M, Role::kOperator,
      TargetFields({s::Opt("revision", s::String(1, 255), "Argo CD: the revision to sync to"),
                    s::Opt("prune", s::Bool()), s::Opt("dryRun", s::Bool())}),
      StatusSchema(),
      "Sync an Argo CD Application, or request a Flux reconcile (reconcile.fluxcd.io/requestedAt)",
      [this](const Json& in, CallContext&) { return GitopsSync(in); }));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.gitopsRollback", M, Role::kOperator,
      TargetFields({s::Opt("historyId", s::Int(0),
                           "the history entry to return to; absent: the one before the current"),
                    s::Opt("prune", s::Bool()), s::Opt("dryRun", s::Bool())}),
      s::Object({s::Req("status", StatusSchema()),
                 s::Req("rolledBackTo",
                        s::Object({s::Req("id", s::Int()), s::Req("revision", s::String()),
                                   s::Req("deployedAt", s::String())}))}),
      "Roll an Argo CD Application back to a history entry (Flux has no rollback: revert in git)",
      [this](const Json& in, CallContext&) { return GitopsRollback(in); }));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.gitopsSuspend", M, Role::kOperator,
      s::Object({s::Req("name", s::String(1, 253)), s::Opt("namespace", s::String(1, 63)),
                 s::Opt("kind", s::Enum({"kustomization", "helmrelease"})),
                 s::Req("suspend", s::Bool(), "true: flux suspend; false: flux resume")}),
      StatusSchema(), "Suspend or resume a Flux Kustomization/HelmRelease",
      [this](const Json& in, CallContext&) { return GitopsSuspend(in); }));
}

}  // namespace dai::cicd
