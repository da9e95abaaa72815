#include "store/database.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"

namespace dai::store {

size_t Row::Index(std::string_view name) const {
  if (columns_ != nullptr) {
    for (size_t col_idx = 0; col_idx < columns_->size(); ++col_idx) {
      if ((*columns_)[col_idx] == name) return col_idx;
    }
  }
  std::fprintf(stderr, "store: column '%.*s' is not in the result\n", static_cast<int>(name.size()),
               name.data());
  std::abort();
}

int64_t Row::GetInt(size_t idx) const {
  const auto& cell = cells_.at(idx);
  if (!cell) return 0;
  int64_t value = 0;
  const char* begin = cell->data();
  const char* end = begin + cell->size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec == std::errc() && ptr == end) return value;
  // "3.0" from a REAL column, or t/f from a boolean.
  if (*cell == "t" || *cell == "true") return 1;
  if (*cell == "f" || *cell == "false") return 0;
  return static_cast<int64_t>(std::strtod(cell->c_str(), nullptr));
}

std::optional<int64_t> Row::GetOptInt(size_t idx) const {
  if (IsNull(idx)) return std::nullopt;
  return GetInt(idx);
}

double Row::GetDouble(size_t idx) const {
  const auto& cell = cells_.at(idx);
  if (!cell) return 0.0;
  return std::strtod(cell->c_str(), nullptr);
}

bool Row::GetBool(size_t idx) const {
  const auto& cell = cells_.at(idx);
  if (!cell) return false;
  const std::string& v = *cell;
  return v == "1" || v == "t" || v == "true" || v == "TRUE" || v == "True";
}

TimePoint Row::GetTime(size_t idx) const { return GetOptTime(idx).value_or(TimePoint{}); }

std::optional<TimePoint> Row::GetOptTime(size_t idx) const {
  const auto& cell = cells_.at(idx);
  if (!cell) return std::nullopt;
  auto parsed = ParseIso8601(*cell);
  if (!parsed.ok()) return TimePoint{};
  return *parsed;
}

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

Result<std::unique_ptr<Database>> OpenDatabase(const DatabaseOptions& options) {
  if (options.url.empty()) return Status::InvalidArgument("database url is empty");
  if (options.pool_size < 1) return Status::InvalidArgument("database pool_size must be >= 1");
  if (IsPostgresUrl(options.url)) return OpenPostgresDatabase(options);
  return OpenSqliteDatabase(options);
}

}  // namespace dai::store
