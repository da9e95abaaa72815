// KubernetesExecutor: the Kubernetes healing actions through the API (issue #5):
//   restart_pod      DELETE the pod (its controller replaces it); verified gone or terminating
//   rollout_restart  strategic-merge patch of spec.template.metadata.annotations
//                    ["kubectl.kubernetes.io/restartedAt"] (what `kubectl rollout restart` does)
//   scale_up/down    merge patch of the scale subresource, current ± step clamped to the rule's
//                    minReplicas..maxReplicas, guarded by the Scale's resourceVersion
//   rollback         JSON patch setting spec.template back to the previous ReplicaSet's template
//                    (owner = the deployment, previous deployment.kubernetes.io/revision), what
//                    `kubectl rollout undo` does, guarded by a resourceVersion test; for a
//                    statefulset the previous ControllerRevision's (owner = the statefulset,
//                    previous .revision) data.spec.template, as `kubectl rollout undo sts`
// The target is the object's name; actionConfig gives namespace, kind (deployment |
// statefulset | pod) and the scaling bounds. DryRun reads (never writes) and returns the exact
// request: method, path, content type and patch body. Execute then re-reads the object until
// the controller reports the change (observedGeneration >= generation and updated/ready
// replicas == spec.replicas) or verifyTimeoutSeconds pass (DEADLINE_EXCEEDED naming what is
// missing; polled on the steady clock). `clock` gives the restartedAt time. Names reach URLs
// only percent-encoded.
// Thread-safety: safe for concurrent calls (the client is immutable).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "adapters/kubernetes/kube_client.h"
#include "core/clock.h"
#include "ports/action_executor.h"

namespace dai::kube {

struct KubeExecutorOptions {
  std::chrono::milliseconds verify_timeout{120000};  //!< default when the rule gives none
  std::chrono::milliseconds poll_interval{500};
};

class KubernetesExecutor final : public ActionExecutor {
 public:
  //! `client` may be null: every call then answers FAILED_PRECONDITION (not configured).
  KubernetesExecutor(std::shared_ptr<const KubeClient> client, const Clock& clock,
                     KubeExecutorOptions options = {})
      : client_(std::move(client)), clock_(clock), options_(options) {}

  Result<Json> Execute(const ActionRequest& request) override;
  Result<Json> DryRun(const ActionRequest& request) override;

 private:
  struct Plan;
  //! `record`: remember this scaling recommendation for later stabilization (executions only,
  //! never dry runs).
  Result<Plan> MakePlan(const ActionRequest& request, bool record) const;
  Result<Json> VerifyRollout(const Plan& plan, int64_t min_generation, int64_t want_replicas,
                             std::chrono::milliseconds timeout) const;

  std::shared_ptr<const KubeClient> client_;
  const Clock& clock_;
  KubeExecutorOptions options_;
  //! Recent HPA-formula recommendations per namespace/name (scale-down stabilization window).
  mutable std::mutex recommendations_mu_;
  mutable std::map<std::string, std::deque<std::pair<TimePoint, int>>> recommendations_;
};

}  // namespace dai::kube
