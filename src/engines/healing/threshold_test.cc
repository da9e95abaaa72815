#include "engines/healing/threshold.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engines/healing/decision.h"

namespace dai::healing {
namespace {

using std::chrono::seconds;

const TimePoint kT0 = FromUnixMillis(1'800'000'000'000);

ThresholdCondition Cond(std::string op, double threshold, int for_seconds) {
  auto c = ThresholdFromConfig({{"query", "up{job=\"node\"}"},
                                {"op", op},
                                {"threshold", threshold},
                                {"forSeconds", for_seconds}});
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : ThresholdCondition{};
}

std::vector<Sample> Up(double node_a, std::optional<double> node_b = std::nullopt) {
  std::vector<Sample> s = {{{{"job", "node"}, {"instance", "a:9100"}}, node_a}};
  if (node_b) s.push_back({{{"job", "node"}, {"instance", "b:9100"}}, *node_b});
  return s;
}

TEST(Threshold, FiresOnlyAfterTheForDurationHeldAtEveryEvaluation) {
  const auto c = Cond("<", 1, 30);
  ThresholdState st;
  EXPECT_TRUE(StepThreshold(c, Up(0), st, kT0).empty());                // pending
  EXPECT_TRUE(StepThreshold(c, Up(0), st, kT0 + seconds(15)).empty());  // 15 s < 30 s
  auto t = StepThreshold(c, Up(0), st, kT0 + seconds(30));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].firing);
  EXPECT_EQ(t[0].labels.at("instance"), "a:9100");
  EXPECT_EQ(t[0].value, 0);
  // Still breaching: no second firing transition.
  EXPECT_TRUE(StepThreshold(c, Up(0), st, kT0 + seconds(45)).empty());
  // Clears: one resolved transition, state forgotten.
  t = StepThreshold(c, Up(1), st, kT0 + seconds(60));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_FALSE(t[0].firing);
  EXPECT_TRUE(st.empty());
}

TEST(Threshold, AnInterruptionRestartsTheForClock) {
  const auto c = Cond("<", 1, 30);
  ThresholdState st;
  EXPECT_TRUE(StepThreshold(c, Up(0), st, kT0).empty());
  EXPECT_TRUE(StepThreshold(c, Up(1), st, kT0 + seconds(20)).empty());  // pending, never fired
  EXPECT_TRUE(st.empty());
  EXPECT_TRUE(StepThreshold(c, Up(0), st, kT0 + seconds(40)).empty());  // starts again
  EXPECT_TRUE(StepThreshold(c, Up(0), st, kT0 + seconds(60)).empty());
  EXPECT_EQ(StepThreshold(c, Up(0), st, kT0 + seconds(70)).size(), 1u);
}

TEST(Threshold, SeriesAreIndependentAndAnAbsentSeriesResolves) {
  const auto c = Cond(">", 0.9, 0);
  ThresholdState st;
  auto t = StepThreshold(c, Up(0.95, 0.5), st, kT0);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].labels.at("instance"), "a:9100");
  t = StepThreshold(c, Up(0.95, 0.99), st, kT0 + seconds(10));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].labels.at("instance"), "b:9100");
  t = StepThreshold(c, {}, st, kT0 + seconds(20));  // both gone
  ASSERT_EQ(t.size(), 2u);
  EXPECT_FALSE(t[0].firing);
  EXPECT_FALSE(t[1].firing);
}

TEST(Threshold, OperatorsNaNAndTheEmptyOperator) {
  EXPECT_TRUE(Breaches(Cond(">=", 2, 0), 2));
  EXPECT_FALSE(Breaches(Cond(">", 2, 0), 2));
  EXPECT_TRUE(Breaches(Cond("<=", 2, 0), 2));
  EXPECT_TRUE(Breaches(Cond("==", 2, 0), 2));
  EXPECT_FALSE(Breaches(Cond("!=", 2, 0), 2));
  EXPECT_FALSE(Breaches(Cond(">", 2, 0), std::nan("")));
  EXPECT_FALSE(Breaches(Cond("!=", 2, 0), std::nan("")));
  // "": the query is the condition (`up == 0` returns only the breaching series).
  EXPECT_TRUE(Breaches(Cond("", 0, 0), 0));
}

TEST(Threshold, ConfigErrorsNameTheField) {
  auto bad = ThresholdFromConfig({{"op", "<"}, {"threshold", 1}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("conditionConfig.query"), std::string::npos);
  bad = ThresholdFromConfig({{"query", "up"}, {"op", "=~"}, {"threshold", 1}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("conditionConfig.op"), std::string::npos);
  bad = ThresholdFromConfig({{"query", "up"}, {"threshold", "1"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("conditionConfig.threshold"), std::string::npos);
}

TEST(Threshold, ParsesPrometheusInstantData) {
  auto v = ParseInstantData(Json::parse(R"({"resultType":"vector","result":[
      {"metric":{"__name__":"up","job":"node","instance":"a:9100"},"value":[1700000000.5,"0"]},
      {"metric":{"job":"x"},"value":[1700000000.5,"NaN"]},
      {"metric":{},"value":[1700000000.5,"+Inf"]}]})"));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->size(), 3u);
  EXPECT_EQ((*v)[0].labels.count("__name__"), 0u);
  EXPECT_EQ((*v)[0].labels.at("job"), "node");
  EXPECT_EQ((*v)[0].value, 0);
  EXPECT_TRUE(std::isnan((*v)[1].value));
  EXPECT_TRUE(std::isinf((*v)[2].value));
  auto s = ParseInstantData(Json::parse(R"({"resultType":"scalar","result":[1700000000,"3.5"]})"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->at(0).value, 3.5);
  auto m = ParseInstantData(Json::parse(R"({"resultType":"matrix","result":[]})"));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("resultType"), std::string::npos);
  auto bad = ParseInstantData(
      Json::parse(R"({"resultType":"vector","result":[{"metric":{},"value":[1,"12abc"]}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("result[0].value"), std::string::npos);
}

// Signals raised by one rule (its own query) or requested for one rule (a runbook step).
Rule ThresholdRule(int64_t id, const std::string& name) {
  auto r = RuleFromSpec({{"name", name},
                         {"conditionType", "metric_threshold"},
                         {"conditionConfig", {{"query", "up"}, {"op", "<"}, {"threshold", 1}}},
                         {"actionType", "restart_process"},
                         {"actionConfig", {{"target", "node_exporter"}}},
                         {"requiresApproval", false}});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  Rule rule = r.ok() ? *r : Rule{};
  rule.id = id;
  return rule;
}

TEST(RuleScopedSignals, AMetricSignalReachesOnlyItsOwnRule) {
  RuleIndex idx({ThresholdRule(1, "a"), ThresholdRule(2, "b")});
  Signal s;
  s.kind = ConditionType::kMetricThreshold;
  s.labels = {{"alertname", "a"}, {"job", "node"}};
  s.rule_id = 2;
  auto m = idx.Match(s);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(idx.rules()[m[0]].id, 2);
  s.kind = ConditionType::kAlert;  // the kind still has to match without `requested`
  EXPECT_TRUE(idx.Match(s).empty());
}

TEST(RuleScopedSignals, ARequestSkipsTheConditionButNotTheSafetyChecks) {
  RuleIndex idx({ThresholdRule(1, "a")});
  Signal s;
  s.kind = ConditionType::kAlert;
  s.labels = {{"alertname", "RunbookStep"}};
  s.rule_id = 1;
  s.requested = true;
  auto d = Decide(idx, s, {}, {}, kT0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, Verdict::kExecute);
  // Cooldown still applies: an execution 10 s ago on the same target.
  History h;
  h.records.push_back({1, "node_exporter", Outcome::kSucceeded, kT0 - seconds(10)});
  d = Decide(idx, s, h, {}, kT0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, Verdict::kSkip);
  EXPECT_NE(d[0].reason.find("cooldown"), std::string::npos) << d[0].reason;
}

}  // namespace
}  // namespace dai::healing
