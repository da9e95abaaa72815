#include "adapters/runner/process_supervisor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "core/yaml_input.h"

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "adapters/http/http_client.h"

extern char** environ;

namespace dai::runner {
namespace {

using Clock = std::chrono::steady_clock;

bool SafeName(const std::string& n) {
  if (n.empty() || n.size() > 128 || n[0] == '-') return false;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

std::string DescribeWait(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) +
           (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended (wait status " + std::to_string(status) + ")";
}

std::string LogTail(const std::string& path, size_t max_bytes = 2000) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(std::max<std::streamoff>(0, in.tellg()));
  const size_t from = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return out;
}

bool TcpAccepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    ok = true;
  } else if (errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 500) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ok = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
  }
  close(fd);
  return ok;
}

// posix_spawn from argv; stdout+stderr to `log_file` (or /dev/null), stdin from /dev/null, in a
// new process group, default signal dispositions and an empty mask.
Result<pid_t> Spawn(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& env, const std::string& log_file,
                    int output_fd = -1) {
  if (argv.empty() || argv[0].empty()) return Status::InvalidArgument("argv: must not be empty");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (output_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, log_file.empty() ? "/dev/null" : log_file.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0640);
  }
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string::npos && env.count(kv.substr(0, eq))) continue;
    env_strings.push_back(std::move(kv));
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Status::FailedPrecondition("cannot start \"" + argv[0] + "\": " + std::strerror(rc));
  }
  return pid;
}

}  // namespace

bool CommandResult::Succeeded() const {
  return !timed_out && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  auto pid = Spawn(argv, {}, "", fds[1]);
  close(fds[1]);
  if (!pid.ok()) {
    close(fds[0]);
    return pid.status();
  }
  CommandResult out;
  const auto deadline = Clock::now() + timeout;
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  bool eof = false;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(*pid, &status, WNOHANG);
    if (!eof) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fds[0], buf, sizeof buf)) > 0) {
        if (out.output.size() < 65536)
          out.output.append(buf, static_cast<size_t>(std::min<ssize_t>(n, 65536)));
      }
      if (n == 0) eof = true;
    }
    if (r == *pid) {
      out.wait_status = status;
      break;
    }
    if (Clock::now() >= deadline) {
      kill(-*pid, SIGKILL);
      waitpid(*pid, &status, 0);
      out.wait_status = status;
      out.timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    poll(&p, 1, 20);
  }
  close(fds[0]);
  if (out.output.size() > 65536) out.output.resize(65536);
  return out;
}

Result<std::vector<SupervisedProcess>> ParseSupervisionFile(const std::string& yaml_text) {
  DAI_RETURN_IF_ERROR(CheckYamlInput(yaml_text, "supervision file"));
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Status::ParseError(std::string("supervision file: ") + e.what());
  }
  if (!root.IsMap() || !root["processes"] || !root["processes"].IsSequence()) {
    return Status::InvalidArgument("supervision file: expected a top-level \"processes:\" list");
  }
  std::vector<SupervisedProcess> out;
  std::set<std::string> names;
  try {
    size_t idx = 0;
    for (const auto& node : root["processes"]) {
      const std::string where = "processes[" + std::to_string(idx++) + "]";
      if (!node.IsMap()) return Status::InvalidArgument(where + ": expected a map");
      for (const auto& kv : node) {
        static const std::set<std::string> kKeys = {
            "name", "argv", "env", "logFile", "healthPort", "healthUrl", "startTimeoutSeconds"};
        if (!kKeys.count(kv.first.as<std::string>())) {
          return Status::InvalidArgument(where + "." + kv.first.as<std::string>() +
                                         ": unknown key");
        }
      }
      SupervisedProcess p;
      p.name = node["name"] ? node["name"].as<std::string>() : "";
      if (!SafeName(p.name))
        return Status::InvalidArgument(where + ".name: letters, digits, '-', '_', '.'");
      if (!names.insert(p.name).second)
        return Status::InvalidArgument(where + ".name: duplicate \"" + p.name + "\"");
      if (!node["argv"] || !node["argv"].IsSequence() || node["argv"].size() == 0) {
        return Status::InvalidArgument(where +
                                       ".argv: a non-empty list of strings (no shell is used)");
      }
      for (const auto& a : node["argv"]) p.argv.push_back(a.as<std::string>());
      if (node["env"]) {
        if (!node["env"].IsMap()) return Status::InvalidArgument(where + ".env: a map of strings");
        for (const auto& kv : node["env"])
          p.env[kv.first.as<std::string>()] = kv.second.as<std::string>();
      }
      if (node["logFile"]) p.log_file = node["logFile"].as<std::string>();
      if (node["healthPort"]) {
        p.health_port = node["healthPort"].as<int>();
        if (p.health_port < 1 || p.health_port > 65535)
          return Status::InvalidArgument(where + ".healthPort: 1..65535");
      }
      if (node["healthUrl"]) p.health_url = node["healthUrl"].as<std::string>();
      if (node["startTimeoutSeconds"]) {
        const int s = node["startTimeoutSeconds"].as<int>();
        if (s < 1 || s > 600)
          return Status::InvalidArgument(where + ".startTimeoutSeconds: 1..600");
        p.start_timeout = std::chrono::seconds(s);
      }
      out.push_back(std::move(p));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("supervision file: ") + e.what());
  }
  return out;
}

Result<std::unique_ptr<ProcessSupervisor>> ProcessSupervisor::Create(
    std::vector<SupervisedProcess> processes, ExitCallback on_exit) {
  std::set<std::string> names;
  for (const auto& p : processes) {
    if (!SafeName(p.name))
      return Status::InvalidArgument("process name \"" + p.name +
                                     "\": letters, digits, '-', '_', '.'");
    if (!names.insert(p.name).second)
      return Status::InvalidArgument("duplicate process name \"" + p.name + "\"");
    if (p.argv.empty() || p.argv[0].empty())
      return Status::InvalidArgument("process \"" + p.name + "\": empty argv");
  }
  return std::unique_ptr<ProcessSupervisor>(
      new ProcessSupervisor(std::move(processes), std::move(on_exit)));
}

ProcessSupervisor::ProcessSupervisor(std::vector<SupervisedProcess> processes, ExitCallback on_exit)
    : on_exit_(std::move(on_exit)) {
  for (auto& p : processes) {
    Entry e;
    e.spec = std::move(p);
    entries_.emplace(e.spec.name, std::move(e));
  }
  monitor_ = std::thread([this] { MonitorMain(); });
}

ProcessSupervisor::~ProcessSupervisor() {
  StopAll();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (monitor_.joinable()) monitor_.join();
}

bool ProcessSupervisor::ReapLocked(Entry& e, bool notify) {
  if (e.pid <= 0) return false;
  int status = 0;
  const pid_t r = waitpid(e.pid, &status, WNOHANG);
  if (r != e.pid) return false;
  ExitInfo info{e.pid, status, DescribeWait(status)};
  e.last_exit = info;
  e.pid = -1;
  if (notify && !e.stopping && on_exit_) pending_callbacks_.emplace_back(e.spec.name, info);
  return true;
}

void ProcessSupervisor::MonitorMain() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    for (auto& [name, e] : entries_) ReapLocked(e, true);
    if (!pending_callbacks_.empty()) {
      auto calls = std::move(pending_callbacks_);
      pending_callbacks_.clear();
      lock.unlock();
      for (const auto& [name, info] : calls) on_exit_(name, info);
      lock.lock();
      continue;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(25));
  }
}

bool ProcessSupervisor::CheckHealth(const SupervisedProcess& spec) const {
  if (spec.health_port > 0) return TcpAccepts(spec.health_port);
  if (!spec.health_url.empty()) {
    http::HttpClientOptions options;
    options.policy = http::OutboundPolicy::AllowLocal();
    options.connect_timeout = std::chrono::milliseconds(500);
    options.total_timeout = std::chrono::milliseconds(2000);
    http::HttpClient client(options);
    auto r = client.Send(
        {.method = "GET", .url = spec.health_url, .headers = {}, .body = {}, .timeout = {}});
    return r.ok() && r->status >= 200 && r->status < 300;
  }
  return true;
}

Status ProcessSupervisor::StartLocked(std::unique_lock<std::mutex>& lock, Entry& e) {
  ReapLocked(e, false);
  if (e.pid > 0) return Status::Ok();
  DAI_ASSIGN_OR_RETURN(pid_t pid, Spawn(e.spec.argv, e.spec.env, e.spec.log_file));
  e.pid = pid;
  e.stopping = false;
  const SupervisedProcess spec = e.spec;
  const auto deadline = Clock::now() + spec.start_timeout;
  while (true) {
    // The process must still be running; the monitor may have reaped it.
    if (e.pid != pid) {
      const std::string what = e.last_exit ? e.last_exit->description : std::string("ended");
      return Status::FailedPrecondition("process \"" + spec.name + "\" " + what +
                                        " during start; log tail: " + LogTail(spec.log_file, 600));
    }
    lock.unlock();
    const bool healthy = CheckHealth(spec);
    lock.lock();
    if (healthy && e.pid == pid) {
      // Running and healthy now; a crash right after is the next signal's business.
      ReapLocked(e, true);
      if (e.pid == pid) return Status::Ok();
      continue;
    }
    if (Clock::now() >= deadline) {
      return Status::DeadlineExceeded("process \"" + spec.name + "\" (pid " + std::to_string(pid) +
                                      ") not healthy within " +
                                      std::to_string(spec.start_timeout.count()) + " ms");
    }
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    lock.lock();
    ReapLocked(e, true);
  }
}

void ProcessSupervisor::StopLocked(std::unique_lock<std::mutex>& lock, Entry& e,
                                   std::chrono::milliseconds grace) {
  ReapLocked(e, false);
  if (e.pid <= 0) return;
  e.stopping = true;
  const pid_t pid = e.pid;
  kill(-pid, SIGTERM);
  const auto deadline = Clock::now() + grace;
  while (e.pid == pid && Clock::now() < deadline) {
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    lock.lock();
    ReapLocked(e, false);
  }
  if (e.pid == pid) {
    kill(-pid, SIGKILL);
    int status = 0;
    lock.unlock();
    const pid_t r = waitpid(pid, &status, 0);
    lock.lock();
    if (r == pid && e.pid == pid) {
      e.last_exit = ExitInfo{pid, status, DescribeWait(status)};
      e.pid = -1;
    }
  }
}

Status ProcessSupervisor::StartAll() {
  std::unique_lock<std::mutex> lock(mu_);
  Status first = Status::Ok();
  for (auto& [name, e] : entries_) {
    Status st = StartLocked(lock, e);
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

Status ProcessSupervisor::Start(const std::string& name) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return Status::NotFound("no supervised process named \"" + name + "\"");
  return StartLocked(lock, it->second);
}

Result<Json> ProcessSupervisor::Restart(const std::string& name, std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return Status::NotFound("no supervised process named \"" + name + "\"");
  Entry& e = it->second;
  ReapLocked(e, false);
  const pid_t previous = e.pid;
  StopLocked(lock, e, grace);
  const auto started = Clock::now();
  Status st = StartLocked(lock, e);
  e.restarts += 1;
  if (!st.ok()) return st;
  return Json{
      {"previousPid", previous > 0 ? Json(previous) : Json(nullptr)},
      {"pid", e.pid},
      {"healthyAfterMs",
       std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()}};
}

Status ProcessSupervisor::Stop(const std::string& name, std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return Status::NotFound("no supervised process named \"" + name + "\"");
  StopLocked(lock, it->second, grace);
  return Status::Ok();
}

void ProcessSupervisor::StopAll() {
  std::unique_lock<std::mutex> lock(mu_);
  for (auto& [name, e] : entries_) StopLocked(lock, e, std::chrono::seconds(3));
}

Result<Json> ProcessSupervisor::Describe(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return Status::NotFound("no supervised process named \"" + name + "\"");
  const Entry& e = it->second;
  return Json{{"name", name},
              {"running", e.pid > 0},
              {"pid", e.pid > 0 ? Json(e.pid) : Json(nullptr)},
              {"restarts", e.restarts},
              {"lastExit", e.last_exit ? Json(e.last_exit->description) : Json(nullptr)},
              {"argv", e.spec.argv},
              {"healthPort", e.spec.health_port > 0 ? Json(e.spec.health_port) : Json(nullptr)},
              {"healthUrl", e.spec.health_url.empty() ? Json(nullptr) : Json(e.spec.health_url)}};
}

Json ProcessSupervisor::List() const {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, e] : entries_) names.push_back(name);
  }
  Json out = Json::array();
  for (const auto& n : names) {
    auto d = Describe(n);
    if (d.ok()) out.push_back(*d);
  }
  return out;
}

bool ProcessSupervisor::Healthy(const std::string& name) const {
  SupervisedProcess spec;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end() || it->second.pid <= 0) return false;
    spec = it->second.spec;
  }
  return CheckHealth(spec);
}

Result<Json> ProcessRestartExecutor::Execute(const ActionRequest& request) {
  if (!supervisor_)
    return Status::FailedPrecondition(
        "no processes are supervised (start the server with --supervise-file)");
  return supervisor_->Restart(request.target);
}

Result<Json> ProcessRestartExecutor::DryRun(const ActionRequest& request) {
  if (!supervisor_)
    return Status::FailedPrecondition(
        "no processes are supervised (start the server with --supervise-file)");
  DAI_ASSIGN_OR_RETURN(Json d, supervisor_->Describe(request.target));
  return Json{{"would", "restart the supervised process"}, {"process", d}};
}

Result<std::string> SystemdRestartExecutor::Systemctl() const {
  if (!systemctl_path_.empty()) return systemctl_path_;
  struct stat st {};
  if (stat("/run/systemd/system", &st) != 0) {
    return Status::FailedPrecondition(
        "systemd is not running on this host (no /run/systemd/system)");
  }
  return std::string("systemctl");
}

Result<Json> SystemdRestartExecutor::Execute(const ActionRequest& request) {
  DAI_ASSIGN_OR_RETURN(std::string systemctl, Systemctl());
  // "--" ends options, so a unit name can never be read as one (names are validated too).
  DAI_ASSIGN_OR_RETURN(CommandResult restart,
                       RunCommand({systemctl, "restart", "--", request.target}, timeout_));
  if (!restart.Succeeded()) {
    return Status::Unavailable(
        "systemctl restart " + request.target + " " +
        (restart.timed_out ? std::string("timed out") : DescribeWait(restart.wait_status)) + ": " +
        restart.output.substr(0, 500));
  }
  DAI_ASSIGN_OR_RETURN(
      CommandResult active,
      RunCommand({systemctl, "is-active", "--quiet", "--", request.target}, timeout_));
  if (!active.Succeeded()) {
    return Status::Unavailable("unit " + request.target + " is not active after the restart");
  }
  return Json{{"unit", request.target}, {"active", true}};
}

Result<Json> SystemdRestartExecutor::DryRun(const ActionRequest& request) {
  DAI_ASSIGN_OR_RETURN(std::string systemctl, Systemctl());
  return Json{{"would", "run"}, {"argv", {systemctl, "restart", "--", request.target}}};
}

}  // namespace dai::runner
