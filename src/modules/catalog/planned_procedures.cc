#include "modules/catalog/planned_procedures.h"

#include "registry/schema.h"

namespace dai::modules {
namespace {

namespace s = schema;

struct Planned {
  const char* path;
  ProcedureKind kind;
  Role role;
  Json input;
  const char* summary;
  const char* issue;
};

}  // namespace

void RegisterPlannedProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  const Json severity = s::Enum({"critical", "high", "medium", "low"});
  const Json id = s::Int(1);
  const std::vector<Planned> planned = {
      // AI Incident Commander (issue #3): every procedure is built (modules/incident_commander).
      // AI Security Guardian (issues #6 and #7; rotateSecrets is built: modules/security)
      {"securityGuardian.scan", M, Role::kOperator,
       s::Object({s::Req("scanType", s::Enum({"container", "kubernetes", "secrets", "compliance"})),
                  s::Req("target", s::String(1, 4096))}),
       "Start a security scan", "issues #6 and #7"},
      {"securityGuardian.getVulnerabilities", Q, Role::kViewer,
       s::PageInput({s::Opt("severity", severity), s::Opt("scanId", id), s::Opt("package", s::String(1, 200))}),
       "Vulnerability findings", "issue #6"},
      {"securityGuardian.applyPatch", M, Role::kOperator,
       s::Object({s::Req("vulnerabilityId", id), s::Opt("dryRun", s::Bool())}),
       "Produce the fixing change for a finding", "issue #6"},
      {"securityGuardian.checkCompliance", M, Role::kOperator,
       s::Object({s::Req("framework", s::Enum({"soc2", "hipaa", "pci_dss"}))}),
       "Run a compliance assessment", "issue #7"},
      // AI Cost Optimizer (issue #8)
      {"costOptimizer.getCosts", Q, Role::kViewer,
       s::Object({s::Req("start", s::DateTime()), s::Req("end", s::DateTime()),
                  s::Opt("groupBy", s::String(1, 100))}),
       "Cost breakdown over a period", "issue #8"},
      {"costOptimizer.getRecommendations", Q, Role::kViewer,
       s::PageInput({s::Opt("status", s::Enum({"open", "applied", "dismissed"}))}),
       "Savings recommendations", "issue #8"},
      {"costOptimizer.applyRecommendation", M, Role::kOperator,
       s::Object({s::Req("id", id), s::Opt("dryRun", s::Bool())}), "Apply a recommendation", "issue #8"},
      {"costOptimizer.setbudget", M, Role::kOperator,
       s::Object({s::Req("name", s::String(1, 200)), s::Req("scope", s::String(1, 500)),
                  s::Req("amount", s::Number()), s::Req("currency", s::String(3, 3)),
                  s::Req("period", s::Enum({"monthly", "quarterly", "yearly"})),
                  s::Opt("thresholds", s::Array(s::Number(), 10))}),
       "Create or update a budget", "issue #8"},
      {"costOptimizer.forecast", Q, Role::kViewer,
       s::Object({s::Req("horizon", s::Enum({"month", "quarter"})), s::Opt("scope", s::String(1, 500))}),
       "Spend forecast with prediction intervals", "issue #8"},
      // AI CI/CD Orchestrator (issue #9)
      {"cicdOrchestrator.listPipelines", Q, Role::kViewer, s::PageInput(), "List pipelines", "issue #9"},
      {"cicdOrchestrator.createPipeline", M, Role::kOperator,
       s::Object({s::Req("name", s::String(1, 200)), s::Req("repository", s::String(1, 4096)),
                  s::Opt("branch", s::String(1, 255)), s::Opt("definition", s::Any())}),
       "Create a pipeline", "issue #9"},
      {"cicdOrchestrator.triggerRun", M, Role::kOperator,
       s::Object({s::Req("pipelineId", id), s::Opt("ref", s::String(1, 255))}), "Start a pipeline run", "issue #9"},
      {"cicdOrchestrator.getOptimizations", Q, Role::kViewer,
       s::Object({s::Opt("pipelineId", id)}), "Pipeline optimizations from run history", "issue #9"},
      {"cicdOrchestrator.generatePipeline", M, Role::kOperator,
       s::Object({s::Req("repository", s::String(1, 4096)), s::Req("format", s::Enum({"github", "gitlab"}))}),
       "Generate a pipeline from code analysis", "issue #9"},
      // AI Documentation Generator (issue #10): every procedure is built (modules/docs).
  };
  for (const auto& p : planned) {
    if (registry.Find(p.path) != nullptr) continue;
    registry.AddNotImplemented(p.path, p.kind, p.role, p.input, s::Any(), p.summary, p.issue);
  }
}

}  // namespace dai::modules
