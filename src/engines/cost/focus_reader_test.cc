#include "engines/cost/focus_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dai::cost {
namespace {

const char* kHeader =
    "BilledCost,EffectiveCost,ListCost,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,"
    "ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ProviderName,BillingAccountId,ServiceName,"
    "ResourceId,Tags,x_Custom\n";

struct Collected {
  std::vector<std::string> services, tags, resource_ids;
  std::vector<double> billed, effective, list;
  std::vector<int64_t> lines, starts;
  std::vector<std::vector<std::pair<std::string, std::string>>> extra;
};

Status ReadAll(std::string_view text, Collected* out, size_t chunk = 0,
               CostReader* reader_out = nullptr) {
  CostReader local;
  CostReader& reader = reader_out ? *reader_out : local;
  auto cb = [&](const CostRecord& r) {
    out->services.emplace_back(r.Get(Field::kServiceName));
    out->tags.emplace_back(r.Get(Field::kTags));
    out->resource_ids.emplace_back(r.Get(Field::kResourceId));
    out->billed.push_back(r.billed_cost);
    out->effective.push_back(r.effective_cost);
    out->list.push_back(r.list_cost);
    out->lines.push_back(r.line);
    out->starts.push_back(r.charge_period_start);
    std::vector<std::pair<std::string, std::string>> e;
    for (const auto& [k, v] : r.extra) e.emplace_back(std::string(k), std::string(v));
    out->extra.push_back(e);
    return Status::Ok();
  };
  if (chunk == 0) {
    DAI_RETURN_IF_ERROR(reader.Feed(text, cb));
  } else {
    for (size_t i = 0; i < text.size(); i += chunk)
      DAI_RETURN_IF_ERROR(reader.Feed(text.substr(i, chunk), cb));
  }
  return reader.Finish(cb);
}

TEST(ParseTimestamp, AcceptsFocusAndSampleSpellings) {
  EXPECT_EQ(*ParseTimestamp("2024-09-01T00:00:00Z"), 1725148800);
  EXPECT_EQ(*ParseTimestamp("2024-09-01 00:00:00"), 1725148800);
  EXPECT_EQ(*ParseTimestamp("2024-09-01"), 1725148800);
  EXPECT_EQ(*ParseTimestamp("2024-09-01T02:00:00+02:00"), 1725148800);
  EXPECT_EQ(*ParseTimestamp("2024-09-01T00:00:00.000Z"), 1725148800);
  EXPECT_EQ(*ParseTimestamp("2024-09-01T00:00Z"), 1725148800);
  EXPECT_FALSE(ParseTimestamp("2024-13-01").ok());
  EXPECT_FALSE(ParseTimestamp("09/01/2024").ok());
  EXPECT_FALSE(ParseTimestamp("2024-09-01T00:00:00Q").ok());
  EXPECT_FALSE(ParseTimestamp("").ok());
}

TEST(CostReader, MapsColumnsByNameAndKeepsUnknownOnes) {
  std::string csv = kHeader;
  csv +=
      "1.5,1.25,2,USD,2024-09-01 00:00:00,2024-10-01 00:00:00,2024-09-02 00:00:00,"
      "2024-09-02 01:00:00,Usage,AWS,123,Amazon EC2,i-1,\"{\"\"env\"\": \"\"prod\"\"}\",hello\n";
  csv +=
      "-3,-3,NULL,USD,2024-09-01,2024-10-01,2024-09-03,2024-09-04,Credit,AWS,123,Amazon "
      "EC2,,NULL,\n";
  Collected c;
  CostReader reader;
  ASSERT_TRUE(ReadAll(csv, &c, 0, &reader).ok());
  ASSERT_EQ(c.billed.size(), 2u);
  EXPECT_EQ(reader.format(), CostFormat::kFocus);
  EXPECT_DOUBLE_EQ(c.billed[0], 1.5);
  EXPECT_DOUBLE_EQ(c.effective[0], 1.25);
  EXPECT_DOUBLE_EQ(c.list[0], 2);
  EXPECT_EQ(c.tags[0], "{\"env\": \"prod\"}");
  EXPECT_EQ(c.services[0], "Amazon EC2");
  ASSERT_EQ(c.extra[0].size(), 1u);
  EXPECT_EQ(c.extra[0][0].first, "x_Custom");
  EXPECT_EQ(c.extra[0][0].second, "hello");
  EXPECT_DOUBLE_EQ(c.billed[1], -3);  // credits are legitimate
  EXPECT_TRUE(std::isnan(c.list[1]));
  EXPECT_TRUE(c.tags[1].empty());
  EXPECT_TRUE(c.extra[1].empty());
  EXPECT_EQ(c.lines[0], 2);
  EXPECT_EQ(c.lines[1], 3);
  EXPECT_EQ(c.starts[0], 1725235200);
}

TEST(CostReader, SameRecordsWhateverTheChunkSize) {
  std::string csv = "\xEF\xBB\xBF";
  csv += kHeader;
  for (int i = 0; i < 50; ++i) {
    csv += std::to_string(i) +
           ".5,1,2,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,"
           "\"Service\r\nwith newline " +
           std::to_string(i) + "\",r" + std::to_string(i) + ",NULL,x\r\n";
  }
  Collected whole;
  ASSERT_TRUE(ReadAll(csv, &whole).ok());
  ASSERT_EQ(whole.billed.size(), 50u);
  EXPECT_EQ(whole.lines[1], 4);  // each record spans two lines
  for (size_t chunk : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    Collected c;
    ASSERT_TRUE(ReadAll(csv, &c, chunk).ok()) << chunk;
    EXPECT_EQ(c.billed, whole.billed) << chunk;
    EXPECT_EQ(c.services, whole.services) << chunk;
    EXPECT_EQ(c.lines, whole.lines) << chunk;
    EXPECT_EQ(c.resource_ids, whole.resource_ids) << chunk;
  }
  EXPECT_EQ(whole.services[3], "Service\r\nwith newline 3");
}

TEST(CostReader, LastLineWithoutNewline) {
  std::string csv = kHeader;
  csv += "1,1,1,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,S,r,NULL,";
  Collected c;
  ASSERT_TRUE(ReadAll(csv, &c).ok());
  ASSERT_EQ(c.billed.size(), 1u);
  EXPECT_TRUE(c.extra[0].empty());
}

Status ReadError(const std::string& csv) {
  Collected c;
  return ReadAll(csv, &c);
}

TEST(CostReader, BadInputNamesLineAndColumn) {
  const std::string row_ok =
      "1,1,1,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,S,r,NULL,x\n";
  {
    auto st = ReadError(
        std::string(kHeader) + row_ok +
        "abc,1,1,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,S,r,NULL,x\n");
    EXPECT_EQ(st.message(), "line 3, column BilledCost: 'abc' is not a number");
  }
  {
    auto st =
        ReadError(std::string(kHeader) +
                  "1,1,1,USD,2024-09-01,2024-10-01,02/09/2024,2024-09-02,Usage,AWS,1,S,r,NULL,x\n");
    EXPECT_NE(st.message().find("line 2, column ChargePeriodStart"), std::string::npos)
        << st.message();
  }
  {
    auto st = ReadError(std::string(kHeader) + "1,1,1,USD\n");
    EXPECT_EQ(st.message(), "line 2: expected 15 fields, found 4");
  }
  {
    auto st = ReadError("BilledCost;EffectiveCost;BillingCurrency\n1;1;USD\n");
    EXPECT_NE(st.message().find("not comma-separated"), std::string::npos) << st.message();
  }
  {
    auto st = ReadError("BilledCost,BillingCurrency,ChargePeriodStart\n1,USD,2024-01-01\n");
    EXPECT_NE(st.message().find("missing required FOCUS column(s): EffectiveCost"),
              std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find("BillingPeriodStart"), std::string::npos);
  }
  {
    auto st = ReadError(
        std::string(kHeader) + row_ok +
        "1,1,1,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,\"S,r,NULL,x\n");
    EXPECT_EQ(st.message(), "line 3: the file ends inside a quoted field");
  }
  {
    auto st = ReadError(
        std::string(kHeader) +
        "1,1,1,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,S\"x,r,NULL,x\n");
    EXPECT_EQ(st.message(), "line 2, column ServiceName: a quote inside an unquoted field");
  }
  {
    auto st =
        ReadError(std::string(kHeader) +
                  "1,1,1,USD,2024-09-01,2024-10-01,2024-09-03,2024-09-02,Usage,AWS,1,S,r,NULL,x\n");
    EXPECT_EQ(st.message(), "line 2, column ChargePeriodEnd: ends before ChargePeriodStart");
  }
  {
    auto st = ReadError(
        std::string(kHeader) +
        "1,NULL,1,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,S,r,NULL,x\n");
    EXPECT_EQ(st.message(), "line 2, column EffectiveCost: a required value is missing");
  }
  {
    auto st = ReadError(
        std::string(kHeader) +
        "nan,1,1,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,S,r,NULL,x\n");
    EXPECT_EQ(st.message(), "line 2, column BilledCost: 'nan' is not a number");
  }
  EXPECT_EQ(ReadError("").message(), "the file is empty: no header line");
}

TEST(CostReader, RefusesAnOverlongRecord) {
  CostReader reader(ReaderLimits{.max_record_bytes = 100, .max_columns = 1000});
  auto cb = [](const CostRecord&) { return Status::Ok(); };
  ASSERT_TRUE(reader.Feed(kHeader, cb).ok());
  const auto st = reader.Feed("\"" + std::string(200, 'a'), cb);
  EXPECT_EQ(st.code(), StatusCode::kPayloadTooLarge);
  EXPECT_FALSE(reader.Feed("x", cb).ok());  // refuses input after an error
}

TEST(CostReader, CallbackErrorStopsTheRead) {
  std::string csv = kHeader;
  for (int i = 0; i < 3; ++i)
    csv += "1,1,1,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,S,r,NULL,x\n";
  CostReader reader;
  int seen = 0;
  auto st = reader.Feed(csv, [&](const CostRecord&) {
    return ++seen == 2 ? Status::Conflict("stop") : Status::Ok();
  });
  EXPECT_EQ(st.code(), StatusCode::kConflict);
  EXPECT_EQ(seen, 2);
}

TEST(CostReader, MapsLegacyAwsCur) {
  const std::string csv =
      "identity/LineItemId,bill/PayerAccountId,bill/BillingPeriodStartDate,bill/"
      "BillingPeriodEndDate,"
      "lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,"
      "lineItem/ProductCode,lineItem/UsageAmount,lineItem/CurrencyCode,lineItem/UnblendedCost,"
      "lineItem/ResourceId,product/ProductName,product/region,pricing/term,pricing/unit,"
      "savingsPlan/SavingsPlanEffectiveCost,resourceTags/user:team\n"
      "a1,111,2024-09-01T00:00:00Z,2024-10-01T00:00:00Z,222,Usage,2024-09-02T00:00:00Z,"
      "2024-09-02T01:00:00Z,AmazonEC2,1,USD,0.2,i-1,Amazon Elastic Compute "
      "Cloud,us-east-1,OnDemand,Hrs,,web\n"
      "a2,111,2024-09-01T00:00:00Z,2024-10-01T00:00:00Z,222,SavingsPlanCoveredUsage,2024-09-02T00:"
      "00:00Z,"
      "2024-09-02T01:00:00Z,AmazonEC2,1,USD,0.2,i-2,Amazon Elastic Compute "
      "Cloud,us-east-1,,Hrs,0.14,\n"
      "a3,111,2024-09-01T00:00:00Z,2024-10-01T00:00:00Z,222,SavingsPlanRecurringFee,2024-09-01T00:"
      "00:00Z,"
      "2024-10-01T00:00:00Z,ComputeSavingsPlans,1,USD,100,,Savings Plans for AWS Compute "
      "usage,,,,,\n";
  CostReader reader;
  std::vector<std::string> categories, pricing, tags, providers, accounts;
  std::vector<double> effective;
  auto cb = [&](const CostRecord& r) {
    categories.emplace_back(r.Get(Field::kChargeCategory));
    pricing.emplace_back(r.Get(Field::kPricingCategory));
    tags.emplace_back(r.Get(Field::kTags));
    providers.emplace_back(r.Get(Field::kProviderName));
    accounts.emplace_back(r.Get(Field::kSubAccountId));
    effective.push_back(r.effective_cost);
    return Status::Ok();
  };
  ASSERT_TRUE(reader.Feed(csv, cb).ok());
  ASSERT_TRUE(reader.Finish(cb).ok());
  EXPECT_EQ(reader.format(), CostFormat::kAwsCur);
  ASSERT_EQ(effective.size(), 3u);
  EXPECT_EQ(categories, (std::vector<std::string>{"Usage", "Usage", "Purchase"}));
  EXPECT_EQ(pricing, (std::vector<std::string>{"Standard", "Committed", ""}));
  EXPECT_EQ(providers[0], "AWS");
  EXPECT_EQ(accounts[0], "222");
  EXPECT_DOUBLE_EQ(effective[0], 0.2);
  EXPECT_DOUBLE_EQ(effective[1], 0.14);
  EXPECT_DOUBLE_EQ(effective[2], 0.0);
  EXPECT_EQ(tags[0], "{\"user:team\":\"web\"}");
  EXPECT_EQ(tags[1], "");
}

TEST(CostReader, ReadsTheFocusSample) {
  const std::filesystem::path path =
      std::filesystem::path(DAI_SHARED_DATA) / "cost" / "focus" / "focus_sample_1.0.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  CostReader reader;
  int64_t rows = 0, credits = 0;
  double billed = 0;
  int with_tags = 0;
  std::set<std::string> providers;
  auto cb = [&](const CostRecord& r) {
    ++rows;
    billed += r.billed_cost;
    if (r.billed_cost < 0) ++credits;
    if (!r.Get(Field::kTags).empty()) ++with_tags;
    providers.emplace(r.Get(Field::kProviderName));
    return Status::Ok();
  };
  const Status st = reader.Feed(ss.str(), cb);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(reader.Finish(cb).ok());
  EXPECT_EQ(rows, 1000);
  EXPECT_EQ(credits, 13);     // rows with a negative billed cost (counted with Python's csv)
  EXPECT_EQ(with_tags, 711);  // rows with a non-null Tags value
  EXPECT_NEAR(billed, 20.52022672899003, 1e-9);
  EXPECT_EQ(providers, (std::set<std::string>{"AWS", "Microsoft", "Oracle"}));
  EXPECT_GT(billed, 0);
}

}  // namespace
}  // namespace dai::cost
