// selfHealing.*: the specification's four procedures (listRules, createRule, getHistory,
// toggleRule) plus getRule, updateRule, deleteRule, dryRunRule, getAction, approveAction,
// rejectAction, listPatterns, stats and suggestRules.
#include "engines/healing/rule.h"
#include "modules/self_healing/healing_service.h"
#include "registry/schema.h"

namespace dai::self_healing {
namespace {

namespace s = schema;

Json EnumOf(const std::vector<std::string>& names) {
  Json e = s::String();
  e["enum"] = names;
  return e;
}

std::vector<s::Field> SpecFields(bool create) {
  auto req = [&](std::string name, Json sch) {
    return create ? s::Req(std::move(name), std::move(sch))
                  : s::Opt(std::move(name), std::move(sch));
  };
  return {req("name", s::String(1, 200)),
          s::Opt("description", s::String(0, 4000)),
          req("conditionType", EnumOf(healing::ConditionTypeNames())),
          req("conditionConfig", s::Any()),
          req("actionType", EnumOf(healing::ActionTypeNames())),
          req("actionConfig", s::Any()),
          s::Opt("cooldownSeconds", s::Int(0, 86400)),
          s::Opt("maxRetries", s::Int(0, 100)),
          s::Opt("maxExecutionsPerHour", s::Int(0, 3600)),
          s::Opt("requiresApproval", s::Bool()),
          s::Opt("dryRun", s::Bool()),
          s::Opt("enabled", s::Bool()),
          s::Opt("priority", s::Int(0, 1000000)),
          s::Opt("verifySeconds", s::Int(1, 86400)),
          s::Opt("breakerFailures", s::Int(1, 100)),
          s::Opt("breakerResetSeconds", s::Int(0, 604800)),
          s::Opt("autoApprove", s::Nullable(s::Object({s::Req("minConfidence", s::Number()),
                                                       s::Opt("minSamples", s::Int(1, 100000))})))};
}

Json RuleSchema() {
  return s::Object(
      {s::Req("id", s::Int()),
       s::Req("name", s::String()),
       s::Req("description", s::String()),
       s::Req("enabled", s::Bool()),
       s::Req("conditionType", s::String()),
       s::Req("conditionConfig", s::Any()),
       s::Req("actionType", s::String()),
       s::Req("actionConfig", s::Any()),
       s::Req("cooldownSeconds", s::Int()),
       s::Req("maxRetries", s::Int()),
       s::Req("maxExecutionsPerHour", s::Int()),
       s::Req("requiresApproval", s::Bool()),
       s::Req("dryRun", s::Bool()),
       s::Req("priority", s::Int()),
       s::Req("verifySeconds", s::Int()),
       s::Req("breakerFailures", s::Int()),
       s::Req("breakerResetSeconds", s::Int()),
       s::Req("autoApprove", s::Nullable(s::Object({s::Req("minConfidence", s::Number()),
                                                    s::Req("minSamples", s::Int())}))),
       s::Req("successCount", s::Int()),
       s::Req("failureCount", s::Int()),
       s::Req("successRate", s::Nullable(s::Number())),
       s::Req("lastTriggeredAt", s::Nullable(s::DateTime())),
       s::Req("createdAt", s::DateTime()),
       s::Req("updatedAt", s::DateTime())});
}

Json ActionSchema() {
  return s::Object(
      {s::Req("id", s::Int()),
       s::Req("ruleId", s::Nullable(s::Int())),
       s::Req("ruleName", s::String()),
       s::Req("incidentId", s::Nullable(s::Int())),
       s::Req("actionType", s::String()),
       s::Req("target", s::String()),
       s::Req("status", s::Enum({"pending", "awaiting_approval", "approved", "rejected", "running",
                                 "verifying", "succeeded", "failed", "skipped", "escalated",
                                 "dry_run", "rolled_back"})),
       s::Req("verdict", s::Enum({"execute", "dry_run", "needs_approval", "escalate", "skip"})),
       s::Req("reason", s::String()),
       s::Req("dryRun", s::Bool()),
       s::Req("signature", s::String()),
       s::Req("fingerprint", s::String()),
       s::Req("signal", s::Any()),
       s::Req("result", s::Any()),
       s::Req("error", s::Nullable(s::String())),
       s::Req("attempt", s::Int()),
       s::Req("decidedBy", s::String()),
       s::Req("approvedBy", s::Nullable(s::Int())),
       s::Req("approvalNote", s::String()),
       s::Req("confidence", s::Number()),
       s::Req("createdAt", s::DateTime()),
       s::Req("startedAt", s::Nullable(s::DateTime())),
       s::Req("completedAt", s::Nullable(s::DateTime())),
       s::Req("verifiedAt", s::Nullable(s::DateTime())),
       s::Req("durationMs", s::Nullable(s::Int())),
       s::Req("recoverySeconds", s::Nullable(s::Number()))});
}

Json PatternSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("signature", s::String()),
       s::Req("conditionType", s::String()), s::Req("actionType", s::String()),
       s::Req("attempts", s::Int()), s::Req("successes", s::Int()), s::Req("failures", s::Int()),
       s::Req("successRate", s::Number()), s::Req("meanRecoverySeconds", s::Nullable(s::Number())),
       s::Req("confidence", s::Number()), s::Req("lastSeenAt", s::Nullable(s::DateTime()))});
}

Json CleanSpec(Json in) {
  in.erase("id");
  if (in.contains("autoApprove") && in["autoApprove"].is_null()) in.erase("autoApprove");
  return in;
}

}  // namespace

void HealingService::RegisterProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  const Json id = s::Int(1);
  registry.Add(MakeProcedure("selfHealing.listRules", Q, Role::kViewer,
                             s::PageInput({s::Opt("enabled", s::Bool())}), s::Page(RuleSchema()),
                             "List healing rules (by priority)",
                             [this](const Json& in, CallContext&) { return ListRules(in); }));
  registry.Add(MakeProcedure(
      "selfHealing.createRule", M, Role::kOperator, s::Object(SpecFields(true)), RuleSchema(),
      "Create a healing rule (requires approval unless requiresApproval is false)",
      [this](const Json& in, CallContext& ctx) {
        return CreateRule(CleanSpec(in), *ctx.identity);
      }));
  registry.Add(MakeProcedure(
      "selfHealing.getHistory", Q, Role::kViewer,
      s::PageInput(
          {s::Opt("ruleId", id),
           s::Opt("status",
                  s::Enum({"awaiting_approval", "approved", "rejected", "running", "verifying",
                           "succeeded", "failed", "skipped", "escalated", "dry_run"})),
           s::Opt("verdict", s::Enum({"execute", "dry_run", "needs_approval", "escalate", "skip"})),
           s::Opt("since", s::DateTime(), "only decisions made at or after this time")}),
      s::Page(ActionSchema()),
      "Healing decisions and actions, newest first (every decision, with its reason)",
      [this](const Json& in, CallContext&) { return History(in); }));
  registry.Add(
      MakeProcedure("selfHealing.toggleRule", M, Role::kOperator,
                    s::Object({s::Req("id", id), s::Req("enabled", s::Bool())}), RuleSchema(),
                    "Enable or disable a rule", [this](const Json& in, CallContext&) {
                      return ToggleRule(in["id"].get<int64_t>(), in["enabled"].get<bool>());
                    }));
  registry.Add(MakeProcedure(
      "selfHealing.getRule", Q, Role::kViewer, s::Object({s::Req("id", id)}), RuleSchema(),
      "One healing rule",
      [this](const Json& in, CallContext&) { return GetRule(in["id"].get<int64_t>()); }));
  auto update_fields = SpecFields(false);
  update_fields.insert(update_fields.begin(), s::Req("id", id));
  registry.Add(MakeProcedure(
      "selfHealing.updateRule", M, Role::kOperator, s::Object(update_fields), RuleSchema(),
      "Change a rule (fields not given keep their value; autoApprove null removes it)",
      [this](const Json& in, CallContext&) {
        Json patch = in;
        patch.erase("id");
        return UpdateRule(in["id"].get<int64_t>(), patch);
      }));
  registry.Add(MakeProcedure(
      "selfHealing.deleteRule", M, Role::kOperator, s::Object({s::Req("id", id)}),
      s::Object({s::Req("id", s::Int()), s::Req("deleted", s::Bool())}),
      "Delete a rule (its recorded actions stay, with the rule name)",
      [this](const Json& in, CallContext&) { return DeleteRule(in["id"].get<int64_t>()); }));
  registry.Add(MakeProcedure(
      "selfHealing.dryRunRule", Q, Role::kViewer,
      s::Object({s::Req("id", id), s::Req("labels", s::StringMap())}),
      s::Object(
          {s::Req("ruleId", s::Int()), s::Req("matches", s::Bool()),
           s::Req("signature", s::String()),
           s::Req("decision", s::Nullable(s::Object(
                                  {s::Req("verdict", s::String()), s::Req("reason", s::String()),
                                   s::Req("target", s::String()), s::Req("attempt", s::Int()),
                                   s::Req("confidence", s::Number())}))),
           s::Req("unmatched", s::Array(s::String())), s::Opt("executor", s::Any())}),
      "What a rule would decide and do for a signal with these labels now (records and touches "
      "nothing)",
      [this](const Json& in, CallContext&) {
        std::map<std::string, std::string> labels;
        for (auto it = in["labels"].begin(); it != in["labels"].end(); ++it)
          labels[it.key()] = it.value().get<std::string>();
        return DryRunRule(in["id"].get<int64_t>(), labels);
      }));
  registry.Add(MakeProcedure(
      "selfHealing.getAction", Q, Role::kViewer, s::Object({s::Req("id", id)}), ActionSchema(),
      "One healing decision or action",
      [this](const Json& in, CallContext&) { return GetAction(in["id"].get<int64_t>()); }));
  registry.Add(MakeProcedure(
      "selfHealing.approveAction", M, Role::kOperator,
      s::Object({s::Req("id", id), s::Opt("note", s::String(0, 4000))}), ActionSchema(),
      "Approve an action awaiting approval (the operator is recorded); it runs at once",
      [this](const Json& in, CallContext& ctx) {
        return Approve(in["id"].get<int64_t>(), *ctx.identity, in.value("note", ""));
      }));
  registry.Add(
      MakeProcedure("selfHealing.rejectAction", M, Role::kOperator,
                    s::Object({s::Req("id", id), s::Opt("reason", s::String(0, 4000))}),
                    ActionSchema(), "Reject an action awaiting approval (the operator is recorded)",
                    [this](const Json& in, CallContext& ctx) {
                      return Reject(in["id"].get<int64_t>(), *ctx.identity, in.value("reason", ""));
                    }));
  registry.Add(MakeProcedure(
      "selfHealing.listPatterns", Q, Role::kViewer, s::PageInput(), s::Page(PatternSchema()),
      "Learned success per symptom signature and action (Wilson lower bound as confidence)",
      [this](const Json& in, CallContext&) { return Patterns(in); }));
  registry.Add(MakeProcedure(
      "selfHealing.checkDrift", M, Role::kOperator, s::Object({}), s::Any(),
      "Evaluate every config_drift rule now (the ticker does it every minute) and answer each "
      "rule's objects and differences, as in selfHealing.stats' driftRules",
      [this](const Json&, CallContext&) -> Result<Json> {
        DAI_RETURN_IF_ERROR(EvaluateDriftRules());
        DAI_ASSIGN_OR_RETURN(Json st, Stats());
        return st["driftRules"];
      }));
  registry.Add(MakeProcedure(
      "selfHealing.stats", Q, Role::kViewer, s::Object({}),
      s::Object(
          {s::Req("byStatus", s::Any()), s::Req("signalsReceived", s::Int()),
           s::Req("firingSignals", s::Int()),
           s::Req("medianDecisionToStartMs", s::Nullable(s::Number())),
           s::Req("medianActionMs", s::Nullable(s::Number())),
           s::Req("medianRecoverySeconds", s::Nullable(s::Number())),
           s::Req("executedActions", s::Int()),
           s::Req(
               "metricRules",
               s::Array(s::Object({s::Req("ruleId", s::Int()), s::Req("rule", s::String()),
                                   s::Req("evaluatedAt", s::DateTime()), s::Opt("series", s::Int()),
                                   s::Opt("breaching", s::Int()), s::Opt("firing", s::Int()),
                                   s::Req("error", s::Nullable(s::String()))}))),
           s::Req("driftRules",
                  s::Array(s::Object(
                      {s::Req("ruleId", s::Int()), s::Req("rule", s::String()),
                       s::Req("format", s::String()), s::Req("desired", s::String()),
                       s::Req("actual", s::String()), s::Req("evaluatedAt", s::DateTime()),
                       s::Req("drifted", s::Int()),
                       s::Req("objects",
                              s::Array(s::Object(
                                  {s::Req("object", s::String()), s::Req("drifted", s::Bool()),
                                   s::Req("differenceCount", s::Int()),
                                   s::Req("differences",
                                          s::Array(s::Object({s::Req("kind", s::String()),
                                                              s::Req("path", s::String()),
                                                              s::Req("desired", s::Any()),
                                                              s::Req("actual", s::Any())}))),
                                   s::Opt("unified", s::String())}))),
                       s::Req("error", s::Nullable(s::String()))})))}),
      "Counts by status, median timings (decision → start, action, recovery), "
      "the last evaluation of each metric_threshold rule and of each config_drift "
      "rule (objects, differences, unified diff of text files)",
      [this](const Json&, CallContext&) { return Stats(); }));
  registry.Add(MakeProcedure(
      "selfHealing.suggestRules", Q, Role::kViewer,
      s::Object({s::Opt("minOccurrences", s::Int(1, 1000))}),
      s::Object(
          {s::Req("items", s::Array(s::Object(
                               {s::Req("signature", s::String()), s::Req("actionType", s::String()),
                                s::Req("target", s::String()), s::Req("occurrences", s::Int()),
                                s::Req("spec", s::Any())}))),
           s::Req("manualFixes", s::Int())}),
      "Rules suggested from repeated manual fixes in incident history (runbooks started by hand, "
      "healing actions recorded on incidents); each carries a createRule spec",
      [this](const Json& in, CallContext&) {
        return SuggestRules(in.value("minOccurrences", 3));
      }));
}

}  // namespace dai::self_healing
