// Process harness for integration tests: starts real programs (prometheus, node_exporter,
// devops-ai ...) from argv arrays (fork/exec, never a shell string), finds free loopback
// ports, and waits for an HTTP endpoint with a deadline. A ChildProcess is killed when it goes
// out of scope, so a failing test never leaves processes behind.
// Thread-safety: a ChildProcess is owned by one thread; the free functions are thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "adapters/http/http_client.h"
#include "core/status.h"

namespace dai::testing {

class ChildProcess {
 public:
  struct Options {
    //! Added to (or replacing in) the inherited environment.
    std::map<std::string, std::string> env;
    //! stdout and stderr are appended here; empty: inherited.
    std::string log_file;
    //! Working directory; empty: inherited.
    std::string cwd;
  };

  //! Starts argv[0] (looked up in PATH when it has no '/'). INVALID_ARGUMENT for an empty
  //! argv; INTERNAL when fork fails; FAILED_PRECONDITION (with the errno text) when exec fails,
  //! which is detected before Start returns.
  static Result<ChildProcess> Start(std::vector<std::string> argv, Options options = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  //! SIGKILLs and reaps the process if it is still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  //! True while the process has not exited (reaps it when it has).
  bool Running();
  //! The exit status from waitpid once exited, -1 before.
  int wait_status() const { return wait_status_; }
  //! Sends `signal`, waits up to `timeout` for exit, then SIGKILLs. OK when the process is
  //! gone (also when it had already exited); DEADLINE_EXCEEDED if even SIGKILL did not reap it.
  Status Stop(int signal = 15, std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  ChildProcess(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  pid_t pid_ = -1;
  std::string name_;
  int wait_status_ = -1;
};

//! A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
Result<uint16_t> FreeLoopbackPort();

//! Polls `url` with GET (loopback allowed) until `predicate` accepts a response or `deadline`
//! passes. DEADLINE_EXCEEDED naming the URL and the last error or status.
Status WaitForHttp(const std::string& url,
                   const std::function<bool(const http::HttpClientResponse&)>& predicate,
                   std::chrono::steady_clock::time_point deadline,
                   std::chrono::milliseconds interval = std::chrono::milliseconds(100));

//! Polls until a TCP connection to 127.0.0.1:`port` succeeds or `deadline` passes
//! (DEADLINE_EXCEEDED naming the port).
Status WaitForTcpPort(uint16_t port, std::chrono::steady_clock::time_point deadline);

//! Runs argv to completion (harness rules: no shell, output to `log_file` when set) within
//! `timeout`. OK on exit status 0; INTERNAL naming the program and status otherwise;
//! DEADLINE_EXCEEDED (after killing it) on timeout.
Status RunToCompletion(std::vector<std::string> argv, const std::string& log_file = "",
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

//! A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "dai-it");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

//! Writes `content` to `path` (truncating). INTERNAL naming the path on failure.
Status WriteFile(const std::string& path, const std::string& content);
//! The whole file, or "" when unreadable (for showing logs on failure).
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace dai::testing
