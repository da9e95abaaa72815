// Small helpers shared by the repositories (internal to src/store).
// Thread-safety: free functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "store/database.h"

namespace dai::store::internal {

//! Runs an INSERT ... RETURNING id and returns the id.
inline Result<int64_t> InsertReturningId(Database& db, std::string_view sql, const Params& params) {
  DAI_ASSIGN_OR_RETURN(auto r, db.Query(sql, params));
  if (r.rows.empty()) return Status::Internal("store: INSERT returned no id");
  return r.rows[0].GetInt(size_t{0});
}

//! INVALID_ARGUMENT naming `what` when `text` is not JSON.
inline Status CheckJson(std::string_view text, std::string_view what) {
  if (!ParseJson(text).ok())
    return Status::InvalidArgument(std::string(what) + " is not valid JSON");
  return Status::Ok();
}

//! NOT_FOUND "<what> <id> does not exist" when no row was affected.
inline Status ExpectAffected(const QueryResult& r, std::string_view what, std::string_view id) {
  if (r.affected_rows == 0) {
    return Status::NotFound(std::string(what) + " " + std::string(id) + " does not exist");
  }
  return Status::Ok();
}

inline Param OptParam(const std::optional<std::string>& v) {
  return v ? Param(*v) : Param(nullptr);
}
inline Param OptParam(const std::optional<int64_t>& v) { return v ? Param(*v) : Param(nullptr); }
inline Param OptParam(const std::optional<TimePoint>& v) { return v ? Param(*v) : Param(nullptr); }

//! True when `text` has no whitespace outside string literals: what DumpJson writes and what
//! SQLite gives back unchanged, so it needs no re-formatting.
inline bool LooksCompact(std::string_view text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      return false;
    }
  }
  return true;
}

//! Normalizes JSON text as stored (PostgreSQL's jsonb reformats it): compact form. Text that is
//! already compact (everything the repositories write, read back from SQLite) is returned as
//! is without a parse.
inline std::string CompactJson(const std::string& text) {
  if (LooksCompact(text)) return text;
  auto parsed = ParseJson(text);
  return parsed.ok() ? DumpJson(*parsed) : text;
}

}  // namespace dai::store::internal
