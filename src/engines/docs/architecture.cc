#include "engines/docs/architecture.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

namespace dai::docs {
namespace {

std::string Str(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

const Json& Child(const Json& j, const char* key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::map<std::string, std::string> StringMap(const Json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_string())
      out[it.key()] = it->get<std::string>();
    else if (it->is_number() || it->is_boolean())
      out[it.key()] = it->dump();
  }
  return out;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string TeamOf(const std::map<std::string, std::string>& labels) {
  for (const char* k : {"team", "app.kubernetes.io/part-of", "owner"}) {
    auto it = labels.find(k);
    if (it != labels.end() && !it->second.empty()) return it->second;
  }
  return "";
}

struct Scheme {
  const char* prefix;
  const char* kind;
  const char* tech;
};
constexpr Scheme kSchemes[] = {
    {"postgresql://", "database", "postgresql"},
    {"postgres://", "database", "postgresql"},
    {"jdbc:postgresql://", "database", "postgresql"},
    {"mysql://", "database", "mysql"},
    {"jdbc:mysql://", "database", "mysql"},
    {"mariadb://", "database", "mariadb"},
    {"mongodb+srv://", "database", "mongodb"},
    {"mongodb://", "database", "mongodb"},
    {"redis://", "cache", "redis"},
    {"rediss://", "cache", "redis"},
    {"memcached://", "cache", "memcached"},
    {"amqp://", "queue", "rabbitmq"},
    {"amqps://", "queue", "rabbitmq"},
    {"kafka://", "queue", "kafka"},
    {"nats://", "queue", "nats"},
    {"clickhouse://", "database", "clickhouse"},
};

//! The host of a connection URL (user info and port stripped; never the password).
std::string UrlHost(std::string_view rest) {
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    return std::string(
        authority.substr(1, close == std::string_view::npos ? authority.size() - 1 : close - 1));
  }
  size_t comma = authority.find(',');  // multi-host URLs: the first host names it
  if (comma != std::string_view::npos) authority = authority.substr(0, comma);
  size_t colon = authority.find(':');
  return Lower(std::string(authority.substr(0, colon)));
}

bool IsWorkloadKind(const std::string& k) {
  return k == "deployment" || k == "statefulset" || k == "daemonset" || k == "replicaset" ||
         k == "job" || k == "cronjob" || k == "pod";
}

Status Bad(const std::string& field, const std::string& what) {
  return Status::InvalidArgument(field + ": " + what);
}

}  // namespace

Json ComponentToJson(const Component& c) {
  return Json{
      {"id", c.id},     {"name", c.name},     {"kind", c.kind},   {"namespace", c.namespace_},
      {"team", c.team}, {"labels", c.labels}, {"ports", c.ports}, {"attributes", c.attributes}};
}

Json EdgeToJson(const Edge& e) {
  Json j{{"from", e.from}, {"to", e.to}, {"kind", e.kind}};
  if (e.rate > 0) j["rate"] = e.rate;
  return j;
}

Component* SnapshotBuilder::Find(const std::string& id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &components_[it->second];
}

Status SnapshotBuilder::AddComponent(Component c) {
  if (Component* existing = Find(c.id)) {
    for (auto& [k, v] : c.attributes) existing->attributes[k] = v;
    for (auto& [k, v] : c.labels) existing->labels[k] = v;
    for (auto& p : c.ports)
      if (std::find(existing->ports.begin(), existing->ports.end(), p) == existing->ports.end())
        existing->ports.push_back(p);
    if (existing->team.empty()) existing->team = c.team;
    return Status::Ok();
  }
  if (components_.size() >= limits_.max_components)
    return Status::InvalidArgument("snapshot: more than " + std::to_string(limits_.max_components) +
                                   " components (limit)");
  index_[c.id] = components_.size();
  components_.push_back(std::move(c));
  return Status::Ok();
}

Status SnapshotBuilder::AddEdge(Edge e) {
  if (e.from == e.to) return Status::Ok();
  for (auto& x : edges_) {
    if (x.from == e.from && x.to == e.to && x.kind == e.kind) {
      x.rate += e.rate;
      return Status::Ok();
    }
  }
  if (edges_.size() >= limits_.max_edges)
    return Status::InvalidArgument("snapshot: more than " + std::to_string(limits_.max_edges) +
                                   " connections (limit)");
  edges_.push_back(std::move(e));
  return Status::Ok();
}

void SnapshotBuilder::ScanConfigValue(const std::string& owner, const std::string& value) {
  if (value.size() > 4096) return;
  for (const auto& s : kSchemes) {
    size_t pos = Lower(value.substr(0, 64)).find(s.prefix);
    if (pos == std::string::npos) continue;
    std::string host =
        UrlHost(std::string_view(value).substr(pos + std::char_traits<char>::length(s.prefix)));
    if (host.empty()) return;
    refs_.push_back({owner, s.kind, s.tech, host, "connects"});
    return;
  }
}

Status SnapshotBuilder::AddKubernetesObjects(const std::vector<Json>& objects) {
  for (size_t obj_idx = 0; obj_idx < objects.size(); ++obj_idx) {
    const Json& o = objects[obj_idx];
    const std::string kind = Lower(Str(o, "kind"));
    const Json& meta = Child(o, "metadata");
    const std::string name = Str(meta, "name");
    if (kind.empty() || name.empty()) continue;
    std::string ns = Str(meta, "namespace");
    if (ns.empty()) ns = "default";
    const Json& spec = Child(o, "spec");
    Component c;
    c.id = kind + "/" + ns + "/" + name;
    c.name = name;
    c.kind = kind;
    c.namespace_ = ns;
    c.labels = StringMap(Child(meta, "labels"));
    c.team = TeamOf(c.labels);
    if (IsWorkloadKind(kind)) {
      const Json* pod_spec = nullptr;
      const Json* tmpl = &Child(spec, "template");
      if (kind == "cronjob") tmpl = &Child(Child(Child(spec, "jobTemplate"), "spec"), "template");
      if (kind == "pod") {
        pod_spec = &spec;
        pod_labels_[c.id] = c.labels;
      } else {
        pod_spec = &Child(*tmpl, "spec");
        pod_labels_[c.id] = StringMap(Child(Child(*tmpl, "metadata"), "labels"));
        if (c.team.empty()) c.team = TeamOf(pod_labels_[c.id]);
      }
      if (Child(spec, "replicas").is_number_integer())
        c.attributes["replicas"] = std::to_string(Child(spec, "replicas").get<int64_t>());
      std::vector<std::string> images;
      for (const char* list : {"initContainers", "containers"}) {
        const Json& containers = Child(*pod_spec, list);
        if (!containers.is_array()) continue;
        for (const Json& ct : containers) {
          if (!Str(ct, "image").empty()) images.push_back(Str(ct, "image"));
          const Json& ports = Child(ct, "ports");
          if (ports.is_array())
            for (const Json& p : ports)
              if (Child(p, "containerPort").is_number_integer())
                c.ports.push_back(std::to_string(Child(p, "containerPort").get<int64_t>()) + "/" +
                                  (Str(p, "protocol").empty() ? "TCP" : Str(p, "protocol")));
          const Json& env = Child(ct, "env");
          if (env.is_array()) {
            for (const Json& e : env) {
              if (Child(e, "value").is_string()) ScanConfigValue(c.id, Str(e, "value"));
              const Json& cm = Child(Child(e, "valueFrom"), "configMapKeyRef");
              if (!Str(cm, "name").empty())
                refs_.push_back({c.id, "configmap", "", Str(cm, "name"), "uses_config"});
            }
          }
          const Json& env_from = Child(ct, "envFrom");
          if (env_from.is_array())
            for (const Json& e : env_from)
              if (!Str(Child(e, "configMapRef"), "name").empty())
                refs_.push_back(
                    {c.id, "configmap", "", Str(Child(e, "configMapRef"), "name"), "uses_config"});
        }
      }
      const Json& volumes = Child(*pod_spec, "volumes");
      if (volumes.is_array())
        for (const Json& v : volumes)
          if (!Str(Child(v, "configMap"), "name").empty())
            refs_.push_back(
                {c.id, "configmap", "", Str(Child(v, "configMap"), "name"), "uses_config"});
      if (!images.empty()) {
        std::string joined;
        for (const auto& i : images) joined += (joined.empty() ? "" : ", ") + i;
        c.attributes["image"] = joined;
      }
      for (auto& r : refs_)
        if (r.from == c.id && r.ns.empty()) r.ns = ns;
    } else if (kind == "service") {
      auto selector = StringMap(Child(spec, "selector"));
      if (!selector.empty()) selectors_.push_back({c.id, ns, selector});
      if (!Str(spec, "type").empty()) c.attributes["type"] = Str(spec, "type");
      if (!Str(spec, "externalName").empty()) {
        c.attributes["externalName"] = Str(spec, "externalName");
        ScanConfigValue(c.id, Str(spec, "externalName"));
      }
      const Json& ports = Child(spec, "ports");
      if (ports.is_array())
        for (const Json& p : ports)
          if (Child(p, "port").is_number_integer())
            c.ports.push_back(std::to_string(Child(p, "port").get<int64_t>()) + "/" +
                              (Str(p, "protocol").empty() ? "TCP" : Str(p, "protocol")));
    } else if (kind == "ingress") {
      auto backend_ref = [&](const Json& backend) {
        std::string svc = Str(Child(backend, "service"), "name");
        if (svc.empty()) svc = Str(backend, "serviceName");
        if (!svc.empty()) refs_.push_back({c.id, "service", "", svc, "routes"});
      };
      backend_ref(Child(spec, "defaultBackend"));
      backend_ref(Child(spec, "backend"));
      std::string hosts;
      const Json& rules = Child(spec, "rules");
      if (rules.is_array()) {
        for (const Json& r : rules) {
          if (!Str(r, "host").empty()) hosts += (hosts.empty() ? "" : ", ") + Str(r, "host");
          const Json& paths = Child(Child(r, "http"), "paths");
          if (paths.is_array())
            for (const Json& p : paths) backend_ref(Child(p, "backend"));
        }
      }
      if (!hosts.empty()) c.attributes["hosts"] = hosts;
      for (auto& r : refs_)
        if (r.from == c.id && r.ns.empty()) r.ns = ns;
    } else if (kind == "configmap") {
      const Json& data = Child(o, "data");
      if (data.is_object())
        for (auto it = data.begin(); it != data.end(); ++it)
          if (it->is_string()) ScanConfigValue(c.id, it->get<std::string>());
    } else {
      continue;  // RBAC, policies, secrets (never read) ...
    }
    DAI_RETURN_IF_ERROR(AddComponent(std::move(c)));
  }
  return Status::Ok();
}

Status SnapshotBuilder::AddPrometheusTargets(const Json& answer) {
  const Json& targets = Child(Child(answer, "data"), "activeTargets");
  if (!targets.is_array())
    return Status::InvalidArgument(
        "prometheusTargets: expected data.activeTargets[] (GET /api/v1/targets)");
  bool any = false;
  std::map<std::string, std::pair<int, int>> health;  // job → (up, total)
  for (const Json& t : targets) {
    const Json& labels = Child(t, "labels");
    std::string job = Str(labels, "job");
    if (job.empty()) continue;
    any = true;
    auto& h = health[job];
    h.second++;
    if (Str(t, "health") == "up") h.first++;
  }
  if (!any) return Status::Ok();
  Component prom{"prometheus/prometheus", "prometheus", "monitoring", "monitoring", "", {}, {}, {}};
  DAI_RETURN_IF_ERROR(AddComponent(prom));
  for (const auto& [job, h] : health) {
    Component c;
    c.id = "prometheus_target/" + job;
    c.name = job;
    c.kind = "prometheus_target";
    c.namespace_ = "monitoring";
    c.attributes["targets"] = std::to_string(h.second);
    c.attributes["up"] = std::to_string(h.first);
    DAI_RETURN_IF_ERROR(AddComponent(c));
    DAI_RETURN_IF_ERROR(AddEdge({prom.id, c.id, "scrapes", 0}));
  }
  return Status::Ok();
}

Status SnapshotBuilder::AddTraffic(const Json& edges) {
  if (!edges.is_array()) return Status::InvalidArgument("traffic: expected an array");
  for (size_t edge_idx = 0; edge_idx < edges.size(); ++edge_idx) {
    const Json& e = edges[edge_idx];
    const std::string field = "traffic[" + std::to_string(edge_idx) + "]";
    std::string src = Str(e, "source"), dst = Str(e, "destination");
    if (src.empty()) return Bad(field + ".source", "required (a service or workload name)");
    if (dst.empty()) return Bad(field + ".destination", "required (a service or workload name)");
    double rate = Child(e, "rate").is_number() ? Child(e, "rate").get<double>() : 0;
    if (!(rate >= 0) || rate > 1e12) return Bad(field + ".rate", "must be a number >= 0");
    refs_.push_back({"traffic:" + src, "traffic", std::to_string(rate), dst, "calls"});
  }
  return Status::Ok();
}

Status SnapshotBuilder::AddManual(const Json& components, const Json& connections) {
  SnapshotLimits lim = limits_;
  DAI_ASSIGN_OR_RETURN(Snapshot s, SnapshotFromJson(components, connections, lim));
  for (auto& c : s.components) DAI_RETURN_IF_ERROR(AddComponent(std::move(c)));
  for (auto& e : s.edges) DAI_RETURN_IF_ERROR(AddEdge(std::move(e)));
  for (auto& w : s.warnings) warnings_.push_back(std::move(w));
  return Status::Ok();
}

Snapshot SnapshotBuilder::Build() {
  // Services select workloads in their namespace whose pod labels contain the selector.
  for (const auto& sel : selectors_) {
    bool matched = false;
    for (const auto& workload : pod_labels_) {
      const std::string& wid = workload.first;
      const auto& labels = workload.second;
      const Component* w = Find(wid);
      if (w == nullptr || w->namespace_ != sel.ns) continue;
      bool all = std::all_of(sel.selector.begin(), sel.selector.end(), [&](const auto& kv) {
        auto it = labels.find(kv.first);
        return it != labels.end() && it->second == kv.second;
      });
      if (all) {
        matched = true;
        (void)AddEdge({sel.service_id, wid, "selects", 0});
      }
    }
    if (!matched) warnings_.push_back(sel.service_id + ": selector matches no workload");
  }
  // Name lookups for traffic: prefer workloads, then services, then anything.
  auto by_name = [&](const std::string& ref) -> std::string {
    std::string ns, name = ref;
    size_t slash = ref.find('/');
    if (slash != std::string::npos) {
      ns = ref.substr(0, slash);
      name = ref.substr(slash + 1);
    }
    std::string best;
    int best_rank = 99;
    for (const auto& c : components_) {
      if (c.name != name || (!ns.empty() && c.namespace_ != ns)) continue;
      int rank = IsWorkloadKind(c.kind) ? 0 : c.kind == "service" ? 1 : 2;
      if (rank < best_rank) best_rank = rank, best = c.id;
    }
    return best;
  };
  for (const auto& r : refs_) {
    if (r.kind == "traffic") {
      std::string src = by_name(r.from.substr(8)), dst = by_name(r.name);
      for (auto* end : {&src, &dst}) {
        if (!end->empty()) continue;
        const std::string& nm = end == &src ? r.from.substr(8) : r.name;
        Component ext{"external/" + nm, nm, "external", "", "", {}, {}, {}};
        (void)AddComponent(ext);
        *end = ext.id;
      }
      (void)AddEdge({src, dst, "calls", std::strtod(r.ns.c_str(), nullptr)});
      continue;
    }
    if (r.kind == "configmap" || r.kind == "service") {
      std::string id = r.kind + "/" + r.ns + "/" + r.name;
      if (Find(id) == nullptr) {
        warnings_.push_back(r.from + ": references " + r.kind + " " + r.ns + "/" + r.name +
                            " which is not in the snapshot");
        continue;
      }
      (void)AddEdge({r.from, id, r.edge_kind, 0});
      continue;
    }
    // A connection URL: a host naming a Service ("db", "db.ns", "db.ns.svc.cluster.local")
    // points at that Service; anything else becomes a database/queue/cache component.
    const Component* owner = Find(r.from);
    std::string owner_ns = owner ? owner->namespace_ : "default";
    std::string first = r.name.substr(0, r.name.find('.'));
    std::string rest =
        r.name.find('.') == std::string::npos ? "" : r.name.substr(r.name.find('.') + 1);
    std::string svc_ns = rest.empty() ? owner_ns : rest.substr(0, rest.find('.'));
    std::string svc_id = "service/" + svc_ns + "/" + first;
    if (Find(svc_id) != nullptr) {
      Component* svc = Find(svc_id);
      svc->attributes["technology"] = r.ns;
      (void)AddEdge({r.from, svc_id, "connects", 0});
      continue;
    }
    Component c{r.kind + "/" + r.name, r.name, r.kind, "", "", {}, {}, {{"technology", r.ns}}};
    (void)AddComponent(c);
    (void)AddEdge({r.from, c.id, "connects", 0});
  }
  Snapshot s;
  s.components = components_;
  std::sort(s.components.begin(), s.components.end(),
            [](const Component& a, const Component& b) { return a.id < b.id; });
  s.edges = edges_;
  std::sort(s.edges.begin(), s.edges.end(), [](const Edge& a, const Edge& b) {
    return std::tie(a.from, a.to, a.kind) < std::tie(b.from, b.to, b.kind);
  });
  s.warnings = warnings_;
  return s;
}

Result<Snapshot> SnapshotFromJson(const Json& components, const Json& connections,
                                  const SnapshotLimits& limits) {
  Snapshot s;
  if (!components.is_array()) return Bad("components", "expected an array");
  if (!connections.is_null() && !connections.is_array())
    return Bad("connections", "expected an array");
  if (components.size() > limits.max_components)
    return Bad("components", "more than " + std::to_string(limits.max_components) + " (limit)");
  if (connections.is_array() && connections.size() > limits.max_edges)
    return Bad("connections", "more than " + std::to_string(limits.max_edges) + " (limit)");
  std::set<std::string> ids;
  for (size_t comp_idx = 0; comp_idx < components.size(); ++comp_idx) {
    const Json& j = components[comp_idx];
    const std::string f = "components[" + std::to_string(comp_idx) + "]";
    if (!j.is_object()) return Bad(f, "expected an object");
    Component c;
    c.id = Str(j, "id");
    if (c.id.empty() || c.id.size() > 512) return Bad(f + ".id", "required, 1-512 characters");
    if (!ids.insert(c.id).second)
      return Bad(f + ".id", "duplicate id \"" + c.id.substr(0, 100) + "\"");
    c.name = Str(j, "name").empty() ? c.id : Str(j, "name");
    c.kind = Str(j, "kind").empty() ? "component" : Str(j, "kind");
    c.namespace_ = Str(j, "namespace");
    c.team = Str(j, "team");
    c.labels = StringMap(Child(j, "labels"));
    c.attributes = StringMap(Child(j, "attributes"));
    const Json& ports = Child(j, "ports");
    if (ports.is_array())
      for (const Json& p : ports)
        if (p.is_string()) c.ports.push_back(p.get<std::string>());
    s.components.push_back(std::move(c));
  }
  if (connections.is_array()) {
    for (size_t edge_idx = 0; edge_idx < connections.size(); ++edge_idx) {
      const Json& j = connections[edge_idx];
      const std::string f = "connections[" + std::to_string(edge_idx) + "]";
      if (!j.is_object()) return Bad(f, "expected an object");
      Edge e{Str(j, "from"), Str(j, "to"), Str(j, "kind").empty() ? "calls" : Str(j, "kind"), 0};
      if (Child(j, "rate").is_number()) e.rate = Child(j, "rate").get<double>();
      if (e.from.empty()) return Bad(f + ".from", "required");
      if (e.to.empty()) return Bad(f + ".to", "required");
      if (!ids.count(e.from) || !ids.count(e.to)) {
        s.warnings.push_back(f + ": dangling reference " + e.from.substr(0, 100) + " -> " +
                             e.to.substr(0, 100) + " dropped");
        continue;
      }
      s.edges.push_back(std::move(e));
    }
  }
  return s;
}

SnapshotDiff DiffSnapshots(const Snapshot& before, const Snapshot& after) {
  SnapshotDiff d;
  std::map<std::string, const Component*> a, b;
  for (const auto& c : before.components) a[c.id] = &c;
  for (const auto& c : after.components) b[c.id] = &c;
  for (const auto& [id, c] : b) {
    auto it = a.find(id);
    if (it == a.end()) {
      d.added.push_back(*c);
      continue;
    }
    const Component& o = *it->second;
    ComponentChange ch{id, {}};
    if (o.name != c->name) ch.fields.push_back("name");
    if (o.kind != c->kind) ch.fields.push_back("kind");
    if (o.namespace_ != c->namespace_) ch.fields.push_back("namespace");
    if (o.team != c->team) ch.fields.push_back("team");
    if (o.labels != c->labels) ch.fields.push_back("labels");
    if (o.ports != c->ports) ch.fields.push_back("ports");
    std::set<std::string> keys;
    for (auto& [k, v] : o.attributes) keys.insert(k);
    for (auto& [k, v] : c->attributes) keys.insert(k);
    for (const auto& k : keys) {
      auto x = o.attributes.find(k);
      auto y = c->attributes.find(k);
      if (x == o.attributes.end() || y == c->attributes.end() || x->second != y->second)
        ch.fields.push_back("attributes." + k);
    }
    if (!ch.fields.empty()) d.changed.push_back(std::move(ch));
  }
  for (const auto& [id, c] : a)
    if (!b.count(id)) d.removed.push_back(*c);
  auto key = [](const Edge& e) { return e.from + "\x1f" + e.to + "\x1f" + e.kind; };
  std::set<std::string> ea, eb;
  for (const auto& e : before.edges) ea.insert(key(e));
  for (const auto& e : after.edges) eb.insert(key(e));
  for (const auto& e : after.edges)
    if (!ea.count(key(e))) d.added_edges.push_back(e);
  for (const auto& e : before.edges)
    if (!eb.count(key(e))) d.removed_edges.push_back(e);
  return d;
}

Json SnapshotDiff::ToJson() const {
  Json j{{"added", Json::array()},
         {"removed", Json::array()},
         {"changed", Json::array()},
         {"addedConnections", Json::array()},
         {"removedConnections", Json::array()}};
  for (const auto& c : added) j["added"].push_back(ComponentToJson(c));
  for (const auto& c : removed) j["removed"].push_back(ComponentToJson(c));
  for (const auto& c : changed) j["changed"].push_back(Json{{"id", c.id}, {"fields", c.fields}});
  for (const auto& e : added_edges) j["addedConnections"].push_back(EdgeToJson(e));
  for (const auto& e : removed_edges) j["removedConnections"].push_back(EdgeToJson(e));
  return j;
}

std::string SnapshotDiff::ToMarkdown() const {
  std::string md;
  auto list = [&](const char* title, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    md += std::string("### ") + title + "\n\n";
    for (const auto& l : lines) md += "- " + l + "\n";
    md += "\n";
  };
  std::vector<std::string> l;
  for (const auto& c : added) l.push_back("`" + c.id + "` (" + c.kind + ")");
  list("Added components", l);
  l.clear();
  for (const auto& c : removed) l.push_back("`" + c.id + "` (" + c.kind + ")");
  list("Removed components", l);
  l.clear();
  for (const auto& c : changed) {
    std::string f;
    for (const auto& x : c.fields) f += (f.empty() ? "" : ", ") + x;
    l.push_back("`" + c.id + "`: " + f);
  }
  list("Changed components", l);
  l.clear();
  for (const auto& e : added_edges)
    l.push_back("`" + e.from + "` → `" + e.to + "` (" + e.kind + ")");
  list("Added connections", l);
  l.clear();
  for (const auto& e : removed_edges)
    l.push_back("`" + e.from + "` → `" + e.to + "` (" + e.kind + ")");
  list("Removed connections", l);
  if (md.empty()) md = "No infrastructure changes.\n";
  return md;
}

namespace {

std::string GroupOf(const Component& c, GroupBy g) {
  if (g == GroupBy::kNamespace) return c.namespace_.empty() ? "(external)" : c.namespace_;
  if (g == GroupBy::kTeam) return c.team.empty() ? "(no team)" : c.team;
  return "";
}

std::string MermaidText(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '"':
        out += "#quot;";
        break;
      case '<':
        out += "#lt;";
        break;
      case '>':
        out += "#gt;";
        break;
      case '&':
        out += "#amp;";
        break;
      case '#':
        out += "#35;";
        break;
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      case '`':
        out += "#96;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string DotText(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n' || ch == '\r') {
      out += ' ';
      continue;
    }
    out += ch;
  }
  return out;
}

std::string RateLabel(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g/s", rate);
  return buf;
}

template <typename Fn>
void ForEachGroup(const Snapshot& s, GroupBy g, Fn fn) {
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t comp_idx = 0; comp_idx < s.components.size(); ++comp_idx)
    groups[GroupOf(s.components[comp_idx], g)].push_back(comp_idx);
  for (const auto& [name, members] : groups) fn(name, members);
}

}  // namespace

std::string ToMermaid(const Snapshot& s, const DiagramOptions& options) {
  std::map<std::string, std::string> ids;
  for (size_t comp_idx = 0; comp_idx < s.components.size(); ++comp_idx)
    ids[s.components[comp_idx].id] = "n" + std::to_string(comp_idx);
  std::string out = std::string("flowchart ") + (options.left_to_right ? "LR" : "TB") + "\n";
  int group_no = 0;
  ForEachGroup(
      s, options.group_by, [&](const std::string& group, const std::vector<size_t>& members) {
        std::string indent = "  ";
        if (options.group_by != GroupBy::kNone) {
          out += "  subgraph g" + std::to_string(group_no++) + "[\"" + MermaidText(group) + "\"]\n";
          indent = "    ";
        }
        for (size_t comp_idx : members) {
          const Component& c = s.components[comp_idx];
          std::string label =
              MermaidText(c.name) + "<br/><small>" + MermaidText(c.kind) + "</small>";
          std::string id = ids[c.id];
          if (c.kind == "database")
            out += indent + id + "[(\"" + label + "\")]\n";
          else if (c.kind == "queue")
            out += indent + id + "[[\"" + label + "\"]]\n";
          else if (c.kind == "ingress" || c.kind == "external")
            out += indent + id + "([\"" + label + "\"])\n";
          else if (c.kind == "service")
            out += indent + id + "{{\"" + label + "\"}}\n";
          else
            out += indent + id + "[\"" + label + "\"]\n";
        }
        if (options.group_by != GroupBy::kNone) out += "  end\n";
      });
  for (const auto& e : s.edges) {
    auto a = ids.find(e.from), b = ids.find(e.to);
    if (a == ids.end() || b == ids.end()) continue;
    std::string label = MermaidText(e.kind);
    if (e.rate > 0) label += " " + RateLabel(e.rate);
    out += "  " + a->second + (e.kind == "uses_config" ? " -.->|" : " -->|") + label + "| " +
           b->second + "\n";
  }
  return out;
}

std::string ToDot(const Snapshot& s, const DiagramOptions& options) {
  std::map<std::string, std::string> ids;
  for (size_t comp_idx = 0; comp_idx < s.components.size(); ++comp_idx)
    ids[s.components[comp_idx].id] = "n" + std::to_string(comp_idx);
  std::string out =
      "digraph architecture {\n"
      "  graph [rankdir=" +
      std::string(options.left_to_right ? "LR" : "TB") +
      ", fontname=\"Helvetica\", fontsize=11, nodesep=0.25, ranksep=0.9, splines=true, "
      "newrank=true];\n"
      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef2fb\", color=\"#5b6b8c\", "
      "fontname=\"Helvetica\", fontsize=10];\n"
      "  edge [color=\"#7a869a\", fontname=\"Helvetica\", fontsize=8, arrowsize=0.6];\n";
  int group_no = 0;
  ForEachGroup(
      s, options.group_by, [&](const std::string& group, const std::vector<size_t>& members) {
        std::string indent = "  ";
        if (options.group_by != GroupBy::kNone) {
          out += "  subgraph \"cluster_" + std::to_string(group_no++) + "\" {\n    label=\"" +
                 DotText(group) + "\"; style=\"rounded\"; color=\"#b8c2d6\";\n";
          indent = "    ";
        }
        for (size_t comp_idx : members) {
          const Component& c = s.components[comp_idx];
          std::string shape = c.kind == "database"                          ? "cylinder"
                              : c.kind == "queue"                           ? "box3d"
                              : c.kind == "ingress" || c.kind == "external" ? "oval"
                              : c.kind == "service"                         ? "hexagon"
                              : c.kind == "configmap"                       ? "note"
                                                                            : "box";
          out += indent + "\"" + ids[c.id] + "\" [label=\"" + DotText(c.name) + "\\n" +
                 DotText(c.kind) + "\", shape=" + shape + ", tooltip=\"" + DotText(c.id) + "\"];\n";
        }
        if (options.group_by != GroupBy::kNone) out += "  }\n";
      });
  for (const auto& e : s.edges) {
    auto a = ids.find(e.from), b = ids.find(e.to);
    if (a == ids.end() || b == ids.end()) continue;
    std::string label = e.kind;
    if (e.rate > 0) label += " " + RateLabel(e.rate);
    out += "  \"" + a->second + "\" -> \"" + b->second + "\" [label=\"" + DotText(label) + "\"" +
           (e.kind == "uses_config" ? ", style=dashed" : "") + "];\n";
  }
  out += "}\n";
  return out;
}

}  // namespace dai::docs
