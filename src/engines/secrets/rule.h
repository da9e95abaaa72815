// Rule model of the secrets engine: what a detection rule is (a regex with an optional secret
// group, keywords, an entropy floor and allow-lists), in the shape of gitleaks' config so a
// gitleaks TOML file maps onto it one to one. Plain values; thread-compatible.
#pragma once

#include <string>
#include <vector>

namespace dai::secrets {

//! Which text an allow-list regex is matched against.
enum class AllowTarget { kSecret, kMatch, kLine };
//! How the criteria of one allow-list combine (gitleaks' `condition`).
enum class AllowCondition { kOr, kAnd };

//! One allow-list: a finding is dropped when its criteria hold (any of them for kOr, all the
//! configured ones for kAnd). Stopwords match case-insensitively as substrings of the secret.
struct Allowlist {
  std::string description;
  AllowCondition condition = AllowCondition::kOr;
  AllowTarget regex_target = AllowTarget::kSecret;
  std::vector<std::string> regexes;    // RE2 syntax (= Go regexp syntax)
  std::vector<std::string> stopwords;  // lower-cased at load
  std::vector<std::string> paths;      // regexes on the path given to Scan
};

//! One detection rule. `regex` is RE2 syntax; the secret is capture group `secret_group` when
//! set, else the first non-empty group, else the whole match.
struct Rule {
  std::string id;
  std::string description;
  std::string regex;
  std::string path;                   // optional: rule applies only to paths matching this
  int secret_group = 0;
  double entropy = 0;                 // 0 = no floor; else Shannon entropy must exceed it
  std::vector<std::string> keywords;  // lower-cased; at least one must occur in the candidate
  std::vector<Allowlist> allowlists;
};

//! A rule set plus the global allow-lists applied to every rule.
struct RuleSet {
  std::vector<Rule> rules;
  std::vector<Allowlist> global_allowlists;
};

}  // namespace dai::secrets
