#include "engines/logmine/log_format.h"

#include <gtest/gtest.h>

#include <re2/re2.h>

#include <fstream>
#include <string>
#include <vector>

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
  f->Split(
      "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:"
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
  EXPECT_FALSE(LogFormat::Parse("<Date> <Time>").ok());        // no Content
  EXPECT_FALSE(LogFormat::Parse("<Date <Content>").ok());      // unterminated
  EXPECT_FALSE(LogFormat::Parse("<Content> <Content>").ok());  // repeated
  EXPECT_FALSE(LogFormat::Parse("<Date> ([ <Content>").ok());  // regex does not compile
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

namespace dai::logmine {
namespace {

// The optional-group fast path must agree with the regex (Loghub's semantics) on every line:
// synthetic edge cases and, when the shared data is there, every Thunderbird line.
TEST(LogFormat, OptionalGroupFastPathAgreesWithTheRegex) {
  const std::string format =
      "<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> "
      "<Component>(\\[<PID>\\])?: <Content>";
  auto f = LogFormat::Parse(format);
  ASSERT_TRUE(f.ok());
  RE2::Options options;
  options.set_dot_nl(true);
  RE2 re(f->pattern(), options);
  ASSERT_TRUE(re.ok());
  std::vector<std::string> lines = {
      "- 1 2005.11.09 tbird-admin1 Nov 9 12:01:01 local@tbird-admin1 sshd[123]: session opened",
      "- 1 2005.11.09 tbird-admin1 Nov 9 12:01:01 local@tbird-admin1 kernel: eth0: link up",
      "- 1 2005.11.09 u Nov 9 12:01:01 loc a[1] b[2]: x: y",
      "- 1 2005.11.09 u Nov 9 12:01:01 loc a: b[2]: x",
      "- 1 2005.11.09 u Nov 9 12:01:01 loc a[1: b]: x",
      "- 1 2005.11.09 u Nov 9 12:01:01 loc no separator at all",
  };
  std::ifstream in(std::string(DAI_SHARED_DATA) + "/loghub-2k/Thunderbird/Thunderbird_2k.log");
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  SplitLine split;
  for (const auto& line : lines) {
    f->Split(line, split);
    const int n = re.NumberOfCapturingGroups();
    std::vector<re2::StringPiece> caps(n + 1);
    const bool matched = re.Match(line, 0, line.size(), RE2::ANCHOR_BOTH, caps.data(), n + 1);
    ASSERT_EQ(split.ok, matched) << line;
    if (!matched) continue;
    // Groups: 1..9 the fields up to Component, 10 the optional group, 11 PID, 12 Content.
    std::vector<std::string_view> expected;
    for (int g = 1; g <= n; ++g) {
      if (g == 10) continue;  // the group itself, not a field
      expected.emplace_back(caps[g].data() == nullptr
                                ? std::string_view()
                                : std::string_view(caps[g].data(), caps[g].size()));
    }
    ASSERT_EQ(split.fields.size(), expected.size());
    for (size_t k = 0; k < expected.size(); ++k)
      EXPECT_EQ(split.fields[k], expected[k]) << line << " field " << k;
  }
}

}  // namespace
}  // namespace dai::logmine
