#include "modules/cost/cost_service.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "engines/cost/cost_aggregator.h"
#include "modules/incident_commander/incident_service.h"
#include "store/migrations.h"
#include "store/test_backends.h"

namespace dai::costopt {
namespace {

using store::testing::Backend;

const char* kHeader =
    "BilledCost,EffectiveCost,ListCost,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,"
    "ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ProviderName,BillingAccountId,SubAccountId,"
    "ServiceName,ServiceCategory,RegionId,ResourceId,ResourceType,PricingCategory,PricingUnit,"
    "ConsumedQuantity,Tags\n";

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// `days` days of September 2024 for one account: EC2 on-demand hourly-ish (one row per day
// with `ec2` cost), S3, and an idle load balancer billed only per hour.
std::string Month(const std::string& account, int days, double ec2,
                  const std::string& month = "2024-09") {
  std::string csv = kHeader;
  const std::string next = month == "2024-09" ? "2024-10" : "2024-11";
  for (int d = 1; d <= days; ++d) {
    char day[64];
    std::snprintf(day, sizeof day, "%s-%02d", month.c_str(), d);
    for (int h = 0; h < 24; ++h) {
      char hs[96], he[96];
      std::snprintf(hs, sizeof hs, "%sT%02d:00:00Z", day, h);
      std::snprintf(he, sizeof he, "%sT%02d:00:00Z", day, h + 1);
      csv += Num(ec2 / 24) + "," + Num(ec2 / 24) + ",," + "USD," + month + "-01," + next + "-01," +
             hs + "," + he + ",Usage,AWS," + account + ",sub1,Amazon EC2,Compute,us-east-1,i-" +
             account + ",instance,Standard,Hrs,1,\"{\"\"team\"\": \"\"web\"\"}\"\n";
    }
    csv += "2,2,,USD," + month + "-01," + next + "-01," + day + "," + day +
           "T23:59:59Z,Usage,AWS," + account + ",sub1,Amazon S3,Storage,us-east-1,bucket-" +
           account + ",bucket,Standard,GB-Mo,10,NULL\n";
    csv += "0.6,0.6,,USD," + month + "-01," + next + "-01," + day + "," + day +
           "T23:59:59Z,Usage,AWS," + account +
           ",sub1,Elastic Load Balancing,Networking,us-east-1,"
           "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/idle-" +
           account + ",,Standard,Hrs,24,NULL\n";
  }
  return csv;
}

ChunkSource FromString(const std::string& text, size_t chunk = 777) {
  auto pos = std::make_shared<size_t>(0);
  return [text, pos, chunk](char* buffer, size_t capacity) -> Result<size_t> {
    const size_t n = std::min({capacity, chunk, text.size() - *pos});
    std::copy_n(text.data() + *pos, n, buffer);
    *pos += n;
    return n;
  };
}

class CostServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string error;
    test_db_ = store::testing::TestDatabase::Create(GetParam(), &error);
    if (!test_db_) {
      if (GetParam() == Backend::kPostgres && !store::testing::InCi()) GTEST_SKIP() << error;
      FAIL() << error;
    }
    ASSERT_TRUE(store::Migrate(test_db_->db()).ok());
    clock_.SetMillis(ToUnixMillis(*ParseIso8601("2026-11-29T00:00:00Z")));
    svc_ = std::make_unique<CostService>(test_db_->db(), clock_, CostServiceOptions{},
                                         [this](const std::string& type, const std::string& json) {
                                           events_.emplace_back(type, json);
                                         });
  }
  Result<Json> Import(const std::string& csv, const std::string& name = "f.csv",
                      std::optional<std::string> period = std::nullopt,
                      size_t aggregate_budget = ImportOptions{}.aggregate_budget) {
    ImportOptions o;
    o.source = name;
    o.actor = "test";
    o.expected_period = period;
    o.batch_rows = 50;  // several staging transactions
    o.aggregate_budget = aggregate_budget;
    return svc_->Import(FromString(csv), o);
  }
  int64_t Count(const std::string& sql) {
    auto r = test_db_->db().Query(sql);
    return r.ok() ? r->rows.at(0).GetInt(size_t{0}) : -1;
  }
  // The rollup breakdowns read must equal cost_daily summed per dimension, cell for cell.
  void ExpectRollupMatchesDaily() {
    for (const std::string dim : {"provider", "billing_account", "sub_account", "service",
                                  "service_category", "region", "charge_category"}) {
      auto rollup = test_db_->db().Query(
          "SELECT value, day, currency, billed_cost, effective_cost, row_count FROM cost_rollup "
          "WHERE dimension = ? ORDER BY value, day, currency",
          {dim});
      auto daily = test_db_->db().Query(
          "SELECT " + dim +
          ", day, currency, SUM(billed_cost), SUM(effective_cost), SUM(row_count) FROM "
          "cost_daily GROUP BY " +
          dim + ", day, currency ORDER BY " + dim + ", day, currency");
      ASSERT_TRUE(rollup.ok() && daily.ok());
      ASSERT_EQ(rollup->rows.size(), daily->rows.size()) << dim;
      for (size_t i = 0; i < daily->rows.size(); ++i) {
        const auto &a = rollup->rows[i], &b = daily->rows[i];
        EXPECT_EQ(a.GetString(size_t{0}), b.GetString(size_t{0})) << dim;
        EXPECT_EQ(a.GetString(size_t{1}), b.GetString(size_t{1})) << dim;
        EXPECT_NEAR(a.GetDouble(size_t{3}), b.GetDouble(size_t{3}), 1e-9) << dim;
        EXPECT_NEAR(a.GetDouble(size_t{4}), b.GetDouble(size_t{4}), 1e-9) << dim;
        EXPECT_EQ(a.GetInt(size_t{5}), b.GetInt(size_t{5})) << dim;
      }
      // And the monthly rollup equals cost_daily summed per dimension and month.
      auto month = test_db_->db().Query(
          "SELECT value, month, currency, billed_cost, effective_cost, row_count FROM "
          "cost_rollup_month WHERE dimension = ? ORDER BY value, month, currency",
          {dim});
      auto by_month = test_db_->db().Query(
          "SELECT " + dim +
          ", substr(day, 1, 7) AS m, currency, SUM(billed_cost), SUM(effective_cost), "
          "SUM(row_count) FROM cost_daily GROUP BY " +
          dim + ", m, currency ORDER BY " + dim + ", m, currency");
      ASSERT_TRUE(month.ok() && by_month.ok());
      ASSERT_EQ(month->rows.size(), by_month->rows.size()) << dim;
      for (size_t i = 0; i < by_month->rows.size(); ++i) {
        const auto &a = month->rows[i], &b = by_month->rows[i];
        EXPECT_EQ(a.GetString(size_t{0}), b.GetString(size_t{0})) << dim;
        EXPECT_EQ(a.GetString(size_t{1}), b.GetString(size_t{1})) << dim;
        EXPECT_NEAR(a.GetDouble(size_t{3}), b.GetDouble(size_t{3}), 1e-9) << dim;
        EXPECT_NEAR(a.GetDouble(size_t{4}), b.GetDouble(size_t{4}), 1e-9) << dim;
        EXPECT_EQ(a.GetInt(size_t{5}), b.GetInt(size_t{5})) << dim;
      }
    }
  }
  // getCosts by a rollup dimension must answer what ranking cost_daily's cells (summed per
  // value and day) with the engine's BuildBreakdown answers.
  void ExpectBreakdownMatchesDaily(const std::string& group_by, const std::string& column,
                                   const std::string& start, const std::string& end, int top) {
    auto got =
        svc_->GetCosts({{"start", start}, {"end", end}, {"groupBy", group_by}, {"top", top}});
    ASSERT_TRUE(got.ok()) << got.status().message();
    auto daily = test_db_->db().Query("SELECT day, " + column +
                                      ", SUM(billed_cost), SUM(effective_cost) FROM cost_daily "
                                      "GROUP BY day, " +
                                      column);
    ASSERT_TRUE(daily.ok());
    std::vector<cost::BreakdownCell> cells;
    for (const auto& row : daily->rows)
      cells.push_back({*cost::ParseTimestamp(row.GetString(size_t{0})), row.GetString(size_t{1}),
                       row.GetDouble(size_t{2}), row.GetDouble(size_t{3})});
    const auto want =
        cost::BuildBreakdown(cells, *cost::ParseTimestamp(start.substr(0, 10)),
                             *cost::ParseTimestamp(end.substr(0, 10)), static_cast<size_t>(top));
    const std::string what = group_by + " " + start + ".." + end;
    ASSERT_EQ((*got)["days"].size(), want.days.size()) << what;
    ASSERT_EQ((*got)["groups"].size(), want.groups.size()) << what;
    EXPECT_NEAR((*got)["effectiveCost"].get<double>(), want.effective, 1e-6) << what;
    EXPECT_NEAR((*got)["billedCost"].get<double>(), want.billed, 1e-6) << what;
    for (size_t i = 0; i < want.groups.size(); ++i) {
      const auto& g = (*got)["groups"][i];
      EXPECT_EQ(g["key"], want.groups[i].key) << what;
      EXPECT_NEAR(g["effectiveCost"].get<double>(), want.groups[i].effective, 1e-6) << what;
      EXPECT_NEAR(g["billedCost"].get<double>(), want.groups[i].billed, 1e-6) << what;
      ASSERT_EQ(g["series"].size(), want.groups[i].series.size()) << what;
      for (size_t d = 0; d < want.groups[i].series.size(); ++d)
        EXPECT_NEAR(g["series"][d].get<double>(), want.groups[i].series[d], 1e-6)
            << what << " " << want.groups[i].key << " day " << d;
    }
  }
  FakeClock clock_;
  std::unique_ptr<store::testing::TestDatabase> test_db_;
  std::unique_ptr<CostService> svc_;
  std::vector<std::pair<std::string, std::string>> events_;
};

TEST_P(CostServiceTest, ImportsOnceAndReimportReplacesThePeriod) {
  auto first = Import(Month("111", 20, 8.0));
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE((*first)["duplicate"].get<bool>());
  EXPECT_EQ((*first)["rows"], 20 * 26);
  EXPECT_NEAR((*first)["billedCost"].get<double>(), 20 * (8 + 2 + 0.6), 1e-6);
  ASSERT_EQ((*first)["periods"].size(), 1u);
  EXPECT_EQ((*first)["periods"][0]["start"], "2024-09-01");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_records"), 520);

  // The same bytes again: recognised, nothing changes.
  auto again = Import(Month("111", 20, 8.0), "copy.csv");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)["duplicate"].get<bool>());
  EXPECT_EQ((*again)["importId"], (*first)["importId"]);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_records"), 520);

  // Another account's file for the same period is kept beside it.
  ASSERT_TRUE(Import(Month("222", 20, 1.0)).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_records"), 1040);

  // A corrected file for account 111 replaces its period atomically.
  auto corrected = Import(Month("111", 25, 4.0));
  ASSERT_TRUE(corrected.ok()) << corrected.status().message();
  EXPECT_EQ((*corrected)["replacedImports"], Json::array({(*first)["importId"]}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_records"), 25 * 26 + 520);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_imports WHERE status = 'replaced'"), 1);
  auto costs = svc_->GetCosts(
      {{"start", "2024-09-01T00:00:00Z"}, {"end", "2024-10-01T00:00:00Z"}, {"groupBy", "account"}});
  ASSERT_TRUE(costs.ok()) << costs.status().message();
  EXPECT_EQ((*costs)["days"].size(), 30u);
  ASSERT_EQ((*costs)["groups"].size(), 2u);
  EXPECT_EQ((*costs)["groups"][0]["key"], "111");
  EXPECT_NEAR((*costs)["groups"][0]["effectiveCost"].get<double>(), 25 * (4 + 2 + 0.6), 1e-6);
  EXPECT_NEAR((*costs)["groups"][1]["effectiveCost"].get<double>(), 20 * (1 + 2 + 0.6), 1e-6);
  EXPECT_EQ(events_.front().first, "cost.imported");
  ExpectRollupMatchesDaily();

  // A shorter correction: the days only the replaced file had leave the rollup.
  EXPECT_GT(Count("SELECT COUNT(*) FROM cost_rollup WHERE day > '2024-09-20'"), 0);
  auto shorter = Import(Month("111", 10, 4.0), "shorter.csv");
  ASSERT_TRUE(shorter.ok()) << shorter.status().message();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_records"), 10 * 26 + 520);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_rollup WHERE day > '2024-09-20'"), 0);
  ExpectRollupMatchesDaily();
}

TEST_P(CostServiceTest, BadFilesLeaveNothingBehind) {
  std::string bad = Month("111", 3, 8.0);
  bad +=
      "oops,1,,USD,2024-09-01,2024-10-01,2024-09-05,2024-09-05,Usage,AWS,111,s,S,C,r,x,t,Standard,"
      "Hrs,1,NULL\n";
  auto r = Import(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "line 80, column BilledCost: 'oops' is not a number");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_records"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_daily"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_imports WHERE status = 'failed'"), 1);
  // Another billing period than expected.
  auto other = Import(Month("111", 2, 1.0), "g.csv", "2024-08");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(
      other.status().message(),
      "line 2, column BillingPeriodStart: billing period 2024-09 is not the expected 2024-08");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_records"), 0);
  // Mixed currencies.
  std::string mixed = Month("111", 1, 1.0);
  mixed +=
      "1,1,,EUR,2024-09-01,2024-10-01,2024-09-05,2024-09-05,Usage,AWS,111,s,S,C,r,x,t,Standard,Hrs,"
      "1,NULL\n";
  auto m = Import(mixed);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("line 28, column BillingCurrency: 'EUR' differs from 'USD'"),
            std::string::npos)
      << m.status().message();
  EXPECT_FALSE(Import(std::string(kHeader)).ok());  // header only
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_records"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_rollup"), 0);
}

// Every row of a table, as text, in a fixed order (the order of `columns`).
std::vector<std::string> Rows(store::Database& db, const std::string& table,
                              const std::string& columns) {
  std::vector<std::string> out;
  auto r = db.Query("SELECT " + columns + " FROM " + table + " ORDER BY " + columns);
  if (!r.ok()) return {"error: " + r.status().message()};
  for (const auto& row : r->rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (row.IsNull(i)) {
        line += "NULL|";
        continue;
      }
      // Numbers are compared to 9 decimals (spilled cells are added up in another order).
      auto d = row.GetString(i);
      char* end = nullptr;
      double v = std::strtod(d.c_str(), &end);
      if (end != d.c_str() && *end == '\0') {
        if (std::fabs(v) < 5e-10) v = 0;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.9f", v);
        d = buf;
      }
      line += d + "|";
    }
    out.push_back(line);
  }
  return out;
}

TEST_P(CostServiceTest, SpilledAggregatesGiveTheSameRollupAsInMemory) {
  // Two accounts' months and a row spread over three days; a budget of 3 cells spills after
  // every few rows, so the same (day, dimensions) cell is spilled in many partial sums.
  std::string csv = Month("111", 12, 8.0);
  const std::string other = Month("222", 9, 3.0);
  csv += other.substr(other.find('\n') + 1);
  csv +=
      "9,9,12,USD,2024-09-01,2024-10-01,2024-09-03T00:00:00Z,2024-09-06T00:00:00Z,Usage,AWS,111,"
      "sub1,Support,Management,us-east-1,,,Standard,,,NULL\n";
  const std::string daily_cols =
      "day, billing_period, provider, billing_account, sub_account, service, service_category, "
      "region, charge_category, currency, billed_cost, effective_cost, list_cost, row_count";
  const std::string rollup_cols =
      "dimension, value, day, currency, billed_cost, effective_cost, list_cost, row_count";
  const std::string hourly_cols = "hour, billing_period, on_demand_compute";
  auto& db = test_db_->db();
  auto snapshot = [&] {
    return std::make_tuple(Rows(db, "cost_daily", daily_cols), Rows(db, "cost_rollup", rollup_cols),
                           Rows(db, "cost_hourly", hourly_cols));
  };
  auto clear = [&] {
    for (const char* t : {"cost_records", "cost_daily", "cost_hourly", "cost_rollup",
                          "cost_rollup_month", "cost_daily_spill", "cost_imports"})
      ASSERT_TRUE(db.Query(std::string("DELETE FROM ") + t).ok()) << t;
  };

  auto in_memory = Import(csv, "f.csv", std::nullopt, 1000000);
  ASSERT_TRUE(in_memory.ok()) << in_memory.status().message();
  const auto expected = snapshot();
  ASSERT_GT(std::get<0>(expected).size(), 20u);
  ExpectRollupMatchesDaily();
  clear();

  auto spilled = Import(csv, "f.csv", std::nullopt, 3);
  ASSERT_TRUE(spilled.ok()) << spilled.status().message();
  EXPECT_EQ((*spilled)["rows"], (*in_memory)["rows"]);
  EXPECT_NEAR((*spilled)["billedCost"].get<double>(), (*in_memory)["billedCost"].get<double>(),
              1e-9);
  EXPECT_EQ(std::get<0>(snapshot()), std::get<0>(expected));
  EXPECT_EQ(std::get<1>(snapshot()), std::get<1>(expected));
  EXPECT_EQ(std::get<2>(snapshot()), std::get<2>(expected));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_daily_spill"), 0);
  ExpectRollupMatchesDaily();
  // The spread row: its three days in the rollup, 3 each.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_rollup WHERE dimension = 'service' AND value = "
                  "'Support'"),
            3);

  // A replacement under the small budget replaces exactly (account 111's period), and the
  // spread-only days of the replaced file leave the rollup.
  auto corrected = Import(Month("111", 5, 1.0), "g.csv", std::nullopt, 3);
  ASSERT_TRUE(corrected.ok()) << corrected.status().message();
  EXPECT_EQ((*corrected)["replacedImports"].size(), 1u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_rollup WHERE dimension = 'service' AND value = "
                  "'Support'"),
            0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_daily_spill"), 0);
  ExpectRollupMatchesDaily();

  // A bad file under the small budget (it fails after spilling) leaves nothing behind.
  std::string bad = Month("333", 6, 2.0);
  bad +=
      "oops,1,,USD,2024-09-01,2024-10-01,2024-09-05,2024-09-05,Usage,AWS,333,s,S,C,r,x,t,Standard,"
      "Hrs,1,NULL\n";
  const auto before = snapshot();
  ASSERT_FALSE(Import(bad, "bad.csv", std::nullopt, 3).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_daily_spill"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_records WHERE account_id = '333'"), 0);
  EXPECT_EQ(snapshot(), before);
}

TEST_P(CostServiceTest, BreakdownsReadWholeMonthsAndPartialDaysAlike) {
  ASSERT_TRUE(Import(Month("111", 30, 8.0)).ok());
  ASSERT_TRUE(Import(Month("222", 20, 1.0, "2024-10")).ok());
  ASSERT_TRUE(Import(Month("333", 25, 3.0)).ok());
  ExpectRollupMatchesDaily();
  // No whole month, one whole month with partial ends, two whole months exactly, and top 1
  // (one shown group, "(other)" from the day totals) or all groups.
  for (const auto& [start, end] : {std::pair{"2024-09-10T00:00:00Z", "2024-09-20T00:00:00Z"},
                                   std::pair{"2024-09-15T00:00:00Z", "2024-10-10T00:00:00Z"},
                                   std::pair{"2024-08-20T00:00:00Z", "2024-11-05T00:00:00Z"},
                                   std::pair{"2024-09-01T00:00:00Z", "2024-11-01T00:00:00Z"}}) {
    for (const int top : {1, 10}) {
      ExpectBreakdownMatchesDaily("account", "billing_account", start, end, top);
      ExpectBreakdownMatchesDaily("service", "service", start, end, top);
    }
  }
  // A replacement keeps the monthly rollup in step.
  ASSERT_TRUE(Import(Month("111", 4, 2.0), "short.csv").ok());
  ExpectRollupMatchesDaily();
  ExpectBreakdownMatchesDaily("account", "billing_account", "2024-08-01T00:00:00Z",
                              "2024-11-01T00:00:00Z", 1);
}

TEST_P(CostServiceTest, BreakdownsByTagAndResource) {
  ASSERT_TRUE(Import(Month("111", 10, 8.0)).ok());
  auto tags = svc_->GetCosts({{"start", "2024-09-01T00:00:00Z"},
                              {"end", "2024-09-11T00:00:00Z"},
                              {"groupBy", "tag:team"}});
  ASSERT_TRUE(tags.ok()) << tags.status().message();
  ASSERT_EQ((*tags)["groups"].size(), 2u);
  EXPECT_EQ((*tags)["groups"][0]["key"], "web");
  EXPECT_NEAR((*tags)["groups"][0]["effectiveCost"].get<double>(), 80, 1e-6);
  EXPECT_EQ((*tags)["groups"][1]["key"], "(none)");
  auto res = svc_->GetCosts({{"start", "2024-09-01T00:00:00Z"},
                             {"end", "2024-09-11T00:00:00Z"},
                             {"groupBy", "resource"},
                             {"top", 1}});
  ASSERT_TRUE(res.ok());
  ASSERT_EQ((*res)["groups"].size(), 2u);
  EXPECT_EQ((*res)["groups"][0]["key"], "i-111");
  EXPECT_EQ((*res)["groups"][1]["key"], "(other)");
  auto bad = svc_->GetCosts(
      {{"start", "2024-09-01T00:00:00Z"}, {"end", "2024-09-11T00:00:00Z"}, {"groupBy", "color"}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("groupBy: unknown dimension 'color'"), std::string::npos);
}

TEST_P(CostServiceTest, ForecastAndBudgetsAlertOncePerCrossing) {
  ASSERT_TRUE(Import(Month("111", 20, 8.0)).ok());
  auto f = svc_->Forecast({{"horizon", "month"}});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ((*f)["asOf"], "2024-09-21");
  EXPECT_EQ((*f)["periodEnd"], "2024-10-01");
  EXPECT_EQ((*f)["daily"].size(), 10u);
  EXPECT_NEAR((*f)["actualToDate"].get<double>(), 20 * 10.6, 1e-6);
  // Constant daily spend: the month lands near 30 x 10.6 and the interval contains it.
  EXPECT_NEAR((*f)["projected"]["mean"].get<double>(), 318, 5);
  EXPECT_LE((*f)["projected"]["lo95"].get<double>(), (*f)["projected"]["mean"].get<double>());
  EXPECT_GE((*f)["projected"]["hi95"].get<double>(), (*f)["projected"]["mean"].get<double>());
  EXPECT_EQ(svc_->Forecast({{"horizon", "month"}, {"scope", "colour=red"}}).status().code(),
            StatusCode::kInvalidArgument);

  Identity who;
  who.user_id = 1;
  who.username = "alice";
  who.role = Role::kOperator;
  auto b = svc_->SetBudget({{"name", "aws"},
                            {"scope", "provider=AWS"},
                            {"amount", 300.0},
                            {"currency", "USD"},
                            {"period", "monthly"},
                            {"thresholds", {50, 100}}},
                           who);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ((*b)["status"], "warning");  // 212 of 300 spent; forecast ~318 > 100%
  EXPECT_NEAR((*b)["actualPercent"].get<double>(), 212.0 / 3, 1e-6);
  int budget_events = 0;
  for (const auto& [type, json] : events_) budget_events += type == "cost.budget";
  EXPECT_EQ(budget_events, 3);  // actual 50%, forecast 50%, forecast 100%
  ASSERT_TRUE(svc_->ListBudgets().ok());
  int again = 0;
  for (const auto& [type, json] : events_) again += type == "cost.budget";
  EXPECT_EQ(again, 3);  // no second alert for the same crossings
  EXPECT_EQ(svc_->SetBudget({{"name", "x"},
                             {"scope", "all"},
                             {"amount", 10.0},
                             {"currency", "EUR"},
                             {"period", "monthly"}},
                            who)
                .status()
                .message(),
            "currency: the billing data is in USD, not EUR");
}

TEST_P(CostServiceTest, RecommendationsAndApply) {
  ASSERT_TRUE(Import(Month("111", 20, 8.0)).ok());
  // Utilization of an over-provisioned container, hourly for 7 days.
  for (int h = 0; h < 7 * 24; ++h) {
    const TimePoint at =
        FromUnixMillis(ToUnixMillis(*ParseIso8601("2024-09-14T00:00:00Z")) + int64_t{h} * 3600000);
    ASSERT_TRUE(
        test_db_->db()
            .Query(
                "INSERT INTO resource_utilization (resource_id, resource_type, cpu_request, "
                "cpu_usage_p95, "
                "cpu_usage_max, memory_request, memory_usage_max, network_bytes, sample_count, "
                "period_start, period_end) VALUES (?, 'container', 2.0, ?, ?, ?, ?, 1e9, 60, ?, ?)",
                {std::string("shop/web/app"), 0.2 + 0.01 * (h % 5), 0.3, 4096.0 * 1048576,
                 500.0 * 1048576, at, at + std::chrono::hours(1)})
            .ok());
  }
  auto refreshed = svc_->RefreshRecommendations(Json::object());
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().message();
  auto recs = svc_->GetRecommendations({{"status", "open"}});
  ASSERT_TRUE(recs.ok());
  std::map<std::string, Json> by_type;
  for (const auto& r : (*recs)["items"]) by_type[r["type"].get<std::string>()] = r;
  ASSERT_TRUE(by_type.count("idle_resource")) << recs->dump();
  EXPECT_NE(
      by_type["idle_resource"]["resourceId"].get<std::string>().find("loadbalancer/app/idle-111"),
      std::string::npos);
  ASSERT_TRUE(by_type.count("savings_plan")) << recs->dump();
  // Constant on-demand compute spend: the plan covers all of it and saves the discount.
  const Json sp = by_type["savings_plan"];
  EXPECT_NEAR(sp["details"]["coverage"].get<double>(), 1.0, 1e-6);
  EXPECT_NEAR(sp["monthlySavings"].get<double>(), 0.28 * sp["currentCost"].get<double>(), 1e-6);
  EXPECT_NEAR(sp["currentCost"].get<double>(), 8.0 / 24 * 730, 1e-6);
  ASSERT_TRUE(by_type.count("rightsizing")) << recs->dump();
  const Json rs = by_type["rightsizing"];
  EXPECT_GT(rs["monthlySavings"].get<double>(), 0);

  Identity who;
  who.username = "cli";
  who.role = Role::kOperator;
  auto dry = svc_->ApplyRecommendation({{"id", rs["id"]}, {"dryRun", true}}, who);
  ASSERT_TRUE(dry.ok()) << dry.status().message();
  EXPECT_EQ((*dry)["recommendation"]["status"], "open");
  EXPECT_EQ((*dry)["change"]["format"], "kubernetes-strategic-merge-patch");
  EXPECT_EQ((*dry)["change"]["target"]["namespace"], "shop");
  EXPECT_EQ((*dry)["change"]["patch"]["spec"]["template"]["spec"]["containers"][0]["name"], "app");
  // The same patch as YAML, for a file a person reviews and applies.
  EXPECT_NE((*dry)["change"]["yaml"].get<std::string>().find(
                "spec:\n  template:\n    spec:\n      containers:\n        - name: \"app\"\n"),
            std::string::npos)
      << (*dry)["change"].dump();
  auto applied = svc_->ApplyRecommendation({{"id", rs["id"]}}, who);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ((*applied)["recommendation"]["status"], "applied");
  EXPECT_EQ(svc_->ApplyRecommendation({{"id", rs["id"]}}, who).status().code(),
            StatusCode::kFailedPrecondition);
  auto idle =
      svc_->ApplyRecommendation({{"id", by_type["idle_resource"]["id"]}, {"dryRun", true}}, who);
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ((*idle)["change"]["command"].get<std::string>().rfind(
                "aws elbv2 delete-load-balancer --load-balancer-arn '", 0),
            0u);
  // A refresh keeps the applied one and does not raise it again.
  ASSERT_TRUE(svc_->RefreshRecommendations(Json::object()).ok());
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM cost_recommendations WHERE recommendation_type = 'rightsizing'"),
      1);
  EXPECT_EQ(svc_->ApplyRecommendation({{"id", 9999}}, who).status().code(), StatusCode::kNotFound);

  // A proposal (the assistant's) waits on the recommendation for a person; a refresh keeps it;
  // rejecting leaves the recommendation open, approving applies it as the person.
  int64_t idle_id = 0;  // the refresh above raised the open ones again, under new ids
  auto open_now = svc_->GetRecommendations({{"status", "open"}});
  ASSERT_TRUE(open_now.ok());
  for (const auto& r : (*open_now)["items"]) {
    if (r["type"] == "idle_resource") idle_id = r["id"].get<int64_t>();
  }
  ASSERT_GT(idle_id, 0);
  auto proposed = svc_->ProposeRecommendation(idle_id, "assistant for ann", "idle for 20 days");
  ASSERT_TRUE(proposed.ok()) << proposed.status().ToString();
  EXPECT_EQ(svc_->ProposeRecommendation(idle_id, "assistant for ann", "again").status().code(),
            StatusCode::kConflict);
  EXPECT_EQ(svc_->ProposeRecommendation(rs["id"].get<int64_t>(), "a", "b").status().code(),
            StatusCode::kFailedPrecondition);  // already applied
  ASSERT_TRUE(svc_->RefreshRecommendations(Json::object()).ok());
  auto kept = svc_->GetRecommendations({{"status", "open"}});
  ASSERT_TRUE(kept.ok());
  int with_proposal = 0;
  for (const auto& r : (*kept)["items"]) {
    if (r["id"] == idle_id) {
      ++with_proposal;
      EXPECT_EQ(r["details"]["proposal"]["status"], "pending");
      EXPECT_EQ(r["details"]["proposal"]["by"], "assistant for ann");
    }
  }
  EXPECT_EQ(with_proposal, 1) << kept->dump();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_recommendations WHERE recommendation_type = "
                  "'idle_resource'"),
            1);
  auto rejected = svc_->DecideProposal({{"id", idle_id}, {"decision", "reject"}}, who);
  ASSERT_TRUE(rejected.ok()) << rejected.status().ToString();
  EXPECT_EQ((*rejected)["recommendation"]["status"], "open");
  EXPECT_EQ((*rejected)["recommendation"]["details"]["proposal"]["status"], "rejected");
  EXPECT_EQ(svc_->DecideProposal({{"id", idle_id}, {"decision", "approve"}}, who).status().code(),
            StatusCode::kFailedPrecondition);  // nothing pending any more
  ASSERT_TRUE(svc_->ProposeRecommendation(idle_id, "assistant for ann", "still idle").ok());
  auto approved = svc_->DecideProposal({{"id", idle_id}, {"decision", "approve"}}, who);
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  EXPECT_EQ((*approved)["recommendation"]["status"], "applied");
  EXPECT_EQ((*approved)["recommendation"]["details"]["proposal"]["status"], "approved");
  EXPECT_EQ((*approved)["recommendation"]["details"]["proposal"]["decidedBy"], "cli");
  EXPECT_EQ((*approved)["change"]["format"], "cli");
}

TEST_P(CostServiceTest, ImportsTheFocusSample) {
  const auto path = std::filesystem::path(DAI_SHARED_DATA) / "cost/focus/focus_sample_1.0.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  ImportOptions o;
  o.source = "focus_sample_1.0.csv";
  auto r = svc_->ImportFile(path.string(), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)["rows"], 1000);
  EXPECT_EQ((*r)["format"], "focus");
  EXPECT_EQ((*r)["periods"].size(), 2u);  // one row belongs to October's billing period
  EXPECT_NEAR((*r)["billedCost"].get<double>(), 20.52022672899003, 1e-6);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_records"), 1000);
  auto costs = svc_->GetCosts({{"start", "2024-09-01T00:00:00Z"},
                               {"end", "2024-10-02T00:00:00Z"},
                               {"groupBy", "provider"}});
  ASSERT_TRUE(costs.ok());
  EXPECT_EQ((*costs)["groups"].size(), 3u);
  auto f = svc_->Forecast({{"horizon", "month"}});
  ASSERT_TRUE(f.ok()) << f.status().message();
  auto meta = test_db_->db().Query(
      "SELECT metadata FROM cost_records WHERE resource_id LIKE "
      "'%storageaccounts/2b7e6ef8d799420f9aafb807'");
  ASSERT_TRUE(meta.ok());
  ASSERT_FALSE(meta->rows.empty());
  auto m = ParseJson(meta->rows[0].GetString(size_t{0}));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)["extra"]["Id"], "5201819");  // an unmapped column is kept
}

// Daily rows for 2024-09-01 onwards: `services` each with a steady weekday/weekend level and
// deterministic noise; `spike` multiplies one service's cost on one day.
std::string DailyCsv(int days, const std::string& spike_service, int spike_day, double factor) {
  std::string csv = kHeader;
  uint32_t seed = 12345;
  auto noise = [&seed]() {
    seed = seed * 1103515245u + 12345u;
    return (static_cast<double>((seed >> 8) % 10000) / 10000.0 - 0.5) * 0.06;
  };
  const struct {
    const char* name;
    double level;
  } services[] = {{"Amazon EC2", 400}, {"Amazon S3", 60}, {"Amazon RDS", 150}};
  for (int d = 0; d < days; ++d) {
    const int64_t day = 1725148800 + int64_t{d} * 86400;  // 2024-09-01
    const std::string ds = FormatIso8601(FromUnixMillis(day * 1000)).substr(0, 10);
    const std::string month = ds.substr(0, 7);
    const std::string next = month == "2024-09"   ? "2024-10"
                             : month == "2024-10" ? "2024-11"
                                                  : "2024-12";
    for (const auto& svc : services) {
      double cost = svc.level * ((d % 7) >= 5 ? 0.85 : 1.0) * (1 + noise());
      if (svc.name == spike_service && d == spike_day) cost *= factor;
      // Two line items per service and day: a big one and a small one.
      for (int part = 0; part < 2; ++part) {
        const double c = part == 0 ? cost * 0.8 : cost * 0.2;
        csv += Num(c) + "," + Num(c) + ",,USD," + month + "-01," + next + "-01," + ds + "," + ds +
               "T23:59:59Z,Usage,AWS,acct-1,sub1," + svc.name + ",Compute,us-east-1," +
               std::string(part == 0 ? "big-" : "small-") + svc.name + ",x,Standard,Hrs,24,NULL\n";
      }
    }
  }
  return csv;
}

TEST_P(CostServiceTest, CostAnomaliesBecomeIncidentSignalsWithLineItems) {
  incidents::IncidentService incidents(test_db_->db(), clock_, incidents::IncidentServiceOptions{},
                                       nullptr);
  CostServiceOptions options;
  int batches = 0;
  options.signals = [&](const alerts::AlertBatch& batch) -> Status {
    ++batches;
    return incidents.Ingest(batch, "cost-anomaly").status();
  };
  CostService svc(test_db_->db(), clock_, options, nullptr);
  // 50 days, Amazon RDS spends 3x on day 40 (2024-10-11).
  ImportOptions o;
  o.source = "daily.csv";
  auto imported = svc.Import(FromString(DailyCsv(50, "Amazon RDS", 40, 3.0)), o);
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  // The import ran the detection: one anomaly per dimension it shows in (service; the account
  // total moves too).
  auto listed = svc.ListAnomalies(Json::object());
  ASSERT_TRUE(listed.ok());
  bool service_found = false;
  for (const auto& a : (*listed)["items"]) {
    EXPECT_EQ(a["day"], "2024-10-11") << a.dump();
    if (a["dimension"] == "service") {
      service_found = true;
      EXPECT_EQ(a["key"], "Amazon RDS");
      EXPECT_NEAR(a["expected"].get<double>(), 150, 30);
      EXPECT_GT(a["cost"].get<double>(), 350);  // 3x a (weekend-level) day
      ASSERT_FALSE(a["evidence"].empty());
      EXPECT_EQ(a["evidence"][0]["resourceId"], "big-Amazon RDS");  // largest line item first
    } else {
      EXPECT_EQ(a["dimension"], "account");
      EXPECT_EQ(a["key"], "acct-1");
    }
  }
  EXPECT_TRUE(service_found) << listed->dump();
  EXPECT_EQ(batches, 1);
  EXPECT_GE(Count("SELECT COUNT(*) FROM incidents"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE source = 'cost'"),
            static_cast<int64_t>((*listed)["items"].size()));
  auto labels = test_db_->db().Query(
      "SELECT CAST(labels AS TEXT), CAST(annotations AS TEXT) FROM alerts WHERE source = 'cost' "
      "AND "
      "CAST(labels AS TEXT) LIKE '%Amazon RDS%'");
  ASSERT_TRUE(labels.ok());
  ASSERT_EQ(labels->rows.size(), 1u);
  EXPECT_NE(labels->rows[0].GetString(size_t{1}).find("big-Amazon RDS"), std::string::npos);
  // A second run raises nothing new (one signal per day and dimension value).
  auto again = svc.DetectAnomalies(Json::object());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["raised"], 0);
  EXPECT_EQ(batches, 1);
  EXPECT_EQ(svc.DetectAnomalies({{"threshold", 1.5}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(CostServiceTest, NoSpikeNoAnomalyAndNoSinkRecordsNothing) {
  ASSERT_TRUE(Import(DailyCsv(50, "", -1, 1.0)).ok());
  auto found = svc_->DetectAnomalies(Json::object());
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)["found"], 0) << found->dump();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cost_anomalies"), 0);
}

TEST_P(CostServiceTest, RealizedSavingsCompareSpendBeforeAndAfterApplying) {
  // i-big costs 24 a day for 10 days, then 6 a day after it was right-sized on day 10.
  std::string csv = kHeader;
  for (int d = 1; d <= 20; ++d) {
    char day[32];
    std::snprintf(day, sizeof day, "2024-09-%02d", d);
    const double c = d <= 10 ? 24 : 6;
    csv += Num(c) + "," + Num(c) + ",,USD,2024-09-01,2024-10-01," + day + "," + day +
           "T23:59:59Z,Usage,AWS,1,sub1,Amazon EC2,Compute,us-east-1,i-big,instance,Standard,Hrs,"
           "24,NULL\n";
  }
  ASSERT_TRUE(Import(csv).ok());
  ASSERT_TRUE(test_db_->db()
                  .Query("INSERT INTO cost_recommendations (recommendation_type, resource_id, "
                         "title, estimated_savings) VALUES ('rightsizing', 'i-big', 'Right-size', "
                         "500)")
                  .ok());
  auto open = svc_->GetRecommendations({{"status", "open"}});
  ASSERT_TRUE(open.ok());
  ASSERT_EQ((*open)["items"].size(), 1u);
  EXPECT_TRUE((*open)["items"][0]["realizedSavings"].is_null());
  clock_.SetMillis(ToUnixMillis(*ParseIso8601("2024-09-10T12:00:00Z")));
  Identity who;
  who.username = "op";
  ASSERT_TRUE(svc_->ApplyRecommendation({{"id", (*open)["items"][0]["id"]}}, who).ok());
  auto applied = svc_->GetRecommendations({{"status", "applied"}});
  ASSERT_TRUE(applied.ok());
  const Json r = (*applied)["items"][0]["realizedSavings"];
  ASSERT_TRUE(r.is_object()) << applied->dump();
  EXPECT_DOUBLE_EQ(r["beforeDaily"].get<double>(), 24);
  EXPECT_EQ(r["beforeDays"], 9);  // the day of the change is left out
  EXPECT_EQ(r["afterDays"], 10);  // 09-11 .. 09-20
  EXPECT_DOUBLE_EQ(r["afterDaily"].get<double>(), 6);
  EXPECT_NEAR(r["monthly"].get<double>(), 18 * 30.4, 1e-9);
}

TEST_P(CostServiceTest, CollectorsWithoutConfigurationSayWhichSetting) {
  const TimePoint now = clock_.Now();
  auto u = svc_->CollectUtilization(now - std::chrono::hours(1), now, std::chrono::seconds(60));
  EXPECT_EQ(u.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(u.status().message().find("--prometheus-url"), std::string::npos);
  EXPECT_EQ(svc_->Estimate().status().code(), StatusCode::kFailedPrecondition);
  auto oc = svc_->PullOpenCost(3);
  EXPECT_EQ(oc.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(oc.status().message().find("--opencost-url"), std::string::npos);
  EXPECT_TRUE(svc_->CollectUtilizationDue().ok());  // nothing to do, not an error
  auto st = svc_->CollectorStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["prometheusConfigured"], false);
}

// A gzip export with FOCUS 1.1 columns (ServiceSubcategory, SkuMeter, CapacityReservationId):
// read through zlib, the 1.1 columns without a column of their own kept in the metadata.
TEST_P(CostServiceTest, ImportsAGzipFocus11File) {
  std::string csv = kHeader;
  csv.pop_back();  // the newline
  csv += ",ServiceSubcategory,SkuMeter,CapacityReservationId\n";
  for (int d = 1; d <= 3; ++d)
    csv += "4,3,,USD,2024-09-01,2024-10-01,2024-09-0" + std::to_string(d) + ",2024-09-0" +
           std::to_string(d) +
           "T23:59:59Z,Usage,AWS,111,sub1,Amazon EC2,Compute,us-east-1,i-1,instance,Standard,Hrs,"
           "24,NULL,Virtual Machines,Compute Usage,cr-9\n";
  const auto path = std::filesystem::temp_directory_path() /
                    ("dai-focus11-" + std::to_string(::getpid()) + ".csv.gz");
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, csv.data(), static_cast<unsigned>(csv.size())),
            static_cast<int>(csv.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
  ImportOptions o;
  o.source = "focus-1.1.csv.gz";
  auto r = svc_->ImportFile(path.string(), o);
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)["rows"], 3);
  EXPECT_EQ((*r)["format"], "focus");
  EXPECT_NEAR((*r)["billedCost"].get<double>(), 12, 1e-9);
  EXPECT_NEAR((*r)["effectiveCost"].get<double>(), 9, 1e-9);
  auto meta = test_db_->db().Query("SELECT metadata FROM cost_records LIMIT 1");
  ASSERT_TRUE(meta.ok() && meta->rows.size() == 1);
  const std::string m = meta->rows[0].GetString(size_t{0});
  EXPECT_NE(m.find("Virtual Machines"), std::string::npos) << m;
  EXPECT_NE(m.find("cr-9"), std::string::npos) << m;
  // A missing file is refused.
  auto missing = svc_->ImportFile((path.string() + ".absent"), o);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

Json SpotDeployment() {
  return Json::parse(R"({"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
      "containers": [{"name": "app", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}}}})");
}

// Spot recommendations from the cluster the server reads (a function here), priced by the
// measured utilization when there is some; a cluster that cannot be read does not stop the
// other recommendations.
TEST_P(CostServiceTest, SpotRecommendationsFromTheCluster) {
  bool fail = false;
  CostServiceOptions options;
  options.read_cluster = [&fail](std::vector<Json>* objects,
                                 std::vector<std::string>* errors) -> Status {
    if (fail) return Status::Unavailable("cluster unreachable");
    objects->push_back(SpotDeployment());
    Json single = SpotDeployment();
    single["metadata"]["name"] = "solo";
    single["spec"]["replicas"] = 1;
    objects->push_back(single);
    errors->push_back("CronJob: forbidden");
    return Status::Ok();
  };
  CostService svc(test_db_->db(), clock_, options, nullptr);
  // Two measured hours of shop/web's container: 2 cores used of 1 requested, 1 GiB.
  for (int h = 0; h < 2; ++h) {
    const TimePoint start = clock_.Now() - std::chrono::hours(2 - h);
    ASSERT_TRUE(test_db_->db()
                    .Query("INSERT INTO resource_utilization (resource_id, resource_type, "
                           "namespace, cpu_request, cpu_usage_avg, memory_request, "
                           "memory_usage_avg, period_start, period_end) VALUES (?, 'container', "
                           "'shop', 1, 2, ?, ?, ?, ?)",
                           {std::string("shop/web/app"), 1073741824.0, 536870912.0, start,
                            start + std::chrono::hours(1)})
                    .ok());
  }
  auto spot = svc.AssessSpot(Json::object());
  ASSERT_TRUE(spot.ok()) << spot.status().message();
  EXPECT_EQ((*spot)["provider"], "default");
  EXPECT_EQ((*spot)["errors"], Json::array({"CronJob: forbidden"}));
  ASSERT_EQ((*spot)["workloads"].size(), 2u);
  const Json& web = (*spot)["workloads"][0];
  EXPECT_EQ(web["id"], "shop/Deployment/web");
  EXPECT_EQ(web["costSource"], "utilization");
  const double hourly = 2 * 0.031611 + 1 * 0.004237;  // max(request, usage)
  EXPECT_NEAR(web["monthlyCost"].get<double>(), hourly * 3 * 730, 1e-9);
  EXPECT_EQ((*spot)["workloads"][1]["failed"], Json::array({"replicated"}));
  EXPECT_EQ(svc.AssessSpot({{"provider", "ibm"}}).status().code(), StatusCode::kInvalidArgument);

  auto refreshed = svc.RefreshRecommendations(Json::object());
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().message();
  EXPECT_EQ((*refreshed)["spot"]["assessed"], 2);
  EXPECT_EQ((*refreshed)["spot"]["suitable"], 1);
  auto recs = svc.GetRecommendations({{"type", "spot_instance"}});
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ((*recs)["total"], 1);
  const Json rec = (*recs)["items"][0];
  EXPECT_NEAR(rec["monthlySavings"].get<double>(), hourly * 3 * 730 * 0.6, 1e-9);
  EXPECT_EQ(rec["risk"], "medium");  // more pods than the minimum, but no disruption budget
  Identity who;
  who.username = "ann";
  auto change = svc.ApplyRecommendation({{"id", rec["id"]}, {"dryRun", true}}, who);
  ASSERT_TRUE(change.ok());
  EXPECT_EQ((*change)["change"]["yaml"],
            "spec:\n  template:\n    spec:\n      nodeSelector:\n        "
            "karpenter.sh/capacity-type: \"spot\"\n");
  EXPECT_EQ((*change)["recommendation"]["status"], "open");

  fail = true;
  auto degraded = svc.RefreshRecommendations(Json::object());
  ASSERT_TRUE(degraded.ok()) << degraded.status().message();
  EXPECT_EQ((*degraded)["spot"]["error"], "cluster unreachable");
  // The open spot recommendation stays until the cluster answers again.
  EXPECT_EQ((*svc.GetRecommendations({{"type", "spot_instance"}}))["total"], 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, CostServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         store::testing::BackendName);

}  // namespace
}  // namespace dai::costopt
