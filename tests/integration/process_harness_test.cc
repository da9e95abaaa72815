// Tests of the integration-test harness itself (fast; real processes and sockets).
#include "process_harness.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "adapters/http/loopback_test_server.h"

namespace dai::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(ChildProcessTest, StartsStopsAndReportsExecFailure) {
  auto p = ChildProcess::Start({"sleep", "30"});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->Running());
  const pid_t pid = p->pid();
  EXPECT_TRUE(p->Stop(SIGTERM, milliseconds(2000)).ok());
  EXPECT_FALSE(p->Running());
  EXPECT_NE(kill(pid, 0), 0);  // reaped, gone

  auto missing = ChildProcess::Start({"/nonexistent/program"});
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("No such file"), std::string::npos);
  EXPECT_EQ(ChildProcess::Start({}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ChildProcessTest, DestructorKillsAndStopEscalatesToSigkill) {
  pid_t pid;
  {
    auto p = ChildProcess::Start({"sleep", "30"});
    ASSERT_TRUE(p.ok());
    pid = p->pid();
  }
  EXPECT_NE(kill(pid, 0), 0);
  // A process that ignores SIGTERM is killed after the timeout.
  auto stubborn = ChildProcess::Start({"sh", "-c", "trap '' TERM; sleep 30"});
  ASSERT_TRUE(stubborn.ok());
  std::this_thread::sleep_for(milliseconds(100));
  const auto start = steady_clock::now();
  EXPECT_TRUE(stubborn->Stop(SIGTERM, milliseconds(300)).ok());
  EXPECT_LT(steady_clock::now() - start, milliseconds(3000));
  EXPECT_TRUE(WIFSIGNALED(stubborn->wait_status()));
}

TEST(ChildProcessTest, EnvironmentLogFileAndWorkingDirectory) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string log = dir.path() + "/out.log";
  auto p = ChildProcess::Start({"sh", "-c", "printf '%s|' \"$DAI_X\"; pwd"},
                               {.env = {{"DAI_X", "a b;c"}}, .log_file = log, .cwd = dir.path()});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  for (int i = 0; i < 200 && p->Running(); ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(WIFEXITED(p->wait_status()));
  EXPECT_EQ(ReadFileOrEmpty(log), "a b;c|" + dir.path() + "\n");
}

TEST(HarnessTest, FreePortAndWaitForHttp) {
  auto port = FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  EXPECT_GT(*port, 0);
  // Nothing listens there: the wait ends at its deadline with the last error.
  const auto start = steady_clock::now();
  Status s = WaitForHttp(
      "http://127.0.0.1:" + std::to_string(*port) + "/",
      [](const http::HttpClientResponse&) { return true; },
      steady_clock::now() + milliseconds(300));
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));

  int calls = 0;
  http::testing::LoopbackTestServer server([&](const std::string&) {
    ++calls;
    return http::testing::LoopbackTestServer::Response(calls < 3 ? 503 : 200, "ok");
  });
  s = WaitForHttp(
      "http://127.0.0.1:" + std::to_string(server.port()) + "/",
      [](const http::HttpClientResponse& r) { return r.status == 200; },
      steady_clock::now() + milliseconds(5000), milliseconds(20));
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(server.connections(), 3);
}

}  // namespace
}  // namespace dai::testing
