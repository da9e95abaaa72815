// Spot suitability of Kubernetes workloads (issue #8: "workloads suitable for spot: stateless,
// replicated, tolerant of interruption"). From the objects a cluster listing returns
// (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods, their
// PodDisruptionBudgets and HorizontalPodAutoscalers, Nodes), each workload is assessed against
// named criteria, each met or failed with what was seen:
//  * kind: a controller that recreates interrupted pods elsewhere (a DaemonSet follows its
//    nodes, a bare Pod is not recreated);
//  * stateless: no persistentVolumeClaim or hostPath volume, no StatefulSet volumeClaimTemplates;
//  * replicated: at least min_replicas pods (the HPA's minReplicas when an HPA scales it);
//    for a Job or CronJob, retried: backoffLimit >= 1 (Kubernetes' default is 6);
//  * disruption_budget: no PodDisruptionBudget selecting its pods forbids every disruption
//    (maxUnavailable 0, or minAvailable at or above the replica count or 100%);
//  * evictable: not annotated cluster-autoscaler.kubernetes.io/safe-to-evict "false" or
//    karpenter.sh/do-not-disrupt "true";
//  * graceful_shutdown: terminationGracePeriodSeconds (default 30) within the provider's
//    interruption notice;
//  * not_already_spot: no nodeSelector, required node affinity or toleration already targets
//    spot capacity (then the saving is already taken).
// A workload meeting every criterion is suitable; its expected monthly saving is its on-demand
// cost times the provider's spot discount (a table kept as data, SpotProviders()), and the patch
// that moves it (nodeSelector and tolerations of the provider's spot node pool) is given as a
// strategic-merge patch and as YAML. Nothing here applies anything.
// Pure. Thread-safety: free functions and value types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "engines/cost/utilization.h"

namespace dai::cost {

//! One provider's spot terms and its spot node pool's labels and taint.
struct SpotProvider {
  std::string name;             //!< aws | gcp | azure | default
  double discount = 0.6;        //!< share off the on-demand price assumed for the saving
  int64_t notice_seconds = 30;  //!< warning before an interruption
  std::string source;           //!< where the numbers come from
  std::map<std::string, std::string> node_selector;  //!< the spot pool's node label
  //! The spot pool's taint, tolerated by the patch (taint_key empty: the pool is not tainted).
  std::string taint_key, taint_value, taint_effect;
};

//! The table: aws, gcp, azure and default (Karpenter's label, any cloud). The discount is one
//! documented default for all (0.60: the lower end of Google Cloud's documented 60-91% range;
//! AWS and Azure publish "up to 90%" without a lower bound); the notices are the providers'
//! documented ones (EC2 two minutes; Compute Engine and Azure 30 seconds).
const std::vector<SpotProvider>& SpotProviders();
//! The entry named `name`, or nullptr.
const SpotProvider* FindSpotProvider(const std::string& name);
//! The provider of the cluster's nodes from their spec.providerID ("aws://", "gce://",
//! "azure://"; the most common one), or "default" without Nodes.
std::string DetectSpotProvider(const std::vector<Json>& objects);

//! Kubernetes quantities: "500m" → 0.5, "2" → 2, "256Mi" → 268435456, "1G" → 1e9, "1e3" → 1000.
//! nullopt when malformed.
std::optional<double> ParseQuantity(const std::string& text);

struct SpotOptions {
  SpotProvider provider;  //!< usually *FindSpotProvider(DetectSpotProvider(objects))
  int64_t min_replicas = 2;
  PriceSheet prices;  //!< prices the template's requests when no measured cost is given
};

struct SpotCriterion {
  std::string name;  //!< kind, stateless, replicated|retried, disruption_budget, evictable,
                     //!< graceful_shutdown, not_already_spot
  bool met = false;
  std::string detail;  //!< what was seen
};

struct SpotAssessment {
  std::string id;  //!< namespace/Kind/name
  std::string kind, namespace_, name;
  int64_t replicas = 0;  //!< current (spec.replicas; Jobs: parallelism)
  bool suitable = false;
  bool already_spot = false;
  std::vector<SpotCriterion> criteria;
  std::vector<std::string> failed;  //!< the names of the failed criteria
  double monthly_cost = 0;          //!< on-demand, per 730 h
  double monthly_saving = 0;        //!< monthly_cost x discount when suitable, else 0
  double discount = 0;
  //! "utilization" (measured: max(request, usage) per pod), "requests" (the template's requests
  //! x the price sheet) or "none" (no requests and nothing measured, or a Job: run time unknown).
  std::string cost_source;
  std::string risk;      //!< low | medium | high (see AssessSpot)
  std::string evidence;  //!< one line: every criterion, then the cost
  Json patch;            //!< strategic-merge patch; null when not suitable
  std::string patch_yaml;
};

//! Assesses every workload of `objects` (a Pod or ReplicaSet owned by a controller, or a Job
//! owned by a CronJob, is assessed through its owner and skipped). `measured_hourly_per_pod`
//! maps "namespace/name" to a pod's measured hourly cost. Risk: high when only min_replicas
//! pods and no disruption budget; low with more than min_replicas pods and a budget that
//! limits disruptions; medium otherwise (Jobs: medium, work since the last checkpoint is
//! redone). Sorted by saving, largest first, then id.
std::vector<SpotAssessment> AssessSpot(const std::vector<Json>& objects,
                                       const std::map<std::string, double>& measured_hourly_per_pod,
                                       const SpotOptions& options);

//! Block YAML for a JSON value (strings double-quoted, JSON escapes being valid YAML ones).
std::string ToYaml(const Json& value);

}  // namespace dai::cost
