// FOCUS import into the store (issue #8): CostService::ImportFile of FILE into a fresh SQLite
// store at DIR (streamed parse, staged rows, the daily/hourly aggregates, one committing
// transaction); prints rows/s, MB/s and this process's peak RSS (the process does nothing
// else), then the breakdown a Cost page asks for (getCosts by service over RANGE) as a median of
// 5, beside `SELECT COUNT(*) FROM cost_records` on the same store (reading the rows once).
// The anchor for the import (the sqlite3 shell's .import of the same file) is run beside it by
// scripts/bench-cost-import. Usage: cost_import_run FILE DIR START END
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "modules/cost/cost_service.h"
#include "store/migrations.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: cost_import_run FILE DIR START END\n");
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const std::string file = argv[1], dir = argv[2];
  std::filesystem::create_directories(dir);
  dai::store::DatabaseOptions o;
  o.url = dir + "/devops-ai.db";
  auto db = dai::store::OpenDatabase(o);
  if (!db.ok() || !dai::store::Migrate(**db).ok()) {
    std::fprintf(stderr, "cannot open the store in %s\n", dir.c_str());
    return 1;
  }
  dai::costopt::CostService svc(**db, dai::SystemClock::Instance(), {}, nullptr);
  dai::costopt::ImportOptions io;
  io.source = file;
  const auto t0 = Clock::now();
  auto r = svc.ImportFile(file, io);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!r.ok()) {
    std::fprintf(stderr, "import failed: %s\n", r.status().ToString().c_str());
    return 1;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double rows = (*r)["rows"].get<double>();
  const double mb = static_cast<double>(std::filesystem::file_size(file)) / 1048576.0;
  std::printf("import: %.0f rows in %.2f s: %.0f rows/s, %.1f MB/s, peak RSS %.0f MB\n", rows,
              secs, rows / secs, mb / secs, static_cast<double>(ru.ru_maxrss) / 1024.0);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> q, c;
  for (int i = 0; i < 5; ++i) {
    auto a = Clock::now();
    auto costs = svc.GetCosts({{"start", argv[3]}, {"end", argv[4]}, {"groupBy", "service"}});
    q.push_back(std::chrono::duration<double>(Clock::now() - a).count());
    if (!costs.ok()) {
      std::fprintf(stderr, "getCosts failed: %s\n", costs.status().ToString().c_str());
      return 1;
    }
    a = Clock::now();
    auto n = (*db)->Query("SELECT COUNT(*) FROM cost_records");
    c.push_back(std::chrono::duration<double>(Clock::now() - a).count());
    if (!n.ok()) return 1;
  }
  std::printf("getCosts by service over all %.0f rows: median %.4f s; anchor SELECT COUNT(*) FROM "
              "cost_records: %.4f s; ratio %.3f\n",
              rows, median(q), median(c), median(q) / median(c));
  return 0;
}
