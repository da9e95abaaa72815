#include "modules/incident_commander/incident_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "store/migrations.h"

namespace dai::incidents {
namespace {

class IncidentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dai-incidents-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = store::OpenDatabase({.url = (dir_ / "t.db").string()});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(store::Migrate(*db_).ok());
    svc_ = std::make_unique<IncidentService>(*db_, clock_, IncidentServiceOptions{},
                                             [this](const std::string& type, const std::string&) {
                                               // Ingest publishes from each caller's thread.
                                               std::lock_guard<std::mutex> lock(events_mu_);
                                               events_.push_back(type);
                                             });
  }
  void TearDown() override {
    svc_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  alerts::AlertBatch Batch(const std::string& body) {
    auto b = alerts::DecodeAlertmanagerWebhook(body, clock_.Now());
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? *b : alerts::AlertBatch{};
  }

  static std::string Payload(const std::string& status, const std::string& alertname, const std::string& service,
                             const std::string& severity = "warning") {
    return R"({"version":"4","status":")" + status + R"(","alerts":[{"labels":{"alertname":")" + alertname +
           R"(","service":")" + service + R"(","severity":")" + severity +
           R"("},"annotations":{"summary":")" + alertname + R"( is bad"},"startsAt":"2023-11-14T22:10:00Z"}]})";
  }

  std::filesystem::path dir_;
  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<IncidentService> svc_;
  std::mutex events_mu_;
  std::vector<std::string> events_;
};

TEST_F(IncidentServiceTest, AlertLifecycleOpensGroupsAndAutoResolves) {
  auto r = svc_->Ingest(Batch(Payload("firing", "HighLatency", "api")), "alertmanager");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->opened, 1);
  clock_.Advance(Millis(30'000));
  r = svc_->Ingest(Batch(Payload("firing", "ErrorRate", "api", "critical")), "alertmanager");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->attached, 1);
  // A flood of duplicates only refreshes.
  for (int i = 0; i < 20; ++i) {
    r = svc_->Ingest(Batch(Payload("firing", "HighLatency", "api")), "alertmanager");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->refreshed, 1);
  }
  auto list = svc_->List(Json::object());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["total"], 1);
  const int64_t id = (*list)["items"][0]["id"];
  EXPECT_EQ((*list)["items"][0]["severity"], "critical");
  EXPECT_EQ((*list)["items"][0]["alertCount"], 2);
  EXPECT_EQ(svc_->alerts_received(), 22);
  EXPECT_EQ(svc_->incidents_opened(), 1);

  // Both alerts resolve → the incident resolves itself.
  r = svc_->Ingest(Batch(Payload("resolved", "HighLatency", "api")), "alertmanager");
  ASSERT_TRUE(r.ok());
  auto inc = svc_->Get(id);
  EXPECT_EQ((*inc)["status"], "detected");
  r = svc_->Ingest(Batch(Payload("resolved", "ErrorRate", "api", "critical")), "alertmanager");
  ASSERT_TRUE(r.ok());
  inc = svc_->Get(id);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ((*inc)["status"], "resolved");
  EXPECT_EQ((*inc)["alerts"].size(), 2u);
  const auto& timeline = (*inc)["timeline"];
  ASSERT_GE(timeline.size(), 5u);
  EXPECT_EQ(timeline.back()["type"], "resolve");
  EXPECT_FALSE(events_.empty());

  // Fires again soon: the same incident reopens (no new incident).
  clock_.Advance(Millis(60'000));
  r = svc_->Ingest(Batch(Payload("firing", "HighLatency", "api")), "alertmanager");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reopened, 1);
  EXPECT_EQ((*svc_->List(Json::object()))["total"], 1);
}

TEST_F(IncidentServiceTest, AcknowledgeAndResolveByOperator) {
  ASSERT_TRUE(svc_->Ingest(Batch(Payload("firing", "DiskFull", "db")), "alertmanager").ok());
  const int64_t id = (*svc_->List(Json::object()))["items"][0]["id"];
  Identity op;
  op.username = "alice";
  auto ack = svc_->Acknowledge(id, op, "looking");
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  EXPECT_EQ((*ack)["status"], "investigating");
  EXPECT_EQ(svc_->Acknowledge(id, op, "").status().code(), StatusCode::kConflict);
  auto res = svc_->Resolve(id, op, "freed space");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ((*res)["status"], "resolved");
  EXPECT_EQ((*res)["rootCause"], "freed space");
  EXPECT_EQ(svc_->Resolve(id, op, "").status().code(), StatusCode::kConflict);
  EXPECT_EQ(svc_->Get(999).status().code(), StatusCode::kNotFound);
}

TEST_F(IncidentServiceTest, InhibitedWarningsOpenNothing) {
  ASSERT_TRUE(svc_->Ingest(Batch(Payload("firing", "Down", "api", "critical")), "am").ok());
  auto r = svc_->Ingest(Batch(Payload("firing", "Slow", "api", "warning")), "am");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inhibited, 1);
  EXPECT_EQ((*svc_->List(Json::object()))["total"], 1);
}

TEST_F(IncidentServiceTest, InhibitionIsScopedToTheAlertsService) {
  ASSERT_TRUE(svc_->Ingest(Batch(Payload("firing", "Down", "api", "critical")), "am").ok());
  // Another service's warning is not hidden by api's critical alert.
  auto r = svc_->Ingest(Batch(Payload("firing", "Slow", "db", "warning")), "am");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inhibited, 0);
  EXPECT_EQ(r->opened, 1);
  // api's warning is; once api's critical alert resolves, a new warning is not.
  r = svc_->Ingest(Batch(Payload("firing", "Slow", "api", "warning")), "am");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inhibited, 1);
  ASSERT_TRUE(svc_->Ingest(Batch(Payload("resolved", "Down", "api", "critical")), "am").ok());
  r = svc_->Ingest(Batch(Payload("firing", "Latency", "api", "warning")), "am");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inhibited, 0);
  auto col = db_->Query("SELECT service FROM alerts WHERE alertname = 'Slow' ORDER BY service");
  ASSERT_TRUE(col.ok());
  ASSERT_EQ(col->rows.size(), 2u);
  EXPECT_EQ(col->rows[0].GetString(0), "api");
  EXPECT_EQ(col->rows[1].GetString(0), "db");
}

// Concurrent callers share transactions (group commit): every alert of every call is stored
// once, each call's result counts only its own alerts, and grouping is what sequential
// ingestion would decide (one incident per service).
TEST_F(IncidentServiceTest, ConcurrentIngestCommitsEveryAlertOnce) {
  constexpr int kThreads = 8, kCalls = 20, kPerCall = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0}, counted{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        std::string alerts;
        for (int k = 0; k < kPerCall; ++k) {
          alerts += std::string(alerts.empty() ? "" : ",") + R"({"labels":{"alertname":"A)" +
                    std::to_string(c) + R"(","service":"svc-)" + std::to_string(k) + R"(","instance":"t)" +
                    std::to_string(t) + "-" + std::to_string(c) + "-" + std::to_string(k) +
                    R"(","severity":"warning"},"startsAt":"2023-11-14T22:10:00Z"})";
        }
        auto r = svc_->Ingest(Batch(R"({"version":"4","status":"firing","alerts":[)" + alerts + "]}"), "am");
        if (!r.ok()) {
          ++failures;
          continue;
        }
        counted += r->alerts;
        if (r->opened + r->attached != kPerCall) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(counted.load(), kThreads * kCalls * kPerCall);
  auto stored = db_->Query("SELECT count(*), max(receive_count) FROM alerts");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->rows[0].GetInt(0), kThreads * kCalls * kPerCall);
  EXPECT_EQ(stored->rows[0].GetInt(1), 1);
  auto members = db_->Query("SELECT count(*) FROM incident_alerts");
  EXPECT_EQ(members->rows[0].GetInt(0), kThreads * kCalls * kPerCall);
  EXPECT_EQ((*svc_->List(Json::object()))["total"], kPerCall);
  EXPECT_EQ(svc_->alerts_received(), kThreads * kCalls * kPerCall);
  EXPECT_GE(svc_->ingest_transactions(), 1);
  EXPECT_LE(svc_->ingest_transactions(), kThreads * kCalls);
}

TEST_F(IncidentServiceTest, FiltersAndPagination) {
  for (const char* svc : {"a", "b", "c"}) {
    ASSERT_TRUE(svc_->Ingest(Batch(Payload("firing", std::string("Alert-") + svc, svc)), "am").ok());
  }
  auto page = svc_->List(Json{{"limit", 2}, {"offset", 0}});
  EXPECT_EQ((*page)["items"].size(), 2u);
  EXPECT_EQ((*page)["total"], 3);
  auto search = svc_->List(Json{{"search", "alert-b"}});
  EXPECT_EQ((*search)["total"], 1);
  auto none = svc_->List(Json{{"status", "resolved"}});
  EXPECT_EQ((*none)["total"], 0);
}

}  // namespace
}  // namespace dai::incidents
