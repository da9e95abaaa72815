// AuditRepository: the append-only `audit_log` (who did what, when, with which outcome). Rows
// are never updated; old rows may be pruned by retention.
// Thread-safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/database.h"

namespace dai::store {

struct AuditEntry {
  int64_t id = 0;  //!< assigned by Append
  TimePoint at;
  std::string actor;         //!< username, token name, or engine/rule name
  std::string actor_type;    //!< user | token | system
  std::string procedure;     //!< e.g. "selfHealing.toggleRule", or an internal action name
  std::string outcome;       //!< ok | error code name (e.g. "FORBIDDEN")
  std::string input_digest;  //!< SHA-256 hex of the canonical input, "" when none
  std::string request_id;
  std::string remote_addr;
  std::string detail = "{}";  //!< a JSON value (text); never secrets
};

struct AuditQuery {
  std::optional<int64_t> before_id;  //!< page: entries with id < before_id
  int64_t limit = 100;
  std::optional<std::string> actor;
  std::optional<std::string> procedure;
};

class AuditRepository {
 public:
  explicit AuditRepository(Database& db) : db_(db) {}

  //! Appends `entry` (its id is ignored) and returns the new id. INVALID_ARGUMENT when detail
  //! is not valid JSON or actor_type is not user|token|system.
  Result<int64_t> Append(const AuditEntry& entry);
  //! Entries newest first (by id), filtered and paged by `query`.
  Result<std::vector<AuditEntry>> List(const AuditQuery& query = {});
  //! Deletes entries with at < `before`; returns how many.
  Result<int64_t> DeleteBefore(TimePoint before);

 private:
  Database& db_;
};

}  // namespace dai::store
