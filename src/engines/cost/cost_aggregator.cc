#include "engines/cost/cost_aggregator.h"

#include <charconv>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <unordered_map>

namespace dai::cost {
namespace {

int64_t FloorTo(int64_t t, int64_t step) {
  int64_t q = t / step;
  if (t % step != 0 && t < 0) --q;
  return q * step;
}

// Parts are separated by the ASCII unit separator; one inside a value (a crafted billing file)
// becomes a space, so the parts of a key always line up (found by fuzz_focus_csv).
void AppendKeyPart(std::string& key, std::string_view part) {
  for (char c : part) key.push_back(c == '\x1f' ? ' ' : c);
  key.push_back('\x1f');
}

int64_t KeyNumber(const std::string& text) {
  int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  return r.ec == std::errc() ? v : 0;
}

std::vector<std::string> SplitKey(const std::string& key) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < key.size()) {
    const size_t end = key.find('\x1f', start);
    if (end == std::string::npos) {
      out.push_back(key.substr(start));
      break;
    }
    out.push_back(key.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

bool IsTimeUnit(std::string_view unit) {
  std::string u;
  for (const char c : unit)
    u.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return u == "hrs" || u == "hours" || u == "hour" || u == "hr" ||
         u.find("-hours") != std::string::npos || u.find("instance hour") != std::string::npos ||
         u == "1 hour";
}

Status CostAggregator::Add(const CostRecord& r) {
  const std::string_view currency = r.Get(Field::kBillingCurrency);
  if (currency_.empty()) {
    currency_ = std::string(currency);
    currency_line_ = r.line;
  } else if (currency != currency_) {
    return Status::InvalidArgument(
        "line " + std::to_string(r.line) + ", column BillingCurrency: '" + std::string(currency) +
        "' differs from '" + currency_ + "' on line " + std::to_string(currency_line_) +
        "; a file must have one billing currency");
  }
  ++records_;
  total_billed_ += r.billed_cost;
  total_effective_ += r.effective_cost;
  const double list = std::isnan(r.list_cost) ? 0.0 : r.list_cost;

  // Daily cells: a charge period over several days is spread in proportion to its overlap.
  key_.clear();
  AppendKeyPart(key_, r.Get(Field::kProviderName));
  AppendKeyPart(key_, r.Get(Field::kBillingAccountId));
  AppendKeyPart(key_, r.Get(Field::kSubAccountId));
  AppendKeyPart(key_, r.Get(Field::kServiceName));
  AppendKeyPart(key_, r.Get(Field::kServiceCategory));
  AppendKeyPart(
      key_, r.Get(Field::kRegionId).empty() ? r.Get(Field::kRegionName) : r.Get(Field::kRegionId));
  AppendKeyPart(key_, r.Get(Field::kChargeCategory));
  AppendKeyPart(key_, std::to_string(r.billing_period_start));
  const size_t prefix = key_.size();
  const int64_t start = r.charge_period_start;
  const int64_t end = std::max(r.charge_period_end, start);
  const int64_t first_day = FloorTo(start, kDay);
  const int64_t last_day = end > start ? FloorTo(end - 1, kDay) : first_day;
  const int64_t span_days = (last_day - first_day) / kDay + 1;
  if (span_days <= 1 || span_days > 400) {
    key_.resize(prefix);
    key_.append(std::to_string(first_day));
    Agg& a = daily_[key_];
    a.billed += r.billed_cost;
    a.effective += r.effective_cost;
    a.list += list;
    a.rows += 1;
  } else {
    const double total = static_cast<double>(end - start);
    for (int64_t d = first_day; d <= last_day; d += kDay) {
      const double overlap = static_cast<double>(std::min(end, d + kDay) - std::max(start, d));
      const double f = overlap / total;
      key_.resize(prefix);
      key_.append(std::to_string(d));
      Agg& a = daily_[key_];
      a.billed += r.billed_cost * f;
      a.effective += r.effective_cost * f;
      a.list += list * f;
      if (d == first_day) a.rows += 1;
    }
  }

  BillingPeriod& p = periods_[{r.billing_period_start, r.billing_period_end}];
  if (p.rows == 0) {
    p.start = r.billing_period_start;
    p.end = r.billing_period_end;
    p.first_line = r.line;
  }
  p.rows += 1;
  p.billed += r.billed_cost;
  p.effective += r.effective_cost;

  const std::string_view pricing = r.Get(Field::kPricingCategory);
  if (r.Get(Field::kServiceCategory) == "Compute" && r.Get(Field::kChargeCategory) == "Usage" &&
      (pricing == "Standard" || pricing == "On-Demand" || pricing == "OnDemand")) {
    // Spread over the hours of the charge period (hourly rows fall in one hour).
    const int64_t h0 = FloorTo(start, kHour);
    const int64_t h1 = end > start ? FloorTo(end - 1, kHour) : h0;
    const int64_t hours = (h1 - h0) / kHour + 1;
    if (hours <= 24 * 93) {
      for (int64_t h = h0; h <= h1; h += kHour)
        on_demand_hourly_[{r.billing_period_start, h}] +=
            r.effective_cost / static_cast<double>(hours);
    }
  }

  const std::string_view rid = r.Get(Field::kResourceId);
  if (track_resources_ && !rid.empty()) {
    auto [it, inserted] = resources_.try_emplace(std::string(rid));
    ResourceSummary& s = it->second;
    if (inserted) {
      s.resource_id = std::string(rid);
      s.resource_name = std::string(r.Get(Field::kResourceName));
      s.resource_type = std::string(r.Get(Field::kResourceType));
      s.service = std::string(r.Get(Field::kServiceName));
      s.service_category = std::string(r.Get(Field::kServiceCategory));
      s.provider = std::string(r.Get(Field::kProviderName));
      s.region = std::string(r.Get(Field::kRegionId));
      s.sub_account = std::string(r.Get(Field::kSubAccountId));
      s.first_seen = start;
      s.last_seen = end;
    }
    s.effective += r.effective_cost;
    s.first_seen = std::min(s.first_seen, start);
    s.last_seen = std::max(s.last_seen, end);
    const std::string_view unit = r.Get(Field::kPricingUnit).empty() ? r.Get(Field::kConsumedUnit)
                                                                     : r.Get(Field::kPricingUnit);
    if (r.Get(Field::kChargeCategory) == "Usage") {
      if (IsTimeUnit(unit)) {
        s.time_priced_rows += 1;
      } else if (!std::isnan(r.consumed_quantity) && r.consumed_quantity > 0) {
        s.usage_priced_rows += 1;
      }
    }
  }
  return Status::Ok();
}

namespace {

// A daily cell from its key (provider, account, sub account, service, category, region, charge
// category, billing period, then day) and sums.
DailyCost CellOf(const std::string& key, double billed, double effective, double list, int64_t rows,
                 const std::string& currency) {
  const auto parts = SplitKey(key);
  DailyCost d;
  d.provider = parts.size() > 0 ? parts[0] : "";
  d.billing_account = parts.size() > 1 ? parts[1] : "";
  d.sub_account = parts.size() > 2 ? parts[2] : "";
  d.service = parts.size() > 3 ? parts[3] : "";
  d.service_category = parts.size() > 4 ? parts[4] : "";
  d.region = parts.size() > 5 ? parts[5] : "";
  d.charge_category = parts.size() > 6 ? parts[6] : "";
  d.billing_period = parts.size() > 7 ? KeyNumber(parts[7]) : 0;
  d.day = parts.size() > 8 ? KeyNumber(parts[8]) : 0;
  d.currency = currency;
  d.billed = billed;
  d.effective = effective;
  d.list = list;
  d.rows = rows;
  return d;
}

}  // namespace

std::vector<DailyCost> CostAggregator::Daily() const {
  std::vector<DailyCost> out;
  out.reserve(daily_.size());
  for (const auto& [key, a] : daily_)
    out.push_back(CellOf(key, a.billed, a.effective, a.list, a.rows, currency_));
  std::sort(out.begin(), out.end(), [](const DailyCost& a, const DailyCost& b) {
    return std::tie(a.day, a.provider, a.service, a.region, a.sub_account, a.charge_category) <
           std::tie(b.day, b.provider, b.service, b.region, b.sub_account, b.charge_category);
  });
  return out;
}

Status CostAggregator::DrainDaily(const std::function<Status(const DailyCost&)>& sink) {
  for (const auto& [key, a] : daily_)
    DAI_RETURN_IF_ERROR(sink(CellOf(key, a.billed, a.effective, a.list, a.rows, currency_)));
  // Forget them, bucket array included (a cleared map keeps its largest one): a drained map's
  // bucket array is as large as it ever was.
  std::unordered_map<std::string, Agg>().swap(daily_);
  return Status::Ok();
}

std::vector<BillingPeriod> CostAggregator::Periods() const {
  std::vector<BillingPeriod> out;
  for (const auto& [k, p] : periods_) out.push_back(p);
  return out;
}

std::vector<ResourceSummary> CostAggregator::Resources() const {
  std::vector<ResourceSummary> out;
  out.reserve(resources_.size());
  for (const auto& [k, s] : resources_) out.push_back(s);
  std::sort(out.begin(), out.end(), [](const ResourceSummary& a, const ResourceSummary& b) {
    return a.resource_id < b.resource_id;
  });
  return out;
}

Breakdown BuildBreakdown(const std::vector<BreakdownCell>& cells, int64_t start_day,
                         int64_t end_day, size_t top) {
  Breakdown out;
  start_day = FloorTo(start_day, kDay);
  for (int64_t d = start_day; d < end_day && out.days.size() < 3700; d += kDay)
    out.days.push_back(d);
  const size_t n = out.days.size();
  // Cell -> day index, or n when outside the range.
  auto day_index = [&](const BreakdownCell& c) -> size_t {
    const int64_t day = FloorTo(c.day, kDay);
    if (day < start_day || day >= end_day) return n;
    return std::min(n, static_cast<size_t>((day - start_day) / kDay));
  };
  // Pass 1: totals per group. Series are kept only for the groups shown (top + "(other)"), so
  // thousands of groups over years of days do not hold a series each.
  std::unordered_map<std::string_view, size_t> index;
  std::vector<BreakdownGroup> sorted;
  static const std::string kNone = "(none)";
  for (const auto& c : cells) {
    if (day_index(c) == n) continue;
    const std::string_view key = c.key.empty() ? std::string_view(kNone) : c.key;
    auto [it, inserted] = index.try_emplace(key, sorted.size());
    if (inserted) sorted.push_back(BreakdownGroup{std::string(key), 0, 0, {}});
    BreakdownGroup& g = sorted[it->second];
    g.billed += c.billed;
    g.effective += c.effective;
    out.billed += c.billed;
    out.effective += c.effective;
  }
  std::sort(sorted.begin(), sorted.end(), [](const BreakdownGroup& a, const BreakdownGroup& b) {
    if (a.effective != b.effective) return a.effective > b.effective;
    return a.key < b.key;
  });
  const bool fold = top > 0 && sorted.size() > top;
  const size_t shown = fold ? top : sorted.size();
  BreakdownGroup other;
  other.key = "(other)";
  other.series.assign(n, 0.0);
  index.clear();
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i < shown) {
      sorted[i].series.assign(n, 0.0);
      index.emplace(sorted[i].key, i);
    } else {
      other.billed += sorted[i].billed;
      other.effective += sorted[i].effective;
    }
  }
  // Pass 2: the series.
  for (const auto& c : cells) {
    const size_t idx = day_index(c);
    if (idx == n) continue;
    const std::string_view key = c.key.empty() ? std::string_view(kNone) : c.key;
    auto it = index.find(key);
    (it != index.end() ? sorted[it->second].series : other.series)[idx] += c.effective;
  }
  sorted.resize(shown);
  if (fold) sorted.push_back(std::move(other));
  out.groups = std::move(sorted);
  return out;
}

}  // namespace dai::cost
