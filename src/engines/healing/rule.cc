#include "engines/healing/rule.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include "core/yaml_input.h"

#include <algorithm>
#include <array>
#include <set>

namespace dai::healing {
namespace {

constexpr std::array<std::string_view, 7> kConditionNames = {
    "alert",        "metric_threshold", "anomaly",     "deployment_failure",
    "config_drift", "log_pattern",      "health_check"};
constexpr std::array<std::string_view, 13> kActionNames = {
    "restart_process", "restart_service", "restart_pod",    "rollout_restart", "scale_up",
    "scale_down",      "rollback",        "cordon_node",    "run_runbook",     "http_request",
    "notify",          "apply_desired",   "argocd_rollback"};

std::string Join(const auto& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string Field(std::string_view where, std::string_view key) {
  if (where.empty()) return std::string(key);
  return std::string(where) + "." + std::string(key);
}

Status Bad(const std::string& field, const std::string& what) {
  return Status::InvalidArgument(field + ": " + what);
}

// Label names as Prometheus defines them.
bool ValidLabelName(std::string_view n) {
  if (n.empty() || n.size() > 128) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Names that reach argv or a URL path as one element: no separators, no option look-alikes.
bool SafeName(std::string_view n, std::string_view extra = "") {
  if (n.empty() || n.size() > 253 || n[0] == '-') return false;
  for (char c : n) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return n != "." && n != "..";
}

Result<int> IntField(const Json& spec, std::string_view key, int def, int lo, int hi,
                     std::string_view where) {
  if (!spec.contains(key)) return def;
  const Json& v = spec[std::string(key)];
  if (!v.is_number_integer()) return Bad(Field(where, key), "expected an integer");
  const int64_t n = v.get<int64_t>();
  if (n < lo || n > hi) {
    return Bad(Field(where, key),
               "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return static_cast<int>(n);
}

Result<bool> BoolField(const Json& spec, std::string_view key, bool def, std::string_view where) {
  if (!spec.contains(key)) return def;
  const Json& v = spec[std::string(key)];
  if (!v.is_boolean()) return Bad(Field(where, key), "expected true or false");
  return v.get<bool>();
}

Result<std::string> StringField(const Json& obj, std::string_view key, bool required,
                                size_t max_len, std::string_view where) {
  if (!obj.contains(key)) {
    if (required) return Bad(Field(where, key), "required");
    return std::string();
  }
  const Json& v = obj[std::string(key)];
  if (!v.is_string()) return Bad(Field(where, key), "expected a string");
  std::string s = v.get<std::string>();
  if (required && s.empty()) return Bad(Field(where, key), "must not be empty");
  if (s.size() > max_len)
    return Bad(Field(where, key), "longer than " + std::to_string(max_len) + " characters");
  return s;
}

Status CheckKeys(const Json& obj, std::initializer_list<std::string_view> allowed,
                 std::string_view where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      return Bad(Field(where, it.key()), "unknown key (accepted: " + Join(allowed) + ")");
    }
  }
  return Status::Ok();
}

Result<std::vector<LabelMatcher>> ParseMatchers(const Json& cfg, std::string_view where) {
  std::vector<LabelMatcher> out;
  if (!cfg.contains("matchers")) return out;
  const Json& m = cfg["matchers"];
  const std::string field = Field(where, "matchers");
  if (m.is_array()) {
    if (m.size() > 64) return Bad(field, "at most 64 matchers");
    for (size_t idx = 0; idx < m.size(); ++idx) {
      const std::string f = field + "[" + std::to_string(idx) + "]";
      if (!m[idx].is_string()) return Bad(f, "expected a matcher string such as alertname=\"X\"");
      auto parsed = ParseLabelMatcher(m[idx].get<std::string>());
      if (!parsed.ok()) return Bad(f, parsed.status().message());
      out.push_back(std::move(parsed).value());
    }
  } else if (m.is_object()) {
    if (m.size() > 64) return Bad(field, "at most 64 matchers");
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (!ValidLabelName(it.key())) return Bad(field + "." + it.key(), "not a valid label name");
      if (!it.value().is_string()) return Bad(field + "." + it.key(), "expected a string value");
      LabelMatcher lm;
      lm.name = it.key();
      lm.value = it.value().get<std::string>();
      out.push_back(std::move(lm));
    }
  } else {
    return Bad(field, "expected a list of matcher strings or an object of label: value");
  }
  return out;
}

Status ValidateCondition(ConditionType type, const Json& cfg, std::string_view where,
                         std::vector<LabelMatcher>& matchers) {
  if (!cfg.is_object()) return Bad(std::string(where), "expected an object");
  DAI_ASSIGN_OR_RETURN(matchers, ParseMatchers(cfg, where));
  switch (type) {
    case ConditionType::kAlert:
    case ConditionType::kAnomaly:
    case ConditionType::kDeploymentFailure:
    case ConditionType::kLogPattern:
    case ConditionType::kHealthCheck: {
      DAI_RETURN_IF_ERROR(CheckKeys(cfg, {"matchers"}, where));
      // Explicit selectors only: a rule that would match every signal is refused.
      bool has_eq = false;
      for (const auto& m : matchers)
        has_eq = has_eq || (m.op == LabelMatcher::Op::kEq && !m.value.empty());
      if (!has_eq) {
        return Bad(Field(where, "matchers"),
                   "at least one equality matcher (e.g. alertname=\"NodeDown\") is required, so a "
                   "rule never matches every signal");
      }
      return Status::Ok();
    }
    case ConditionType::kConfigDrift: {
      // Evaluated by the rule itself (like metric_threshold): desired state from a file, actual
      // state from a file on this host or from the live Kubernetes objects. Matchers optional.
      DAI_RETURN_IF_ERROR(CheckKeys(
          cfg, {"matchers", "format", "desired", "actual", "namespace", "repository", "ref"},
          where));
      DAI_ASSIGN_OR_RETURN(std::string format, StringField(cfg, "format", true, 16, where));
      if (format != "kubernetes" && format != "keyvalue" && format != "text") {
        return Bad(Field(where, "format"), "one of kubernetes, keyvalue, text");
      }
      DAI_ASSIGN_OR_RETURN(std::string desired, StringField(cfg, "desired", true, 4096, where));
      // Desired state from a file, or from a file of a local git repository at a ref.
      DAI_ASSIGN_OR_RETURN(std::string repository,
                           StringField(cfg, "repository", false, 4096, where));
      DAI_ASSIGN_OR_RETURN(std::string ref, StringField(cfg, "ref", false, 255, where));
      if (!repository.empty()) {
        if (repository[0] != '/') {
          return Bad(Field(where, "repository"),
                     "an absolute path (a git repository under drift_roots)");
        }
        if (desired[0] == '/' || desired.find("..") != std::string::npos) {
          return Bad(Field(where, "desired"),
                     "with repository: a path inside the repository, without \"..\"");
        }
        if (!ref.empty() && (ref[0] == '-' || ref.find(':') != std::string::npos)) {
          return Bad(Field(where, "ref"), "a branch, tag or commit");
        }
      } else if (!ref.empty()) {
        return Bad(Field(where, "ref"), "only with repository");
      } else if (desired[0] != '/') {
        return Bad(Field(where, "desired"), "an absolute path (a file under drift_roots)");
      }
      DAI_ASSIGN_OR_RETURN(std::string actual, StringField(cfg, "actual", false, 4096, where));
      if (format == "kubernetes") {
        if (!actual.empty()) {
          return Bad(Field(where, "actual"),
                     "not used with format kubernetes: the live objects are the actual state");
        }
      } else if (actual.empty() || actual[0] != '/') {
        return Bad(Field(where, "actual"),
                   "an absolute path (the file on this host, under drift_roots)");
      }
      DAI_ASSIGN_OR_RETURN(std::string ns, StringField(cfg, "namespace", false, 63, where));
      if (!ns.empty() && format != "kubernetes") {
        return Bad(Field(where, "namespace"), "only with format kubernetes");
      }
      return Status::Ok();
    }
    case ConditionType::kMetricThreshold: {
      DAI_RETURN_IF_ERROR(
          CheckKeys(cfg, {"matchers", "query", "op", "threshold", "forSeconds"}, where));
      DAI_RETURN_IF_ERROR(StringField(cfg, "query", true, 10000, where).status());
      DAI_ASSIGN_OR_RETURN(std::string op, StringField(cfg, "op", false, 4, where));
      static const std::set<std::string> kOps = {"", ">", ">=", "<", "<=", "==", "!="};
      if (!kOps.count(op)) return Bad(Field(where, "op"), "one of >, >=, <, <=, ==, !=");
      if (!cfg.contains("threshold") || !cfg["threshold"].is_number()) {
        return Bad(Field(where, "threshold"), "required number");
      }
      DAI_RETURN_IF_ERROR(IntField(cfg, "forSeconds", 0, 0, 86400, where).status());
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Result<TargetSelector> ParseTarget(const Json& cfg, std::string_view where,
                                   std::string_view extra_chars) {
  TargetSelector t;
  DAI_ASSIGN_OR_RETURN(t.fixed, StringField(cfg, "target", false, 253, where));
  DAI_ASSIGN_OR_RETURN(t.from_label, StringField(cfg, "targetLabel", false, 128, where));
  if (!t.fixed.empty() && !t.from_label.empty()) {
    return Bad(Field(where, "targetLabel"), "give either target or targetLabel, not both");
  }
  if (t.fixed.empty() && t.from_label.empty()) {
    return Bad(Field(where, "target"), "required (or targetLabel with allowedTargets)");
  }
  if (!t.fixed.empty() && !SafeName(t.fixed, extra_chars)) {
    return Bad(
        Field(where, "target"),
        "only letters, digits, '-', '_', '.'" +
            std::string(extra_chars.empty() ? "" : " and '" + std::string(extra_chars) + "'") +
            " are allowed, not starting with '-'");
  }
  if (!t.from_label.empty()) {
    if (!ValidLabelName(t.from_label))
      return Bad(Field(where, "targetLabel"), "not a valid label name");
    if (!cfg.contains("allowedTargets") || !cfg["allowedTargets"].is_array() ||
        cfg["allowedTargets"].empty()) {
      return Bad(Field(where, "allowedTargets"),
                 "required with targetLabel: the explicit list of targets the rule may act on");
    }
    const Json& a = cfg["allowedTargets"];
    if (a.size() > 1000) return Bad(Field(where, "allowedTargets"), "at most 1000 targets");
    for (size_t idx = 0; idx < a.size(); ++idx) {
      const std::string f = Field(where, "allowedTargets") + "[" + std::to_string(idx) + "]";
      if (!a[idx].is_string() || !SafeName(a[idx].get<std::string>(), extra_chars)) {
        return Bad(f, "expected a target name (letters, digits, '-', '_', '.')");
      }
      t.allowed.push_back(a[idx].get<std::string>());
    }
  } else if (cfg.contains("allowedTargets")) {
    return Bad(Field(where, "allowedTargets"), "only used with targetLabel");
  }
  return t;
}

Status ValidateUrl(const Json& cfg, std::string_view where) {
  DAI_ASSIGN_OR_RETURN(std::string url, StringField(cfg, "url", true, 2048, where));
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Bad(Field(where, "url"), "must start with http:// or https://");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20)
      return Bad(Field(where, "url"), "must not contain spaces or control characters");
  }
  return Status::Ok();
}

Status ValidateAction(ActionType type, const Json& cfg, std::string_view where,
                      TargetSelector& target) {
  if (!cfg.is_object()) return Bad(std::string(where), "expected an object");
  const std::initializer_list<std::string_view> target_keys = {"target", "targetLabel",
                                                               "allowedTargets"};
  auto keys = [&](std::initializer_list<std::string_view> extra) {
    std::vector<std::string_view> all(target_keys);
    all.insert(all.end(), extra);
    for (auto it = cfg.begin(); it != cfg.end(); ++it) {
      if (std::find(all.begin(), all.end(), it.key()) == all.end()) {
        return Bad(Field(where, it.key()), "unknown key (accepted: " + Join(all) + ")");
      }
    }
    return Status::Ok();
  };
  switch (type) {
    case ActionType::kRestartProcess:
    case ActionType::kRestartService: {
      DAI_RETURN_IF_ERROR(keys({"verifyTimeoutSeconds"}));
      DAI_ASSIGN_OR_RETURN(target,
                           ParseTarget(cfg, where, type == ActionType::kRestartService ? "@" : ""));
      DAI_RETURN_IF_ERROR(IntField(cfg, "verifyTimeoutSeconds", 10, 1, 600, where).status());
      return Status::Ok();
    }
    case ActionType::kRestartPod:
    case ActionType::kRolloutRestart:
    case ActionType::kRollback:
    case ActionType::kScaleUp:
    case ActionType::kScaleDown: {
      DAI_RETURN_IF_ERROR(
          keys({"namespace", "kind", "minReplicas", "maxReplicas", "step", "verifyTimeoutSeconds",
                "targetValue", "metricLabel", "tolerance", "stabilizationSeconds"}));
      DAI_ASSIGN_OR_RETURN(target, ParseTarget(cfg, where, ""));
      DAI_RETURN_IF_ERROR(IntField(cfg, "verifyTimeoutSeconds", 120, 1, 1800, where).status());
      DAI_ASSIGN_OR_RETURN(std::string ns, StringField(cfg, "namespace", true, 63, where));
      if (!SafeName(ns)) return Bad(Field(where, "namespace"), "not a valid namespace name");
      DAI_ASSIGN_OR_RETURN(std::string kind, StringField(cfg, "kind", false, 32, where));
      if (!kind.empty() && kind != "deployment" && kind != "statefulset" && kind != "pod") {
        return Bad(Field(where, "kind"), "one of deployment, statefulset, pod");
      }
      if (type == ActionType::kScaleUp || type == ActionType::kScaleDown) {
        DAI_ASSIGN_OR_RETURN(int lo, IntField(cfg, "minReplicas", 1, 0, 10000, where));
        DAI_ASSIGN_OR_RETURN(int hi, IntField(cfg, "maxReplicas", -1, 0, 10000, where));
        if (hi < 0)
          return Bad(Field(where, "maxReplicas"), "required for scaling (the upper bound)");
        if (hi < lo) return Bad(Field(where, "maxReplicas"), "must be >= minReplicas");
        DAI_RETURN_IF_ERROR(IntField(cfg, "step", 1, 1, 1000, where).status());
        // Scale on a metric: the HPA formula from the signal's value and this target.
        if (cfg.contains("targetValue")) {
          if (!cfg["targetValue"].is_number() || !(cfg["targetValue"].get<double>() > 0)) {
            return Bad(Field(where, "targetValue"),
                       "a number > 0 (the metric's target per replica)");
          }
          if (cfg.contains("step")) {
            return Bad(Field(where, "step"), "give step or targetValue, not both");
          }
          DAI_ASSIGN_OR_RETURN(std::string label,
                               StringField(cfg, "metricLabel", false, 128, where));
          if (!label.empty() && !ValidLabelName(label)) {
            return Bad(Field(where, "metricLabel"), "not a valid label name");
          }
          if (cfg.contains("tolerance") &&
              (!cfg["tolerance"].is_number() || cfg["tolerance"].get<double>() < 0 ||
               cfg["tolerance"].get<double>() > 1)) {
            return Bad(Field(where, "tolerance"), "a number from 0 to 1");
          }
          DAI_RETURN_IF_ERROR(IntField(cfg, "stabilizationSeconds", 300, 0, 3600, where).status());
        } else {
          for (const char* k : {"metricLabel", "tolerance", "stabilizationSeconds"}) {
            if (cfg.contains(k)) return Bad(Field(where, k), "only with targetValue");
          }
        }
      }
      return Status::Ok();
    }
    case ActionType::kArgocdRollback: {
      DAI_RETURN_IF_ERROR(keys({"appNamespace", "historyId", "prune", "verifyTimeoutSeconds"}));
      DAI_ASSIGN_OR_RETURN(target, ParseTarget(cfg, where, ""));
      DAI_RETURN_IF_ERROR(IntField(cfg, "verifyTimeoutSeconds", 120, 1, 1800, where).status());
      DAI_ASSIGN_OR_RETURN(std::string ns, StringField(cfg, "appNamespace", false, 63, where));
      if (!ns.empty() && !SafeName(ns))
        return Bad(Field(where, "appNamespace"), "not a valid namespace name");
      if (cfg.contains("historyId") &&
          (!cfg["historyId"].is_number_integer() || cfg["historyId"].get<int64_t>() < 0))
        return Bad(Field(where, "historyId"),
                   "a history entry id (integer >= 0); absent: the entry before the current");
      if (cfg.contains("prune") && !cfg["prune"].is_boolean())
        return Bad(Field(where, "prune"), "true or false");
      return Status::Ok();
    }
    case ActionType::kCordonNode: {
      DAI_RETURN_IF_ERROR(keys({}));
      DAI_ASSIGN_OR_RETURN(target, ParseTarget(cfg, where, ""));
      return Status::Ok();
    }
    case ActionType::kRunRunbook: {
      DAI_RETURN_IF_ERROR(keys({"runbookId", "timeoutSeconds"}));
      if (!cfg.contains("runbookId") || !cfg["runbookId"].is_number_integer() ||
          cfg["runbookId"].get<int64_t>() < 1) {
        return Bad(Field(where, "runbookId"), "required positive integer");
      }
      DAI_RETURN_IF_ERROR(IntField(cfg, "timeoutSeconds", 600, 1, 86400, where).status());
      if (!cfg.contains("target") && !cfg.contains("targetLabel")) {
        target.fixed = "runbook-" + std::to_string(cfg["runbookId"].get<int64_t>());
        return Status::Ok();
      }
      DAI_ASSIGN_OR_RETURN(target, ParseTarget(cfg, where, ""));
      return Status::Ok();
    }
    case ActionType::kHttpRequest:
    case ActionType::kNotify: {
      DAI_RETURN_IF_ERROR(keys({"url", "method", "headers", "timeoutSeconds"}));
      DAI_RETURN_IF_ERROR(ValidateUrl(cfg, where));
      DAI_ASSIGN_OR_RETURN(std::string method, StringField(cfg, "method", false, 8, where));
      if (!method.empty() && method != "POST" && method != "PUT")
        return Bad(Field(where, "method"), "POST or PUT");
      if (cfg.contains("headers")) {
        const Json& h = cfg["headers"];
        if (!h.is_object() || h.size() > 32)
          return Bad(Field(where, "headers"), "an object of at most 32 string values");
        for (auto it = h.begin(); it != h.end(); ++it) {
          const bool ok = it.value().is_string() &&
                          it.key().find_first_of("\r\n:") == std::string::npos &&
                          it.value().get<std::string>().find_first_of("\r\n") == std::string::npos;
          if (!ok) return Bad(Field(where, "headers." + it.key()), "a string without CR/LF");
        }
      }
      DAI_RETURN_IF_ERROR(IntField(cfg, "timeoutSeconds", 10, 1, 120, where).status());
      if (!cfg.contains("target") && !cfg.contains("targetLabel")) {
        target.fixed = "webhook";
        return Status::Ok();
      }
      DAI_ASSIGN_OR_RETURN(target, ParseTarget(cfg, where, ""));
      return Status::Ok();
    }
    case ActionType::kApplyDesired: {
      // The target is the drifted object the rule's own evaluation names (label "object"); the
      // executor only ever applies what the rule's desired file says for that object.
      for (auto it = cfg.begin(); it != cfg.end(); ++it) {
        return Bad(Field(where, it.key()),
                   "apply_desired takes no settings: it applies the rule's desired state to the "
                   "drifted object");
      }
      target.from_label = "object";
      target.any_from_rule = true;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Result<Json> YamlToJson(const YAML::Node& node, int depth) {
  if (depth > 64) return Status::InvalidArgument("rule file nests deeper than 64 levels");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      // Quoted scalars stay strings; plain ones become booleans/integers/numbers when they are.
      if (node.Tag() == "!") return Json(s);
      if (s == "true" || s == "True" || s == "TRUE") return Json(true);
      if (s == "false" || s == "False" || s == "FALSE") return Json(false);
      if (s == "null" || s == "~") return Json(nullptr);
      if (!s.empty() && s.size() < 19 &&
          (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
        size_t pos = 0;
        bool digits = true;
        if (s[0] == '-') pos = 1;
        if (pos >= s.size()) digits = false;
        for (size_t i = pos; i < s.size(); ++i)
          digits = digits && std::isdigit(static_cast<unsigned char>(s[i]));
        if (digits) return Json(std::stoll(s));
        char* end = nullptr;
        const double d = std::strtod(s.c_str(), &end);
        if (end == s.c_str() + s.size() && std::isfinite(d)) return Json(d);
      }
      return Json(s);
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& child : node) {
        DAI_ASSIGN_OR_RETURN(Json c, YamlToJson(child, depth + 1));
        arr.push_back(std::move(c));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar())
          return Status::InvalidArgument("rule file: map keys must be plain strings");
        DAI_ASSIGN_OR_RETURN(Json c, YamlToJson(kv.second, depth + 1));
        obj[kv.first.Scalar()] = std::move(c);
      }
      return obj;
    }
  }
  return Json(nullptr);
}

}  // namespace

std::string_view ConditionTypeName(ConditionType t) {
  return kConditionNames[static_cast<size_t>(t)];
}
std::string_view ActionTypeName(ActionType t) { return kActionNames[static_cast<size_t>(t)]; }

Result<ConditionType> ParseConditionType(std::string_view name) {
  for (size_t idx = 0; idx < kConditionNames.size(); ++idx) {
    if (kConditionNames[idx] == name) return static_cast<ConditionType>(idx);
  }
  return Status::InvalidArgument("unknown condition type \"" + std::string(name.substr(0, 64)) +
                                 "\" (accepted: " + Join(kConditionNames) + ")");
}

Result<ActionType> ParseActionType(std::string_view name) {
  for (size_t idx = 0; idx < kActionNames.size(); ++idx) {
    if (kActionNames[idx] == name) return static_cast<ActionType>(idx);
  }
  return Status::InvalidArgument("action type \"" + std::string(name.substr(0, 64)) +
                                 "\" is not allowed (allow-listed: " + Join(kActionNames) + ")");
}

std::vector<std::string> ActionTypeNames() { return {kActionNames.begin(), kActionNames.end()}; }
std::vector<std::string> ConditionTypeNames() {
  return {kConditionNames.begin(), kConditionNames.end()};
}

bool LabelMatcher::Matches(const std::map<std::string, std::string>& labels) const {
  auto it = labels.find(name);
  static const std::string kEmpty;
  const std::string& v = it == labels.end() ? kEmpty : it->second;
  switch (op) {
    case Op::kEq:
      return v == value;
    case Op::kNe:
      return v != value;
    case Op::kRegex:
      return regex && RE2::FullMatch(v, *regex);
    case Op::kNotRegex:
      return !regex || !RE2::FullMatch(v, *regex);
  }
  return false;
}

std::string LabelMatcher::ToString() const {
  static constexpr std::array<std::string_view, 4> kOps = {"=", "!=", "=~", "!~"};
  std::string quoted;
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return name + std::string(kOps[static_cast<size_t>(op)]) + "\"" + quoted + "\"";
}

Result<LabelMatcher> ParseLabelMatcher(std::string_view text) {
  if (text.size() > 4096) return Status::InvalidArgument("matcher longer than 4096 characters");
  size_t pos = 0;
  auto skip_space = [&] {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  };
  skip_space();
  const size_t name_start = pos;
  while (pos < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_'))
    ++pos;
  LabelMatcher m;
  m.name = std::string(text.substr(name_start, pos - name_start));
  if (!ValidLabelName(m.name)) {
    return Status::InvalidArgument("matcher \"" + std::string(text.substr(0, 80)) +
                                   "\": expected a label name then =, !=, =~ or !~");
  }
  skip_space();
  auto rest = text.substr(pos);
  if (rest.rfind("=~", 0) == 0) {
    m.op = LabelMatcher::Op::kRegex;
    pos += 2;
  } else if (rest.rfind("!~", 0) == 0) {
    m.op = LabelMatcher::Op::kNotRegex;
    pos += 2;
  } else if (rest.rfind("!=", 0) == 0) {
    m.op = LabelMatcher::Op::kNe;
    pos += 2;
  } else if (rest.rfind("=", 0) == 0) {
    m.op = LabelMatcher::Op::kEq;
    pos += 1;
  } else {
    return Status::InvalidArgument("matcher \"" + std::string(text.substr(0, 80)) +
                                   "\": expected =, !=, =~ or !~ after the label name");
  }
  skip_space();
  if (pos < text.size() && text[pos] == '"') {
    ++pos;
    bool closed = false;
    while (pos < text.size()) {
      const char c = text[pos++];
      if (c == '\\') {
        if (pos >= text.size()) break;
        const char e = text[pos++];
        if (e == 'n') {
          m.value += '\n';
        } else {
          m.value += e;
        }
      } else if (c == '"') {
        closed = true;
        break;
      } else {
        m.value += c;
      }
    }
    if (!closed)
      return Status::InvalidArgument("matcher \"" + std::string(text.substr(0, 80)) +
                                     "\": unterminated quote");
    skip_space();
    if (pos != text.size()) {
      return Status::InvalidArgument("matcher \"" + std::string(text.substr(0, 80)) +
                                     "\": text after the closing quote");
    }
  } else {
    auto v = text.substr(pos);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    m.value = std::string(v);
  }
  if (m.op == LabelMatcher::Op::kRegex || m.op == LabelMatcher::Op::kNotRegex) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(1 << 20);
    auto re = std::make_shared<const RE2>(m.value, options);
    if (!re->ok()) {
      return Status::InvalidArgument("matcher \"" + std::string(text.substr(0, 80)) +
                                     "\": invalid regular expression: " + re->error());
    }
    m.regex = std::move(re);
  }
  return m;
}

std::optional<std::string> TargetSelector::Resolve(const std::map<std::string, std::string>& labels,
                                                   std::string* why) const {
  if (!fixed.empty()) return fixed;
  auto it = labels.find(from_label);
  if (it == labels.end() || it->second.empty()) {
    if (why) *why = "the signal has no \"" + from_label + "\" label to name the target";
    return std::nullopt;
  }
  if (!any_from_rule && std::find(allowed.begin(), allowed.end(), it->second) == allowed.end()) {
    if (why)
      *why = "target \"" + it->second.substr(0, 200) + "\" (from label " + from_label +
             ") is not in allowedTargets";
    return std::nullopt;
  }
  return it->second;
}

Json Rule::ToSpec() const {
  Json spec = {{"name", name},
               {"description", description},
               {"enabled", enabled},
               {"conditionType", std::string(ConditionTypeName(condition))},
               {"conditionConfig", condition_config},
               {"actionType", std::string(ActionTypeName(action))},
               {"actionConfig", action_config},
               {"cooldownSeconds", cooldown_seconds},
               {"maxRetries", max_retries},
               {"maxExecutionsPerHour", max_executions_per_hour},
               {"requiresApproval", requires_approval},
               {"dryRun", dry_run},
               {"priority", priority},
               {"verifySeconds", verify_seconds},
               {"breakerFailures", breaker_failures},
               {"breakerResetSeconds", breaker_reset_seconds}};
  if (auto_approve.min_confidence > 0) {
    spec["autoApprove"] = {{"minConfidence", auto_approve.min_confidence},
                           {"minSamples", auto_approve.min_samples}};
  }
  return spec;
}

Result<Rule> RuleFromSpec(const Json& spec, std::string_view where) {
  if (!spec.is_object())
    return Bad(where.empty() ? "rule" : std::string(where), "expected an object");
  DAI_RETURN_IF_ERROR(
      CheckKeys(spec,
                {"id", "name", "description", "enabled", "conditionType", "conditionConfig",
                 "actionType", "actionConfig", "cooldownSeconds", "maxRetries",
                 "maxExecutionsPerHour", "requiresApproval", "dryRun", "priority", "verifySeconds",
                 "breakerFailures", "breakerResetSeconds", "autoApprove"},
                where));
  Rule r;
  if (spec.contains("id")) {
    if (!spec["id"].is_number_integer()) return Bad(Field(where, "id"), "expected an integer");
    r.id = spec["id"].get<int64_t>();
  }
  DAI_ASSIGN_OR_RETURN(r.name, StringField(spec, "name", true, 200, where));
  DAI_ASSIGN_OR_RETURN(r.description, StringField(spec, "description", false, 4000, where));
  DAI_ASSIGN_OR_RETURN(r.enabled, BoolField(spec, "enabled", true, where));
  DAI_ASSIGN_OR_RETURN(std::string ctype, StringField(spec, "conditionType", true, 64, where));
  auto ct = ParseConditionType(ctype);
  if (!ct.ok()) return Bad(Field(where, "conditionType"), ct.status().message());
  r.condition = *ct;
  r.condition_config = spec.contains("conditionConfig") ? spec["conditionConfig"] : Json::object();
  DAI_RETURN_IF_ERROR(ValidateCondition(r.condition, r.condition_config,
                                        Field(where, "conditionConfig"), r.matchers));
  DAI_ASSIGN_OR_RETURN(std::string atype, StringField(spec, "actionType", true, 64, where));
  auto at = ParseActionType(atype);
  if (!at.ok()) return Bad(Field(where, "actionType"), at.status().message());
  r.action = *at;
  r.action_config = spec.contains("actionConfig") ? spec["actionConfig"] : Json::object();
  DAI_RETURN_IF_ERROR(
      ValidateAction(r.action, r.action_config, Field(where, "actionConfig"), r.target));
  if (r.action == ActionType::kApplyDesired && r.condition != ConditionType::kConfigDrift) {
    return Bad(Field(where, "actionType"),
               "apply_desired corrects drift: only with conditionType config_drift");
  }
  DAI_ASSIGN_OR_RETURN(r.cooldown_seconds, IntField(spec, "cooldownSeconds", 300, 0, 86400, where));
  DAI_ASSIGN_OR_RETURN(r.max_retries, IntField(spec, "maxRetries", 3, 0, 100, where));
  DAI_ASSIGN_OR_RETURN(r.max_executions_per_hour,
                       IntField(spec, "maxExecutionsPerHour", 10, 0, 3600, where));
  DAI_ASSIGN_OR_RETURN(r.requires_approval, BoolField(spec, "requiresApproval", true, where));
  DAI_ASSIGN_OR_RETURN(r.dry_run, BoolField(spec, "dryRun", false, where));
  DAI_ASSIGN_OR_RETURN(r.priority, IntField(spec, "priority", 100, 0, 1000000, where));
  DAI_ASSIGN_OR_RETURN(r.verify_seconds, IntField(spec, "verifySeconds", 120, 1, 86400, where));
  DAI_ASSIGN_OR_RETURN(r.breaker_failures, IntField(spec, "breakerFailures", 3, 1, 100, where));
  DAI_ASSIGN_OR_RETURN(r.breaker_reset_seconds,
                       IntField(spec, "breakerResetSeconds", 1800, 0, 7 * 86400, where));
  if (spec.contains("autoApprove")) {
    const Json& a = spec["autoApprove"];
    const std::string f = Field(where, "autoApprove");
    if (!a.is_object()) return Bad(f, "expected an object {minConfidence, minSamples}");
    DAI_RETURN_IF_ERROR(CheckKeys(a, {"minConfidence", "minSamples"}, f));
    if (!a.contains("minConfidence") || !a["minConfidence"].is_number()) {
      return Bad(Field(f, "minConfidence"), "required number in (0, 1]");
    }
    const double c = a["minConfidence"].get<double>();
    if (!(c > 0 && c <= 1)) return Bad(Field(f, "minConfidence"), "must be in (0, 1]");
    r.auto_approve.min_confidence = c;
    DAI_ASSIGN_OR_RETURN(r.auto_approve.min_samples, IntField(a, "minSamples", 5, 1, 100000, f));
  }
  return r;
}

Result<std::vector<Rule>> ParseRuleFile(std::string_view text, const RuleFileLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::PayloadTooLarge("rule file larger than " + std::to_string(limits.max_bytes) +
                                   " bytes");
  }
  DAI_RETURN_IF_ERROR(CheckYamlInput(text, "rule file"));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::ParseError("rule file: " + std::string(e.what()));
  }
  Json doc;
  try {
    DAI_ASSIGN_OR_RETURN(doc, YamlToJson(root, 0));
  } catch (const YAML::Exception& e) {
    return Status::ParseError("rule file: " + std::string(e.what()));
  }
  if (!doc.is_object() || !doc.contains("rules") || !doc["rules"].is_array()) {
    return Status::InvalidArgument("rule file: expected a top-level \"rules:\" list");
  }
  DAI_RETURN_IF_ERROR(CheckKeys(doc, {"rules"}, "rule file"));
  const Json& list = doc["rules"];
  if (list.size() > limits.max_rules) {
    return Status::InvalidArgument("rule file: more than " + std::to_string(limits.max_rules) +
                                   " rules");
  }
  std::vector<Rule> out;
  out.reserve(list.size());
  std::set<std::string> names;
  for (size_t idx = 0; idx < list.size(); ++idx) {
    const std::string where = "rules[" + std::to_string(idx) + "]";
    DAI_ASSIGN_OR_RETURN(Rule r, RuleFromSpec(list[idx], where));
    if (!names.insert(r.name).second)
      return Bad(where + ".name", "duplicate rule name \"" + r.name + "\"");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace dai::healing
