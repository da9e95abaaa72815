#include "engines/vulnmatch/patch.h"

#include <gtest/gtest.h>

namespace dai::vulnmatch {
namespace {

TEST(PatchTest, DistanceAndBreakingRisk) {
  PatchInput in;
  in.installed = "1.2.3";
  in.minimal_fix = "1.2.5";
  in.severity = "HIGH";
  in.direct = true;
  auto a = AssessPatch(in);
  EXPECT_EQ(a.distance, UpgradeDistance::kPatch);
  EXPECT_EQ(a.breaking_risk, "low");
  EXPECT_EQ(a.risk_score, 80);
  in.minimal_fix = "2.0.0";
  a = AssessPatch(in);
  EXPECT_EQ(a.distance, UpgradeDistance::kMajor);
  EXPECT_TRUE(a.crosses_major);
  EXPECT_EQ(a.breaking_risk, "high");
  in.installed = "0.7.2";
  in.minimal_fix = "0.8.0";
  a = AssessPatch(in);
  EXPECT_TRUE(a.crosses_major) << "0.x minor bumps are breaking in SemVer";
}

TEST(PatchTest, ExposureLowersRisk) {
  PatchInput in;
  in.installed = "1.0.0";
  in.minimal_fix = "1.1.0";
  in.cvss_score = 9.8;
  in.direct = true;
  int direct = AssessPatch(in).risk_score;
  in.direct = false;
  in.dev = true;
  int dev_transitive = AssessPatch(in).risk_score;
  EXPECT_EQ(direct, 98);
  EXPECT_EQ(dev_transitive, 21);
  in.minimal_fix.reset();
  auto a = AssessPatch(in);
  EXPECT_EQ(a.distance, UpgradeDistance::kNone);
  EXPECT_EQ(a.breaking_risk, "n/a");
  EXPECT_NE(a.rationale.find("no fixed version"), std::string::npos);
}

TEST(PatchTest, DistroUpdatesAreLowRisk) {
  PatchInput in;
  in.scheme = VersionScheme::kDebian;
  in.installed = "1.6.3ubuntu0.1";
  in.minimal_fix = "1.6.6ubuntu0.1";
  in.severity = "HIGH";
  EXPECT_EQ(AssessPatch(in).breaking_risk, "low");
}

}  // namespace
}  // namespace dai::vulnmatch
