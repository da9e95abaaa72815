// GitOps controllers: Argo CD through its REST API (the API server's grpc-gateway:
// GET /api/v1/applications/{name}, POST .../sync, POST .../rollback with a history `id`,
// bearer token) and Flux through the Kubernetes API (its Kustomization and HelmRelease custom
// resources: Ready condition, revisions, suspend; reconcile requested by the
// reconcile.fluxcd.io/requestedAt annotation, as `flux reconcile` does). Both answer one
// status shape: {provider, name, namespace, sync, health, revision, message, suspended,
// autoSync, history, operation}. Also the `argocd_rollback` healing executor.
// Tokens are read from a file on every request (rotated by the mount) and never logged; the
// HttpClient redacts them from its messages. Names reach URLs only percent-encoded.
// Thread-safety: the clients are immutable after construction; safe for concurrent use.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adapters/http/http_client.h"
#include "adapters/kubernetes/kube_client.h"
#include "core/json.h"
#include "core/status.h"
#include "ports/action_executor.h"

namespace dai::gitops {

struct ArgoCdOptions {
  std::string url;         //!< the Argo CD API server, e.g. https://argocd.example.com
  std::string token_file;  //!< a file holding an API token (account or project role token)
  http::HttpClientOptions http;
};

class ArgoCdClient {
 public:
  //! INVALID_ARGUMENT naming the setting for a URL that is not http(s) or an empty token file.
  static Result<std::shared_ptr<const ArgoCdClient>> Create(ArgoCdOptions options);

  const std::string& url() const { return options_.url; }

  //! The Application (v1alpha1) as the API returns it. NOT_FOUND naming it when absent.
  Result<Json> GetApplication(const std::string& name, const std::string& app_namespace) const;
  //! POST .../sync (ApplicationSyncRequest): revision empty means the app's target revision.
  Result<Json> Sync(const std::string& name, const std::string& app_namespace,
                    const std::string& revision, bool prune, bool dry_run) const;
  //! POST .../rollback (ApplicationRollbackRequest) to history entry `id`. Argo CD refuses it
  //! while automated sync is on (FAILED_PRECONDITION with its message).
  Result<Json> Rollback(const std::string& name, const std::string& app_namespace, int64_t id,
                        bool prune, bool dry_run) const;

 private:
  explicit ArgoCdClient(ArgoCdOptions options)
      : options_(std::move(options)), http_(options_.http) {}
  Result<Json> Call(const std::string& method, const std::string& path, const Json& body,
                    const std::string& what) const;

  ArgoCdOptions options_;
  http::HttpClient http_;
};

//! The status shape of an Argo CD Application (history newest last, as the API keeps it).
Json ArgoCdStatus(const Json& application);
//! The history entry a rollback returns to: `id` when given (INVALID_ARGUMENT when the
//! application has no such entry), else the one before the current (FAILED_PRECONDITION when
//! there is none).
Result<Json> ArgoCdRollbackEntry(const Json& application, std::optional<int64_t> id);

//! Flux kinds: "kustomization" (kustomize.toolkit.fluxcd.io/v1) or "helmrelease"
//! (helm.toolkit.fluxcd.io/v2). INVALID_ARGUMENT otherwise.
Result<kube::ResourceRef> FluxResource(const std::string& kind);
//! The status shape of a Flux Kustomization or HelmRelease.
Json FluxStatus(const Json& object, const std::string& kind);
//! The merge patch `flux reconcile` sends: metadata.annotations[reconcile.fluxcd.io/requestedAt].
Json FluxReconcilePatch(const std::string& requested_at);
//! The merge patch of `flux suspend` / `flux resume`: spec.suspend.
Json FluxSuspendPatch(bool suspend);

//! The `argocd_rollback` healing action: the rule's target is the Application; actionConfig
//! {appNamespace?, historyId?, prune?}. Rolls back to historyId or the entry before the
//! current one, then reads the Application until its sync and health settle (verify timeout),
//! failing with what it saw otherwise. DryRun shows the request and the entry it returns to.
class ArgoCdRollbackExecutor : public ActionExecutor {
 public:
  explicit ArgoCdRollbackExecutor(std::shared_ptr<const ArgoCdClient> client,
                                  std::chrono::milliseconds poll = std::chrono::milliseconds(250))
      : client_(std::move(client)), poll_(poll) {}
  Result<Json> Execute(const ActionRequest& request) override;
  Result<Json> DryRun(const ActionRequest& request) override;

 private:
  Result<Json> Plan(const ActionRequest& request, Json* app);
  std::shared_ptr<const ArgoCdClient> client_;  //!< null: Argo CD is not configured
  std::chrono::milliseconds poll_;
};

}  // namespace dai::gitops
