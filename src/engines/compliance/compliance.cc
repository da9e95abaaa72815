#include "engines/compliance/compliance.h"

#include <map>

namespace dai::compliance {
namespace {

constexpr std::string_view kPosture = "posture";
constexpr std::string_view kVulns = "vulnerabilities";
constexpr std::string_view kSecrets = "secrets";
constexpr std::string_view kPlatform = "platform";

EvidenceRef P(std::string_view check) { return {kPosture, check}; }
EvidenceRef V(std::string_view severity) { return {kVulns, severity}; }
EvidenceRef S() { return {kSecrets, "findings"}; }
EvidenceRef Pl(std::string_view setting) { return {kPlatform, setting}; }

}  // namespace

const std::vector<std::string_view>& Frameworks() {
  static const std::vector<std::string_view> kFrameworks = {"cis_kubernetes", "nsa_cisa", "soc2",
                                                            "hipaa", "pci_dss"};
  return kFrameworks;
}

const std::vector<Control>& Controls() {
  static const std::vector<Control> kControls = {
      // CIS Kubernetes Benchmark v1.8, section 5 (Policies)
      {"cis_kubernetes",
       "5.1.1",
       "Ensure that the cluster-admin role is only used where required",
       {P("rbac-cluster-admin")}},
      {"cis_kubernetes",
       "5.1.3",
       "Minimize wildcard use in Roles and ClusterRoles",
       {P("rbac-wildcard"), P("rbac-pod-exec-attach"), P("rbac-binding-pod-exec-attach")}},
      {"cis_kubernetes",
       "5.1.6",
       "Ensure that Service Account Tokens are only mounted where necessary",
       {P("service-account-token")}},
      {"cis_kubernetes",
       "5.2.2",
       "Minimize the admission of privileged containers",
       {P("privileged")}},
      {"cis_kubernetes",
       "5.2.3",
       "Minimize the admission of containers wishing to share the host process ID namespace",
       {P("host-pid")}},
      {"cis_kubernetes",
       "5.2.4",
       "Minimize the admission of containers wishing to share the host IPC namespace",
       {P("host-ipc")}},
      {"cis_kubernetes",
       "5.2.5",
       "Minimize the admission of containers wishing to share the host network namespace",
       {P("host-network")}},
      {"cis_kubernetes",
       "5.2.6",
       "Minimize the admission of containers with allowPrivilegeEscalation",
       {P("allow-privilege-escalation")}},
      {"cis_kubernetes", "5.2.7", "Minimize the admission of root containers", {P("run-as-root")}},
      {"cis_kubernetes",
       "5.2.8",
       "Minimize the admission of containers with the NET_RAW capability",
       {P("capabilities-drop-all")}},
      {"cis_kubernetes",
       "5.2.9",
       "Minimize the admission of containers with added capabilities",
       {P("dangerous-capabilities")}},
      {"cis_kubernetes",
       "5.2.10",
       "Minimize the admission of containers with capabilities assigned",
       {P("capabilities-drop-all")}},
      {"cis_kubernetes",
       "5.2.11",
       "Minimize the admission of Windows HostProcess containers",
       {P("windows-host-process")}},
      {"cis_kubernetes", "5.2.12", "Minimize the admission of HostPath volumes", {P("host-path")}},
      {"cis_kubernetes",
       "5.2.13",
       "Minimize the admission of containers which use HostPorts",
       {P("host-port")}},
      {"cis_kubernetes",
       "5.3.2",
       "Ensure that all Namespaces have Network Policies defined",
       {P("network-policy")}},
      {"cis_kubernetes",
       "5.4.1",
       "Prefer using secrets as files over secrets as environment variables",
       {P("secret-in-env")}},
      {"cis_kubernetes",
       "5.7.2",
       "Ensure that the seccomp profile is set to docker/default in your pod definitions",
       {P("seccomp-profile"), P("linux-hardening")}},
      {"cis_kubernetes",
       "5.7.3",
       "Apply Security Context to Your Pods and Containers",
       {P("read-only-root-filesystem"), P("allow-privilege-escalation"), P("run-as-root")}},
      {"cis_kubernetes",
       "5.7.4",
       "The default namespace should not be used",
       {P("default-namespace")}},
      // NSA/CISA Kubernetes Hardening Guide v1.2
      {"nsa_cisa",
       "pod-non-root",
       "Use containers built to run applications as non-root users",
       {P("run-as-root")}},
      {"nsa_cisa",
       "pod-immutable-fs",
       "Run containers with immutable file systems",
       {P("read-only-root-filesystem")}},
      {"nsa_cisa",
       "image-scanning",
       "Scan containers and pods for vulnerabilities or misconfigurations",
       {V("critical"), P("image-tag")}},
      {"nsa_cisa",
       "pod-security",
       "Enforce pod security: no privileged containers or host namespaces",
       {P("privileged"), P("host-network"), P("host-pid"), P("host-ipc"),
        P("allow-privilege-escalation")}},
      {"nsa_cisa", "sa-tokens", "Protect pod service account tokens", {P("service-account-token")}},
      {"nsa_cisa",
       "container-hardening",
       "Harden container environments (seccomp, AppArmor, SELinux, capabilities)",
       {P("linux-hardening"), P("capabilities-drop-all")}},
      {"nsa_cisa",
       "network-policies",
       "Use network policies to isolate resources",
       {P("network-policy")}},
      {"nsa_cisa",
       "resource-policies",
       "Use resource policies (limits) to limit resource use",
       {P("cpu-limits"), P("memory-limits")}},
      {"nsa_cisa",
       "secrets",
       "Keep secrets out of manifests and images",
       {P("secret-in-env"), S()}},
      {"nsa_cisa",
       "rbac",
       "Use RBAC with least privilege",
       {P("rbac-cluster-admin"), P("rbac-wildcard")}},
      {"nsa_cisa", "audit-logging", "Enable audit logging", {Pl("audit_log_enabled")}},
      {"nsa_cisa",
       "upgrading",
       "Apply security patches and updates promptly",
       {V("high"), P("deprecated-api-version")}},
      // SOC 2 Trust Services Criteria (2017, revised points of focus 2022)
      {"soc2",
       "CC6.1",
       "Logical access security software, infrastructure and architectures",
       {P("rbac-cluster-admin"), P("rbac-wildcard"), Pl("role_based_access"), Pl("mfa_enforced")}},
      {"soc2",
       "CC6.3",
       "Role-based access with least privilege",
       {P("rbac-pod-exec-attach"), P("rbac-binding-pod-exec-attach"), P("service-account-token")}},
      {"soc2",
       "CC6.6",
       "Logical access security measures against threats from outside boundaries",
       {P("network-policy"), P("ingress-tls"), P("host-network")}},
      {"soc2",
       "CC6.7",
       "Restrict the transmission of information to authorized parties (encryption in transit)",
       {P("ingress-tls")}},
      {"soc2",
       "CC6.8",
       "Prevent or detect unauthorized or malicious software",
       {V("critical"), P("image-tag"), P("privileged")}},
      {"soc2",
       "CC7.1",
       "Detect configuration changes and newly discovered vulnerabilities",
       {V("high"), P("deprecated-api-version")}},
      {"soc2",
       "CC7.2",
       "Monitor system components for anomalies (audit logging)",
       {Pl("audit_log_enabled")}},
      {"soc2",
       "CC8.1",
       "Authorize, design, test and implement changes (immutable versions, rollouts)",
       {P("image-tag"), P("deployment-strategy")}},
      {"soc2",
       "A1.2",
       "Environmental protections, backup and recovery infrastructure",
       {Pl("backups_configured"), P("pod-disruption-budget")}},
      {"soc2",
       "C1.1",
       "Identify and maintain confidential information (no leaked secrets)",
       {S(), P("secret-in-env")}},
      // HIPAA Security Rule
      {"hipaa",
       "164.308(a)(1)(ii)(A)",
       "Risk analysis: known vulnerabilities assessed",
       {V("critical")}},
      {"hipaa", "164.308(a)(7)(ii)(A)", "Data backup plan", {Pl("backups_configured")}},
      {"hipaa",
       "164.312(a)(1)",
       "Access control: unique users, least privilege",
       {P("rbac-cluster-admin"), P("rbac-wildcard"), Pl("role_based_access")}},
      {"hipaa",
       "164.312(a)(2)(iv)",
       "Encryption and decryption of stored credentials",
       {Pl("credentials_encrypted")}},
      {"hipaa", "164.312(b)", "Audit controls", {Pl("audit_log_enabled")}},
      {"hipaa",
       "164.312(c)(1)",
       "Integrity: protect data from improper alteration",
       {P("read-only-root-filesystem"), P("image-tag")}},
      {"hipaa", "164.312(d)", "Person or entity authentication", {Pl("mfa_enforced")}},
      {"hipaa", "164.312(e)(1)", "Transmission security", {P("ingress-tls"), P("network-policy")}},
      // PCI DSS v4.0
      {"pci_dss",
       "1.3.1",
       "Inbound traffic to the cardholder data environment is restricted",
       {P("network-policy")}},
      {"pci_dss",
       "2.2.1",
       "Configuration standards address known security vulnerabilities",
       {P("privileged"), P("run-as-root"), P("allow-privilege-escalation")}},
      {"pci_dss",
       "2.2.5",
       "Insecure services, protocols or ports are justified or removed",
       {P("host-network"), P("host-port")}},
      {"pci_dss", "4.2.1", "Strong cryptography protects data in transit", {P("ingress-tls")}},
      {"pci_dss", "6.3.3", "Critical and high security patches are installed", {V("high")}},
      {"pci_dss",
       "7.2.1",
       "An access control model grants least privilege",
       {P("rbac-cluster-admin"), P("rbac-wildcard"), Pl("role_based_access")}},
      {"pci_dss", "8.3.1", "All user access is authenticated", {Pl("role_based_access")}},
      {"pci_dss", "8.4.2", "MFA is implemented for all access into the CDE", {Pl("mfa_enforced")}},
      {"pci_dss",
       "8.6.2",
       "Passwords for system accounts are not hard-coded",
       {S(), P("secret-in-env")}},
      {"pci_dss", "10.2.1", "Audit logs are enabled and active", {Pl("audit_log_enabled")}},
      {"pci_dss",
       "11.3.1",
       "Internal vulnerability scans are performed and high-risk findings resolved",
       {V("high")}},
  };
  return kControls;
}

std::string_view ControlStatusName(ControlStatus s) {
  switch (s) {
    case ControlStatus::kPass:
      return "pass";
    case ControlStatus::kFail:
      return "fail";
    case ControlStatus::kNotAssessed:
      return "not_assessed";
  }
  return "not_assessed";
}

namespace {

//! One piece of evidence: 1 pass, -1 fail, 0 not observed; `line` describes it.
int Judge(const EvidenceRef& ref, const Evidence& ev, std::string& line) {
  if (ref.kind == kPosture) {
    if (!ev.posture_scanned) return 0;
    for (const auto& t : ev.posture) {
      if (t.check_id != ref.key) continue;
      if (t.failed + t.passed == 0) return 0;
      line = "posture check " + t.check_id + ": " + std::to_string(t.failed) + " failed, " +
             std::to_string(t.passed) + " passed (" + ev.posture_source + ")";
      return t.failed == 0 ? 1 : -1;
    }
    return 0;
  }
  if (ref.kind == kVulns) {
    if (!ev.vulnerabilities_scanned) return 0;
    int n = ev.vuln_critical + (ref.key == "high" ? ev.vuln_high : 0);
    line = std::string("open ") + (ref.key == "high" ? "critical+high" : "critical") +
           " vulnerabilities: " + std::to_string(n) + " (" + ev.vulnerabilities_source + ")";
    return n == 0 ? 1 : -1;
  }
  if (ref.kind == kSecrets) {
    if (!ev.secrets_scanned) return 0;
    line =
        "secrets findings: " + std::to_string(ev.secrets_findings) + " (" + ev.secrets_source + ")";
    return ev.secrets_findings == 0 ? 1 : -1;
  }
  for (const auto& [name, value] : ev.platform) {
    if (name != ref.key) continue;
    line = "platform setting " + name + ": " + (value ? "yes" : "no");
    return value ? 1 : -1;
  }
  return 0;
}

}  // namespace

Result<Report> Evaluate(std::string_view framework, const Evidence& evidence,
                        const Json& previous) {
  bool known = false;
  for (auto f : Frameworks()) known = known || f == framework;
  if (!known)
    return Status::InvalidArgument("unknown framework '" + std::string(framework) +
                                   "' (cis_kubernetes, nsa_cisa, soc2, hipaa, pci_dss)");
  std::map<std::string, std::string> before;
  if (previous.is_object() && previous.contains("controls") && previous["controls"].is_array())
    for (const auto& c : previous["controls"])
      if (c.is_object() && c.contains("id") && c["id"].is_string() && c.contains("status") &&
          c["status"].is_string())
        before[c["id"].get<std::string>()] = c["status"].get<std::string>();
  Report report;
  report.framework = std::string(framework);
  for (const auto& control : Controls()) {
    if (control.framework != framework) continue;
    ControlResult r;
    r.control = &control;
    int passes = 0, fails = 0;
    for (const auto& ref : control.evidence) {
      std::string line;
      int verdict = Judge(ref, evidence, line);
      if (verdict == 0) continue;
      (verdict > 0 ? passes : fails)++;
      r.evidence.push_back((verdict > 0 ? "PASS " : "FAIL ") + line);
    }
    if (fails > 0)
      r.status = ControlStatus::kFail;
    else if (passes > 0)
      r.status = ControlStatus::kPass;
    else
      r.status = ControlStatus::kNotAssessed;
    if (auto it = before.find(std::string(control.id)); it != before.end())
      r.previous_status = it->second;
    (r.status == ControlStatus::kPass   ? report.passed
     : r.status == ControlStatus::kFail ? report.failed
                                        : report.not_assessed)++;
    report.controls.push_back(std::move(r));
  }
  int assessed = report.passed + report.failed;
  report.score = assessed ? 100.0 * report.passed / assessed : 0;
  return report;
}

Json ReportToJson(const Report& report) {
  Json controls = Json::array();
  int improved = 0, regressed = 0, unchanged = 0;
  auto rank = [](std::string_view s) { return s == "pass" ? 2 : s == "fail" ? 0 : 1; };
  for (const auto& r : report.controls) {
    std::string status(ControlStatusName(r.status));
    Json c = {
        {"id", std::string(r.control->id)},
        {"title", std::string(r.control->title)},
        {"status", status},
        {"evidence", r.evidence},
        {"previousStatus", r.previous_status.empty() ? Json(nullptr) : Json(r.previous_status)}};
    if (!r.previous_status.empty()) {
      int d = rank(status) - rank(r.previous_status);
      (d > 0 ? improved : d < 0 ? regressed : unchanged)++;
    }
    controls.push_back(std::move(c));
  }
  return {{"framework", report.framework},
          {"score", report.score},
          {"passed", report.passed},
          {"failed", report.failed},
          {"notAssessed", report.not_assessed},
          {"total", static_cast<int>(report.controls.size())},
          {"controls", controls},
          {"trend", {{"improved", improved}, {"regressed", regressed}, {"unchanged", unchanged}}}};
}

namespace {

std::string Get(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_null()) return "";
  return it->dump();
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string MdEscape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|' || ch == '\\' || ch == '`' || ch == '*' || ch == '_' || ch == '<' || ch == '>')
      out += '\\';
    if (ch == '\n') {
      out += ' ';
      continue;
    }
    out += ch;
  }
  return out;
}

}  // namespace

std::string ReportToMarkdown(const Json& report, std::string_view generated_at) {
  std::string md = "# Compliance report: " + MdEscape(Get(report, "framework")) + "\n\n";
  md += "Generated " + MdEscape(generated_at) + ". Score " + Get(report, "score") + "% (" +
        Get(report, "passed") + " pass, " + Get(report, "failed") + " fail, " +
        Get(report, "notAssessed") + " not assessed). A control passes only with evidence.\n\n";
  md += "| control | title | status | previous | evidence |\n|---|---|---|---|---|\n";
  for (const auto& c : report.value("controls", Json::array())) {
    std::string ev;
    for (const auto& e : c.value("evidence", Json::array()))
      ev += (ev.empty() ? "" : "<br>") + MdEscape(e.is_string() ? e.get<std::string>() : "");
    md += "| " + MdEscape(Get(c, "id")) + " | " + MdEscape(Get(c, "title")) + " | " +
          MdEscape(Get(c, "status")) + " | " + MdEscape(Get(c, "previousStatus")) + " | " + ev +
          " |\n";
  }
  return md;
}

std::string ReportToHtml(const Json& report, std::string_view generated_at) {
  std::string h =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>Compliance report: " +
      HtmlEscape(Get(report, "framework")) +
      "</title><style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:"
      "1px solid #999;padding:4px}.pass{color:#060}.fail{color:#a00}.not_assessed{color:#666}"
      "</style></head><body>";
  h += "<h1>Compliance report: " + HtmlEscape(Get(report, "framework")) + "</h1>";
  h += "<p>Generated " + HtmlEscape(generated_at) + ". Score " + HtmlEscape(Get(report, "score")) +
       "% (" + HtmlEscape(Get(report, "passed")) + " pass, " + HtmlEscape(Get(report, "failed")) +
       " fail, " + HtmlEscape(Get(report, "notAssessed")) + " not assessed).</p>";
  h += "<table><tr><th>control</th><th>title</th><th>status</th><th>previous</th><th>evidence"
       "</th></tr>";
  for (const auto& c : report.value("controls", Json::array())) {
    std::string status = Get(c, "status");
    h += "<tr><td>" + HtmlEscape(Get(c, "id")) + "</td><td>" + HtmlEscape(Get(c, "title")) +
         "</td><td class=\"" + HtmlEscape(status) + "\">" + HtmlEscape(status) + "</td><td>" +
         HtmlEscape(Get(c, "previousStatus")) + "</td><td>";
    for (const auto& e : c.value("evidence", Json::array()))
      h += HtmlEscape(e.is_string() ? e.get<std::string>() : "") + "<br>";
    h += "</td></tr>";
  }
  h += "</table></body></html>\n";
  return h;
}

}  // namespace dai::compliance
