// SessionRepository: the `sessions` table of browser sessions. The id is the SHA-256 hex of the
// cookie value (the auth module hashes; the store never sees the cookie itself).
// Thread-safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "store/database.h"

namespace dai::store {

struct SessionRecord {
  std::string id;  //!< SHA-256 hex of the cookie value
  int64_t user_id = 0;
  std::string csrf_token;
  TimePoint created_at;
  TimePoint expires_at;
  TimePoint last_seen_at;
  std::string user_agent;
  std::string remote_addr;
};

class SessionRepository {
 public:
  explicit SessionRepository(Database& db) : db_(db) {}

  //! Inserts `session` as given (all timestamps from the caller). CONFLICT on a duplicate id;
  //! INVALID_ARGUMENT when the user does not exist.
  Status Create(const SessionRecord& session);
  //! The session with this id if it exists and expires after `now`; NOT_FOUND otherwise.
  Result<SessionRecord> Find(const std::string& id, TimePoint now);
  //! Sets last_seen_at and expires_at (sliding expiry). NOT_FOUND when absent.
  Status Touch(const std::string& id, TimePoint last_seen_at, TimePoint expires_at);
  //! Deletes one session; OK also when it did not exist (logout is idempotent).
  Status Delete(const std::string& id);
  //! Deletes sessions with expires_at <= now; returns how many.
  Result<int64_t> DeleteExpired(TimePoint now);
  //! Deletes every session of the user (password change, disable); returns how many.
  Result<int64_t> DeleteForUser(int64_t user_id);

 private:
  Database& db_;
};

}  // namespace dai::store
