#include "adapters/runner/pipeline_runner.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include <unistd.h>

#include "adapters/runner/step_process.h"

namespace dai::runner {

namespace fs = std::filesystem;

namespace {

using SteadyClock = std::chrono::steady_clock;

std::map<std::string, std::string> GitEnv() {
  return {{"GIT_TERMINAL_PROMPT", "0"},
          {"GIT_ALLOW_PROTOCOL", "file:git:http:https:ssh"},
          {"GIT_CONFIG_NOSYSTEM", "1"},
          {"LC_ALL", "C"}};
}

Result<StepProcessOutcome> Git(const std::vector<std::string>& args, const std::string& cwd,
                               std::chrono::milliseconds timeout) {
  StepProcessSpec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = cwd;
  spec.env = GitEnv();
  spec.timeout = timeout;
  spec.max_output_bytes = 64 * 1024;
  return RunStepProcess(spec);
}

// Hands `dir` and everything below it to uid/gid (symbolic links themselves, never followed).
Status ChownTree(const std::string& dir, int uid, int gid) {
  std::error_code ec;
  if (::lchown(dir.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0)
    return Status::FailedPrecondition("cannot hand '" + dir + "' to uid " + std::to_string(uid));
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (::lchown(it->path().c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0)
      return Status::FailedPrecondition("cannot hand '" + it->path().string() + "' to uid " +
                                        std::to_string(uid));
  if (ec) return Status::FailedPrecondition("cannot walk '" + dir + "': " + ec.message());
  return Status::Ok();
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

}  // namespace

Result<std::string> CloneRepository(const std::string& source, const std::string& ref,
                                    const std::string& dir, std::chrono::milliseconds timeout) {
  if (source.empty() || source[0] == '-')
    return Status::InvalidArgument("repository: must not be empty or start with '-'");
  if (!ref.empty() && ref[0] == '-') return Status::InvalidArgument("ref: must not start with '-'");
  std::error_code ec;
  fs::create_directories(fs::path(dir).parent_path(), ec);
  DAI_ASSIGN_OR_RETURN(auto clone,
                       Git({"clone", "--quiet", "--no-hardlinks", "--", source, dir}, "", timeout));
  if (!clone.ok())
    return Status::FailedPrecondition(
        "cannot clone '" + source +
        "': " + (clone.timed_out ? std::string("timed out") : Tail(clone.output, 500)));
  if (!ref.empty()) {
    DAI_ASSIGN_OR_RETURN(auto co,
                         Git({"checkout", "--quiet", "--detach", ref, "--"}, dir, timeout));
    if (!co.ok())
      return Status::FailedPrecondition("cannot check out '" + ref + "': " + Tail(co.output, 500));
  }
  DAI_ASSIGN_OR_RETURN(auto head, Git({"rev-parse", "HEAD"}, dir, timeout));
  std::string sha = head.output.substr(0, head.output.find('\n'));
  if (!head.ok() || sha.size() < 40)
    return Status::FailedPrecondition("cloned '" + source + "' has no commit");
  return sha;
}

Result<cicd::RepoSnapshot> SnapshotDirectory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Status::NotFound("repository: '" + dir + "' is not a directory");
  cicd::RepoSnapshot snap;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) return Status::FailedPrecondition("cannot read '" + dir + "': " + ec.message());
  size_t count = 0;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const auto name = it->path().filename().string();
    if (it->is_directory(ec)) {
      if (name == ".git" || name == "node_modules" || name == ".venv" || name == "build")
        it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    snap.files.push_back(fs::relative(it->path(), dir, ec).generic_string());
    if (++count > 200000) break;
  }
  for (const auto& f : cicd::FilesWorthReading(snap.files)) {
    std::ifstream in(fs::path(dir) / f, std::ios::binary);
    std::string text(256 * 1024, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    snap.contents[f] = std::move(text);
  }
  return snap;
}

Json PipelineRunResult::ToJson() const {
  Json s = Json::array();
  for (const auto& st : steps)
    s.push_back({{"job", st.job},
                 {"step", st.step},
                 {"argv", st.argv},
                 {"status", st.status},
                 {"exitCode", st.exit_code},
                 {"startedOffsetMs", st.started_offset_ms},
                 {"durationMs", st.duration_ms},
                 {"outputBytes", st.output_bytes},
                 {"error", st.error}});
  return {{"status", status},
          {"commit", commit},
          {"failure", failure},
          {"durationMs", duration_ms},
          {"steps", s}};
}

Result<PipelineRunResult> RunPipeline(const cicd::Pipeline& pipeline,
                                      const PipelineRunOptions& options) {
  DAI_RETURN_IF_ERROR(cicd::ValidatePipeline(pipeline, /*runnable=*/false));
  DAI_ASSIGN_OR_RETURN(auto order, cicd::TopologicalOrder(pipeline));
  for (const auto& job : pipeline.jobs)
    for (const auto& s : job.steps) {
      fs::path wd(s.working_directory);
      if (wd.is_absolute() || s.working_directory.find("..") != std::string::npos)
        return Status::InvalidArgument("job '" + job.id + "': working directory '" +
                                       s.working_directory + "' must stay inside the checkout");
    }
  std::error_code ec;
  fs::remove_all(options.work_dir, ec);
  fs::create_directories(options.work_dir, ec);
  if (ec)
    return Status::FailedPrecondition("cannot create work dir '" + options.work_dir +
                                      "': " + ec.message());
  std::ofstream log;
  if (!options.log_path.empty()) log.open(options.log_path, std::ios::app | std::ios::binary);
  std::mutex log_mu;
  auto emit = [&](std::string_view text) {
    std::lock_guard<std::mutex> lock(log_mu);
    if (log.is_open()) {
      log.write(text.data(), static_cast<std::streamsize>(text.size()));
      log.flush();
    }
    if (options.on_log) options.on_log(text);
  };
  const auto run_start = SteadyClock::now();
  const std::string checkout = (fs::path(options.work_dir) / "src").string();
  emit("$ git clone " + options.source + (options.ref.empty() ? "" : " @ " + options.ref) + "\n");
  DAI_ASSIGN_OR_RETURN(std::string commit, CloneRepository(options.source, options.ref, checkout,
                                                           std::chrono::minutes(5)));
  // Before the hand-over: git refuses to read a repository another user owns.
  if (options.on_checkout) options.on_checkout(checkout, commit);
  const bool drop = options.run_uid >= 0;
  const std::string home = (fs::path(options.work_dir) / "home").string();
  if (drop) {
    fs::create_directories(home, ec);
    DAI_RETURN_IF_ERROR(ChownTree(options.work_dir, options.run_uid, options.run_gid));
  }
  PipelineRunResult result;
  result.commit = commit;
  result.status = "succeeded";
  std::map<std::string, const cicd::Job*> by_id;
  for (const auto& j : pipeline.jobs) by_id[j.id] = &j;
  std::set<std::string> failed_jobs;
  int script_index = 0;
  for (const auto& job_id : order) {
    const cicd::Job& job = *by_id[job_id];
    bool blocked = false;
    for (const auto& n : job.needs) blocked |= failed_jobs.count(n) > 0;
    for (const auto& s : job.steps) {
      const bool cancelled = options.cancel && options.cancel->load();
      StepRecord rec;
      rec.job = job.id;
      rec.step = cicd::StepLabel(s);
      rec.argv = s.argv;
      rec.started_offset_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - run_start)
              .count();
      if (blocked || cancelled || failed_jobs.count(job.id) || (s.argv.empty() && s.run.empty())) {
        rec.status = cancelled ? "cancelled" : "skipped";
        if (!s.uses.empty() && !blocked) rec.error = "GitHub action not run locally";
        result.steps.push_back(rec);
        if (options.on_step) options.on_step(rec);
        continue;
      }
      StepProcessSpec spec;
      if (!s.argv.empty()) {
        spec.argv = s.argv;
      } else {
        // An imported script: written to a file, run by sh -e (the repository's own text).
        fs::path script =
            fs::path(options.work_dir) / ("step-" + std::to_string(++script_index) + ".sh");
        std::ofstream(script, std::ios::binary) << s.run << "\n";
        spec.argv = {"/bin/sh", "-e", script.string()};
      }
      spec.cwd = (fs::path(checkout) / s.working_directory).lexically_normal().string();
      spec.env = s.env;
      spec.inherit_env = false;
      spec.env["CI"] = "true";
      spec.env["DEVOPS_AI_RUNNER"] = "1";
      if (drop) {
        spec.env["HOME"] = home;
        spec.run_uid = options.run_uid;
        spec.run_gid = options.run_gid;
      }
      spec.timeout = s.timeout_seconds > 0
                         ? std::chrono::milliseconds(int64_t{s.timeout_seconds} * 1000)
                         : options.default_step_timeout;
      spec.max_output_bytes = options.max_step_output_bytes;
      spec.cancel = options.cancel;
      spec.on_output = [&](std::string_view chunk) { emit(chunk); };
      emit("\n=== " + job.id + " / " + rec.step + "\n$ " + cicd::ShellQuote(spec.argv) + "\n");
      auto outcome = RunStepProcess(spec);
      if (!outcome.ok()) {
        rec.status = "failed";
        rec.exit_code = 127;
        rec.error = outcome.status().message();
        emit(rec.error + "\n");
      } else {
        rec.exit_code = outcome->exit_code;
        rec.duration_ms = outcome->duration_ms;
        rec.output_bytes = outcome->output_bytes;
        rec.status = outcome->timed_out   ? "timed_out"
                     : outcome->cancelled ? "cancelled"
                     : outcome->ok()      ? "succeeded"
                                          : "failed";
        if (outcome->output_bytes > outcome->output.size())
          emit("\n[output truncated: " + std::to_string(outcome->output_bytes) +
               " bytes written, " + std::to_string(outcome->output.size()) + " kept]\n");
        if (outcome->timed_out) rec.error = "killed after the step timeout";
        if (outcome->cancelled) rec.error = "cancelled: the step was stopped";
      }
      emit("=== " + rec.status + " (exit " + std::to_string(rec.exit_code) + ", " +
           std::to_string(rec.duration_ms) + " ms)\n");
      if (rec.status != "succeeded") {
        failed_jobs.insert(job.id);
        if (result.failure.empty())
          result.failure =
              job.id + "/" + rec.step + ": " +
              (rec.error.empty() ? "exit " + std::to_string(rec.exit_code) : rec.error);
        result.status = rec.status == "cancelled" ? "cancelled" : "failed";
      }
      result.steps.push_back(rec);
      if (options.on_step) options.on_step(rec);
    }
  }
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - run_start).count();
  return result;
}

}  // namespace dai::runner
