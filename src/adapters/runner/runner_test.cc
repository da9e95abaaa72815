#include <gtest/gtest.h>

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "adapters/runner/pipeline_runner.h"
#include "adapters/runner/step_process.h"

namespace dai::runner {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("dai-runner-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

void Git(const fs::path& repo, std::vector<std::string> args) {
  StepProcessSpec spec;
  spec.argv = {"git",
               "-c",
               "user.name=Test",
               "-c",
               "user.email=t@example.com",
               "-c",
               "init.defaultBranch=main"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = repo.string();
  auto r = RunStepProcess(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->exit_code, 0) << r->output;
}

StepProcessSpec Spec(std::vector<std::string> argv) {
  StepProcessSpec s;
  s.argv = std::move(argv);
  return s;
}

cicd::Pipeline Generate(const fs::path& repo) {
  auto snap = SnapshotDirectory(repo.string());
  EXPECT_TRUE(snap.ok());
  auto p = cicd::GeneratePipeline(cicd::DetectRepository(*snap), "ci");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : cicd::Pipeline{};
}

TEST(ProcessRunner, ExitCodesOutputAndMissingPrograms) {
  auto ok = RunStepProcess(Spec({"sh", "-c", "echo out; echo err >&2; exit 3"}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->exit_code, 3);
  EXPECT_NE(ok->output.find("out"), std::string::npos);
  EXPECT_NE(ok->output.find("err"), std::string::npos);
  // An argument is one argv element: shell syntax in it is inert.
  auto lit = RunStepProcess(Spec({"echo", "$(touch /tmp/dai-should-not-exist)"}));
  ASSERT_TRUE(lit.ok());
  EXPECT_FALSE(fs::exists("/tmp/dai-should-not-exist"));
  auto missing = RunStepProcess(Spec({"dai-no-such-program"}));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("dai-no-such-program"), std::string::npos);
  EXPECT_FALSE(RunStepProcess(Spec({})).ok());
}

TEST(ProcessRunner, TimeoutKillsTheGroupAndFloodIsBounded) {
  StepProcessSpec spec;
  spec.argv = {"sh", "-c", "sleep 30 & sleep 30"};
  spec.timeout = std::chrono::milliseconds(300);
  spec.kill_grace = std::chrono::milliseconds(200);
  auto r = RunStepProcess(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_LT(r->duration_ms, 10000);
  StepProcessSpec flood;
  flood.argv = {"yes"};
  flood.timeout = std::chrono::milliseconds(500);
  flood.max_output_bytes = 1000;
  auto f = RunStepProcess(flood);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->output.size(), 1000u);
  EXPECT_GT(f->output_bytes, 1000u);
  std::atomic<bool> cancel{true};
  StepProcessSpec c;
  c.argv = {"sleep", "30"};
  c.cancel = &cancel;
  auto cr = RunStepProcess(c);
  ASSERT_TRUE(cr.ok());
  EXPECT_TRUE(cr->cancelled);
}

TEST(PipelineRunner, PythonUnittestPassesThenABrokenCommitFailsAtTheTestStep) {
  TempDir tmp;
  fs::path repo = tmp.path() / "py";
  Write(repo / "calc.py", "def add(a, b):\n    return a + b\n");
  Write(repo / "tests/__init__.py", "");
  Write(repo / "tests/test_calc.py",
        "import unittest\nfrom calc import add\n\nclass T(unittest.TestCase):\n    def "
        "test_add(self):\n"
        "        self.assertEqual(add(2, 2), 4)\n");
  Write(repo / "pyproject.toml", "[project]\nname = \"calc\"\nversion = \"0.1\"\n");
  Git(repo, {"init", "-q"});
  Git(repo, {"add", "."});
  Git(repo, {"commit", "-qm", "feat: calc"});
  cicd::Pipeline p = Generate(repo);
  ASSERT_EQ(p.jobs.size(), 1u);
  // Dependency installation needs the network; run the test step only.
  cicd::Pipeline tests_only = p;
  tests_only.jobs[0].steps.erase(tests_only.jobs[0].steps.begin());
  PipelineRunOptions opt;
  opt.source = repo.string();
  opt.work_dir = (tmp.path() / "run1").string();
  opt.log_path = (tmp.path() / "run1.log").string();
  auto r = RunPipeline(tests_only, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "succeeded") << r->failure;
  EXPECT_EQ(r->commit.size(), 40u);
  Write(repo / "calc.py", "def add(a, b):\n    return a - b\n");
  Git(repo, {"commit", "-qam", "fix: oops"});
  opt.work_dir = (tmp.path() / "run2").string();
  auto r2 = RunPipeline(tests_only, opt);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->status, "failed");
  ASSERT_FALSE(r2->steps.empty());
  EXPECT_EQ(r2->steps.back().status, "failed");
  EXPECT_NE(r2->failure.find("unittest"), std::string::npos) << r2->failure;
  std::ifstream log(opt.log_path);
  std::string text((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(text.find("AssertionError"), std::string::npos);
}

TEST(PipelineRunner, CMakeCTestAndNodeTestProjects) {
  TempDir tmp;
  fs::path repo = tmp.path() / "mixed";
  Write(repo / "CMakeLists.txt",
        "cmake_minimum_required(VERSION 3.16)\nproject(t C)\nenable_testing()\nadd_executable(t "
        "t.c)\n"
        "add_test(NAME t COMMAND t)\n");
  Write(repo / "t.c", "int main(void) { return 0; }\n");
  Write(repo / "js/package.json",
        R"({"name":"js","version":"1.0.0","scripts":{"test":"node --test"}})");
  Write(repo / "js/test/a.test.js", "const test = require('node:test');\ntest('ok', () => {});\n");
  Git(repo, {"init", "-q"});
  Git(repo, {"add", "."});
  Git(repo, {"commit", "-qm", "init"});
  cicd::Pipeline p = Generate(repo);
  ASSERT_EQ(p.jobs.size(), 2u);
  // npm install of a package without dependencies works offline.
  PipelineRunOptions opt;
  opt.source = repo.string();
  opt.work_dir = (tmp.path() / "run").string();
  std::vector<StepRecord> seen;
  opt.on_step = [&](const StepRecord& s) { seen.push_back(s); };
  auto r = RunPipeline(p, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "succeeded") << r->failure;
  EXPECT_EQ(seen.size(), r->steps.size());
  bool ran_ctest = false;
  for (const auto& s : r->steps)
    ran_ctest |= !s.argv.empty() && s.argv[0] == "ctest" && s.status == "succeeded";
  EXPECT_TRUE(ran_ctest);
}

TEST(PipelineRunner, BadInputs) {
  TempDir tmp;
  cicd::Pipeline p;
  cicd::Job j;
  j.id = "a";
  cicd::Step s;
  s.argv = {"true"};
  s.working_directory = "../..";
  j.steps = {s};
  p.jobs = {j};
  PipelineRunOptions opt;
  opt.source = "/nonexistent/repo";
  opt.work_dir = (tmp.path() / "w").string();
  EXPECT_EQ(RunPipeline(p, opt).status().code(), StatusCode::kInvalidArgument);
  p.jobs[0].steps[0].working_directory = "";
  auto clone = RunPipeline(p, opt);
  EXPECT_EQ(clone.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(clone.status().message().find("/nonexistent/repo"), std::string::npos);
  opt.source = "--upload-pack=touch /tmp/x";
  EXPECT_EQ(RunPipeline(p, opt).status().code(), StatusCode::kInvalidArgument);
}

// A one-job pipeline over `steps` (argv each) for a repository with one commit.
struct OneJob {
  TempDir tmp;
  fs::path repo = tmp.path() / "r";
  cicd::Pipeline p;
  explicit OneJob(const std::vector<std::vector<std::string>>& steps) {
    Write(repo / "README", "x\n");
    Git(repo, {"init", "-q"});
    Git(repo, {"add", "."});
    Git(repo, {"commit", "-qm", "init"});
    cicd::Job j;
    j.id = "build";
    j.name = "build";
    for (size_t i = 0; i < steps.size(); ++i) {
      cicd::Step s;
      s.name = "s" + std::to_string(i);
      s.argv = steps[i];
      j.steps.push_back(s);
    }
    p.name = "t";
    p.jobs = {j};
  }
};

TEST(PipelineRunner, CancelKillsTheRunningStepAndCancelsTheRest) {
  OneJob f({{"sh", "-c", "echo pid=$$; exec sleep 60"}, {"true"}});
  std::atomic<bool> cancel{false};
  std::string log;
  PipelineRunOptions opt;
  opt.source = f.repo.string();
  opt.work_dir = (f.tmp.path() / "w").string();
  opt.cancel = &cancel;
  opt.on_log = [&](std::string_view text) {
    log.append(text);
    // The step's own output line (the log's "$ sh -c ..." header holds "pid=$$" too).
    const size_t at = log.find("\npid=");
    if (at != std::string::npos && log.find('\n', at + 1) != std::string::npos) cancel = true;
  };
  auto r = RunPipeline(f.p, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "cancelled");
  ASSERT_EQ(r->steps.size(), 2u);
  EXPECT_EQ(r->steps[0].status, "cancelled");
  EXPECT_EQ(r->steps[1].status, "cancelled");
  EXPECT_LT(r->steps[0].duration_ms, 30000);
  const size_t at = log.find("\npid=");
  ASSERT_NE(at, std::string::npos) << log;
  const pid_t pid = static_cast<pid_t>(std::stol(log.substr(at + 5)));
  ASSERT_GT(pid, 0);
  EXPECT_NE(::kill(pid, 0), 0) << "the step's process " << pid << " still exists";
}

TEST(PipelineRunner, StepsRunAsTheConfiguredUserWhenStartedAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop privileges (running as non-root)";
  struct passwd* nobody = ::getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "no user 'nobody' on this host";
  // The step writes into its checkout and its HOME, and cannot write where root can.
  OneJob f({{"sh", "-c", "id -u; touch made-by-step \"$HOME/h\""},
            {"sh", "-c", "touch /root/dai-runner-should-not-exist"}});
  PipelineRunOptions opt;
  opt.source = f.repo.string();
  opt.work_dir = (f.tmp.path() / "w").string();
  opt.run_uid = static_cast<int>(nobody->pw_uid);
  opt.run_gid = static_cast<int>(nobody->pw_gid);
  std::string log;
  opt.on_log = [&](std::string_view text) { log.append(text); };
  bool checked_out = false;
  opt.on_checkout = [&](const std::string& dir, const std::string& commit) {
    checked_out = fs::exists(fs::path(dir) / "README") && commit.size() == 40;
  };
  auto r = RunPipeline(f.p, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(checked_out);
  ASSERT_EQ(r->steps.size(), 2u);
  EXPECT_EQ(r->steps[0].status, "succeeded") << log;
  EXPECT_NE(log.find(std::to_string(nobody->pw_uid) + "\n"), std::string::npos) << log;
  EXPECT_EQ(r->steps[1].status, "failed") << log;
  EXPECT_FALSE(fs::exists("/root/dai-runner-should-not-exist"));
  EXPECT_TRUE(fs::exists(fs::path(opt.work_dir) / "src" / "made-by-step"));
}

}  // namespace
}  // namespace dai::runner
