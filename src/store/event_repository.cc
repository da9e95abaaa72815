#include "store/event_repository.h"

#include "store/repository_util.h"

namespace dai::store {

Result<int64_t> EventRepository::Append(const std::string& type, const std::string& payload_json) {
  if (type.empty()) return Status::InvalidArgument("event type is empty");
  DAI_RETURN_IF_ERROR(internal::CheckJson(payload_json, "event payload"));
  return internal::InsertReturningId(
      db_, "INSERT INTO events (type, payload, created_at) VALUES (?, ?, ?) RETURNING id",
      {type, payload_json, clock_.Now()});
}

Result<std::vector<EventRecord>> EventRepository::ListSince(int64_t after_id, int64_t limit) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT id, type, payload, created_at FROM events "
                                         "WHERE id > ? ORDER BY id LIMIT ?",
                                         {after_id, limit}));
  std::vector<EventRecord> out;
  out.reserve(r.rows.size());
  for (const Row& row : r.rows) {
    out.push_back({row.GetInt("id"), row.GetString("type"),
                   internal::CompactJson(row.GetString("payload")), row.GetTime("created_at")});
  }
  return out;
}

Result<int64_t> EventRepository::LatestId() {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT COALESCE(MAX(id), 0) FROM events"));
  return r.rows.at(0).GetInt(size_t{0});
}

Result<int64_t> EventRepository::DeleteBefore(TimePoint before) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("DELETE FROM events WHERE created_at < ?", {before}));
  return r.affected_rows;
}

}  // namespace dai::store
