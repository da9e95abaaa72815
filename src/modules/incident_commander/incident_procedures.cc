// incidentCommander.list/get/acknowledge/resolve/update/addNote and the post-mortem procedures
// (generatePostMortem keeps the specification's name). Runbook procedures: runbook_procedures.cc.
#include "modules/incident_commander/incident_service.h"
#include "registry/schema.h"

namespace dai::incidents {
namespace {

namespace s = schema;

// How a generated text's prose was written: by the LLM (model, tokens, cost) or not (why).
Json NarrativeSchema() {
  return s::Object({s::Req("mode", s::Enum({"llm", "deterministic"})), s::Opt("model", s::String()),
                    s::Opt("reason", s::String()), s::Opt("promptTokens", s::Int()),
                    s::Opt("completionTokens", s::Int()), s::Opt("costUsd", s::Number())});
}

Json IncidentSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("title", s::String()), s::Req("description", s::String()),
       s::Req("severity", s::Enum({"critical", "high", "medium", "low"})),
       s::Req("status", s::Enum({"detected", "investigating", "mitigating", "resolved"})),
       s::Req("source", s::String()), s::Req("service", s::Nullable(s::String())),
       s::Req("labels", s::StringMap()), s::Req("affectedServices", s::Array(s::String())),
       s::Req("alertCount", s::Int()), s::Req("reopenCount", s::Int()), s::Req("flapping", s::Bool()),
       s::Req("rootCause", s::Nullable(s::String())), s::Req("acknowledgedBy", s::Nullable(s::Int())),
       s::Req("detectedAt", s::DateTime()), s::Req("acknowledgedAt", s::Nullable(s::DateTime())),
       s::Req("resolvedAt", s::Nullable(s::DateTime())), s::Req("lastSignalAt", s::Nullable(s::DateTime())),
       s::Req("updatedAt", s::DateTime())},
      true);
}

Json DetailSchema() {
  Json d = IncidentSchema();
  d["properties"]["timeline"] = s::Array(s::Object(
      {s::Req("id", s::Int()), s::Req("type", s::String()), s::Req("description", s::String()),
       s::Req("actor", s::String()), s::Req("automated", s::Bool()), s::Req("details", s::Any()),
       s::Req("at", s::DateTime())}));
  d["properties"]["alerts"] = s::Array(s::Object(
      {s::Req("fingerprint", s::String()), s::Req("status", s::Enum({"firing", "resolved"})),
       s::Req("alertname", s::String()), s::Req("severity", s::String()), s::Req("labels", s::StringMap()),
       s::Req("annotations", s::StringMap()), s::Req("startsAt", s::DateTime()),
       s::Req("endsAt", s::Nullable(s::DateTime())), s::Req("receiveCount", s::Int()),
       s::Req("generatorUrl", s::String()), s::Req("attachedAt", s::DateTime()),
       s::Req("resolvedAt", s::Nullable(s::DateTime()))}));
  d["properties"]["timelineCount"] = s::Int();
  d["required"].push_back("timelineCount");
  d["required"].push_back("timeline");
  d["required"].push_back("alerts");
  return d;
}

}  // namespace

void IncidentService::RegisterProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  registry.Add(MakeProcedure(
      "incidentCommander.list", Q, Role::kViewer,
      s::PageInput({s::Opt("status", s::Enum({"detected", "investigating", "mitigating", "resolved"})),
                    s::Opt("severity", s::Enum({"critical", "high", "medium", "low"})),
                    s::Opt("search", s::String(0, 200))}),
      s::Page(IncidentSchema()), "List incidents, newest first, filtered by status, severity and title",
      [this](const Json& in, CallContext&) { return List(in); }));
  registry.Add(MakeProcedure(
      "incidentCommander.get", Q, Role::kViewer, s::Object({s::Req("id", s::Int(1))}), DetailSchema(),
      "One incident with its latest 1,000 timeline entries and 500 alerts (totals in timelineCount and alertCount)",
      [this](const Json& in, CallContext&) { return Get(in["id"].get<int64_t>()); }));
  registry.Add(MakeProcedure(
      "incidentCommander.acknowledge", M, Role::kOperator,
      s::Object({s::Req("id", s::Int(1)), s::Opt("note", s::String(0, 4000))}), DetailSchema(),
      "Acknowledge an incident (who and when are recorded)",
      [this](const Json& in, CallContext& ctx) {
        return Acknowledge(in["id"].get<int64_t>(), *ctx.identity, in.value("note", ""));
      }));
  registry.Add(MakeProcedure(
      "incidentCommander.resolve", M, Role::kOperator,
      s::Object({s::Req("id", s::Int(1)), s::Opt("resolution", s::String(0, 4000))}), DetailSchema(),
      "Resolve an incident",
      [this](const Json& in, CallContext& ctx) {
        return Resolve(in["id"].get<int64_t>(), *ctx.identity, in.value("resolution", ""));
      }));
  registry.Add(MakeProcedure(
      "incidentCommander.update", M, Role::kOperator,
      s::Object({s::Req("id", s::Int(1)), s::Opt("status", s::Enum({"detected", "investigating", "mitigating"})),
                 s::Opt("severity", s::Enum({"critical", "high", "medium", "low"})),
                 s::Opt("assignee", s::Nullable(s::String(1, 200)))}),
      DetailSchema(), "Change an incident's status (reopening a resolved one), severity or assignee",
      [this](const Json& in, CallContext& ctx) { return Update(in["id"].get<int64_t>(), *ctx.identity, in); }));
  registry.Add(MakeProcedure(
      "incidentCommander.addNote", M, Role::kOperator,
      s::Object({s::Req("id", s::Int(1)), s::Req("note", s::String(1, 8000))}), DetailSchema(),
      "Add a note to an incident's timeline",
      [this](const Json& in, CallContext& ctx) {
        return AddNote(in["id"].get<int64_t>(), *ctx.identity, in["note"].get<std::string>());
      }));
  const Json revision = s::Object({s::Req("id", s::Int()), s::Req("version", s::Int()), s::Req("content", s::String()),
                                   s::Req("author", s::String()), s::Req("kind", s::Enum({"generated", "edited"})),
                                   s::Req("createdAt", s::DateTime()), s::Opt("narrative", NarrativeSchema())});
  const Json post_mortem = s::Object({s::Req("incidentId", s::Int()), s::Req("current", s::Nullable(revision)),
                                      s::Req("revisions", s::Array(revision))});
  registry.Add(MakeProcedure(
      "incidentCommander.generatePostMortem", M, Role::kOperator, s::Object({s::Req("incidentId", s::Int(1))}),
      post_mortem,
      "Write the incident's post-mortem (Markdown: summary, impact with MTTA/MTTR, timeline, root cause, "
      "what was done, went well/poorly, action items) as a new revision",
      [this](const Json& in, CallContext& ctx) {
        return GeneratePostMortem(in["incidentId"].get<int64_t>(), *ctx.identity);
      }));
  registry.Add(MakeProcedure(
      "incidentCommander.getPostMortem", Q, Role::kViewer, s::Object({s::Req("incidentId", s::Int(1))}), post_mortem,
      "The incident's current post-mortem and its revisions",
      [this](const Json& in, CallContext&) { return PostMortem(in["incidentId"].get<int64_t>()); }));
  registry.Add(MakeProcedure(
      "incidentCommander.updatePostMortem", M, Role::kOperator,
      s::Object({s::Req("incidentId", s::Int(1)), s::Req("content", s::String(1, 512 * 1024))}), post_mortem,
      "Save a person's edit of the post-mortem as a new revision",
      [this](const Json& in, CallContext& ctx) {
        return SavePostMortem(in["incidentId"].get<int64_t>(), in["content"].get<std::string>(), ctx.identity->username,
                              false);
      }));
}

}  // namespace dai::incidents
