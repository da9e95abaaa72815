#include "adapters/runner/step_process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace dai::runner {

namespace {

using Clock = std::chrono::steady_clock;

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Result<StepProcessOutcome> RunStepProcess(const StepProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty())
    return Status::InvalidArgument("process: empty argv");
  for (const auto& a : spec.argv)
    if (a.find('\0') != std::string::npos)
      return Status::InvalidArgument("process: an argument contains NUL");
  // Everything the child needs is prepared before fork (no allocation after it).
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::map<std::string, std::string> env_map;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string key = kv.substr(0, eq);
    if (!spec.inherit_env && key != "PATH" && key != "HOME" && key != "USER" && key != "LANG" &&
        key != "TMPDIR")
      continue;
    env_map[key] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : spec.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  }
  const auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    return Status::Internal(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(out_pipe[1], 2);
    // Reset signal dispositions the server may have changed.
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
      int e = errno;
      (void)!::write(err_pipe[1], &e, sizeof e);
      ::_exit(127);
    }
    if (spec.run_gid >= 0 &&
        (::setgroups(0, nullptr) != 0 || ::setgid(static_cast<gid_t>(spec.run_gid)) != 0)) {
      int e = errno;
      (void)!::write(err_pipe[1], &e, sizeof e);
      ::_exit(127);
    }
    if (spec.run_uid >= 0 && ::setuid(static_cast<uid_t>(spec.run_uid)) != 0) {
      int e = errno;
      (void)!::write(err_pipe[1], &e, sizeof e);
      ::_exit(127);
    }
    environ = envp.data();
    ::execvp(argv[0], argv.data());
    int e = errno;
    (void)!::write(err_pipe[1], &e, sizeof e);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, to close the race with the kill below
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  int exec_errno = 0;
  bool exec_failed = false;
  StepProcessOutcome outcome;
  bool term_sent = false;
  Clock::time_point kill_at{};
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd fds[2];
    int n = 0;
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    int rc = ::poll(fds, static_cast<nfds_t>(n), 50);
    if (rc < 0 && errno != EINTR) break;
    for (int i = 0; i < n && rc > 0; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (fds[i].fd == err_fd) {
        ssize_t r = ::read(err_fd, &exec_errno, sizeof exec_errno);
        if (r == static_cast<ssize_t>(sizeof exec_errno)) exec_failed = true;
        CloseFd(err_fd);
        continue;
      }
      ssize_t r = ::read(out_fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        CloseFd(out_fd);
        continue;
      }
      outcome.output_bytes += static_cast<uint64_t>(r);
      size_t room = spec.max_output_bytes > outcome.output.size()
                        ? spec.max_output_bytes - outcome.output.size()
                        : 0;
      size_t keep = std::min(room, static_cast<size_t>(r));
      if (keep) outcome.output.append(buf, keep);
      const size_t live = spec.stream_all_output ? static_cast<size_t>(r) : keep;
      if (live && spec.on_output) spec.on_output(std::string_view(buf, live));
    }
    const auto now = Clock::now();
    bool cancel = spec.cancel && spec.cancel->load();
    if (!term_sent && (now - start >= spec.timeout || cancel)) {
      (cancel ? outcome.cancelled : outcome.timed_out) = true;
      ::kill(-pid, SIGTERM);
      term_sent = true;
      kill_at = now + spec.kill_grace;
    }
    if (term_sent && now >= kill_at) {
      ::kill(-pid, SIGKILL);
      // The group may keep the pipe open through a stray grandchild; stop reading.
      CloseFd(out_fd);
      CloseFd(err_fd);
    }
  }
  CloseFd(out_fd);
  CloseFd(err_fd);
  // Wait for the child without reaping it (its zombie keeps the process group id ours), still
  // honouring the timeout and cancellation when it closed its output but runs on.
  for (;;) {
    siginfo_t info{};
    int w = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (w == 0 && info.si_pid == pid) break;
    if (w < 0 && errno != EINTR) break;
    const auto now = Clock::now();
    bool cancel = spec.cancel && spec.cancel->load();
    if (!term_sent && (now - start >= spec.timeout || cancel)) {
      (cancel ? outcome.cancelled : outcome.timed_out) = true;
      ::kill(-pid, SIGTERM);
      term_sent = true;
      kill_at = now + spec.kill_grace;
    }
    if (term_sent && now >= kill_at) ::kill(-pid, SIGKILL);
    ::usleep(20000);
  }
  // Leftover members of the group (daemons started by the step) do not outlive it.
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  if (exec_failed)
    return Status::NotFound("cannot run '" + spec.argv[0] + "': " + std::strerror(exec_errno) +
                            (spec.cwd.empty() ? "" : " (in " + spec.cwd + ")"));
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
    outcome.exit_code = -1;
  }
  return outcome;
}

}  // namespace dai::runner
