// Webhook ingestion without HTTP: where a committed alert's CPU time goes, measured in one run.
// The alerts are scripts/bench-webhook's (unique label sets over 50 alert names and 10
// services, one critical and nine warnings per payload of 10), committed in groups of 50
// payloads as the group commit writes them under a flood (500 alerts per transaction).
// Scenarios:
//   BM_Decode              DecodeAlertmanagerWebhook of each payload (what HTTP hands over)
//   BM_IngestGroups        IncidentService::Ingest: correlation into incidents, timeline, alert
//                          rows, one SQLite WAL transaction per group (the product's path)
//   BM_RawSqliteAlertRows  anchor: the same alerts' rows (fingerprint, labels, annotations,
//                          times) written with one prepared INSERT into a table with the same
//                          unique fingerprint, one transaction per group — storing each alert
//                          once and nothing else
// Each reports items/s = alerts per second of CPU; the database files go to a temporary
// directory and grow over the run as in the server.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engines/alerts/alert.h"
#include "modules/incident_commander/incident_service.h"
#include "store/migrations.h"

namespace dai::incidents {
namespace {

constexpr int kPayloadsPerGroup = 50;
constexpr int kAlertsPerPayload = 10;

std::filesystem::path TempDir() {
  auto dir =
      std::filesystem::temp_directory_path() / ("dai_ingest_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// Payload `n` of scripts/bench-webhook (thread 0, counter n).
std::string Payload(int64_t n) {
  std::string alerts;
  for (int k = 1; k <= kAlertsPerPayload; ++k) {
    alerts +=
        std::string(alerts.empty() ? "" : ",") +
        R"({"status":"firing","labels":{"alertname":"Bench)" + std::to_string(n % 50) +
        R"(","service":"svc-)" + std::to_string(k) + R"(","instance":"t0-r)" + std::to_string(n) +
        "-a" + std::to_string(k) + R"(","severity":")" + (k == 1 ? "critical" : "warning") +
        R"("},"annotations":{"summary":"bench"},"startsAt":"2026-11-29T12:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":""})";
  }
  return R"({"version":"4","status":"firing","receiver":"bench","groupKey":"{}:{}","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"","alerts":[)" +
         alerts + "]}";
}

// Group `g` decoded into one batch (what CommitGroup writes in one transaction).
alerts::AlertBatch Group(int64_t g, TimePoint now) {
  alerts::AlertBatch group;
  for (int p = 0; p < kPayloadsPerGroup; ++p) {
    auto b = alerts::DecodeAlertmanagerWebhook(Payload(g * kPayloadsPerGroup + p), now);
    for (auto& a : b->alerts) group.alerts.push_back(std::move(a));
  }
  return group;
}

void BM_Decode(benchmark::State& state) {
  std::vector<std::string> bodies;
  for (int i = 0; i < 1000; ++i) bodies.push_back(Payload(i));
  const TimePoint now = FromUnixMillis(1'795'000'000'000);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    auto b = alerts::DecodeAlertmanagerWebhook(bodies[i % bodies.size()], now);
    benchmark::DoNotOptimize(b);
    bytes += bodies[i % bodies.size()].size();
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(i) * kAlertsPerPayload);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Decode);

void BM_IngestGroups(benchmark::State& state) {
  const auto path = TempDir() / "ingest.db";
  std::filesystem::remove(path);
  auto db = store::OpenDatabase({.url = path.string()});
  if (!db.ok() || !store::Migrate(**db).ok()) {
    state.SkipWithError("cannot open the database");
    return;
  }
  FakeClock clock(1'795'000'000'000);
  IncidentService svc(**db, clock, IncidentServiceOptions{}, nullptr);
  int64_t g = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto group = Group(g++, clock.Now());
    state.ResumeTiming();
    auto r = svc.Ingest(group, "bench");
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    clock.Advance(Millis(10));
  }
  state.SetItemsProcessed(g * kPayloadsPerGroup * kAlertsPerPayload);
}
BENCHMARK(BM_IngestGroups)->Iterations(100);

void BM_RawSqliteAlertRows(benchmark::State& state) {
  const auto path = TempDir() / "raw.db";
  std::filesystem::remove(path);
  sqlite3* raw = nullptr;
  sqlite3_open(path.c_str(), &raw);
  sqlite3_exec(
      raw,
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE alerts (id INTEGER PRIMARY "
      "KEY, fingerprint TEXT NOT NULL UNIQUE, labels TEXT NOT NULL, annotations TEXT NOT NULL, "
      "starts_at TEXT NOT NULL, received_at TEXT NOT NULL)",
      nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(raw,
                     "INSERT INTO alerts (fingerprint, labels, annotations, starts_at, "
                     "received_at) VALUES (?, ?, ?, ?, ?)",
                     -1, &ins, nullptr);
  const TimePoint now = FromUnixMillis(1'795'000'000'000);
  int64_t g = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto group = Group(g++, now);
    state.ResumeTiming();
    sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (const auto& a : group.alerts) {
      std::string labels = "{", annotations = "{";
      for (const auto& [k, v] : a.labels)
        labels += (labels.size() > 1 ? ",\"" : "\"") + k + "\":\"" + v + "\"";
      for (const auto& [k, v] : a.annotations)
        annotations += (annotations.size() > 1 ? ",\"" : "\"") + k + "\":\"" + v + "\"";
      labels += "}";
      annotations += "}";
      const std::string starts = FormatIso8601(a.starts_at), received = FormatIso8601(now);
      sqlite3_bind_text(ins, 1, a.fingerprint.data(), static_cast<int>(a.fingerprint.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, 2, labels.data(), static_cast<int>(labels.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, 3, annotations.data(), static_cast<int>(annotations.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, 4, starts.data(), static_cast<int>(starts.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, 5, received.data(), static_cast<int>(received.size()),
                        SQLITE_TRANSIENT);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
  }
  sqlite3_finalize(ins);
  sqlite3_close(raw);
  state.SetItemsProcessed(g * kPayloadsPerGroup * kAlertsPerPayload);
}
BENCHMARK(BM_RawSqliteAlertRows)->Iterations(100);

}  // namespace
}  // namespace dai::incidents

BENCHMARK_MAIN();
