#include "engines/cost/spot.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>
#include <string_view>

#include "engines/cost/recommender.h"

namespace dai::cost {
namespace {

const Json kNull = nullptr;

// o[a][b]... or null when any step is missing or not an object.
const Json& At(const Json& o, std::initializer_list<const char*> path) {
  const Json* cur = &o;
  for (const char* key : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(key);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

std::string Str(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return "";
}

std::optional<int64_t> Int(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Money(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

bool OwnedByController(const Json& o) {
  const Json& refs = At(o, {"metadata", "ownerReferences"});
  if (!refs.is_array()) return false;
  for (const Json& r : refs)
    if (r.is_object() && r.value("controller", false)) return true;
  return false;
}

// The pod template ({metadata, spec}) of a workload, or null.
const Json& PodTemplate(const Json& o, const std::string& kind) {
  if (kind == "CronJob") return At(o, {"spec", "jobTemplate", "spec", "template"});
  if (kind == "Pod") return o;
  return At(o, {"spec", "template"});
}

bool Selects(const Json& selector, const Json& labels) {
  if (!selector.is_object()) return false;  // a null selector selects nothing
  const Json& match = At(selector, {"matchLabels"});
  if (match.is_object()) {
    for (auto it = match.begin(); it != match.end(); ++it) {
      const Json& have = labels.is_object() && labels.contains(it.key()) ? labels[it.key()] : kNull;
      if (!have.is_string() || have != it.value()) return false;
    }
  }
  const Json& exprs = At(selector, {"matchExpressions"});
  if (exprs.is_array()) {
    for (const Json& e : exprs) {
      const std::string key = Str(At(e, {"key"}));
      const std::string op = Str(At(e, {"operator"}));
      const bool has = labels.is_object() && labels.contains(key) && labels[key].is_string();
      const std::string value = has ? labels[key].get<std::string>() : "";
      std::set<std::string> values;
      if (At(e, {"values"}).is_array())
        for (const Json& v : At(e, {"values"})) values.insert(Str(v));
      if (op == "In" && !(has && values.count(value))) return false;
      if (op == "NotIn" && has && values.count(value)) return false;
      if (op == "Exists" && !has) return false;
      if (op == "DoesNotExist" && has) return false;
    }
  }
  return true;
}

// Disruptions a PDB allows for `pods` healthy pods (Kubernetes rounds percentages up).
int64_t AllowedDisruptions(const Json& pdb, int64_t pods, std::string* how) {
  auto resolve = [&](const Json& v) -> std::optional<int64_t> {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      if (!s.empty() && s.back() == '%') {
        try {
          const double pct = std::stod(s.substr(0, s.size() - 1));
          return static_cast<int64_t>(std::ceil(pct * static_cast<double>(pods) / 100.0));
        } catch (...) {
          return std::nullopt;
        }
      }
      try {
        return std::stoll(s);
      } catch (...) {
        return std::nullopt;
      }
    }
    return std::nullopt;
  };
  const Json& max_unavailable = At(pdb, {"spec", "maxUnavailable"});
  const Json& min_available = At(pdb, {"spec", "minAvailable"});
  if (!max_unavailable.is_null()) {
    const auto v = resolve(max_unavailable);
    *how = "maxUnavailable " + Str(max_unavailable);
    return v.value_or(0);
  }
  if (!min_available.is_null()) {
    const auto v = resolve(min_available);
    *how = "minAvailable " + Str(min_available) + " of " + std::to_string(pods);
    return v ? pods - *v : 0;
  }
  *how = "neither minAvailable nor maxUnavailable";
  return 1;  // nothing forbids a disruption
}

struct SpotLabel {
  const char* key;
  const char* value;  // lower case
};
constexpr SpotLabel kSpotLabels[] = {
    {"karpenter.sh/capacity-type", "spot"},
    {"eks.amazonaws.com/capacityType", "spot"},
    {"cloud.google.com/gke-spot", "true"},
    {"cloud.google.com/gke-preemptible", "true"},
    {"kubernetes.azure.com/scalesetpriority", "spot"},
};

const SpotLabel* SpotKey(const std::string& key) {
  for (const auto& l : kSpotLabels)
    if (key == l.key) return &l;
  return nullptr;
}

// What already targets spot in a pod spec, or "".
std::string TargetsSpot(const Json& spec) {
  const Json& selector = At(spec, {"nodeSelector"});
  if (selector.is_object()) {
    for (auto it = selector.begin(); it != selector.end(); ++it) {
      const SpotLabel* l = SpotKey(it.key());
      if (l && Lower(Str(it.value())) == l->value)
        return "nodeSelector " + it.key() + "=" + Str(it.value());
    }
  }
  const Json& terms =
      At(spec, {"affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                "nodeSelectorTerms"});
  if (terms.is_array()) {
    for (const Json& term : terms) {
      const Json& exprs = At(term, {"matchExpressions"});
      if (!exprs.is_array()) continue;
      for (const Json& e : exprs) {
        const SpotLabel* l = SpotKey(Str(At(e, {"key"})));
        if (!l || Str(At(e, {"operator"})) != "In" || !At(e, {"values"}).is_array()) continue;
        for (const Json& v : At(e, {"values"}))
          if (Lower(Str(v)) == l->value)
            return "required node affinity " + std::string(l->key) + " In " + Str(v);
      }
    }
  }
  const Json& tolerations = At(spec, {"tolerations"});
  if (tolerations.is_array()) {
    for (const Json& t : tolerations) {
      const std::string key = Str(At(t, {"key"}));
      if (SpotKey(key)) return "toleration " + key;
    }
  }
  return "";
}

struct Requests {
  double cpu = 0, memory = 0;
};

Requests TemplateRequests(const Json& spec) {
  Requests r;
  const Json& containers = At(spec, {"containers"});
  if (!containers.is_array()) return r;
  for (const Json& c : containers) {
    if (auto v = ParseQuantity(Str(At(c, {"resources", "requests", "cpu"})))) r.cpu += *v;
    if (auto v = ParseQuantity(Str(At(c, {"resources", "requests", "memory"})))) r.memory += *v;
  }
  return r;
}

SpotCriterion Criterion(std::string name, bool met, std::string detail) {
  return SpotCriterion{std::move(name), met, std::move(detail)};
}

bool IsPlainKey(const std::string& key) {
  if (key.empty() || !std::isalpha(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '/' && c != '-' &&
        c != '_')
      return false;
  return true;
}

void EmitYaml(const Json& v, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  auto scalar = [](const Json& s) {
    if (s.is_object()) return std::string("{}");
    if (s.is_array()) return std::string("[]");
    return s.dump();
  };
  auto nested = [](const Json& s) { return (s.is_object() || s.is_array()) && !s.empty(); };
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      out += pad + (IsPlainKey(it.key()) ? it.key() : Json(it.key()).dump()) + ":";
      if (nested(it.value())) {
        out += "\n";
        EmitYaml(it.value(), indent + 2, out);
      } else {
        out += " " + scalar(it.value()) + "\n";
      }
    }
  } else if (v.is_array()) {
    for (const Json& e : v) {
      if (nested(e)) {
        std::string block;
        EmitYaml(e, indent + 2, block);
        out += pad + "- " + block.substr(static_cast<size_t>(indent) + 2);
      } else {
        out += pad + "- " + scalar(e) + "\n";
      }
    }
  } else {
    out += pad + scalar(v) + "\n";
  }
}

}  // namespace

const std::vector<SpotProvider>& SpotProviders() {
  static const std::vector<SpotProvider> table = [] {
    const std::string discount_source =
        "0.60: the lower end of Google Cloud's documented Spot VM discount (60-91% off "
        "on-demand); AWS and Azure document 'up to 90%' only, so the same conservative figure "
        "is used for every provider (override with spotDiscount)";
    std::vector<SpotProvider> t;
    t.push_back({"aws",
                 0.6,
                 120,
                 discount_source + "; notice: EC2's two-minute Spot interruption notice; pool: EKS "
                                   "managed node groups label spot nodes eks.amazonaws.com/"
                                   "capacityType=SPOT (untainted)",
                 {{"eks.amazonaws.com/capacityType", "SPOT"}},
                 "",
                 "",
                 ""});
    t.push_back({"gcp",
                 0.6,
                 30,
                 discount_source +
                     "; notice: Compute Engine's 30-second preemption notice; pool: GKE labels "
                     "Spot nodes cloud.google.com/gke-spot=true, tainted as GKE documents",
                 {{"cloud.google.com/gke-spot", "true"}},
                 "cloud.google.com/gke-spot",
                 "true",
                 "NoSchedule"});
    t.push_back({"azure",
                 0.6,
                 30,
                 discount_source +
                     "; notice: Azure's 30-second eviction notice (Scheduled Events); pool: AKS "
                     "labels and taints spot pools kubernetes.azure.com/scalesetpriority=spot",
                 {{"kubernetes.azure.com/scalesetpriority", "spot"}},
                 "kubernetes.azure.com/scalesetpriority",
                 "spot",
                 "NoSchedule"});
    t.push_back({"default",
                 0.6,
                 30,
                 discount_source +
                     "; notice: 30 s, the shortest of the three clouds'; pool: Karpenter's "
                     "karpenter.sh/capacity-type=spot label (untainted)",
                 {{"karpenter.sh/capacity-type", "spot"}},
                 "",
                 "",
                 ""});
    return t;
  }();
  return table;
}

const SpotProvider* FindSpotProvider(const std::string& name) {
  for (const auto& p : SpotProviders())
    if (p.name == name) return &p;
  return nullptr;
}

std::string DetectSpotProvider(const std::vector<Json>& objects) {
  std::map<std::string, int> seen;
  for (const Json& o : objects) {
    if (Str(At(o, {"kind"})) != "Node") continue;
    const std::string id = Str(At(o, {"spec", "providerID"}));
    if (id.rfind("aws://", 0) == 0) ++seen["aws"];
    if (id.rfind("gce://", 0) == 0) ++seen["gcp"];
    if (id.rfind("azure://", 0) == 0) ++seen["azure"];
  }
  std::string best = "default";
  int most = 0;
  for (const auto& [name, n] : seen)
    if (n > most) best = name, most = n;
  return best;
}

std::optional<double> ParseQuantity(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t end = 0;
  double v = 0;
  try {
    v = std::stod(text, &end);
  } catch (...) {
    return std::nullopt;
  }
  if (!std::isfinite(v) || v < 0) return std::nullopt;
  const std::string suffix = text.substr(end);
  static const std::map<std::string, double> kSuffix = {{"", 1},
                                                        {"m", 1e-3},
                                                        {"k", 1e3},
                                                        {"M", 1e6},
                                                        {"G", 1e9},
                                                        {"T", 1e12},
                                                        {"P", 1e15},
                                                        {"E", 1e18},
                                                        {"Ki", 1024.0},
                                                        {"Mi", 1048576},
                                                        {"Gi", 1073741824.0},
                                                        {"Ti", 1099511627776.0},
                                                        {"Pi", 1125899906842624.0}};
  auto it = kSuffix.find(suffix);
  if (it == kSuffix.end()) return std::nullopt;
  return v * it->second;
}

std::vector<SpotAssessment> AssessSpot(const std::vector<Json>& objects,
                                       const std::map<std::string, double>& measured_hourly_per_pod,
                                       const SpotOptions& options) {
  static const std::set<std::string> kWorkloads = {
      "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"};
  const SpotProvider& provider = options.provider;
  std::vector<SpotAssessment> out;
  for (const Json& o : objects) {
    const std::string kind = Str(At(o, {"kind"}));
    if (!kWorkloads.count(kind)) continue;
    if ((kind == "Pod" || kind == "ReplicaSet" || kind == "Job") && OwnedByController(o)) continue;
    SpotAssessment a;
    a.kind = kind;
    a.namespace_ = Str(At(o, {"metadata", "namespace"}));
    if (a.namespace_.empty()) a.namespace_ = "default";
    a.name = Str(At(o, {"metadata", "name"}));
    a.id = a.namespace_ + "/" + kind + "/" + a.name;
    a.discount = provider.discount;
    const Json& tmpl = PodTemplate(o, kind);
    const Json& spec = At(tmpl, {"spec"});
    const Json& labels = At(tmpl, {"metadata", "labels"});
    const bool batch = kind == "Job" || kind == "CronJob";

    // kind
    if (kind == "DaemonSet") {
      a.criteria.push_back(Criterion("kind", false,
                                     "DaemonSet: one pod per node, it follows the nodes; spot is "
                                     "the node pool's decision, not the workload's"));
    } else if (kind == "Pod") {
      a.criteria.push_back(
          Criterion("kind", false, "a Pod without a controller is not recreated when interrupted"));
    } else {
      a.criteria.push_back(
          Criterion("kind", true, kind + ": its controller recreates interrupted pods"));
    }

    // stateless
    std::vector<std::string> state;
    if (At(spec, {"volumes"}).is_array()) {
      for (const Json& v : At(spec, {"volumes"})) {
        if (v.contains("persistentVolumeClaim"))
          state.push_back("persistentVolumeClaim volume '" + Str(At(v, {"name"})) + "'");
        if (v.contains("hostPath"))
          state.push_back("hostPath volume '" + Str(At(v, {"name"})) + "'");
      }
    }
    const Json& claims = At(o, {"spec", "volumeClaimTemplates"});
    if (kind == "StatefulSet" && claims.is_array()) {
      for (const Json& c : claims)
        state.push_back("volumeClaimTemplate '" + Str(At(c, {"metadata", "name"})) + "'");
    }
    if (state.empty()) {
      a.criteria.push_back(Criterion("stateless", true, "no persistent or host volumes"));
    } else {
      std::string d;
      for (const auto& s : state) d += (d.empty() ? "" : ", ") + s;
      a.criteria.push_back(Criterion("stateless", false, d + ": state tied to a node or a disk"));
    }

    // replicated / retried
    int64_t floor_pods = 1;
    if (batch) {
      const Json& job_spec =
          kind == "CronJob" ? At(o, {"spec", "jobTemplate", "spec"}) : At(o, {"spec"});
      a.replicas = Int(At(job_spec, {"parallelism"})).value_or(1);
      floor_pods = a.replicas;
      const int64_t backoff = Int(At(job_spec, {"backoffLimit"})).value_or(6);
      a.criteria.push_back(Criterion("retried", backoff >= 1,
                                     "backoffLimit " + std::to_string(backoff) +
                                         (backoff >= 1 ? ": an interrupted pod is retried"
                                                       : ": an interruption fails the Job")));
    } else {
      a.replicas =
          kind == "DaemonSet" || kind == "Pod" ? 1 : Int(At(o, {"spec", "replicas"})).value_or(1);
      floor_pods = a.replicas;
      std::string how = std::to_string(a.replicas) + (a.replicas == 1 ? " replica" : " replicas");
      for (const Json& h : objects) {
        if (Str(At(h, {"kind"})) != "HorizontalPodAutoscaler") continue;
        if (Str(At(h, {"metadata", "namespace"})) != Str(At(o, {"metadata", "namespace"})))
          continue;
        if (Str(At(h, {"spec", "scaleTargetRef", "kind"})) != kind ||
            Str(At(h, {"spec", "scaleTargetRef", "name"})) != a.name)
          continue;
        floor_pods = Int(At(h, {"spec", "minReplicas"})).value_or(1);
        how += " now, HorizontalPodAutoscaler '" + Str(At(h, {"metadata", "name"})) +
               "' minReplicas " + std::to_string(floor_pods);
      }
      if (kind == "DaemonSet") how = "one per node";
      const bool met = kind != "DaemonSet" && kind != "Pod" && floor_pods >= options.min_replicas;
      a.criteria.push_back(Criterion(
          "replicated", met,
          how + (met ? "" : " (at least " + std::to_string(options.min_replicas) + " needed)")));
    }

    // disruption_budget
    bool limited_by_pdb = false;
    {
      std::vector<std::string> notes;
      bool ok = true;
      for (const Json& p : objects) {
        if (Str(At(p, {"kind"})) != "PodDisruptionBudget") continue;
        if (Str(At(p, {"metadata", "namespace"})) != Str(At(o, {"metadata", "namespace"})))
          continue;
        if (!Selects(At(p, {"spec", "selector"}), labels)) continue;
        std::string how;
        const int64_t allowed = AllowedDisruptions(p, floor_pods, &how);
        const std::string name = "PodDisruptionBudget '" + Str(At(p, {"metadata", "name"})) + "'";
        if (allowed <= 0) {
          ok = false;
          notes.push_back(name + " allows no disruption (" + how + ")");
        } else {
          limited_by_pdb = true;
          notes.push_back(name + " allows " + std::to_string(allowed) + " (" + how + ")");
        }
      }
      if (notes.empty()) notes.push_back("no PodDisruptionBudget selects its pods");
      std::string d;
      for (const auto& n : notes) d += (d.empty() ? "" : "; ") + n;
      a.criteria.push_back(Criterion("disruption_budget", ok, d));
    }

    // evictable
    {
      const Json& ann = At(tmpl, {"metadata", "annotations"});
      std::string blocked;
      if (Lower(Str(At(ann, {"cluster-autoscaler.kubernetes.io/safe-to-evict"}))) == "false")
        blocked = "annotated cluster-autoscaler.kubernetes.io/safe-to-evict: \"false\"";
      if (Lower(Str(At(ann, {"karpenter.sh/do-not-disrupt"}))) == "true")
        blocked = "annotated karpenter.sh/do-not-disrupt: \"true\"";
      a.criteria.push_back(Criterion("evictable", blocked.empty(),
                                     blocked.empty() ? "no annotation forbids eviction" : blocked));
    }

    // graceful_shutdown
    {
      const int64_t grace = Int(At(spec, {"terminationGracePeriodSeconds"})).value_or(30);
      const bool met = grace <= provider.notice_seconds;
      a.criteria.push_back(Criterion("graceful_shutdown", met,
                                     "terminationGracePeriodSeconds " + std::to_string(grace) +
                                         (met ? " within" : " exceeds") + " the " +
                                         std::to_string(provider.notice_seconds) +
                                         " s interruption notice (" + provider.name + ")"));
    }

    // not_already_spot
    {
      const std::string spot = TargetsSpot(spec);
      a.already_spot = !spot.empty();
      a.criteria.push_back(Criterion("not_already_spot", spot.empty(),
                                     spot.empty() ? "runs on on-demand capacity (nothing targets "
                                                    "spot nodes)"
                                                  : "already targets spot: " + spot));
    }

    a.suitable = true;
    for (const auto& c : a.criteria)
      if (!c.met) {
        a.suitable = false;
        a.failed.push_back(c.name);
      }

    // cost
    std::string cost_note;
    if (batch) {
      a.cost_source = "none";
      cost_note = "a Job's run time is not known here: saving not estimated";
    } else {
      auto measured =
          measured_hourly_per_pod.find(Str(At(o, {"metadata", "namespace"})) + "/" + a.name);
      if (measured == measured_hourly_per_pod.end())
        measured = measured_hourly_per_pod.find(a.namespace_ + "/" + a.name);
      double hourly = 0;
      if (measured != measured_hourly_per_pod.end()) {
        hourly = measured->second;
        a.cost_source = "utilization";
        cost_note = "measured max(request, usage) per pod";
      } else {
        const Requests r = TemplateRequests(spec);
        hourly = HourlyCost(options.prices, r.cpu, r.memory);
        a.cost_source = hourly > 0 ? "requests" : "none";
        cost_note = hourly > 0 ? "the template's requests x the price sheet"
                               : "no requests and no measured usage: saving not estimated";
      }
      a.monthly_cost = hourly * static_cast<double>(a.replicas) * kHoursPerMonth;
      if (hourly > 0) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%lld pod(s) x %.4f/h x 730 h = %s/month on demand",
                      static_cast<long long>(a.replicas), hourly, Money(a.monthly_cost).c_str());
        cost_note = std::string(buf) + " (" + cost_note + ")";
      }
    }
    if (a.suitable) a.monthly_saving = a.monthly_cost * provider.discount;

    // risk
    if (batch) {
      a.risk = "medium";
    } else if (floor_pods <= options.min_replicas && !limited_by_pdb) {
      a.risk = "high";
    } else if (floor_pods > options.min_replicas && limited_by_pdb) {
      a.risk = "low";
    } else {
      a.risk = "medium";
    }

    for (const auto& c : a.criteria)
      a.evidence += c.name + ": " + (c.met ? "met" : "failed") + " (" + c.detail + "); ";
    a.evidence += "cost: " + cost_note;
    if (a.suitable)
      a.evidence += "; saving at a " + std::to_string(static_cast<int>(provider.discount * 100)) +
                    "% spot discount (" + provider.name + "): " + Money(a.monthly_saving) +
                    "/month";

    if (a.suitable) {
      Json pod_patch = Json::object();
      Json selector = Json::object();
      for (const auto& [k, v] : provider.node_selector) selector[k] = v;
      pod_patch["nodeSelector"] = selector;
      if (!provider.taint_key.empty()) {
        // Tolerations are replaced as a whole by a strategic merge (no merge key): keep the
        // existing ones.
        Json tolerations =
            At(spec, {"tolerations"}).is_array() ? At(spec, {"tolerations"}) : Json::array();
        tolerations.push_back({{"key", provider.taint_key},
                               {"operator", "Equal"},
                               {"value", provider.taint_value},
                               {"effect", provider.taint_effect}});
        pod_patch["tolerations"] = tolerations;
      }
      if (kind == "CronJob") {
        a.patch = {{"spec", {{"jobTemplate", {{"spec", {{"template", {{"spec", pod_patch}}}}}}}}}};
      } else {
        a.patch = {{"spec", {{"template", {{"spec", pod_patch}}}}}};
      }
      a.patch_yaml = ToYaml(a.patch);
    }
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(), [](const SpotAssessment& x, const SpotAssessment& y) {
    if (x.monthly_saving != y.monthly_saving) return x.monthly_saving > y.monthly_saving;
    return x.id < y.id;
  });
  return out;
}

std::string ToYaml(const Json& value) {
  std::string out;
  EmitYaml(value, 0, out);
  return out;
}

}  // namespace dai::cost
