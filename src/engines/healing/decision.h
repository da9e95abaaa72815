// The healing decision: given the rule set, one signal, the recent history of actions and the
// time, decide for every matching rule whether to act now, act in dry-run, wait for approval,
// escalate (retries exhausted) or skip — always with the reason. Deterministic: the same
// inputs give the same decisions, so a decision can be replayed and audited.
// Also the learning side: per symptom signature and action, attempts, verified successes and
// time to recovery, turned into a confidence (Wilson lower bound) that ranks candidate rules
// and can auto-approve a rule that has proven itself; and the HPA replica formula.
// Thread-safety: RuleIndex is immutable after construction (safe to share for reads); the rest
// are value types and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "engines/healing/rule.h"

namespace dai::healing {

//! One signal: an alert from the Incident Commander (firing or resolved), or an anomaly,
//! deployment failure, drift or threshold breach reported by another part of the system.
struct Signal {
  ConditionType kind = ConditionType::kAlert;
  bool firing = true;
  std::map<std::string, std::string> labels;
  std::string fingerprint;
  std::optional<int64_t> incident_id;
  //! Non-zero: only the rule with this id is considered (a signal raised by that rule's own
  //! condition, e.g. its metric_threshold query, or an explicit request for that rule).
  int64_t rule_id = 0;
  //! An explicit request naming rule_id (a runbook's healing step): the rule's condition kind
  //! and matchers are not applied; every safety check (target selector, cooldown, retries,
  //! breaker, limits, approval) is.
  bool requested = false;
  //! What the signal's source saw (e.g. a drift rule's differences); stored with each decision.
  Json evidence;
};

//! What became of an action (healing_actions.status, as far as decisions care).
enum class Outcome {
  kAwaitingApproval,
  kRunning,    //!< started, not yet verified
  kSucceeded,  //!< the condition cleared within the verification window
  kFailed,
  kEscalated,  //!< retries exhausted; handed to a human
  kRejected,
  kSkipped,
  kDryRun,
};

//! One past decision or action, as the store reports it.
struct ActionRecord {
  int64_t rule_id = 0;
  std::string target;
  Outcome outcome = Outcome::kRunning;
  TimePoint at;  //!< when it was decided (started for executions)
};

//! Limits across all rules (blast radius).
struct GlobalPolicy {
  int max_actions_per_window = 20;  //!< executions of any rule within `window`
  Millis window{10 * 60 * 1000};
  Millis retry_window{60 * 60 *
                      1000};  //!< attempts older than this no longer count toward max_retries
};

//! Learned figures for one (signature, action type).
struct PatternStats {
  int attempts = 0;  //!< verified executions (success or failure)
  int successes = 0;
  double recovery_seconds_sum = 0;  //!< over successes
  double SuccessRate() const {
    return attempts == 0 ? 0 : static_cast<double>(successes) / attempts;
  }
  double MeanRecoverySeconds() const {
    return successes == 0 ? 0 : recovery_seconds_sum / successes;
  }
  //! Wilson score lower bound (95%) of the success rate: cautious with few samples.
  double Confidence() const;
};

//! Adds one verified outcome.
PatternStats Learn(PatternStats stats, bool success, double recovery_seconds);

//! The symptom signature of a signal: its alertname plus the identifying labels it carries
//! (job, service, namespace, deployment, container), e.g. `NodeExporterDown{job="node"}`.
//! Instance-specific labels are left out so that one fix learned on one host applies to another.
std::string Signature(const Signal& signal);

//! What the store knows that decisions depend on.
struct History {
  std::vector<ActionRecord> records;  //!< at least the last max(window, retry_window, 1 h)
  //! Keyed by Signature(signal) + "|" + action type name.
  std::unordered_map<std::string, PatternStats> patterns;
};

enum class Verdict { kExecute, kDryRun, kNeedsApproval, kEscalate, kSkip };
std::string_view VerdictName(Verdict v);

struct Decision {
  int64_t rule_id = 0;
  std::string rule_name;
  ActionType action = ActionType::kRestartProcess;
  std::string target;
  Verdict verdict = Verdict::kSkip;
  std::string reason;  //!< why, in words an operator reads in the audit trail
  int attempt = 0;     //!< 1-based attempt for this rule and target within the retry window
  double confidence = 0;
  std::string signature;
};

//! The rules of a server, indexed by their alertname equality matcher so a signal is compared
//! only with the rules that can match it (plus those without such a matcher).
class RuleIndex {
 public:
  explicit RuleIndex(std::vector<Rule> rules);
  const std::vector<Rule>& rules() const { return rules_; }
  //! Indices of enabled rules whose condition kind and matchers match the signal, ordered by
  //! priority then id.
  std::vector<size_t> Match(const Signal& signal) const;

 private:
  std::vector<Rule> rules_;
  std::unordered_map<std::string, std::vector<size_t>> by_alertname_;
  std::vector<size_t> unindexed_;
};

//! Decides for every rule matching a firing signal (a resolved signal matches nothing: it
//! feeds verification, not action). At most one rule acts on a given target per signal: among
//! rules that could act, the lowest priority value wins, ties broken by learned confidence
//! then rule id; the others are skipped naming the winner. Checks, in order: target selector,
//! pending approval or running action on the same target, circuit breaker, cooldown, retries
//! (→ escalate once per episode), the rule's hourly limit, the global limit, then dry-run /
//! approval (auto-approval when learned confidence and samples reach the rule's threshold).
std::vector<Decision> Decide(const RuleIndex& rules, const Signal& signal, const History& history,
                             const GlobalPolicy& policy, TimePoint now);

//! Kubernetes HPA's replica formula: desired = ceil(current * metric / target), unchanged while
//! |metric/target - 1| <= tolerance, bounded to [min, max]. For scale-down the highest
//! recommendation within the stabilization window is used (`recent` holds earlier
//! recommendations of that window; the caller keeps them).
struct ScaleInput {
  int current = 1;
  double metric = 0;
  double target = 1;
  double tolerance = 0.1;
  int min_replicas = 1;
  int max_replicas = 10;
  std::vector<int> recent;
};
//! INVALID_ARGUMENT when target <= 0, current < 0, metric is not finite, or min > max.
Result<int> DesiredReplicas(const ScaleInput& in);

//! A rule suggestion from repeated manual fixes in incident history.
struct ManualFix {
  std::string signature;
  ActionType action = ActionType::kRestartProcess;
  std::string target;
};
struct RuleSuggestion {
  std::string signature;
  ActionType action = ActionType::kRestartProcess;
  std::string target;
  int occurrences = 0;
};
//! (signature, action, target) triples seen at least `min_occurrences` times, most frequent
//! first, excluding those an existing rule already matches by name (`covered` signatures).
std::vector<RuleSuggestion> SuggestRules(const std::vector<ManualFix>& fixes, int min_occurrences,
                                         const std::vector<std::string>& covered);

}  // namespace dai::healing
