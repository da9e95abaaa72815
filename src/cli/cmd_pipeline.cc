// CI/CD from the command line (issue #9):
//  `pipeline generate PATH [--format github|gitlab|json]`: detects the repository's build
//    systems and prints the generated pipeline (YAML on standard output).
//  `pipeline run PATH [--ref REF] [--work-dir DIR] [--step-timeout SECONDS] [--skip-setup]`:
//    generates the pipeline and runs it with the local runner on a fresh clone of PATH; the
//    step log streams to standard error, a summary to standard output. Exit 1 when a step
//    fails, 2 for usage or input errors.
//  `pipeline judge FILE.json`: canary judgement of {"metrics":[{name, baseline[], canary[],
//    harmful}]} as JSON.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "adapters/runner/pipeline_runner.h"
#include "cli/commands.h"
#include "core/json.h"
#include "engines/cicd/canary.h"
#include "engines/cicd/pipeline.h"

namespace dai::cli {
namespace {

namespace fs = std::filesystem;

Result<cicd::Pipeline> GenerateFor(const std::string& path) {
  DAI_ASSIGN_OR_RETURN(auto snap, runner::SnapshotDirectory(path));
  auto profile = cicd::DetectRepository(snap);
  std::string name = fs::absolute(path).lexically_normal().filename().string();
  return cicd::GeneratePipeline(profile, name.empty() ? "ci" : name);
}

struct RunArgs {
  std::string path, ref, work_dir, format = "github";
  int step_timeout = 600;
  bool skip_setup = false;
};

int Generate(const RunArgs& a) {
  auto p = GenerateFor(a.path);
  if (!p.ok()) {
    std::fprintf(stderr, "devops-ai pipeline generate: %s\n", p.status().ToString().c_str());
    return 2;
  }
  if (a.format == "gitlab")
    std::cout << cicd::ToGitlabCiYaml(*p);
  else if (a.format == "json")
    std::cout << cicd::PipelineToJson(*p).dump(2) << "\n";
  else
    std::cout << cicd::ToGithubActionsYaml(*p);
  return 0;
}

int Run(const RunArgs& a) {
  auto p = GenerateFor(a.path);
  if (!p.ok()) {
    std::fprintf(stderr, "devops-ai pipeline run: %s\n", p.status().ToString().c_str());
    return 2;
  }
  if (a.skip_setup) {
    for (auto& job : p->jobs) {
      std::vector<cicd::Step> kept;
      for (auto& s : job.steps)
        if (s.name.rfind("setup:", 0) != 0) kept.push_back(s);
      job.steps = kept.empty() ? job.steps : kept;
    }
  }
  runner::PipelineRunOptions opt;
  opt.source = fs::absolute(a.path).lexically_normal().string();
  opt.ref = a.ref;
  opt.work_dir =
      a.work_dir.empty()
          ? (fs::temp_directory_path() / ("devops-ai-run-" + std::to_string(::getpid()))).string()
          : a.work_dir;
  opt.default_step_timeout = std::chrono::seconds(a.step_timeout);
  opt.on_log = [](std::string_view text) { std::cerr << text; };
  auto r = runner::RunPipeline(*p, opt);
  if (a.work_dir.empty()) {
    std::error_code ec;
    fs::remove_all(opt.work_dir, ec);
  }
  if (!r.ok()) {
    std::fprintf(stderr, "devops-ai pipeline run: %s\n", r.status().ToString().c_str());
    return 2;
  }
  std::printf("%-10s %-12s %8s  %s\n", "STATUS", "JOB", "MS", "STEP");
  for (const auto& s : r->steps)
    std::printf("%-10s %-12s %8lld  %s\n", s.status.c_str(), s.job.c_str(),
                static_cast<long long>(s.duration_ms), s.step.c_str());
  std::printf("%s at %s in %lld ms%s%s\n", r->status.c_str(), r->commit.substr(0, 12).c_str(),
              static_cast<long long>(r->duration_ms), r->failure.empty() ? "" : ": ",
              r->failure.c_str());
  return r->status == "succeeded" ? 0 : 1;
}

int Judge(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "devops-ai pipeline judge: cannot read %s\n", path.c_str());
    return 2;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = ParseJson(ss.str());
  if (!j.ok() || !j->is_object() || !j->contains("metrics") || !(*j)["metrics"].is_array()) {
    std::fprintf(stderr, "devops-ai pipeline judge: %s: expected {\"metrics\":[...]}\n",
                 path.c_str());
    return 2;
  }
  std::vector<cicd::CanaryMetric> metrics;
  try {
    for (const auto& m : (*j)["metrics"]) {
      cicd::CanaryMetric cm;
      cm.name = m.at("name").get<std::string>();
      cm.baseline = m.at("baseline").get<std::vector<double>>();
      cm.canary = m.at("canary").get<std::vector<double>>();
      std::string h = m.value("harmful", "increase");
      cm.harmful = h == "decrease" ? cicd::Direction::kDecrease
                   : h == "either" ? cicd::Direction::kEither
                                   : cicd::Direction::kIncrease;
      cm.critical = m.value("critical", false);
      metrics.push_back(cm);
    }
  } catch (const Json::exception& e) {
    std::fprintf(stderr, "devops-ai pipeline judge: %s: %s\n", path.c_str(), e.what());
    return 2;
  }
  auto v = cicd::JudgeCanary(metrics, cicd::CanaryConfig{});
  if (!v.ok()) {
    std::fprintf(stderr, "devops-ai pipeline judge: %s\n", v.status().ToString().c_str());
    return 2;
  }
  Json out = {{"score", v->score},
              {"decision", std::string(cicd::CanaryDecisionName(v->decision))},
              {"summary", v->summary}};
  for (const auto& m : v->metrics)
    out["metrics"].push_back(
        {{"name", m.name},
         {"classification", std::string(cicd::MetricClassName(m.classification))},
         {"failed", m.failed},
         {"pValue", m.p_value}});
  std::cout << out.dump(2) << "\n";
  return v->decision == cicd::CanaryDecision::kFail ? 1 : 0;
}

}  // namespace

void RegisterPipelineCommands(CLI::App& app, CliState& state) {
  auto* pipeline = app.add_subcommand(
      "pipeline", "CI/CD pipelines: generate from code, run locally, judge canaries");
  pipeline->require_subcommand(1);
  auto args = std::make_shared<RunArgs>();
  auto* gen = pipeline->add_subcommand("generate", "Print the pipeline generated for a repository");
  gen->add_option("path", args->path, "repository directory")->required();
  gen->add_option("--format", args->format, "github, gitlab or json")
      ->check(CLI::IsMember({"github", "gitlab", "json"}));
  gen->callback([&state, args] { state.exit_code = Generate(*args); });
  auto* run = pipeline->add_subcommand(
      "run", "Generate and run a repository's pipeline with the local runner");
  run->add_option("path", args->path, "repository directory (a git repository)")->required();
  run->add_option("--ref", args->ref, "branch, tag or commit to run");
  run->add_option("--work-dir", args->work_dir,
                  "where to clone and run (kept); default a temporary directory");
  run->add_option("--step-timeout", args->step_timeout, "seconds before a step is killed")
      ->check(CLI::Range(1, 86400));
  run->add_flag("--skip-setup", args->skip_setup,
                "skip dependency installation steps (offline machines)");
  run->callback([&state, args] { state.exit_code = Run(*args); });
  auto judge_path = std::make_shared<std::string>();
  auto* judge = pipeline->add_subcommand(
      "judge", "Canary judgement of baseline vs canary samples (JSON file)");
  judge->add_option("file", *judge_path, "{\"metrics\":[{name, baseline[], canary[], harmful}]}")
      ->required();
  judge->callback([&state, judge_path] { state.exit_code = Judge(*judge_path); });
}

}  // namespace dai::cli
