#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.h"
#include "engines/vulnmatch/matcher.h"
#include "engines/vulnmatch/osv.h"

namespace dai::vulnmatch {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

OsvAffected Range(const std::string& type, std::vector<OsvEvent> events) {
  OsvAffected a;
  a.ecosystem = "npm";
  a.name = "x";
  a.ranges.push_back({type, std::move(events)});
  return a;
}

using K = OsvEvent::Kind;

bool Affected(const OsvAffected& a, const char* v, VersionScheme s = VersionScheme::kSemver) {
  auto r = IsAffected(a, s, v);
  EXPECT_TRUE(r.ok()) << v << ": " << r.status().ToString();
  return r.ok() && *r;
}

TEST(OsvRangeTest, IntroducedFixed) {
  auto a = Range("SEMVER", {{K::kIntroduced, "1.0.0"}, {K::kFixed, "1.2.0"}});
  EXPECT_FALSE(Affected(a, "0.9.9"));
  EXPECT_TRUE(Affected(a, "1.0.0"));
  EXPECT_TRUE(Affected(a, "1.2.0-rc.1"));
  EXPECT_FALSE(Affected(a, "1.2.0"));
  EXPECT_FALSE(Affected(a, "2.0.0"));
}

TEST(OsvRangeTest, MultipleIntervalsInOneRangeAndUnsortedEvents) {
  auto a = Range("ECOSYSTEM", {{K::kFixed, "2.0.5"},
                               {K::kIntroduced, "0"},
                               {K::kFixed, "1.4.1"},
                               {K::kIntroduced, "2.0.0"}});
  EXPECT_TRUE(Affected(a, "1.0.0"));
  EXPECT_FALSE(Affected(a, "1.4.1"));
  EXPECT_FALSE(Affected(a, "1.9.0"));
  EXPECT_TRUE(Affected(a, "2.0.4"));
  EXPECT_FALSE(Affected(a, "2.0.5"));
}

TEST(OsvRangeTest, LastAffectedAndLimit) {
  auto last = Range("SEMVER", {{K::kIntroduced, "0"}, {K::kLastAffected, "1.5.0"}});
  EXPECT_TRUE(Affected(last, "1.5.0"));
  EXPECT_FALSE(Affected(last, "1.5.1"));
  auto limit = Range("SEMVER", {{K::kIntroduced, "1.0.0"}, {K::kLimit, "1.3.0"}});
  EXPECT_TRUE(Affected(limit, "1.2.9"));
  EXPECT_FALSE(Affected(limit, "1.3.0"));
}

TEST(OsvRangeTest, VersionsListAndGitRangesIgnored) {
  OsvAffected a = Range("GIT", {{K::kIntroduced, "0"}, {K::kFixed, "abc123"}});
  a.versions = {"1.0.0"};
  EXPECT_TRUE(Affected(a, "1.0.0"));
  EXPECT_FALSE(Affected(a, "1.0.1"));
}

TEST(OsvRangeTest, EcosystemSchemeDecidesOrder) {
  OsvAffected a = Range("ECOSYSTEM", {{K::kIntroduced, "0"}, {K::kFixed, "2.0.0rc1"}});
  EXPECT_TRUE(Affected(a, "2.0.0a1", VersionScheme::kPep440));
  EXPECT_FALSE(Affected(a, "2.0.0", VersionScheme::kPep440));
  OsvAffected d = Range("ECOSYSTEM", {{K::kIntroduced, "0"}, {K::kFixed, "1:1.0-1"}});
  EXPECT_TRUE(Affected(d, "9.9-1", VersionScheme::kDebian))
      << "epoch 1 is above any epoch-0 version";
  EXPECT_FALSE(IsAffected(d, VersionScheme::kDebian, "not a version").ok());
}

TEST(OsvRangeTest, MinimalFixIsTheLowestAboveInstalled) {
  auto a = Range("ECOSYSTEM", {{K::kIntroduced, "0"},
                               {K::kFixed, "1.2.3"},
                               {K::kIntroduced, "2.0.0"},
                               {K::kFixed, "2.1.0"}});
  EXPECT_EQ(MinimalFix(a, VersionScheme::kSemver, "1.0.0"), "1.2.3");
  EXPECT_EQ(MinimalFix(a, VersionScheme::kSemver, "2.0.1"), "2.1.0");
  EXPECT_EQ(FixedVersions(a), (std::vector<std::string>{"1.2.3", "2.1.0"}));
}

TEST(CvssTest, SpecificationExamples) {
  EXPECT_DOUBLE_EQ(*CvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
  EXPECT_DOUBLE_EQ(*CvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), 10.0);
  EXPECT_DOUBLE_EQ(*CvssV3BaseScore("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"), 5.9);
  EXPECT_DOUBLE_EQ(*CvssV3BaseScore("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"), 7.8);
  EXPECT_DOUBLE_EQ(*CvssV3BaseScore("CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"), 5.4);
  EXPECT_DOUBLE_EQ(*CvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0.0);
  EXPECT_FALSE(CvssV3BaseScore("CVSS:3.1/AV:N/AC:L").ok());
  EXPECT_FALSE(CvssV3BaseScore("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").ok());
  EXPECT_EQ(SeverityForScore(9.8), "CRITICAL");
  EXPECT_EQ(SeverityForScore(5.9), "MEDIUM");
}

TEST(OsvParseTest, ErrorsNameTheField) {
  EXPECT_FALSE(ParseOsv("{}").ok());
  auto r = ParseOsv(
      R"({"id":"X-1","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER"}]}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("affected[0].ranges[].events"), std::string::npos);
}

TEST(MatcherTest, WithdrawnAndReleaseSpecificAdvisories) {
  AdvisoryIndex index;
  Advisory w;
  w.id = "W";
  w.withdrawn = "2024-01-01T00:00:00Z";
  w.affected.push_back(Range("SEMVER", {{K::kIntroduced, "0"}}));
  index.Add(w);
  Advisory deb;
  deb.id = "DEB";
  OsvAffected aff = Range("ECOSYSTEM", {{K::kIntroduced, "0"}, {K::kFixed, "2.0-1"}});
  aff.ecosystem = "Debian:11";
  aff.name = "openssl";
  deb.affected.push_back(aff);
  index.Add(deb);
  auto f = index.Match({{"npm", "x", "1.0.0"},
                        {"Debian:12", "openssl", "1.0-1"},
                        {"Debian:11", "openssl", "1.0-1"}});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].package, 2u);
  EXPECT_EQ(f[0].severity, "UNKNOWN");
  EXPECT_EQ(f[0].minimal_fix, "2.0-1");
}

// ../shared/data/osv: real advisories and hand-derived expectations.
TEST(OsvCorpusTest, ExpectedMatches) {
  const char* env = std::getenv("DAI_SHARED_DATA");
  const fs::path root = fs::path(env ? env : DAI_SHARED_DATA) / "osv";
  if (!fs::exists(root / "expected_matches.json")) GTEST_SKIP() << "shared data absent: " << root;
  AdvisoryIndex index;
  for (const auto& entry : fs::recursive_directory_iterator(root / "advisories")) {
    if (!entry.is_regular_file()) continue;
    auto advs = ParseOsvDocument(Slurp(entry.path()));
    ASSERT_TRUE(advs.ok()) << entry.path() << ": " << advs.status().ToString();
    for (auto& a : *advs) index.Add(std::move(a));
  }
  auto expected = ParseJson(Slurp(root / "expected_matches.json"));
  ASSERT_TRUE(expected.ok());
  int checked = 0;
  for (const auto& c : (*expected)["cases"]) {
    PackageQuery q{c["ecosystem"], c["name"], c["version"]};
    auto findings = index.Match({q});
    bool found = false;
    for (const auto& f : findings)
      if (index.advisory(f.advisory).id == c["advisory"]) found = true;
    EXPECT_EQ(found, c["affected"].get<bool>()) << q.ecosystem << " " << q.name << "@" << q.version
                                                << " vs " << c["advisory"] << ": " << c["why"];
    ++checked;
  }
  EXPECT_GE(checked, 14);
}

}  // namespace
}  // namespace dai::vulnmatch
