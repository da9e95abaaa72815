#include "modules/logs/log_service.h"
#include "modules/logs/log_runtime.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "adapters/logsource/file_tailer.h"
#include "adapters/logsource/journald_reader.h"
#include "engines/alerts/alert.h"
#include "engines/anomaly/anomaly_detector.h"
#include "engines/logmine/log_format.h"
#include "engines/logmine/template_miner.h"

namespace dai::logs {

using logmine::LogLevel;

namespace {

constexpr size_t kMaxSampleBytes = 2048;
constexpr size_t kMaxMessageBytes = 16 * 1024;

int64_t MinuteOf(TimePoint t) {
  const int64_t ms = ToUnixMillis(t);
  return (ms >= 0 ? ms : ms - 59999) / 60000;
}
TimePoint MinuteTime(int64_t minute) { return TimePoint(Millis(minute * 60000)); }

LogLevel LevelFromName(const std::string& name) {
  for (int l = 0; l <= static_cast<int>(LogLevel::kFatal); ++l) {
    if (logmine::LogLevelName(static_cast<LogLevel>(l)) == name) return static_cast<LogLevel>(l);
  }
  return LogLevel::kUnknown;
}

std::string LevelName(LogLevel l) { return std::string(logmine::LogLevelName(l)); }

}  // namespace

bool TemplateCovers(std::string_view pattern, std::string_view text) {
  // Token by token; within a token `<*>` matches any run of characters (greedy with
  // backtracking to the last wildcard, as a glob matcher does).
  auto token_matches = [](std::string_view pat, std::string_view txt) {
    size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
    while (t < txt.size()) {
      if (p + 3 <= pat.size() && pat.compare(p, 3, "<*>") == 0) {
        star_p = p += 3;
        star_t = t;
      } else if (p < pat.size() && pat[p] == txt[t]) {
        ++p, ++t;
      } else if (star_p != std::string_view::npos) {
        p = star_p;
        t = ++star_t;
      } else {
        return false;
      }
    }
    while (p + 3 <= pat.size() && pat.compare(p, 3, "<*>") == 0) p += 3;
    return p == pat.size();
  };
  size_t pi = 0, ti = 0;
  while (true) {
    const size_t pe = std::min(pattern.find(' ', pi), pattern.size());
    const size_t te = std::min(text.find(' ', ti), text.size());
    if (!token_matches(pattern.substr(pi, pe - pi), text.substr(ti, te - ti))) return false;
    const bool pend = pe >= pattern.size(), tend = te >= text.size();
    if (pend || tend) return pend && tend;
    pi = pe + 1;
    ti = te + 1;
  }
}

LogService::LogService(store::Database& db, const Clock& clock,
                       incidents::IncidentService* incidents, LogServiceOptions options,
                       Publish publish)
    : db_(db),
      clock_(clock),
      incidents_(incidents),
      options_(std::move(options)),
      publish_(std::move(publish)) {}

LogService::~LogService() { Stop(); }

LogService::Runtime* LogService::FindRuntime(int64_t id) {
  auto it = runtimes_.find(id);
  return it == runtimes_.end() ? nullptr : it->second.get();
}

Result<LogService::Runtime*> LogService::LoadRuntime(const store::Row& row) {
  auto rt = std::make_unique<Runtime>();
  rt->id = row.GetInt("id");
  rt->name = row.GetString("name");
  rt->kind = row.GetString("kind");
  rt->path = row.GetString("path");
  rt->enabled = row.GetBool("enabled");
  const std::string format = row.GetString("format");
  if (!format.empty()) {
    DAI_ASSIGN_OR_RETURN(logmine::LogFormat f, logmine::LogFormat::Parse(format));
    for (size_t i = 0; i < f.field_names().size(); ++i) {
      const std::string& n = f.field_names()[i];
      if (n == "Level" || n == "Severity" || n == "LogLevel") rt->level_field = static_cast<int>(i);
    }
    rt->format = std::make_unique<logmine::LogFormat>(std::move(f));
  }
  std::vector<std::string> masks;
  DAI_ASSIGN_OR_RETURN(Json jm, ParseJson(row.GetString("masks")));
  if (jm.is_array()) {
    for (const auto& m : jm) {
      if (m.is_string()) masks.push_back(m.get<std::string>());
    }
  }
  std::unique_ptr<logmine::TemplateMiner> miner;
  if (!row.IsNull("miner_state")) {
    auto restored = logmine::TemplateMiner::Restore(row.GetString("miner_state"));
    if (restored.ok()) miner = std::make_unique<logmine::TemplateMiner>(std::move(*restored));
  }
  if (!miner) {
    logmine::MinerOptions mo;
    mo.max_clusters = 20000;
    DAI_ASSIGN_OR_RETURN(logmine::TemplateMiner m, logmine::TemplateMiner::Create(mo, masks));
    miner = std::make_unique<logmine::TemplateMiner>(std::move(m));
  }
  rt->miner = std::move(miner);
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT id, cluster_id, template FROM log_templates WHERE source_id = ?",
                           {rt->id}));
  uint64_t max_cluster = 0;
  for (const auto& r : rows.rows) {
    const auto cluster = static_cast<uint64_t>(r.GetInt(1));
    rt->rows[{cluster, r.GetString(2)}] = r.GetInt(0);
    max_cluster = std::max(max_cluster, cluster);
  }
  rt->miner->ReserveIdsThrough(max_cluster);
  rt->state_saved_at = row.IsNull("miner_state") ? TimePoint{} : clock_.Now();
  DAI_ASSIGN_OR_RETURN(Json position, ParseJson(row.GetString("position")));
  if (rt->kind == "file") {
    logsource::TailPosition p;
    if (position.is_object()) {
      p.device = position.value("device", uint64_t{0});
      p.inode = position.value("inode", uint64_t{0});
      p.offset = position.value("offset", uint64_t{0});
    }
    rt->tailer = std::make_unique<logsource::FileTailer>(rt->path, p);
  } else if (rt->kind == "journald") {
    if (position.is_object()) rt->cursor = position.value("cursor", "");
    auto opts = ParseJson(row.GetString("options"));
    if (opts.ok() && opts->is_object() && opts->contains("units") && (*opts)["units"].is_array()) {
      for (const auto& u : (*opts)["units"]) {
        if (!u.is_string()) continue;
        rt->journal_args.push_back("--unit");
        rt->journal_args.push_back(u.get<std::string>());
      }
    }
  } else if (rt->kind == "kubernetes") {
    rt->kube_position = logsource::KubeLogPosition::FromJson(position);
    auto opts = ParseJson(row.GetString("options"));
    logsource::KubeLogSelector sel;
    if (opts.ok() && opts->is_object()) {
      sel.namespace_ = opts->value("namespace", "");
      sel.label_selector = opts->value("selector", "");
      sel.container = opts->value("container", "");
    }
    rt->kube = std::make_shared<logsource::KubePodLogReader>(options_.kube, std::move(sel));
  }
  Runtime* out = rt.get();
  runtimes_[rt->id] = std::move(rt);
  return out;
}

void LogService::StartJournal(Runtime* rt) {
  const int64_t id = rt->id;
  logsource::JournaldOptions jo;
  jo.journalctl = options_.journalctl;
  jo.extra_args = rt->journal_args;
  rt->journal = std::make_unique<logsource::JournaldReader>(
      jo, rt->cursor,
      [this, id](std::vector<logsource::JournalEntry>& batch) {
        std::lock_guard<std::mutex> lock(mu_);
        Runtime* r = FindRuntime(id);
        if (r == nullptr) return;
        const TimePoint now = clock_.Now();
        for (const auto& e : batch) {
          // The journal's message with its priority, as a JSON line the parser reads.
          std::string clean;
          logmine::SanitizeLine(e.message, clean, kMaxMessageBytes);
          Json line = {{"MESSAGE", clean},
                       {"PRIORITY", e.priority >= 0 ? std::to_string(e.priority) : ""}};
          IngestLine(*r, DumpJson(line), now);
          if (!e.cursor.empty()) r->cursor = e.cursor;
        }
        r->position_dirty = true;
      },
      [this, id](const std::string& error) {
        std::lock_guard<std::mutex> lock(mu_);
        if (Runtime* r = FindRuntime(id)) {
          r->last_error = error;
          r->error_dirty = true;
        }
      });
  rt->journal->Start();
}

Status LogService::Start() {
  std::vector<Runtime*> journals;
  {
    std::lock_guard<std::mutex> lock(mu_);
    DAI_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT * FROM log_sources ORDER BY id"));
    for (const auto& row : rows.rows) {
      auto rt = LoadRuntime(row);
      if (!rt.ok()) {
        // A source that cannot load (a format an older build accepted) must not stop the server.
        if (publish_)
          publish_("logs.source_error", DumpJson({{"source", row.GetString("name")},
                                                  {"error", rt.status().ToString()}}));
        continue;
      }
      if ((*rt)->kind == "journald" && (*rt)->enabled) journals.push_back(*rt);
    }
  }
  if (!options_.run_readers) return Status::Ok();
  for (Runtime* rt : journals) StartJournal(rt);
  stop_ = false;
  poller_ = std::thread([this] { PollLoop(); });
  return Status::Ok();
}

void LogService::Stop() {
  stop_ = true;
  wake_.notify_all();
  if (poller_.joinable()) poller_.join();
  std::vector<logsource::JournaldReader*> readers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, rt] : runtimes_) {
      if (rt->journal) readers.push_back(rt->journal.get());
    }
  }
  for (auto* r : readers) r->Stop();
  force_state_ = true;
  (void)Flush();
  force_state_ = false;
}

void LogService::PollLoop() {
  while (!stop_) {
    (void)PollOnce();
    std::unique_lock<std::mutex> lock(wake_mu_);
    wake_.wait_for(lock, options_.poll_interval, [this] { return stop_.load(); });
  }
}

Status LogService::PollOnce(bool force_kubernetes) {
  PollKubernetes(force_kubernetes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    const TimePoint now = clock_.Now();
    for (auto& [id, rt] : runtimes_) {
      if (!rt->tailer || !rt->enabled) continue;
      Runtime* r = rt.get();
      auto polled =
          r->tailer->Poll([this, r, now](std::string_view line) { IngestLine(*r, line, now); });
      if (!polled.ok()) {
        if (r->last_error != polled.status().message()) {
          r->last_error = polled.status().message();
          r->error_dirty = true;
        }
        continue;
      }
      if (polled->bytes > 0 || polled->rotations > 0 || polled->truncations > 0)
        r->position_dirty = true;
      const std::string error =
          polled->missing ? "file \"" + r->path + "\" does not exist (waiting for it)" : "";
      if (error != r->last_error) {
        r->last_error = error;
        r->error_dirty = true;
      }
    }
  }
  return Flush();
}

void LogService::PollKubernetes(bool force) {
  struct Due {
    int64_t id;
    std::shared_ptr<logsource::KubePodLogReader> reader;
    logsource::KubeLogPosition position;
  };
  std::vector<Due> due;
  const TimePoint now = clock_.Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, rt] : runtimes_) {
      if (!rt->kube || !rt->enabled) continue;
      if (!force && now - rt->kube_polled_at < options_.kube_poll_interval) continue;
      rt->kube_polled_at = now;
      due.push_back({id, rt->kube, rt->kube_position});
    }
  }
  // The API calls run without the lock; each container's lines are mined and its position
  // advanced together under it, so a flush never stores a position ahead of its counts.
  for (const Due& d : due) {
    const int64_t id = d.id;
    auto polled = d.reader->Poll(
        d.position, ToUnixMillis(now),
        [this, id, now](const std::string& key, const std::vector<logsource::KubeTimedLine>& lines,
                        const logsource::KubeStreamPosition& after) {
          std::lock_guard<std::mutex> lock(mu_);
          Runtime* r = FindRuntime(id);
          if (r == nullptr) return;
          for (const auto& l : lines) {
            // The line's own time, within the last day and never in the future.
            TimePoint at = TimePoint(std::chrono::duration_cast<TimePoint::duration>(
                std::chrono::nanoseconds(l.unix_ns)));
            at = std::clamp(at, now - std::chrono::hours(24), now);
            IngestLine(*r, l.text, at);
          }
          r->kube_position.streams[key] = after;
          r->position_dirty = true;
        });
    std::lock_guard<std::mutex> lock(mu_);
    Runtime* r = FindRuntime(id);
    if (r == nullptr) continue;
    std::string error;
    if (!polled.ok()) {
      error = "reading pod logs: " + polled.status().message();
    } else {
      for (const auto& key : polled->forget) r->kube_position.streams.erase(key);
      if (!polled->forget.empty()) r->position_dirty = true;
      if (polled->malformed > 0) r->pending_rejected["format_mismatch"] += polled->malformed;
      if (!polled->errors.empty()) error = "reading pod logs: " + polled->errors;
    }
    if (error != r->last_error) {
      r->last_error = error;
      r->error_dirty = true;
    }
  }
}

void LogService::IngestLine(Runtime& rt, std::string_view line, TimePoint at) {
  if (line.empty()) return;
  if (logmine::LooksBinary(line)) {
    ++rt.pending_rejected["binary"];
    return;
  }
  std::string_view message;
  LogLevel level = LogLevel::kUnknown;
  if (rt.format) {
    rt.format->Split(line, rt.split);
    if (!rt.split.ok) {
      ++rt.pending_rejected[std::string(logmine::RejectReasonName(rt.split.reason))];
      return;
    }
    message = rt.split.content;
    if (rt.level_field >= 0) level = logmine::ParseLevelWord(rt.split.fields[rt.level_field]);
    if (level == LogLevel::kUnknown) level = logmine::FindLevelKeyword(message);
  } else {
    logmine::ParseLine(line, rt.parsed);
    message = rt.parsed.message;
    level = rt.parsed.level;
  }
  logmine::SanitizeLine(message, rt.clean, kMaxMessageBytes);
  const logmine::MineResult& mined = rt.miner->Add(rt.clean);
  if (mined.new_cluster) rt.state_dirty = true;
  PendingTemplate& p = rt.pending[{mined.cluster_id, std::string(mined.template_text)}];
  if (p.text.empty()) p.text.assign(mined.template_text);
  if (level > p.level) p.level = level;
  ++p.counts[MinuteOf(at)];
  ++p.lines;
  if (p.samples.size() < options_.samples_per_flush) {
    std::string sample;
    logmine::SanitizeLine(line, sample, kMaxSampleBytes);
    p.samples.emplace_back(at, std::move(sample));
  }
  ++rt.pending_lines;
}

Status LogService::FlushSource(Runtime& rt, std::vector<alerts::Alert>& signals) {
  const bool any = !rt.pending.empty() || !rt.pending_rejected.empty() || rt.position_dirty ||
                   rt.error_dirty || (force_state_ && rt.state_dirty);
  if (!any) return Status::Ok();
  const TimePoint now = clock_.Now();
  std::string state;
  if (rt.state_dirty && (force_state_ || rt.state_saved_at == TimePoint{} ||
                         now - rt.state_saved_at >= options_.state_save_interval)) {
    state = rt.miner->Save();
  }
  struct Created {
    int64_t row;
    std::pair<uint64_t, std::string> key;
    std::pair<uint64_t, std::string> renamed_from;  // empty text: a new row
  };
  std::vector<Created> created;
  std::vector<std::pair<int64_t, PendingTemplate*>> critical_seen;
  std::vector<std::pair<int64_t, PendingTemplate*>> new_errors;
  Status st = db_.Transaction([&](store::Connection& c) -> Status {
    created.clear();
    critical_seen.clear();
    new_errors.clear();
    std::set<int64_t> renamed_rows;
    for (auto& [key, p] : rt.pending) {
      const uint64_t cluster = key.first;
      int64_t row_id = 0;
      auto known = rt.rows.find(key);
      TimePoint first = p.samples.empty() ? now : p.samples.front().first;
      if (known == rt.rows.end()) {
        // The cluster's template may have generalised: rename the row it had for an instance.
        const std::pair<uint64_t, std::string>* older = nullptr;
        for (auto it = rt.rows.lower_bound({cluster, std::string()});
             it != rt.rows.end() && it->first.first == cluster; ++it) {
          if (!renamed_rows.count(it->second) && TemplateCovers(key.second, it->first.second)) {
            older = &it->first;
            row_id = it->second;
            break;
          }
        }
        if (older != nullptr) {
          renamed_rows.insert(row_id);
          created.push_back({row_id, key, *older});
        } else {
          DAI_ASSIGN_OR_RETURN(
              auto ins,
              c.Query(
                  "INSERT INTO log_templates (source_id, cluster_id, template, level, "
                  "total, first_seen, last_seen) VALUES (?, ?, ?, ?, 0, ?, ?) RETURNING id",
                  {rt.id, static_cast<int64_t>(cluster), p.text, LevelName(p.level), first, now}));
          row_id = ins.rows.at(0).GetInt(0);
          created.push_back({row_id, key, {0, std::string()}});
          if (p.level >= LogLevel::kError) new_errors.emplace_back(row_id, &p);
        }
      } else {
        row_id = known->second;
      }
      DAI_ASSIGN_OR_RETURN(auto m,
                           c.Query("SELECT mark, level FROM log_templates WHERE id = ?", {row_id}));
      if (!m.rows.empty() && m.rows[0].GetString(0) == "critical")
        critical_seen.emplace_back(row_id, &p);
      if (!m.rows.empty()) {
        LogLevel stored = LevelFromName(m.rows[0].GetString(1));
        if (stored > p.level) p.level = stored;
      }
      DAI_RETURN_IF_ERROR(
          c.Query("UPDATE log_templates SET template = ?, level = ?, total = total + ?, "
                  "last_seen = ? WHERE id = ?",
                  {p.text, LevelName(p.level), static_cast<int64_t>(p.lines), now, row_id})
              .status());
      for (const auto& [minute, n] : p.counts) {
        DAI_RETURN_IF_ERROR(
            c.Query("INSERT INTO log_template_counts (template_id, minute, count) VALUES (?, ?, ?) "
                    "ON CONFLICT (template_id, minute) DO UPDATE SET count = "
                    "log_template_counts.count + "
                    "excluded.count",
                    {row_id, MinuteTime(minute), static_cast<int64_t>(n)})
                .status());
      }
      if (!p.samples.empty()) {
        for (const auto& [at, line] : p.samples) {
          DAI_RETURN_IF_ERROR(
              c.Query(
                   "INSERT INTO log_samples (template_id, source_id, at, line) VALUES (?, ?, ?, ?)",
                   {row_id, rt.id, at, line})
                  .status());
        }
        DAI_RETURN_IF_ERROR(
            c.Query("DELETE FROM log_samples WHERE template_id = ? AND id NOT IN (SELECT id FROM "
                    "log_samples "
                    "WHERE template_id = ? ORDER BY id DESC LIMIT ?)",
                    {row_id, row_id, static_cast<int64_t>(options_.samples_per_template)})
                .status());
      }
    }
    Json position = Json::object();
    if (rt.tailer) {
      auto p = rt.tailer->position();
      position = {{"device", p.device}, {"inode", p.inode}, {"offset", p.offset}};
    } else if (rt.kind == "journald") {
      position = {{"cursor", rt.cursor}};
    } else if (rt.kind == "kubernetes") {
      position = rt.kube_position.ToJson();
    }
    int64_t rejected = 0;
    for (const auto& [reason, n] : rt.pending_rejected) rejected += static_cast<int64_t>(n);
    DAI_ASSIGN_OR_RETURN(auto cur,
                         c.Query("SELECT rejected_reasons FROM log_sources WHERE id = ?", {rt.id}));
    if (cur.rows.empty())
      return Status::NotFound("log source " + std::to_string(rt.id) + " was deleted");
    DAI_ASSIGN_OR_RETURN(Json reasons, ParseJson(cur.rows[0].GetString(0)));
    if (!reasons.is_object()) reasons = Json::object();
    for (const auto& [reason, n] : rt.pending_rejected) {
      reasons[reason] = reasons.value(reason, uint64_t{0}) + n;
    }
    const bool write_state = !state.empty();
    store::Params params = {
        DumpJson(position), static_cast<int64_t>(rt.pending_lines), rejected, DumpJson(reasons),
        rt.last_error.empty() ? store::Param(nullptr) : store::Param(rt.last_error)};
    std::string sql =
        "UPDATE log_sources SET position = ?, lines_total = lines_total + ?, rejected_total = "
        "rejected_total + ?, "
        "rejected_reasons = ?, last_error = ?, updated_at = ?";
    params.push_back(now);
    if (rt.pending_lines > 0) {
      sql += ", last_line_at = ?";
      params.push_back(now);
    }
    if (write_state) {
      sql += ", miner_state = ?";
      params.push_back(state);
    }
    sql += " WHERE id = ?";
    params.push_back(rt.id);
    return c.Query(sql, params).status();
  });
  if (!st.ok()) return st;
  for (const auto& c : created) {
    if (!c.renamed_from.second.empty()) rt.rows.erase(c.renamed_from);
    rt.rows[c.key] = c.row;
  }
  if (!state.empty()) {
    rt.state_dirty = false;
    rt.state_saved_at = now;
  }
  auto make = [&](const std::string& alertname, const std::string& severity, int64_t row,
                  const PendingTemplate& p, const std::string& summary) {
    alerts::Alert a;
    a.source = "logs";
    a.status = alerts::AlertStatus::kFiring;
    a.labels = {{"alertname", alertname},
                {"severity", severity},
                {"log_source", rt.name},
                {"template_id", std::to_string(row)}};
    a.fingerprint = alerts::LabelFingerprint(a.labels);
    a.starts_at = now;
    Json examples = Json::array();
    for (const auto& s : p.samples) examples.push_back(s.second);
    a.annotations = {{"summary", summary},
                     {"template", p.text},
                     {"level", LevelName(p.level)},
                     {"examples", DumpJson(examples)},
                     {"description", examples.empty() ? p.text : examples[0].get<std::string>()}};
    signals.push_back(std::move(a));
  };
  for (const auto& [row, p] : new_errors) {
    make("LogNewErrorTemplate", p->level == LogLevel::kFatal ? "critical" : "high", row, *p,
         "New " + LevelName(p->level) + " log template in " + rt.name + ": " +
             p->text.substr(0, 200));
  }
  for (const auto& [row, p] : critical_seen) {
    make("LogCriticalTemplate", "critical", row, *p,
         "Critical log template seen in " + rt.name + ": " + p->text.substr(0, 200));
  }
  rt.pending.clear();
  rt.pending_rejected.clear();
  rt.pending_lines = 0;
  rt.position_dirty = false;
  rt.error_dirty = false;
  return Status::Ok();
}

Status LogService::FlushLocked(std::vector<alerts::Alert>& signals) {
  Status first = Status::Ok();
  for (auto& [id, rt] : runtimes_) {
    Status st = FlushSource(*rt, signals);
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

Status LogService::SendSignals(std::vector<alerts::Alert>& signals) {
  if (signals.empty()) return Status::Ok();
  const TimePoint now = clock_.Now();
  // Record the signals (what the Logs page lists) and hand them to the Incident Commander.
  auto label = [](const alerts::Alert& a, const char* k) {
    auto it = a.labels.find(k);
    return it == a.labels.end() ? std::string() : it->second;
  };
  for (const auto& a : signals) {
    const std::string tid_text = label(a, "template_id");
    const int64_t template_id = tid_text.empty() ? 0 : std::stoll(tid_text);
    Status st = db_.Transaction([&](store::Connection& c) -> Status {
      DAI_ASSIGN_OR_RETURN(
          auto src, c.Query("SELECT id FROM log_sources WHERE name = ?", {label(a, "log_source")}));
      const store::Param source_id =
          src.rows.empty() ? store::Param(nullptr) : store::Param(src.rows[0].GetInt(0));
      const store::Param tid = template_id > 0 ? store::Param(template_id) : store::Param(nullptr);
      Json annotations = Json::object();
      for (const auto& [k, v] : a.annotations) annotations[k] = v;
      if (a.status == alerts::AlertStatus::kFiring) {
        return c
            .Query(
                "INSERT INTO log_signals (fingerprint, kind, source_id, template_id, status, "
                "severity, summary, "
                "details, fired_at, last_at) VALUES (?, ?, ?, ?, 'firing', ?, ?, ?, ?, ?) "
                "ON CONFLICT (fingerprint) DO UPDATE SET status = 'firing', summary = "
                "excluded.summary, "
                "details = excluded.details, last_at = excluded.last_at, resolved_at = NULL, "
                "count = log_signals.count + 1",
                {a.fingerprint, label(a, "alertname"), source_id, tid, label(a, "severity"),
                 a.annotations.count("summary") ? a.annotations.at("summary") : "",
                 DumpJson(annotations), now, now})
            .status();
      }
      return c
          .Query(
              "UPDATE log_signals SET status = 'resolved', resolved_at = ? WHERE fingerprint = ?",
              {now, a.fingerprint})
          .status();
    });
    if (!st.ok()) return st;
  }
  if (incidents_ != nullptr) {
    alerts::AlertBatch batch;
    batch.alerts = signals;
    DAI_RETURN_IF_ERROR(incidents_->Ingest(batch, "log-intelligence").status());
  }
  if (publish_) publish_("logs.signals", DumpJson({{"signals", signals.size()}}));
  return Status::Ok();
}

Status LogService::Flush() {
  std::vector<alerts::Alert> signals;
  Status st;
  {
    std::lock_guard<std::mutex> lock(mu_);
    st = FlushLocked(signals);
  }
  Status sent = SendSignals(signals);
  return st.ok() ? sent : st;
}

Result<Json> LogService::Push(const std::string& source, const std::vector<PushLine>& lines,
                              bool create) {
  if (lines.size() > options_.max_push_lines) {
    return Status::InvalidArgument("lines: at most " + std::to_string(options_.max_push_lines) +
                                   " lines per push");
  }
  std::vector<alerts::Alert> signals;
  Json out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Runtime* rt = nullptr;
    for (auto& [id, r] : runtimes_) {
      if (r->name == source) rt = r.get();
    }
    if (rt == nullptr) {
      if (!create) return Status::NotFound("no log source named \"" + source + "\"");
      if (source.empty() || source.size() > 200) {
        return Status::InvalidArgument("source: a name of 1 to 200 characters is required");
      }
      const TimePoint now = clock_.Now();
      DAI_ASSIGN_OR_RETURN(auto ins, db_.Query("INSERT INTO log_sources (name, kind, created_at, "
                                               "updated_at) VALUES (?, 'push', ?, ?) "
                                               "ON CONFLICT (name) DO NOTHING RETURNING id",
                                               {source, now, now}));
      DAI_ASSIGN_OR_RETURN(auto row,
                           db_.Query("SELECT * FROM log_sources WHERE name = ?", {source}));
      if (row.rows.empty()) return Status::Internal("log source \"" + source + "\" vanished");
      DAI_ASSIGN_OR_RETURN(rt, LoadRuntime(row.rows[0]));
    }
    if (rt->kind != "push") {
      return Status::FailedPrecondition("log source \"" + source + "\" is a " + rt->kind +
                                        " source; lines can be pushed only to push sources");
    }
    if (!rt->enabled)
      return Status::FailedPrecondition("log source \"" + source + "\" is disabled");
    const TimePoint now = clock_.Now();
    uint64_t rejected_before = 0;
    for (const auto& [r, n] : rt->pending_rejected) rejected_before += n;
    logmine::LineSplitter splitter(64 * 1024);
    uint64_t too_long = 0;
    for (const auto& l : lines) {
      TimePoint at = now;
      // The sender's time counts when it is recent; older or future times are clamped to now so
      // a replay cannot rewrite history the detectors already judged.
      if (l.unix_ms > 0) {
        TimePoint t = TimePoint(Millis(l.unix_ms));
        if (t <= now && t >= now - std::chrono::minutes(60)) at = t;
      }
      if (l.text.size() > 64 * 1024) {
        ++too_long;
        continue;
      }
      std::string_view text = l.text;
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
      IngestLine(*rt, text, at);
    }
    if (too_long) rt->pending_rejected["too_long"] += too_long;
    uint64_t rejected_after = 0;
    for (const auto& [r, n] : rt->pending_rejected) rejected_after += n;
    const uint64_t rejected = rejected_after - rejected_before;
    DAI_RETURN_IF_ERROR(FlushSource(*rt, signals));
    out = {{"source", rt->name}, {"accepted", lines.size() - rejected}, {"rejected", rejected}};
  }
  Status sent = SendSignals(signals);
  if (!sent.ok()) out["signalError"] = sent.message();
  return out;
}

}  // namespace dai::logs
