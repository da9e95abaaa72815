// CI/CD pipeline model, repository detection and pipeline generation, and GitHub Actions /
// GitLab CI YAML in both directions. A Pipeline is a DAG of jobs (needs) whose steps are argv
// vectors (never shell strings built from values), so the local runner can execute them as
// processes and the exporters can quote them for a YAML `run:`.
// Thread-safety: value types and pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::cicd {

//! One step: either a command (argv) or, in imported/exported workflows, an action (`uses`)
//! or a script text (`run`, from a parsed workflow; never executed by our runner as a shell).
struct Step {
  std::string name;
  std::vector<std::string> argv;  //!< the command, argv[0] looked up on PATH
  std::string uses;               //!< a GitHub action (checkout, setup-*, cache)
  std::map<std::string, std::string> with;
  std::string run;  //!< script text from an imported workflow (kept for round-trip)
  std::map<std::string, std::string> env;
  std::string working_directory;  //!< relative to the checkout
  int timeout_seconds = 0;        //!< 0: the job's default
};

struct Cache {
  std::string path;  //!< relative to the checkout, e.g. node_modules, ~/.cargo/registry
  std::string key;   //!< the files whose hash keys it, e.g. package-lock.json
};

struct Job {
  std::string id;
  std::string name;
  std::vector<std::string> needs;
  std::string runs_on = "ubuntu-latest";
  std::string image;  //!< container image for GitLab CI
  std::vector<Step> steps;
  std::vector<Cache> caches;
  int timeout_minutes = 30;
};

struct Pipeline {
  std::string name;
  std::vector<std::string> branches{"main"};
  std::vector<Job> jobs;
};

//! What the detector found in one directory of a repository.
struct Toolchain {
  std::string kind;  //!< cmake, make, npm, yarn, pnpm, go, cargo, maven, gradle, pip, poetry,
                     //!< docker, helm, terraform
  std::string dir;   //!< "" for the repository root, else a relative directory
  std::vector<std::vector<std::string>> setup;  //!< dependency installation commands
  std::vector<std::vector<std::string>> build;
  std::vector<std::vector<std::string>> test;
  std::vector<Cache> caches;
  bool deploy = false;  //!< docker/helm/terraform: a deploy target rather than a build
};

struct RepoProfile {
  std::vector<std::string> languages;  //!< sorted, unique
  std::vector<Toolchain> toolchains;
};

//! A repository as the detector sees it: relative file paths ('/'-separated) and the text of
//! the files named by FilesWorthReading (others may be absent).
struct RepoSnapshot {
  std::vector<std::string> files;
  std::map<std::string, std::string> contents;
};

//! The manifest files whose text improves detection (package.json, CMakeLists.txt, Makefile,
//! pyproject.toml, requirements*.txt, Chart.yaml ...), among `files`.
std::vector<std::string> FilesWorthReading(const std::vector<std::string>& files);

//! Detects languages, build systems and their commands. Never fails: an unknown repository
//! gives an empty profile.
RepoProfile DetectRepository(const RepoSnapshot& repo);

//! One job per toolchain (build then test), deploy targets after the jobs they depend on.
//! INVALID_ARGUMENT when the profile has no toolchain (nothing to build or test).
Result<Pipeline> GeneratePipeline(const RepoProfile& profile, std::string_view name);

//! INVALID_ARGUMENT naming the problem: duplicate or empty job ids, a need naming no job, a
//! cycle (listing its jobs); when `runnable`, also a job without steps, a step with no
//! command, an empty program name.
Status ValidatePipeline(const Pipeline& pipeline, bool runnable = true);

//! Job ids in an order where every job comes after its needs (stable by declaration order).
//! INVALID_ARGUMENT on a cycle.
Result<std::vector<std::string>> TopologicalOrder(const Pipeline& pipeline);

//! POSIX-shell quoting of an argv for a YAML `run:` line ('…' around anything not plain).
std::string ShellQuote(const std::vector<std::string>& argv);

//! How a run names a step: its name, else its action (`uses`), else its quoted argv.
std::string StepLabel(const Step& step);

//! One step as the local runner runs it: the job's id and the step's label.
struct RunStep {
  std::string job;
  std::string step;
};

//! Every step in the order the local runner runs them (one at a time: jobs in TopologicalOrder,
//! each job's steps in order; skipped steps are recorded too). So after `recorded` step
//! records, the step that was running when the process stopped is element `recorded`; nullopt
//! when every step was recorded. INVALID_ARGUMENT on a cycle.
Result<std::optional<RunStep>> StepAfter(const Pipeline& pipeline, size_t recorded);

std::string ToGithubActionsYaml(const Pipeline& pipeline);
std::string ToGitlabCiYaml(const Pipeline& pipeline);

//! Parses a GitHub Actions workflow (YAML). `run:` steps keep their script text; a one-line
//! script without shell syntax also gets an argv. INVALID_ARGUMENT naming the job/step on bad
//! structure (no jobs, a step with neither run nor uses, unknown needs, cycles); PARSE_ERROR
//! with the line on invalid YAML.
Result<Pipeline> ParseGithubWorkflow(std::string_view yaml_text);

Json PipelineToJson(const Pipeline& pipeline);
//! The inverse of PipelineToJson (the API's pipeline definition), validated.
Result<Pipeline> PipelineFromJson(const Json& json);

//! Whether `suggested` (a refinement an LLM proposed for `generated`) may be offered: it must
//! validate as a runnable pipeline, and it may only rearrange what `generated` already does —
//! regroup, reorder, parallelise (needs), drop steps, rename, change timeouts — never bring a
//! command, action (`uses` and its `with`), script (`run`), environment variable, working
//! directory, cache or image that `generated` does not have. INVALID_ARGUMENT naming the first
//! job/step that breaks a rule.
Status CheckRefinement(const Pipeline& generated, const Pipeline& suggested);

}  // namespace dai::cicd
