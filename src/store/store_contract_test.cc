// The store's contract suite: every case runs on SQLite and on PostgreSQL.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include <atomic>
#include <set>
#include <thread>

#include "core/json.h"
#include "store/api_token_repository.h"
#include "store/audit_repository.h"
#include "store/event_repository.h"
#include "store/migrations.h"
#include "store/retention.h"
#include "store/session_repository.h"
#include "store/settings_repository.h"
#include "store/test_backends.h"
#include "store/user_repository.h"

namespace dai::store {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using testing::Backend;
using testing::BackendTest;

const std::vector<std::string> kExpectedTables = {"users",
                                                  "api_tokens",
                                                  "sessions",
                                                  "audit_log",
                                                  "settings",
                                                  "jobs",
                                                  "events",
                                                  "incidents",
                                                  "incident_actions",
                                                  "runbooks",
                                                  "runbook_executions",
                                                  "security_scans",
                                                  "vulnerabilities",
                                                  "security_policies",
                                                  "compliance_reports",
                                                  "cost_records",
                                                  "cost_recommendations",
                                                  "resource_utilization",
                                                  "budget_alerts",
                                                  "pipelines",
                                                  "pipeline_runs",
                                                  "pipeline_optimizations",
                                                  "test_intelligence",
                                                  "generated_docs",
                                                  "doc_templates",
                                                  "architecture_snapshots",
                                                  "healing_rules",
                                                  "healing_actions",
                                                  "healing_patterns",
                                                  "schema_migrations"};

// Table name -> sorted column names, read from the backend's catalog.
std::map<std::string, std::vector<std::string>> Columns(Database& db) {
  std::map<std::string, std::vector<std::string>> out;
  if (db.dialect() == Dialect::kPostgres) {
    auto r = db.Query(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() ORDER BY table_name, column_name");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return out;
    for (const Row& row : r->rows)
      out[row.GetString(size_t{0})].push_back(row.GetString(size_t{1}));
  } else {
    auto tables = db.Query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    EXPECT_TRUE(tables.ok());
    if (!tables.ok()) return out;
    for (const Row& t : tables->rows) {
      const std::string name = t.GetString(size_t{0});
      auto cols = db.Query("SELECT name FROM pragma_table_info(?) ORDER BY name", {name});
      EXPECT_TRUE(cols.ok());
      for (const Row& c : cols->rows) out[name].push_back(c.GetString(size_t{0}));
    }
  }
  return out;
}

class MigrationTest : public BackendTest {
 protected:
  bool Migrated() const override { return false; }
};

TEST_P(MigrationTest, AppliesOnceAndCreatesEveryTable) {
  auto before = SchemaVersion(db());
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(*before, 0);
  ASSERT_TRUE(Migrate(db()).ok());
  auto after = SchemaVersion(db());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, LatestSchemaVersion());
  // Idempotent.
  Status again = Migrate(db());
  EXPECT_TRUE(again.ok()) << again.ToString();
  auto rows = db().Query("SELECT COUNT(*) FROM schema_migrations");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows[0].GetInt(size_t{0}), static_cast<int64_t>(AllMigrations().size()));

  auto columns = Columns(db());
  for (const std::string& table : kExpectedTables) {
    EXPECT_TRUE(columns.count(table)) << "missing table " << table;
  }
  // Later migrations (modules) may add tables; the specification's are all there.
  EXPECT_GE(columns.size(), kExpectedTables.size());
  const auto& rules = columns["healing_rules"];
  for (const char* col :
       {"name", "description", "condition_type", "condition_config", "action_type", "action_config",
        "enabled", "cooldown_seconds", "max_retries", "requires_approval", "dry_run"}) {
    EXPECT_TRUE(std::find(rules.begin(), rules.end(), col) != rules.end()) << col;
  }
}

// Migration 18 widened a CHECK constraint in place (SQLite) or replaced it (PostgreSQL): the
// new value is accepted, an unknown one still refused, and the table keeps working.
TEST_P(MigrationTest, HealingRulesAcceptApplyDesiredAfterMigration18) {
  ASSERT_TRUE(Migrate(db()).ok());
  auto ok = db().Query(
      "INSERT INTO healing_rules (name, condition_type, action_type) VALUES (?, ?, ?)",
      {std::string("fix-drift"), std::string("config_drift"), std::string("apply_desired")});
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  auto bad =
      db().Query("INSERT INTO healing_rules (name, condition_type, action_type) VALUES (?, ?, ?)",
                 {std::string("nonsense"), std::string("alert"), std::string("format_disk")});
  EXPECT_FALSE(bad.ok());
  auto rows = db().Query("SELECT action_type FROM healing_rules WHERE name = ?",
                         {std::string("fix-drift")});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0].GetString(size_t{0}), "apply_desired");
}

TEST_P(MigrationTest, ConcurrentMigrateFromTwoProcessesAppliesOnce) {
  auto other = test_db().OpenAnother();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  Status a, b;
  std::thread t1([&] { a = Migrate(db()); });
  std::thread t2([&] { b = Migrate(**other); });
  t1.join();
  t2.join();
  EXPECT_TRUE(a.ok()) << a.ToString();
  EXPECT_TRUE(b.ok()) << b.ToString();
  auto rows = db().Query("SELECT COUNT(*) FROM schema_migrations");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows[0].GetInt(size_t{0}), static_cast<int64_t>(AllMigrations().size()));
}

TEST_P(MigrationTest, RefusesADatabaseFromANewerBinary) {
  ASSERT_TRUE(Migrate(db()).ok());
  ASSERT_TRUE(db().Query("INSERT INTO schema_migrations (version, name, applied_at) "
                         "VALUES (?, 'future', ?)",
                         {int64_t{LatestSchemaVersion() + 1}, SystemClock::Instance().Now()})
                  .ok());
  Status st = Migrate(db());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
}

INSTANTIATE_TEST_SUITE_P(Backends, MigrationTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         testing::BackendName);

// Both dialects must produce the same tables with the same columns.
TEST(MigrationParityTest, SameTablesAndColumnsOnBothBackends) {
  std::string error;
  auto sqlite = testing::TestDatabase::Create(Backend::kSqlite, &error);
  ASSERT_NE(sqlite, nullptr) << error;
  auto pg = testing::TestDatabase::Create(Backend::kPostgres, &error);
  if (pg == nullptr) {
    if (!testing::InCi()) GTEST_SKIP() << error;
    FAIL() << error;
  }
  ASSERT_TRUE(Migrate(sqlite->db()).ok());
  ASSERT_TRUE(Migrate(pg->db()).ok());
  EXPECT_EQ(Columns(sqlite->db()), Columns(pg->db()));
}

class DatabaseTest : public BackendTest {};

TEST_P(DatabaseTest, PlaceholdersInsideLiteralsAndCommentsAreNotParameters) {
  auto r = db().Query("SELECT '?' AS q1, 'it''s ?' AS q2, ? AS p1, /* ? */ ? AS p2 -- trailing ?\n",
                      {std::string("first"), int64_t{42}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].GetString("q1"), "?");
  EXPECT_EQ(r->rows[0].GetString("q2"), "it's ?");
  EXPECT_EQ(r->rows[0].GetString("p1"), "first");
  EXPECT_EQ(r->rows[0].GetInt("p2"), 42);
}

TEST_P(DatabaseTest, ParameterTypesRoundTrip) {
  const TimePoint t = FromUnixMillis(1'764'343'164'123);  // 2025-11-28T15:19:24.123Z
  ASSERT_TRUE(db().Query("INSERT INTO healing_rules (name, condition_type, condition_config, "
                         "action_type, enabled, dry_run, cooldown_seconds, last_triggered_at) "
                         "VALUES (?, 'alert', ?, 'restart_process', ?, ?, ?, ?)",
                         {std::string("r1"), std::string(R"({"alertname":"Down","for":"5m"})"),
                          true, false, int64_t{120}, t})
                  .ok());
  auto r = db().Query(
      "SELECT enabled, dry_run, requires_approval, cooldown_seconds, condition_config, "
      "last_triggered_at, created_at FROM healing_rules WHERE name = ? AND enabled = ?",
      {std::string("r1"), true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 1u);
  const Row& row = r->rows[0];
  EXPECT_TRUE(row.GetBool("enabled"));
  EXPECT_FALSE(row.GetBool("dry_run"));
  EXPECT_TRUE(row.GetBool("requires_approval"));  // the safe default
  EXPECT_EQ(row.GetInt("cooldown_seconds"), 120);
  auto config = ParseJson(row.GetString("condition_config"));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ((*config)["alertname"], "Down");
  EXPECT_EQ(row.GetTime("last_triggered_at"), t);
  // The column default is the database's current time, in UTC.
  const auto drift = row.GetTime("created_at") - SystemClock::Instance().Now();
  EXPECT_LT(std::chrono::abs(drift), minutes(5));

  auto d = db().Query("SELECT ? AS d, ? AS n", {2.5, nullptr});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_DOUBLE_EQ(d->rows[0].GetDouble("d"), 2.5);
  EXPECT_TRUE(d->rows[0].IsNull("n"));
}

TEST_P(DatabaseTest, TimestampsAreUtcAndCompareInTimeOrder) {
  // Times on either side of a date boundary and across a year compare as times.
  const TimePoint a = FromUnixMillis(1'735'689'599'999);  // 2024-12-31T23:59:59.999Z
  const TimePoint b = FromUnixMillis(1'735'689'600'000);  // 2025-01-01T00:00:00.000Z
  ASSERT_TRUE(
      db().Query("INSERT INTO events (type, payload, created_at) VALUES ('x', '{}', ?)", {a}).ok());
  ASSERT_TRUE(
      db().Query("INSERT INTO events (type, payload, created_at) VALUES ('y', '{}', ?)", {b}).ok());
  auto r = db().Query("SELECT type, created_at FROM events WHERE created_at >= ? ORDER BY id",
                      {a + milliseconds(1)});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].GetString("type"), "y");
  EXPECT_EQ(r->rows[0].GetTime("created_at"), b);
  EXPECT_EQ(FormatIso8601(r->rows[0].GetTime("created_at")), "2025-01-01T00:00:00.000Z");
}

TEST_P(DatabaseTest, TransactionCommitsOrRollsBack) {
  Status failed = db().Transaction([](Connection& conn) -> Status {
    DAI_RETURN_IF_ERROR(conn.Query("INSERT INTO settings (key, value) VALUES ('a', '1')").status());
    return Status::Internal("changed my mind");
  });
  EXPECT_EQ(failed.code(), StatusCode::kInternal);
  auto none = db().Query("SELECT COUNT(*) FROM settings");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->rows[0].GetInt(size_t{0}), 0);

  // A failed statement inside also rolls back what came before it.
  Status conflict = db().Transaction([](Connection& conn) -> Status {
    DAI_RETURN_IF_ERROR(conn.Query("INSERT INTO settings (key, value) VALUES ('b', '1')").status());
    return conn.Query("INSERT INTO settings (key, value) VALUES ('b', '2')").status();
  });
  EXPECT_EQ(conflict.code(), StatusCode::kConflict) << conflict.ToString();

  EXPECT_THROW(
      {
        Status ignored = db().Transaction([](Connection& conn) -> Status {
          (void)conn.Query("INSERT INTO settings (key, value) VALUES ('c', '1')");
          throw std::runtime_error("boom");
        });
        (void)ignored;
      },
      std::runtime_error);

  Status ok = db().Transaction([](Connection& conn) -> Status {
    return conn.Query("INSERT INTO settings (key, value) VALUES ('d', '1')").status();
  });
  EXPECT_TRUE(ok.ok()) << ok.ToString();
  auto keys = db().Query("SELECT key FROM settings ORDER BY key");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->rows.size(), 1u);
  EXPECT_EQ(keys->rows[0].GetString(size_t{0}), "d");
}

TEST_P(DatabaseTest, BulkLoadWritesEveryValueAndRollsBackWithItsTransaction) {
  const bool pg = db().dialect() == Dialect::kPostgres;
  ASSERT_TRUE(db().Transaction([&](Connection& conn) {
                    return conn.ExecScript(std::string("CREATE TABLE bulk_t (name TEXT NOT NULL, "
                                                       "n BIGINT, x ") +
                                           (pg ? "DOUBLE PRECISION" : "REAL") + ")");
                  })
                  .ok());
  const std::vector<std::string> columns = {"name", "n", "x"};
  // Text the COPY text format must escape, an empty view (no data pointer), NULLs, extremes.
  const std::string tricky = "tab\there\nnew\\line\r\\N \"q\" 'a' caf\xc3\xa9";
  Status st = db().Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(auto loader, conn.BulkLoad("bulk_t", columns));
    for (int i = 0; i < 3000; ++i) {  // more than one COPY buffer
      const std::string name = "row" + std::to_string(i);
      const BulkValue row[] = {std::string_view(name), int64_t{i}, i * 0.5};
      DAI_RETURN_IF_ERROR(loader->Add(row));
    }
    const BulkValue special[] = {std::string_view(tricky), int64_t{-9'000'000'000'000'000'000},
                                 0.1};
    DAI_RETURN_IF_ERROR(loader->Add(special));
    const BulkValue empty[] = {std::string_view(), nullptr, nullptr};
    DAI_RETURN_IF_ERROR(loader->Add(empty));
    return loader->Finish();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto count = db().Query("SELECT COUNT(*), SUM(n), SUM(x) FROM bulk_t WHERE name LIKE 'row%'");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(count->rows[0].GetInt(size_t{0}), 3000);
  EXPECT_EQ(count->rows[0].GetInt(size_t{1}), 2999 * 3000 / 2);
  EXPECT_DOUBLE_EQ(count->rows[0].GetDouble(size_t{2}), 2999 * 3000 / 4.0);
  auto special = db().Query("SELECT n, x FROM bulk_t WHERE name = ?", {tricky});
  ASSERT_TRUE(special.ok()) << special.status().ToString();
  ASSERT_EQ(special->rows.size(), 1u);
  EXPECT_EQ(special->rows[0].GetInt(size_t{0}), -9'000'000'000'000'000'000);
  EXPECT_DOUBLE_EQ(special->rows[0].GetDouble(size_t{1}), 0.1);
  auto empty = db().Query("SELECT n IS NULL, x IS NULL FROM bulk_t WHERE name = ''");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  ASSERT_EQ(empty->rows.size(), 1u);
  EXPECT_TRUE(empty->rows[0].GetBool(size_t{0}));
  EXPECT_TRUE(empty->rows[0].GetBool(size_t{1}));

  // A bad row (NULL into NOT NULL) fails the load; the transaction rolls back everything, an
  // abandoned loader leaves the connection usable, and a wrong width is refused.
  Status bad = db().Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(auto loader, conn.BulkLoad("bulk_t", columns));
    const BulkValue good[] = {std::string_view("later-gone"), int64_t{1}, 1.0};
    DAI_RETURN_IF_ERROR(loader->Add(good));
    const BulkValue null_name[] = {nullptr, int64_t{2}, 2.0};
    DAI_RETURN_IF_ERROR(loader->Add(null_name));
    return loader->Finish();
  });
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument) << bad.ToString();
  Status abandoned = db().Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(auto loader, conn.BulkLoad("bulk_t", columns));
    const BulkValue good[] = {std::string_view("abandoned"), int64_t{1}, 1.0};
    DAI_RETURN_IF_ERROR(loader->Add(good));
    const BulkValue narrow[] = {std::string_view("narrow")};
    return loader->Add(narrow);
  });
  EXPECT_EQ(abandoned.code(), StatusCode::kInternal) << abandoned.ToString();
  auto gone =
      db().Query("SELECT COUNT(*) FROM bulk_t WHERE name IN ('later-gone', 'abandoned', 'narrow')");
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_EQ(gone->rows[0].GetInt(size_t{0}), 0);
  auto total = db().Query("SELECT COUNT(*) FROM bulk_t");
  ASSERT_TRUE(total.ok()) << total.status().ToString();
  EXPECT_EQ(total->rows[0].GetInt(size_t{0}), 3002);
}

TEST_P(DatabaseTest, ConstraintViolationsMapToCodesWithoutValues) {
  const std::string secret = "value-that-must-not-leak-7f3a";
  ASSERT_TRUE(db().Query("INSERT INTO users (username, role) VALUES (?, 'admin')", {secret}).ok());
  auto dup = db().Query("INSERT INTO users (username, role) VALUES (?, 'admin')", {secret});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kConflict);
  EXPECT_EQ(dup.status().message().find(secret), std::string::npos) << dup.status().message();

  auto check = db().Query("INSERT INTO users (username, role) VALUES ('x', ?)", {secret});
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(check.status().message().find(secret), std::string::npos) << check.status().message();

  auto severity =
      db().Query("INSERT INTO incidents (title, severity) VALUES (?, 'catastrophic')", {secret});
  EXPECT_EQ(severity.status().code(), StatusCode::kInvalidArgument);

  auto fk = db().Query(
      "INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at, last_seen_at) "
      "VALUES (?, 999999, 'c', ?, ?, ?)",
      {secret, TimePoint{}, TimePoint{}, TimePoint{}});
  ASSERT_FALSE(fk.ok());
  EXPECT_EQ(fk.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(fk.status().message().find(secret), std::string::npos) << fk.status().message();

  auto not_null = db().Query("INSERT INTO incidents (title, severity) VALUES (NULL, 'low')");
  EXPECT_EQ(not_null.status().code(), StatusCode::kInvalidArgument);

  auto syntax = db().Query("SELEKT 1");
  EXPECT_EQ(syntax.status().code(), StatusCode::kInternal);
}

TEST_P(DatabaseTest, ConcurrentWritersNeverSeeALockedDatabase) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex error_mu;
  std::vector<std::thread> threads;
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    threads.emplace_back([&, thread_idx] {
      for (int i = 0; i < kPerThread; ++i) {
        Status st;
        if (i % 2 == 0) {
          st = db().Query("INSERT INTO events (type, payload) VALUES (?, '{}')",
                          {"w" + std::to_string(thread_idx)})
                   .status();
        } else {
          st = db().Transaction([&](Connection& conn) -> Status {
            DAI_ASSIGN_OR_RETURN(auto r, conn.Query("SELECT COUNT(*) FROM events"));
            (void)r;
            return conn
                .Query("INSERT INTO events (type, payload) VALUES (?, '{}')",
                       {"t" + std::to_string(thread_idx)})
                .status();
          });
        }
        if (!st.ok()) {
          ++failures;
          std::lock_guard<std::mutex> lock(error_mu);
          if (first_error.empty()) first_error = st.ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << first_error;
  auto count = db().Query("SELECT COUNT(*) FROM events");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->rows[0].GetInt(size_t{0}), kThreads * kPerThread);
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         testing::BackendName);

class RepositoryTest : public BackendTest {
 protected:
  FakeClock clock_{1'764'343'164'000};
};

TEST_P(RepositoryTest, Users) {
  UserRepository users(db(), clock_);
  auto alice = users.Create("alice", std::string("$argon2id$v=19$..."), "admin");
  ASSERT_TRUE(alice.ok()) << alice.status().ToString();
  auto bob = users.Create("bob", std::nullopt, "viewer", true);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(users.Create("alice", std::nullopt, "viewer").status().code(), StatusCode::kConflict);
  EXPECT_EQ(users.Create("carol", std::nullopt, "root").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(users.Create("", std::nullopt, "viewer").status().code(), StatusCode::kInvalidArgument);

  auto found = users.FindByName("alice");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, *alice);
  EXPECT_EQ(found->role, "admin");
  EXPECT_EQ(found->password_hash, std::optional<std::string>("$argon2id$v=19$..."));
  EXPECT_FALSE(found->disabled);
  EXPECT_EQ(found->created_at, clock_.Now());
  EXPECT_FALSE(found->last_login_at.has_value());
  auto b = users.FindById(*bob);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->disabled);
  EXPECT_FALSE(b->password_hash.has_value());
  EXPECT_EQ(users.FindByName("nobody").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(users.FindById(424242).status().code(), StatusCode::kNotFound);

  clock_.Advance(minutes(1));
  ASSERT_TRUE(users.UpdatePassword(*bob, std::string("h2")).ok());
  ASSERT_TRUE(users.UpdateRole(*bob, "operator").ok());
  ASSERT_TRUE(users.SetDisabled(*bob, false).ok());
  ASSERT_TRUE(users.RecordLogin(*bob).ok());
  EXPECT_EQ(users.UpdateRole(*bob, "superuser").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(users.UpdateRole(424242, "viewer").code(), StatusCode::kNotFound);
  b = users.FindById(*bob);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->password_hash, std::optional<std::string>("h2"));
  EXPECT_EQ(b->role, "operator");
  EXPECT_FALSE(b->disabled);
  EXPECT_EQ(b->updated_at, clock_.Now());
  EXPECT_EQ(b->last_login_at, std::optional<TimePoint>(clock_.Now()));

  for (int user_idx = 0; user_idx < 5; ++user_idx) {
    ASSERT_TRUE(users.Create("u" + std::to_string(user_idx), std::nullopt, "viewer").ok());
  }
  auto count = users.Count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 7);
  auto page = users.List(2, 3);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].username, "u0");
  EXPECT_EQ((*page)[2].username, "u2");

  ASSERT_TRUE(users.Delete(*bob).ok());
  EXPECT_EQ(users.Delete(*bob).code(), StatusCode::kNotFound);
}

TEST_P(RepositoryTest, Sessions) {
  UserRepository users(db(), clock_);
  auto uid = users.Create("alice", std::nullopt, "admin");
  ASSERT_TRUE(uid.ok());
  SessionRepository sessions(db());
  const TimePoint now = clock_.Now();
  SessionRecord s{"a3f1" + std::string(60, '0'),
                  *uid,
                  "csrf-1",
                  now,
                  now + hours(12),
                  now,
                  "curl/8",
                  "127.0.0.1"};
  ASSERT_TRUE(sessions.Create(s).ok());
  EXPECT_EQ(sessions.Create(s).code(), StatusCode::kConflict);
  SessionRecord orphan = s;
  orphan.id = "other";
  orphan.user_id = 999999;
  EXPECT_EQ(sessions.Create(orphan).code(), StatusCode::kInvalidArgument);

  auto found = sessions.Find(s.id, now);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->user_id, *uid);
  EXPECT_EQ(found->csrf_token, "csrf-1");
  EXPECT_EQ(found->expires_at, now + hours(12));
  EXPECT_EQ(found->user_agent, "curl/8");
  EXPECT_EQ(found->remote_addr, "127.0.0.1");
  EXPECT_EQ(sessions.Find(s.id, now + hours(12)).status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(sessions.Touch(s.id, now + hours(11), now + hours(23)).ok());
  found = sessions.Find(s.id, now + hours(13));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->last_seen_at, now + hours(11));
  EXPECT_EQ(sessions.Touch("missing", now, now).code(), StatusCode::kNotFound);

  SessionRecord s2 = s;
  s2.id = "second";
  s2.expires_at = now + minutes(1);
  ASSERT_TRUE(sessions.Create(s2).ok());
  auto expired = sessions.DeleteExpired(now + minutes(2));
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 1);
  SessionRecord s3 = s;
  s3.id = "third";
  ASSERT_TRUE(sessions.Create(s3).ok());
  ASSERT_TRUE(sessions.Delete("third").ok());
  EXPECT_TRUE(sessions.Delete("third").ok());  // idempotent
  ASSERT_TRUE(sessions.Create(s3).ok());
  auto all = sessions.DeleteForUser(*uid);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 2);
  EXPECT_EQ(sessions.Find(s.id, now).status().code(), StatusCode::kNotFound);
}

TEST_P(RepositoryTest, ApiTokens) {
  UserRepository users(db(), clock_);
  auto uid = users.Create("alice", std::nullopt, "admin");
  ASSERT_TRUE(uid.ok());
  ApiTokenRepository tokens(db(), clock_);
  ApiTokenRecord t;
  t.name = "ci";
  t.token_hash = std::string(64, 'a');
  t.prefix = "dai_abcd";
  t.user_id = *uid;
  t.role = "operator";
  t.scopes = {"incidents:read", "jobs:write"};
  t.expires_at = clock_.Now() + hours(24);
  auto id = tokens.Create(t);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(tokens.Create(t).status().code(), StatusCode::kConflict);
  ApiTokenRecord service = t;
  service.name = "service";
  service.token_hash = std::string(64, 'b');
  service.user_id.reset();
  service.expires_at.reset();
  service.scopes.clear();
  service.role = "viewer";
  auto sid = tokens.Create(service);
  ASSERT_TRUE(sid.ok()) << sid.status().ToString();
  ApiTokenRecord bad = service;
  bad.token_hash = "c";
  bad.role = "god";
  EXPECT_EQ(tokens.Create(bad).status().code(), StatusCode::kInvalidArgument);

  auto found = tokens.FindByHash(std::string(64, 'a'));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, *id);
  EXPECT_EQ(found->user_id, std::optional<int64_t>(*uid));
  EXPECT_EQ(found->scopes, (std::vector<std::string>{"incidents:read", "jobs:write"}));
  EXPECT_EQ(found->created_at, clock_.Now());
  EXPECT_TRUE(found->IsUsable(clock_.Now()));
  EXPECT_FALSE(found->IsUsable(clock_.Now() + hours(25)));
  EXPECT_EQ(tokens.FindByHash("nope").status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(tokens.TouchLastUsed(*id, clock_.Now() + minutes(3)).ok());
  clock_.Advance(minutes(5));
  ASSERT_TRUE(tokens.Revoke(*id).ok());
  const TimePoint revoked_at = clock_.Now();
  clock_.Advance(minutes(5));
  ASSERT_TRUE(tokens.Revoke(*id).ok());  // unchanged
  EXPECT_EQ(tokens.Revoke(424242).code(), StatusCode::kNotFound);
  auto revoked = tokens.FindById(*id);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(revoked->revoked_at, std::optional<TimePoint>(revoked_at));
  EXPECT_EQ(revoked->last_used_at, std::optional<TimePoint>(revoked_at - minutes(2)));
  EXPECT_FALSE(revoked->IsUsable(revoked_at));

  auto active = tokens.List(false);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].name, "service");
  auto all = tokens.List(true);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_P(RepositoryTest, AuditLogNewestFirst) {
  AuditRepository audit(db());
  for (int entry_idx = 0; entry_idx < 5; ++entry_idx) {
    AuditEntry e;
    e.at = clock_.Now() + minutes(entry_idx);
    e.actor = entry_idx % 2 == 0 ? "alice" : "ci-token";
    e.actor_type = entry_idx % 2 == 0 ? "user" : "token";
    e.procedure = "selfHealing.toggleRule";
    e.outcome = entry_idx == 4 ? "FORBIDDEN" : "ok";
    e.input_digest = std::string(64, 'f');
    e.request_id = "req" + std::to_string(entry_idx);
    e.remote_addr = "127.0.0.1";
    e.detail = R"({"ruleId":)" + std::to_string(entry_idx) + "}";
    ASSERT_TRUE(audit.Append(e).ok());
  }
  AuditEntry bad;
  bad.at = clock_.Now();
  bad.actor = "x";
  bad.actor_type = "user";
  bad.detail = "{not json";
  EXPECT_EQ(audit.Append(bad).status().code(), StatusCode::kInvalidArgument);
  bad.detail = "{}";
  bad.actor_type = "martian";
  EXPECT_EQ(audit.Append(bad).status().code(), StatusCode::kInvalidArgument);

  auto all = audit.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].request_id, "req4");
  EXPECT_EQ((*all)[0].outcome, "FORBIDDEN");
  EXPECT_EQ((*all)[0].at, clock_.Now() + minutes(4));
  EXPECT_EQ((*all)[0].detail, R"({"ruleId":4})");
  AuditQuery q;
  q.before_id = (*all)[1].id;
  q.limit = 2;
  auto page = audit.List(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].request_id, "req2");
  EXPECT_EQ((*page)[1].request_id, "req1");
  AuditQuery by_actor;
  by_actor.actor = "alice";
  auto alice = audit.List(by_actor);
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->size(), 3u);
  auto pruned = audit.DeleteBefore(clock_.Now() + minutes(2));
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2);
}

TEST_P(RepositoryTest, Settings) {
  SettingsRepository settings(db(), clock_);
  EXPECT_EQ(settings.Get("smtp").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(settings.Set("smtp", R"({"host": "127.0.0.1", "port": 25})").ok());
  ASSERT_TRUE(settings.Set("smtp", R"({"host":"mail","port":587})").ok());
  ASSERT_TRUE(settings.Set("retention_days", "30").ok());
  EXPECT_EQ(settings.Set("bad", "{oops").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(settings.Set("", "1").code(), StatusCode::kInvalidArgument);
  auto smtp = settings.Get("smtp");
  ASSERT_TRUE(smtp.ok());
  EXPECT_EQ(*smtp, R"({"host":"mail","port":587})");
  // Stored compact (and read back so from either store), whatever the spacing given.
  ASSERT_TRUE(settings.Set("spaced", "{ \"b\" : [1, 2],\n \"a\": \"x y\" }").ok());
  EXPECT_EQ(settings.Get("spaced").value_or(""), R"({"a":"x y","b":[1,2]})");
  EXPECT_EQ(settings.Exists("spaced").value_or(false), true);
  ASSERT_TRUE(settings.Delete("spaced").ok());
  EXPECT_EQ(settings.Exists("spaced").value_or(true), false);
  auto all = settings.List();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at("retention_days"), "30");
  ASSERT_TRUE(settings.Delete("smtp").ok());
  EXPECT_TRUE(settings.Delete("smtp").ok());
  EXPECT_EQ(settings.Get("smtp").status().code(), StatusCode::kNotFound);
}

TEST_P(RepositoryTest, Events) {
  EventRepository events(db(), clock_);
  auto latest = events.LatestId();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, 0);
  std::vector<int64_t> ids;
  for (int event_idx = 0; event_idx < 5; ++event_idx) {
    auto id = events.Append("incident.created", R"({"id":)" + std::to_string(event_idx) + "}");
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
    clock_.Advance(minutes(1));
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(events.Append("", "{}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(events.Append("x", "nope").status().code(), StatusCode::kInvalidArgument);
  auto since = events.ListSince(ids[1], 2);
  ASSERT_TRUE(since.ok());
  ASSERT_EQ(since->size(), 2u);
  EXPECT_EQ((*since)[0].id, ids[2]);
  EXPECT_EQ((*since)[0].payload, R"({"id":2})");
  EXPECT_EQ((*since)[1].id, ids[3]);
  EXPECT_EQ((*since)[0].created_at, FromUnixMillis(1'764'343'164'000) + minutes(2));
  latest = events.LatestId();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, ids.back());
  auto pruned = events.DeleteBefore(FromUnixMillis(1'764'343'164'000) + minutes(3));
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 3);
}

TEST_P(RepositoryTest, RetentionDeletesOnlyFinishedRowsPastTheirPolicy) {
  const TimePoint now = clock_.Now();
  const TimePoint old = now - hours(24 * 40);
  const TimePoint recent = now - hours(24 * 5);
  auto exec = [&](std::string_view sql, const Params& params) {
    auto r = db().Query(sql, params);
    ASSERT_TRUE(r.ok()) << r.status().ToString() << " in " << sql;
  };
  const char* kAlert =
      "INSERT INTO alerts (fingerprint, status, severity, starts_at, first_received_at, "
      "last_received_at) VALUES (?, ?, 'low', ?, ?, ?)";
  exec(kAlert, {std::string("old-resolved"), std::string("resolved"), old, old, old});
  exec(kAlert, {std::string("old-firing"), std::string("firing"), old, old, old});
  exec(kAlert, {std::string("recent-resolved"), std::string("resolved"), recent, recent, recent});
  exec("INSERT INTO notification_channels (name, type) VALUES ('c', 'inbox')", {});
  const char* kMessage =
      "INSERT INTO notification_messages (channel_id, dedup_key, event_kind, title, status, "
      "deliver_after, created_at) VALUES ((SELECT id FROM notification_channels), ?, 'k', 't', ?, "
      "?, ?)";
  exec(kMessage, {std::string("a"), std::string("sent"), old, old});
  exec(kMessage, {std::string("b"), std::string("pending"), old, old});
  exec(
      "INSERT INTO notification_attempts (message_id, attempt, at, outcome) SELECT id, 1, ?, "
      "'sent' FROM notification_messages WHERE dedup_key = 'a'",
      {old});
  const char* kAudit =
      "INSERT INTO audit_log (at, actor, actor_type, procedure, outcome) VALUES (?, 'a', 'user', "
      "'p', 'ok')";
  exec(kAudit, {old});
  exec(kAudit, {now - hours(24 * 400)});
  exec("INSERT INTO events (type, created_at) VALUES ('x', ?)", {old});
  exec("INSERT INTO events (type, created_at) VALUES ('x', ?)", {now});

  RetentionPolicy policy;
  policy.days = 30;
  policy.batch = 1;  // several batches per table
  auto deleted = PruneExpired(db(), now, policy);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ((*deleted)["alerts"], 1);
  EXPECT_EQ((*deleted)["notification_messages"], 1);
  EXPECT_EQ((*deleted)["audit_log"], 1);  // only the one older than 365 days
  EXPECT_EQ((*deleted)["events"], 1);     // events: 7 days
  auto left = db().Query("SELECT fingerprint FROM alerts ORDER BY fingerprint");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->rows.size(), 2u);
  EXPECT_EQ(left->rows[0].GetString(0), "old-firing");  // still firing: kept however old
  EXPECT_EQ(left->rows[1].GetString(0), "recent-resolved");
  auto attempts = db().Query("SELECT count(*) FROM notification_attempts");
  ASSERT_TRUE(attempts.ok());
  EXPECT_EQ(attempts->rows[0].GetInt(0), 0);  // cascaded with their message
  auto pending = db().Query("SELECT dedup_key FROM notification_messages");
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->rows.size(), 1u);
  EXPECT_EQ(pending->rows[0].GetString(0), "b");

  RetentionPolicy keep;
  keep.days = 0;
  keep.audit_days = 0;
  keep.event_days = 0;
  auto none = PruneExpired(db(), now + hours(24 * 1000), keep);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, RepositoryTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         testing::BackendName);

TEST(SqliteMemoryTest, InMemoryDatabaseWorksWithOneConnection) {
  auto db = OpenDatabase({.url = ":memory:"});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(Migrate(**db).ok());
  UserRepository users(**db, SystemClock::Instance());
  ASSERT_TRUE(users.Create("a", std::nullopt, "viewer").ok());
  auto count = users.Count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1);
  EXPECT_EQ((*db)->Describe(), "sqlite::memory:");
}

TEST(SqliteOpenTest, MemoryLimitIsSharedByThePooledConnections) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dai-sqlite-cache-" + std::to_string(::getpid()) + ".db"))
                               .string();
  auto cache_kib = [&](int pool_size, int memory_mb) -> int64_t {
    auto db = OpenDatabase({.url = path, .pool_size = pool_size, .sqlite_memory_mb = memory_mb});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return 0;
    auto r = (*db)->Query("PRAGMA cache_size");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && !r->rows.empty() ? -r->rows[0].GetInt(0) : 0;
  };
  EXPECT_EQ(cache_kib(4, 0), 32 * 1024);  // no bound: 32 MiB each
  EXPECT_EQ(cache_kib(4, 64), 16 * 1024);  // 64 MiB in 4 shares
  EXPECT_EQ(cache_kib(2, 8), 4 * 1024);
  EXPECT_EQ(cache_kib(8, 2), 1024);  // at least 1 MiB
  EXPECT_FALSE(OpenDatabase({.url = path, .sqlite_memory_mb = -1}).ok());
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

TEST(SqliteOpenTest, UnopenablePathIsUnavailable) {
  auto db = OpenDatabase({.url = "/nonexistent-dir/x/y.db"});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace dai::store
