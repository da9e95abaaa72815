#include "store/api_token_repository.h"

#include "store/repository_util.h"

namespace dai::store {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, name, token_hash, prefix, user_id, role, scopes, created_at, expires_at, "
    "last_used_at, revoked_at FROM api_tokens ";

ApiTokenRecord FromRow(const Row& row) {
  ApiTokenRecord t;
  t.id = row.GetInt("id");
  t.name = row.GetString("name");
  t.token_hash = row.GetString("token_hash");
  t.prefix = row.GetString("prefix");
  t.user_id = row.GetOptInt("user_id");
  t.role = row.GetString("role");
  auto scopes = ParseJson(row.GetString("scopes"));
  if (scopes.ok() && scopes->is_array()) {
    for (const auto& s : *scopes) {
      if (s.is_string()) t.scopes.push_back(s.get<std::string>());
    }
  }
  t.created_at = row.GetTime("created_at");
  t.expires_at = row.GetOptTime("expires_at");
  t.last_used_at = row.GetOptTime("last_used_at");
  t.revoked_at = row.GetOptTime("revoked_at");
  return t;
}

}  // namespace

Result<int64_t> ApiTokenRepository::Create(const ApiTokenRecord& t) {
  if (t.name.empty()) return Status::InvalidArgument("token name is empty");
  if (t.token_hash.empty()) return Status::InvalidArgument("token hash is empty");
  Json scopes = Json::array();
  for (const auto& s : t.scopes) scopes.push_back(s);
  auto id = internal::InsertReturningId(
      db_,
      "INSERT INTO api_tokens (name, token_hash, prefix, user_id, role, scopes, created_at, "
      "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {t.name, t.token_hash, t.prefix, internal::OptParam(t.user_id), t.role, DumpJson(scopes),
       clock_.Now(), internal::OptParam(t.expires_at)});
  if (!id.ok() && id.status().code() == StatusCode::kConflict) {
    return Status::Conflict("a token with this hash already exists");
  }
  if (!id.ok() && id.status().code() == StatusCode::kInvalidArgument) {
    return Status::InvalidArgument("invalid token: unknown role or user");
  }
  return id;
}

Result<ApiTokenRecord> ApiTokenRepository::FindByHash(const std::string& token_hash) {
  DAI_ASSIGN_OR_RETURN(auto r,
                       db_.Query(std::string(kSelect) + "WHERE token_hash = ?", {token_hash}));
  if (r.rows.empty()) return Status::NotFound("token does not exist");
  return FromRow(r.rows[0]);
}

Result<ApiTokenRecord> ApiTokenRepository::FindById(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query(std::string(kSelect) + "WHERE id = ?", {id}));
  if (r.rows.empty()) return Status::NotFound("token " + std::to_string(id) + " does not exist");
  return FromRow(r.rows[0]);
}

Result<std::vector<ApiTokenRecord>> ApiTokenRepository::List(bool include_revoked) {
  DAI_ASSIGN_OR_RETURN(
      auto r,
      db_.Query(std::string(kSelect) +
                (include_revoked ? "ORDER BY id" : "WHERE revoked_at IS NULL ORDER BY id")));
  std::vector<ApiTokenRecord> out;
  for (const Row& row : r.rows) out.push_back(FromRow(row));
  return out;
}

Status ApiTokenRepository::Revoke(int64_t id) {
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                        {clock_.Now(), id}));
  return internal::ExpectAffected(r, "token", std::to_string(id));
}

Status ApiTokenRepository::TouchLastUsed(int64_t id, TimePoint at) {
  DAI_ASSIGN_OR_RETURN(auto r,
                       db_.Query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", {at, id}));
  return internal::ExpectAffected(r, "token", std::to_string(id));
}

}  // namespace dai::store
