// The logs.* procedures, the queries behind them, and the anomaly evaluation (rate and burst
// detectors) of LogService.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "engines/alerts/alert.h"
#include "engines/anomaly/anomaly_detector.h"
#include "engines/logmine/log_format.h"
#include "engines/logmine/template_miner.h"
#include "modules/logs/log_runtime.h"
#include "modules/logs/log_service.h"
#include "registry/schema.h"

namespace dai::logs {

using logmine::LogLevel;

namespace {

namespace s = schema;

int64_t MinuteOf(TimePoint t) {
  const int64_t ms = ToUnixMillis(t);
  return (ms >= 0 ? ms : ms - 59999) / 60000;
}
TimePoint MinuteTime(int64_t minute) { return TimePoint(Millis(minute * 60000)); }

Json SourceSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("name", s::String()),
       s::Req("kind", s::Enum({"file", "journald", "push", "kubernetes"})),
       s::Req("path", s::String()), s::Req("format", s::String()),
       s::Req("masks", s::Array(s::String())), s::Req("units", s::Array(s::String())),
       s::Req("kubernetes", s::Nullable(s::Object({s::Req("namespace", s::String()),
                                                   s::Req("selector", s::String()),
                                                   s::Req("container", s::String())}))),
       s::Req("enabled", s::Bool()), s::Req("linesTotal", s::Int()),
       s::Req("rejectedTotal", s::Int()), s::Req("rejectedReasons", s::Any()),
       s::Req("templates", s::Int()), s::Req("lastError", s::Nullable(s::String())),
       s::Req("lastLineAt", s::Nullable(s::DateTime())), s::Req("createdAt", s::DateTime())});
}

Json TemplateSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("sourceId", s::Int()), s::Req("sourceName", s::String()),
       s::Req("template", s::String()), s::Req("level", s::String()),
       s::Req("mark", s::Enum({"none", "noise", "critical"})), s::Req("total", s::Int()),
       s::Req("firstSeen", s::DateTime()), s::Req("lastSeen", s::DateTime()),
       s::Req("windowCount", s::Int()), s::Req("previousCount", s::Int()),
       s::Req("change", s::Number()), s::Req("isNew", s::Bool()),
       s::Req("sparkline", s::Array(s::Int())), s::Req("examples", s::Array(s::String()))});
}

Json SignalSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("kind", s::String()),
       s::Req("status", s::Enum({"firing", "resolved"})), s::Req("severity", s::String()),
       s::Req("summary", s::String()), s::Req("sourceId", s::Nullable(s::Int())),
       s::Req("sourceName", s::Nullable(s::String())), s::Req("templateId", s::Nullable(s::Int())),
       s::Req("template", s::Nullable(s::String())), s::Req("details", s::Any()),
       s::Req("count", s::Int()), s::Req("firedAt", s::DateTime()), s::Req("lastAt", s::DateTime()),
       s::Req("resolvedAt", s::Nullable(s::DateTime()))});
}

Json OptTime(const store::Row& r, const char* col) {
  auto t = r.GetOptTime(col);
  return t ? Json(FormatIso8601(*t)) : Json(nullptr);
}

int LevelRank(const std::string& name) {
  static const char* kNames[] = {"unknown", "trace", "debug", "info", "warn", "error", "fatal"};
  for (int i = 0; i < 7; ++i) {
    if (name == kNames[i]) return i;
  }
  return 0;
}

// Placeholders "?, ?, ?" for n values.
std::string Marks(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
  return out;
}

}  // namespace

Result<Json> LogService::SourceJson(const store::Row& r) {
  Json masks = Json::array();
  if (auto m = ParseJson(r.GetString("masks")); m.ok() && m->is_array()) masks = *m;
  Json units = Json::array();
  Json kubernetes = nullptr;
  if (auto o = ParseJson(r.GetString("options")); o.ok() && o->is_object()) {
    if (o->contains("units") && (*o)["units"].is_array()) units = (*o)["units"];
    if (r.GetString("kind") == "kubernetes") {
      kubernetes = {{"namespace", o->value("namespace", "")},
                    {"selector", o->value("selector", "")},
                    {"container", o->value("container", "")}};
    }
  }
  Json reasons = Json::object();
  if (auto rr = ParseJson(r.GetString("rejected_reasons")); rr.ok() && rr->is_object())
    reasons = *rr;
  return Json{{"id", r.GetInt("id")},
              {"name", r.GetString("name")},
              {"kind", r.GetString("kind")},
              {"path", r.GetString("path")},
              {"format", r.GetString("format")},
              {"masks", masks},
              {"units", units},
              {"kubernetes", kubernetes},
              {"enabled", r.GetBool("enabled")},
              {"linesTotal", r.GetInt("lines_total")},
              {"rejectedTotal", r.GetInt("rejected_total")},
              {"rejectedReasons", reasons},
              {"templates", r.GetInt("templates")},
              {"lastError", r.GetOptString("last_error") && !r.GetString("last_error").empty()
                                ? Json(r.GetString("last_error"))
                                : Json(nullptr)},
              {"lastLineAt", OptTime(r, "last_line_at")},
              {"createdAt", FormatIso8601(r.GetTime("created_at"))}};
}

Result<Json> LogService::ListSources() {
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT s.*, (SELECT COUNT(*) FROM log_templates t WHERE t.source_id = "
                           "s.id) AS templates FROM log_sources s ORDER BY s.name"));
  Json out = Json::array();
  for (const auto& r : rows.rows) {
    DAI_ASSIGN_OR_RETURN(Json j, SourceJson(r));
    out.push_back(std::move(j));
  }
  return out;
}

Result<Json> LogService::CreateSource(const Json& in) {
  const std::string kind = in["kind"].get<std::string>();
  const std::string name = in["name"].get<std::string>();
  const std::string path = in.value("path", "");
  const std::string format = in.value("format", "");
  Json masks = in.value("masks", Json::array());
  Json units = in.value("units", Json::array());
  if (kind == "file") {
    if (path.empty() || path[0] != '/') {
      return Status::InvalidArgument("path: a file source needs an absolute path");
    }
  } else if (!path.empty()) {
    return Status::InvalidArgument("path: only file sources have a path");
  }
  if (kind != "journald" && !units.empty())
    return Status::InvalidArgument("units: only journald sources have units");
  Json options = {{"units", units}};
  if (kind == "kubernetes") {
    const std::string ns = in.value("namespace", "");
    if (ns.empty())
      return Status::InvalidArgument("namespace: a kubernetes source needs the pods' namespace");
    if (!options_.kube)
      return Status::FailedPrecondition(
          "kind: no Kubernetes cluster is configured (setting kubeconfig), so pod logs cannot be "
          "read");
    options["namespace"] = ns;
    options["selector"] = in.value("selector", "");
    options["container"] = in.value("container", "");
  } else {
    for (const char* k : {"namespace", "selector", "container"}) {
      if (in.contains(k))
        return Status::InvalidArgument(std::string(k) + ": only kubernetes sources have a " + k);
    }
  }
  if (!format.empty()) {
    auto f = logmine::LogFormat::Parse(format);
    if (!f.ok()) return Status::InvalidArgument("format: " + f.status().message());
  }
  auto m = logmine::TemplateMiner::Create(logmine::MinerOptions{},
                                          masks.get<std::vector<std::string>>());
  if (!m.ok()) return Status::InvalidArgument("masks: " + m.status().message());
  const TimePoint now = clock_.Now();
  Runtime* rt = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto ins = db_.Query(
        "INSERT INTO log_sources (name, kind, path, format, masks, options, created_at, "
        "updated_at) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        {name, kind, path, format, DumpJson(masks), DumpJson(options), now, now});
    if (!ins.ok()) {
      if (ins.status().code() == StatusCode::kConflict) {
        return Status::Conflict("name: a log source named \"" + name + "\" exists");
      }
      return ins.status();
    }
    DAI_ASSIGN_OR_RETURN(
        auto row, db_.Query("SELECT * FROM log_sources WHERE id = ?", {ins->rows[0].GetInt(0)}));
    DAI_ASSIGN_OR_RETURN(rt, LoadRuntime(row.rows.at(0)));
    if (kind == "journald" && options_.run_readers) StartJournal(rt);
  }
  wake_.notify_all();
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT s.*, 0 AS templates FROM log_sources s WHERE id = ?", {rt->id}));
  return SourceJson(rows.rows.at(0));
}

Result<Json> LogService::UpdateSource(int64_t id, const Json& in) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Runtime* rt = FindRuntime(id);
    if (rt == nullptr) return Status::NotFound("log source " + std::to_string(id) + " not found");
    if (in.contains("enabled")) {
      rt->enabled = in["enabled"].get<bool>();
      DAI_RETURN_IF_ERROR(
          db_.Query("UPDATE log_sources SET enabled = ?, updated_at = ? WHERE id = ?",
                    {rt->enabled, clock_.Now(), id})
              .status());
    }
  }
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT s.*, (SELECT COUNT(*) FROM log_templates t WHERE t.source_id = "
                           "s.id) AS templates FROM log_sources s WHERE s.id = ?",
                           {id}));
  if (rows.rows.empty()) return Status::NotFound("log source " + std::to_string(id) + " not found");
  return SourceJson(rows.rows[0]);
}

Status LogService::DeleteSource(int64_t id) {
  std::unique_ptr<Runtime> rt;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = runtimes_.find(id);
    if (it == runtimes_.end())
      return Status::NotFound("log source " + std::to_string(id) + " not found");
    rt = std::move(it->second);
    runtimes_.erase(it);
  }
  // The reader's callback takes mu_: stop it without holding it.
  if (rt->journal) rt->journal->Stop();
  return db_.Query("DELETE FROM log_sources WHERE id = ?", {id}).status();
}

Result<Json> LogService::ListTemplates(const Json& in) {
  const int64_t limit = in.value("limit", int64_t{50});
  const int64_t offset = in.value("offset", int64_t{0});
  const int window = in.value("windowMinutes", 60);
  const std::string sort = in.value("sort", "change");
  const TimePoint now = clock_.Now();
  const int64_t now_minute = MinuteOf(now);
  const int64_t cur_start = now_minute - window + 1;
  const int64_t prev_start = cur_start - window;
  std::string sql =
      "SELECT t.id, t.source_id, s.name AS source_name, t.template, t.level, t.mark, t.total, "
      "t.first_seen, "
      "t.last_seen, COALESCE(w.cur, 0) AS cur, COALESCE(w.prev, 0) AS prev FROM log_templates t "
      "JOIN log_sources s ON s.id = t.source_id LEFT JOIN (SELECT template_id, "
      "SUM(CASE WHEN minute >= ? THEN count ELSE 0 END) AS cur, "
      "SUM(CASE WHEN minute < ? THEN count ELSE 0 END) AS prev FROM log_template_counts WHERE "
      "minute >= ? "
      "GROUP BY template_id) w ON w.template_id = t.id WHERE 1 = 1";
  store::Params params = {MinuteTime(cur_start), MinuteTime(cur_start), MinuteTime(prev_start)};
  if (in.contains("sourceId")) {
    sql += " AND t.source_id = ?";
    params.push_back(in["sourceId"].get<int64_t>());
  }
  if (in.contains("mark")) {
    sql += " AND t.mark = ?";
    params.push_back(in["mark"].get<std::string>());
  }
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  const int min_level = in.contains("minLevel") ? LevelRank(in["minLevel"].get<std::string>()) : 0;
  const std::string search = in.value("search", "");
  struct Item {
    const store::Row* row;
    int64_t cur, prev;
    double change, rank;
    bool is_new;
  };
  std::vector<Item> items;
  for (const auto& r : rows.rows) {
    if (LevelRank(r.GetString("level")) < min_level) continue;
    if (!search.empty() && r.GetString("template").find(search) == std::string::npos) continue;
    Item it{&r, r.GetInt("cur"), r.GetInt("prev"), 0, 0, false};
    it.is_new = r.GetTime("first_seen") >= MinuteTime(cur_start);
    it.change = static_cast<double>(it.cur + 1) / static_cast<double>(it.prev + 1);
    // Ranked by change: the size of the log-ratio, weighted by volume, new templates first.
    it.rank = std::fabs(std::log(it.change)) *
                  std::log2(2.0 + static_cast<double>(std::max(it.cur, it.prev))) +
              (it.is_new && it.cur > 0 ? 1000.0 : 0.0);
    items.push_back(it);
  }
  std::stable_sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
    if (sort == "count")
      return a.cur != b.cur ? a.cur > b.cur : a.row->GetInt("total") > b.row->GetInt("total");
    if (sort == "recent") return a.row->GetTime("last_seen") > b.row->GetTime("last_seen");
    if (sort == "new") return a.row->GetTime("first_seen") > b.row->GetTime("first_seen");
    return a.rank > b.rank;
  });
  const int64_t total = static_cast<int64_t>(items.size());
  std::vector<Item> page;
  for (int64_t i = offset; i < total && i < offset + limit; ++i)
    page.push_back(items[static_cast<size_t>(i)]);
  // Sparklines: 30 buckets over the window.
  const int buckets = std::min(30, window);
  std::map<int64_t, std::vector<int64_t>> spark;
  if (!page.empty()) {
    store::Params p2 = {MinuteTime(cur_start)};
    for (const auto& it : page) p2.push_back(it.row->GetInt("id"));
    DAI_ASSIGN_OR_RETURN(
        auto counts, db_.Query("SELECT template_id, minute, count FROM log_template_counts WHERE "
                               "minute >= ? AND template_id IN (" +
                                   Marks(page.size()) + ")",
                               p2));
    for (const auto& c : counts.rows) {
      auto& v = spark[c.GetInt(0)];
      if (v.empty()) v.assign(static_cast<size_t>(buckets), 0);
      const int64_t m = MinuteOf(c.GetTime(1)) - cur_start;
      if (m < 0 || m >= window) continue;
      v[static_cast<size_t>(m * buckets / window)] += c.GetInt(2);
    }
  }
  Json out = Json::array();
  for (const auto& it : page) {
    const store::Row& r = *it.row;
    const int64_t id = r.GetInt("id");
    DAI_ASSIGN_OR_RETURN(
        auto ex,
        db_.Query("SELECT line FROM log_samples WHERE template_id = ? ORDER BY id DESC LIMIT 3",
                  {id}));
    Json examples = Json::array();
    for (const auto& e : ex.rows) examples.push_back(e.GetString(0));
    auto sp = spark.find(id);
    Json sparkline = sp == spark.end() ? Json(std::vector<int64_t>(static_cast<size_t>(buckets), 0))
                                       : Json(sp->second);
    out.push_back(Json{{"id", id},
                       {"sourceId", r.GetInt("source_id")},
                       {"sourceName", r.GetString("source_name")},
                       {"template", r.GetString("template")},
                       {"level", r.GetString("level")},
                       {"mark", r.GetString("mark")},
                       {"total", r.GetInt("total")},
                       {"firstSeen", FormatIso8601(r.GetTime("first_seen"))},
                       {"lastSeen", FormatIso8601(r.GetTime("last_seen"))},
                       {"windowCount", it.cur},
                       {"previousCount", it.prev},
                       {"change", std::round(it.change * 1000) / 1000},
                       {"isNew", it.is_new},
                       {"sparkline", sparkline},
                       {"examples", examples}});
  }
  return Json{{"items", out}, {"total", total}, {"limit", limit}, {"offset", offset}};
}

Result<Json> LogService::GetTemplate(int64_t id, int minutes) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT t.*, s.name AS source_name FROM log_templates t JOIN log_sources s "
                "ON s.id = t.source_id WHERE t.id = ?",
                {id}));
  if (rows.rows.empty())
    return Status::NotFound("log template " + std::to_string(id) + " not found");
  const store::Row& r = rows.rows[0];
  const int64_t now_minute = MinuteOf(clock_.Now());
  const int64_t start = now_minute - minutes + 1;
  DAI_ASSIGN_OR_RETURN(
      auto counts,
      db_.Query("SELECT minute, count FROM log_template_counts WHERE template_id = ? AND "
                "minute >= ? ORDER BY minute",
                {id, MinuteTime(start)}));
  std::vector<int64_t> series(static_cast<size_t>(minutes), 0);
  for (const auto& c : counts.rows) {
    const int64_t m = MinuteOf(c.GetTime(0)) - start;
    if (m >= 0 && m < minutes) series[static_cast<size_t>(m)] += c.GetInt(1);
  }
  DAI_ASSIGN_OR_RETURN(
      auto samples,
      db_.Query("SELECT at, line FROM log_samples WHERE template_id = ? ORDER BY id DESC", {id}));
  Json sj = Json::array();
  for (const auto& sr : samples.rows)
    sj.push_back({{"at", FormatIso8601(sr.GetTime(0))}, {"line", sr.GetString(1)}});
  return Json{{"id", id},
              {"sourceId", r.GetInt("source_id")},
              {"sourceName", r.GetString("source_name")},
              {"template", r.GetString("template")},
              {"level", r.GetString("level")},
              {"mark", r.GetString("mark")},
              {"total", r.GetInt("total")},
              {"firstSeen", FormatIso8601(r.GetTime("first_seen"))},
              {"lastSeen", FormatIso8601(r.GetTime("last_seen"))},
              {"seriesStart", FormatIso8601(MinuteTime(start))},
              {"series", series},
              {"samples", sj}};
}

Result<Json> LogService::SearchLines(const Json& in) {
  const int64_t limit = in.value("limit", int64_t{50});
  const int64_t offset = in.value("offset", int64_t{0});
  std::string where = " WHERE 1 = 1";
  store::Params params;
  if (in.contains("templateId")) {
    where += " AND l.template_id = ?";
    params.push_back(in["templateId"].get<int64_t>());
  }
  if (in.contains("sourceId")) {
    where += " AND l.source_id = ?";
    params.push_back(in["sourceId"].get<int64_t>());
  }
  if (in.contains("contains") && !in["contains"].get<std::string>().empty()) {
    where += db_.dialect() == store::Dialect::kPostgres ? " AND strpos(l.line, ?) > 0"
                                                        : " AND instr(l.line, ?) > 0";
    params.push_back(in["contains"].get<std::string>());
  }
  DAI_ASSIGN_OR_RETURN(auto count, db_.Query("SELECT COUNT(*) FROM log_samples l" + where, params));
  store::Params page = params;
  page.push_back(limit);
  page.push_back(offset);
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT l.id, l.template_id, l.source_id, l.at, l.line, t.template, s.name "
                "FROM log_samples l JOIN log_templates t ON t.id = l.template_id JOIN "
                "log_sources s ON s.id = l.source_id" +
                    where + " ORDER BY l.id DESC LIMIT ? OFFSET ?",
                page));
  Json items = Json::array();
  for (const auto& r : rows.rows) {
    items.push_back({{"id", r.GetInt(0)},
                     {"templateId", r.GetInt(1)},
                     {"sourceId", r.GetInt(2)},
                     {"at", FormatIso8601(r.GetTime(3))},
                     {"line", r.GetString(4)},
                     {"template", r.GetString(5)},
                     {"sourceName", r.GetString(6)}});
  }
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

Result<Json> LogService::MarkTemplate(int64_t id, const std::string& mark) {
  DAI_ASSIGN_OR_RETURN(auto r,
                       db_.Query("UPDATE log_templates SET mark = ? WHERE id = ?", {mark, id}));
  if (r.affected_rows == 0)
    return Status::NotFound("log template " + std::to_string(id) + " not found");
  if (publish_) publish_("logs.template_marked", DumpJson({{"id", id}, {"mark", mark}}));
  return GetTemplate(id, 60);
}

Result<Json> LogService::ListSignals(const Json& in) {
  const int64_t limit = in.value("limit", int64_t{50});
  const int64_t offset = in.value("offset", int64_t{0});
  std::string where = " WHERE 1 = 1";
  store::Params params;
  if (in.contains("status")) {
    where += " AND g.status = ?";
    params.push_back(in["status"].get<std::string>());
  }
  DAI_ASSIGN_OR_RETURN(auto count, db_.Query("SELECT COUNT(*) FROM log_signals g" + where, params));
  store::Params page = params;
  page.push_back(limit);
  page.push_back(offset);
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT g.*, s.name AS source_name, t.template FROM log_signals g LEFT JOIN "
                "log_sources s ON s.id = g.source_id LEFT JOIN log_templates t ON t.id = "
                "g.template_id" +
                    where + " ORDER BY g.last_at DESC, g.id DESC LIMIT ? OFFSET ?",
                page));
  Json items = Json::array();
  for (const auto& r : rows.rows) {
    Json details = Json::object();
    if (auto d = ParseJson(r.GetString("details")); d.ok()) details = *d;
    items.push_back(
        {{"id", r.GetInt("id")},
         {"kind", r.GetString("kind")},
         {"status", r.GetString("status")},
         {"severity", r.GetString("severity")},
         {"summary", r.GetString("summary")},
         {"sourceId", r.GetOptInt("source_id") ? Json(r.GetInt("source_id")) : Json(nullptr)},
         {"sourceName",
          r.GetOptString("source_name") ? Json(r.GetString("source_name")) : Json(nullptr)},
         {"templateId", r.GetOptInt("template_id") ? Json(r.GetInt("template_id")) : Json(nullptr)},
         {"template", r.GetOptString("template") ? Json(r.GetString("template")) : Json(nullptr)},
         {"details", details},
         {"count", r.GetInt("count")},
         {"firedAt", FormatIso8601(r.GetTime("fired_at"))},
         {"lastAt", FormatIso8601(r.GetTime("last_at"))},
         {"resolvedAt", OptTime(r, "resolved_at")}});
  }
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

Result<Json> LogService::Evaluate() {
  DAI_RETURN_IF_ERROR(Flush());
  const TimePoint now = clock_.Now();
  const int64_t minute = MinuteOf(now) - 1;  // the last completed minute
  std::vector<alerts::Alert> signals;
  DAI_ASSIGN_OR_RETURN(
      auto firing_rows,
      db_.Query("SELECT fingerprint, kind, last_at FROM log_signals WHERE status = "
                "'firing'"));
  std::map<std::string, std::pair<std::string, TimePoint>> firing;
  for (const auto& r : firing_rows.rows) firing[r.GetString(0)] = {r.GetString(1), r.GetTime(2)};
  auto resolve = [&](std::map<std::string, std::string> labels, const std::string& summary) {
    alerts::Alert a;
    a.source = "logs";
    a.labels = std::move(labels);
    a.fingerprint = alerts::LabelFingerprint(a.labels);
    if (!firing.count(a.fingerprint)) return;
    a.status = alerts::AlertStatus::kResolved;
    a.starts_at = now;
    a.ends_at = now;
    a.annotations = {{"summary", summary}};
    signals.push_back(std::move(a));
  };
  auto examples_of = [&](int64_t template_id) -> Result<Json> {
    DAI_ASSIGN_OR_RETURN(
        auto ex,
        db_.Query("SELECT line FROM log_samples WHERE template_id = ? ORDER BY id DESC LIMIT 3",
                  {template_id}));
    Json out = Json::array();
    for (const auto& e : ex.rows) out.push_back(e.GetString(0));
    return out;
  };
  Json bursts = Json::array();
  Json rate = Json::array();
  // Error bursts, per source.
  DAI_ASSIGN_OR_RETURN(auto sources, db_.Query("SELECT id, name FROM log_sources"));
  for (const auto& src : sources.rows) {
    const int64_t sid = src.GetInt(0);
    const std::string name = src.GetString(1);
    DAI_ASSIGN_OR_RETURN(auto counts,
                         db_.Query("SELECT c.minute, SUM(c.count) FROM log_template_counts c JOIN "
                                   "log_templates t ON t.id = c.template_id "
                                   "WHERE t.source_id = ? AND t.level IN ('error', 'fatal') AND "
                                   "t.mark <> 'noise' AND c.minute >= ? AND "
                                   "c.minute <= ? GROUP BY c.minute",
                                   {sid, MinuteTime(minute - 60), MinuteTime(minute)}));
    std::vector<uint32_t> history(60, 0);
    uint32_t current = 0;
    for (const auto& c : counts.rows) {
      const int64_t m = MinuteOf(c.GetTime(0));
      const auto n = static_cast<uint32_t>(std::min<int64_t>(c.GetInt(1), UINT32_MAX));
      if (m == minute) {
        current = n;
      } else if (m >= minute - 60 && m < minute) {
        history[static_cast<size_t>(m - (minute - 60))] = n;
      }
    }
    std::map<std::string, std::string> labels = {
        {"alertname", "LogErrorBurst"}, {"severity", "high"}, {"log_source", name}};
    if (logmine::IsErrorBurst(history.data(), history.size(), current, options_.burst)) {
      std::vector<uint32_t> sorted = history;
      std::nth_element(sorted.begin(), sorted.begin() + 30, sorted.end());
      const uint32_t baseline = sorted[30];
      // The templates that burst, with their examples.
      DAI_ASSIGN_OR_RETURN(
          auto top,
          db_.Query(
              "SELECT t.id, t.template, c.count FROM log_template_counts c JOIN log_templates t ON "
              "t.id = "
              "c.template_id WHERE t.source_id = ? AND t.level IN ('error', 'fatal') AND t.mark <> "
              "'noise' AND c.minute = ? ORDER BY c.count DESC LIMIT 5",
              {sid, MinuteTime(minute)}));
      Json templates = Json::array();
      Json examples = Json::array();
      for (const auto& t : top.rows) {
        templates.push_back(
            {{"id", t.GetInt(0)}, {"template", t.GetString(1)}, {"count", t.GetInt(2)}});
        DAI_ASSIGN_OR_RETURN(Json ex, examples_of(t.GetInt(0)));
        for (auto& e : ex) {
          if (examples.size() < 5) examples.push_back(e);
        }
      }
      alerts::Alert a;
      a.source = "logs";
      a.status = alerts::AlertStatus::kFiring;
      a.labels = labels;
      a.fingerprint = alerts::LabelFingerprint(a.labels);
      a.starts_at = MinuteTime(minute);
      a.annotations = {{"summary", "Error burst in " + name + ": " + std::to_string(current) +
                                       " error lines in a minute (median of the hour before: " +
                                       std::to_string(baseline) + ")"},
                       {"template", top.rows.empty() ? "" : top.rows[0].GetString(1)},
                       {"templates", DumpJson(templates)},
                       {"examples", DumpJson(examples)},
                       {"description", examples.empty() ? "" : examples[0].get<std::string>()}};
      signals.push_back(std::move(a));
      bursts.push_back({{"source", name}, {"count", current}, {"baseline", baseline}});
    } else {
      resolve(labels, "Error rate back to normal in " + name);
    }
  }
  // Rate anomalies, per template with enough history.
  const int window = options_.rate_window_minutes;
  const int64_t start = minute - window + 1;
  DAI_ASSIGN_OR_RETURN(
      auto templates,
      db_.Query("SELECT t.id, t.template, t.level, t.mark, s.name, t.first_seen FROM log_templates "
                "t JOIN log_sources s ON s.id = "
                "t.source_id WHERE t.mark <> 'noise' AND t.first_seen <= ? AND t.last_seen >= ?",
                {MinuteTime(minute - options_.rate_warmup_minutes), MinuteTime(start)}));
  std::map<int64_t, const store::Row*> by_id;
  for (const auto& t : templates.rows) by_id[t.GetInt(0)] = &t;
  std::map<int64_t, std::vector<double>> series;
  if (!by_id.empty()) {
    DAI_ASSIGN_OR_RETURN(
        auto counts, db_.Query("SELECT template_id, minute, count FROM log_template_counts WHERE "
                               "minute >= ? AND minute <= ?",
                               {MinuteTime(start), MinuteTime(minute)}));
    for (const auto& c : counts.rows) {
      const int64_t id = c.GetInt(0);
      if (!by_id.count(id)) continue;
      auto& v = series[id];
      if (v.empty()) v.assign(static_cast<size_t>(window), 0.0);
      const int64_t m = MinuteOf(c.GetTime(1)) - start;
      if (m >= 0 && m < window) v[static_cast<size_t>(m)] = static_cast<double>(c.GetInt(2));
    }
  }
  anomaly::DetectorConfig config;
  config.warmup_points = options_.rate_warmup_minutes;
  for (const auto& [id, row] : by_id) {
    std::vector<double> v =
        series.count(id) ? series[id] : std::vector<double>(static_cast<size_t>(window), 0.0);
    anomaly::AnomalyDetector detector(config);
    double score = 0;
    // The series starts when the template first appeared: the minutes before it existed are not
    // zeros of its rate (the step from them would hold the detector's alert peak).
    const int first =
        static_cast<int>(std::clamp<int64_t>(MinuteOf(row->GetTime(5)) - start, 0, window - 1));
    for (int i = first; i < window; ++i)
      score = detector.Update((start + i) * 60, v[static_cast<size_t>(i)]);
    std::vector<double> before(v.begin() + first, v.end() - 1);
    double typical = 0;
    if (!before.empty()) {
      std::nth_element(before.begin(),
                       before.begin() + static_cast<std::ptrdiff_t>(before.size() / 2),
                       before.end());
      typical = before[before.size() / 2];
    }
    const std::string tid = std::to_string(id);
    std::map<std::string, std::string> labels = {
        {"alertname", "LogRateAnomaly"},
        {"severity", row->GetString(3) == "critical" ? "high" : "medium"},
        {"log_source", row->GetString(4)},
        {"template_id", tid}};
    // A handful of lines either way is not a rate change worth a signal.
    if (score >= options_.rate_threshold &&
        std::max(v.back(), typical) >= options_.rate_min_lines) {
      DAI_ASSIGN_OR_RETURN(Json ex, examples_of(id));
      alerts::Alert a;
      a.source = "logs";
      a.status = alerts::AlertStatus::kFiring;
      a.labels = labels;
      a.fingerprint = alerts::LabelFingerprint(a.labels);
      a.starts_at = MinuteTime(minute);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", score);
      a.annotations = {
          {"summary", "Log rate anomaly in " + row->GetString(4) + ": " +
                          std::to_string(static_cast<int64_t>(v.back())) + "/min (typical " +
                          std::to_string(static_cast<int64_t>(typical)) + ") for " +
                          row->GetString(1).substr(0, 160)},
          {"template", row->GetString(1)},
          {"score", buf},
          {"examples", DumpJson(ex)},
          {"description", ex.empty() ? row->GetString(1) : ex[0].get<std::string>()}};
      signals.push_back(std::move(a));
      rate.push_back(
          {{"templateId", id}, {"score", score}, {"count", v.back()}, {"typical", typical}});
    } else {
      resolve(labels, "Log rate back to normal: " + row->GetString(1).substr(0, 160));
    }
  }
  // Point signals (a new error template, a critical template seen) resolve after a quiet hold.
  int resolved_points = 0;
  for (const auto& [fp, info] : firing) {
    if ((info.first == "LogNewErrorTemplate" || info.first == "LogCriticalTemplate") &&
        info.second + options_.point_signal_hold <= now) {
      DAI_ASSIGN_OR_RETURN(
          auto row,
          db_.Query("SELECT g.kind, g.severity, s.name, g.template_id FROM log_signals g LEFT "
                    "JOIN log_sources s ON s.id = g.source_id WHERE g.fingerprint = ?",
                    {fp}));
      if (row.rows.empty()) continue;
      const auto& r = row.rows[0];
      resolve({{"alertname", r.GetString(0)},
               {"severity", r.GetString(1)},
               {"log_source", r.GetString(2)},
               {"template_id", std::to_string(r.GetInt(3))}},
              "Log template quiet for " + std::to_string(options_.point_signal_hold.count()) +
                  " minutes");
      ++resolved_points;
    }
  }
  // Retention of the per-minute counts.
  DAI_RETURN_IF_ERROR(db_.Query("DELETE FROM log_template_counts WHERE minute < ?",
                                {now - std::chrono::hours(24 * options_.retention_days)})
                          .status());
  const size_t sent = signals.size();
  size_t resolved = 0;
  for (const auto& a : signals) resolved += a.status == alerts::AlertStatus::kResolved;
  DAI_RETURN_IF_ERROR(SendSignals(signals));
  return Json{{"minute", FormatIso8601(MinuteTime(minute))},
              {"bursts", bursts},
              {"rateAnomalies", rate},
              {"signals", sent},
              {"resolved", resolved}};
}

Status LogService::AttachWorker(store::JobWorker& worker, store::JobRepository& jobs) {
  worker.Register("logs.evaluate", [this](const store::Job&, store::JobControl& control) -> Status {
    auto r = Evaluate();
    control.RescheduleAt(clock_.Now() + std::chrono::seconds(60));
    if (!r.ok()) return r.status();
    control.SetResult(DumpJson(*r));
    return Status::Ok();
  });
  const TimePoint now = clock_.Now();
  return jobs.EnsureScheduled("logs.evaluate", "schedule:logs.evaluate", "{}", now, now).status();
}

void LogService::RegisterProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  const Json level = s::Enum({"unknown", "trace", "debug", "info", "warn", "error", "fatal"});
  registry.Add(MakeProcedure(
      "logs.listSources", Q, Role::kViewer, s::Object({}), s::Array(SourceSchema()),
      "Log sources with their line and rejection counters, template counts and last error",
      [this](const Json&, CallContext&) { return ListSources(); }));
  registry.Add(MakeProcedure(
      "logs.createSource", M, Role::kAdmin,
      s::Object(
          {s::Req("name", s::String(1, 200)),
           s::Req("kind", s::Enum({"file", "journald", "push", "kubernetes"})),
           s::Opt("path", s::String(1, 4096), "file sources: absolute path of the file to tail"),
           s::Opt("format", s::String(0, 2000),
                  "Loghub-style <Field> format; empty: auto-detect per line"),
           s::Opt("masks", s::Array(s::String(1, 1000), 50), "extra variable masks (RE2)"),
           s::Opt("units", s::Array(s::String(1, 256), 50), "journald sources: units to follow"),
           s::Opt("namespace", s::String(1, 253), "kubernetes sources: the pods' namespace"),
           s::Opt("selector", s::String(1, 1000),
                  "kubernetes sources: label selector of the pods (empty: every pod)"),
           s::Opt("container", s::String(1, 253),
                  "kubernetes sources: one container (default: every container)")}),
      SourceSchema(),
      "Add a log source (a file to tail, the systemd journal, a push endpoint, or the logs of "
      "Kubernetes pods)",
      [this](const Json& in, CallContext&) { return CreateSource(in); }));
  registry.Add(MakeProcedure(
      "logs.updateSource", M, Role::kAdmin,
      s::Object({s::Req("id", s::Int(1)), s::Opt("enabled", s::Bool())}), SourceSchema(),
      "Enable or disable a log source",
      [this](const Json& in, CallContext&) { return UpdateSource(in["id"].get<int64_t>(), in); }));
  registry.Add(MakeProcedure("logs.deleteSource", M, Role::kAdmin,
                             s::Object({s::Req("id", s::Int(1))}),
                             s::Object({s::Req("deleted", s::Bool())}),
                             "Delete a log source with its templates, counts and samples",
                             [this](const Json& in, CallContext&) -> Result<Json> {
                               DAI_RETURN_IF_ERROR(DeleteSource(in["id"].get<int64_t>()));
                               return Json{{"deleted", true}};
                             }));
  registry.Add(MakeProcedure(
      "logs.push", M, Role::kOperator,
      s::Object({s::Req("source", s::String(1, 200)),
                 s::Req("lines", s::Array(s::String(0, 65536), 10000)),
                 s::Opt("createSource", s::Bool(),
                        "create a push source of that name when missing (default true)")}),
      s::Object({s::Req("source", s::String()), s::Req("accepted", s::Int()),
                 s::Req("rejected", s::Int())}),
      "Ingest log lines into a push source; answered once their counts are committed",
      [this](const Json& in, CallContext&) -> Result<Json> {
        std::vector<PushLine> lines;
        for (const auto& l : in["lines"]) lines.push_back({0, l.get<std::string>()});
        return Push(in["source"].get<std::string>(), lines, in.value("createSource", true));
      }));
  auto list = MakeProcedure(
      "logs.listTemplates", Q, Role::kViewer,
      s::PageInput({s::Opt("sourceId", s::Int(1)), s::Opt("minLevel", level),
                    s::Opt("mark", s::Enum({"none", "noise", "critical"})),
                    s::Opt("search", s::String(0, 200)),
                    s::Opt("sort", s::Enum({"change", "count", "recent", "new"}), "default change"),
                    s::Opt("windowMinutes", s::Int(1, 10080), "default 60")}),
      s::Page(TemplateSchema()),
      "Log templates with counts in the window and the one before, sparkline and examples, ranked "
      "by change",
      [this](const Json& in, CallContext&) { return ListTemplates(in); });
  list.may_block = true;
  registry.Add(std::move(list));
  auto get = MakeProcedure(
      "logs.getTemplate", Q, Role::kViewer,
      s::Object({s::Req("id", s::Int(1)),
                 s::Opt("minutes", s::Int(1, 10080), "series length, default 180")}),
      s::Object({s::Req("id", s::Int()), s::Req("sourceId", s::Int()),
                 s::Req("sourceName", s::String()), s::Req("template", s::String()),
                 s::Req("level", s::String()),
                 s::Req("mark", s::Enum({"none", "noise", "critical"})), s::Req("total", s::Int()),
                 s::Req("firstSeen", s::DateTime()), s::Req("lastSeen", s::DateTime()),
                 s::Req("seriesStart", s::DateTime()), s::Req("series", s::Array(s::Int(), 10080)),
                 s::Req("samples", s::Array(s::Object({s::Req("at", s::DateTime()),
                                                       s::Req("line", s::String())})))}),
      "One template with its per-minute counts and sample lines",
      [this](const Json& in, CallContext&) {
        return GetTemplate(in["id"].get<int64_t>(), in.value("minutes", 180));
      });
  get.may_block = true;
  registry.Add(std::move(get));
  registry.Add(
      MakeProcedure("logs.searchLines", Q, Role::kViewer,
                    s::PageInput({s::Opt("templateId", s::Int(1)), s::Opt("sourceId", s::Int(1)),
                                  s::Opt("contains", s::String(0, 500))}),
                    s::Page(s::Object({s::Req("id", s::Int()), s::Req("templateId", s::Int()),
                                       s::Req("sourceId", s::Int()), s::Req("at", s::DateTime()),
                                       s::Req("line", s::String()), s::Req("template", s::String()),
                                       s::Req("sourceName", s::String())})),
                    "Search the retained sample lines (the most recent ones of each template) by "
                    "template, source and text",
                    [this](const Json& in, CallContext&) { return SearchLines(in); }));
  registry.Add(MakeProcedure(
      "logs.markTemplate", M, Role::kOperator,
      s::Object({s::Req("id", s::Int(1)), s::Req("mark", s::Enum({"none", "noise", "critical"}))}),
      s::Object({}, true),
      "Mark a template as noise (no signals) or critical (a signal whenever it appears)",
      [this](const Json& in, CallContext&) {
        return MarkTemplate(in["id"].get<int64_t>(), in["mark"].get<std::string>());
      }));
  registry.Add(MakeProcedure(
      "logs.listSignals", Q, Role::kViewer,
      s::PageInput({s::Opt("status", s::Enum({"firing", "resolved"}))}), s::Page(SignalSchema()),
      "Log anomaly signals sent to the Incident Commander, most recent first",
      [this](const Json& in, CallContext&) { return ListSignals(in); }));
  registry.Add(MakeProcedure("logs.evaluate", M, Role::kOperator, s::Object({}),
                             s::Object({}, true),
                             "Run the log anomaly detectors now (they also run every minute)",
                             [this](const Json&, CallContext&) { return Evaluate(); }));
}

}  // namespace dai::logs
