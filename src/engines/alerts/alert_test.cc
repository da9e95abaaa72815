#include "engines/alerts/alert.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace dai::alerts {
namespace {

const TimePoint kNow = ParseIso8601("2018-03-07T12:00:00Z").value();

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(AlertmanagerWebhookTest, RealPayloadsDecode) {
  const std::filesystem::path dir = std::filesystem::path(DAI_SHARED_DATA) / "alerting" / "alertmanager-webhook";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data not present at " << dir;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    auto batch = DecodeAlertmanagerWebhook(Slurp(entry.path()), kNow);
    ASSERT_TRUE(batch.ok()) << entry.path() << ": " << batch.status().ToString();
    ASSERT_FALSE(batch->alerts.empty()) << entry.path();
    for (const auto& a : batch->alerts) {
      EXPECT_TRUE(a.labels.count("alertname")) << entry.path();
      EXPECT_EQ(a.fingerprint.size(), 16u);
      EXPECT_EQ(a.source, "alertmanager");
    }
  }
  EXPECT_GE(files, 6);
}

TEST(AlertmanagerWebhookTest, MergesCommonLabelsAndOpenEnds) {
  const char* body = R"({"version":"4","status":"firing","groupKey":"g","commonLabels":{"severity":"warning","team":"sre"},
    "alerts":[{"labels":{"alertname":"A","team":"db"},"startsAt":"2018-03-07T06:33:21.873077559-05:00","endsAt":"0001-01-01T00:00:00Z"},
              {"status":"resolved","labels":{"alertname":"B"},"startsAt":"2018-03-07T11:00:00Z","endsAt":"2018-03-07T11:30:00Z","fingerprint":"abc"}]})";
  auto b = DecodeAlertmanagerWebhook(body, kNow);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->alerts.size(), 2u);
  const Alert& a = b->alerts[0];
  EXPECT_EQ(a.labels.at("severity"), "warning");
  EXPECT_EQ(a.labels.at("team"), "db");  // the alert's own label wins
  EXPECT_EQ(a.status, AlertStatus::kFiring);
  EXPECT_FALSE(a.ends_at.has_value());
  EXPECT_EQ(FormatIso8601(a.starts_at), "2018-03-07T11:33:21.873Z");
  EXPECT_EQ(b->alerts[1].status, AlertStatus::kResolved);
  EXPECT_EQ(b->alerts[1].fingerprint, "abc");
  EXPECT_TRUE(b->alerts[1].ends_at.has_value());
}

TEST(AlertmanagerWebhookTest, ErrorsNameTheField) {
  auto e = DecodeAlertmanagerWebhook(R"({"version":"4","alerts":[{"labels":{"a":1}}]})", kNow);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "alerts[0].labels.a: expected string");
  e = DecodeAlertmanagerWebhook(R"({"version":"3","alerts":[]})", kNow);
  EXPECT_NE(e.status().message().find("version"), std::string::npos);
  e = DecodeAlertmanagerWebhook(R"({"version":"4","alerts":[{"labels":{"x":"y"},"startsAt":"yesterday"}]})", kNow);
  EXPECT_NE(e.status().message().find("alerts[0].startsAt"), std::string::npos);
  e = DecodeAlertmanagerWebhook(R"({"version":"4","alerts":[{"labels":{}}]})", kNow);
  EXPECT_FALSE(e.ok());
  e = DecodeAlertmanagerWebhook(R"({"version":"4","alerts":[{"labels":{"x":"y"},"status":"maybe"}]})", kNow);
  EXPECT_NE(e.status().message().find("alerts[0].status"), std::string::npos);
  EXPECT_EQ(DecodeAlertmanagerWebhook("{", kNow).status().code(), StatusCode::kParseError);
  EXPECT_FALSE(DecodeAlertmanagerWebhook("[]", kNow).ok());
}

TEST(AlertmanagerWebhookTest, HugeLabelSetsRefused) {
  std::string labels;
  for (int i = 0; i < 100; ++i) labels += (i ? "," : "") + std::string("\"l") + std::to_string(i) + "\":\"v\"";
  auto e = DecodeAlertmanagerWebhook(R"({"version":"4","alerts":[{"labels":{)" + labels + "}}]}", kNow);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("at most 64"), std::string::npos);
}

TEST(AlertmanagerWebhookTest, ClockSkewIsClampedAndNoted) {
  auto b = DecodeAlertmanagerWebhook(
      R"({"version":"4","alerts":[{"labels":{"alertname":"x"},"startsAt":"2030-01-01T00:00:00Z"},
                                  {"labels":{"alertname":"y"},"startsAt":"1990-01-01T00:00:00Z"}]})", kNow);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->alerts[0].starts_at, kNow);
  EXPECT_EQ(b->alerts[0].notes.size(), 1u);
  EXPECT_LT(b->alerts[1].starts_at, kNow);
  EXPECT_EQ(b->alerts[1].notes.size(), 1u);
}

TEST(GenericWebhookTest, DecodesAndValidates) {
  auto b = DecodeGenericWebhook(
      R"({"title":"Disk full on db-1","severity":"critical","labels":{"service":"db"},"dedupKey":"disk-db-1"})", kNow);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->alerts.size(), 1u);
  EXPECT_EQ(b->alerts[0].labels.at("alertname"), "Disk full on db-1");
  EXPECT_EQ(b->alerts[0].labels.at("severity"), "critical");
  EXPECT_EQ(b->alerts[0].fingerprint, "disk-db-1");
  EXPECT_EQ(b->alerts[0].source, "webhook");
  auto e = DecodeGenericWebhook(R"({"severity":"critical"})", kNow);
  EXPECT_EQ(e.status().message(), "body.title: is required (a non-empty string)");
  e = DecodeGenericWebhook(R"([{"title":"a"},{"title":"b","severity":"urgent"}])", kNow);
  EXPECT_NE(e.status().message().find("[1].severity"), std::string::npos);
}

TEST(FingerprintTest, StableAndOrderIndependent) {
  std::map<std::string, std::string> a{{"alertname", "X"}, {"job", "node"}};
  std::map<std::string, std::string> b{{"job", "node"}, {"alertname", "X"}};
  EXPECT_EQ(LabelFingerprint(a), LabelFingerprint(b));
  b["job"] = "node2";
  EXPECT_NE(LabelFingerprint(a), LabelFingerprint(b));
  // Separators matter: {"ab":"c"} and {"a":"bc"} differ.
  EXPECT_NE(LabelFingerprint({{"ab", "c"}}), LabelFingerprint({{"a", "bc"}}));
}

TEST(SeverityTest, Normalizes) {
  EXPECT_EQ(NormalizeSeverity("CRITICAL"), "critical");
  EXPECT_EQ(NormalizeSeverity("page"), "critical");
  EXPECT_EQ(NormalizeSeverity("error"), "high");
  EXPECT_EQ(NormalizeSeverity("warning"), "medium");
  EXPECT_EQ(NormalizeSeverity("info"), "low");
  EXPECT_EQ(NormalizeSeverity(""), "medium");
}

}  // namespace
}  // namespace dai::alerts
