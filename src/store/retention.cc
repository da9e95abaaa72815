#include "store/retention.h"

#include <chrono>
#include <string_view>
#include <vector>

namespace dai::store {
namespace {

struct Rule {
  std::string_view table;
  std::string_view where;  //!< with one `?`: the cutoff time
  enum Policy { kDays, kAudit, kEvents } policy;
};

// Only rows that reached a final state expire; anything still open or running is kept however
// old it is. Child rows go with their parents (ON DELETE CASCADE), e.g. notification_attempts.
constexpr Rule kRules[] = {
    {"alerts", "status = 'resolved' AND last_received_at < ?", Rule::kDays},
    {"notification_messages", "status IN ('sent','failed') AND created_at < ?", Rule::kDays},
    {"log_signals", "status = 'resolved' AND last_at < ?", Rule::kDays},
    {"healing_actions",
     "status NOT IN ('pending','awaiting_approval','approved','running','verifying') AND "
     "created_at < ?",
     Rule::kDays},
    {"runbook_executions", "status IN ('succeeded','failed','cancelled') AND created_at < ?",
     Rule::kDays},
    {"assistant_answers", "created_at < ?", Rule::kDays},
    {"llm_calls", "created_at < ?", Rule::kDays},
    {"audit_log", "at < ?", Rule::kAudit},
    {"events", "created_at < ?", Rule::kEvents},
};

}  // namespace

Result<std::map<std::string, int64_t>> PruneExpired(Database& db, TimePoint now,
                                                    const RetentionPolicy& policy) {
  std::map<std::string, int64_t> deleted;
  const int batch = policy.batch > 0 ? policy.batch : 5000;
  for (const Rule& rule : kRules) {
    const int days = rule.policy == Rule::kDays    ? policy.days
                     : rule.policy == Rule::kAudit ? policy.audit_days
                                                   : policy.event_days;
    if (days <= 0) continue;
    const TimePoint cutoff = now - std::chrono::hours(24) * days;
    // Table and condition are constants of this file; the cutoff and batch are parameters.
    const std::string sql = "DELETE FROM " + std::string(rule.table) +
                            " WHERE id IN (SELECT id FROM " + std::string(rule.table) + " WHERE " +
                            std::string(rule.where) + " ORDER BY id LIMIT ?)";
    int64_t total = 0;
    for (;;) {
      DAI_ASSIGN_OR_RETURN(auto r, db.Query(sql, {cutoff, int64_t{batch}}));
      total += r.affected_rows;
      if (r.affected_rows < batch) break;
    }
    deleted[std::string(rule.table)] = total;
  }
  return deleted;
}

}  // namespace dai::store
