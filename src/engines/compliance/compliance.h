// Compliance evaluation: a control catalog as data (CIS Kubernetes Benchmark v1.8 section 5,
// NSA/CISA Kubernetes Hardening Guide, SOC 2 Trust Services Criteria, HIPAA Security Rule
// §164.312, PCI DSS v4.0), each control mapped to the automated evidence that can show it:
// posture checks, vulnerability and secrets findings, and platform settings (audit logging,
// MFA/roles, backups). A control passes only on positive evidence: with none of its evidence
// present it is "not_assessed", never "pass".
// Pure: evidence in, report out. Thread-safety: free functions over constant data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::compliance {

//! One kind of evidence a control can rely on.
struct EvidenceRef {
  std::string_view kind;  // "posture" | "vulnerabilities" | "secrets" | "platform"
  std::string_view key;   // posture check id, severity ("critical"), or platform setting name
};

struct Control {
  std::string_view framework;  // cis_kubernetes | nsa_cisa | soc2 | hipaa | pci_dss
  std::string_view id;         // "5.2.2", "CC6.1", "164.312(b)", "8.3.1" ...
  std::string_view title;
  std::vector<EvidenceRef> evidence;
};

//! Frameworks in the catalog, in display order.
const std::vector<std::string_view>& Frameworks();
//! Every control of every framework.
const std::vector<Control>& Controls();

//! What was observed. Absent = not observed (the control can then not be assessed from it).
struct Evidence {
  //! Posture results: check id -> {failed, passed} object counts from the latest posture scan.
  bool posture_scanned = false;
  std::string posture_source;  // e.g. "scan 12 (2026-11-29T03:00:00Z)"
  struct CheckTally {
    std::string check_id;
    int failed = 0;
    int passed = 0;
  };
  std::vector<CheckTally> posture;
  //! Open vulnerabilities by severity from the latest dependency scan.
  bool vulnerabilities_scanned = false;
  std::string vulnerabilities_source;
  int vuln_critical = 0, vuln_high = 0, vuln_medium = 0, vuln_low = 0;
  //! Secrets findings from the latest secrets scan.
  bool secrets_scanned = false;
  std::string secrets_source;
  int secrets_findings = 0;
  //! Platform settings: name -> true/false; a name absent was not observed.
  std::vector<std::pair<std::string, bool>> platform;
};

enum class ControlStatus { kPass, kFail, kNotAssessed };
std::string_view ControlStatusName(ControlStatus s);  // "pass" | "fail" | "not_assessed"

struct ControlResult {
  const Control* control = nullptr;
  ControlStatus status = ControlStatus::kNotAssessed;
  std::vector<std::string> evidence;  // one human line per piece of evidence used
  std::string previous_status;        // from the previous report, "" when none
};

struct Report {
  std::string framework;
  std::vector<ControlResult> controls;
  int passed = 0, failed = 0, not_assessed = 0;
  double score = 0;  // passed / (passed + failed) * 100; 0 when nothing was assessed
};

//! Evaluates one framework. `previous` is the previous report's JSON (ReportToJson) or null;
//! it fills previous_status for the trend. INVALID_ARGUMENT for an unknown framework.
Result<Report> Evaluate(std::string_view framework, const Evidence& evidence,
                        const Json& previous = nullptr);

//! {framework, score, passed, failed, notAssessed, controls: [{id, title, status, evidence,
//! previousStatus}], trend: {improved, regressed, unchanged}}.
Json ReportToJson(const Report& report);
//! Markdown and HTML renderings of ReportToJson output (HTML-escaped; no scripts).
std::string ReportToMarkdown(const Json& report, std::string_view generated_at);
std::string ReportToHtml(const Json& report, std::string_view generated_at);

}  // namespace dai::compliance
