#include "engines/vulnmatch/policy.h"

#include <algorithm>
#include <cctype>

namespace dai::vulnmatch {
namespace {

std::string PolUpper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

int PolRank(const std::string& severity) {
  const std::string s = PolUpper(severity);
  if (s == "CRITICAL") return 4;
  if (s == "HIGH") return 3;
  if (s == "MEDIUM" || s == "UNKNOWN" || s.empty()) return 2;
  if (s == "LOW") return 1;
  return 0;
}

bool PolIsDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  const int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

Result<Threshold> ParseThreshold(const Json& j, const std::string& field) {
  Threshold t;
  if (j.is_null()) return t;
  if (!j.is_object()) return Status::InvalidArgument(field + " must be an object");
  for (const auto& [k, v] : j.items()) {
    if (k == "severity") {
      const std::string s = v.is_string() ? v.get<std::string>() : "";
      const std::string lower = [&] {
        std::string l = s;
        for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return l;
      }();
      if (lower != "critical" && lower != "high" && lower != "medium" && lower != "low")
        return Status::InvalidArgument(field + ".severity must be critical, high, medium or low");
      t.severity = lower;
    } else if (k == "cvss") {
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 10)
        return Status::InvalidArgument(field + ".cvss must be a number from 0 to 10");
      t.cvss = v.get<double>();
    } else {
      return Status::InvalidArgument(field + "." + k + " is not a known field (severity, cvss)");
    }
  }
  return t;
}

bool PolReaches(const Threshold& t, const PolicyFinding& f) {
  if (t.severity && PolRank(f.severity) >= PolRank(*t.severity)) return true;
  if (t.cvss && f.cvss >= 0 && f.cvss >= *t.cvss) return true;
  return false;
}

std::string PolLower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<Policy> ParsePolicy(const Json& doc) {
  if (!doc.is_object()) return Status::InvalidArgument("a policy must be an object");
  Policy p;
  for (const auto& [k, v] : doc.items()) {
    if (k == "block") {
      DAI_ASSIGN_OR_RETURN(p.block, ParseThreshold(v, "block"));
    } else if (k == "warn") {
      DAI_ASSIGN_OR_RETURN(p.warn, ParseThreshold(v, "warn"));
    } else if (k == "ignore") {
      if (v.is_null()) continue;
      if (!v.is_array()) return Status::InvalidArgument("ignore must be a list");
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string at = "ignore[" + std::to_string(i) + "]";
        const Json& r = v[i];
        if (!r.is_object()) return Status::InvalidArgument(at + " must be an object");
        IgnoreRule rule;
        for (const auto& [rk, rv] : r.items()) {
          if (rk != "id" && rk != "package" && rk != "reason" && rk != "expires")
            return Status::InvalidArgument(at + "." + rk +
                                           " is not a known field (id, package, reason, expires)");
          if (!rv.is_string()) return Status::InvalidArgument(at + "." + rk + " must be a string");
        }
        rule.id = r.value("id", "");
        rule.package = r.value("package", "");
        rule.reason = r.value("reason", "");
        rule.expires = r.value("expires", "");
        if (rule.id.empty() && rule.package.empty())
          return Status::InvalidArgument(at + " needs an id, a package or both");
        if (rule.reason.find_first_not_of(" \t\r\n") == std::string::npos)
          return Status::InvalidArgument(at + ".reason is required");
        if (!rule.expires.empty() && !PolIsDate(rule.expires))
          return Status::InvalidArgument(at + ".expires must be a date YYYY-MM-DD");
        p.ignore.push_back(std::move(rule));
      }
    } else if (k == "name" || k == "description" || k == "enabled") {
      // Carried by the table's own columns; accepted so one document serves both.
    } else {
      return Status::InvalidArgument(k + " is not a known policy field (block, warn, ignore)");
    }
  }
  return p;
}

Json PolicyToJson(const Policy& p) {
  auto threshold = [](const Threshold& t) {
    Json j = Json::object();
    if (t.severity) j["severity"] = *t.severity;
    if (t.cvss) j["cvss"] = *t.cvss;
    return j;
  };
  Json ignore = Json::array();
  for (const auto& r : p.ignore) {
    Json j = {{"reason", r.reason}};
    if (!r.id.empty()) j["id"] = r.id;
    if (!r.package.empty()) j["package"] = r.package;
    j["expires"] = r.expires.empty() ? Json(nullptr) : Json(r.expires);
    ignore.push_back(std::move(j));
  }
  return {{"block", threshold(p.block)}, {"warn", threshold(p.warn)}, {"ignore", ignore}};
}

PolicyEvaluation EvaluatePolicy(const Policy& policy, const std::vector<PolicyFinding>& findings,
                                const std::string& today) {
  PolicyEvaluation out;
  std::vector<bool> live(policy.ignore.size());
  for (size_t i = 0; i < policy.ignore.size(); ++i) {
    const auto& r = policy.ignore[i];
    live[i] = r.expires.empty() || today <= r.expires;
    if (!live[i]) {
      std::string what = r.id.empty() ? "" : r.id;
      if (!r.package.empty()) what += (what.empty() ? "" : " in ") + r.package;
      out.expired.push_back("ignore[" + std::to_string(i) + "] (" + what + "): expired on " +
                            r.expires + ", no longer applies");
    }
  }
  int worst = 0;  // 0 pass, 1 warn, 2 block
  for (const auto& f : findings) {
    FindingDecision d;
    for (size_t i = 0; i < policy.ignore.size() && d.ignored_by < 0; ++i) {
      if (!live[i]) continue;
      const auto& r = policy.ignore[i];
      bool id_ok = r.id.empty() || r.id == f.id ||
                   std::find(f.aliases.begin(), f.aliases.end(), r.id) != f.aliases.end();
      bool pkg_ok = r.package.empty() || PolLower(r.package) == PolLower(f.package);
      if (id_ok && pkg_ok) d.ignored_by = static_cast<int>(i);
    }
    if (d.ignored_by >= 0) {
      ++out.ignored;
      d.level = "pass";
    } else if (PolReaches(policy.block, f)) {
      d.level = "block";
      worst = 2;
    } else if (PolReaches(policy.warn, f)) {
      d.level = "warn";
      worst = std::max(worst, 1);
    } else {
      d.level = "pass";
    }
    out.findings.push_back(std::move(d));
  }
  out.verdict = worst == 2 ? "block" : worst == 1 ? "warn" : "pass";
  return out;
}

}  // namespace dai::vulnmatch
