#include "adapters/logsource/kube_pod_logs.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dai::logsource {
namespace {

std::vector<std::string> Texts(const std::vector<KubeTimedLine>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.emplace_back(l.text);
  return out;
}

TEST(KubePodLogs, TakesEveryLineTheFirstTimeAndStripsTheTimestamp) {
  KubeStreamPosition pos;
  std::vector<KubeTimedLine> out;
  const std::string body =
      "2026-11-29T15:00:00.100000000Z GET /health 200\n"
      "2026-11-29T15:00:01.5Z {\"level\":\"error\",\"msg\":\"db down\"}\n";
  const TakeStats s = TakeNewLines(body, pos, out);
  EXPECT_EQ(s.taken, 2u);
  EXPECT_EQ(s.malformed, 0u);
  EXPECT_FALSE(s.partial_tail);
  EXPECT_EQ(Texts(out), (std::vector<std::string>{"GET /health 200",
                                                  "{\"level\":\"error\",\"msg\":\"db down\"}"}));
  // RFC 3339 with different fraction lengths compare as times, not as strings.
  EXPECT_LT(out[0].unix_ns, out[1].unix_ns);
  EXPECT_EQ(pos.last_ns, out[1].unix_ns);
  EXPECT_EQ(pos.same_count, 1);
}

TEST(KubePodLogs, ASecondReadFromTheSameSecondSkipsWhatWasTaken) {
  KubeStreamPosition pos;
  std::vector<KubeTimedLine> out;
  // Three lines, two of them with the same nanosecond timestamp.
  const std::string first =
      "2026-11-29T15:00:00.000000001Z a\n"
      "2026-11-29T15:00:00.000000002Z b\n"
      "2026-11-29T15:00:00.000000002Z c\n";
  TakeNewLines(first, pos, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(pos.same_count, 2);
  // The API answers sinceTime=15:00:00Z with everything again, plus new lines.
  out.clear();
  const std::string second = first +
                             "2026-11-29T15:00:00.000000002Z d\n"
                             "2026-11-29T15:00:03Z e\n";
  const TakeStats s = TakeNewLines(second, pos, out);
  EXPECT_EQ(Texts(out), (std::vector<std::string>{"d", "e"}));
  EXPECT_EQ(s.duplicates, 3u);
  out.clear();
  EXPECT_EQ(TakeNewLines(second, pos, out).taken, 0u);
  EXPECT_TRUE(out.empty());
}

TEST(KubePodLogs, AnAnswerCutInsideALineLeavesItForTheNextRead) {
  KubeStreamPosition pos;
  std::vector<KubeTimedLine> out;
  const TakeStats s = TakeNewLines("2026-11-29T15:00:00Z one\n2026-11-29T15:00:01Z tw", pos, out);
  EXPECT_TRUE(s.partial_tail);
  EXPECT_EQ(Texts(out), (std::vector<std::string>{"one"}));
  out.clear();
  TakeNewLines("2026-11-29T15:00:00Z one\n2026-11-29T15:00:01Z two\n", pos, out);
  EXPECT_EQ(Texts(out), (std::vector<std::string>{"two"}));
}

TEST(KubePodLogs, LinesWithoutATimestampAreCountedNotTaken) {
  KubeStreamPosition pos;
  std::vector<KubeTimedLine> out;
  const TakeStats s =
      TakeNewLines("no timestamp here\n\nnot-a-time text\n2026-11-29T15:00:00Z ok\r\n", pos, out);
  EXPECT_EQ(s.malformed, 3u);
  EXPECT_EQ(Texts(out), (std::vector<std::string>{"ok"}));
}

TEST(KubePodLogs, PositionRoundTripsAndToleratesGarbage) {
  KubeLogPosition p;
  p.streams["web-1/app"] = {1'700'000'000'123'456'789, 3, 1'700'000'000'000};
  const KubeLogPosition back = KubeLogPosition::FromJson(p.ToJson());
  ASSERT_EQ(back.streams.size(), 1u);
  EXPECT_EQ(back.streams.at("web-1/app").last_ns, 1'700'000'000'123'456'789);
  EXPECT_EQ(back.streams.at("web-1/app").same_count, 3);
  EXPECT_EQ(back.streams.at("web-1/app").seen_ms, 1'700'000'000'000);
  EXPECT_TRUE(KubeLogPosition::FromJson(Json::parse(R"({"streams":{"a":1,"b":{"ns":"x","n":1}}})"))
                  .streams.empty());
  EXPECT_TRUE(KubeLogPosition::FromJson(Json::array()).streams.empty());
}

}  // namespace
}  // namespace dai::logsource
