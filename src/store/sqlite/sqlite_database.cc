#include "store/sqlite/sqlite_database.h"

#include <sqlite3.h>
#include <algorithm>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "store/connection_pool.h"

namespace dai::store {
namespace {

constexpr int kMaxTransactionAttempts = 5;
constexpr size_t kMaxCachedStatements = 256;

bool IsBusy(int code) {
  const int primary = code & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// Maps a SQLite result code to a Status. SQLite's messages name the constraint and columns
// ("UNIQUE constraint failed: users.username") but never the values.
Status MapError(int code, const char* message) {
  std::string msg = std::string("sqlite: ") + (message != nullptr ? message : sqlite3_errstr(code));
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Status::Conflict(std::move(msg));
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_TRIGGER:
      return Status::InvalidArgument(std::move(msg));
    default:
      break;
  }
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return Status::InvalidArgument(std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return Status::Unavailable(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

struct CachedStatement {
  sqlite3_stmt* stmt = nullptr;
  std::shared_ptr<const std::vector<std::string>> columns;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    ClearCache();
    sqlite3_close_v2(db_);
  }

  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path,
                                                        int busy_timeout_ms, int cache_kib) {
    // Before SQLite's first use in the process: no global memory statistics, whose mutex every
    // SQLite allocation takes (threads reading through different connections contended on it).
    // Statement journals (the pages a statement changed, kept so that a failing statement in
    // a longer transaction can be undone) stay in memory up to 4 MiB each instead of 64 KiB:
    // a multi-row upsert of 64 alerts changes pages in random-key indexes, and each spilled
    // journal was a temporary file written and deleted (strace on ingest_bench: about as many
    // bytes per alert as the WAL itself). Bounded: beyond 4 MiB a journal spills as before.
    static const bool configured = [] {
      (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // SQLITE_MISUSE if already initialised
      (void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 4 << 20);
      return true;
    }();
    (void)configured;
    sqlite3* raw = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    auto conn = std::make_unique<SqliteConnection>(raw);
    if (rc != SQLITE_OK) {
      return Status::Unavailable("sqlite: cannot open database '" + path + "': " +
                                 (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, busy_timeout_ms);
    const std::string cache = "PRAGMA cache_size=-" + std::to_string(cache_kib);
    // wal_autocheckpoint: a checkpoint every 8,000 WAL pages (32 MiB with 4 KiB pages) instead
    // of 1,000: a page changed by many transactions in between (index leaves under a flood of
    // alerts) is written to the database file and synced once per checkpoint, not once each.
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL",
          "PRAGMA wal_autocheckpoint=8000", cache.c_str()}) {
      // journal_mode can itself meet a busy database while another process creates it.
      Status st;
      for (int attempt = 0; attempt < 50; ++attempt) {
        st = conn->ExecScript(pragma);
        if (st.ok() || !IsBusy(conn->last_error_)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!st.ok()) return st.WithContext("configuring '" + path + "'");
    }
    return conn;
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  int last_error() const { return last_error_; }

  Result<QueryResult> Query(std::string_view sql, const Params& params) override {
    last_error_ = SQLITE_OK;
    auto prepared = Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    CachedStatement* cached = *prepared;
    sqlite3_stmt* stmt = cached->stmt;
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
      return Status::Internal("sqlite: statement expects " + std::to_string(expected) +
                              " parameters, got " + std::to_string(params.size()));
    }
    for (size_t param_idx = 0; param_idx < params.size(); ++param_idx) {
      int rc = Bind(stmt, static_cast<int>(param_idx) + 1, params[param_idx]);
      if (rc != SQLITE_OK) {
        Reset(stmt);
        return Fail(rc);
      }
    }
    QueryResult result;
    result.columns = *cached->columns;
    const int ncols = sqlite3_column_count(stmt);
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) {
        std::vector<std::optional<std::string>> cells;
        cells.reserve(ncols);
        for (int col_idx = 0; col_idx < ncols; ++col_idx) {
          if (sqlite3_column_type(stmt, col_idx) == SQLITE_NULL) {
            cells.emplace_back(std::nullopt);
          } else {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col_idx));
            const int len = sqlite3_column_bytes(stmt, col_idx);
            cells.emplace_back(std::string(text != nullptr ? text : "", len));
          }
        }
        result.rows.emplace_back(cached->columns, std::move(cells));
        continue;
      }
      if (rc == SQLITE_DONE) break;
      Status st = Fail(sqlite3_extended_errcode(db_));
      Reset(stmt);
      return st;
    }
    if (!sqlite3_stmt_readonly(stmt)) result.affected_rows = sqlite3_changes64(db_);
    Reset(stmt);
    return result;
  }

  Status ExecScript(std::string_view sql) override {
    last_error_ = SQLITE_OK;
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return Status::Ok();
    last_error_ = sqlite3_extended_errcode(db_);
    Status st = MapError(last_error_, err);
    sqlite3_free(err);
    return st;
  }

  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

  //! Steps one prepared INSERT per row, binding text in place (SQLITE_STATIC: the views live
  //! until step returns).
  class Loader final : public BulkLoader {
   public:
    Loader(SqliteConnection& conn, sqlite3_stmt* stmt, size_t columns)
        : conn_(conn), stmt_(stmt), columns_(columns) {}
    ~Loader() override { sqlite3_finalize(stmt_); }
    Status Add(std::span<const BulkValue> row) override {
      if (row.size() != columns_)
        return Status::Internal("sqlite: bulk row has " + std::to_string(row.size()) +
                                " values for " + std::to_string(columns_) + " columns");
      for (size_t i = 0; i < row.size(); ++i) {
        const int pos = static_cast<int>(i) + 1;
        const int rc = std::visit(
            [&](const auto& v) -> int {
              using T = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<T, std::nullptr_t>) {
                return sqlite3_bind_null(stmt_, pos);
              } else if constexpr (std::is_same_v<T, int64_t>) {
                return sqlite3_bind_int64(stmt_, pos, v);
              } else if constexpr (std::is_same_v<T, double>) {
                return sqlite3_bind_double(stmt_, pos, v);
              } else {
                // A null data pointer would bind SQL NULL: an empty view binds ''.
                return sqlite3_bind_text64(stmt_, pos, v.data() != nullptr ? v.data() : "",
                                           v.size(), SQLITE_STATIC, SQLITE_UTF8);
              }
            },
            row[i]);
        if (rc != SQLITE_OK) {
          sqlite3_reset(stmt_);
          return conn_.Fail(rc);
        }
      }
      const int rc = sqlite3_step(stmt_);
      sqlite3_reset(stmt_);
      if (rc != SQLITE_DONE) return conn_.Fail(sqlite3_extended_errcode(conn_.db_));
      return Status::Ok();
    }
    Status Finish() override {
      sqlite3_clear_bindings(stmt_);
      return Status::Ok();
    }

   private:
    SqliteConnection& conn_;
    sqlite3_stmt* stmt_;
    size_t columns_;
  };

  Result<std::unique_ptr<BulkLoader>> BulkLoad(std::string_view table,
                                               const std::vector<std::string>& columns) override {
    last_error_ = SQLITE_OK;
    std::string sql = "INSERT INTO " + std::string(table) + " (";
    for (size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + columns[i];
    sql += ") VALUES (";
    for (size_t i = 0; i < columns.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return Fail(sqlite3_extended_errcode(db_));
    return std::unique_ptr<BulkLoader>(std::make_unique<Loader>(*this, stmt, columns.size()));
  }

 private:
  Status Fail(int rc) {
    last_error_ = rc;
    return MapError(rc, sqlite3_errmsg(db_));
  }

  static void Reset(sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }

  static int Bind(sqlite3_stmt* stmt, int pos, const Param& param) {
    return std::visit(
        [&](const auto& v) -> int {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            return sqlite3_bind_null(stmt, pos);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            return sqlite3_bind_int64(stmt, pos, v);
          } else if constexpr (std::is_same_v<T, double>) {
            return sqlite3_bind_double(stmt, pos, v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            return sqlite3_bind_text64(stmt, pos, v.data(), v.size(), SQLITE_TRANSIENT,
                                       SQLITE_UTF8);
          } else if constexpr (std::is_same_v<T, bool>) {
            return sqlite3_bind_int(stmt, pos, v ? 1 : 0);
          } else {
            std::string text = FormatIso8601(v);
            return sqlite3_bind_text(stmt, pos, text.data(), static_cast<int>(text.size()),
                                     SQLITE_TRANSIENT);
          }
        },
        param);
  }

  Result<CachedStatement*> Prepare(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) return &it->second;
    if (cache_.size() >= kMaxCachedStatements) ClearCache();
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return Fail(sqlite3_extended_errcode(db_));
    if (stmt == nullptr) return Status::Internal("sqlite: empty statement");
    for (const char* p = tail; p != nullptr && *p != '\0'; ++p) {
      if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
        sqlite3_finalize(stmt);
        return Status::Internal("sqlite: Query takes one statement; use ExecScript for several");
      }
    }
    auto columns = std::make_shared<std::vector<std::string>>();
    const int ncols = sqlite3_column_count(stmt);
    for (int col_idx = 0; col_idx < ncols; ++col_idx) {
      columns->emplace_back(sqlite3_column_name(stmt, col_idx));
    }
    auto [pos, inserted] =
        cache_.emplace(std::move(key), CachedStatement{stmt, std::move(columns)});
    return &pos->second;
  }

  void ClearCache() {
    for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
    cache_.clear();
  }

  sqlite3* db_;
  std::unordered_map<std::string, CachedStatement> cache_;
  int last_error_ = SQLITE_OK;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, int pool_size, int busy_timeout_ms, int cache_kib)
      : path_(std::move(path)),
        busy_timeout_ms_(busy_timeout_ms),
        cache_kib_(cache_kib),
        pool_(pool_size, [this]() -> Result<std::unique_ptr<SqliteConnection>> {
          return SqliteConnection::Open(path_, busy_timeout_ms_, cache_kib_);
        }) {}

  Status Init() {
    auto first = SqliteConnection::Open(path_, busy_timeout_ms_, cache_kib_);
    if (!first.ok()) return first.status();
    pool_.Add(std::move(first).value());
    return Status::Ok();
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  Result<QueryResult> Query(std::string_view sql, const Params& params) override {
    auto lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    // The busy timeout already waited; a few more tries cover WAL recovery and checkpoints.
    for (int attempt = 1;; ++attempt) {
      auto result = (*lease)->Query(sql, params);
      if (result.ok() || !IsBusy((*lease)->last_error()) || attempt >= kMaxTransactionAttempts) {
        return result;
      }
      Backoff(attempt);
    }
  }

  Status Transaction(const std::function<Status(Connection&)>& fn) override {
    // One writer at a time in this process: SQLite allows one anyway, and waiting on a mutex
    // wakes the next writer as soon as the previous commits, where SQLite's busy handler sleeps
    // in growing steps (with many HTTP threads writing, those sleeps, not the work, set the
    // pace). Bounded by the busy timeout like SQLite's own wait; other processes still meet
    // the file lock and its busy handler.
    std::unique_lock<std::timed_mutex> writer(write_mu_, std::defer_lock);
    if (!writer.try_lock_for(std::chrono::milliseconds(busy_timeout_ms_))) {
      return Status::Unavailable("the SQLite store is busy: no write slot within " +
                                 std::to_string(busy_timeout_ms_) + " ms");
    }
    auto lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    SqliteConnection& conn = **lease;
    Status last;
    for (int attempt = 1; attempt <= kMaxTransactionAttempts; ++attempt) {
      if (attempt > 1) Backoff(attempt - 1);
      last = conn.ExecScript("BEGIN IMMEDIATE");
      if (!last.ok()) {
        if (IsBusy(conn.last_error())) continue;
        return last;
      }
      Status st;
      try {
        st = fn(conn);
      } catch (...) {
        RollbackQuietly(conn);
        throw;
      }
      const bool busy = IsBusy(conn.last_error());
      if (!st.ok()) {
        RollbackQuietly(conn);
        if (busy) {
          last = st;
          continue;
        }
        return st;
      }
      Status commit = conn.ExecScript("COMMIT");
      if (commit.ok()) return Status::Ok();
      const bool commit_busy = IsBusy(conn.last_error());
      RollbackQuietly(conn);
      if (!commit_busy) return commit;
      last = commit;
    }
    return last;
  }

  Status Ping() override {
    auto result = Query("SELECT 1", {});
    return result.ok() ? Status::Ok() : result.status();
  }

  std::string Describe() const override { return "sqlite:" + path_; }

 private:
  static void RollbackQuietly(SqliteConnection& conn) {
    if (conn.InTransaction()) (void)conn.ExecScript("ROLLBACK");
  }
  static void Backoff(int attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5 << std::min(attempt, 6)));
  }

  std::string path_;
  int busy_timeout_ms_;
  int cache_kib_;  // each pooled connection's page cache (PRAGMA cache_size)
  std::timed_mutex write_mu_;
  ConnectionPool<SqliteConnection> pool_;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqliteDatabase(const DatabaseOptions& options) {
  std::string path = options.url;
  if (path.starts_with("sqlite://")) path = path.substr(9);
  if (path.empty()) return Status::InvalidArgument("sqlite: empty database path");
  const bool memory = path == ":memory:";
  if (options.sqlite_memory_mb < 0)
    return Status::InvalidArgument("sqlite: memory limit must be >= 0 MiB");
  const int pool_size = memory ? 1 : options.pool_size;
  // The page caches together stay within sqlite_memory_mb: each pooled connection gets its
  // share (at least 1 MiB). 0: 32 MiB each.
  const int cache_kib = options.sqlite_memory_mb > 0
                            ? std::max(1024, options.sqlite_memory_mb * 1024 / pool_size)
                            : 32 * 1024;
  auto db = std::make_unique<SqliteDatabase>(path, pool_size, options.busy_timeout_ms, cache_kib);
  DAI_RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace dai::store
