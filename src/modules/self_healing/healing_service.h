// HealingService: the Self-Healing Engine's use cases. Signals in (alerts from the Incident
// Commander's webhooks, process exits from the supervisor), decisions by the pure engine
// (engines/healing), one healing_actions row for every decision — including each decision
// not to act and why — recorded before anything acts; execution through ActionExecutors on
// the service's own threads; verification (the signal resolves within the rule's window →
// succeeded, else failed); learning into healing_patterns; approvals; escalation.
// Serves the selfHealing.* procedures.
//
// Durability: an action row is 'approved' (intent) before it runs, 'running' (claimed with a
// conditional UPDATE, so exactly one process runs it) while the executor works, then
// 'verifying' / 'failed', then 'succeeded' / 'failed'. After a crash, Tick() runs approved rows
// nobody claimed and fails running rows whose process died (never repeats a started action).
// Thread-safety: safe for concurrent use. Start() starts the executor and ticker threads;
// Stop() joins them (in-flight actions finish first).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/json.h"
#include "engines/healing/decision.h"
#include "engines/healing/threshold.h"
#include "ports/action_executor.h"
#include "registry/procedure.h"
#include "store/database.h"

namespace dai::self_healing {

struct HealingOptions {
  healing::GlobalPolicy policy;
  std::chrono::milliseconds tick{1000};
  int executor_threads = 2;
  //! Running rows older than this are failed as interrupted (their executor died with a process).
  std::chrono::milliseconds running_timeout{std::chrono::minutes(10)};
  //! History considered by decisions (circuit breakers older than this are forgotten).
  std::chrono::hours history_window{24};
  //! Instant PromQL query answering Prometheus' /api/v1/query data ({resultType, result});
  //! empty: metric_threshold rules are not evaluated (Stats says why).
  std::function<Result<Json>(const std::string& query)> instant_query;
  //! How often the ticker evaluates metric_threshold rules.
  std::chrono::milliseconds metric_interval{std::chrono::seconds(15)};
  //! Reads a file for config_drift rules (the desired state, and the actual state of keyvalue
  //! and text rules): NOT_FOUND when absent, PERMISSION_DENIED outside the allowed roots.
  //! Empty: drift rules are not evaluated (Stats().driftRules says why).
  std::function<Result<std::string>(const std::string& path)> read_file;
  //! Reads a file of a git repository under the allowed roots at a ref (desired state kept in
  //! git). Empty: rules with a repository are not evaluated.
  std::function<Result<std::string>(const std::string& repo, const std::string& ref,
                                    const std::string& path)>
      read_git;
  //! The live Kubernetes object (apiVersion, kind, namespace, name), null Json when it does not
  //! exist. Empty: kubernetes drift rules report that Kubernetes is not configured.
  std::function<Result<Json>(const std::string& api_version, const std::string& kind,
                             const std::string& ns, const std::string& name)>
      get_object;
  //! How often the ticker evaluates config_drift rules.
  std::chrono::milliseconds drift_interval{std::chrono::seconds(60)};
};

//! Events out: publish(type, json) for SSE; escalate(alert json) opens or annotates an incident.
struct HealingHooks {
  std::function<void(const std::string&, const std::string&)> publish;
  std::function<Status(const Json& escalation)> escalate;
};

class HealingService {
 public:
  HealingService(store::Database& db, const Clock& clock, HealingOptions options,
                 std::map<std::string, ActionExecutor*> executors, HealingHooks hooks);
  ~HealingService();  //!< Stop()

  void Start();
  void Stop();

  //! Decides for one signal and records every decision; dispatches executions. A resolved
  //! signal verifies the actions it triggered. Returns the recorded decisions.
  Result<Json> OnSignal(const healing::Signal& signal, const std::string& source);
  //! OnSignal for each signal, reading the rules once for all of them (a webhook payload, the
  //! ticker's re-evaluation). Every signal is decided even when one fails; returns every
  //! recorded decision, or the first failure.
  Result<Json> OnSignals(const std::vector<healing::Signal>& signals, const std::string& source);
  //! Periodic work (also run by the ticker thread): expired verifications, unclaimed intents,
  //! interrupted runs, re-evaluation of signals still firing. Safe to call concurrently.
  Status Tick();
  //! Evaluates every enabled metric_threshold rule's query once (the ticker calls it every
  //! metric_interval): a series breaching for the rule's forSeconds becomes a firing
  //! metric_threshold signal for that rule only; one that clears (or disappears) resolves it.
  //! A failing query is recorded for the rule (Stats().metricRules) and changes no state.
  Status EvaluateMetricRules();
  //! Evaluates every enabled config_drift rule once (the ticker calls it every drift_interval):
  //! each object (a manifest's object, or the rule's file) whose actual state differs from the
  //! desired becomes a firing config_drift signal for that rule, with the differences as
  //! evidence; one that matches again resolves it. Stats().driftRules shows the last result.
  Status EvaluateDriftRules();
  //! An explicit request (a runbook's healing step) to run `action_type` on `target` through
  //! the enabled rule that allows it (lowest priority value first): every safety check of that
  //! rule applies. FAILED_PRECONDITION when no enabled rule allows it. Returns the decision
  //! ({id, verdict, reason, rule, target}). `evidence` (e.g. a canary verdict) is recorded in
  //! the action's trigger event.
  Result<Json> Request(const std::string& action_type, const std::string& target,
                       const std::map<std::string, std::string>& labels, const std::string& source,
                       const Json& evidence = Json());
  //! Waits until action `id` leaves approved / running / awaiting_approval (or `timeout`
  //! passes, or `cancelled` answers true) and returns it.
  Result<Json> AwaitAction(int64_t id, Millis timeout, const std::function<bool()>& cancelled);
  //! Rules suggested from repeated manual fixes in incident history (incident_actions rows
  //! with a healing action type and target, on incidents with an alertname), excluding symptoms
  //! an existing rule already covers.
  Result<Json> SuggestRules(int min_occurrences);
  //! Blocks until no action is queued or executing in this process (tests, shutdown).
  void Drain();

  void RegisterProcedures(ProcedureRegistry& registry);

  // Rules.
  Result<Json> CreateRule(const Json& spec, const Identity& who);
  Result<Json> UpdateRule(int64_t id, const Json& patch);
  Result<Json> DeleteRule(int64_t id);
  Result<Json> GetRule(int64_t id);
  Result<Json> ListRules(const Json& filter);
  Result<Json> ToggleRule(int64_t id, bool enabled);
  //! Upserts rules by name (CLI import of a YAML file). Returns {created, updated}.
  Result<Json> ImportRules(const std::vector<healing::Rule>& rules, const Identity& who);
  //! What the rule would decide for a signal with these labels now, and what its executor
  //! would do; records nothing and touches nothing.
  Result<Json> DryRunRule(int64_t id, const std::map<std::string, std::string>& labels);

  // Actions.
  Result<Json> History(const Json& filter);
  Result<Json> GetAction(int64_t id);
  Result<Json> Approve(int64_t id, const Identity& who, const std::string& note);
  Result<Json> Reject(int64_t id, const Identity& who, const std::string& reason);
  Result<Json> Patterns(const Json& filter);
  Result<Json> Stats();

 private:
  Result<std::shared_ptr<const healing::RuleIndex>> Rules();
  //! OnSignal with the rules already read (null: read them).
  Result<Json> OnSignalWith(const healing::Signal& signal, const std::string& source,
                            std::shared_ptr<const healing::RuleIndex> index);
  void InvalidateRules();
  Result<healing::History> LoadHistory(store::Connection& conn, const std::string& signature,
                                       TimePoint now);
  Status Verify(const std::string& fingerprint, TimePoint now);
  Status Learn(store::Connection& conn, const std::string& signature,
               const std::string& condition_type, const std::string& action_type, bool success,
               double recovery_seconds, TimePoint now);
  void Dispatch(int64_t action_id);
  void RunAction(int64_t action_id);
  void ExecutorMain();
  void TickerMain();
  void Publish(const std::string& type, const Json& data);
  Result<Json> ActionById(int64_t id);

  store::Database& db_;
  const Clock& clock_;
  HealingOptions options_;
  std::map<std::string, ActionExecutor*> executors_;
  HealingHooks hooks_;

  std::mutex rules_mu_;
  std::shared_ptr<const healing::RuleIndex> rules_;
  std::string rules_stamp_;

  std::mutex signals_mu_;
  std::map<std::string, healing::Signal> firing_;     //!< by fingerprint, for re-evaluation
  std::map<std::string, TimePoint> resolved_recent_;  //!< fingerprints seen resolving (last hour)

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::condition_variable idle_cv_;
  std::condition_variable stop_cv_;  //!< the ticker waits here (never consumes a dispatch wake-up)
  std::deque<int64_t> queue_;
  int busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::thread ticker_;
  std::mutex tick_mu_;

  std::atomic<int64_t> signals_received_{0};

  std::mutex metric_mu_;
  std::map<int64_t, healing::ThresholdState> metric_state_;  //!< by rule id
  std::map<int64_t, Json> metric_status_;                    //!< by rule id, for Stats
  TimePoint last_metric_eval_{};

  std::mutex drift_mu_;
  std::map<int64_t, std::set<std::string>> drift_firing_;  //!< by rule id: drifted objects
  std::map<int64_t, Json> drift_status_;                   //!< by rule id, for Stats
  TimePoint last_drift_eval_{};
};

}  // namespace dai::self_healing
