// Architecture snapshots (pure): what the platform knows about a system as components and the
// connections between them, built from Kubernetes objects (deployments, stateful sets, daemon
// sets, services, ingresses, config maps: selectors, ports, references), Prometheus targets,
// request-rate edges between services (e.g. from istio_requests_total) and databases or queues
// named in configuration (connection URLs in env and config maps). Two snapshots can be diffed,
// and a snapshot renders as Mermaid or Graphviz DOT text grouped by namespace or team.
// Hostile input is bounded: component and edge counts have limits; dangling or cyclic
// references are reported, never followed. Thread-safety: value types and pure functions.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::docs {

struct Component {
  std::string id;  //!< unique: "<kind>/<namespace>/<name>" for Kubernetes objects
  std::string name;
  std::string kind;  //!< deployment, statefulset, daemonset, service, ingress, configmap,
                     //!< database, queue, cache, prometheus_target, external, ...
  std::string namespace_;
  std::string team;  //!< from the team / app.kubernetes.io/part-of label ("" when none)
  std::map<std::string, std::string> labels;
  std::vector<std::string> ports;                 //!< "80/TCP", "http:8080"
  std::map<std::string, std::string> attributes;  //!< image, replicas, host, health ...
};

struct Edge {
  std::string from, to;
  std::string kind;  //!< selects, routes, uses_config, connects, calls, scrapes
  double rate = 0;   //!< requests/s for calls edges (0 when unknown)
};

struct Snapshot {
  std::vector<Component> components;
  std::vector<Edge> edges;
  std::vector<std::string> warnings;  //!< dangling references dropped, duplicates merged
};

struct SnapshotLimits {
  size_t max_components = 20000;
  size_t max_edges = 100000;
};

Json ComponentToJson(const Component& c);
Json EdgeToJson(const Edge& e);
//! Parses the stored form ({components:[...], connections:[...]}); INVALID_ARGUMENT naming the
//! field ("components[3].id: ..."). Edges naming unknown components are dropped with a warning.
Result<Snapshot> SnapshotFromJson(const Json& components, const Json& connections,
                                  const SnapshotLimits& limits = {});

//! Incrementally collects a snapshot from several sources.
class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(SnapshotLimits limits = {}) : limits_(limits) {}
  //! Adds Kubernetes objects (JSON trees as posture::ParseManifests gives them). Objects of
  //! kinds that carry no architecture (RBAC, policies ...) are ignored.
  Status AddKubernetesObjects(const std::vector<Json>& objects);
  //! Adds the answer of Prometheus' GET /api/v1/targets (data.activeTargets[]).
  Status AddPrometheusTargets(const Json& targets_answer);
  //! Adds request-rate edges: [{source, destination, rate}] naming services or workloads by
  //! name (optionally "namespace/name"); unknown names become `external` components.
  Status AddTraffic(const Json& edges);
  //! Adds hand-written components/connections in the stored form.
  Status AddManual(const Json& components, const Json& connections);
  //! Resolves references (selectors, backends, config references) and returns the snapshot.
  Snapshot Build();

 private:
  Status AddComponent(Component c);
  Status AddEdge(Edge e);
  Component* Find(const std::string& id);
  void ScanConfigValue(const std::string& owner, const std::string& value);

  SnapshotLimits limits_;
  std::vector<Component> components_;
  std::map<std::string, size_t> index_;
  std::vector<Edge> edges_;
  std::vector<std::string> warnings_;
  struct PendingSelector {
    std::string service_id, ns;
    std::map<std::string, std::string> selector;
  };
  std::vector<PendingSelector> selectors_;
  struct PendingRef {
    std::string from, kind, ns, name, edge_kind;
  };
  std::vector<PendingRef> refs_;
  std::map<std::string, std::map<std::string, std::string>> pod_labels_;  //!< workload id → labels
};

struct ComponentChange {
  std::string id;
  std::vector<std::string> fields;  //!< "ports", "labels", "attributes.image" ...
};

struct SnapshotDiff {
  std::vector<Component> added, removed;
  std::vector<ComponentChange> changed;
  std::vector<Edge> added_edges, removed_edges;
  Json ToJson() const;
  //! A Markdown summary of the change ("## Infrastructure changes" ...).
  std::string ToMarkdown() const;
};

SnapshotDiff DiffSnapshots(const Snapshot& before, const Snapshot& after);

enum class GroupBy { kNone, kNamespace, kTeam };

struct DiagramOptions {
  GroupBy group_by = GroupBy::kNamespace;
  bool left_to_right = true;
};

//! Mermaid flowchart text. Identifiers are generated (n0, n1 ...); labels are escaped.
std::string ToMermaid(const Snapshot& snapshot, const DiagramOptions& options = {});
//! Graphviz DOT text with clusters per group; every string is quoted and escaped.
std::string ToDot(const Snapshot& snapshot, const DiagramOptions& options = {});

}  // namespace dai::docs
