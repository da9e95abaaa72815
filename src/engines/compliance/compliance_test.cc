#include "engines/compliance/compliance.h"

#include <gtest/gtest.h>

#include <set>

#include "engines/posture/posture.h"

namespace dai::compliance {
namespace {

const ControlResult* Find(const Report& r, std::string_view id) {
  for (const auto& c : r.controls)
    if (c.control->id == id) return &c;
  return nullptr;
}

TEST(ComplianceTest, NoEvidenceMeansNotAssessedNeverPass) {
  for (auto framework : Frameworks()) {
    auto r = Evaluate(framework, Evidence{});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->passed, 0) << framework;
    EXPECT_EQ(r->failed, 0) << framework;
    EXPECT_EQ(r->not_assessed, static_cast<int>(r->controls.size())) << framework;
    EXPECT_GT(r->controls.size(), 5u) << framework;
    EXPECT_EQ(r->score, 0);
  }
}

TEST(ComplianceTest, PostureEvidenceDrivesCisControls) {
  Evidence ev;
  ev.posture_scanned = true;
  ev.posture_source = "scan 7";
  ev.posture = {{"privileged", 1, 3}, {"host-pid", 0, 4}, {"rbac-cluster-admin", 0, 0}};
  auto r = Evaluate("cis_kubernetes", ev);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Find(*r, "5.2.2")->status, ControlStatus::kFail);
  EXPECT_EQ(Find(*r, "5.2.2")->evidence[0],
            "FAIL posture check privileged: 1 failed, 3 passed (scan 7)");
  EXPECT_EQ(Find(*r, "5.2.3")->status, ControlStatus::kPass);
  // a check with no applicable object is no evidence
  EXPECT_EQ(Find(*r, "5.1.1")->status, ControlStatus::kNotAssessed);
  EXPECT_EQ(r->passed, 1);
  EXPECT_EQ(r->failed, 1);
  EXPECT_DOUBLE_EQ(r->score, 50.0);
}

TEST(ComplianceTest, OneFailingPieceFailsTheControl) {
  Evidence ev;
  ev.vulnerabilities_scanned = true;
  ev.vulnerabilities_source = "scan 3";
  ev.vuln_high = 2;
  ev.platform = {{"audit_log_enabled", true}, {"mfa_enforced", false}, {"role_based_access", true}};
  auto r = Evaluate("pci_dss", ev);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Find(*r, "6.3.3")->status, ControlStatus::kFail);
  EXPECT_EQ(Find(*r, "10.2.1")->status, ControlStatus::kPass);
  EXPECT_EQ(Find(*r, "8.4.2")->status, ControlStatus::kFail);
  EXPECT_EQ(Find(*r, "8.3.1")->status, ControlStatus::kPass);
  EXPECT_EQ(Find(*r, "4.2.1")->status, ControlStatus::kNotAssessed);
  auto soc = Evaluate("soc2", ev);
  ASSERT_TRUE(soc.ok());
  // CC6.1: role-based access passes, MFA fails -> fail
  EXPECT_EQ(Find(*soc, "CC6.1")->status, ControlStatus::kFail);
  EXPECT_EQ(Find(*soc, "CC6.1")->evidence.size(), 2u);
}

TEST(ComplianceTest, TrendAgainstPreviousReport) {
  Evidence ev;
  ev.platform = {{"audit_log_enabled", true}, {"mfa_enforced", false}};
  auto first = Evaluate("hipaa", ev);
  ASSERT_TRUE(first.ok());
  Json prev = ReportToJson(*first);
  ev.platform = {{"audit_log_enabled", false}, {"mfa_enforced", true}};
  auto second = Evaluate("hipaa", ev, prev);
  ASSERT_TRUE(second.ok());
  Json j = ReportToJson(*second);
  EXPECT_EQ(j["trend"]["improved"], 1);   // 164.312(d)
  EXPECT_EQ(j["trend"]["regressed"], 1);  // 164.312(b)
  EXPECT_EQ(Find(*second, "164.312(b)")->previous_status, "pass");
}

TEST(ComplianceTest, UnknownFrameworkIsRejected) {
  auto r = Evaluate("iso9001", Evidence{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("iso9001"), std::string::npos);
}

TEST(ComplianceTest, EveryPostureReferenceNamesARealCheck) {
  std::set<std::string> ids;
  for (const auto& c : Controls()) {
    EXPECT_TRUE(ids.insert(std::string(c.framework) + "/" + std::string(c.id)).second) << c.id;
    EXPECT_FALSE(c.evidence.empty()) << c.id;
    for (const auto& ref : c.evidence) {
      if (ref.kind == "posture") {
        EXPECT_NE(posture::FindCheck(ref.key), nullptr) << c.id << " -> " << ref.key;
      }
    }
  }
}

TEST(ComplianceTest, ExportsEscapeUntrustedText) {
  Json report = {
      {"framework", "soc2"},
      {"score", 50},
      {"passed", 1},
      {"failed", 1},
      {"notAssessed", 0},
      {"controls",
       Json::array({{{"id", "CC6.1"},
                     {"title", "t"},
                     {"status", "fail"},
                     {"previousStatus", nullptr},
                     {"evidence", Json::array({"FAIL <script>alert(1)</script> | x"})}}})}};
  std::string html = ReportToHtml(report, "2026-11-29T03:00:00Z");
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  std::string md = ReportToMarkdown(report, "2026-11-29T03:00:00Z");
  EXPECT_NE(md.find("\\| x"), std::string::npos);
  EXPECT_NE(md.find("| CC6.1 |"), std::string::npos);
}

}  // namespace
}  // namespace dai::compliance
