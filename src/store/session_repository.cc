#include "store/session_repository.h"

#include "store/repository_util.h"

namespace dai::store {
namespace {

SessionRecord FromRow(const Row& row) {
  SessionRecord s;
  s.id = row.GetString("id");
  s.user_id = row.GetInt("user_id");
  s.csrf_token = row.GetString("csrf_token");
  s.created_at = row.GetTime("created_at");
  s.expires_at = row.GetTime("expires_at");
  s.last_seen_at = row.GetTime("last_seen_at");
  s.user_agent = row.GetString("user_agent");
  s.remote_addr = row.GetString("remote_addr");
  return s;
}

}  // namespace

Status SessionRepository::Create(const SessionRecord& s) {
  auto r = db_.Query(
      "INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at, last_seen_at, "
      "user_agent, remote_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {s.id, s.user_id, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at, s.user_agent,
       s.remote_addr});
  if (!r.ok() && r.status().code() == StatusCode::kInvalidArgument) {
    return Status::InvalidArgument("session for user " + std::to_string(s.user_id) +
                                   " that does not exist");
  }
  return r.status();
}

Result<SessionRecord> SessionRepository::Find(const std::string& id, TimePoint now) {
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("SELECT id, user_id, csrf_token, created_at, expires_at, last_seen_at, "
                        "user_agent, remote_addr FROM sessions WHERE id = ? AND expires_at > ?",
                        {id, now}));
  if (r.rows.empty()) return Status::NotFound("session does not exist or has expired");
  return FromRow(r.rows[0]);
}

Status SessionRepository::Touch(const std::string& id, TimePoint last_seen_at,
                                TimePoint expires_at) {
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?",
                        {last_seen_at, expires_at, id}));
  if (r.affected_rows == 0) return Status::NotFound("session does not exist");
  return Status::Ok();
}

Status SessionRepository::Delete(const std::string& id) {
  return db_.Query("DELETE FROM sessions WHERE id = ?", {id}).status();
}

Result<int64_t> SessionRepository::DeleteExpired(TimePoint now) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("DELETE FROM sessions WHERE expires_at <= ?", {now}));
  return r.affected_rows;
}

Result<int64_t> SessionRepository::DeleteForUser(int64_t user_id) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("DELETE FROM sessions WHERE user_id = ?", {user_id}));
  return r.affected_rows;
}

}  // namespace dai::store
