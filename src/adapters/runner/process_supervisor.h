// ProcessSupervisor: starts and watches the local processes the platform supervises (each a
// name, an argv vector, an optional health check on a TCP port or HTTP URL), reports when one
// exits, and restarts one on request — the single-host target of the self-healing
// `restart_process` action. Processes are started with posix_spawn from argv (never a shell),
// each in its own process group, stdout/stderr appended to a log file.
// The supervisor does not restart a process by itself ("restart policy" never): deciding to
// restart is the healing engine's job, with its cooldowns and limits.
// Thread-safety: all methods may be called from any thread; `on_exit` runs on the monitor
// thread (keep it short; it must not call back into the supervisor synchronously).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "ports/action_executor.h"

namespace dai::runner {

struct SupervisedProcess {
  std::string name;                        //!< letters, digits, '-', '_', '.'
  std::vector<std::string> argv;           //!< argv[0] looked up in PATH when it has no '/'
  std::map<std::string, std::string> env;  //!< added to the inherited environment
  std::string log_file;                    //!< stdout+stderr appended here; empty: /dev/null
  int health_port = 0;                     //!< healthy when 127.0.0.1:port accepts a connection
  std::string health_url;                  //!< or when this URL answers 2xx (loopback allowed)
  std::chrono::milliseconds start_timeout{10000};  //!< to become healthy after a start
};

//! Parses a supervision file (YAML): `processes:` list of {name, argv, env, logFile,
//! healthPort, healthUrl, startTimeoutSeconds}. INVALID_ARGUMENT naming the field.
Result<std::vector<SupervisedProcess>> ParseSupervisionFile(const std::string& yaml_text);

struct ExitInfo {
  pid_t pid = 0;
  int wait_status = 0;
  std::string description;  //!< "exited with status 1" / "killed by signal 9"
};

class ProcessSupervisor {
 public:
  using ExitCallback = std::function<void(const std::string& name, const ExitInfo& info)>;

  //! INVALID_ARGUMENT for a bad or duplicate name or an empty argv.
  static Result<std::unique_ptr<ProcessSupervisor>> Create(std::vector<SupervisedProcess> processes,
                                                           ExitCallback on_exit = {});
  ~ProcessSupervisor();  //!< stops every process (SIGTERM, then SIGKILL after 3 s)
  ProcessSupervisor(const ProcessSupervisor&) = delete;
  ProcessSupervisor& operator=(const ProcessSupervisor&) = delete;

  //! Starts every process that is not running and waits until each is healthy. The first
  //! failure is returned (the others are still started).
  Status StartAll();
  //! Starts `name` if it is not running and waits for health. NOT_FOUND for an unknown name;
  //! FAILED_PRECONDITION (with the exit description and the log tail) when it exits during
  //! start; DEADLINE_EXCEEDED when it is not healthy within start_timeout.
  Status Start(const std::string& name);
  //! Stops `name` if running (SIGTERM to its group, SIGKILL after `grace`), then Start.
  //! Returns {"previousPid", "pid", "healthyAfterMs"}.
  Result<Json> Restart(const std::string& name,
                       std::chrono::milliseconds grace = std::chrono::seconds(3));
  //! Stops `name` (no exit callback for a stop we asked for).
  Status Stop(const std::string& name, std::chrono::milliseconds grace = std::chrono::seconds(3));
  void StopAll();
  //! [{name, running, pid, restarts, lastExit, argv, healthPort, healthUrl}]
  Json List() const;
  //! One entry of List(); NOT_FOUND for an unknown name.
  Result<Json> Describe(const std::string& name) const;
  //! True when the health check passes now (or, without one, when the process runs).
  bool Healthy(const std::string& name) const;

 private:
  struct Entry {
    SupervisedProcess spec;
    pid_t pid = -1;
    int restarts = 0;
    bool stopping = false;  //!< an exit we asked for
    std::optional<ExitInfo> last_exit;
  };
  ProcessSupervisor(std::vector<SupervisedProcess> processes, ExitCallback on_exit);
  Status StartLocked(std::unique_lock<std::mutex>& lock, Entry& e);
  void StopLocked(std::unique_lock<std::mutex>& lock, Entry& e, std::chrono::milliseconds grace);
  bool CheckHealth(const SupervisedProcess& spec) const;
  void MonitorMain();
  //! Reaps `e` if it exited; records last_exit; returns true when it did.
  bool ReapLocked(Entry& e, bool notify);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;
  ExitCallback on_exit_;
  std::vector<std::pair<std::string, ExitInfo>> pending_callbacks_;
  bool stopping_ = false;
  std::thread monitor_;
};

//! `restart_process`: restarts the supervised process named by the target.
class ProcessRestartExecutor final : public ActionExecutor {
 public:
  explicit ProcessRestartExecutor(ProcessSupervisor* supervisor) : supervisor_(supervisor) {}
  Result<Json> Execute(const ActionRequest& request) override;
  Result<Json> DryRun(const ActionRequest& request) override;

 private:
  ProcessSupervisor* supervisor_;  //!< may be null: no processes are supervised
};

//! `restart_service`: `systemctl restart -- UNIT`, then `systemctl is-active --quiet -- UNIT`,
//! both from argv with a timeout. FAILED_PRECONDITION when systemd is not running here
//! (no /run/systemd/system) unless `systemctl_path` is set explicitly (tests).
class SystemdRestartExecutor final : public ActionExecutor {
 public:
  explicit SystemdRestartExecutor(std::string systemctl_path = "",
                                  std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : systemctl_path_(std::move(systemctl_path)), timeout_(timeout) {}
  Result<Json> Execute(const ActionRequest& request) override;
  Result<Json> DryRun(const ActionRequest& request) override;

 private:
  Result<std::string> Systemctl() const;
  std::string systemctl_path_;
  std::chrono::milliseconds timeout_;
};

//! Runs argv to completion with a timeout (SIGKILL to its group on expiry); returns the wait
//! status and up to 64 KiB of combined output. Never uses a shell.
struct CommandResult {
  int wait_status = 0;
  bool timed_out = false;
  std::string output;
  bool Succeeded() const;
};
Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout);

}  // namespace dai::runner
