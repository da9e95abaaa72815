#include "cli/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <sstream>

extern char** environ;  // NOLINT

namespace dai::cli {
namespace {

Result<int64_t> ParseInt(const std::string& key, const std::string& v, int64_t lo, int64_t hi,
                         const std::string& source) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < lo || out > hi) {
    return Status::InvalidArgument("setting " + key + " (from " + source +
                                   "): expected an integer in [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "], got \"" + v + "\"");
  }
  return out;
}

Result<bool> ParseBool(const std::string& key, const std::string& v, const std::string& source) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return Status::InvalidArgument("setting " + key + " (from " + source +
                                 "): expected true or false, got \"" + v + "\"");
}

Status CheckUrl(const std::string& key, const std::string& v, const std::string& source) {
  if (v.empty()) return Status::Ok();
  if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("setting " + key + " (from " + source +
                                   "): expected an http:// or https:// URL, got \"" + v + "\"");
  }
  return Status::Ok();
}

std::string EnvName(const std::string& key) {
  std::string out = "DEVOPS_AI_";
  for (char c : key) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Redact(const std::string& url) {
  // postgres://user:password@host → postgres://user:•••@host
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace

const std::vector<std::string>& ConfigKeys() {
  static const std::vector<std::string> keys = {"listen",
                                                "data_dir",
                                                "db",
                                                "web_dir",
                                                "log_level",
                                                "threads",
                                                "max_body_bytes",
                                                "job_workers",
                                                "prometheus_url",
                                                "alertmanager_url",
                                                "kubeconfig",
                                                "kube_context",
                                                "password_cost",
                                                "secure_cookies",
                                                "session_ttl_seconds",
                                                "sse_heartbeat_seconds",
                                                "dependency_timeout_seconds",
                                                "retention_days",
                                                "audit_retention_days",
                                                "sqlite_memory_mb",
                                                "runbook_executables",
                                                "scan_roots",
                                                "drift_roots",
                                                "supervise_file",
                                                "healing_rules_file",
                                                "runs_dir",
                                                "secrets_key_file",
                                                "run_user",
                                                "llm_url",
                                                "llm_model",
                                                "llm_api_key_file",
                                                "llm_auth_header",
                                                "llm_budget_usd",
                                                "llm_usd_per_1k_prompt",
                                                "llm_usd_per_1k_completion",
                                                "cost_price_vcpu_hour",
                                                "cost_price_gib_hour",
                                                "opencost_url",
                                                "argocd_url",
                                                "argocd_token_file"};
  return keys;
}

std::string Config::DatabaseUrl() const {
  if (!db.empty()) return db;
  return data_dir + "/devops-ai.db";
}

Result<std::pair<std::string, uint16_t>> Config::ListenAddress() const {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("setting listen: expected host:port, got \"" + listen + "\"");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  DAI_ASSIGN_OR_RETURN(int64_t port,
                       ParseInt("listen", listen.substr(colon + 1), 0, 65535, "listen"));
  return std::make_pair(host, static_cast<uint16_t>(port));
}

Status SetConfigValue(Config& c, const std::string& key, const std::string& v,
                      const std::string& source) {
  if (key == "listen") {
    c.listen = v;
    return c.ListenAddress().status();
  }
  if (key == "data_dir") {
    if (v.empty())
      return Status::InvalidArgument("setting data_dir (from " + source + "): must not be empty");
    c.data_dir = v;
    return Status::Ok();
  }
  if (key == "db") {
    c.db = v;
    return Status::Ok();
  }
  if (key == "web_dir") {
    c.web_dir = v;
    return Status::Ok();
  }
  if (key == "kubeconfig") {
    if (!v.empty() && v != "in-cluster" && v[0] != '/')
      return Status::InvalidArgument("setting kubeconfig (from " + source +
                                     "): expected an absolute path or \"in-cluster\", got \"" + v +
                                     "\"");
    c.kubeconfig = v;
    return Status::Ok();
  }
  if (key == "kube_context") {
    if (v.size() > 253 || v.find_first_of("\r\n") != std::string::npos)
      return Status::InvalidArgument("setting kube_context (from " + source +
                                     "): at most 253 bytes on one line");
    c.kube_context = v;
    return Status::Ok();
  }
  if (key == "supervise_file") {
    c.supervise_file = v;
    return Status::Ok();
  }
  if (key == "healing_rules_file") {
    c.healing_rules_file = v;
    return Status::Ok();
  }
  if (key == "runs_dir") {
    c.runs_dir = v;
    return Status::Ok();
  }
  if (key == "secrets_key_file") {
    c.secrets_key_file = v;
    return Status::Ok();
  }
  if (key == "run_user") {
    c.run_user = v;
    return Status::Ok();
  }
  if (key == "log_level") {
    if (v != "debug" && v != "info" && v != "warn" && v != "error") {
      return Status::InvalidArgument("setting log_level (from " + source +
                                     "): expected debug, info, warn or error, got \"" + v + "\"");
    }
    c.log_level = v;
    return Status::Ok();
  }
  if (key == "threads") {
    DAI_ASSIGN_OR_RETURN(int64_t n, ParseInt(key, v, 0, 256, source));
    c.threads = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "max_body_bytes") {
    DAI_ASSIGN_OR_RETURN(c.max_body_bytes, ParseInt(key, v, 1024, int64_t{1} << 30, source));
    return Status::Ok();
  }
  if (key == "job_workers") {
    DAI_ASSIGN_OR_RETURN(int64_t n, ParseInt(key, v, 0, 64, source));
    c.job_workers = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "runbook_executables" || key == "scan_roots" || key == "drift_roots") {
    auto& list = key == "scan_roots"    ? c.scan_roots
                 : key == "drift_roots" ? c.drift_roots
                                        : c.runbook_executables;
    list.clear();
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      std::string item = v.substr(start, comma - start);
      while (!item.empty() && item.front() == ' ') item.erase(item.begin());
      while (!item.empty() && item.back() == ' ') item.pop_back();
      if (!item.empty()) {
        if (item[0] != '/' || item.find("..") != std::string::npos) {
          return Status::InvalidArgument("setting " + key + " (" + source + "): \"" + item +
                                         "\" is not an absolute path");
        }
        list.push_back(item);
      }
      start = comma + 1;
    }
    return Status::Ok();
  }
  if (key == "prometheus_url") {
    DAI_RETURN_IF_ERROR(CheckUrl(key, v, source));
    c.prometheus_url = v;
    return Status::Ok();
  }
  if (key == "llm_url") {
    DAI_RETURN_IF_ERROR(CheckUrl(key, v, source));
    c.llm_url = v;
    return Status::Ok();
  }
  if (key == "llm_model") {
    if (v.size() > 200 || v.find_first_of("\r\n") != std::string::npos) {
      return Status::InvalidArgument("setting llm_model (from " + source +
                                     "): at most 200 bytes on one line");
    }
    c.llm_model = v;
    return Status::Ok();
  }
  if (key == "llm_api_key_file") {
    c.llm_api_key_file = v;
    return Status::Ok();
  }
  if (key == "llm_auth_header") {
    if (v != "bearer" && v != "api-key") {
      return Status::InvalidArgument("setting llm_auth_header (from " + source +
                                     "): expected bearer or api-key, got \"" + v + "\"");
    }
    c.llm_auth_header = v;
    return Status::Ok();
  }
  if (key == "llm_budget_usd" || key == "llm_usd_per_1k_prompt" ||
      key == "llm_usd_per_1k_completion") {
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end == v.c_str() || *end != '\0' || !(d >= 0) || d > 1e9) {
      return Status::InvalidArgument("setting " + key + " (from " + source +
                                     "): expected a non-negative number, got \"" + v + "\"");
    }
    (key == "llm_budget_usd"          ? c.llm_budget_usd
     : key == "llm_usd_per_1k_prompt" ? c.llm_usd_per_1k_prompt
                                      : c.llm_usd_per_1k_completion) = d;
    return Status::Ok();
  }
  if (key == "cost_price_vcpu_hour" || key == "cost_price_gib_hour") {
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end == v.c_str() || *end != '\0' || !(d >= 0) || d > 1e6) {
      return Status::InvalidArgument("setting " + key + " (from " + source +
                                     "): expected a non-negative price, got \"" + v + "\"");
    }
    (key == "cost_price_vcpu_hour" ? c.cost_price_vcpu_hour : c.cost_price_gib_hour) = d;
    return Status::Ok();
  }
  if (key == "argocd_url") {
    if (!v.empty()) DAI_RETURN_IF_ERROR(CheckUrl(key, v, source));
    c.argocd_url = v;
    return Status::Ok();
  }
  if (key == "argocd_token_file") {
    c.argocd_token_file = v;
    return Status::Ok();
  }
  if (key == "opencost_url") {
    if (!v.empty()) DAI_RETURN_IF_ERROR(CheckUrl(key, v, source));
    c.opencost_url = v;
    return Status::Ok();
  }
  if (key == "alertmanager_url") {
    DAI_RETURN_IF_ERROR(CheckUrl(key, v, source));
    c.alertmanager_url = v;
    return Status::Ok();
  }
  if (key == "password_cost") {
    if (v != "interactive" && v != "moderate" && v != "minimum") {
      return Status::InvalidArgument("setting password_cost (from " + source +
                                     "): expected interactive, moderate or minimum, got \"" + v +
                                     "\"");
    }
    c.password_cost = v;
    return Status::Ok();
  }
  if (key == "secure_cookies") {
    DAI_ASSIGN_OR_RETURN(c.secure_cookies, ParseBool(key, v, source));
    return Status::Ok();
  }
  if (key == "sse_heartbeat_seconds") {
    DAI_ASSIGN_OR_RETURN(int64_t n, ParseInt(key, v, 1, 3600, source));
    c.sse_heartbeat_seconds = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "dependency_timeout_seconds") {
    DAI_ASSIGN_OR_RETURN(int64_t n, ParseInt(key, v, 1, 600, source));
    c.dependency_timeout_seconds = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "retention_days") {
    DAI_ASSIGN_OR_RETURN(int64_t n, ParseInt(key, v, 0, 36500, source));
    c.retention_days = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "sqlite_memory_mb") {
    DAI_ASSIGN_OR_RETURN(int64_t n, ParseInt(key, v, 8, 65536, source));
    c.sqlite_memory_mb = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "session_ttl_seconds") {
    DAI_ASSIGN_OR_RETURN(int64_t n, ParseInt(key, v, 1, 30LL * 86400, source));
    c.session_ttl_seconds = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "audit_retention_days") {
    DAI_ASSIGN_OR_RETURN(int64_t n, ParseInt(key, v, 0, 36500, source));
    c.audit_retention_days = static_cast<int>(n);
    return Status::Ok();
  }
  return Status::InvalidArgument("unknown setting \"" + key + "\" (from " + source + ")");
}

Result<Config> LoadConfig(const std::optional<std::string>& yaml_path,
                          const std::map<std::string, std::string>& env,
                          const std::map<std::string, std::string>& flags) {
  Config c;
  if (yaml_path) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(*yaml_path);
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument("config file " + *yaml_path + ": " + e.what());
    }
    if (root && !root.IsNull()) {
      if (!root.IsMap())
        return Status::InvalidArgument("config file " + *yaml_path +
                                       ": expected a mapping of settings");
      for (const auto& kv : root) {
        const std::string key = kv.first.as<std::string>();
        if (!kv.second.IsScalar()) {
          return Status::InvalidArgument("setting " + key + " (from " + *yaml_path +
                                         "): expected a single value");
        }
        DAI_RETURN_IF_ERROR(SetConfigValue(c, key, kv.second.as<std::string>(), *yaml_path));
      }
    }
  }
  const auto& keys = ConfigKeys();
  for (const auto& [name, value] : env) {
    if (name == "DEVOPS_AI_CONFIG") continue;
    // The LLM key: read where it is used (app.cc), never stored in Config, printed or logged.
    if (name == "DEVOPS_AI_LLM_API_KEY") continue;
    const std::string& env_name = name;  // (clang 14 cannot capture structured bindings)
    auto it = std::find_if(keys.begin(), keys.end(),
                           [&](const std::string& k) { return EnvName(k) == env_name; });
    if (it == keys.end()) {
      return Status::InvalidArgument("unknown environment variable " + name +
                                     " (settings are DEVOPS_AI_<SETTING>, e.g. DEVOPS_AI_LISTEN)");
    }
    DAI_RETURN_IF_ERROR(SetConfigValue(c, *it, value, "environment " + name));
  }
  for (const auto& [key, value] : flags) {
    DAI_RETURN_IF_ERROR(SetConfigValue(c, key, value, "flag --" + key));
  }
  return c;
}

std::map<std::string, std::string> DevopsAiEnvironment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("DEVOPS_AI_", 0) != 0) continue;
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

std::string DescribeConfig(const Config& c) {
  std::ostringstream o;
  o << "listen: " << c.listen << "\n"
    << "data_dir: " << c.data_dir << "\n"
    << "db: " << Redact(c.DatabaseUrl()) << "\n"
    << "web_dir: " << (c.web_dir.empty() ? "(auto)" : c.web_dir) << "\n"
    << "log_level: " << c.log_level << "\n"
    << "threads: " << c.threads << "\n"
    << "max_body_bytes: " << c.max_body_bytes << "\n"
    << "job_workers: " << c.job_workers << "\n"
    << "runbook_executables: " << c.runbook_executables.size() << " allowed\n"
    << "scan_roots: " << c.scan_roots.size() << " allowed\n"
    << "drift_roots: " << c.drift_roots.size() << " allowed\n"
    << "prometheus_url: " << (c.prometheus_url.empty() ? "(not configured)" : c.prometheus_url)
    << "\n"
    << "alertmanager_url: "
    << (c.alertmanager_url.empty() ? "(not configured)" : c.alertmanager_url) << "\n"
    << "kubeconfig: " << (c.kubeconfig.empty() ? "(not configured)" : c.kubeconfig) << "\n"
    << "kube_context: " << (c.kube_context.empty() ? "(current-context)" : c.kube_context) << "\n"
    << "password_cost: " << c.password_cost << "\n"
    << "secure_cookies: " << (c.secure_cookies ? "true" : "false") << "\n"
    << "session_ttl_seconds: " << c.session_ttl_seconds << "\n"
    << "sse_heartbeat_seconds: " << c.sse_heartbeat_seconds << "\n"
    << "dependency_timeout_seconds: " << c.dependency_timeout_seconds << "\n"
    << "retention_days: " << c.retention_days << "\n"
    << "audit_retention_days: " << c.audit_retention_days << "\n"
    << "sqlite_memory_mb: " << c.sqlite_memory_mb << "\n"
    << "supervise_file: " << (c.supervise_file.empty() ? "(none)" : c.supervise_file) << "\n"
    << "healing_rules_file: " << (c.healing_rules_file.empty() ? "(none)" : c.healing_rules_file)
    << "\n"
    << "runs_dir: " << (c.runs_dir.empty() ? c.data_dir + "-runs" : c.runs_dir) << "\n"
    << "secrets_key_file: " << c.SecretsKeyFile() << "\n"
    << "run_user: " << (c.run_user.empty() ? "(no privilege drop)" : c.run_user) << "\n"
    << "llm_url: " << (c.llm_url.empty() ? "(not configured)" : c.llm_url) << "\n"
    << "llm_model: " << (c.llm_model.empty() ? "(none)" : c.llm_model) << "\n"
    << "llm_budget_usd: " << c.llm_budget_usd << "\n"
    << "cost_price_vcpu_hour: " << c.cost_price_vcpu_hour << "\n"
    << "cost_price_gib_hour: " << c.cost_price_gib_hour << "\n"
    << "opencost_url: " << (c.opencost_url.empty() ? "(not configured)" : c.opencost_url) << "\n"
    << "argocd_url: " << (c.argocd_url.empty() ? "(not configured)" : c.argocd_url) << "\n";
  return o.str();
}

}  // namespace dai::cli
