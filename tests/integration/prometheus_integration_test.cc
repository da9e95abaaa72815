// PrometheusClient against Debian's real Prometheus scraping a real node_exporter, both on
// free loopback ports with a 1 s scrape interval. Fails (does not skip) when the binaries are
// missing: scripts/bootstrap installs them.
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <thread>

#include "adapters/prometheus/prometheus_client.h"
#include "process_harness.h"

namespace dai::prometheus {
namespace {

using dai::testing::ChildProcess;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

class PrometheusIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto node_port = dai::testing::FreeLoopbackPort();
    auto prom_port = dai::testing::FreeLoopbackPort();
    ASSERT_TRUE(node_port.ok() && prom_port.ok());
    node_addr_ = "127.0.0.1:" + std::to_string(*node_port);
    prom_url_ = "http://127.0.0.1:" + std::to_string(*prom_port);
    ASSERT_TRUE(dai::testing::WriteFile(dir_.path() + "/test.rules.yml", R"(groups:
  - name: test
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {severity: info}
        annotations: {summary: "fires from the first evaluation"}
)")
                    .ok());
    ASSERT_TRUE(dai::testing::WriteFile(dir_.path() + "/prometheus.yml",
                                        "global:\n  scrape_interval: 1s\n"
                                        "  evaluation_interval: 1s\n"
                                        "rule_files: ['" +
                                            dir_.path() +
                                            "/test.rules.yml']\n"
                                            "scrape_configs:\n  - job_name: node\n"
                                            "    static_configs:\n      - targets: ['" +
                                            node_addr_ + "']\n")
                    .ok());

    auto node =
        ChildProcess::Start({"prometheus-node-exporter", "--web.listen-address=" + node_addr_},
                            {.env = {}, .log_file = dir_.path() + "/node.log", .cwd = {}});
    ASSERT_TRUE(node.ok()) << node.status().ToString() << " (install prometheus-node-exporter)";
    node_.emplace(std::move(*node));
    auto prom =
        ChildProcess::Start({"prometheus", "--config.file=" + dir_.path() + "/prometheus.yml",
                             "--storage.tsdb.path=" + dir_.path() + "/data",
                             "--web.listen-address=127.0.0.1:" + std::to_string(*prom_port)},
                            {.env = {}, .log_file = dir_.path() + "/prometheus.log", .cwd = {}});
    ASSERT_TRUE(prom.ok()) << prom.status().ToString() << " (install prometheus)";
    prom_.emplace(std::move(*prom));

    PrometheusOptions options;
    options.base_url = prom_url_;
    options.http.policy = http::OutboundPolicy::AllowLocal();
    options.http.total_timeout = seconds(10);
    auto client = PrometheusClient::Create(options);
    ASSERT_TRUE(client.ok());
    client_.emplace(std::move(*client));

    Status ready = dai::testing::WaitForHttp(
        prom_url_ + "/-/ready", [](const http::HttpClientResponse& r) { return r.status == 200; },
        steady_clock::now() + seconds(30));
    ASSERT_TRUE(ready.ok()) << ready.ToString() << "\n" << Logs();
    // Bounded wait for the first successful scrape of node_exporter.
    const auto deadline = steady_clock::now() + seconds(30);
    bool up = false;
    while (!up && steady_clock::now() < deadline) {
      auto r = client_->Query("up{job=\"node\"} == 1");
      up = r.ok() && r->result.is_array() && r->result.size() == 1;
      if (!up) std::this_thread::sleep_for(milliseconds(200));
    }
    ASSERT_TRUE(up) << "node_exporter never scraped\n" << Logs();
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << Logs();
    if (prom_) {
      EXPECT_TRUE(prom_->Stop(SIGTERM, seconds(10)).ok());
    }
    if (node_) {
      EXPECT_TRUE(node_->Stop(SIGTERM, seconds(5)).ok());
    }
  }

  std::string Logs() const {
    return "--- prometheus.log (tail) ---\n" + Tail(dir_.path() + "/prometheus.log") +
           "--- node.log (tail) ---\n" + Tail(dir_.path() + "/node.log");
  }
  static std::string Tail(const std::string& path) {
    std::string s = dai::testing::ReadFileOrEmpty(path);
    return s.size() > 3000 ? s.substr(s.size() - 3000) : s;
  }

  dai::testing::TempDir dir_{"dai-prom-it"};
  std::string node_addr_, prom_url_;
  std::optional<ChildProcess> node_, prom_;
  std::optional<PrometheusClient> client_;
};

TEST_F(PrometheusIntegrationTest, QueryQueryRangeTargetsAlertsAndErrors) {
  EXPECT_TRUE(client_->Ready().ok());

  // Instant query, typed.
  auto up = client_->Query("up", std::chrono::system_clock::now());
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->result_type, "vector");
  auto series = ParseSeries(*up);
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 1u);
  EXPECT_EQ(series->at(0).labels.at("job"), "node");
  EXPECT_EQ(series->at(0).labels.at("instance"), node_addr_);
  EXPECT_EQ(series->at(0).points.at(0).value, 1.0);

  // Characters that must be form-encoded (&, +, =, quotes, braces, regex) reach Prometheus intact.
  auto cpus =
      client_->Query("count(node_cpu_seconds_total{mode=~\"idle|user\", job!=\"a&b=c+d\"}) + 0");
  ASSERT_TRUE(cpus.ok()) << cpus.status().ToString();
  auto cpu_series = ParseSeries(*cpus);
  ASSERT_TRUE(cpu_series.ok());
  ASSERT_EQ(cpu_series->size(), 1u);
  EXPECT_GE(cpu_series->at(0).points.at(0).value, 2.0);  // idle and user per CPU

  // A scalar result.
  auto scalar = client_->Query("scalar(vector(2.5))");
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->result_type, "scalar");
  EXPECT_EQ(ParseSeries(*scalar)->at(0).points.at(0).value, 2.5);

  // Range query over the last seconds: at 1 s scrapes there are several samples of 1.
  std::this_thread::sleep_for(seconds(2));
  const auto now = std::chrono::system_clock::now();
  auto range = client_->QueryRange("up{job=\"node\"}", now - seconds(3), now, seconds(1));
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(range->result_type, "matrix");
  auto matrix = ParseSeries(*range);
  ASSERT_TRUE(matrix.ok());
  ASSERT_EQ(matrix->size(), 1u);
  EXPECT_GE(matrix->at(0).points.size(), 2u);
  for (const MetricPoint& p : matrix->at(0).points) EXPECT_EQ(p.value, 1.0);
  for (size_t i = 1; i < matrix->at(0).points.size(); ++i) {
    EXPECT_EQ(matrix->at(0).points[i].time - matrix->at(0).points[i - 1].time, seconds(1));
  }

  // Targets.
  auto targets = client_->Targets();
  ASSERT_TRUE(targets.ok()) << targets.status().ToString();
  ASSERT_TRUE((*targets)["activeTargets"].is_array());
  ASSERT_EQ((*targets)["activeTargets"].size(), 1u);
  EXPECT_EQ((*targets)["activeTargets"][0]["labels"]["job"], "node");
  EXPECT_EQ((*targets)["activeTargets"][0]["health"], "up");

  // Alerts: the always-firing rule shows up after an evaluation.
  bool firing = false;
  for (int i = 0; i < 50 && !firing; ++i) {
    auto alerts = client_->Alerts();
    ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
    for (const Json& a : (*alerts)["alerts"]) {
      firing = firing || (a["labels"]["alertname"] == "AlwaysFiring" && a["state"] == "firing");
    }
    if (!firing) std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_TRUE(firing);

  // Bad PromQL: INVALID_ARGUMENT with Prometheus's own message.
  auto bad = client_->Query("up{job=");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("bad_data"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("parse error"), std::string::npos)
      << bad.status().message();
  // Too many points for one range query: refused by Prometheus as bad_data.
  auto huge = client_->QueryRange("up", now - std::chrono::hours(24), now, milliseconds(1));
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(huge.status().message().find("resolution"), std::string::npos)
      << huge.status().message();
}

TEST_F(PrometheusIntegrationTest, MetricsSourcePortAndUnavailableAfterStop) {
  PrometheusMetricsSource source(*client_);
  EXPECT_TRUE(source.Check().ok());
  auto instant = source.Instant("up{job=\"node\"}", std::chrono::system_clock::now());
  ASSERT_TRUE(instant.ok()) << instant.status().ToString();
  ASSERT_EQ(instant->size(), 1u);
  EXPECT_EQ(instant->at(0).points.at(0).value, 1.0);
  std::this_thread::sleep_for(seconds(2));  // two samples inside the 5 s window
  const auto now = std::chrono::system_clock::now();
  auto range = source.Range("rate(node_cpu_seconds_total{mode=\"idle\"}[5s])", now - seconds(2),
                            now, seconds(1));
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_FALSE(range->empty());

  ASSERT_TRUE(prom_->Stop(SIGTERM, seconds(10)).ok());
  Status down = source.Check();
  EXPECT_EQ(down.code(), StatusCode::kUnavailable) << down.ToString();
  auto failed = source.Instant("up", std::chrono::system_clock::now());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace dai::prometheus
