// Database: the store's one SQL interface, with two backends (SQLite embedded, PostgreSQL
// for scale-out). Repositories are written once in portable SQL against it:
//  - placeholders are `?` (the PostgreSQL backend rewrites them to $1, $2 ... outside literals);
//  - `RETURNING`, `ON CONFLICT ... DO UPDATE` and CTEs work on both;
//  - where the dialects differ (FOR UPDATE SKIP LOCKED, JSON operators) branch on dialect().
// Timestamps are bound as TimePoint and stored as UTC (TEXT RFC 3339 on SQLite, timestamptz
// on PostgreSQL with the session time zone set to UTC); Row::GetTime reads both.
// Values are always bound as parameters, never spliced into SQL text.
// Thread-safety: Database is safe for concurrent use (it owns a connection pool); a
// Connection handed to a transaction callback belongs to that callback only. Inside a
// transaction callback use only that Connection, never the Database (the pool may have no
// other connection to give: SQLite ":memory:" has exactly one).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace dai::store {

enum class Dialect { kSqlite, kPostgres };

//! A bound parameter. std::nullptr_t binds SQL NULL.
using Param = std::variant<std::nullptr_t, int64_t, double, std::string, bool, TimePoint>;
using Params = std::vector<Param>;

//! One result row; cells are text as the backend returned them (NULL = nullopt). Typed getters
//! parse that text: a cell that does not parse (a programmer error: wrong column) reads as
//! 0 / false / the epoch. Copyable; shares its column names with its QueryResult.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> columns,
      std::vector<std::optional<std::string>> cells)
      : columns_(std::move(columns)), cells_(std::move(cells)) {}
  size_t size() const { return cells_.size(); }
  bool IsNull(size_t idx) const { return !cells_.at(idx).has_value(); }
  //! Column index by name; aborts on a name not in the result (programmer error).
  size_t Index(std::string_view name) const;
  std::string GetString(size_t idx) const { return cells_.at(idx).value_or(""); }
  std::optional<std::string> GetOptString(size_t idx) const { return cells_.at(idx); }
  int64_t GetInt(size_t idx) const;
  std::optional<int64_t> GetOptInt(size_t idx) const;
  double GetDouble(size_t idx) const;
  bool GetBool(size_t idx) const;  //!< accepts 1/0, t/f, true/false
  TimePoint GetTime(size_t idx) const;
  std::optional<TimePoint> GetOptTime(size_t idx) const;
  // By-name conveniences.
  std::string GetString(std::string_view n) const { return GetString(Index(n)); }
  std::optional<std::string> GetOptString(std::string_view n) const {
    return GetOptString(Index(n));
  }
  int64_t GetInt(std::string_view n) const { return GetInt(Index(n)); }
  std::optional<int64_t> GetOptInt(std::string_view n) const { return GetOptInt(Index(n)); }
  double GetDouble(std::string_view n) const { return GetDouble(Index(n)); }
  bool GetBool(std::string_view n) const { return GetBool(Index(n)); }
  TimePoint GetTime(std::string_view n) const { return GetTime(Index(n)); }
  std::optional<TimePoint> GetOptTime(std::string_view n) const { return GetOptTime(Index(n)); }
  bool IsNull(std::string_view n) const { return IsNull(Index(n)); }

 private:
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<std::optional<std::string>> cells_;
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  int64_t affected_rows = 0;  //!< for INSERT/UPDATE/DELETE (also with RETURNING)
};

//! A value of a bulk-loaded row (see Connection::BulkLoad). A text view needs to stay valid
//! only until BulkLoader::Add returns.
using BulkValue = std::variant<std::nullptr_t, int64_t, double, std::string_view>;

//! Appends rows to one table inside the transaction of the Connection that made it. Finish()
//! completes the load; a loader destroyed without it abandons the load, and the transaction
//! must then be rolled back (return the error from the transaction callback).
class BulkLoader {
 public:
  virtual ~BulkLoader() = default;
  //! One row: its values in the order of the columns given to BulkLoad.
  virtual Status Add(std::span<const BulkValue> row) = 0;
  virtual Status Finish() = 0;
};

//! One connection, used inside a transaction callback.
class Connection {
 public:
  virtual ~Connection() = default;
  //! Runs one statement. Constraint violations map to CONFLICT (unique) or INVALID_ARGUMENT
  //! (check/foreign key/not null), a lost connection to UNAVAILABLE, other errors to INTERNAL;
  //! the message names the constraint but never contains parameter values.
  virtual Result<QueryResult> Query(std::string_view sql, const Params& params = {}) = 0;
  //! Runs several statements with no parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
  virtual Dialect dialect() const = 0;
  //! Appends many rows to `table` (table and column names come from code, never from input):
  //! SQLite steps one prepared INSERT per row with the values bound in place, PostgreSQL
  //! streams COPY ... FROM STDIN. Use inside a transaction; run nothing else on this
  //! connection until the loader's Finish() has returned.
  virtual Result<std::unique_ptr<BulkLoader>> BulkLoad(std::string_view table,
                                                       const std::vector<std::string>& columns) = 0;
};

struct DatabaseOptions {
  //! "postgres://..." / "postgresql://..." for PostgreSQL; otherwise a SQLite file path
  //! (optionally prefixed "sqlite://"), or ":memory:".
  std::string url;
  int pool_size = 4;
  int busy_timeout_ms = 5000;
  //! SQLite only: the most memory the pooled connections' page caches may hold together, in
  //! MiB (each connection's PRAGMA cache_size is its share); 0: 32 MiB per connection. Without
  //! such a bound resident memory follows the database's size up to pool_size x 32 MiB.
  //! (SQLite's process-wide soft heap limit would need its memory statistics, which are off:
  //! their global mutex made concurrent readers contend.)
  int sqlite_memory_mb = 0;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;
  //! Runs one statement in autocommit mode on a pooled connection.
  virtual Result<QueryResult> Query(std::string_view sql, const Params& params = {}) = 0;
  //! Runs `fn` in a transaction: commits when it returns OK, rolls back otherwise. Retries the
  //! whole callback (up to 5 times) on SQLITE_BUSY or PostgreSQL serialization/deadlock errors,
  //! so `fn` must have no side effects outside the database. SQLite uses BEGIN IMMEDIATE.
  virtual Status Transaction(const std::function<Status(Connection&)>& fn) = 0;
  //! Cheap reachability check for /readyz.
  virtual Status Ping() = 0;
  //! A description safe to log (no password).
  virtual std::string Describe() const = 0;
};

//! True when `url` names PostgreSQL ("postgres://" or "postgresql://").
bool IsPostgresUrl(std::string_view url);

//! Opens the backend named by options.url. SQLite: WAL, foreign_keys=ON, busy timeout,
//! synchronous=NORMAL. PostgreSQL: TimeZone=UTC, application_name=devops-ai.
Result<std::unique_ptr<Database>> OpenDatabase(const DatabaseOptions& options);

}  // namespace dai::store
