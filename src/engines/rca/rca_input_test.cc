#include "engines/rca/rca_input.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dai::rca {
namespace {

constexpr const char* kScenario = R"({
  "id": "t-1", "step_seconds": 15, "start": 1000, "incident_start": 4000,
  "services": [{"name": "web", "kind": "web"}, {"name": "api", "kind": "api"}],
  "calls": [{"from": "web", "to": "api"}, {"from": "api", "to": "db"}],
  "metrics": [{"service": "api", "name": "latency_p99_ms", "values": [1, 2.5, null, 1.2e-3]}],
  "alerts": [{"labels": {"alertname": "HighLatency", "service": "api", "severity": "critical"},
              "startsAt": 3990},
             {"labels": {"alertname": "NoService"}, "startsAt": 3000}],
  "changes": [{"service": "api", "kind": "deploy", "at": 3800}]
})";

TEST(RcaInputTest, DecodesEveryPart) {
  auto in = DecodeRcaScenarioText(kScenario);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->id, "t-1");
  EXPECT_EQ(in->incident_start, 4000);
  ASSERT_EQ(in->services.size(), 3u);  // db added from the calls
  EXPECT_EQ(in->services[2].name, "db");
  EXPECT_EQ(in->services[2].kind, "");
  ASSERT_EQ(in->calls.size(), 2u);
  EXPECT_EQ(in->calls[0].from, "web");
  ASSERT_EQ(in->series.size(), 1u);
  const Series& s = in->series[0];
  EXPECT_EQ(s.TimeAt(2), 1030);
  ASSERT_EQ(s.values.size(), 4u);
  EXPECT_DOUBLE_EQ(s.values[1], 2.5);
  EXPECT_TRUE(std::isnan(s.values[2]));
  EXPECT_DOUBLE_EQ(s.values[3], 1.2e-3);
  ASSERT_EQ(in->alerts.size(), 1u);  // the alert without a service label is dropped
  EXPECT_EQ(in->alerts[0].severity, "critical");
  ASSERT_EQ(in->changes.size(), 1u);
  EXPECT_EQ(in->changes[0].kind, "deploy");
  EXPECT_EQ(in->changes[0].at, 3800);
}

TEST(RcaInputTest, RejectsMalformedInputNamingTheField) {
  struct Case {
    const char* json;
    const char* field;
  };
  const Case cases[] = {
      {R"([1,2])", "scenario"},
      {R"({"start":0,"incident_start":1,"services":[],"metrics":[]})", "step_seconds"},
      {R"({"step_seconds":0,"start":0,"incident_start":1,"services":[],"metrics":[]})",
       "step_seconds"},
      {R"({"step_seconds":15,"start":"x","incident_start":1,"services":[],"metrics":[]})", "start"},
      {R"({"step_seconds":15,"start":0,"incident_start":1,"services":{},"metrics":[]})",
       "services"},
      {R"({"step_seconds":15,"start":0,"incident_start":1,"services":[{"name":""}],"metrics":[]})",
       "services[0].name"},
      {R"({"step_seconds":15,"start":0,"incident_start":1,"services":[],"metrics":[{"service":"a","name":"m","values":["x"]}]})",
       "metrics[0].values"},
      {R"({"step_seconds":15,"start":0,"incident_start":1,"services":[],"metrics":[],"calls":[{"from":"a"}]})",
       "calls[0].to"},
      {R"({"step_seconds":15,"start":0,"incident_start":1,"services":[],"metrics":[],"changes":[{"service":"a"}]})",
       "changes[0].at"},
      {R"({"step_seconds":15,"start":0,"incident_start":1,"services":[],"metrics":[],"alerts":[{"labels":1}]})",
       "alerts[0].labels"},
  };
  for (const Case& c : cases) {
    auto in = DecodeRcaScenarioText(c.json);
    ASSERT_FALSE(in.ok()) << c.json;
    EXPECT_EQ(in.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_NE(in.status().message().find(c.field), std::string::npos)
        << c.json << " -> " << in.status().message();
  }
  auto not_json = DecodeRcaScenarioText("{\"services\": [");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.status().code(), StatusCode::kParseError);
}

TEST(RcaInputTest, EnforcesLimits) {
  DecodeLimits limits;
  limits.max_points_total = 3;
  auto in = DecodeRcaScenarioText(kScenario, limits);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), StatusCode::kPayloadTooLarge);
  limits = DecodeLimits{};
  limits.max_services = 2;
  in = DecodeRcaScenarioText(kScenario, limits);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), StatusCode::kPayloadTooLarge);
}

}  // namespace
}  // namespace dai::rca
