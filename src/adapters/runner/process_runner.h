// ProcessRunner: runs one executable from an argv vector (posix_spawn, never a shell), with a
// working directory, an explicit environment (nothing inherited), a timeout, a cap on the
// captured output (stdout and stderr interleaved) and cancellation. On timeout or cancel the
// child gets SIGTERM, then SIGKILL after a grace period.
// Thread-safety: Run is reentrant; each call owns its child.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace dai::runner {

struct ProcessSpec {
  std::vector<std::string> argv;           //!< argv[0] is an absolute path
  std::string workdir;                     //!< empty: "/"
  std::map<std::string, std::string> env;  //!< the child's whole environment
  std::chrono::milliseconds timeout{60'000};
  size_t max_output = 64 * 1024;    //!< bytes kept; the rest is counted and dropped
  std::function<bool()> cancelled;  //!< polled; true stops the child
};

struct ProcessResult {
  int exit_code = -1;  //!< -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;
  bool cancelled = false;
  std::string output;
  size_t output_bytes = 0;  //!< total produced, including what was dropped
  std::chrono::milliseconds duration{0};
  bool ok() const { return exit_code == 0 && !timed_out && !cancelled; }
};

//! Runs the process to completion. An error only when it could not be started (the
//! executable is missing or not executable, the working directory does not exist).
Result<ProcessResult> RunProcess(const ProcessSpec& spec);

}  // namespace dai::runner
