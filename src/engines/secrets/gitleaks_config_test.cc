#include "engines/secrets/gitleaks_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "engines/secrets/secret_scanner.h"

namespace dai::secrets {
namespace {

TEST(GitleaksConfig, ParsesRulesAllowlistsAndGlobal) {
  auto set = ParseGitleaksConfig(R"(
title = "t"
[allowlist]
paths = ['''\.lock$''']
[[rules]]
id = "r1"
regex = '''(?i)key\s*=\s*([a-z0-9]{16})'''
secretGroup = 1
entropy = 3
keywords = ["KEY"]
[[rules.allowlists]]
regexTarget = "line"
condition = "AND"
regexes = ['''test''']
stopwords = ["dead"]
[[rules]]
id = "r2"
path = '''\.p12$'''
)");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set.value().rules.size(), 2u);
  const Rule& r1 = set.value().rules[0];
  EXPECT_EQ(r1.secret_group, 1);
  EXPECT_DOUBLE_EQ(r1.entropy, 3.0);
  EXPECT_EQ(r1.keywords, std::vector<std::string>{"key"});
  ASSERT_EQ(r1.allowlists.size(), 1u);
  EXPECT_EQ(r1.allowlists[0].condition, AllowCondition::kAnd);
  EXPECT_EQ(r1.allowlists[0].regex_target, AllowTarget::kLine);
  ASSERT_EQ(set.value().global_allowlists.size(), 1u);
  EXPECT_EQ(set.value().rules[1].path, "\\.p12$");
}

TEST(GitleaksConfig, RejectsInvalidConfigs) {
  EXPECT_FALSE(ParseGitleaksConfig("[[rules]]\nid = \"x\"\nregex = '''(a'''\n").ok());
  EXPECT_FALSE(ParseGitleaksConfig("[[rules]]\nregex = '''a'''\n").ok());
  EXPECT_FALSE(ParseGitleaksConfig("[[rules]]\nid = \"x\"\n").ok());
  EXPECT_FALSE(ParseGitleaksConfig("[[rules]]\nid = \"x\"\nregex = 'a'\nsecretGroup = 3\n").ok());
  EXPECT_FALSE(ParseGitleaksConfig("[[rules]\n").ok());
  EXPECT_FALSE(ParseGitleaksConfig(
                   "[[rules]]\nid = \"x\"\nregex = 'a'\n[[rules]]\nid = \"x\"\nregex = 'b'\n")
                   .ok());
  EXPECT_FALSE(
      ParseGitleaksConfig("[[rules]]\nid=\"x\"\nregex='a'\n[[rules.allowlists]]\nregexTarget=\"z\"\nregexes=['a']\n")
          .ok());
}

TEST(GitleaksConfig, LoadsTheDefaultGitleaksRuleFileAndCompilesItIntoOneDatabase) {
  const std::string path = std::string(DAI_SHARED_DATA) + "/secrets/gitleaks/gitleaks.toml";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "shared data absent: " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  auto set = ParseGitleaksConfig(ss.str());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set.value().rules.size(), 222u);
  auto scanner = SecretScanner::Create(set.value());
  ASSERT_TRUE(scanner.ok()) << scanner.status().ToString();
  auto scratch = scanner.value()->NewScratch();
  ASSERT_TRUE(scratch.ok());
  auto r = scanner.value()->Scan("export GITHUB_TOKEN=ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm\n",
                                 "x.sh", *scratch.value());
  ASSERT_TRUE(r.ok());
  bool found = false;
  for (const auto& f : r.value().findings) found = found || f.rule_id == "github-pat";
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace dai::secrets
