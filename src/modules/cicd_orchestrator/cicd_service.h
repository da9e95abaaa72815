// CicdService: the AI CI/CD Orchestrator's use cases over the store (pipelines, pipeline_runs,
// pipeline_optimizations, test_intelligence, generated_docs), the pure cicd engine and the
// local runner. Runs are durable jobs (kind "cicd.run"): triggerRun commits a queued run and
// its job in one transaction; the job handler clones, runs and records every step; a run
// found 'running' when its job is claimed again was interrupted by a restart and is marked so
// before it runs again. Thread-safety: safe for concurrent use.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "core/clock.h"
#include "core/json.h"
#include "registry/procedure.h"
#include "store/database.h"
#include "store/job_repository.h"

namespace dai::prometheus {
class PrometheusClient;
}

namespace dai::cicd {

struct CicdServiceOptions {
  std::string data_dir;  //!< runs go to data_dir/cicd/runs/<id>/
  std::chrono::milliseconds step_timeout{std::chrono::minutes(10)};
  const prometheus::PrometheusClient* prometheus = nullptr;  //!< for canary queries; may be null
};

class CicdService {
 public:
  CicdService(store::Database& db, const Clock& clock, CicdServiceOptions options,
              std::function<void(const std::string&, const std::string&)> publish);

  //! Declares the cicdOrchestrator.* procedures; `jobs` enqueues runs.
  void RegisterProcedures(ProcedureRegistry& registry, store::JobRepository* jobs);

  //! The "cicd.run" job: runs pipeline run `run_id` to completion. `cancel` is polled.
  Status ExecuteRun(int64_t run_id, const std::atomic<bool>* cancel);

  Result<Json> GeneratePipeline(const std::string& repository, const std::string& format);
  Result<Json> CreatePipeline(const Json& in, const Identity& who);
  Result<Json> ListPipelines(const Json& in);
  Result<Json> GetPipeline(int64_t id);
  Result<Json> TriggerRun(int64_t pipeline_id, const std::string& ref, const std::string& actor,
                          store::JobRepository* jobs);
  Result<Json> GetRun(int64_t id);
  Result<Json> ListRuns(const Json& in);
  Result<Json> IngestJunit(int64_t pipeline_id, const std::string& xml, const std::string& commit);
  Result<Json> TestHealth(int64_t pipeline_id);
  Result<Json> GetOptimizations(std::optional<int64_t> pipeline_id);
  Result<Json> JudgeCanary(const Json& in);
  Result<Json> ReleaseNotes(const std::string& repository, const std::string& from,
                            const std::string& to, const std::string& title);

 private:
  Result<Json> RunRow(int64_t id);
  std::string RunDir(int64_t run_id) const;

  store::Database& db_;
  const Clock& clock_;
  CicdServiceOptions options_;
  std::function<void(const std::string&, const std::string&)> publish_;
};

}  // namespace dai::cicd
