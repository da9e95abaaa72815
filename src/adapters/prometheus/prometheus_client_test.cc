#include "adapters/prometheus/prometheus_client.h"

#include <gtest/gtest.h>

#include <cmath>

#include "adapters/http/loopback_test_server.h"

namespace dai::prometheus {
namespace {

using http::testing::LoopbackTestServer;
using std::chrono::milliseconds;

QueryData Data(const char* type, const char* result) {
  return QueryData{type, Json::parse(result), {}};
}

TEST(ParseSeriesTest, Matrix) {
  auto s = ParseSeries(Data("matrix", R"([
    {"metric":{"__name__":"up","job":"node"},"values":[[1700000000,"1"],[1700000001.5,"0"]]},
    {"metric":{"job":"x"},"values":[[1700000000,"NaN"],[1700000001,"+Inf"]]}])"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].labels.at("job"), "node");
  ASSERT_EQ((*s)[0].points.size(), 2u);
  EXPECT_EQ(ToUnixMillis((*s)[0].points[1].time), 1700000001500);
  EXPECT_EQ((*s)[0].points[1].value, 0.0);
  EXPECT_TRUE(std::isnan((*s)[1].points[0].value));
  EXPECT_TRUE(std::isinf((*s)[1].points[1].value));
}

TEST(ParseSeriesTest, VectorAndScalar) {
  auto v = ParseSeries(Data("vector", R"([{"metric":{},"value":[1700000000.123,"42.5"]}])"));
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->size(), 1u);
  EXPECT_TRUE((*v)[0].labels.empty());
  EXPECT_EQ((*v)[0].points.at(0).value, 42.5);
  EXPECT_EQ(ToUnixMillis((*v)[0].points[0].time), 1700000000123);
  auto sc = ParseSeries(Data("scalar", R"([1700000000,"3"])"));
  ASSERT_TRUE(sc.ok());
  EXPECT_EQ(sc->at(0).points.at(0).value, 3.0);
}

TEST(ParseSeriesTest, RejectsWrongShapesNamingTheField) {
  auto bad = ParseSeries(Data("matrix", R"([{"metric":{"a":1},"values":[]}])"));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("result[0].metric.a"), std::string::npos);
  bad = ParseSeries(Data("vector", R"([{"metric":{},"value":[1,"x1"]}])"));
  EXPECT_NE(bad.status().message().find("not a number"), std::string::npos);
  bad = ParseSeries(Data("vector", R"([{"metric":{},"value":["1","1"]}])"));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSeries(Data("string", R"([1,"a"])")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSeries(Data("matrix", R"({})")).status().code(), StatusCode::kInvalidArgument);
}

TEST(PrometheusErrorStatusTest, MapsErrorTypes) {
  Status s = PrometheusErrorStatus("bad_data", "parse error at char 5");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("parse error at char 5"), std::string::npos);
  EXPECT_EQ(PrometheusErrorStatus("timeout", "").code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(PrometheusErrorStatus("execution", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PrometheusErrorStatus("internal", "").code(), StatusCode::kInternal);
  EXPECT_EQ(PrometheusErrorStatus("unavailable", "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(PrometheusErrorStatus("canceled", "").code(), StatusCode::kUnavailable);
}

TEST(PrometheusTimeTest, SecondsWithMillis) {
  EXPECT_EQ(PrometheusTime(FromUnixMillis(1700000000123)), "1700000000.123");
  EXPECT_EQ(PrometheusTime(FromUnixMillis(5)), "0.005");
}

PrometheusOptions LocalOptions(uint16_t port) {
  PrometheusOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/";
  o.http.policy = http::OutboundPolicy::AllowLocal();
  o.http.total_timeout = milliseconds(3000);
  return o;
}

TEST(PrometheusClientTest, QueryPostsUrlEncodedFormWithAuth) {
  LoopbackTestServer server([](const std::string&) {
    return LoopbackTestServer::Response(
        200,
        R"({"status":"success","data":{"resultType":"vector","result":[]},"warnings":["w1"]})");
  });
  PrometheusOptions o = LocalOptions(server.port());
  o.bearer_token = "tok3n";
  o.query_timeout = milliseconds(2500);
  auto client = PrometheusClient::Create(o);
  ASSERT_TRUE(client.ok());
  auto r = client->Query("sum by (job) (rate(x{a=\"b&c=d\"}[5m]))", FromUnixMillis(1700000000000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result_type, "vector");
  EXPECT_EQ(r->warnings, std::vector<std::string>{"w1"});
  const std::string req = server.requests().at(0);
  EXPECT_EQ(req.rfind("POST /api/v1/query HTTP/1.1", 0), 0u) << req;
  EXPECT_NE(req.find("Authorization: Bearer tok3n"), std::string::npos);
  EXPECT_NE(req.find("Content-Type: application/x-www-form-urlencoded"), std::string::npos);
  EXPECT_NE(req.find("\r\n\r\nquery=sum%20by%20%28job%29%20%28rate%28x%7Ba%3D%22b%26c%3Dd%22%7D"
                     "%5B5m%5D%29%29&time=1700000000.000&timeout=2500ms"),
            std::string::npos)
      << req;
}

TEST(PrometheusClientTest, QueryRangeSendsBoundsAndValidatesThem) {
  LoopbackTestServer server([](const std::string&) {
    return LoopbackTestServer::Response(
        200, R"({"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{"job":"a"},"values":[[1700000000,"1"],[1700000015,"2"]]}]}})");
  });
  PrometheusOptions o = LocalOptions(server.port());
  o.basic_auth = std::make_pair(std::string("ann"), std::string("pw"));
  auto client = PrometheusClient::Create(o);
  ASSERT_TRUE(client.ok());
  PrometheusMetricsSource source(*client);
  auto r = source.Range("up", FromUnixMillis(1700000000000), FromUnixMillis(1700000015000),
                        milliseconds(15000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].points.size(), 2u);
  const std::string req = server.requests().at(0);
  EXPECT_EQ(req.rfind("POST /api/v1/query_range HTTP/1.1", 0), 0u);
  EXPECT_NE(req.find("Authorization: Basic YW5uOnB3"), std::string::npos) << req;
  EXPECT_NE(req.find("query=up&start=1700000000.000&end=1700000015.000&step=15.000"),
            std::string::npos)
      << req;
  EXPECT_EQ(client->QueryRange("up", FromUnixMillis(2), FromUnixMillis(1), milliseconds(1))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client->QueryRange("up", FromUnixMillis(1), FromUnixMillis(2), milliseconds(0))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(server.requests().size(), 1u);  // invalid ranges were never sent
}

TEST(PrometheusClientTest, ApiErrorsKeepPrometheusMessage) {
  LoopbackTestServer server([](const std::string& req) -> std::optional<std::string> {
    if (req.find("/-/ready") != std::string::npos) {
      return LoopbackTestServer::Response(503, "Service Unavailable");
    }
    if (req.find("/api/v1/targets") != std::string::npos) {
      return LoopbackTestServer::Response(502, "<html>bad gateway</html>");
    }
    if (req.find("/api/v1/alerts") != std::string::npos) {
      return LoopbackTestServer::Response(401, "Unauthorized");
    }
    return LoopbackTestServer::Response(
        400, R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected"})");
  });
  auto client = PrometheusClient::Create(LocalOptions(server.port()));
  ASSERT_TRUE(client.ok());
  auto q = client->Query("up{");
  EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(q.status().message().find("1:5: parse error: unexpected"), std::string::npos);
  Status ready = client->Ready();
  EXPECT_EQ(ready.code(), StatusCode::kUnavailable);
  EXPECT_NE(ready.message().find("503"), std::string::npos);
  auto t = client->Targets();
  EXPECT_EQ(t.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(t.status().message().find("bad gateway"), std::string::npos);
  EXPECT_EQ(client->Alerts().status().code(), StatusCode::kFailedPrecondition);
}

TEST(PrometheusClientTest, CreateValidatesTheUrlAndPolicyApplies) {
  EXPECT_EQ(PrometheusClient::Create({.base_url = "ftp://x"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PrometheusClient::Create({.base_url = "http://x/?q=1"}).status().code(),
            StatusCode::kInvalidArgument);
  // The default outbound policy does not allow a metadata address, even for Prometheus.
  PrometheusOptions o;
  o.base_url = "http://169.254.169.254:9090";
  o.http.policy = http::OutboundPolicy::AllowLocal();
  auto client = PrometheusClient::Create(o);
  ASSERT_TRUE(client.ok());
  auto r = client->Query("up");
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message().rfind("prometheus: ", 0), 0u) << r.status().message();
}

}  // namespace
}  // namespace dai::prometheus
