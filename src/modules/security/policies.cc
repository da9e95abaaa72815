// Vulnerability policies in security_policies (issue #6): listPolicies (viewer) and
// createPolicy / updatePolicy / deletePolicy (admin). A policy's thresholds and ignore rules
// live in the `rules` column as the engine's JSON (engines/vulnmatch/policy.h);
// severity_threshold and enforcement mirror them for the specification's columns. Every
// dependency scan applies the enabled vulnerability policies (ApplyPolicies).
#include <algorithm>

#include "modules/security/security_service.h"
#include "registry/schema.h"

namespace dai::security {
namespace {

namespace s = schema;

constexpr const char* kPolicyCols =
    "id, name, description, rules, severity_threshold, enforcement, enabled, created_at, "
    "updated_at";

Json PolicyJson(const store::Row& r) {
  auto rules = ParseJson(r.GetString("rules"));
  Json doc = rules.ok() && rules->is_object() ? *rules : Json::object();
  auto ts = [&](const char* col) -> Json {
    auto t = r.GetOptTime(col);
    return t ? Json(FormatIso8601(*t)) : Json(nullptr);
  };
  return Json{{"id", r.GetInt("id")},
              {"name", r.GetString("name")},
              {"description", r.GetString("description")},
              {"enabled", r.GetBool("enabled")},
              {"enforcement", r.GetString("enforcement")},
              {"block", doc.value("block", Json::object())},
              {"warn", doc.value("warn", Json::object())},
              {"ignore", doc.value("ignore", Json::array())},
              {"createdAt", ts("created_at")},
              {"updatedAt", ts("updated_at")}};
}

// The specification's summary columns for a policy.
std::pair<std::string, std::string> Summary(const vulnmatch::Policy& p) {
  std::string threshold = p.block.severity  ? *p.block.severity
                          : p.warn.severity ? *p.warn.severity
                                            : "high";
  std::string enforcement = !p.block.empty() ? "block" : !p.warn.empty() ? "warn" : "audit";
  return {threshold, enforcement};
}

Json ThresholdSchema() {
  return s::Object({s::Opt("severity", s::Enum({"critical", "high", "medium", "low"})),
                    s::Opt("cvss", s::Number(), "CVSS base score 0-10, at or above")});
}

Json IgnoreSchema() {
  return s::Array(
      s::Object({s::Opt("id", s::String(0, 200), "advisory id or alias"),
                 s::Opt("package", s::String(0, 400)), s::Req("reason", s::String(1, 2000)),
                 s::Opt("expires", s::Nullable(s::String(0, 10)), "YYYY-MM-DD")}),
      1000);
}

Json PolicyOutSchema() {
  return s::Object({s::Req("id", s::Int()), s::Req("name", s::String()),
                    s::Req("description", s::String()), s::Req("enabled", s::Bool()),
                    s::Req("enforcement", s::String()), s::Req("block", s::Any()),
                    s::Req("warn", s::Any()), s::Req("ignore", s::Any()),
                    s::Req("createdAt", s::Nullable(s::DateTime())),
                    s::Req("updatedAt", s::Nullable(s::DateTime()))});
}

// The engine's document from an API input (block/warn/ignore; null expires dropped).
Result<vulnmatch::Policy> PolicyFromInput(const Json& in, const Json& base) {
  Json doc = base;
  for (const char* k : {"block", "warn", "ignore"})
    if (in.contains(k)) doc[k] = in[k];
  if (doc.contains("ignore") && doc["ignore"].is_array())
    for (auto& r : doc["ignore"])
      if (r.is_object() && r.contains("expires") && r["expires"].is_null()) r.erase("expires");
  auto p = vulnmatch::ParsePolicy(doc);
  if (!p.ok()) return Status::InvalidArgument("input." + p.status().message());
  return p;
}

}  // namespace

Result<Json> SecurityService::ListPolicies() {
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kPolicyCols +
                                                " FROM security_policies WHERE policy_type = "
                                                "'vulnerability' ORDER BY name",
                                            {}));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(PolicyJson(r));
  return Json{{"items", items}};
}

Result<Json> SecurityService::GetPolicy(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kPolicyCols +
                                                " FROM security_policies WHERE id = ? AND "
                                                "policy_type = 'vulnerability'",
                                            {id}));
  if (rows.rows.empty())
    return Status::NotFound("policy " + std::to_string(id) + " does not exist");
  return PolicyJson(rows.rows[0]);
}

Result<Json> SecurityService::CreatePolicy(const Json& in) {
  DAI_ASSIGN_OR_RETURN(vulnmatch::Policy p, PolicyFromInput(in, Json::object()));
  const std::string name = in["name"].get<std::string>();
  DAI_ASSIGN_OR_RETURN(auto existing,
                       db_.Query("SELECT id FROM security_policies WHERE name = ?", {name}));
  if (!existing.rows.empty())
    return Status::Conflict("input.name: a policy named " + name + " already exists");
  auto [threshold, enforcement] = Summary(p);
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(
      auto ins, db_.Query("INSERT INTO security_policies (name, description, policy_type, rules, "
                          "severity_threshold, enforcement, enabled, created_at, updated_at) "
                          "VALUES (?, ?, 'vulnerability', ?, ?, ?, ?, ?, ?) RETURNING id",
                          {name, in.value("description", ""), DumpJson(vulnmatch::PolicyToJson(p)),
                           threshold, enforcement, in.value("enabled", true), now, now}));
  return GetPolicy(ins.rows.at(0).GetInt(0));
}

Result<Json> SecurityService::UpdatePolicy(const Json& in) {
  const int64_t id = in["id"].get<int64_t>();
  DAI_ASSIGN_OR_RETURN(Json current, GetPolicy(id));
  Json base = {
      {"block", current["block"]}, {"warn", current["warn"]}, {"ignore", current["ignore"]}};
  DAI_ASSIGN_OR_RETURN(vulnmatch::Policy p, PolicyFromInput(in, base));
  const std::string name = in.value("name", current["name"].get<std::string>());
  DAI_ASSIGN_OR_RETURN(
      auto clash,
      db_.Query("SELECT id FROM security_policies WHERE name = ? AND id <> ?", {name, id}));
  if (!clash.rows.empty())
    return Status::Conflict("input.name: a policy named " + name + " already exists");
  auto [threshold, enforcement] = Summary(p);
  DAI_RETURN_IF_ERROR(
      db_.Query("UPDATE security_policies SET name = ?, description = ?, rules = ?, "
                "severity_threshold = ?, enforcement = ?, enabled = ?, updated_at = ? WHERE id = ?",
                {name, in.value("description", current["description"].get<std::string>()),
                 DumpJson(vulnmatch::PolicyToJson(p)), threshold, enforcement,
                 in.value("enabled", current["enabled"].get<bool>()), clock_.Now(), id})
          .status());
  return GetPolicy(id);
}

Result<Json> SecurityService::DeletePolicy(int64_t id) {
  DAI_RETURN_IF_ERROR(GetPolicy(id).status());
  DAI_RETURN_IF_ERROR(db_.Query("DELETE FROM security_policies WHERE id = ?", {id}).status());
  return Json{{"deleted", true}};
}

Result<PolicySet> SecurityService::EnabledPolicies() {
  DAI_ASSIGN_OR_RETURN(auto rows,
                       db_.Query("SELECT name, rules, enabled FROM security_policies WHERE "
                                 "policy_type = 'vulnerability' ORDER BY name",
                                 {}));
  PolicySet out;
  for (const auto& r : rows.rows) {
    if (!r.GetBool(2)) continue;
    auto doc = ParseJson(r.GetString(1));
    if (!doc.ok()) continue;
    auto p = vulnmatch::ParsePolicy(*doc);
    if (!p.ok()) continue;  // written through CreatePolicy/UpdatePolicy, so valid
    out.push_back({r.GetString(0), std::move(*p)});
  }
  return out;
}

PolicyOutcome ApplyPolicies(const PolicySet& policies,
                            const std::vector<vulnmatch::PolicyFinding>& findings, TimePoint now) {
  PolicyOutcome out;
  out.ignored_by.assign(findings.size(), Json(nullptr));
  const std::string today = FormatIso8601(now).substr(0, 10);
  int worst = 0;
  Json per = Json::array();
  for (const auto& [name, policy] : policies) {
    auto e = vulnmatch::EvaluatePolicy(policy, findings, today);
    for (size_t i = 0; i < findings.size(); ++i) {
      const int rule = e.findings[i].ignored_by;
      if (rule >= 0 && out.ignored_by[i].is_null()) {
        const auto& r = policy.ignore[static_cast<size_t>(rule)];
        out.ignored_by[i] = {{"policy", name},
                             {"rule", rule},
                             {"reason", r.reason},
                             {"expires", r.expires.empty() ? Json(nullptr) : Json(r.expires)}};
      }
    }
    worst = std::max(worst, e.verdict == "block" ? 2 : e.verdict == "warn" ? 1 : 0);
    per.push_back({{"policy", name},
                   {"verdict", e.verdict},
                   {"ignored", e.ignored},
                   {"expiredRules", e.expired}});
  }
  out.summary = {{"verdict", policies.empty() ? Json(nullptr)
                             : worst == 2     ? Json("block")
                             : worst == 1     ? Json("warn")
                                              : Json("pass")},
                 {"policies", per}};
  return out;
}

void SecurityService::RegisterPolicyProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  registry.Add(MakeProcedure("securityGuardian.listPolicies", Q, Role::kViewer, s::Object({}),
                             s::Object({s::Req("items", s::Array(PolicyOutSchema()))}),
                             "Vulnerability policies: block/warn thresholds and ignore rules",
                             [this](const Json&, CallContext&) { return ListPolicies(); }));
  registry.Add(MakeProcedure(
      "securityGuardian.createPolicy", M, Role::kAdmin,
      s::Object({s::Req("name", s::String(1, 200)), s::Opt("description", s::String(0, 2000)),
                 s::Opt("enabled", s::Bool()), s::Opt("block", ThresholdSchema()),
                 s::Opt("warn", ThresholdSchema()), s::Opt("ignore", IgnoreSchema())}),
      PolicyOutSchema(), "Create a vulnerability policy (applied to every dependency scan)",
      [this](const Json& in, CallContext&) { return CreatePolicy(in); }));
  registry.Add(MakeProcedure(
      "securityGuardian.updatePolicy", M, Role::kAdmin,
      s::Object({s::Req("id", s::Int(1)), s::Opt("name", s::String(1, 200)),
                 s::Opt("description", s::String(0, 2000)), s::Opt("enabled", s::Bool()),
                 s::Opt("block", ThresholdSchema()), s::Opt("warn", ThresholdSchema()),
                 s::Opt("ignore", IgnoreSchema())}),
      PolicyOutSchema(), "Change a vulnerability policy; fields left out keep their value",
      [this](const Json& in, CallContext&) { return UpdatePolicy(in); }));
  registry.Add(MakeProcedure(
      "securityGuardian.deletePolicy", M, Role::kAdmin, s::Object({s::Req("id", s::Int(1))}),
      s::Object({s::Req("deleted", s::Bool())}), "Delete a vulnerability policy",
      [this](const Json& in, CallContext&) { return DeletePolicy(in["id"].get<int64_t>()); }));
}

}  // namespace dai::security
