#include "cli/app.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "adapters/gitrepo/git_file.h"
#include "adapters/gitops/gitops.h"
#include "adapters/inventory/allowed_roots.h"
#include "adapters/kubernetes/kube_executor.h"
#include "adapters/kubernetes/kube_inventory.h"
#include "adapters/prometheus/prometheus_client.h"
#include "adapters/runner/process_supervisor.h"
#include "adapters/webhook/webhook_executor.h"
#include "cli/log.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "engines/alerts/alert.h"
#include "engines/healing/rule.h"
#include "engines/logmine/push_decoder.h"
#include "modules/assistant/assistant_service.h"
#include "modules/assistant/llm_narrator.h"
#include "modules/auth/auth_service.h"
#include "modules/catalog/planned_procedures.h"
#include "modules/cicd_orchestrator/cicd_service.h"
#include "modules/cost/cost_service.h"
#include "modules/docs/docs_service.h"
#include "modules/incident_commander/incident_service.h"
#include "modules/incident_commander/rca_service.h"
#include "modules/incident_commander/runbook_service.h"
#include "modules/incident_commander/watch_service.h"
#include "modules/logs/log_service.h"
#include "modules/metrics/anomaly_overlay.h"
#include "modules/notifications/notification_service.h"
#include "modules/security/managed_secrets.h"
#include "modules/security/security_service.h"
#include "modules/self_healing/drift_executor.h"
#include "modules/self_healing/healing_service.h"
#include "modules/self_healing/runbook_executor.h"
#include "registry/api_docs.h"
#include "registry/schema.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/sse.h"
#include "server/static_files.h"
#include "server/trpc.h"
#include "server/trpc_endpoint.h"
#include "store/database.h"
#include "store/event_repository.h"
#include "store/job_repository.h"
#include "store/job_worker.h"
#include "store/migrations.h"
#include "store/retention.h"

#ifndef DAI_VERSION
#define DAI_VERSION "0.0.0"
#endif

namespace dai::cli {

namespace fs = std::filesystem;

Result<std::unique_ptr<OpenedStore>> OpenStore(const Config& config, bool migrate) {
  const std::string url = config.DatabaseUrl();
  const bool is_pg = url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
  if (!is_pg && url != ":memory:") {
    std::error_code ec;
    fs::create_directories(config.data_dir, ec);
    if (ec) {
      return Status::FailedPrecondition("setting data_dir: cannot create \"" + config.data_dir +
                                        "\": " + ec.message());
    }
  }
  auto out = std::make_unique<OpenedStore>();
  DAI_ASSIGN_OR_RETURN(out->db, store::OpenDatabase(
                                    {.url = url, .sqlite_memory_mb = config.sqlite_memory_mb}));
  if (migrate) DAI_RETURN_IF_ERROR(store::Migrate(*out->db).WithContext("migrating the store"));
  return out;
}

namespace {

auth::PasswordCost CostOf(const std::string& name) {
  if (name == "moderate") return auth::PasswordCost::kModerate;
  if (name == "minimum") return auth::PasswordCost::kMinimum;
  return auth::PasswordCost::kInteractive;
}

std::string FindWebDir(const Config& config) {
  if (!config.web_dir.empty()) return config.web_dir;
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // build/<preset>/src/cli/devops-ai → <repo>/web/dist
    candidates.push_back(exe.parent_path() / "../../../../web/dist");
    candidates.push_back(exe.parent_path() / "../share/devops-ai/web");
  }
  candidates.emplace_back("web/dist");
  for (const auto& c : candidates) {
    if (fs::exists(c / "index.html", ec)) return fs::weakly_canonical(c, ec).string();
  }
  return "";
}

std::string HostForUrl(const std::string& host) {
  if (host.find(':') != std::string::npos) return "[" + host + "]";
  if (host == "0.0.0.0") return "127.0.0.1";
  return host;
}

}  // namespace

struct App::Parts {
  Config config;
  const Clock& clock = SystemClock::Instance();
  TimePoint started_at;
  std::unique_ptr<OpenedStore> store;
  std::shared_ptr<llm::LlmClient> llm;               // null: no LLM configured
  std::unique_ptr<assistant::LlmNarrator> narrator;  // module prose; null without an LLM
  std::unique_ptr<auth::AuthService> auth;
  std::unique_ptr<incidents::IncidentService> incidents;
  std::unique_ptr<cicd::CicdService> cicd;
  std::unique_ptr<docs::DocsService> docs;
  std::unique_ptr<security::SecurityService> security;
  std::unique_ptr<security::ManagedSecretService> managed_secrets;
  std::unique_ptr<incidents::RunbookService> runbooks;
  std::unique_ptr<incidents::WatchService> watches;
  std::unique_ptr<incidents::RcaService> rca;
  std::unique_ptr<runner::ProcessSupervisor> supervisor;
  std::unique_ptr<runner::ProcessRestartExecutor> restart_executor;
  std::unique_ptr<runner::SystemdRestartExecutor> systemd_executor;
  std::unique_ptr<webhook::WebhookExecutor> webhook_executor;
  std::unique_ptr<self_healing::DriftCorrectionExecutor> drift_executor;
  std::unique_ptr<self_healing::RunbookActionExecutor> runbook_executor;
  std::shared_ptr<const kube::KubeClient> kube;  // null: Kubernetes not configured
  std::unique_ptr<kube::KubernetesExecutor> kube_executor;
  std::shared_ptr<const gitops::ArgoCdClient> argocd;  // null: Argo CD not configured
  std::unique_ptr<gitops::ArgoCdRollbackExecutor> argocd_executor;
  std::unique_ptr<self_healing::HealingService> healing;  // after its executors: destroyed first
  std::unique_ptr<costopt::CostService> cost;
  std::unique_ptr<notifications::NotificationService> notifications;
  std::unique_ptr<assistant::AssistantService> assistant;
  std::unique_ptr<logs::LogService> logs;  // after incidents: destroyed (and stopped) first
  std::optional<prometheus::PrometheusClient> prometheus;
  ProcedureRegistry registry;
  std::unique_ptr<server::Metrics> metrics;
  std::unique_ptr<server::EventHub> events;
  std::unique_ptr<server::TrpcEndpoint> trpc;
  std::unique_ptr<server::StaticFiles> static_files;
  std::unique_ptr<server::HttpServer> http;
  std::unique_ptr<store::JobRepository> jobs;
  std::unique_ptr<store::JobWorker> worker;
  std::string openapi;
  std::string web_dir;
  bool stopped = false;
};

App::App(Config config) : parts_(std::make_unique<Parts>()) { parts_->config = std::move(config); }

App::~App() { Stop(); }

uint16_t App::port() const { return parts_->http ? parts_->http->port() : 0; }

namespace {

// The HTTP status for a credential that could not be accepted: 401 when it is wrong, but the
// status's own code when checking it failed (503 while the store is unreachable), so a sender
// such as Alertmanager retries instead of dropping its alerts as unauthorised.
int AuthRefusalStatus(const Status& st) {
  if (st.ok() || st.code() == StatusCode::kUnauthenticated) return 401;
  return trpc::ErrorCodeFor(st.code()).http_status;
}

void RegisterSystemProcedures(App::Parts& p) {
  namespace s = schema;
  Procedure info;
  info.path = "system.info";
  info.kind = ProcedureKind::kQuery;
  info.min_role = Role::kViewer;
  auto integration =
      s::Object({s::Req("configured", s::Bool()), s::Req("url", s::Nullable(s::String()))});
  info.output_schema = s::Object(
      {s::Req("version", s::String()), s::Req("store", s::Enum({"sqlite", "postgres"})),
       s::Req("schemaVersion", s::Int()), s::Req("startedAt", s::DateTime()),
       s::Req("integrations",
              s::Object({s::Req("prometheus", integration), s::Req("alertmanager", integration),
                         s::Req("kubernetes", integration), s::Req("llm", integration)}))});
  info.summary = "Version, store and integrations of this server";
  info.handler = [&p](const Json&, CallContext&) -> Result<Json> {
    DAI_ASSIGN_OR_RETURN(int version, store::SchemaVersion(*p.store->db));
    auto integ = [](const std::string& url) {
      return Json{{"configured", !url.empty()}, {"url", url.empty() ? Json(nullptr) : Json(url)}};
    };
    return Json{
        {"version", DAI_VERSION},
        {"store", p.store->db->dialect() == store::Dialect::kSqlite ? "sqlite" : "postgres"},
        {"schemaVersion", version},
        {"startedAt", FormatIso8601(p.started_at)},
        {"integrations",
         {{"prometheus", integ(p.config.prometheus_url)},
          {"alertmanager", integ(p.config.alertmanager_url)},
          {"kubernetes", integ(p.kube ? p.kube->config().server : "")},
          {"llm", integ(p.config.llm_url)}}}};
  };
  p.registry.Add(std::move(info));
}

}  // namespace

namespace {

// Every module event goes to the web client's event stream and to the notification router
// (which queues it and returns at once).
void PublishEvent(App::Parts& p, const std::string& type, const std::string& json) {
  if (p.events) p.events->Publish(type, json, static_cast<int>(Role::kViewer));
  if (p.notifications) p.notifications->OnPublished(type, json);
}

}  // namespace

namespace {

// metrics.query / metrics.queryRange: the PromQL explorer's backend, through the configured
// Prometheus (or any server speaking its HTTP API). Without one they answer
// PRECONDITION_FAILED naming the setting.
void RegisterMetricsProcedures(App::Parts& p) {
  namespace s = schema;
  if (!p.config.prometheus_url.empty()) {
    prometheus::PrometheusOptions options;
    options.base_url = p.config.prometheus_url;
    options.http.policy = http::OutboundPolicy::AllowLocal();
    // Prometheus stops evaluating at the query timeout; our wait ends soon after even when it
    // accepted the connection and never answers.
    options.query_timeout = std::chrono::seconds(p.config.dependency_timeout_seconds);
    options.http.total_timeout = std::chrono::seconds(p.config.dependency_timeout_seconds + 2);
    auto client = prometheus::PrometheusClient::Create(options);
    if (client.ok()) p.prometheus.emplace(std::move(client).value());
  }
  auto data_schema =
      s::Object({s::Req("resultType", s::Enum({"matrix", "vector", "scalar", "string"})),
                 s::Req("result", s::Any()), s::Req("warnings", s::Array(s::String()))});
  App::Parts* pp = &p;
  auto to_json = [](const prometheus::QueryData& d) {
    return Json{{"resultType", d.result_type}, {"result", d.result}, {"warnings", d.warnings}};
  };
  auto not_configured = [] {
    return Status::FailedPrecondition(
        "Prometheus is not configured: start the server with "
        "--prometheus-url (or DEVOPS_AI_PROMETHEUS_URL)");
  };
  Procedure q;
  q.path = "metrics.query";
  q.kind = ProcedureKind::kQuery;
  q.min_role = Role::kViewer;
  q.input_schema = s::Object({s::Req("query", s::String(1, 10000)), s::Opt("time", s::DateTime())});
  q.output_schema = data_schema;
  q.summary = "Instant PromQL query through the configured Prometheus";
  q.handler = [pp, to_json, not_configured](const Json& in, CallContext&) -> Result<Json> {
    if (!pp->prometheus) return not_configured();
    std::optional<TimePoint> at;
    if (in.contains("time")) {
      DAI_ASSIGN_OR_RETURN(at, ParseIso8601(in["time"].get<std::string>()));
    }
    DAI_ASSIGN_OR_RETURN(auto d, pp->prometheus->Query(in["query"].get<std::string>(), at));
    return to_json(d);
  };
  q.may_block = true;  // a call to Prometheus
  p.registry.Add(std::move(q));
  Procedure r;
  r.path = "metrics.queryRange";
  r.kind = ProcedureKind::kQuery;
  r.min_role = Role::kViewer;
  r.input_schema = s::Object({s::Req("query", s::String(1, 10000)), s::Req("start", s::DateTime()),
                              s::Req("end", s::DateTime()),
                              s::Req("step", s::Number(), "seconds between points")});
  r.output_schema = data_schema;
  r.summary = "Range PromQL query (at most 11,000 points per series, as Prometheus allows)";
  r.handler = [pp, to_json, not_configured](const Json& in, CallContext&) -> Result<Json> {
    if (!pp->prometheus) return not_configured();
    DAI_ASSIGN_OR_RETURN(TimePoint start, ParseIso8601(in["start"].get<std::string>()));
    DAI_ASSIGN_OR_RETURN(TimePoint end, ParseIso8601(in["end"].get<std::string>()));
    const double step = in["step"].get<double>();
    if (!(step > 0)) return Status::InvalidArgument("input.step: must be > 0");
    if (end < start) return Status::InvalidArgument("input.end: must not be before input.start");
    const double points = std::chrono::duration<double>(end - start).count() / step;
    if (points > 11000) {
      return Status::InvalidArgument("input.step: too small for the range (" +
                                     std::to_string(static_cast<long long>(points)) +
                                     " points; at most 11000)");
    }
    DAI_ASSIGN_OR_RETURN(auto d,
                         pp->prometheus->QueryRange(in["query"].get<std::string>(), start, end,
                                                    Millis(static_cast<int64_t>(step * 1000))));
    return to_json(d);
  };
  r.may_block = true;
  p.registry.Add(std::move(r));
  metrics::RegisterAnomalyOverlay(p.registry, p.prometheus ? &*p.prometheus : nullptr);
}

}  // namespace

namespace {

// The Kubernetes integration (--kubeconfig FILE | in-cluster): one client shared by cluster
// posture scans and the Kubernetes healing actions. A configured but unusable kubeconfig stops
// the start with a message naming the setting.
Status BuildKubernetes(App::Parts& p) {
  if (p.config.kubeconfig.empty()) return Status::Ok();
  auto config = p.config.kubeconfig == "in-cluster"
                    ? kube::LoadInClusterConfig()
                    : kube::LoadKubeconfig(p.config.kubeconfig, p.config.kube_context);
  if (!config.ok()) return config.status().WithContext("setting kubeconfig");
  auto client = kube::KubeClient::Create(std::move(config).value());
  if (!client.ok()) return client.status().WithContext("setting kubeconfig");
  p.kube = std::make_shared<const kube::KubeClient>(std::move(client).value());
  return Status::Ok();
}

// Argo CD (argocd_url + argocd_token_file): its API server's REST API, for the CI/CD GitOps
// procedures and the argocd_rollback healing action. An unusable setting stops the start.
Status BuildArgoCd(App::Parts& p) {
  if (p.config.argocd_url.empty()) return Status::Ok();
  gitops::ArgoCdOptions options;
  options.url = p.config.argocd_url;
  options.token_file = p.config.argocd_token_file;
  options.http.policy = http::OutboundPolicy::AllowLocal();  // in-cluster or on the host
  DAI_ASSIGN_OR_RETURN(p.argocd, gitops::ArgoCdClient::Create(std::move(options)));
  return Status::Ok();
}

// Self-healing: supervised processes (from --supervise-file), the executors behind the
// allow-listed action types, and the service. A supervised process that exits becomes a
// health_check signal; escalations become incidents through the Incident Commander.
Status BuildSelfHealing(App::Parts& p) {
  App::Parts* pp = &p;
  if (!p.config.supervise_file.empty()) {
    std::ifstream in(p.config.supervise_file);
    if (!in)
      return Status::FailedPrecondition("setting supervise_file: cannot read \"" +
                                        p.config.supervise_file + "\"");
    std::stringstream text;
    text << in.rdbuf();
    auto processes = runner::ParseSupervisionFile(text.str());
    if (!processes.ok()) return processes.status().WithContext("setting supervise_file");
    DAI_ASSIGN_OR_RETURN(
        p.supervisor,
        runner::ProcessSupervisor::Create(std::move(processes).value(), [pp](
                                                                            const std::string& name,
                                                                            const runner::ExitInfo&
                                                                                info) {
          Log(LogLevel::kWarn, "supervised process exited",
              {{"process", name}, {"pid", info.pid}, {"exit", info.description}});
          if (!pp->healing) return;
          healing::Signal signal;
          signal.kind = healing::ConditionType::kHealthCheck;
          signal.labels = {
              {"alertname", "ProcessDown"}, {"process", name}, {"exit", info.description}};
          signal.fingerprint = "process:" + name;
          auto r = pp->healing->OnSignal(signal, "supervisor");
          if (!r.ok())
            Log(LogLevel::kError, "healing decision failed", {{"error", r.status().ToString()}});
        }));
  }
  p.restart_executor = std::make_unique<runner::ProcessRestartExecutor>(p.supervisor.get());
  p.systemd_executor = std::make_unique<runner::SystemdRestartExecutor>();
  // The same outbound rule as notification webhooks: services on this host and private
  // networks are allowed (that is where self-hosted receivers live); link-local and cloud
  // metadata addresses are refused before any connection. The URL is the rule's, never a label.
  http::HttpClientOptions webhook_options;
  webhook_options.policy = http::OutboundPolicy::AllowLocal();
  webhook_options.total_timeout = std::chrono::seconds(30);
  p.webhook_executor = std::make_unique<webhook::WebhookExecutor>(webhook_options);
  // run_runbook: an execution through the runbook service (its approval rules apply); the
  // signal's labels fill the parameters the runbook declares.
  self_healing::RunbookActionExecutor::Hooks runbook_hooks;
  runbook_hooks.start = [pp](int64_t id, const std::map<std::string, std::string>& labels,
                             const std::string& actor) -> Result<Json> {
    DAI_ASSIGN_OR_RETURN(Json rb, pp->runbooks->Get(id));
    std::map<std::string, std::string> params;
    const Json declared =
        rb["steps"].is_object() ? rb["steps"].value("parameters", Json::array()) : Json::array();
    for (const auto& name : declared) {
      if (!name.is_string()) continue;
      auto it = labels.find(name.get<std::string>());
      if (it != labels.end()) params[it->first] = it->second;
    }
    return pp->runbooks->Execute(id, std::nullopt, false, params, actor, 0);
  };
  runbook_hooks.get = [pp](int64_t id) { return pp->runbooks->GetExecution(id); };
  runbook_hooks.describe = [pp](int64_t id) { return pp->runbooks->Get(id); };
  p.runbook_executor = std::make_unique<self_healing::RunbookActionExecutor>(runbook_hooks);
  // Kubernetes actions: with no integration configured the executor answers
  // FAILED_PRECONDITION naming the setting (shown by dry-runs and recorded on executions).
  p.kube_executor = std::make_unique<kube::KubernetesExecutor>(p.kube, p.clock);
  DAI_RETURN_IF_ERROR(BuildArgoCd(p));
  p.argocd_executor = std::make_unique<gitops::ArgoCdRollbackExecutor>(p.argocd);
  // config_drift rules read (and apply_desired writes) files only under drift_roots: symbolic
  // links resolved first, so a link inside a root cannot point outside it; at most 8 MiB.
  auto drift_path = [roots = p.config.drift_roots](const std::string& path) -> Result<std::string> {
    if (roots.empty()) return Status::FailedPrecondition("drift rules need --drift-roots");
    DAI_ASSIGN_OR_RETURN(std::string normal, inventory::CanonicalPath(path));
    if (!inventory::WithinRoots(normal, roots)) {
      return Status::PermissionDenied(normal + " is outside drift_roots");
    }
    return normal;
  };
  // The adapter's resource for a drift manifest's apiVersion and kind.
  auto drift_kind = [](const std::string& api_version,
                       const std::string& kind) -> Result<const kube::ResourceRef*> {
    const kube::ResourceRef* ref = kube::FindResource(kind);
    if (!ref || ref->ApiVersion() != api_version) {
      return Status::InvalidArgument("kind " + kind + " (" + api_version +
                                     ") is not one the Kubernetes adapter knows");
    }
    return ref;
  };
  std::function<Result<std::string>(const std::string&)> drift_read =
      [drift_path](const std::string& path) -> Result<std::string> {
    namespace fs = std::filesystem;
    DAI_ASSIGN_OR_RETURN(std::string normal, drift_path(path));
    std::error_code ec;
    if (!fs::exists(normal, ec)) return Status::NotFound(normal + " does not exist");
    if (!fs::is_regular_file(normal, ec))
      return Status::InvalidArgument(normal + " is not a regular file");
    if (fs::file_size(normal, ec) > (8u << 20))
      return Status::InvalidArgument(normal + " is larger than 8 MiB");
    std::ifstream in(normal, std::ios::binary);
    if (!in) return Status::Unavailable(normal + ": cannot be read");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  // Desired state kept in git: the repository must be under drift_roots; the file is read
  // from the object database at the ref (the work tree is ignored).
  std::function<Result<std::string>(const std::string&, const std::string&, const std::string&)>
      drift_read_git = [drift_path](const std::string& repo, const std::string& ref,
                                    const std::string& path) -> Result<std::string> {
    DAI_ASSIGN_OR_RETURN(std::string normal, drift_path(repo));
    return gitrepo::ReadFileAtRef(normal, ref, path);
  };
  self_healing::DriftExecutorHooks drift_hooks;
  if (!p.config.drift_roots.empty()) {
    drift_hooks.read_file = drift_read;
    drift_hooks.read_git = drift_read_git;
  }
  drift_hooks.write_file = [drift_path](const std::string& path,
                                        const std::string& content) -> Status {
    namespace fs = std::filesystem;
    DAI_ASSIGN_OR_RETURN(std::string normal, drift_path(path));
    // Written beside the target, then renamed over it: readers see the old or the new file.
    const std::string tmp = normal + ".devops-ai-tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << content;
      out.flush();
      if (!out) return Status::Unavailable(tmp + ": cannot be written");
    }
    std::error_code ec;
    // The corrected file keeps the permissions the file had (a config file may be 0600).
    if (const auto st = fs::status(normal, ec); !ec && fs::exists(st)) {
      fs::permissions(tmp, st.permissions(), ec);
      if (ec) {
        fs::remove(tmp, ec);
        return Status::Unavailable(normal + ": cannot keep its permissions: " + ec.message());
      }
    }
    ec.clear();
    fs::rename(tmp, normal, ec);
    if (ec) {
      fs::remove(tmp, ec);
      return Status::Unavailable(normal + ": " + ec.message());
    }
    return Status::Ok();
  };
  if (p.kube) {
    drift_hooks.apply_object = [kube = p.kube, drift_kind](
                                   const std::string& api_version, const std::string& kind,
                                   const std::string& ns, const std::string& name,
                                   const Json& body) -> Result<Json> {
      DAI_ASSIGN_OR_RETURN(const kube::ResourceRef* ref, drift_kind(api_version, kind));
      return kube->Patch(*ref, ns, name, body, kube::PatchType::kApply);
    };
  }
  p.drift_executor = std::make_unique<self_healing::DriftCorrectionExecutor>(drift_hooks);
  std::map<std::string, ActionExecutor*> executors = {
      {"restart_process", p.restart_executor.get()}, {"restart_service", p.systemd_executor.get()},
      {"http_request", p.webhook_executor.get()},    {"notify", p.webhook_executor.get()},
      {"apply_desired", p.drift_executor.get()},     {"run_runbook", p.runbook_executor.get()},
      {"restart_pod", p.kube_executor.get()},        {"rollout_restart", p.kube_executor.get()},
      {"cordon_node", p.kube_executor.get()},        {"scale_up", p.kube_executor.get()},
      {"scale_down", p.kube_executor.get()},         {"rollback", p.kube_executor.get()},
      {"argocd_rollback", p.argocd_executor.get()}};
  self_healing::HealingHooks hooks;
  hooks.publish = [pp](const std::string& type, const std::string& json) {
    PublishEvent(*pp, type, json);
  };
  hooks.escalate = [pp](const Json& e) -> Status {
    alerts::Alert a;
    a.status = alerts::AlertStatus::kFiring;
    a.labels = {{"alertname", "HealingEscalated"},
                {"severity", "high"},
                {"rule", e.value("rule", "")},
                {"target", e.value("target", "")}};
    if (e.contains("labels") && e["labels"].is_object()) {
      for (auto it = e["labels"].begin(); it != e["labels"].end(); ++it) {
        if (it.value().is_string() && !a.labels.count(it.key()) && it.key() != "alertname" &&
            it.key() != "severity") {
          a.labels[it.key()] = it.value().get<std::string>();
        }
      }
      if (e["labels"].contains("alertname") && e["labels"]["alertname"].is_string()) {
        a.labels["healed_alertname"] = e["labels"]["alertname"].get<std::string>();
      }
    }
    a.annotations = {{"summary", "Self-healing gave up on " + e.value("target", std::string("?")) +
                                     " (rule " + e.value("rule", std::string("?")) + ")"},
                     {"description", e.value("reason", std::string())}};
    a.starts_at = pp->clock.Now();
    a.fingerprint = alerts::LabelFingerprint(a.labels);
    a.source = "healing";
    alerts::AlertBatch batch;
    batch.alerts.push_back(std::move(a));
    return pp->incidents->Ingest(batch, "self-healing").status();
  };
  self_healing::HealingOptions healing_options;
  if (p.prometheus) {
    // metric_threshold rules: instant queries through the configured Prometheus.
    healing_options.instant_query = [pp](const std::string& query) -> Result<Json> {
      DAI_ASSIGN_OR_RETURN(auto d, pp->prometheus->Query(query));
      return Json{{"resultType", d.result_type}, {"result", d.result}};
    };
  }
  if (!p.config.drift_roots.empty()) {
    healing_options.read_file = drift_read;
    healing_options.read_git = drift_read_git;
  }
  if (p.kube) {
    healing_options.get_object = [kube = p.kube, drift_kind](
                                     const std::string& api_version, const std::string& kind,
                                     const std::string& ns,
                                     const std::string& name) -> Result<Json> {
      DAI_ASSIGN_OR_RETURN(const kube::ResourceRef* ref, drift_kind(api_version, kind));
      auto obj = kube->Get(*ref, ns, name);
      if (!obj.ok() && obj.status().code() == StatusCode::kNotFound) return Json(nullptr);
      return obj;
    };
  }
  p.healing = std::make_unique<self_healing::HealingService>(*p.store->db, p.clock, healing_options,
                                                             std::move(executors), hooks);
  p.healing->RegisterProcedures(p.registry);
  // A runbook's healing step goes through the rule that allows the action (safety checks
  // included) and waits for the action's outcome within the step's timeout.
  p.runbooks->SetHealing([pp](const std::string& action, const std::string& target,
                              const std::map<std::string, std::string>& params, Millis timeout,
                              const std::function<bool()>& cancelled) -> Result<Json> {
    std::map<std::string, std::string> labels = params;
    labels["alertname"] = "RunbookHealingStep";
    DAI_ASSIGN_OR_RETURN(Json decision, pp->healing->Request(action, target, labels, "runbook"));
    const int64_t id = decision["id"].get<int64_t>();
    DAI_ASSIGN_OR_RETURN(Json a, pp->healing->AwaitAction(id, timeout, cancelled));
    const std::string st = a["status"].get<std::string>();
    Json out = {{"healingActionId", id},
                {"healingStatus", st},
                {"output", decision.value("reason", std::string())}};
    if (st == "verifying" || st == "succeeded") {
      out["status"] = "succeeded";
    } else {
      out["status"] = "failed";
      out["error"] =
          "healing action " + std::to_string(id) + " " + st + ": " +
          (a["error"].is_string() ? a["error"].get<std::string>() : a["reason"].get<std::string>());
    }
    return out;
  });
  // Anomalies of watched queries also reach the rules (condition type anomaly), with the
  // series labels as the signal's labels.
  p.watches->SetSignalSink([pp](const alerts::AlertBatch& batch) {
    if (!pp->healing) return;
    for (const auto& a : batch.alerts) {
      healing::Signal signal;
      signal.kind = healing::ConditionType::kAnomaly;
      signal.firing = a.status == alerts::AlertStatus::kFiring;
      signal.labels = a.labels;
      // The anomalous value and its score, so rules can scale on them (scale_up/down with
      // targetValue reads the "value" label, as for metric_threshold signals).
      for (const char* key : {"value", "score"}) {
        if (auto it = a.annotations.find(key); it != a.annotations.end()) {
          signal.labels[std::string(key) == "score" ? "anomaly_score" : "value"] = it->second;
        }
      }
      signal.fingerprint = "anomaly:" + a.fingerprint;
      auto r = pp->healing->OnSignal(signal, "anomaly-watch");
      if (!r.ok())
        Log(LogLevel::kError, "healing decision failed", {{"error", r.status().ToString()}});
    }
  });
  namespace s = schema;
  p.registry.Add(MakeProcedure(
      "selfHealing.listProcesses", ProcedureKind::kQuery, Role::kViewer, s::Object({}),
      s::Array(s::Object({s::Req("name", s::String()), s::Req("running", s::Bool()),
                          s::Req("pid", s::Nullable(s::Int())), s::Req("restarts", s::Int()),
                          s::Req("lastExit", s::Nullable(s::String())),
                          s::Req("argv", s::Array(s::String())),
                          s::Req("healthPort", s::Nullable(s::Int())),
                          s::Req("healthUrl", s::Nullable(s::String()))})),
      "Processes this server supervises (--supervise-file), the targets of restart_process",
      [pp](const Json&, CallContext&) -> Result<Json> {
        return pp->supervisor ? pp->supervisor->List() : Json::array();
      }));
  return Status::Ok();
}

// The LLM when llm_url is set: one client (one token/cost account, one global budget) for the
// assistant and the narrator of module prose. The key comes from llm_api_key_file (a mounted
// secret) or DEVOPS_AI_LLM_API_KEY; it is never logged or shown.
Status BuildLlm(App::Parts& p) {
  if (!p.config.llm_url.empty()) {
    llm::LlmOptions o;
    o.base_url = p.config.llm_url;
    o.model = p.config.llm_model;
    if (!p.config.llm_api_key_file.empty()) {
      std::ifstream in(p.config.llm_api_key_file);
      if (!in)
        return Status::FailedPrecondition("setting llm_api_key_file: cannot read \"" +
                                          p.config.llm_api_key_file + "\"");
      std::getline(in, o.api_key);
      while (!o.api_key.empty() && (o.api_key.back() == '\r' || o.api_key.back() == ' '))
        o.api_key.pop_back();
    } else if (const char* key = std::getenv("DEVOPS_AI_LLM_API_KEY")) {
      o.api_key = key;
    }
    o.auth_header = p.config.llm_auth_header == "api-key" ? llm::LlmAuthHeader::kApiKey
                                                          : llm::LlmAuthHeader::kBearer;
    o.budget_usd = p.config.llm_budget_usd;
    o.usd_per_1k_prompt_tokens = p.config.llm_usd_per_1k_prompt;
    o.usd_per_1k_completion_tokens = p.config.llm_usd_per_1k_completion;
    o.http.policy = http::OutboundPolicy::AllowLocal();  // Ollama, vLLM, llama.cpp on the host
    o.http.total_timeout = std::chrono::seconds(120);
    DAI_ASSIGN_OR_RETURN(auto client, llm::LlmClient::Create(std::move(o)));
    p.llm = std::move(client);
    p.narrator = std::make_unique<assistant::LlmNarrator>(*p.store->db, p.clock, p.llm);
  }
  return Status::Ok();
}

// The assistant. Its proposals to run a runbook become runbook executions that wait for a
// person's approval (the Incident Commander's approval flow); it never starts one itself.
Status BuildAssistant(App::Parts& p) {
  p.assistant =
      std::make_unique<assistant::AssistantService>(*p.store->db, p.clock, p.registry, p.llm);
  App::Parts* pp = &p;
  p.assistant->SetProposeRunbook([pp](int64_t runbook_id, std::optional<int64_t> incident_id,
                                      const std::map<std::string, std::string>& params,
                                      const std::string& actor) -> Result<Json> {
    return pp->runbooks->Execute(runbook_id, incident_id, false, params, actor, 0,
                                 /*require_approval=*/true);
  });
  // Proposals to apply a cost recommendation wait on the recommendation for a person's decision.
  p.assistant->SetProposeRecommendation(
      [pp](int64_t id, const std::string& reason, const std::string& actor) -> Result<Json> {
        if (!pp->cost) return Status::FailedPrecondition("the Cost Optimizer is not running");
        return pp->cost->ProposeRecommendation(id, actor, reason);
      });
  p.assistant->RegisterProcedures(p.registry);
  return Status::Ok();
}

// A finished run of a deployment pipeline (config.deployment true, or a job whose name starts
// with "deploy") becomes a deployment_failure signal for the healing rules: firing when it
// failed, resolved when a later run succeeded.
void DeploymentSignal(App::Parts& p, const std::string& json) {
  if (!p.healing) return;
  auto ev = ParseJson(json);
  if (!ev.ok() || !ev->is_object() || !(*ev).contains("id") || !(*ev)["id"].is_number_integer())
    return;
  const std::string status = ev->value("status", std::string());
  if (status != "failed" && status != "succeeded") return;
  auto rows = p.store->db->Query(
      "SELECT p.id, p.name, p.config, r.branch, r.run_number, r.failure_reason FROM pipeline_runs "
      "r "
      "JOIN pipelines p ON p.id = r.pipeline_id WHERE r.id = ?",
      {(*ev)["id"].get<int64_t>()});
  if (!rows.ok() || rows->rows.empty()) return;
  const auto& row = rows->rows[0];
  auto cfg = ParseJson(row.GetString(size_t{2}));
  bool deployment = false;
  if (cfg.ok() && cfg->is_object()) {
    deployment = cfg->value("deployment", false);
    const Json def = cfg->value("definition", Json::object());
    if (def.is_object() && def.contains("jobs") && def["jobs"].is_array()) {
      for (const auto& j : def["jobs"]) {
        if (!j.is_object()) continue;
        for (const char* key : {"id", "name"}) {
          std::string v = j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
          for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          deployment = deployment || v.rfind("deploy", 0) == 0;
        }
      }
    }
  }
  if (!deployment) return;
  healing::Signal signal;
  signal.kind = healing::ConditionType::kDeploymentFailure;
  signal.firing = status == "failed";
  signal.labels = {{"alertname", "DeploymentFailed"},
                   {"pipeline", row.GetString(size_t{1})},
                   {"branch", row.IsNull(size_t{3}) ? std::string() : row.GetString(size_t{3})},
                   {"run", std::to_string(row.GetInt(size_t{4}))}};
  if (!row.IsNull(size_t{5})) signal.labels["reason"] = row.GetString(size_t{5}).substr(0, 500);
  signal.fingerprint = "deployment:" + std::to_string(row.GetInt(size_t{0}));
  auto r = p.healing->OnSignal(signal, "cicd");
  if (!r.ok()) Log(LogLevel::kError, "healing decision failed", {{"error", r.status().ToString()}});
}

// The registry of a server: auth, system, and every planned procedure. Shared by Start() and
// `devops-ai api typescript|openapi`, so the generated documents match the server exactly.
Status BuildRegistry(App::Parts& p) {
  auth::AuthOptions auth_options;
  auth_options.password_cost = CostOf(p.config.password_cost);
  auth_options.secure_cookies = p.config.secure_cookies;
  auth_options.session_ttl = Millis(int64_t{p.config.session_ttl_seconds} * 1000);
  p.auth = std::make_unique<auth::AuthService>(*p.store->db, p.clock, auth_options);
  p.auth->RegisterProcedures(p.registry);
  DAI_RETURN_IF_ERROR(BuildKubernetes(p));
  DAI_RETURN_IF_ERROR(BuildLlm(p));
  RegisterSystemProcedures(p);
  RegisterMetricsProcedures(p);
  App::Parts* pp = &p;
  if (!p.jobs) p.jobs = std::make_unique<store::JobRepository>(*p.store->db);
  notifications::NotificationOptions notify_options;
  // Webhook receivers are often internal relays: loopback and private addresses are allowed,
  // link-local and cloud-metadata addresses are not.
  notify_options.http.policy = http::OutboundPolicy::AllowLocal();
  notify_options.http.total_timeout = std::chrono::seconds(p.config.dependency_timeout_seconds);
  notify_options.smtp_timeout = std::chrono::seconds(p.config.dependency_timeout_seconds);
  p.notifications = std::make_unique<notifications::NotificationService>(*p.store->db, *p.jobs,
                                                                         p.clock, notify_options);
  p.notifications->RegisterProcedures(p.registry);
  p.incidents = std::make_unique<incidents::IncidentService>(
      *p.store->db, p.clock, incidents::IncidentServiceOptions{},
      [pp](const std::string& type, const std::string& json) { PublishEvent(*pp, type, json); });
  p.incidents->SetNarrator(p.narrator.get());
  p.incidents->RegisterProcedures(p.registry);
  security::SecurityServiceOptions security_options;
  security_options.scan_roots = p.config.scan_roots;
  // The compiled secrets rules are cached beside the server's other local state.
  if (!p.config.data_dir.empty()) security_options.scanner_cache_dir = p.config.data_dir + "/cache";
  security_options.warn = [](const std::string& msg) {
    Log(LogLevel::kWarn, "security", {{"warning", msg}});
  };
  {
    // The online OSV refresh: the same outbound rule as webhooks (services on this host and
    // private networks allowed, link-local and cloud-metadata addresses refused).
    http::HttpClientOptions osv_http;
    osv_http.policy = http::OutboundPolicy::AllowLocal();
    osv_http.total_timeout = std::chrono::seconds(p.config.dependency_timeout_seconds);
    osv_http.max_response_bytes = size_t{32} << 20;
    security_options.osv_http = std::make_shared<const http::HttpClient>(osv_http);
  }
  p.security = std::make_unique<security::SecurityService>(
      *p.store->db, p.clock, security_options,
      [pp](const std::string& type, const std::string& json) { PublishEvent(*pp, type, json); });
  // Scans are durable jobs; the repository is created here so procedures can enqueue them.
  if (!p.jobs) p.jobs = std::make_unique<store::JobRepository>(*p.store->db);
  if (p.kube) {
    std::shared_ptr<const kube::KubeClient> client = p.kube;
    p.security->SetClusterSource(
        {client->config().context,
         [client](std::vector<Json>* objects, std::vector<std::string>* errors) -> Status {
           DAI_ASSIGN_OR_RETURN(kube::ClusterObjects listed, kube::ListClusterObjects(*client));
           *objects = std::move(listed.objects);
           *errors = std::move(listed.errors);
           return Status::Ok();
         }});
  }
  p.security->RegisterProcedures(p.registry, p.jobs.get());
  security::ManagedSecretOptions secret_options;
  secret_options.key_file = p.config.SecretsKeyFile();
  secret_options.kube = p.kube;
  // Like notification webhooks: loopback and private receivers allowed, link-local and
  // cloud-metadata addresses refused before connecting.
  secret_options.webhook_http.policy = http::OutboundPolicy::AllowLocal();
  secret_options.webhook_http.connect_timeout = std::chrono::seconds(5);
  p.managed_secrets =
      std::make_unique<security::ManagedSecretService>(*p.store->db, p.clock, secret_options);
  p.managed_secrets->RegisterProcedures(p.registry);
  if (!p.jobs) p.jobs = std::make_unique<store::JobRepository>(*p.store->db);
  incidents::RunbookServiceOptions runbook_options;
  runbook_options.allowed_executables = {p.config.runbook_executables.begin(),
                                         p.config.runbook_executables.end()};
  runbook_options.prometheus = p.prometheus ? &*p.prometheus : nullptr;
  p.runbooks = std::make_unique<incidents::RunbookService>(
      *p.store->db, *p.jobs, p.clock, runbook_options,
      [pp](const std::string& type, const std::string& json) { PublishEvent(*pp, type, json); });
  p.runbooks->RegisterProcedures(p.registry);
  p.watches = std::make_unique<incidents::WatchService>(
      *p.store->db, *p.jobs, p.clock, *p.incidents, p.prometheus ? &*p.prometheus : nullptr);
  p.watches->RegisterProcedures(p.registry);
  p.rca = std::make_unique<incidents::RcaService>(*p.store->db, p.clock,
                                                  p.prometheus ? &*p.prometheus : nullptr);
  p.rca->SetNarrator(p.narrator.get());
  p.rca->RegisterProcedures(p.registry);
  DAI_RETURN_IF_ERROR(BuildSelfHealing(p));
  costopt::CostServiceOptions cost_options;
  cost_options.prometheus = p.prometheus ? &*p.prometheus : nullptr;
  cost_options.prices.vcpu_hour = p.config.cost_price_vcpu_hour;
  cost_options.prices.gib_hour = p.config.cost_price_gib_hour;
  cost_options.opencost_url = p.config.opencost_url;
  cost_options.opencost_http.policy = http::OutboundPolicy::AllowLocal();
  cost_options.opencost_http.total_timeout = std::chrono::seconds(30);
  if (p.kube) {
    // Spot suitability: the workloads, budgets and autoscalers of the posture inventory, and the
    // nodes (their providerID names the cloud).
    cost_options.read_cluster = [kube = p.kube](std::vector<Json>* objects,
                                                std::vector<std::string>* errors) -> Status {
      DAI_ASSIGN_OR_RETURN(kube::ClusterObjects listed, kube::ListClusterObjects(*kube));
      *objects = std::move(listed.objects);
      *errors = std::move(listed.errors);
      kube::ListOptions lo;
      lo.page_size = 200;
      lo.max_items = 5000;
      auto nodes = kube->List(*kube::FindResource("nodes"), lo);
      if (nodes.ok()) {
        for (auto& n : nodes->items) objects->push_back(std::move(n));
      } else {
        errors->push_back("Node: " + nodes.status().message());
      }
      return Status::Ok();
    };
  }
  // Cost anomalies enter the Incident Commander like watched-query anomalies.
  cost_options.signals = [pp](const alerts::AlertBatch& batch) -> Status {
    return pp->incidents->Ingest(batch, "cost-anomaly").status();
  };
  p.cost = std::make_unique<costopt::CostService>(
      *p.store->db, p.clock, cost_options,
      [pp](const std::string& type, const std::string& json) { PublishEvent(*pp, type, json); });
  p.cost->RegisterProcedures(p.registry);
  cicd::CicdServiceOptions cicd_options;
  cicd_options.data_dir = p.config.data_dir;
  cicd_options.runs_dir = p.config.runs_dir;
  cicd_options.run_user = p.config.run_user;
  cicd_options.prometheus = p.prometheus ? &*p.prometheus : nullptr;
  cicd_options.argocd = p.argocd;
  cicd_options.kube = p.kube;
  // A failing canary rolls back through Self-Healing (its rule's safety checks apply).
  cicd_options.request_healing = [pp](const std::string& action, const std::string& target,
                                      const std::map<std::string, std::string>& labels,
                                      const Json& evidence) -> Result<Json> {
    if (!pp->healing) return Status::FailedPrecondition("Self-Healing is not running");
    return pp->healing->Request(action, target, labels, "canary", evidence);
  };
  p.cicd = std::make_unique<cicd::CicdService>(
      *p.store->db, p.clock, cicd_options, [pp](const std::string& type, const std::string& json) {
        PublishEvent(*pp, type, json);
        if (type == "cicd.run") DeploymentSignal(*pp, json);
      });
  DAI_RETURN_IF_ERROR(p.cicd->CheckSettings());
  p.cicd->SetNarrator(p.narrator.get());
  p.cicd->RegisterProcedures(p.registry, p.jobs.get());
  DAI_RETURN_IF_ERROR(BuildAssistant(p));
  logs::LogServiceOptions log_options;
  log_options.kube = p.kube;  // kubernetes log sources read pod logs from this cluster
  p.logs = std::make_unique<logs::LogService>(
      *p.store->db, p.clock, p.incidents.get(), std::move(log_options),
      [pp](const std::string& type, const std::string& json) { PublishEvent(*pp, type, json); });
  p.logs->RegisterProcedures(p.registry);
  docs::DocsServiceOptions docs_options;
  docs_options.registry = &p.registry;
  docs_options.version = DAI_VERSION;
  docs_options.incidents = p.incidents.get();
  docs_options.runbooks = p.runbooks.get();
  docs_options.read_roots = p.config.scan_roots;
  if (p.kube) {
    // Live capture: the posture inventory's kinds (workloads, services, ingresses, ...) and the
    // config maps, whose connection URLs name databases and queues (never their credentials).
    docs_options.read_cluster = [kube =
                                     p.kube](const std::string& ns) -> Result<docs::LiveObjects> {
      DAI_ASSIGN_OR_RETURN(kube::ClusterObjects listed, kube::ListClusterObjects(*kube, ns));
      docs::LiveObjects out{std::move(listed.objects), std::move(listed.errors)};
      kube::ListOptions lo;
      lo.namespace_ = ns;
      lo.page_size = 200;
      lo.max_items = 20000;
      auto maps = kube->List(*kube::FindResource("configmaps"), lo);
      if (maps.ok()) {
        for (auto& o : maps->items) out.objects.push_back(std::move(o));
      } else {
        out.errors.push_back("ConfigMap: " + maps.status().message());
      }
      return out;
    };
  }
  docs_options.narrator = p.narrator.get();
  p.docs = std::make_unique<docs::DocsService>(
      *p.store->db, p.clock, docs_options,
      [pp](const std::string& type, const std::string& json) { PublishEvent(*pp, type, json); });
  p.docs->RegisterProcedures(p.registry);
  modules::RegisterPlannedProcedures(p.registry);
  return Status::Ok();
}

}  // namespace

Result<std::string> GenerateApiDocument(const std::string& kind) {
  App::Parts p;
  Config config;
  config.db = ":memory:";
  p.config = config;
  DAI_ASSIGN_OR_RETURN(p.store, OpenStore(config, true));
  DAI_RETURN_IF_ERROR(BuildRegistry(p));
  if (kind == "typescript") return BuildTypeScript(p.registry);
  if (kind == "openapi") return BuildOpenApi(p.registry, DAI_VERSION).dump(2) + "\n";
  return Status::InvalidArgument("unknown API document \"" + kind + "\" (typescript or openapi)");
}

Result<Json> AskLocally(const Config& config, const std::string& question) {
  if (question.empty() || question.size() > 4000)
    return Status::InvalidArgument("QUESTION: 1 to 4000 bytes");
  App::Parts p;
  p.config = config;
  DAI_ASSIGN_OR_RETURN(p.store, OpenStore(config, true));
  DAI_RETURN_IF_ERROR(BuildRegistry(p));
  CallContext ctx;
  ctx.identity = Identity{};
  ctx.identity->username = "cli";
  ctx.identity->role = Role::kViewer;
  ctx.identity->method = AuthMethod::kInternal;
  ctx.request_id = "cli-ask";
  return p.assistant->Ask(question, ctx);
}

Status App::Start() {
  Parts& p = *parts_;
  p.started_at = p.clock.Now();
  SetLogLevel(ParseLogLevel(p.config.log_level));
  DAI_ASSIGN_OR_RETURN(auto listen, p.config.ListenAddress());
  DAI_ASSIGN_OR_RETURN(p.store, OpenStore(p.config, true));
  Log(LogLevel::kInfo, "store ready", {{"store", p.store->db->Describe()}});

  server::EventHubOptions hub_options;
  // Ids keep increasing across restarts, so a reconnecting client's Last-Event-ID from before
  // a restart is recognised as old and answered with a resync.
  hub_options.first_id = static_cast<uint64_t>(ToUnixMillis(p.clock.Now())) * 1000;
  p.events = std::make_unique<server::EventHub>(hub_options);
  DAI_RETURN_IF_ERROR(BuildRegistry(p));
  p.openapi = DumpJson(BuildOpenApi(p.registry, DAI_VERSION));

  p.metrics = std::make_unique<server::Metrics>(DAI_VERSION);

  server::TrpcEndpointOptions trpc_options;
  trpc_options.on_internal_error = [](const std::string& path, const std::string& rid,
                                      const Status& st) {
    Log(LogLevel::kError, "procedure failed",
        {{"procedure", path}, {"request_id", rid}, {"error", st.ToString()}});
  };
  p.trpc = std::make_unique<server::TrpcEndpoint>(p.registry, *p.auth, *p.auth, trpc_options);

  server::HttpServerOptions http_options;
  http_options.address = listen.first;
  http_options.port = listen.second;
  http_options.threads = p.config.threads;
  // Webhook deliveries wait on the blocking pool for their group commit (IncidentService): a
  // thread per waiting delivery lets concurrent deliveries share one transaction. Idle waiting
  // threads cost only their stacks.
  http_options.blocking_threads = 32;
  http_options.max_body_bytes = static_cast<size_t>(p.config.max_body_bytes);
  http_options.sse_heartbeat = std::chrono::seconds(p.config.sse_heartbeat_seconds);
  server::Metrics* metrics = p.metrics.get();
  http_options.on_response = [metrics](const server::HttpRequest&, const server::HttpResponse& resp,
                                       std::chrono::nanoseconds d) {
    metrics->ObserveRequest(resp.route_label.empty() ? "unmatched" : resp.route_label, resp.status,
                            std::chrono::duration<double>(d).count());
  };
  http_options.access_log = [](const server::AccessLogEntry& e) {
    const LogLevel level = e.status >= 500 ? LogLevel::kWarn : LogLevel::kDebug;
    if (!LogEnabled(level)) return;
    Log(level, "request",
        {{"method", std::string(e.method)},
         {"path", std::string(e.path)},
         {"route", std::string(e.route_label)},
         {"status", e.status},
         {"bytes", e.body_bytes},
         {"request_id", std::string(e.request_id)},
         {"remote", std::string(e.remote_addr)},
         {"ms", std::chrono::duration<double, std::milli>(e.duration).count()}});
  };
  http_options.on_handler_exception = [](const server::HttpRequest& req, std::string_view what) {
    Log(LogLevel::kError, "handler threw",
        {{"request_id", req.request_id}, {"path", req.path}, {"error", std::string(what)}});
  };
  p.http = std::make_unique<server::HttpServer>(http_options);

  server::TrpcEndpoint* trpc = p.trpc.get();
  p.http->HandlePrefix("*", "/trpc/",
                       [trpc](const server::HttpRequest& r) { return trpc->Handle(r); });
  p.http->Handle("GET", "/healthz", [](const server::HttpRequest&) {
    auto r = server::HttpResponse::Json(200, R"({"status":"ok"})");
    r.route_label = "healthz";
    return r;
  });
  Parts* pp = &p;
  p.http->Handle("GET", "/readyz", [pp](const server::HttpRequest&) {
    Json checks = Json::object();
    bool ready = true;
    Status ping = pp->store->db->Ping();
    checks["store"] = ping.ok() ? "ok" : ping.message();
    ready = ready && ping.ok();
    auto version = store::SchemaVersion(*pp->store->db);
    const bool migrated = version.ok() && *version == store::LatestSchemaVersion();
    checks["migrations"] = migrated ? "ok" : "pending";
    ready = ready && migrated;
    auto r = server::HttpResponse::Json(
        ready ? 200 : 503,
        DumpJson({{"status", ready ? "ready" : "not ready"}, {"checks", checks}}));
    r.route_label = "readyz";
    return r;
  });
  p.http->Handle("GET", "/metrics", [pp](const server::HttpRequest&) {
    if (pp->jobs) {
      auto counts = pp->jobs->CountByState();
      if (counts.ok()) {
        for (const auto& [state, n] : *counts)
          pp->metrics->SetJobsQueueDepth(state, static_cast<double>(n));
      } else {
        pp->metrics->IncStoreErrors("jobs.count");
      }
    }
    pp->metrics->SetSseClients(static_cast<double>(pp->events->subscriber_count()));
    auto r = server::HttpResponse::Text(200, pp->metrics->Render(),
                                        std::string(server::Metrics::kContentType));
    r.route_label = "metrics";
    return r;
  });
  p.http->Handle("GET", "/api/openapi.json", [pp](const server::HttpRequest&) {
    auto r = server::HttpResponse::Json(200, pp->openapi);
    r.route_label = "openapi";
    return r;
  });
  p.http->HandleStream("/api/events", [pp](const server::HttpRequest& req) {
    auto id = pp->auth->Authenticate(server::CredentialsFrom(req));
    if (!id.ok() || !id->has_value()) {
      return server::StreamStart::Refuse(server::HttpResponse::Error(
          AuthRefusalStatus(id.status()),
          id.ok() ? "authentication required for the event stream" : id.status().message()));
    }
    const Identity& who = **id;
    const std::string key = who.method == AuthMethod::kSession
                                ? "s:" + who.session_id
                                : "t:" + std::to_string(who.token_id);
    return server::StreamStart::Accept(
        pp->events->Subscribe(key, static_cast<int>(who.role), server::LastEventId(req)));
  });
  // Signals in: Alertmanager's webhook (version 4) and a generic JSON webhook. Both need an
  // API token of at least the operator role; a 2xx answer means every alert is committed.
  auto webhook = [pp](bool alertmanager) {
    return [pp, alertmanager](const server::HttpRequest& req) {
      // Ingestion waits for its commit: off the io threads, which keep serving other requests.
      if (!req.on_blocking_pool) return server::HttpResponse::RunOnBlockingPool();
      auto refuse = [](int status, std::string_view message) {
        auto r = server::HttpResponse::Error(status, message);
        r.route_label = "webhook";
        return r;
      };
      auto id = pp->auth->Authenticate(server::CredentialsFrom(req));
      if (!id.ok() || !id->has_value()) {
        return refuse(AuthRefusalStatus(id.status()),
                      id.ok() ? "an API token is required (Authorization: Bearer ...)"
                              : id.status().message());
      }
      if (static_cast<int>((*id)->role) < static_cast<int>(Role::kOperator)) {
        return refuse(403, "webhooks need a token with the operator role");
      }
      const TimePoint now = pp->clock.Now();
      auto batch = alertmanager ? alerts::DecodeAlertmanagerWebhook(req.body, now)
                                : alerts::DecodeGenericWebhook(req.body, now);
      if (!batch.ok()) return refuse(400, batch.status().message());
      auto result = pp->incidents->Ingest(*batch, (*id)->username);
      if (!result.ok()) {
        Log(LogLevel::kError, "webhook ingestion failed",
            {{"request_id", req.request_id}, {"error", result.status().ToString()}});
        pp->metrics->IncStoreErrors("incidents.ingest");
        // The store's reason ("database or disk is full", "connection lost") names no values.
        return refuse(503, "the alerts were not stored (" + result.status().message() +
                               "); retry (request id " + req.request_id + ")");
      }
      // Committed: now start the auto-execute runbooks whose trigger matches a new incident.
      for (int64_t opened : result->opened_incidents) {
        Status st = pp->runbooks->OnIncidentOpened(opened);
        if (!st.ok()) {
          Log(LogLevel::kWarn, "auto-execute runbooks failed",
              {{"incident", opened}, {"error", st.ToString()}});
        }
      }
      if (pp->healing) {
        // The alerts are committed; healing decisions are recorded separately and never turn
        // an accepted delivery into an error.
        std::vector<healing::Signal> signals;
        signals.reserve(batch->alerts.size());
        for (const auto& a : batch->alerts) {
          healing::Signal signal;
          signal.kind = healing::ConditionType::kAlert;
          signal.firing = a.status == alerts::AlertStatus::kFiring;
          signal.labels = a.labels;
          signal.fingerprint = a.fingerprint;
          signals.push_back(std::move(signal));
        }
        auto decided = pp->healing->OnSignals(signals, alertmanager ? "alertmanager" : "webhook");
        if (!decided.ok()) {
          Log(LogLevel::kError, "healing decision failed",
              {{"request_id", req.request_id}, {"error", decided.status().ToString()}});
        }
      }
      auto r = server::HttpResponse::Json(200, DumpJson(result->ToJson()));
      r.route_label = alertmanager ? "webhook.alertmanager" : "webhook.generic";
      return r;
    };
  };
  // Log lines in: newline-separated lines (plain or JSON) for a named source, and Loki's push
  // API (JSON body; the source is ?source=, else the stream's job/service_name/app label).
  // Operator tokens; a 2xx answer means the lines' counts are committed.
  auto log_push = [pp](bool loki) {
    return [pp, loki](const server::HttpRequest& req) {
      if (!req.on_blocking_pool) return server::HttpResponse::RunOnBlockingPool();
      auto refuse = [](int status, std::string_view message) {
        auto r = server::HttpResponse::Error(status, message);
        r.route_label = "logs.push";
        return r;
      };
      auto id = pp->auth->Authenticate(server::CredentialsFrom(req));
      if (!id.ok() || !id->has_value()) {
        return refuse(AuthRefusalStatus(id.status()),
                      id.ok() ? "an API token is required (Authorization: Bearer ...)"
                              : id.status().message());
      }
      if (static_cast<int>((*id)->role) < static_cast<int>(Role::kOperator)) {
        return refuse(403, "pushing logs needs a token with the operator role");
      }
      std::map<std::string, std::vector<logs::LogService::PushLine>> by_source;
      const std::string named = req.QueryParam("source").value_or("");
      if (loki) {
        auto ct = req.Header("content-type");
        if (ct && ct->find("json") == std::string_view::npos) {
          auto r = refuse(
              415, "only Loki's JSON push body is accepted (Content-Type: application/json), not " +
                       std::string(*ct));
          return r;
        }
        auto streams = logmine::DecodeLokiPush(req.body);
        if (!streams.ok()) return refuse(400, streams.status().message());
        for (auto& st : *streams) {
          std::string source = named;
          for (const char* k : {"job", "service_name", "app", "service"}) {
            if (source.empty() && st.labels.count(k)) source = st.labels[k];
          }
          if (source.empty()) source = "loki";
          auto& dest = by_source[source];
          for (auto& l : st.lines) dest.push_back({l.unix_ms, std::move(l.line)});
        }
      } else {
        if (named.empty())
          return refuse(400, "source: the query parameter ?source=NAME is required");
        auto& dest = by_source[named];
        size_t start = 0;
        while (start < req.body.size()) {
          size_t end = req.body.find('\n', start);
          if (end == std::string::npos) end = req.body.size();
          dest.push_back({0, req.body.substr(start, end - start)});
          start = end + 1;
        }
      }
      Json results = Json::array();
      for (const auto& [source, lines] : by_source) {
        auto r = pp->logs->Push(source, lines, true);
        if (!r.ok()) {
          const int status = r.status().code() == StatusCode::kInvalidArgument      ? 400
                             : r.status().code() == StatusCode::kFailedPrecondition ? 409
                                                                                    : 503;
          return refuse(status, "source \"" + source + "\": " + r.status().message());
        }
        results.push_back(*r);
      }
      auto r = loki ? server::HttpResponse::Text(204, "")
                    : server::HttpResponse::Json(200, DumpJson({{"sources", results}}));
      r.route_label = loki ? "logs.loki_push" : "logs.push";
      return r;
    };
  };
  server::RouteOptions push_route;
  push_route.max_body_bytes =
      std::max<std::size_t>(static_cast<std::size_t>(p.config.max_body_bytes), 16u << 20);
  p.http->Handle("POST", "/api/logs/push", log_push(false), push_route);
  p.http->Handle("POST", "/loki/api/v1/push", log_push(true), push_route);
  p.http->Handle("POST", "/api/alertmanager/webhook", webhook(true));
  p.http->Handle("POST", "/api/webhooks/generic", webhook(false));
  p.web_dir = FindWebDir(p.config);
  if (!p.web_dir.empty()) {
    p.http->ServeStatic("/", p.web_dir, true);
  } else {
    p.http->Handle("GET", "/", [](const server::HttpRequest&) {
      return server::HttpResponse::Text(
          200,
          "devops-ai is running. The web client is not built: run `make run` (or `cd web && npm "
          "run build`) or pass --web-dir. The API is at /trpc/ and /api/openapi.json.\n");
    });
  }

  // Durable background work.
  if (!p.jobs) p.jobs = std::make_unique<store::JobRepository>(*p.store->db);
  store::JobWorkerOptions worker_options;
  worker_options.threads = std::max(1, p.config.job_workers);
  p.worker = std::make_unique<store::JobWorker>(*p.jobs, p.clock, worker_options);
  p.worker->Register("housekeeping", [pp](const store::Job&, store::JobControl& control) -> Status {
    const TimePoint now = pp->clock.Now();
    auto sessions = pp->store->db->Query("DELETE FROM sessions WHERE expires_at <= ?", {now});
    DAI_RETURN_IF_ERROR(sessions.status());
    auto old_jobs = pp->jobs->DeleteFinishedBefore(now - std::chrono::hours(24 * 7));
    DAI_RETURN_IF_ERROR(old_jobs.status());
    store::RetentionPolicy retention;
    retention.days = pp->config.retention_days;
    retention.audit_days = pp->config.audit_retention_days;
    auto pruned = store::PruneExpired(*pp->store->db, now, retention);
    DAI_RETURN_IF_ERROR(pruned.status());
    control.SetResult(DumpJson({{"expiredSessions", sessions->affected_rows},
                                {"prunedJobs", *old_jobs},
                                {"pruned", *pruned}}));
    control.RescheduleAt(now + std::chrono::minutes(10));
    return Status::Ok();
  });
  p.worker->Register("security.scan", [pp](const store::Job& job, store::JobControl&) -> Status {
    auto payload = ParseJson(job.payload);
    if (!payload.ok() || !payload->is_object() || !payload->contains("scanId") ||
        !(*payload)["scanId"].is_number_integer())
      return Status::InvalidArgument("security.scan job: payload lacks an integer scanId");
    return pp->security->RunScan((*payload)["scanId"].get<int64_t>());
  });
  // The scheduled OSV refresh: checked every 10 minutes, refreshes when the schedule says so.
  p.worker->Register("security.osv_refresh",
                     [pp](const store::Job& job, store::JobControl& control) -> Status {
                       if (job.singleton_key == std::string("schedule:security.osv_refresh"))
                         control.RescheduleAt(pp->clock.Now() + std::chrono::minutes(10));
                       return pp->security->RunScheduledOsvRefresh();
                     });
  p.worker->Register("cicd.run", [pp](const store::Job& job, store::JobControl& control) -> Status {
    auto payload = ParseJson(job.payload);
    if (!payload.ok() || !payload->is_object() || !payload->contains("runId") ||
        !(*payload)["runId"].is_number_integer())
      return Status::InvalidArgument("cicd.run job: payload lacks an integer runId");
    return pp->cicd->ExecuteRun((*payload)["runId"].get<int64_t>(), control.cancel_flag());
  });
  // Template-backed documents whose refresh interval elapsed are regenerated (a person's edit is
  // never overwritten: the new output is stored beside it).
  p.worker->Register("docs.regenerate",
                     [pp](const store::Job&, store::JobControl& control) -> Status {
                       auto done = pp->docs->RegenerateDue();
                       DAI_RETURN_IF_ERROR(done.status());
                       control.SetResult(DumpJson({{"regenerated", *done}}));
                       control.RescheduleAt(pp->clock.Now() + std::chrono::minutes(1));
                       return Status::Ok();
                     });
  // A diagnostic job kind: records that it ran (an `events` row naming the job and the
  // worker) and optionally sleeps (bounded). Used to verify the queue across processes.
  const std::string owner = p.worker->owner();
  p.worker->Register("diagnostic.echo",
                     [pp, owner](const store::Job& job, store::JobControl&) -> Status {
                       auto payload = ParseJson(job.payload);
                       int64_t sleep_ms = 0;
                       if (payload.ok() && payload->is_object())
                         sleep_ms = payload->value("sleepMs", int64_t{0});
                       if (sleep_ms > 0)
                         std::this_thread::sleep_for(Millis(std::min<int64_t>(sleep_ms, 1000)));
                       store::EventRepository events(*pp->store->db, pp->clock);
                       return events
                           .Append("diagnostic.echo",
                                   DumpJson({{"jobId", std::to_string(job.id)}, {"owner", owner}}))
                           .status();
                     });
  DAI_RETURN_IF_ERROR(p.runbooks->AttachWorker(*p.worker));
  DAI_RETURN_IF_ERROR(p.notifications->AttachWorker(*p.worker));
  DAI_RETURN_IF_ERROR(p.watches->AttachWorker(*p.worker));
  DAI_RETURN_IF_ERROR(p.cost->AttachWorker(*p.worker, *p.jobs));
  DAI_RETURN_IF_ERROR(p.logs->AttachWorker(*p.worker, *p.jobs));
  DAI_RETURN_IF_ERROR(p.logs->Start().WithContext("starting the log sources"));
  store::JobWorker* worker = p.worker.get();
  p.runbooks->SetNotify([worker] { worker->Notify(); });
  p.notifications->SetNotify([worker] { worker->Notify(); });
  p.notifications->Start();
  DAI_RETURN_IF_ERROR(p.jobs
                          ->EnsureScheduled("housekeeping", "schedule:housekeeping", "{}",
                                            p.clock.Now(), p.clock.Now())
                          .status());
  DAI_RETURN_IF_ERROR(p.jobs
                          ->EnsureScheduled("security.osv_refresh", "schedule:security.osv_refresh",
                                            "{}", p.clock.Now(), p.clock.Now())
                          .status());
  DAI_RETURN_IF_ERROR(p.jobs
                          ->EnsureScheduled("docs.regenerate", "schedule:docs.regenerate", "{}",
                                            p.clock.Now(), p.clock.Now())
                          .status());

  if (!p.config.healing_rules_file.empty()) {
    std::ifstream in(p.config.healing_rules_file);
    if (!in) {
      return Status::FailedPrecondition("setting healing_rules_file: cannot read \"" +
                                        p.config.healing_rules_file + "\"");
    }
    std::stringstream text;
    text << in.rdbuf();
    auto rules = healing::ParseRuleFile(text.str());
    if (!rules.ok()) return rules.status().WithContext("setting healing_rules_file");
    Identity system;
    system.username = "healing_rules_file";
    DAI_ASSIGN_OR_RETURN(Json imported, p.healing->ImportRules(*rules, system));
    Log(LogLevel::kInfo, "healing rules imported",
        {{"file", p.config.healing_rules_file}, {"result", imported}});
  }
  p.healing->Start();
  if (p.supervisor) {
    Status started = p.supervisor->StartAll();
    if (!started.ok())
      Log(LogLevel::kWarn, "a supervised process did not start", {{"error", started.ToString()}});
  }

  DAI_RETURN_IF_ERROR(p.http->Start());
  if (p.config.job_workers > 0) DAI_RETURN_IF_ERROR(p.worker->Start());

  const std::string base =
      "http://" + HostForUrl(listen.first) + ":" + std::to_string(p.http->port());
  Log(LogLevel::kInfo, "listening",
      {{"url", base},
       {"web_dir", p.web_dir.empty() ? Json(nullptr) : Json(p.web_dir)},
       {"procedures", p.registry.All().size()}});
  DAI_ASSIGN_OR_RETURN(auto setup_token, p.auth->PrepareSetup());
  std::printf("devops-ai %s listening on %s\n", DAI_VERSION, base.c_str());
  if (setup_token) {
    std::printf("devops-ai first-start setup token: %s\n", setup_token->c_str());
    std::printf("  open %s/ and enter it to set the admin password (it works once)\n",
                base.c_str());
  }
  std::fflush(stdout);
  return Status::Ok();
}

void App::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  if (p.events) p.events->CloseAll();
  if (p.http) p.http->Stop();
  if (p.notifications) p.notifications->Stop();
  if (p.worker) p.worker->Stop();
  if (p.logs) p.logs->Stop();
  if (p.healing) p.healing->Stop();
  if (p.supervisor) p.supervisor->StopAll();
  Log(LogLevel::kInfo, "stopped");
}

void App::Wait() {
  if (parts_->http) parts_->http->Wait();
}

}  // namespace dai::cli
