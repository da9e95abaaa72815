#include "registry/schema.h"

#include <gtest/gtest.h>

namespace dai::schema {
namespace {

Json IncidentInput() {
  return Object({Req("title", String(1, 200)), Req("severity", Enum({"critical", "high", "medium", "low"})),
                 Opt("labels", StringMap()), Opt("count", Int(0, 100)),
                 Opt("tags", Array(String(1, 20), 3)), Opt("owner", Nullable(String()))});
}

std::string Err(const Json& s, const Json& v) {
  Status st = Validate(s, v);
  return st.ok() ? "OK" : st.message();
}

TEST(SchemaTest, AcceptsValid) {
  EXPECT_EQ(Err(IncidentInput(), {{"title", "db down"}, {"severity", "high"},
                                  {"labels", {{"team", "sre"}}}, {"count", 3},
                                  {"tags", {"a", "b"}}, {"owner", nullptr}}),
            "OK");
}

TEST(SchemaTest, NamesTheFailingField) {
  EXPECT_EQ(Err(IncidentInput(), {{"severity", "high"}}), "input.title: is required");
  EXPECT_EQ(Err(IncidentInput(), {{"title", 5}, {"severity", "high"}}),
            "input.title: expected string, got integer");
  EXPECT_EQ(Err(IncidentInput(), {{"title", "x"}, {"severity", "urgent"}}),
            "input.severity: must be one of \"critical\", \"high\", \"medium\", \"low\"");
  EXPECT_EQ(Err(IncidentInput(), {{"title", "x"}, {"severity", "low"}, {"labels", {{"team", 1}}}}),
            "input.labels.team: expected string, got integer");
  EXPECT_EQ(Err(IncidentInput(), {{"title", "x"}, {"severity", "low"}, {"tags", {"ok", 2}}}),
            "input.tags[1]: expected string, got integer");
  EXPECT_EQ(Err(IncidentInput(), {{"title", "x"}, {"severity", "low"}, {"extra", 1}}),
            "input.extra: is not a known field");
  EXPECT_EQ(Err(IncidentInput(), {{"title", ""}, {"severity", "low"}}),
            "input.title: must be at least 1 characters");
  EXPECT_EQ(Err(IncidentInput(), {{"title", "x"}, {"severity", "low"}, {"count", 101}}),
            "input.count: must be <= 100");
  EXPECT_EQ(Err(IncidentInput(), {{"title", "x"}, {"severity", "low"}, {"tags", {"a", "b", "c", "d"}}}),
            "input.tags: must have at most 3 items");
  EXPECT_EQ(Err(IncidentInput(), Json::array()), "input: expected object, got array");
}

TEST(SchemaTest, IntegerAcceptsWholeFloats) {
  EXPECT_EQ(Err(Int(), 3.0), "OK");
  EXPECT_EQ(Err(Int(), 3.5), "input: expected integer, got number");
}

TEST(SchemaTest, CountsUtf8Characters) {
  EXPECT_EQ(Err(String(0, 2), "\xc3\xa9\xc3\xa9"), "OK");  // two characters, four bytes
}

TEST(SchemaTest, DeepNestingIsBounded) {
  Json v = 1;
  for (int i = 0; i < 100; ++i) v = Json::array({v});
  Json s = Any();
  for (int i = 0; i < 100; ++i) s = Array(s);
  EXPECT_NE(Err(s, v), "OK");
}

}  // namespace
}  // namespace dai::schema
