// securityGuardian.scan / getScans / getScan / getVulnerabilities / getSbom / importReport /
// applyPatch (preview) / advisoryDatabase / importAdvisories (posture and compliance
// procedures: posture_compliance.cc; secrets: secrets_scan.cc; managed secrets and
// rotateSecrets: managed_secrets.cc).
#include "modules/security/security_service.h"
#include "registry/schema.h"

namespace dai::security {
namespace {

namespace s = schema;

Json SeverityEnum() { return s::Enum({"critical", "high", "medium", "low", "unknown"}); }

Json ScanSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("scanType", s::String()), s::Req("target", s::String()),
       s::Req("status", s::Enum({"pending", "running", "completed", "failed"})),
       s::Req("criticalCount", s::Int()), s::Req("highCount", s::Int()),
       s::Req("mediumCount", s::Int()), s::Req("lowCount", s::Int()),
       s::Req("error", s::Nullable(s::String())), s::Req("triggeredBy", s::String()),
       s::Req("startedAt", s::Nullable(s::DateTime())),
       s::Req("completedAt", s::Nullable(s::DateTime())),
       s::Req("createdAt", s::Nullable(s::DateTime())), s::Opt("report", s::Any())},
      true);
}

Json VulnSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("scanId", s::Int()), s::Req("vulnId", s::String()),
       s::Req("aliases", s::Array(s::String())), s::Req("severity", SeverityEnum()),
       s::Req("cvssScore", s::Nullable(s::Number())), s::Req("packageName", s::String()),
       s::Req("packageVersion", s::String()), s::Req("ecosystem", s::String()),
       s::Req("fixedVersion", s::Nullable(s::String())), s::Req("title", s::String()),
       s::Req("location", s::Nullable(s::String())), s::Req("status", s::String()),
       s::Req("details", s::Any()), s::Req("createdAt", s::DateTime())},
      true);
}

}  // namespace

void SecurityService::RegisterProcedures(ProcedureRegistry& registry, store::JobRepository* jobs) {
  RegisterPostureProcedures(registry);
  RegisterSecretsProcedures(registry);
  RegisterPolicyProcedures(registry);
  RegisterOsvProcedures(registry, jobs);
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  registry.Add(MakeProcedure(
      "securityGuardian.scan", M, Role::kOperator,
      s::Object({s::Req("scanType", s::Enum({"container", "kubernetes", "secrets", "compliance"})),
                 s::Opt("target", s::String(1, 4096),
                        "absolute server-side path: image tarball, OCI layout, root filesystem, "
                        "repository or lockfile (container); manifest file or directory "
                        "(kubernetes), required unless cluster is true; directory, file or git "
                        "repository under a scan root (secrets); the framework name (compliance)"),
                 s::Opt("history", s::Bool(),
                        "secrets: also scan every commit of the repository's git history"),
                 s::Opt("cluster", s::Bool(),
                        "kubernetes only: scan the live cluster of the Kubernetes integration "
                        "(--kubeconfig) instead of files")}),
      ScanSchema(),
      "Start a scan (container, kubernetes and secrets run as durable jobs: poll getScan or watch "
      "security.scan events; compliance runs checkCompliance now)",
      [this, jobs](const Json& in, CallContext& ctx) -> Result<Json> {
        const std::string actor = ctx.identity ? ctx.identity->username : "";
        const std::string type = in["scanType"].get<std::string>();
        if (in.value("cluster", false)) {
          if (type != "kubernetes")
            return Status::InvalidArgument("input.cluster: only with scanType \"kubernetes\"");
          if (in.contains("target"))
            return Status::InvalidArgument("input.target: not used with cluster: true");
          return StartClusterScan(actor, jobs);
        }
        if (!in.contains("target"))
          return Status::InvalidArgument(
              "input.target: required (or cluster: true for scanType "
              "\"kubernetes\")");
        return StartScan(type, in["target"].get<std::string>(), actor, jobs,
                         in.value("history", false));
      }));
  registry.Add(MakeProcedure(
      "securityGuardian.getScans", Q, Role::kViewer,
      s::PageInput({s::Opt("status", s::Enum({"pending", "running", "completed", "failed"}))}),
      s::Page(ScanSchema()), "Scans, newest first",
      [this](const Json& in, CallContext&) { return ListScans(in); }));
  registry.Add(MakeProcedure(
      "securityGuardian.getScan", Q, Role::kViewer, s::Object({s::Req("id", s::Int(1))}),
      ScanSchema(),
      "One scan with its report (targetKind, package count, advisory database age, warnings)",
      [this](const Json& in, CallContext&) { return GetScan(in["id"].get<int64_t>(), true); }));
  registry.Add(MakeProcedure(
      "securityGuardian.getVulnerabilities", Q, Role::kViewer,
      s::PageInput({s::Opt("severity", SeverityEnum()), s::Opt("scanId", s::Int(1)),
                    s::Opt("package", s::String(1, 200))}),
      s::Page(VulnSchema()),
      "Vulnerability findings, most severe first, with patch assessment in details.patch",
      [this](const Json& in, CallContext&) { return ListVulnerabilities(in); }));
  registry.Add(MakeProcedure(
      "securityGuardian.getSbom", Q, Role::kViewer,
      s::Object({s::Req("scanId", s::Int(1)), s::Opt("format", s::Enum({"cyclonedx", "spdx"}))}),
      s::Any(), "The scan's SBOM as CycloneDX 1.5 (default) or SPDX 2.3 JSON",
      [this](const Json& in, CallContext&) {
        return GetSbom(in["scanId"].get<int64_t>(), in.value("format", "cyclonedx"));
      }));
  registry.Add(MakeProcedure(
      "securityGuardian.importReport", M, Role::kOperator,
      s::Object({s::Req("report", s::String(2, 32 << 20), "a Trivy or Grype JSON report")}),
      ScanSchema(), "Import a Trivy or Grype JSON report as a completed scan",
      [this](const Json& in, CallContext& ctx) {
        return ImportReport(in["report"].get<std::string>(),
                            ctx.identity ? ctx.identity->username : "");
      }));
  registry.Add(MakeProcedure(
      "securityGuardian.applyPatch", M, Role::kOperator,
      s::Object({s::Req("vulnerabilityId", s::Int(1)),
                 s::Opt("dryRun", s::Bool(),
                        "default true (preview); false commits the change on a new branch "
                        "devops-ai/fix-<package>-<version> of the scanned git repository")}),
      s::Object({s::Req("vulnerabilityId", s::Int()), s::Req("advisory", s::String()),
                 s::Req("package", s::String()), s::Req("fromVersion", s::String()),
                 s::Req("toVersion", s::String()), s::Req("file", s::String()),
                 s::Req("applied", s::Bool()), s::Req("diff", s::Nullable(s::String())),
                 s::Req("command", s::Nullable(s::String())), s::Req("note", s::String()),
                 s::Opt("assessment", s::Any()), s::Opt("repository", s::String()),
                 s::Opt("branch", s::String()), s::Opt("commit", s::String()),
                 s::Opt("baseCommit", s::String())}),
      "The change that fixes a finding: a unified diff of the manifest or the package manager's "
      "command; with dryRun false, a branch with the commit in the scanned git repository",
      [this](const Json& in, CallContext& ctx) {
        return ApplyPatch(in["vulnerabilityId"].get<int64_t>(), in.value("dryRun", true),
                          ctx.identity ? ctx.identity->username : "");
      }));
  registry.Add(MakeProcedure(
      "securityGuardian.advisoryDatabase", Q, Role::kViewer, s::Object({}),
      s::Object({s::Req("advisories", s::Int()), s::Req("importedAt", s::Nullable(s::DateTime())),
                 s::Req("newestModified", s::Nullable(s::String())),
                 s::Req("ageHours", s::Nullable(s::Int()))}),
      "Size and age of the offline OSV advisory database",
      [this](const Json&, CallContext&) { return DatabaseInfo(); }));
  registry.Add(MakeProcedure(
      "securityGuardian.importAdvisories", M, Role::kAdmin,
      s::Object({s::Req("osv", s::String(2, 32 << 20), "OSV JSON: one record or an array"),
                 s::Opt("source", s::String(0, 200))}),
      s::Object({s::Req("imported", s::Int())}), "Import OSV advisories into the offline database",
      [this](const Json& in, CallContext&) -> Result<Json> {
        DAI_ASSIGN_OR_RETURN(
            int n, ImportAdvisories(in["osv"].get<std::string>(), in.value("source", "api")));
        return Json{{"imported", n}};
      }));
}

}  // namespace dai::security
