#include "adapters/kubernetes/kube_inventory.h"

namespace dai::kube {
namespace {

bool HasController(const Json& o) {
  const Json* md = o.contains("metadata") ? &o["metadata"] : nullptr;
  if (!md || !md->is_object() || !md->contains("ownerReferences")) return false;
  const Json& refs = (*md)["ownerReferences"];
  if (!refs.is_array()) return false;
  for (const Json& r : refs)
    if (r.is_object() && r.value("controller", false)) return true;
  return false;
}

}  // namespace

Result<ClusterObjects> ListClusterObjects(const KubeClient& client, const std::string& ns) {
  static const char* kKinds[] = {"deployments",
                                 "statefulsets",
                                 "daemonsets",
                                 "replicasets",
                                 "jobs",
                                 "cronjobs",
                                 "pods",
                                 "services",
                                 "ingresses",
                                 "networkpolicies",
                                 "poddisruptionbudgets",
                                 "horizontalpodautoscalers"};
  ClusterObjects out;
  Status first_error;
  int listed = 0;
  for (const char* name : kKinds) {
    const ResourceRef& ref = *FindResource(name);
    ListOptions options;
    options.namespace_ = ns;
    auto list = client.List(ref, options);
    if (!list.ok()) {
      if (first_error.ok()) first_error = list.status();
      out.errors.push_back(list.status().message());
      continue;
    }
    ++listed;
    out.kinds.push_back(ref.kind);
    for (Json& o : list->items) {
      // Objects a controller owns are checked through their owner's template.
      const bool owned_kind =
          ref.resource == "pods" || ref.resource == "replicasets" || ref.resource == "jobs";
      if (owned_kind && HasController(o)) continue;
      if (o.contains("metadata") && o["metadata"].is_object()) o["metadata"].erase("managedFields");
      out.objects.push_back(std::move(o));
    }
  }
  if (listed == 0) return first_error;
  return out;
}

}  // namespace dai::kube
