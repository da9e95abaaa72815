// Real processes: python3's http.server as a supervised service with a health port, /bin/false
// as one that crashes at start, and a recording script standing in for systemctl.
#include "adapters/runner/process_supervisor.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace dai::runner {
namespace {

namespace fs = std::filesystem;

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

fs::path TempDir() {
  char tmpl[] = "/tmp/dai-runner-XXXXXX";
  return fs::path(mkdtemp(tmpl));
}

template <typename F>
bool WaitUntil(F f, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

SupervisedProcess HttpServer(const fs::path& dir, int port) {
  SupervisedProcess p;
  p.name = "web";
  p.argv = {"python3",     "-m",        "http.server", "--bind", "127.0.0.1", std::to_string(port),
            "--directory", dir.string()};
  p.log_file = (dir / "web.log").string();
  p.health_port = port;
  p.start_timeout = std::chrono::seconds(15);
  return p;
}

TEST(ProcessSupervisor, DetectsACrashAndRestartsTheProcess) {
  const fs::path dir = TempDir();
  const int port = FreePort();
  std::mutex mu;
  std::vector<std::pair<std::string, ExitInfo>> exits;
  auto sup = ProcessSupervisor::Create({HttpServer(dir, port)},
                                       [&](const std::string& n, const ExitInfo& i) {
                                         std::lock_guard<std::mutex> lock(mu);
                                         exits.emplace_back(n, i);
                                       });
  ASSERT_TRUE(sup.ok()) << sup.status().ToString();
  ASSERT_TRUE((*sup)->StartAll().ok());
  EXPECT_TRUE((*sup)->Healthy("web"));
  auto before = (*sup)->Describe("web");
  ASSERT_TRUE(before.ok());
  const pid_t pid = before->at("pid").get<pid_t>();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !exits.empty();
  }));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(exits[0].first, "web");
    EXPECT_EQ(exits[0].second.pid, pid);
    EXPECT_NE(exits[0].second.description.find("killed by signal 9"), std::string::npos)
        << exits[0].second.description;
  }
  EXPECT_FALSE((*sup)->Healthy("web"));
  auto r = (*sup)->Restart("web");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->at("pid").get<pid_t>(), pid);
  EXPECT_TRUE(r->at("previousPid").is_null());
  EXPECT_TRUE((*sup)->Healthy("web"));
  auto after = (*sup)->Describe("web");
  EXPECT_EQ(after->at("restarts"), 1);
  // A restart of a running process replaces it; a stop we asked for is not reported as a crash.
  auto again = (*sup)->Restart("web");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->at("previousPid"), r->at("pid"));
  ASSERT_TRUE((*sup)->Stop("web").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(exits.size(), 1u);
  fs::remove_all(dir);
}

TEST(ProcessSupervisor, AProcessThatCrashesAtStartIsAFailedRestart) {
  const fs::path dir = TempDir();
  SupervisedProcess p;
  p.name = "crasher";
  p.argv = {"/bin/sh", "-c", "echo 'cannot bind' >&2; exit 3"};
  p.log_file = (dir / "crasher.log").string();
  p.health_port = FreePort();
  auto sup = ProcessSupervisor::Create({p});
  ASSERT_TRUE(sup.ok());
  auto r = (*sup)->Restart("crasher");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("exited with status 3"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("cannot bind"), std::string::npos);
  fs::remove_all(dir);
}

TEST(ProcessSupervisor, UnhealthyWithinTheTimeout) {
  SupervisedProcess p;
  p.name = "silent";
  p.argv = {"sleep", "30"};
  p.health_port = FreePort();  // nothing listens there
  p.start_timeout = std::chrono::milliseconds(300);
  auto sup = ProcessSupervisor::Create({p});
  ASSERT_TRUE(sup.ok());
  Status st = (*sup)->Start("silent");
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.ToString();
}

TEST(ProcessSupervisor, RefusesBadConfigurationAndUnknownNames) {
  EXPECT_FALSE(ProcessSupervisor::Create({{.name = "a b", .argv = {"true"}}}).ok());
  EXPECT_FALSE(ProcessSupervisor::Create({{.name = "a", .argv = {}}}).ok());
  EXPECT_FALSE(
      ProcessSupervisor::Create({{.name = "a", .argv = {"true"}}, {.name = "a", .argv = {"true"}}})
          .ok());
  auto sup = ProcessSupervisor::Create({{.name = "missing", .argv = {"/nonexistent/binary"}}});
  ASSERT_TRUE(sup.ok());
  Status st = (*sup)->Start("missing");
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("cannot start"), std::string::npos) << st.ToString();
  EXPECT_EQ((*sup)->Start("other").code(), StatusCode::kNotFound);
  ProcessRestartExecutor exec(sup->get());
  auto r = exec.Execute({.target = "other"});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  ProcessRestartExecutor none(nullptr);
  EXPECT_EQ(none.DryRun({.target = "x"}).status().code(), StatusCode::kFailedPrecondition);
}

TEST(RunCommand, PassesArgumentsAsDataNeverThroughAShell) {
  const fs::path dir = TempDir();
  const std::string marker = (dir / "pwned").string();
  auto r =
      RunCommand({"/bin/echo", "a;b", "$(touch " + marker + ")", "`id`"}, std::chrono::seconds(5));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->Succeeded());
  EXPECT_EQ(r->output, "a;b $(touch " + marker + ") `id`\n");
  EXPECT_FALSE(fs::exists(marker));
  auto t = RunCommand({"sleep", "10"}, std::chrono::milliseconds(100));
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->timed_out);
  EXPECT_FALSE(t->Succeeded());
  fs::remove_all(dir);
}

TEST(SystemdRestartExecutor, RunsSystemctlWithArgvAndChecksTheUnit) {
  const fs::path dir = TempDir();
  const fs::path script = dir / "systemctl";
  const fs::path record = dir / "calls";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\nfor a in \"$@\"; do printf '%s|' \"$a\" >> '" << record.string()
        << "'; done\necho >> '" << record.string() << "'\n"
        << "case \"$1\" in is-active) [ \"$4\" = good.service ];; *) exit 0;; esac\n";
  }
  fs::permissions(script, fs::perms::owner_all);
  SystemdRestartExecutor exec(script.string(), std::chrono::seconds(5));
  auto ok = exec.Execute({.target = "good.service"});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto bad = exec.Execute({.target = "bad.service"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not active"), std::string::npos);
  std::ifstream in(record);
  std::string l1, l2;
  std::getline(in, l1);
  std::getline(in, l2);
  EXPECT_EQ(l1, "restart|--|good.service|");
  EXPECT_EQ(l2, "is-active|--quiet|--|good.service|");
  auto dry = exec.DryRun({.target = "good.service"});
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->at("argv").size(), 4u);
  fs::remove_all(dir);
}

TEST(ParseSupervisionFile, ParsesAndNamesErrors) {
  auto ok = ParseSupervisionFile(
      "processes:\n  - name: node_exporter\n    argv: [prometheus-node-exporter, "
      "'--web.listen-address=127.0.0.1:9100']\n"
      "    healthPort: 9100\n    startTimeoutSeconds: 5\n    env: {A: b}\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].argv.size(), 2u);
  EXPECT_EQ((*ok)[0].health_port, 9100);
  EXPECT_EQ((*ok)[0].env.at("A"), "b");
  auto bad = ParseSupervisionFile("processes:\n  - name: x\n    command: 'rm -rf /'\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("processes[0].command: unknown key"), std::string::npos);
  bad = ParseSupervisionFile("processes:\n  - name: x\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("argv"), std::string::npos);
  EXPECT_FALSE(ParseSupervisionFile("processes: [").ok());
}

}  // namespace
}  // namespace dai::runner
