// serve, migrate, user add, token create, config check, api, version.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "modules/auth/auth_service.h"
#include "store/migrations.h"

#ifndef DAI_VERSION
#define DAI_VERSION "0.0.0"
#endif

namespace dai::cli {
namespace {

// The settings a command accepts as flags; values land in `flags` only when given.
struct SettingFlags {
  std::optional<std::string> config_file;
  std::map<std::string, std::string> values;
};

void AddSetting(CLI::App* cmd, SettingFlags& f, const std::string& key, const std::string& help) {
  std::string flag = "--" + key;
  for (auto& c : flag) c = c == '_' ? '-' : c;
  cmd->add_option_function<std::string>(
      flag, [&f, key](const std::string& v) { f.values[key] = v; }, help);
}

void AddStoreSettings(CLI::App* cmd, SettingFlags& f) {
  cmd->add_option_function<std::string>(
      "--config", [&f](const std::string& v) { f.config_file = v; },
      "YAML config file (also DEVOPS_AI_CONFIG)");
  AddSetting(cmd, f, "data_dir", "Data directory (SQLite file, keys) [./data]");
  AddSetting(cmd, f, "db", "Database URL: postgres://... for PostgreSQL [SQLite in the data dir]");
}

Result<Config> Resolve(const SettingFlags& f) {
  auto env = DevopsAiEnvironment();
  std::optional<std::string> file = f.config_file;
  if (!file) {
    if (auto it = env.find("DEVOPS_AI_CONFIG"); it != env.end()) file = it->second;
  }
  return LoadConfig(file, env, f.values);
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "devops-ai %s: %s\n", what.c_str(), s.message().c_str());
  return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

int RunServe(const SettingFlags& f) {
  auto config = Resolve(f);
  if (!config.ok()) return Fail("serve", config.status());
  // Block the stop signals in every thread; this thread waits for them below.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  App app(*config);
  Status st = app.Start();
  if (!st.ok()) return Fail("serve", st);
  int sig = 0;
  sigwait(&set, &sig);
  std::fprintf(stderr, "devops-ai: %s received, stopping gracefully\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  app.Stop();
  return 0;
}

}  // namespace

void RegisterServerCommands(CLI::App& app, CliState& state) {
  // serve
  auto serve_flags = std::make_shared<SettingFlags>();
  auto* serve = app.add_subcommand("serve", "Run the server (API, web client, background jobs)");
  AddStoreSettings(serve, *serve_flags);
  AddSetting(serve, *serve_flags, "listen", "Address to listen on, host:port [127.0.0.1:8080]");
  AddSetting(serve, *serve_flags, "web_dir", "Directory of the built web client [auto]");
  AddSetting(serve, *serve_flags, "log_level", "debug|info|warn|error [info]");
  AddSetting(serve, *serve_flags, "threads", "HTTP worker threads [cores]");
  AddSetting(serve, *serve_flags, "max_body_bytes", "Largest request body [1048576]");
  AddSetting(serve, *serve_flags, "job_workers", "Background job threads, 0 disables [2]");
  AddSetting(serve, *serve_flags, "prometheus_url", "Prometheus (or compatible) base URL");
  AddSetting(serve, *serve_flags, "alertmanager_url", "Alertmanager base URL");
  AddSetting(serve, *serve_flags, "kubeconfig",
             "Kubernetes: kubeconfig file (absolute path) or in-cluster [not configured]");
  AddSetting(serve, *serve_flags, "kube_context",
             "Kubernetes: kubeconfig context [current-context]");
  AddSetting(serve, *serve_flags, "password_cost", "argon2id cost: interactive|moderate|minimum");
  AddSetting(serve, *serve_flags, "secure_cookies", "Mark cookies Secure (behind TLS) [false]");
  AddSetting(serve, *serve_flags, "session_ttl_seconds",
             "Browser sessions end this long after their last use (1-2592000) [43200]");
  AddSetting(serve, *serve_flags, "sse_heartbeat_seconds", "Event stream heartbeat [15]");
  AddSetting(serve, *serve_flags, "dependency_timeout_seconds",
             "Longest wait for Prometheus queries and notification deliveries [20]");
  AddSetting(serve, *serve_flags, "retention_days",
             "Days finished alerts, notifications, runs and actions are kept, 0 = forever [90]");
  AddSetting(serve, *serve_flags, "audit_retention_days",
             "Days the audit log is kept, 0 = forever [365]");
  AddSetting(serve, *serve_flags, "sqlite_memory_mb",
             "SQLite store: MiB all page caches may hold together (8-65536) [64]");
  AddSetting(serve, *serve_flags, "runbook_executables",
             "Comma-separated absolute paths runbook command steps may run [none]");
  AddSetting(serve, *serve_flags, "scan_roots",
             "Comma-separated directories security scans may read (secrets scans need one)");
  AddSetting(
      serve, *serve_flags, "drift_roots",
      "Comma-separated directories config_drift rules may read desired and actual files from");
  AddSetting(serve, *serve_flags, "supervise_file",
             "YAML list of processes to supervise (self-healing targets)");
  AddSetting(serve, *serve_flags, "healing_rules_file",
             "YAML healing rules to import (by name) at start");
  AddSetting(serve, *serve_flags, "runs_dir",
             "Pipeline run workspaces, outside the data dir [<data_dir>-runs]");
  AddSetting(serve, *serve_flags, "secrets_key_file",
             "Key file encrypting managed secrets, created 0600 [<data_dir>-secrets.key]");
  AddSetting(serve, *serve_flags, "run_user",
             "User pipeline steps run as when started as root [nobody]");
  AddSetting(serve, *serve_flags, "llm_url", "OpenAI-compatible base URL (…/v1); empty: no LLM");
  AddSetting(serve, *serve_flags, "llm_model", "LLM model name");
  AddSetting(serve, *serve_flags, "llm_api_key_file",
             "File holding the LLM API key (or DEVOPS_AI_LLM_API_KEY)");
  AddSetting(serve, *serve_flags, "llm_auth_header",
             "How the key is sent: bearer, or api-key for Azure OpenAI [bearer]");
  AddSetting(serve, *serve_flags, "llm_budget_usd", "Global LLM budget in USD, 0 = none [0]");
  AddSetting(serve, *serve_flags, "llm_usd_per_1k_prompt", "LLM price per 1000 prompt tokens [0]");
  AddSetting(serve, *serve_flags, "llm_usd_per_1k_completion",
             "LLM price per 1000 completion tokens [0]");
  AddSetting(serve, *serve_flags, "cost_price_vcpu_hour", "Price sheet: per vCPU-hour [0.031611]");
  AddSetting(serve, *serve_flags, "cost_price_gib_hour",
             "Price sheet: per GiB-hour of memory [0.004237]");
  AddSetting(serve, *serve_flags, "opencost_url",
             "OpenCost base URL for the allocation pull; empty: none");
  AddSetting(serve, *serve_flags, "argocd_url", "Argo CD API server URL; empty: none");
  AddSetting(serve, *serve_flags, "argocd_token_file", "File holding the Argo CD API token");
  serve->callback([&state, serve_flags] { state.exit_code = RunServe(*serve_flags); });

  // ask: the assistant over the local store (the same read-only tools as the web chat)
  auto ask_flags = std::make_shared<SettingFlags>();
  auto ask_question = std::make_shared<std::string>();
  auto ask_json = std::make_shared<bool>(false);
  auto* ask = app.add_subcommand("ask", "Ask the assistant a question about this platform's data");
  ask->add_option("QUESTION", *ask_question, "The question, e.g. \"what is on fire?\"")->required();
  AddStoreSettings(ask, *ask_flags);
  AddSetting(ask, *ask_flags, "llm_url",
             "OpenAI-compatible base URL (…/v1); empty: templated answers");
  AddSetting(ask, *ask_flags, "llm_model", "LLM model name");
  AddSetting(ask, *ask_flags, "llm_api_key_file",
             "File holding the LLM API key (or DEVOPS_AI_LLM_API_KEY)");
  AddSetting(ask, *ask_flags, "llm_auth_header",
             "How the key is sent: bearer, or api-key for Azure OpenAI [bearer]");
  ask->add_flag("--json", *ask_json, "Print the whole answer (tool calls, citations) as JSON");
  ask->callback([&state, ask_flags, ask_question, ask_json] {
    auto config = Resolve(*ask_flags);
    if (!config.ok()) {
      state.exit_code = Fail("ask", config.status());
      return;
    }
    auto answer = AskLocally(*config, *ask_question);
    if (!answer.ok()) {
      state.exit_code = Fail("ask", answer.status());
      return;
    }
    const Json& a = *answer;
    if (*ask_json) {
      std::printf("%s\n", a.dump(2).c_str());
    } else {
      std::printf("%s\n", a["answer"].get<std::string>().c_str());
      for (const auto& c : a["citations"]) {
        std::printf("  source: %s %s\n", c["procedure"].get<std::string>().c_str(),
                    c["ids"].dump().c_str());
      }
      for (const auto& pr : a["proposals"]) {
        std::printf("  proposed (a person decides): %s\n", pr["action"].get<std::string>().c_str());
      }
    }
    state.exit_code = 0;
  });

  // migrate
  auto migrate_flags = std::make_shared<SettingFlags>();
  auto* migrate = app.add_subcommand("migrate", "Apply pending store migrations and exit");
  AddStoreSettings(migrate, *migrate_flags);
  migrate->callback([&state, migrate_flags] {
    auto config = Resolve(*migrate_flags);
    if (!config.ok()) {
      state.exit_code = Fail("migrate", config.status());
      return;
    }
    auto opened = OpenStore(*config, true);
    if (!opened.ok()) {
      state.exit_code = Fail("migrate", opened.status());
      return;
    }
    auto version = store::SchemaVersion(*(*opened)->db);
    std::printf("schema version %d (latest %d)\n", version.ok() ? *version : -1,
                store::LatestSchemaVersion());
    state.exit_code = 0;
  });

  // user add
  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto user_flags = std::make_shared<SettingFlags>();
  auto user_args = std::make_shared<std::map<std::string, std::string>>();
  auto password_stdin = std::make_shared<bool>(false);
  auto* user_add = user->add_subcommand("add", "Create a user (password from stdin, or generated)");
  AddStoreSettings(user_add, *user_flags);
  user_add->add_option("--username", (*user_args)["username"], "Login name")->required();
  user_add->add_option("--role", (*user_args)["role"], "viewer|operator|admin")->required();
  user_add->add_flag("--password-stdin", *password_stdin, "Read the password from standard input");
  user_add->callback([&state, user_flags, user_args, password_stdin] {
    auto config = Resolve(*user_flags);
    if (!config.ok()) {
      state.exit_code = Fail("user add", config.status());
      return;
    }
    auto role = ParseRole((*user_args)["role"]);
    if (!role.ok()) {
      state.exit_code = Fail("user add", role.status());
      return;
    }
    std::string password;
    bool generated = false;
    if (*password_stdin) {
      std::getline(std::cin, password);
    } else {
      password = auth::RandomToken(18);
      generated = true;
    }
    auto opened = OpenStore(*config, true);
    if (!opened.ok()) {
      state.exit_code = Fail("user add", opened.status());
      return;
    }
    auth::AuthOptions options;
    if (config->password_cost == "minimum") options.password_cost = auth::PasswordCost::kMinimum;
    auth::AuthService auth((*(*opened)->db), SystemClock::Instance(), options);
    auto id = auth.CreateUser((*user_args)["username"], password, *role);
    if (!id.ok()) {
      state.exit_code = Fail("user add", id.status());
      return;
    }
    std::printf("created user %s (id %lld, role %s)\n", (*user_args)["username"].c_str(),
                static_cast<long long>(*id), (*user_args)["role"].c_str());
    if (generated) std::printf("generated password (shown once):\n%s\n", password.c_str());
    state.exit_code = 0;
  });

  // token create
  auto* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto token_flags = std::make_shared<SettingFlags>();
  auto token_args = std::make_shared<std::map<std::string, std::string>>();
  auto expires = std::make_shared<int64_t>(0);
  auto expires_seconds = std::make_shared<int64_t>(0);
  auto* token_create =
      token->add_subcommand("create", "Create an API token; prints it alone on the last line");
  AddStoreSettings(token_create, *token_flags);
  token_create->add_option("--role", (*token_args)["role"], "viewer|operator|admin")->required();
  token_create->add_option("--name", (*token_args)["name"], "A name to recognise the token by")
      ->required();
  auto* days_opt =
      token_create->add_option("--expires-in-days", *expires, "Expiry in days (default: never)");
  token_create
      ->add_option("--expires-in-seconds", *expires_seconds,
                   "Expiry in seconds, for short-lived tokens (default: never)")
      ->excludes(days_opt);
  token_create->callback([&state, token_flags, token_args, expires, expires_seconds] {
    auto config = Resolve(*token_flags);
    if (!config.ok()) {
      state.exit_code = Fail("token create", config.status());
      return;
    }
    auto role = ParseRole((*token_args)["role"]);
    if (!role.ok()) {
      state.exit_code = Fail("token create", role.status());
      return;
    }
    auto opened = OpenStore(*config, true);
    if (!opened.ok()) {
      state.exit_code = Fail("token create", opened.status());
      return;
    }
    auth::AuthService auth((*(*opened)->db), SystemClock::Instance(), {});
    std::optional<Millis> expires_in;
    if (*expires > 0) expires_in = Millis(*expires * 86'400'000LL);
    if (*expires_seconds > 0) expires_in = Millis(*expires_seconds * 1000);
    auto t = auth.CreateTokenExpiringIn((*token_args)["name"], *role, expires_in, std::nullopt);
    if (!t.ok()) {
      state.exit_code = Fail("token create", t.status());
      return;
    }
    std::printf("created API token \"%s\" (id %lld, role %s); it is shown once:\n%s\n",
                (*token_args)["name"].c_str(), static_cast<long long>(t->id),
                (*token_args)["role"].c_str(), t->token.c_str());
    state.exit_code = 0;
  });

  // config check
  auto* config_cmd = app.add_subcommand("config", "Inspect configuration");
  config_cmd->require_subcommand(1);
  auto check_flags = std::make_shared<SettingFlags>();
  auto* check = config_cmd->add_subcommand(
      "check", "Validate flags, environment and config file, print the result");
  AddStoreSettings(check, *check_flags);
  AddSetting(check, *check_flags, "listen", "Address to listen on");
  AddSetting(check, *check_flags, "prometheus_url", "Prometheus base URL");
  AddSetting(check, *check_flags, "alertmanager_url", "Alertmanager base URL");
  check->callback([&state, check_flags] {
    auto config = Resolve(*check_flags);
    if (!config.ok()) {
      state.exit_code = Fail("config check", config.status());
      return;
    }
    std::printf("%s", DescribeConfig(*config).c_str());
    std::printf("configuration OK\n");
    state.exit_code = 0;
  });

  // api typescript|openapi
  auto* api =
      app.add_subcommand("api", "Print API documents generated from the procedure registry");
  api->require_subcommand(1);
  for (const char* kind : {"typescript", "openapi"}) {
    auto out = std::make_shared<std::string>();
    auto* cmd = api->add_subcommand(
        kind, std::string("Print the ") + kind + " description of every procedure");
    cmd->add_option("--out", *out, "Write to this file instead of standard output");
    cmd->callback([&state, out, kind] {
      auto doc = GenerateApiDocument(kind);
      if (!doc.ok()) {
        state.exit_code = Fail("api", doc.status());
        return;
      }
      if (out->empty()) {
        std::fwrite(doc->data(), 1, doc->size(), stdout);
      } else {
        std::ofstream f(*out, std::ios::binary | std::ios::trunc);
        f << *doc;
        if (!f) {
          state.exit_code = Fail("api", Status::Unavailable("cannot write " + *out));
          return;
        }
      }
      state.exit_code = 0;
    });
  }

  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([&state] {
    std::printf("devops-ai %s\n", DAI_VERSION);
    state.exit_code = 0;
  });
}

}  // namespace dai::cli
