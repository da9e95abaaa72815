// Kubernetes posture scans (scanType "kubernetes": manifests on a server-side path, or YAML
// text sent with scanManifests) and compliance reports (checkCompliance) for the
// securityGuardian router (issue #7). Posture results are stored in the scan's report JSON
// (failures, per-check tallies, per-workload summary); compliance reports in compliance_reports
// with per-control status, evidence and the trend versus the framework's previous report.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "engines/compliance/compliance.h"
#include "engines/posture/manifest.h"
#include "engines/posture/posture.h"
#include "engines/posture/report_json.h"
#include "modules/security/security_service.h"
#include "registry/schema.h"

namespace dai::security {
namespace {

namespace fs = std::filesystem;
namespace s = schema;

constexpr size_t kMaxManifestBytes = 16u << 20;  // per file and per inline request
constexpr size_t kMaxFiles = 5000;

std::string_view SevName(posture::Severity sv) { return posture::SeverityName(sv); }

//! The stored posture report: failures, per-check tallies, per-object summary, input errors.
Json PostureReport(const std::vector<posture::Object>& objects, const posture::Report& report,
                   const std::vector<std::string>& errors, int counts[4]) {
  Json failures = Json::array();
  std::map<std::string, std::pair<int, int>> tally;  // check -> failed, passed
  std::vector<Json> per_object(objects.size());
  for (const auto& r : report.results) {
    auto& t = tally[r.check_id];
    Json& o = per_object[r.object_index];
    if (o.is_null()) {
      const auto& obj = objects[r.object_index];
      o = {{"kind", obj.kind}, {"name", obj.name}, {"namespace", obj.namespace_},
           {"file", obj.file}, {"line", obj.line}, {"failed", 0},
           {"passed", 0},      {"worst", nullptr}};
    }
    if (r.outcome == posture::Outcome::kFail) {
      ++t.first;
      o["failed"] = o["failed"].get<int>() + 1;
      int rank = static_cast<int>(r.severity);
      counts[rank]++;
      static const char* kNames[] = {"low", "medium", "high", "critical"};
      int worst = -1;
      for (int i = 0; i < 4; ++i)
        if (o["worst"].is_string() && o["worst"] == kNames[i]) worst = i;
      if (rank > worst) o["worst"] = kNames[rank];
      const auto& obj = objects[r.object_index];
      const posture::CheckInfo* info = posture::FindCheck(r.check_id);
      failures.push_back({{"check", r.check_id},
                          {"severity", std::string(SevName(r.severity))},
                          {"kind", obj.kind},
                          {"name", obj.name},
                          {"namespace", obj.namespace_},
                          {"file", obj.file},
                          {"line", obj.line},
                          {"container", r.container},
                          {"message", r.message},
                          {"remediation", info ? std::string(info->remediation) : ""}});
    } else {
      ++t.second;
      o["passed"] = o["passed"].get<int>() + 1;
    }
  }
  Json tally_json = Json::object();
  for (const auto& [id, ft] : tally) tally_json[id] = {{"failed", ft.first}, {"passed", ft.second}};
  Json workloads = Json::array();
  for (auto& o : per_object)
    if (!o.is_null()) workloads.push_back(std::move(o));
  Json err = Json::array();
  for (const auto& e : errors) err.push_back(e);
  return {
      {"targetKind", "kubernetes"},  {"objects", objects.size()}, {"checksRun", report.checks_run},
      {"failed", report.failed},     {"passed", report.passed},   {"tally", tally_json},
      {"objectsSummary", workloads}, {"failures", failures},      {"errors", err}};
}

}  // namespace

Status SecurityService::RunPostureScan(int64_t scan_id, const std::string& target) {
  std::vector<posture::Object> objects;
  std::vector<std::string> errors;
  auto add = [&](const std::string& text, const std::string& name) {
    auto parsed = posture::ParseManifests(text, name);
    if (!parsed.ok()) {
      errors.push_back(parsed.status().message());
      return;
    }
    for (auto& o : *parsed) objects.push_back(std::move(o));
  };
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(target, ec)) {
    for (auto it = fs::recursive_directory_iterator(
             target, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      auto ext = it->path().extension().string();
      if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json"))
        files.push_back(it->path());
      if (files.size() > kMaxFiles) break;
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(target);
  }
  for (const auto& f : files) {
    std::error_code size_ec;
    auto size = fs::file_size(f, size_ec);
    if (size_ec || size > kMaxManifestBytes) {
      errors.push_back(f.string() + (size_ec ? ": " + size_ec.message() : ": over the size limit"));
      continue;
    }
    std::ifstream in(f, std::ios::binary);
    add(std::string(std::istreambuf_iterator<char>(in), {}), f.string());
  }
  return StorePostureResult(scan_id, objects, errors);
}

Result<Json> SecurityService::StartClusterScan(const std::string& actor,
                                               store::JobRepository* jobs) {
  if (!cluster_.list)
    return Status::FailedPrecondition(
        "Kubernetes is not configured: start the server with --kubeconfig FILE (or "
        "--kubeconfig in-cluster, or DEVOPS_AI_KUBECONFIG)");
  return QueueScan("kubernetes", "cluster:" + cluster_.name, actor, Json(nullptr), jobs);
}

Status SecurityService::RunClusterPostureScan(int64_t scan_id) {
  std::vector<Json> docs;
  std::vector<std::string> errors;
  Status listed = cluster_.list ? cluster_.list(&docs, &errors)
                                : Status::FailedPrecondition("Kubernetes is not configured");
  if (!listed.ok()) {
    DAI_RETURN_IF_ERROR(
        db_.Query("UPDATE security_scans SET status = 'failed', completed_at = ?, error = ? "
                  "WHERE id = ?",
                  {clock_.Now(), listed.message(), scan_id})
            .status());
    if (publish_) publish_("security.scan", DumpJson({{"id", scan_id}, {"status", "failed"}}));
    return Status::Ok();  // recorded: the job is done, retrying would not help
  }
  auto objects = posture::ObjectsFromJson(std::move(docs), "cluster:" + cluster_.name);
  return StorePostureResult(scan_id, objects, errors);
}

Status SecurityService::StorePostureResult(int64_t scan_id,
                                           const std::vector<posture::Object>& objects,
                                           const std::vector<std::string>& errors) {
  posture::EvaluateOptions options;  // default checks, passes kept for the tallies
  auto report = posture::Evaluate(objects, options);
  if (!report.ok()) return report.status();
  int counts[4] = {0, 0, 0, 0};
  Json rep = PostureReport(objects, *report, errors, counts);
  const TimePoint now = clock_.Now();
  bool nothing = objects.empty() && !errors.empty();
  DAI_RETURN_IF_ERROR(
      db_.Query("UPDATE security_scans SET status = ?, critical_count = ?, high_count = ?, "
                "medium_count = ?, low_count = ?, report = ?, completed_at = ?, error = ? "
                "WHERE id = ?",
                {std::string(nothing ? "failed" : "completed"), counts[3], counts[2], counts[1],
                 counts[0], DumpJson(rep), now,
                 errors.empty() ? store::Param(nullptr) : store::Param(errors.front()), scan_id})
          .status());
  if (publish_)
    publish_("security.scan",
             DumpJson({{"id", scan_id}, {"status", nothing ? "failed" : "completed"}}));
  return Status::Ok();
}

Result<Json> SecurityService::ScanManifests(const std::string& text, const std::string& name,
                                            const std::string& actor) {
  if (text.size() > kMaxManifestBytes)
    return Status::PayloadTooLarge("input.manifests: over " + std::to_string(kMaxManifestBytes) +
                                   " bytes");
  auto parsed = posture::ParseManifests(text, name);
  if (!parsed.ok()) return Status::InvalidArgument("input.manifests: " + parsed.status().message());
  const TimePoint now = clock_.Now();
  int64_t id = 0;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(auto ins, conn.Query("INSERT INTO security_scans (scan_type, target, "
                                              "status, triggered_by, created_at, started_at) "
                                              "VALUES ('kubernetes', ?, 'running', ?, ?, ?) "
                                              "RETURNING id",
                                              {"inline:" + name, actor, now, now}));
    id = ins.rows.at(0).GetInt(0);
    return Status::Ok();
  }));
  DAI_RETURN_IF_ERROR(StorePostureResult(id, *parsed, {}));
  return GetScan(id, true);
}

Result<compliance::Evidence> SecurityService::GatherEvidence() {
  compliance::Evidence ev;
  auto latest = [&](const char* type) {
    return db_.Query(
        "SELECT id, critical_count, high_count, medium_count, low_count, report, completed_at "
        "FROM security_scans WHERE scan_type = ? AND status = 'completed' ORDER BY id DESC "
        "LIMIT 1",
        {std::string(type)});
  };
  DAI_ASSIGN_OR_RETURN(auto k8s, latest("kubernetes"));
  if (!k8s.rows.empty()) {
    const auto& row = k8s.rows[0];
    auto rep = ParseJson(row.GetString(5));
    if (rep.ok() && rep->contains("tally") && (*rep)["tally"].is_object()) {
      ev.posture_scanned = true;
      ev.posture_source =
          "scan " + std::to_string(row.GetInt(0)) + ", " + FormatIso8601(row.GetTime(6));
      for (const auto& [id, t] : (*rep)["tally"].items())
        ev.posture.push_back({id, t.value("failed", 0), t.value("passed", 0)});
    }
  }
  DAI_ASSIGN_OR_RETURN(auto vulns, latest("container"));
  if (!vulns.rows.empty()) {
    const auto& row = vulns.rows[0];
    ev.vulnerabilities_scanned = true;
    ev.vulnerabilities_source =
        "scan " + std::to_string(row.GetInt(0)) + ", " + FormatIso8601(row.GetTime(6));
    ev.vuln_critical = static_cast<int>(row.GetInt(1));
    ev.vuln_high = static_cast<int>(row.GetInt(2));
    ev.vuln_medium = static_cast<int>(row.GetInt(3));
    ev.vuln_low = static_cast<int>(row.GetInt(4));
  }
  DAI_ASSIGN_OR_RETURN(auto secrets, latest("secrets"));
  if (!secrets.rows.empty()) {
    const auto& row = secrets.rows[0];
    ev.secrets_scanned = true;
    ev.secrets_source = "scan " + std::to_string(row.GetInt(0));
    ev.secrets_findings =
        static_cast<int>(row.GetInt(1) + row.GetInt(2) + row.GetInt(3) + row.GetInt(4));
  }
  // Platform facts observed from this server: audit rows exist; every procedure declares a
  // minimum role (enforced by the registry); this build has no multi-factor authentication.
  DAI_ASSIGN_OR_RETURN(auto audit, db_.Query("SELECT count(*) FROM audit_log", {}));
  ev.platform.emplace_back("audit_log_enabled", audit.rows.at(0).GetInt(0) > 0);
  ev.platform.emplace_back("role_based_access", true);
  ev.platform.emplace_back("mfa_enforced", false);
  return ev;
}

namespace {

Json ComplianceRowJson(const store::Row& r, bool with_report) {
  Json out = {{"id", r.GetInt("id")},
              {"framework", r.GetString("framework")},
              {"status", r.GetString("status")},
              {"score", r.IsNull(r.Index("score")) ? Json(nullptr) : Json(r.GetDouble("score"))},
              {"passedControls", r.GetInt("passed_controls")},
              {"failedControls", r.GetInt("failed_controls")},
              {"totalControls", r.GetInt("total_controls")},
              {"generatedAt", FormatIso8601(r.GetTime("generated_at"))}};
  if (with_report) {
    auto rep = ParseJson(r.GetString("report"));
    out["report"] = rep.ok() ? *rep : Json(nullptr);
  }
  return out;
}

constexpr const char* kComplianceColumns =
    "id, framework, status, score, passed_controls, failed_controls, total_controls, "
    "generated_at, report";

}  // namespace

Result<Json> SecurityService::CheckCompliance(const std::string& framework,
                                              const std::string& actor) {
  DAI_ASSIGN_OR_RETURN(compliance::Evidence ev, GatherEvidence());
  DAI_ASSIGN_OR_RETURN(auto prev,
                       db_.Query(std::string("SELECT ") + kComplianceColumns +
                                     " FROM compliance_reports WHERE framework = ? AND status = "
                                     "'completed' ORDER BY id DESC LIMIT 1",
                                 {framework}));
  Json previous = nullptr;
  if (!prev.rows.empty()) {
    auto p = ParseJson(prev.rows[0].GetString("report"));
    if (p.ok()) previous = *p;
  }
  DAI_ASSIGN_OR_RETURN(compliance::Report report, compliance::Evaluate(framework, ev, previous));
  Json rep = compliance::ReportToJson(report);
  rep["previousReportId"] = prev.rows.empty() ? Json(nullptr) : Json(prev.rows[0].GetInt("id"));
  rep["requestedBy"] = actor;
  Json findings = Json::array();
  for (const auto& c : rep["controls"])
    if (c["status"] == "fail")
      findings.push_back({{"control", c["id"]}, {"evidence", c["evidence"]}});
  const TimePoint now = clock_.Now();
  int64_t id = 0;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto ins,
        conn.Query("INSERT INTO compliance_reports (framework, target, status, score, "
                   "passed_controls, failed_controls, total_controls, findings, report, "
                   "generated_at, created_at, updated_at) VALUES (?, 'platform', 'completed', ?, "
                   "?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                   {framework, report.score, report.passed, report.failed,
                    static_cast<int64_t>(report.controls.size()), DumpJson(findings), DumpJson(rep),
                    now, now, now}));
    id = ins.rows.at(0).GetInt(0);
    return Status::Ok();
  }));
  if (publish_) publish_("security.compliance", DumpJson({{"id", id}, {"framework", framework}}));
  return GetComplianceReport(id);
}

Result<Json> SecurityService::GetComplianceReport(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kComplianceColumns +
                                                " FROM compliance_reports WHERE id = ?",
                                            {id}));
  if (rows.rows.empty())
    return Status::NotFound("compliance report " + std::to_string(id) + " does not exist");
  return ComplianceRowJson(rows.rows[0], true);
}

Result<Json> SecurityService::ListComplianceReports(const Json& f) {
  std::string where = " WHERE 1 = 1";
  store::Params params;
  if (f.contains("framework")) {
    where += " AND framework = ?";
    params.push_back(f["framework"].get<std::string>());
  }
  const int64_t limit = f.value("limit", int64_t{50});
  const int64_t offset = f.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count,
                       db_.Query("SELECT count(*) FROM compliance_reports" + where, params));
  store::Params page = params;
  page.push_back(limit);
  page.push_back(offset);
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kComplianceColumns +
                                                " FROM compliance_reports" + where +
                                                " ORDER BY id DESC LIMIT ? OFFSET ?",
                                            page));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(ComplianceRowJson(r, false));
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

Result<Json> SecurityService::ExportComplianceReport(int64_t id, const std::string& format) {
  DAI_ASSIGN_OR_RETURN(Json row, GetComplianceReport(id));
  std::string at = row["generatedAt"].get<std::string>();
  if (format == "html")
    return Json{{"contentType", "text/html; charset=utf-8"},
                {"filename", "compliance-" + std::to_string(id) + ".html"},
                {"body", compliance::ReportToHtml(row["report"], at)}};
  return Json{{"contentType", "text/markdown; charset=utf-8"},
              {"filename", "compliance-" + std::to_string(id) + ".md"},
              {"body", compliance::ReportToMarkdown(row["report"], at)}};
}

void SecurityService::RegisterPostureProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  Json frameworks = s::Enum({"cis_kubernetes", "nsa_cisa", "soc2", "hipaa", "pci_dss"});
  Json report_schema = s::Object(
      {s::Req("id", s::Int()), s::Req("framework", s::String()), s::Req("status", s::String()),
       s::Req("score", s::Nullable(s::Number())), s::Req("passedControls", s::Int()),
       s::Req("failedControls", s::Int()), s::Req("totalControls", s::Int()),
       s::Req("generatedAt", s::DateTime()), s::Opt("report", s::Any())},
      true);
  registry.Add(MakeProcedure(
      "securityGuardian.scanManifests", M, Role::kOperator,
      s::Object({s::Req("manifests", s::String(1, static_cast<int>(kMaxManifestBytes)),
                        "Kubernetes manifests: multi-document YAML or JSON"),
                 s::Opt("name", s::String(1, 200), "a label for the scan target")}),
      s::Any(),
      "Run the Kubernetes posture checks over manifests sent in the request; stores a completed "
      "scan (scanType kubernetes) and returns it with its report",
      [this](const Json& in, CallContext& ctx) {
        return ScanManifests(in["manifests"].get<std::string>(), in.value("name", "manifests"),
                             ctx.identity ? ctx.identity->username : "");
      }));
  registry.Add(MakeProcedure(
      "securityGuardian.getPostureChecks", Q, Role::kViewer, s::Object({}), s::Any(),
      "The posture check catalog: id, severity, remediation, CIS/NSA references, aliases",
      [](const Json&, CallContext&) -> Result<Json> { return posture::CatalogToJson(); }));
  registry.Add(MakeProcedure(
      "securityGuardian.checkCompliance", M, Role::kOperator,
      s::Object({s::Req("framework", frameworks)}), report_schema,
      "Evaluate a framework's controls against the latest evidence (posture and dependency "
      "scans, platform settings) and store a compliance report; no evidence = not_assessed",
      [this](const Json& in, CallContext& ctx) {
        return CheckCompliance(in["framework"].get<std::string>(),
                               ctx.identity ? ctx.identity->username : "");
      }));
  registry.Add(
      MakeProcedure("securityGuardian.getComplianceReports", Q, Role::kViewer,
                    s::PageInput({s::Opt("framework", frameworks)}), s::Page(report_schema),
                    "Compliance reports, newest first",
                    [this](const Json& in, CallContext&) { return ListComplianceReports(in); }));
  registry.Add(MakeProcedure("securityGuardian.getComplianceReport", Q, Role::kViewer,
                             s::Object({s::Req("id", s::Int(1))}), report_schema,
                             "One compliance report with per-control status, evidence and trend",
                             [this](const Json& in, CallContext&) {
                               return GetComplianceReport(in["id"].get<int64_t>());
                             }));
  registry.Add(MakeProcedure(
      "securityGuardian.exportComplianceReport", Q, Role::kViewer,
      s::Object({s::Req("id", s::Int(1)), s::Req("format", s::Enum({"markdown", "html"}))}),
      s::Object({s::Req("contentType", s::String()), s::Req("filename", s::String()),
                 s::Req("body", s::String())}),
      "A compliance report rendered as Markdown or HTML", [this](const Json& in, CallContext&) {
        return ExportComplianceReport(in["id"].get<int64_t>(), in["format"].get<std::string>());
      }));
}

}  // namespace dai::security
