#include "store/postgres/postgres_database.h"

#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>

#include "store/connection_pool.h"

namespace dai::store {
namespace {

constexpr int kMaxTransactionAttempts = 5;
// Type OIDs from pg_type.h (stable since PostgreSQL 7).
constexpr Oid kInt8Oid = 20;
constexpr Oid kBoolOid = 16;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kTimestamptzOid = 1184;

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

bool IsRetryableSqlState(const std::string& state) { return state == "40001" || state == "40P01"; }

bool IsStartsWithSelect(std::string_view sql) {
  size_t pos = 0;
  while (pos < sql.size() && std::isspace(static_cast<unsigned char>(sql[pos]))) ++pos;
  if (sql.size() - pos < 6) return false;
  for (size_t i = 0; i < 6; ++i) {
    if (std::toupper(static_cast<unsigned char>(sql[pos + i])) != "SELECT"[i]) return false;
  }
  return true;
}

class PgConnection final : public Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }

  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url) {
    PGconn* raw = PQconnectdb(url.c_str());
    auto conn = std::make_unique<PgConnection>(raw);
    if (raw == nullptr || PQstatus(raw) != CONNECTION_OK) {
      std::string msg = raw != nullptr ? PQerrorMessage(raw) : "out of memory";
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      return Status::Unavailable("postgres: cannot connect: " + msg);
    }
    // NOTICEs (e.g. "relation already exists, skipping") would go to stderr by default.
    PQsetNoticeProcessor(
        raw, [](void*, const char*) {}, nullptr);
    Status st = conn->ExecScript(
        "SET TIME ZONE 'UTC'; SET application_name = 'devops-ai'; "
        "SET client_min_messages = warning");
    if (!st.ok()) return st.WithContext("configuring connection");
    return conn;
  }

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  bool broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }

  Result<QueryResult> Query(std::string_view sql, const Params& params) override {
    last_sqlstate_.clear();
    int count = 0;
    std::string text = RewritePlaceholders(sql, &count);
    if (count != static_cast<int>(params.size())) {
      return Status::Internal("postgres: statement has " + std::to_string(count) +
                              " placeholders, got " + std::to_string(params.size()) +
                              " parameters");
    }
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<Oid> types(params.size(), 0);
    for (size_t param_idx = 0; param_idx < params.size(); ++param_idx) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              return;
            } else if constexpr (std::is_same_v<T, int64_t>) {
              storage[param_idx] = std::to_string(v);
              types[param_idx] = kInt8Oid;
            } else if constexpr (std::is_same_v<T, double>) {
              if (std::isnan(v)) {
                storage[param_idx] = "NaN";
              } else if (std::isinf(v)) {
                storage[param_idx] = v > 0 ? "Infinity" : "-Infinity";
              } else {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.17g", v);
                storage[param_idx] = buf;
              }
              types[param_idx] = kFloat8Oid;
            } else if constexpr (std::is_same_v<T, std::string>) {
              storage[param_idx] = v;
            } else if constexpr (std::is_same_v<T, bool>) {
              storage[param_idx] = v ? "true" : "false";
              types[param_idx] = kBoolOid;
            } else {
              storage[param_idx] = FormatIso8601(v);
              types[param_idx] = kTimestamptzOid;
            }
            values[param_idx] = storage[param_idx].c_str();
          },
          params[param_idx]);
    }
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), types.data(),
                                 values.data(), nullptr, nullptr, 0);
    return TakeResult(res);
  }

  Status ExecScript(std::string_view sql) override {
    last_sqlstate_.clear();
    std::string text(sql);
    PGresult* res = PQexec(conn_, text.c_str());
    auto result = TakeResult(res);
    return result.ok() ? Status::Ok() : result.status();
  }

  //! Streams COPY ... FROM STDIN in the text format, flushed every 256 KiB.
  class Loader final : public BulkLoader {
   public:
    Loader(PgConnection& conn, size_t columns) : conn_(conn), columns_(columns) {
      buf_.reserve(kFlushBytes + 4096);
    }
    ~Loader() override {
      if (finished_) return;
      // Abandoned: end the COPY with an error so the connection leaves COPY mode (the
      // transaction is then aborted and rolled back by its owner).
      (void)PQputCopyEnd(conn_.conn_, "bulk load abandoned");
      while (PGresult* res = PQgetResult(conn_.conn_)) PQclear(res);
    }
    Status Add(std::span<const BulkValue> row) override {
      if (row.size() != columns_)
        return Status::Internal("postgres: bulk row has " + std::to_string(row.size()) +
                                " values for " + std::to_string(columns_) + " columns");
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) buf_ += '\t';
        std::visit(
            [&](const auto& v) {
              using T = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<T, std::nullptr_t>) {
                buf_ += "\\N";
              } else if constexpr (std::is_same_v<T, int64_t>) {
                char tmp[24];
                buf_.append(tmp, std::to_chars(tmp, tmp + sizeof tmp, v).ptr);
              } else if constexpr (std::is_same_v<T, double>) {
                if (std::isnan(v)) {
                  buf_ += "NaN";
                } else if (std::isinf(v)) {
                  buf_ += v > 0 ? "Infinity" : "-Infinity";
                } else {
                  char tmp[32];
                  buf_.append(tmp, std::to_chars(tmp, tmp + sizeof tmp, v).ptr);
                }
              } else {
                AppendCopyText(v);
              }
            },
            row[i]);
      }
      buf_ += '\n';
      return buf_.size() >= kFlushBytes ? Flush() : Status::Ok();
    }
    Status Finish() override {
      DAI_RETURN_IF_ERROR(Flush());
      finished_ = true;
      if (PQputCopyEnd(conn_.conn_, nullptr) != 1) return conn_.CopyFailed();
      Status st = Status::Ok();
      bool first = true;
      while (PGresult* res = PQgetResult(conn_.conn_)) {
        auto r = conn_.TakeResult(res);  // clears res
        if (first && !r.ok()) st = r.status();
        first = false;
      }
      return st;
    }

   private:
    static constexpr size_t kFlushBytes = 1 << 18;
    // COPY text format: backslash, tab, newline and carriage return are escaped.
    void AppendCopyText(std::string_view s) {
      size_t run = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const char* esc = c == '\\'   ? "\\\\"
                          : c == '\t' ? "\\t"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                                      : nullptr;
        if (esc == nullptr) continue;
        buf_.append(s.data() + run, i - run);
        buf_ += esc;
        run = i + 1;
      }
      buf_.append(s.data() + run, s.size() - run);
    }
    Status Flush() {
      if (buf_.empty()) return Status::Ok();
      if (PQputCopyData(conn_.conn_, buf_.data(), static_cast<int>(buf_.size())) != 1)
        return conn_.CopyFailed();
      buf_.clear();
      return Status::Ok();
    }
    PgConnection& conn_;
    size_t columns_;
    std::string buf_;
    bool finished_ = false;
  };

  Result<std::unique_ptr<BulkLoader>> BulkLoad(std::string_view table,
                                               const std::vector<std::string>& columns) override {
    last_sqlstate_.clear();
    std::string sql = "COPY " + std::string(table) + " (";
    for (size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + columns[i];
    sql += ") FROM STDIN";
    PGresult* res = PQexec(conn_, sql.c_str());
    if (res != nullptr && PQresultStatus(res) == PGRES_COPY_IN) {
      PQclear(res);
      return std::unique_ptr<BulkLoader>(std::make_unique<Loader>(*this, columns.size()));
    }
    auto r = TakeResult(res);
    if (r.ok()) return Status::Internal("postgres: COPY did not start");
    return r.status();
  }

 private:
  Status CopyFailed() {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (PQstatus(conn_) != CONNECTION_OK) {
      broken_ = true;
      return Status::Unavailable("postgres: connection lost during COPY: " + msg);
    }
    return Status::Internal("postgres: COPY failed: " + msg);
  }

  Result<QueryResult> TakeResult(PGresult* res) {
    if (res == nullptr) {
      broken_ = true;
      return Status::Unavailable("postgres: no result (connection lost)");
    }
    const ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
      QueryResult result;
      const int ncols = PQnfields(res);
      const int nrows = PQntuples(res);
      auto columns = std::make_shared<std::vector<std::string>>();
      columns->reserve(ncols);
      for (int col_idx = 0; col_idx < ncols; ++col_idx)
        columns->emplace_back(PQfname(res, col_idx));
      result.columns = *columns;
      result.rows.reserve(nrows);
      for (int row_idx = 0; row_idx < nrows; ++row_idx) {
        std::vector<std::optional<std::string>> cells;
        cells.reserve(ncols);
        for (int col_idx = 0; col_idx < ncols; ++col_idx) {
          if (PQgetisnull(res, row_idx, col_idx)) {
            cells.emplace_back(std::nullopt);
          } else {
            cells.emplace_back(
                std::string(PQgetvalue(res, row_idx, col_idx), PQgetlength(res, row_idx, col_idx)));
          }
        }
        result.rows.emplace_back(columns, std::move(cells));
      }
      const char* tuples = PQcmdTuples(res);
      if (tuples != nullptr && *tuples != '\0') result.affected_rows = std::atoll(tuples);
      PQclear(res);
      return result;
    }
    Status st = MapError(res);
    PQclear(res);
    return st;
  }

  // Builds a Status from an error result using only the SQLSTATE, the primary message (which
  // for these classes names relations, columns and constraints, not values) and the
  // constraint name. The DETAIL field, which quotes the offending values, is never used.
  Status MapError(const PGresult* res) {
    const char* state_c = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char* primary_c = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char* constraint_c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    const char* column_c = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
    std::string state = state_c != nullptr ? state_c : "";
    std::string primary = primary_c != nullptr ? primary_c : "";
    last_sqlstate_ = state;
    if (state.empty() || PQstatus(conn_) != CONNECTION_OK) {
      broken_ = PQstatus(conn_) != CONNECTION_OK;
      std::string msg = PQerrorMessage(conn_);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      if (broken_) return Status::Unavailable("postgres: connection lost: " + msg);
      return Status::Internal("postgres: " + primary);
    }
    const std::string where = constraint_c != nullptr ? std::string(" (") + constraint_c + ")" : "";
    if (state == "23505") {
      return Status::Conflict("postgres: duplicate key violates unique constraint" + where);
    }
    if (state.starts_with("23")) {
      return Status::InvalidArgument("postgres: " + primary + " [" + state + "]");
    }
    if (state.starts_with("22")) {
      std::string col = column_c != nullptr ? std::string(" for column ") + column_c : "";
      return Status::InvalidArgument("postgres: invalid value" + col + " [" + state + "]");
    }
    if (IsRetryableSqlState(state)) {
      return Status::Unavailable("postgres: " + primary + " [" + state + "]");
    }
    if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03") {
      broken_ = true;
      return Status::Unavailable("postgres: " + primary + " [" + state + "]");
    }
    return Status::Internal("postgres: " + primary + " [" + state + "]");
  }

  PGconn* conn_;
  std::string last_sqlstate_;
  bool broken_ = false;
};

std::string RedactUrl(const std::string& url) {
  std::string out = url;
  // postgres://user:password@host -> postgres://user:***@host
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t at = out.find('@', scheme + 3);
    size_t slash = out.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      size_t colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  size_t pw = out.find("password=");
  if (pw != std::string::npos) {
    size_t end = out.find('&', pw);
    out.replace(pw + 9, (end == std::string::npos ? out.size() : end) - pw - 9, "***");
  }
  return out;
}

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string url, int pool_size)
      : url_(std::move(url)), pool_(pool_size, [this]() -> Result<std::unique_ptr<PgConnection>> {
          return PgConnection::Open(url_);
        }) {}

  Status Init() {
    auto first = PgConnection::Open(url_);
    if (!first.ok()) return first.status();
    pool_.Add(std::move(first).value());
    return Status::Ok();
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  Result<QueryResult> Query(std::string_view sql, const Params& params) override {
    // A pooled connection may have died while idle (server restart): a read is retried once
    // on a fresh connection; a write is not, since it may have been applied.
    const int attempts = IsStartsWithSelect(sql) ? 2 : 1;
    for (int attempt = 1;; ++attempt) {
      auto lease = pool_.Acquire();
      if (!lease.ok()) return lease.status();
      auto result = (*lease)->Query(sql, params);
      if (result.ok()) return result;
      if ((*lease)->broken()) {
        lease->Discard();
        if (attempt < attempts) continue;
      }
      return result;
    }
  }

  Status Transaction(const std::function<Status(Connection&)>& fn) override {
    Status last;
    for (int attempt = 1; attempt <= kMaxTransactionAttempts; ++attempt) {
      if (attempt > 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2 << std::min(attempt, 6)));
      }
      auto lease = pool_.Acquire();
      if (!lease.ok()) return lease.status();
      PgConnection& conn = **lease;
      last = conn.ExecScript("BEGIN");
      if (!last.ok()) {
        if (conn.broken()) {
          lease->Discard();
          continue;
        }
        return last;
      }
      Status st;
      try {
        st = fn(conn);
      } catch (...) {
        if (!conn.broken())
          (void)conn.ExecScript("ROLLBACK");
        else
          lease->Discard();
        throw;
      }
      if (!st.ok()) {
        // The server aborts the transaction of a lost connection: retrying is safe.
        if (conn.broken()) {
          lease->Discard();
          last = st;
          continue;
        }
        const bool retry = IsRetryableSqlState(conn.last_sqlstate());
        (void)conn.ExecScript("ROLLBACK");
        if (retry) {
          last = st;
          continue;
        }
        return st;
      }
      Status commit = conn.ExecScript("COMMIT");
      if (commit.ok()) return Status::Ok();
      if (conn.broken()) {
        lease->Discard();
        return Status::Unavailable("postgres: connection lost during COMMIT; outcome unknown");
      }
      const bool retry = IsRetryableSqlState(conn.last_sqlstate());
      (void)conn.ExecScript("ROLLBACK");
      if (!retry) return commit;
      last = commit;
    }
    return last;
  }

  Status Ping() override {
    auto result = Query("SELECT 1", {});
    return result.ok() ? Status::Ok() : result.status();
  }

  std::string Describe() const override { return RedactUrl(url_); }

 private:
  std::string url_;
  ConnectionPool<PgConnection> pool_;
};

}  // namespace

std::string RewritePlaceholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  size_t pos = 0;
  const size_t size = sql.size();
  auto copy_until = [&](size_t end) {
    out.append(sql.substr(pos, end - pos));
    pos = end;
  };
  while (pos < size) {
    const char c = sql[pos];
    if (c == '?') {
      out += '$';
      out += std::to_string(++n);
      ++pos;
    } else if (c == '\'') {
      // E'...' allows backslash escapes; '' is an escaped quote in both forms.
      const bool escapes = pos > 0 && (sql[pos - 1] == 'E' || sql[pos - 1] == 'e') &&
                           (pos < 2 || !IsIdentChar(sql[pos - 2]));
      size_t end = pos + 1;
      while (end < size) {
        if (escapes && sql[end] == '\\') {
          end += 2;
          continue;
        }
        if (sql[end] == '\'') {
          if (end + 1 < size && sql[end + 1] == '\'') {
            end += 2;
            continue;
          }
          ++end;
          break;
        }
        ++end;
      }
      copy_until(std::min(end, size));
    } else if (c == '"') {
      size_t end = sql.find('"', pos + 1);
      copy_until(end == std::string_view::npos ? size : end + 1);
    } else if (c == '-' && pos + 1 < size && sql[pos + 1] == '-') {
      size_t end = sql.find('\n', pos);
      copy_until(end == std::string_view::npos ? size : end);
    } else if (c == '/' && pos + 1 < size && sql[pos + 1] == '*') {
      int depth = 0;
      size_t end = pos;
      while (end < size) {
        if (sql.compare(end, 2, "/*") == 0) {
          ++depth;
          end += 2;
        } else if (sql.compare(end, 2, "*/") == 0) {
          end += 2;
          if (--depth == 0) break;
        } else {
          ++end;
        }
      }
      copy_until(std::min(end, size));
    } else if (c == '$' && (pos == 0 || !IsIdentChar(sql[pos - 1]))) {
      // Dollar quoting: $$...$$ or $tag$...$tag$ (a tag does not start with a digit: $1 is a
      // positional parameter).
      size_t tag_end = pos + 1;
      while (tag_end < size && IsIdentChar(sql[tag_end]) && sql[tag_end] != '$') ++tag_end;
      const bool valid_tag =
          tag_end < size && sql[tag_end] == '$' &&
          (tag_end == pos + 1 || !std::isdigit(static_cast<unsigned char>(sql[pos + 1])));
      if (!valid_tag) {
        out += c;
        ++pos;
        continue;
      }
      std::string_view tag = sql.substr(pos, tag_end - pos + 1);
      size_t close = sql.find(tag, tag_end + 1);
      copy_until(close == std::string_view::npos ? size : close + tag.size());
    } else {
      out += c;
      ++pos;
    }
  }
  if (count != nullptr) *count = n;
  return out;
}

Result<std::unique_ptr<Database>> OpenPostgresDatabase(const DatabaseOptions& options) {
  auto db = std::make_unique<PostgresDatabase>(options.url, options.pool_size);
  DAI_RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace dai::store
