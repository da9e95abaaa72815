#include "engines/cost/cost_aggregator.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dai::cost {
namespace {

struct Row {
  std::string service, currency = "USD", category = "Usage", pricing = "Standard",
                       svc_cat = "Compute", resource{}, unit = "Hrs";
  double billed = 0, effective = 0;
  std::string start{}, end{};
  double quantity = 1;
};

Status Feed(CostAggregator& agg, const std::vector<Row>& rows) {
  int64_t line = 2;
  for (const auto& row : rows) {
    CostRecord r;
    r.line = line++;
    r.text[static_cast<size_t>(Field::kServiceName)] = row.service;
    r.text[static_cast<size_t>(Field::kBillingCurrency)] = row.currency;
    r.text[static_cast<size_t>(Field::kChargeCategory)] = row.category;
    r.text[static_cast<size_t>(Field::kPricingCategory)] = row.pricing;
    r.text[static_cast<size_t>(Field::kServiceCategory)] = row.svc_cat;
    r.text[static_cast<size_t>(Field::kResourceId)] = row.resource;
    r.text[static_cast<size_t>(Field::kPricingUnit)] = row.unit;
    r.text[static_cast<size_t>(Field::kProviderName)] = "AWS";
    r.billed_cost = row.billed;
    r.effective_cost = row.effective;
    r.list_cost = std::nan("");
    r.consumed_quantity = row.quantity;
    r.charge_period_start = *ParseTimestamp(row.start);
    r.charge_period_end = *ParseTimestamp(row.end);
    r.billing_period_start = *ParseTimestamp("2024-09-01");
    r.billing_period_end = *ParseTimestamp("2024-10-01");
    DAI_RETURN_IF_ERROR(agg.Add(r));
  }
  return Status::Ok();
}

TEST(CostAggregator, DailyTotalsSpreadMultiDayCharges) {
  CostAggregator agg;
  ASSERT_TRUE(Feed(agg, {{.service = "EC2",
                          .billed = 2,
                          .effective = 1,
                          .start = "2024-09-02T05:00:00Z",
                          .end = "2024-09-02T06:00:00Z"},
                         {.service = "EC2",
                          .billed = 3,
                          .effective = 3,
                          .start = "2024-09-02T07:00:00Z",
                          .end = "2024-09-02T08:00:00Z"},
                         {.service = "S3",
                          .billed = 30,
                          .effective = 30,
                          .start = "2024-09-01",
                          .end = "2024-09-04"}})
                  .ok());
  const auto daily = agg.Daily();
  double ec2_day2 = 0, s3_total = 0;
  int s3_days = 0;
  for (const auto& d : daily) {
    if (d.service == "EC2" && d.day == *ParseTimestamp("2024-09-02")) ec2_day2 += d.effective;
    if (d.service == "S3") {
      s3_total += d.billed;
      ++s3_days;
      EXPECT_NEAR(d.billed, 10, 1e-9);
    }
  }
  EXPECT_DOUBLE_EQ(ec2_day2, 4);
  EXPECT_EQ(s3_days, 3);
  EXPECT_NEAR(s3_total, 30, 1e-9);
  EXPECT_DOUBLE_EQ(agg.total_billed(), 35);
  ASSERT_EQ(agg.Periods().size(), 1u);
  EXPECT_EQ(agg.Periods()[0].rows, 3);
}

TEST(CostAggregator, DrainHandsOverPartialCellsAndForgetsThem) {
  CostAggregator agg(/*track_resources=*/false);
  const Row ec2{.service = "EC2",
                .resource = "i-1",
                .billed = 2,
                .effective = 1,
                .start = "2024-09-02T05:00:00Z",
                .end = "2024-09-02T06:00:00Z"};
  ASSERT_TRUE(Feed(agg, {ec2, ec2}).ok());
  EXPECT_EQ(agg.daily_cells(), 1u);
  std::vector<DailyCost> out;
  auto sink = [&](const DailyCost& d) {
    out.push_back(d);
    return Status::Ok();
  };
  ASSERT_TRUE(agg.DrainDaily(sink).ok());
  EXPECT_EQ(agg.daily_cells(), 0u);
  ASSERT_TRUE(Feed(agg, {ec2}).ok());  // the same cell again: a second partial sum
  ASSERT_TRUE(agg.DrainDaily(sink).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].service, "EC2");
  EXPECT_EQ(out[0].day, *ParseTimestamp("2024-09-02"));
  EXPECT_EQ(out[0].currency, "USD");
  EXPECT_DOUBLE_EQ(out[0].billed, 4);
  EXPECT_EQ(out[0].rows, 2);
  EXPECT_DOUBLE_EQ(out[1].billed, 2);
  EXPECT_EQ(out[1].rows, 1);
  EXPECT_DOUBLE_EQ(agg.total_billed(), 6);  // totals are not drained
  EXPECT_TRUE(agg.Resources().empty());     // not tracked
  // A sink's error stops the drain and keeps the cells.
  ASSERT_TRUE(Feed(agg, {ec2}).ok());
  EXPECT_FALSE(agg.DrainDaily([](const DailyCost&) { return Status::Internal("disk full"); }).ok());
  EXPECT_EQ(agg.daily_cells(), 1u);
}

TEST(CostAggregator, RefusesASecondCurrencyNamingBothLines) {
  CostAggregator agg;
  const Status st = Feed(
      agg,
      {{.service = "a", .billed = 1, .effective = 1, .start = "2024-09-02", .end = "2024-09-02"},
       {.service = "b",
        .currency = "EUR",
        .billed = 1,
        .effective = 1,
        .start = "2024-09-02",
        .end = "2024-09-02"}});
  EXPECT_EQ(st.message(),
            "line 3, column BillingCurrency: 'EUR' differs from 'USD' on line 2; a file must have "
            "one billing currency");
}

TEST(CostAggregator, OnDemandProfileAndResourceCharging) {
  CostAggregator agg;
  ASSERT_TRUE(Feed(agg, {{.service = "EC2",
                          .resource = "i-1",
                          .billed = 1,
                          .effective = 1,
                          .start = "2024-09-02T05:00:00Z",
                          .end = "2024-09-02T06:00:00Z"},
                         {.service = "EC2",
                          .pricing = "Committed",
                          .resource = "i-1",
                          .billed = 5,
                          .effective = 5,
                          .start = "2024-09-02T05:00:00Z",
                          .end = "2024-09-02T06:00:00Z"},
                         {.service = "ELB",
                          .svc_cat = "Networking",
                          .resource = "lb-1",
                          .unit = "LCU-Hrs",
                          .billed = 1,
                          .effective = 1,
                          .start = "2024-09-02T05:00:00Z",
                          .end = "2024-09-02T06:00:00Z"}})
                  .ok());
  const auto& hourly = agg.OnDemandComputeHourly();
  ASSERT_EQ(hourly.size(), 1u);
  EXPECT_DOUBLE_EQ(hourly.begin()->second, 1.0);
  EXPECT_EQ(hourly.begin()->first.first,
            *ParseTimestamp("2024-09-01"));  // the committed row is not on-demand
  const auto res = agg.Resources();
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0].resource_id, "i-1");
  EXPECT_EQ(res[0].time_priced_rows, 2);
  EXPECT_EQ(res[1].usage_priced_rows, 1);  // LCU-Hrs is work, not provisioned time
}

TEST(BuildBreakdown, RanksFoldsAndAlignsSeries) {
  const int64_t d0 = *ParseTimestamp("2024-09-01");
  std::vector<BreakdownCell> cells = {{d0, "a", 1, 1},    {d0 + kDay, "a", 2, 2},
                                      {d0, "b", 10, 10},  {d0 + 2 * kDay, "c", 0.5, 0.5},
                                      {d0, "", 0.1, 0.1}, {d0 + 5 * kDay, "a", 100, 100}};
  const auto b = BuildBreakdown(cells, d0, d0 + 3 * kDay, 2);
  ASSERT_EQ(b.days.size(), 3u);
  ASSERT_EQ(b.groups.size(), 3u);
  EXPECT_EQ(b.groups[0].key, "b");
  EXPECT_EQ(b.groups[1].key, "a");
  EXPECT_EQ(b.groups[1].series, (std::vector<double>{1, 2, 0}));
  EXPECT_EQ(b.groups[2].key, "(other)");
  EXPECT_NEAR(b.groups[2].effective, 0.6, 1e-12);
  EXPECT_NEAR(b.effective, 13.6, 1e-12);  // the day outside the range is not counted
}

}  // namespace
}  // namespace dai::cost
