// StepProcess (the pipeline runner's process primitive; ProcessRunner in process_runner.h is the
// runbook one: absolute argv[0], explicit env). Runs one program as a child process from an argv
// vector (execvp: no shell ever parses a value), in a working directory, with extra environment
// variables, a timeout, cancellation, and its combined stdout/stderr captured up to a byte limit
// (the rest is counted and dropped, so a step that prints gigabytes cannot exhaust memory). The
// child leads its own process group; on timeout or cancellation the whole group gets SIGTERM, then
// SIGKILL after a grace period. Thread-safety: RunStepProcess may be called from several threads at
// once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::runner {

struct StepProcessSpec {
  std::vector<std::string> argv;           //!< argv[0] is looked up on PATH
  std::string cwd;                         //!< must exist
  std::map<std::string, std::string> env;  //!< added to (or replacing in) the inherited env
  //! false: the child sees only PATH, HOME, USER, LANG, TMPDIR of ours plus `env` (pipeline
  //! steps never see the server's own environment: tokens, database URLs, test contexts).
  bool inherit_env = true;
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds kill_grace{std::chrono::seconds(2)};
  size_t max_output_bytes = 4u << 20;
  const std::atomic<bool>* cancel = nullptr;  //!< checked every 50 ms when set
  //! Called with each chunk of output as it arrives (live logs); may be empty.
  std::function<void(std::string_view)> on_output;
  //! true: on_output gets every byte, also beyond max_output_bytes (a follower such as
  //! `journalctl --follow` that runs for days and keeps nothing in `output`).
  bool stream_all_output = false;
  //! >= 0: the child drops to this group (supplementary groups cleared) and user before exec
  //! (a server started as root runs pipeline steps as an unprivileged user). A drop that fails
  //! fails the start (NOT_FOUND naming the reason); the step never runs with our privileges.
  int run_gid = -1;
  int run_uid = -1;
};

struct StepProcessOutcome {
  int exit_code = -1;  //!< -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;
  bool cancelled = false;
  std::string output;         //!< up to max_output_bytes
  uint64_t output_bytes = 0;  //!< everything the child wrote
  int64_t duration_ms = 0;
  bool ok() const { return exit_code == 0 && !timed_out && !cancelled; }
};

//! INVALID_ARGUMENT for an empty argv or a NUL in an argument; NOT_FOUND when the program
//! cannot be executed (the message names it); INTERNAL when fork/pipe fail. A program that
//! runs and fails is an OK Result with a non-zero exit_code.
Result<StepProcessOutcome> RunStepProcess(const StepProcessSpec& spec);

}  // namespace dai::runner
