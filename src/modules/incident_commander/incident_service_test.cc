#include "modules/incident_commander/incident_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "modules/incident_commander/rca_service.h"
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

  static std::string Payload(const std::string& status, const std::string& alertname,
                             const std::string& service, const std::string& severity = "warning") {
    return R"({"version":"4","status":")" + status + R"(","alerts":[{"labels":{"alertname":")" +
           alertname + R"(","service":")" + service + R"(","severity":")" + severity +
           R"("},"annotations":{"summary":")" + alertname +
           R"( is bad"},"startsAt":"2023-11-14T22:10:00Z"}]})";
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
                    std::to_string(c) + R"(","service":"svc-)" + std::to_string(k) +
                    R"(","instance":"t)" + std::to_string(t) + "-" + std::to_string(c) + "-" +
                    std::to_string(k) +
                    R"(","severity":"warning"},"startsAt":"2023-11-14T22:10:00Z"})";
        }
        auto r = svc_->Ingest(
            Batch(R"({"version":"4","status":"firing","alerts":[)" + alerts + "]}"), "am");
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

TEST_F(IncidentServiceTest, DetailOfAFloodedIncidentIsBounded) {
  // 600 distinct alerts of one service join one incident, one second apart: the detail carries
  // the latest 500 (oldest of them first) and the true total, not every alert.
  int64_t incident = 0;
  for (int k = 0; k < 600; ++k) {
    auto r = svc_->Ingest(
        Batch(
            R"({"version":"4","status":"firing","alerts":[{"labels":{"alertname":"Flood","service":"api","instance":"i)" +
            std::to_string(k) + R"(","severity":"warning"},"startsAt":"2023-11-14T22:10:00Z"}]})"),
        "am");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    clock_.Advance(Millis(1000));
  }
  auto list = svc_->List(Json::object());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["total"], 1);
  incident = (*list)["items"][0]["id"].get<int64_t>();
  auto detail = svc_->Get(incident);
  ASSERT_TRUE(detail.ok()) << detail.status().ToString();
  EXPECT_EQ((*detail)["alertCount"], 600);
  ASSERT_EQ((*detail)["alerts"].size(), 500u);
  EXPECT_EQ((*detail)["alerts"][0]["labels"]["instance"], "i100");
  EXPECT_EQ((*detail)["alerts"][499]["labels"]["instance"], "i599");
  EXPECT_LT((*detail)["alerts"][0]["attachedAt"].get<std::string>(),
            (*detail)["alerts"][499]["attachedAt"].get<std::string>());
  EXPECT_GE((*detail)["timelineCount"].get<int64_t>(),
            static_cast<int64_t>((*detail)["timeline"].size()));
  EXPECT_GE((*detail)["timelineCount"].get<int64_t>(), 1);
}

// One transaction ingests a whole group of payloads from what it read once and kept current
// (incidents, inhibiting alerts, pending incident updates). The same alerts delivered one per
// call must leave the same incidents and alerts behind: this sequence opens, attaches,
// refreshes, inhibits with a critical alert that arrived earlier in the same transaction,
// stops inhibiting once that alert resolved, auto-resolves, reopens and ignores.
// Ingests `sequence` (alert objects of Alertmanager's payload) into `svc` in one call (one
// transaction) or one call per alert, and sums the results.
IngestResult IngestSequence(IncidentService& svc, const std::vector<std::string>& sequence,
                            bool one_call, const TimePoint now) {
  IngestResult total;
  auto add = [&](const IngestResult& r) {
    total.alerts += r.alerts;
    total.opened += r.opened;
    total.attached += r.attached;
    total.refreshed += r.refreshed;
    total.resolved_members += r.resolved_members;
    total.reopened += r.reopened;
    total.inhibited += r.inhibited;
    total.ignored += r.ignored;
  };
  auto batch = [&](const std::string& alerts) {
    auto b = alerts::DecodeAlertmanagerWebhook(
        R"({"version":"4","status":"firing","alerts":[)" + alerts + "]}", now,
        alerts::DecodeLimits{.max_alerts = 100000});
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? *b : alerts::AlertBatch{};
  };
  std::string body;
  for (const auto& a : sequence) {
    if (!one_call) {
      auto r = svc.Ingest(batch(a), "am");
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok()) add(*r);
    }
    body += (body.empty() ? "" : ",") + a;
  }
  if (one_call) {
    const int64_t before = svc.ingest_transactions();
    auto r = svc.Ingest(batch(body), "am");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) add(*r);
    EXPECT_EQ(svc.ingest_transactions(), before + 1);
  }
  return total;
}

// The incidents, alerts, memberships and (unless `timelines` is false) timelines of two stores
// are the same.
void ExpectSameStores(store::Database& a_db, store::Database& b_db, bool timelines = true) {
  const char* incidents_sql =
      "SELECT service, status, severity, alert_count, reopen_count, flapping, resolved_at IS NULL, "
      "last_signal_at, updated_at FROM incidents ORDER BY service";
  const char* alerts_sql =
      "SELECT a.alertname, a.fingerprint, a.status, i.service, a.inhibited_by IS NULL, "
      "a.receive_count, a.labels, a.first_received_at, a.last_received_at FROM alerts a "
      "LEFT JOIN incidents i ON i.id = a.incident_id ORDER BY a.fingerprint";
  const char* members_sql =
      "SELECT i.service, ia.fingerprint, ia.attached_at, ia.resolved_at FROM incident_alerts ia "
      "JOIN incidents i ON i.id = ia.incident_id ORDER BY i.service, ia.fingerprint";
  const char* timeline_sql =
      "SELECT i.service, a.action_type, a.description FROM incident_actions a JOIN incidents i "
      "ON i.id = a.incident_id ORDER BY i.service, a.id";
  for (const char* sql : {incidents_sql, alerts_sql, members_sql, timeline_sql}) {
    if (sql == timeline_sql && !timelines) continue;
    auto a = a_db.Query(sql);
    auto b = b_db.Query(sql);
    ASSERT_TRUE(a.ok() && b.ok()) << sql;
    ASSERT_EQ(a->rows.size(), b->rows.size()) << sql;
    for (size_t r = 0; r < a->rows.size(); ++r) {
      for (size_t c = 0; c < a->columns.size(); ++c) {
        EXPECT_EQ(a->rows[r].GetOptString(c), b->rows[r].GetOptString(c))
            << sql << " row " << r << " col " << c;
      }
    }
  }
}

TEST_F(IncidentServiceTest, OneTransactionDecidesLikeOneCallPerAlert) {
  auto alert = [](const std::string& status, const std::string& name, const std::string& service,
                  const std::string& severity) {
    return R"({"status":")" + status + R"(","labels":{"alertname":")" + name + R"(","service":")" +
           service + R"(","severity":")" + severity + R"("},"startsAt":"2023-11-14T22:10:00Z"})";
  };
  const std::vector<std::string> sequence = {
      alert("firing", "W1", "api", "warning"),    // opens api
      alert("firing", "W2", "api", "warning"),    // joins api
      alert("firing", "W1", "api", "warning"),    // duplicate: refresh
      alert("firing", "W0", "db", "warning"),     // opens db (reads db's inhibitors: none)
      alert("firing", "C1", "db", "critical"),    // joins db, raises it to critical
      alert("firing", "W3", "db", "warning"),     // inhibited by C1 (written in this transaction)
      alert("resolved", "C1", "db", "critical"),  // a member resolves, W0 still fires
      alert("firing", "W4", "db", "warning"),     // no longer inhibited: joins db
      alert("resolved", "W1", "api", "warning"),  //
      alert("resolved", "W2", "api", "warning"),  // last member: api resolves itself
      alert("firing", "W1", "api", "warning"),    // fires again soon: api reopens
      alert("resolved", "W9", "api", "warning"),  // nobody tracks it: ignored
  };
  auto other_db = store::OpenDatabase({.url = (dir_ / "sequential.db").string()});
  ASSERT_TRUE(other_db.ok());
  ASSERT_TRUE(store::Migrate(**other_db).ok());
  IncidentService sequential(**other_db, clock_, IncidentServiceOptions{}, nullptr);

  const IngestResult grouped = IngestSequence(*svc_, sequence, true, clock_.Now());
  const IngestResult single = IngestSequence(sequential, sequence, false, clock_.Now());
  EXPECT_EQ(grouped.ToJson(), single.ToJson());
  EXPECT_EQ(grouped.ToJson(), (Json{{"alerts", 12},
                                    {"opened", 2},
                                    {"attached", 3},
                                    {"refreshed", 1},
                                    {"resolvedMembers", 3},
                                    {"reopened", 1},
                                    {"inhibited", 1},
                                    {"ignored", 1}}));
  ExpectSameStores(*db_, **other_db);
  auto api = db_->Query(
      "SELECT status, severity, alert_count, reopen_count FROM incidents WHERE service = 'api'");
  ASSERT_TRUE(api.ok());
  ASSERT_EQ(api->rows.size(), 1u);
  EXPECT_EQ(api->rows[0].GetString(0), "detected");
  EXPECT_EQ(api->rows[0].GetInt(2), 2);
  EXPECT_EQ(api->rows[0].GetInt(3), 1);
  auto db = db_->Query("SELECT severity, alert_count FROM incidents WHERE service = 'db'");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->rows[0].GetString(0), "critical");
  EXPECT_EQ(db->rows[0].GetInt(1), 3);
}

// A group larger than one multi-row statement (the alerts' and memberships' rows are written
// 64 at a time, the rest by halves) with duplicates, resolutions and re-firings spread over it,
// some inhibited: the same outcome as one call per alert, row for row (but the timelines: one
// transaction makes one row of successive joins, one call per alert a row each).
TEST_F(IncidentServiceTest, LargeGroupWritesLikeOneCallPerAlert) {
  std::vector<std::string> sequence;
  for (int i = 0; i < 301; ++i) {
    const int name = (i * 7) % 90;  // revisits names: duplicates and re-firings
    const std::string service = "svc-" + std::to_string(name % 4);
    const bool critical = name % 15 == 0;
    const bool resolved = i % 11 == 4;
    sequence.push_back(R"({"status":")" + std::string(resolved ? "resolved" : "firing") +
                       R"(","labels":{"alertname":"N)" + std::to_string(name) + R"(","service":")" +
                       service + R"(","severity":")" + (critical ? "critical" : "warning") +
                       R"("},"annotations":{"summary":"n\"q\\\u0001\t/")" +
                       (name % 2 ? R"(,"note":"é")" : "") +
                       R"(},"startsAt":"2023-11-14T22:10:00Z"})");
  }
  auto other_db = store::OpenDatabase({.url = (dir_ / "sequential.db").string()});
  ASSERT_TRUE(other_db.ok());
  ASSERT_TRUE(store::Migrate(**other_db).ok());
  IncidentService sequential(**other_db, clock_, IncidentServiceOptions{}, nullptr);
  const IngestResult grouped = IngestSequence(*svc_, sequence, true, clock_.Now());
  const IngestResult single = IngestSequence(sequential, sequence, false, clock_.Now());
  EXPECT_EQ(grouped.ToJson(), single.ToJson());
  EXPECT_EQ(grouped.alerts, 301);
  EXPECT_GT(grouped.refreshed, 0);
  EXPECT_GT(grouped.resolved_members, 0);
  EXPECT_GT(grouped.inhibited, 0);
  EXPECT_GT(grouped.reopened + grouped.attached, 0);
  ExpectSameStores(*db_, **other_db, false);
  auto counts = db_->Query("SELECT count(*), sum(receive_count) FROM alerts");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->rows[0].GetInt(0), 90);
  EXPECT_EQ(counts->rows[0].GetInt(1), 301);
  // The rows' JSON is what the JSON library writes for the same labels and annotations.
  auto rows = db_->Query("SELECT labels, annotations FROM alerts");
  ASSERT_TRUE(rows.ok());
  for (const auto& r : rows->rows) {
    for (size_t c = 0; c < 2; ++c) {
      auto parsed = ParseJson(r.GetString(c));
      ASSERT_TRUE(parsed.ok()) << r.GetString(c);
      EXPECT_EQ(DumpJson(*parsed), r.GetString(c));
    }
  }
  EXPECT_EQ(ParseJson(rows->rows[0].GetString(1))->at("summary"), "n\"q\\\x01\t/");
}

// Alerts joining one incident one after another in one transaction make one timeline row
// that counts and names them; a row of another kind keeps its place between joins.
TEST_F(IncidentServiceTest, JoinsInOneTransactionAreOneTimelineRow) {
  std::string body;
  for (int i = 0; i < 8; ++i) {
    body += std::string(body.empty() ? "" : ",") + R"({"labels":{"alertname":"A)" +
            std::to_string(i % 6) + R"(","instance":"i)" + std::to_string(i) +
            R"(","service":"api","severity":"warning"},"startsAt":"2023-11-14T22:10:00Z"})";
  }
  // Then one of them resolves and two more join.
  body +=
      R"(,{"status":"resolved","labels":{"alertname":"A1","instance":"i1","service":"api","severity":"warning"},"startsAt":"2023-11-14T22:10:00Z"})";
  body +=
      R"(,{"labels":{"alertname":"B","instance":"x","service":"api","severity":"warning"},"startsAt":"2023-11-14T22:10:00Z"})";
  body +=
      R"(,{"labels":{"alertname":"C","instance":"y","service":"api","severity":"warning"},"startsAt":"2023-11-14T22:10:00Z"})";
  auto r =
      svc_->Ingest(Batch(R"({"version":"4","status":"firing","alerts":[)" + body + "]}"), "am");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->opened, 1);
  EXPECT_EQ(r->attached, 9);
  EXPECT_EQ(r->resolved_members, 1);
  const int64_t id = (*svc_->List(Json::object()))["items"][0]["id"];
  auto inc = svc_->Get(id);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ((*inc)["alertCount"], 10);
  EXPECT_EQ((*inc)["alerts"].size(), 10u);
  const Json& timeline = (*inc)["timeline"];
  ASSERT_EQ(timeline.size(), 4u) << timeline.dump();
  EXPECT_EQ(timeline[0]["type"], "alert_attached");
  EXPECT_EQ(timeline[0]["description"].get<std::string>().rfind("Opened", 0), 0u);
  EXPECT_EQ(timeline[1]["type"], "alert_attached");
  EXPECT_EQ(timeline[1]["description"], "7 alerts joined (A1, A2, A3, A4, A5, ...)");
  EXPECT_EQ(timeline[1]["details"]["count"], 7);
  EXPECT_EQ(timeline[1]["details"]["alerts"].size(), 7u);
  EXPECT_EQ(timeline[2]["type"], "alert_resolved");
  EXPECT_EQ(timeline[3]["description"], "2 alerts joined (B, C)");
}

// auto_resolve off: when the last alert resolves the incident stays open and the timeline
// proposes resolution. A group that keeps firing and resolving is held in one incident and
// marked flapping from its second reopening. Operators move the status along the lifecycle
// (each move a timeline row) but resolve only through resolve.
TEST_F(IncidentServiceTest, ProposedResolutionFlappingAndLifecycle) {
  IncidentServiceOptions options;
  options.auto_resolve = false;
  IncidentService manual(*db_, clock_, options, nullptr);
  ASSERT_TRUE(manual.Ingest(Batch(Payload("firing", "QueueDepth", "jobs")), "am").ok());
  auto r = manual.Ingest(Batch(Payload("resolved", "QueueDepth", "jobs")), "am");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->resolved_members, 1);
  const int64_t id = (*manual.List(Json::object()))["items"][0]["id"];
  auto inc = manual.Get(id);
  EXPECT_EQ((*inc)["status"], "detected");
  EXPECT_EQ((*inc)["timeline"].back()["type"], "status_change");
  EXPECT_EQ((*inc)["timeline"].back()["description"], "Every alert resolved: resolution proposed");

  // Flapping (auto-resolve on): fires, resolves, fires again within the flap window, twice.
  ASSERT_TRUE(svc_->Ingest(Batch(Payload("firing", "Flappy", "edge")), "am").ok());
  for (int round = 0; round < 2; ++round) {
    clock_.Advance(Millis(60'000));
    ASSERT_TRUE(svc_->Ingest(Batch(Payload("resolved", "Flappy", "edge")), "am").ok());
    clock_.Advance(Millis(60'000));
    r = svc_->Ingest(Batch(Payload("firing", "Flappy", "edge")), "am");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->reopened, 1);
  }
  auto edge = db_->Query(
      "SELECT count(*), max(reopen_count), max(flapping), max(status) FROM incidents WHERE service "
      "= 'edge'");
  ASSERT_TRUE(edge.ok());
  EXPECT_EQ(edge->rows[0].GetInt(0), 1);
  EXPECT_EQ(edge->rows[0].GetInt(1), 2);
  EXPECT_TRUE(edge->rows[0].GetBool(2));
  EXPECT_EQ(edge->rows[0].GetString(3), "detected");

  Identity op;
  op.username = "alice";
  auto moved = svc_->Update(id, op, Json{{"status", "mitigating"}});
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ((*moved)["status"], "mitigating");
  EXPECT_EQ((*moved)["timeline"].back()["description"], "Status detected → mitigating");
  EXPECT_EQ((*moved)["timeline"].back()["actor"], "alice");
  auto refused = svc_->Update(id, op, Json{{"status", "resolved"}});
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("status"), std::string::npos);
  EXPECT_EQ((*svc_->Get(id))["status"], "mitigating");
}

TEST_F(IncidentServiceTest, FiltersAndPagination) {
  for (const char* svc : {"a", "b", "c"}) {
    ASSERT_TRUE(
        svc_->Ingest(Batch(Payload("firing", std::string("Alert-") + svc, svc)), "am").ok());
  }
  auto page = svc_->List(Json{{"limit", 2}, {"offset", 0}});
  EXPECT_EQ((*page)["items"].size(), 2u);
  EXPECT_EQ((*page)["total"], 3);
  auto search = svc_->List(Json{{"search", "alert-b"}});
  EXPECT_EQ((*search)["total"], 1);
  auto none = svc_->List(Json{{"status", "resolved"}});
  EXPECT_EQ((*none)["total"], 0);
}

// Without Prometheus the ranking still runs on alerts, the declared graph and changes, and says
// that metrics were not read; the analysis is stored and on the timeline; bad settings are
// refused by field.
TEST_F(IncidentServiceTest, RootCauseRankingWithoutPrometheusSaysWhatItCouldNotRead) {
  ASSERT_TRUE(
      svc_->Ingest(Batch(Payload("firing", "HighLatency", "web", "critical")), "alertmanager")
          .ok());
  auto list = svc_->List(Json::object());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["items"].size(), 1u);
  const int64_t id = (*list)["items"][0]["id"].get<int64_t>();
  RcaService rca(*db_, clock_, nullptr);
  EXPECT_EQ(*rca.Get(id), Json(nullptr));
  auto bad = rca.SetSettings(Json{{"calls", Json::array({Json{{"from", "web"}}})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("calls[0]"), std::string::npos);
  ASSERT_TRUE(
      rca.SetSettings(Json{{"calls", Json::array({Json{{"from", "web"}, {"to", "db"}}})}}).ok());
  auto a = rca.Analyze(id, "bob");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)["inputs"]["services"], 2);
  EXPECT_EQ((*a)["inputs"]["calls"], 1);
  EXPECT_EQ((*a)["inputs"]["series"], 0);
  ASSERT_EQ((*a)["inputs"]["missing"].size(), 1u);
  EXPECT_NE((*a)["inputs"]["missing"][0].get<std::string>().find("Prometheus is not configured"),
            std::string::npos);
  EXPECT_EQ((*a)["ranking"].size(), 2u);
  auto stored = rca.Get(id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ((*stored)["ranking"], (*a)["ranking"]);
  auto rows = db_->Query(
      "SELECT COUNT(*) FROM incident_actions WHERE incident_id = ? AND action_type = 'analysis'",
      {id});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows[0].GetInt(size_t{0}), 1);
  EXPECT_EQ(rca.Analyze(424242, "bob").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace dai::incidents
