// Kubernetes posture checks over a set of manifests scanned together (cross-object checks such
// as NetworkPolicy coverage, Service/Ingress/HPA targets and PodDisruptionBudgets look at the
// whole set). Each check has an id, a severity, a remediation text, its CIS Kubernetes
// Benchmark (v1.8) and NSA/CISA Kubernetes Hardening Guide (v1.2) references, and the names of
// the equivalent kube-score and Polaris checks as aliases.
// Pure: evaluates parsed objects (see manifest.h). Thread-safety: free functions over
// immutable data; the catalog is a constant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engines/posture/manifest.h"

namespace dai::posture {

enum class Severity { kLow, kMedium, kHigh, kCritical };
std::string_view SeverityName(Severity s);  // "low" ...

enum class Outcome { kPass, kFail };

struct CheckInfo {
  std::string_view id;        // e.g. "privileged"
  Severity severity;          // of a failure
  std::string_view category;  // "security" | "reliability" | "efficiency"
  std::string_view title;
  std::string_view remediation;
  std::vector<std::string_view> cis;         // CIS Kubernetes Benchmark v1.8 controls, "5.2.2"
  std::vector<std::string_view> nsa;         // NSA/CISA hardening guide sections
  std::vector<std::string_view> kube_score;  // kube-score check names
  std::vector<std::string_view> polaris;     // Polaris check ids
  bool optional = false;  // not run by default (kube-score's optional checks); --only/all runs it
};

//! All checks, in a stable order.
const std::vector<CheckInfo>& Catalog();
//! The check with this id, or nullptr.
const CheckInfo* FindCheck(std::string_view id);

//! One evaluated (check, object[, container]). Passes are reported per object so a report can
//! show what was verified, not only what failed.
struct CheckResult {
  std::string check_id;
  Outcome outcome = Outcome::kPass;
  Severity severity = Severity::kLow;  // the check's severity (a failure may raise it)
  size_t object_index = 0;             // into the objects given to Evaluate
  std::string container;               // "" for object-level results
  std::string message;
};

struct EvaluateOptions {
  //! Check ids or aliases (kube-score name, Polaris id) to run; empty = every non-optional check.
  std::vector<std::string> only;
  bool include_optional = false;  // with `only` empty: run optional checks too
  bool include_passes = true;
};

struct Report {
  std::vector<CheckResult> results;  // ordered by object, then check order
  std::vector<std::string> checks_run;
  size_t failed = 0;
  size_t passed = 0;
};

//! Resolves `only` to check ids. INVALID_ARGUMENT naming an unknown name.
Result<std::vector<std::string>> ResolveChecks(const std::vector<std::string>& names);

//! Runs the selected checks over `objects` (one set, scanned together).
Result<Report> Evaluate(const std::vector<Object>& objects, const EvaluateOptions& options = {});

//! True when a Kubernetes label selector (matchLabels / matchExpressions JSON) selects `labels`.
//! An empty selector selects everything; a null selector selects nothing.
bool SelectorMatches(const Json& selector, const Json& labels);

}  // namespace dai::posture
