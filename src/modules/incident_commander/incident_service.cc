#include "modules/incident_commander/incident_service.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>

namespace dai::incidents {
namespace {

using store::Connection;
using store::Params;

std::string StatusName(alerts::AlertStatus s) {
  return s == alerts::AlertStatus::kFiring ? "firing" : "resolved";
}

std::string Label(const alerts::Alert& a, const std::string& name) {
  auto it = a.labels.find(name);
  return it == a.labels.end() ? std::string() : it->second;
}

Json MapJson(const std::map<std::string, std::string>& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

// DumpJson(MapJson(m)) without building the JSON tree: the alerts' labels and annotations are
// written for every alert. Text with bytes above ASCII takes the JSON library's path (it
// replaces invalid UTF-8); the output is the same either way.
std::string LabelsJson(const std::map<std::string, std::string>& m) {
  size_t size = 2;
  for (const auto& [k, v] : m) {
    for (const std::string* text : {&k, &v}) {
      for (char c : *text) {
        if (static_cast<unsigned char>(c) >= 0x80) return DumpJson(MapJson(m));
      }
      size += text->size() + 4;
    }
  }
  std::string out;
  out.reserve(size);
  auto put = [&out](const std::string& text) {
    out += '"';
    for (char c : text) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\u00";
            out += kHex[(c >> 4) & 0xf];
            out += kHex[c & 0xf];
          } else {
            out += c;
          }
      }
    }
    out += '"';
  };
  out += '{';
  for (const auto& [k, v] : m) {
    if (out.size() > 1) out += ',';
    put(k);
    out += ':';
    put(v);
  }
  out += '}';
  return out;
}

std::map<std::string, std::string> JsonMap(const std::string& text) {
  std::map<std::string, std::string> out;
  auto j = ParseJson(text);
  if (j.ok() && j->is_object()) {
    for (auto it = j->begin(); it != j->end(); ++it) {
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    }
  }
  return out;
}

std::string TitleFor(const alerts::Alert& a) {
  auto it = a.annotations.find("summary");
  std::string title =
      it != a.annotations.end() && !it->second.empty() ? it->second : Label(a, "alertname");
  const std::string service = Label(a, "service");
  if (!service.empty() && title.find(service) == std::string::npos) title += " (" + service + ")";
  return title.substr(0, 500);
}

Status AddAction(Connection& conn, int64_t incident_id, const std::string& type,
                 const std::string& description, const std::string& actor, bool automated,
                 const Json& details, TimePoint now) {
  return conn
      .Query(
          "INSERT INTO incident_actions (incident_id, action_type, description, actor, automated, "
          "details, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          {incident_id, type, description, actor, automated, DumpJson(details), now})
      .status();
}

// The columns an IncidentView needs, first in every candidate query below.
constexpr const char* kViewColumns =
    "i.id, i.status, i.severity, i.labels, i.detected_at, i.last_signal_at, i.resolved_at, "
    "i.reopen_count";

IncidentView ViewFromRow(const store::Row& r) {
  IncidentView v;
  v.id = r.GetInt(0);
  v.status = r.GetString(1);
  v.severity = r.GetString(2);
  v.group_labels = JsonMap(r.GetString(3));
  v.opened_at = r.GetTime(4);
  v.last_signal_at = r.IsNull(5) ? v.opened_at : r.GetTime(5);
  v.resolved_at = r.GetOptTime(6);
  v.reopen_count = static_cast<int>(r.GetInt(7));
  return v;
}

// Rows (or values) per multi-row statement: this many, then the rest by halves, so a handful of
// distinct statements (each prepared once per connection) serve any number.
constexpr size_t kRowsPerStatement = 64;
size_t ChunkRows(size_t left) {
  size_t n = kRowsPerStatement;
  while (n > left) n /= 2;
  return n;
}

// The memberships (with their incidents) of `n` fingerprints.
const std::string& MembershipSql(size_t n) {
  static const std::map<size_t, std::string> sql = [] {
    std::map<size_t, std::string> m;
    for (size_t rows = kRowsPerStatement; rows > 0; rows /= 2) {
      std::string in;
      for (size_t i = 0; i < rows; ++i) in += i == 0 ? "?" : ", ?";
      m[rows] = std::string("SELECT ") + kViewColumns +
                ", ia.resolved_at, ia.fingerprint FROM incident_alerts ia JOIN incidents i "
                "ON i.id = ia.incident_id WHERE ia.fingerprint IN (" +
                in + ") ORDER BY ia.incident_id";
    }
    return m;
  }();
  return sql.at(n);
}

// The newest open incidents signalled since `seen_since` (bounded: every alert of a group is
// compared with each of them).
constexpr int kOpenCandidates = 200;

Json IncidentJson(const store::Row& r) {
  auto opt_time = [&](const char* c) {
    return r.IsNull(c) ? Json(nullptr) : Json(FormatIso8601(r.GetTime(c)));
  };
  Json labels = ParseJson(r.GetString("labels")).value_or(Json::object());
  Json services = ParseJson(r.GetString("affected_services")).value_or(Json::array());
  return Json{
      {"id", r.GetInt("id")},
      {"title", r.GetString("title")},
      {"description", r.GetString("description")},
      {"severity", r.GetString("severity")},
      {"status", r.GetString("status")},
      {"source", r.GetString("source")},
      {"service", r.IsNull("service") ? Json(nullptr) : Json(r.GetString("service"))},
      {"labels", labels},
      {"affectedServices", services},
      {"alertCount", r.GetInt("alert_count")},
      {"reopenCount", r.GetInt("reopen_count")},
      {"flapping", r.GetBool("flapping")},
      {"rootCause", r.IsNull("root_cause") ? Json(nullptr) : Json(r.GetString("root_cause"))},
      {"acknowledgedBy",
       r.IsNull("acknowledged_by") ? Json(nullptr) : Json(r.GetInt("acknowledged_by"))},
      {"detectedAt", FormatIso8601(r.GetTime("detected_at"))},
      {"acknowledgedAt", opt_time("acknowledged_at")},
      {"resolvedAt", opt_time("resolved_at")},
      {"lastSignalAt", opt_time("last_signal_at")},
      {"updatedAt", FormatIso8601(r.GetTime("updated_at"))}};
}

constexpr const char* kIncidentColumns =
    "id, title, description, severity, status, source, service, labels, affected_services, "
    "alert_count, reopen_count, flapping, root_cause, acknowledged_by, detected_at, "
    "acknowledged_at, resolved_at, last_signal_at, updated_at";

}  // namespace

Json IngestResult::ToJson() const {
  return Json{{"alerts", alerts},
              {"opened", opened},
              {"attached", attached},
              {"refreshed", refreshed},
              {"resolvedMembers", resolved_members},
              {"reopened", reopened},
              {"inhibited", inhibited},
              {"ignored", ignored}};
}

IncidentService::IncidentService(
    store::Database& db, const Clock& clock, IncidentServiceOptions options,
    std::function<void(const std::string&, const std::string&)> publish)
    : db_(db), clock_(clock), options_(std::move(options)), publish_(std::move(publish)) {}

struct IncidentService::PendingIngest {
  const alerts::AlertBatch* batch = nullptr;
  const std::string* actor = nullptr;
  bool done = false;  //!< guarded by group_mu_
  std::optional<Result<IngestResult>> result;
};

namespace {
// A group's alerts are bounded so one transaction (and the wait of its first caller) stays short.
constexpr size_t kMaxGroupAlerts = 2000;
}  // namespace

Result<IngestResult> IncidentService::Ingest(const alerts::AlertBatch& batch,
                                             const std::string& actor) {
  auto mine = std::make_shared<PendingIngest>();
  mine->batch = &batch;
  mine->actor = &actor;
  {
    std::unique_lock<std::mutex> lock(group_mu_);
    queue_.push_back(mine);
    while (!mine->done) {
      if (leader_active_) {
        group_cv_.wait(lock);
        continue;
      }
      // Lead: write what is queued (oldest first, ours among them unless the bound cut it).
      leader_active_ = true;
      std::vector<std::shared_ptr<PendingIngest>> group;
      size_t alerts = 0;
      while (!queue_.empty() &&
             (group.empty() || alerts + queue_.front()->batch->alerts.size() <= kMaxGroupAlerts)) {
        alerts += queue_.front()->batch->alerts.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lock.unlock();
      CommitGroup(group);
      lock.lock();
      for (auto& p : group) p->done = true;
      leader_active_ = false;
      group_cv_.notify_all();
    }
  }
  Result<IngestResult> out = std::move(*mine->result);
  if (out.ok() && publish_) {
    auto& touched = out->touched_incidents;
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (int64_t id : touched) publish_("incident.updated", DumpJson({{"id", id}}));
  }
  return out;
}

// What one ingestion transaction has read and changed, so that each alert costs only its own
// lookups and writes: incidents are read once per group (not once per alert), the active
// alerts that may inhibit are read once per rule and label values, and each changed incident
// is written once before commit. The transaction holds the ingestion lock (BEGIN IMMEDIATE on
// SQLite, the advisory lock on PostgreSQL), so no other ingester changes them meanwhile.
struct IncidentService::GroupState {
  //! Every incident read or changed so far, as it is now (membership sets left empty).
  std::map<int64_t, IncidentView> views;
  //! Open incidents signalled within the group window (newest kOpenCandidates).
  std::set<int64_t> open;
  //! Changes to `incidents` rows not written yet.
  struct Pending {
    int64_t alerts = 0;   //!< members attached
    int64_t reopens = 0;  //!< times reopened
    bool severity = false;
    bool status = false;  //!< status and resolved_at changed
    std::optional<bool> flapping;
    std::optional<TimePoint> updated_at;
  };
  std::map<int64_t, Pending> pending;
  //! Firing critical alerts that may inhibit others, per inhibit rule and equal-label values
  //! (as the store held them, kept current as this transaction writes alerts).
  struct Inhibitors {
    std::vector<std::pair<std::string, std::string>> equal;  //!< label → value they share
    std::map<std::string, alerts::Alert> alerts;             //!< by fingerprint
  };
  std::map<std::string, Inhibitors> inhibitors;
  std::set<std::string> inhibitor_fingerprints;  //!< every fingerprint in some Inhibitors
  //! Alerts that joined an incident one after another, not yet on its timeline: a flood into
  //! one incident becomes one timeline row per group ("37 alerts joined: ..."), not one each.
  struct Joined {
    std::string actor;
    TimePoint at;
    std::string description;  //!< of the first
    Json details;             //!< of the first
    Json alerts = Json::array();
    int64_t count = 0;
    std::set<std::string> names;  //!< the first five alert names
    bool more_names = false;
  };
  std::map<int64_t, Joined> joined;

  //! Every incident each fingerprint of the group belongs to (incident_alerts, read once for
  //! the whole group and kept current as the group writes), in incident order.
  struct Membership {
    int64_t incident_id = 0;
    bool resolved = false;  //!< incident_alerts.resolved_at is set
  };
  std::unordered_map<std::string, std::vector<Membership>> members;
  //! Sets (or adds) the membership of `fingerprint` in `incident_id`.
  void SetMember(const std::string& fingerprint, int64_t incident_id, bool resolved) {
    auto& list = members[fingerprint];
    for (auto& m : list) {
      if (m.incident_id == incident_id) {
        m.resolved = resolved;
        return;
      }
    }
    list.push_back({incident_id, resolved});
  }

  //! Rows not written yet: new memberships and the alerts' own rows, written together in
  //! multi-row statements (Flush) before anything reads those tables and before commit.
  struct MemberRow {
    int64_t incident_id;
    std::string fingerprint;
    TimePoint attached_at;
  };
  std::vector<MemberRow> member_rows;
  std::set<std::pair<int64_t, std::string>> member_keys;  //!< of member_rows
  struct AlertRow {
    std::string fingerprint, source, status, alertname, severity, labels, annotations,
        generator_url, inhibited_by, service;
    TimePoint starts_at, first_received_at, last_received_at;
    std::optional<TimePoint> ends_at;
    std::optional<int64_t> incident_id;  //!< the last incident it was linked to in the group
    int64_t count = 0;                   //!< times received in the group
  };
  std::vector<AlertRow> alert_rows;
  std::unordered_map<std::string, size_t> alert_row_index;  //!< fingerprint → alert_rows

  //! Queues the membership row of `fingerprint` in `incident_id` (firing).
  void AddMember(int64_t incident_id, const std::string& fingerprint, TimePoint now) {
    SetMember(fingerprint, incident_id, false);
    if (member_keys.emplace(incident_id, fingerprint).second)
      member_rows.push_back({incident_id, fingerprint, now});
  }
  //! Queues the alert's own row (one per fingerprint: a second receipt in the group updates
  //! the queued row as the upsert would update the stored one).
  void AddAlertRow(const alerts::Alert& alert, const std::string& alertname,
                   const std::string& severity, std::optional<int64_t> incident_id,
                   const std::string& inhibited_by, TimePoint now) {
    auto [pos, added] = alert_row_index.emplace(alert.fingerprint, alert_rows.size());
    if (added) {
      alert_rows.emplace_back();
      alert_rows.back().fingerprint = alert.fingerprint;
      alert_rows.back().first_received_at = now;
    }
    AlertRow& r = alert_rows[pos->second];
    r.source = alert.source;
    r.status = StatusName(alert.status);
    r.alertname = alertname;
    r.severity = severity;
    r.labels = LabelsJson(alert.labels);
    r.annotations = LabelsJson(alert.annotations);
    r.generator_url = alert.generator_url;
    r.starts_at = alert.starts_at;
    r.ends_at = alert.ends_at;
    if (incident_id) r.incident_id = incident_id;
    r.inhibited_by = inhibited_by;
    r.service = Label(alert, "service");
    r.last_received_at = now;
    ++r.count;
  }

  //! Records that an alert joined `incident_id`. `describe` gives the description and details
  //! of the first join of a group (the others only count and name).
  template <typename Describe>
  void Join(int64_t incident_id, const std::string& actor, TimePoint at,
            const std::string& alertname, const std::string& fingerprint, Describe describe) {
    Joined& j = joined[incident_id];
    if (j.count == 0) {
      j.actor = actor;
      j.at = at;
      std::tie(j.description, j.details) = describe();
    }
    ++j.count;
    if (j.names.size() < 5) {
      j.names.insert(alertname);
    } else if (j.names.count(alertname) == 0) {
      j.more_names = true;
    }
    if (j.alerts.size() < 100) {
      j.alerts.push_back({{"fingerprint", fingerprint}, {"alertname", alertname}});
    }
  }
  //! Writes the rows waiting in member_rows and alert_rows.
  Status Flush(Connection& conn) {
    for (size_t at = 0; at < member_rows.size();) {
      const size_t n = ChunkRows(member_rows.size() - at);
      Params params;
      params.reserve(n * 3);
      for (size_t i = at; i < at + n; ++i) {
        params.emplace_back(member_rows[i].incident_id);
        params.emplace_back(member_rows[i].fingerprint);
        params.emplace_back(member_rows[i].attached_at);
      }
      DAI_RETURN_IF_ERROR(conn.Query(MemberInsertSql(n), params).status());
      at += n;
    }
    member_rows.clear();
    member_keys.clear();
    for (size_t at = 0; at < alert_rows.size();) {
      const size_t n = ChunkRows(alert_rows.size() - at);
      Params params;
      params.reserve(n * 16);
      for (size_t i = at; i < at + n; ++i) {
        AlertRow& r = alert_rows[i];
        params.emplace_back(std::move(r.fingerprint));
        params.emplace_back(std::move(r.source));
        params.emplace_back(std::move(r.status));
        params.emplace_back(std::move(r.alertname));
        params.emplace_back(std::move(r.severity));
        params.emplace_back(std::move(r.labels));
        params.emplace_back(std::move(r.annotations));
        params.emplace_back(std::move(r.generator_url));
        params.emplace_back(r.starts_at);
        params.emplace_back(r.ends_at ? store::Param(*r.ends_at) : store::Param(nullptr));
        params.emplace_back(r.incident_id ? store::Param(*r.incident_id) : store::Param(nullptr));
        params.emplace_back(r.inhibited_by.empty() ? store::Param(nullptr)
                                                   : store::Param(std::move(r.inhibited_by)));
        params.emplace_back(r.count);
        params.emplace_back(r.first_received_at);
        params.emplace_back(r.last_received_at);
        params.emplace_back(r.service.empty() ? store::Param(nullptr)
                                              : store::Param(std::move(r.service)));
      }
      DAI_RETURN_IF_ERROR(conn.Query(AlertUpsertSql(n), params).status());
      at += n;
    }
    alert_rows.clear();
    alert_row_index.clear();
    return Status::Ok();
  }
  static std::string Values(size_t rows, const char* row) {
    std::string out;
    for (size_t i = 0; i < rows; ++i) out += (i == 0 ? "" : ", ") + std::string(row);
    return out;
  }
  static const std::string& MemberInsertSql(size_t rows) {
    static const std::map<size_t, std::string> sql = [] {
      std::map<size_t, std::string> m;
      for (size_t n = kRowsPerStatement; n > 0; n /= 2) {
        m[n] = "INSERT INTO incident_alerts (incident_id, fingerprint, attached_at) VALUES " +
               Values(n, "(?, ?, ?)") +
               " ON CONFLICT (incident_id, fingerprint) DO UPDATE SET resolved_at = NULL";
      }
      return m;
    }();
    return sql.at(rows);
  }
  static const std::string& AlertUpsertSql(size_t rows) {
    static const std::map<size_t, std::string> sql = [] {
      std::map<size_t, std::string> m;
      for (size_t n = kRowsPerStatement; n > 0; n /= 2) {
        m[n] =
            "INSERT INTO alerts (fingerprint, source, status, alertname, severity, labels, "
            "annotations, generator_url, starts_at, ends_at, incident_id, inhibited_by, "
            "receive_count, first_received_at, last_received_at, service) VALUES " +
            Values(n, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)") +
            " ON CONFLICT (fingerprint) DO UPDATE SET source = excluded.source, "
            "status = excluded.status, alertname = excluded.alertname, "
            "severity = excluded.severity, labels = excluded.labels, service = excluded.service, "
            "annotations = excluded.annotations, generator_url = excluded.generator_url, "
            "starts_at = excluded.starts_at, ends_at = excluded.ends_at, "
            "incident_id = COALESCE(excluded.incident_id, alerts.incident_id), "
            "inhibited_by = excluded.inhibited_by, "
            "receive_count = alerts.receive_count + excluded.receive_count, "
            "last_received_at = excluded.last_received_at";
      }
      return m;
    }();
    return sql.at(rows);
  }

  //! Writes the joins waiting for `incident_id` as one timeline row.
  Status FlushJoins(Connection& conn, int64_t incident_id) {
    auto it = joined.find(incident_id);
    if (it == joined.end()) return Status::Ok();
    Joined j = std::move(it->second);
    joined.erase(it);
    if (j.count == 1)
      return AddAction(conn, incident_id, "alert_attached", j.description, j.actor, true, j.details,
                       j.at);
    std::string names;
    for (const auto& n : j.names) names += (names.empty() ? "" : ", ") + n;
    return AddAction(
        conn, incident_id, "alert_attached",
        std::to_string(j.count) + " alerts joined (" + names + (j.more_names ? ", ..." : "") + ")",
        j.actor, true, {{"count", j.count}, {"alerts", j.alerts}, {"first", j.details}}, j.at);
  }
  //! Any other timeline row keeps its place after the joins that came before it.
  Status Action(Connection& conn, int64_t incident_id, const std::string& type,
                const std::string& description, const std::string& actor, const Json& details,
                TimePoint now) {
    DAI_RETURN_IF_ERROR(FlushJoins(conn, incident_id));
    return AddAction(conn, incident_id, type, description, actor, true, details, now);
  }
};

void IncidentService::CommitGroup(const std::vector<std::shared_ptr<PendingIngest>>& group) {
  std::vector<IngestResult> results(group.size());
  Status st = db_.Transaction([&](Connection& conn) -> Status {
    for (auto& r : results) r = IngestResult{};  // the callback may be retried
    if (db_.dialect() == store::Dialect::kPostgres) {
      // One ingester at a time across processes: correlation reads then writes incidents.
      DAI_RETURN_IF_ERROR(conn.Query("SELECT pg_advisory_xact_lock(7253001)").status());
    }
    GroupState state;
    DAI_ASSIGN_OR_RETURN(
        auto open,
        conn.Query(std::string("SELECT ") + kViewColumns +
                       " FROM incidents i WHERE i.status <> 'resolved' AND "
                       "i.last_signal_at >= ? ORDER BY i.id DESC LIMIT ?",
                   {clock_.Now() - options_.correlator.group_window, int64_t{kOpenCandidates}}));
    for (const auto& r : open.rows) {
      IncidentView v = ViewFromRow(r);
      state.open.insert(v.id);
      state.views.emplace(v.id, std::move(v));
    }
    // The incidents every fingerprint of the group belongs to, read once (not once per alert).
    std::vector<std::string> fingerprints;
    {
      std::set<std::string_view> seen;
      for (const auto& p : group) {
        for (const auto& alert : p->batch->alerts) {
          if (seen.insert(alert.fingerprint).second) fingerprints.push_back(alert.fingerprint);
        }
      }
    }
    for (size_t at = 0; at < fingerprints.size();) {
      const size_t n = ChunkRows(fingerprints.size() - at);
      Params params(fingerprints.begin() + static_cast<std::ptrdiff_t>(at),
                    fingerprints.begin() + static_cast<std::ptrdiff_t>(at + n));
      DAI_ASSIGN_OR_RETURN(auto rows, conn.Query(MembershipSql(n), params));
      for (const auto& r : rows.rows) {
        const int64_t id = r.GetInt(0);
        if (state.views.find(id) == state.views.end()) state.views.emplace(id, ViewFromRow(r));
        state.members[r.GetString(9)].push_back({id, !r.IsNull(8)});
      }
      at += n;
    }
    for (size_t i = 0; i < group.size(); ++i) {
      for (const auto& alert : group[i]->batch->alerts) {
        DAI_RETURN_IF_ERROR(IngestOne(conn, state, alert, *group[i]->actor, results[i]));
      }
    }
    DAI_RETURN_IF_ERROR(state.Flush(conn));
    while (!state.joined.empty())
      DAI_RETURN_IF_ERROR(state.FlushJoins(conn, state.joined.begin()->first));
    // One write per changed incident: only the columns this group changed.
    for (const auto& [id, p] : state.pending) {
      const IncidentView& v = state.views.at(id);
      DAI_RETURN_IF_ERROR(
          conn.Query(
                  "UPDATE incidents SET last_signal_at = ?, alert_count = alert_count + ?, "
                  "severity = CASE WHEN ? THEN ? ELSE severity END, "
                  "status = CASE WHEN ? THEN ? ELSE status END, "
                  "resolved_at = CASE WHEN ? THEN ? ELSE resolved_at END, "
                  "reopen_count = reopen_count + ?, flapping = COALESCE(?, flapping), "
                  "updated_at = COALESCE(?, updated_at) WHERE id = ?",
                  {v.last_signal_at, p.alerts, p.severity, v.severity, p.status, v.status, p.status,
                   v.resolved_at ? store::Param(*v.resolved_at) : store::Param(nullptr), p.reopens,
                   p.flapping ? store::Param(*p.flapping) : store::Param(nullptr),
                   p.updated_at ? store::Param(*p.updated_at) : store::Param(nullptr), id})
              .status());
    }
    return Status::Ok();
  });
  if (st.ok()) {
    ++ingest_transactions_;
    for (size_t i = 0; i < group.size(); ++i) {
      alerts_received_ += results[i].alerts;
      incidents_opened_ += results[i].opened;
      group[i]->result = std::move(results[i]);
    }
    return;
  }
  if (group.size() == 1) {
    group[0]->result = st;
    return;
  }
  // Nothing of the group was committed: each payload alone, so only a failing one fails.
  for (const auto& p : group) CommitGroup({p});
}

Status IncidentService::IngestOne(Connection& conn, GroupState& state, const alerts::Alert& alert,
                                  const std::string& actor, IngestResult& result) {
  const TimePoint now = clock_.Now();
  ++result.alerts;
  // Candidates: the incidents this fingerprint belongs to (with its membership, read for the
  // whole group), then the open incidents of the group state. Only the alert's own membership
  // is given (plus the number of firing members when a firing member resolves): loading every
  // member of every candidate made ingestion quadratic in incident size.
  std::vector<IncidentView> own_views;
  if (auto own = state.members.find(alert.fingerprint); own != state.members.end()) {
    own_views.reserve(own->second.size());
    for (const auto& m : own->second) {
      auto it = state.views.find(m.incident_id);
      if (it == state.views.end())
        return Status::Internal("a membership of an incident not loaded");
      IncidentView v = it->second;
      v.all_fingerprints.insert(alert.fingerprint);
      if (!m.resolved) v.firing_fingerprints.insert(alert.fingerprint);
      // The count matters only when a firing member resolves (is it the last one?).
      if (alert.status != alerts::AlertStatus::kFiring && !v.firing_fingerprints.empty()) {
        DAI_RETURN_IF_ERROR(state.Flush(conn));
        DAI_ASSIGN_OR_RETURN(auto firing,
                             conn.Query("SELECT count(*) FROM incident_alerts WHERE incident_id = "
                                        "? AND resolved_at IS NULL",
                                        {m.incident_id}));
        v.firing_count = firing.rows.at(0).GetInt(0);
      }
      own_views.push_back(std::move(v));
    }
  }
  std::vector<const IncidentView*> views;
  views.reserve(own_views.size() + state.open.size());
  for (const auto& v : own_views) views.push_back(&v);
  for (int64_t id : state.open) {
    if (std::none_of(own_views.begin(), own_views.end(),
                     [&](const IncidentView& v) { return v.id == id; })) {
      views.push_back(&state.views.at(id));
    }
  }
  std::vector<const alerts::Alert*> active;
  if (MayBeInhibited(alert, options_.correlator)) {
    // Only critical firing alerts that agree with this one on a rule's `equal` labels can
    // inhibit it; the store filters on those labels (values as parameters) so a warning does
    // not read every critical alert. The correlator re-checks every rule on what comes back.
    const bool pg = db_.dialect() == store::Dialect::kPostgres;
    std::set<std::string> seen;
    const auto& rules = options_.correlator.inhibit_rules;
    for (size_t rule_idx = 0; rule_idx < rules.size(); ++rule_idx) {
      std::vector<std::pair<std::string, std::string>> equal;
      std::string key = std::to_string(rule_idx);
      for (const auto& name : rules[rule_idx].equal) {
        auto it = alert.labels.find(name);
        if (it == alert.labels.end() || it->second.empty() || name.find('"') != std::string::npos)
          continue;
        equal.emplace_back(name, it->second);
        key += '\0' + name + '\0' + it->second;
      }
      auto entry = state.inhibitors.find(key);
      if (entry == state.inhibitors.end()) {
        std::string sql =
            "SELECT fingerprint, labels FROM alerts WHERE status = 'firing' AND severity = "
            "'critical'";
        Params params;
        for (const auto& [name, value] : equal) {
          if (name == "service") {
            // The service label has its own indexed column (status, severity, service): a
            // warning reads only the critical alerts of its service, not every critical alert.
            sql += " AND service = ?";
            params.push_back(value);
            continue;
          }
          sql += pg ? " AND labels ->> ? = ?" : " AND json_extract(labels, ?) = ?";
          params.push_back(pg ? name : "$.\"" + name + "\"");
          params.push_back(value);
        }
        sql += " LIMIT 1000";
        DAI_RETURN_IF_ERROR(state.Flush(conn));  // the group's own alerts count too
        DAI_ASSIGN_OR_RETURN(auto crit, conn.Query(sql, params));
        GroupState::Inhibitors found;
        found.equal = std::move(equal);
        for (const auto& r : crit.rows) {
          alerts::Alert a;
          a.fingerprint = r.GetString(0);
          a.labels = JsonMap(r.GetString(1));
          state.inhibitor_fingerprints.insert(a.fingerprint);
          found.alerts.emplace(a.fingerprint, std::move(a));
        }
        entry = state.inhibitors.emplace(key, std::move(found)).first;
      }
      for (const auto& [fp, a] : entry->second.alerts) {
        if (fp != alert.fingerprint && seen.insert(fp).second) active.push_back(&a);
      }
    }
  }
  const Decision d = CorrelateViews(alert, views, active, now, options_.correlator);
  const std::string severity = alerts::NormalizeSeverity(Label(alert, "severity"));
  const std::string alertname = Label(alert, "alertname");
  // The timeline's details of this alert (built only when a timeline row needs them).
  auto details = [&] {
    return Json{{"fingerprint", alert.fingerprint},
                {"alertname", alertname},
                {"labels", MapJson(alert.labels)},
                {"decision", std::string(ActionName(d.action))}};
  };
  int64_t incident_id = d.incident_id;
  IncidentView* view = nullptr;
  if (incident_id != 0) {
    auto it = state.views.find(incident_id);
    if (it == state.views.end()) return Status::Internal("correlated to an incident not loaded");
    view = &it->second;
  }

  switch (d.action) {
    case Action::kOpen: {
      const std::string service = Label(alert, "service");
      Json affected = service.empty() ? Json::array() : Json::array({service});
      const TimePoint detected = alert.starts_at < now ? alert.starts_at : now;
      DAI_ASSIGN_OR_RETURN(
          auto ins,
          conn.Query(
              "INSERT INTO incidents (title, description, severity, status, source, service, "
              "fingerprint, "
              "affected_services, labels, detected_at, last_signal_at, alert_count, created_at, "
              "updated_at) "
              "VALUES (?, ?, ?, 'detected', ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id",
              {TitleFor(alert),
               alert.annotations.count("description") ? alert.annotations.at("description") : "",
               d.severity, alert.source,
               service.empty() ? store::Param(nullptr) : store::Param(service),
               alerts::LabelFingerprint(d.group_labels), DumpJson(affected),
               DumpJson(MapJson(d.group_labels)), detected, now, now, now}));
      incident_id = ins.rows.at(0).GetInt(0);
      IncidentView v;
      v.id = incident_id;
      v.status = "detected";
      v.severity = d.severity;
      v.group_labels = d.group_labels;
      v.opened_at = detected;
      v.last_signal_at = now;
      state.views[incident_id] = std::move(v);
      state.open.insert(incident_id);
      if (state.open.size() > static_cast<size_t>(kOpenCandidates))
        state.open.erase(state.open.begin());
      state.AddMember(incident_id, alert.fingerprint, now);
      DAI_RETURN_IF_ERROR(AddAction(conn, incident_id, "alert_attached", "Opened: " + d.reason,
                                    actor, true, details(), now));
      ++result.opened;
      result.opened_incidents.push_back(incident_id);
      break;
    }
    case Action::kAttach: {
      state.AddMember(incident_id, alert.fingerprint, now);
      view->severity = d.severity;
      view->last_signal_at = now;
      auto& p = state.pending[incident_id];
      ++p.alerts;
      p.severity = true;
      p.updated_at = now;
      state.Join(incident_id, actor, now, alertname, alert.fingerprint, [&] {
        return std::make_pair("Alert " + alertname + " joined: " + d.reason, details());
      });
      ++result.attached;
      break;
    }
    case Action::kRefresh:
      view->last_signal_at = now;
      state.pending[incident_id];
      ++result.refreshed;
      break;
    case Action::kMemberResolved: {
      DAI_RETURN_IF_ERROR(state.Flush(conn));
      DAI_RETURN_IF_ERROR(conn.Query("UPDATE incident_alerts SET resolved_at = ? WHERE incident_id "
                                     "= ? AND fingerprint = ?",
                                     {now, incident_id, alert.fingerprint})
                              .status());
      state.SetMember(alert.fingerprint, incident_id, true);
      DAI_RETURN_IF_ERROR(state.Action(conn, incident_id, "alert_resolved",
                                       "Alert " + alertname + " resolved", actor, details(), now));
      if (d.all_members_resolved) {
        if (options_.auto_resolve) {
          if (view->status != "resolved") {
            view->status = "resolved";
            view->resolved_at = now;
            auto& p = state.pending[incident_id];
            p.status = true;
            p.updated_at = now;
            state.open.erase(incident_id);
          }
          DAI_RETURN_IF_ERROR(state.Action(conn, incident_id, "resolve",
                                           "Resolved automatically: every alert resolved", "system",
                                           Json::object(), now));
        } else {
          DAI_RETURN_IF_ERROR(state.Action(conn, incident_id, "status_change",
                                           "Every alert resolved: resolution proposed", "system",
                                           Json::object(), now));
        }
      }
      ++result.resolved_members;
      break;
    }
    case Action::kReopen: {
      view->status = "detected";
      view->resolved_at.reset();
      ++view->reopen_count;
      view->severity = d.severity;
      view->last_signal_at = now;
      auto& p = state.pending[incident_id];
      ++p.reopens;
      p.status = true;
      p.severity = true;
      p.flapping = d.flapping;
      p.updated_at = now;
      state.open.insert(incident_id);
      DAI_RETURN_IF_ERROR(state.Flush(conn));
      DAI_RETURN_IF_ERROR(conn.Query("UPDATE incident_alerts SET resolved_at = NULL WHERE "
                                     "incident_id = ? AND fingerprint = ?",
                                     {incident_id, alert.fingerprint})
                              .status());
      state.SetMember(alert.fingerprint, incident_id, false);
      DAI_RETURN_IF_ERROR(state.Action(conn, incident_id, "reopen", "Reopened: " + d.reason, actor,
                                       details(), now));
      ++result.reopened;
      break;
    }
    case Action::kInhibited:
      ++result.inhibited;
      break;
    case Action::kIgnored:
      ++result.ignored;
      break;
  }
  // An incident this alert kept or made open is a candidate for the group's next alerts.
  if (view != nullptr && view->status != "resolved" && state.open.insert(incident_id).second &&
      state.open.size() > static_cast<size_t>(kOpenCandidates)) {
    state.open.erase(state.open.begin());
  }
  // The alert's own row: one per fingerprint, with its current state.
  const bool linked =
      incident_id != 0 && d.action != Action::kInhibited && d.action != Action::kIgnored;
  state.AddAlertRow(alert, alertname, severity,
                    linked ? std::optional<int64_t>(incident_id) : std::nullopt, d.inhibited_by,
                    now);
  if (incident_id != 0 && d.action != Action::kIgnored)
    result.touched_incidents.push_back(incident_id);
  // Keep the group's inhibitors as the store now holds them: this alert leaves every set, and
  // joins those whose labels it shares while it fires as critical.
  const bool inhibits = alert.status == alerts::AlertStatus::kFiring && severity == "critical";
  if (!inhibits && state.inhibitor_fingerprints.count(alert.fingerprint) == 0) return Status::Ok();
  for (auto& [key, entry] : state.inhibitors) {
    bool member = inhibits;
    for (size_t i = 0; member && i < entry.equal.size(); ++i) {
      member = Label(alert, entry.equal[i].first) == entry.equal[i].second;
    }
    if (member) {
      alerts::Alert a;
      a.fingerprint = alert.fingerprint;
      a.labels = alert.labels;
      entry.alerts.insert_or_assign(alert.fingerprint, std::move(a));
      state.inhibitor_fingerprints.insert(alert.fingerprint);
    } else {
      entry.alerts.erase(alert.fingerprint);
    }
  }
  return Status::Ok();
}

Result<Json> IncidentService::List(const Json& f) {
  std::string where = " WHERE 1 = 1";
  Params params;
  if (f.contains("status")) {
    where += " AND status = ?";
    params.push_back(f["status"].get<std::string>());
  }
  if (f.contains("severity")) {
    where += " AND severity = ?";
    params.push_back(f["severity"].get<std::string>());
  }
  if (f.contains("search") && !f["search"].get<std::string>().empty()) {
    where += " AND lower(title) LIKE ?";
    std::string s = f["search"].get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    params.push_back("%" + s + "%");
  }
  const int64_t limit = f.value("limit", int64_t{50});
  const int64_t offset = f.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count, db_.Query("SELECT count(*) FROM incidents" + where, params));
  Params page = params;
  page.push_back(limit);
  page.push_back(offset);
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kIncidentColumns + " FROM incidents" + where +
                               " ORDER BY detected_at DESC, id DESC LIMIT ? OFFSET ?",
                           page));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(IncidentJson(r));
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

Result<Json> IncidentService::Get(int64_t id) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("incident " + std::to_string(id) + " does not exist");
  Json out = IncidentJson(rows.rows[0]);
  // An incident that absorbed an alert flood can hold tens of thousands of alerts and entries:
  // the answer carries the latest kDetailAlerts / kDetailTimeline of each (oldest first) and
  // the totals (alertCount, timelineCount), so its size and the memory it takes stay bounded.
  constexpr int64_t kDetailAlerts = 500;
  constexpr int64_t kDetailTimeline = 1000;
  DAI_ASSIGN_OR_RETURN(
      auto counted, db_.Query("SELECT COUNT(*) FROM incident_actions WHERE incident_id = ?", {id}));
  out["timelineCount"] = counted.rows.empty() ? int64_t{0} : counted.rows[0].GetInt(0);
  DAI_ASSIGN_OR_RETURN(auto actions,
                       db_.Query("SELECT id, action_type, description, actor, automated, details, "
                                 "created_at FROM (SELECT * FROM incident_actions "
                                 "WHERE incident_id = ? ORDER BY created_at DESC, id DESC LIMIT ?) "
                                 "AS latest ORDER BY created_at, id",
                                 {id, kDetailTimeline}));
  Json timeline = Json::array();
  for (const auto& a : actions.rows) {
    timeline.push_back(Json{{"id", a.GetInt(0)},
                            {"type", a.GetString(1)},
                            {"description", a.GetString(2)},
                            {"actor", a.GetString(3)},
                            {"automated", a.GetBool(4)},
                            {"details", ParseJson(a.GetString(5)).value_or(Json::object())},
                            {"at", FormatIso8601(a.GetTime(6))}});
  }
  out["timeline"] = timeline;
  DAI_ASSIGN_OR_RETURN(auto members,
                       db_.Query("SELECT a.fingerprint, a.status, a.alertname, a.severity, "
                                 "a.labels, a.annotations, a.starts_at, a.ends_at, "
                                 "a.receive_count, a.generator_url, ia.attached_at, ia.resolved_at "
                                 "FROM incident_alerts ia "
                                 "JOIN alerts a ON a.fingerprint = ia.fingerprint WHERE "
                                 "ia.incident_id = ? ORDER BY ia.attached_at DESC, "
                                 "ia.fingerprint DESC LIMIT ?",
                                 {id, kDetailAlerts}));
  std::reverse(members.rows.begin(), members.rows.end());
  Json alerts = Json::array();
  for (const auto& m : members.rows) {
    alerts.push_back(
        Json{{"fingerprint", m.GetString(0)},
             {"status", m.GetString(1)},
             {"alertname", m.GetString(2)},
             {"severity", m.GetString(3)},
             {"labels", ParseJson(m.GetString(4)).value_or(Json::object())},
             {"annotations", ParseJson(m.GetString(5)).value_or(Json::object())},
             {"startsAt", FormatIso8601(m.GetTime(6))},
             {"endsAt", m.IsNull(7) ? Json(nullptr) : Json(FormatIso8601(m.GetTime(7)))},
             {"receiveCount", m.GetInt(8)},
             {"generatorUrl", m.GetString(9)},
             {"attachedAt", FormatIso8601(m.GetTime(10))},
             {"resolvedAt", m.IsNull(11) ? Json(nullptr) : Json(FormatIso8601(m.GetTime(11)))}});
  }
  out["alerts"] = alerts;
  return out;
}

Result<Json> IncidentService::Acknowledge(int64_t id, const Identity& who,
                                          const std::string& note) {
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto rows, conn.Query("SELECT status, acknowledged_at FROM incidents WHERE id = ?", {id}));
    if (rows.rows.empty())
      return Status::NotFound("incident " + std::to_string(id) + " does not exist");
    if (rows.rows[0].GetString(0) == "resolved")
      return Status::FailedPrecondition("incident " + std::to_string(id) + " is resolved");
    if (!rows.rows[0].IsNull(1))
      return Status::Conflict("incident " + std::to_string(id) + " is already acknowledged");
    DAI_RETURN_IF_ERROR(
        conn.Query(
                "UPDATE incidents SET status = CASE WHEN status = 'detected' THEN 'investigating' "
                "ELSE status END, "
                "acknowledged_at = ?, acknowledged_by = ?, updated_at = ? WHERE id = ?",
                {now, who.user_id > 0 ? store::Param(who.user_id) : store::Param(nullptr), now, id})
            .status());
    return AddAction(conn, id, "acknowledge",
                     note.empty() ? "Acknowledged" : "Acknowledged: " + note, who.username, false,
                     Json::object(), now);
  }));
  if (publish_) publish_("incident.updated", DumpJson({{"id", id}}));
  return Get(id);
}

Result<Json> IncidentService::Resolve(int64_t id, const Identity& who,
                                      const std::string& resolution) {
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT status FROM incidents WHERE id = ?", {id}));
    if (rows.rows.empty())
      return Status::NotFound("incident " + std::to_string(id) + " does not exist");
    if (rows.rows[0].GetString(0) == "resolved")
      return Status::Conflict("incident " + std::to_string(id) + " is already resolved");
    DAI_RETURN_IF_ERROR(
        conn.Query("UPDATE incidents SET status = 'resolved', resolved_at = ?, root_cause = "
                   "COALESCE(?, root_cause), updated_at = ? WHERE id = ?",
                   {now, resolution.empty() ? store::Param(nullptr) : store::Param(resolution), now,
                    id})
            .status());
    return AddAction(conn, id, "resolve",
                     resolution.empty() ? "Resolved" : "Resolved: " + resolution, who.username,
                     false, Json::object(), now);
  }));
  if (publish_) publish_("incident.updated", DumpJson({{"id", id}}));
  return Get(id);
}

Result<Json> IncidentService::AddNote(int64_t id, const Identity& who, const std::string& note) {
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT id FROM incidents WHERE id = ?", {id}));
    if (rows.rows.empty())
      return Status::NotFound("incident " + std::to_string(id) + " does not exist");
    DAI_RETURN_IF_ERROR(
        conn.Query("UPDATE incidents SET updated_at = ? WHERE id = ?", {now, id}).status());
    return AddAction(conn, id, "comment", note, who.username, false, Json::object(), now);
  }));
  if (publish_) publish_("incident.updated", DumpJson({{"id", id}}));
  return Get(id);
}

Result<Json> IncidentService::Update(int64_t id, const Identity& who, const Json& change) {
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto rows,
        conn.Query(
            "SELECT status, severity, assigned_to, acknowledged_at FROM incidents WHERE id = ?",
            {id}));
    if (rows.rows.empty())
      return Status::NotFound("incident " + std::to_string(id) + " does not exist");
    const std::string status = rows.rows[0].GetString(0);
    const std::string severity = rows.rows[0].GetString(1);
    if (change.contains("status")) {
      const std::string to = change["status"].get<std::string>();
      if (to == "resolved")
        return Status::InvalidArgument("status: use incidentCommander.resolve to resolve");
      if (to != status) {
        const bool reopen = status == "resolved";
        DAI_RETURN_IF_ERROR(
            conn.Query(reopen ? "UPDATE incidents SET status = ?, resolved_at = NULL, reopen_count "
                                "= reopen_count + 1, updated_at = ? WHERE id = ?"
                              : "UPDATE incidents SET status = ?, updated_at = ? WHERE id = ?",
                       {to, now, id})
                .status());
        DAI_RETURN_IF_ERROR(AddAction(conn, id, reopen ? "reopen" : "status_change",
                                      "Status " + status + " → " + to, who.username, false,
                                      {{"from", status}, {"to", to}}, now));
      }
    }
    if (change.contains("severity")) {
      const std::string to = change["severity"].get<std::string>();
      if (to != severity) {
        DAI_RETURN_IF_ERROR(
            conn.Query("UPDATE incidents SET severity = ?, updated_at = ? WHERE id = ?",
                       {to, now, id})
                .status());
        DAI_RETURN_IF_ERROR(AddAction(conn, id, "severity_change",
                                      "Severity " + severity + " → " + to, who.username, false,
                                      {{"from", severity}, {"to", to}}, now));
      }
    }
    if (change.contains("assignee")) {
      store::Param user = nullptr;
      std::string name = "nobody";
      if (!change["assignee"].is_null()) {
        name = change["assignee"].get<std::string>();
        DAI_ASSIGN_OR_RETURN(auto u, conn.Query("SELECT id FROM users WHERE username = ?", {name}));
        if (u.rows.empty())
          return Status::InvalidArgument("assignee: no user named \"" + name + "\"");
        user = u.rows[0].GetInt(0);
      }
      DAI_RETURN_IF_ERROR(
          conn.Query("UPDATE incidents SET assigned_to = ?, updated_at = ? WHERE id = ?",
                     {user, now, id})
              .status());
      DAI_RETURN_IF_ERROR(AddAction(conn, id, "assign", "Assigned to " + name, who.username, false,
                                    {{"assignee", name}}, now));
    }
    return Status::Ok();
  }));
  if (publish_) publish_("incident.updated", DumpJson({{"id", id}}));
  return Get(id);
}

}  // namespace dai::incidents
