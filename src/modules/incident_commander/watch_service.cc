#include "modules/incident_commander/watch_service.h"

#include <algorithm>
#include <cmath>

#include "engines/alerts/alert.h"
#include "engines/anomaly/anomaly_detector.h"
#include "registry/schema.h"

namespace dai::incidents {
namespace {

namespace s = schema;

constexpr const char* kColumns =
    "id, name, query, step_seconds, window_seconds, threshold, severity, labels, enabled, "
    "last_run_at, "
    "last_error, created_at, updated_at";

Json WatchJson(const store::Row& r) {
  return Json{{"id", r.GetInt(0)},
              {"name", r.GetString(1)},
              {"query", r.GetString(2)},
              {"stepSeconds", r.GetInt(3)},
              {"windowSeconds", r.GetInt(4)},
              {"threshold", r.GetDouble(5)},
              {"severity", r.GetString(6)},
              {"labels", ParseJson(r.GetString(7)).value_or(Json::object())},
              {"enabled", r.GetBool(8)},
              {"lastRunAt", r.IsNull(9) ? Json(nullptr) : Json(FormatIso8601(r.GetTime(9)))},
              {"lastError", r.IsNull(10) ? Json(nullptr) : Json(r.GetString(10))},
              {"createdAt", FormatIso8601(r.GetTime(11))},
              {"updatedAt", FormatIso8601(r.GetTime(12))}};
}

Json WatchSchema() {
  return s::Object({s::Req("id", s::Int()), s::Req("name", s::String()),
                    s::Req("query", s::String()), s::Req("stepSeconds", s::Int()),
                    s::Req("windowSeconds", s::Int()), s::Req("threshold", s::Number()),
                    s::Req("severity", s::Enum({"critical", "high", "medium", "low"})),
                    s::Req("labels", s::StringMap()), s::Req("enabled", s::Bool()),
                    s::Req("lastRunAt", s::Nullable(s::DateTime())),
                    s::Req("lastError", s::Nullable(s::String())),
                    s::Req("createdAt", s::DateTime()), s::Req("updatedAt", s::DateTime())});
}

std::vector<s::Field> WatchFields(bool create) {
  auto f = [create](const char* name, Json schema) {
    return create ? s::Req(name, std::move(schema)) : s::Opt(name, std::move(schema));
  };
  return {f("name", s::String(1, 200)),
          f("query", s::String(1, 8192)),
          s::Opt("stepSeconds", s::Int(1, 86400)),
          s::Opt("windowSeconds", s::Int(60, 35 * 86400)),
          s::Opt("threshold", s::Number()),
          s::Opt("severity", s::Enum({"critical", "high", "medium", "low"})),
          s::Opt("labels", s::StringMap()),
          s::Opt("enabled", s::Bool())};
}

std::string SeriesName(const std::map<std::string, std::string>& labels) {
  std::string out = labels.count("__name__") ? labels.at("__name__") : "";
  out += "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (k == "__name__") continue;
    out += (first ? "" : ",") + k + "=\"" + v + "\"";
    first = false;
  }
  return out + "}";
}

}  // namespace

WatchService::WatchService(store::Database& db, store::JobRepository& jobs, const Clock& clock,
                           IncidentService& incidents,
                           const prometheus::PrometheusClient* prometheus)
    : db_(db), jobs_(jobs), clock_(clock), incidents_(incidents), prometheus_(prometheus) {}

Result<Json> WatchService::Create(const Json& in) {
  const double threshold = in.value("threshold", 0.9);
  if (!(threshold > 0 && threshold <= 1))
    return Status::InvalidArgument("threshold: must be in (0, 1]");
  const TimePoint now = clock_.Now();
  auto ins = db_.Query(
      "INSERT INTO watched_queries (name, query, step_seconds, window_seconds, threshold, "
      "severity, labels, "
      "enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {in["name"].get<std::string>(), in["query"].get<std::string>(),
       in.value("stepSeconds", int64_t{60}), in.value("windowSeconds", int64_t{86400}), threshold,
       in.value("severity", std::string("medium")), DumpJson(in.value("labels", Json::object())),
       in.value("enabled", true), now, now});
  if (!ins.ok()) {
    auto dup =
        db_.Query("SELECT id FROM watched_queries WHERE name = ?", {in["name"].get<std::string>()});
    if (dup.ok() && !dup->rows.empty()) {
      return Status::Conflict("a watched query named \"" + in["name"].get<std::string>() +
                              "\" exists");
    }
    return ins.status();
  }
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kColumns + " FROM watched_queries WHERE id = ?",
                           {ins->rows.at(0).GetInt(0)}));
  return WatchJson(rows.rows.at(0));
}

Result<Json> WatchService::Update(int64_t id, const Json& in) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(std::string("SELECT ") + kColumns + " FROM watched_queries WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("watched query " + std::to_string(id) + " does not exist");
  Json cur = WatchJson(rows.rows[0]);
  for (auto it = in.begin(); it != in.end(); ++it) {
    if (it.key() != "id") cur[it.key()] = it.value();
  }
  const double threshold = cur["threshold"].get<double>();
  if (!(threshold > 0 && threshold <= 1))
    return Status::InvalidArgument("threshold: must be in (0, 1]");
  DAI_RETURN_IF_ERROR(
      db_.Query("UPDATE watched_queries SET name = ?, query = ?, step_seconds = ?, window_seconds "
                "= ?, threshold = ?, "
                "severity = ?, labels = ?, enabled = ?, updated_at = ? WHERE id = ?",
                {cur["name"].get<std::string>(), cur["query"].get<std::string>(),
                 cur["stepSeconds"].get<int64_t>(), cur["windowSeconds"].get<int64_t>(), threshold,
                 cur["severity"].get<std::string>(), DumpJson(cur["labels"]),
                 cur["enabled"].get<bool>(), clock_.Now(), id})
          .status());
  DAI_ASSIGN_OR_RETURN(
      rows,
      db_.Query(std::string("SELECT ") + kColumns + " FROM watched_queries WHERE id = ?", {id}));
  return WatchJson(rows.rows.at(0));
}

Status WatchService::Delete(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto del, db_.Query("DELETE FROM watched_queries WHERE id = ?", {id}));
  if (del.affected_rows == 0)
    return Status::NotFound("watched query " + std::to_string(id) + " does not exist");
  return Status::Ok();
}

Result<Json> WatchService::List() {
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kColumns +
                                            " FROM watched_queries ORDER BY name"));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(WatchJson(r));
  return Json{{"items", items}};
}

Result<Json> WatchService::Evaluate(int64_t id) {
  if (!prometheus_) {
    return Status::FailedPrecondition(
        "no Prometheus is configured: set --prometheus-url (or DEVOPS_AI_PROMETHEUS_URL)");
  }
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(std::string("SELECT ") + kColumns + " FROM watched_queries WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("watched query " + std::to_string(id) + " does not exist");
  const Json w = WatchJson(rows.rows[0]);
  const TimePoint now = clock_.Now();
  const auto step = std::chrono::seconds(w["stepSeconds"].get<int64_t>());
  const TimePoint start = now - std::chrono::seconds(w["windowSeconds"].get<int64_t>());
  // Points newer than the last evaluation are judged; the first time, the last five steps
  // (at least five minutes) are.
  TimePoint judged_after = now - std::max<std::chrono::seconds>(5 * step, std::chrono::minutes(5));
  if (!w["lastRunAt"].is_null()) {
    judged_after =
        std::max(judged_after,
                 ParseIso8601(w["lastRunAt"].get<std::string>()).value_or(judged_after) - step);
  }
  auto data = prometheus_->QueryRange(w["query"].get<std::string>(), start, now, step);
  auto record = [&](const std::optional<std::string>& error) {
    return db_
        .Query("UPDATE watched_queries SET last_run_at = ?, last_error = ? WHERE id = ?",
               {now, error ? store::Param(*error) : store::Param(nullptr), id})
        .status();
  };
  if (!data.ok()) {
    DAI_RETURN_IF_ERROR(record(data.status().ToString()));
    return data.status();
  }
  auto series = prometheus::ParseSeries(*data);
  if (!series.ok()) {
    DAI_RETURN_IF_ERROR(record(series.status().ToString()));
    return series.status();
  }
  const double threshold = w["threshold"].get<double>();
  alerts::AlertBatch batch;
  Json report = Json::array();
  for (const auto& s : *series) {
    anomaly::AnomalyDetector detector;
    double best = 0;
    std::optional<TimePoint> best_at;
    double best_value = 0;
    Json evidence = Json::array();
    for (const auto& p : s.points) {
      const double score = detector.Update(ToUnixMillis(p.time) / 1000, p.value);
      if (p.time > judged_after && score > best) {
        best = score;
        best_at = p.time;
        best_value = p.value;
      }
      if (p.time > now - 30 * step) {
        evidence.push_back(Json{{"t", ToUnixMillis(p.time) / 1000},
                                {"v", std::isfinite(p.value) ? Json(p.value) : Json(nullptr)},
                                {"score", std::round(score * 1000) / 1000}});
      }
    }
    std::map<std::string, std::string> labels = s.labels;
    labels.erase("__name__");
    for (auto it = w["labels"].begin(); it != w["labels"].end(); ++it)
      labels[it.key()] = it.value().get<std::string>();
    labels["alertname"] = "Anomaly: " + w["name"].get<std::string>();
    labels["severity"] = w["severity"].get<std::string>();
    labels["watch"] = w["name"].get<std::string>();
    alerts::Alert a;
    a.source = "anomaly";
    a.labels = labels;
    a.fingerprint = alerts::LabelFingerprint(labels);
    const bool firing = best >= threshold;
    report.push_back(Json{{"series", SeriesName(s.labels)},
                          {"points", s.points.size()},
                          {"maxScore", best},
                          {"firing", firing},
                          {"fingerprint", a.fingerprint}});
    if (firing) {
      a.status = alerts::AlertStatus::kFiring;
      a.starts_at = *best_at;
      char score[32];
      std::snprintf(score, sizeof score, "%.3f", best);
      a.annotations = {{"summary", "Anomaly in " + SeriesName(s.labels) + " (watch " +
                                       w["name"].get<std::string>() + ")"},
                       {"description", "score " + std::string(score) + " at value " +
                                           std::to_string(best_value) + " (threshold " +
                                           std::to_string(threshold) + ")"},
                       {"score", score},
                       {"value", std::to_string(best_value)},
                       {"query", w["query"].get<std::string>()},
                       {"window", FormatIso8601(start) + "/" + FormatIso8601(now)},
                       {"evidence", DumpJson(evidence)}};
      batch.alerts.push_back(std::move(a));
    } else {
      // Resolve what this series had raised before.
      DAI_ASSIGN_OR_RETURN(
          auto prev, db_.Query("SELECT status FROM alerts WHERE fingerprint = ?", {a.fingerprint}));
      if (!prev.rows.empty() && prev.rows[0].GetString(0) == "firing") {
        a.status = alerts::AlertStatus::kResolved;
        a.starts_at = now;
        a.ends_at = now;
        a.annotations = {{"summary", "Back to normal: " + SeriesName(s.labels)}};
        batch.alerts.push_back(std::move(a));
      }
    }
  }
  Json ingested = nullptr;
  if (!batch.alerts.empty()) {
    DAI_ASSIGN_OR_RETURN(IngestResult r, incidents_.Ingest(batch, "anomaly-watch"));
    ingested = r.ToJson();
    if (sink_) sink_(batch);
  }
  DAI_RETURN_IF_ERROR(record(std::nullopt));
  return Json{
      {"watchId", id}, {"series", report}, {"signals", batch.alerts.size()}, {"ingest", ingested}};
}

Status WatchService::EvaluateDue() {
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT id, step_seconds, last_run_at FROM watched_queries WHERE enabled = ?",
                {true}));
  for (const auto& r : rows.rows) {
    if (!r.IsNull(2) && r.GetTime(2) + std::chrono::seconds(r.GetInt(1)) > now) continue;
    // A failing query is recorded on its watch (last_error) and must not stop the others.
    (void)Evaluate(r.GetInt(0));
  }
  return Status::Ok();
}

Result<TimePoint> WatchService::NextDue() {
  const TimePoint now = clock_.Now();
  TimePoint next = now + kMaxWatchTick;
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT step_seconds, last_run_at FROM watched_queries WHERE enabled = ?", {true}));
  for (const auto& r : rows.rows) {
    const TimePoint due = r.IsNull(1) ? now : r.GetTime(1) + std::chrono::seconds(r.GetInt(0));
    next = std::min(next, due);
  }
  return std::max(next, now + kMinWatchTick);
}

Status WatchService::AttachWorker(store::JobWorker& worker) {
  worker.Register("anomaly.watch", [this](const store::Job&, store::JobControl& control) -> Status {
    control.RescheduleAt(clock_.Now() + kMaxWatchTick);
    if (!prometheus_) return Status::Ok();
    Status st = EvaluateDue();
    // Next run when the first watch is due again (its step after its last run), so a watch
    // with a short step is judged every step, not every 30 s: detection latency is then the
    // scrape and step intervals, not this schedule.
    auto next = NextDue();
    if (next.ok()) control.RescheduleAt(*next);
    return st;
  });
  const TimePoint now = clock_.Now();
  return jobs_.EnsureScheduled("anomaly.watch", "schedule:anomaly.watch", "{}", now, now).status();
}

void WatchService::RegisterProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  registry.Add(MakeProcedure("incidentCommander.listWatches", Q, Role::kViewer, s::Object({}),
                             s::Object({s::Req("items", s::Array(WatchSchema()))}),
                             "Watched PromQL queries (anomaly detection on metrics)",
                             [this](const Json&, CallContext&) { return List(); }));
  registry.Add(MakeProcedure("incidentCommander.createWatch", M, Role::kOperator,
                             s::Object(WatchFields(true)), WatchSchema(),
                             "Watch a PromQL query for anomalies",
                             [this](const Json& in, CallContext&) { return Create(in); }));
  std::vector<s::Field> update = WatchFields(false);
  update.insert(update.begin(), s::Req("id", s::Int(1)));
  registry.Add(MakeProcedure(
      "incidentCommander.updateWatch", M, Role::kOperator, s::Object(update), WatchSchema(),
      "Change a watched query",
      [this](const Json& in, CallContext&) { return Update(in["id"].get<int64_t>(), in); }));
  registry.Add(MakeProcedure("incidentCommander.deleteWatch", M, Role::kOperator,
                             s::Object({s::Req("id", s::Int(1))}),
                             s::Object({s::Req("deleted", s::Bool())}), "Stop watching a query",
                             [this](const Json& in, CallContext&) -> Result<Json> {
                               DAI_RETURN_IF_ERROR(Delete(in["id"].get<int64_t>()));
                               return Json{{"deleted", true}};
                             }));
  registry.Add(MakeProcedure(
      "incidentCommander.evaluateWatch", M, Role::kOperator, s::Object({s::Req("id", s::Int(1))}),
      s::Object({s::Req("watchId", s::Int()),
                 s::Req("series", s::Array(s::Object(
                                      {s::Req("series", s::String()), s::Req("points", s::Int()),
                                       s::Req("maxScore", s::Number()), s::Req("firing", s::Bool()),
                                       s::Req("fingerprint", s::String())}))),
                 s::Req("signals", s::Int()), s::Req("ingest", s::Any())}),
      "Evaluate a watched query now (what the scheduled job does every step)",
      [this](const Json& in, CallContext&) { return Evaluate(in["id"].get<int64_t>()); }));
}

}  // namespace dai::incidents
