// CI/CD from the command line (issue #9):
//  `pipeline generate PATH [--format github|gitlab|json]`: detects the repository's build
//    systems and prints the generated pipeline (YAML on standard output).
//  `pipeline run PATH [--ref REF] [--work-dir DIR] [--step-timeout SECONDS] [--skip-setup]`:
//    generates the pipeline and runs it with the local runner on a fresh clone of PATH; the
//    step log streams to standard error, a summary to standard output. Exit 1 when a step
//    fails, 2 for usage or input errors.
//  `pipeline replay-eval RUNS.json [--warmup N] [--budgets 0.1,0.2] [--seeds N]`: scores test
//    selection and failure prediction on a replayed history (scripts/cicd-replay-eval writes
//    RUNS.json: per run its commit, author, time, changed files, status and JUnit XML file).
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
#include "engines/cicd/failure_model.h"
#include "engines/cicd/junit.h"
#include "engines/cicd/pipeline.h"
#include "engines/cicd/test_intel.h"

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

struct ReplayArgs {
  std::string file, budgets = "0.1,0.2,0.3";
  int warmup = 20, seeds = 5;
};

std::string Pct(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", v * 100);
  return b;
}

int ReplayEval(const ReplayArgs& a) {
  auto fail = [](const std::string& m) {
    std::fprintf(stderr, "devops-ai pipeline replay-eval: %s\n", m.c_str());
    return 2;
  };
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return fail("cannot read " + a.file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = ParseJson(ss.str());
  if (!j.ok() || !j->is_object() || !j->contains("runs") || !(*j)["runs"].is_array())
    return fail(a.file + ": expected {\"runs\":[...]}");
  std::vector<double> budgets;
  {
    std::stringstream bs(a.budgets);
    std::string item;
    while (std::getline(bs, item, ',')) {
      char* end = nullptr;
      double v = std::strtod(item.c_str(), &end);
      if (end == item.c_str() || *end != '\0' || !(v > 0 && v <= 1))
        return fail("--budgets: '" + item + "' is not a share in (0, 1]");
      budgets.push_back(v);
    }
  }
  std::vector<cicd::RunRecord> runs;
  std::vector<cicd::ChangeRecord> changes;
  int test_failing = 0, faulted = 0;
  size_t index = 0;
  try {
    for (const auto& r : (*j)["runs"]) {
      ++index;
      std::ifstream jf(r.at("junit").get<std::string>(), std::ios::binary);
      if (!jf) return fail("run " + std::to_string(index) + ": cannot read its JUnit XML");
      std::stringstream xs;
      xs << jf.rdbuf();
      auto report = cicd::ParseJunitXml(xs.str());
      if (!report.ok())
        return fail("run " + std::to_string(index) + ": " + report.status().ToString());
      cicd::RunRecord rr;
      rr.changed_files = r.at("files").get<std::vector<std::string>>();
      for (const auto& c : report->cases) {
        if (c.outcome == cicd::TestOutcome::kSkipped) continue;
        std::string id = c.suite + "::" + c.name;
        rr.test_duration_ms[id] += c.duration_ms;
        if (c.outcome != cicd::TestOutcome::kPassed) rr.failed_tests.push_back(id);
        // A suite named like a file path is the test's file (node:test describe blocks here).
        if (!c.file.empty())
          rr.test_file[id] = c.file;
        else if (c.suite.find('/') != std::string::npos && c.suite.find('.') != std::string::npos)
          rr.test_file[id] = c.suite;
      }
      test_failing += !rr.failed_tests.empty();
      faulted += r.contains("seededFaults") && !r["seededFaults"].empty();
      cicd::ChangeRecord ch;
      ch.files = rr.changed_files;
      ch.lines_changed = r.at("linesChanged").get<double>();
      ch.author = r.value("author", "");
      ch.time_hours = r.value("timeHours", 0.0);
      ch.dependency_change = r.value("dependencyChange", false);
      for (const auto& f : ch.files)
        ch.test_files_touched += f.find("test") != std::string::npos ? 1 : 0;
      ch.failed = r.at("status").get<std::string>() == "failed";
      runs.push_back(std::move(rr));
      changes.push_back(std::move(ch));
    }
  } catch (const Json::exception& e) {
    return fail("run " + std::to_string(index) + ": " + e.what());
  }
  if (static_cast<int>(runs.size()) <= a.warmup + 1)
    return fail(std::to_string(runs.size()) + " runs: need more than --warmup + 1 (" +
                std::to_string(a.warmup) + ")");
  int failed_runs = 0;
  for (const auto& c : changes) failed_runs += c.failed;
  std::printf(
      "%zu runs (%d with seeded faults, %d failed, %d with a failing test); selection "
      "scored on runs %d..%zu, each ranked from the runs before it\n\n",
      runs.size(), faulted, failed_runs, test_failing, a.warmup + 1, runs.size());
  std::printf("%-34s %12s %22s\n", "strategy", "test time", "failing runs caught");
  bool printed_all = false;
  for (double b : budgets) {
    auto ev = cicd::EvaluateSelection(runs, b, a.warmup, 1, a.seeds);
    if (!printed_all) {
      std::printf("%-34s %12s %22s   (%d of %d evaluated runs fail)\n", "run everything", "100%",
                  "100%", ev.failing_runs, ev.evaluated_runs);
      printed_all = true;
    }
    char label[64];
    std::snprintf(label, sizeof label, "selection, budget %s", Pct(b).c_str());
    std::printf("%-34s %12s %22s\n", label, Pct(ev.time_share).c_str(),
                Pct(ev.caught_selected).c_str());
    double lo = 1, hi = 0;
    for (double v : ev.caught_random_by_seed) lo = std::min(lo, v), hi = std::max(hi, v);
    std::snprintf(label, sizeof label, "random, equal cost (median of %d)", a.seeds);
    std::printf("%-34s %12s %22s   (seeds: %s..%s)\n", label, Pct(ev.time_share).c_str(),
                Pct(ev.caught_random).c_str(), Pct(lo).c_str(), Pct(hi).c_str());
  }
  std::printf(
      "\nfailure prediction (logistic regression, features from earlier runs only), "
      "time-ordered split 70/30:\n");
  auto pe = cicd::EvaluatePrediction(changes, 0.7);
  if (!pe.ok()) {
    std::printf("  not evaluated: %s\n", pe.status().message().c_str());
  } else {
    std::printf(
        "  train %d runs (%d failed), test %d runs (%d failed, base rate %s)\n", pe->train_runs,
        pe->train_failures, pe->test_runs, pe->test_failures,
        Pct(pe->test_runs ? static_cast<double>(pe->test_failures) / pe->test_runs : 0).c_str());
    std::printf(
        "  AUC %.3f; threshold %.3f (best F1 on the training runs): precision %s, "
        "recall %s\n",
        pe->auc, pe->threshold, Pct(pe->precision).c_str(), Pct(pe->recall).c_str());
    auto names = cicd::FeatureNames();
    std::printf("  weights (standardized):");
    for (size_t k = 0; k < names.size() && k + 1 < pe->weights.size(); ++k)
      std::printf(" %s %+.2f%s", names[k].c_str(), pe->weights[k + 1],
                  k + 1 < names.size() ? ";" : "\n");
  }
  return 0;
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
  auto replay = std::make_shared<ReplayArgs>();
  auto* rev = pipeline->add_subcommand("replay-eval",
                                       "Score test selection and failure prediction on a replayed "
                                       "history (scripts/cicd-replay-eval)");
  rev->add_option("runs", replay->file, "RUNS.json written by scripts/cicd-replay-eval")
      ->required();
  rev->add_option("--warmup", replay->warmup, "runs used only as history before scoring")
      ->check(CLI::Range(1, 100000));
  rev->add_option("--budgets", replay->budgets,
                  "comma-separated shares of each run's test time (default 0.1,0.2,0.3)");
  rev->add_option("--seeds", replay->seeds, "random subsets drawn per run (median reported)")
      ->check(CLI::Range(1, 101));
  rev->callback([&state, replay] { state.exit_code = ReplayEval(*replay); });
  auto judge_path = std::make_shared<std::string>();
  auto* judge = pipeline->add_subcommand(
      "judge", "Canary judgement of baseline vs canary samples (JSON file)");
  judge->add_option("file", *judge_path, "{\"metrics\":[{name, baseline[], canary[], harmful}]}")
      ->required();
  judge->callback([&state, judge_path] { state.exit_code = Judge(*judge_path); });
}

}  // namespace dai::cli
