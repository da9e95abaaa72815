// The Cost Optimizer's utilization collector and real-time estimate against Debian's real
// Prometheus scraping Debian's real node_exporter (this host) and a fixture exporter: a
// /metrics text file with cAdvisor and kube-state-metrics series for two containers, served on
// loopback by python3's http.server and rewritten by the test every 200 ms (CPU counters grow at
// a known rate). CollectUtilization writes resource_utilization rows; Estimate prices the host
// and the containers with OpenCost's method; the hourly job's body moves its cursor.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "adapters/prometheus/prometheus_client.h"
#include "modules/cost/cost_service.h"
#include "process_harness.h"
#include "store/migrations.h"

namespace dai::costopt {
namespace {

using dai::testing::ChildProcess;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr double kMiB = 1024.0 * 1024.0;

class CostUtilizationIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto node_port = dai::testing::FreeLoopbackPort();
    auto fixture_port = dai::testing::FreeLoopbackPort();
    auto prom_port = dai::testing::FreeLoopbackPort();
    ASSERT_TRUE(node_port.ok() && fixture_port.ok() && prom_port.ok());
    node_addr_ = "127.0.0.1:" + std::to_string(*node_port);
    const std::string fixture_addr = "127.0.0.1:" + std::to_string(*fixture_port);
    prom_url_ = "http://127.0.0.1:" + std::to_string(*prom_port);
    ASSERT_TRUE(dai::testing::WriteFile(dir_.path() + "/prometheus.yml",
                                        "global:\n  scrape_interval: 1s\n"
                                        "scrape_configs:\n"
                                        "  - job_name: node\n    static_configs:\n"
                                        "      - targets: ['" +
                                            node_addr_ +
                                            "']\n"
                                            "  - job_name: kubernetes\n    static_configs:\n"
                                            "      - targets: ['" +
                                            fixture_addr + "']\n")
                    .ok());
    std::filesystem::create_directories(dir_.path() + "/www");
    WriteMetrics();
    writer_ = std::thread([this] {
      while (!stop_.load()) {
        WriteMetrics();
        std::this_thread::sleep_for(milliseconds(200));
      }
    });
    auto node =
        ChildProcess::Start({"prometheus-node-exporter", "--web.listen-address=" + node_addr_},
                            {.env = {}, .log_file = dir_.path() + "/node.log", .cwd = {}});
    ASSERT_TRUE(node.ok()) << node.status().ToString() << " (install prometheus-node-exporter)";
    node_.emplace(std::move(*node));
    auto fixture =
        ChildProcess::Start({"python3", "-m", "http.server", "--bind", "127.0.0.1",
                             std::to_string(*fixture_port), "--directory", dir_.path() + "/www"},
                            {.env = {}, .log_file = dir_.path() + "/fixture.log", .cwd = {}});
    ASSERT_TRUE(fixture.ok()) << fixture.status().ToString();
    fixture_.emplace(std::move(*fixture));
    auto prom =
        ChildProcess::Start({"prometheus", "--config.file=" + dir_.path() + "/prometheus.yml",
                             "--storage.tsdb.path=" + dir_.path() + "/data",
                             "--web.listen-address=127.0.0.1:" + std::to_string(*prom_port)},
                            {.env = {}, .log_file = dir_.path() + "/prometheus.log", .cwd = {}});
    ASSERT_TRUE(prom.ok()) << prom.status().ToString() << " (install prometheus)";
    prom_.emplace(std::move(*prom));

    prometheus::PrometheusOptions options;
    options.base_url = prom_url_;
    options.http.policy = http::OutboundPolicy::AllowLocal();
    options.http.total_timeout = seconds(20);
    auto client = prometheus::PrometheusClient::Create(options);
    ASSERT_TRUE(client.ok());
    client_.emplace(std::move(*client));
    Status ready = dai::testing::WaitForHttp(
        prom_url_ + "/-/ready", [](const http::HttpClientResponse& r) { return r.status == 200; },
        steady_clock::now() + seconds(30));
    ASSERT_TRUE(ready.ok()) << ready.ToString() << "\n" << Logs();
    // Bounded wait until both targets have two scrapes (irate needs two samples).
    const auto deadline = steady_clock::now() + seconds(40);
    bool up = false;
    while (!up && steady_clock::now() < deadline) {
      auto a = client_->Query("irate(container_cpu_usage_seconds_total[1m])");
      auto b = client_->Query("irate(node_cpu_seconds_total[1m])");
      up = a.ok() && b.ok() && a->result.is_array() && !a->result.empty() && b->result.is_array() &&
           !b->result.empty();
      if (!up) std::this_thread::sleep_for(milliseconds(250));
    }
    ASSERT_TRUE(up) << "the targets were never scraped twice\n" << Logs();
    // A few more scrapes so the hour has several samples.
    std::this_thread::sleep_for(seconds(3));

    store::DatabaseOptions db_options;
    db_options.url = dir_.path() + "/cost.db";
    auto db = store::OpenDatabase(db_options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(store::Migrate(*db_).ok());
  }

  void TearDown() override {
    stop_.store(true);
    if (writer_.joinable()) writer_.join();
    if (HasFailure()) std::cerr << Logs();
    if (prom_) {
      EXPECT_TRUE(prom_->Stop(SIGTERM, seconds(10)).ok());
    }
    if (fixture_) {
      EXPECT_TRUE(fixture_->Stop(SIGTERM, seconds(5)).ok());
    }
    if (node_) {
      EXPECT_TRUE(node_->Stop(SIGTERM, seconds(5)).ok());
    }
  }

  // checkout uses 0.25 cores of a 2-core request and 300 MiB of 1 GiB; worker (a StatefulSet
  // pod) 0.5 cores without a request; the pause container is left out by the collector.
  void WriteMetrics() {
    const double t = std::chrono::duration<double>(steady_clock::now() - started_).count() + 1000.0;
    char text[2048];
    std::snprintf(
        text, sizeof text,
        "# TYPE container_cpu_usage_seconds_total counter\n"
        "container_cpu_usage_seconds_total{namespace=\"shop\",pod=\"checkout-7d9f8c6b5d-x2x9z\","
        "container=\"app\"} %.3f\n"
        "container_cpu_usage_seconds_total{namespace=\"shop\",pod=\"checkout-7d9f8c6b5d-x2x9z\","
        "container=\"POD\"} %.3f\n"
        "container_cpu_usage_seconds_total{namespace=\"batch\",pod=\"worker-0\","
        "container=\"worker\"} %.3f\n"
        "# TYPE container_memory_working_set_bytes gauge\n"
        "container_memory_working_set_bytes{namespace=\"shop\",pod=\"checkout-7d9f8c6b5d-x2x9z\","
        "container=\"app\"} %.0f\n"
        "container_memory_working_set_bytes{namespace=\"batch\",pod=\"worker-0\","
        "container=\"worker\"} %.0f\n"
        "# TYPE kube_pod_container_resource_requests gauge\n"
        "kube_pod_container_resource_requests{namespace=\"shop\",pod=\"checkout-7d9f8c6b5d-x2x9z\","
        "container=\"app\",resource=\"cpu\",unit=\"core\"} 2\n"
        "kube_pod_container_resource_requests{namespace=\"shop\",pod=\"checkout-7d9f8c6b5d-x2x9z\","
        "container=\"app\",resource=\"memory\",unit=\"byte\"} %.0f\n",
        0.25 * t, 0.001 * t, 0.5 * t, 300 * kMiB, 700 * kMiB, 1024 * kMiB);
    // Replaced atomically, so a scrape never reads half a file.
    const std::string tmp = dir_.path() + "/www/.metrics.tmp";
    if (dai::testing::WriteFile(tmp, text).ok())
      std::rename(tmp.c_str(), (dir_.path() + "/www/metrics").c_str());
  }

  std::string Logs() const {
    auto tail = [](const std::string& path) {
      std::string s = dai::testing::ReadFileOrEmpty(path);
      return s.size() > 3000 ? s.substr(s.size() - 3000) : s;
    };
    return "--- prometheus.log ---\n" + tail(dir_.path() + "/prometheus.log") +
           "--- node.log ---\n" + tail(dir_.path() + "/node.log") + "--- fixture.log ---\n" +
           tail(dir_.path() + "/fixture.log");
  }

  dai::testing::TempDir dir_{"dai-cost-it"};
  const steady_clock::time_point started_ = steady_clock::now();
  std::atomic<bool> stop_{false};
  std::thread writer_;
  std::string node_addr_, prom_url_;
  std::optional<ChildProcess> node_, fixture_, prom_;
  std::optional<prometheus::PrometheusClient> client_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(CostUtilizationIntegrationTest, CollectsUtilizationAndPricesTheHost) {
  CostServiceOptions options;
  options.prometheus = &*client_;
  options.prices.vcpu_hour = 0.04;
  options.prices.gib_hour = 0.005;
  CostService svc(*db_, SystemClock::Instance(), options, nullptr);
  const TimePoint now = SystemClock::Instance().Now();
  auto collected = svc.CollectUtilization(now - std::chrono::hours(1), now, seconds(1));
  ASSERT_TRUE(collected.ok()) << collected.status().ToString();
  EXPECT_EQ((*collected)["hosts"], 1) << collected->dump();
  EXPECT_EQ((*collected)["containers"], 2) << collected->dump();

  auto util = svc.GetUtilization({{"hours", 2}});
  ASSERT_TRUE(util.ok());
  std::map<std::string, Json> by_id;
  for (const auto& i : (*util)["items"]) by_id[i["resourceId"].get<std::string>()] = i;
  ASSERT_TRUE(by_id.count("shop/checkout/app")) << util->dump();
  const Json checkout = by_id["shop/checkout/app"];
  EXPECT_EQ(checkout["resourceType"], "container");
  EXPECT_DOUBLE_EQ(checkout["cpuRequest"].get<double>(), 2);
  EXPECT_DOUBLE_EQ(checkout["memoryRequest"].get<double>(), 1024 * kMiB);
  EXPECT_NEAR(checkout["cpuAvg"].get<double>(), 0.25, 0.05) << checkout.dump();
  EXPECT_DOUBLE_EQ(checkout["memoryMax"].get<double>(), 300 * kMiB);
  ASSERT_TRUE(by_id.count("batch/worker/worker")) << "a StatefulSet pod is named by its workload";
  EXPECT_TRUE(by_id["batch/worker/worker"]["cpuRequest"].is_null());
  EXPECT_NEAR(by_id["batch/worker/worker"]["cpuAvg"].get<double>(), 0.5, 0.1);
  ASSERT_TRUE(by_id.count("host/" + node_addr_)) << util->dump();
  const Json host = by_id["host/" + node_addr_];
  EXPECT_EQ(host["resourceType"], "host");
  EXPECT_GT(host["memoryAvg"].get<double>(), 0);
  EXPECT_GE(host["cpuAvg"].get<double>(), 0);
  // Collecting the same hour again replaces its rows.
  ASSERT_TRUE(svc.CollectUtilization(now - std::chrono::hours(1), now, seconds(1)).ok());
  // Three resources per collected hour (two if the data crossed an hour boundary).
  auto rows = db_->Query(
      "SELECT COUNT(*), COUNT(DISTINCT period_start) FROM resource_utilization WHERE source = "
      "'prometheus'");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows.at(0).GetInt(size_t{0}), 3 * rows->rows.at(0).GetInt(size_t{1}));

  // The real-time estimate: this host from node_exporter, containers at max(request, usage).
  auto est = svc.Estimate();
  ASSERT_TRUE(est.ok()) << est.status().ToString();
  ASSERT_EQ((*est)["hosts"].size(), 1u) << est->dump();
  const Json h = (*est)["hosts"][0];
  const double cores = h["cpuCores"].get<double>();
  EXPECT_GE(cores, 1);
  EXPECT_NEAR(h["assetHourly"].get<double>(),
              cores * 0.04 + h["memoryBytes"].get<double>() / cost::kGiB * 0.005, 1e-9);
  std::map<std::string, Json> containers;
  for (const auto& c : (*est)["containers"]) containers[c["id"].get<std::string>()] = c;
  ASSERT_TRUE(containers.count("shop/checkout-7d9f8c6b5d-x2x9z/app")) << est->dump();
  // The request (2 cores, 1 GiB) is above usage: it is what is paid for.
  EXPECT_NEAR(containers["shop/checkout-7d9f8c6b5d-x2x9z/app"]["hourly"].get<double>(),
              2 * 0.04 + 1 * 0.005, 1e-9);
  const Json w = containers["batch/worker-0/worker"];
  EXPECT_NEAR(w["hourly"].get<double>(), w["cpuUsage"].get<double>() * 0.04 + 700.0 / 1024 * 0.005,
              1e-9);
  const Json totals = (*est)["totals"];
  EXPECT_NEAR(
      totals["idleHourly"].get<double>(),
      std::max(0.0, totals["assetHourly"].get<double>() - totals["allocatedHourly"].get<double>()),
      1e-9);

  // The hourly job's body: the completed hours since the cursor, then the cursor moves.
  ASSERT_TRUE(svc.CollectUtilizationDue().ok());
  auto status = svc.CollectorStatus();
  ASSERT_TRUE(status.ok());
  ASSERT_EQ((*status)["collectors"].size(), 1u) << status->dump();
  EXPECT_EQ((*status)["collectors"][0]["name"], "prometheus.utilization");
  EXPECT_FALSE((*status)["collectors"][0]["cursor"].is_null());
  EXPECT_TRUE((*status)["collectors"][0]["lastError"].is_null());
}

// OpenCost's allocation API from a fake server (no Kubernetes here): python3's http.server
// serving a file in OpenCost's documented answer shape at /allocation/compute.
TEST(CostOpenCostIntegrationTest, PullsAllocationsIntoTheNamespaceBreakdown) {
  dai::testing::TempDir dir("dai-opencost-it");
  std::filesystem::create_directories(dir.path() + "/www/allocation");
  const int64_t today = ToUnixMillis(SystemClock::Instance().Now()) / 1000 / 86400 * 86400;
  auto day = [](int64_t t) { return FormatIso8601(FromUnixMillis(t * 1000)); };
  auto answer = [&](const std::string& shop_cpu) {
    std::string sets;
    for (int64_t d = today - 86400; d <= today; d += 86400) {
      const std::string window =
          R"({"start":")" + day(d) + R"(","end":")" + day(d + 86400) + R"("})";
      sets += std::string(sets.empty() ? "" : ",") + R"({"shop":{"name":"shop","properties":)" +
              R"({"cluster":"c1","namespace":"shop"},"window":)" + window + R"(,"cpuCost":)" +
              shop_cpu + R"(,"ramCost":0.4,"pvCost":0.1,"totalCost":2.0},)" +
              R"("batch":{"name":"batch","properties":{"namespace":"batch"},"window":)" + window +
              R"(,"cpuCost":0.7,"ramCost":0.3,"totalCost":1.0}})";
    }
    return R"({"code":200,"status":"success","data":[)" + sets + "]}";
  };
  ASSERT_TRUE(dai::testing::WriteFile(dir.path() + "/www/allocation/compute", answer("1.5")).ok());
  auto port = dai::testing::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  auto server = ChildProcess::Start({"python3", "-m", "http.server", "--bind", "127.0.0.1",
                                     std::to_string(*port), "--directory", dir.path() + "/www"},
                                    {.env = {}, .log_file = dir.path() + "/server.log", .cwd = {}});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string base = "http://127.0.0.1:" + std::to_string(*port);
  ASSERT_TRUE(dai::testing::WaitForHttp(
                  base + "/allocation/compute",
                  [](const http::HttpClientResponse& r) { return r.status == 200; },
                  steady_clock::now() + seconds(20))
                  .ok());
  store::DatabaseOptions db_options;
  db_options.url = dir.path() + "/cost.db";
  auto db = store::OpenDatabase(db_options);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(store::Migrate(**db).ok());
  CostServiceOptions options;
  options.opencost_url = base + "/";
  options.opencost_http.policy = http::OutboundPolicy::AllowLocal();
  CostService svc(**db, SystemClock::Instance(), options, nullptr);
  auto pulled = svc.PullOpenCost(1);
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ((*pulled)["allocations"], 4);
  EXPECT_EQ((*pulled)["namespaces"], 2);
  auto breakdown = [&]() {
    return svc.GetCosts(
        {{"start", day(today - 86400)}, {"end", day(today + 86400)}, {"groupBy", "namespace"}});
  };
  auto costs = breakdown();
  ASSERT_TRUE(costs.ok()) << costs.status().ToString();
  std::map<std::string, double> ns;
  for (const auto& g : (*costs)["groups"]) ns[g["key"]] = g["effectiveCost"].get<double>();
  EXPECT_NEAR(ns["shop"], 4.0, 1e-9) << costs->dump();
  EXPECT_NEAR(ns["batch"], 2.0, 1e-9) << costs->dump();
  // Pulling again replaces the same windows.
  ASSERT_TRUE(svc.PullOpenCost(1).ok());
  auto again = breakdown();
  ASSERT_TRUE(again.ok());
  EXPECT_NEAR((*again)["effectiveCost"].get<double>(), 6.0, 1e-9);
  // A malformed answer is refused naming the field, and nothing changes.
  ASSERT_TRUE(
      dai::testing::WriteFile(dir.path() + "/www/allocation/compute", answer("\"lots\"")).ok());
  auto bad = svc.PullOpenCost(1);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("data[0][\"shop\"].cpuCost: expected a number"),
            std::string::npos)
      << bad.status().ToString();
  EXPECT_NEAR((*breakdown())["effectiveCost"].get<double>(), 6.0, 1e-9);
  // A wrong base URL: OpenCost's HTTP status is named.
  CostServiceOptions wrong = options;
  wrong.opencost_url = base + "/nothing-here";
  CostService svc2(**db, SystemClock::Instance(), wrong, nullptr);
  auto missing = svc2.PullOpenCost(1);
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(missing.status().message().find("HTTP 404"), std::string::npos);
  EXPECT_TRUE(server->Stop(SIGTERM, seconds(5)).ok());
}

}  // namespace
}  // namespace dai::costopt
