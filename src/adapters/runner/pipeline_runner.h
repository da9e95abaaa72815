// Runs a cicd::Pipeline on this host: clones the repository into a fresh work directory (git
// by argv, with protocols limited), then runs the jobs in dependency order and their steps as
// processes (argv steps directly; imported `run:` scripts written to a file and run by
// /bin/sh — the script is the repository's own text, never composed from values). GitHub
// `uses:` actions are skipped (recorded as skipped). A job whose needs failed is skipped.
// Logs go to a file per run and to a live callback.
// Thread-safety: one RunPipeline call per work directory.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "engines/cicd/pipeline.h"

namespace dai::runner {

struct StepRecord {
  std::string job, step;
  std::vector<std::string> argv;
  std::string status;  //!< succeeded, failed, skipped, timed_out, cancelled
  int exit_code = 0;
  int64_t started_offset_ms = 0;  //!< from the run's start
  int64_t duration_ms = 0;
  uint64_t output_bytes = 0;
  std::string error;  //!< e.g. "cannot run 'foo'"
};

struct PipelineRunOptions {
  std::string source;    //!< repository path or URL to clone
  std::string ref;       //!< branch, tag or commit; empty: the default branch
  std::string work_dir;  //!< created fresh; the checkout goes to work_dir/src
  std::string log_path;  //!< appended; empty: no file
  std::chrono::milliseconds default_step_timeout{std::chrono::minutes(10)};
  size_t max_step_output_bytes = 1u << 20;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(std::string_view)> on_log;    //!< live log lines
  std::function<void(const StepRecord&)> on_step;  //!< after each step
  //! After the checkout (still owned by the server), before the first step: the checkout
  //! directory and its commit.
  std::function<void(const std::string&, const std::string&)> on_checkout;
  //! >= 0 (a server running as root): the work directory is handed to this user and group,
  //! steps run as them with HOME at work_dir/home; git clones as the server.
  int run_uid = -1;
  int run_gid = -1;
};

struct PipelineRunResult {
  std::string status;  //!< succeeded, failed, cancelled
  std::string commit;
  std::string failure;  //!< "job/step: exit 1" for the first failing step
  int64_t duration_ms = 0;
  std::vector<StepRecord> steps;
  Json ToJson() const;
};

//! Clone failures are an error Result naming the source (FAILED_PRECONDITION); step failures
//! are a Result with status "failed". INVALID_ARGUMENT for an invalid pipeline, a source or ref
//! starting with '-', a working directory escaping the checkout.
Result<PipelineRunResult> RunPipeline(const cicd::Pipeline& pipeline,
                                      const PipelineRunOptions& options);

//! Clones `source` at `ref` into `dir` (which must not exist). Used by the runner and by
//! pipeline generation from a URL.
Result<std::string> CloneRepository(const std::string& source, const std::string& ref,
                                    const std::string& dir, std::chrono::milliseconds timeout);

//! Lists the repository's files (relative paths) and reads the ones FilesWorthReading names
//! (at most 256 KiB each), skipping .git.
Result<cicd::RepoSnapshot> SnapshotDirectory(const std::string& dir);

}  // namespace dai::runner
