#include "engines/logmine/masker.h"

#include <gtest/gtest.h>

namespace dai::logmine {
namespace {

TEST(Masker, MatchesBecomeStructuredVariables) {
  auto m = Masker::Create({"blk_-?\\d+", "(\\d+\\.){3}\\d+(:\\d+)?", "core\\.\\d+"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::string out;
  ASSERT_TRUE(m->Apply("ask 10.250.14.224:50010 to delete blk_-1234 core.2275", out));
  EXPECT_EQ(out, "ask <*>:<*> to delete <*> core.<*>");
}

TEST(Masker, KeepsWhitespaceSoTokenCountsAgree) {
  auto m = Masker::Create({"0x.*?\\s"});
  ASSERT_TRUE(m.ok());
  std::string out;
  ASSERT_TRUE(m->Apply("HRESULT = 0x800f080d - CBS_E", out));
  EXPECT_EQ(out, "HRESULT = <*> - CBS_E");
}

TEST(Masker, NoMasksMeansNoRewrite) {
  auto m = Masker::Create({});
  ASSERT_TRUE(m.ok());
  std::string out = "untouched";
  EXPECT_FALSE(m->Apply("abc 123", out));
  EXPECT_EQ(out, "untouched");
}

TEST(Masker, BadRegexIsAnError) {
  auto m = Masker::Create({"(unclosed"});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("(unclosed"), std::string::npos);
  EXPECT_FALSE(Masker::Create({"(?=lookahead)"}).ok());  // RE2 has no lookaround
}

TEST(Masker, EmptyMatchesMakeProgress) {
  auto m = Masker::Create({"x*"});
  ASSERT_TRUE(m.ok());
  std::string out;
  ASSERT_TRUE(m->Apply("abxxc", out));
  EXPECT_EQ(out, "ab<*>c");
}

}  // namespace
}  // namespace dai::logmine
