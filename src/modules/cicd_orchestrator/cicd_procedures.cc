// cicdOrchestrator.*: the specification's five procedures (listPipelines, createPipeline,
// triggerRun, getOptimizations, generatePipeline) and what the UI needs (getPipeline, listRuns,
// getRun, cancelRun, ingestJunit, testHealth, selectTests, judgeCanary, releaseNotes).
#include "modules/cicd_orchestrator/cicd_service.h"
#include "registry/schema.h"

namespace dai::cicd {
namespace {

namespace s = schema;

Json DefinitionSchema() {
  Json step =
      s::Object({s::Req("name", s::String()), s::Opt("argv", s::Array(s::String())),
                 s::Opt("uses", s::String()), s::Opt("run", s::String()),
                 s::Opt("with", s::StringMap()), s::Opt("env", s::StringMap()),
                 s::Opt("workingDirectory", s::String()), s::Opt("timeoutSeconds", s::Int())});
  Json job = s::Object({s::Req("id", s::String()), s::Req("name", s::String()),
                        s::Req("needs", s::Array(s::String())), s::Req("runsOn", s::String()),
                        s::Req("image", s::String()), s::Req("timeoutMinutes", s::Int()),
                        s::Req("steps", s::Array(step)),
                        s::Req("caches", s::Array(s::Object({s::Req("path", s::String()),
                                                             s::Req("key", s::String())})))});
  return s::Object({s::Req("name", s::String()), s::Req("branches", s::Array(s::String())),
                    s::Req("jobs", s::Array(job))});
}

Json RollbackSchema() {
  return s::Object({s::Req("action", s::Enum({"rollback", "run_runbook", "argocd_rollback"})),
                    s::Req("target", s::String(1, 253))});
}

Json DeployTargetsSchema() {
  return s::Array(
      s::Object({s::Req("name", s::String(1, 200)), s::Opt("rollback", RollbackSchema())}), 50);
}

Json PipelineSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("name", s::String()), s::Req("repository", s::String()),
       s::Req("branch", s::String()), s::Req("provider", s::String()),
       s::Req("generated", s::Bool()), s::Req("status", s::String()),
       s::Req("definition", DefinitionSchema()), s::Req("lastRunStatus", s::Nullable(s::String())),
       s::Req("lastRunAt", s::Nullable(s::DateTime())),
       s::Req("successRate", s::Nullable(s::Number())),
       s::Req("avgDurationSeconds", s::Nullable(s::Number())), s::Req("createdAt", s::DateTime()),
       s::Opt("yaml", s::String()), s::Opt("deployTargets", DeployTargetsSchema())});
}

Json RunSchema() {
  Json step = s::Object({s::Req("job", s::String()), s::Req("step", s::String()),
                         s::Req("status", s::String()), s::Req("exitCode", s::Int()),
                         s::Req("startedOffsetMs", s::Int()), s::Req("durationMs", s::Int()),
                         s::Req("error", s::String())});
  return s::Object(
      {s::Req("id", s::Int()), s::Req("pipelineId", s::Int()), s::Req("runNumber", s::Int()),
       s::Req("status",
              s::Enum({"queued", "running", "succeeded", "failed", "cancelled", "skipped"})),
       s::Req("triggerType", s::String()), s::Req("commitSha", s::Nullable(s::String())),
       s::Req("branch", s::Nullable(s::String())), s::Req("triggeredBy", s::String()),
       s::Req("steps", s::Array(step)), s::Req("failureReason", s::Nullable(s::String())),
       s::Req("durationMs", s::Nullable(s::Int())), s::Req("startedAt", s::Nullable(s::DateTime())),
       s::Req("finishedAt", s::Nullable(s::DateTime())), s::Req("createdAt", s::DateTime()),
       s::Opt("log", s::String()),
       s::Req("prediction",
              s::Nullable(s::Object(
                  {s::Req("probability", s::Nullable(s::Number())),
                   s::Req("reasons", s::Array(s::Object({s::Req("feature", s::String()),
                                                         s::Req("contribution", s::Number())}))),
                   s::Req("trainedOn", s::Int()), s::Req("note", s::String())}))),
       s::Req("change",
              s::Nullable(s::Object(
                  {s::Req("filesTouched", s::Int()), s::Req("linesChanged", s::Int()),
                   s::Req("author", s::String()), s::Req("dependencyChange", s::Bool())})))});
}

}  // namespace

void CicdService::RegisterProcedures(ProcedureRegistry& registry, store::JobRepository* jobs) {
  jobs_ = jobs;
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  const Json id = s::Int(1);
  registry.Add(MakeProcedure("cicdOrchestrator.listPipelines", Q, Role::kViewer, s::PageInput(),
                             s::Page(PipelineSchema()), "List pipelines, newest first",
                             [this](const Json& in, CallContext&) { return ListPipelines(in); }));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.createPipeline", M, Role::kOperator,
      s::Object({s::Req("name", s::String(1, 200)), s::Req("repository", s::String(1, 4096)),
                 s::Opt("branch", s::String(1, 255)),
                 s::Opt("definition", s::Any(),
                        "our pipeline model (object) or GitHub Actions YAML (string); "
                        "generated from the repository when absent"),
                 s::Opt("deployTargets", DeployTargetsSchema(),
                        "deploy targets and the rollback a failing canary takes")}),
      PipelineSchema(),
      "Create a pipeline (generated from the repository unless a definition is given)",
      [this](const Json& in, CallContext& ctx) { return CreatePipeline(in, *ctx.identity); }));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.getPipeline", Q, Role::kViewer, s::Object({s::Req("id", id)}),
      PipelineSchema(), "One pipeline with its definition and GitHub Actions YAML",
      [this](const Json& in, CallContext&) { return GetPipeline(in["id"].get<int64_t>()); }));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.updatePipeline", M, Role::kOperator,
      s::Object({s::Req("id", id),
                 s::Opt("definition", s::Any(),
                        "our pipeline model (object) or GitHub Actions YAML (string)"),
                 s::Opt("deployTargets", DeployTargetsSchema(),
                        "deploy targets and the rollback a failing canary takes")}),
      PipelineSchema(), "Replace a pipeline's definition and/or deploy targets",
      [this](const Json& in, CallContext&) { return UpdatePipeline(in); }));
  // A mutation only so that a large definition travels in a POST body; it changes nothing and
  // is not audited.
  Procedure export_pipeline = MakeProcedure(
      "cicdOrchestrator.exportPipeline", M, Role::kViewer,
      s::Object({s::Opt("definition", s::Any(), "our pipeline model"),
                 s::Opt("yaml", s::String(1, 1 << 20), "GitHub Actions workflow YAML"),
                 s::Opt("format", s::Enum({"github", "gitlab"}))}),
      s::Object({s::Req("format", s::String()), s::Req("yaml", s::String()),
                 s::Req("definition", DefinitionSchema())}),
      "A pipeline definition as GitHub Actions or GitLab CI YAML, or GitHub Actions YAML as a "
      "definition (the editor's round trip); cycles and unknown needs are refused",
      [this](const Json& in, CallContext&) { return ExportPipeline(in); });
  export_pipeline.audit = false;
  registry.Add(std::move(export_pipeline));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.triggerRun", M, Role::kOperator,
      s::Object({s::Req("pipelineId", id), s::Opt("ref", s::String(1, 255))}), RunSchema(),
      "Start a pipeline run (a durable job on this server's runner)",
      [this, jobs](const Json& in, CallContext& ctx) {
        return TriggerRun(in["pipelineId"].get<int64_t>(), in.value("ref", std::string()),
                          ctx.identity->username, jobs);
      }));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.cancelRun", M, Role::kOperator, s::Object({s::Req("id", id)}), RunSchema(),
      "Cancel a queued or running run (the running step's process group is killed)",
      [this](const Json& in, CallContext& ctx) {
        return CancelRun(in["id"].get<int64_t>(), ctx.identity->username);
      }));
  registry.Add(MakeProcedure("cicdOrchestrator.listRuns", Q, Role::kViewer,
                             s::PageInput({s::Opt("pipelineId", id)}), s::Page(RunSchema()),
                             "Pipeline runs, newest first",
                             [this](const Json& in, CallContext&) { return ListRuns(in); }));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.getRun", Q, Role::kViewer, s::Object({s::Req("id", id)}), RunSchema(),
      "One run with its steps and the last 64 KiB of its log",
      [this](const Json& in, CallContext&) { return GetRun(in["id"].get<int64_t>()); }));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.getOptimizations", Q, Role::kViewer, s::Object({s::Opt("pipelineId", id)}),
      s::Object({s::Req(
          "items",
          s::Array(s::Object({s::Req("pipelineId", s::Int()), s::Req("type", s::String()),
                              s::Req("title", s::String()), s::Req("description", s::String()),
                              s::Req("estimatedSecondsSaved", s::Number()),
                              s::Req("confidence", s::Number())})))}),
      "Pipeline optimizations from run history (slow steps, caching, parallel jobs, flaky tests)",
      [this](const Json& in, CallContext&) {
        return GetOptimizations(in.contains("pipelineId")
                                    ? std::optional<int64_t>(in["pipelineId"].get<int64_t>())
                                    : std::nullopt);
      }));
  Procedure gen = MakeProcedure(
      "cicdOrchestrator.generatePipeline", M, Role::kOperator,
      s::Object({s::Req("repository", s::String(1, 4096)),
                 s::Req("format", s::Enum({"github", "gitlab"}))}),
      s::Object(
          {s::Req("format", s::String()), s::Req("yaml", s::String()),
           s::Req("languages", s::Array(s::String())),
           s::Req("toolchains",
                  s::Array(s::Object({s::Req("kind", s::String()), s::Req("dir", s::String()),
                                      s::Req("deploy", s::Bool())}))),
           s::Req("definition", DefinitionSchema()),
           s::Opt(
               "refinement",
               s::Object({s::Req("mode", s::Enum({"llm", "deterministic"})),
                          s::Req("accepted", s::Bool()), s::Opt("model", s::String()),
                          s::Opt("reason", s::String()), s::Opt("rejected", s::String()),
                          s::Opt("promptTokens", s::Int()), s::Opt("completionTokens", s::Int()),
                          s::Opt("costUsd", s::Number()),
                          s::Opt("suggestion", s::Object({s::Req("definition", DefinitionSchema()),
                                                          s::Req("yaml", s::String()),
                                                          s::Req("notes", s::String())}))}))}),
      "Generate a pipeline from code analysis (a server-side path or a git URL); with an LLM, "
      "its suggested rearrangement when it passes our pipeline model's checks",
      [this](const Json& in, CallContext&) {
        return GeneratePipeline(in["repository"].get<std::string>(),
                                in["format"].get<std::string>());
      });
  registry.Add(std::move(gen));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.ingestJunit", M, Role::kOperator,
      s::Object({s::Req("pipelineId", id), s::Req("xml", s::String(1, 16 << 20)),
                 s::Opt("commit", s::String(0, 64))}),
      s::Object({s::Req("tests", s::Int()), s::Req("suites", s::Int())}),
      "Record a JUnit XML report's outcomes into test intelligence",
      [this](const Json& in, CallContext&) {
        return IngestJunit(in["pipelineId"].get<int64_t>(), in["xml"].get<std::string>(),
                           in.value("commit", std::string()));
      }));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.testHealth", Q, Role::kViewer, s::Object({s::Req("pipelineId", id)}),
      s::Object({s::Req(
          "items",
          s::Array(s::Object({s::Req("suite", s::String()), s::Req("name", s::String()),
                              s::Req("totalRuns", s::Int()), s::Req("failures", s::Int()),
                              s::Req("flakyScore", s::Number()), s::Req("isFlaky", s::Bool()),
                              s::Req("avgDurationMs", s::Number()),
                              s::Req("lastStatus", s::Nullable(s::String()))}),
                   500))}),
      "Flaky and slow tests of a pipeline", [this](const Json& in, CallContext&) {
        return TestHealth(in["pipelineId"].get<int64_t>());
      }));
  registry.Add(MakeProcedure(
      "cicdOrchestrator.selectTests", Q, Role::kViewer,
      s::Object({s::Req("pipelineId", id), s::Opt("runId", id),
                 s::Opt("changedFiles", s::Array(s::String(1, 4096), 10000)),
                 s::Opt("from", s::String(1, 255)), s::Opt("to", s::String(1, 255)),
                 s::Opt("budgetSeconds", s::Number())}),
      s::Object(
          {s::Req("source", s::Enum({"run", "files", "range"})),
           s::Req("changedFiles", s::Array(s::String())), s::Req("historyRuns", s::Int()),
           s::Req("budgetMs", s::Nullable(s::Number())), s::Req("totalMs", s::Number()),
           s::Req("selectedMs", s::Number()), s::Req("selectedCount", s::Int()),
           s::Req("testCount", s::Int()),
           s::Req("items",
                  s::Array(
                      s::Object(
                          {s::Req("test", s::String()), s::Req("suite", s::String()),
                           s::Req("name", s::String()), s::Req("score", s::Number()),
                           s::Req("durationMs", s::Number()), s::Req("selected", s::Bool()),
                           s::Req("reasons", s::Array(s::Object({s::Req("kind", s::String()),
                                                                 s::Req("text", s::String()),
                                                                 s::Req("value", s::Number())})))}),
                      500)),
           s::Req("note", s::String())}),
      "Tests to run for a change (a run's, given files, or a commit range), ranked by "
      "co-failure, path proximity and recency, picked within a time budget, with reasons",
      [this](const Json& in, CallContext&) { return SelectTests(in); }));
  Json metric = s::Object(
      {s::Req("name", s::String(1, 200)), s::Opt("baseline", s::Array(s::Number(), 100000)),
       s::Opt("canary", s::Array(s::Number(), 100000)), s::Opt("baselineQuery", s::String(1, 4000)),
       s::Opt("canaryQuery", s::String(1, 4000)),
       s::Opt("harmful", s::Enum({"increase", "decrease", "either"})),
       s::Opt("weight", s::Number()), s::Opt("critical", s::Bool()),
       s::Opt("allowedChange", s::Number())});
  registry.Add(MakeProcedure(
      "cicdOrchestrator.judgeCanary", M, Role::kOperator,
      s::Object({s::Req("metrics", s::Array(metric, 50)), s::Opt("end", s::DateTime()),
                 s::Opt("windowSeconds", s::Int(10, 86400)), s::Opt("stepSeconds", s::Int(1, 3600)),
                 s::Opt("passThreshold", s::Number()), s::Opt("failThreshold", s::Number()),
                 s::Opt("alpha", s::Number()),
                 s::Opt("rollback", RollbackSchema(),
                        "on a failing verdict, request this healing action through Self-Healing"),
                 s::Opt("pipelineId", id), s::Opt("deployTarget", s::String(1, 200))}),
      s::Object(
          {s::Req("score", s::Number()), s::Req("decision", s::Enum({"pass", "marginal", "fail"})),
           s::Req("rollback", s::Bool()), s::Req("summary", s::String()),
           s::Req("metrics",
                  s::Array(s::Object(
                      {s::Req("name", s::String()), s::Req("classification", s::String()),
                       s::Req("failed", s::Bool()), s::Req("pValue", s::Number()),
                       s::Req("baselineMedian", s::Number()), s::Req("canaryMedian", s::Number()),
                       s::Req("relativeShift", s::Number())}))),
           s::Opt("autoRollback",
                  s::Object({s::Req("action", s::String()), s::Req("target", s::String()),
                             s::Req("from", s::String()), s::Req("requested", s::Bool()),
                             s::Opt("healingActionId", s::Int()),
                             s::Opt("healingVerdict", s::String()), s::Opt("rule", s::String()),
                             s::Opt("reason", s::String()), s::Opt("error", s::String())}))}),
      "Judge a canary against its baseline (Mann-Whitney U per metric; samples or PromQL over a "
      "window); a failing one rolls back through Self-Healing when a rollback is configured",
      [this](const Json& in, CallContext&) { return JudgeCanary(in); }));
  RegisterGitopsProcedures(registry);
  registry.Add(MakeProcedure(
      "cicdOrchestrator.releaseNotes", M, Role::kOperator,
      s::Object({s::Req("repository", s::String(1, 4096)), s::Opt("from", s::String(1, 255)),
                 s::Opt("to", s::String(1, 255)), s::Opt("title", s::String(1, 200))}),
      s::Object(
          {s::Req("markdown", s::String()), s::Req("features", s::Int()), s::Req("fixes", s::Int()),
           s::Req("breaking", s::Int()), s::Req("other", s::Int()),
           s::Req("authors", s::Array(s::String())), s::Req("commits", s::Int()),
           s::Req("docId", s::Int()),
           s::Req("narrative",
                  s::Object({s::Req("mode", s::Enum({"llm", "deterministic"})),
                             s::Opt("model", s::String()), s::Opt("reason", s::String()),
                             s::Opt("promptTokens", s::Int()), s::Opt("completionTokens", s::Int()),
                             s::Opt("costUsd", s::Number())}))}),
      "Release notes from git history (Conventional Commits), stored as a generated document",
      [this](const Json& in, CallContext&) {
        return ReleaseNotes(in["repository"].get<std::string>(), in.value("from", std::string()),
                            in.value("to", std::string()), in.value("title", std::string()));
      }));
}

}  // namespace dai::cicd
