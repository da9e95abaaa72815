#include "adapters/runner/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dai::runner {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

Result<ProcessResult> RunProcess(const ProcessSpec& spec) {
  using Clock = std::chrono::steady_clock;
  if (spec.argv.empty() || spec.argv[0].empty() || spec.argv[0][0] != '/') {
    return Status::InvalidArgument("argv[0] must be an absolute path");
  }
  if (access(spec.argv[0].c_str(), X_OK) != 0) {
    return Status::FailedPrecondition("cannot execute " + spec.argv[0] + ": " +
                                      std::strerror(errno));
  }
  const std::string workdir = spec.workdir.empty() ? "/" : spec.workdir;
  if (access(workdir.c_str(), X_OK) != 0) {
    return Status::FailedPrecondition("working directory " + workdir + ": " + std::strerror(errno));
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0)
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  Fd rd{pipefd[0]}, wr{pipefd[1]};
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  Fd null_fd{devnull};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, devnull, 0);
  posix_spawn_file_actions_adddup2(&fa, wr.fd, 1);
  posix_spawn_file_actions_adddup2(&fa, wr.fd, 2);
  posix_spawn_file_actions_addchdir_np(&fa, workdir.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a timeout kills the children the command started too.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);

  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  const auto t0 = Clock::now();
  const int rc = posix_spawn(&pid, spec.argv[0].c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return Status::FailedPrecondition("cannot start " + spec.argv[0] + ": " + std::strerror(rc));
  close(wr.fd);
  wr.fd = -1;

  ProcessResult out;
  const auto deadline = t0 + spec.timeout;
  Clock::time_point kill_at{};
  bool term_sent = false, kill_sent = false, eof = false;
  int status = 0;
  bool reaped = false;
  char buf[16384];
  while (!reaped) {
    const auto now = Clock::now();
    if (!term_sent) {
      const bool stop_now = spec.cancelled && spec.cancelled();
      if (stop_now || now >= deadline) {
        out.cancelled = stop_now;
        out.timed_out = !stop_now;
        kill(-pid, SIGTERM);
        term_sent = true;
        kill_at = now + std::chrono::seconds(2);
      }
    } else if (!kill_sent && now >= kill_at) {
      kill(-pid, SIGKILL);
      kill_sent = true;
    }
    if (!eof) {
      pollfd p{rd.fd, POLLIN, 0};
      const int n = poll(&p, 1, 50);
      if (n > 0) {
        const ssize_t got = read(rd.fd, buf, sizeof buf);
        if (got > 0) {
          out.output_bytes += static_cast<size_t>(got);
          const size_t room =
              spec.max_output > out.output.size() ? spec.max_output - out.output.size() : 0;
          out.output.append(buf, std::min(room, static_cast<size_t>(got)));
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
          eof = true;
        }
      }
    } else {
      usleep(20'000);
    }
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) reaped = true;
  }
  // Drain what the child wrote before exiting (grandchildren may hold the pipe: bounded).
  for (int i = 0; i < 64 && !eof; ++i) {
    pollfd p{rd.fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) break;
    const ssize_t got = read(rd.fd, buf, sizeof buf);
    if (got <= 0) break;
    out.output_bytes += static_cast<size_t>(got);
    const size_t room =
        spec.max_output > out.output.size() ? spec.max_output - out.output.size() : 0;
    out.output.append(buf, std::min(room, static_cast<size_t>(got)));
  }
  if (term_sent) kill(-pid, SIGKILL);  // whatever of the group is left
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  out.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  return out;
}

}  // namespace dai::runner
