#include "engines/vulnmatch/version.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace dai::vulnmatch {
namespace {

int Cmp(VersionScheme s, const char* a, const char* b) {
  auto r = CompareVersions(s, a, b);
  EXPECT_TRUE(r.ok()) << a << " vs " << b << ": " << r.status().ToString();
  return r.ok() ? *r : 99;
}

// Each list is strictly increasing; every pair is checked both ways (antisymmetry and
// transitivity over the list follow).
void ExpectAscending(VersionScheme s, const std::vector<const char*>& versions) {
  for (size_t i = 0; i < versions.size(); ++i)
    for (size_t j = 0; j < versions.size(); ++j) {
      int want = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(Cmp(s, versions[i], versions[j]), want) << versions[i] << " vs " << versions[j];
    }
}

TEST(SemverTest, SpecPrecedenceExample) {
  // semver.org §11.
  ExpectAscending(VersionScheme::kSemver,
                  {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                   "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1", "10.0.0"});
}

TEST(SemverTest, BuildMetadataIsIgnoredAndBigNumbersWork) {
  EXPECT_EQ(Cmp(VersionScheme::kSemver, "1.0.0+build.1", "1.0.0+build.2"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kSemver, "1.0.99999999999999999999", "1.0.100000000000000000000"),
            -1);
}

TEST(SemverTest, RejectsInvalid) {
  for (const char* bad : {"1.0", "01.0.0", "1.0.0-", "1.0.0-01", "v1.0.0", "1..0", "", "1.0.0+"})
    EXPECT_FALSE(IsValidVersion(VersionScheme::kSemver, bad)) << bad;
  EXPECT_FALSE(CompareVersions(VersionScheme::kSemver, "x", "1.0.0").ok());
}

TEST(GoTest, PseudoVersionsAndIncompatible) {
  ExpectAscending(VersionScheme::kGo,
                  {"v0.0.0-20200804184101-5ec99f83aff1", "v0.0.0-20231012003039-104605ab7028",
                   "v0.1.0", "v1.1.2-0.20180830191138-d8f796af33cc", "v1.1.2", "v1.9.0"});
  EXPECT_EQ(Cmp(VersionScheme::kGo, "v2.0.0+incompatible", "2.0.0"), 0);
}

TEST(Pep440Test, SpecOrdering) {
  // PEP 440, "Summary of permitted suffixes and relative ordering".
  ExpectAscending(
      VersionScheme::kPep440,
      {"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
       "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5",
       "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1"});
}

TEST(Pep440Test, NormalisationAndEpochs) {
  EXPECT_EQ(Cmp(VersionScheme::kPep440, "1.0", "1.0.0"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kPep440, "1.0alpha1", "1.0a1"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kPep440, "1.0-1", "1.0.post1"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kPep440, "1.0c1", "1.0rc1"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kPep440, "v2.0", "2.0"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kPep440, "1!0.1", "2.0"), 1);
  EXPECT_FALSE(IsValidVersion(VersionScheme::kPep440, "invalid-version"));
  EXPECT_FALSE(IsValidVersion(VersionScheme::kPep440, "%%"));
  // Found by fuzz_version_compare: whitespace-only input moved the cursor past the end.
  EXPECT_FALSE(IsValidVersion(VersionScheme::kPep440, " "));
  EXPECT_FALSE(IsValidVersion(VersionScheme::kPep440, "\v\v"));
  EXPECT_TRUE(IsValidVersion(VersionScheme::kPep440, " 1.0 "));
  EXPECT_TRUE(IsValidVersion(VersionScheme::kPep440, "2.0.0"));
}

TEST(DebianTest, PolicyOrdering) {
  ExpectAscending(VersionScheme::kDebian,
                  {"1.0~~", "1.0~~a", "1.0~", "1.0", "1.0-1", "1.0-1ubuntu1", "1.0-2", "1.0a",
                   "1.0+dfsg", "1.1", "1:0.9", "2:0.1"});
  EXPECT_EQ(Cmp(VersionScheme::kDebian, "0:1.2-3", "1.2-3"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kDebian, "2.31.1-0.4ubuntu3.1", "2.31.1-0.4ubuntu3.2"), -1);
  EXPECT_EQ(Cmp(VersionScheme::kDebian, "1.6.3ubuntu0.1", "1.6.3ubuntu0.2"), -1);
  EXPECT_FALSE(IsValidVersion(VersionScheme::kDebian, "a1.0"));
}

TEST(ApkTest, SuffixOrdering) {
  ExpectAscending(VersionScheme::kApk,
                  {"1.0_alpha", "1.0_alpha2", "1.0_beta", "1.0_pre1", "1.0_rc1", "1.0", "1.0-r1",
                   "1.0_p1", "1.0a", "1.0.1", "1.1.14-r10", "1.24.2-r9"});
  EXPECT_FALSE(IsValidVersion(VersionScheme::kApk, "1.0_bogus"));
}

TEST(MavenTest, ComparableVersionOrdering) {
  // From Maven's ComparableVersionTest (VERSIONS_QUALIFIER).
  ExpectAscending(VersionScheme::kMaven, {"1-alpha2snapshot",
                                          "1-alpha2",
                                          "1-alpha-123",
                                          "1-beta-2",
                                          "1-beta123",
                                          "1-m2",
                                          "1-m11",
                                          "1-rc",
                                          "1-cr2",
                                          "1-rc123",
                                          "1-SNAPSHOT",
                                          "1",
                                          "1-sp",
                                          "1-sp2",
                                          "1-sp123",
                                          "1-abc",
                                          "1-def",
                                          "1-pom-1",
                                          "1-1-snapshot",
                                          "1-1",
                                          "1-2",
                                          "1-123"});
  EXPECT_EQ(Cmp(VersionScheme::kMaven, "1", "1.0.0"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kMaven, "1.0-ga", "1.0"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kMaven, "1.0-final", "1.0"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kMaven, "2.9.10.7", "2.9.10.8"), -1);
  EXPECT_EQ(Cmp(VersionScheme::kMaven, "2.12.0", "2.9.10.8"), 1);
}

TEST(RubyGemsTest, PrereleaseBeforeRelease) {
  ExpectAscending(VersionScheme::kRubyGems,
                  {"1.0.a", "1.0.a2", "1.0.b1", "1.0.rc1", "1.0", "1.0.1", "1.1", "2"});
  EXPECT_EQ(Cmp(VersionScheme::kRubyGems, "1.0", "1.0.0"), 0);
  EXPECT_EQ(Cmp(VersionScheme::kRubyGems, "1.9.3", "1.10"), -1);
}

TEST(ComposerTest, StabilityOrdering) {
  ExpectAscending(VersionScheme::kComposer, {"1.0.0-dev", "1.0.0-alpha1", "1.0.0-beta2",
                                             "1.0.0-RC1", "1.0.0", "1.0.0-p1", "1.0.1", "v1.27.0"});
  EXPECT_EQ(Cmp(VersionScheme::kComposer, "v1.0.2", "1.0.2"), 0);
}

TEST(VersionPropertyTest, TotalOrderOnRandomSemver) {
  std::mt19937 rng(42);
  std::vector<std::string> vs;
  const char* pres[] = {"", "-alpha", "-alpha.1", "-beta", "-rc.1", "-rc.2", "-1"};
  for (int i = 0; i < 60; ++i)
    vs.push_back(std::to_string(rng() % 3) + "." + std::to_string(rng() % 3) + "." +
                 std::to_string(rng() % 3) + pres[rng() % 7]);
  for (const auto& a : vs)
    for (const auto& b : vs) {
      int ab = *CompareVersions(VersionScheme::kSemver, a, b);
      int ba = *CompareVersions(VersionScheme::kSemver, b, a);
      ASSERT_EQ(ab, -ba) << a << " " << b;
      for (const auto& c : vs) {
        if (ab <= 0 && *CompareVersions(VersionScheme::kSemver, b, c) <= 0) {
          ASSERT_LE(*CompareVersions(VersionScheme::kSemver, a, c), 0) << a << " " << b << " " << c;
        }
      }
    }
}

TEST(EcosystemTest, SchemeForOsvEcosystems) {
  EXPECT_EQ(SchemeForEcosystem("PyPI"), VersionScheme::kPep440);
  EXPECT_EQ(SchemeForEcosystem("Debian:12"), VersionScheme::kDebian);
  EXPECT_EQ(SchemeForEcosystem("Ubuntu:18.04:LTS"), VersionScheme::kDebian);
  EXPECT_EQ(SchemeForEcosystem("Alpine:v3.18"), VersionScheme::kApk);
  EXPECT_EQ(SchemeForEcosystem("Go"), VersionScheme::kGo);
  EXPECT_FALSE(SchemeForEcosystem("Nonsense").has_value());
}

}  // namespace
}  // namespace dai::vulnmatch
