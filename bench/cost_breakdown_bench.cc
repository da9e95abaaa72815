// Breakdowns over 100 million FOCUS rows (issue #8): getCosts by a dimension reads the
// per-dimension rollup (cost_rollup), so its cost depends on values × days, not on line items.
// Building 100M rows by import takes hours here, so the store is made in two steps:
//   1. a real import (CostService::ImportFile) of the sample repeated 10 times with the dates
//      shifted 0..9 years, exactly as scripts/bench-cost-import builds its file (copy k: dates
//      + k % 10 years, BillingAccountId suffixed "-" + k / 10);
//   2. SQL then makes cost_rollup what importing COPIES copies (COPIES × 1000 rows) of that same
//      file would leave: the billing_account cells repeated for every further account suffix,
//      the other dimensions' cells (identical in every copy group) scaled; cost_rollup_month is
//      then summed from it.
// Then times getCosts by service, region and account over the whole ten years (median of 5),
// beside SELECT COUNT(*) FROM cost_rollup. cost_records holds only the 10,000 real rows: a
// rollup breakdown never reads it. Usage: [REUSE=1] cost_breakdown_run SAMPLE DIR [COPIES]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "modules/cost/cost_service.h"
#include "store/migrations.h"

namespace {

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

// Field `idx` of one CSV line (quotes removed; "" inside quotes stays doubled, which the
// account ids here never contain).
std::string FieldAt(const std::string& line, size_t idx) {
  size_t field = 0, start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= line.size(); ++i) {
    const char c = i < line.size() ? line[i] : ',';
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      if (field == idx) {
        std::string f = line.substr(start, i - start);
        if (f.size() >= 2 && f.front() == '"') f = f.substr(1, f.size() - 2);
        return f;
      }
      ++field;
      start = i + 1;
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: cost_breakdown_run SAMPLE DIR [COPIES]\n");
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const std::string sample = argv[1], dir = argv[2];
  const int64_t copies = argc > 3 ? std::stoll(argv[3]) : 100000;
  if (copies < 10 || copies % 10 != 0) {
    std::fprintf(stderr, "COPIES must be a positive multiple of 10\n");
    return 2;
  }
  std::filesystem::create_directories(dir);
  dai::store::DatabaseOptions o;
  o.url = dir + "/devops-ai.db";
  auto db = dai::store::OpenDatabase(o);
  if (!db.ok() || !dai::store::Migrate(**db).ok()) {
    std::fprintf(stderr, "cannot open the store in %s\n", dir.c_str());
    return 1;
  }
  dai::costopt::CostService svc(**db, dai::SystemClock::Instance(), {}, nullptr);

  // REUSE=1 in the environment: time the queries on the store DIR already holds (made by an
  // earlier run with the same COPIES) without making it again.
  const char* reuse = std::getenv("REUSE");
  int64_t real_rows = 0;
  if (reuse != nullptr && std::string(reuse) == "1") {
    auto r = (*db)->Query(
        "SELECT COALESCE(SUM(row_count), 0) FROM cost_imports WHERE status = 'committed'");
    if (!r.ok() || r->rows.at(0).GetInt(size_t{0}) == 0) {
      std::fprintf(stderr, "REUSE=1: %s holds no imported store\n", dir.c_str());
      return 1;
    }
    real_rows = r->rows.at(0).GetInt(size_t{0});
    std::printf("store: reused %s (%lld real rows imported)\n", dir.c_str(),
                static_cast<long long>(real_rows));
  } else {
    // 1. Ten real copies: the generator's transformation (dates + k years, account suffix "-0").
    std::ifstream in(sample, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    const size_t header_end = text.find('\n') + 1;
    if (header_end == 0 || text.empty()) {
      std::fprintf(stderr, "cannot read %s\n", sample.c_str());
      return 1;
    }
    std::string csv = text.substr(0, header_end);
    size_t account_col = 0;
    for (size_t i = 0;; ++i) {
      const std::string f = FieldAt(text.substr(0, header_end - 1), i);
      if (f == "BillingAccountId") {
        account_col = i;
        break;
      }
      if (f.empty()) {
        std::fprintf(stderr, "%s has no BillingAccountId column\n", sample.c_str());
        return 1;
      }
    }
    std::vector<std::string> accounts;
    for (size_t pos = header_end; pos < text.size();) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      const std::string account = FieldAt(text.substr(pos, end - pos), account_col);
      if (!account.empty() &&
          std::find(accounts.begin(), accounts.end(), account) == accounts.end())
        accounts.push_back(account);
      pos = end + 1;
    }
    for (int k = 0; k < 10; ++k) {
      std::string body = text.substr(header_end);
      body = ReplaceAll(std::move(body), "2025-", "Y5-");
      body = ReplaceAll(std::move(body), "2024-", "Y4-");
      body = ReplaceAll(std::move(body), "Y5-", std::to_string(2025 + k) + "-");
      body = ReplaceAll(std::move(body), "Y4-", std::to_string(2024 + k) + "-");
      // BillingAccountId is quoted in the sample, and its quoted values appear in no other column:
      // "1234567890123" -> "1234567890123-0".
      for (const auto& account : accounts)
        body = ReplaceAll(std::move(body), "\"" + account + "\"", "\"" + account + "-0\"");
      csv += body;
    }
    const std::string file = dir + "/ten-copies.csv";
    std::ofstream(file, std::ios::binary) << csv;
    dai::costopt::ImportOptions io;
    io.source = file;
    auto imported = svc.ImportFile(file, io);
    if (!imported.ok()) {
      std::fprintf(stderr, "import failed: %s\n", imported.status().ToString().c_str());
      return 1;
    }
    real_rows = (*imported)["rows"].get<int64_t>();

    // 2. The rollup of COPIES copies: account cells for suffixes 1..COPIES/10-1, others scaled.
    const int64_t groups = copies / 10;
    const auto t0 = Clock::now();
    auto st = (*db)->Transaction([&](dai::store::Connection& conn) -> dai::Status {
      DAI_RETURN_IF_ERROR(
          conn.Query("UPDATE cost_rollup SET billed_cost = billed_cost * ?, effective_cost = "
                     "effective_cost * ?, list_cost = list_cost * ?, row_count = row_count * ? "
                     "WHERE dimension <> 'billing_account'",
                     {static_cast<double>(groups), static_cast<double>(groups),
                      static_cast<double>(groups), groups})
              .status());
      return conn
          .Query(
              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
              "INSERT INTO cost_rollup (dimension, value, day, currency, billed_cost, "
              "effective_cost, list_cost, row_count) SELECT r.dimension, "
              "substr(r.value, 1, length(r.value) - 1) || n.i, r.day, r.currency, r.billed_cost, "
              "r.effective_cost, r.list_cost, r.row_count FROM cost_rollup r, n WHERE "
              "r.dimension = 'billing_account'",
              {groups - 1})
          .status();
    });
    // The monthly rollup of those cells (what the import keeps in step with cost_rollup).
    if (st.ok()) {
      st = (*db)->Transaction([&](dai::store::Connection& conn) -> dai::Status {
        DAI_RETURN_IF_ERROR(conn.Query("DELETE FROM cost_rollup_month").status());
        return conn
            .Query(
                "INSERT INTO cost_rollup_month (dimension, value, month, currency, billed_cost, "
                "effective_cost, list_cost, row_count) SELECT dimension, value, substr(day, 1, 7), "
                "currency, SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(row_count) "
                "FROM cost_rollup GROUP BY dimension, value, substr(day, 1, 7), currency")
            .status();
      });
    }
    if (!st.ok()) {
      std::fprintf(stderr, "synthesis failed: %s\n", st.ToString().c_str());
      return 1;
    }
    auto cells = (*db)->Query(
        "SELECT dimension, COUNT(*), SUM(row_count) FROM cost_rollup GROUP BY dimension ORDER BY "
        "1");
    if (!cells.ok()) return 1;
    std::printf(
        "store: %lld real rows imported; cost_rollup made for %lld copies (%lld rows) in "
        "%.1f s:",
        static_cast<long long>(real_rows), static_cast<long long>(copies),
        static_cast<long long>(copies * real_rows / 10),
        std::chrono::duration<double>(Clock::now() - t0).count());
    for (const auto& r : cells->rows)
      std::printf(" %s %lld cells (%lld rows)", r.GetString(size_t{0}).c_str(),
                  static_cast<long long>(r.GetInt(size_t{1})),
                  static_cast<long long>(r.GetInt(size_t{2})));
    std::printf("\n");
  }

  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> count;
  for (int i = 0; i < 5; ++i) {
    const auto a = Clock::now();
    if (!(*db)->Query("SELECT COUNT(*) FROM cost_rollup").ok()) return 1;
    count.push_back(std::chrono::duration<double>(Clock::now() - a).count());
  }
  for (const char* dim : {"service", "region", "account"}) {
    std::vector<double> q;
    size_t groups_out = 0;
    for (int i = 0; i < 5; ++i) {
      const auto a = Clock::now();
      auto r = svc.GetCosts(
          {{"start", "2024-01-01T00:00:00Z"}, {"end", "2033-12-31T00:00:00Z"}, {"groupBy", dim}});
      q.push_back(std::chrono::duration<double>(Clock::now() - a).count());
      if (!r.ok()) {
        std::fprintf(stderr, "getCosts failed: %s\n", r.status().ToString().c_str());
        return 1;
      }
      groups_out = (*r)["groups"].size();
    }
    std::printf(
        "getCosts by %s over %lld rows, ten years of days: median %.4f s (%zu groups "
        "shown); anchor SELECT COUNT(*) FROM cost_rollup: %.4f s\n",
        dim, static_cast<long long>(copies * real_rows / 10), median(q), groups_out, median(count));
  }
  return 0;
}
