// CicdService: the AI CI/CD Orchestrator's use cases over the store (pipelines, pipeline_runs,
// pipeline_optimizations, test_intelligence, generated_docs), the pure cicd engine and the
// local runner. Runs are durable jobs (kind "cicd.run"): triggerRun commits a queued run and
// its job in one transaction; the job handler clones, runs and records every step; a run
// found 'running' when its job is claimed again was interrupted (its process stopped): it is
// closed as failed, its finished steps kept, the step that was running recorded as
// interrupted, and never run again under that run (a new run is triggerRun). Thread-safety:
// safe for concurrent use.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/json.h"
#include "ports/narrator.h"
#include "registry/procedure.h"
#include "store/database.h"
#include "store/job_repository.h"

namespace dai::cicd {
struct Pipeline;
}
namespace dai::prometheus {
class PrometheusClient;
}
namespace dai::kube {
class KubeClient;
}
namespace dai::gitops {
class ArgoCdClient;
}

namespace dai::cicd {

struct CicdServiceOptions {
  std::string data_dir;  //!< run logs go to data_dir/cicd/runs/<id>/log.txt
  //! Run workspaces (checkouts, step scripts) go to runs_dir/<id>/, outside the server's own
  //! directories. Empty: "<data_dir>-runs", a sibling of the data directory.
  std::string runs_dir;
  //! When the server runs as root, steps run as this user (and its primary group). Empty:
  //! never drop (not recommended).
  std::string run_user = "nobody";
  std::chrono::milliseconds step_timeout{std::chrono::minutes(10)};
  const prometheus::PrometheusClient* prometheus = nullptr;  //!< for canary queries; may be null
  //! Auto-rollback through Self-Healing: requests healing action `action` on `target` through
  //! the enabled healing rule that allows it (its approval, limits and cooldown apply), with
  //! `labels` on the signal and `evidence` (the canary verdict) recorded on the action. Returns
  //! the decision ({id, verdict, reason, rule, target}). Empty: a canary that fails with a
  //! rollback configured reports that Self-Healing is not available.
  std::function<Result<Json>(const std::string& action, const std::string& target,
                             const std::map<std::string, std::string>& labels,
                             const Json& evidence)>
      request_healing;
  std::shared_ptr<const gitops::ArgoCdClient> argocd;  //!< null: Argo CD is not configured
  std::shared_ptr<const kube::KubeClient> kube;        //!< Flux's objects; null: no cluster
};

//! The healing actions a canary may roll back with.
inline constexpr const char* kRollbackActions[] = {"rollback", "run_runbook", "argocd_rollback"};

//! Validates a pipeline's deploy targets ([{name, rollback?: {action, target}}]): names unique
//! and non-empty, actions among kRollbackActions, targets non-empty. Returns them normalised.
Result<Json> CheckDeployTargets(const Json& targets);

class CicdService {
 public:
  CicdService(store::Database& db, const Clock& clock, CicdServiceOptions options,
              std::function<void(const std::string&, const std::string&)> publish);

  //! INVALID_ARGUMENT naming the setting when runs_dir lies inside the data directory (or it
  //! inside runs_dir), or when run_user does not exist while running as root.
  Status CheckSettings() const;
  const std::string& runs_dir() const { return options_.runs_dir; }

  //! Declares the cicdOrchestrator.* procedures; `jobs` enqueues runs.
  void RegisterProcedures(ProcedureRegistry& registry, store::JobRepository* jobs);

  //! The "cicd.run" job: runs pipeline run `run_id` to completion. `cancel` is polled.
  Status ExecuteRun(int64_t run_id, const std::atomic<bool>* cancel);

  //! The generated pipeline (deterministic: the oracle). With a narrator (an LLM) and `refine`,
  //! `refinement` holds the model's suggested rearrangement when it validates and passes
  //! cicd::CheckRefinement, or why it was rejected; the generated definition is kept either way.
  Result<Json> GeneratePipeline(const std::string& repository, const std::string& format,
                                bool refine = true);
  Result<Json> CreatePipeline(const Json& in, const Identity& who);
  Result<Json> ListPipelines(const Json& in);
  Result<Json> GetPipeline(int64_t id);
  Result<Json> TriggerRun(int64_t pipeline_id, const std::string& ref, const std::string& actor,
                          store::JobRepository* jobs);
  Result<Json> GetRun(int64_t id);
  //! Cancels a queued run at once, or stops a running one (its step's process group is
  //! killed; on another process, at its job's next lease renewal). FAILED_PRECONDITION when
  //! the run already finished.
  Result<Json> CancelRun(int64_t id, const std::string& actor);
  Result<Json> ListRuns(const Json& in);
  Result<Json> IngestJunit(int64_t pipeline_id, const std::string& xml, const std::string& commit);
  Result<Json> TestHealth(int64_t pipeline_id);
  //! Test selection for a change: `runId` (its recorded change, ranked from the history before
  //! it), `changedFiles`, or a commit range `from`..`to` of the pipeline's repository; within
  //! `budgetSeconds` (absent or 0: every test, ranked). History: the pipeline's JUnit outcomes
  //! (test_intelligence) joined by commit to its runs' changed files.
  Result<Json> SelectTests(const Json& in);
  Result<Json> GetOptimizations(std::optional<int64_t> pipeline_id);
  //! With `rollback` ({action, target}) or `pipelineId` + `deployTarget` (the pipeline's
  //! deploy target's rollback), a failing verdict requests that rollback through Self-Healing
  //! (options.request_healing); the answer's `autoRollback` says what was decided and why.
  Result<Json> JudgeCanary(const Json& in);
  //! Replaces a pipeline's definition and/or deploy targets (each {name, rollback?}).
  Result<Json> UpdatePipeline(const Json& in);
  //! The pipeline editor's round trip: a definition (our model) or GitHub Actions YAML, checked
  //! for structure (ids, needs, cycles), as {format, yaml, definition}.
  Result<Json> ExportPipeline(const Json& in);
  //! GitOps (gitops_procedures.cc): status, sync / reconcile, rollback (Argo CD), suspend
  //! (Flux). FAILED_PRECONDITION naming the setting when the provider is not configured.
  Result<Json> GitopsStatus(const Json& in);
  Result<Json> GitopsSync(const Json& in);
  Result<Json> GitopsRollback(const Json& in);
  Result<Json> GitopsSuspend(const Json& in);
  //! With a narrator (an LLM), a "Summary" written from the parsed commits is added after the
  //! title and labelled with the model; otherwise (or when it fails) the notes are the
  //! deterministic ones and `narrative` says why.
  Result<Json> ReleaseNotes(const std::string& repository, const std::string& from,
                            const std::string& to, const std::string& title);
  //! The narrator for release-note summaries and pipeline refinement (may be null; must outlive
  //! the service).
  void SetNarrator(Narrator* narrator) { narrator_ = narrator; }

 private:
  Result<Json> RunRow(int64_t id);
  std::string RunDir(int64_t run_id) const;
  //! Ends a run found 'running' when its job started again (its process stopped mid-run).
  Status CloseInterruptedRun(int64_t run_id, const Result<cicd::Pipeline>& pipeline);
  //! Records a run's outcome and refreshes its pipeline's aggregates, in one transaction.
  Status FinishRun(int64_t run_id, int64_t pid, const std::string& status, const Json& steps,
                   const store::Param& commit, const store::Param& failure, int64_t duration,
                   const std::string& log_path, TimePoint end);
  std::string WorkDir(int64_t run_id) const;
  //! Features of the checked-out change and the failure prediction trained on the pipeline's
  //! earlier runs; stored on the run row.
  void RecordPrediction(int64_t run_id, int64_t pipeline_id, const std::string& checkout);
  std::optional<int64_t> JobOfRun(int64_t run_id);
  //! The rollback a canary judgement asks for (canary_rollback.cc): in["rollback"], or the
  //! rollback of in["deployTarget"] of pipeline in["pipelineId"]; null Json when none.
  Result<Json> CanaryRollbackTarget(const Json& in);
  //! Requests `target`'s rollback through Self-Healing when `verdict` failed.
  Json AutoRollback(const Json& target, const Json& verdict, const Json& in);
  void RegisterGitopsProcedures(ProcedureRegistry& registry);
  Status NeedArgo() const;
  Status NeedFlux() const;

  store::Database& db_;
  const Clock& clock_;
  CicdServiceOptions options_;
  std::function<void(const std::string&, const std::string&)> publish_;
  Narrator* narrator_ = nullptr;
  store::JobRepository* jobs_ = nullptr;
  std::mutex active_mu_;
  std::map<int64_t, std::shared_ptr<std::atomic<bool>>> active_;  //!< runs executing here
};

}  // namespace dai::cicd
