#include "engines/healing/rule.h"

#include <gtest/gtest.h>

namespace dai::healing {
namespace {

Json BaseSpec() {
  return Json{
      {"name", "restart-node-exporter"},
      {"conditionType", "alert"},
      {"conditionConfig", {{"matchers", {"alertname=\"NodeExporterDown\"", "job=~\"node.*\""}}}},
      {"actionType", "restart_process"},
      {"actionConfig", {{"target", "node_exporter"}}}};
}

TEST(LabelMatcher, ParsesAllOperatorsAndQuoting) {
  auto eq = ParseLabelMatcher("alertname=\"Node \\\"X\\\"\"");
  ASSERT_TRUE(eq.ok()) << eq.status().ToString();
  EXPECT_EQ(eq->name, "alertname");
  EXPECT_EQ(eq->op, LabelMatcher::Op::kEq);
  EXPECT_EQ(eq->value, "Node \"X\"");
  auto ne = ParseLabelMatcher(" severity != info ");
  ASSERT_TRUE(ne.ok());
  EXPECT_EQ(ne->op, LabelMatcher::Op::kNe);
  EXPECT_EQ(ne->value, "info");
  auto re = ParseLabelMatcher("job=~\"node|api\"");
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(re->op, LabelMatcher::Op::kRegex);
  auto nre = ParseLabelMatcher("env!~prod.*");
  ASSERT_TRUE(nre.ok());
  EXPECT_EQ(nre->op, LabelMatcher::Op::kNotRegex);
  // Round trip through ToString.
  auto again = ParseLabelMatcher(eq->ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->value, eq->value);
}

TEST(LabelMatcher, RegexIsAnchoredLikeAlertmanager) {
  auto m = ParseLabelMatcher("job=~\"node\"");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->Matches({{"job", "node"}}));
  EXPECT_FALSE(m->Matches({{"job", "node_exporter"}}));
  EXPECT_FALSE(m->Matches({{"job", "my-node"}}));
  auto n = ParseLabelMatcher("job!~\"node.*\"");
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->Matches({{"job", "node_exporter"}}));
  EXPECT_TRUE(n->Matches({{"job", "api"}}));
  EXPECT_TRUE(n->Matches({}));  // missing label reads as ""
  auto ne = ParseLabelMatcher("env!=prod");
  ASSERT_TRUE(ne.ok());
  EXPECT_TRUE(ne->Matches({}));
  EXPECT_FALSE(ne->Matches({{"env", "prod"}}));
}

TEST(LabelMatcher, RefusesBadInputNamingTheProblem) {
  auto r = ParseLabelMatcher("1abc=x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("label name"), std::string::npos);
  r = ParseLabelMatcher("abc~x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expected =, !=, =~ or !~"), std::string::npos);
  r = ParseLabelMatcher("abc=\"open");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unterminated"), std::string::npos);
  r = ParseLabelMatcher("abc=~\"(\"");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("invalid regular expression"), std::string::npos);
  r = ParseLabelMatcher("abc=\"x\" tail");
  ASSERT_FALSE(r.ok());
}

TEST(RuleFromSpec, ParsesAndAppliesSafeDefaults) {
  auto r = RuleFromSpec(BaseSpec());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "restart-node-exporter");
  EXPECT_EQ(r->condition, ConditionType::kAlert);
  EXPECT_EQ(r->action, ActionType::kRestartProcess);
  ASSERT_EQ(r->matchers.size(), 2u);
  EXPECT_EQ(r->target.fixed, "node_exporter");
  EXPECT_TRUE(r->requires_approval);  // DESIGN.md: new rules require approval by default
  EXPECT_FALSE(r->dry_run);
  EXPECT_EQ(r->cooldown_seconds, 300);
  EXPECT_EQ(r->max_retries, 3);
  // The spec round-trips.
  auto again = RuleFromSpec(r->ToSpec());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToSpec(), r->ToSpec());
}

TEST(RuleFromSpec, RefusesCustomAndUnknownActions) {
  Json s = BaseSpec();
  s["actionType"] = "custom";
  auto r = RuleFromSpec(s, "rules[0]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("rules[0].actionType"), std::string::npos);
  EXPECT_NE(r.status().message().find("not allowed"), std::string::npos);
  s["actionType"] = "shell";
  EXPECT_FALSE(RuleFromSpec(s).ok());
}

TEST(RuleFromSpec, RefusesUnknownKeysSoATypoNeverWeakensSafety) {
  Json s = BaseSpec();
  s["requireApproval"] = false;  // typo of requiresApproval
  auto r = RuleFromSpec(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("requireApproval: unknown key"), std::string::npos);
  s = BaseSpec();
  s["actionConfig"]["command"] = "rm -rf /";
  r = RuleFromSpec(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("actionConfig.command: unknown key"), std::string::npos);
}

TEST(RuleFromSpec, RequiresAnExplicitSelector) {
  Json s = BaseSpec();
  s["conditionConfig"]["matchers"] = Json::array({"job=~\".*\""});
  auto r = RuleFromSpec(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("conditionConfig.matchers"), std::string::npos);
  s["conditionConfig"] = Json::object();
  EXPECT_FALSE(RuleFromSpec(s).ok());
}

TEST(RuleFromSpec, TargetsFromLabelsNeedAnAllowList) {
  Json s = BaseSpec();
  s["actionConfig"] = {{"targetLabel", "job"}};
  auto r = RuleFromSpec(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("actionConfig.allowedTargets"), std::string::npos);
  s["actionConfig"]["allowedTargets"] = {"node", "api"};
  r = RuleFromSpec(s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string why;
  EXPECT_EQ(r->target.Resolve({{"job", "api"}}, &why).value_or(""), "api");
  EXPECT_FALSE(r->target.Resolve({{"job", "db; rm -rf /"}}, &why).has_value());
  EXPECT_NE(why.find("not in allowedTargets"), std::string::npos);
  EXPECT_FALSE(r->target.Resolve({}, &why).has_value());
  EXPECT_NE(why.find("no \"job\" label"), std::string::npos);
  // A fixed target that looks like an option or carries separators is refused.
  s["actionConfig"] = {{"target", "--help"}};
  EXPECT_FALSE(RuleFromSpec(s).ok());
  s["actionConfig"] = {{"target", "a/b"}};
  EXPECT_FALSE(RuleFromSpec(s).ok());
  s["actionConfig"] = {{"target", "a"}, {"targetLabel", "job"}};
  EXPECT_FALSE(RuleFromSpec(s).ok());
}

TEST(RuleFromSpec, ValidatesActionConfigsPerType) {
  Json s = BaseSpec();
  s["actionType"] = "http_request";
  s["actionConfig"] = {{"url", "ftp://x"}};
  auto r = RuleFromSpec(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("actionConfig.url"), std::string::npos);
  s["actionConfig"] = {{"url", "http://127.0.0.1:9/hook"}, {"headers", {{"x-a", "1\r\nx-b: 2"}}}};
  EXPECT_FALSE(RuleFromSpec(s).ok());
  s["actionConfig"] = {{"url", "http://127.0.0.1:9/hook"}, {"headers", {{"x-a", "1"}}}};
  r = RuleFromSpec(s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->target.fixed, "webhook");

  s["actionType"] = "scale_up";
  s["actionConfig"] = {{"target", "web"}, {"namespace", "prod"}, {"minReplicas", 2}};
  r = RuleFromSpec(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("maxReplicas"), std::string::npos);
  s["actionConfig"]["maxReplicas"] = 1;
  EXPECT_FALSE(RuleFromSpec(s).ok());
  s["actionConfig"]["maxReplicas"] = 8;
  EXPECT_TRUE(RuleFromSpec(s).ok());

  s["actionType"] = "restart_service";
  s["actionConfig"] = {{"target", "nginx@main.service"}};
  EXPECT_TRUE(RuleFromSpec(s).ok());
}

TEST(RuleFromSpec, BoundsAndTypesOfSafetySettings) {
  Json s = BaseSpec();
  s["cooldownSeconds"] = -1;
  auto r = RuleFromSpec(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cooldownSeconds"), std::string::npos);
  s = BaseSpec();
  s["maxRetries"] = "3";
  r = RuleFromSpec(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("maxRetries: expected an integer"), std::string::npos);
  s = BaseSpec();
  s["autoApprove"] = {{"minConfidence", 1.5}};
  EXPECT_FALSE(RuleFromSpec(s).ok());
  s["autoApprove"] = {{"minConfidence", 0.8}, {"minSamples", 4}};
  r = RuleFromSpec(s);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->auto_approve.min_confidence, 0.8);
  EXPECT_EQ(r->auto_approve.min_samples, 4);
}

TEST(RuleFromSpec, MetricThresholdCondition) {
  Json s = BaseSpec();
  s["conditionType"] = "metric_threshold";
  s["conditionConfig"] = {
      {"query", "up{job=\"node\"}"}, {"op", "<"}, {"threshold", 1}, {"forSeconds", 30}};
  EXPECT_TRUE(RuleFromSpec(s).ok());
  s["conditionConfig"]["op"] = "=>";
  EXPECT_FALSE(RuleFromSpec(s).ok());
  s["conditionConfig"].erase("op");
  s["conditionConfig"].erase("threshold");
  EXPECT_FALSE(RuleFromSpec(s).ok());
}

TEST(ParseRuleFile, ParsesYaml) {
  const char* yaml = R"(rules:
  - name: restart-node-exporter
    conditionType: alert
    conditionConfig:
      matchers: ['alertname="NodeExporterDown"']
    actionType: restart_process
    actionConfig: {target: node_exporter, verifyTimeoutSeconds: 5}
    cooldownSeconds: 30
    maxRetries: 2
    requiresApproval: false
  - name: page-on-disk
    conditionType: alert
    conditionConfig:
      matchers: {alertname: DiskFull, severity: "critical"}
    actionType: http_request
    actionConfig: {url: "http://127.0.0.1:1/hook"}
    dryRun: true
)";
  auto rules = ParseRuleFile(yaml);
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].cooldown_seconds, 30);
  EXPECT_EQ((*rules)[0].max_retries, 2);
  EXPECT_FALSE((*rules)[0].requires_approval);
  EXPECT_TRUE((*rules)[1].dry_run);
  EXPECT_EQ((*rules)[1].matchers.size(), 2u);
}

TEST(ParseRuleFile, NamesTheFailingRuleAndField) {
  auto r = ParseRuleFile(
      "rules:\n  - name: a\n    conditionType: alert\n    conditionConfig: {matchers: "
      "['alertname=X']}\n    actionType: restart_process\n    actionConfig: {target: x}\n"
      "  - name: b\n    conditionType: alert\n    conditionConfig: {matchers: ['alertname=X']}\n"
      "    actionType: restart_process\n    actionConfig: {}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("rules[1].actionConfig.target"), std::string::npos)
      << r.status().message();
  r = ParseRuleFile("rules: [ {name: a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kParseError);
  r = ParseRuleFile("other: 1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("rules:"), std::string::npos);
  // Duplicate names.
  const std::string one =
      "  - {name: a, conditionType: alert, conditionConfig: {matchers: ['alertname=X']}, "
      "actionType: "
      "restart_process, actionConfig: {target: x}}\n";
  r = ParseRuleFile("rules:\n" + one + one);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("duplicate"), std::string::npos);
  // A quoted number stays a string, so an integer field refuses it.
  r = ParseRuleFile(
      "rules:\n  - {name: a, conditionType: alert, conditionConfig: {matchers: ['alertname=X']}, "
      "actionType: "
      "restart_process, actionConfig: {target: x}, maxRetries: '3'}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("maxRetries"), std::string::npos);
}

TEST(ParseRuleFile, RefusesOversizedInput) {
  RuleFileLimits limits;
  limits.max_bytes = 10;
  auto r = ParseRuleFile("rules: []\n# padding", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPayloadTooLarge);
  auto ok = ParseRuleFile("rules: []");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->empty());
}

TEST(RuleFromSpec, ScalingOnAMetricNeedsATargetValueAndNoStep) {
  auto spec = [](Json action_config) {
    return Json{{"name", "scale-on-load"},
                {"conditionType", "metric_threshold"},
                {"conditionConfig", {{"query", "load"}, {"op", ">"}, {"threshold", 1}}},
                {"actionType", "scale_up"},
                {"actionConfig", std::move(action_config)}};
  };
  Json base = {{"target", "web"}, {"namespace", "shop"}, {"maxReplicas", 10}};
  Json hpa = base;
  hpa["targetValue"] = 50;
  hpa["tolerance"] = 0.2;
  hpa["stabilizationSeconds"] = 120;
  auto ok = RuleFromSpec(spec(hpa), "input");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  auto message = [&](const Json& cfg) {
    auto r = RuleFromSpec(spec(cfg), "input");
    return r.ok() ? std::string("accepted") : r.status().message();
  };
  Json both = hpa;
  both["step"] = 2;
  EXPECT_NE(message(both).find("input.actionConfig.step: give step or targetValue, not both"),
            std::string::npos);
  Json zero = base;
  zero["targetValue"] = 0;
  EXPECT_NE(message(zero).find("targetValue: a number > 0"), std::string::npos);
  Json loose = hpa;
  loose["tolerance"] = 2;
  EXPECT_NE(message(loose).find("tolerance: a number from 0 to 1"), std::string::npos);
  Json orphan = base;
  orphan["metricLabel"] = "load";
  EXPECT_NE(message(orphan).find("metricLabel: only with targetValue"), std::string::npos);
  Json bad_label = hpa;
  bad_label["metricLabel"] = "not a label";
  EXPECT_NE(message(bad_label).find("metricLabel: not a valid label name"), std::string::npos);
}

}  // namespace
}  // namespace dai::healing
