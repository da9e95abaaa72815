// Vulnerability policies (security_policies, issue #6): block and warn thresholds by severity
// and CVSS score, and ignore rules (an advisory id or alias and/or a package, with a reason and
// an optional expiry date). The same fields come from the API, the table's `rules` column and a
// `--policy FILE` of the CLI. Pure: "today" is a parameter. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::vulnmatch {

struct Threshold {
  std::optional<std::string> severity;  //!< critical|high|medium|low: at or above it
  std::optional<double> cvss;           //!< CVSS base score at or above it
  bool empty() const { return !severity && !cvss; }
};

struct IgnoreRule {
  std::string id;       //!< advisory id or alias ("" = any advisory of `package`)
  std::string package;  //!< package name ("" = the advisory in any package)
  std::string reason;   //!< required
  std::string expires;  //!< YYYY-MM-DD, the last day the rule applies; "" = never expires
};

struct Policy {
  Threshold block;
  Threshold warn;
  std::vector<IgnoreRule> ignore;
};

//! {block: {severity?, cvss?}, warn: {severity?, cvss?}, ignore: [{id?, package?, reason,
//! expires?}]}. INVALID_ARGUMENT naming the field (e.g. "ignore[1].reason is required").
Result<Policy> ParsePolicy(const Json& doc);
Json PolicyToJson(const Policy& policy);

struct PolicyFinding {
  std::string id;
  std::vector<std::string> aliases;
  std::string package;
  std::string severity;  //!< CRITICAL/HIGH/MEDIUM/LOW/UNKNOWN (any case); unknown counts as medium
  double cvss = -1;      //!< < 0: none
};

struct FindingDecision {
  int ignored_by = -1;  //!< index of the ignore rule that applies, -1 = none
  std::string level;    //!< "block", "warn" or "pass" (ignored findings: "pass")
};

struct PolicyEvaluation {
  std::string verdict;                    //!< "block", "warn" or "pass"
  std::vector<FindingDecision> findings;  //!< one per input finding, same order
  int ignored = 0;
  //! Ignore rules past their expiry date, each "ignore[i] (what): expired on DATE, no longer
  //! applies"; they matched nothing.
  std::vector<std::string> expired;
};

//! Applies `policy` to `findings` on `today` (YYYY-MM-DD, UTC).
PolicyEvaluation EvaluatePolicy(const Policy& policy, const std::vector<PolicyFinding>& findings,
                                const std::string& today);

}  // namespace dai::vulnmatch
