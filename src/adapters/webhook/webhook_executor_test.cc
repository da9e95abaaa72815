#include "adapters/webhook/webhook_executor.h"

#include <gtest/gtest.h>

#include "adapters/http/loopback_test_server.h"

namespace dai::webhook {
namespace {

ActionRequest Request(const std::string& url) {
  ActionRequest r;
  r.action_id = 42;
  r.rule_name = "page";
  r.action_type = "http_request";
  r.target = "webhook";
  r.config = {{"url", url}, {"headers", {{"x-team", "sre"}}}};
  r.signal = {{"labels", {{"alertname", "Down"}, {"job", "\"; rm -rf / #"}}}};
  return r;
}

TEST(WebhookExecutor, PostsTheActionAsJson) {
  std::string seen;
  http::testing::LoopbackTestServer server(
      [&](const std::string& req) -> std::optional<std::string> {
        seen = req;
        return std::string(
            "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      });
  http::HttpClientOptions options;
  options.policy = http::OutboundPolicy::AllowLocal();
  WebhookExecutor exec(options);
  auto r = exec.Execute(Request("http://127.0.0.1:" + std::to_string(server.port()) + "/hook"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("status"), 204);
  EXPECT_EQ(seen.rfind("POST /hook HTTP/1.1", 0), 0u);
  EXPECT_NE(seen.find("x-team: sre"), std::string::npos);
  const auto body = ParseJson(seen.substr(seen.find("\r\n\r\n") + 4));
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)["actionId"], 42);
  EXPECT_EQ((*body)["signal"]["labels"]["job"], "\"; rm -rf / #");  // data, as sent
}

TEST(WebhookExecutor, NonSuccessStatusIsAFailure) {
  http::testing::LoopbackTestServer server([](const std::string&) -> std::optional<std::string> {
    return std::string("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  http::HttpClientOptions options;
  options.policy = http::OutboundPolicy::AllowLocal();
  WebhookExecutor exec(options);
  auto r = exec.Execute(Request("http://127.0.0.1:" + std::to_string(server.port()) + "/hook"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("HTTP 500"), std::string::npos);
}

TEST(WebhookExecutor, MetadataAddressIsRefusedBeforeConnecting) {
  bool connected = false;
  http::HttpClientOptions options;
  options.on_connect = [&](const http::IpAddress&) { connected = true; };
  WebhookExecutor exec(options);
  auto r = exec.Execute(Request("http://169.254.169.254/latest/meta-data/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(connected);
  auto dry = exec.DryRun(Request("http://user:pw@example.com/x"));
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->at("would").get<std::string>().find("pw"), std::string::npos);
}

}  // namespace
}  // namespace dai::webhook
