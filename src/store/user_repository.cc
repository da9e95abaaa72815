#include "store/user_repository.h"

#include "store/repository_util.h"

namespace dai::store {
namespace {

constexpr std::string_view kColumns =
    "id, username, password_hash, role, disabled, created_at, updated_at, last_login_at";

UserRecord FromRow(const Row& row) {
  UserRecord u;
  u.id = row.GetInt("id");
  u.username = row.GetString("username");
  u.password_hash = row.GetOptString("password_hash");
  u.role = row.GetString("role");
  u.disabled = row.GetBool("disabled");
  u.created_at = row.GetTime("created_at");
  u.updated_at = row.GetTime("updated_at");
  u.last_login_at = row.GetOptTime("last_login_at");
  return u;
}

Result<UserRecord> One(Database& db, std::string_view where, const Params& params,
                       const std::string& what) {
  DAI_ASSIGN_OR_RETURN(auto r, db.Query("SELECT " + std::string(kColumns) + " FROM users WHERE " +
                                            std::string(where),
                                        params));
  if (r.rows.empty()) return Status::NotFound("user " + what + " does not exist");
  return FromRow(r.rows[0]);
}

}  // namespace

Result<int64_t> UserRepository::Create(const std::string& username,
                                       const std::optional<std::string>& password_hash,
                                       const std::string& role, bool disabled) {
  if (username.empty()) return Status::InvalidArgument("username is empty");
  const TimePoint now = clock_.Now();
  auto id = internal::InsertReturningId(
      db_,
      "INSERT INTO users (username, password_hash, role, disabled, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      {username, internal::OptParam(password_hash), role, disabled, now, now});
  if (!id.ok() && id.status().code() == StatusCode::kConflict) {
    return Status::Conflict("user '" + username + "' already exists");
  }
  if (!id.ok() && id.status().code() == StatusCode::kInvalidArgument) {
    return Status::InvalidArgument("invalid user (role must be viewer, operator or admin)");
  }
  return id;
}

Result<UserRecord> UserRepository::FindById(int64_t id) {
  return One(db_, "id = ?", {id}, std::to_string(id));
}

Result<UserRecord> UserRepository::FindByName(const std::string& username) {
  return One(db_, "username = ?", {username}, "'" + username + "'");
}

Result<std::vector<UserRecord>> UserRepository::List(int64_t offset, int64_t limit) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT " + std::string(kColumns) +
                                             " FROM users ORDER BY id LIMIT ? OFFSET ?",
                                         {limit, offset}));
  std::vector<UserRecord> out;
  out.reserve(r.rows.size());
  for (const Row& row : r.rows) out.push_back(FromRow(row));
  return out;
}

Result<int64_t> UserRepository::Count() {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT COUNT(*) FROM users"));
  return r.rows.at(0).GetInt(size_t{0});
}

Status UserRepository::UpdatePassword(int64_t id, const std::optional<std::string>& password_hash) {
  DAI_ASSIGN_OR_RETURN(auto r,
                       db_.Query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                                 {internal::OptParam(password_hash), clock_.Now(), id}));
  return internal::ExpectAffected(r, "user", std::to_string(id));
}

Status UserRepository::UpdateRole(int64_t id, const std::string& role) {
  auto r =
      db_.Query("UPDATE users SET role = ?, updated_at = ? WHERE id = ?", {role, clock_.Now(), id});
  if (!r.ok() && r.status().code() == StatusCode::kInvalidArgument) {
    return Status::InvalidArgument("role must be viewer, operator or admin");
  }
  if (!r.ok()) return r.status();
  return internal::ExpectAffected(*r, "user", std::to_string(id));
}

Status UserRepository::SetDisabled(int64_t id, bool disabled) {
  DAI_ASSIGN_OR_RETURN(auto r,
                       db_.Query("UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?",
                                 {disabled, clock_.Now(), id}));
  return internal::ExpectAffected(r, "user", std::to_string(id));
}

Status UserRepository::RecordLogin(int64_t id) {
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("UPDATE users SET last_login_at = ? WHERE id = ?", {clock_.Now(), id}));
  return internal::ExpectAffected(r, "user", std::to_string(id));
}

Status UserRepository::Delete(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("DELETE FROM users WHERE id = ?", {id}));
  return internal::ExpectAffected(r, "user", std::to_string(id));
}

}  // namespace dai::store
