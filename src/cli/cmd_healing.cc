// `devops-ai healing check RULES.yaml`: validates a healing rule file and prints each rule's
// normalised spec (exit 1 naming the rule and field on the first error).
// `devops-ai healing decide RULES.yaml --label k=v ... [--resolved]`: what the rules would
// decide for one signal with no history, as JSON (the engine alone: nothing is executed).
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/json.h"
#include "engines/healing/decision.h"
#include "engines/healing/rule.h"

namespace dai::cli {
namespace {

Result<std::vector<healing::Rule>> LoadRules(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  auto rules = healing::ParseRuleFile(ss.str());
  if (!rules.ok()) return rules.status().WithContext(path);
  int64_t id = 1;
  for (auto& r : *rules) r.id = id++;
  return rules;
}

Status RunCheck(const std::string& path) {
  DAI_ASSIGN_OR_RETURN(auto rules, LoadRules(path));
  Json out = Json::array();
  for (const auto& r : rules) out.push_back(r.ToSpec());
  std::printf("%s\n", DumpJson(Json{{"rules", out}, {"count", rules.size()}}).c_str());
  return Status::Ok();
}

Status RunDecide(const std::string& path, const std::vector<std::string>& labels, bool resolved) {
  DAI_ASSIGN_OR_RETURN(auto rules, LoadRules(path));
  healing::Signal signal;
  signal.firing = !resolved;
  for (const auto& kv : labels) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument("--label " + kv + ": expected name=value");
    signal.labels[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  signal.fingerprint = "cli";
  healing::RuleIndex index(std::move(rules));
  auto decisions = healing::Decide(index, signal, {}, {}, SystemClock::Instance().Now());
  Json out = Json::array();
  for (const auto& d : decisions) {
    out.push_back({{"rule", d.rule_name},
                   {"verdict", std::string(healing::VerdictName(d.verdict))},
                   {"action", std::string(healing::ActionTypeName(d.action))},
                   {"target", d.target},
                   {"reason", d.reason}});
  }
  std::printf(
      "%s\n",
      DumpJson(Json{{"signature", healing::Signature(signal)}, {"decisions", out}}).c_str());
  return Status::Ok();
}

}  // namespace

void RegisterHealingCommands(CLI::App& app, CliState& state) {
  auto* healing_cmd = app.add_subcommand("healing", "Self-healing rules: validate and try them");
  healing_cmd->require_subcommand(1);
  auto* check = healing_cmd->add_subcommand("check", "Validate a healing rule file (YAML)");
  auto path = std::make_shared<std::string>();
  check->add_option("rules", *path, "rule file (YAML: rules: [...])")->required();
  check->callback([&state, path] {
    Status st = RunCheck(*path);
    if (!st.ok()) {
      std::fprintf(stderr, "devops-ai healing check: %s\n", st.ToString().c_str());
      state.exit_code = st.code() == StatusCode::kNotFound ? 2 : 1;
    }
  });
  auto* decide = healing_cmd->add_subcommand(
      "decide", "Show what the rules decide for one signal (executes nothing)");
  auto dpath = std::make_shared<std::string>();
  auto labels = std::make_shared<std::vector<std::string>>();
  auto resolved = std::make_shared<bool>(false);
  decide->add_option("rules", *dpath, "rule file (YAML)")->required();
  decide->add_option("--label", *labels, "a label of the signal, name=value (repeat)");
  decide->add_flag("--resolved", *resolved, "the signal is resolved (decides nothing)");
  decide->callback([&state, dpath, labels, resolved] {
    Status st = RunDecide(*dpath, *labels, *resolved);
    if (!st.ok()) {
      std::fprintf(stderr, "devops-ai healing decide: %s\n", st.ToString().c_str());
      state.exit_code = st.code() == StatusCode::kNotFound ? 2 : 1;
    }
  });
}

}  // namespace dai::cli
