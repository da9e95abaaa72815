#include "engines/logmine/log_format.h"

#include <gtest/gtest.h>

#include <string>

namespace dai::logmine {
namespace {

TEST(LogFormat, SplitsHdfsLine) {
  auto f = LogFormat::Parse("<Date> <Time> <Pid> <Level> <Component>: <Content>");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->fast_path());
  ASSERT_EQ(f->field_names().size(), 6u);
  EXPECT_EQ(f->content_index(), 5);
  SplitLine s;
  f->Split("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating", s);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.fields[0], "081109");
  EXPECT_EQ(s.fields[2], "148");
  EXPECT_EQ(s.fields[4], "dfs.DataNode$PacketResponder");
  EXPECT_EQ(s.content, "PacketResponder 1 terminating");
}

TEST(LogFormat, SpacesMatchRunsAndEscapesAreLiterals) {
  auto f = LogFormat::Parse("<Date> <Time> - <Level>  \\[<Node>:<Component>@<Id>\\] - <Content>");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  SplitLine s;
  f->Split("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:"
           "FastLeaderElection@774] - Notification time out: 3200",
           s);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.fields[3], "QuorumPeer[myid=1]/0");
  EXPECT_EQ(s.fields[4], "0:0:0:0:0:0:0:2181:FastLeaderElection");
  EXPECT_EQ(s.fields[5], "774");
  EXPECT_EQ(s.content, "Notification time out: 3200");
}

TEST(LogFormat, OptionalGroupUsesRegexPath) {
  auto f = LogFormat::Parse("<Month> <Day> <Component>(\\[<PID>\\])?: <Content>");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->fast_path());
  SplitLine s;
  f->Split("Nov 9 crond[2916]: (root) CMD (run-parts /etc/cron.hourly)", s);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.fields[2], "crond");
  EXPECT_EQ(s.fields[3], "2916");
  EXPECT_EQ(s.content, "(root) CMD (run-parts /etc/cron.hourly)");
  f->Split("Nov 9 kernel: eth0: link up", s);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.fields[2], "kernel");
  EXPECT_EQ(s.fields[3], "");
  EXPECT_EQ(s.content, "eth0: link up");
}

TEST(LogFormat, FastPathFallsBackWhenFirstSeparatorIsWrong) {
  // "a: b" inside the component: the first ": " is not the one the full match needs.
  auto f = LogFormat::Parse("<Level> <Component>: <Content>");
  ASSERT_TRUE(f.ok());
  SplitLine s;
  f->Split("INFO x: y", s);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.fields[1], "x");
  EXPECT_EQ(s.content, "y");
}

TEST(LogFormat, NonMatchingLineIsRejectedWithReason) {
  auto f = LogFormat::Parse("<Date> <Time> <Level> <Component>: <Content>");
  ASSERT_TRUE(f.ok());
  SplitLine s;
  f->Split("garbage-without-separators", s);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.reason, RejectReason::kFormatMismatch);
  EXPECT_EQ(RejectReasonName(s.reason), "format_mismatch");
}

TEST(LogFormat, BadFormatsAreErrors) {
  EXPECT_FALSE(LogFormat::Parse("<Date> <Time>").ok());            // no Content
  EXPECT_FALSE(LogFormat::Parse("<Date <Content>").ok());          // unterminated
  EXPECT_FALSE(LogFormat::Parse("<Content> <Content>").ok());      // repeated
  EXPECT_FALSE(LogFormat::Parse("<Date> ([ <Content>").ok());      // regex does not compile
}

TEST(LogFormat, EmptyFormatIsIdentity) {
  auto f = LogFormat::Parse("");
  ASSERT_TRUE(f.ok());
  SplitLine s;
  f->Split("whole line", s);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.content, "whole line");
}

TEST(LogFormat, GarbageAndHugeLinesDoNotCrash) {
  auto f = LogFormat::Parse("<Date> <Time> <Level> <Component>: <Content>");
  ASSERT_TRUE(f.ok());
  SplitLine s;
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 131) & 0xff));
  f->Split(garbage, s);  // any outcome, no crash
  std::string big = "2016-09-28 04:30:30 INFO X: " + std::string(2 << 20, 'a');
  f->Split(big, s);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.content.size(), size_t{2} << 20);
  std::string too_big(LogFormat::kMaxLineBytes + 1, ' ');
  f->Split(too_big, s);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.reason, RejectReason::kTooLong);
}

}  // namespace
}  // namespace dai::logmine
