// incidentCommander.list/get/acknowledge/resolve. executeRunbook and generatePostMortem stay
// declared in the catalog (NOT_IMPLEMENTED) until runbooks and post-mortems are built.
#include "modules/incident_commander/incident_service.h"
#include "registry/schema.h"

namespace dai::incidents {
namespace {

namespace s = schema;

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
      "One incident with its timeline and alerts",
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
}

}  // namespace dai::incidents
