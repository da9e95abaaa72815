#include "engines/anomaly/nab_csv.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dai::anomaly {
namespace {

TEST(NabTimestamp, ParsesAsUtc) {
  auto t = ParseNabTimestamp("2014-04-01 00:00:00");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, 1396310400);
  auto u = ParseNabTimestamp("2013-12-02 21:15:00.000000");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, 1386018900);
  EXPECT_EQ(*ParseNabTimestamp("1970-01-01T00:00:01"), 1);
  EXPECT_EQ(*ParseNabTimestamp("2012-02-29 12:00:00"), 1330516800);
}

TEST(NabTimestamp, RejectsMalformed) {
  EXPECT_FALSE(ParseNabTimestamp("2014-04-01").ok());
  EXPECT_FALSE(ParseNabTimestamp("2014/04/01 00:00:00").ok());
  EXPECT_FALSE(ParseNabTimestamp("2014-13-01 00:00:00").ok());
  EXPECT_FALSE(ParseNabTimestamp("2013-02-29 00:00:00").ok());
  EXPECT_FALSE(ParseNabTimestamp("2014-04-01 24:00:00").ok());
  EXPECT_FALSE(ParseNabTimestamp("2014-04-01 00:00:00x").ok());
  EXPECT_FALSE(ParseNabTimestamp("2014-04-01 00:00:00.12a").ok());
}

TEST(NabCsv, ParsesRowsKeepingText) {
  auto rows = ParseNabCsv("timestamp,value\r\n2014-04-01 00:00:00,1.5\r\n"
                          "2014-04-01 00:05:00,-2e3\n\n2014-04-01 00:10:00,nan\n");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].timestamp, "2014-04-01 00:00:00");
  EXPECT_EQ((*rows)[0].value_text, "1.5");
  EXPECT_DOUBLE_EQ((*rows)[1].value, -2000.0);
  EXPECT_EQ((*rows)[1].unix_seconds, 1396310700);
  EXPECT_TRUE(std::isnan((*rows)[2].value));
}

TEST(NabCsv, HeaderMayReorderAndAddColumns) {
  auto rows = ParseNabCsv("value,label,timestamp\n3,0,2014-04-01 00:00:00\n");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_DOUBLE_EQ((*rows)[0].value, 3.0);
}

TEST(NabCsv, ErrorsNameTheLine) {
  auto bad_value = ParseNabCsv("timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,abc\n");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_NE(bad_value.status().message().find("line 3"), std::string::npos)
      << bad_value.status().message();
  EXPECT_NE(bad_value.status().message().find("abc"), std::string::npos);

  auto bad_time = ParseNabCsv("timestamp,value\n04/01/2014,1\n");
  ASSERT_FALSE(bad_time.ok());
  EXPECT_NE(bad_time.status().message().find("line 2"), std::string::npos);

  auto fields = ParseNabCsv("timestamp,value\n2014-04-01 00:00:00,1,2\n");
  ASSERT_FALSE(fields.ok());
  EXPECT_NE(fields.status().message().find("line 2"), std::string::npos);

  auto empty_value = ParseNabCsv("timestamp,value\n2014-04-01 00:00:00,\n");
  ASSERT_FALSE(empty_value.ok());

  auto header = ParseNabCsv("time,val\n2014-04-01 00:00:00,1\n");
  ASSERT_FALSE(header.ok());
  EXPECT_NE(header.status().message().find("line 1"), std::string::npos);

  EXPECT_FALSE(ParseNabCsv("").ok());
}

}  // namespace
}  // namespace dai::anomaly
