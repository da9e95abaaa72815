#include "server/metrics.h"

#include <gtest/gtest.h>

#include "server/http_server.h"
#include "server/http_test_client.h"

namespace dai::server {
namespace {

bool Contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

TEST(MetricsTest, RendersEverySeries) {
  Metrics metrics("1.2.3");
  metrics.ObserveRequest("incidentCommander.list", 200, 0.004);
  metrics.ObserveRequest("incidentCommander.list", 200, 0.2);
  metrics.ObserveRequest("incidentCommander.list", 404, 0.001);
  metrics.SetJobsQueueDepth("pending", 3);
  metrics.IncJobs("scan", "succeeded");
  metrics.IncStoreErrors("insert_incident");
  metrics.SetSseClients(2);
  std::string text = metrics.Render();
  EXPECT_TRUE(Contains(text, "# TYPE devops_ai_http_requests_total counter")) << text;
  EXPECT_TRUE(Contains(
      text, "devops_ai_http_requests_total{procedure=\"incidentCommander.list\",status=\"200\"} 2"))
      << text;
  EXPECT_TRUE(Contains(
      text,
      "devops_ai_http_requests_total{procedure=\"incidentCommander.list\",status=\"404\"} 1"));
  EXPECT_TRUE(Contains(text, "# TYPE devops_ai_http_request_duration_seconds histogram"));
  EXPECT_TRUE(
      Contains(text,
               "devops_ai_http_request_duration_seconds_count{procedure=\"incidentCommander."
               "list\"} 3"));
  EXPECT_TRUE(
      Contains(text,
               "devops_ai_http_request_duration_seconds_bucket{procedure=\"incidentCommander."
               "list\",le=\"0.005\"} 2"))
      << text;
  EXPECT_TRUE(Contains(text, "devops_ai_jobs_queue_depth{state=\"pending\"} 3"));
  EXPECT_TRUE(Contains(text, "devops_ai_jobs_total{kind=\"scan\",outcome=\"succeeded\"} 1"));
  EXPECT_TRUE(Contains(text, "devops_ai_store_errors_total{op=\"insert_incident\"} 1"));
  EXPECT_TRUE(Contains(text, "devops_ai_build_info{version=\"1.2.3\"} 1"));
  EXPECT_TRUE(Contains(text, "devops_ai_sse_clients 2"));
}

TEST(MetricsTest, BoundsLabelCardinality) {
  Metrics metrics("v");
  for (std::size_t i = 0; i < Metrics::kMaxLabelValues + 20; ++i) {
    std::string name = std::to_string(i);
    name.insert(name.begin(), 'p');  // not "p" + ...: GCC 12 -O3 -Wrestrict false positive
    metrics.ObserveRequest(name, 200, 0.001);
  }
  std::string text = metrics.Render();
  EXPECT_TRUE(Contains(text, "procedure=\"p0\""));
  EXPECT_TRUE(
      Contains(text, "devops_ai_http_requests_total{procedure=\"other\",status=\"200\"} 20"))
      << text.substr(0, 300);
  std::string late = std::to_string(Metrics::kMaxLabelValues + 5);
  late.insert(0, "procedure=\"p");
  late.push_back('"');
  EXPECT_FALSE(Contains(text, late));
}

TEST(MetricsTest, ServerHookFeedsTheRequestSeries) {
  auto metrics = std::make_shared<Metrics>("test");
  HttpServerOptions options;
  options.threads = 1;
  options.on_response = [metrics](const HttpRequest&, const HttpResponse& response,
                                  std::chrono::nanoseconds duration) {
    metrics->ObserveRequest(response.route_label, response.status,
                            std::chrono::duration<double>(duration).count());
  };
  HttpServer server(options);
  server.Handle("GET", "/healthz",
                [](const HttpRequest&) { return HttpResponse::Text(200, "ok"); });
  server.Handle("GET", "/metrics", [metrics](const HttpRequest&) {
    return HttpResponse::Text(200, metrics->Render(), std::string(Metrics::kContentType));
  });
  ASSERT_TRUE(server.Start().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(testing::Fetch(server.port(), "GET", "/healthz"));
  ASSERT_TRUE(testing::Fetch(server.port(), "GET", "/no/such/path"));
  auto scrape = testing::Fetch(server.port(), "GET", "/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  EXPECT_EQ(scrape->Header("Content-Type"), std::string(Metrics::kContentType));
  EXPECT_TRUE(Contains(scrape->body,
                       "devops_ai_http_requests_total{procedure=\"/healthz\",status=\"200\"} 3"))
      << scrape->body;
  EXPECT_TRUE(Contains(scrape->body,
                       "devops_ai_http_requests_total{procedure=\"unmatched\",status=\"404\"} 1"));
  EXPECT_FALSE(Contains(scrape->body, "/no/such/path"));
  server.Stop();
}

}  // namespace
}  // namespace dai::server
