// Healing rules: what to detect (a condition over a signal's labels) and what to do about it
// (one allow-listed action with its configuration), with the safety settings every action
// carries (cooldown, retry limit, hourly limit, approval, dry-run). One spec format serves
// the API (JSON), the database row and YAML rule files: the keys of selfHealing.createRule.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace re2 {
class RE2;
}

namespace dai::healing {

//! The condition kinds of the specification's healing_rules.condition_type.
enum class ConditionType {
  kAlert,
  kMetricThreshold,
  kAnomaly,
  kDeploymentFailure,
  kConfigDrift,
  kLogPattern,
  kHealthCheck,
};

//! The allow-listed action kinds (healing_rules.action_type without 'custom', which is refused).
enum class ActionType {
  kRestartProcess,
  kRestartService,
  kRestartPod,
  kRolloutRestart,
  kScaleUp,
  kScaleDown,
  kRollback,
  kCordonNode,
  kRunRunbook,
  kHttpRequest,
  kNotify,
  kApplyDesired,    //!< config_drift rules only: re-apply the desired state to the drifted object
  kArgocdRollback,  //!< roll an Argo CD Application back to an earlier history entry
};

std::string_view ConditionTypeName(ConditionType t);
std::string_view ActionTypeName(ActionType t);
//! INVALID_ARGUMENT listing the accepted names when `name` is not one.
Result<ConditionType> ParseConditionType(std::string_view name);
Result<ActionType> ParseActionType(std::string_view name);
//! Every accepted action type name, in declaration order.
std::vector<std::string> ActionTypeNames();
std::vector<std::string> ConditionTypeNames();

//! One Alertmanager-style label matcher: name = "v", != "v", =~ "re", !~ "re". Regexes are
//! RE2 (linear time, so a hostile pattern cannot backtrack) and fully anchored, as in
//! Alertmanager.
struct LabelMatcher {
  enum class Op { kEq, kNe, kRegex, kNotRegex };
  std::string name;
  Op op = Op::kEq;
  std::string value;
  std::shared_ptr<const re2::RE2> regex;  //!< compiled for kRegex / kNotRegex
  //! True when the label set satisfies the matcher (a missing label reads as "").
  bool Matches(const std::map<std::string, std::string>& labels) const;
  std::string ToString() const;
};

//! Parses `name="value"`, `name=~"re"`, `name!=value` ... (quotes optional, \" and \\ escapes
//! inside quotes). INVALID_ARGUMENT naming what was wrong.
Result<LabelMatcher> ParseLabelMatcher(std::string_view text);

//! Where an action's target comes from: a fixed value, or a label of the signal that must then
//! be one of an explicit allow-list (targets are never taken from a signal unchecked).
struct TargetSelector {
  std::string fixed;                 //!< non-empty: always this target
  std::string from_label;            //!< else: the value of this label ...
  std::vector<std::string> allowed;  //!< ... which must be one of these
  //! apply_desired: any value of from_label, which only the rule's own drift evaluation sets
  //! (the executor applies nothing its desired file does not name).
  bool any_from_rule = false;
  //! The target for a signal, or nullopt with `why` set.
  std::optional<std::string> Resolve(const std::map<std::string, std::string>& labels,
                                     std::string* why) const;
};

struct AutoApprove {
  double min_confidence = 0;  //!< 0: never; else the learned lower bound that skips approval
  int min_samples = 5;        //!< verified attempts needed before learning can approve
};

struct Rule {
  int64_t id = 0;
  std::string name;
  std::string description;
  bool enabled = true;
  ConditionType condition = ConditionType::kAlert;
  Json condition_config = Json::object();
  std::vector<LabelMatcher> matchers;  //!< all must match (from condition_config.matchers)
  ActionType action = ActionType::kRestartProcess;
  Json action_config = Json::object();
  TargetSelector target;
  int cooldown_seconds = 300;
  int max_retries = 3;               //!< attempts per target before escalating instead
  int max_executions_per_hour = 10;  //!< per rule, all targets
  bool requires_approval = true;     //!< the safe default (DESIGN.md)
  bool dry_run = false;
  int priority = 100;                //!< lower runs first when several rules match
  int breaker_failures = 3;          //!< consecutive failed executions that open the breaker
  int breaker_reset_seconds = 1800;  //!< how long an open breaker stays open
  int verify_seconds = 120;          //!< the condition must clear within this to count as success
  AutoApprove auto_approve;

  //! The spec (same keys as selfHealing.createRule's input).
  Json ToSpec() const;
};

//! Builds a rule from a spec object (camelCase keys: name, description, conditionType,
//! conditionConfig, actionType, actionConfig, cooldownSeconds, maxRetries,
//! maxExecutionsPerHour, requiresApproval, dryRun, priority, enabled, autoApprove).
//! INVALID_ARGUMENT naming the field, prefixed by `where` (e.g. "rules[2].actionConfig.url: ...").
//! Unknown keys are refused so that a typo never silently weakens a safety setting.
Result<Rule> RuleFromSpec(const Json& spec, std::string_view where = "");

struct RuleFileLimits {
  size_t max_bytes = 4 * 1024 * 1024;
  size_t max_rules = 10000;
};

//! Parses a YAML (or JSON) rule file: `rules:` followed by a list of specs. INVALID_ARGUMENT
//! naming the rule and field, PARSE_ERROR with the line for malformed YAML. Rule names must be
//! unique within the file.
Result<std::vector<Rule>> ParseRuleFile(std::string_view text, const RuleFileLimits& limits = {});

}  // namespace dai::healing
