// RunbookService: runbook definitions (CRUD over `runbooks`), executions as durable jobs
// (`runbook_executions` + the `runbook.execute` job kind), human approvals
// (`runbook_approvals`), dry-run and cancellation. Each step records its intent (status
// "running", start time) in one transaction before it acts and its outcome in another after, so
// a restart resumes after the last finished step and never repeats a started one (a step found
// "running" fails the execution, naming the step). Commands run from argv vectors through the
// process runner, only executables in the configured allow-list; incident values reach them as
// named parameters inside single argv elements. Every start, approval, rejection, step outcome
// and finish is an incident_actions row when the execution belongs to an incident.
// Thread-safety: safe for concurrent use.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/prometheus/prometheus_client.h"
#include "core/clock.h"
#include "core/json.h"
#include "engines/runbook/runbook.h"
#include "registry/procedure.h"
#include "store/database.h"
#include "store/job_repository.h"
#include "store/job_worker.h"

namespace dai::incidents {

struct RunbookServiceOptions {
  std::set<std::string> allowed_executables;  //!< absolute paths commands may start
  size_t max_step_output = 64 * 1024;         //!< bytes of output kept per step
  //! Prometheus for promql steps (not configured: those steps fail, saying so).
  const prometheus::PrometheusClient* prometheus = nullptr;
};

class RunbookService {
 public:
  RunbookService(store::Database& db, store::JobRepository& jobs, const Clock& clock,
                 RunbookServiceOptions options,
                 std::function<void(const std::string&, const std::string&)> publish);

  void RegisterProcedures(ProcedureRegistry& registry);
  //! Registers the `runbook.execute` job kind and re-enqueues executions left unfinished.
  Status AttachWorker(store::JobWorker& worker);
  //! Wakes the worker after enqueueing (set by the app; may be empty).
  void SetNotify(std::function<void()> notify) { notify_ = std::move(notify); }
  //! Runs a `healing` step through the Self-Healing Engine (set by the app): action type,
  //! target, the execution's parameters, the step timeout and the cancellation check → the
  //! step outcome ({status: succeeded|failed, ...}). Unset: healing steps fail saying so.
  using HealingHook =
      std::function<Result<Json>(const std::string& action, const std::string& target,
                                 const std::map<std::string, std::string>& params, Millis timeout,
                                 const std::function<bool()>& cancelled)>;
  void SetHealing(HealingHook hook) { healing_ = std::move(hook); }
  //! Nested `runbook` steps run the named runbook's steps inline, at most this deep.
  static constexpr size_t kMaxNesting = 4;

  Result<Json> Create(const std::string& definition, const Identity& who);
  //! Parses and validates a definition without storing it: {runbook: canonical JSON, warnings:
  //! [{field, message}]} (an executable outside the allow-list, a nested runbook that does not
  //! exist). An invalid definition is the same error createRunbook answers.
  Result<Json> Validate(const std::string& definition);
  Result<Json> Update(int64_t id, const std::string& definition, std::optional<bool> enabled);
  Status Delete(int64_t id);
  Result<Json> Get(int64_t id);
  Result<Json> List(const Json& filter);

  //! Starts an execution. Parameters missing from `parameters` are taken from the incident's
  //! labels of the same name; a declared parameter without a value is INVALID_ARGUMENT.
  //! `require_approval` makes this execution wait for a person's approval of the whole runbook
  //! whatever the runbook says (an action the assistant proposed).
  Result<Json> Execute(int64_t runbook_id, std::optional<int64_t> incident_id, bool dry_run,
                       const std::map<std::string, std::string>& parameters,
                       const std::string& actor, int64_t actor_user_id,
                       bool require_approval = false);
  //! Approves (or rejects) what the execution waits for. The approver must not be the
  //! operator who started it. FAILED_PRECONDITION when it is not awaiting approval.
  Result<Json> Decide(int64_t execution_id, bool approve, const Identity& who,
                      const std::string& note);
  Result<Json> Cancel(int64_t execution_id, const Identity& who);
  Result<Json> GetExecution(int64_t id);
  Result<Json> ListExecutions(const Json& filter);

  //! Starts every enabled auto-execute runbook whose trigger matches the incident.
  Status OnIncidentOpened(int64_t incident_id);

  //! Runs the execution until it finishes or waits for an approval (the job handler).
  Status Run(int64_t execution_id, const std::function<bool()>& cancelled);

 private:
  Status Enqueue(int64_t execution_id);
  Result<Json> RunStep(const runbook::Step& step, const std::map<std::string, std::string>& params,
                       bool dry_run, std::optional<int64_t> incident_id,
                       const std::function<bool()>& cancelled,
                       std::vector<std::string>* stack = nullptr);
  //! A `runbook` step: the named runbook's steps, inline, in order, stopping at the first that
  //! fails. `stack` holds the runbooks being run (outermost first) for the depth limit and
  //! cycle detection. Approval and destructive command steps are refused inside a nested
  //! runbook (they belong to a runbook executed on its own, with its approvals).
  Result<Json> RunNested(const std::string& name, const std::map<std::string, std::string>& params,
                         bool dry_run, std::optional<int64_t> incident_id,
                         const std::function<bool()>& cancelled, std::vector<std::string>& stack);

  store::Database& db_;
  store::JobRepository& jobs_;
  const Clock& clock_;
  RunbookServiceOptions options_;
  std::function<void(const std::string&, const std::string&)> publish_;
  std::function<void()> notify_;
  HealingHook healing_;
};

}  // namespace dai::incidents
