#include "modules/incident_commander/rca_service.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "engines/rca/root_cause_ranker.h"
#include "registry/schema.h"
#include "store/settings_repository.h"

namespace dai::incidents {

namespace s = schema;

namespace {

constexpr const char* kSettingsKey = "rca.config";
constexpr size_t kMaxServices = 500;
constexpr size_t kMaxMetrics = 20;

int64_t UnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// "deployment/shop/web" or "shop/web" → "web"; a plain name stays.
std::string LastSegment(const std::string& id) {
  const size_t slash = id.rfind('/');
  return slash == std::string::npos ? id : id.substr(slash + 1);
}

Json CandidateJson(const rca::Candidate& c, int64_t incident_start) {
  Json series = Json::array();
  for (const auto& se : c.series) {
    series.push_back(
        {{"metric", se.metric},
         {"levelZ", std::isfinite(se.level_z) ? se.level_z : 0.0},
         {"onset",
          se.onset > 0 ? Json(FormatIso8601(FromUnixMillis(se.onset * 1000))) : Json(nullptr)},
         {"baselineMedian", std::isfinite(se.baseline_median) ? se.baseline_median : 0.0},
         {"peakValue", std::isfinite(se.peak_value) ? se.peak_value : 0.0}});
  }
  return {
      {"service", c.service},
      {"score", c.score},
      {"confidence", c.confidence},
      {"anomaly", c.anomaly},
      {"onset", c.onset > 0 ? Json(FormatIso8601(FromUnixMillis(c.onset * 1000))) : Json(nullptr)},
      {"hiddenCause", c.hidden_cause},
      {"explanation", c.explanation},
      {"evidence", rca::EvidenceLines(c, incident_start)},
      {"series", series},
      {"changes", c.changes},
      {"alerts", c.alerts},
      {"anomalousCallees", c.anomalous_callees},
      {"anomalousCallers", c.anomalous_callers}};
}

Json AnalysisSchema() {
  return s::Nullable(s::Object(
      {s::Req("computedAt", s::DateTime()), s::Req("actor", s::String()),
       s::Req("incidentStart", s::DateTime()),
       s::Req("ranking",
              s::Array(s::Object(
                  {s::Req("service", s::String()), s::Req("score", s::Number()),
                   s::Req("confidence", s::Number()), s::Req("anomaly", s::Number()),
                   s::Req("onset", s::Nullable(s::DateTime())), s::Req("hiddenCause", s::Bool()),
                   s::Req("explanation", s::String()), s::Req("evidence", s::Array(s::String())),
                   s::Req("series", s::Any()), s::Req("changes", s::Array(s::String())),
                   s::Req("alerts", s::Array(s::String())),
                   s::Req("anomalousCallees", s::Array(s::String())),
                   s::Req("anomalousCallers", s::Array(s::String()))}))),
       s::Req("inputs", s::Any()),
       s::Opt("narrative",
              s::Object({s::Req("mode", s::Enum({"llm", "deterministic"})),
                         s::Opt("model", s::String()), s::Opt("reason", s::String()),
                         s::Opt("text", s::String()), s::Opt("promptTokens", s::Int()),
                         s::Opt("completionTokens", s::Int()), s::Opt("costUsd", s::Number())}))}));
}

}  // namespace

Json RcaSettings::ToJson() const {
  Json m = Json::array();
  for (const auto& q : metrics) m.push_back({{"metric", q.metric}, {"query", q.query}});
  Json c = Json::array();
  for (const auto& [from, to] : calls) c.push_back({{"from", from}, {"to", to}});
  return {
      {"serviceLabel", service_label}, {"stepSeconds", step_seconds}, {"metrics", m}, {"calls", c}};
}

Result<RcaSettings> RcaSettings::FromJson(const Json& j) {
  if (!j.is_object()) return Status::InvalidArgument("rca config: not an object");
  RcaSettings out;
  if (j.contains("serviceLabel")) {
    if (!j["serviceLabel"].is_string() || j["serviceLabel"].get<std::string>().empty())
      return Status::InvalidArgument("serviceLabel: a non-empty label name");
    out.service_label = j["serviceLabel"].get<std::string>();
  }
  if (j.contains("stepSeconds")) {
    if (!j["stepSeconds"].is_number_integer() || j["stepSeconds"].get<int>() < 5 ||
        j["stepSeconds"].get<int>() > 300)
      return Status::InvalidArgument("stepSeconds: an integer from 5 to 300");
    out.step_seconds = j["stepSeconds"].get<int>();
  }
  if (j.contains("metrics")) {
    if (!j["metrics"].is_array() || j["metrics"].size() > kMaxMetrics)
      return Status::InvalidArgument("metrics: at most " + std::to_string(kMaxMetrics) +
                                     " {metric, query} entries");
    for (size_t i = 0; i < j["metrics"].size(); ++i) {
      const Json& m = j["metrics"][i];
      const std::string at = "metrics[" + std::to_string(i) + "]";
      if (!m.is_object() || !m.contains("metric") || !m["metric"].is_string() ||
          !m.contains("query") || !m["query"].is_string() ||
          m["metric"].get<std::string>().empty() || m["query"].get<std::string>().empty())
        return Status::InvalidArgument(at + ": {metric, query}, both non-empty strings");
      out.metrics.push_back({m["metric"].get<std::string>(), m["query"].get<std::string>()});
    }
  }
  if (j.contains("calls")) {
    if (!j["calls"].is_array() || j["calls"].size() > 5000)
      return Status::InvalidArgument("calls: at most 5000 {from, to} entries");
    for (size_t i = 0; i < j["calls"].size(); ++i) {
      const Json& e = j["calls"][i];
      if (!e.is_object() || !e.contains("from") || !e["from"].is_string() || !e.contains("to") ||
          !e["to"].is_string() || e["from"].get<std::string>().empty() ||
          e["to"].get<std::string>().empty())
        return Status::InvalidArgument("calls[" + std::to_string(i) +
                                       "]: {from, to}, both non-empty service names");
      out.calls.emplace_back(e["from"].get<std::string>(), e["to"].get<std::string>());
    }
  }
  return out;
}

RcaSettings RcaSettings::Defaults() {
  RcaSettings d;
  // The usual names of HTTP server and process metrics (Prometheus client libraries); an admin
  // replaces them with setRcaConfig. Each answers one series per `service` label value.
  d.metrics = {
      {"latency_p99_ms",
       "1000 * histogram_quantile(0.99, sum by (service, le) "
       "(rate(http_request_duration_seconds_bucket[1m])))"},
      {"error_rate",
       "sum by (service) (rate(http_requests_total{code=~\"5..\"}[1m])) / sum by (service) "
       "(rate(http_requests_total[1m]))"},
      {"request_rate", "sum by (service) (rate(http_requests_total[1m]))"},
      {"cpu_usage", "sum by (service) (rate(process_cpu_seconds_total[1m]))"},
      {"memory_bytes", "sum by (service) (process_resident_memory_bytes)"},
  };
  return d;
}

RcaService::RcaService(store::Database& db, const Clock& clock,
                       const prometheus::PrometheusClient* prometheus)
    : db_(db), clock_(clock), prometheus_(prometheus) {}

Result<RcaSettings> RcaService::Settings() {
  store::SettingsRepository settings(db_, clock_);
  auto text = settings.Get(kSettingsKey);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return RcaSettings::Defaults();
    return text.status();
  }
  DAI_ASSIGN_OR_RETURN(Json j, ParseJson(*text));
  return RcaSettings::FromJson(j);
}

Result<Json> RcaService::SetSettings(const Json& in) {
  DAI_ASSIGN_OR_RETURN(RcaSettings parsed, RcaSettings::FromJson(in));
  store::SettingsRepository settings(db_, clock_);
  DAI_RETURN_IF_ERROR(settings.Set(kSettingsKey, DumpJson(parsed.ToJson())));
  return parsed.ToJson();
}

Result<rca::RcaInput> RcaService::BuildInput(int64_t id, const RcaSettings& settings,
                                             Json& inputs) {
  DAI_ASSIGN_OR_RETURN(auto inc,
                       db_.Query("SELECT detected_at, service FROM incidents WHERE id = ?", {id}));
  if (inc.rows.empty()) return Status::NotFound("incident " + std::to_string(id) + " not found");
  const TimePoint detected = inc.rows[0].GetTime(size_t{0});
  rca::RcaInput input;
  input.id = "incident-" + std::to_string(id);
  input.incident_start = UnixSeconds(detected);
  std::set<std::string> services;
  if (!inc.rows[0].IsNull(size_t{1}) && !inc.rows[0].GetString(size_t{1}).empty())
    services.insert(inc.rows[0].GetString(size_t{1}));
  Json missing = Json::array();

  // Alerts of the incident; the first critical one (else the first) dates the incident when it
  // began before the detection.
  DAI_ASSIGN_OR_RETURN(
      auto alerts,
      db_.Query("SELECT a.service, a.alertname, a.severity, a.starts_at FROM incident_alerts ia "
                "JOIN alerts a ON a.fingerprint = ia.fingerprint WHERE ia.incident_id = ? "
                "ORDER BY a.starts_at LIMIT 1000",
                {id}));
  int64_t first_any = 0, first_critical = 0;
  for (const auto& r : alerts.rows) {
    const int64_t at = UnixSeconds(r.GetTime(size_t{3}));
    if (first_any == 0) first_any = at;
    if (first_critical == 0 && r.GetString(size_t{2}) == "critical") first_critical = at;
    const std::string svc = r.IsNull(size_t{0}) ? "" : r.GetString(size_t{0});
    if (svc.empty()) continue;
    services.insert(svc);
    input.alerts.push_back({svc, r.GetString(size_t{1}), r.GetString(size_t{2}), at});
  }
  const int64_t began = first_critical != 0 ? first_critical : first_any;
  if (began != 0 && began < input.incident_start && input.incident_start - began <= 6 * 3600)
    input.incident_start = began;
  inputs["incidentStartFrom"] = began != 0 && began == input.incident_start
                                    ? (first_critical != 0 ? "first critical alert" : "first alert")
                                    : "detection";
  const rca::RcaConfig config;
  const int64_t from = input.incident_start - config.baseline_gap_s - config.baseline_span_s;
  const int64_t to =
      std::min(input.incident_start + config.detect_after_s, UnixSeconds(clock_.Now()));

  // The service graph: the latest architecture snapshot's connections, by component name.
  DAI_ASSIGN_OR_RETURN(auto snap, db_.Query("SELECT id, connections FROM architecture_snapshots "
                                            "ORDER BY captured_at DESC, id DESC LIMIT 1"));
  std::set<std::pair<std::string, std::string>> calls;
  if (!snap.rows.empty()) {
    inputs["snapshotId"] = snap.rows[0].GetInt(size_t{0});
    auto edges = ParseJson(snap.rows[0].GetString(size_t{1}));
    if (edges.ok() && edges->is_array()) {
      for (const auto& e : *edges) {
        if (!e.is_object()) continue;
        const std::string a = LastSegment(e.value("from", "")), b = LastSegment(e.value("to", ""));
        if (a.empty() || b.empty() || a == b) continue;
        calls.insert({a, b});
      }
    }
  } else if (settings.calls.empty()) {
    missing.push_back(
        "service graph: no architecture snapshot (documentationGenerator.captureSnapshot) and no "
        "calls in the configuration (setRcaConfig)");
  }
  for (const auto& [a, b] : settings.calls) {
    if (a != b) calls.insert({a, b});
  }

  // Changes: deployment runs and executed healing actions in the window.
  DAI_ASSIGN_OR_RETURN(
      auto runs,
      db_.Query("SELECT p.name, p.config, r.finished_at FROM pipeline_runs r JOIN pipelines p ON "
                "p.id = r.pipeline_id WHERE r.status = 'succeeded' AND r.finished_at >= ? AND "
                "r.finished_at <= ? LIMIT 1000",
                {FromUnixMillis(from * 1000), FromUnixMillis(to * 1000)}));
  for (const auto& r : runs.rows) {
    auto cfg = ParseJson(r.GetString(size_t{1}));
    if (!cfg.ok() || !cfg->is_object() || !cfg->value("deployment", false)) continue;
    const std::string svc = cfg->value("service", r.GetString(size_t{0}));
    input.changes.push_back({svc, "deploy", UnixSeconds(r.GetTime(size_t{2}))});
  }
  DAI_ASSIGN_OR_RETURN(
      auto healing,
      db_.Query("SELECT action_type, target, trigger_event, started_at FROM healing_actions WHERE "
                "status IN ('succeeded','failed','verifying','rolled_back') AND started_at >= ? "
                "AND started_at <= ? LIMIT 1000",
                {FromUnixMillis(from * 1000), FromUnixMillis(to * 1000)}));
  for (const auto& r : healing.rows) {
    std::string svc;
    if (auto ev = ParseJson(r.GetString(size_t{2})); ev.ok() && ev->is_object()) {
      const Json labels = ev->value("labels", Json::object());
      if (labels.is_object()) svc = labels.value(settings.service_label, "");
    }
    if (svc.empty()) svc = LastSegment(r.GetString(size_t{1}));
    if (svc.empty()) continue;
    const std::string type = r.GetString(size_t{0});
    const std::string kind = type == "scale_up" || type == "scale_down" ? "scale"
                             : type == "apply_desired"                  ? "config"
                             : type == "rollback"                       ? "deploy"
                                                                        : "restart";
    input.changes.push_back({svc, kind, UnixSeconds(r.GetTime(size_t{3}))});
  }

  // Metric series from Prometheus, one query per metric class.
  size_t series_read = 0;
  Json queries = Json::array();
  if (prometheus_ == nullptr) {
    missing.push_back("metrics: Prometheus is not configured (setting prometheus_url)");
  } else {
    for (const auto& mq : settings.metrics) {
      Json q = {{"metric", mq.metric}, {"series", 0}};
      auto data =
          prometheus_->QueryRange(mq.query, FromUnixMillis(from * 1000), FromUnixMillis(to * 1000),
                                  std::chrono::seconds(settings.step_seconds));
      if (!data.ok()) {
        q["error"] = data.status().message();
        queries.push_back(q);
        continue;
      }
      auto series = prometheus::ParseSeries(*data);
      if (!series.ok()) {
        q["error"] = series.status().message();
        queries.push_back(q);
        continue;
      }
      for (const auto& ms : *series) {
        auto it = ms.labels.find(settings.service_label);
        if (it == ms.labels.end() || it->second.empty() || ms.points.empty()) continue;
        if (services.size() >= kMaxServices && services.count(it->second) == 0) continue;
        rca::Series out;
        out.service = it->second;
        out.metric = mq.metric;
        out.start = from;
        out.step_seconds = settings.step_seconds;
        const size_t n = static_cast<size_t>((to - from) / settings.step_seconds + 1);
        out.values.assign(n, std::nan(""));
        for (const auto& p : ms.points) {
          const int64_t t = UnixSeconds(p.time);
          if (t < from) continue;
          const size_t i = static_cast<size_t>((t - from) / settings.step_seconds);
          if (i < n) out.values[i] = p.value;
        }
        services.insert(out.service);
        input.series.push_back(std::move(out));
        q["series"] = q["series"].get<int>() + 1;
        ++series_read;
      }
      queries.push_back(q);
    }
    if (series_read == 0)
      missing.push_back("metrics: no series with a \"" + settings.service_label +
                        "\" label answered the configured queries");
  }
  for (const auto& [a, b] : calls) {
    services.insert(a);
    services.insert(b);
    input.calls.push_back({a, b});
  }
  for (const auto& c : input.changes) services.insert(c.service);
  if (services.size() > kMaxServices)
    return Status::ResourceExhausted("more than " + std::to_string(kMaxServices) +
                                     " services around incident " + std::to_string(id));
  for (const auto& svc : services) input.services.push_back({svc, ""});
  inputs["services"] = services.size();
  inputs["calls"] = input.calls.size();
  inputs["series"] = series_read;
  inputs["alerts"] = input.alerts.size();
  inputs["changes"] = input.changes.size();
  inputs["queries"] = queries;
  inputs["missing"] = missing;
  inputs["window"] = {{"from", FormatIso8601(FromUnixMillis(from * 1000))},
                      {"to", FormatIso8601(FromUnixMillis(to * 1000))}};
  return input;
}

Result<Json> RcaService::Analyze(int64_t id, const std::string& actor) {
  DAI_ASSIGN_OR_RETURN(RcaSettings settings, Settings());
  Json inputs = Json::object();
  DAI_ASSIGN_OR_RETURN(rca::RcaInput input, BuildInput(id, settings, inputs));
  if (input.services.empty()) {
    return Status::FailedPrecondition(
        "incident " + std::to_string(id) +
        " names no service (no service label on its alerts, no service graph): nothing to rank");
  }
  DAI_ASSIGN_OR_RETURN(rca::RcaResult result, rca::RankRootCauses(input));
  Json ranking = Json::array();
  for (const auto& c : result.ranking) ranking.push_back(CandidateJson(c, input.incident_start));
  const TimePoint now = clock_.Now();
  Json analysis = {{"computedAt", FormatIso8601(now)},
                   {"actor", actor},
                   {"incidentStart", FormatIso8601(FromUnixMillis(input.incident_start * 1000))},
                   {"ranking", ranking},
                   {"inputs", inputs}};
  // The RCA narrative: the LLM explains the ranking from its evidence (the ranking itself and its
  // templated explanations stay as computed; without an LLM `narrative` says why there is none).
  NarrationRequest request;
  request.purpose = "incident.rca";
  request.instructions =
      "Explain this root-cause ranking to the on-call engineer in one or two short paragraphs: "
      "the most likely cause and the evidence for it (onsets, metrics, changes, alerts), how "
      "confident the ranking is, and what the other candidates are. Do not add causes that are "
      "not in the ranking; say plainly when the evidence is weak or metrics were not read.";
  Json top = Json::array();
  for (size_t idx = 0; idx < ranking.size() && idx < 5; ++idx) {
    const Json& c = ranking[idx];
    top.push_back({{"service", c["service"]},
                   {"confidence", c["confidence"]},
                   {"explanation", c["explanation"]},
                   {"evidence", c["evidence"]},
                   {"changes", c["changes"]},
                   {"alerts", c["alerts"]}});
  }
  request.facts = {{"incidentStart", analysis["incidentStart"]},
                   {"ranking", top},
                   {"candidates", ranking.size()},
                   {"inputs", inputs}};
  const Narration narration = Narrate(narrator_, request);
  analysis["narrative"] = narration.ToJson();
  if (narration.written_by_llm) analysis["narrative"]["text"] = narration.text;
  std::string description = "root-cause ranking: ";
  if (result.ranking.empty()) {
    description += "no candidate";
  } else {
    const auto& top = result.ranking.front();
    description += top.service + " first (confidence " +
                   std::to_string(static_cast<int>(std::lround(top.confidence * 100))) + "%)";
  }
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(auto upd, conn.Query("UPDATE incidents SET root_cause_analysis = ?, "
                                              "updated_at = ? WHERE id = ? RETURNING id",
                                              {DumpJson(analysis), now, id}));
    if (upd.rows.empty()) return Status::NotFound("incident " + std::to_string(id) + " not found");
    return conn
        .Query(
            "INSERT INTO incident_actions (incident_id, action_type, description, actor, "
            "automated, details, created_at) VALUES (?, 'analysis', ?, ?, ?, ?, ?)",
            {id, description, actor, false,
             DumpJson(Json{{"kind", "root_cause_ranking"},
                           {"top", result.ranking.empty() ? Json(nullptr)
                                                          : Json(result.ranking[0].service)}}),
             now})
        .status();
  }));
  return analysis;
}

Result<Json> RcaService::Get(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto r,
                       db_.Query("SELECT root_cause_analysis FROM incidents WHERE id = ?", {id}));
  if (r.rows.empty()) return Status::NotFound("incident " + std::to_string(id) + " not found");
  if (r.rows[0].IsNull(size_t{0})) return Json(nullptr);
  return ParseJson(r.rows[0].GetString(size_t{0}));
}

void RcaService::RegisterProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  registry.Add(MakeProcedure(
      "incidentCommander.rankRootCauses", M, Role::kOperator, s::Object({s::Req("id", s::Int(1))}),
      AnalysisSchema(),
      "Rank the incident's likely root causes from its alerts, the service graph, recent changes "
      "and the services' metrics in Prometheus; stored on the incident",
      [this](const Json& in, CallContext& ctx) {
        return Analyze(in["id"].get<int64_t>(), ctx.identity ? ctx.identity->username : "api");
      }));
  auto get = MakeProcedure(
      "incidentCommander.getRootCauses", Q, Role::kViewer, s::Object({s::Req("id", s::Int(1))}),
      AnalysisSchema(), "The incident's stored root-cause ranking (null before the first)",
      [this](const Json& in, CallContext&) { return Get(in["id"].get<int64_t>()); });
  registry.Add(std::move(get));
  const Json config_schema =
      s::Object({s::Opt("serviceLabel", s::String(1, 200)), s::Opt("stepSeconds", s::Int(5, 300)),
                 s::Opt("metrics", s::Array(s::Object({s::Req("metric", s::String(1, 100)),
                                                       s::Req("query", s::String(1, 4000))}),
                                            kMaxMetrics)),
                 s::Opt("calls", s::Array(s::Object({s::Req("from", s::String(1, 253)),
                                                     s::Req("to", s::String(1, 253))}),
                                          5000))});
  registry.Add(MakeProcedure("incidentCommander.getRcaConfig", Q, Role::kViewer, s::Object({}),
                             config_schema,
                             "The PromQL queries root-cause ranking reads per service",
                             [this](const Json&, CallContext&) -> Result<Json> {
                               DAI_ASSIGN_OR_RETURN(RcaSettings st, Settings());
                               return st.ToJson();
                             }));
  registry.Add(MakeProcedure("incidentCommander.setRcaConfig", M, Role::kAdmin, config_schema,
                             config_schema,
                             "Set the PromQL queries (one series per service label value) and "
                             "the service label root-cause ranking reads",
                             [this](const Json& in, CallContext&) { return SetSettings(in); }));
}

}  // namespace dai::incidents
