#include "engines/runbook/runbook.h"

#include <yaml-cpp/yaml.h>

#include "core/yaml_input.h"

#include <array>
#include <cctype>
#include <cmath>

namespace dai::runbook {
namespace {

constexpr std::array<std::string_view, 8> kStepNames = {"command", "wait",   "approval", "notify",
                                                        "http",    "promql", "healing",  "runbook"};
constexpr std::array<std::string_view, 6> kStatusNames = {
    "pending", "running", "succeeded", "failed", "skipped", "awaiting_approval"};

Status Bad(const std::string& field, const std::string& what) {
  return Status::InvalidArgument(field + ": " + what);
}

Status CheckKeys(const Json& obj, std::initializer_list<std::string_view> allowed,
                 const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (auto a : allowed) ok = ok || it.key() == a;
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return Bad(where.empty() ? it.key() : where + "." + it.key(),
                 "unknown field (expected one of: " + list + ")");
    }
  }
  return Status::Ok();
}

bool SafeName(std::string_view n) {
  if (n.empty() || n.size() > 200) return false;
  for (char c : n) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return n[0] != '-' && n[0] != '.';
}

bool ParamName(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

Result<std::string> Str(const Json& obj, std::string_view key, const std::string& where,
                        bool required, size_t max = 4096) {
  if (!obj.contains(key)) {
    if (required) return Bad(where + "." + std::string(key), "is required");
    return std::string();
  }
  const Json& v = obj[std::string(key)];
  if (!v.is_string()) return Bad(where + "." + std::string(key), "expected a string");
  const std::string s = v.get<std::string>();
  if (s.size() > max)
    return Bad(where + "." + std::string(key), "longer than " + std::to_string(max) + " bytes");
  return s;
}

Result<bool> BoolField(const Json& obj, std::string_view key, bool def, const std::string& where) {
  if (!obj.contains(key)) return def;
  const Json& v = obj[std::string(key)];
  if (!v.is_boolean())
    return Bad(where.empty() ? std::string(key) : where + "." + std::string(key),
               "expected true or false");
  return v.get<bool>();
}

Result<std::map<std::string, std::string>> StringMap(const Json& v, const std::string& where) {
  if (!v.is_object()) return Bad(where, "expected a map of strings");
  std::map<std::string, std::string> out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_string()) return Bad(where + "." + it.key(), "expected a string");
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

// Every {{name}} in `text` must name a declared parameter.
Status CheckTemplate(std::string_view text, const std::set<std::string>& declared,
                     const std::string& field) {
  size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    const size_t end = text.find("}}", pos + 2);
    if (end == std::string_view::npos) return Bad(field, "unclosed {{");
    const std::string name(text.substr(pos + 2, end - pos - 2));
    if (!ParamName(name)) return Bad(field, "\"{{" + name + "}}\" is not a parameter name");
    if (!declared.count(name))
      return Bad(field, "uses {{" + name + "}} but \"parameters\" does not declare it");
    pos = end + 2;
  }
  return Status::Ok();
}

Result<Json> YamlToJson(const YAML::Node& node, int depth) {
  if (depth > 32) return Status::InvalidArgument("runbook nests deeper than 32 levels");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return Json(s);  // quoted: stays a string
      if (s == "true" || s == "True" || s == "TRUE") return Json(true);
      if (s == "false" || s == "False" || s == "FALSE") return Json(false);
      if (s == "null" || s == "~") return Json(nullptr);
      if (!s.empty() && s.size() < 19) {
        size_t start = s[0] == '-' ? 1 : 0;
        bool digits = start < s.size();
        for (size_t i = start; i < s.size(); ++i)
          digits = digits && std::isdigit(static_cast<unsigned char>(s[i]));
        if (digits) return Json(std::stoll(s));
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
          return Status::InvalidArgument("runbook: map keys must be plain strings");
        DAI_ASSIGN_OR_RETURN(Json c, YamlToJson(kv.second, depth + 1));
        obj[kv.first.Scalar()] = std::move(c);
      }
      return obj;
    }
  }
  return Json(nullptr);
}

Result<Step> ParseStep(const Json& s, size_t i, const std::set<std::string>& declared,
                       const Limits& limits) {
  const std::string where = "steps[" + std::to_string(i) + "]";
  if (!s.is_object()) return Bad(where, "expected a map");
  Step step;
  DAI_ASSIGN_OR_RETURN(step.name, Str(s, "name", where, false, 200));
  if (step.name.empty()) step.name = "step " + std::to_string(i + 1);
  std::vector<std::string_view> kinds;
  for (auto k : kStepNames) {
    if (s.contains(k)) kinds.push_back(k);
  }
  if (kinds.size() != 1) {
    return Bad(where,
               kinds.empty()
                   ? "needs one of command, wait, approval, notify, http, promql, healing, runbook"
                   : "has more than one step type (" + std::string(kinds[0]) + ", " +
                         std::string(kinds[1]) + ")");
  }
  const std::string kind(kinds[0]);
  DAI_RETURN_IF_ERROR(CheckKeys(s, {"name", kinds[0], "onInterrupt"}, where));
  if (s.contains("onInterrupt")) {
    const Json& oi = s["onInterrupt"];
    if (!oi.is_string() || (oi.get<std::string>() != "retry" && oi.get<std::string>() != "fail"))
      return Bad(where + ".onInterrupt", "must be retry or fail");
    step.retry_on_interrupt = oi.get<std::string>() == "retry";
  }
  const Json& v = s[kind];
  const std::string f = where + "." + kind;
  for (size_t k = 0; k < kStepNames.size(); ++k) {
    if (kStepNames[k] == kind) step.type = static_cast<StepType>(k);
  }
  switch (step.type) {
    case StepType::kCommand: {
      if (!v.is_object()) return Bad(f, "expected a map with argv");
      DAI_RETURN_IF_ERROR(CheckKeys(v, {"argv", "workdir", "env", "timeout", "destructive"}, f));
      if (!v.contains("argv") || !v["argv"].is_array() || v["argv"].empty()) {
        return Bad(f + ".argv",
                   "expected a non-empty list of strings (no shell: one element per argument)");
      }
      if (v["argv"].size() > limits.max_argv)
        return Bad(f + ".argv", "more than " + std::to_string(limits.max_argv) + " elements");
      for (size_t a = 0; a < v["argv"].size(); ++a) {
        const Json& e = v["argv"][a];
        const std::string af = f + ".argv[" + std::to_string(a) + "]";
        if (!e.is_string() && !e.is_number_integer()) return Bad(af, "expected a string");
        std::string arg = e.is_string() ? e.get<std::string>() : std::to_string(e.get<int64_t>());
        if (arg.size() > limits.max_arg_bytes)
          return Bad(af, "longer than " + std::to_string(limits.max_arg_bytes) + " bytes");
        if (arg.find('\0') != std::string::npos) return Bad(af, "contains a NUL byte");
        if (a == 0) {
          if (arg.empty() || arg[0] != '/')
            return Bad(af, "the executable must be an absolute path (\"" + arg + "\")");
          if (arg.find("{{") != std::string::npos)
            return Bad(af, "the executable cannot come from a parameter");
        } else {
          DAI_RETURN_IF_ERROR(CheckTemplate(arg, declared, af));
        }
        step.argv.push_back(std::move(arg));
      }
      DAI_ASSIGN_OR_RETURN(step.workdir, Str(v, "workdir", f, false, 1024));
      if (!step.workdir.empty() && step.workdir[0] != '/')
        return Bad(f + ".workdir", "must be an absolute path");
      if (v.contains("env")) {
        DAI_ASSIGN_OR_RETURN(step.env, StringMap(v["env"], f + ".env"));
        for (const auto& [k, val] : step.env) {
          if (!ParamName(k)) return Bad(f + ".env." + k, "not a valid variable name");
          DAI_RETURN_IF_ERROR(CheckTemplate(val, declared, f + ".env." + k));
        }
      }
      if (v.contains("timeout")) {
        DAI_ASSIGN_OR_RETURN(step.timeout, ParseDuration(v["timeout"], f + ".timeout"));
        if (step.timeout <= Millis(0) || step.timeout > limits.max_timeout)
          return Bad(f + ".timeout", "must be above 0 and at most 1h");
      }
      DAI_ASSIGN_OR_RETURN(step.destructive, BoolField(v, "destructive", true, f));
      break;
    }
    case StepType::kWait: {
      DAI_ASSIGN_OR_RETURN(step.duration, ParseDuration(v, f));
      if (step.duration < Millis(0) || step.duration > limits.max_timeout)
        return Bad(f, "must be between 0 and 1h");
      break;
    }
    case StepType::kApproval:
    case StepType::kNotify:
      if (!v.is_string() || v.get<std::string>().empty())
        return Bad(f, "expected a non-empty text");
      step.text = v.get<std::string>();
      if (step.text.size() > 4096) return Bad(f, "longer than 4096 bytes");
      DAI_RETURN_IF_ERROR(CheckTemplate(step.text, declared, f));
      break;
    case StepType::kHttp: {
      if (!v.is_object()) return Bad(f, "expected a map with method and url");
      DAI_RETURN_IF_ERROR(CheckKeys(v, {"method", "url", "body", "timeout", "destructive"}, f));
      DAI_ASSIGN_OR_RETURN(step.method, Str(v, "method", f, false, 10));
      if (step.method.empty()) step.method = "GET";
      if (step.method != "GET" && step.method != "POST" && step.method != "PUT" &&
          step.method != "DELETE") {
        return Bad(f + ".method", "expected GET, POST, PUT or DELETE");
      }
      DAI_ASSIGN_OR_RETURN(step.url, Str(v, "url", f, true, 2048));
      if (step.url.rfind("http://", 0) != 0 && step.url.rfind("https://", 0) != 0)
        return Bad(f + ".url", "expected an http(s) URL");
      DAI_RETURN_IF_ERROR(CheckTemplate(step.url, declared, f + ".url"));
      DAI_ASSIGN_OR_RETURN(step.body, Str(v, "body", f, false, 65536));
      DAI_RETURN_IF_ERROR(CheckTemplate(step.body, declared, f + ".body"));
      if (v.contains("timeout")) {
        DAI_ASSIGN_OR_RETURN(step.timeout, ParseDuration(v["timeout"], f + ".timeout"));
      }
      DAI_ASSIGN_OR_RETURN(step.destructive, BoolField(v, "destructive", step.method != "GET", f));
      break;
    }
    case StepType::kPromql: {
      if (!v.is_object()) return Bad(f, "expected a map with query");
      DAI_RETURN_IF_ERROR(CheckKeys(v, {"query", "timeout"}, f));
      DAI_ASSIGN_OR_RETURN(step.text, Str(v, "query", f, true, 8192));
      DAI_RETURN_IF_ERROR(CheckTemplate(step.text, declared, f + ".query"));
      if (v.contains("timeout")) {
        DAI_ASSIGN_OR_RETURN(step.timeout, ParseDuration(v["timeout"], f + ".timeout"));
      }
      break;
    }
    case StepType::kHealing: {
      if (!v.is_object()) return Bad(f, "expected a map with action and target");
      DAI_RETURN_IF_ERROR(CheckKeys(v, {"action", "target"}, f));
      DAI_ASSIGN_OR_RETURN(step.action, Str(v, "action", f, true, 100));
      if (!SafeName(step.action)) return Bad(f + ".action", "not a valid action name");
      DAI_ASSIGN_OR_RETURN(step.target, Str(v, "target", f, true, 1024));
      DAI_RETURN_IF_ERROR(CheckTemplate(step.target, declared, f + ".target"));
      step.destructive = true;
      break;
    }
    case StepType::kRunbook:
      if (!v.is_string() || !SafeName(v.get<std::string>()))
        return Bad(f, "expected a runbook name");
      step.text = v.get<std::string>();
      step.destructive = true;
      break;
  }
  return step;
}

}  // namespace

std::string_view StepTypeName(StepType t) { return kStepNames[static_cast<size_t>(t)]; }
std::string_view StepStatusName(StepStatus s) { return kStatusNames[static_cast<size_t>(s)]; }

std::optional<StepStatus> ParseStepStatus(std::string_view name) {
  for (size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<StepStatus>(i);
  }
  return std::nullopt;
}

Result<Millis> ParseDuration(const Json& value, std::string_view field) {
  const std::string f(field);
  if (value.is_number_integer()) {
    const int64_t s = value.get<int64_t>();
    if (s < 0 || s > 86400) return Bad(f, "seconds must be between 0 and 86400");
    return Millis(s * 1000);
  }
  if (!value.is_string()) return Bad(f, "expected a duration such as 30s, 5m or 250ms");
  const std::string s = value.get<std::string>();
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0 || i > 9)
    return Bad(f, "expected a duration such as 30s, 5m or 250ms, got \"" + s + "\"");
  const int64_t n = std::stoll(s.substr(0, i));
  const std::string unit = s.substr(i);
  if (unit == "ms") return Millis(n);
  if (unit == "s" || unit.empty()) return Millis(n * 1000);
  if (unit == "m") return Millis(n * 60'000);
  if (unit == "h") return Millis(n * 3'600'000);
  return Bad(f, "unknown duration unit \"" + unit + "\" (ms, s, m, h)");
}

Result<Runbook> ParseRunbook(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::PayloadTooLarge("runbook larger than " + std::to_string(limits.max_bytes) +
                                   " bytes");
  }
  DAI_RETURN_IF_ERROR(CheckYamlInput(text, "runbook"));
  Json doc;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    DAI_ASSIGN_OR_RETURN(doc, YamlToJson(root, 0));
  } catch (const YAML::Exception& e) {
    return Status::ParseError("runbook: " + std::string(e.what()));
  }
  return ParseRunbookJson(doc, limits);
}

Result<Runbook> ParseRunbookJson(const Json& doc, const Limits& limits) {
  if (!doc.is_object())
    return Status::InvalidArgument("runbook: expected a map with name and steps");
  DAI_RETURN_IF_ERROR(CheckKeys(
      doc,
      {"name", "description", "trigger", "autoExecute", "requiresApproval", "parameters", "steps"},
      ""));
  Runbook rb;
  DAI_ASSIGN_OR_RETURN(rb.name, Str(doc, "name", "runbook", true, 200));
  if (!SafeName(rb.name))
    return Bad("name", "use letters, digits, '-', '_' and '.' (\"" + rb.name + "\")");
  DAI_ASSIGN_OR_RETURN(rb.description, Str(doc, "description", "runbook", false, 8192));
  DAI_ASSIGN_OR_RETURN(rb.auto_execute, BoolField(doc, "autoExecute", false, ""));
  DAI_ASSIGN_OR_RETURN(rb.requires_approval, BoolField(doc, "requiresApproval", true, ""));
  if (doc.contains("trigger")) {
    const Json& t = doc["trigger"];
    if (!t.is_object()) return Bad("trigger", "expected a map with labels and severity");
    DAI_RETURN_IF_ERROR(CheckKeys(t, {"labels", "severity"}, "trigger"));
    if (t.contains("labels")) {
      DAI_ASSIGN_OR_RETURN(rb.trigger.labels, StringMap(t["labels"], "trigger.labels"));
    }
    if (t.contains("severity")) {
      Json sev = t["severity"].is_string() ? Json::array({t["severity"]}) : t["severity"];
      if (!sev.is_array())
        return Bad("trigger.severity", "expected a list of critical, high, medium, low");
      for (const auto& s : sev) {
        const std::string v = s.is_string() ? s.get<std::string>() : "";
        if (v != "critical" && v != "high" && v != "medium" && v != "low") {
          return Bad("trigger.severity",
                     "expected critical, high, medium or low, got " + DumpJson(s));
        }
        rb.trigger.severities.insert(v);
      }
    }
  }
  std::set<std::string> declared;
  if (doc.contains("parameters")) {
    if (!doc["parameters"].is_array()) return Bad("parameters", "expected a list of names");
    for (const auto& p : doc["parameters"]) {
      if (!p.is_string() || !ParamName(p.get<std::string>()))
        return Bad("parameters", "invalid parameter name " + DumpJson(p));
      if (!declared.insert(p.get<std::string>()).second)
        return Bad("parameters", "\"" + p.get<std::string>() + "\" twice");
      rb.parameters.push_back(p.get<std::string>());
    }
  }
  if (!doc.contains("steps") || !doc["steps"].is_array() || doc["steps"].empty()) {
    return Bad("steps", "expected a non-empty list of steps");
  }
  if (doc["steps"].size() > limits.max_steps)
    return Bad("steps", "more than " + std::to_string(limits.max_steps) + " steps");
  for (size_t i = 0; i < doc["steps"].size(); ++i) {
    DAI_ASSIGN_OR_RETURN(Step step, ParseStep(doc["steps"][i], i, declared, limits));
    rb.steps.push_back(std::move(step));
  }
  return rb;
}

bool Step::RetriesOnInterrupt() const {
  if (retry_on_interrupt) return *retry_on_interrupt;
  return type == StepType::kWait || type == StepType::kPromql ||
         (type == StepType::kHttp && method == "GET" && !destructive);
}

Json Step::ToJson() const {
  Json j = {{"name", name}};
  if (retry_on_interrupt) j["onInterrupt"] = *retry_on_interrupt ? "retry" : "fail";
  const std::string kind(StepTypeName(type));
  switch (type) {
    case StepType::kCommand: {
      Json c = {{"argv", argv},
                {"timeout", std::to_string(timeout.count()) + "ms"},
                {"destructive", destructive}};
      if (!workdir.empty()) c["workdir"] = workdir;
      if (!env.empty()) c["env"] = env;
      j[kind] = c;
      break;
    }
    case StepType::kWait:
      j[kind] = std::to_string(duration.count()) + "ms";
      break;
    case StepType::kApproval:
    case StepType::kNotify:
    case StepType::kRunbook:
      j[kind] = text;
      break;
    case StepType::kHttp: {
      Json h = {{"method", method},
                {"url", url},
                {"timeout", std::to_string(timeout.count()) + "ms"},
                {"destructive", destructive}};
      if (!body.empty()) h["body"] = body;
      j[kind] = h;
      break;
    }
    case StepType::kPromql:
      j[kind] = {{"query", text}, {"timeout", std::to_string(timeout.count()) + "ms"}};
      break;
    case StepType::kHealing:
      j[kind] = {{"action", action}, {"target", target}};
      break;
  }
  return j;
}

Json Runbook::ToJson() const {
  Json steps_json = Json::array();
  for (const auto& s : steps) steps_json.push_back(s.ToJson());
  Json trig = Json::object();
  if (!trigger.labels.empty()) trig["labels"] = trigger.labels;
  if (!trigger.severities.empty())
    trig["severity"] =
        Json(std::vector<std::string>(trigger.severities.begin(), trigger.severities.end()));
  return Json{{"name", name},
              {"description", description},
              {"trigger", trig},
              {"autoExecute", auto_execute},
              {"requiresApproval", requires_approval},
              {"parameters", parameters},
              {"steps", steps_json}};
}

bool Matches(const Trigger& trigger, const std::map<std::string, std::string>& labels,
             std::string_view severity) {
  if (!trigger.severities.empty() && !trigger.severities.count(std::string(severity))) return false;
  for (const auto& [k, v] : trigger.labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

Result<std::string> Expand(std::string_view text, const std::map<std::string, std::string>& params,
                           std::string_view field) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      return out;
    }
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return Bad(std::string(field), "unclosed {{");
    out.append(text.substr(pos, open - pos));
    const std::string name(text.substr(open + 2, close - open - 2));
    auto it = params.find(name);
    if (it == params.end())
      return Bad(std::string(field), "parameter \"" + name + "\" has no value");
    out += it->second;
    pos = close + 2;
  }
}

Result<std::vector<std::string>> ResolveArgv(const Step& step,
                                             const std::map<std::string, std::string>& params,
                                             const std::set<std::string>& allowed_executables) {
  if (step.type != StepType::kCommand || step.argv.empty()) {
    return Status::InvalidArgument("step \"" + step.name + "\" is not a command");
  }
  if (!allowed_executables.count(step.argv[0])) {
    return Status::PermissionDenied("step \"" + step.name + "\": executable " + step.argv[0] +
                                    " is not in the allow-list (setting runbook_executables)");
  }
  std::vector<std::string> out{step.argv[0]};
  for (size_t i = 1; i < step.argv.size(); ++i) {
    DAI_ASSIGN_OR_RETURN(std::string a,
                         Expand(step.argv[i], params, "argv[" + std::to_string(i) + "]"));
    if (a.find('\0') != std::string::npos)
      return Bad("argv[" + std::to_string(i) + "]", "a parameter value contains a NUL byte");
    out.push_back(std::move(a));
  }
  return out;
}

Next PlanNext(const Runbook& runbook, const std::vector<StepState>& states,
              const ExecutionContext& ctx) {
  if (runbook.requires_approval && !ctx.runbook_approved && !ctx.dry_run) {
    return {NextKind::kAwaitApproval, -1,
            "the runbook requires an operator's approval before it starts"};
  }
  for (size_t i = 0; i < runbook.steps.size(); ++i) {
    const StepState st = i < states.size() ? states[i] : StepState{};
    const Step& step = runbook.steps[i];
    switch (st.status) {
      case StepStatus::kSucceeded:
      case StepStatus::kSkipped:
        continue;
      case StepStatus::kFailed:
        return {NextKind::kFailed, static_cast<int>(i), "step \"" + step.name + "\" failed"};
      case StepStatus::kRunning:
        // The process stopped while this step ran. A step without side effects (or one marked
        // onInterrupt: retry) runs again, a bounded number of times; any other is not repeated.
        if (step.RetriesOnInterrupt() && st.interruptions < kMaxInterruptRetries) {
          return {NextKind::kRunStep, static_cast<int>(i),
                  "step \"" + step.name +
                      "\" was interrupted (the process stopped); retried (onInterrupt: retry)"};
        }
        return {NextKind::kFailed, static_cast<int>(i),
                "step \"" + step.name +
                    "\" was started but its outcome was never recorded (the process stopped); it "
                    "is not repeated" +
                    (step.RetriesOnInterrupt()
                         ? " after " + std::to_string(st.interruptions) + " interruptions"
                         : " (onInterrupt: fail)")};
      case StepStatus::kPending:
      case StepStatus::kAwaitingApproval: {
        if (ctx.dry_run) return {NextKind::kRunStep, static_cast<int>(i), "dry run"};
        if (step.type == StepType::kApproval && !st.approved) {
          return {NextKind::kAwaitApproval, static_cast<int>(i), "approval gate: " + step.text};
        }
        // A critical incident never runs a destructive step without a human's yes: either the
        // whole runbook was approved by one, or this step was.
        if (step.destructive && ctx.critical && !ctx.runbook_approved && !st.approved) {
          return {NextKind::kAwaitApproval, static_cast<int>(i),
                  "destructive step \"" + step.name +
                      "\" on a critical incident needs an operator's approval"};
        }
        return {NextKind::kRunStep, static_cast<int>(i), ""};
      }
    }
  }
  return {NextKind::kSucceeded, -1, "every step finished"};
}

}  // namespace dai::runbook
