#include "process_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace dai::testing {
namespace {

using std::chrono::milliseconds;

}  // namespace

Result<ChildProcess> ChildProcess::Start(std::vector<std::string> argv, Options options) {
  if (argv.empty()) return Status::InvalidArgument("ChildProcess::Start: empty argv");
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string name(entry.substr(0, entry.find('=')));
    if (!options.env.count(name)) env_strings.emplace_back(entry);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int log_fd = -1;
  if (!options.log_file.empty()) {
    log_fd = open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      return Status::Internal("cannot open log file " + options.log_file + ": " +
                              std::strerror(errno));
    }
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    if (log_fd >= 0) close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return Status::Internal(std::string("pipe2: ") + std::strerror(errno));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    if (log_fd >= 0) close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return Status::Internal(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    // Child. Its own process group, and killed if the test process dies without cleaning up.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    if (log_fd >= 0) {
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
    }
    int err = 0;
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) {
      err = errno;
    } else {
      execvpe(args[0], args.data(), envp.data());
      err = errno;
    }
    ssize_t ignored = write(pipe_fds[1], &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  close(pipe_fds[1]);
  if (log_fd >= 0) close(log_fd);
  if (null_fd >= 0) close(null_fd);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(pipe_fds[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(pipe_fds[0]);
  if (n > 0) {
    waitpid(pid, nullptr, 0);
    return Status::FailedPrecondition("cannot start " + argv[0] +
                                      (options.cwd.empty() ? "" : " in " + options.cwd) + ": " +
                                      std::strerror(child_errno));
  }
  return ChildProcess(pid, argv[0]);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      name_(std::move(other.name_)),
      wait_status_(other.wait_status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) (void)Stop(SIGKILL, milliseconds(0));
    pid_ = std::exchange(other.pid_, -1);
    name_ = std::move(other.name_);
    wait_status_ = other.wait_status_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) (void)Stop(SIGKILL, milliseconds(0));
}

bool ChildProcess::Running() {
  if (pid_ <= 0 || wait_status_ != -1) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    wait_status_ = status;
    return false;
  }
  return r == 0;
}

Status ChildProcess::Stop(int signal, milliseconds timeout) {
  if (pid_ <= 0) return Status::Ok();
  if (!Running()) {
    kill(-pid_, SIGKILL);  // anything the process left in its group
    pid_ = -1;
    return Status::Ok();
  }
  kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  if (Running()) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status = 0;
    pid_t r = -1;
    for (int i = 0; i < 500 && (r = waitpid(pid_, &status, WNOHANG)) == 0; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (r != pid_) {
      return Status::DeadlineExceeded(name_ + " (pid " + std::to_string(pid_) +
                                      ") survived SIGKILL for 5 s");
    }
    wait_status_ = status;
  }
  kill(-pid_, SIGKILL);
  pid_ = -1;
  return Status::Ok();
}

Result<uint16_t> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Internal(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int err = errno;
    close(fd);
    return Status::Internal(std::string("bind 127.0.0.1:0: ") + std::strerror(err));
  }
  close(fd);
  return static_cast<uint16_t>(ntohs(a.sin_port));
}

Status WaitForHttp(const std::string& url,
                   const std::function<bool(const http::HttpClientResponse&)>& predicate,
                   std::chrono::steady_clock::time_point deadline, milliseconds interval) {
  http::HttpClientOptions options;
  options.policy = http::OutboundPolicy::AllowLocal();
  options.connect_timeout = milliseconds(500);
  options.total_timeout = milliseconds(2000);
  http::HttpClient client(options);
  std::string last = "no attempt";
  while (true) {
    auto r = client.Send({.method = "GET", .url = url, .headers = {}, .body = {}, .timeout = {}});
    if (r.ok()) {
      if (predicate(*r)) return Status::Ok();
      last = "HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 200);
    } else {
      last = r.status().ToString();
    }
    if (std::chrono::steady_clock::now() + interval >= deadline) break;
    std::this_thread::sleep_for(interval);
  }
  return Status::DeadlineExceeded("waiting for " + url + " timed out; last answer: " + last);
}

Status WaitForTcpPort(uint16_t port, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status::Internal(std::string("socket: ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (connected) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::DeadlineExceeded("nothing listened on 127.0.0.1:" + std::to_string(port) +
                                      " before the deadline");
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

Status RunToCompletion(std::vector<std::string> argv, const std::string& log_file,
                       milliseconds timeout) {
  const std::string name = argv.empty() ? "" : argv[0];
  DAI_ASSIGN_OR_RETURN(
      ChildProcess child,
      ChildProcess::Start(std::move(argv), {.env = {}, .log_file = log_file, .cwd = {}}));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (child.Running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)child.Stop(SIGKILL, milliseconds(0));
      return Status::DeadlineExceeded(name + " did not finish within " +
                                      std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  const int status = child.wait_status();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  return Status::Internal(name + " failed with " +
                          (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                             : "signal " + std::to_string(WTERMSIG(status))));
}

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return Status::Internal("cannot write " + path);
  return Status::Ok();
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace dai::testing
