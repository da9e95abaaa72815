// incidentCommander runbook procedures: executeRunbook (the specification's name), runbook CRUD,
// executions, approve/reject/cancel.
#include "modules/incident_commander/runbook_service.h"
#include "registry/schema.h"

namespace dai::incidents {
namespace {

namespace s = schema;

Json RunbookSchema() {
  return s::Object({s::Req("id", s::Int()), s::Req("name", s::String()),
                    s::Req("description", s::String()), s::Req("definition", s::String()),
                    s::Req("triggerConditions", s::Any()), s::Req("steps", s::Any()),
                    s::Req("version", s::Int()), s::Req("requiresApproval", s::Bool()),
                    s::Req("autoExecute", s::Bool()), s::Req("enabled", s::Bool()),
                    // manual: written by a person; generated: learned from incidents by the
                    // Documentation Generator (stored disabled, a draft to review).
                    s::Req("source", s::Enum({"manual", "generated", "imported"})),
                    s::Req("successCount", s::Int()), s::Req("failureCount", s::Int()),
                    s::Req("createdAt", s::DateTime()), s::Req("updatedAt", s::DateTime())},
                   true);
}

Json ExecutionSchema() {
  const Json step =
      s::Object({s::Req("name", s::String()), s::Req("type", s::String()),
                 s::Req("status", s::Enum({"pending", "running", "succeeded", "failed", "skipped",
                                           "awaiting_approval"})),
                 s::Opt("argv", s::Array(s::String())), s::Opt("output", s::String()),
                 s::Opt("error", s::String()), s::Opt("exitCode", s::Int()),
                 s::Opt("outputBytes", s::Int()), s::Opt("truncated", s::Bool()),
                 s::Opt("dryRun", s::Bool()), s::Opt("approvedBy", s::String()),
                 s::Opt("httpStatus", s::Int()), s::Opt("startedAt", s::DateTime()),
                 s::Opt("finishedAt", s::DateTime()), s::Opt("durationMs", s::Int()),
                 s::Opt("interruptions", s::Int(), "times the process stopped while it ran")},
                true);
  return s::Object(
      {s::Req("id", s::Int()), s::Req("runbookId", s::Int()), s::Req("runbookName", s::String()),
       s::Req("incidentId", s::Nullable(s::Int())),
       s::Req("status", s::Enum({"pending", "awaiting_approval", "running", "succeeded", "failed",
                                 "cancelled"})),
       s::Req("dryRun", s::Bool()), s::Req("triggeredBy", s::String()),
       s::Req("parameters", s::StringMap()), s::Req("steps", s::Array(step)),
       s::Req("approvals",
              s::Array(s::Object({s::Req("stepIndex", s::Int()),
                                  s::Req("decision", s::Enum({"approved", "rejected"})),
                                  s::Req("by", s::String()), s::Req("note", s::String()),
                                  s::Req("at", s::DateTime())}))),
       s::Req("awaiting",
              s::Nullable(s::Object({s::Req("stepIndex", s::Int()), s::Req("what", s::String()),
                                     s::Req("requestedBy", s::String())}))),
       s::Req("error", s::Nullable(s::String())), s::Req("startedAt", s::Nullable(s::DateTime())),
       s::Req("completedAt", s::Nullable(s::DateTime())), s::Req("createdAt", s::DateTime()),
       s::Req("updatedAt", s::DateTime())},
      true);
}

std::map<std::string, std::string> Params(const Json& in) {
  std::map<std::string, std::string> out;
  if (in.contains("parameters")) {
    for (auto it = in["parameters"].begin(); it != in["parameters"].end(); ++it)
      out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

}  // namespace

void RunbookService::RegisterProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  registry.Add(MakeProcedure(
      "incidentCommander.executeRunbook", M, Role::kOperator,
      s::Object({s::Req("runbookId", s::Int(1)), s::Opt("incidentId", s::Int(1)),
                 s::Opt("dryRun", s::Bool()), s::Opt("parameters", s::StringMap())}),
      ExecutionSchema(),
      "Execute a runbook as a durable job (dry-run, approvals by another operator, per-step state)",
      [this](const Json& in, CallContext& ctx) {
        std::optional<int64_t> incident;
        if (in.contains("incidentId")) incident = in["incidentId"].get<int64_t>();
        return Execute(in["runbookId"].get<int64_t>(), incident, in.value("dryRun", false),
                       Params(in), ctx.identity->username, ctx.identity->user_id);
      }));
  registry.Add(MakeProcedure("incidentCommander.listRunbooks", Q, Role::kViewer, s::PageInput({}),
                             s::Page(RunbookSchema()), "Runbook definitions",
                             [this](const Json& in, CallContext&) { return List(in); }));
  registry.Add(
      MakeProcedure("incidentCommander.getRunbook", Q, Role::kViewer,
                    s::Object({s::Req("id", s::Int(1))}), RunbookSchema(), "One runbook definition",
                    [this](const Json& in, CallContext&) { return Get(in["id"].get<int64_t>()); }));
  registry.Add(MakeProcedure("incidentCommander.createRunbook", M, Role::kOperator,
                             s::Object({s::Req("definition", s::String(1, 256 * 1024))}),
                             RunbookSchema(), "Create a runbook from its YAML definition",
                             [this](const Json& in, CallContext& ctx) {
                               return Create(in["definition"].get<std::string>(), *ctx.identity);
                             }));
  // A mutation only so the definition travels in the body (no side effects): the runbook
  // editor asks the server, the authority on validation, before it saves.
  registry.Add(MakeProcedure(
      "incidentCommander.validateRunbook", M, Role::kOperator,
      s::Object({s::Req("definition", s::String(1, 256 * 1024))}),
      s::Object({s::Req("runbook", s::Any()),
                 s::Req("warnings", s::Array(s::Object({s::Req("field", s::String()),
                                                        s::Req("message", s::String())})))}),
      "Validate a runbook definition without saving it: its canonical JSON form and warnings",
      [this](const Json& in, CallContext&) {
        return Validate(in["definition"].get<std::string>());
      }));
  registry.Add(MakeProcedure(
      "incidentCommander.updateRunbook", M, Role::kOperator,
      s::Object({s::Req("id", s::Int(1)), s::Opt("definition", s::String(1, 256 * 1024)),
                 s::Opt("enabled", s::Bool())}),
      RunbookSchema(), "Replace a runbook's definition (a new version) or enable/disable it",
      [this](const Json& in, CallContext&) {
        std::optional<bool> enabled;
        if (in.contains("enabled")) enabled = in["enabled"].get<bool>();
        return Update(in["id"].get<int64_t>(), in.value("definition", ""), enabled);
      }));
  registry.Add(MakeProcedure(
      "incidentCommander.deleteRunbook", M, Role::kAdmin, s::Object({s::Req("id", s::Int(1))}),
      s::Object({s::Req("deleted", s::Bool())}), "Delete a runbook without unfinished executions",
      [this](const Json& in, CallContext&) -> Result<Json> {
        DAI_RETURN_IF_ERROR(Delete(in["id"].get<int64_t>()));
        return Json{{"deleted", true}};
      }));
  registry.Add(MakeProcedure(
      "incidentCommander.listExecutions", Q, Role::kViewer,
      s::PageInput({s::Opt("incidentId", s::Int(1)), s::Opt("runbookId", s::Int(1)),
                    s::Opt("status", s::Enum({"pending", "awaiting_approval", "running",
                                              "succeeded", "failed", "cancelled"}))}),
      s::Page(ExecutionSchema()), "Runbook executions, newest first",
      [this](const Json& in, CallContext&) { return ListExecutions(in); }));
  registry.Add(MakeProcedure(
      "incidentCommander.getExecution", Q, Role::kViewer, s::Object({s::Req("id", s::Int(1))}),
      ExecutionSchema(), "One runbook execution with its steps and approvals",
      [this](const Json& in, CallContext&) { return GetExecution(in["id"].get<int64_t>()); }));
  registry.Add(MakeProcedure(
      "incidentCommander.approveExecution", M, Role::kOperator,
      s::Object({s::Req("id", s::Int(1)), s::Opt("note", s::String(0, 4000))}), ExecutionSchema(),
      "Approve what an execution waits for (another operator than the one who started it)",
      [this](const Json& in, CallContext& ctx) {
        return Decide(in["id"].get<int64_t>(), true, *ctx.identity, in.value("note", ""));
      }));
  registry.Add(MakeProcedure(
      "incidentCommander.rejectExecution", M, Role::kOperator,
      s::Object({s::Req("id", s::Int(1)), s::Opt("note", s::String(0, 4000))}), ExecutionSchema(),
      "Reject what an execution waits for (the execution is cancelled)",
      [this](const Json& in, CallContext& ctx) {
        return Decide(in["id"].get<int64_t>(), false, *ctx.identity, in.value("note", ""));
      }));
  registry.Add(MakeProcedure("incidentCommander.cancelExecution", M, Role::kOperator,
                             s::Object({s::Req("id", s::Int(1))}), ExecutionSchema(),
                             "Cancel an unfinished execution (a running command is stopped)",
                             [this](const Json& in, CallContext& ctx) {
                               return Cancel(in["id"].get<int64_t>(), *ctx.identity);
                             }));
}

}  // namespace dai::incidents
