// Secrets scans on the server (issue #7): scanType "secrets" over a directory, file or git
// repository under an allow-listed scan root (working tree, and with history: every blob of
// the git history once, adapters/secretscan), findings stored redacted in secret_findings
// (rule, severity, file, line, commit, fingerprint; never the secret) with per-severity counts
// on the security_scans row, which the compliance evidence reads. scanType "compliance" runs
// checkCompliance for the framework named as the target and links the report to the scan row.
#include <algorithm>
#include <filesystem>

#include "adapters/secretscan/scanner_cache.h"
#include "adapters/secretscan/secret_sources.h"
#include "engines/secrets/builtin_rules.h"
#include "modules/security/security_service.h"
#include "registry/schema.h"

namespace dai::security {
namespace {

using store::Param;
using store::Params;

constexpr const char* kSecretColumns =
    "id, scan_id, rule_id, description, severity, source, file_path, line, col, commit_sha, "
    "author_date, fingerprint, redacted, entropy, status, created_at";

Json SecretJson(const store::Row& r) {
  auto date = r.GetOptTime("author_date");
  return Json{{"id", r.GetInt("id")},
              {"scanId", r.GetInt("scan_id")},
              {"ruleId", r.GetString("rule_id")},
              {"description", r.GetString("description")},
              {"severity", r.GetString("severity")},
              {"source", r.GetString("source")},
              {"file", r.GetString("file_path")},
              {"line", r.GetInt("line")},
              {"column", r.GetInt("col")},
              {"commit", r.IsNull("commit_sha") ? Json(nullptr) : Json(r.GetString("commit_sha"))},
              {"authorDate", date ? Json(FormatIso8601(*date)) : Json(nullptr)},
              {"fingerprint", r.GetString("fingerprint")},
              {"redacted", r.GetString("redacted")},
              {"entropy", r.GetDouble("entropy")},
              {"status", r.GetString("status")},
              {"createdAt", FormatIso8601(r.GetTime("created_at"))}};
}

// The path as shown and fingerprinted: relative to the scan target for tree findings.
std::string Relative(const std::string& path, const std::string& target) {
  if (path == target) return std::filesystem::path(path).filename().string();
  if (path.size() > target.size() && path.compare(0, target.size(), target) == 0 &&
      path[target.size()] == '/')
    return path.substr(target.size() + 1);
  return path;
}

// The engine's fingerprint (rule:path:hash) with the path as stored (relative to the target),
// so a baseline survives moving the checkout.
std::string Refingerprint(const secrets::Finding& f, const std::string& file) {
  const auto colon = f.fingerprint.rfind(':');
  return f.rule_id + ":" + file + ":" +
         (colon == std::string::npos ? f.fingerprint : f.fingerprint.substr(colon + 1));
}

}  // namespace

const secrets::SecretScanner* SecurityService::Scanner(Status* error) {
  std::lock_guard<std::mutex> lock(scanner_mu_);
  if (!scanner_) {
    auto s = secretscan::LoadOrCompileScanner(
        secrets::BuiltinRules(), secrets::Prefilter::kKeywords, options_.scanner_cache_dir);
    if (!s.ok()) {
      *error = s.status();
      return nullptr;
    }
    // A cache that cannot be read or written costs only the compile; say so once.
    if (!s->note.empty() && options_.warn) options_.warn("secrets rule cache: " + s->note);
    scanner_ = std::move(s->scanner);
  }
  return scanner_.get();
}

Status SecurityService::RunSecretsScan(int64_t scan_id, const std::string& target, bool history) {
  auto fail = [&](const Status& st) -> Status {
    (void)db_.Query(
        "UPDATE security_scans SET status = 'failed', error = ?, completed_at = ? WHERE id = ?",
        {st.message().substr(0, 2000), clock_.Now(), scan_id});
    if (publish_) publish_("security.scan", DumpJson({{"id", scan_id}, {"status", "failed"}}));
    return Status::InvalidArgument(st.message());  // permanent: retrying cannot help
  };
  Status err = Status::Ok();
  const secrets::SecretScanner* scanner = Scanner(&err);
  if (!scanner) return fail(err);
  auto tree = secretscan::ScanTree(*scanner, target, {});
  if (!tree.ok()) return fail(tree.status());
  std::optional<secretscan::GitResult> git;
  if (history) {
    auto h = secretscan::ScanGitHistory(*scanner, target);
    if (!h.ok()) return fail(h.status());
    git = std::move(h).value();
  }
  std::error_code ec;
  const std::string kind = !std::filesystem::is_directory(target, ec) ? "file"
                           : secretscan::IsGitRepository(target)     ? "repository"
                                                                     : "directory";
  Json errors = Json::array();
  size_t error_count = tree->errors.size() + (git ? git->errors.size() : 0);
  for (const auto& e : tree->errors)
    if (errors.size() < 200) errors.push_back(Relative(e.path, target) + ": " + e.message);
  if (git)
    for (const auto& e : git->errors)
      if (errors.size() < 200) errors.push_back("history " + e.path + ": " + e.message);
  const TimePoint now = clock_.Now();
  Status st = db_.Transaction([&](store::Connection& conn) -> Status {
    int64_t counts[4] = {0, 0, 0, 0};
    auto add = [&](const secrets::Finding& f, const char* source, const std::string& file,
                   const std::string& commit, int64_t author_time) -> Status {
      const std::string severity(secrets::RuleSeverity(f.rule_id));
      counts[severity == "critical" ? 0 : severity == "high" ? 1 : severity == "medium" ? 2 : 3]++;
      return conn
          .Query("INSERT INTO secret_findings (scan_id, rule_id, description, severity, source, "
                 "file_path, line, col, commit_sha, author_date, fingerprint, redacted, entropy, "
                 "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {scan_id, f.rule_id, f.description.substr(0, 500), severity, source, file,
                  static_cast<int64_t>(f.line), static_cast<int64_t>(f.column),
                  commit.empty() ? Param(nullptr) : Param(commit),
                  commit.empty() ? Param(nullptr)
                                 : Param(TimePoint(std::chrono::seconds(author_time))),
                  Refingerprint(f, file), f.redacted, f.entropy, now})
          .status();
    };
    DAI_RETURN_IF_ERROR(
        conn.Query("DELETE FROM secret_findings WHERE scan_id = ?", {scan_id}).status());
    for (const auto& f : tree->findings)
      DAI_RETURN_IF_ERROR(add(f, "tree", Relative(f.path, target), "", 0));
    if (git)
      for (const auto& g : git->findings)
        DAI_RETURN_IF_ERROR(add(g.finding, "history", g.finding.path, g.commit, g.author_time));
    Json report = {{"targetKind", kind},
                   {"files", tree->files},
                   {"bytes", tree->bytes},
                   {"binaryFiles", tree->binary_files},
                   {"findings", tree->findings.size() + (git ? git->findings.size() : 0)},
                   {"history", git ? Json{{"commits", git->commits},
                                          {"blobs", git->blobs},
                                          {"bytes", git->bytes},
                                          {"findings", git->findings.size()}}
                                   : Json(nullptr)},
                   {"rules", scanner->rule_count()},
                   {"errors", errors},
                   {"errorCount", error_count}};
    return conn
        .Query(
            "UPDATE security_scans SET status = 'completed', critical_count = ?, high_count = ?, "
            "medium_count = ?, low_count = ?, report = ?, completed_at = ?, error = NULL "
            "WHERE id = ?",
            {counts[0], counts[1], counts[2], counts[3], DumpJson(report), now, scan_id})
        .status();
  });
  if (!st.ok()) return st;  // store errors are retried by the job
  if (publish_) publish_("security.scan", DumpJson({{"id", scan_id}, {"status", "completed"}}));
  return Status::Ok();
}

Result<Json> SecurityService::RunComplianceScan(const std::string& framework,
                                                const std::string& actor) {
  const auto& known = compliance::Frameworks();
  if (std::find(known.begin(), known.end(), framework) == known.end()) {
    std::string list;
    for (auto f : known) list += (list.empty() ? "" : ", ") + std::string(f);
    return Status::InvalidArgument("input.target: for scanType \"compliance\" the target is a "
                                   "framework, one of " +
                                   list + "; got \"" + framework + "\"");
  }
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(auto ins, db_.Query("INSERT INTO security_scans (scan_type, target, status, "
                                           "triggered_by, started_at, created_at) VALUES "
                                           "('compliance', ?, 'running', ?, ?, ?) RETURNING id",
                                           {framework, actor, now, now}));
  const int64_t id = ins.rows.at(0).GetInt(0);
  auto report = CheckCompliance(framework, actor);
  if (!report.ok()) {
    (void)db_.Query(
        "UPDATE security_scans SET status = 'failed', error = ?, completed_at = ? WHERE id = ?",
        {report.status().message().substr(0, 2000), clock_.Now(), id});
    return report.status();
  }
  const int64_t report_id = (*report)["id"].get<int64_t>();
  Json summary = {{"targetKind", "compliance"},
                  {"complianceReportId", report_id},
                  {"framework", framework},
                  {"score", (*report)["score"]},
                  {"passedControls", (*report)["passedControls"]},
                  {"failedControls", (*report)["failedControls"]},
                  {"totalControls", (*report)["totalControls"]}};
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_RETURN_IF_ERROR(
        conn.Query("UPDATE compliance_reports SET scan_id = ? WHERE id = ?", {id, report_id})
            .status());
    return conn
        .Query("UPDATE security_scans SET status = 'completed', report = ?, completed_at = ? "
               "WHERE id = ?",
               {DumpJson(summary), clock_.Now(), id})
        .status();
  }));
  if (publish_) publish_("security.scan", DumpJson({{"id", id}, {"status", "completed"}}));
  return GetScan(id, true);
}

Result<Json> SecurityService::ListSecretFindings(const Json& f) {
  std::string where = " WHERE 1 = 1";
  Params params;
  auto eq = [&](const char* key, const char* column) {
    if (!f.contains(key)) return;
    where += std::string(" AND ") + column + " = ?";
    if (f[key].is_number_integer())
      params.push_back(f[key].get<int64_t>());
    else
      params.push_back(f[key].get<std::string>());
  };
  eq("scanId", "scan_id");
  eq("severity", "severity");
  eq("ruleId", "rule_id");
  eq("source", "source");
  eq("status", "status");
  if (f.contains("file")) {
    // A substring of the path; LIKE's wildcards in the input are matched literally.
    std::string needle;
    for (char c : f["file"].get<std::string>()) {
      if (c == '%' || c == '_' || c == '\\') needle += '\\';
      needle += c;
    }
    where += " AND file_path LIKE ? ESCAPE '\\'";
    params.push_back("%" + needle + "%");
  }
  const int64_t limit = f.value("limit", int64_t{50});
  const int64_t offset = f.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count,
                       db_.Query("SELECT count(*) FROM secret_findings" + where, params));
  Params page = params;
  page.push_back(limit);
  page.push_back(offset);
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(std::string("SELECT ") + kSecretColumns + " FROM secret_findings" + where +
                    " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN "
                    "'medium' THEN 2 ELSE 3 END, file_path, line, id LIMIT ? OFFSET ?",
                page));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(SecretJson(r));
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

void SecurityService::RegisterSecretsProcedures(ProcedureRegistry& registry) {
  namespace s = schema;
  registry.Add(MakeProcedure(
      "securityGuardian.getSecretFindings", ProcedureKind::kQuery, Role::kViewer,
      s::PageInput({s::Opt("scanId", s::Int(1)),
                    s::Opt("severity", s::Enum({"critical", "high", "medium", "low"})),
                    s::Opt("ruleId", s::String(1, 200)),
                    s::Opt("source", s::Enum({"tree", "history"})),
                    s::Opt("status", s::Enum({"open", "ignored", "false_positive", "revoked"})),
                    s::Opt("file", s::String(1, 1000), "a substring of the file path")}),
      s::Page(s::Object(
          {s::Req("id", s::Int()), s::Req("scanId", s::Int()), s::Req("ruleId", s::String()),
           s::Req("description", s::String()),
           s::Req("severity", s::Enum({"critical", "high", "medium", "low"})),
           s::Req("source", s::Enum({"tree", "history"})), s::Req("file", s::String()),
           s::Req("line", s::Int()), s::Req("column", s::Int()),
           s::Req("commit", s::Nullable(s::String())),
           s::Req("authorDate", s::Nullable(s::DateTime())), s::Req("fingerprint", s::String()),
           s::Req("redacted", s::String()), s::Req("entropy", s::Number()),
           s::Req("status", s::String()), s::Req("createdAt", s::DateTime())},
          true)),
      "Secrets findings (redacted: never the secret), most severe first",
      [this](const Json& in, CallContext&) { return ListSecretFindings(in); }));
}

}  // namespace dai::security
