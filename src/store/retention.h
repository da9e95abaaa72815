// Retention: old operational rows are deleted so that the database does not grow without
// bound under a steady stream of alerts, notifications, log signals, runs and actions (the
// soak test's database-size figure depends on it). What is kept: incidents and their
// timelines, post-mortems, runbooks, rules, learned patterns, pipelines and the aggregates the
// engines learn from (healing_patterns, test_intelligence, cost_daily) — only the raw rows
// behind them expire. Each table is pruned in bounded batches (one short transaction each) so
// that a large backlog never holds the write lock for long.
// Time is a parameter (`now`). Thread-safety: stateless; safe for concurrent use.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "store/database.h"

namespace dai::store {

struct RetentionPolicy {
  int days = 90;        //!< alerts, notifications, log signals, runs, actions, answers; 0: keep
  int audit_days = 365;  //!< the audit log; 0: keep
  int event_days = 7;   //!< the SSE replay buffer (events); 0: keep
  int batch = 5000;     //!< rows per DELETE statement
};

//! Deletes what `policy` lets expire as of `now`; answers rows deleted per table.
Result<std::map<std::string, int64_t>> PruneExpired(Database& db, TimePoint now,
                                                    const RetentionPolicy& policy);

}  // namespace dai::store
