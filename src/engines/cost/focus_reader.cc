#include "engines/cost/focus_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace dai::cost {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class NumericField : int8_t {
  kBilled,
  kEffective,
  kList,
  kContracted,
  kConsumed,
  kCurSavingsPlanEffective,
  kCurReservationEffective,
  kCount
};
enum class TimeField : int8_t { kChargeStart, kChargeEnd, kBillingStart, kBillingEnd, kCount };

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "ProviderName",         "BillingAccountId",
    "BillingAccountName",   "SubAccountId",
    "SubAccountName",       "ServiceName",
    "ServiceCategory",      "RegionId",
    "RegionName",           "AvailabilityZone",
    "ResourceId",           "ResourceName",
    "ResourceType",         "ChargeCategory",
    "ChargeFrequency",      "ChargeDescription",
    "PricingCategory",      "PricingUnit",
    "ConsumedUnit",         "CommitmentDiscountType",
    "CommitmentDiscountId", "SkuId",
    "BillingCurrency",      "Tags"};

constexpr std::array<std::string_view, static_cast<size_t>(NumericField::kCount)> kNumericNames = {
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "ConsumedQuantity",
    "SavingsPlanEffectiveCost",
    "ReservationEffectiveCost"};
constexpr std::array<std::string_view, static_cast<size_t>(TimeField::kCount)> kTimeNames = {
    "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"};

struct Alias {
  std::string_view name;
  int8_t text;
  int8_t numeric;
  int8_t time;
};
constexpr int8_t T(Field f) { return static_cast<int8_t>(f); }
constexpr int8_t N(NumericField f) { return static_cast<int8_t>(f); }
constexpr int8_t Tm(TimeField f) { return static_cast<int8_t>(f); }

// Legacy AWS CUR columns (the "lineItem/UnblendedCost" spelling and CUR 2.0's snake case).
// LineItemType is mapped to ChargeCategory with a value translation in OnRow.
const std::vector<Alias>& CurAliases() {
  static const std::vector<Alias> aliases = {
      {"lineItem/UnblendedCost", -1, N(NumericField::kBilled), -1},
      {"line_item_unblended_cost", -1, N(NumericField::kBilled), -1},
      {"pricing/publicOnDemandCost", -1, N(NumericField::kList), -1},
      {"pricing_public_on_demand_cost", -1, N(NumericField::kList), -1},
      {"lineItem/UsageAmount", -1, N(NumericField::kConsumed), -1},
      {"line_item_usage_amount", -1, N(NumericField::kConsumed), -1},
      {"savingsPlan/SavingsPlanEffectiveCost", -1, N(NumericField::kCurSavingsPlanEffective), -1},
      {"savings_plan_savings_plan_effective_cost", -1, N(NumericField::kCurSavingsPlanEffective),
       -1},
      {"reservation/EffectiveCost", -1, N(NumericField::kCurReservationEffective), -1},
      {"reservation_effective_cost", -1, N(NumericField::kCurReservationEffective), -1},
      {"lineItem/UsageStartDate", -1, -1, Tm(TimeField::kChargeStart)},
      {"line_item_usage_start_date", -1, -1, Tm(TimeField::kChargeStart)},
      {"lineItem/UsageEndDate", -1, -1, Tm(TimeField::kChargeEnd)},
      {"line_item_usage_end_date", -1, -1, Tm(TimeField::kChargeEnd)},
      {"bill/BillingPeriodStartDate", -1, -1, Tm(TimeField::kBillingStart)},
      {"bill_billing_period_start_date", -1, -1, Tm(TimeField::kBillingStart)},
      {"bill/BillingPeriodEndDate", -1, -1, Tm(TimeField::kBillingEnd)},
      {"bill_billing_period_end_date", -1, -1, Tm(TimeField::kBillingEnd)},
      {"lineItem/CurrencyCode", T(Field::kBillingCurrency), -1, -1},
      {"line_item_currency_code", T(Field::kBillingCurrency), -1, -1},
      {"bill/PayerAccountId", T(Field::kBillingAccountId), -1, -1},
      {"bill_payer_account_id", T(Field::kBillingAccountId), -1, -1},
      {"lineItem/UsageAccountId", T(Field::kSubAccountId), -1, -1},
      {"line_item_usage_account_id", T(Field::kSubAccountId), -1, -1},
      {"product/ProductName", T(Field::kServiceName), -1, -1},
      {"product_product_name", T(Field::kServiceName), -1, -1},
      {"product/productFamily", T(Field::kServiceCategory), -1, -1},
      {"product_product_family", T(Field::kServiceCategory), -1, -1},
      {"product/region", T(Field::kRegionId), -1, -1},
      {"product_region", T(Field::kRegionId), -1, -1},
      {"lineItem/AvailabilityZone", T(Field::kAvailabilityZone), -1, -1},
      {"line_item_availability_zone", T(Field::kAvailabilityZone), -1, -1},
      {"lineItem/ResourceId", T(Field::kResourceId), -1, -1},
      {"line_item_resource_id", T(Field::kResourceId), -1, -1},
      {"lineItem/LineItemType", T(Field::kChargeCategory), -1, -1},
      {"line_item_line_item_type", T(Field::kChargeCategory), -1, -1},
      {"lineItem/LineItemDescription", T(Field::kChargeDescription), -1, -1},
      {"line_item_line_item_description", T(Field::kChargeDescription), -1, -1},
      {"pricing/term", T(Field::kPricingCategory), -1, -1},
      {"pricing_term", T(Field::kPricingCategory), -1, -1},
      {"pricing/unit", T(Field::kPricingUnit), -1, -1},
      {"pricing_unit", T(Field::kPricingUnit), -1, -1},
      {"product/sku", T(Field::kSkuId), -1, -1},
      {"product_sku", T(Field::kSkuId), -1, -1},
      {"product/instanceType", T(Field::kResourceType), -1, -1},
      {"product_instance_type", T(Field::kResourceType), -1, -1},
  };
  return aliases;
}

bool IsNullText(std::string_view v, bool quoted) {
  return !quoted && (v.empty() || v == "NULL" || v == "null");
}

std::string LineCol(int64_t line, std::string_view column) {
  std::string out = "line " + std::to_string(line);
  if (!column.empty()) {
    out += ", column ";
    out += column;
  }
  return out;
}

std::string Excerpt(std::string_view v) {
  if (v.size() > 40) return std::string(v.substr(0, 40)) + "...";
  return std::string(v);
}

bool ParseNumber(std::string_view v, double* out) {
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  if (v.empty()) return false;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), *out);
  return r.ec == std::errc() && r.ptr == v.data() + v.size() && std::isfinite(*out);
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t count, int* out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// CUR LineItemType → FOCUS ChargeCategory.
std::string_view CurChargeCategory(std::string_view type) {
  if (type == "Usage" || type == "DiscountedUsage" || type == "SavingsPlanCoveredUsage" ||
      type == "SavingsPlanNegation")
    return "Usage";
  if (type == "Tax") return "Tax";
  if (type == "Credit" || type == "Refund" || type == "BundledDiscount" || type == "EdpDiscount" ||
      type == "PrivateRateDiscount")
    return "Credit";
  if (type == "RIFee" || type == "Fee" || type == "SavingsPlanRecurringFee" ||
      type == "SavingsPlanUpfrontFee")
    return "Purchase";
  return "Adjustment";
}

}  // namespace

std::string_view CostFormatName(CostFormat format) {
  return format == CostFormat::kFocus ? "focus" : "aws_cur";
}

std::string_view FieldName(Field field) { return kFieldNames[static_cast<size_t>(field)]; }

Result<int64_t> ParseTimestamp(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  auto bad = [&] {
    return Status::InvalidArgument("'" + Excerpt(s) +
                                   "' is not a date-time (want YYYY-MM-DDTHH:MM:SSZ)");
  };
  if (!Digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day))
    return bad();
  size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return bad();
    if (!Digits(s, pos + 1, 2, &hour) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &minute))
      return bad();
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, &second)) return bad();
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        const size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return bad();
      }
    }
  }
  int64_t offset = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      const int sign = s[pos] == '+' ? 1 : -1;
      if (!Digits(s, pos + 1, 2, &oh)) return bad();
      size_t p = pos + 3;
      if (p < s.size() && s[p] == ':') ++p;
      if (p < s.size()) {
        if (!Digits(s, p, 2, &om)) return bad();
        p += 2;
      }
      if (oh > 23 || om > 59) return bad();
      offset = sign * (oh * 3600 + om * 60);
      pos = p;
    }
  }
  if (pos != s.size()) return bad();
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60 ||
      year < 1900 || year > 2999)
    return bad();
  return DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + minute * 60 + second - offset;
}

CostReader::CostReader(ReaderLimits limits) : limits_(limits) {}

Status CostReader::Fail(Status status) {
  failed_ = true;
  return status;
}

Status CostReader::Feed(std::string_view chunk, const Callback& on_record) {
  if (failed_) return Status::FailedPrecondition("the reader stopped at an earlier error");
  buffer_.append(chunk.data(), chunk.size());
  return ParseBuffer(false, on_record);
}

Status CostReader::Finish(const Callback& on_record) {
  if (failed_) return Status::FailedPrecondition("the reader stopped at an earlier error");
  DAI_RETURN_IF_ERROR(ParseBuffer(true, on_record));
  if (!have_header_) return Fail(Status::InvalidArgument("the file is empty: no header line"));
  return Status::Ok();
}

Status CostReader::ParseBuffer(bool at_eof, const Callback& on_record) {
  if (!bom_checked_) {
    if (buffer_.size() < 3 && !at_eof) return Status::Ok();
    if (buffer_.size() >= 3 && buffer_.compare(0, 3, "\xEF\xBB\xBF") == 0) buffer_.erase(0, 3);
    bom_checked_ = true;
  }
  const char* data = buffer_.data();
  const size_t n = buffer_.size();
  size_t pos = 0;
  while (pos < n) {
    fields_.clear();
    quoted_.clear();
    size_t p = pos;
    int64_t newlines = 0;
    bool complete = false;
    bool incomplete = false;
    bool terminated = false;
    while (true) {
      if (fields_.size() >= limits_.max_columns)
        return Fail(Status::InvalidArgument(LineCol(line_, "") + ": more than " +
                                            std::to_string(limits_.max_columns) + " columns"));
      if (p < n && data[p] == '"') {
        size_t q = p + 1;
        bool escaped = false;
        size_t close = 0;
        while (true) {
          const void* hit = q < n ? std::memchr(data + q, '"', n - q) : nullptr;
          if (hit == nullptr) {
            incomplete = true;
            break;
          }
          const size_t k = static_cast<size_t>(static_cast<const char*>(hit) - data);
          if (k + 1 < n && data[k + 1] == '"') {
            escaped = true;
            q = k + 2;
            continue;
          }
          if (k + 1 >= n && !at_eof) {
            incomplete = true;
            break;
          }
          close = k;
          break;
        }
        if (incomplete) break;
        newlines += std::count(data + p + 1, data + close, '\n');
        std::string_view value(data + p + 1, close - p - 1);
        if (escaped) {
          const size_t col = fields_.size();
          if (unescaped_.size() <= col) unescaped_.resize(col + 1);
          std::string& out = unescaped_[col];
          out.clear();
          for (size_t i = 0; i < value.size(); ++i) {
            out.push_back(value[i]);
            if (value[i] == '"') ++i;  // "" → "
          }
          value = out;
        }
        fields_.push_back(value);
        quoted_.push_back(true);
        p = close + 1;
        if (p < n && data[p] == '\r' && p + 1 < n && data[p + 1] == '\n') ++p;
        if (p < n && data[p] != ',' && data[p] != '\n')
          return Fail(Status::InvalidArgument(
              LineCol(line_ + newlines, "") + ": unexpected character '" + std::string(1, data[p]) +
              "' after a closing quote (field " + std::to_string(fields_.size()) + ")"));
        if (p >= n && !at_eof) {
          incomplete = true;
          break;
        }
      } else {
        size_t k = p;
        while (k < n && data[k] != ',' && data[k] != '\n') ++k;
        if (k >= n && !at_eof) {
          incomplete = true;
          break;
        }
        size_t end = k;
        if (end > p && data[end - 1] == '\r' && (k >= n || data[k] == '\n')) --end;
        std::string_view value(data + p, end - p);
        if (value.find('"') != std::string_view::npos) {
          const std::string column = fields_.size() < columns_.size() && have_header_
                                         ? columns_[fields_.size()]
                                         : "field " + std::to_string(fields_.size() + 1);
          return Fail(Status::InvalidArgument(LineCol(line_ + newlines, column) +
                                              ": a quote inside an unquoted field"));
        }
        fields_.push_back(value);
        quoted_.push_back(false);
        p = k;
      }
      if (p >= n) {  // at_eof here
        complete = true;
        break;
      }
      if (data[p] == ',') {
        ++p;
        if (p >= n && at_eof) {
          fields_.emplace_back();
          quoted_.push_back(false);
          complete = true;
          break;
        }
        continue;
      }
      // data[p] == '\n'
      ++p;
      ++newlines;
      terminated = true;
      complete = true;
      break;
    }
    if (incomplete) {
      if (n - pos > limits_.max_record_bytes)
        return Fail(Status::PayloadTooLarge(LineCol(line_, "") + ": a record longer than " +
                                            std::to_string(limits_.max_record_bytes) +
                                            " bytes (an unterminated quote?)"));
      if (at_eof)
        return Fail(
            Status::InvalidArgument(LineCol(line_, "") + ": the file ends inside a quoted field"));
      break;
    }
    if (!complete) break;
    row_line_ = line_;
    const bool blank = fields_.size() == 1 && !quoted_[0] && fields_[0].empty();
    if (!blank) {
      if (!have_header_) {
        DAI_RETURN_IF_ERROR(OnHeader(fields_));
      } else {
        const Status st = OnRow(on_record);
        if (!st.ok()) return Fail(st);
      }
    }
    line_ += newlines + (terminated ? 0 : 1);  // a last line without '\n' still counts
    pos = p;
  }
  if (pos > 0) buffer_.erase(0, pos);
  return Status::Ok();
}

Status CostReader::OnHeader(std::vector<std::string_view>& fields) {
  if (fields.size() == 1) {
    const std::string_view h = fields[0];
    for (const char d : {';', '\t', '|'}) {
      if (h.find(d) != std::string_view::npos)
        return Fail(Status::InvalidArgument(
            std::string("line 1: the header is not comma-separated (found '") +
            (d == '\t' ? std::string("\\t") : std::string(1, d)) +
            "'); FOCUS and CUR exports are CSV with ',' between columns"));
    }
  }
  columns_.clear();
  map_.assign(fields.size(), ColumnMap{});
  bool cur = false;
  for (const auto& f : fields) {
    if (f.rfind("lineItem/", 0) == 0 || f.rfind("line_item_", 0) == 0) cur = true;
  }
  format_ = cur ? CostFormat::kAwsCur : CostFormat::kFocus;
  std::vector<bool> text_seen(kFieldCount, false);
  std::vector<bool> num_seen(static_cast<size_t>(NumericField::kCount), false);
  std::vector<bool> time_seen(static_cast<size_t>(TimeField::kCount), false);
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string name(fields[i]);
    while (!name.empty() && (name.back() == ' ')) name.pop_back();
    columns_.push_back(name);
    ColumnMap& m = map_[i];
    if (format_ == CostFormat::kFocus) {
      std::string_view lookup = name;
      if (lookup == "ServiceProviderName") lookup = "ProviderName";  // FOCUS 1.2 spelling
      for (size_t f = 0; f < kFieldCount; ++f)
        if (kFieldNames[f] == lookup) m.text = static_cast<int8_t>(f);
      for (size_t f = 0; f < 5; ++f)
        if (kNumericNames[f] == lookup) m.numeric = static_cast<int8_t>(f);
      for (size_t f = 0; f < kTimeNames.size(); ++f)
        if (kTimeNames[f] == lookup) m.time = static_cast<int8_t>(f);
    } else {
      for (const auto& a : CurAliases()) {
        if (a.name == name) {
          m.text = a.text;
          m.numeric = a.numeric;
          m.time = a.time;
        }
      }
      if (name.rfind("resourceTags/", 0) == 0 || name.rfind("resource_tags_", 0) == 0)
        m.cur_tag = true;
    }
    // A column named twice maps only the first time; the second is kept in extra.
    if (m.text >= 0 && text_seen[m.text]) m.text = -1;
    if (m.numeric >= 0 && num_seen[m.numeric]) m.numeric = -1;
    if (m.time >= 0 && time_seen[m.time]) m.time = -1;
    if (m.text >= 0) text_seen[m.text] = true;
    if (m.numeric >= 0) num_seen[m.numeric] = true;
    if (m.time >= 0) time_seen[m.time] = true;
  }
  std::vector<std::string> missing;
  auto need_num = [&](NumericField f) {
    if (!num_seen[static_cast<size_t>(f)])
      missing.emplace_back(kNumericNames[static_cast<size_t>(f)]);
  };
  auto need_time = [&](TimeField f) {
    if (!time_seen[static_cast<size_t>(f)])
      missing.emplace_back(kTimeNames[static_cast<size_t>(f)]);
  };
  auto need_text = [&](Field f) {
    if (!text_seen[static_cast<size_t>(f)]) missing.emplace_back(FieldName(f));
  };
  need_num(NumericField::kBilled);
  if (format_ == CostFormat::kFocus) need_num(NumericField::kEffective);
  need_time(TimeField::kChargeStart);
  need_time(TimeField::kChargeEnd);
  need_time(TimeField::kBillingStart);
  need_time(TimeField::kBillingEnd);
  need_text(Field::kBillingCurrency);
  if (format_ == CostFormat::kFocus) {
    need_text(Field::kChargeCategory);
    need_text(Field::kProviderName);
    need_text(Field::kBillingAccountId);
    need_text(Field::kServiceName);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return Fail(Status::InvalidArgument(
        "line 1: missing required " +
        std::string(format_ == CostFormat::kFocus ? "FOCUS" : "CUR (as FOCUS)") +
        " column(s): " + list));
  }
  record_.extra.reserve(fields.size());
  have_header_ = true;
  return Status::Ok();
}

Status CostReader::OnRow(const Callback& on_record) {
  if (fields_.size() != columns_.size())
    return Status::InvalidArgument(LineCol(row_line_, "") + ": expected " +
                                   std::to_string(columns_.size()) + " fields, found " +
                                   std::to_string(fields_.size()));
  CostRecord& r = record_;
  r.line = row_line_;
  r.text.fill(std::string_view());
  r.extra.clear();
  double nums[static_cast<size_t>(NumericField::kCount)];
  bool have_num[static_cast<size_t>(NumericField::kCount)] = {};
  int64_t times[static_cast<size_t>(TimeField::kCount)] = {};
  bool have_time[static_cast<size_t>(TimeField::kCount)] = {};
  bool have_cur_tags = false;
  for (size_t i = 0; i < fields_.size(); ++i) {
    const std::string_view v = fields_[i];
    const ColumnMap& m = map_[i];
    const bool null = IsNullText(v, quoted_[i]);
    if (m.numeric >= 0) {
      if (null) continue;
      double d;
      if (!ParseNumber(v, &d))
        return Status::InvalidArgument(LineCol(row_line_, columns_[i]) + ": '" + Excerpt(v) +
                                       "' is not a number");
      nums[m.numeric] = d;
      have_num[m.numeric] = true;
    } else if (m.time >= 0) {
      if (null) continue;
      auto t = ParseTimestamp(v);
      if (!t.ok())
        return Status::InvalidArgument(LineCol(row_line_, columns_[i]) + ": " +
                                       t.status().message());
      times[m.time] = *t;
      have_time[m.time] = true;
    } else if (m.text >= 0) {
      if (!null) r.text[m.text] = v;
    } else if (m.cur_tag) {
      if (null) continue;
      if (!have_cur_tags) {
        tags_scratch_ = "{";
        have_cur_tags = true;
      } else {
        tags_scratch_ += ",";
      }
      std::string_view key = columns_[i];
      key.remove_prefix(key.find_first_of("/_") + 1);
      if (key.rfind("tags_", 0) == 0) key.remove_prefix(5);
      auto append_json_string = [this](std::string_view s) {
        tags_scratch_ += '"';
        for (const char c : s) {
          if (c == '"' || c == '\\') {
            tags_scratch_ += '\\';
            tags_scratch_ += c;
          } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            tags_scratch_ += buf;
          } else {
            tags_scratch_ += c;
          }
        }
        tags_scratch_ += '"';
      };
      append_json_string(key);
      tags_scratch_ += ':';
      append_json_string(v);
    } else if (!null) {
      r.extra.emplace_back(columns_[i], v);
    }
  }
  auto required_num = [&](NumericField f) -> Status {
    if (have_num[static_cast<size_t>(f)]) return Status::Ok();
    return Status::InvalidArgument(LineCol(row_line_, kNumericNames[static_cast<size_t>(f)]) +
                                   ": a required value is missing");
  };
  for (size_t t = 0; t < kTimeNames.size(); ++t) {
    if (!have_time[t])
      return Status::InvalidArgument(LineCol(row_line_, kTimeNames[t]) +
                                     ": a required value is missing");
  }
  DAI_RETURN_IF_ERROR(required_num(NumericField::kBilled));
  r.billed_cost = nums[static_cast<size_t>(NumericField::kBilled)];
  r.list_cost = have_num[static_cast<size_t>(NumericField::kList)]
                    ? nums[static_cast<size_t>(NumericField::kList)]
                    : kNaN;
  r.contracted_cost = have_num[static_cast<size_t>(NumericField::kContracted)]
                          ? nums[static_cast<size_t>(NumericField::kContracted)]
                          : kNaN;
  r.consumed_quantity = have_num[static_cast<size_t>(NumericField::kConsumed)]
                            ? nums[static_cast<size_t>(NumericField::kConsumed)]
                            : kNaN;
  if (format_ == CostFormat::kFocus) {
    DAI_RETURN_IF_ERROR(required_num(NumericField::kEffective));
    r.effective_cost = nums[static_cast<size_t>(NumericField::kEffective)];
  } else {
    // CUR → FOCUS: provider, ChargeCategory from LineItemType, amortized (effective) cost.
    r.text[T(Field::kProviderName)] = "AWS";
    const std::string_view type = r.Get(Field::kChargeCategory);
    r.text[T(Field::kChargeCategory)] = CurChargeCategory(type);
    r.effective_cost = r.billed_cost;
    if (type == "SavingsPlanCoveredUsage") {
      r.effective_cost = have_num[N(NumericField::kCurSavingsPlanEffective)]
                             ? nums[N(NumericField::kCurSavingsPlanEffective)]
                             : r.billed_cost;
      r.text[T(Field::kPricingCategory)] = "Committed";
    } else if (type == "DiscountedUsage") {
      r.effective_cost = have_num[N(NumericField::kCurReservationEffective)]
                             ? nums[N(NumericField::kCurReservationEffective)]
                             : r.billed_cost;
      r.text[T(Field::kPricingCategory)] = "Committed";
    } else if (type == "SavingsPlanNegation" || type == "SavingsPlanRecurringFee" ||
               type == "SavingsPlanUpfrontFee" || type == "RIFee" || type == "Fee") {
      r.effective_cost = 0;  // amortized into the covered usage lines
    }
    const std::string_view term = r.Get(Field::kPricingCategory);
    if (term == "OnDemand") r.text[T(Field::kPricingCategory)] = "Standard";
    if (term == "Reserved") r.text[T(Field::kPricingCategory)] = "Committed";
    if (have_cur_tags) {
      tags_scratch_ += "}";
      r.text[T(Field::kTags)] = tags_scratch_;
    }
    if (r.Get(Field::kBillingAccountId).empty())
      r.text[T(Field::kBillingAccountId)] = r.Get(Field::kSubAccountId);
  }
  r.charge_period_start = times[0];
  r.charge_period_end = times[1];
  r.billing_period_start = times[2];
  r.billing_period_end = times[3];
  if (r.charge_period_end < r.charge_period_start)
    return Status::InvalidArgument(LineCol(row_line_, "ChargePeriodEnd") +
                                   ": ends before ChargePeriodStart");
  if (r.billing_period_end <= r.billing_period_start)
    return Status::InvalidArgument(LineCol(row_line_, "BillingPeriodEnd") +
                                   ": not after BillingPeriodStart");
  const std::string_view currency = r.Get(Field::kBillingCurrency);
  if (currency.empty())
    return Status::InvalidArgument(LineCol(row_line_, "BillingCurrency") +
                                   ": a required value is missing");
  ++records_;
  return on_record(r);
}

}  // namespace dai::cost
