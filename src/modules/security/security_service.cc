#include "modules/security/security_service.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "adapters/gitrepo/git_branch.h"
#include "adapters/gitrepo/git_file.h"
#include "adapters/inventory/allowed_roots.h"
#include "adapters/inventory/fs_inventory.h"
#include "adapters/inventory/image_inventory.h"
#include "engines/sbom/dependency_paths.h"
#include "engines/sbom/manifest_patch.h"
#include "engines/sbom/sbom_document.h"
#include "engines/vulnmatch/patch.h"
#include "engines/vulnmatch/report_import.h"

namespace dai::security {
namespace {

using store::Param;
using store::Params;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

constexpr const char* kScanColumns =
    "id, scan_type, target, status, critical_count, high_count, medium_count, low_count, error, "
    "triggered_by, started_at, completed_at, created_at";

Json ScanJson(const store::Row& r) {
  auto ts = [&](const char* col) -> Json {
    auto t = r.GetOptTime(col);
    return t ? Json(FormatIso8601(*t)) : Json(nullptr);
  };
  return Json{{"id", r.GetInt("id")},
              {"scanType", r.GetString("scan_type")},
              {"target", r.GetString("target")},
              {"status", r.GetString("status")},
              {"criticalCount", r.GetInt("critical_count")},
              {"highCount", r.GetInt("high_count")},
              {"mediumCount", r.GetInt("medium_count")},
              {"lowCount", r.GetInt("low_count")},
              {"error", r.IsNull("error") ? Json(nullptr) : Json(r.GetString("error"))},
              {"triggeredBy", r.GetString("triggered_by")},
              {"startedAt", ts("started_at")},
              {"completedAt", ts("completed_at")},
              {"createdAt", ts("created_at")}};
}

constexpr const char* kVulnColumns =
    "id, scan_id, vuln_id, aliases, severity, cvss_score, package_name, package_version, "
    "ecosystem, fixed_version, title, location, status, details, created_at";

Json VulnJson(const store::Row& r) {
  auto aliases = ParseJson(r.GetString("aliases"));
  auto details = ParseJson(r.GetString("details"));
  return Json{
      {"id", r.GetInt("id")},
      {"scanId", r.GetInt("scan_id")},
      {"vulnId", r.GetString("vuln_id")},
      {"aliases", aliases.ok() ? *aliases : Json::array()},
      {"severity", r.GetString("severity")},
      {"cvssScore", r.IsNull("cvss_score") ? Json(nullptr) : Json(r.GetDouble("cvss_score"))},
      {"packageName", r.GetString("package_name")},
      {"packageVersion", r.GetString("package_version")},
      {"ecosystem", r.GetString("ecosystem")},
      {"fixedVersion",
       r.IsNull("fixed_version") ? Json(nullptr) : Json(r.GetString("fixed_version"))},
      {"title", r.GetString("title")},
      {"location", r.IsNull("location") ? Json(nullptr) : Json(r.GetString("location"))},
      {"status", r.GetString("status")},
      {"details", details.ok() ? *details : Json::object()},
      {"createdAt", FormatIso8601(r.GetTime("created_at"))}};
}

struct Counts {
  int64_t critical = 0, high = 0, medium = 0, low = 0, unknown = 0;
  void Add(const std::string& severity) {
    if (severity == "critical")
      ++critical;
    else if (severity == "high")
      ++high;
    else if (severity == "medium")
      ++medium;
    else if (severity == "low")
      ++low;
    else
      ++unknown;
  }
};

Status InsertFinding(store::Connection& conn, int64_t scan_id, const std::string& vuln_id,
                     const Json& aliases, const std::string& severity, double cvss,
                     const std::string& name, const std::string& version, const std::string& eco,
                     const std::string& fixed, const std::string& title,
                     const std::string& description, const std::string& location,
                     const Json& details, TimePoint now, const std::string& status = "open") {
  return conn
      .Query(
          "INSERT INTO vulnerabilities (scan_id, vuln_id, aliases, severity, cvss_score, "
          "package_name, package_version, ecosystem, fixed_version, title, description, "
          "location, status, details, created_at, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {scan_id, vuln_id, DumpJson(aliases), severity, cvss >= 0 ? Param(cvss) : Param(nullptr),
           name, version, eco, fixed.empty() ? Param(nullptr) : Param(fixed), title.substr(0, 500),
           description.substr(0, 4000), location.empty() ? Param(nullptr) : Param(location), status,
           DumpJson(details), now, now})
      .status();
}

bool LooksLikeImage(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return fs::exists(fs::path(path) / "oci-layout", ec);
  for (const char* ext : {".tar", ".tar.gz", ".tgz", ".oci"})
    if (path.size() > std::string_view(ext).size() &&
        path.compare(path.size() - std::string_view(ext).size(), std::string::npos, ext) == 0)
      return true;
  return false;
}

}  // namespace

SecurityService::SecurityService(
    store::Database& db, const Clock& clock, SecurityServiceOptions options,
    std::function<void(const std::string&, const std::string&)> publish)
    : db_(db),
      clock_(clock),
      options_(std::move(options)),
      http_(options_.osv_http),
      publish_(std::move(publish)) {}

Result<int> SecurityService::ImportAdvisories(std::string_view osv_json,
                                              const std::string& source) {
  DAI_ASSIGN_OR_RETURN(auto advisories, vulnmatch::ParseOsvDocument(osv_json));
  // Keep each record's own JSON text: re-parse to split an array into records.
  DAI_ASSIGN_OR_RETURN(Json doc, ParseJson(osv_json));
  std::vector<Json> records;
  if (doc.is_array()) {
    for (auto& r : doc) records.push_back(std::move(r));
  } else {
    records.push_back(std::move(doc));
  }
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    for (size_t i = 0; i < advisories.size(); ++i) {
      const auto& a = advisories[i];
      DAI_RETURN_IF_ERROR(conn.Query("DELETE FROM advisories WHERE id = ?", {a.id}).status());
      DAI_RETURN_IF_ERROR(
          conn.Query(
                  "INSERT INTO advisories (id, modified, summary, source, record, imported_at) "
                  "VALUES (?, ?, ?, ?, ?, ?)",
                  {a.id, a.modified, a.summary.substr(0, 500), source, DumpJson(records[i]), now})
              .status());
      std::set<std::pair<std::string, std::string>> pkgs;
      for (const auto& aff : a.affected) pkgs.insert({aff.ecosystem, aff.name});
      for (const auto& [eco, name] : pkgs)
        DAI_RETURN_IF_ERROR(
            conn.Query("INSERT INTO advisory_packages (advisory_id, ecosystem, name) "
                       "VALUES (?, ?, ?)",
                       {a.id, eco, name})
                .status());
    }
    return Status::Ok();
  }));
  return static_cast<int>(advisories.size());
}

Result<Json> SecurityService::DatabaseInfo() {
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("SELECT count(*), max(imported_at), max(modified) FROM advisories"));
  const auto& row = r.rows.at(0);
  Json info = {{"advisories", row.GetInt(0)},
               {"importedAt", row.IsNull(1) ? Json(nullptr) : Json(FormatIso8601(row.GetTime(1)))},
               {"newestModified", row.IsNull(2) ? Json(nullptr) : Json(row.GetString(2))}};
  if (!row.IsNull(1)) {
    auto age = std::chrono::duration_cast<std::chrono::hours>(clock_.Now() - row.GetTime(1));
    info["ageHours"] = age.count();
  } else {
    info["ageHours"] = nullptr;
  }
  return info;
}

Result<std::shared_ptr<const vulnmatch::AdvisoryIndex>> SecurityService::Index() {
  DAI_ASSIGN_OR_RETURN(auto stamp_rows,
                       db_.Query("SELECT count(*), max(imported_at) FROM advisories"));
  const std::string stamp =
      stamp_rows.rows.at(0).GetString(0) + "|" + stamp_rows.rows.at(0).GetString(1);
  std::lock_guard<std::mutex> lock(index_mu_);
  if (index_ && stamp == index_stamp_) return index_;
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT record FROM advisories ORDER BY id"));
  auto index = std::make_shared<vulnmatch::AdvisoryIndex>();
  for (const auto& r : rows.rows) {
    auto a = vulnmatch::ParseOsv(r.GetString(0));
    if (a.ok()) index->Add(std::move(*a));
  }
  index_ = index;
  index_stamp_ = stamp;
  return index_;
}

Result<Json> SecurityService::StartScan(const std::string& scan_type, const std::string& target,
                                        const std::string& actor, store::JobRepository* jobs,
                                        bool history) {
  if (scan_type == "compliance") return RunComplianceScan(target, actor);
  if (scan_type != "container" && scan_type != "kubernetes" && scan_type != "secrets")
    return Status::InvalidArgument("input.scanType: unknown scan type \"" + scan_type + "\"");
  namespace fs = std::filesystem;
  if (target.empty() || target[0] != '/')
    return Status::InvalidArgument("input.target: must be an absolute server-side path");
  if (scan_type == "secrets" && options_.scan_roots.empty())
    return Status::FailedPrecondition(
        "secrets scans read files on the server: set scan_roots (--scan-roots DIR,...) to the "
        "directories they may read");
  // Symbolic links resolved, so a link inside a root cannot point outside it.
  auto resolved = inventory::CanonicalPath(target);
  if (!resolved.ok())
    return Status::InvalidArgument("input.target: " + resolved.status().message());
  const std::string normal = std::move(resolved).value();
  std::error_code ec;
  if (!options_.scan_roots.empty() && !inventory::WithinRoots(normal, options_.scan_roots)) {
    return Status::PermissionDenied("input.target: " + normal +
                                    " is outside the allowed scan roots");
  }
  if (history && scan_type != "secrets")
    return Status::InvalidArgument("input.history: only secrets scans read git history");
  if (!fs::exists(normal, ec))
    return Status::InvalidArgument("input.target: " + normal + " does not exist on the server");
  return QueueScan(scan_type, normal, actor, Json{{"requested", {{"history", history}}}}, jobs);
}

Result<Json> SecurityService::QueueScan(const std::string& scan_type, const std::string& target,
                                        const std::string& actor, const Json& report,
                                        store::JobRepository* jobs) {
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(
      auto ins,
      db_.Query("INSERT INTO security_scans (scan_type, target, status, triggered_by, "
                "created_at, report) VALUES (?, ?, 'pending', ?, ?, ?) RETURNING id",
                {scan_type, target, actor, now,
                 report.is_null() ? store::Param(nullptr) : store::Param(DumpJson(report))}));
  const int64_t id = ins.rows.at(0).GetInt(0);
  if (jobs) {
    store::NewJob job;
    job.kind = "security.scan";
    job.payload = DumpJson({{"scanId", id}});
    job.run_after = now;
    job.max_attempts = 3;
    if (auto queued = jobs->Enqueue(job, now); !queued.ok()) {
      (void)db_.Query(
          "UPDATE security_scans SET status = 'failed', error = ?, completed_at = ? WHERE id = ?",
          {"could not queue the scan job: " + queued.status().message(), clock_.Now(), id});
      return queued.status();
    }
  }
  if (publish_) publish_("security.scan", DumpJson({{"id", id}, {"status", "pending"}}));
  return GetScan(id, false);
}

Status SecurityService::RunScan(int64_t scan_id) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT target, status, scan_type, report FROM security_scans WHERE id = ?",
                {scan_id}));
  if (rows.rows.empty())
    return Status::NotFound("scan " + std::to_string(scan_id) + " does not exist");
  const std::string target = rows.rows[0].GetString(0);
  if (rows.rows[0].GetString(2) == "secrets") {
    auto requested = ParseJson(rows.rows[0].GetOptString(3).value_or("{}"));
    const bool history = requested.ok() && requested->is_object() &&
                         requested->contains("requested") &&
                         (*requested)["requested"].value("history", false);
    DAI_RETURN_IF_ERROR(
        db_.Query("UPDATE security_scans SET status = 'running', started_at = ? WHERE id = ?",
                  {clock_.Now(), scan_id})
            .status());
    return RunSecretsScan(scan_id, target, history);
  }
  if (rows.rows[0].GetString(2) == "kubernetes") {
    DAI_RETURN_IF_ERROR(
        db_.Query("UPDATE security_scans SET status = 'running', started_at = ? WHERE id = ?",
                  {clock_.Now(), scan_id})
            .status());
    if (target.rfind("cluster:", 0) == 0) return RunClusterPostureScan(scan_id);
    return RunPostureScan(scan_id, target);
  }
  const TimePoint started = clock_.Now();
  DAI_RETURN_IF_ERROR(
      db_.Query("UPDATE security_scans SET status = 'running', started_at = ? WHERE id = ?",
                {started, scan_id})
          .status());
  auto fail = [&](const Status& st) -> Status {
    (void)db_.Query(
        "UPDATE security_scans SET status = 'failed', error = ?, completed_at = ? WHERE id = ?",
        {st.message().substr(0, 2000), clock_.Now(), scan_id});
    if (publish_) publish_("security.scan", DumpJson({{"id", scan_id}, {"status", "failed"}}));
    return Status::InvalidArgument(st.message());  // permanent: retrying cannot help
  };
  std::string kind = "repository";
  Result<sbom::Inventory> inv = Status::Internal("unset");
  if (LooksLikeImage(target)) {
    kind = "image";
    inventory::ImageLimits limits;
    inv = inventory::ScanImage(target, limits);
  } else {
    std::error_code ec;
    kind = std::filesystem::is_directory(target, ec)
               ? (std::filesystem::exists(std::filesystem::path(target) / "etc", ec) ? "rootfs"
                                                                                     : "repository")
               : "lockfile";
    inv = inventory::ScanPath(target);
  }
  if (!inv.ok()) return fail(inv.status());
  auto index = Index();
  if (!index.ok()) return fail(index.status());
  DAI_ASSIGN_OR_RETURN(Json db_info, DatabaseInfo());
  // Queries: OS packages by source name (OSV distro advisories name source packages).
  std::vector<vulnmatch::PackageQuery> queries;
  for (const auto& p : inv->packages) {
    vulnmatch::PackageQuery q;
    q.ecosystem = sbom::OsvEcosystemFor(p, inv->os);
    q.name = p.src_name.empty() ? p.name : p.src_name;
    q.version = p.version;
    queries.push_back(std::move(q));
  }
  std::vector<std::string> warnings = inv->warnings;
  auto findings = (*index)->Match(queries, &warnings);
  // The chain from a direct dependency to each package, where the lockfile records a graph.
  const auto dep_paths = sbom::DependencyPaths(inv->packages);
  // Dependents: how many packages name each package as a dependency.
  std::map<std::string, int> dependents;
  for (const auto& p : inv->packages)
    for (const auto& d : p.depends_on) ++dependents[d.substr(0, d.find('@', 1))];
  Counts counts;
  const TimePoint now = clock_.Now();
  // Policies: ignore rules mark findings ignored (with the rule and its reason); the scan's
  // verdict is the worst over the enabled policies.
  auto policies = EnabledPolicies();
  if (!policies.ok()) return policies.status();  // a store error: the job retries
  std::vector<vulnmatch::PolicyFinding> policy_input;
  for (const auto& f : findings) {
    const auto& adv = (*index)->advisory(f.advisory);
    policy_input.push_back(
        {adv.id, adv.aliases, inv->packages[f.package].name, f.severity, f.cvss_score});
  }
  const PolicyOutcome policy = ApplyPolicies(*policies, policy_input, now);
  Json sbom_doc = sbom::ToCycloneDx(*inv, FormatIso8601(now), "devops-ai");
  Status st = db_.Transaction([&](store::Connection& conn) -> Status {
    counts = Counts{};
    DAI_RETURN_IF_ERROR(
        conn.Query("DELETE FROM vulnerabilities WHERE scan_id = ?", {scan_id}).status());
    for (size_t fi = 0; fi < findings.size(); ++fi) {
      const auto& f = findings[fi];
      const auto& pkg = inv->packages[f.package];
      const auto& adv = (*index)->advisory(f.advisory);
      const std::string severity = f.severity == "UNKNOWN" ? "unknown" : Lower(f.severity);
      counts.Add(severity);
      auto scheme = vulnmatch::SchemeForEcosystem(queries[f.package].ecosystem);
      vulnmatch::PatchInput pin;
      pin.scheme = scheme.value_or(vulnmatch::VersionScheme::kSemver);
      pin.installed = pkg.version;
      pin.minimal_fix = f.minimal_fix;
      pin.severity = f.severity;
      pin.cvss_score = f.cvss_score;
      pin.direct = pkg.relationship == sbom::Relationship::kDirect ||
                   pkg.relationship == sbom::Relationship::kUnknown;
      pin.dev = pkg.dev;
      pin.dependents = dependents.count(pkg.name) ? dependents[pkg.name] : 0;
      auto assessment = vulnmatch::AssessPatch(pin);
      Json details = {
          {"purl", sbom::PackageUrl(pkg, inv->os)},
          {"fixedVersions", f.fixed_versions},
          {"relationship", std::string(sbom::RelationshipName(pkg.relationship))},
          {"dev", pkg.dev},
          {"osvEcosystem", queries[f.package].ecosystem},
          {"references", adv.references},
          {"patch",
           {{"minimalFix", f.minimal_fix ? Json(*f.minimal_fix) : Json(nullptr)},
            {"distance", std::string(vulnmatch::UpgradeDistanceName(assessment.distance))},
            {"crossesMajor", assessment.crosses_major},
            {"dependents", pin.dependents},
            {"riskScore", assessment.risk_score},
            {"breakingRisk", assessment.breaking_risk},
            {"rationale", assessment.rationale}}}};
      if (!pkg.src_name.empty()) details["sourcePackage"] = pkg.src_name;
      if (!dep_paths[f.package].empty()) {
        Json chain = Json::array();
        for (size_t k : dep_paths[f.package])
          chain.push_back(inv->packages[k].name + "@" + inv->packages[k].version);
        details["dependencyPath"] = chain;
      }
      if (!policy.ignored_by[fi].is_null()) details["ignoredBy"] = policy.ignored_by[fi];
      DAI_RETURN_IF_ERROR(InsertFinding(
          conn, scan_id, adv.id, adv.aliases, severity, f.cvss_score, pkg.name, pkg.version,
          queries[f.package].ecosystem, f.minimal_fix.value_or(""), adv.summary, adv.details,
          pkg.location, details, now, policy.ignored_by[fi].is_null() ? "open" : "ignored"));
    }
    Json report = {
        {"targetKind", kind},
        {"packages", inv->packages.size()},
        {"findings", findings.size()},
        {"unknownSeverity", counts.unknown},
        {"database", db_info},
        {"policy", policy.summary},
        {"os", inv->os ? Json{{"id", inv->os->id},
                              {"versionId", inv->os->version_id},
                              {"prettyName", inv->os->pretty_name}}
                       : Json(nullptr)},
        {"warnings", warnings.size() > 200
                         ? Json(std::vector<std::string>(warnings.begin(), warnings.begin() + 200))
                         : Json(warnings)},
        {"warningCount", warnings.size()}};
    return conn
        .Query(
            "UPDATE security_scans SET status = 'completed', critical_count = ?, high_count = ?, "
            "medium_count = ?, low_count = ?, report = ?, sbom = ?, completed_at = ?, error = NULL "
            "WHERE id = ?",
            {counts.critical, counts.high, counts.medium, counts.low, DumpJson(report),
             DumpJson(sbom_doc), now, scan_id})
        .status();
  });
  if (!st.ok()) return st;  // store errors are retried by the job
  if (publish_) publish_("security.scan", DumpJson({{"id", scan_id}, {"status", "completed"}}));
  return Status::Ok();
}

Result<Json> SecurityService::ImportReport(std::string_view report_json, const std::string& actor) {
  DAI_ASSIGN_OR_RETURN(auto report, vulnmatch::ImportScannerReport(report_json));
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(PolicySet policies, EnabledPolicies());
  std::vector<vulnmatch::PolicyFinding> policy_input;
  for (const auto& f : report.findings)
    policy_input.push_back({f.vuln_id, f.aliases, f.package_name, f.severity, f.cvss_score});
  const PolicyOutcome policy = ApplyPolicies(policies, policy_input, now);
  int64_t id = 0;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    Counts counts;
    DAI_ASSIGN_OR_RETURN(
        auto ins,
        conn.Query("INSERT INTO security_scans (scan_type, target, status, "
                   "triggered_by, started_at, completed_at, created_at) "
                   "VALUES ('container', ?, 'completed', ?, ?, ?, ?) RETURNING id",
                   {report.artifact.empty() ? report.scanner + " report" : report.artifact, actor,
                    now, now, now}));
    id = ins.rows.at(0).GetInt(0);
    for (size_t fi = 0; fi < report.findings.size(); ++fi) {
      const auto& f = report.findings[fi];
      const std::string severity = f.severity == "UNKNOWN" ? "unknown" : Lower(f.severity);
      counts.Add(severity);
      Json details = {{"importedFrom", f.scanner}};
      if (!policy.ignored_by[fi].is_null()) details["ignoredBy"] = policy.ignored_by[fi];
      DAI_RETURN_IF_ERROR(InsertFinding(conn, id, f.vuln_id, f.aliases, severity, f.cvss_score,
                                        f.package_name, f.package_version, f.ecosystem,
                                        f.fixed_version, f.title, "", f.location, details, now,
                                        policy.ignored_by[fi].is_null() ? "open" : "ignored"));
    }
    Json rep = {{"targetKind", "imported"},           {"scanner", report.scanner},
                {"packages", report.packages.size()}, {"findings", report.findings.size()},
                {"policy", policy.summary},           {"unknownSeverity", counts.unknown}};
    return conn
        .Query(
            "UPDATE security_scans SET critical_count = ?, high_count = ?, medium_count = ?, "
            "low_count = ?, report = ? WHERE id = ?",
            {counts.critical, counts.high, counts.medium, counts.low, DumpJson(rep), id})
        .status();
  }));
  if (publish_) publish_("security.scan", DumpJson({{"id", id}, {"status", "completed"}}));
  return GetScan(id, true);
}

Result<Json> SecurityService::GetScan(int64_t id, bool with_report) {
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kScanColumns +
                                                ", report FROM security_scans WHERE id = ?",
                                            {id}));
  if (rows.rows.empty()) return Status::NotFound("scan " + std::to_string(id) + " does not exist");
  Json out = ScanJson(rows.rows[0]);
  if (with_report) {
    auto report = rows.rows[0].GetOptString("report");
    auto parsed = report ? ParseJson(*report) : Result<Json>(Json(nullptr));
    out["report"] = parsed.ok() ? *parsed : Json(nullptr);
  }
  return out;
}

Result<Json> SecurityService::ListScans(const Json& f) {
  std::string where = " WHERE 1 = 1";
  Params params;
  if (f.contains("status")) {
    where += " AND status = ?";
    params.push_back(f["status"].get<std::string>());
  }
  const int64_t limit = f.value("limit", int64_t{50});
  const int64_t offset = f.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count,
                       db_.Query("SELECT count(*) FROM security_scans" + where, params));
  Params page = params;
  page.push_back(limit);
  page.push_back(offset);
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kScanColumns + " FROM security_scans" + where +
                               " ORDER BY id DESC LIMIT ? OFFSET ?",
                           page));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(ScanJson(r));
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

Result<Json> SecurityService::ListVulnerabilities(const Json& f) {
  std::string where = " WHERE 1 = 1";
  Params params;
  if (f.contains("severity")) {
    where += " AND severity = ?";
    params.push_back(f["severity"].get<std::string>());
  }
  if (f.contains("scanId")) {
    where += " AND scan_id = ?";
    params.push_back(f["scanId"].get<int64_t>());
  }
  if (f.contains("package")) {
    where += " AND package_name = ?";
    params.push_back(f["package"].get<std::string>());
  }
  const int64_t limit = f.value("limit", int64_t{50});
  const int64_t offset = f.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count,
                       db_.Query("SELECT count(*) FROM vulnerabilities" + where, params));
  Params page = params;
  page.push_back(limit);
  page.push_back(offset);
  // Most severe first: an explicit rank, then the score.
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(
          std::string("SELECT ") + kVulnColumns + " FROM vulnerabilities" + where +
              " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' "
              "THEN 2 WHEN 'low' THEN 3 ELSE 4 END, cvss_score DESC, id LIMIT ? OFFSET ?",
          page));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(VulnJson(r));
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

namespace {

// A ref-safe piece of a branch name: [A-Za-z0-9._-], anything else as '-'.
std::string RefPart(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    out.push_back(ok ? c : '-');
  }
  while (!out.empty() && (out.front() == '.' || out.front() == '-')) out.erase(out.begin());
  while (!out.empty() && out.back() == '.') out.pop_back();
  for (size_t i; (i = out.find("..")) != std::string::npos;) out.erase(i, 1);
  if (out.size() > 80) out.resize(80);
  return out.empty() ? "x" : out;
}

}  // namespace

Result<Json> SecurityService::ApplyPatch(int64_t vulnerability_id, bool dry_run,
                                         const std::string& actor) {
  namespace fs = std::filesystem;
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT v.package_name, v.package_version, v.fixed_version, v.location, v.vuln_id, "
                "v.details, s.target, s.report, v.aliases FROM vulnerabilities v JOIN "
                "security_scans s ON s.id = v.scan_id WHERE v.id = ?",
                {vulnerability_id}));
  if (rows.rows.empty())
    return Status::NotFound("vulnerability " + std::to_string(vulnerability_id) +
                            " does not exist");
  const auto& r = rows.rows[0];
  const std::string name = r.GetString(0), from = r.GetString(1), location = r.GetString(3);
  const std::string target = r.GetString(6), advisory = r.GetString(4);
  const auto fixed = r.GetOptString(2);
  if (!fixed || fixed->empty())
    return Status::FailedPrecondition(advisory + ": no fixed version is published for " + name);
  auto report = ParseJson(r.GetOptString(7).value_or("{}"));
  const std::string target_kind = report.ok() ? report->value("targetKind", "") : "";
  auto details = ParseJson(r.GetString(5));
  // Distro packages are matched by source name; the installed binary package is the name.
  auto kind = sbom::DetectLockfileKind(location);
  if (!kind) {
    if (!dry_run && target_kind == "image")
      return Status::FailedPrecondition(
          "a Dockerfile base-image bump is not built: the image scan does not record which "
          "Dockerfile or base image produced " +
          name);
    return Status::FailedPrecondition("cannot tell the format of " + location + " to patch it");
  }
  Json out = {{"vulnerabilityId", vulnerability_id},
              {"advisory", advisory},
              {"package", name},
              {"fromVersion", from},
              {"toVersion", *fixed},
              {"file", location},
              {"applied", false}};
  const bool edits_file = *kind == sbom::LockfileKind::kRequirements ||
                          *kind == sbom::LockfileKind::kGoMod ||
                          *kind == sbom::LockfileKind::kPomXml;
  bool escaped = false;
  for (const auto& part : fs::path(location)) escaped = escaped || part == "..";
  if (escaped || fs::path(location).is_absolute())
    return Status::FailedPrecondition("finding location " + location +
                                      " is not inside the scan target");
  const fs::path file = target_kind == "lockfile" ? fs::path(target) : fs::path(target) / location;
  std::string content;
  if (edits_file && dry_run) {
    if (target_kind != "repository" && target_kind != "lockfile")
      return Status::FailedPrecondition("the scanned " + target_kind +
                                        " is not a working tree this server can read files from");
    std::error_code ec;
    if (fs::is_symlink(file, ec) || !fs::is_regular_file(file, ec) ||
        fs::file_size(file, ec) > sbom::kMaxInputBytes)
      return Status::FailedPrecondition(file.string() + " is no longer a readable regular file");
    std::ifstream in(file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    content = ss.str();
  }
  // Writing: the file as committed at HEAD of the repository holding the target is patched and
  // committed on a new branch; the work tree, the index and HEAD stay as they are.
  gitrepo::RepositoryLocation repo;
  if (!dry_run) {
    if (target_kind != "repository" && target_kind != "lockfile")
      return Status::FailedPrecondition("the scanned " + target_kind +
                                        " is not a git repository to write a branch in");
    if (!edits_file)
      return Status::FailedPrecondition(
          "only the package manager can rewrite " + fs::path(location).filename().string() +
          " (its integrity data must come from the registry); run the command from a dry run "
          "and commit the result");
    auto loc = gitrepo::LocateRepository(file.string());
    if (!loc.ok())
      return Status::FailedPrecondition("the scan target is not in a git repository: " +
                                        loc.status().message());
    repo = std::move(*loc);
    auto committed =
        gitrepo::ReadFileAtRef(repo.workdir, "HEAD", repo.path_in_repo, sbom::kMaxInputBytes);
    if (!committed.ok())
      return Status::FailedPrecondition(repo.path_in_repo + " at HEAD of " + repo.workdir + ": " +
                                        committed.status().message());
    content = std::move(*committed);
  }
  auto proposed = sbom::ProposeManifestPatch(*kind, location, content, name, from, *fixed);
  if (!proposed.ok() && !dry_run)
    return Status(proposed.status().code(), "as committed at HEAD: " + proposed.status().message());
  DAI_ASSIGN_OR_RETURN(sbom::ManifestPatch patch, std::move(proposed));
  out["diff"] = patch.diff.empty() ? Json(nullptr) : Json(patch.diff);
  out["command"] = patch.command.empty() ? Json(nullptr) : Json(patch.command);
  out["note"] = patch.note;
  if (details.ok() && details->contains("patch")) out["assessment"] = (*details)["patch"];
  if (dry_run) return out;

  std::vector<std::string> ids = {advisory};
  if (auto aliases = ParseJson(r.GetString(8)); aliases.ok() && aliases->is_array())
    for (const auto& a : *aliases)
      if (a.is_string() && a.get<std::string>() != advisory) ids.push_back(a.get<std::string>());
  std::string id_list;
  for (const auto& id : ids) id_list += (id_list.empty() ? "" : ", ") + id;
  gitrepo::BranchCommitRequest req;
  req.repo = repo.workdir;
  req.branch = "devops-ai/fix-" + RefPart(name) + "-" + RefPart(*fixed);
  req.files.push_back({repo.path_in_repo, patch.new_content});
  req.author_name = "devops-ai";
  req.author_email = "devops-ai@localhost";
  req.message = "Fix " + id_list + ": " + name + " " + from + " -> " + *fixed + "\n\n" + "Moves " +
                name + " from " + from + " to " + *fixed + " in " + repo.path_in_repo +
                ", the minimal version that fixes " + id_list + ".\n";
  if (!patch.note.empty()) req.message += patch.note + "\n";
  req.message += "\nVulnerability-Id: " + std::to_string(vulnerability_id) + "\n";
  if (!actor.empty()) req.message += "Requested-by: " + actor + "\n";
  req.time_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  DAI_ASSIGN_OR_RETURN(gitrepo::BranchCommitResult done, gitrepo::CommitOnNewBranch(req));
  out["applied"] = true;
  out["repository"] = repo.workdir;
  out["branch"] = done.branch;
  out["commit"] = done.commit;
  out["baseCommit"] = done.base_commit;
  if (details.ok() && details->is_object()) {
    (*details)["patchBranch"] = {{"repository", repo.workdir},
                                 {"branch", done.branch},
                                 {"commit", done.commit},
                                 {"by", actor}};
    DAI_RETURN_IF_ERROR(db_.Query("UPDATE vulnerabilities SET details = ?, updated_at = ? WHERE "
                                  "id = ?",
                                  {DumpJson(*details), clock_.Now(), vulnerability_id})
                            .status());
  }
  return out;
}

Result<Json> SecurityService::GetSbom(int64_t scan_id, const std::string& format) {
  DAI_ASSIGN_OR_RETURN(auto rows,
                       db_.Query("SELECT sbom FROM security_scans WHERE id = ?", {scan_id}));
  if (rows.rows.empty())
    return Status::NotFound("scan " + std::to_string(scan_id) + " does not exist");
  auto text = rows.rows[0].GetOptString(0);
  if (!text)
    return Status::FailedPrecondition("scan " + std::to_string(scan_id) +
                                      " has no SBOM (not completed, or imported)");
  DAI_ASSIGN_OR_RETURN(Json cdx, ParseJson(*text));
  if (format == "cyclonedx") return cdx;
  // SPDX from the stored CycloneDX components (the inventory itself is not kept twice).
  sbom::Inventory inv;
  inv.target = cdx["metadata"]["component"].value("name", "");
  for (const auto& c : cdx["components"]) {
    if (c.value("type", "") != "library") continue;
    sbom::Package p;
    p.name = c.value("name", "");
    p.version = c.value("version", "");
    const std::string purl = c.value("purl", "");
    const std::string type =
        purl.substr(4, purl.find('/') == std::string::npos ? 0 : purl.find('/') - 4);
    for (auto e : {sbom::Ecosystem::kNpm, sbom::Ecosystem::kPypi, sbom::Ecosystem::kGolang,
                   sbom::Ecosystem::kCargo, sbom::Ecosystem::kComposer, sbom::Ecosystem::kGem,
                   sbom::Ecosystem::kMaven, sbom::Ecosystem::kDeb, sbom::Ecosystem::kApk})
      if (sbom::EcosystemPurlType(e) == type) p.ecosystem = e;
    if (p.ecosystem == sbom::Ecosystem::kMaven) {
      // purl pkg:maven/group/artifact: the name as group:artifact.
    }
    inv.packages.push_back(std::move(p));
  }
  return sbom::ToSpdx(inv, cdx["metadata"].value("timestamp", ""), "devops-ai");
}

}  // namespace dai::security
