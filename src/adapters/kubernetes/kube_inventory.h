// Reads the objects of a live cluster that the posture checks and architecture snapshots look
// at: workloads (Deployments, StatefulSets, DaemonSets, Jobs and CronJobs, and Pods and
// ReplicaSets that no controller owns), Services, Ingresses, NetworkPolicies,
// PodDisruptionBudgets and HorizontalPodAutoscalers. Secrets are never read. Each object comes
// back with kind and apiVersion set and metadata.managedFields dropped.
// Thread-safety: as KubeClient (const, concurrent calls allowed).
#pragma once

#include <string>
#include <vector>

#include "adapters/kubernetes/kube_client.h"

namespace dai::kube {

struct ClusterObjects {
  std::vector<Json> objects;
  //! One line per kind that could not be listed (e.g. RBAC forbids it), naming the error;
  //! the other kinds are still returned.
  std::vector<std::string> errors;
  //! The kinds listed, in order.
  std::vector<std::string> kinds;
};

//! Lists the kinds above in `ns` (empty: all namespaces). Fails (with the first error) only
//! when no kind at all could be listed.
Result<ClusterObjects> ListClusterObjects(const KubeClient& client, const std::string& ns = "");

}  // namespace dai::kube
