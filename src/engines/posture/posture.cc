#include "engines/posture/posture.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "core/json.h"

namespace dai::posture {
namespace {

const Json kNull = nullptr;

//! j[a][b]... or null; never throws on a missing key or a non-object.
const Json& At(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(key);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

std::string Str(const Json& j) { return j.is_string() ? j.get<std::string>() : ""; }
bool IsTrue(const Json& j) { return j.is_boolean() && j.get<bool>(); }
bool IsFalse(const Json& j) { return j.is_boolean() && !j.get<bool>(); }
//! An integer (or an integral string), else `fallback`.
long long Int(const Json& j, long long fallback) {
  if (j.is_number_integer()) return j.get<long long>();
  if (j.is_number_float()) return static_cast<long long>(j.get<double>());
  return fallback;
}
std::string Upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}
std::string Lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}
const Json& Items(const Json& j) {
  static const Json kEmpty = Json::array();
  return j.is_array() ? j : kEmpty;
}

struct ContainerRef {
  const Json* c;
  std::string_view group;  // containers | initContainers | ephemeralContainers
  std::string name;
};

//! A pod-bearing object: Pod or a controller with a pod template.
struct Workload {
  size_t index;
  const Object* obj;
  const Json* pod_spec;
  const Json* labels;       // pod labels (template labels for controllers)
  const Json* annotations;  // pod annotations
  const Json* selector;     // controller selector, null for Pods
  std::string ns;           // normalised ("default" when empty)
  std::vector<ContainerRef> containers;
};

std::string Ns(const Object& o) { return o.namespace_.empty() ? "default" : o.namespace_; }

bool IsClusterScoped(std::string_view kind) {
  static const std::set<std::string_view> kKinds = {"Namespace",
                                                    "Node",
                                                    "ClusterRole",
                                                    "ClusterRoleBinding",
                                                    "PersistentVolume",
                                                    "StorageClass",
                                                    "CustomResourceDefinition",
                                                    "PriorityClass",
                                                    "IngressClass",
                                                    "ValidatingWebhookConfiguration",
                                                    "MutatingWebhookConfiguration",
                                                    "APIService",
                                                    "PodSecurityPolicy",
                                                    "RuntimeClass",
                                                    "CSIDriver",
                                                    "VolumeSnapshotClass",
                                                    "ClusterIssuer",
                                                    "ValidatingAdmissionPolicy",
                                                    "ValidatingAdmissionPolicyBinding"};
  return kKinds.contains(kind);
}

std::optional<Workload> AsWorkload(const Object& o, size_t index) {
  const Json& d = o.doc;
  const Json* spec = nullptr;
  const Json* meta = nullptr;
  const Json* selector = &kNull;
  if (o.kind == "Pod") {
    spec = &At(d, {"spec"});
    meta = &At(d, {"metadata"});
  } else if (o.kind == "Deployment" || o.kind == "StatefulSet" || o.kind == "DaemonSet" ||
             o.kind == "ReplicaSet" || o.kind == "ReplicationController" || o.kind == "Job") {
    spec = &At(d, {"spec", "template", "spec"});
    meta = &At(d, {"spec", "template", "metadata"});
    selector = &At(d, {"spec", "selector"});
  } else if (o.kind == "CronJob") {
    spec = &At(d, {"spec", "jobTemplate", "spec", "template", "spec"});
    meta = &At(d, {"spec", "jobTemplate", "spec", "template", "metadata"});
  } else {
    return std::nullopt;
  }
  if (!spec->is_object()) return std::nullopt;
  Workload w{index,    &o,    spec, &At(*meta, {"labels"}), &At(*meta, {"annotations"}),
             selector, Ns(o), {}};
  for (const char* group : {"containers", "initContainers", "ephemeralContainers"}) {
    for (const auto& c : Items(At(*spec, {group}))) {
      if (!c.is_object()) continue;
      w.containers.push_back({&c, group, Str(At(c, {"name"}))});
    }
  }
  return w;
}

bool MatchLabels(const Json& match, const Json& labels) {
  if (!match.is_object()) return true;
  for (auto it = match.begin(); it != match.end(); ++it) {
    const Json& v = At(labels, {it.key().c_str()});
    if (v.is_null() || DumpJson(v) != DumpJson(it.value())) {
      // compare as text so 1 and "1" agree (label values are strings in the API)
      std::string a = v.is_string() ? v.get<std::string>() : DumpJson(v);
      std::string b = it.value().is_string() ? it.value().get<std::string>() : DumpJson(it.value());
      if (v.is_null() || a != b) return false;
    }
  }
  return true;
}

std::string LabelText(const Json& v) { return v.is_string() ? v.get<std::string>() : DumpJson(v); }

}  // namespace

bool SelectorMatches(const Json& selector, const Json& labels) {
  if (selector.is_null()) return false;
  if (!selector.is_object()) return false;
  if (!MatchLabels(At(selector, {"matchLabels"}), labels)) return false;
  for (const auto& e : Items(At(selector, {"matchExpressions"}))) {
    std::string key = Str(At(e, {"key"}));
    std::string op = Str(At(e, {"operator"}));
    const Json& have = At(labels, {key.c_str()});
    bool present = !have.is_null();
    bool in_values = false;
    for (const auto& v : Items(At(e, {"values"})))
      if (present && LabelText(v) == LabelText(have)) in_values = true;
    if (op == "In" && !in_values) return false;
    if (op == "NotIn" && in_values) return false;
    if (op == "Exists" && !present) return false;
    if (op == "DoesNotExist" && present) return false;
    if (op != "In" && op != "NotIn" && op != "Exists" && op != "DoesNotExist") return false;
  }
  return true;
}

namespace {

//! kube-style selector written as a plain map (Service.spec.selector).
bool MapSelectorMatches(const Json& map, const Json& labels) {
  if (!map.is_object() || map.empty()) return false;
  return MatchLabels(map, labels);
}

class Evaluator {
 public:
  Evaluator(const std::vector<Object>& objects, bool include_passes)
      : objects_(objects), include_passes_(include_passes) {
    for (size_t i = 0; i < objects.size(); ++i) {
      if (auto w = AsWorkload(objects[i], i)) workloads_.push_back(std::move(*w));
    }
  }

  void Run(const CheckInfo& info, Report& report) {
    report_ = &report;
    info_ = &info;
    auto it = Handlers().find(std::string(info.id));
    if (it != Handlers().end()) it->second(*this);
  }

 private:
  using Handler = std::function<void(Evaluator&)>;

  void Emit(size_t index, Outcome outcome, std::string container, std::string message,
            Severity severity) {
    if (outcome == Outcome::kPass && !include_passes_) {
      ++report_->passed;
      return;
    }
    (outcome == Outcome::kFail ? report_->failed : report_->passed)++;
    report_->results.push_back(CheckResult{std::string(info_->id), outcome, severity, index,
                                           std::move(container), std::move(message)});
  }
  void Fail(size_t index, std::string message, std::string container = "") {
    Emit(index, Outcome::kFail, std::move(container), std::move(message), info_->severity);
  }
  void FailAt(size_t index, Severity s, std::string message, std::string container = "") {
    Emit(index, Outcome::kFail, std::move(container), std::move(message), s);
  }
  void Pass(size_t index, std::string message = "") {
    Emit(index, Outcome::kPass, "", std::move(message), info_->severity);
  }

  //! Per-container check: `fn` returns a failure message or "" for a pass. One pass result per
  //! object when no container fails.
  void ForContainers(int groups,
                     const std::function<std::string(const Workload&, const ContainerRef&)>& fn) {
    for (const auto& w : workloads_) {
      bool failed = false;
      bool any = false;
      for (const auto& c : w.containers) {
        int bit = c.group == "containers" ? 1 : c.group == "initContainers" ? 2 : 4;
        if ((groups & bit) == 0) continue;
        any = true;
        std::string msg = fn(w, c);
        if (!msg.empty()) {
          Fail(w.index, msg, c.name);
          failed = true;
        }
      }
      if (any && !failed) Pass(w.index);
    }
  }
  static constexpr int kMain = 1;      // containers
  static constexpr int kMainInit = 3;  // + initContainers
  static constexpr int kAll = 7;       // + ephemeralContainers

  static const Json& Sc(const ContainerRef& c) { return At(*c.c, {"securityContext"}); }
  static const Json& PodSc(const Workload& w) { return At(*w.pod_spec, {"securityContext"}); }
  //! Container securityContext field, falling back to the pod's.
  static const Json& Effective(const Workload& w, const ContainerRef& c, const char* field) {
    const Json& v = At(Sc(c), {field});
    return v.is_null() ? At(PodSc(w), {field}) : v;
  }

  // Objects of one kind.
  template <typename F>
  void ForKind(std::initializer_list<std::string_view> kinds, F fn) {
    for (size_t i = 0; i < objects_.size(); ++i)
      if (std::find(kinds.begin(), kinds.end(), objects_[i].kind) != kinds.end())
        fn(i, objects_[i]);
  }

  static bool IsController(const Workload& w) { return w.obj->kind != "Pod"; }
  static bool IsLongRunning(const Workload& w) {
    return w.obj->kind != "Job" && w.obj->kind != "CronJob";
  }
  static long long Replicas(const Workload& w) {
    return Int(At(w.obj->doc, {"spec", "replicas"}), -1);
  }

  // ---------------------------------------------------------------- checks
  static std::map<std::string, Handler>& Handlers();

  const std::vector<Object>& objects_;
  bool include_passes_;
  std::vector<Workload> workloads_;
  Report* report_ = nullptr;
  const CheckInfo* info_ = nullptr;

  friend struct CheckDefs;
};

std::string ImageTag(const std::string& image) {
  if (image.find('@') != std::string::npos) return "@digest";
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "";
  return image.substr(colon + 1);
}

bool IsSensitiveName(std::string name) {
  name = Lower(name);
  for (const char* word : {"password", "passwd", "secret", "token", "apikey", "api_key",
                           "access_key", "accesskey", "private_key", "privatekey", "credential",
                           "aws_secret", "client_secret", "auth_key", "jwt"})
    if (name.find(word) != std::string::npos) return true;
  // "KEY" alone (e.g. STRIPE_KEY), but not KEYCLOAK_URL or MONKEY
  if (name.ends_with("_key") || name == "key") return true;
  return false;
}

//! A quantity is present when the key exists with a non-empty value.
bool HasQuantity(const Json& resources, const char* section, const char* name) {
  const Json& v = At(resources, {section, name});
  if (v.is_null()) return false;
  if (v.is_string() && v.get<std::string>().empty()) return false;
  return true;
}

std::string QuantityText(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return DumpJson(v);
}

//! Does a Role/ClusterRole rule grant get|create|* on pods/exec or pods/attach in the core group?
bool RuleAllowsExecAttach(const Json& rule) {
  bool group = false, resource = false, verb = false;
  for (const auto& g : Items(At(rule, {"apiGroups"}))) {
    std::string s = Str(g);
    if (s.empty() || s == "*") group = true;
  }
  for (const auto& r : Items(At(rule, {"resources"}))) {
    std::string s = Str(r);
    if (s == "*" || s == "pods/exec" || s == "pods/attach" || s == "pods/*") resource = true;
  }
  for (const auto& v : Items(At(rule, {"verbs"}))) {
    std::string s = Str(v);
    if (s == "*" || s == "get" || s == "create") verb = true;
  }
  return group && resource && verb;
}

//! '*' on every API group and resource with every write verb: cluster-admin in all but name.
bool RuleAllowsEverything(const Json& rule) {
  auto has = [&](const char* field, std::string_view value) {
    for (const auto& x : Items(At(rule, {field})))
      if (Str(x) == value) return true;
    return false;
  };
  bool all_verbs = has("verbs", "*") || (has("verbs", "create") && has("verbs", "update") &&
                                         has("verbs", "patch") && has("verbs", "delete"));
  return has("apiGroups", "*") && has("resources", "*") && all_verbs;
}

bool IsBuiltinRoleName(const std::string& name) {
  return name == "cluster-admin" || name.starts_with("system:") ||
         name == "gce:podsecuritypolicy:calico-sa";
}

struct CheckDefs {
  static void Register(std::map<std::string, Evaluator::Handler>& h);
};

std::map<std::string, Evaluator::Handler>& Evaluator::Handlers() {
  static std::map<std::string, Handler> handlers = [] {
    std::map<std::string, Handler> h;
    CheckDefs::Register(h);
    return h;
  }();
  return handlers;
}

void CheckDefs::Register(std::map<std::string, Evaluator::Handler>& h) {
  using E = Evaluator;
  h["privileged"] = [](E& e) {
    e.ForContainers(E::kAll, [](const Workload&, const ContainerRef& c) -> std::string {
      return IsTrue(At(E::Sc(c), {"privileged"})) ? "securityContext.privileged is true" : "";
    });
  };
  h["allow-privilege-escalation"] = [](E& e) {
    e.ForContainers(E::kMainInit, [](const Workload&, const ContainerRef& c) -> std::string {
      const Json& sc = E::Sc(c);
      if (IsTrue(At(sc, {"privileged"}))) return "privileged containers can always escalate";
      if (IsTrue(At(sc, {"allowPrivilegeEscalation"})))
        return "securityContext.allowPrivilegeEscalation is explicitly true";
      if (!IsFalse(At(sc, {"allowPrivilegeEscalation"})))
        return "securityContext.allowPrivilegeEscalation is not set (defaults to true)";
      return "";
    });
  };
  h["run-as-root"] = [](E& e) {
    e.ForContainers(E::kMainInit, [](const Workload& w, const ContainerRef& c) -> std::string {
      const Json& user = E::Effective(w, c, "runAsUser");
      const Json& nonroot = E::Effective(w, c, "runAsNonRoot");
      if (user.is_number() && Int(user, 0) == 0) return "runAsUser is 0 (root)";
      if (user.is_number() && Int(user, 0) > 0) return "";
      if (IsTrue(nonroot)) return "";
      return "neither runAsNonRoot: true nor a non-zero runAsUser is set";
    });
  };
  h["low-user-group-id"] = [](E& e) {
    e.ForContainers(E::kMain, [](const Workload& w, const ContainerRef& c) -> std::string {
      const Json& user = E::Effective(w, c, "runAsUser");
      const Json& group = E::Effective(w, c, "runAsGroup");
      if (!user.is_number()) return "runAsUser is not set";
      if (Int(user, 0) < 10000) return "runAsUser " + DumpJson(user) + " is below 10000";
      if (!group.is_number()) return "runAsGroup is not set";
      if (Int(group, 0) < 10000) return "runAsGroup " + DumpJson(group) + " is below 10000";
      return "";
    });
  };
  h["read-only-root-filesystem"] = [](E& e) {
    e.ForContainers(E::kMainInit, [](const Workload&, const ContainerRef& c) -> std::string {
      return IsTrue(At(E::Sc(c), {"readOnlyRootFilesystem"}))
                 ? ""
                 : "securityContext.readOnlyRootFilesystem is not true";
    });
  };
  h["dangerous-capabilities"] = [](E& e) {
    static const std::set<std::string> kDangerous = {
        "ALL",       "SYS_ADMIN", "NET_ADMIN",   "SYS_MODULE", "SYS_PTRACE",
        "SYS_RAWIO", "SYS_BOOT",  "BPF",         "PERFMON",    "DAC_READ_SEARCH",
        "SYS_TIME",  "MAC_ADMIN", "MAC_OVERRIDE"};
    e.ForContainers(E::kAll, [](const Workload&, const ContainerRef& c) -> std::string {
      for (const auto& cap : Items(At(E::Sc(c), {"capabilities", "add"}))) {
        std::string name = Upper(Str(cap));
        if (name.starts_with("CAP_")) name = name.substr(4);
        if (kDangerous.contains(name)) return "adds capability " + name;
      }
      return "";
    });
  };
  h["capabilities-drop-all"] = [](E& e) {
    e.ForContainers(E::kMainInit, [](const Workload&, const ContainerRef& c) -> std::string {
      for (const auto& cap : Items(At(E::Sc(c), {"capabilities", "drop"})))
        if (Upper(Str(cap)) == "ALL" || Upper(Str(cap)) == "CAP_ALL") return "";
      return "securityContext.capabilities.drop does not contain ALL";
    });
  };
  h["linux-hardening"] = [](E& e) {
    e.ForContainers(E::kMainInit, [](const Workload& w, const ContainerRef& c) -> std::string {
      std::string seccomp = Str(At(E::Effective(w, c, "seccompProfile"), {"type"}));
      if (!seccomp.empty() && seccomp != "Unconfined") return "";
      const Json& selinux = E::Effective(w, c, "seLinuxOptions");
      if (selinux.is_object() && !selinux.empty()) return "";
      std::string apparmor = Str(At(E::Effective(w, c, "appArmorProfile"), {"type"}));
      if (!apparmor.empty() && apparmor != "Unconfined") return "";
      std::string annotation = "container.apparmor.security.beta.kubernetes.io/" + c.name;
      std::string legacy = Str(At(*w.annotations, {annotation.c_str()}));
      if (!legacy.empty() && legacy != "unconfined") return "";
      bool adds_all = false;
      for (const auto& cap : Items(At(E::Sc(c), {"capabilities", "add"})))
        if (Upper(Str(cap)) == "ALL") adds_all = true;
      if (!Items(At(E::Sc(c), {"capabilities", "drop"})).empty() && !adds_all) return "";
      return "no seccomp, AppArmor or SELinux profile and no dropped capabilities";
    });
  };
  h["seccomp-profile"] = [](E& e) {
    e.ForContainers(E::kAll, [](const Workload& w, const ContainerRef& c) -> std::string {
      std::string type = Str(At(E::Effective(w, c, "seccompProfile"), {"type"}));
      if (type.empty()) {
        std::string ann = "container.seccomp.security.alpha.kubernetes.io/" + c.name;
        type = Str(At(*w.annotations, {ann.c_str()}));
        if (type.empty())
          type = Str(At(*w.annotations, {"seccomp.security.alpha.kubernetes.io/pod"}));
        if (type.empty())
          type =
              Str(At(*w.annotations, {"seccomp.security.alpha.kubernetes.io/defaultProfileName"}));
      }
      if (type.empty()) return c.group == "containers" ? "no seccomp profile" : "";
      if (Lower(type) == "unconfined") return "seccomp profile is Unconfined";
      return "";
    });
  };
  h["apparmor-unconfined"] = [](E& e) {
    e.ForContainers(E::kAll, [](const Workload& w, const ContainerRef& c) -> std::string {
      if (Str(At(E::Effective(w, c, "appArmorProfile"), {"type"})) == "Unconfined")
        return "appArmorProfile.type is Unconfined";
      std::string ann = "container.apparmor.security.beta.kubernetes.io/" + c.name;
      if (Str(At(*w.annotations, {ann.c_str()})) == "unconfined")
        return "AppArmor annotation is unconfined";
      return "";
    });
  };
  h["proc-mount"] = [](E& e) {
    e.ForContainers(E::kAll, [](const Workload&, const ContainerRef& c) -> std::string {
      std::string m = Str(At(E::Sc(c), {"procMount"}));
      return (!m.empty() && m != "Default") ? "securityContext.procMount is " + m : "";
    });
  };
  h["windows-host-process"] = [](E& e) {
    for (const auto& w : e.workloads_) {
      bool pod = IsTrue(At(*w.pod_spec, {"securityContext", "windowsOptions", "hostProcess"}));
      bool failed = false;
      for (const auto& c : w.containers)
        if (pod || IsTrue(At(E::Sc(c), {"windowsOptions", "hostProcess"}))) {
          e.Fail(w.index, "windowsOptions.hostProcess is true", c.name);
          failed = true;
        }
      if (!failed) e.Pass(w.index);
    }
  };
  h["host-port"] = [](E& e) {
    e.ForContainers(E::kAll, [](const Workload&, const ContainerRef& c) -> std::string {
      for (const auto& p : Items(At(*c.c, {"ports"})))
        if (Int(At(p, {"hostPort"}), 0) != 0) return "binds hostPort " + DumpJson(At(p, {"hostPort"}));
      return "";
    });
  };
  h["image-tag"] = [](E& e) {
    e.ForContainers(E::kAll, [](const Workload&, const ContainerRef& c) -> std::string {
      std::string image = Str(At(*c.c, {"image"}));
      std::string tag = ImageTag(image);
      if (tag.empty()) return "image '" + image + "' has no tag";
      if (tag == "latest") return "image '" + image + "' uses the latest tag";
      return "";
    });
  };
  h["image-pull-policy"] = [](E& e) {
    e.ForContainers(E::kMainInit, [](const Workload&, const ContainerRef& c) -> std::string {
      std::string policy = Str(At(*c.c, {"imagePullPolicy"}));
      if (policy.empty()) {
        std::string tag = ImageTag(Str(At(*c.c, {"image"})));
        if (tag.empty() || tag == "latest") return "";  // Kubernetes defaults these to Always
        return "imagePullPolicy is not set (defaults to IfNotPresent)";
      }
      return policy == "Always" ? "" : "imagePullPolicy is " + policy;
    });
  };
  h["secret-in-env"] = [](E& e) {
    e.ForContainers(E::kAll, [](const Workload&, const ContainerRef& c) -> std::string {
      for (const auto& env : Items(At(*c.c, {"env"}))) {
        std::string name = Str(At(env, {"name"}));
        const Json& value = At(env, {"value"});
        if (!value.is_string() || value.get<std::string>().empty()) continue;
        if (IsSensitiveName(name)) return "environment variable " + name + " holds a literal value";
        if (value.get<std::string>().find("PRIVATE KEY") != std::string::npos)
          return "environment variable " + name + " holds a private key";
      }
      return "";
    });
  };
  auto pod_flag = [](const char* field) {
    return [field](E& e) {
      for (const auto& w : e.workloads_) {
        if (IsTrue(At(*w.pod_spec, {field})))
          e.Fail(w.index, std::string(field) + " is true");
        else
          e.Pass(w.index);
      }
    };
  };
  h["host-network"] = pod_flag("hostNetwork");
  h["host-pid"] = pod_flag("hostPID");
  h["host-ipc"] = pod_flag("hostIPC");
  h["host-path"] = [](E& e) {
    for (const auto& w : e.workloads_) {
      bool failed = false;
      for (const auto& v : Items(At(*w.pod_spec, {"volumes"}))) {
        const Json& hp = At(v, {"hostPath"});
        if (hp.is_null()) continue;
        std::string path = Str(At(hp, {"path"}));
        failed = true;
        if (path.ends_with(".sock") || path == "/var/run" || path == "/run" || path == "/")
          e.FailAt(w.index, Severity::kCritical,
                   "hostPath volume '" + Str(At(v, {"name"})) + "' mounts " + path);
        else
          e.Fail(w.index, "hostPath volume '" + Str(At(v, {"name"})) + "' mounts " + path);
      }
      if (!failed) e.Pass(w.index);
    }
  };
  h["service-account-token"] = [](E& e) {
    for (const auto& w : e.workloads_) {
      if (IsFalse(At(*w.pod_spec, {"automountServiceAccountToken"})))
        e.Pass(w.index);
      else
        e.Fail(w.index, "automountServiceAccountToken is not false");
    }
  };
  h["default-namespace"] = [](E& e) {
    for (size_t i = 0; i < e.objects_.size(); ++i) {
      const Object& o = e.objects_[i];
      if (IsClusterScoped(o.kind)) continue;
      if (o.namespace_ == "default")
        e.Fail(i, "metadata.namespace is default");
      else if (o.namespace_.empty())
        e.Fail(i, "no metadata.namespace: lands in the default namespace unless applied with -n");
      else
        e.Pass(i);
    }
  };
  // ---- RBAC
  h["rbac-pod-exec-attach"] = [](E& e) {
    e.ForKind({"Role", "ClusterRole"}, [&](size_t i, const Object& o) {
      if (IsBuiltinRoleName(o.name) || (o.kind == "ClusterRole" && o.name == "admin")) {
        e.Pass(i, "built-in role");
        return;
      }
      for (const auto& rule : Items(At(o.doc, {"rules"})))
        if (RuleAllowsExecAttach(rule)) {
          e.Fail(i, "a rule allows get/create on pods/exec or pods/attach");
          return;
        }
      e.Pass(i);
    });
  };
  auto find_role = [](E& e, const std::string& kind, const std::string& name,
                      const std::string& ns) -> const Object* {
    for (const auto& o : e.objects_)
      if (o.kind == kind && o.name == name && (kind == "ClusterRole" || Ns(o) == ns)) return &o;
    return nullptr;
  };
  h["rbac-binding-pod-exec-attach"] = [find_role](E& e) {
    e.ForKind({"RoleBinding", "ClusterRoleBinding"}, [&](size_t i, const Object& o) {
      std::string kind = Str(At(o.doc, {"roleRef", "kind"}));
      std::string name = Str(At(o.doc, {"roleRef", "name"}));
      if (IsBuiltinRoleName(o.name)) {
        e.Pass(i, "platform-managed binding");
        return;
      }
      const Object* role = find_role(e, kind, name, Ns(o));
      // A built-in role is trusted only when it is not redefined in the scanned manifests.
      if (role == nullptr && (IsBuiltinRoleName(name) || name == "view" ||
                              (kind == "ClusterRole" && (name == "admin" || name == "edit")))) {
        e.Pass(i, "built-in role");
        return;
      }
      if (role == nullptr) {
        e.Fail(i, kind + " '" + name + "' is not in the scanned manifests; cannot verify it");
        return;
      }
      for (const auto& rule : Items(At(role->doc, {"rules"})))
        if (RuleAllowsExecAttach(rule)) {
          e.Fail(i, "binds " + kind + " '" + name + "' which allows pods/exec or pods/attach");
          return;
        }
      e.Pass(i);
    });
  };
  h["rbac-cluster-admin"] = [find_role](E& e) {
    e.ForKind({"RoleBinding", "ClusterRoleBinding"}, [&](size_t i, const Object& o) {
      std::string kind = Str(At(o.doc, {"roleRef", "kind"}));
      std::string name = Str(At(o.doc, {"roleRef", "name"}));
      if (IsBuiltinRoleName(o.name)) {
        e.Pass(i, "platform-managed binding");
        return;
      }
      if (kind == "ClusterRole" && name == "cluster-admin") {
        e.Fail(i, "binds ClusterRole cluster-admin");
        return;
      }
      if (const Object* role = find_role(e, kind, name, Ns(o)))
        for (const auto& rule : Items(At(role->doc, {"rules"})))
          if (RuleAllowsEverything(rule)) {
            e.Fail(i, "binds " + kind + " '" + name + "' which can change everything");
            return;
          }
      e.Pass(i);
    });
  };
  h["rbac-wildcard"] = [](E& e) {
    e.ForKind({"Role", "ClusterRole"}, [&](size_t i, const Object& o) {
      if (IsBuiltinRoleName(o.name)) {
        e.Pass(i, "built-in role");
        return;
      }
      for (const auto& rule : Items(At(o.doc, {"rules"})))
        for (const char* field : {"apiGroups", "resources", "verbs"})
          for (const auto& x : Items(At(rule, {field})))
            if (Str(x) == "*") {
              e.Fail(i, std::string("a rule has '*' in ") + field);
              return;
            }
      e.Pass(i);
    });
  };
  // ---- network
  h["network-policy"] = [](E& e) {
    for (const auto& w : e.workloads_) {
      bool ingress = false, egress = false;
      for (const auto& np : e.objects_) {
        if (np.kind != "NetworkPolicy" || Ns(np) != w.ns) continue;
        const Json& sel = At(np.doc, {"spec", "podSelector"});
        // An empty podSelector ({} or absent) selects every pod of the namespace.
        if (!(sel.is_null() || (sel.is_object() && sel.empty())) &&
            !SelectorMatches(sel, *w.labels))
          continue;
        const Json& types = At(np.doc, {"spec", "policyTypes"});
        if (types.is_array() && !types.empty()) {
          for (const auto& t : types) {
            if (Str(t) == "Ingress") ingress = true;
            if (Str(t) == "Egress") egress = true;
          }
        } else {
          ingress = true;
          if (!At(np.doc, {"spec", "egress"}).is_null()) egress = true;
        }
      }
      if (ingress && egress)
        e.Pass(w.index);
      else if (!ingress && !egress)
        e.Fail(w.index, "no NetworkPolicy selects this pod");
      else
        e.FailAt(w.index, Severity::kLow,
                 std::string("NetworkPolicies select this pod for ") +
                     (ingress ? "ingress only" : "egress only"));
    }
  };
  h["network-policy-targets-pod"] = [](E& e) {
    e.ForKind({"NetworkPolicy"}, [&](size_t i, const Object& o) {
      const Json& sel = At(o.doc, {"spec", "podSelector"});
      if (sel.is_null() || (sel.is_object() && sel.empty())) {
        e.Pass(i, "selects every pod of the namespace");
        return;
      }
      for (const auto& w : e.workloads_)
        if (w.ns == Ns(o) && SelectorMatches(sel, *w.labels)) {
          e.Pass(i);
          return;
        }
      e.Fail(i, "podSelector matches no pod in the scanned manifests");
    });
  };
  h["ingress-tls"] = [](E& e) {
    e.ForKind({"Ingress"}, [&](size_t i, const Object& o) {
      if (Items(At(o.doc, {"spec", "tls"})).empty())
        e.Fail(i, "spec.tls is empty");
      else
        e.Pass(i);
    });
  };
  h["service-type"] = [](E& e) {
    e.ForKind({"Service"}, [&](size_t i, const Object& o) {
      if (Str(At(o.doc, {"spec", "type"})) == "NodePort")
        e.Fail(i, "type is NodePort");
      else
        e.Pass(i);
    });
  };
  // ---- resources
  auto resource = [](const char* section, const char* name) {
    return [section, name](E& e) {
      e.ForContainers(E::kMainInit, [=](const Workload&, const ContainerRef& c) -> std::string {
        if (HasQuantity(At(*c.c, {"resources"}), section, name)) return "";
        return std::string("resources.") + section + "." + name + " is not set";
      });
    };
  };
  h["cpu-requests"] = resource("requests", "cpu");
  h["cpu-limits"] = resource("limits", "cpu");
  h["memory-requests"] = resource("requests", "memory");
  h["memory-limits"] = resource("limits", "memory");
  auto equal = [](const char* name) {
    return [name](E& e) {
      e.ForContainers(E::kMain, [=](const Workload&, const ContainerRef& c) -> std::string {
        const Json& r = At(*c.c, {"resources"});
        std::string req = QuantityText(At(r, {"requests", name}));
        std::string lim = QuantityText(At(r, {"limits", name}));
        if (req.empty() || lim.empty()) return std::string(name) + " request or limit is not set";
        if (req != lim) return std::string(name) + " request " + req + " != limit " + lim;
        return "";
      });
    };
  };
  h["cpu-requests-equal-limits"] = equal("cpu");
  h["memory-requests-equal-limits"] = equal("memory");
  h["ephemeral-storage-requests-equal-limits"] = equal("ephemeral-storage");
  h["ephemeral-storage-limits"] = [](E& e) {
    e.ForContainers(E::kMain, [](const Workload&, const ContainerRef& c) -> std::string {
      const Json& r = At(*c.c, {"resources"});
      if (!HasQuantity(r, "limits", "ephemeral-storage"))
        return "resources.limits.ephemeral-storage is not set";
      if (!HasQuantity(r, "requests", "ephemeral-storage"))
        return "resources.requests.ephemeral-storage is not set";
      return "";
    });
  };
  // ---- probes
  h["liveness-probe"] = [](E& e) {
    for (const auto& w : e.workloads_) {
      if (!E::IsLongRunning(w)) continue;
      bool failed = false;
      for (const auto& c : w.containers) {
        if (c.group != "containers" || !At(*c.c, {"livenessProbe"}).is_null()) continue;
        e.Fail(w.index, "no livenessProbe", c.name);
        failed = true;
      }
      if (!failed) e.Pass(w.index);
    }
  };
  auto targeted_by_service = [](const E& e, const Workload& w) {
    for (const auto& s : e.objects_)
      if (s.kind == "Service" && Ns(s) == w.ns &&
          MapSelectorMatches(At(s.doc, {"spec", "selector"}), *w.labels))
        return true;
    return false;
  };
  h["readiness-probe"] = [targeted_by_service](E& e) {
    for (const auto& w : e.workloads_) {
      if (!E::IsLongRunning(w)) continue;
      if (!targeted_by_service(e, w)) {
        e.Pass(w.index, "not targeted by a Service in the scan; readiness not required");
        continue;
      }
      bool any = false;
      for (const auto& c : w.containers)
        if (c.group == "containers" && !At(*c.c, {"readinessProbe"}).is_null()) any = true;
      if (any)
        e.Pass(w.index);
      else
        e.Fail(w.index, "targeted by a Service but no container has a readinessProbe");
    }
  };
  h["probes-identical"] = [](E& e) {
    e.ForContainers(E::kMain, [](const Workload&, const ContainerRef& c) -> std::string {
      const Json& live = At(*c.c, {"livenessProbe"});
      const Json& ready = At(*c.c, {"readinessProbe"});
      if (!live.is_null() && live == ready) return "livenessProbe equals readinessProbe";
      return "";
    });
  };
  // ---- availability
  auto pdb_for = [](const E& e, const Workload& w) -> bool {
    for (const auto& p : e.objects_)
      if (p.kind == "PodDisruptionBudget" && Ns(p) == w.ns &&
          SelectorMatches(At(p.doc, {"spec", "selector"}), *w.labels))
        return true;
    return false;
  };
  h["pod-disruption-budget"] = [pdb_for](E& e) {
    for (const auto& w : e.workloads_) {
      if (w.obj->kind != "Deployment" && w.obj->kind != "StatefulSet") continue;
      if (E::Replicas(w) == 0 || E::Replicas(w) == 1) {
        e.Pass(w.index, "single replica");
        continue;
      }
      if (pdb_for(e, w))
        e.Pass(w.index);
      else
        e.Fail(w.index, "no PodDisruptionBudget selects the pods");
    }
  };
  h["pdb-policy"] = [](E& e) {
    e.ForKind({"PodDisruptionBudget"}, [&](size_t i, const Object& o) {
      if (At(o.doc, {"spec", "minAvailable"}).is_null() &&
          At(o.doc, {"spec", "maxUnavailable"}).is_null())
        e.Fail(i, "neither spec.minAvailable nor spec.maxUnavailable is set");
      else
        e.Pass(i);
    });
  };
  h["pdb-blocks-disruptions"] = [](E& e) {
    e.ForKind({"PodDisruptionBudget"}, [&](size_t i, const Object& o) {
      const Json& max_u = At(o.doc, {"spec", "maxUnavailable"});
      const Json& min_a = At(o.doc, {"spec", "minAvailable"});
      if ((max_u.is_number() && Int(max_u, 1) == 0) || Str(max_u) == "0%")
        e.Fail(i, "maxUnavailable is 0");
      else if (Str(min_a) == "100%")
        e.Fail(i, "minAvailable is 100%");
      else if (min_a.is_number()) {
        // minAvailable >= the replicas of a workload it selects blocks every eviction
        for (const auto& w : e.workloads_)
          if (w.ns == Ns(o) && SelectorMatches(At(o.doc, {"spec", "selector"}), *w.labels) &&
              E::Replicas(w) >= 0 && Int(min_a, 0) >= E::Replicas(w)) {
            e.Fail(i, "minAvailable " + DumpJson(min_a) + " >= replicas of " + w.obj->name);
            return;
          }
        e.Pass(i);
      } else {
        e.Pass(i);
      }
    });
  };
  h["pod-anti-affinity"] = [](E& e) {
    for (const auto& w : e.workloads_) {
      if (w.obj->kind != "Deployment" && w.obj->kind != "StatefulSet") continue;
      if (E::Replicas(w) == 0 || E::Replicas(w) == 1) {
        e.Pass(w.index, "single replica");
        continue;
      }
      const Json& anti = At(*w.pod_spec, {"affinity", "podAntiAffinity"});
      bool host = false;
      for (const auto& t : Items(At(anti, {"requiredDuringSchedulingIgnoredDuringExecution"})))
        if (Str(At(t, {"topologyKey"})) == "kubernetes.io/hostname") host = true;
      for (const auto& t : Items(At(anti, {"preferredDuringSchedulingIgnoredDuringExecution"})))
        if (Str(At(t, {"podAffinityTerm", "topologyKey"})) == "kubernetes.io/hostname") host = true;
      if (host)
        e.Pass(w.index);
      else
        e.Fail(w.index, "no podAntiAffinity on kubernetes.io/hostname");
    }
  };
  h["topology-spread-constraints"] = [](E& e) {
    for (const auto& w : e.workloads_) {
      const Json& list = At(*w.pod_spec, {"topologySpreadConstraints"});
      if (list.is_null()) continue;
      bool failed = false;
      for (const auto& t : Items(list)) {
        std::string when = Str(At(t, {"whenUnsatisfiable"}));
        std::string msg;
        if (At(t, {"labelSelector"}).is_null())
          msg = "a constraint has no labelSelector";
        else if (Str(At(t, {"topologyKey"})).empty())
          msg = "a constraint has no topologyKey";
        else if (when != "DoNotSchedule" && when != "ScheduleAnyway")
          msg = "whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway";
        else if (!At(t, {"minDomains"}).is_null() &&
                 (Int(At(t, {"minDomains"}), 0) < 1 || when != "DoNotSchedule"))
          msg = "minDomains must be >= 1 and only used with DoNotSchedule";
        if (!msg.empty()) {
          e.Fail(w.index, msg);
          failed = true;
        }
      }
      if (!failed) e.Pass(w.index);
    }
  };
  h["service-targets-pod"] = [](E& e) {
    e.ForKind({"Service"}, [&](size_t i, const Object& o) {
      const Json& sel = At(o.doc, {"spec", "selector"});
      if (!sel.is_object() || sel.empty() || Str(At(o.doc, {"spec", "type"})) == "ExternalName") {
        e.Pass(i, "no selector");
        return;
      }
      for (const auto& w : e.workloads_)
        if (w.ns == Ns(o) && MapSelectorMatches(sel, *w.labels)) {
          e.Pass(i);
          return;
        }
      e.Fail(i, "selector matches no pod in the scanned manifests");
    });
  };
  h["ingress-targets-service"] = [](E& e) {
    e.ForKind({"Ingress"}, [&](size_t i, const Object& o) {
      std::vector<std::string> names;
      bool beta =
          o.api_version == "extensions/v1beta1" || o.api_version == "networking.k8s.io/v1beta1";
      std::string invalid;
      auto collect = [&](const Json& backend) {
        if (backend.is_null()) return;
        // v1 names the Service in backend.service.name; serviceName is the v1beta1 field and
        // means nothing in a v1 Ingress. A resource backend targets no Service.
        std::string n =
            beta ? Str(At(backend, {"serviceName"})) : Str(At(backend, {"service", "name"}));
        if (!n.empty())
          names.push_back(n);
        else if (At(backend, {"resource"}).is_null())
          invalid = beta ? "a backend has no serviceName"
                         : "a backend has no service.name (v1beta1 fields in a v1 Ingress?)";
      };
      collect(At(o.doc, {"spec", "defaultBackend"}));
      collect(At(o.doc, {"spec", "backend"}));
      for (const auto& rule : Items(At(o.doc, {"spec", "rules"})))
        for (const auto& path : Items(At(rule, {"http", "paths"}))) collect(At(path, {"backend"}));
      if (!invalid.empty()) {
        e.Fail(i, invalid);
        return;
      }
      for (const auto& n : names) {
        bool found = false;
        for (const auto& s : e.objects_)
          if (s.kind == "Service" && s.name == n && Ns(s) == Ns(o)) found = true;
        if (!found) {
          e.Fail(i, "backend Service '" + n + "' is not in the scanned manifests");
          return;
        }
      }
      e.Pass(i);
    });
  };
  auto hpa_target = [](const E& e, const Object& hpa) -> const Object* {
    std::string kind = Str(At(hpa.doc, {"spec", "scaleTargetRef", "kind"}));
    std::string name = Str(At(hpa.doc, {"spec", "scaleTargetRef", "name"}));
    for (const auto& o : e.objects_)
      if (o.kind == kind && o.name == name && Ns(o) == Ns(hpa)) return &o;
    return nullptr;
  };
  h["hpa-targets-object"] = [hpa_target](E& e) {
    e.ForKind({"HorizontalPodAutoscaler"}, [&](size_t i, const Object& o) {
      if (hpa_target(e, o))
        e.Pass(i);
      else
        e.Fail(i, "scaleTargetRef names an object not in the scanned manifests");
    });
  };
  h["hpa-replicas-conflict"] = [hpa_target](E& e) {
    for (const auto& w : e.workloads_) {
      if (!E::IsController(w) || E::Replicas(w) < 0) continue;
      bool scaled = false;
      for (const auto& o : e.objects_)
        if (o.kind == "HorizontalPodAutoscaler" && hpa_target(e, o) == w.obj) scaled = true;
      if (!scaled) continue;
      e.Fail(w.index, "spec.replicas is set although a HorizontalPodAutoscaler scales it");
    }
  };
  h["hpa-min-replicas"] = [](E& e) {
    e.ForKind({"HorizontalPodAutoscaler"}, [&](size_t i, const Object& o) {
      long long min = Int(At(o.doc, {"spec", "minReplicas"}), 1);
      if (min < 2)
        e.Fail(i, "minReplicas is " + std::to_string(min));
      else
        e.Pass(i);
    });
  };
  h["hpa-max-replicas"] = [](E& e) {
    e.ForKind({"HorizontalPodAutoscaler"}, [&](size_t i, const Object& o) {
      long long min = Int(At(o.doc, {"spec", "minReplicas"}), 1);
      long long max = Int(At(o.doc, {"spec", "maxReplicas"}), 0);
      if (max <= min)
        e.Fail(i, "maxReplicas " + std::to_string(max) + " <= minReplicas " + std::to_string(min));
      else
        e.Pass(i);
    });
  };
  h["deployment-replicas"] = [hpa_target](E& e) {
    e.ForKind({"Deployment"}, [&](size_t i, const Object& o) {
      if (Int(At(o.doc, {"spec", "replicas"}), -1) >= 2) {
        e.Pass(i);
        return;
      }
      for (const auto& h2 : e.objects_)
        if (h2.kind == "HorizontalPodAutoscaler" && hpa_target(e, h2) == &o) {
          e.Pass(i, "scaled by an HPA");
          return;
        }
      const Json& r = At(o.doc, {"spec", "replicas"});
      e.Fail(i, r.is_null() ? "spec.replicas is not set (defaults to 1)"
                            : "spec.replicas is " + DumpJson(r));
    });
  };
  h["deployment-strategy"] = [](E& e) {
    for (const auto& w : e.workloads_) {
      if (w.obj->kind != "Deployment") continue;
      std::string type = Str(At(w.obj->doc, {"spec", "strategy", "type"}));
      if (E::Replicas(w) >= 0 && E::Replicas(w) < 2) {
        e.Pass(w.index, "single replica");
      } else if (!type.empty() && type != "RollingUpdate") {
        e.Fail(w.index, "strategy.type is " + type);
      } else {
        e.Pass(w.index);
      }
    }
  };
  h["statefulset-service-name"] = [](E& e) {
    for (const auto& w : e.workloads_) {
      if (w.obj->kind != "StatefulSet") continue;
      std::string name = Str(At(w.obj->doc, {"spec", "serviceName"}));
      if (name.empty()) {
        e.Fail(w.index, "spec.serviceName is not set");
        continue;
      }
      bool ok = false;
      for (const auto& s : e.objects_)
        if (s.kind == "Service" && s.name == name && Ns(s) == w.ns &&
            Str(At(s.doc, {"spec", "clusterIP"})) == "None" &&
            MapSelectorMatches(At(s.doc, {"spec", "selector"}), *w.labels))
          ok = true;
      if (ok)
        e.Pass(w.index);
      else
        e.Fail(w.index, "no headless Service '" + name + "' selecting the pods");
    }
  };
  h["selector-matches-template"] = [](E& e) {
    for (const auto& w : e.workloads_) {
      if (w.selector->is_null() || w.obj->kind == "Job") continue;
      if (SelectorMatches(*w.selector, *w.labels))
        e.Pass(w.index);
      else
        e.Fail(w.index, "spec.selector does not select spec.template.metadata.labels");
    }
  };
  h["cronjob-deadline"] = [](E& e) {
    e.ForKind({"CronJob"}, [&](size_t i, const Object& o) {
      const Json& d = At(o.doc, {"spec", "startingDeadlineSeconds"});
      if (d.is_number() && Int(d, 0) > 0)
        e.Pass(i);
      else
        e.Fail(i, "spec.startingDeadlineSeconds is not set");
    });
  };
  h["cronjob-restart-policy"] = [](E& e) {
    e.ForKind({"CronJob"}, [&](size_t i, const Object& o) {
      std::string p =
          Str(At(o.doc, {"spec", "jobTemplate", "spec", "template", "spec", "restartPolicy"}));
      if (p == "OnFailure" || p == "Never")
        e.Pass(i);
      else
        e.Fail(i, p.empty() ? "restartPolicy is not set" : "restartPolicy is " + p);
    });
  };
  h["deprecated-api-version"] = [](E& e) {
    static const std::set<std::pair<std::string_view, std::string_view>> kDeprecated = {
        {"extensions/v1beta1", "*"},
        {"apps/v1beta1", "*"},
        {"apps/v1beta2", "*"},
        {"batch/v1beta1", "CronJob"},
        {"batch/v2alpha1", "*"},
        {"policy/v1beta1", "PodDisruptionBudget"},
        {"policy/v1beta1", "PodSecurityPolicy"},
        {"networking.k8s.io/v1beta1", "*"},
        {"rbac.authorization.k8s.io/v1beta1", "*"},
        {"rbac.authorization.k8s.io/v1alpha1", "*"},
        {"autoscaling/v2beta1", "*"},
        {"autoscaling/v2beta2", "*"},
        {"storage.k8s.io/v1beta1", "*"},
        {"apiextensions.k8s.io/v1beta1", "*"},
        {"admissionregistration.k8s.io/v1beta1", "*"},
        {"scheduling.k8s.io/v1beta1", "*"},
        {"discovery.k8s.io/v1beta1", "*"},
        {"flowcontrol.apiserver.k8s.io/v1beta1", "*"},
        {"flowcontrol.apiserver.k8s.io/v1beta2", "*"},
        {"node.k8s.io/v1beta1", "*"},
        {"certificates.k8s.io/v1beta1", "*"},
        {"coordination.k8s.io/v1beta1", "*"},
    };
    for (size_t i = 0; i < e.objects_.size(); ++i) {
      const Object& o = e.objects_[i];
      bool bad = kDeprecated.contains({o.api_version, "*"}) ||
                 kDeprecated.contains({o.api_version, o.kind});
      if (bad)
        e.Fail(i, o.api_version + " " + o.kind + " is deprecated or removed");
      else
        e.Pass(i);
    }
  };
  h["env-duplicate"] = [](E& e) {
    e.ForContainers(E::kAll, [](const Workload&, const ContainerRef& c) -> std::string {
      std::set<std::string> seen;
      for (const auto& env : Items(At(*c.c, {"env"}))) {
        std::string name = Str(At(env, {"name"}));
        if (!seen.insert(name).second) return "environment variable " + name + " is defined twice";
      }
      return "";
    });
  };
  h["container-ports"] = [](E& e) {
    e.ForContainers(E::kMain, [](const Workload&, const ContainerRef& c) -> std::string {
      std::set<std::string> names;
      for (const auto& p : Items(At(*c.c, {"ports"}))) {
        if (At(p, {"containerPort"}).is_null()) return "a port has no containerPort";
        std::string name = Str(At(p, {"name"}));
        if (name.size() > 15) return "port name '" + name + "' is longer than 15 characters";
        if (!name.empty() && !names.insert(name).second)
          return "port name '" + name + "' is used twice";
      }
      return "";
    });
  };
  h["naked-pod"] = [](E& e) {
    e.ForKind({"Pod"}, [&](size_t i, const Object& o) {
      if (Items(At(o.doc, {"metadata", "ownerReferences"})).empty())
        e.Fail(i, "no ownerReferences: nothing recreates the pod");
      else
        e.Pass(i);
    });
  };
}

}  // namespace

Result<Report> Evaluate(const std::vector<Object>& objects, const EvaluateOptions& options) {
  std::vector<std::string> ids;
  if (!options.only.empty()) {
    DAI_ASSIGN_OR_RETURN(ids, ResolveChecks(options.only));
  } else {
    for (const auto& c : Catalog())
      if (!c.optional || options.include_optional) ids.emplace_back(c.id);
  }
  Report report;
  Evaluator evaluator(objects, options.include_passes);
  for (const auto& c : Catalog()) {
    if (std::find(ids.begin(), ids.end(), c.id) == ids.end()) continue;
    evaluator.Run(c, report);
    report.checks_run.emplace_back(c.id);
  }
  std::stable_sort(
      report.results.begin(), report.results.end(),
      [](const CheckResult& a, const CheckResult& b) { return a.object_index < b.object_index; });
  return report;
}

}  // namespace dai::posture
