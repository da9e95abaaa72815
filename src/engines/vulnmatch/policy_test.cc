#include "engines/vulnmatch/policy.h"

#include <gtest/gtest.h>

namespace dai::vulnmatch {
namespace {

Policy Parse(const char* text) {
  auto p = ParsePolicy(Json::parse(text));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : Policy{};
}

std::vector<PolicyFinding> Findings() {
  return {{"GHSA-aaaa", {"CVE-2020-1"}, "lodash", "CRITICAL", 9.8},
          {"GHSA-bbbb", {"CVE-2020-2"}, "debug", "MEDIUM", 5.3},
          {"GHSA-cccc", {}, "ms", "LOW", 3.1},
          {"OSV-dddd", {}, "left-pad", "UNKNOWN", -1}};
}

TEST(PolicyTest, ThresholdsDecideTheVerdict) {
  auto p = Parse(R"({"block": {"severity": "high"}, "warn": {"severity": "medium"}})");
  auto e = EvaluatePolicy(p, Findings(), "2026-11-29");
  EXPECT_EQ(e.verdict, "block");
  ASSERT_EQ(e.findings.size(), 4u);
  EXPECT_EQ(e.findings[0].level, "block");
  EXPECT_EQ(e.findings[1].level, "warn");
  EXPECT_EQ(e.findings[2].level, "pass");
  EXPECT_EQ(e.findings[3].level, "warn") << "unknown severity counts as medium";
  // Without the critical finding only a warning remains; without medium ones it passes.
  auto rest = Findings();
  rest.erase(rest.begin());
  EXPECT_EQ(EvaluatePolicy(p, rest, "2026-11-29").verdict, "warn");
  EXPECT_EQ(EvaluatePolicy(p, {Findings()[2]}, "2026-11-29").verdict, "pass");
  EXPECT_EQ(EvaluatePolicy(p, {}, "2026-11-29").verdict, "pass");
}

TEST(PolicyTest, CvssThresholdAlone) {
  auto p = Parse(R"({"block": {"cvss": 9.0}, "warn": {"cvss": 5.0}})");
  auto e = EvaluatePolicy(p, Findings(), "2026-11-29");
  EXPECT_EQ(e.findings[0].level, "block");
  EXPECT_EQ(e.findings[1].level, "warn");
  EXPECT_EQ(e.findings[2].level, "pass");
  EXPECT_EQ(e.findings[3].level, "pass") << "no score: a CVSS threshold cannot reach it";
}

TEST(PolicyTest, IgnoreRulesByIdAliasAndPackageUntilTheyExpire) {
  auto p = Parse(R"({"block": {"severity": "high"}, "warn": {"severity": "low"},
    "ignore": [
      {"id": "CVE-2020-1", "reason": "not reachable", "expires": "2026-12-31"},
      {"package": "ms", "reason": "dev only"},
      {"id": "GHSA-bbbb", "package": "other", "reason": "wrong package"},
      {"id": "GHSA-bbbb", "reason": "old waiver", "expires": "2026-11-28"}]})");
  auto e = EvaluatePolicy(p, Findings(), "2026-11-29");
  EXPECT_EQ(e.findings[0].ignored_by, 0) << "matched through the alias";
  EXPECT_EQ(e.findings[1].ignored_by, -1) << "rule 2 names another package, rule 3 expired";
  EXPECT_EQ(e.findings[2].ignored_by, 1);
  EXPECT_EQ(e.findings[3].ignored_by, -1);
  EXPECT_EQ(e.ignored, 2);
  EXPECT_EQ(e.verdict, "warn");
  ASSERT_EQ(e.expired.size(), 1u);
  EXPECT_EQ(e.expired[0], "ignore[3] (GHSA-bbbb): expired on 2026-11-28, no longer applies");
  // The last day still applies; the day after it does not.
  EXPECT_EQ(EvaluatePolicy(p, Findings(), "2026-12-31").findings[0].ignored_by, 0);
  auto later = EvaluatePolicy(p, Findings(), "2027-01-01");
  EXPECT_EQ(later.findings[0].ignored_by, -1);
  EXPECT_EQ(later.verdict, "block");
  EXPECT_EQ(later.expired.size(), 2u);
}

TEST(PolicyTest, BadPoliciesNameTheField) {
  auto msg = [](const char* text) {
    auto p = ParsePolicy(Json::parse(text));
    EXPECT_FALSE(p.ok()) << text;
    return p.ok() ? std::string() : p.status().message();
  };
  EXPECT_NE(msg(R"({"block": {"severity": "severe"}})").find("block.severity"), std::string::npos);
  EXPECT_NE(msg(R"({"warn": {"cvss": 11}})").find("warn.cvss"), std::string::npos);
  EXPECT_NE(msg(R"({"ignore": [{"id": "X"}]})").find("ignore[0].reason"), std::string::npos);
  EXPECT_NE(msg(R"({"ignore": [{"reason": "r"}]})").find("ignore[0]"), std::string::npos);
  EXPECT_NE(msg(R"({"ignore": [{"id": "X", "reason": "r", "expires": "soon"}]})")
                .find("ignore[0].expires"),
            std::string::npos);
  EXPECT_NE(msg(R"({"blok": {}})").find("blok"), std::string::npos);
  EXPECT_NE(msg(R"([1])").find("object"), std::string::npos);
}

TEST(PolicyTest, RoundTripsThroughJson) {
  auto p = Parse(R"({"block": {"severity": "critical", "cvss": 9.5},
    "ignore": [{"id": "X", "reason": "r", "expires": "2027-01-01"}]})");
  auto again = ParsePolicy(PolicyToJson(p));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(PolicyToJson(*again), PolicyToJson(p));
}

}  // namespace
}  // namespace dai::vulnmatch
