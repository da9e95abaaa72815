#include "core/clock.h"

#include <gtest/gtest.h>

namespace dai {
namespace {

TEST(ClockTest, FormatRoundTrip) {
  const TimePoint t = FromUnixMillis(1'764'343'164'123);  // 2025-11-28T15:19:24.123Z
  EXPECT_EQ(FormatIso8601(t), "2025-11-28T15:19:24.123Z");
  EXPECT_EQ(ToUnixMillis(ParseIso8601("2025-11-28T15:19:24.123Z").value()), 1'764'343'164'123);
}

TEST(ClockTest, ParsesVariants) {
  EXPECT_EQ(ToUnixMillis(ParseIso8601("1970-01-01T00:00:00Z").value()), 0);
  EXPECT_EQ(ToUnixMillis(ParseIso8601("1970-01-01T01:00:00+01:00").value()), 0);
  // Alertmanager sends nanoseconds; PostgreSQL sends "+00".
  EXPECT_EQ(ToUnixMillis(ParseIso8601("1970-01-01T00:00:01.123456789Z").value()), 1123);
  EXPECT_EQ(ToUnixMillis(ParseIso8601("1970-01-01 00:00:02.5+00").value()), 2500);
  // Alertmanager's "no end" marker is outside the representable range: callers check for it.
  EXPECT_FALSE(ParseIso8601("0001-01-01T00:00:00Z").ok());
}

TEST(ClockTest, RejectsGarbage) {
  for (const char* bad : {"", "2025", "2025-13-01T00:00:00Z", "2025-01-01T00:00:00",
                          "2025-01-01T00:00:00Zjunk", "2025-01-01T25:00:00Z", "x025-01-01"}) {
    EXPECT_FALSE(ParseIso8601(bad).ok()) << bad;
  }
}

TEST(ClockTest, FakeClockAdvances) {
  FakeClock c(1000);
  c.Advance(Millis(500));
  EXPECT_EQ(ToUnixMillis(c.Now()), 1500);
}

}  // namespace
}  // namespace dai
