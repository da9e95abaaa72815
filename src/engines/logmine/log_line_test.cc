#include "engines/logmine/log_line.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "engines/logmine/log_format.h"
#include "engines/logmine/template_miner.h"

namespace dai::logmine {
namespace {

std::vector<std::string> SplitAll(LineSplitter& s, const std::vector<std::string>& chunks,
                                  bool finish = true) {
  std::vector<std::string> lines;
  auto fn = [&](std::string_view l) { lines.emplace_back(l); };
  for (const auto& c : chunks) s.Feed(c, fn);
  if (finish) s.Finish(fn);
  return lines;
}

TEST(LineSplitter, JoinsLinesAcrossChunksAndStripsCr) {
  LineSplitter s;
  auto lines = SplitAll(s, {"a\r\nbb", "b\n", "", "\nc"});
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "bbb", "", "c"}));
  EXPECT_EQ(s.rejected_long(), 0u);
}

TEST(LineSplitter, PartialLineWaitsUntilFinish) {
  LineSplitter s;
  auto lines = SplitAll(s, {"one\ntw"}, false);
  EXPECT_EQ(lines, (std::vector<std::string>{"one"}));
  EXPECT_EQ(s.pending_bytes(), 2u);
  std::vector<std::string> rest;
  s.Finish([&](std::string_view l) { rest.emplace_back(l); });
  EXPECT_EQ(rest, (std::vector<std::string>{"tw"}));
}

TEST(LineSplitter, OverLongLinesAreCountedAndSkippedWithBoundedMemory) {
  LineSplitter s(16);
  std::vector<std::string> chunks = {"short\n",
                                     std::string(10, 'x'),
                                     std::string(10, 'y'),
                                     std::string(1 << 20, 'z'),
                                     "tail-of-long\nok\n",
                                     std::string(40, 'q') + "\nafter\n"};
  std::vector<std::string> lines;
  size_t max_pending = 0;
  for (const auto& c : chunks) {
    s.Feed(c, [&](std::string_view l) { lines.emplace_back(l); });
    max_pending = std::max(max_pending, s.pending_bytes());
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"short", "ok", "after"}));
  EXPECT_EQ(s.rejected_long(), 2u);
  EXPECT_LE(max_pending, 16u);
}

TEST(SanitizeLine, ReplacesInvalidUtf8AndControlsAndBoundsLength) {
  std::string out;
  EXPECT_EQ(SanitizeLine("ok \xC3\xA9t\xC3\xA9", out), 0u);
  EXPECT_EQ(out, "ok \xC3\xA9t\xC3\xA9");
  EXPECT_EQ(SanitizeLine(std::string("a\0b\xFF\xC3", 5), out), 3u);
  EXPECT_EQ(out, "a b\xEF\xBF\xBD\xEF\xBF\xBD");
  // Overlong encodings and surrogates are invalid.
  SanitizeLine("\xC0\xAF \xED\xA0\x80", out);
  EXPECT_EQ(out.find("\xC0"), std::string::npos);
  SanitizeLine(std::string(10000, 'a'), out, 100);
  EXPECT_LE(out.size(), 100u);
  EXPECT_EQ(out.substr(out.size() - 3), "\xE2\x80\xA6");
  // Never cuts inside a character.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";
  SanitizeLine(accents, out, 51);
  std::string again;
  EXPECT_EQ(SanitizeLine(out, again, 1000), 0u);
}

TEST(LooksBinary, TellsGarbageFromText) {
  EXPECT_FALSE(LooksBinary("2024-01-01 INFO started \xC3\xA9t\xC3\xA9"));
  EXPECT_TRUE(LooksBinary(std::string("\x00\x01\x02\xFF\xFE\x80 abc", 10)));
  EXPECT_FALSE(LooksBinary(""));
}

struct Case {
  const char* line;
  LineKind kind;
  LogLevel level;
  const char* message;
};

TEST(ParseLine, RecognisesCommonFormats) {
  const Case cases[] = {
      {R"({"level":"error","msg":"db connection lost","attempt":3})", LineKind::kJson,
       LogLevel::kError, "db connection lost"},
      {R"({"MESSAGE":"Started Session 4.","PRIORITY":"6","_SYSTEMD_UNIT":"x"})", LineKind::kJson,
       LogLevel::kInfo, "Started Session 4."},
      {R"({"log":"panic: nil map\n","stream":"stderr","time":"2024-01-01T00:00:00Z"})",
       LineKind::kJson, LogLevel::kFatal, "panic: nil map"},
      {R"(ts=2024-01-01T00:00:00Z level=warn msg="disk \"sda\" almost full" pct=91)",
       LineKind::kLogfmt, LogLevel::kWarn, R"(disk "sda" almost full)"},
      {"<11>1 2024-01-02T03:04:05Z host app 123 ID47 [ex@1 a=\"x]y\"] Connection refused",
       LineKind::kSyslog, LogLevel::kError, "Connection refused"},
      {"<30>Jan  2 03:04:05 host sshd[42]: Accepted password for bob", LineKind::kSyslog,
       LogLevel::kInfo, "Accepted password for bob"},
      {"Jan  2 03:04:05 host kernel: ERROR disk failure on sda", LineKind::kSyslog,
       LogLevel::kError, "ERROR disk failure on sda"},
      {R"(10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 503 2326 "-" "curl")",
       LineKind::kAccess, LogLevel::kError, R"("GET /a.gif HTTP/1.0" 503 2326 "-" "curl")"},
      {"2016-10-06T00:17:09.669794202Z stderr F [WARN] cache miss rate high", LineKind::kContainer,
       LogLevel::kWarn, "[WARN] cache miss rate high"},
      {R"(2016-10-06T00:17:09.669794202Z stdout F {"level":"info","msg":"ready"})", LineKind::kJson,
       LogLevel::kInfo, "ready"},
      {"2024-01-01 10:00:00,123 ERROR [main] Failed to bind port 80", LineKind::kPlain,
       LogLevel::kError, "ERROR [main] Failed to bind port 80"},
      {"nothing to see: an error in a sentence is not a level", LineKind::kPlain,
       LogLevel::kUnknown, "nothing to see: an error in a sentence is not a level"},
      {"{not json", LineKind::kPlain, LogLevel::kUnknown, "{not json"},
  };
  ParsedLine p;
  for (const Case& c : cases) {
    ParseLine(c.line, p);
    EXPECT_EQ(LineKindName(p.kind), LineKindName(c.kind)) << c.line;
    EXPECT_EQ(LogLevelName(p.level), LogLevelName(c.level)) << c.line;
    EXPECT_EQ(p.message, c.message) << c.line;
  }
}

TEST(ParseLevelWord, ReadsCommonSpellings) {
  EXPECT_EQ(ParseLevelWord("[ERROR]"), LogLevel::kError);
  EXPECT_EQ(ParseLevelWord("Warning:"), LogLevel::kWarn);
  EXPECT_EQ(ParseLevelWord("SEVERE"), LogLevel::kError);
  EXPECT_EQ(ParseLevelWord("E"), LogLevel::kError);
  EXPECT_EQ(ParseLevelWord("crit"), LogLevel::kFatal);
  EXPECT_EQ(ParseLevelWord("RAS"), LogLevel::kUnknown);
  EXPECT_EQ(SyslogSeverityLevel(3), LogLevel::kError);
  EXPECT_EQ(SyslogSeverityLevel(9), LogLevel::kUnknown);
}

TEST(ErrorBurst, NeedsBothAnAbsoluteAndARelativeRise) {
  std::vector<uint32_t> quiet(60, 0);
  EXPECT_FALSE(IsErrorBurst(quiet.data(), quiet.size(), 4));
  EXPECT_TRUE(IsErrorBurst(quiet.data(), quiet.size(), 5));
  std::vector<uint32_t> noisy(60, 10);
  EXPECT_FALSE(IsErrorBurst(noisy.data(), noisy.size(), 20));
  EXPECT_TRUE(IsErrorBurst(noisy.data(), noisy.size(), 33));
  EXPECT_TRUE(IsErrorBurst(nullptr, 0, 5));
}

// The log signals on BGL (Loghub-2k), whose lines carry their anomaly label in the first column
// ('-' normal, otherwise an alert category), judged per minute: a signal should point at a minute
// with labelled anomalies. Two signals as LogService raises them: error bursts (IsErrorBurst over
// error-level lines per minute against the previous hour) and new error templates (the first line
// of a template at error level or worse). Prints precision and recall over the minutes with lines.
TEST(LogSignals, PrecisionAndRecallOnLabelledBgl) {
  const std::string path = std::string(DAI_SHARED_DATA) + "/loghub-2k/BGL/BGL_2k.log";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "no " << path << " (the shared Loghub data is absent)";
  auto format = LogFormat::Parse(
      "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>");
  ASSERT_TRUE(format.ok());
  auto miner = TemplateMiner::Create(MinerOptions{});
  ASSERT_TRUE(miner.ok());
  std::map<int64_t, uint32_t> errors;  // minute -> error-level lines
  std::set<int64_t> labelled;          // minutes with an anomaly label
  std::set<int64_t> minutes;           // minutes with any line
  std::set<int64_t> novel;             // minutes where a new error-level template appeared
  std::set<uint64_t> seen_error_clusters;
  std::string line;
  SplitLine split;
  while (std::getline(in, line)) {
    format->Split(line, split);
    ASSERT_TRUE(split.ok) << line;
    const int64_t minute = std::stoll(std::string(split.fields[1])) / 60;
    minutes.insert(minute);
    if (split.fields[0] != "-") labelled.insert(minute);
    const LogLevel level = ParseLevelWord(split.fields[8]);
    const MineResult& mined = miner->Add(split.content);
    if (level >= LogLevel::kError) {
      ++errors[minute];
      if (seen_error_clusters.insert(mined.cluster_id).second) novel.insert(minute);
    }
  }
  std::set<int64_t> bursts;
  for (int64_t m : minutes) {
    std::vector<uint32_t> history;
    for (int64_t h = m - 60; h < m; ++h) {
      auto it = errors.find(h);
      history.push_back(it == errors.end() ? 0 : it->second);
    }
    auto it = errors.find(m);
    const uint32_t current = it == errors.end() ? 0 : it->second;
    if (IsErrorBurst(history.data(), history.size(), current)) bursts.insert(m);
  }
  auto report = [&](const char* name, const std::set<int64_t>& predicted) {
    int tp = 0;
    for (int64_t m : predicted) tp += static_cast<int>(labelled.count(m));
    const double precision = predicted.empty() ? 0 : static_cast<double>(tp) / predicted.size();
    const double recall = static_cast<double>(tp) / static_cast<double>(labelled.size());
    std::printf(
        "BGL_2k %s: %zu signal minutes, %d with labelled anomalies: precision %.3f recall %.3f\n",
        name, predicted.size(), tp, precision, recall);
    return tp;
  };
  std::printf("BGL_2k: %zu minutes with lines, %zu with labelled anomalies\n", minutes.size(),
              labelled.size());
  report("error bursts", bursts);
  const int novel_tp = report("new error templates", novel);
  std::set<int64_t> both = bursts;
  both.insert(novel.begin(), novel.end());
  report("either signal", both);
  ASSERT_GT(labelled.size(), 0u);
  EXPECT_GT(novel_tp, 0);
}

}  // namespace
}  // namespace dai::logmine

#include "engines/logmine/push_decoder.h"

namespace dai::logmine {
namespace {

TEST(LokiPush, DecodesStreamsAndNamesTheBadField) {
  auto r = DecodeLokiPush(
      R"({"streams":[{"stream":{"job":"api","level":"error"},"values":[["1700000000123456789","boom"],["1700000001000000000","again",{"trace_id":"x"}]]}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].labels.at("job"), "api");
  ASSERT_EQ((*r)[0].lines.size(), 2u);
  EXPECT_EQ((*r)[0].lines[0].unix_ms, 1700000000123);
  EXPECT_EQ((*r)[0].lines[1].line, "again");
  auto bad = DecodeLokiPush(R"({"streams":[{"stream":{},"values":[["1","ok"],[17,"x"]]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("streams[0].values[1][0]"), std::string::npos);
  EXPECT_FALSE(DecodeLokiPush("{").ok());
  EXPECT_FALSE(DecodeLokiPush(R"({"streams":{}})").ok());
  PushLimits limits;
  limits.max_lines = 1;
  EXPECT_FALSE(DecodeLokiPush(R"({"streams":[{"values":[["1","a"],["2","b"]]}]})", limits).ok());
}

}  // namespace
}  // namespace dai::logmine
