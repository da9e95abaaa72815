#include "store/audit_repository.h"

#include "store/repository_util.h"

namespace dai::store {

Result<int64_t> AuditRepository::Append(const AuditEntry& e) {
  DAI_RETURN_IF_ERROR(internal::CheckJson(e.detail, "audit detail"));
  auto id = internal::InsertReturningId(
      db_,
      "INSERT INTO audit_log (at, actor, actor_type, procedure, outcome, input_digest, "
      "request_id, remote_addr, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {e.at, e.actor, e.actor_type, e.procedure, e.outcome, e.input_digest, e.request_id,
       e.remote_addr, e.detail});
  if (!id.ok() && id.status().code() == StatusCode::kInvalidArgument) {
    return Status::InvalidArgument("audit actor_type must be user, token or system");
  }
  return id;
}

Result<std::vector<AuditEntry>> AuditRepository::List(const AuditQuery& q) {
  std::string sql =
      "SELECT id, at, actor, actor_type, procedure, outcome, input_digest, request_id, "
      "remote_addr, detail FROM audit_log WHERE 1 = 1";
  Params params;
  if (q.before_id) {
    sql += " AND id < ?";
    params.emplace_back(*q.before_id);
  }
  if (q.actor) {
    sql += " AND actor = ?";
    params.emplace_back(*q.actor);
  }
  if (q.procedure) {
    sql += " AND procedure = ?";
    params.emplace_back(*q.procedure);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(q.limit);
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query(sql, params));
  std::vector<AuditEntry> out;
  out.reserve(r.rows.size());
  for (const Row& row : r.rows) {
    AuditEntry e;
    e.id = row.GetInt("id");
    e.at = row.GetTime("at");
    e.actor = row.GetString("actor");
    e.actor_type = row.GetString("actor_type");
    e.procedure = row.GetString("procedure");
    e.outcome = row.GetString("outcome");
    e.input_digest = row.GetString("input_digest");
    e.request_id = row.GetString("request_id");
    e.remote_addr = row.GetString("remote_addr");
    e.detail = internal::CompactJson(row.GetString("detail"));
    out.push_back(std::move(e));
  }
  return out;
}

Result<int64_t> AuditRepository::DeleteBefore(TimePoint before) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("DELETE FROM audit_log WHERE at < ?", {before}));
  return r.affected_rows;
}

}  // namespace dai::store
