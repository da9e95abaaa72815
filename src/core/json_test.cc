#include "core/json.h"

#include <gtest/gtest.h>

namespace dai {
namespace {

TEST(JsonTest, ParsesAndDumps) {
  auto j = ParseJson(R"({"a":[1,2,{"b":"c"}]})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(DumpJson(*j), R"({"a":[1,2,{"b":"c"}]})");
}

TEST(JsonTest, ParseErrorNamesProblem) {
  auto j = ParseJson("{\"a\":");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kParseError);
  EXPECT_NE(j.status().message().find("invalid JSON"), std::string::npos);
}

TEST(JsonTest, NumberOverflowIsAParseErrorNotACrash) {
  // Found by fuzz_trpc_decoder: nlohmann throws out_of_range, not parse_error, here.
  auto j = ParseJson(R"({"0":1e720})");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kParseError);
}

TEST(JsonTest, RejectsInvalidUtf8) {
  EXPECT_FALSE(ParseJson("\"\xff\xfe\"").ok());
}

}  // namespace
}  // namespace dai
