#include "adapters/runner/process_runner.h"

#include <gtest/gtest.h>

#include <atomic>

namespace dai::runner {
namespace {

TEST(ProcessRunner, RunsArgvWithoutAShell) {
  ProcessSpec spec;
  spec.argv = {"/bin/echo", "a; echo injected", "$(id)"};
  auto r = RunProcess(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->output, "a; echo injected $(id)\n");
}

TEST(ProcessRunner, EnvironmentIsOnlyWhatIsGivenAndWorkdirApplies) {
  ProcessSpec spec;
  spec.argv = {"/usr/bin/env"};
  spec.env = {{"ONLY", "this"}};
  auto r = RunProcess(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output, "ONLY=this\n");
  spec.argv = {"/bin/pwd"};
  spec.workdir = "/tmp";
  r = RunProcess(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output, "/tmp\n");
}

TEST(ProcessRunner, ExitCodeAndStderrAreCaptured) {
  ProcessSpec spec;
  spec.argv = {"/bin/ls", "/definitely/not/here"};
  auto r = RunProcess(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok());
  EXPECT_NE(r->exit_code, 0);
  EXPECT_NE(r->output.find("/definitely/not/here"), std::string::npos);
}

TEST(ProcessRunner, TimeoutKillsTheChild) {
  ProcessSpec spec;
  spec.argv = {"/bin/sleep", "30"};
  spec.timeout = std::chrono::milliseconds(200);
  auto r = RunProcess(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->signal, SIGTERM);
}

TEST(ProcessRunner, CancellationStopsTheChild) {
  ProcessSpec spec;
  spec.argv = {"/bin/sleep", "30"};
  std::atomic<int> polls{0};
  spec.cancelled = [&] { return ++polls > 3; };
  auto r = RunProcess(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->cancelled);
  EXPECT_FALSE(r->timed_out);
}

TEST(ProcessRunner, OutputIsCapped) {
  ProcessSpec spec;
  spec.argv = {"/usr/bin/head", "-c", "100000", "/dev/zero"};
  spec.max_output = 1000;
  auto r = RunProcess(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output.size(), 1000u);
  EXPECT_EQ(r->output_bytes, 100000u);
}

TEST(ProcessRunner, MissingExecutableIsAClearError) {
  ProcessSpec spec;
  spec.argv = {"/no/such/tool"};
  auto r = RunProcess(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/no/such/tool"), std::string::npos);
  spec.argv = {"relative"};
  EXPECT_FALSE(RunProcess(spec).ok());
}

}  // namespace
}  // namespace dai::runner
