// JobRepository: the durable `jobs` table: background work that survives restarts and is
// shared by every process on one database. Life of a job:
//   queued --Claim--> running --Complete--> succeeded
//                        |------Fail------> queued again (run_after = now + backoff)
//                        |                  or dead (attempts == max_attempts, or permanent)
//                        |--lease expires-> claimable again (its process died)
//   queued|running --Cancel--> cancelled
// A claim takes a lease (lease_owner, lease_expires_at); only the owner may renew, complete or
// fail it, and those calls fail with FAILED_PRECONDITION once the lease is lost (expired and
// taken by someone else, or cancelled). Claims never hand one job to two owners: PostgreSQL
// uses FOR UPDATE SKIP LOCKED, SQLite a BEGIN IMMEDIATE transaction (one claimer at a time).
// singleton_key is unique among unfinished (queued/running) jobs: a schedule keeps exactly one
// pending job across all processes (EnsureScheduled).
// Time is always a parameter (`now`), so tests drive it with a FakeClock.
// Thread-safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/database.h"

namespace dai::store {

enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kDead, kCancelled };
std::string_view JobStateName(JobState state);  //!< "queued", "running" ...
std::optional<JobState> ParseJobState(std::string_view name);

struct Job {
  int64_t id = 0;
  std::string kind;
  std::string payload;  //!< JSON text
  JobState state = JobState::kQueued;
  int attempts = 0;  //!< claims so far (incremented by Claim)
  int max_attempts = 5;
  TimePoint run_after;
  std::optional<std::string> lease_owner;
  std::optional<TimePoint> lease_expires_at;
  std::optional<std::string> last_error;
  std::optional<std::string> result;  //!< JSON text
  std::optional<std::string> singleton_key;
  TimePoint created_at;
  TimePoint updated_at;
};

struct NewJob {
  std::string kind;
  std::string payload = "{}";  //!< JSON text
  TimePoint run_after;         //!< earliest start; usually now
  int max_attempts = 5;
  std::optional<std::string> singleton_key;
};

//! Exponential backoff: delay = min(cap, base * 2^(attempts-1)), then scaled by
//! (1 - jitter_fraction * jitter) where jitter in [0,1) is supplied by the caller.
struct RetryPolicy {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds cap{std::chrono::minutes(10)};
  double jitter_fraction = 0.5;
};

//! The delay before retry number `attempts` (attempts >= 1 claims made so far).
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempts, double jitter);

class JobRepository {
 public:
  explicit JobRepository(Database& db) : db_(db) {}

  //! Inserts a queued job; returns its id. CONFLICT when singleton_key names an unfinished job;
  //! INVALID_ARGUMENT when the payload is not JSON, kind is empty or max_attempts < 1.
  Result<int64_t> Enqueue(const NewJob& job, TimePoint now);
  //! One pending job per schedule: inserts a queued job for `singleton_key` unless an unfinished
  //! job with that key exists. Returns the id of the new or the existing job. Safe to call from
  //! every process at start.
  Result<int64_t> EnsureScheduled(const std::string& kind, const std::string& singleton_key,
                                  const std::string& payload, TimePoint next_run, TimePoint now,
                                  int max_attempts = 3);
  //! Claims up to `limit` jobs of the given kinds (all kinds when empty) that are due
  //! (queued with run_after <= now, or running with an expired lease), oldest run_after first:
  //! sets state running, lease_owner = owner, lease_expires_at = now + lease, attempts + 1.
  //! A job whose lease expired after its last allowed attempt becomes dead instead.
  Result<std::vector<Job>> Claim(const std::string& owner, const std::vector<std::string>& kinds,
                                 std::chrono::milliseconds lease, TimePoint now, int limit = 1);
  //! Extends the lease to now + lease. FAILED_PRECONDITION when `owner` no longer holds it.
  Status RenewLease(int64_t id, const std::string& owner, std::chrono::milliseconds lease,
                    TimePoint now);
  //! Marks the job succeeded with `result_json`. When `reschedule_at` is set, also enqueues the
  //! next run of the same kind/payload/singleton_key in the same transaction (periodic work).
  //! FAILED_PRECONDITION when the lease was lost (nothing changes).
  Status Complete(int64_t id, const std::string& owner, const std::string& result_json,
                  TimePoint now, std::optional<TimePoint> reschedule_at = std::nullopt);
  //! Records a failed attempt: queued again at now + BackoffDelay(policy, attempts, jitter), or
  //! dead when attempts >= max_attempts or `permanent`. A dead job with `reschedule_at` set
  //! enqueues its successor as Complete does. FAILED_PRECONDITION when the lease was lost.
  Status Fail(int64_t id, const std::string& owner, const std::string& error, TimePoint now,
              const RetryPolicy& policy, double jitter, bool permanent = false,
              std::optional<TimePoint> reschedule_at = std::nullopt);
  //! Cancels a queued or running job (a running handler notices at its next lease renewal).
  //! NOT_FOUND when absent; FAILED_PRECONDITION when already finished.
  Status Cancel(int64_t id, TimePoint now);
  //! NOT_FOUND when absent.
  Result<Job> Get(int64_t id);
  //! Newest first, optionally only one state and/or kind.
  Result<std::vector<Job>> List(std::optional<JobState> state = std::nullopt,
                                std::optional<std::string> kind = std::nullopt,
                                int64_t limit = 100);
  //! Number of jobs in each state (every state present, zero included), for /metrics.
  Result<std::map<std::string, int64_t>> CountByState();
  //! Deletes finished jobs (succeeded/failed/dead/cancelled) last updated before `before`.
  Result<int64_t> DeleteFinishedBefore(TimePoint before);

 private:
  Database& db_;
};

}  // namespace dai::store
