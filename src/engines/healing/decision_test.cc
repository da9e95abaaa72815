#include "engines/healing/decision.h"

#include <gtest/gtest.h>

namespace dai::healing {
namespace {

using std::chrono::seconds;

const TimePoint kNow = FromUnixMillis(1'800'000'000'000);

Rule MakeRule(int64_t id, std::string name, Json overrides = Json::object()) {
  Json spec = {{"name", name},
               {"conditionType", "alert"},
               {"conditionConfig", {{"matchers", {"alertname=\"NodeExporterDown\""}}}},
               {"actionType", "restart_process"},
               {"actionConfig", {{"target", "node_exporter"}}},
               {"requiresApproval", false},
               {"cooldownSeconds", 60},
               {"maxRetries", 3}};
  for (auto it = overrides.begin(); it != overrides.end(); ++it) spec[it.key()] = it.value();
  auto r = RuleFromSpec(spec);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  Rule rule = r.ok() ? *r : Rule{};
  rule.id = id;
  return rule;
}

Signal Firing(std::map<std::string, std::string> labels = {{"alertname", "NodeExporterDown"},
                                                           {"job", "node"}}) {
  Signal s;
  s.labels = std::move(labels);
  s.fingerprint = "fp";
  return s;
}

ActionRecord Rec(int64_t rule, Outcome o, TimePoint at, std::string target = "node_exporter") {
  return {rule, std::move(target), o, at};
}

TEST(Decide, ExecutesAMatchingRule) {
  RuleIndex idx({MakeRule(1, "r")});
  auto d = Decide(idx, Firing(), {}, {}, kNow);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  EXPECT_EQ(d[0].target, "node_exporter");
  EXPECT_EQ(d[0].attempt, 1);
  EXPECT_EQ(d[0].signature, "NodeExporterDown{job=\"node\"}");
}

TEST(Decide, NothingForResolvedOrUnmatchedOrDisabled) {
  Rule r = MakeRule(1, "r");
  RuleIndex idx({r});
  Signal resolved = Firing();
  resolved.firing = false;
  EXPECT_TRUE(Decide(idx, resolved, {}, {}, kNow).empty());
  EXPECT_TRUE(Decide(idx, Firing({{"alertname", "Other"}}), {}, {}, kNow).empty());
  Signal anomaly = Firing();
  anomaly.kind = ConditionType::kAnomaly;
  EXPECT_TRUE(Decide(idx, anomaly, {}, {}, kNow).empty());
  r.enabled = false;
  RuleIndex disabled({r});
  EXPECT_TRUE(Decide(disabled, Firing(), {}, {}, kNow).empty());
}

TEST(Decide, DefaultRuleNeedsApproval) {
  Rule r = MakeRule(1, "r", {{"requiresApproval", true}});
  auto d = Decide(RuleIndex({r}), Firing(), {}, {}, kNow);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, Verdict::kNeedsApproval);
  // While an approval is pending, no second request.
  History h;
  h.records.push_back(Rec(1, Outcome::kAwaitingApproval, kNow - seconds(5)));
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, Verdict::kSkip);
  EXPECT_NE(d[0].reason.find("already pending"), std::string::npos);
}

TEST(Decide, DryRunIsRecordedNotPerformed) {
  auto d = Decide(RuleIndex({MakeRule(1, "r", {{"dryRun", true}})}), Firing(), {}, {}, kNow);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, Verdict::kDryRun);
  // A dry run keeps the cooldown a real action would have.
  History h;
  h.records.push_back(Rec(1, Outcome::kDryRun, kNow - seconds(10)));
  d = Decide(RuleIndex({MakeRule(1, "r", {{"dryRun", true}})}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kSkip);
  EXPECT_NE(d[0].reason.find("cooldown"), std::string::npos);
}

TEST(Decide, CooldownPerRuleAndTarget) {
  Rule r = MakeRule(1, "r", {{"cooldownSeconds", 60}});
  History h;
  h.records.push_back(Rec(1, Outcome::kSucceeded, kNow - seconds(30)));
  auto d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, Verdict::kSkip);
  EXPECT_NE(d[0].reason.find("cooldown"), std::string::npos);
  EXPECT_NE(d[0].reason.find("30 s"), std::string::npos) << d[0].reason;
  // Exactly at the end of the cooldown the action is allowed again.
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow + seconds(30));
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  // Another target of the same rule is not in cooldown.
  h.records[0].target = "other";
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  // A skipped or rejected decision does not start a cooldown.
  h.records = {Rec(1, Outcome::kSkipped, kNow - seconds(1)),
               Rec(1, Outcome::kRejected, kNow - seconds(1))};
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
}

TEST(Decide, WaitsForVerificationOfTheRunningAction) {
  Rule r = MakeRule(1, "r", {{"cooldownSeconds", 0}});
  History h;
  h.records.push_back(Rec(1, Outcome::kRunning, kNow - seconds(3)));
  auto d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kSkip);
  EXPECT_NE(d[0].reason.find("verified"), std::string::npos);
}

TEST(Decide, EscalatesOnceWhenRetriesAreExhausted) {
  Rule r = MakeRule(1, "r", {{"cooldownSeconds", 0}, {"maxRetries", 2}, {"breakerFailures", 10}});
  History h;
  h.records.push_back(Rec(1, Outcome::kFailed, kNow - seconds(300)));
  auto d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  EXPECT_EQ(d[0].attempt, 2);
  h.records.push_back(Rec(1, Outcome::kFailed, kNow - seconds(200)));
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kEscalate);
  EXPECT_NE(d[0].reason.find("maxRetries (2)"), std::string::npos);
  h.records.push_back(Rec(1, Outcome::kEscalated, kNow - seconds(100)));
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kSkip);
  EXPECT_NE(d[0].reason.find("already escalated"), std::string::npos);
  // Escalation is not delayed by the cooldown.
  Rule slow = r;
  slow.cooldown_seconds = 3600;
  h.records.pop_back();
  d = Decide(RuleIndex({slow}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kEscalate);
  // A success starts a new episode.
  h.records.push_back(Rec(1, Outcome::kSucceeded, kNow - seconds(50)));
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  EXPECT_EQ(d[0].attempt, 1);
  // Attempts older than the retry window no longer count.
  History old;
  old.records = {Rec(1, Outcome::kFailed, kNow - std::chrono::hours(3)),
                 Rec(1, Outcome::kFailed, kNow - std::chrono::hours(2))};
  d = Decide(RuleIndex({r}), Firing(), old, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
}

TEST(Decide, ZeroRetriesMeansEscalateOnly) {
  auto d = Decide(RuleIndex({MakeRule(1, "r", {{"maxRetries", 0}})}), Firing(), {}, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kEscalate);
}

TEST(Decide, CircuitBreakerStopsARuleThatKeepsFailing) {
  Rule r = MakeRule(1, "r",
                    {{"cooldownSeconds", 0},
                     {"maxRetries", 100},
                     {"breakerFailures", 3},
                     {"breakerResetSeconds", 600}});
  History h;
  // Failures on three different targets: the breaker is per rule.
  h.records = {Rec(1, Outcome::kFailed, kNow - seconds(30), "a"),
               Rec(1, Outcome::kFailed, kNow - seconds(20), "b"),
               Rec(1, Outcome::kFailed, kNow - seconds(10), "c")};
  auto d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kSkip);
  EXPECT_NE(d[0].reason.find("circuit breaker open: 3"), std::string::npos) << d[0].reason;
  // It closes after the reset time.
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow + seconds(600));
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  // A success in between keeps it closed.
  h.records.insert(h.records.begin() + 1, Rec(1, Outcome::kSucceeded, kNow - seconds(25), "z"));
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
}

TEST(Decide, RuleHourlyLimit) {
  Rule r =
      MakeRule(1, "r", {{"cooldownSeconds", 0}, {"maxExecutionsPerHour", 2}, {"maxRetries", 100}});
  History h;
  h.records = {Rec(1, Outcome::kSucceeded, kNow - seconds(1000), "a"),
               Rec(1, Outcome::kSucceeded, kNow - seconds(900), "b")};
  auto d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kSkip);
  EXPECT_NE(d[0].reason.find("maxExecutionsPerHour 2"), std::string::npos);
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow + seconds(2700));
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
}

TEST(Decide, GlobalRateLimitAcrossRules) {
  GlobalPolicy policy;
  policy.max_actions_per_window = 2;
  policy.window = Millis(60'000);
  History h;
  h.records = {Rec(7, Outcome::kSucceeded, kNow - seconds(10), "x"),
               Rec(8, Outcome::kFailed, kNow - seconds(20), "y")};
  auto d = Decide(RuleIndex({MakeRule(1, "r")}), Firing(), h, policy, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kSkip);
  EXPECT_NE(d[0].reason.find("global rate limit"), std::string::npos);
  // Executions decided within the same call count too.
  policy.max_actions_per_window = 1;
  Rule a = MakeRule(1, "a", {{"actionConfig", {{"target", "t1"}}}});
  Rule b = MakeRule(2, "b", {{"actionConfig", {{"target", "t2"}}}});
  d = Decide(RuleIndex({a, b}), Firing(), {}, policy, kNow);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  EXPECT_EQ(d[1].verdict, Verdict::kSkip);
  // Dry-run rules are not limited by the blast radius (they do nothing).
  Rule dry = MakeRule(3, "dry", {{"dryRun", true}});
  d = Decide(RuleIndex({dry}), Firing(), h, policy, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kDryRun);
}

TEST(Decide, OneRulePerTargetRankedByPriorityThenLearnedSuccess) {
  Rule a = MakeRule(1, "restart", {{"priority", 10}});
  Rule b = MakeRule(2, "restart-too", {{"priority", 10}, {"actionType", "restart_service"}});
  Rule c = MakeRule(3, "later", {{"priority", 50}});
  History h;
  const std::string sig = Signature(Firing());
  // restart_service has a better record for this symptom than restart_process.
  h.patterns[sig + "|restart_service"] = PatternStats{20, 19, 100};
  h.patterns[sig + "|restart_process"] = PatternStats{20, 5, 50};
  auto d = Decide(RuleIndex({c, a, b}), Firing(), h, {}, kNow);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].rule_name, "restart-too");
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  EXPECT_EQ(d[1].rule_name, "restart");
  EXPECT_EQ(d[1].verdict, Verdict::kSkip);
  EXPECT_NE(d[1].reason.find("\"restart-too\" acts on target"), std::string::npos);
  EXPECT_EQ(d[2].rule_name, "later");
  EXPECT_EQ(d[2].verdict, Verdict::kSkip);
}

TEST(Decide, LearnedSuccessCanAutoApprove) {
  Rule r = MakeRule(
      1, "r",
      {{"requiresApproval", true}, {"autoApprove", {{"minConfidence", 0.7}, {"minSamples", 5}}}});
  const std::string key = Signature(Firing()) + "|restart_process";
  History h;
  h.patterns[key] = PatternStats{4, 4, 10};  // too few samples
  auto d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kNeedsApproval);
  EXPECT_NE(d[0].reason.find("auto-approval needs"), std::string::npos);
  h.patterns[key] = PatternStats{20, 12, 10};  // enough samples, too unreliable
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kNeedsApproval);
  h.patterns[key] = PatternStats{20, 20, 10};
  d = Decide(RuleIndex({r}), Firing(), h, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  EXPECT_NE(d[0].reason.find("auto-approved"), std::string::npos);
  // The learned record of another symptom does not count.
  d = Decide(RuleIndex({r}), Firing({{"alertname", "NodeExporterDown"}, {"job", "other"}}), h, {},
             kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kNeedsApproval);
}

TEST(Decide, TargetFromLabelMustBeAllowed) {
  Rule r =
      MakeRule(1, "r", {{"actionConfig", {{"targetLabel", "job"}, {"allowedTargets", {"node"}}}}});
  auto d = Decide(RuleIndex({r}), Firing(), {}, {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  EXPECT_EQ(d[0].target, "node");
  d = Decide(RuleIndex({r}), Firing({{"alertname", "NodeExporterDown"}, {"job", "$(reboot)"}}), {},
             {}, kNow);
  EXPECT_EQ(d[0].verdict, Verdict::kSkip);
  EXPECT_NE(d[0].reason.find("not in allowedTargets"), std::string::npos);
}

TEST(Decide, IsDeterministic) {
  std::vector<Rule> rules;
  for (int i = 0; i < 20; ++i) {
    rules.push_back(MakeRule(
        i + 1, "r" + std::to_string(i),
        {{"priority", i % 3}, {"actionConfig", {{"target", "t" + std::to_string(i % 4)}}}}));
  }
  RuleIndex idx(rules);
  History h;
  h.records = {Rec(2, Outcome::kFailed, kNow - seconds(5), "t1")};
  auto a = Decide(idx, Firing(), h, {}, kNow);
  auto b = Decide(idx, Firing(), h, {}, kNow);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].rule_id, b[i].rule_id);
    EXPECT_EQ(a[i].verdict, b[i].verdict);
    EXPECT_EQ(a[i].reason, b[i].reason);
  }
  int executes = 0;
  for (const auto& d : a) executes += d.verdict == Verdict::kExecute;
  EXPECT_EQ(executes, 4);  // one per target; rule 2 is in cooldown on t1, other rules may act on it
}

TEST(RuleIndex, MatchesIndexedAndUnindexedRules) {
  Rule by_name = MakeRule(1, "a");
  Rule by_job = MakeRule(2, "b", {{"conditionConfig", {{"matchers", {"job=\"node\""}}}}});
  Rule regex_name = MakeRule(
      3, "c", {{"conditionConfig", {{"matchers", {"alertname=~\"Node.*\"", "job=node"}}}}});
  RuleIndex idx({by_name, by_job, regex_name});
  auto m = idx.Match(Firing());
  EXPECT_EQ(m.size(), 3u);
  m = idx.Match(Firing({{"alertname", "NodeX"}, {"job", "node"}}));
  EXPECT_EQ(m.size(), 2u);
  m = idx.Match(Firing({{"alertname", "NodeExporterDown"}}));
  EXPECT_EQ(m.size(), 1u);
}

TEST(Learning, WilsonConfidenceIsCautiousWithFewSamples) {
  EXPECT_EQ(PatternStats{}.Confidence(), 0);
  const double one = PatternStats{1, 1, 0}.Confidence();
  const double ten = PatternStats{10, 10, 0}.Confidence();
  const double hundred = PatternStats{100, 100, 0}.Confidence();
  EXPECT_LT(one, ten);
  EXPECT_LT(ten, hundred);
  EXPECT_LT(hundred, 1.0);
  EXPECT_NEAR((PatternStats{10, 10, 0}.Confidence()), 0.7225,
              0.001);  // published Wilson bound for 10/10
  EXPECT_NEAR((PatternStats{100, 50, 0}.Confidence()), 0.4038, 0.001);
  PatternStats s;
  s = Learn(s, true, 10);
  s = Learn(s, false, 99);
  s = Learn(s, true, 20);
  EXPECT_EQ(s.attempts, 3);
  EXPECT_EQ(s.successes, 2);
  EXPECT_DOUBLE_EQ(s.MeanRecoverySeconds(), 15);
  EXPECT_NEAR(s.SuccessRate(), 2.0 / 3, 1e-12);
}

TEST(Signature, KeepsIdentityLabelsOnly) {
  Signal s = Firing(
      {{"alertname", "X"}, {"instance", "10.0.0.1:9100"}, {"job", "node"}, {"service", "api"}});
  EXPECT_EQ(Signature(s), "X{job=\"node\",service=\"api\"}");
  s.kind = ConditionType::kAnomaly;
  EXPECT_EQ(Signature(s), "anomaly:X{job=\"node\",service=\"api\"}");
}

TEST(DesiredReplicas, FollowsTheHpaFormula) {
  ScaleInput in;
  in.current = 4;
  in.metric = 90;
  in.target = 50;
  in.max_replicas = 20;
  EXPECT_EQ(DesiredReplicas(in).value(), 8);  // ceil(4 * 1.8) = 8 (7.2 → 8)
  in.metric = 54;                             // within 10% tolerance
  EXPECT_EQ(DesiredReplicas(in).value(), 4);
  in.metric = 500;
  EXPECT_EQ(DesiredReplicas(in).value(), 20);  // bounded by max
  in.metric = 10;
  EXPECT_EQ(DesiredReplicas(in).value(), 1);  // ceil(0.8) = 1
  in.min_replicas = 2;
  EXPECT_EQ(DesiredReplicas(in).value(), 2);  // bounded by min
  in.recent = {3, 2};
  EXPECT_EQ(DesiredReplicas(in).value(),
            3);  // stabilization keeps the highest recent recommendation
  in.current = 0;
  EXPECT_EQ(DesiredReplicas(in).value(), 2);
  in.target = 0;
  EXPECT_FALSE(DesiredReplicas(in).ok());
  in.target = 1;
  in.metric = std::nan("");
  EXPECT_FALSE(DesiredReplicas(in).ok());
  in.metric = 1;
  in.min_replicas = 5;
  in.max_replicas = 4;
  EXPECT_FALSE(DesiredReplicas(in).ok());
}

TEST(SuggestRules, RepeatedManualFixesBecomeSuggestions) {
  std::vector<ManualFix> fixes;
  for (int i = 0; i < 4; ++i) fixes.push_back({"A{}", ActionType::kRestartProcess, "api"});
  for (int i = 0; i < 2; ++i) fixes.push_back({"B{}", ActionType::kRestartPod, "db"});
  for (int i = 0; i < 5; ++i) fixes.push_back({"C{}", ActionType::kRestartProcess, "x"});
  auto s = SuggestRules(fixes, 3, {"C{}"});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].signature, "A{}");
  EXPECT_EQ(s[0].occurrences, 4);
  EXPECT_EQ(s[0].target, "api");
}

}  // namespace
}  // namespace dai::healing
