#include "engines/vulnmatch/report_import.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dai::vulnmatch {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path Reports() {
  const char* env = std::getenv("DAI_SHARED_DATA");
  return fs::path(env ? env : DAI_SHARED_DATA) / "scanner-reports";
}

TEST(ReportImportTest, RejectsOtherJson) {
  auto r = ImportScannerReport(R"({"foo":1})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Grype"), std::string::npos);
  EXPECT_FALSE(ImportScannerReport(R"({"Results":[{"Target":"t","Vulnerabilities":[{}]}]})").ok());
}

TEST(ReportImportTest, TrivyGoldenReports) {
  if (!fs::exists(Reports())) GTEST_SKIP() << "shared data absent: " << Reports();
  auto npm = ImportScannerReport(Slurp(Reports() / "trivy/reports/npm.json.golden"));
  ASSERT_TRUE(npm.ok()) << npm.status().ToString();
  EXPECT_EQ(npm->scanner, "trivy");
  ASSERT_EQ(npm->findings.size(), 1u);
  EXPECT_EQ(npm->findings[0].vuln_id, "CVE-2019-11358");
  EXPECT_EQ(npm->findings[0].package_name, "jquery");
  EXPECT_EQ(npm->findings[0].fixed_version, "3.4.0");
  EXPECT_EQ(npm->findings[0].severity, "MEDIUM");
  EXPECT_EQ(npm->packages.size(), 12u);
  auto deb = ImportScannerReport(Slurp(Reports() / "trivy/reports/debian-buster.json.golden"));
  ASSERT_TRUE(deb.ok());
  bool bash = false;
  for (const auto& f : deb->findings)
    if (f.vuln_id == "CVE-2019-18276" && f.package_name == "bash") {
      bash = true;
      EXPECT_DOUBLE_EQ(f.cvss_score, 7.8);  // computed from the NVD v3 vector
    }
  EXPECT_TRUE(bash);
}

TEST(ReportImportTest, GrypeReports) {
  if (!fs::exists(Reports())) GTEST_SKIP() << "shared data absent: " << Reports();
  auto img = ImportScannerReport(Slurp(Reports() / "grype/json/TestJsonImgsPresenter.json"));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->scanner, "grype");
  ASSERT_FALSE(img->findings.empty());
  EXPECT_EQ(img->findings[0].vuln_id, "CVE-1999-0001");
  EXPECT_EQ(img->findings[0].fixed_version, "1.2.1");
  EXPECT_EQ(img->findings[0].severity, "LOW");
  EXPECT_DOUBLE_EQ(img->findings[0].cvss_score, 8.2);
  auto empty = ImportScannerReport(Slurp(Reports() / "grype/json/TestEmptyJsonPresenter.json"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->findings.empty());
  auto keycloak =
      ImportScannerReport(Slurp(Reports() / "grype/explain-testdata/keycloak-test.json"));
  ASSERT_TRUE(keycloak.ok());
  EXPECT_EQ(keycloak->findings.size(), 6u);
}

}  // namespace
}  // namespace dai::vulnmatch
