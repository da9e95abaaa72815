// ApiTokenRepository: the `api_tokens` table. Only a hash of the token is stored (token_hash,
// SHA-256 hex computed by the auth module) plus a short prefix to show in lists. A token
// belongs to a user (user_id) or to nobody (service tokens, user_id null); it carries its own
// role, a list of scopes (stored as a JSON array), an optional expiry, and is revoked rather
// than deleted so the audit log keeps its meaning.
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

struct ApiTokenRecord {
  int64_t id = 0;
  std::string name;
  std::string token_hash;
  std::string prefix;
  std::optional<int64_t> user_id;
  std::string role;  //!< viewer | operator | admin
  std::vector<std::string> scopes;
  TimePoint created_at;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> last_used_at;
  std::optional<TimePoint> revoked_at;

  //! Not revoked and not expired at `now`.
  bool IsUsable(TimePoint now) const {
    return !revoked_at.has_value() && (!expires_at.has_value() || *expires_at > now);
  }
};

class ApiTokenRepository {
 public:
  ApiTokenRepository(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  //! Inserts the token (id and created_at are assigned; created_at = clock now) and returns
  //! its id. CONFLICT on a duplicate token_hash; INVALID_ARGUMENT for an unknown role or a
  //! user_id that does not exist.
  Result<int64_t> Create(const ApiTokenRecord& token);
  //! The token with this hash, revoked or expired ones included (check IsUsable).
  //! NOT_FOUND when absent.
  Result<ApiTokenRecord> FindByHash(const std::string& token_hash);
  //! NOT_FOUND when absent.
  Result<ApiTokenRecord> FindById(int64_t id);
  //! All tokens ordered by id; revoked ones only when `include_revoked`.
  Result<std::vector<ApiTokenRecord>> List(bool include_revoked = false);
  //! Sets revoked_at = clock now. NOT_FOUND when absent; OK when already revoked (unchanged).
  Status Revoke(int64_t id);
  //! Records a use at `at`. NOT_FOUND when absent.
  Status TouchLastUsed(int64_t id, TimePoint at);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace dai::store
