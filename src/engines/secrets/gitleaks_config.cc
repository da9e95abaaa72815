#include "engines/secrets/gitleaks_config.h"

#include <re2/re2.h>

#include <toml++/toml.h>
#include <set>

#include "engines/secrets/secret_scanner.h"

namespace dai::secrets {
namespace {

Status StringList(const toml::node_view<const toml::node>& node, const std::string& what,
                  std::vector<std::string>& out) {
  if (!node) return Status::Ok();
  const toml::array* arr = node.as_array();
  if (!arr) return Status::InvalidArgument(what + " must be an array of strings");
  for (const auto& el : *arr) {
    auto s = el.value<std::string>();
    if (!s) return Status::InvalidArgument(what + " must be an array of strings");
    out.push_back(*s);
  }
  return Status::Ok();
}

// Syntax only: compiling every regex here and again in SecretScanner::Create was most of the
// CPU of loading gitleaks' rules.
Status CheckRegex(const std::string& pattern, const std::string& what) {
  std::string error;
  if (!RegexSyntaxOk(pattern, &error))
    return Status::InvalidArgument(what + ": invalid regex: " + error);
  return Status::Ok();
}

Result<Allowlist> ParseAllowlist(const toml::table& t, const std::string& owner) {
  Allowlist a;
  toml::node_view<const toml::node> v{t};
  a.description = v["description"].value_or(std::string());
  std::string cond = v["condition"].value_or(std::string("OR"));
  for (char& ch : cond) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (cond == "OR")
    a.condition = AllowCondition::kOr;
  else if (cond == "AND")
    a.condition = AllowCondition::kAnd;
  else
    return Status::InvalidArgument(owner + ": unknown allowlist condition '" + cond + "'");
  std::string target = v["regexTarget"].value_or(std::string("secret"));
  if (target == "secret" || target.empty())
    a.regex_target = AllowTarget::kSecret;
  else if (target == "match")
    a.regex_target = AllowTarget::kMatch;
  else if (target == "line")
    a.regex_target = AllowTarget::kLine;
  else
    return Status::InvalidArgument(owner + ": unknown regexTarget '" + target + "'");
  DAI_RETURN_IF_ERROR(StringList(v["regexes"], owner + ".regexes", a.regexes));
  DAI_RETURN_IF_ERROR(StringList(v["stopwords"], owner + ".stopwords", a.stopwords));
  DAI_RETURN_IF_ERROR(StringList(v["paths"], owner + ".paths", a.paths));
  std::vector<std::string> commits;
  DAI_RETURN_IF_ERROR(StringList(v["commits"], owner + ".commits", commits));
  for (const auto& r : a.regexes) DAI_RETURN_IF_ERROR(CheckRegex(r, owner));
  for (const auto& p : a.paths) DAI_RETURN_IF_ERROR(CheckRegex(p, owner));
  if (a.regexes.empty() && a.stopwords.empty() && a.paths.empty() && commits.empty())
    return Status::InvalidArgument(owner +
                                   ": allowlist without regexes, stopwords, paths or commits");
  return a;
}

// Reads either `key` as a table (legacy single allowlist) or `keys` as an array of tables.
Status Allowlists(const toml::table& t, const char* single, const char* multi,
                  const std::string& owner, std::vector<Allowlist>& out) {
  if (const toml::node* n = t.get(single)) {
    const toml::table* tt = n->as_table();
    if (!tt) return Status::InvalidArgument(owner + "." + single + " must be a table");
    DAI_ASSIGN_OR_RETURN(auto a, ParseAllowlist(*tt, owner + "." + single));
    out.push_back(std::move(a));
  }
  if (const toml::node* n = t.get(multi)) {
    const toml::array* arr = n->as_array();
    if (!arr) return Status::InvalidArgument(owner + "." + multi + " must be an array of tables");
    for (const auto& el : *arr) {
      const toml::table* tt = el.as_table();
      if (!tt) return Status::InvalidArgument(owner + "." + multi + " must be an array of tables");
      DAI_ASSIGN_OR_RETURN(auto a, ParseAllowlist(*tt, owner + "." + multi));
      out.push_back(std::move(a));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<RuleSet> ParseGitleaksConfig(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    auto src = e.source().begin;
    return Status::ParseError("gitleaks config: line " + std::to_string(src.line) + ": " +
                              std::string(e.description()));
  }
  RuleSet set;
  if (const toml::table* ext = root["extend"].as_table()) {
    if ((*ext)["useDefault"].value_or(false) || (*ext)["path"])
      return Status::Unimplemented("gitleaks config: [extend] is not supported; pass one file");
  }
  DAI_RETURN_IF_ERROR(Allowlists(root, "allowlist", "allowlists", "", set.global_allowlists));
  const toml::node* rules_node = root.get("rules");
  if (!rules_node) return set;
  const toml::array* rules = rules_node->as_array();
  if (!rules) return Status::InvalidArgument("gitleaks config: rules must be [[rules]] tables");
  std::set<std::string> ids;
  for (const auto& el : *rules) {
    const toml::table* t = el.as_table();
    if (!t) return Status::InvalidArgument("gitleaks config: rules must be [[rules]] tables");
    toml::node_view<const toml::node> v{*t};
    Rule r;
    auto id = v["id"].value<std::string>();
    if (!id || id->empty()) return Status::InvalidArgument("gitleaks config: a rule has no id");
    r.id = *id;
    if (!ids.insert(r.id).second)
      return Status::InvalidArgument("gitleaks config: duplicate rule id " + r.id);
    const std::string owner = "rule " + r.id;
    r.description = v["description"].value_or(std::string());
    r.regex = v["regex"].value_or(std::string());
    r.path = v["path"].value_or(std::string());
    if (r.regex.empty() && r.path.empty())
      return Status::InvalidArgument(owner + ": needs a regex or a path");
    if (!r.regex.empty()) DAI_RETURN_IF_ERROR(CheckRegex(r.regex, owner));
    if (!r.path.empty()) DAI_RETURN_IF_ERROR(CheckRegex(r.path, owner + " path"));
    auto group = v["secretGroup"].value<int64_t>();
    if (group) {
      if (*group < 0 || *group > 64)
        return Status::InvalidArgument(owner + ": secretGroup out of range");
      r.secret_group = static_cast<int>(*group);
      RE2 re(r.regex.empty() ? std::string("()") : r.regex, RE2::Quiet);
      if (r.secret_group > re.NumberOfCapturingGroups())
        return Status::InvalidArgument(owner + ": secretGroup beyond the regex's groups");
    }
    auto entropy = v["entropy"].value<double>();
    if (entropy) {
      if (*entropy < 0 || *entropy > 8)
        return Status::InvalidArgument(owner + ": entropy must be within [0, 8]");
      r.entropy = *entropy;
    }
    DAI_RETURN_IF_ERROR(StringList(v["keywords"], owner + ".keywords", r.keywords));
    for (auto& k : r.keywords)
      for (char& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    DAI_RETURN_IF_ERROR(Allowlists(*t, "allowlist", "allowlists", owner, r.allowlists));
    set.rules.push_back(std::move(r));
  }
  return set;
}

}  // namespace dai::secrets
