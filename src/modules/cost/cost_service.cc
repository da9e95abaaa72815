#include "modules/cost/cost_service.h"

#include <sodium.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "engines/cost/budget.h"
#include "engines/cost/cost_aggregator.h"
#include "engines/cost/focus_reader.h"
#include "engines/cost/forecast.h"
#include "engines/cost/recommender.h"

namespace dai::costopt {
namespace {

using cost::kDay;
using cost::kHour;
using store::Connection;
using store::Params;

constexpr size_t kChunkBytes = 1 << 20;

// Civil date of a unix day (H. Hinnant's civil_from_days).
void CivilFromDays(int64_t z, int* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t year = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(year + (*m <= 2));
}

int64_t FloorDay(int64_t t) { return (t >= 0 ? t : t - kDay + 1) / kDay * kDay; }

std::string DayString(int64_t unix_seconds) {
  int y, m, d;
  CivilFromDays(FloorDay(unix_seconds) / kDay, &y, &m, &d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

Result<int64_t> ParseDay(const std::string& s) { return cost::ParseTimestamp(s); }

TimePoint ToTime(int64_t unix_seconds) { return FromUnixMillis(unix_seconds * 1000); }
int64_t ToUnix(TimePoint t) { return ToUnixMillis(t) / 1000; }

// Start of the month / quarter containing `t`, and the start of the next one.
std::pair<int64_t, int64_t> PeriodBounds(int64_t t, const std::string& period) {
  int y, m, d;
  CivilFromDays(FloorDay(t) / kDay, &y, &m, &d);
  int start_month = m, months = 1;
  if (period == "quarter" || period == "quarterly") {
    start_month = (m - 1) / 3 * 3 + 1;
    months = 3;
  } else if (period == "year" || period == "yearly") {
    start_month = 1;
    months = 12;
  }
  auto month_start = [](int year, int month) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-01", year + (month - 1) / 12, (month - 1) % 12 + 1);
    return *cost::ParseTimestamp(buf);
  };
  return {month_start(y, start_month), month_start(y, start_month + months)};
}

// Start of the month containing `t`, and of the month after it.
int64_t MonthStart(int64_t t) { return PeriodBounds(t, "month").first; }
int64_t NextMonthStart(int64_t t) { return PeriodBounds(t, "month").second; }

// A breakdown group's shown key: the value, "(none)" when empty, with its currency when the
// range holds several.
std::string ShownKey(const std::string& value, const std::string& currency, bool multi) {
  if (!multi) return value.empty() ? "(none)" : value;
  return (value.empty() ? "(none)" : value) + " [" + currency + "]";
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;  // start of the characters not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if (i > run) out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
  }
  if (s.size() > run) out.append(s.data() + run, s.size() - run);
  out += '"';
}

void AppendMeta(std::string& out, const char* key, std::string_view value) {
  if (value.empty()) return;
  if (out.size() > 1) out += ',';
  AppendJsonString(out, key);
  out += ':';
  AppendJsonString(out, value);
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {  // ASCII, the usual case
      ++i;
      continue;
    }
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

Json OptNumber(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json IntervalJson(const cost::Interval& iv, double offset = 0) {
  return {{"mean", iv.mean + offset},
          {"lo80", iv.lo80 + offset},
          {"hi80", iv.hi80 + offset},
          {"lo95", iv.lo95 + offset},
          {"hi95", iv.hi95 + offset}};
}

const std::map<std::string, std::string>& DailyColumns() {
  static const std::map<std::string, std::string> columns = {
      {"provider", "provider"},
      {"account", "billing_account"},
      {"subAccount", "sub_account"},
      {"service", "service"},
      {"serviceCategory", "service_category"},
      {"region", "region"},
      {"chargeCategory", "charge_category"}};
  return columns;
}

std::string DimensionList() {
  std::string out;
  for (const auto& [k, v] : DailyColumns()) out += (out.empty() ? "" : ", ") + k;
  return out;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// ------------------------------------------------------------------------ import row blocks

// The cost_records columns an import writes, in the order of a block's cells.
const std::vector<std::string>& RecordColumns() {
  static const std::vector<std::string> columns = {
      "provider",       "account_id",      "service",     "resource_id",    "resource_type",
      "region",         "charge_category", "billed_cost", "effective_cost", "list_cost",
      "usage_quantity", "usage_unit",      "currency",    "period_start",   "period_end",
      "billing_period", "import_id",       "tags",        "metadata",       "created_at"};
  return columns;
}
constexpr size_t kRecordColumns = 20;
constexpr size_t kBlockBytes = 8 << 20;  // text of one block of parsed rows

// Parsed rows not yet written. Text cells view `arena`, whose capacity is fixed while rows
// refer to it (Reserve before appending a row), so the views stay valid.
struct RowBlock {
  std::string arena;
  std::vector<store::BulkValue> cells;
  size_t rows() const { return cells.size() / kRecordColumns; }
  void Clear() {
    arena.clear();
    cells.clear();
  }
  //! Whether `bytes` more text fit without moving the arena.
  bool Fits(size_t bytes) const { return arena.size() + bytes <= arena.capacity(); }
  std::string_view Text(std::string_view s) {
    const size_t at = arena.size();
    if (!s.empty()) arena.append(s.data(), s.size());
    return std::string_view(arena.data() + at, s.size());
  }
};

// Writes blocks of parsed rows into cost_records on its own thread while the caller parses the
// next ones (the two cores overlap parse and insert), one transaction per block. At most two
// blocks wait, so memory stays bounded whatever the file size.
class BlockWriter {
 public:
  explicit BlockWriter(store::Database& db) : db_(db), thread_([this] { Run(); }) {}
  ~BlockWriter() { (void)Close(); }
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  //! Queues `block` (when it holds rows) and replaces it with an empty one. Waits while two
  //! blocks are queued. Returns the writer's first error, if any.
  Status Push(std::unique_ptr<RowBlock>& block) {
    std::unique_lock lock(mu_);
    if (block->rows() > 0) {
      space_.wait(lock, [&] { return queue_.size() < 2 || !status_.ok(); });
      if (!status_.ok()) return status_;
      queue_.push_back(std::move(block));
      ready_.notify_one();
      if (!free_.empty()) {
        block = std::move(free_.back());
        free_.pop_back();
      } else {
        block = std::make_unique<RowBlock>();
      }
    }
    block->Clear();
    return status_;
  }
  //! Waits for every queued block; returns the first error.
  Status Close() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      ready_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      ready_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;
      std::unique_ptr<RowBlock> block = std::move(queue_.front());
      queue_.pop_front();
      const bool ok = status_.ok();
      lock.unlock();
      Status st = ok ? Write(*block) : Status::Ok();
      lock.lock();
      if (!st.ok() && status_.ok()) status_ = st;
      free_.push_back(std::move(block));
      space_.notify_all();
    }
  }
  Status Write(const RowBlock& block) {
    return db_.Transaction([&](Connection& conn) -> Status {
      DAI_ASSIGN_OR_RETURN(auto loader, conn.BulkLoad("cost_records", RecordColumns()));
      for (size_t r = 0; r < block.rows(); ++r) {
        DAI_RETURN_IF_ERROR(loader->Add(std::span<const store::BulkValue>(
            block.cells.data() + r * kRecordColumns, kRecordColumns)));
      }
      return loader->Finish();
    });
  }

  store::Database& db_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::unique_ptr<RowBlock>> queue_;
  std::vector<std::unique_ptr<RowBlock>> free_;
  bool closing_ = false;
  Status status_;
  std::thread thread_;  // last: started once the members above exist
};

// ------------------------------------------------------------------------ cost_rollup deltas

// cost_rollup holds, per dimension of the daily aggregates alone, the totals per value, day and
// currency: a breakdown or a scoped series reads (values × days) rows whatever the number of
// line items or of other dimensions' combinations. An import adds its daily totals and
// subtracts those of the imports it replaces (in SQL, so memory does not grow with the number
// of cells); a cell left without rows or cost goes.
constexpr size_t kRollupDimensions = 7;
const std::array<const char*, kRollupDimensions> kRollupColumns = {
    "provider",         "billing_account", "sub_account",    "service",
    "service_category", "region",          "charge_category"};

// The rollup's cell upsert: adds the selected sums to an existing cell.
constexpr const char* kRollupUpsert =
    " ON CONFLICT (dimension, day, value, currency) DO UPDATE SET "
    "billed_cost = cost_rollup.billed_cost + excluded.billed_cost, "
    "effective_cost = cost_rollup.effective_cost + excluded.effective_cost, "
    "list_cost = cost_rollup.list_cost + excluded.list_cost, "
    "row_count = cost_rollup.row_count + excluded.row_count";

constexpr const char* kRollupMonthUpsert =
    " ON CONFLICT (dimension, month, value, currency) DO UPDATE SET "
    "billed_cost = cost_rollup_month.billed_cost + excluded.billed_cost, "
    "effective_cost = cost_rollup_month.effective_cost + excluded.effective_cost, "
    "list_cost = cost_rollup_month.list_cost + excluded.list_cost, "
    "row_count = cost_rollup_month.row_count + excluded.row_count";

// The daily aggregate columns, in the order cost_daily and cost_daily_spill are written.
const std::vector<std::string>& DailyAggregateColumns() {
  static const std::vector<std::string> columns = {
      "import_id",   "day",         "billing_period",   "provider",  "billing_account",
      "sub_account", "service",     "service_category", "region",    "charge_category",
      "currency",    "billed_cost", "effective_cost",   "list_cost", "row_count"};
  return columns;
}

// Timestamps as the store writes them (FormatIso8601), cached: charge periods repeat row after
// row.
class TimeText {
 public:
  std::string_view operator()(int64_t unix_seconds) {
    if (text_.empty() || unix_seconds != last_) {
      last_ = unix_seconds;
      text_ = FormatIso8601(ToTime(unix_seconds));
    }
    return text_;
  }

 private:
  int64_t last_ = 0;
  std::string text_;
};

std::string CommittedImports() {
  return "(SELECT CAST(id AS TEXT) FROM cost_imports WHERE status = 'committed')";
}

}  // namespace

CostService::CostService(store::Database& db, const Clock& clock, CostServiceOptions options,
                         std::function<void(const std::string&, const std::string&)> publish)
    : db_(db), clock_(clock), options_(options), publish_(std::move(publish)) {}

// ------------------------------------------------------------------------------------ import

Result<Json> CostService::ImportFile(const std::string& path, const ImportOptions& options) {
  gzFile gz = gzopen(path.c_str(), "rb");  // reads plain files unchanged
  if (gz == nullptr) return Status::NotFound("cannot open " + path);
  gzbuffer(gz, 1 << 18);
  ChunkSource source = [gz, &path](char* buffer, size_t capacity) -> Result<size_t> {
    const int got = gzread(gz, buffer, static_cast<unsigned>(std::min<size_t>(capacity, 1 << 30)));
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(gz, &err);
      return Status::InvalidArgument("reading " + path + ": " + (msg ? msg : "read error"));
    }
    return static_cast<size_t>(got);
  };
  auto result = Import(source, options);
  gzclose(gz);
  return result;
}

Result<Json> CostService::Import(const ChunkSource& source, const ImportOptions& opt) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  DAI_ASSIGN_OR_RETURN(
      auto inserted,
      db_.Query("INSERT INTO cost_imports (digest, source, status, created_by, created_at) "
                "VALUES ('', ?, 'loading', ?, ?) RETURNING id",
                {opt.source, opt.actor, clock_.Now()}));
  const int64_t import_id = inserted.rows.at(0).GetInt(size_t{0});
  const std::string import_key = std::to_string(import_id);

  cost::CostReader reader;
  cost::CostAggregator agg(/*track_resources=*/false);
  // Daily cells past the budget go to cost_daily_spill (added up at commit). Drained into a
  // vector first, so a retried transaction writes them again.
  const size_t aggregate_budget = std::max<size_t>(1, opt.aggregate_budget);
  std::vector<cost::DailyCost> drained;
  auto spill = [&]() -> Status {
    drained.clear();
    drained.reserve(agg.daily_cells());
    DAI_RETURN_IF_ERROR(agg.DrainDaily([&](const cost::DailyCost& d) -> Status {
      drained.push_back(d);
      return Status::Ok();
    }));
    Status written = db_.Transaction([&](Connection& conn) -> Status {
      DAI_ASSIGN_OR_RETURN(auto loader, conn.BulkLoad("cost_daily_spill", DailyAggregateColumns()));
      for (const auto& d : drained) {
        const std::string day = DayString(d.day), billing_period = DayString(d.billing_period);
        const store::BulkValue row[] = {
            import_id,     day,       billing_period,     d.provider, d.billing_account,
            d.sub_account, d.service, d.service_category, d.region,   d.charge_category,
            d.currency,    d.billed,  d.effective,        d.list,     d.rows};
        DAI_RETURN_IF_ERROR(loader->Add(row));
      }
      return loader->Finish();
    });
    std::vector<cost::DailyCost>().swap(drained);
    return written;
  };
  std::set<std::pair<std::string, std::string>> keys;  // (billing period day, billing account)
  crypto_hash_sha256_state sha;
  crypto_hash_sha256_init(&sha);
  BlockWriter writer(db_);
  auto block = std::make_unique<RowBlock>();
  const size_t block_rows = std::max<size_t>(1, opt.batch_rows);
  const std::string created_at = FormatIso8601(clock_.Now());
  TimeText start_text, end_text;
  int64_t last_period = std::numeric_limits<int64_t>::min();
  std::string period, key_period, key_account;
  // Tag texts already checked (real exports repeat a few tag sets on many rows).
  std::unordered_map<std::string, bool> tag_valid;
  std::string meta;
  auto on_record = [&](const cost::CostRecord& r) -> Status {
    using cost::Field;
    if (r.billing_period_start != last_period) {
      last_period = r.billing_period_start;
      period = DayString(r.billing_period_start);
    }
    if (opt.expected_period && period.compare(0, 7, *opt.expected_period) != 0)
      return Status::InvalidArgument(
          "line " + std::to_string(r.line) + ", column BillingPeriodStart: billing period " +
          period.substr(0, 7) + " is not the expected " + *opt.expected_period);
    for (const auto& text : r.text) {
      if (!ValidUtf8(text))
        return Status::InvalidArgument("line " + std::to_string(r.line) +
                                       ": text is not valid UTF-8");
    }
    DAI_RETURN_IF_ERROR(agg.Add(r));
    if (agg.daily_cells() > aggregate_budget) DAI_RETURN_IF_ERROR(spill());
    const std::string_view account = r.Get(Field::kBillingAccountId);
    if (keys.empty() || account != key_account || period != key_period) {
      keys.emplace(period, std::string(account));
      key_period = period;
      key_account = std::string(account);
    }
    meta = "{\"line\":";
    meta += std::to_string(r.line);
    AppendMeta(meta, "billingAccountName", r.Get(Field::kBillingAccountName));
    AppendMeta(meta, "subAccountId", r.Get(Field::kSubAccountId));
    AppendMeta(meta, "subAccountName", r.Get(Field::kSubAccountName));
    AppendMeta(meta, "serviceCategory", r.Get(Field::kServiceCategory));
    AppendMeta(meta, "resourceName", r.Get(Field::kResourceName));
    AppendMeta(meta, "regionName", r.Get(Field::kRegionName));
    AppendMeta(meta, "availabilityZone", r.Get(Field::kAvailabilityZone));
    AppendMeta(meta, "chargeFrequency", r.Get(Field::kChargeFrequency));
    AppendMeta(meta, "chargeDescription", r.Get(Field::kChargeDescription));
    AppendMeta(meta, "pricingCategory", r.Get(Field::kPricingCategory));
    AppendMeta(meta, "consumedUnit", r.Get(Field::kConsumedUnit));
    AppendMeta(meta, "commitmentDiscountType", r.Get(Field::kCommitmentDiscountType));
    AppendMeta(meta, "commitmentDiscountId", r.Get(Field::kCommitmentDiscountId));
    AppendMeta(meta, "skuId", r.Get(Field::kSkuId));
    if (std::isfinite(r.contracted_cost))
      meta += ",\"contractedCost\":" + Json(r.contracted_cost).dump();
    std::string_view tags = "{}";
    const std::string_view raw_tags = r.Get(Field::kTags);
    if (!raw_tags.empty()) {
      auto it = tag_valid.find(std::string(raw_tags));
      if (it == tag_valid.end()) {
        if (tag_valid.size() >= 4096) tag_valid.clear();
        auto parsed = ParseJson(raw_tags);
        it = tag_valid.emplace(std::string(raw_tags), parsed.ok() && parsed->is_object()).first;
      }
      if (it->second) {
        tags = raw_tags;
      } else {
        AppendMeta(meta, "tagsRaw", raw_tags);
      }
    }
    if (!r.extra.empty()) {
      meta += ",\"extra\":{";
      bool first = true;
      for (const auto& [k, v] : r.extra) {
        if (!ValidUtf8(k) || !ValidUtf8(v)) continue;
        if (!first) meta += ',';
        first = false;
        AppendJsonString(meta, k);
        meta += ':';
        AppendJsonString(meta, v);
      }
      meta += '}';
    }
    meta += '}';
    const std::string_view unit = r.Get(Field::kPricingUnit).empty() ? r.Get(Field::kConsumedUnit)
                                                                     : r.Get(Field::kPricingUnit);
    const std::string_view region =
        r.Get(Field::kRegionId).empty() ? r.Get(Field::kRegionName) : r.Get(Field::kRegionId);
    const std::string_view start = start_text(r.charge_period_start);
    const std::string_view end = end_text(r.charge_period_end);
    const std::string_view text[] = {r.Get(Field::kProviderName),
                                     account,
                                     r.Get(Field::kServiceName),
                                     r.Get(Field::kResourceId),
                                     r.Get(Field::kResourceType),
                                     region,
                                     r.Get(Field::kChargeCategory),
                                     unit,
                                     r.Get(Field::kBillingCurrency),
                                     start,
                                     end,
                                     period,
                                     import_key,
                                     tags,
                                     meta,
                                     created_at};
    size_t bytes = 0;
    for (const auto& t : text) bytes += t.size();
    if (block->rows() >= block_rows || (!block->Fits(bytes) && block->rows() > 0))
      DAI_RETURN_IF_ERROR(writer.Push(block));
    if (block->arena.capacity() < std::max(bytes, kBlockBytes))
      block->arena.reserve(std::max(bytes, kBlockBytes));
    auto& c = block->cells;
    c.emplace_back(block->Text(text[0]));
    c.emplace_back(block->Text(text[1]));
    c.emplace_back(block->Text(text[2]));
    c.emplace_back(block->Text(text[3]));
    c.emplace_back(block->Text(text[4]));
    c.emplace_back(block->Text(text[5]));
    c.emplace_back(block->Text(text[6]));
    c.emplace_back(r.billed_cost);
    c.emplace_back(r.effective_cost);
    c.emplace_back(std::isfinite(r.list_cost) ? store::BulkValue(r.list_cost)
                                              : store::BulkValue(nullptr));
    c.emplace_back(std::isfinite(r.consumed_quantity) ? store::BulkValue(r.consumed_quantity)
                                                      : store::BulkValue(nullptr));
    c.emplace_back(unit.empty() ? store::BulkValue(nullptr) : block->Text(unit));
    for (size_t i = 8; i < std::size(text); ++i) c.emplace_back(block->Text(text[i]));
    return Status::Ok();
  };

  std::optional<int64_t> duplicate_of;
  std::vector<int64_t> replaced;
  std::string digest_hex;
  Status st = [&]() -> Status {
    std::string buffer(kChunkBytes, '\0');
    while (true) {
      DAI_ASSIGN_OR_RETURN(size_t got, source(buffer.data(), buffer.size()));
      if (got == 0) break;
      crypto_hash_sha256_update(&sha, reinterpret_cast<const unsigned char*>(buffer.data()), got);
      DAI_RETURN_IF_ERROR(reader.Feed(std::string_view(buffer.data(), got), on_record));
    }
    DAI_RETURN_IF_ERROR(reader.Finish(on_record));
    if (agg.records() == 0)
      return Status::InvalidArgument("the file has a header but no cost rows");
    DAI_RETURN_IF_ERROR(writer.Push(block));
    DAI_RETURN_IF_ERROR(writer.Close());
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&sha, digest);
    digest_hex.resize(crypto_hash_sha256_BYTES * 2 + 1);
    sodium_bin2hex(digest_hex.data(), digest_hex.size(), digest, sizeof digest);
    digest_hex.pop_back();

    Json periods = Json::array();
    for (const auto& p : agg.Periods()) {
      periods.push_back({{"start", DayString(p.start)},
                         {"end", DayString(p.end)},
                         {"rows", p.rows},
                         {"billedCost", p.billed},
                         {"effectiveCost", p.effective}});
    }
    // The last cells join the spilled ones; the commit adds them up.
    DAI_RETURN_IF_ERROR(spill());
    const auto& hourly = agg.OnDemandComputeHourly();
    return db_.Transaction([&](Connection& conn) -> Status {
      duplicate_of.reset();
      replaced.clear();
      DAI_ASSIGN_OR_RETURN(auto dup, conn.Query("SELECT id FROM cost_imports WHERE digest = ? AND "
                                                "status = 'committed'",
                                                {digest_hex}));
      if (!dup.rows.empty()) {
        duplicate_of = dup.rows[0].GetInt(size_t{0});
        return Status::Ok();
      }
      std::set<int64_t> replaced_set;
      for (const auto& [period, account] : keys) {
        // cost_rollup: the replaced imports' daily totals out; cells left without rows or cost
        // (within the days they covered) go.
        DAI_ASSIGN_OR_RETURN(auto span, conn.Query("SELECT MIN(day), MAX(day) FROM cost_daily "
                                                   "WHERE billing_period = ? AND "
                                                   "billing_account = ? AND import_id <> ?",
                                                   {period, account, import_id}));
        if (!span.rows.empty() && !span.rows[0].IsNull(size_t{0})) {
          const std::string first = span.rows[0].GetString(size_t{0});
          const std::string last = span.rows[0].GetString(size_t{1});
          for (const char* dim : kRollupColumns) {
            DAI_RETURN_IF_ERROR(
                conn.Query(std::string("INSERT INTO cost_rollup_month (dimension, value, month, "
                                       "currency, billed_cost, effective_cost, list_cost, "
                                       "row_count) SELECT ?, ") +
                               dim +
                               ", substr(day, 1, 7) AS m, currency, -SUM(billed_cost), "
                               "-SUM(effective_cost), -SUM(list_cost), -SUM(row_count) FROM "
                               "cost_daily WHERE billing_period = ? AND billing_account = ? AND "
                               "import_id <> ? GROUP BY " +
                               dim + ", m, currency" + kRollupMonthUpsert,
                           {std::string(dim), period, account, import_id})
                    .status());
            DAI_RETURN_IF_ERROR(
                conn.Query("DELETE FROM cost_rollup_month WHERE dimension = ? AND month >= ? AND "
                           "month <= ? AND row_count <= 0 AND abs(billed_cost) < 1e-6 AND "
                           "abs(effective_cost) < 1e-6 AND abs(list_cost) < 1e-6",
                           {std::string(dim), first.substr(0, 7), last.substr(0, 7)})
                    .status());
            DAI_RETURN_IF_ERROR(
                conn.Query(std::string("INSERT INTO cost_rollup (dimension, value, day, currency, "
                                       "billed_cost, effective_cost, list_cost, row_count) "
                                       "SELECT ?, ") +
                               dim +
                               ", day, currency, -SUM(billed_cost), -SUM(effective_cost), "
                               "-SUM(list_cost), -SUM(row_count) FROM cost_daily WHERE "
                               "billing_period = ? AND billing_account = ? AND import_id <> ? "
                               "GROUP BY " +
                               dim + ", day, currency" + kRollupUpsert,
                           {std::string(dim), period, account, import_id})
                    .status());
            DAI_RETURN_IF_ERROR(
                conn.Query("DELETE FROM cost_rollup WHERE dimension = ? AND day >= ? AND day <= ? "
                           "AND row_count <= 0 AND abs(billed_cost) < 1e-6 AND "
                           "abs(effective_cost) < 1e-6 AND abs(list_cost) < 1e-6",
                           {std::string(dim), first, last})
                    .status());
          }
        }
        DAI_ASSIGN_OR_RETURN(auto old, conn.Query("SELECT DISTINCT import_id FROM cost_daily WHERE "
                                                  "billing_period = ? AND billing_account = ? AND "
                                                  "import_id <> ?",
                                                  {period, account, import_id}));
        for (const auto& row : old.rows) replaced_set.insert(row.GetInt(size_t{0}));
        DAI_RETURN_IF_ERROR(conn.Query("DELETE FROM cost_records WHERE billing_period = ? AND "
                                       "account_id = ? AND import_id <> ?",
                                       {period, account, import_key})
                                .status());
        DAI_RETURN_IF_ERROR(conn.Query("DELETE FROM cost_daily WHERE billing_period = ? AND "
                                       "billing_account = ? AND import_id <> ?",
                                       {period, account, import_id})
                                .status());
        for (const int64_t old_id : replaced_set) {
          DAI_RETURN_IF_ERROR(conn.Query("DELETE FROM cost_hourly WHERE billing_period = ? AND "
                                         "import_id = ?",
                                         {period, old_id})
                                  .status());
        }
      }
      // The spilled partial cells, added up.
      DAI_RETURN_IF_ERROR(
          conn.Query("INSERT INTO cost_daily (import_id, day, billing_period, provider, "
                     "billing_account, sub_account, service, service_category, region, "
                     "charge_category, currency, billed_cost, effective_cost, list_cost, "
                     "row_count) SELECT import_id, day, billing_period, provider, "
                     "billing_account, sub_account, service, service_category, region, "
                     "charge_category, currency, SUM(billed_cost), SUM(effective_cost), "
                     "SUM(list_cost), SUM(row_count) FROM cost_daily_spill WHERE import_id = ? "
                     "GROUP BY import_id, day, billing_period, provider, billing_account, "
                     "sub_account, service, service_category, region, charge_category, currency",
                     {import_id})
              .status());
      DAI_RETURN_IF_ERROR(
          conn.Query("DELETE FROM cost_daily_spill WHERE import_id = ?", {import_id}).status());
      {
        DAI_ASSIGN_OR_RETURN(auto loader,
                             conn.BulkLoad("cost_hourly", {"import_id", "hour", "billing_period",
                                                           "on_demand_compute"}));
        for (const auto& [key, value] : hourly) {
          const std::string hour = FormatIso8601(ToTime(key.second));
          const std::string billing_period = DayString(key.first);
          const store::BulkValue row[] = {import_id, hour, billing_period, value};
          DAI_RETURN_IF_ERROR(loader->Add(row));
        }
        DAI_RETURN_IF_ERROR(loader->Finish());
      }
      // cost_rollup and cost_rollup_month: this import's totals in.
      for (const char* dim : kRollupColumns) {
        DAI_RETURN_IF_ERROR(
            conn.Query(std::string("INSERT INTO cost_rollup_month (dimension, value, month, "
                                   "currency, billed_cost, effective_cost, list_cost, row_count) "
                                   "SELECT ?, ") +
                           dim +
                           ", substr(day, 1, 7) AS m, currency, SUM(billed_cost), "
                           "SUM(effective_cost), SUM(list_cost), SUM(row_count) FROM cost_daily "
                           "WHERE import_id = ? GROUP BY " +
                           dim + ", m, currency" + kRollupMonthUpsert,
                       {std::string(dim), import_id})
                .status());
        DAI_RETURN_IF_ERROR(
            conn.Query(
                    std::string("INSERT INTO cost_rollup (dimension, value, day, currency, "
                                "billed_cost, effective_cost, list_cost, row_count) SELECT ?, ") +
                        dim +
                        ", day, currency, SUM(billed_cost), SUM(effective_cost), "
                        "SUM(list_cost), SUM(row_count) FROM cost_daily WHERE import_id = ? "
                        "GROUP BY " +
                        dim + ", day, currency" + kRollupUpsert,
                    {std::string(dim), import_id})
                .status());
      }
      for (const int64_t old_id : replaced_set) {
        DAI_ASSIGN_OR_RETURN(
            auto left, conn.Query("SELECT COUNT(*) FROM cost_daily WHERE import_id = ?", {old_id}));
        if (left.rows.at(0).GetInt(size_t{0}) == 0) {
          DAI_RETURN_IF_ERROR(
              conn.Query("UPDATE cost_imports SET status = 'replaced' WHERE id = ?", {old_id})
                  .status());
        }
        replaced.push_back(old_id);
      }
      return conn
          .Query(
              "UPDATE cost_imports SET status = 'committed', digest = ?, format = ?, row_count = "
              "?, "
              "billed_cost = ?, effective_cost = ?, currency = ?, periods = ?, committed_at = ? "
              "WHERE id = ?",
              {digest_hex, std::string(cost::CostFormatName(reader.format())), agg.records(),
               agg.total_billed(), agg.total_effective(), agg.currency(), DumpJson(periods),
               clock_.Now(), import_id})
          .status();
    });
  }();

  if (!st.ok() || duplicate_of) {
    // Nothing of this import stays visible: its staged rows go (once the writer has stopped);
    // a failure is recorded.
    (void)writer.Close();
    for (const auto& [period, account] : keys) {
      (void)db_.Query(
          "DELETE FROM cost_records WHERE billing_period = ? AND account_id = ? AND "
          "import_id = ?",
          {period, account, import_key});
    }
    (void)db_.Query("DELETE FROM cost_daily_spill WHERE import_id = ?", {import_id});
    if (duplicate_of) {
      (void)db_.Query("DELETE FROM cost_imports WHERE id = ?", {import_id});
    } else {
      (void)db_.Query("UPDATE cost_imports SET status = 'failed', error = ? WHERE id = ?",
                      {st.message(), import_id});
      return st;
    }
  }
  const int64_t id = duplicate_of.value_or(import_id);
  DAI_ASSIGN_OR_RETURN(auto row, db_.Query("SELECT id, source, format, row_count, billed_cost, "
                                           "effective_cost, currency, periods FROM cost_imports "
                                           "WHERE id = ?",
                                           {id}));
  const auto& r = row.rows.at(0);
  auto periods = ParseJson(r.GetString("periods"));
  Json out = {{"importId", id},
              {"duplicate", duplicate_of.has_value()},
              {"format", r.GetString("format")},
              {"rows", r.GetInt("row_count")},
              {"currency", r.GetString("currency")},
              {"billedCost", r.GetDouble("billed_cost")},
              {"effectiveCost", r.GetDouble("effective_cost")},
              {"periods", periods.ok() ? *periods : Json::array()},
              {"replacedImports", replaced}};
  if (!duplicate_of) {
    if (publish_) publish_("cost.imported", DumpJson(out));
    (void)EvaluateBudgets(std::nullopt);
    // New billing days may hold a spend anomaly; a failure here does not undo the import.
    if (options_.signals) (void)DetectAnomalies(Json::object());
  }
  return out;
}

Result<Json> CostService::ListImports(const Json& input) {
  const int64_t limit = input.value("limit", int64_t{50});
  DAI_ASSIGN_OR_RETURN(auto r,
                       db_.Query("SELECT id, source, format, status, row_count, billed_cost, "
                                 "effective_cost, currency, periods, error, created_by, "
                                 "created_at, committed_at FROM cost_imports ORDER BY id DESC "
                                 "LIMIT ?",
                                 {limit}));
  Json items = Json::array();
  for (const auto& row : r.rows) {
    auto periods = ParseJson(row.GetString("periods"));
    const auto committed = row.GetOptTime("committed_at");
    items.push_back({{"id", row.GetInt("id")},
                     {"source", row.GetString("source")},
                     {"format", row.GetString("format")},
                     {"status", row.GetString("status")},
                     {"rows", row.GetInt("row_count")},
                     {"billedCost", row.GetDouble("billed_cost")},
                     {"effectiveCost", row.GetDouble("effective_cost")},
                     {"currency", row.GetString("currency")},
                     {"periods", periods.ok() ? *periods : Json::array()},
                     {"error", row.IsNull("error") ? Json(nullptr) : Json(row.GetString("error"))},
                     {"createdBy", row.GetString("created_by")},
                     {"createdAt", FormatIso8601(row.GetTime("created_at"))},
                     {"committedAt", committed ? Json(FormatIso8601(*committed)) : Json(nullptr)}});
  }
  return Json{{"items", items}};
}

// -------------------------------------------------------------------------------- breakdowns

Result<CostService::Scope> CostService::ParseScope(const std::string& scope) const {
  if (scope.empty() || scope == "all") return Scope{};
  const size_t eq = scope.find('=');
  if (eq == std::string::npos)
    return Status::InvalidArgument("scope: want 'all' or '<dimension>=<value>', got '" + scope +
                                   "'");
  const std::string dim = scope.substr(0, eq);
  auto it = DailyColumns().find(dim);
  if (it == DailyColumns().end())
    return Status::InvalidArgument("scope: unknown dimension '" + dim + "' (one of " +
                                   DimensionList() + ")");
  return Scope{it->second, scope.substr(eq + 1)};
}

Result<int64_t> CostService::AsOf() {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT MAX(day) FROM cost_daily"));
  const int64_t now_day = FloorDay(ToUnix(clock_.Now()));
  if (r.rows.empty() || r.rows[0].IsNull(size_t{0})) return now_day;
  DAI_ASSIGN_OR_RETURN(int64_t last, ParseDay(r.rows[0].GetString(size_t{0})));
  return std::min(now_day, last + kDay);
}

Result<std::vector<double>> CostService::DailySeries(const Scope& scope, int64_t from_day,
                                                     int64_t to_day) {
  // From the rollup: one dimension's cells (every line item has a provider, so its cells sum to
  // the total).
  std::string sql =
      "SELECT day, SUM(effective_cost) FROM cost_rollup WHERE dimension = ? AND day >= ? AND "
      "day < ?";
  Params params = {scope.column.empty() ? std::string("provider") : scope.column,
                   DayString(from_day), DayString(to_day)};
  if (!scope.column.empty()) {
    sql += " AND value = ?";
    params.emplace_back(scope.value);
  }
  sql += " GROUP BY day";
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query(sql, params));
  std::vector<double> series(static_cast<size_t>(std::max<int64_t>(0, (to_day - from_day) / kDay)),
                             0.0);
  for (const auto& row : r.rows) {
    auto day = ParseDay(row.GetString(size_t{0}));
    if (!day.ok()) continue;
    const int64_t idx = (*day - from_day) / kDay;
    if (idx >= 0 && idx < static_cast<int64_t>(series.size()))
      series[static_cast<size_t>(idx)] += row.GetDouble(size_t{1});
  }
  return series;
}

Result<Json> CostService::GetCosts(const Json& input) {
  auto start_tp = ParseIso8601(input.at("start").get<std::string>());
  auto end_tp = ParseIso8601(input.at("end").get<std::string>());
  if (!start_tp.ok()) return Status::InvalidArgument("start: " + start_tp.status().message());
  if (!end_tp.ok()) return Status::InvalidArgument("end: " + end_tp.status().message());
  const int64_t start = FloorDay(ToUnix(*start_tp));
  const int64_t end = FloorDay(ToUnix(*end_tp) + kDay - 1);
  if (end <= start) return Status::InvalidArgument("end: must be after start");
  if ((end - start) / kDay > 3660)
    return Status::InvalidArgument("end: the range is limited to 10 years");
  const std::string group_by = input.value("groupBy", "service");
  const size_t top = static_cast<size_t>(input.value("top", int64_t{10}));
  std::vector<cost::BreakdownCell> cells;
  std::set<std::string> currencies;
  const bool pg = db_.dialect() == store::Dialect::kPostgres;
  auto daily_col = DailyColumns().find(group_by);
  if (daily_col != DailyColumns().end()) {
    DAI_ASSIGN_OR_RETURN(auto b, RollupBreakdown(daily_col->second, start, end, top, currencies));
    return BreakdownJson(b, start, end, group_by, currencies);
  } else if (group_by == "namespace") {
    // Kubernetes namespaces from OpenCost's allocation API (cost_allocations).
    DAI_ASSIGN_OR_RETURN(
        auto r, db_.Query("SELECT day, namespace, currency, SUM(total_cost) FROM cost_allocations "
                          "WHERE day >= ? AND day < ? GROUP BY day, namespace, currency",
                          {DayString(start), DayString(end)}));
    for (const auto& row : r.rows) {
      auto day = ParseDay(row.GetString(size_t{0}));
      if (!day.ok()) continue;
      currencies.insert(row.GetString(size_t{2}));
      const std::string ns = row.GetString(size_t{1});
      cells.push_back({*day,
                       (ns.empty() ? "(unallocated)" : ns) + "\x1f" + row.GetString(size_t{2}),
                       row.GetDouble(size_t{3}), row.GetDouble(size_t{3})});
    }
  } else if (group_by == "resource" || group_by.rfind("tag:", 0) == 0) {
    std::string key_expr = "resource_id";
    Params params;
    if (group_by != "resource") {
      const std::string tag = group_by.substr(4);
      if (tag.empty() || tag.find_first_of("\"\\") != std::string::npos)
        return Status::InvalidArgument("groupBy: a tag key must be non-empty without '\"' or '\\'");
      key_expr = pg ? "(tags->>?)" : "json_extract(tags, ?)";
      params.emplace_back(pg ? tag : "$.\"" + tag + "\"");
    }
    const std::string day_expr = pg ? "to_char(period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
                                    : "substr(period_start, 1, 10)";
    params.emplace_back(ToTime(start));
    params.emplace_back(ToTime(end));
    DAI_ASSIGN_OR_RETURN(
        auto r,
        db_.Query("SELECT " + day_expr + " AS d, " + key_expr +
                      " AS k, currency, SUM(billed_cost), SUM(effective_cost) FROM cost_records "
                      "WHERE period_start >= ? AND period_start < ? AND import_id IN " +
                      CommittedImports() + " GROUP BY d, k, currency",
                  params));
    for (const auto& row : r.rows) {
      auto day = ParseDay(row.GetString(size_t{0}));
      if (!day.ok()) continue;
      currencies.insert(row.GetString(size_t{2}));
      cells.push_back({*day, row.GetString(size_t{1}) + "\x1f" + row.GetString(size_t{2}),
                       row.GetDouble(size_t{3}), row.GetDouble(size_t{4})});
    }
  } else {
    return Status::InvalidArgument("groupBy: unknown dimension '" + group_by + "' (one of " +
                                   DimensionList() + ", namespace, resource, tag:<key>)");
  }
  // Keys carry their currency; with one currency it is dropped from the shown key.
  const bool multi = currencies.size() > 1;
  for (auto& c : cells) {
    const size_t sep = c.key.find('\x1f');
    c.key = ShownKey(c.key.substr(0, sep), c.key.substr(sep + 1), multi);
  }
  return BreakdownJson(cost::BuildBreakdown(cells, start, end, top), start, end, group_by,
                       currencies);
}

Result<cost::Breakdown> CostService::RollupBreakdown(const std::string& column, int64_t start,
                                                     int64_t end, size_t top,
                                                     std::set<std::string>& currencies) {
  // Totals per (value, currency): whole months from cost_rollup_month, the days before the
  // first and after the last whole month from cost_rollup, so a range reads (values × months)
  // cells plus at most two partial months of days.
  int64_t full_from = MonthStart(start);
  if (full_from < start) full_from = NextMonthStart(start);
  int64_t full_to = MonthStart(end);
  if (full_to <= full_from) full_from = full_to = end;  // no whole month: days only
  std::map<std::pair<std::string, std::string>, std::pair<double, double>> totals;
  auto add = [&](const store::QueryResult& r) {
    for (const auto& row : r.rows) {
      auto& t = totals[{row.GetString(size_t{0}), row.GetString(size_t{1})}];
      t.first += row.GetDouble(size_t{2});
      t.second += row.GetDouble(size_t{3});
    }
  };
  if (full_from < full_to) {
    DAI_ASSIGN_OR_RETURN(
        auto r,
        db_.Query("SELECT value, currency, SUM(billed_cost), SUM(effective_cost) FROM "
                  "cost_rollup_month WHERE dimension = ? AND month >= ? AND month < ? "
                  "GROUP BY value, currency",
                  {column, DayString(full_from).substr(0, 7), DayString(full_to).substr(0, 7)}));
    add(r);
  }
  for (const auto& [a, b] : {std::pair{start, full_from}, std::pair{full_to, end}}) {
    if (a >= b) continue;
    DAI_ASSIGN_OR_RETURN(
        auto r, db_.Query("SELECT value, currency, SUM(billed_cost), SUM(effective_cost) FROM "
                          "cost_rollup WHERE dimension = ? AND day >= ? AND day < ? GROUP BY "
                          "value, currency",
                          {column, DayString(a), DayString(b)}));
    add(r);
  }
  for (const auto& [k, t] : totals) currencies.insert(k.second);
  const bool multi = currencies.size() > 1;

  cost::Breakdown out;
  for (int64_t d = start; d < end && out.days.size() < 3700; d += kDay) out.days.push_back(d);
  const size_t n = out.days.size();
  // Groups by shown key (with one currency, a value's key is the value itself).
  std::map<std::string, size_t> index;
  std::vector<cost::BreakdownGroup> groups;
  std::vector<std::vector<std::pair<std::string, std::string>>> members;
  for (const auto& [k, t] : totals) {
    const std::string key = ShownKey(k.first, k.second, multi);
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) {
      groups.push_back(cost::BreakdownGroup{key, 0, 0, {}});
      members.emplace_back();
    }
    groups[it->second].billed += t.first;
    groups[it->second].effective += t.second;
    members[it->second].push_back(k);
    out.billed += t.first;
    out.effective += t.second;
  }
  std::vector<size_t> order(groups.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (groups[a].effective != groups[b].effective)
      return groups[a].effective > groups[b].effective;
    return groups[a].key < groups[b].key;
  });
  const bool fold = top > 0 && order.size() > top;
  const size_t shown = fold ? top : order.size();
  cost::BreakdownGroup other{"(other)", 0, 0, {}};
  for (size_t i = shown; i < order.size(); ++i) {
    other.billed += groups[order[i]].billed;
    other.effective += groups[order[i]].effective;
  }
  // Series of the shown groups: their own cells (through the (dimension, value, day) index).
  std::vector<double> shown_sum(n, 0.0);
  for (size_t i = 0; i < shown; ++i) {
    auto& g = groups[order[i]];
    g.series.assign(n, 0.0);
    for (const auto& [value, currency] : members[order[i]]) {
      DAI_ASSIGN_OR_RETURN(
          auto r, db_.Query("SELECT day, effective_cost FROM cost_rollup WHERE dimension = ? AND "
                            "value = ? AND day >= ? AND day < ? AND currency = ?",
                            {column, value, DayString(start), DayString(end), currency}));
      for (const auto& row : r.rows) {
        auto day = ParseDay(row.GetString(size_t{0}));
        if (!day.ok() || *day < start || *day >= end) continue;
        const size_t idx = static_cast<size_t>((*day - start) / kDay);
        if (idx >= n) continue;
        g.series[idx] += row.GetDouble(size_t{1});
        shown_sum[idx] += row.GetDouble(size_t{1});
      }
    }
    out.groups.push_back(std::move(g));
  }
  if (fold) {
    // "(other)" per day: the day's total (any dimension's cells add up to it; the provider's
    // are the fewest) less the shown groups.
    other.series.assign(n, 0.0);
    DAI_ASSIGN_OR_RETURN(
        auto r, db_.Query("SELECT day, SUM(effective_cost) FROM cost_rollup WHERE dimension = "
                          "'provider' AND day >= ? AND day < ? GROUP BY day",
                          {DayString(start), DayString(end)}));
    for (const auto& row : r.rows) {
      auto day = ParseDay(row.GetString(size_t{0}));
      if (!day.ok() || *day < start || *day >= end) continue;
      const size_t idx = static_cast<size_t>((*day - start) / kDay);
      if (idx >= n) continue;
      const double total = row.GetDouble(size_t{1});
      double rest = total - shown_sum[idx];
      // What is left of the rounding when the shown groups are the whole day.
      if (std::fabs(rest) <= 1e-9 * std::max(1.0, std::fabs(total))) rest = 0;
      other.series[idx] = rest;
    }
    out.groups.push_back(std::move(other));
  }
  return out;
}

Json CostService::BreakdownJson(const cost::Breakdown& b, int64_t start, int64_t end,
                                const std::string& group_by,
                                const std::set<std::string>& currencies) {
  Json days = Json::array();
  for (const int64_t d : b.days) days.push_back(DayString(d));
  Json groups = Json::array();
  for (const auto& g : b.groups)
    groups.push_back({{"key", g.key},
                      {"billedCost", g.billed},
                      {"effectiveCost", g.effective},
                      {"series", g.series}});
  return Json{{"start", DayString(start)},
              {"end", DayString(end)},
              {"groupBy", group_by},
              {"currencies", std::vector<std::string>(currencies.begin(), currencies.end())},
              {"days", days},
              {"groups", groups},
              {"billedCost", b.billed},
              {"effectiveCost", b.effective}};
}

// --------------------------------------------------------------------------------- forecasts

Result<Json> CostService::ForecastPeriod(const Scope& scope, const std::string& horizon,
                                         int64_t as_of) {
  // The period that contains the last day with data.
  const auto [period_start, period_end] = PeriodBounds(as_of - kDay, horizon);
  const int64_t history_start = std::min(period_start, as_of - 365 * kDay);
  DAI_ASSIGN_OR_RETURN(auto series, DailySeries(scope, history_start, as_of));
  // Drop the empty days before the first spend.
  size_t first = 0;
  while (first < series.size() && series[first] == 0.0) ++first;
  const int64_t first_day = history_start + static_cast<int64_t>(first) * kDay;
  std::vector<double> history(series.begin() + static_cast<std::ptrdiff_t>(first), series.end());
  double actual = 0;
  for (int64_t d = std::max(period_start, first_day); d < as_of; d += kDay)
    actual += history[static_cast<size_t>((d - first_day) / kDay)];
  const int remaining = static_cast<int>((period_end - as_of) / kDay);
  Json hist = Json::array();
  for (size_t i = 0; i < history.size(); ++i)
    hist.push_back(
        {{"day", DayString(first_day + static_cast<int64_t>(i) * kDay)}, {"cost", history[i]}});
  Json out = {{"horizon", horizon},
              {"periodStart", DayString(period_start)},
              {"periodEnd", DayString(period_end)},
              {"asOf", DayString(as_of)},
              {"actualToDate", actual},
              {"history", hist}};
  if (remaining <= 0 || history.size() < 3) {
    out["model"] = history.size() < 3 ? "insufficient_history" : "period_complete";
    out["projected"] = {
        {"mean", actual}, {"lo80", actual}, {"hi80", actual}, {"lo95", actual}, {"hi95", actual}};
    out["daily"] = Json::array();
    out["backtestMape"] = nullptr;
    out["seasonalNaiveMape"] = nullptr;
    out["backtestPoints"] = 0;
    return out;
  }
  DAI_ASSIGN_OR_RETURN(auto f,
                       cost::Forecast(history, cost::ForecastOptions{.horizon = remaining}));
  Json daily = Json::array();
  for (int h = 0; h < remaining; ++h) {
    Json p = IntervalJson(f.steps[static_cast<size_t>(h)]);
    p["day"] = DayString(as_of + h * kDay);
    daily.push_back(p);
  }
  out["model"] = std::string(cost::ForecastModelName(f.model));
  out["projected"] = IntervalJson(f.total, actual);
  out["daily"] = daily;
  out["backtestMape"] = OptNumber(f.backtest_mape);
  out["seasonalNaiveMape"] = OptNumber(f.seasonal_naive_mape);
  out["backtestPoints"] = f.backtest_points;
  return out;
}

Result<Json> CostService::Forecast(const Json& input) {
  DAI_ASSIGN_OR_RETURN(Scope scope, ParseScope(input.value("scope", "")));
  DAI_ASSIGN_OR_RETURN(int64_t as_of, AsOf());
  DAI_ASSIGN_OR_RETURN(auto currency, db_.Query("SELECT DISTINCT currency FROM cost_daily"));
  DAI_ASSIGN_OR_RETURN(Json out,
                       ForecastPeriod(scope, input.at("horizon").get<std::string>(), as_of));
  out["scope"] = input.value("scope", "all");
  out["currency"] =
      currency.rows.size() == 1 ? Json(currency.rows[0].GetString(size_t{0})) : Json(nullptr);
  return out;
}

// ----------------------------------------------------------------------------------- budgets

Result<Json> CostService::SetBudget(const Json& in, const Identity&) {
  const std::string name = in.at("name").get<std::string>();
  const std::string scope = in.at("scope").get<std::string>();
  DAI_RETURN_IF_ERROR(ParseScope(scope).status());
  const double amount = in.at("amount").get<double>();
  if (!(amount > 0) || !std::isfinite(amount))
    return Status::InvalidArgument("amount: must be a positive number");
  std::vector<double> thresholds = {50, 80, 100};
  if (in.contains("thresholds")) {
    thresholds = in.at("thresholds").get<std::vector<double>>();
    for (size_t i = 0; i < thresholds.size(); ++i) {
      if (!(thresholds[i] > 0 && thresholds[i] <= 1000))
        return Status::InvalidArgument("thresholds[" + std::to_string(i) +
                                       "]: must be a percent in (0, 1000]");
    }
    std::sort(thresholds.begin(), thresholds.end());
  }
  if (thresholds.empty()) return Status::InvalidArgument("thresholds: at least one is needed");
  const std::string currency = in.at("currency").get<std::string>();
  DAI_ASSIGN_OR_RETURN(auto currencies, db_.Query("SELECT DISTINCT currency FROM cost_daily"));
  for (const auto& row : currencies.rows) {
    if (currencies.rows.size() == 1 && row.GetString(size_t{0}) != currency)
      return Status::InvalidArgument("currency: the billing data is in " +
                                     row.GetString(size_t{0}) + ", not " + currency);
  }
  const std::string period = in.at("period").get<std::string>();
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(
      auto r,
      db_.Query(
          "INSERT INTO budget_alerts (name, scope, amount, currency, period, threshold_percent, "
          "thresholds, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (name) DO UPDATE SET scope = excluded.scope, amount = excluded.amount, "
          "currency = excluded.currency, period = excluded.period, threshold_percent = "
          "excluded.threshold_percent, thresholds = excluded.thresholds, updated_at = "
          "excluded.updated_at RETURNING id",
          {name, DumpJson(Json{{"scope", scope}}), amount, currency, period, thresholds.front(),
           DumpJson(Json(thresholds)), now, now}));
  const int64_t id = r.rows.at(0).GetInt(size_t{0});
  DAI_ASSIGN_OR_RETURN(Json list, EvaluateBudgets(id));
  return list.at("items").at(0);
}

Result<Json> CostService::ListBudgets() { return EvaluateBudgets(std::nullopt); }

Result<Json> CostService::EvaluateBudgets(std::optional<int64_t> only_id) {
  std::string sql =
      "SELECT id, name, scope, amount, currency, period, thresholds FROM budget_alerts";
  Params params;
  if (only_id) {
    sql += " WHERE id = ?";
    params.emplace_back(*only_id);
  }
  sql += " ORDER BY name";
  DAI_ASSIGN_OR_RETURN(auto budgets, db_.Query(sql, params));
  DAI_ASSIGN_OR_RETURN(int64_t as_of, AsOf());
  Json items = Json::array();
  for (const auto& b : budgets.rows) {
    const int64_t id = b.GetInt("id");
    auto scope_json = ParseJson(b.GetString("scope"));
    const std::string scope_text =
        scope_json.ok() && scope_json->is_object() ? scope_json->value("scope", "all") : "all";
    auto scope = ParseScope(scope_text);
    if (!scope.ok()) continue;
    std::string period = b.GetString("period");
    const std::string horizon = period == "quarterly" ? "quarter"
                                : period == "yearly"  ? "year"
                                                      : "month";
    DAI_ASSIGN_OR_RETURN(Json fc, ForecastPeriod(*scope, horizon, as_of));
    auto thresholds_json = ParseJson(b.GetString("thresholds"));
    cost::BudgetSpec spec;
    spec.amount = b.GetDouble("amount");
    if (thresholds_json.ok() && thresholds_json->is_array())
      for (const auto& t : *thresholds_json)
        if (t.is_number()) spec.thresholds.push_back(t.get<double>());
    const auto bounds = PeriodBounds(as_of - kDay, horizon);
    spec.period_start = bounds.first;
    spec.period_end = bounds.second;
    cost::BudgetInput bin;
    bin.actual = fc["actualToDate"].get<double>();
    bin.forecast = fc["projected"]["mean"].get<double>();
    bin.forecast_high = fc["projected"]["hi80"].get<double>();
    bin.now = as_of;
    const auto ev = cost::EvaluateBudget(spec, bin);
    // Record and announce only the crossings not alerted before (once per crossing per period).
    std::vector<cost::BudgetCrossing> fresh;
    const TimePoint now = clock_.Now();
    DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
      fresh.clear();
      DAI_ASSIGN_OR_RETURN(
          auto seen,
          conn.Query("SELECT crossing FROM cost_budget_notifications WHERE budget_id = ?", {id}));
      std::set<std::string> notified;
      for (const auto& row : seen.rows) notified.insert(row.GetString(size_t{0}));
      fresh = cost::NewCrossings(ev, notified);
      for (const auto& c : fresh) {
        DAI_RETURN_IF_ERROR(
            conn.Query("INSERT INTO cost_budget_notifications (budget_id, crossing, kind, value, "
                       "notified_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       {id, c.key, c.kind, c.value, now})
                .status());
      }
      Params update = {bin.actual, bin.forecast, std::string(cost::BudgetStatusName(ev.status)),
                       ev.burn_rate, now};
      std::string usql =
          "UPDATE budget_alerts SET current_spend = ?, forecast_spend = ?, status = ?, burn_rate = "
          "?, updated_at = ?";
      if (!fresh.empty()) {
        usql += ", last_triggered_at = ?";
        update.emplace_back(now);
      }
      usql += " WHERE id = ?";
      update.emplace_back(id);
      return conn.Query(usql, update).status();
    }));
    Json crossings = Json::array();
    for (const auto& c : ev.crossings)
      crossings.push_back({{"kind", c.kind}, {"threshold", c.threshold}, {"value", c.value}});
    Json item = {
        {"id", id},
        {"name", b.GetString("name")},
        {"scope", scope_text},
        {"amount", spec.amount},
        {"currency", b.GetString("currency")},
        {"period", period},
        {"thresholds", spec.thresholds},
        {"periodStart", DayString(spec.period_start)},
        {"periodEnd", DayString(spec.period_end)},
        {"asOf", DayString(as_of)},
        {"actual", bin.actual},
        {"forecast", bin.forecast},
        {"forecastHigh", bin.forecast_high},
        {"actualPercent", ev.actual_percent},
        {"forecastPercent", ev.forecast_percent},
        {"burnRate", ev.burn_rate},
        {"projectedExhaustion",
         ev.projected_exhaustion ? Json(DayString(ev.projected_exhaustion)) : Json(nullptr)},
        {"status", cost::BudgetStatusName(ev.status)},
        {"crossings", crossings}};
    for (const auto& c : fresh) {
      if (publish_)
        publish_("cost.budget", DumpJson({{"budgetId", id},
                                          {"name", b.GetString("name")},
                                          {"kind", c.kind},
                                          {"threshold", c.threshold},
                                          {"value", c.value}}));
    }
    items.push_back(item);
  }
  return Json{{"items", items}};
}

// --------------------------------------------------------------------------- recommendations

Result<Json> CostService::RefreshRecommendations(const Json& input) {
  const double discount = input.value("commitmentDiscount", options_.commitment_discount);
  if (!(discount > 0 && discount < 1))
    return Status::InvalidArgument("commitmentDiscount: must be in (0, 1)");
  DAI_ASSIGN_OR_RETURN(int64_t as_of, AsOf());
  const int64_t window_start = as_of - 30 * kDay;
  struct NewRec {
    std::string type, resource_id, resource_type, provider, title, description, risk;
    double current = 0, projected = 0, saving = 0, confidence = 0;
    Json details;
  };
  std::vector<NewRec> recs;
  DAI_ASSIGN_OR_RETURN(auto currency_rows, db_.Query("SELECT DISTINCT currency FROM cost_daily"));
  const std::string currency =
      currency_rows.rows.size() == 1 ? currency_rows.rows[0].GetString(size_t{0}) : "USD";

  // Idle resources: per resource and unit, from the committed line items of the window.
  DAI_ASSIGN_OR_RETURN(
      auto lines,
      db_.Query("SELECT resource_id, MAX(resource_type), MAX(service), MAX(provider), MAX(region), "
                "COALESCE(usage_unit, ''), charge_category, SUM(effective_cost), COUNT(*), "
                "SUM(CASE WHEN usage_quantity > 0 THEN 1 ELSE 0 END), MIN(period_start), "
                "MAX(period_end) FROM cost_records WHERE resource_id <> '' AND period_start >= ? "
                "AND period_start < ? AND import_id IN " +
                    CommittedImports() +
                    " GROUP BY resource_id, COALESCE(usage_unit, ''), charge_category",
                {ToTime(window_start), ToTime(as_of)}));
  std::map<std::string, cost::ResourceSummary> resources;
  for (const auto& row : lines.rows) {
    const std::string id = row.GetString(size_t{0});
    auto& s = resources[id];
    if (s.resource_id.empty()) {
      s.resource_id = id;
      s.resource_type = row.GetString(size_t{1});
      s.service = row.GetString(size_t{2});
      s.provider = row.GetString(size_t{3});
      s.region = row.GetString(size_t{4});
      s.first_seen = ToUnix(row.GetTime(size_t{10}));
      s.last_seen = ToUnix(row.GetTime(size_t{11}));
    }
    s.first_seen = std::min(s.first_seen, ToUnix(row.GetTime(size_t{10})));
    s.last_seen = std::max(s.last_seen, ToUnix(row.GetTime(size_t{11})));
    s.effective += row.GetDouble(size_t{7});
    if (row.GetString(size_t{6}) == "Usage") {
      if (cost::IsTimeUnit(row.GetString(size_t{5}))) {
        s.time_priced_rows += row.GetInt(size_t{8});
      } else {
        s.usage_priced_rows += row.GetInt(size_t{9});
      }
    }
  }
  // Utilization: daily maxima of the hourly rows of the latest 14 days of utilization data
  // (collected from Prometheus up to now, whatever the date of the latest billing data).
  DAI_ASSIGN_OR_RETURN(auto util_last,
                       db_.Query("SELECT MAX(period_end) FROM resource_utilization"));
  int64_t util_end = as_of;
  if (!util_last.rows.empty() && !util_last.rows[0].IsNull(size_t{0}))
    util_end = std::min(ToUnix(util_last.rows[0].GetTime(size_t{0})),
                        std::max(as_of, ToUnix(clock_.Now()) + kHour));
  DAI_ASSIGN_OR_RETURN(
      auto util_rows,
      db_.Query("SELECT resource_id, period_start, cpu_request, cpu_usage_p95, cpu_usage_max, "
                "memory_request, memory_usage_max, network_bytes FROM resource_utilization "
                "WHERE period_start >= ? AND period_start < ? ORDER BY resource_id, period_start",
                {ToTime(util_end - 14 * kDay), ToTime(util_end)}));
  std::map<std::string, std::map<int64_t, cost::DailyUtilization>> util_days;
  std::map<std::string, cost::ContainerUsage> containers;
  for (const auto& row : util_rows.rows) {
    const std::string id = row.GetString(size_t{0});
    const int64_t t = ToUnix(row.GetTime(size_t{1}));
    auto& d = util_days[id][FloorDay(t)];
    d.day = FloorDay(t);
    d.cpu_request = std::max(d.cpu_request, row.GetDouble(size_t{2}));
    d.cpu_p95 = std::max(d.cpu_p95, row.GetDouble(size_t{3}));
    d.network_bytes += row.GetDouble(size_t{7});
    auto& c = containers[id];
    c.id = id;
    c.cpu_request = row.GetDouble(size_t{2});
    c.memory_request = row.GetDouble(size_t{5});
    if (!row.IsNull(size_t{3})) c.cpu.push_back({t, row.GetDouble(size_t{3})});
    if (!row.IsNull(size_t{6})) c.memory.push_back({t, row.GetDouble(size_t{6})});
  }
  std::map<std::string, std::vector<cost::DailyUtilization>> util;
  for (auto& [id, days] : util_days)
    for (auto& [day, d] : days) util[id].push_back(d);
  std::vector<cost::ResourceSummary> summaries;
  for (auto& [id, s] : resources) summaries.push_back(s);
  cost::IdleOptions idle_options;
  idle_options.min_days = options_.idle_min_days;
  for (const auto& f : cost::FindIdle(summaries, util, window_start, as_of, idle_options)) {
    NewRec r;
    r.type = "idle_resource";
    r.resource_id = f.resource_id;
    r.resource_type = f.resource_type.empty() ? f.service : f.resource_type;
    r.provider = f.provider;
    r.title = "Idle: " + (f.service.empty() ? f.resource_type : f.service) + " " + f.resource_id;
    r.description = f.reason == "low_utilization"
                        ? "Utilization stayed under the idle threshold; remove or stop it."
                        : "Billed for provisioned hours with no metered use; delete it if unused.";
    r.current = f.monthly_cost;
    r.projected = 0;
    r.saving = f.monthly_cost;
    r.confidence = f.confidence;
    r.risk = f.reason == "low_utilization" ? "low" : "medium";
    r.details = {{"reason", f.reason},
                 {"evidence", f.evidence},
                 {"service", f.service},
                 {"region", f.region}};
    recs.push_back(r);
  }
  // Commitment: the hourly on-demand compute profile over the window (missing hours are 0).
  DAI_ASSIGN_OR_RETURN(auto hourly_rows,
                       db_.Query("SELECT hour, SUM(on_demand_compute) FROM cost_hourly WHERE "
                                 "hour >= ? AND hour < ? GROUP BY hour",
                                 {ToTime(window_start), ToTime(as_of)}));
  if (!hourly_rows.rows.empty()) {
    std::map<int64_t, double> by_hour;
    for (const auto& row : hourly_rows.rows)
      by_hour[ToUnix(row.GetTime(size_t{0}))] += row.GetDouble(size_t{1});
    const int64_t first = by_hour.begin()->first;
    const int64_t last = by_hour.rbegin()->first;
    std::vector<double> profile;
    for (int64_t h = first; h <= last; h += cost::kHour) {
      auto it = by_hour.find(h);
      profile.push_back(it == by_hour.end() ? 0.0 : it->second);
    }
    const auto c = cost::SizeCommitment(profile, discount);
    if (c.monthly_saving > 0.005) {
      NewRec r;
      r.type = "savings_plan";
      r.title = "Commit " + Json(std::round(c.hourly_commitment * 1000) / 1000).dump() + " " +
                currency + "/hour of compute savings plan";
      r.description =
          "Sized on " + std::to_string(c.hours) +
          " hours of on-demand compute spend: the level that maximises net saving at a " +
          Json(std::round(discount * 100)).dump() + "% discount.";
      r.current = c.on_demand_monthly;
      r.projected = c.monthly_cost_with;
      r.saving = c.monthly_saving;
      r.confidence = std::min(1.0, c.hours / 720.0);
      r.risk = c.utilization >= 0.95 ? "low" : c.utilization >= 0.8 ? "medium" : "high";
      r.details = {
          {"hourlyCommitment", c.hourly_commitment},
          {"coveredOnDemandPerHour", c.covered_on_demand},
          {"coverage", c.coverage},
          {"utilization", c.utilization},
          {"hours", c.hours},
          {"discount", discount},
          {"evidence", "on-demand compute profile of " + std::to_string(c.hours) + " hours"}};
      recs.push_back(r);
    }
  }
  // Rightsizing from utilization.
  std::vector<cost::ContainerUsage> usage;
  for (auto& [id, c] : containers)
    if (c.cpu_request > 0 || c.memory_request > 0) usage.push_back(c);
  cost::RightsizingOptions rs;
  rs.cpu_price_per_core_hour = options_.prices.vcpu_hour;
  rs.memory_price_per_gib_hour = options_.prices.gib_hour;
  for (const auto& rr : cost::RecommendRightsizing(usage, rs, util_end)) {
    if (rr.monthly_saving <= 0) continue;
    NewRec r;
    r.type = "rightsizing";
    r.resource_id = rr.id;
    r.resource_type = "container";
    r.title = "Right-size " + rr.id;
    r.description = "Requests from the usage distribution (p90 + 15% margin, VPA's method).";
    r.current = rr.current_monthly;
    r.projected = rr.projected_monthly;
    r.saving = rr.monthly_saving;
    r.confidence = std::min(1.0, rr.samples / 168.0);
    r.risk = rr.risk;
    r.details = {{"cpuRequest", rr.cpu_request},
                 {"cpuTarget", rr.cpu_target},
                 {"cpuUpper", rr.cpu_upper},
                 {"cpuPeak", rr.cpu_peak},
                 {"memoryRequest", rr.memory_request},
                 {"memoryTarget", rr.memory_target},
                 {"memoryUpper", rr.memory_upper},
                 {"memoryPeak", rr.memory_peak},
                 {"evidence", rr.evidence}};
    recs.push_back(r);
  }
  // Spot suitability from the cluster's workloads (when a cluster is configured). A cluster
  // that cannot be read does not stop the other recommendations: the answer says why.
  Json spot = nullptr;
  bool keep_spot = false;  // the cluster could not be read: keep the open spot recommendations
  if (options_.read_cluster) {
    Json spot_input = Json::object();
    if (input.contains("spotProvider")) spot_input["provider"] = input["spotProvider"];
    if (input.contains("spotDiscount")) spot_input["spotDiscount"] = input["spotDiscount"];
    auto run = RunSpotAssessment(spot_input);
    if (!run.ok()) {
      if (run.status().code() == StatusCode::kInvalidArgument) return run.status();
      spot = {{"assessed", 0}, {"suitable", 0}, {"error", run.status().message()}};
      keep_spot = true;
    } else {
      int suitable = 0;
      for (const auto& a : run->workloads) {
        if (!a.suitable) continue;
        ++suitable;
        if (a.monthly_saving <= 0.005) continue;  // no cost known: nothing to recommend
        NewRec r;
        r.type = "spot_instance";
        r.resource_id = a.id;
        r.resource_type = a.kind;
        r.provider = run->provider.name;
        r.title = "Run " + a.id + " on spot capacity";
        r.description = "Stateless, replicated and tolerant of interruption: schedule it on the " +
                        run->provider.name + " spot node pool (nodeSelector and tolerations).";
        r.current = a.monthly_cost;
        r.projected = a.monthly_cost - a.monthly_saving;
        r.saving = a.monthly_saving;
        // Measured cost: as sure as the criteria; requests priced by the sheet: less so.
        r.confidence = a.cost_source == "utilization" ? 0.9 : 0.6;
        r.risk = a.risk;
        Json criteria = Json::array();
        for (const auto& c : a.criteria)
          criteria.push_back({{"name", c.name}, {"met", c.met}, {"detail", c.detail}});
        r.details = {{"evidence", a.evidence},
                     {"criteria", criteria},
                     {"kind", a.kind},
                     {"namespace", a.namespace_},
                     {"name", a.name},
                     {"replicas", a.replicas},
                     {"costSource", a.cost_source},
                     {"discount", run->provider.discount},
                     {"discountSource", run->provider.source},
                     {"noticeSeconds", run->provider.notice_seconds},
                     {"patch", a.patch},
                     {"patchYaml", a.patch_yaml}};
        recs.push_back(r);
      }
      spot = {{"assessed", run->workloads.size()}, {"suitable", suitable}};
      if (!run->errors.empty()) spot["error"] = run->errors.front();
    }
  }
  const TimePoint now = clock_.Now();
  int inserted = 0;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    inserted = 0;
    // Open recommendations are recomputed, except one with a proposal waiting for a person's
    // decision: it keeps its id (the proposal names it) until decided.
    DAI_ASSIGN_OR_RETURN(
        auto open, conn.Query(std::string("SELECT id, details FROM cost_recommendations WHERE "
                                          "status = 'open' AND recommendation_type IN "
                                          "('idle_resource', 'savings_plan', 'rightsizing'") +
                              (keep_spot ? ")" : ", 'spot_instance')")));
    for (const auto& row : open.rows) {
      auto d = ParseJson(row.GetString(size_t{1}));
      const bool pending = d.ok() && d->is_object() && d->contains("proposal") &&
                           (*d)["proposal"].is_object() &&
                           (*d)["proposal"].value("status", std::string()) == "pending";
      if (pending) continue;
      DAI_RETURN_IF_ERROR(
          conn.Query("DELETE FROM cost_recommendations WHERE id = ?", {row.GetInt(size_t{0})})
              .status());
    }
    for (const auto& r : recs) {
      // A recommendation a person applied or dismissed is not raised again for the same
      // resource; one kept for its pending proposal is not raised twice.
      DAI_ASSIGN_OR_RETURN(
          auto done, conn.Query("SELECT id FROM cost_recommendations WHERE recommendation_type = ? "
                                "AND resource_id = ? AND status IN ('applied', 'dismissed', "
                                "'open')",
                                {r.type, r.resource_id}));
      if (!done.rows.empty()) continue;
      DAI_RETURN_IF_ERROR(conn.Query("INSERT INTO cost_recommendations (recommendation_type, "
                                     "resource_id, resource_type, provider, "
                                     "title, description, current_cost, projected_cost, "
                                     "estimated_savings, currency, confidence, "
                                     "risk_level, details, created_at, updated_at) VALUES (?, ?, "
                                     "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                     {r.type, r.resource_id, r.resource_type, r.provider, r.title,
                                      r.description, r.current, r.projected, r.saving, currency,
                                      r.confidence, r.risk, DumpJson(r.details), now, now})
                              .status());
      ++inserted;
    }
    return Status::Ok();
  }));
  Json out = {{"created", inserted}, {"asOf", DayString(as_of)}};
  if (!spot.is_null()) out["spot"] = spot;
  return out;
}

namespace {

Json RecommendationJson(const store::Row& row) {
  auto details = ParseJson(row.GetString("details"));
  const auto applied = row.GetOptTime("applied_at");
  return {
      {"id", row.GetInt("id")},
      {"type", row.GetString("recommendation_type")},
      {"resourceId", row.GetString("resource_id")},
      {"resourceType", row.GetString("resource_type")},
      {"provider", row.GetString("provider")},
      {"title", row.GetString("title")},
      {"description", row.GetString("description")},
      {"currentCost", row.GetDouble("current_cost")},
      {"projectedCost", row.GetDouble("projected_cost")},
      {"monthlySavings", row.GetDouble("estimated_savings")},
      {"currency", row.GetString("currency")},
      {"confidence", row.IsNull("confidence") ? Json(nullptr) : Json(row.GetDouble("confidence"))},
      {"risk", row.GetString("risk_level")},
      {"status", row.GetString("status")},
      {"details", details.ok() ? *details : Json::object()},
      {"appliedAt", applied ? Json(FormatIso8601(*applied)) : Json(nullptr)},
      {"createdAt", FormatIso8601(row.GetTime("created_at"))}};
}

constexpr const char* kRecColumns =
    "id, recommendation_type, resource_id, resource_type, provider, title, description, "
    "current_cost, "
    "projected_cost, estimated_savings, currency, confidence, risk_level, status, details, "
    "applied_at, created_at";

}  // namespace

Result<Json> CostService::GetRecommendations(const Json& input) {
  const int64_t limit = input.value("limit", int64_t{50});
  const int64_t offset = input.value("offset", int64_t{0});
  std::string where = " WHERE 1 = 1";
  Params params;
  if (input.contains("status")) {
    where += " AND status = ?";
    params.emplace_back(input["status"].get<std::string>());
  }
  if (input.contains("type")) {
    where += " AND recommendation_type = ?";
    params.emplace_back(input["type"].get<std::string>());
  }
  DAI_ASSIGN_OR_RETURN(auto count,
                       db_.Query("SELECT COUNT(*), COALESCE(SUM(estimated_savings), 0) FROM "
                                 "cost_recommendations" +
                                     where,
                                 params));
  Params page = params;
  page.emplace_back(limit);
  page.emplace_back(offset);
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kRecColumns + " FROM cost_recommendations" +
                               where + " ORDER BY estimated_savings DESC, id LIMIT ? OFFSET ?",
                           page));
  Json items = Json::array();
  for (const auto& row : rows.rows) {
    Json item = RecommendationJson(row);
    item["realizedSavings"] = nullptr;
    const auto applied = row.GetOptTime("applied_at");
    if (applied && item["status"] == "applied") {
      DAI_ASSIGN_OR_RETURN(item["realizedSavings"],
                           RealizedSavings(row.GetString("resource_id"), *applied));
    }
    items.push_back(std::move(item));
  }
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(size_t{0})},
              {"totalMonthlySavings", count.rows.at(0).GetDouble(size_t{1})}};
}

Result<Json> CostService::ApplyRecommendation(const Json& input, const Identity& who) {
  const int64_t id = input.at("id").get<int64_t>();
  const bool dry_run = input.value("dryRun", false);
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kRecColumns +
                                                " FROM cost_recommendations WHERE id = ?",
                                            {id}));
  if (rows.rows.empty())
    return Status::NotFound("recommendation " + std::to_string(id) + " does not exist");
  Json rec = RecommendationJson(rows.rows[0]);
  if (rec["status"] != "open" && !dry_run)
    return Status::FailedPrecondition("recommendation " + std::to_string(id) + " is " +
                                      rec["status"].get<std::string>());
  // The change a person would make. Values are data: shell-quoted where they appear in a
  // command, and nothing here is executed.
  const std::string type = rec["type"];
  const std::string resource = rec["resourceId"];
  const Json& d = rec["details"];
  Json change;
  if (type == "rightsizing") {
    // namespace/workload/container → a strategic-merge patch for the workload's container.
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      const size_t slash = resource.find('/', start);
      parts.push_back(resource.substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    const std::string ns = parts.size() >= 3 ? parts[0] : "default";
    const std::string workload = parts.size() >= 2 ? parts[parts.size() - 2] : resource;
    const std::string container = parts.back();
    const int64_t cpu_m = static_cast<int64_t>(std::ceil(d.value("cpuTarget", 0.0) * 1000));
    const int64_t mem_mi =
        static_cast<int64_t>(std::ceil(d.value("memoryTarget", 0.0) / 1048576.0));
    const int64_t mem_limit_mi =
        static_cast<int64_t>(std::ceil(d.value("memoryUpper", 0.0) / 1048576.0));
    Json patch = {
        {"spec",
         {{"template",
           {{"spec",
             {{"containers",
               Json::array(
                   {{{"name", container},
                     {"resources",
                      {{"requests",
                        {{"cpu", std::to_string(cpu_m) + "m"},
                         {"memory", std::to_string(mem_mi) + "Mi"}}},
                       {"limits", {{"memory", std::to_string(mem_limit_mi) + "Mi"}}}}}}})}}}}}}}};
    change = {
        {"format", "kubernetes-strategic-merge-patch"},
        {"target", {{"kind", "Deployment"}, {"namespace", ns}, {"name", workload}}},
        {"patch", patch},
        {"yaml", cost::ToYaml(patch)},
        {"command", "kubectl patch deployment " + ShellQuote(workload) + " -n " + ShellQuote(ns) +
                        " --type strategic --patch " + ShellQuote(DumpJson(patch))}};
  } else if (type == "spot_instance") {
    // The patch moving the workload to the spot node pool, as YAML for a file and a command
    // that applies that file. Nothing is run here.
    const std::string kind = d.value("kind", std::string("Deployment"));
    const std::string ns = d.value("namespace", std::string("default"));
    const std::string name = d.value("name", resource);
    std::string lower;
    for (char c : kind) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    change = {
        {"format", "kubernetes-strategic-merge-patch"},
        {"target", {{"kind", kind}, {"namespace", ns}, {"name", name}}},
        {"patch", d.value("patch", Json(nullptr))},
        {"yaml", d.value("patchYaml", std::string())},
        {"command", "kubectl patch " + lower + " " + ShellQuote(name) + " -n " + ShellQuote(ns) +
                        " --type strategic --patch-file spot-patch.yaml"},
        {"note",
         "Save the YAML as spot-patch.yaml. Pods restart onto spot nodes; the "
         "spot pool must exist (" +
             std::to_string(d.value("noticeSeconds", int64_t{30})) + " s interruption notice)." +
             (kind == "Job" ? " A Job's pod template cannot be changed: apply "
                              "it to the Job's manifest for its next run."
                            : "")}};
  } else if (type == "idle_resource") {
    std::string command;
    if (resource.rfind("arn:", 0) == 0 && resource.find("loadbalancer") != std::string::npos) {
      command = "aws elbv2 delete-load-balancer --load-balancer-arn " + ShellQuote(resource);
    } else if (resource.rfind("i-", 0) == 0) {
      command = "aws ec2 stop-instances --instance-ids " + ShellQuote(resource);
    } else if (resource.rfind("/subscriptions/", 0) == 0) {
      command = "az resource delete --ids " + ShellQuote(resource);
    } else {
      command = "# remove " + ShellQuote(resource) + " with its provider's console or Terraform";
    }
    change = {
        {"format", "cli"},
        {"command", command},
        {"note", "Review first: the resource had no metered use or utilization in the window."}};
  } else if (type == "savings_plan") {
    change = {
        {"format", "cli"},
        {"command",
         "aws savingsplans create-savings-plan --savings-plan-offering-id <offering-id> "
         "--commitment " +
             ShellQuote(Json(std::round(d.value("hourlyCommitment", 0.0) * 1000) / 1000).dump())},
        {"note",
         "Choose the offering (term, payment option) whose discount matches the assumed one."}};
  } else {
    change = {{"format", "text"}, {"command", rec["description"]}};
  }
  if (!dry_run) {
    DAI_RETURN_IF_ERROR(
        db_.Query(
               "UPDATE cost_recommendations SET status = 'applied', applied_at = ?, applied_by = "
               "?, "
               "updated_at = ? WHERE id = ? AND status = 'open'",
               {clock_.Now(), who.user_id > 0 ? store::Param(who.user_id) : store::Param(nullptr),
                clock_.Now(), id})
            .status());
    DAI_ASSIGN_OR_RETURN(auto again, db_.Query(std::string("SELECT ") + kRecColumns +
                                                   " FROM cost_recommendations WHERE id = ?",
                                               {id}));
    rec = RecommendationJson(again.rows.at(0));
  }
  return Json{{"recommendation", rec}, {"change", change}, {"dryRun", dry_run}};
}

Result<Json> CostService::ProposeRecommendation(int64_t id, const std::string& by,
                                                const std::string& reason) {
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT status, details FROM cost_recommendations WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("recommendation " + std::to_string(id) + " does not exist");
  const std::string status = rows.rows[0].GetString(size_t{0});
  if (status != "open")
    return Status::FailedPrecondition("recommendation " + std::to_string(id) + " is " + status);
  auto details = ParseJson(rows.rows[0].GetString(size_t{1}));
  Json d = details.ok() && details->is_object() ? *details : Json::object();
  if (d.contains("proposal") && d["proposal"].is_object() &&
      d["proposal"].value("status", std::string()) == "pending")
    return Status::Conflict("recommendation " + std::to_string(id) +
                            " already has a proposal waiting for a person");
  d["proposal"] = {{"by", by.substr(0, 200)},
                   {"reason", reason.substr(0, 1000)},
                   {"at", FormatIso8601(clock_.Now())},
                   {"status", "pending"}};
  DAI_RETURN_IF_ERROR(db_.Query("UPDATE cost_recommendations SET details = ?, updated_at = ? "
                                "WHERE id = ? AND status = 'open'",
                                {DumpJson(d), clock_.Now(), id})
                          .status());
  return Json{{"recommendationId", id}, {"proposal", d["proposal"]}};
}

Result<Json> CostService::DecideProposal(const Json& input, const Identity& who) {
  const int64_t id = input.at("id").get<int64_t>();
  const std::string decision = input.at("decision").get<std::string>();
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT status, details FROM cost_recommendations WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("recommendation " + std::to_string(id) + " does not exist");
  auto details = ParseJson(rows.rows[0].GetString(size_t{1}));
  Json d = details.ok() && details->is_object() ? *details : Json::object();
  if (!d.contains("proposal") || !d["proposal"].is_object() ||
      d["proposal"].value("status", std::string()) != "pending")
    return Status::FailedPrecondition("recommendation " + std::to_string(id) +
                                      " has no proposal waiting for a decision");
  Json applied = nullptr;
  if (decision == "approve") {
    DAI_ASSIGN_OR_RETURN(applied, ApplyRecommendation(Json{{"id", id}}, who));
    // ApplyRecommendation rewrote the row: decide on its current details.
    DAI_ASSIGN_OR_RETURN(rows, db_.Query("SELECT status, details FROM cost_recommendations WHERE "
                                         "id = ?",
                                         {id}));
    auto again = ParseJson(rows.rows.at(0).GetString(size_t{1}));
    if (again.ok() && again->is_object()) d = *again;
  }
  d["proposal"]["status"] = decision == "approve" ? "approved" : "rejected";
  d["proposal"]["decidedBy"] = who.username;
  d["proposal"]["decidedAt"] = FormatIso8601(clock_.Now());
  if (input.contains("note")) d["proposal"]["note"] = input["note"];
  DAI_RETURN_IF_ERROR(db_.Query("UPDATE cost_recommendations SET details = ?, updated_at = ? "
                                "WHERE id = ?",
                                {DumpJson(d), clock_.Now(), id})
                          .status());
  DAI_ASSIGN_OR_RETURN(auto out, db_.Query(std::string("SELECT ") + kRecColumns +
                                               " FROM cost_recommendations WHERE id = ?",
                                           {id}));
  return Json{{"recommendation", RecommendationJson(out.rows.at(0))},
              {"change", applied.is_object() ? applied["change"] : Json(nullptr)}};
}

}  // namespace dai::costopt
