#include "modules/cicd_orchestrator/cicd_service.h"

#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "adapters/prometheus/prometheus_client.h"
#include "adapters/runner/pipeline_runner.h"
#include "adapters/runner/step_process.h"
#include "core/ids.h"
#include "engines/cicd/canary.h"
#include "engines/cicd/failure_model.h"
#include "engines/cicd/junit.h"
#include "engines/cicd/pipeline.h"
#include "engines/cicd/release_notes.h"
#include "engines/cicd/test_intel.h"
#include "registry/schema.h"
#include "store/repository_util.h"

namespace dai::cicd {

namespace fs = std::filesystem;

namespace {

Json OptTime(const std::optional<TimePoint>& t) {
  return t ? Json(FormatIso8601(*t)) : Json(nullptr);
}

Json PipelineJson(const store::Row& r) {
  auto config = ParseJson(r.GetString("config"));
  Json cfg = config.ok() ? *config : Json::object();
  return {
      {"id", r.GetInt("id")},
      {"name", r.GetString("name")},
      {"repository", r.GetString("repository")},
      {"branch", r.GetString("branch")},
      {"provider", r.GetString("provider")},
      {"generated", r.GetBool("generated")},
      {"status", r.GetString("status")},
      {"definition", cfg.value("definition", Json::object())},
      {"deployTargets", cfg.value("deployTargets", Json::array())},
      {"lastRunStatus",
       r.IsNull("last_run_status") ? Json(nullptr) : Json(r.GetString("last_run_status"))},
      {"lastRunAt", OptTime(r.GetOptTime("last_run_at"))},
      {"successRate", r.IsNull("success_rate") ? Json(nullptr) : Json(r.GetDouble("success_rate"))},
      {"avgDurationSeconds", r.IsNull("avg_duration_seconds")
                                 ? Json(nullptr)
                                 : Json(r.GetDouble("avg_duration_seconds"))},
      {"createdAt", FormatIso8601(r.GetTime("created_at"))}};
}

Json JsonColumn(const store::Row& r, const char* column) {
  if (r.IsNull(column)) return nullptr;
  auto j = ParseJson(r.GetString(column));
  return j.ok() && j->is_object() ? *j : Json(nullptr);
}

Json ChangeSummary(const store::Row& r) {
  Json c = JsonColumn(r, "change_features");
  if (c.is_null()) return c;
  return {{"filesTouched", c.value("filesTouched", int64_t{0})},
          {"linesChanged", c.value("linesChanged", int64_t{0})},
          {"author", c.value("author", "")},
          {"dependencyChange", c.value("dependencyChange", false)}};
}

Json RunJson(const store::Row& r) {
  auto stages = ParseJson(r.GetString("stages"));
  return {{"id", r.GetInt("id")},
          {"pipelineId", r.GetInt("pipeline_id")},
          {"runNumber", r.GetInt("run_number")},
          {"status", r.GetString("status")},
          {"triggerType", r.GetString("trigger_type")},
          {"commitSha", r.IsNull("commit_sha") ? Json(nullptr) : Json(r.GetString("commit_sha"))},
          {"branch", r.IsNull("branch") ? Json(nullptr) : Json(r.GetString("branch"))},
          {"triggeredBy", r.GetString("triggered_by")},
          {"steps", stages.ok() && stages->is_array() ? *stages : Json::array()},
          {"failureReason",
           r.IsNull("failure_reason") ? Json(nullptr) : Json(r.GetString("failure_reason"))},
          {"durationMs", r.IsNull("duration_ms") ? Json(nullptr) : Json(r.GetInt("duration_ms"))},
          {"startedAt", OptTime(r.GetOptTime("started_at"))},
          {"finishedAt", OptTime(r.GetOptTime("finished_at"))},
          {"createdAt", FormatIso8601(r.GetTime("created_at"))},
          {"prediction", JsonColumn(r, "prediction")},
          {"change", ChangeSummary(r)}};
}

// A repository given to the API: an existing local directory, or a URL to clone.
bool IsUrl(const std::string& s) {
  return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0 || s.rfind("git://", 0) == 0 ||
         s.rfind("ssh://", 0) == 0 || s.rfind("file://", 0) == 0;
}

Result<Pipeline> DefinitionOf(const store::Row& r) {
  DAI_ASSIGN_OR_RETURN(Json cfg, ParseJson(r.GetString("config")));
  if (!cfg.is_object() || !cfg.contains("definition"))
    return Status::FailedPrecondition("pipeline " + std::to_string(r.GetInt("id")) +
                                      " has no definition");
  return PipelineFromJson(cfg["definition"]);
}

std::string TempName(const std::string& base, const char* what) {
  return (fs::path(base) / "cicd" / "tmp" / (std::string(what) + "-" + NewProcessId())).string();
}

}  // namespace

CicdService::CicdService(store::Database& db, const Clock& clock, CicdServiceOptions options,
                         std::function<void(const std::string&, const std::string&)> publish)
    : db_(db), clock_(clock), options_(std::move(options)), publish_(std::move(publish)) {
  if (options_.data_dir.empty()) options_.data_dir = ".";
  std::error_code ec;
  auto absolute = fs::absolute(options_.data_dir, ec);
  if (!ec) options_.data_dir = absolute.lexically_normal().string();
  while (options_.data_dir.size() > 1 && options_.data_dir.back() == '/')
    options_.data_dir.pop_back();
  if (options_.runs_dir.empty()) options_.runs_dir = options_.data_dir + "-runs";
  auto runs = fs::absolute(options_.runs_dir, ec);
  if (!ec) options_.runs_dir = runs.lexically_normal().string();
  while (options_.runs_dir.size() > 1 && options_.runs_dir.back() == '/')
    options_.runs_dir.pop_back();
}

namespace {

// True when `inner` is `outer` or lies below it (lexically, after resolving symlinks of the
// existing parts).
bool Within(const std::string& inner, const std::string& outer) {
  std::error_code ec;
  fs::path a = fs::weakly_canonical(inner, ec), b = fs::weakly_canonical(outer, ec);
  auto rel = a.lexically_relative(b);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

Status CicdService::CheckSettings() const {
  if (Within(options_.runs_dir, options_.data_dir) || Within(options_.data_dir, options_.runs_dir))
    return Status::InvalidArgument("setting runs_dir: '" + options_.runs_dir +
                                   "' overlaps the data directory '" + options_.data_dir +
                                   "'; pipeline steps must run outside the server's own "
                                   "directories");
  if (::geteuid() == 0 && !options_.run_user.empty() && !::getpwnam(options_.run_user.c_str()))
    return Status::InvalidArgument("setting run_user: user '" + options_.run_user +
                                   "' does not exist");
  return Status::Ok();
}

std::string CicdService::RunDir(int64_t run_id) const {
  return (fs::path(options_.data_dir) / "cicd" / "runs" / std::to_string(run_id)).string();
}

std::string CicdService::WorkDir(int64_t run_id) const {
  return (fs::path(options_.runs_dir) / std::to_string(run_id) / "work").string();
}

namespace {

// The JSON object in an LLM's answer: the text itself, or inside a ``` fence.
Result<Json> JsonInAnswer(const std::string& text) {
  std::string body = text;
  const size_t fence = body.find("```");
  if (fence != std::string::npos) {
    const size_t start = body.find('\n', fence);
    const size_t end = start == std::string::npos ? start : body.find("```", start);
    if (end == std::string::npos) return Status::InvalidArgument("an unterminated ``` block");
    body = body.substr(start + 1, end - start - 1);
  }
  auto parsed = ParseJson(body);
  if (!parsed.ok() || !parsed->is_object())
    return Status::InvalidArgument("the answer is not a JSON object");
  return *parsed;
}

}  // namespace

Result<Json> CicdService::GeneratePipeline(const std::string& repository, const std::string& format,
                                           bool refine) {
  std::string dir = repository, tmp;
  if (IsUrl(repository)) {
    tmp = TempName(options_.data_dir, "generate");
    DAI_RETURN_IF_ERROR(
        runner::CloneRepository(repository, "", tmp, std::chrono::minutes(2)).status());
    dir = tmp;
  }
  auto snap = runner::SnapshotDirectory(dir);
  if (!tmp.empty()) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }
  if (!snap.ok()) return snap.status();
  RepoProfile profile = DetectRepository(*snap);
  std::string name = fs::path(repository).filename().string();
  DAI_ASSIGN_OR_RETURN(Pipeline p, cicd::GeneratePipeline(profile, name.empty() ? "ci" : name));
  Json toolchains = Json::array();
  for (const auto& t : profile.toolchains)
    toolchains.push_back({{"kind", t.kind}, {"dir", t.dir}, {"deploy", t.deploy}});
  Json out = {{"format", format},
              {"yaml", format == "gitlab" ? ToGitlabCiYaml(p) : ToGithubActionsYaml(p)},
              {"languages", profile.languages},
              {"toolchains", toolchains},
              {"definition", PipelineToJson(p)}};
  if (!refine) return out;
  // The LLM may suggest a rearrangement; it is parsed back through our own model and checked
  // against the generated pipeline. It is text to show and a definition to choose: nothing of
  // it runs unless a person creates a pipeline from it.
  NarrationRequest request;
  request.purpose = "cicd.pipeline_refinement";
  request.instructions =
      "Suggest a refined version of this CI pipeline in the same JSON model (fields name, "
      "branches, jobs[id, name, needs, runsOn, image, timeoutMinutes, caches, steps[name, argv, "
      "uses, with, env, workingDirectory, timeoutSeconds]]). You may regroup, reorder or "
      "parallelise jobs (needs), drop redundant steps, rename, and change timeouts. You must not "
      "add commands, actions, scripts, environment variables, working directories, caches or "
      "images that are not already in it: such a suggestion is refused. Answer with one JSON "
      "object {\"pipeline\": <the refined pipeline>, \"notes\": \"<one short paragraph on what "
      "you changed and why>\"} and nothing else.";
  request.facts = {{"pipeline", out["definition"]},
                   {"languages", profile.languages},
                   {"toolchains", toolchains}};
  request.max_bytes = 64 * 1024;
  const Narration n = Narrate(narrator_, request);
  Json refinement = n.ToJson();
  refinement["accepted"] = false;
  if (n.written_by_llm) {
    auto checked = [&]() -> Result<Json> {
      DAI_ASSIGN_OR_RETURN(Json answer, JsonInAnswer(n.text));
      const Json& def = answer.contains("pipeline") ? answer["pipeline"] : answer;
      DAI_ASSIGN_OR_RETURN(Pipeline suggested, PipelineFromJson(def));
      DAI_RETURN_IF_ERROR(CheckRefinement(p, suggested));
      return Json{
          {"definition", PipelineToJson(suggested)},
          {"yaml", format == "gitlab" ? ToGitlabCiYaml(suggested) : ToGithubActionsYaml(suggested)},
          {"notes", answer.value("notes", std::string()).substr(0, 2000)}};
    }();
    if (checked.ok()) {
      refinement["accepted"] = true;
      refinement["suggestion"] = *checked;
    } else {
      // Rejected: the generated pipeline stands; the reason is shown.
      refinement["rejected"] = checked.status().message().substr(0, 1000);
    }
  }
  out["refinement"] = refinement;
  return out;
}

Result<Json> CicdService::CreatePipeline(const Json& in, const Identity& who) {
  const std::string name = in["name"].get<std::string>();
  const std::string repository = in["repository"].get<std::string>();
  Pipeline p;
  bool generated = false;
  if (in.contains("definition")) {
    const Json& d = in["definition"];
    if (d.is_string()) {
      auto parsed = ParseGithubWorkflow(d.get<std::string>());
      if (!parsed.ok()) return Status::InvalidArgument("definition: " + parsed.status().message());
      p = *parsed;
    } else {
      DAI_ASSIGN_OR_RETURN(p, PipelineFromJson(d));
    }
  } else {
    DAI_ASSIGN_OR_RETURN(Json gen, GeneratePipeline(repository, "github", /*refine=*/false));
    DAI_ASSIGN_OR_RETURN(p, PipelineFromJson(gen["definition"]));
    generated = true;
  }
  if (p.name.empty()) p.name = name;
  Json config = {{"definition", PipelineToJson(p)}};
  if (in.contains("deployTargets")) {
    DAI_ASSIGN_OR_RETURN(config["deployTargets"], CheckDeployTargets(in["deployTargets"]));
  }
  const TimePoint now = clock_.Now();
  auto id = store::internal::InsertReturningId(
      db_,
      "INSERT INTO pipelines (name, repository, branch, provider, config, generated, created_by, "
      "created_at, "
      "updated_at) VALUES (?, ?, ?, 'local', ?, ?, ?, ?, ?) RETURNING id",
      {name, repository, in.value("branch", std::string("main")), DumpJson(config), generated,
       who.user_id > 0 ? store::Param(who.user_id) : store::Param(nullptr), now, now});
  if (!id.ok()) {
    if (id.status().message().find("UNIQUE") != std::string::npos ||
        id.status().message().find("unique") != std::string::npos)
      return Status::Conflict("a pipeline named '" + name + "' exists");
    return id.status();
  }
  return GetPipeline(*id);
}

Result<Json> CicdService::GetPipeline(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT * FROM pipelines WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("pipeline " + std::to_string(id) + " does not exist");
  Json out = PipelineJson(rows.rows[0]);
  auto p = PipelineFromJson(out["definition"]);
  out["yaml"] = p.ok() ? ToGithubActionsYaml(*p) : "";
  return out;
}

Result<Json> CicdService::ListPipelines(const Json& in) {
  int64_t limit = in.value("limit", int64_t{50}), offset = in.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT * FROM pipelines ORDER BY id DESC LIMIT ? OFFSET ?", {limit, offset}));
  DAI_ASSIGN_OR_RETURN(auto count, db_.Query("SELECT COUNT(*) AS n FROM pipelines"));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(PipelineJson(r));
  return Json{
      {"items", items}, {"total", count.rows[0].GetInt("n")}, {"limit", limit}, {"offset", offset}};
}

Result<Json> CicdService::TriggerRun(int64_t pipeline_id, const std::string& ref,
                                     const std::string& actor, store::JobRepository* jobs) {
  if (!ref.empty() && ref[0] == '-') return Status::InvalidArgument("ref: must not start with '-'");
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT * FROM pipelines WHERE id = ?", {pipeline_id}));
  if (rows.rows.empty())
    return Status::NotFound("pipeline " + std::to_string(pipeline_id) + " does not exist");
  DAI_RETURN_IF_ERROR(DefinitionOf(rows.rows[0]).status());
  const TimePoint now = clock_.Now();
  int64_t run_id = 0;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto next, conn.Query("SELECT COALESCE(MAX(run_number), 0) + 1 AS n FROM pipeline_runs "
                              "WHERE pipeline_id = ?",
                              {pipeline_id}));
    DAI_ASSIGN_OR_RETURN(
        auto ins,
        conn.Query(
            "INSERT INTO pipeline_runs (pipeline_id, run_number, status, trigger_type, branch, "
            "triggered_by, created_at, updated_at) VALUES (?, ?, 'queued', 'api', ?, ?, ?, ?) "
            "RETURNING id",
            {pipeline_id, next.rows[0].GetInt("n"),
             ref.empty() ? rows.rows[0].GetString("branch") : ref, actor, now, now}));
    run_id = ins.rows[0].GetInt("id");
    return Status::Ok();
  }));
  // The job is enqueued after the run row commits; if that fails the run is marked failed
  // (never left queued without a job).
  if (jobs) {
    store::NewJob job;
    job.kind = "cicd.run";
    job.payload = DumpJson({{"runId", run_id}, {"ref", ref}});
    job.run_after = now;
    job.max_attempts = 2;
    auto enq = jobs->Enqueue(job, now);
    if (!enq.ok()) {
      (void)db_.Query("UPDATE pipeline_runs SET status = 'failed', failure_reason = ? WHERE id = ?",
                      {"could not queue: " + enq.status().message(), run_id});
      return enq.status();
    }
  }
  if (publish_) publish_("cicd.run", DumpJson({{"id", run_id}, {"status", "queued"}}));
  return GetRun(run_id);
}

Result<Json> CicdService::RunRow(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT * FROM pipeline_runs WHERE id = ?", {id}));
  if (rows.rows.empty()) return Status::NotFound("run " + std::to_string(id) + " does not exist");
  return RunJson(rows.rows[0]);
}

Result<Json> CicdService::GetRun(int64_t id) {
  DAI_ASSIGN_OR_RETURN(Json run, RunRow(id));
  std::ifstream log(fs::path(RunDir(id)) / "log.txt", std::ios::binary);
  std::string text;
  if (log) {
    log.seekg(0, std::ios::end);
    std::streamoff size = log.tellg();
    std::streamoff from = size > 65536 ? size - 65536 : 0;
    log.seekg(from);
    text.assign(static_cast<size_t>(size - from), '\0');
    log.read(text.data(), size - from);
  }
  run["log"] = text;
  return run;
}

Result<Json> CicdService::ListRuns(const Json& in) {
  int64_t limit = in.value("limit", int64_t{50}), offset = in.value("offset", int64_t{0});
  store::QueryResult rows;
  if (in.contains("pipelineId")) {
    DAI_ASSIGN_OR_RETURN(
        rows, db_.Query("SELECT * FROM pipeline_runs WHERE pipeline_id = ? ORDER BY id DESC "
                        "LIMIT ? OFFSET ?",
                        {in["pipelineId"].get<int64_t>(), limit, offset}));
  } else {
    DAI_ASSIGN_OR_RETURN(rows,
                         db_.Query("SELECT * FROM pipeline_runs ORDER BY id DESC LIMIT ? OFFSET ?",
                                   {limit, offset}));
  }
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(RunJson(r));
  return Json{{"items", items},
              {"total", static_cast<int64_t>(items.size()) + offset},
              {"limit", limit},
              {"offset", offset}};
}

namespace {

// Streams a run's output as "cicd.log" events: whole lines, at most every 250 ms and at most
// kMaxEventBytes per event; output beyond that between two flushes is counted, not sent (the
// stored log keeps everything up to the step's cap).
class LogStreamer {
 public:
  static constexpr size_t kMaxEventBytes = 16 * 1024;
  LogStreamer(int64_t run_id, std::function<void(const std::string&, const std::string&)> publish)
      : run_id_(run_id), publish_(std::move(publish)) {}
  void Append(std::string_view text) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t room = kMaxEventBytes > pending_.size() ? kMaxEventBytes - pending_.size() : 0;
    size_t keep = std::min(room, text.size());
    pending_.append(text.substr(0, keep));
    dropped_ += text.size() - keep;
  }
  //! Publishes complete lines (everything when `all` or when no newline fits).
  void Flush(bool all) {
    std::string text;
    uint64_t dropped = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty() && dropped_ == 0) return;
      size_t cut = pending_.size();
      if (!all && dropped_ == 0) {
        size_t nl = pending_.rfind('\n');
        if (nl == std::string::npos && pending_.size() < kMaxEventBytes / 2) return;
        if (nl != std::string::npos) cut = nl + 1;
      }
      text = pending_.substr(0, cut);
      pending_.erase(0, cut);
      dropped = dropped_;
      dropped_ = 0;
    }
    if (publish_)
      publish_("cicd.log", DumpJson({{"runId", run_id_}, {"text", text}, {"dropped", dropped}}));
  }

 private:
  int64_t run_id_;
  std::function<void(const std::string&, const std::string&)> publish_;
  std::mutex mu_;
  std::string pending_;
  uint64_t dropped_ = 0;
};

// Runs `git args...` in `dir` (argv, bounded); the output or empty on failure.
std::string GitOutput(const std::string& dir, std::vector<std::string> args) {
  runner::StepProcessSpec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = dir;
  spec.env = {{"GIT_CONFIG_NOSYSTEM", "1"}, {"LC_ALL", "C"}};
  spec.timeout = std::chrono::seconds(30);
  spec.max_output_bytes = 4u << 20;
  auto out = runner::RunStepProcess(spec);
  if (!out.ok() || out->exit_code != 0) return "";
  return out->output;
}

bool IsDependencyFile(const std::string& path) {
  static const char* kNames[] = {
      "package.json",     "package-lock.json", "yarn.lock",  "pnpm-lock.yaml", "go.mod",
      "go.sum",           "Cargo.toml",        "Cargo.lock", "pyproject.toml", "poetry.lock",
      "requirements.txt", "Pipfile.lock",      "pom.xml",    "build.gradle",   "build.gradle.kts",
      "Gemfile.lock",     "composer.lock",     "vcpkg.json", "conanfile.txt",  "Chart.yaml"};
  const std::string name = fs::path(path).filename().string();
  for (const char* n : kNames)
    if (name == n) return true;
  return name.rfind("requirements", 0) == 0 && name.size() > 4 &&
         name.substr(name.size() - 4) == ".txt";
}

bool IsTestFile(const std::string& path) {
  std::string lower = path;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("test") != std::string::npos || lower.find("spec") != std::string::npos;
}

}  // namespace

std::optional<int64_t> CicdService::JobOfRun(int64_t run_id) {
  if (!jobs_) return std::nullopt;
  for (auto state : {store::JobState::kRunning, store::JobState::kQueued}) {
    auto list = jobs_->List(state, std::string("cicd.run"), 1000);
    if (!list.ok()) continue;
    for (const auto& j : *list) {
      auto payload = ParseJson(j.payload);
      if (payload.ok() && payload->is_object() && payload->value("runId", int64_t{0}) == run_id)
        return j.id;
    }
  }
  return std::nullopt;
}

Result<Json> CicdService::CancelRun(int64_t id, const std::string& actor) {
  DAI_ASSIGN_OR_RETURN(Json run, RunRow(id));
  const std::string status = run["status"].get<std::string>();
  if (status != "queued" && status != "running")
    return Status::FailedPrecondition("run " + std::to_string(id) + " already " + status);
  const TimePoint now = clock_.Now();
  if (status == "queued") {
    DAI_ASSIGN_OR_RETURN(
        auto upd, db_.Query("UPDATE pipeline_runs SET status = 'cancelled', failure_reason = ?, "
                            "finished_at = ?, updated_at = ? WHERE id = ? AND status = 'queued'",
                            {"cancelled by " + actor + " before it started", now, now, id}));
    if (upd.affected_rows > 0) {
      if (auto job = JobOfRun(id)) (void)jobs_->Cancel(*job, now);
      if (publish_) publish_("cicd.run", DumpJson({{"id", id}, {"status", "cancelled"}}));
      return GetRun(id);
    }
    // It started meanwhile: stop it like a running one.
  }
  bool here = false;
  {
    std::lock_guard<std::mutex> lock(active_mu_);
    if (auto it = active_.find(id); it != active_.end()) {
      it->second->store(true);
      here = true;
    }
  }
  // Another process's worker notices at its next lease renewal.
  if (auto job = JobOfRun(id)) {
    Status st = jobs_->Cancel(*job, now);
    if (!st.ok() && !here) return st;
  } else if (!here) {
    return Status::FailedPrecondition("run " + std::to_string(id) +
                                      " is not executing on any worker; it cannot be cancelled");
  }
  (void)db_.Query("UPDATE pipeline_runs SET failure_reason = ?, updated_at = ? WHERE id = ?",
                  {"cancelled by " + actor, now, id});
  if (publish_) publish_("cicd.run", DumpJson({{"id", id}, {"status", "cancelling"}}));
  return GetRun(id);
}

void CicdService::RecordPrediction(int64_t run_id, int64_t pipeline_id,
                                   const std::string& checkout) {
  // The change: files and lines since the pipeline's previous run's commit (or the commit
  // itself when there is none or it is unknown here).
  auto prev = db_.Query(
      "SELECT commit_sha FROM pipeline_runs WHERE pipeline_id = ? AND id < ? AND commit_sha IS "
      "NOT NULL ORDER BY id DESC LIMIT 1",
      {pipeline_id, run_id});
  std::string numstat;
  if (prev.ok() && !prev->rows.empty()) {
    std::string sha = prev->rows[0].GetString("commit_sha");
    if (sha.size() == 40 && sha.find_first_not_of("0123456789abcdef") == std::string::npos)
      numstat = GitOutput(checkout, {"diff", "--numstat", sha, "HEAD", "--"});
  }
  if (numstat.empty())
    numstat = GitOutput(checkout, {"show", "--numstat", "--format=", "HEAD", "--"});
  std::vector<std::string> files;
  int64_t lines = 0, touched = 0, tests = 0;
  bool deps = false;
  size_t pos = 0;
  while (pos < numstat.size()) {
    size_t nl = numstat.find('\n', pos);
    if (nl == std::string::npos) nl = numstat.size();
    std::string line = numstat.substr(pos, nl - pos);
    pos = nl + 1;
    size_t t1 = line.find('\t'), t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos) continue;
    lines += std::atoll(line.substr(0, t1).c_str()) +
             std::atoll(line.substr(t1 + 1, t2 - t1 - 1).c_str());
    std::string file = line.substr(t2 + 1);
    ++touched;
    deps |= IsDependencyFile(file);
    tests += IsTestFile(file) ? 1 : 0;
    if (files.size() < 200) files.push_back(file);
  }
  std::string author = GitOutput(checkout, {"log", "-1", "--format=%ae", "HEAD", "--"});
  while (!author.empty() && (author.back() == '\n' || author.back() == '\r')) author.pop_back();
  Json change = {{"files", files},   {"filesTouched", touched},  {"linesChanged", lines},
                 {"author", author}, {"dependencyChange", deps}, {"testFilesTouched", tests}};

  // Replay the pipeline's finished runs in order, computing each one's features from what was
  // known before it, then train and predict this run.
  auto hist = db_.Query(
      "SELECT id, status, change_features, created_at, finished_at FROM pipeline_runs WHERE "
      "pipeline_id = ? AND id < ? AND status IN ('succeeded','failed') AND change_features IS "
      "NOT NULL ORDER BY id",
      {pipeline_id, run_id});
  std::map<std::string, std::pair<int, int>> by_file, by_author;  // runs, failures
  std::optional<TimePoint> last_green;
  auto features_of = [&](const Json& c, TimePoint at) {
    ChangeFeatures f;
    f.files_touched = c.value("filesTouched", 0.0);
    f.lines_changed = std::log1p(c.value("linesChanged", 0.0));
    for (const auto& file : c.value("files", Json::array())) {
      auto it = by_file.find(file.get<std::string>());
      if (it != by_file.end() && it->second.first > 0)
        f.file_failure_rate = std::max(f.file_failure_rate,
                                       static_cast<double>(it->second.second) / it->second.first);
    }
    auto a = by_author.find(c.value("author", ""));
    if (a != by_author.end() && a->second.first > 0)
      f.author_failure_rate = static_cast<double>(a->second.second) / a->second.first;
    f.hours_since_green =
        last_green ? std::chrono::duration<double>(at - *last_green).count() / 3600.0 : 0.0;
    f.dependency_change = c.value("dependencyChange", false) ? 1.0 : 0.0;
    f.test_files_touched = c.value("testFilesTouched", 0.0);
    return f;
  };
  std::vector<ChangeFeatures> x;
  std::vector<int> y;
  if (hist.ok()) {
    for (const auto& r : hist->rows) {
      auto c = ParseJson(r.GetString("change_features"));
      if (!c.ok() || !c->is_object()) continue;
      const bool failed = r.GetString("status") == "failed";
      x.push_back(features_of(*c, r.GetTime("created_at")));
      y.push_back(failed ? 1 : 0);
      for (const auto& file : c->value("files", Json::array())) {
        auto& e = by_file[file.get<std::string>()];
        ++e.first;
        e.second += failed;
      }
      auto& e = by_author[c->value("author", "")];
      ++e.first;
      e.second += failed;
      if (!failed) last_green = r.GetOptTime("finished_at").value_or(r.GetTime("created_at"));
    }
  }
  int failures = 0;
  for (int v : y) failures += v;
  Json prediction = {{"probability", nullptr},
                     {"reasons", Json::array()},
                     {"trainedOn", static_cast<int64_t>(y.size())}};
  auto model = FailureModel::Train(x, y);
  if (!model.ok()) {
    prediction["note"] = "not enough history to predict: " + std::to_string(y.size()) +
                         " earlier finished runs (" + std::to_string(failures) +
                         " failed); the model needs at least 10 with both outcomes";
  } else {
    Prediction pr = model->Predict(features_of(change, clock_.Now()));
    prediction["probability"] = pr.probability;
    for (const auto& reason : pr.reasons)
      prediction["reasons"].push_back(
          {{"feature", reason.feature}, {"contribution", reason.contribution}});
    prediction["note"] = "logistic regression over " + std::to_string(y.size()) +
                         " earlier runs of this pipeline (" + std::to_string(failures) + " failed)";
  }
  (void)db_.Query(
      "UPDATE pipeline_runs SET change_features = ?, prediction = ?, failure_prediction = ?, "
      "updated_at = ? WHERE id = ?",
      {DumpJson(change), DumpJson(prediction),
       prediction["probability"].is_null() ? store::Param(nullptr)
                                           : store::Param(prediction["probability"].get<double>()),
       clock_.Now(), run_id});
  if (publish_) publish_("cicd.run", DumpJson({{"id", run_id}, {"status", "running"}}));
}

Status CicdService::ExecuteRun(int64_t run_id, const std::atomic<bool>* cancel) {
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT r.status, r.branch, p.id AS pid, p.repository, p.config, "
                           "p.name FROM pipeline_runs r JOIN pipelines p ON p.id = r.pipeline_id "
                           "WHERE r.id = ?",
                           {run_id}));
  if (rows.rows.empty())
    return Status::InvalidArgument("run " + std::to_string(run_id) + " does not exist");
  const store::Row& row = rows.rows[0];
  const std::string prior = row.GetString("status");
  if (prior == "succeeded" || prior == "failed" || prior == "cancelled") return Status::Ok();
  auto cfg = ParseJson(row.GetString("config"));
  Result<Pipeline> pipeline = cfg.ok() && cfg->contains("definition")
                                  ? PipelineFromJson((*cfg)["definition"])
                                  : Result<Pipeline>(Status::FailedPrecondition("no definition"));
  // Found 'running': the process executing it stopped (a crash, a SIGKILL, a host restart) and
  // its job was claimed again. The run is not repeated: its finished steps keep their records,
  // the step that was running is recorded as interrupted, and the run ends failed saying so.
  // Running it again is a new run (triggerRun), so a step never runs twice under one run.
  if (prior == "running") return CloseInterruptedRun(run_id, pipeline);
  // This run's stop flag: set by CancelRun here, or relayed from the job's (lease lost or job
  // cancelled from another process). The relay thread also flushes the live log.
  auto stop = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard<std::mutex> lock(active_mu_);
    active_[run_id] = stop;
  }
  LogStreamer stream(run_id, publish_);
  std::mutex relay_mu;
  std::condition_variable relay_cv;
  bool relay_done = false;
  std::thread relay([&] {
    std::unique_lock<std::mutex> lock(relay_mu);
    while (!relay_done) {
      relay_cv.wait_for(lock, std::chrono::milliseconds(250));
      if (cancel && cancel->load()) stop->store(true);
      lock.unlock();
      stream.Flush(false);
      lock.lock();
    }
  });
  struct Cleanup {
    std::function<void()> fn;
    ~Cleanup() { fn(); }
  } cleanup{[&] {
    {
      std::lock_guard<std::mutex> lock(relay_mu);
      relay_done = true;
    }
    relay_cv.notify_all();
    relay.join();
    stream.Flush(true);
    std::lock_guard<std::mutex> lock(active_mu_);
    active_.erase(run_id);
  }};

  const TimePoint start = clock_.Now();
  DAI_ASSIGN_OR_RETURN(
      auto started,
      db_.Query("UPDATE pipeline_runs SET status = 'running', started_at = ?, updated_at = ?, "
                "failure_reason = NULL WHERE id = ? AND status = 'queued'",
                {start, start, run_id}));
  if (started.affected_rows == 0) return Status::Ok();  // cancelled before it started
  if (publish_) publish_("cicd.run", DumpJson({{"id", run_id}, {"status", "running"}}));
  const std::string dir = RunDir(run_id);
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string log_path = (fs::path(dir) / "log.txt").string();
  Json steps = Json::array();
  std::string status = "failed", failure, commit;
  int64_t duration = 0;
  const int64_t pid = row.GetInt("pid");
  int run_uid = -1, run_gid = -1;
  Status user_status = Status::Ok();
  if (::geteuid() == 0 && !options_.run_user.empty()) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwnam_r(options_.run_user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 ||
        !found) {
      user_status = Status::FailedPrecondition("setting run_user: user '" + options_.run_user +
                                               "' does not exist; steps never run as root");
    } else {
      run_uid = static_cast<int>(pw.pw_uid);
      run_gid = static_cast<int>(pw.pw_gid);
    }
  }
  if (!pipeline.ok() || !user_status.ok()) {
    failure = !pipeline.ok() ? pipeline.status().message() : user_status.message();
    std::ofstream(log_path, std::ios::app) << failure << "\n";
  } else {
    runner::PipelineRunOptions opt;
    opt.source = row.GetString("repository");
    opt.ref = row.IsNull("branch") ? "" : row.GetString("branch");
    opt.work_dir = WorkDir(run_id);
    opt.log_path = log_path;
    opt.default_step_timeout = options_.step_timeout;
    opt.cancel = stop.get();
    opt.run_uid = run_uid;
    opt.run_gid = run_gid;
    if (run_uid >= 0) {
      // The unprivileged user must reach its work directory.
      fs::create_directories(options_.runs_dir, ec);
      fs::permissions(options_.runs_dir,
                      fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                      fs::perm_options::add, ec);
    }
    opt.on_log = [&](std::string_view text) { stream.Append(text); };
    opt.on_checkout = [&](const std::string& checkout, const std::string&) {
      RecordPrediction(run_id, pid, checkout);
    };
    opt.on_step = [&](const runner::StepRecord& s) {
      steps.push_back({{"job", s.job},
                       {"step", s.step},
                       {"status", s.status},
                       {"exitCode", s.exit_code},
                       {"startedOffsetMs", s.started_offset_ms},
                       {"durationMs", s.duration_ms},
                       {"error", s.error}});
      (void)db_.Query("UPDATE pipeline_runs SET stages = ?, updated_at = ? WHERE id = ?",
                      {DumpJson(steps), clock_.Now(), run_id});
      stream.Flush(true);
      if (publish_)
        publish_(
            "cicd.step",
            DumpJson({{"runId", run_id}, {"job", s.job}, {"step", s.step}, {"status", s.status}}));
    };
    auto result = runner::RunPipeline(*pipeline, opt);
    if (!result.ok()) {
      failure = result.status().message();
      std::ofstream(log_path, std::ios::app) << "\n" << failure << "\n";
    } else {
      status = result->status;
      failure = result->failure;
      commit = result->commit;
      duration = result->duration_ms;
    }
    // The workspace is not kept: runs are reproducible from their commit.
    fs::remove_all(fs::path(opt.work_dir).parent_path(), ec);
  }
  if (status != "cancelled" && stop->load()) status = "cancelled";
  if (status == "cancelled") {
    auto why = db_.Query("SELECT failure_reason FROM pipeline_runs WHERE id = ?", {run_id});
    std::string by = why.ok() && !why->rows.empty() && !why->rows[0].IsNull("failure_reason")
                         ? why->rows[0].GetString("failure_reason")
                         : "cancelled";
    failure = by + (failure.empty() ? "" : " (" + failure + ")");
  }
  const TimePoint end = clock_.Now();
  if (duration == 0)
    duration = std::chrono::duration_cast<std::chrono::milliseconds>(end - start).count();
  return FinishRun(
      run_id, pid, status, steps, commit.empty() ? store::Param(nullptr) : store::Param(commit),
      failure.empty() ? store::Param(nullptr) : store::Param(failure), duration, log_path, end);
}

Status CicdService::CloseInterruptedRun(int64_t run_id, const Result<Pipeline>& pipeline) {
  DAI_ASSIGN_OR_RETURN(auto rows,
                       db_.Query("SELECT pipeline_id, stages, commit_sha, started_at FROM "
                                 "pipeline_runs WHERE id = ?",
                                 {run_id}));
  if (rows.rows.empty())
    return Status::InvalidArgument("run " + std::to_string(run_id) + " does not exist");
  const store::Row& row = rows.rows[0];
  Json steps = Json::array();
  if (!row.IsNull("stages")) {
    auto parsed = ParseJson(row.GetString("stages"));
    if (parsed.ok() && parsed->is_array()) steps = *parsed;
  }
  const size_t finished = steps.size();
  std::string where = "during the run";
  if (pipeline.ok()) {
    auto next = cicd::StepAfter(*pipeline, finished);
    if (next.ok() && next->has_value()) {
      const auto& [job, step] = **next;
      where = std::string(finished == 0 ? "while cloning or while step \"" : "while step \"") +
              job + " / " + step + "\" ran";
      steps.push_back({{"job", job},
                       {"step", step},
                       {"status", "interrupted"},
                       {"exitCode", -1},
                       {"startedOffsetMs", 0},
                       {"durationMs", 0},
                       {"error",
                        "the server stopped while this step may have been running; it is "
                        "not run again"}});
    } else if (next.ok()) {
      where = "after its last step";
    }
  }
  const std::string reason = "interrupted: the server stopped " + where + " (" +
                             std::to_string(finished) +
                             " step(s) had finished); this run is not repeated: trigger a new "
                             "run to run the pipeline again";
  const TimePoint end = clock_.Now();
  const auto started = row.GetOptTime("started_at");
  const int64_t duration =
      started ? std::chrono::duration_cast<std::chrono::milliseconds>(end - *started).count() : 0;
  const std::string dir = RunDir(run_id);
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string log_path = (fs::path(dir) / "log.txt").string();
  std::ofstream(log_path, std::ios::app) << "\n[" << reason << "]\n";
  // The killed run's workspace is not kept (as after any run).
  fs::remove_all(fs::path(WorkDir(run_id)).parent_path(), ec);
  return FinishRun(
      run_id, row.GetInt("pipeline_id"), "failed", steps,
      row.IsNull("commit_sha") ? store::Param(nullptr) : store::Param(row.GetString("commit_sha")),
      reason, std::max<int64_t>(duration, 0), log_path, end);
}

Status CicdService::FinishRun(int64_t run_id, int64_t pid, const std::string& status,
                              const Json& steps, const store::Param& commit,
                              const store::Param& failure, int64_t duration,
                              const std::string& log_path, TimePoint end) {
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_RETURN_IF_ERROR(
        conn.Query("UPDATE pipeline_runs SET status = ?, stages = ?, commit_sha = ?, "
                   "failure_reason = ?, "
                   "duration_ms = ?, logs_path = ?, finished_at = ?, updated_at = ? WHERE id = ?",
                   {status, DumpJson(steps), commit, failure, duration, log_path, end, end, run_id})
            .status());
    DAI_ASSIGN_OR_RETURN(
        auto agg,
        conn.Query("SELECT COUNT(*) AS n, SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 "
                   "END) AS ok, AVG(duration_ms) AS d FROM pipeline_runs WHERE "
                   "pipeline_id = ? AND status IN ('succeeded','failed')",
                   {pid}));
    double n = static_cast<double>(agg.rows[0].GetInt("n"));
    double ok = agg.rows[0].IsNull("ok") ? 0.0 : agg.rows[0].GetDouble("ok");
    double avg = agg.rows[0].IsNull("d") ? 0.0 : agg.rows[0].GetDouble("d") / 1000.0;
    return conn
        .Query(
            "UPDATE pipelines SET last_run_status = ?, last_run_at = ?, success_rate = ?, "
            "avg_duration_seconds = ?, updated_at = ? WHERE id = ?",
            {status, end, n > 0 ? ok / n : 0.0, avg, end, pid})
        .status();
  }));
  if (publish_) publish_("cicd.run", DumpJson({{"id", run_id}, {"status", status}}));
  return Status::Ok();
}

Result<Json> CicdService::IngestJunit(int64_t pipeline_id, const std::string& xml,
                                      const std::string& commit) {
  DAI_ASSIGN_OR_RETURN(auto report, ParseJunitXml(xml));
  DAI_ASSIGN_OR_RETURN(auto exists,
                       db_.Query("SELECT id FROM pipelines WHERE id = ?", {pipeline_id}));
  if (exists.rows.empty())
    return Status::NotFound("pipeline " + std::to_string(pipeline_id) + " does not exist");
  const TimePoint now = clock_.Now();
  int ingested = 0;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    for (const auto& c : report.cases) {
      DAI_ASSIGN_OR_RETURN(
          auto cur, conn.Query("SELECT history FROM test_intelligence WHERE pipeline_id = ? AND "
                               "test_suite = ? AND test_name = ?",
                               {pipeline_id, c.suite, c.name}));
      Json history = Json::array();
      if (!cur.rows.empty()) {
        auto h = ParseJson(cur.rows[0].GetString("history"));
        if (h.ok() && h->is_array()) history = *h;
      }
      history.push_back({{"commit", commit},
                         {"outcome", std::string(TestOutcomeName(c.outcome))},
                         {"durationMs", c.duration_ms},
                         {"at", FormatIso8601(now)}});
      while (history.size() > 100) history.erase(history.begin());
      std::vector<TestObservation> obs;
      int64_t idx = 0;
      for (const auto& h : history) {
        std::string o = h.value("outcome", "passed");
        obs.push_back({c.suite + "::" + c.name, h.value("commit", ""), idx++,
                       o == "failed"    ? TestOutcome::kFailed
                       : o == "error"   ? TestOutcome::kError
                       : o == "skipped" ? TestOutcome::kSkipped
                                        : TestOutcome::kPassed,
                       h.value("durationMs", 0.0)});
      }
      auto flaky = AnalyzeFlakiness(obs);
      FlakinessReport f = flaky.empty() ? FlakinessReport{} : flaky[0];
      const std::string last = std::string(TestOutcomeName(c.outcome));
      if (cur.rows.empty()) {
        DAI_RETURN_IF_ERROR(
            conn.Query("INSERT INTO test_intelligence (pipeline_id, test_name, test_suite, "
                       "file_path, total_runs, "
                       "failures, flaky_score, is_flaky, avg_duration_ms, failure_probability, "
                       "last_status, "
                       "last_failure_message, history, last_run_at, created_at, updated_at) VALUES "
                       "(?, ?, ?, ?, ?, ?, "
                       "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       {pipeline_id, c.name, c.suite,
                        c.file.empty() ? store::Param(nullptr) : store::Param(c.file),
                        int64_t{f.runs}, int64_t{f.failures}, f.flaky_score, f.is_flaky,
                        f.avg_duration_ms, f.runs ? static_cast<double>(f.failures) / f.runs : 0.0,
                        last, c.message.empty() ? store::Param(nullptr) : store::Param(c.message),
                        DumpJson(history), now, now, now})
                .status());
      } else {
        DAI_RETURN_IF_ERROR(
            conn.Query("UPDATE test_intelligence SET total_runs = ?, failures = ?, flaky_score = "
                       "?, is_flaky = ?, "
                       "avg_duration_ms = ?, failure_probability = ?, last_status = ?, "
                       "last_failure_message = "
                       "COALESCE(?, last_failure_message), history = ?, last_run_at = ?, "
                       "updated_at = ? WHERE "
                       "pipeline_id = ? AND test_suite = ? AND test_name = ?",
                       {int64_t{f.runs}, int64_t{f.failures}, f.flaky_score, f.is_flaky,
                        f.avg_duration_ms, f.runs ? static_cast<double>(f.failures) / f.runs : 0.0,
                        last, c.message.empty() ? store::Param(nullptr) : store::Param(c.message),
                        DumpJson(history), now, now, pipeline_id, c.suite, c.name})
                .status());
      }
      ++ingested;
    }
    return Status::Ok();
  }));
  return Json{{"tests", ingested}, {"suites", report.suites}};
}

Result<Json> CicdService::TestHealth(int64_t pipeline_id) {
  DAI_ASSIGN_OR_RETURN(auto rows,
                       db_.Query("SELECT * FROM test_intelligence WHERE pipeline_id = ? ORDER BY "
                                 "flaky_score DESC, avg_duration_ms DESC LIMIT 500",
                                 {pipeline_id}));
  Json items = Json::array();
  for (const auto& r : rows.rows)
    items.push_back(
        {{"suite", r.GetString("test_suite")},
         {"name", r.GetString("test_name")},
         {"totalRuns", r.GetInt("total_runs")},
         {"failures", r.GetInt("failures")},
         {"flakyScore", r.GetDouble("flaky_score")},
         {"isFlaky", r.GetBool("is_flaky")},
         {"avgDurationMs", r.IsNull("avg_duration_ms") ? 0.0 : r.GetDouble("avg_duration_ms")},
         {"lastStatus",
          r.IsNull("last_status") ? Json(nullptr) : Json(r.GetString("last_status"))}});
  return Json{{"items", items}};
}

Result<Json> CicdService::SelectTests(const Json& in) {
  const int64_t pipeline_id = in["pipelineId"].get<int64_t>();
  DAI_ASSIGN_OR_RETURN(auto prow,
                       db_.Query("SELECT repository FROM pipelines WHERE id = ?", {pipeline_id}));
  if (prow.rows.empty())
    return Status::NotFound("pipeline " + std::to_string(pipeline_id) + " does not exist");
  const int sources = static_cast<int>(in.contains("runId")) +
                      static_cast<int>(in.contains("changedFiles")) +
                      static_cast<int>(in.contains("from"));
  if (sources != 1)
    return Status::InvalidArgument(
        "give exactly one of runId, changedFiles, or from (with optional to)");
  std::vector<std::string> changed;
  std::string source;
  std::optional<int64_t> before_run;
  std::optional<TimePoint> before_time;
  if (in.contains("runId")) {
    source = "run";
    const int64_t run_id = in["runId"].get<int64_t>();
    DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT pipeline_id, change_features, created_at FROM "
                                           "pipeline_runs WHERE id = ?",
                                           {run_id}));
    if (r.rows.empty() || r.rows[0].GetInt("pipeline_id") != pipeline_id)
      return Status::NotFound("run " + std::to_string(run_id) + " of pipeline " +
                              std::to_string(pipeline_id) + " does not exist");
    auto c = r.rows[0].IsNull("change_features")
                 ? Result<Json>(Status::FailedPrecondition(""))
                 : ParseJson(r.rows[0].GetString("change_features"));
    if (!c.ok() || !c->is_object())
      return Status::FailedPrecondition("run " + std::to_string(run_id) +
                                        " has no recorded change yet (it records one when its "
                                        "checkout is ready)");
    for (const auto& f : c->value("files", Json::array())) changed.push_back(f.get<std::string>());
    before_run = run_id;
    before_time = r.rows[0].GetTime("created_at");
  } else if (in.contains("changedFiles")) {
    source = "files";
    changed = in["changedFiles"].get<std::vector<std::string>>();
  } else {
    source = "range";
    const std::string from = in["from"].get<std::string>(), to = in.value("to", "HEAD");
    for (const auto* r : {&from, &to})
      if (r->empty() || (*r)[0] == '-')
        return Status::InvalidArgument("refs must not start with '-'");
    const std::string repository = prow.rows[0].GetString("repository");
    std::string dir = repository, tmp;
    if (IsUrl(repository)) {
      tmp = TempName(options_.data_dir, "select");
      DAI_RETURN_IF_ERROR(
          runner::CloneRepository(repository, "", tmp, std::chrono::minutes(2)).status());
      dir = tmp;
    }
    runner::StepProcessSpec spec;
    spec.argv = {"git", "diff", "--name-only", from + ".." + to, "--"};
    spec.cwd = dir;
    spec.env = {{"GIT_CONFIG_NOSYSTEM", "1"}, {"LC_ALL", "C"}};
    spec.timeout = std::chrono::seconds(30);
    spec.max_output_bytes = 4u << 20;
    auto out = runner::RunStepProcess(spec);
    if (!tmp.empty()) {
      std::error_code ec;
      fs::remove_all(tmp, ec);
    }
    if (!out.ok()) return out.status();
    if (out->exit_code != 0)
      return Status::InvalidArgument("git diff " + from + ".." + to +
                                     " failed: " + out->output.substr(0, 500));
    std::stringstream ls(out->output);
    std::string line;
    while (std::getline(ls, line))
      if (!line.empty()) changed.push_back(line);
  }

  // History: each commit's outcomes (from JUnit ingestion) with the files its run changed.
  std::map<std::string, std::vector<std::string>> files_of_commit;
  {
    DAI_ASSIGN_OR_RETURN(
        auto runs, db_.Query("SELECT id, commit_sha, change_features FROM pipeline_runs WHERE "
                             "pipeline_id = ? AND commit_sha IS NOT NULL AND change_features IS "
                             "NOT NULL ORDER BY id",
                             {pipeline_id}));
    for (const auto& r : runs.rows) {
      if (before_run && r.GetInt("id") >= *before_run) continue;
      auto c = ParseJson(r.GetString("change_features"));
      if (!c.ok() || !c->is_object()) continue;
      std::vector<std::string> files;
      for (const auto& f : c->value("files", Json::array())) files.push_back(f.get<std::string>());
      files_of_commit[r.GetString("commit_sha")] = std::move(files);
    }
  }
  DAI_ASSIGN_OR_RETURN(auto tests, db_.Query("SELECT test_suite, test_name, file_path, history "
                                             "FROM test_intelligence WHERE pipeline_id = ?",
                                             {pipeline_id}));
  struct Group {
    std::string first_at;
    RunRecord record;
  };
  std::map<std::string, Group> groups;  // by commit (or ingestion time without one)
  std::map<std::string, std::pair<std::string, std::string>> names;
  const std::string cutoff = before_time ? FormatIso8601(*before_time) : std::string();
  for (const auto& t : tests.rows) {
    const std::string suite = t.GetString("test_suite"), name = t.GetString("test_name");
    const std::string id = suite + "::" + name;
    names[id] = {suite, name};
    std::string file = t.IsNull("file_path") ? std::string() : t.GetString("file_path");
    if (file.empty() && suite.find('/') != std::string::npos) file = suite;
    auto h = ParseJson(t.GetString("history"));
    if (!h.ok() || !h->is_array()) continue;
    for (const auto& e : *h) {
      const std::string at = e.value("at", ""), commit = e.value("commit", "");
      if (!cutoff.empty() && at >= cutoff) continue;
      const std::string outcome = e.value("outcome", "passed");
      if (outcome == "skipped") continue;
      Group& g = groups[commit.empty() ? "@" + at : commit];
      if (g.first_at.empty() || at < g.first_at) g.first_at = at;
      g.record.test_duration_ms[id] += e.value("durationMs", 0.0);
      if (outcome != "passed") g.record.failed_tests.push_back(id);
      if (!file.empty()) g.record.test_file[id] = file;
      if (!commit.empty() && g.record.changed_files.empty()) {
        auto fc = files_of_commit.find(commit);
        if (fc != files_of_commit.end()) g.record.changed_files = fc->second;
      }
    }
  }
  std::vector<std::pair<std::string, RunRecord>> ordered;
  for (auto& [key, g] : groups) ordered.emplace_back(g.first_at, std::move(g.record));
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<RunRecord> history;
  int with_changes = 0;
  for (auto& [at, r] : ordered) {
    with_changes += !r.changed_files.empty();
    history.push_back(std::move(r));
  }
  const double budget_seconds = in.value("budgetSeconds", 0.0);
  if (!(budget_seconds >= 0 && budget_seconds <= 1e7))
    return Status::InvalidArgument("budgetSeconds must be between 0 and 10000000");
  const double budget_ms = budget_seconds * 1000.0;
  auto ranked = RankTests(history, changed, budget_ms);
  Json items = Json::array();
  double total = 0, spent = 0;
  int selected = 0;
  for (const auto& s : ranked) {
    total += s.duration_ms;
    if (s.selected) spent += s.duration_ms, ++selected;
    if (items.size() >= 500) continue;
    Json reasons = Json::array();
    for (const auto& r : s.reasons)
      reasons.push_back({{"kind", r.kind}, {"text", r.text}, {"value", r.value}});
    const auto& n = names.count(s.test) ? names[s.test] : std::pair<std::string, std::string>{};
    items.push_back({{"test", s.test},
                     {"suite", n.first},
                     {"name", n.second},
                     {"score", s.score},
                     {"durationMs", s.duration_ms},
                     {"selected", s.selected},
                     {"reasons", reasons}});
  }
  std::string note;
  if (history.empty())
    note =
        "no test history for this pipeline yet: ingest JUnit reports (ingestJunit) with their "
        "commits";
  else
    note = "ranked from " + std::to_string(history.size()) + " earlier test runs (" +
           std::to_string(with_changes) +
           " matched by commit to a run's changed files, the source of co-failure)";
  if (changed.size() > 1000) changed.resize(1000);
  return Json{{"source", source},
              {"changedFiles", changed},
              {"historyRuns", static_cast<int64_t>(history.size())},
              {"budgetMs", budget_ms > 0 ? Json(budget_ms) : Json(nullptr)},
              {"totalMs", total},
              {"selectedMs", spent},
              {"selectedCount", selected},
              {"testCount", static_cast<int64_t>(ranked.size())},
              {"items", items},
              {"note", note}};
}

Result<Json> CicdService::GetOptimizations(std::optional<int64_t> pipeline_id) {
  store::QueryResult pipelines;
  if (pipeline_id) {
    DAI_ASSIGN_OR_RETURN(pipelines,
                         db_.Query("SELECT * FROM pipelines WHERE id = ?", {*pipeline_id}));
    if (pipelines.rows.empty())
      return Status::NotFound("pipeline " + std::to_string(*pipeline_id) + " does not exist");
  } else {
    DAI_ASSIGN_OR_RETURN(pipelines, db_.Query("SELECT * FROM pipelines ORDER BY id"));
  }
  Json items = Json::array();
  for (const auto& pr : pipelines.rows) {
    int64_t pid = pr.GetInt("id");
    auto def = DefinitionOf(pr);
    if (!def.ok()) continue;
    DAI_ASSIGN_OR_RETURN(
        auto runs, db_.Query("SELECT stages FROM pipeline_runs WHERE pipeline_id = ? AND status IN "
                             "('succeeded','failed') ORDER BY id DESC LIMIT 50",
                             {pid}));
    std::vector<StepTiming> timings;
    for (const auto& r : runs.rows) {
      auto st = ParseJson(r.GetString("stages"));
      if (!st.ok() || !st->is_array()) continue;
      for (const auto& s : *st)
        if (s.value("status", "") == "succeeded" || s.value("status", "") == "failed")
          timings.push_back({s.value("job", ""),
                             s.value("step", ""),
                             {},
                             s.value("durationMs", 0.0),
                             s.value("status", "") == "succeeded"});
    }
    DAI_ASSIGN_OR_RETURN(
        auto tests,
        db_.Query("SELECT test_suite, test_name, flaky_score, is_flaky, total_runs, "
                  "failures, avg_duration_ms FROM test_intelligence WHERE pipeline_id = ? "
                  "AND is_flaky = ?",
                  {pid, true}));
    std::vector<FlakinessReport> flaky;
    for (const auto& t : tests.rows) {
      FlakinessReport f;
      f.test = t.GetString("test_suite") + "::" + t.GetString("test_name");
      f.is_flaky = true;
      f.flaky_score = t.GetDouble("flaky_score");
      f.flip_rate = f.flaky_score;
      f.avg_duration_ms = t.IsNull("avg_duration_ms") ? 0.0 : t.GetDouble("avg_duration_ms");
      flaky.push_back(f);
    }
    auto opts = SuggestOptimizations(*def, timings, flaky);
    const TimePoint now = clock_.Now();
    DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
      DAI_RETURN_IF_ERROR(
          conn.Query("DELETE FROM pipeline_optimizations WHERE pipeline_id = ? AND status = 'open'",
                     {pid})
              .status());
      for (const auto& o : opts) {
        std::string type = o.type == "caching" || o.type == "parallelization" ||
                                   o.type == "flaky_test" || o.type == "step_removal" ||
                                   o.type == "test_selection"
                               ? o.type
                               : "other";
        DAI_RETURN_IF_ERROR(
            conn.Query("INSERT INTO pipeline_optimizations (pipeline_id, optimization_type, title, "
                       "description, estimated_time_savings_seconds, confidence, details, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, '{}', ?, ?)",
                       {pid, type, o.title, o.description, o.estimated_seconds_saved, o.confidence,
                        now, now})
                .status());
        items.push_back({{"pipelineId", pid},
                         {"type", type},
                         {"title", o.title},
                         {"description", o.description},
                         {"estimatedSecondsSaved", o.estimated_seconds_saved},
                         {"confidence", o.confidence}});
      }
      return Status::Ok();
    }));
  }
  return Json{{"items", items}};
}

namespace {

std::vector<double> MatrixValues(const Json& result) {
  std::vector<double> out;
  if (!result.is_array()) return out;
  for (const auto& series : result) {
    if (!series.contains("values") || !series["values"].is_array()) continue;
    for (const auto& v : series["values"]) {
      if (!v.is_array() || v.size() != 2 || !v[1].is_string()) continue;
      double d = std::strtod(v[1].get<std::string>().c_str(), nullptr);
      if (std::isfinite(d)) out.push_back(d);
    }
  }
  return out;
}

std::vector<double> Numbers(const Json& a) {
  std::vector<double> out;
  for (const auto& v : a) out.push_back(v.get<double>());
  return out;
}

}  // namespace

Result<Json> CicdService::JudgeCanary(const Json& in) {
  // The rollback target is resolved first: a bad one is refused before any query runs.
  DAI_ASSIGN_OR_RETURN(Json rollback_target, CanaryRollbackTarget(in));
  std::vector<CanaryMetric> metrics;
  TimePoint end = clock_.Now();
  if (in.contains("end")) {
    DAI_ASSIGN_OR_RETURN(end, ParseIso8601(in["end"].get<std::string>()));
  }
  TimePoint start = end - std::chrono::seconds(in.value("windowSeconds", int64_t{300}));
  auto step = std::chrono::milliseconds(in.value("stepSeconds", int64_t{5}) * 1000);
  Json queries = Json::array();
  for (size_t i = 0; i < in["metrics"].size(); ++i) {
    const Json& m = in["metrics"][i];
    CanaryMetric cm;
    cm.name = m["name"].get<std::string>();
    std::string harmful = m.value("harmful", "increase");
    cm.harmful = harmful == "decrease" ? Direction::kDecrease
                 : harmful == "either" ? Direction::kEither
                                       : Direction::kIncrease;
    cm.weight = m.value("weight", 1.0);
    cm.critical = m.value("critical", false);
    cm.allowed_change = m.value("allowedChange", 0.1);
    std::string where = "metrics[" + std::to_string(i) + "]";
    if (m.contains("baseline") && m.contains("canary")) {
      cm.baseline = Numbers(m["baseline"]);
      cm.canary = Numbers(m["canary"]);
    } else if (m.contains("baselineQuery") && m.contains("canaryQuery")) {
      if (!options_.prometheus)
        return Status::FailedPrecondition(
            where + ": PromQL queries need --prometheus-url to be configured");
      for (auto [key, target] :
           {std::pair{"baselineQuery", &cm.baseline}, std::pair{"canaryQuery", &cm.canary}}) {
        auto data = options_.prometheus->QueryRange(m[key].get<std::string>(), start, end, step);
        if (!data.ok())
          return Status(data.status().code(), where + "." + key + ": " + data.status().message());
        *target = MatrixValues(data->result);
      }
      queries.push_back({{"name", cm.name},
                         {"baselineSamples", cm.baseline.size()},
                         {"canarySamples", cm.canary.size()}});
    } else {
      return Status::InvalidArgument(
          where + ": give baseline and canary samples, or baselineQuery and canaryQuery");
    }
    metrics.push_back(std::move(cm));
  }
  CanaryConfig cfg;
  cfg.pass_threshold = in.value("passThreshold", 95.0);
  cfg.fail_threshold = in.value("failThreshold", 75.0);
  cfg.alpha = in.value("alpha", 0.05);
  DAI_ASSIGN_OR_RETURN(auto v, cicd::JudgeCanary(metrics, cfg));
  Json ms = Json::array();
  for (const auto& m : v.metrics)
    ms.push_back({{"name", m.name},
                  {"classification", std::string(MetricClassName(m.classification))},
                  {"failed", m.failed},
                  {"pValue", m.p_value},
                  {"baselineMedian", m.baseline_median},
                  {"canaryMedian", m.canary_median},
                  {"relativeShift", m.relative_shift}});
  std::string decision(CanaryDecisionName(v.decision));
  Json out{{"score", v.score},
           {"decision", decision},
           {"rollback", v.decision == CanaryDecision::kFail},
           {"summary", v.summary},
           {"metrics", ms}};
  if (!rollback_target.is_null()) out["autoRollback"] = AutoRollback(rollback_target, out, in);
  return out;
}

Result<Json> CicdService::ReleaseNotes(const std::string& repository, const std::string& from,
                                       const std::string& to, const std::string& title) {
  for (const auto* r : {&from, &to})
    if (!r->empty() && (*r)[0] == '-')
      return Status::InvalidArgument("refs must not start with '-'");
  std::string dir = repository, tmp;
  if (IsUrl(repository)) {
    tmp = TempName(options_.data_dir, "notes");
    DAI_RETURN_IF_ERROR(
        runner::CloneRepository(repository, "", tmp, std::chrono::minutes(2)).status());
    dir = tmp;
  }
  runner::StepProcessSpec spec;
  std::string range =
      from.empty() ? (to.empty() ? "HEAD" : to) : from + ".." + (to.empty() ? "HEAD" : to);
  // %x1e/%x1f separate records and fields; messages may hold anything else.
  spec.argv = {"git", "log", "--no-merges", "--format=%H%x1f%an%x1f%B%x1e", range, "--"};
  spec.cwd = dir;
  spec.env = {{"GIT_CONFIG_NOSYSTEM", "1"}, {"LC_ALL", "C"}};
  spec.timeout = std::chrono::minutes(1);
  spec.max_output_bytes = 16u << 20;
  auto out = runner::RunStepProcess(spec);
  if (!tmp.empty()) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }
  if (!out.ok()) return out.status();
  if (out->exit_code != 0)
    return Status::InvalidArgument("git log " + range + " failed: " + out->output.substr(0, 500));
  std::vector<CommitInfo> commits;
  size_t pos = 0;
  while (pos < out->output.size()) {
    size_t end = out->output.find('\x1e', pos);
    if (end == std::string::npos) end = out->output.size();
    std::string rec = out->output.substr(pos, end - pos);
    pos = end + 1;
    while (!rec.empty() && (rec[0] == '\n')) rec.erase(0, 1);
    size_t a = rec.find('\x1f'), b = a == std::string::npos ? a : rec.find('\x1f', a + 1);
    if (b == std::string::npos) continue;
    commits.push_back({rec.substr(0, a), rec.substr(a + 1, b - a - 1), rec.substr(b + 1)});
  }
  auto notes = BuildReleaseNotes(commits, title.empty() ? range : title);
  NarrationRequest request;
  request.purpose = "cicd.release_notes";
  request.instructions =
      "Write a summary of this release for its release notes, in 2 to 5 sentences: what it "
      "brings (features), what it fixes, and any breaking change a user must act on. Use only "
      "the commits given.";
  request.facts = ReleaseNotesFacts(commits, notes);
  const Narration narration = Narrate(narrator_, request);
  if (narration.written_by_llm)
    notes.markdown = WithSummary(notes.markdown, narration.text, narration.model);
  const TimePoint now = clock_.Now();
  auto doc = store::internal::InsertReturningId(
      db_,
      "INSERT INTO generated_docs (title, doc_type, content, format, source_type, source_id, "
      "metadata, created_at, updated_at) "
      "VALUES (?, 'release_notes', ?, 'markdown', 'git', ?, ?, ?, ?) RETURNING id",
      {title.empty() ? "Release notes " + range : title, notes.markdown, repository + "@" + range,
       DumpJson({{"narrative", narration.ToJson()}}), now, now});
  if (!doc.ok()) return doc.status();
  return Json{{"markdown", notes.markdown}, {"narrative", narration.ToJson()},
              {"features", notes.features}, {"fixes", notes.fixes},
              {"breaking", notes.breaking}, {"other", notes.other},
              {"authors", notes.authors},   {"commits", static_cast<int64_t>(commits.size())},
              {"docId", doc.value()}};
}

}  // namespace dai::cicd
