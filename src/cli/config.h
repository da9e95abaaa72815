// Config: every setting of `devops-ai serve` and the commands that open the store. Sources,
// strongest first: command-line flags > environment (DEVOPS_AI_<NAME>) > YAML file
// (--config FILE or DEVOPS_AI_CONFIG) > defaults. An unknown key in the YAML file, an unknown
// DEVOPS_AI_* variable, or an invalid value stops the start with a message naming the setting.
// Thread-safety: a plain value; load once at start.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace dai::cli {

struct Config {
  std::string listen = "127.0.0.1:8080";  //!< host:port; [v6]:port
  std::string data_dir = "./data";
  std::string db;                  //!< empty: sqlite at <data_dir>/devops-ai.db
  std::string web_dir;             //!< empty: auto-detect the built web client
  std::string log_level = "info";  //!< debug | info | warn | error
  int threads = 0;                 //!< 0: number of cores
  int64_t max_body_bytes = 1 << 20;
  int job_workers = 2;
  std::string prometheus_url;  //!< empty: not configured
  std::string alertmanager_url;
  //! The Kubernetes integration: a kubeconfig file, or "in-cluster" for the pod's service
  //! account. Empty: not configured (cluster scans and Kubernetes healing actions answer
  //! FAILED_PRECONDITION naming this setting).
  std::string kubeconfig;
  std::string kube_context;                   //!< kubeconfig context; empty: its current-context
  std::string password_cost = "interactive";  //!< interactive | moderate | minimum (tests)
  bool secure_cookies = false;
  //! A browser session ends this long after it was last used (sign in again after it).
  int session_ttl_seconds = 12 * 60 * 60;
  int sse_heartbeat_seconds = 15;
  //! Longest wait for an outside service's answer: PromQL queries, notification deliveries.
  int dependency_timeout_seconds = 20;
  //! Retention (store/retention.h): finished alerts, notifications, log signals, runbook
  //! executions, healing actions and assistant answers older than this many days are deleted
  //! by the housekeeping job; the audit log after audit_retention_days. 0: keep forever.
  int retention_days = 90;
  int audit_retention_days = 365;
  //! SQLite store: the most memory SQLite may keep in page caches, all connections together
  //! (MiB). Without a bound each of the pooled connections caches up to 32 MiB of the file,
  //! so resident memory grows with the database.
  int sqlite_memory_mb = 64;
  //! Absolute paths of the executables runbook command steps may start (comma-separated in
  //! flags, environment and YAML). Empty: no command step may run.
  std::vector<std::string> runbook_executables;
  //! Directories securityGuardian scans may read (comma-separated). Empty: dependency and
  //! manifest scans take any absolute path; secrets scans are refused.
  std::vector<std::string> scan_roots;
  //! Directories config_drift rules may read desired and actual files from (comma-separated).
  //! Empty: drift rules are not evaluated (they say why).
  std::vector<std::string> drift_roots;
  std::string supervise_file;      //!< YAML: processes the platform supervises (self-healing)
  std::string healing_rules_file;  //!< YAML: healing rules imported (upserted by name) at start
  //! Pipeline run workspaces; empty: "<data_dir>-runs". Must lie outside the data directory.
  std::string runs_dir;
  //! The key that encrypts managed secrets (rotateSecrets) and sealed integration credentials;
  //! created 0600 on first use. Empty: "<data_dir>-secrets.key", beside (not inside) the data
  //! directory, so a copy of the database alone does not reveal the secrets.
  std::string secrets_key_file;
  std::string SecretsKeyFile() const {
    if (!secrets_key_file.empty()) return secrets_key_file;
    std::string dir = data_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir + "-secrets.key";
  }
  //! Pipeline steps run as this user when the server runs as root; empty: no drop.
  std::string run_user = "nobody";
  //! The optional LLM (OpenAI-compatible chat completions). Empty llm_url: no LLM; the
  //! assistant answers its fixed intents. The key is read from llm_api_key_file (a mounted
  //! secret) or the DEVOPS_AI_LLM_API_KEY environment variable, never from flags or YAML.
  std::string llm_url;
  std::string llm_model;
  std::string llm_api_key_file;
  //! How the key is sent: "bearer" (Authorization: Bearer, OpenAI and most servers) or
  //! "api-key" (Azure OpenAI's api-key header).
  std::string llm_auth_header = "bearer";
  double llm_budget_usd = 0;         //!< 0: no budget
  double llm_usd_per_1k_prompt = 0;  //!< price for the cost accounting
  double llm_usd_per_1k_completion = 0;
  //! The Cost Optimizer's price sheet for the real-time estimate of hosts and containers
  //! (OpenCost's default custom prices) and OpenCost's base URL (empty: no allocation pull).
  double cost_price_vcpu_hour = 0.031611;
  double cost_price_gib_hour = 0.004237;
  std::string opencost_url;
  //! Argo CD's API server and a file holding its API token (re-read on every request); empty
  //! URL: Argo CD is not configured.
  std::string argocd_url;
  std::string argocd_token_file;

  //! The database URL actually used.
  std::string DatabaseUrl() const;
  //! host and port split from `listen`.
  Result<std::pair<std::string, uint16_t>> ListenAddress() const;
};

//! The names of every setting (as in YAML; env is DEVOPS_AI_ + upper case).
const std::vector<std::string>& ConfigKeys();

//! Applies one setting by name from text; INVALID_ARGUMENT naming it when the value is bad.
Status SetConfigValue(Config& config, const std::string& key, const std::string& value,
                      const std::string& source);

//! Loads defaults, then the YAML file (if any), then the environment `env` (name → value),
//! then `flags` (key → value, only those the user gave). Validates the result.
Result<Config> LoadConfig(const std::optional<std::string>& yaml_path,
                          const std::map<std::string, std::string>& env,
                          const std::map<std::string, std::string>& flags);

//! The process environment as a map (DEVOPS_AI_* only).
std::map<std::string, std::string> DevopsAiEnvironment();

//! A human-readable dump (secrets redacted) for `devops-ai config check`.
std::string DescribeConfig(const Config& config);

}  // namespace dai::cli
