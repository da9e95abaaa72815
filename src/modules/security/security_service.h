// SecurityService (issue #6, router securityGuardian): dependency scans of images, root
// filesystems, repositories and lockfiles against the offline OSV database kept in the store;
// findings, SBOMs and imported Trivy/Grype reports. A scan is a row in security_scans run by a
// durable job ("security.scan"): the row is committed before the answer, the job does the
// work, and a crash mid-scan leaves the job to be claimed again.
// Thread-safety: safe for concurrent use; the in-memory advisory index is rebuilt under a
// mutex when the database changed.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/http/http_client.h"
#include "core/clock.h"
#include "core/json.h"
#include "engines/compliance/compliance.h"
#include "engines/posture/manifest.h"
#include "engines/secrets/secret_scanner.h"
#include "engines/vulnmatch/matcher.h"
#include "engines/vulnmatch/policy.h"
#include "registry/procedure.h"
#include "store/database.h"
#include "store/job_repository.h"

namespace dai::security {

struct SecurityServiceOptions {
  //! Directories a scan target must lie under (server-side paths, symbolic links resolved);
  //! empty = any absolute path for dependency and manifest scans, and no secrets scans at all.
  std::vector<std::string> scan_roots;
  //! The outbound client for the online OSV refresh; null: refreshAdvisories is refused.
  std::shared_ptr<const http::HttpClient> osv_http;
  //! Where the compiled secrets rule database is cached (adapters/secretscan/scanner_cache.h),
  //! e.g. `<data_dir>/cache`; empty: compiled at the first secrets scan of each process.
  std::string scanner_cache_dir;
  //! Where warnings that fail nothing go (e.g. a rule cache that cannot be written: the scan
  //! still runs, compiling the rules); null: dropped. The server passes its structured log.
  std::function<void(const std::string&)> warn;
};

//! The enabled vulnerability policies, by name.
using PolicySet = std::vector<std::pair<std::string, vulnmatch::Policy>>;
struct PolicyOutcome {
  //! Per finding: null, or {policy, rule, reason, expires} of the first ignore rule that applies.
  std::vector<Json> ignored_by;
  //! {verdict: pass|warn|block|null (no policy), policies: [{policy, verdict, ignored,
  //! expiredRules}]}: stored in the scan report as "policy".
  Json summary;
};
//! Applies every policy of `policies` to `findings` on the date of `now` (UTC). Pure.
PolicyOutcome ApplyPolicies(const PolicySet& policies,
                            const std::vector<vulnmatch::PolicyFinding>& findings, TimePoint now);

//! Whether a scheduled OSV refresh is due: a schedule is set (hours > 0) and the last refresh
//! is absent or at least `hours` old (a clock that went backwards counts as due). Pure.
bool OsvRefreshDue(std::optional<TimePoint> last, int hours, TimePoint now);

class SecurityService {
 public:
  SecurityService(store::Database& db, const Clock& clock, SecurityServiceOptions options,
                  std::function<void(const std::string&, const std::string&)> publish);

  //! Stores OSV records (one file's text: a record or an array), replacing older copies of the
  //! same ids. Returns how many were stored. `source` names where they came from.
  Result<int> ImportAdvisories(std::string_view osv_json, const std::string& source);
  //! {count, newestImport, newestModified}: the database age shown on every report.
  Result<Json> DatabaseInfo();

  //! Records a pending scan of `target` and, when `jobs` is set, enqueues its job. For
  //! "secrets", `history` also scans the git history of a repository target. For "compliance"
  //! the target names the framework and the assessment runs now (CheckCompliance).
  //! PERMISSION_DENIED outside the scan roots; INVALID_ARGUMENT naming input.target otherwise.
  Result<Json> StartScan(const std::string& scan_type, const std::string& target,
                         const std::string& actor, store::JobRepository* jobs,
                         bool history = false);
  //! Runs a recorded scan now (the job handler; also used by the CLI).
  Status RunScan(int64_t scan_id);
  //! Imports a Trivy or Grype JSON report as a completed scan with its findings.
  Result<Json> ImportReport(std::string_view report_json, const std::string& actor);

  Result<Json> GetScan(int64_t id, bool with_report);
  Result<Json> ListScans(const Json& filter);
  Result<Json> ListVulnerabilities(const Json& filter);
  //! The change that fixes a finding: a unified diff of the manifest (requirements.txt,
  //! go.mod, pom.xml) or the package manager's command for a lockfile. With dry_run false the
  //! manifest as committed at HEAD of the git repository holding the scan target is patched and
  //! committed on a new branch devops-ai/fix-<package>-<version> (libgit2; the work tree, index
  //! and HEAD are not touched). FAILED_PRECONDITION for a lockfile only its package manager may
  //! rewrite, a target outside a git repository, or an image finding (no Dockerfile link);
  //! CONFLICT when the branch exists.
  Result<Json> ApplyPatch(int64_t vulnerability_id, bool dry_run, const std::string& actor = "");
  //! The scan's SBOM as CycloneDX 1.5 or SPDX 2.3.
  Result<Json> GetSbom(int64_t scan_id, const std::string& format);

  void RegisterProcedures(ProcedureRegistry& registry, store::JobRepository* jobs);

  // ---- Vulnerability policies (security_policies, policies.cc)
  Result<Json> ListPolicies();
  Result<Json> GetPolicy(int64_t id);
  //! {name, description?, enabled?, block?, warn?, ignore?}; CONFLICT for a taken name,
  //! INVALID_ARGUMENT naming the field.
  Result<Json> CreatePolicy(const Json& input);
  //! {id, ...}: fields left out keep their value.
  Result<Json> UpdatePolicy(const Json& input);
  Result<Json> DeletePolicy(int64_t id);
  //! The enabled vulnerability policies (applied by RunScan).
  Result<PolicySet> EnabledPolicies();
  void RegisterPolicyProcedures(ProcedureRegistry& registry);

  // ---- Online OSV refresh (osv_refresh.cc)
  //! The OSV API base URL (setting security.osv_api_url; default https://api.osv.dev).
  Result<std::string> OsvUrl();
  //! INVALID_ARGUMENT unless http:// or https://.
  Status SetOsvUrl(const std::string& url);
  //! Sends the packages of the latest 20 completed dependency scans to {url}/v1/querybatch and
  //! imports each named advisory that is missing or older in the store ({url}/v1/vulns/{id}).
  //! {url, packages, requests, advisoriesNamed, upToDate, fetched, imported, skipped, database}.
  Result<Json> RefreshAdvisories();
  //! RefreshAdvisories, with its outcome kept as the last refresh ({at, trigger, ok, error?,
  //! fetched?, imported?}; setting security.osv_last_refresh) whether it failed or not.
  Result<Json> RefreshAdvisoriesRecorded(const std::string& trigger);
  //! Hours between scheduled refreshes (setting security.osv_refresh_hours); 0: none.
  Result<int> OsvRefreshHours();
  //! INVALID_ARGUMENT outside 0..720.
  Status SetOsvRefreshHours(int hours);
  //! The last refresh's record, or null when there was none.
  Result<Json> LastOsvRefresh();
  //! The job `security.osv_refresh`: refreshes when a schedule is set and the last refresh
  //! (any, manual ones too) is at least that many hours old, or there was none. A failed
  //! refresh is recorded, not retried early: the next is due a full period later.
  Status RunScheduledOsvRefresh();
  void RegisterOsvProcedures(ProcedureRegistry& registry, store::JobRepository* jobs);

  // ---- Kubernetes posture and compliance (issue #7, posture_compliance.cc)
  //! Runs the posture checks over the manifests under `target` (a file or a directory of
  //! *.yaml|*.yml|*.json) and stores the result in the scan row. Invalid files are listed in the
  //! report's errors; the scan fails only when nothing could be read.
  Status RunPostureScan(int64_t scan_id, const std::string& target);
  //! Scans manifests sent as text; stores and returns a completed kubernetes scan.
  //! INVALID_ARGUMENT naming the line for invalid YAML; PAYLOAD_TOO_LARGE over 16 MB.
  Result<Json> ScanManifests(const std::string& text, const std::string& name,
                             const std::string& actor);
  //! Evaluates a framework against the latest evidence and stores a compliance_reports row.
  Result<Json> CheckCompliance(const std::string& framework, const std::string& actor);
  Result<Json> GetComplianceReport(int64_t id);
  Result<Json> ListComplianceReports(const Json& filter);
  //! {contentType, filename, body} with the report as Markdown or HTML.
  Result<Json> ExportComplianceReport(int64_t id, const std::string& format);
  void RegisterPostureProcedures(ProcedureRegistry& registry);

  // ---- Secrets (issue #7, secrets_scan.cc)
  //! Scans the tree (and with `history` the git history) at `target` into secret_findings.
  Status RunSecretsScan(int64_t scan_id, const std::string& target, bool history);
  //! Runs CheckCompliance(framework) as a completed "compliance" scan row linked to the report.
  Result<Json> RunComplianceScan(const std::string& framework, const std::string& actor);
  //! Page of secret findings filtered by scanId, severity, ruleId, source, status, file.
  Result<Json> ListSecretFindings(const Json& filter);
  void RegisterSecretsProcedures(ProcedureRegistry& registry);
  //! The live cluster behind `scan` with cluster: true (src/cli wires the Kubernetes adapter).
  //! `list` fills the cluster's objects (kind and apiVersion set) and per-kind errors; it fails
  //! only when nothing could be read.
  struct ClusterSource {
    std::string name;  //!< the kubeconfig context, shown as the scan target "cluster:<name>"
    std::function<Status(std::vector<Json>* objects, std::vector<std::string>* errors)> list;
  };
  void SetClusterSource(ClusterSource source) { cluster_ = std::move(source); }
  //! Records a pending posture scan of the configured cluster and enqueues its job.
  //! FAILED_PRECONDITION naming the setting when no cluster is configured.
  Result<Json> StartClusterScan(const std::string& actor, store::JobRepository* jobs);
  //! Runs the posture checks over the live cluster's objects and stores the result.
  Status RunClusterPostureScan(int64_t scan_id);

  //! The advisory index built from the store (rebuilt when advisories were imported since).
  Result<std::shared_ptr<const vulnmatch::AdvisoryIndex>> Index();

 private:
  //! Inserts a pending security_scans row (report: null or the request's details), queues its
  //! security.scan job when `jobs` is set, publishes it and returns it. A job that cannot be
  //! queued marks the row failed (never left pending) and returns the error.
  Result<Json> QueueScan(const std::string& scan_type, const std::string& target,
                         const std::string& actor, const Json& report,
                         store::JobRepository* jobs);
  store::Database& db_;
  const Clock& clock_;
  SecurityServiceOptions options_;
  std::shared_ptr<const http::HttpClient> http_;
  std::function<void(const std::string&, const std::string&)> publish_;
  ClusterSource cluster_;
  std::mutex index_mu_;
  std::shared_ptr<const vulnmatch::AdvisoryIndex> index_;
  Status StorePostureResult(int64_t scan_id, const std::vector<posture::Object>& objects,
                            const std::vector<std::string>& errors);
  Result<compliance::Evidence> GatherEvidence();
  std::string index_stamp_;  //!< count + newest import of the rows the index was built from
  //! The secrets engine with the built-in rules, compiled on first use.
  const secrets::SecretScanner* Scanner(Status* error);
  std::mutex scanner_mu_;
  std::unique_ptr<secrets::SecretScanner> scanner_;
};

}  // namespace dai::security
