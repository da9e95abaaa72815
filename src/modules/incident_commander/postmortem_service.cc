// incidentCommander.generatePostMortem and the post-mortem revisions. Each generation and each
// edit by a person is its own generated_docs row (doc_type post_mortem, source incident:<id>),
// numbered per incident: regenerating never overwrites what people wrote.
#include "engines/postmortem/postmortem.h"
#include "modules/incident_commander/incident_service.h"

namespace dai::incidents {
namespace {

using store::Connection;

Result<postmortem::IncidentFacts> GatherFacts(store::Database& db, int64_t id) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db.Query("SELECT i.title, i.description, i.severity, i.status, i.affected_services, "
               "i.detected_at, i.acknowledged_at, "
               "u.username, i.resolved_at, i.reopen_count, i.flapping, i.root_cause, "
               "i.root_cause_analysis "
               "FROM incidents i LEFT JOIN users u ON u.id = i.acknowledged_by WHERE i.id = ?",
               {id}));
  if (rows.rows.empty())
    return Status::NotFound("incident " + std::to_string(id) + " does not exist");
  const auto& r = rows.rows[0];
  postmortem::IncidentFacts f;
  f.id = id;
  f.title = r.GetString(0);
  f.description = r.GetString(1);
  f.severity = r.GetString(2);
  f.status = r.GetString(3);
  Json services = ParseJson(r.GetString(4)).value_or(Json::array());
  for (const auto& s : services) {
    if (s.is_string()) f.affected_services.push_back(s.get<std::string>());
  }
  f.detected_at = r.GetTime(5);
  f.acknowledged_at = r.GetOptTime(6);
  if (!r.IsNull(7)) f.acknowledged_by = r.GetString(7);
  f.resolved_at = r.GetOptTime(8);
  f.reopen_count = static_cast<int>(r.GetInt(9));
  f.flapping = r.GetBool(10);
  if (!r.IsNull(11)) f.root_cause = r.GetString(11);
  if (!r.IsNull(12)) {
    // Ranked causes as the RCA stored them: {"ranking":[{"service","score","evidence":[...]}]}.
    Json rca = ParseJson(r.GetString(12)).value_or(Json::object());
    if (rca.is_object() && rca.contains("ranking") && rca["ranking"].is_array()) {
      for (const auto& c : rca["ranking"]) {
        if (!c.is_object()) continue;
        postmortem::CauseFact cf;
        cf.service = c.value("service", "");
        cf.score = c.contains("score") && c["score"].is_number() ? c["score"].get<double>() : 0.0;
        if (c.contains("evidence") && c["evidence"].is_array()) {
          for (const auto& e : c["evidence"])
            cf.evidence.push_back(e.is_string() ? e.get<std::string>() : DumpJson(e));
        }
        f.causes.push_back(std::move(cf));
      }
    }
  }
  DAI_ASSIGN_OR_RETURN(auto actions,
                       db.Query("SELECT created_at, action_type, actor, automated, description "
                                "FROM incident_actions WHERE incident_id = ? "
                                "ORDER BY created_at, id",
                                {id}));
  for (const auto& a : actions.rows) {
    f.timeline.push_back(
        {a.GetTime(0), a.GetString(1), a.GetString(2), a.GetBool(3), a.GetString(4)});
  }
  DAI_ASSIGN_OR_RETURN(auto alerts,
                       db.Query("SELECT a.alertname, a.severity, a.labels, a.starts_at, a.ends_at, "
                                "a.receive_count FROM incident_alerts ia "
                                "JOIN alerts a ON a.fingerprint = ia.fingerprint WHERE "
                                "ia.incident_id = ? ORDER BY a.starts_at",
                                {id}));
  for (const auto& a : alerts.rows) {
    Json labels = ParseJson(a.GetString(2)).value_or(Json::object());
    f.alerts.push_back({a.GetString(0), a.GetString(1),
                        labels.is_object() ? labels.value("service", "") : "", a.GetTime(3),
                        a.GetOptTime(4), a.GetInt(5)});
  }
  DAI_ASSIGN_OR_RETURN(
      auto execs,
      db.Query("SELECT r.name, e.status, e.dry_run, e.triggered_by, e.started_at, e.completed_at, "
               "e.error FROM runbook_executions e "
               "JOIN runbooks r ON r.id = e.runbook_id WHERE e.incident_id = ? ORDER BY e.id",
               {id}));
  for (const auto& e : execs.rows) {
    f.executions.push_back({e.GetString(0), e.GetString(1), e.GetBool(2), e.GetString(3),
                            e.GetOptTime(4), e.GetOptTime(5), e.IsNull(6) ? "" : e.GetString(6)});
  }
  return f;
}

Json RevisionJson(const store::Row& r) {
  Json meta = ParseJson(r.GetString(5)).value_or(Json::object());
  Json out = {{"id", r.GetInt(0)},
              {"version", r.GetInt(1)},
              {"content", r.GetString(2)},
              {"author", r.GetString(3)},
              {"kind", meta.value("kind", "generated")},
              {"createdAt", FormatIso8601(r.GetTime(4))}};
  if (meta.contains("narrative") && meta["narrative"].is_object())
    out["narrative"] = meta["narrative"];
  return out;
}

}  // namespace

Result<Json> IncidentService::PostMortem(int64_t incident_id) {
  DAI_ASSIGN_OR_RETURN(auto exists,
                       db_.Query("SELECT id FROM incidents WHERE id = ?", {incident_id}));
  if (exists.rows.empty())
    return Status::NotFound("incident " + std::to_string(incident_id) + " does not exist");
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(
          "SELECT id, version, content, generated_by, created_at, metadata FROM generated_docs "
          "WHERE doc_type = 'post_mortem' AND source_type = 'incident' AND source_id = ? ORDER BY "
          "version DESC",
          {std::to_string(incident_id)}));
  Json revisions = Json::array();
  for (const auto& r : rows.rows) revisions.push_back(RevisionJson(r));
  return Json{{"incidentId", incident_id},
              {"current", revisions.empty() ? Json(nullptr) : revisions[0]},
              {"revisions", revisions}};
}

Result<Json> IncidentService::SavePostMortem(int64_t incident_id, const std::string& content,
                                             const std::string& author, bool generated,
                                             const Json& narrative) {
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(auto inc,
                         conn.Query("SELECT title FROM incidents WHERE id = ?", {incident_id}));
    if (inc.rows.empty())
      return Status::NotFound("incident " + std::to_string(incident_id) + " does not exist");
    DAI_ASSIGN_OR_RETURN(auto v,
                         conn.Query("SELECT COALESCE(MAX(version), 0) FROM generated_docs WHERE "
                                    "doc_type = 'post_mortem' AND source_type = 'incident' "
                                    "AND source_id = ?",
                                    {std::to_string(incident_id)}));
    const int64_t version = v.rows.at(0).GetInt(0) + 1;
    DAI_RETURN_IF_ERROR(
        conn.Query("INSERT INTO generated_docs (title, doc_type, content, format, source_type, "
                   "source_id, version, status, tags, "
                   "metadata, generated_by, created_at, updated_at) VALUES (?, 'post_mortem', ?, "
                   "'markdown', 'incident', ?, ?, "
                   "'draft', '[\"post-mortem\"]', ?, ?, ?, ?)",
                   {"Post-mortem: " + inc.rows[0].GetString(0), content,
                    std::to_string(incident_id), version,
                    DumpJson(narrative.is_object()
                                 ? Json{{"kind", generated ? "generated" : "edited"},
                                        {"narrative", narrative}}
                                 : Json{{"kind", generated ? "generated" : "edited"}}),
                    author, now, now})
            .status());
    DAI_RETURN_IF_ERROR(
        conn.Query("UPDATE incidents SET post_mortem = ?, updated_at = ? WHERE id = ?",
                   {content, now, incident_id})
            .status());
    return conn
        .Query(
            "INSERT INTO incident_actions (incident_id, action_type, description, actor, "
            "automated, details, created_at) "
            "VALUES (?, 'analysis', ?, ?, ?, ?, ?)",
            {incident_id,
             generated ? "Post-mortem generated (revision " + std::to_string(version) + ")"
                       : "Post-mortem edited (revision " + std::to_string(version) + ")",
             author, generated, DumpJson({{"postMortemVersion", version}}), now})
        .status();
  }));
  if (publish_) publish_("incident.updated", DumpJson({{"id", incident_id}}));
  return PostMortem(incident_id);
}

Result<Json> IncidentService::GeneratePostMortem(int64_t incident_id, const Identity& who) {
  DAI_ASSIGN_OR_RETURN(postmortem::IncidentFacts facts, GatherFacts(db_, incident_id));
  const TimePoint now = clock_.Now();
  std::string md = postmortem::Render(facts, now);
  (void)who;  // the audit row names who asked; the revision's author is the generator
  NarrationRequest request;
  request.purpose = "incident.postmortem";
  request.instructions =
      "Write the narrative of this incident for its post-mortem, in 2 to 4 short paragraphs: what "
      "happened and when, the most likely root cause and the evidence for it (from rankedCauses "
      "and statedRootCause; say plainly when there is none), and what was done to mitigate it. "
      "Name services and times exactly as in the facts.";
  request.facts = postmortem::FactsJson(facts, now);
  request.max_bytes = 6000;
  const Narration narration = Narrate(narrator_, request);
  if (narration.written_by_llm) md = postmortem::WithNarrative(md, narration.text, narration.model);
  return SavePostMortem(incident_id, md, "system", true, narration.ToJson());
}

}  // namespace dai::incidents
