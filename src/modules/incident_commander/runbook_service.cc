#include "modules/incident_commander/runbook_service.h"

#include <algorithm>
#include <thread>

#include "adapters/http/http_client.h"
#include "adapters/runner/process_runner.h"

namespace dai::incidents {
namespace {

using store::Connection;

constexpr const char* kExecColumns =
    "e.id, e.runbook_id, r.name, e.incident_id, e.status, e.dry_run, e.triggered_by, "
    "e.requested_by, "
    "e.current_step, e.step_results, e.parameters, e.definition, e.error, e.started_at, "
    "e.completed_at, "
    "e.created_at, e.updated_at";

std::string Key(int64_t execution_id) { return "runbook-exec:" + std::to_string(execution_id); }

Json OptTime(const store::Row& r, const char* col) {
  return r.IsNull(col) ? Json(nullptr) : Json(FormatIso8601(r.GetTime(col)));
}

Json RunbookJson(const store::Row& r) {
  Json def = ParseJson(r.GetString("steps")).value_or(Json::array());
  return Json{
      {"id", r.GetInt("id")},
      {"name", r.GetString("name")},
      {"description", r.GetString("description")},
      {"definition", r.GetString("definition")},
      {"triggerConditions", ParseJson(r.GetString("trigger_conditions")).value_or(Json::object())},
      {"steps", def},
      {"version", r.GetInt("version")},
      {"requiresApproval", r.GetBool("requires_approval")},
      {"autoExecute", r.GetBool("auto_execute")},
      {"enabled", r.GetBool("enabled")},
      {"source", r.GetString("source")},
      {"successCount", r.GetInt("success_count")},
      {"failureCount", r.GetInt("failure_count")},
      {"createdAt", FormatIso8601(r.GetTime("created_at"))},
      {"updatedAt", FormatIso8601(r.GetTime("updated_at"))}};
}

constexpr const char* kRunbookColumns =
    "id, name, description, definition, trigger_conditions, steps, version, requires_approval, "
    "auto_execute, "
    "enabled, source, success_count, failure_count, created_at, updated_at";

Status AddAction(Connection& conn, int64_t incident_id, const std::string& type,
                 const std::string& description, const std::string& actor, bool automated,
                 const Json& details, std::optional<int64_t> execution_id, TimePoint now,
                 const std::string& status = "completed") {
  return conn
      .Query(
          "INSERT INTO incident_actions (incident_id, action_type, description, actor, automated, "
          "status, details, "
          "runbook_execution_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {incident_id, type, description, actor, automated, status, DumpJson(details),
           execution_id ? store::Param(*execution_id) : store::Param(nullptr), now})
      .status();
}

std::map<std::string, std::string> StringMapOf(const Json& j) {
  std::map<std::string, std::string> out;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    }
  }
  return out;
}

struct LoadedExecution {
  int64_t id = 0;
  int64_t runbook_id = 0;
  std::string runbook_name;
  std::optional<int64_t> incident_id;
  std::string status;
  bool dry_run = false;
  std::string triggered_by;
  int current_step = 0;
  Json step_results;
  std::map<std::string, std::string> params;
  runbook::Runbook definition;
  std::map<int, std::string> approvals;  //!< step index → approver ("" when none)
  bool critical = false;
};

Result<LoadedExecution> Load(Connection& conn, int64_t id) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      conn.Query("SELECT e.id, e.runbook_id, r.name, e.incident_id, e.status, e.dry_run, "
                 "e.triggered_by, e.current_step, "
                 "e.step_results, e.parameters, e.definition, i.severity FROM runbook_executions e "
                 "JOIN runbooks r ON r.id = e.runbook_id LEFT JOIN incidents i ON i.id = "
                 "e.incident_id WHERE e.id = ?",
                 {id}));
  if (rows.rows.empty())
    return Status::NotFound("runbook execution " + std::to_string(id) + " does not exist");
  const auto& r = rows.rows[0];
  LoadedExecution e;
  e.id = r.GetInt(0);
  e.runbook_id = r.GetInt(1);
  e.runbook_name = r.GetString(2);
  if (!r.IsNull(3)) e.incident_id = r.GetInt(3);
  e.status = r.GetString(4);
  e.dry_run = r.GetBool(5);
  e.triggered_by = r.GetString(6);
  e.current_step = static_cast<int>(r.GetInt(7));
  e.step_results = ParseJson(r.GetString(8)).value_or(Json::array());
  e.params = StringMapOf(ParseJson(r.GetString(9)).value_or(Json::object()));
  DAI_ASSIGN_OR_RETURN(Json def, ParseJson(r.GetString(10)));
  DAI_ASSIGN_OR_RETURN(e.definition, runbook::ParseRunbookJson(def));
  e.critical = !r.IsNull(11) && r.GetString(11) == "critical";
  DAI_ASSIGN_OR_RETURN(auto appr,
                       conn.Query("SELECT step_index, decided_by_name FROM runbook_approvals WHERE "
                                  "execution_id = ? AND decision = 'approved'",
                                  {id}));
  for (const auto& a : appr.rows) e.approvals[static_cast<int>(a.GetInt(0))] = a.GetString(1);
  // One result entry per step, so the UI always sees the whole plan.
  while (e.step_results.size() < e.definition.steps.size()) {
    const auto& s = e.definition.steps[e.step_results.size()];
    e.step_results.push_back(Json{{"name", s.name},
                                  {"type", std::string(runbook::StepTypeName(s.type))},
                                  {"status", "pending"}});
  }
  return e;
}

std::vector<runbook::StepState> States(const LoadedExecution& e) {
  std::vector<runbook::StepState> out;
  for (size_t i = 0; i < e.step_results.size(); ++i) {
    runbook::StepState st;
    st.status = runbook::ParseStepStatus(e.step_results[i].value("status", "pending"))
                    .value_or(runbook::StepStatus::kPending);
    st.approved = e.approvals.count(static_cast<int>(i)) > 0;
    st.interruptions = static_cast<int>(e.step_results[i].value("interruptions", int64_t{0}));
    out.push_back(st);
  }
  return out;
}

runbook::ExecutionContext ContextOf(const LoadedExecution& e) {
  return {
      .dry_run = e.dry_run, .critical = e.critical, .runbook_approved = e.approvals.count(-1) > 0};
}

}  // namespace

RunbookService::RunbookService(store::Database& db, store::JobRepository& jobs, const Clock& clock,
                               RunbookServiceOptions options,
                               std::function<void(const std::string&, const std::string&)> publish)
    : db_(db),
      jobs_(jobs),
      clock_(clock),
      options_(std::move(options)),
      publish_(std::move(publish)) {}

Result<Json> RunbookService::Create(const std::string& definition, const Identity& who) {
  DAI_ASSIGN_OR_RETURN(runbook::Runbook rb, runbook::ParseRunbook(definition));
  const TimePoint now = clock_.Now();
  const Json canon = rb.ToJson();
  auto ins = db_.Query(
      "INSERT INTO runbooks (name, description, trigger_conditions, steps, version, source, "
      "requires_approval, "
      "auto_execute, enabled, definition, created_by, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, 1, 'manual', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {rb.name, rb.description, DumpJson(canon["trigger"]), DumpJson(canon), rb.requires_approval,
       rb.auto_execute, true, definition,
       who.user_id > 0 ? store::Param(who.user_id) : store::Param(nullptr), now, now});
  if (!ins.ok()) {
    auto existing = db_.Query("SELECT id FROM runbooks WHERE name = ?", {rb.name});
    if (existing.ok() && !existing->rows.empty()) {
      return Status::Conflict("a runbook named \"" + rb.name + "\" already exists");
    }
    return ins.status();
  }
  return Get(ins->rows.at(0).GetInt(0));
}

Result<Json> RunbookService::Validate(const std::string& definition) {
  DAI_ASSIGN_OR_RETURN(runbook::Runbook rb, runbook::ParseRunbook(definition));
  Json warnings = Json::array();
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const runbook::Step& step = rb.steps[i];
    const std::string where = "steps[" + std::to_string(i) + "]";
    if (step.type == runbook::StepType::kCommand &&
        !options_.allowed_executables.count(step.argv.at(0))) {
      warnings.push_back(Json{
          {"field", where + ".command.argv[0]"},
          {"message", step.argv[0] + " is not in the allow-list (setting runbook_executables): the "
                                     "step fails until an administrator adds it"}});
    }
    if (step.type == runbook::StepType::kRunbook) {
      DAI_ASSIGN_OR_RETURN(auto found,
                           db_.Query("SELECT count(*) FROM runbooks WHERE name = ?", {step.text}));
      if (found.rows.at(0).GetInt(0) == 0 && step.text != rb.name) {
        warnings.push_back(Json{{"field", where + ".runbook"},
                                {"message", "no runbook named \"" + step.text + "\" exists yet"}});
      }
    }
  }
  return Json{{"runbook", rb.ToJson()}, {"warnings", warnings}};
}

Result<Json> RunbookService::Update(int64_t id, const std::string& definition,
                                    std::optional<bool> enabled) {
  const TimePoint now = clock_.Now();
  if (!definition.empty()) {
    DAI_ASSIGN_OR_RETURN(runbook::Runbook rb, runbook::ParseRunbook(definition));
    const Json canon = rb.ToJson();
    DAI_ASSIGN_OR_RETURN(
        auto up,
        db_.Query(
            "UPDATE runbooks SET name = ?, description = ?, trigger_conditions = ?, steps = ?, "
            "requires_approval = ?, "
            "auto_execute = ?, definition = ?, version = version + 1, updated_at = ? WHERE id = ?",
            {rb.name, rb.description, DumpJson(canon["trigger"]), DumpJson(canon),
             rb.requires_approval, rb.auto_execute, definition, now, id}));
    if (up.affected_rows == 0)
      return Status::NotFound("runbook " + std::to_string(id) + " does not exist");
  }
  if (enabled) {
    DAI_ASSIGN_OR_RETURN(auto up,
                         db_.Query("UPDATE runbooks SET enabled = ?, updated_at = ? WHERE id = ?",
                                   {*enabled, now, id}));
    if (up.affected_rows == 0)
      return Status::NotFound("runbook " + std::to_string(id) + " does not exist");
  }
  return Get(id);
}

Status RunbookService::Delete(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto busy,
                       db_.Query("SELECT count(*) FROM runbook_executions WHERE runbook_id = ? AND "
                                 "status IN ('pending','awaiting_approval','running')",
                                 {id}));
  if (busy.rows.at(0).GetInt(0) > 0) {
    return Status::FailedPrecondition("runbook " + std::to_string(id) +
                                      " has unfinished executions; cancel them first");
  }
  DAI_ASSIGN_OR_RETURN(auto del, db_.Query("DELETE FROM runbooks WHERE id = ?", {id}));
  if (del.affected_rows == 0)
    return Status::NotFound("runbook " + std::to_string(id) + " does not exist");
  return Status::Ok();
}

Result<Json> RunbookService::Get(int64_t id) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(std::string("SELECT ") + kRunbookColumns + " FROM runbooks WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("runbook " + std::to_string(id) + " does not exist");
  return RunbookJson(rows.rows[0]);
}

Result<Json> RunbookService::List(const Json& f) {
  const int64_t limit = f.value("limit", int64_t{50});
  const int64_t offset = f.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count, db_.Query("SELECT count(*) FROM runbooks"));
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kRunbookColumns +
                                                " FROM runbooks ORDER BY name LIMIT ? OFFSET ?",
                                            {limit, offset}));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(RunbookJson(r));
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

Status RunbookService::Enqueue(int64_t execution_id) {
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(jobs_
                          .EnsureScheduled("runbook.execute", Key(execution_id),
                                           DumpJson({{"executionId", execution_id}}), now, now, 5)
                          .status());
  if (notify_) notify_();
  return Status::Ok();
}

Result<Json> RunbookService::Execute(int64_t runbook_id, std::optional<int64_t> incident_id,
                                     bool dry_run,
                                     const std::map<std::string, std::string>& parameters,
                                     const std::string& actor, int64_t actor_user_id,
                                     bool require_approval) {
  const TimePoint now = clock_.Now();
  int64_t execution_id = 0;
  bool waits = false;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto rb_rows, conn.Query("SELECT steps, enabled, version, name FROM runbooks WHERE id = ?",
                                 {runbook_id}));
    if (rb_rows.rows.empty())
      return Status::NotFound("runbook " + std::to_string(runbook_id) + " does not exist");
    if (!rb_rows.rows[0].GetBool(1))
      return Status::FailedPrecondition("runbook " + rb_rows.rows[0].GetString(3) + " is disabled");
    DAI_ASSIGN_OR_RETURN(Json def, ParseJson(rb_rows.rows[0].GetString(0)));
    // The execution keeps its own copy of the definition, so the requirement holds until a
    // person decides, whatever happens to the runbook meanwhile.
    if (require_approval && def.is_object()) def["requiresApproval"] = true;
    DAI_ASSIGN_OR_RETURN(runbook::Runbook rb, runbook::ParseRunbookJson(def));
    std::map<std::string, std::string> labels;
    bool critical = false;
    if (incident_id) {
      DAI_ASSIGN_OR_RETURN(
          auto inc, conn.Query("SELECT labels, severity, service FROM incidents WHERE id = ?",
                               {*incident_id}));
      if (inc.rows.empty())
        return Status::NotFound("incident " + std::to_string(*incident_id) + " does not exist");
      labels = StringMapOf(ParseJson(inc.rows[0].GetString(0)).value_or(Json::object()));
      if (!inc.rows[0].IsNull(2) && !labels.count("service"))
        labels["service"] = inc.rows[0].GetString(2);
      critical = inc.rows[0].GetString(1) == "critical";
    }
    std::map<std::string, std::string> params;
    for (const auto& [k, v] : parameters) {
      if (std::find(rb.parameters.begin(), rb.parameters.end(), k) == rb.parameters.end()) {
        return Status::InvalidArgument("parameters." + k + ": runbook " + rb.name +
                                       " does not declare it");
      }
      params[k] = v;
    }
    for (const auto& p : rb.parameters) {
      if (params.count(p)) continue;
      auto it = labels.find(p);
      if (it == labels.end()) {
        return Status::InvalidArgument(
            "parameters." + p + ": no value given" +
            std::string(incident_id ? " and the incident has no label of that name" : ""));
      }
      params[p] = it->second;
    }
    Json param_json = Json::object();
    for (const auto& [k, v] : params) param_json[k] = v;
    const runbook::Next first = runbook::PlanNext(
        rb, {}, {.dry_run = dry_run, .critical = critical, .runbook_approved = false});
    waits = first.kind == runbook::NextKind::kAwaitApproval;
    DAI_ASSIGN_OR_RETURN(
        auto ins,
        conn.Query("INSERT INTO runbook_executions (runbook_id, incident_id, status, dry_run, "
                   "triggered_by, requested_by, current_step, "
                   "step_results, parameters, definition, runbook_version, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?, ?) RETURNING id",
                   {runbook_id, incident_id ? store::Param(*incident_id) : store::Param(nullptr),
                    waits ? "awaiting_approval" : "pending", dry_run, actor,
                    actor_user_id > 0 ? store::Param(actor_user_id) : store::Param(nullptr),
                    int64_t{first.index}, DumpJson(param_json), DumpJson(def),
                    rb_rows.rows[0].GetInt(2), now, now}));
    execution_id = ins.rows.at(0).GetInt(0);
    if (incident_id) {
      DAI_RETURN_IF_ERROR(
          AddAction(conn, *incident_id, "runbook_execution",
                    std::string(dry_run ? "Dry run of runbook " : "Runbook ") + rb.name +
                        " started" + (waits ? "; waiting for approval: " + first.reason : ""),
                    actor, actor == "system", {{"runbookId", runbook_id}, {"dryRun", dry_run}},
                    execution_id, now, waits ? "pending" : "running"));
    }
    return Status::Ok();
  }));
  if (!waits) DAI_RETURN_IF_ERROR(Enqueue(execution_id));
  if (publish_) publish_("runbook.updated", DumpJson({{"id", execution_id}}));
  return GetExecution(execution_id);
}

Result<Json> RunbookService::Decide(int64_t execution_id, bool approve, const Identity& who,
                                    const std::string& note) {
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(LoadedExecution e, Load(conn, execution_id));
    if (e.status != "awaiting_approval") {
      return Status::FailedPrecondition("runbook execution " + std::to_string(execution_id) +
                                        " is " + e.status + ", not awaiting approval");
    }
    if (e.triggered_by == who.username && e.triggered_by != "system") {
      return Status::PermissionDenied(
          "the operator who started an execution cannot approve it; another operator must");
    }
    const int step = e.current_step;
    auto ins = conn.Query(
        "INSERT INTO runbook_approvals (execution_id, step_index, decision, decided_by, "
        "decided_by_name, note, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        {execution_id, int64_t{step}, approve ? "approved" : "rejected",
         who.user_id > 0 ? store::Param(who.user_id) : store::Param(nullptr), who.username, note,
         now});
    if (!ins.ok()) return Status::Conflict("this approval was already decided");
    const std::string what =
        step < 0 ? "the runbook"
                 : "step \"" + e.definition.steps.at(static_cast<size_t>(step)).name + "\"";
    if (approve) {
      DAI_RETURN_IF_ERROR(
          conn.Query("UPDATE runbook_executions SET status = 'pending', approved_by = "
                     "COALESCE(approved_by, ?), updated_at = ? WHERE id = ?",
                     {who.user_id > 0 ? store::Param(who.user_id) : store::Param(nullptr), now,
                      execution_id})
              .status());
    } else {
      DAI_RETURN_IF_ERROR(
          conn.Query("UPDATE runbook_executions SET status = 'cancelled', error = ?, completed_at "
                     "= ?, updated_at = ? WHERE id = ?",
                     {"rejected by " + who.username + (note.empty() ? "" : ": " + note), now, now,
                      execution_id})
              .status());
    }
    if (e.incident_id) {
      DAI_RETURN_IF_ERROR(
          AddAction(conn, *e.incident_id, "runbook_execution",
                    std::string(approve ? "Approved " : "Rejected ") + what + " of runbook " +
                        e.runbook_name + (note.empty() ? "" : ": " + note),
                    who.username, false,
                    {{"stepIndex", step}, {"decision", approve ? "approved" : "rejected"}},
                    execution_id, now));
    }
    return Status::Ok();
  }));
  if (approve) DAI_RETURN_IF_ERROR(Enqueue(execution_id));
  if (publish_) publish_("runbook.updated", DumpJson({{"id", execution_id}}));
  return GetExecution(execution_id);
}

Result<Json> RunbookService::Cancel(int64_t execution_id, const Identity& who) {
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(LoadedExecution e, Load(conn, execution_id));
    if (e.status != "pending" && e.status != "running" && e.status != "awaiting_approval") {
      return Status::FailedPrecondition("runbook execution " + std::to_string(execution_id) +
                                        " already finished (" + e.status + ")");
    }
    DAI_RETURN_IF_ERROR(conn.Query("UPDATE runbook_executions SET status = 'cancelled', error = ?, "
                                   "completed_at = ?, updated_at = ? WHERE id = ?",
                                   {"cancelled by " + who.username, now, now, execution_id})
                            .status());
    if (e.incident_id) {
      DAI_RETURN_IF_ERROR(AddAction(conn, *e.incident_id, "runbook_execution",
                                    "Cancelled runbook " + e.runbook_name, who.username, false,
                                    Json::object(), execution_id, now));
    }
    return Status::Ok();
  }));
  if (publish_) publish_("runbook.updated", DumpJson({{"id", execution_id}}));
  return GetExecution(execution_id);
}

Result<Json> RunbookService::GetExecution(int64_t id) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(
          std::string("SELECT ") + kExecColumns +
              " FROM runbook_executions e JOIN runbooks r ON r.id = e.runbook_id WHERE e.id = ?",
          {id}));
  if (rows.rows.empty())
    return Status::NotFound("runbook execution " + std::to_string(id) + " does not exist");
  const auto& r = rows.rows[0];
  Json def = ParseJson(r.GetString("definition")).value_or(Json::object());
  Json steps = ParseJson(r.GetString("step_results")).value_or(Json::array());
  const Json& def_steps = def.contains("steps") ? def["steps"] : Json::array();
  for (size_t i = steps.size(); i < def_steps.size(); ++i) {
    std::string type = "wait";
    for (auto it = def_steps[i].begin(); it != def_steps[i].end(); ++it)
      if (it.key() != "name") type = it.key();
    steps.push_back(
        Json{{"name", def_steps[i].value("name", "")}, {"type", type}, {"status", "pending"}});
  }
  DAI_ASSIGN_OR_RETURN(auto appr,
                       db_.Query("SELECT step_index, decision, decided_by_name, note, created_at "
                                 "FROM runbook_approvals WHERE execution_id = ? ORDER BY id",
                                 {id}));
  Json approvals = Json::array();
  for (const auto& a : appr.rows) {
    approvals.push_back(Json{{"stepIndex", a.GetInt(0)},
                             {"decision", a.GetString(1)},
                             {"by", a.GetString(2)},
                             {"note", a.GetString(3)},
                             {"at", FormatIso8601(a.GetTime(4))}});
  }
  const std::string status = r.GetString("status");
  Json awaiting = nullptr;
  if (status == "awaiting_approval") {
    const int64_t idx = r.GetInt("current_step");
    awaiting = Json{
        {"stepIndex", idx},
        {"what", idx < 0 ? "the runbook" : steps.at(static_cast<size_t>(idx)).value("name", "")},
        {"requestedBy", r.GetString("triggered_by")}};
  }
  return Json{
      {"id", r.GetInt("id")},
      {"runbookId", r.GetInt("runbook_id")},
      {"runbookName", r.GetString("name")},
      {"incidentId", r.IsNull("incident_id") ? Json(nullptr) : Json(r.GetInt("incident_id"))},
      {"status", status},
      {"dryRun", r.GetBool("dry_run")},
      {"triggeredBy", r.GetString("triggered_by")},
      {"parameters", ParseJson(r.GetString("parameters")).value_or(Json::object())},
      {"steps", steps},
      {"approvals", approvals},
      {"awaiting", awaiting},
      {"error", r.IsNull("error") ? Json(nullptr) : Json(r.GetString("error"))},
      {"startedAt", OptTime(r, "started_at")},
      {"completedAt", OptTime(r, "completed_at")},
      {"createdAt", FormatIso8601(r.GetTime("created_at"))},
      {"updatedAt", FormatIso8601(r.GetTime("updated_at"))}};
}

Result<Json> RunbookService::ListExecutions(const Json& f) {
  std::string where = " WHERE 1 = 1";
  store::Params params;
  if (f.contains("incidentId")) {
    where += " AND e.incident_id = ?";
    params.push_back(f["incidentId"].get<int64_t>());
  }
  if (f.contains("runbookId")) {
    where += " AND e.runbook_id = ?";
    params.push_back(f["runbookId"].get<int64_t>());
  }
  if (f.contains("status")) {
    where += " AND e.status = ?";
    params.push_back(f["status"].get<std::string>());
  }
  const int64_t limit = f.value("limit", int64_t{50});
  const int64_t offset = f.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count,
                       db_.Query("SELECT count(*) FROM runbook_executions e" + where, params));
  store::Params page = params;
  page.push_back(limit);
  page.push_back(offset);
  DAI_ASSIGN_OR_RETURN(auto ids, db_.Query("SELECT e.id FROM runbook_executions e" + where +
                                               " ORDER BY e.id DESC LIMIT ? OFFSET ?",
                                           page));
  Json items = Json::array();
  for (const auto& r : ids.rows) {
    DAI_ASSIGN_OR_RETURN(Json e, GetExecution(r.GetInt(0)));
    items.push_back(std::move(e));
  }
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

Status RunbookService::OnIncidentOpened(int64_t incident_id) {
  DAI_ASSIGN_OR_RETURN(
      auto inc,
      db_.Query("SELECT labels, severity, service FROM incidents WHERE id = ?", {incident_id}));
  if (inc.rows.empty()) return Status::Ok();
  auto labels = StringMapOf(ParseJson(inc.rows[0].GetString(0)).value_or(Json::object()));
  if (!inc.rows[0].IsNull(2) && !labels.count("service"))
    labels["service"] = inc.rows[0].GetString(2);
  const std::string severity = inc.rows[0].GetString(1);
  DAI_ASSIGN_OR_RETURN(
      auto rbs, db_.Query("SELECT id, steps FROM runbooks WHERE enabled = ? AND auto_execute = ?",
                          {true, true}));
  for (const auto& r : rbs.rows) {
    auto def = ParseJson(r.GetString(1));
    if (!def.ok()) continue;
    auto rb = runbook::ParseRunbookJson(*def);
    if (!rb.ok() || !runbook::Matches(rb->trigger, labels, severity)) continue;
    auto started = Execute(r.GetInt(0), incident_id, false, {}, "system", 0);
    if (!started.ok() && started.status().code() != StatusCode::kInvalidArgument)
      return started.status();
  }
  return Status::Ok();
}

Status RunbookService::AttachWorker(store::JobWorker& worker) {
  worker.Register("runbook.execute",
                  [this](const store::Job& job, store::JobControl& control) -> Status {
                    auto payload = ParseJson(job.payload);
                    if (!payload.ok() || !payload->contains("executionId"))
                      return Status::InvalidArgument("runbook.execute: bad payload");
                    return Run((*payload)["executionId"].get<int64_t>(),
                               [&control] { return control.cancelled(); });
                  });
  // Sweep: an execution that is pending or running without a job (its process died between
  // committing it and enqueueing, or an approval raced the job's end) gets one again.
  worker.Register("runbook.sweep", [this](const store::Job&, store::JobControl& control) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto rows,
        db_.Query("SELECT id FROM runbook_executions WHERE status IN ('pending','running')"));
    for (const auto& r : rows.rows) DAI_RETURN_IF_ERROR(Enqueue(r.GetInt(0)));
    control.RescheduleAt(clock_.Now() + std::chrono::seconds(30));
    return Status::Ok();
  });
  const TimePoint now = clock_.Now();
  return jobs_.EnsureScheduled("runbook.sweep", "schedule:runbook.sweep", "{}", now, now).status();
}

Status RunbookService::Run(int64_t execution_id, const std::function<bool()>& cancelled) {
  for (int guard = 0; guard < 1000; ++guard) {
    if (cancelled())
      return Status::Unavailable("runbook execution " + std::to_string(execution_id) +
                                 ": lease lost");
    const TimePoint now = clock_.Now();
    runbook::Next next;
    LoadedExecution e;
    bool stop = false;
    DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
      DAI_ASSIGN_OR_RETURN(e, Load(conn, execution_id));
      if (e.status != "pending" && e.status != "running") {
        stop = true;  // cancelled, finished, or waiting for a human
        return Status::Ok();
      }
      next = runbook::PlanNext(e.definition, States(e), ContextOf(e));
      switch (next.kind) {
        case runbook::NextKind::kAwaitApproval: {
          if (next.index >= 0)
            e.step_results[static_cast<size_t>(next.index)]["status"] = "awaiting_approval";
          DAI_RETURN_IF_ERROR(
              conn.Query("UPDATE runbook_executions SET status = 'awaiting_approval', current_step "
                         "= ?, step_results = ?, updated_at = ? WHERE id = ?",
                         {int64_t{next.index}, DumpJson(e.step_results), now, execution_id})
                  .status());
          if (e.incident_id) {
            DAI_RETURN_IF_ERROR(AddAction(
                conn, *e.incident_id, "runbook_execution",
                "Runbook " + e.runbook_name + " waits for approval: " + next.reason, "system", true,
                {{"stepIndex", next.index}}, execution_id, now, "pending"));
          }
          stop = true;
          return Status::Ok();
        }
        case runbook::NextKind::kSucceeded:
        case runbook::NextKind::kFailed: {
          const bool ok = next.kind == runbook::NextKind::kSucceeded;
          if (!ok && next.index >= 0) {
            auto& st = e.step_results[static_cast<size_t>(next.index)];
            if (st.value("status", "") == "running") {
              st["status"] = "failed";
              st["error"] = "interrupted: the process stopped while this step ran; not repeated";
            }
          }
          std::string error = ok ? "" : next.reason;
          if (!ok && next.index >= 0 &&
              e.step_results[static_cast<size_t>(next.index)].contains("error")) {
            error +=
                ": " + e.step_results[static_cast<size_t>(next.index)]["error"].get<std::string>();
          }
          DAI_RETURN_IF_ERROR(
              conn.Query("UPDATE runbook_executions SET status = ?, step_results = ?, error = ?, "
                         "completed_at = ?, updated_at = ? WHERE id = ?",
                         {ok ? "succeeded" : "failed", DumpJson(e.step_results),
                          ok ? store::Param(nullptr) : store::Param(error), now, now, execution_id})
                  .status());
          if (!e.dry_run) {
            DAI_RETURN_IF_ERROR(
                conn.Query(
                        ok ? "UPDATE runbooks SET success_count = success_count + 1 WHERE id = ?"
                           : "UPDATE runbooks SET failure_count = failure_count + 1 WHERE id = ?",
                        {e.runbook_id})
                    .status());
          }
          if (e.incident_id) {
            DAI_RETURN_IF_ERROR(
                AddAction(conn, *e.incident_id, "runbook_execution",
                          std::string(e.dry_run ? "Dry run of runbook " : "Runbook ") +
                              e.runbook_name + (ok ? " succeeded" : " failed: " + error),
                          "system", true, {{"outcome", ok ? "succeeded" : "failed"}}, execution_id,
                          now, ok ? "completed" : "failed"));
          }
          stop = true;
          return Status::Ok();
        }
        case runbook::NextKind::kRunStep: {
          // Intent before action: the step is "running" in the store before anything happens.
          auto& st = e.step_results[static_cast<size_t>(next.index)];
          if (st.value("status", "") == "running") {
            // Interrupted mid-step and retried per its onInterrupt policy: counted and said.
            const int64_t n = st.value("interruptions", int64_t{0}) + 1;
            st["interruptions"] = n;
            if (e.incident_id) {
              DAI_RETURN_IF_ERROR(AddAction(conn, *e.incident_id, "runbook_execution",
                                            "Runbook " + e.runbook_name + ": " + next.reason +
                                                " (interruption " + std::to_string(n) + ")",
                                            "system", true, {{"stepIndex", next.index}},
                                            execution_id, now));
            }
          }
          st["status"] = "running";
          st["startedAt"] = FormatIso8601(now);
          if (e.approvals.count(next.index)) st["approvedBy"] = e.approvals[next.index];
          return conn
              .Query(
                  "UPDATE runbook_executions SET status = 'running', current_step = ?, "
                  "step_results = ?, "
                  "started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ?",
                  {int64_t{next.index}, DumpJson(e.step_results), now, now, execution_id})
              .status();
        }
      }
      return Status::Ok();
    }));
    if (publish_) publish_("runbook.updated", DumpJson({{"id", execution_id}}));
    if (stop) return Status::Ok();
    const auto& step = e.definition.steps.at(static_cast<size_t>(next.index));
    // Cancellation by an operator is a status change in the store: poll it while a step runs.
    int polls = 0;
    auto stop_now = [&]() {
      if (cancelled()) return true;
      if (++polls % 20 != 0) return false;
      auto s = db_.Query("SELECT status FROM runbook_executions WHERE id = ?", {execution_id});
      return s.ok() && !s->rows.empty() && s->rows[0].GetString(0) == "cancelled";
    };
    std::vector<std::string> stack = {e.runbook_name};
    Result<Json> outcome = RunStep(step, e.params, e.dry_run, e.incident_id, stop_now, &stack);
    Json result = outcome.ok() ? *outcome
                               : Json{{"status", "failed"}, {"error", outcome.status().ToString()}};
    const TimePoint done = clock_.Now();
    DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
      DAI_ASSIGN_OR_RETURN(
          auto rows,
          conn.Query("SELECT step_results FROM runbook_executions WHERE id = ?", {execution_id}));
      if (rows.rows.empty()) return Status::Ok();
      Json steps = ParseJson(rows.rows[0].GetString(0)).value_or(Json::array());
      if (steps.size() <= static_cast<size_t>(next.index))
        return Status::Internal("step results lost their entry");
      Json& st = steps[static_cast<size_t>(next.index)];
      for (auto it = result.begin(); it != result.end(); ++it) st[it.key()] = it.value();
      st["finishedAt"] = FormatIso8601(done);
      st["durationMs"] =
          ToUnixMillis(done) -
          ToUnixMillis(ParseIso8601(st.value("startedAt", FormatIso8601(done))).value_or(done));
      DAI_RETURN_IF_ERROR(
          conn.Query("UPDATE runbook_executions SET step_results = ?, updated_at = ? WHERE id = ?",
                     {DumpJson(steps), done, execution_id})
              .status());
      if (e.incident_id && step.type != runbook::StepType::kNotify) {
        DAI_RETURN_IF_ERROR(AddAction(
            conn, *e.incident_id, "runbook_execution",
            "Runbook " + e.runbook_name + ", step \"" + step.name +
                "\": " + st.value("status", "") +
                (st.contains("error") ? " (" + st["error"].get<std::string>() + ")" : ""),
            "system", true, {{"stepIndex", next.index}, {"status", st.value("status", "")}},
            execution_id, done, st.value("status", "") == "failed" ? "failed" : "completed"));
      }
      return Status::Ok();
    }));
  }
  return Status::Internal("runbook execution " + std::to_string(execution_id) +
                          " did not converge");
}

Result<Json> RunbookService::RunStep(const runbook::Step& step,
                                     const std::map<std::string, std::string>& params, bool dry_run,
                                     std::optional<int64_t> incident_id,
                                     const std::function<bool()>& cancelled,
                                     std::vector<std::string>* stack) {
  using runbook::StepType;
  auto failed = [](const std::string& error) {
    return Json{{"status", "failed"}, {"error", error}};
  };
  switch (step.type) {
    case StepType::kCommand: {
      auto argv = runbook::ResolveArgv(step, params, options_.allowed_executables);
      if (!argv.ok()) return failed(argv.status().message());
      if (dry_run)
        return Json{{"status", "succeeded"},
                    {"dryRun", true},
                    {"argv", *argv},
                    {"output", "dry run: not executed"}};
      runner::ProcessSpec spec;
      spec.argv = *argv;
      spec.workdir = step.workdir;
      spec.env = {{"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
                  {"LANG", "C.UTF-8"}};
      for (const auto& [k, v] : params) spec.env["RUNBOOK_PARAM_" + k] = v;
      for (const auto& [k, v] : step.env) {
        auto expanded = runbook::Expand(v, params, "env." + k);
        if (!expanded.ok()) return failed(expanded.status().message());
        spec.env[k] = *expanded;
      }
      spec.timeout = step.timeout;
      spec.max_output = options_.max_step_output;
      spec.cancelled = cancelled;
      auto r = runner::RunProcess(spec);
      if (!r.ok()) return failed(r.status().message());
      Json out = {{"argv", *argv},
                  {"exitCode", r->exit_code},
                  {"output", r->output},
                  {"outputBytes", r->output_bytes},
                  {"truncated", r->output_bytes > r->output.size()}};
      if (r->ok()) {
        out["status"] = "succeeded";
      } else {
        out["status"] = "failed";
        out["error"] = r->timed_out
                           ? "timed out after " + std::to_string(step.timeout.count()) + " ms"
                       : r->cancelled ? std::string("cancelled")
                       : r->signal    ? "killed by signal " + std::to_string(r->signal)
                                      : "exit code " + std::to_string(r->exit_code);
      }
      return out;
    }
    case StepType::kWait: {
      if (dry_run)
        return Json{{"status", "succeeded"}, {"dryRun", true}, {"output", "dry run: would wait"}};
      const auto end = std::chrono::steady_clock::now() + step.duration;
      while (std::chrono::steady_clock::now() < end) {
        if (cancelled()) return failed("cancelled");
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            std::chrono::milliseconds(50), end - std::chrono::steady_clock::now()));
      }
      return Json{{"status", "succeeded"}};
    }
    case StepType::kApproval:
      return Json{{"status", "succeeded"},
                  {"output", dry_run ? "dry run: would wait for an approval" : "approved"}};
    case StepType::kNotify: {
      DAI_ASSIGN_OR_RETURN(std::string text, runbook::Expand(step.text, params, "notify"));
      if (dry_run)
        return Json{{"status", "succeeded"},
                    {"dryRun", true},
                    {"output", "dry run: would notify: " + text}};
      if (incident_id) {
        const TimePoint now = clock_.Now();
        DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) {
          return AddAction(conn, *incident_id, "notification", text, "runbook", true,
                           {{"channel", "timeline"}}, std::nullopt, now);
        }));
      }
      if (publish_)
        publish_("runbook.notify",
                 DumpJson({{"text", text},
                           {"incidentId", incident_id ? Json(*incident_id) : Json(nullptr)}}));
      return Json{{"status", "succeeded"}, {"output", text}};
    }
    case StepType::kHttp: {
      DAI_ASSIGN_OR_RETURN(std::string url, runbook::Expand(step.url, params, "http.url"));
      DAI_ASSIGN_OR_RETURN(std::string body, runbook::Expand(step.body, params, "http.body"));
      if (dry_run)
        return Json{{"status", "succeeded"},
                    {"dryRun", true},
                    {"output", "dry run: would send " + step.method + " " + http::RedactUrl(url)}};
      http::HttpClientOptions
          ho;  // the default outbound policy: no link-local/metadata, no loopback
      ho.total_timeout = step.timeout;
      ho.max_response_bytes = options_.max_step_output;
      http::HttpClient client(ho);
      http::HttpClientRequest req;
      req.method = step.method;
      req.url = url;
      req.body = body;
      if (!body.empty()) req.headers.push_back({"content-type", "application/json"});
      auto resp = client.Send(req);
      if (!resp.ok()) return failed(resp.status().ToString());
      Json out = {{"httpStatus", resp->status},
                  {"output", resp->body.substr(0, options_.max_step_output)}};
      out["status"] = resp->status >= 200 && resp->status < 300 ? "succeeded" : "failed";
      if (out["status"] == "failed") out["error"] = "HTTP " + std::to_string(resp->status);
      return out;
    }
    case StepType::kPromql: {
      DAI_ASSIGN_OR_RETURN(std::string query, runbook::Expand(step.text, params, "promql.query"));
      if (dry_run)
        return Json{{"status", "succeeded"},
                    {"dryRun", true},
                    {"output", "dry run: would wait for " + query}};
      if (!options_.prometheus)
        return failed("no Prometheus is configured (setting prometheus_url)");
      const auto end = std::chrono::steady_clock::now() + step.timeout;
      std::string last;
      while (true) {
        auto data = options_.prometheus->Query(query);
        if (data.ok()) {
          const bool holds =
              data->result.is_array() ? !data->result.empty() : !data->result.is_null();
          if (holds)
            return Json{{"status", "succeeded"},
                        {"output", DumpJson(data->result).substr(0, options_.max_step_output)}};
          last = "the query returned no series";
        } else {
          last = data.status().ToString();
        }
        if (std::chrono::steady_clock::now() >= end)
          return failed("condition did not hold within the timeout: " + last);
        for (int i = 0; i < 20 && !cancelled(); ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (cancelled()) return failed("cancelled");
      }
    }
    case StepType::kHealing: {
      DAI_ASSIGN_OR_RETURN(std::string target,
                           runbook::Expand(step.target, params, "healing.target"));
      if (dry_run)
        return Json{{"status", "succeeded"},
                    {"dryRun", true},
                    {"output", "dry run: would request " + step.action + " on " + target +
                                   " from the Self-Healing Engine"}};
      if (!healing_) return failed("the Self-Healing Engine is not available in this process");
      auto r = healing_(step.action, target, params, step.timeout, cancelled);
      if (!r.ok()) return failed(r.status().message());
      return *r;
    }
    case StepType::kRunbook: {
      std::vector<std::string> local;
      return RunNested(step.text, params, dry_run, incident_id, cancelled, stack ? *stack : local);
    }
  }
  return failed("unknown step type");
}

Result<Json> RunbookService::RunNested(const std::string& name,
                                       const std::map<std::string, std::string>& params,
                                       bool dry_run, std::optional<int64_t> incident_id,
                                       const std::function<bool()>& cancelled,
                                       std::vector<std::string>& stack) {
  auto failed = [](const std::string& error) {
    return Json{{"status", "failed"}, {"error", error}};
  };
  auto chain = [&](const std::string& last) {
    std::string out;
    for (const auto& n : stack) out += n + " → ";
    return out + last;
  };
  if (std::find(stack.begin(), stack.end(), name) != stack.end())
    return failed("runbook cycle: " + chain(name));
  if (stack.size() >= kMaxNesting)
    return failed("runbooks nest deeper than " + std::to_string(kMaxNesting) +
                  " levels: " + chain(name));
  DAI_ASSIGN_OR_RETURN(auto rows,
                       db_.Query("SELECT steps, enabled FROM runbooks WHERE name = ?", {name}));
  if (rows.rows.empty()) return failed("runbook " + name + " does not exist");
  if (!rows.rows[0].GetBool(1)) return failed("runbook " + name + " is disabled");
  auto def = ParseJson(rows.rows[0].GetString(0));
  if (!def.ok()) return failed("runbook " + name + ": " + def.status().message());
  auto rb = runbook::ParseRunbookJson(*def);
  if (!rb.ok()) return failed("runbook " + name + ": " + rb.status().message());
  std::map<std::string, std::string> child_params;
  for (const auto& p : rb->parameters) {
    auto it = params.find(p);
    if (it == params.end())
      return failed("runbook " + name + " needs parameter " + p +
                    ", which the calling runbook does not have");
    child_params[p] = it->second;
  }
  stack.push_back(name);
  Json steps = Json::array();
  std::string status = "succeeded";
  std::string error;
  for (const auto& child : rb->steps) {
    if (cancelled()) {
      status = "failed";
      error = "cancelled";
      break;
    }
    Json r;
    if (child.type == runbook::StepType::kApproval) {
      r = failed("approval steps do not run inside a nested runbook; execute " + name +
                 " on its own or move the approval to the calling runbook");
    } else if (child.type == runbook::StepType::kCommand && child.destructive) {
      r = failed("destructive commands do not run inside a nested runbook; execute " + name +
                 " on its own so its approval rules apply");
    } else {
      auto out = RunStep(child, child_params, dry_run, incident_id, cancelled, &stack);
      r = out.ok() ? *out : failed(out.status().ToString());
    }
    r["name"] = child.name;
    r["type"] = std::string(runbook::StepTypeName(child.type));
    steps.push_back(r);
    if (r.value("status", "") != "succeeded") {
      status = "failed";
      error = "runbook " + name + ", step \"" + child.name +
              "\": " + r.value("error", std::string("failed"));
      break;
    }
  }
  stack.pop_back();
  Json out = {{"status", status},
              {"runbook", name},
              {"steps", steps},
              {"output", "runbook " + name + ": " + std::to_string(steps.size()) + " of " +
                             std::to_string(rb->steps.size()) + " steps " +
                             (status == "succeeded" ? "succeeded" : "ran")}};
  if (dry_run) out["dryRun"] = true;
  if (!error.empty()) out["error"] = error;
  return out;
}

}  // namespace dai::incidents
