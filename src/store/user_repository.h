// UserRepository: the `users` table (local accounts). Roles are "viewer", "operator" and
// "admin" (a CHECK constraint); password_hash is an argon2id string from the auth module, or
// null for an account that cannot log in by password yet (first-start admin with a setup token).
// Thread-safety: safe for concurrent use (stateless over a thread-safe Database).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/database.h"

namespace dai::store {

struct UserRecord {
  int64_t id = 0;
  std::string username;
  std::optional<std::string> password_hash;
  std::string role;  //!< viewer | operator | admin
  bool disabled = false;
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> last_login_at;
};

class UserRepository {
 public:
  UserRepository(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  //! Inserts a user and returns its id. CONFLICT when the username exists; INVALID_ARGUMENT
  //! for an unknown role or an empty username.
  Result<int64_t> Create(const std::string& username,
                         const std::optional<std::string>& password_hash, const std::string& role,
                         bool disabled = false);
  //! NOT_FOUND when absent.
  Result<UserRecord> FindById(int64_t id);
  //! NOT_FOUND when absent. Usernames are matched exactly (case-sensitive).
  Result<UserRecord> FindByName(const std::string& username);
  //! Users ordered by id, `limit` from `offset`.
  Result<std::vector<UserRecord>> List(int64_t offset = 0, int64_t limit = 100);
  Result<int64_t> Count();
  //! NOT_FOUND when the user does not exist. A null hash disables password login.
  Status UpdatePassword(int64_t id, const std::optional<std::string>& password_hash);
  //! NOT_FOUND when absent, INVALID_ARGUMENT for an unknown role.
  Status UpdateRole(int64_t id, const std::string& role);
  //! NOT_FOUND when absent.
  Status SetDisabled(int64_t id, bool disabled);
  //! Records a successful login at the clock's now. NOT_FOUND when absent.
  Status RecordLogin(int64_t id);
  //! Deletes the user (its sessions and tokens go with it). NOT_FOUND when absent.
  Status Delete(int64_t id);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace dai::store
