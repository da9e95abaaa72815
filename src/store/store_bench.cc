// Store benchmarks: the cost of our layer over the raw client libraries, measured in one run.
// Scenarios (each with its anchor):
//   BM_RawSqliteInsert        anchor: sqlite3 C API, prepared INSERT ... RETURNING id, autocommit
//   BM_EventAppend/sqlite     EventRepository::Append (same row, autocommit) through Database
//   BM_JobCycle/sqlite        Enqueue + Claim + Complete of one job (three write transactions)
//   BM_RawPostgresInsert      anchor: libpq PQexecParams INSERT ... RETURNING id
//   BM_EventAppend/postgres   EventRepository::Append through Database
//   BM_JobCycle/postgres      Enqueue + Claim + Complete
// PostgreSQL cases need DAI_TEST_PG_URL (e.g. from scripts/pg-test-cluster start DIR); they
// are skipped with a message otherwise. SQLite files go to a temporary directory.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>

#include "store/event_repository.h"
#include "store/job_repository.h"
#include "store/migrations.h"

namespace dai::store {
namespace {

std::filesystem::path TempDir() {
  auto dir =
      std::filesystem::temp_directory_path() / ("dai_store_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

const char* PgUrl() { return std::getenv("DAI_TEST_PG_URL"); }

// A migrated database: a fresh SQLite file, or the PostgreSQL test database with its tables
// dropped and recreated (a throwaway cluster only!).
std::unique_ptr<Database> Fresh(bool postgres, const std::string& name) {
  std::string url;
  if (postgres) {
    url = PgUrl();
    auto admin = OpenDatabase({.url = url, .pool_size = 1});
    if (!admin.ok()) return nullptr;
    (void)(*admin)->Query("DROP SCHEMA IF EXISTS bench CASCADE");
    (void)(*admin)->Query("CREATE SCHEMA bench");
    url += "?options=-c%20search_path%3Dbench";
  } else {
    auto path = TempDir() / (name + ".db");
    std::filesystem::remove(path);
    url = path.string();
  }
  auto db = OpenDatabase({.url = url});
  if (!db.ok() || !Migrate(**db).ok()) return nullptr;
  return std::move(db).value();
}

void BM_RawSqliteInsert(benchmark::State& state) {
  auto db = Fresh(false, "raw");  // creates the schema
  db.reset();
  sqlite3* raw = nullptr;
  sqlite3_open((TempDir() / "raw.db").c_str(), &raw);
  sqlite3_exec(raw, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(raw,
                     "INSERT INTO events (type, payload, created_at) VALUES (?, ?, ?) RETURNING id",
                     -1, &stmt, nullptr);
  const std::string now = FormatIso8601(SystemClock::Instance().Now());
  for (auto _ : state) {
    sqlite3_bind_text(stmt, 1, "incident.created", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, R"({"id":1})", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, now.c_str(), -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_ROW) state.SkipWithError("insert failed");
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
  state.SetItemsProcessed(state.iterations());
}

void BM_RawPostgresInsert(benchmark::State& state) {
  if (PgUrl() == nullptr) {
    state.SkipWithError("DAI_TEST_PG_URL not set");
    return;
  }
  auto db = Fresh(true, "");
  db.reset();
  PGconn* conn = PQconnectdb((std::string(PgUrl()) + "?options=-c%20search_path%3Dbench").c_str());
  const std::string now = FormatIso8601(SystemClock::Instance().Now());
  const char* values[] = {"incident.created", R"({"id":1})", now.c_str()};
  for (auto _ : state) {
    PGresult* res = PQexecParams(
        conn, "INSERT INTO events (type, payload, created_at) VALUES ($1, $2, $3) RETURNING id", 3,
        nullptr, values, nullptr, nullptr, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) state.SkipWithError(PQerrorMessage(conn));
    PQclear(res);
  }
  PQfinish(conn);
  state.SetItemsProcessed(state.iterations());
}

void BM_EventAppend(benchmark::State& state) {
  const bool pg = state.range(0) == 1;
  if (pg && PgUrl() == nullptr) {
    state.SkipWithError("DAI_TEST_PG_URL not set");
    return;
  }
  auto db = Fresh(pg, "events");
  if (db == nullptr) {
    state.SkipWithError("cannot open the database");
    return;
  }
  EventRepository events(*db, SystemClock::Instance());
  for (auto _ : state) {
    if (!events.Append("incident.created", R"({"id":1})").ok()) state.SkipWithError("append");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(pg ? "postgres" : "sqlite");
}

void BM_JobCycle(benchmark::State& state) {
  const bool pg = state.range(0) == 1;
  if (pg && PgUrl() == nullptr) {
    state.SkipWithError("DAI_TEST_PG_URL not set");
    return;
  }
  auto db = Fresh(pg, "jobs");
  if (db == nullptr) {
    state.SkipWithError("cannot open the database");
    return;
  }
  JobRepository jobs(*db);
  const TimePoint now = SystemClock::Instance().Now();
  NewJob job;
  job.kind = "bench";
  job.run_after = now;
  for (auto _ : state) {
    auto id = jobs.Enqueue(job, now);
    auto claimed = jobs.Claim("bench", {"bench"}, std::chrono::seconds(30), now, 1);
    if (!id.ok() || !claimed.ok() || claimed->size() != 1 ||
        !jobs.Complete(claimed->front().id, "bench", "{}", now).ok()) {
      state.SkipWithError("job cycle failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(pg ? "postgres" : "sqlite");
}

// Wall-clock time: the database's own work (fsync, server round trips) is the point.
BENCHMARK(BM_RawSqliteInsert)->UseRealTime();
BENCHMARK(BM_EventAppend)->Arg(0)->UseRealTime();
BENCHMARK(BM_JobCycle)->Arg(0)->UseRealTime();
BENCHMARK(BM_RawPostgresInsert)->UseRealTime();
BENCHMARK(BM_EventAppend)->Arg(1)->UseRealTime();
BENCHMARK(BM_JobCycle)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace dai::store

BENCHMARK_MAIN();
