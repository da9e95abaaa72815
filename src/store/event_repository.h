// EventRepository: the `events` table, an ordered log of live updates (incident opened, job
// finished ...) that every server instance tails to feed its SSE clients: a client resumes from
// the last id it saw (Last-Event-ID). Ids increase in commit order per writer; readers poll
// ListSince.
// Thread-safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/database.h"

namespace dai::store {

struct EventRecord {
  int64_t id = 0;
  std::string type;     //!< e.g. "incident.created"
  std::string payload;  //!< JSON text
  TimePoint created_at;
};

class EventRepository {
 public:
  EventRepository(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  //! Appends an event at clock now and returns its id. INVALID_ARGUMENT when `payload_json` is
  //! not valid JSON or `type` is empty.
  Result<int64_t> Append(const std::string& type, const std::string& payload_json);
  //! Events with id > after_id in id order, at most `limit`.
  Result<std::vector<EventRecord>> ListSince(int64_t after_id, int64_t limit = 100);
  //! The highest id, 0 when empty (where a new SSE client starts).
  Result<int64_t> LatestId();
  //! Deletes events created before `before`; returns how many.
  Result<int64_t> DeleteBefore(TimePoint before);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace dai::store
