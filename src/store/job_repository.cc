#include "store/job_repository.h"

#include <algorithm>
#include <cmath>

#include "store/repository_util.h"

namespace dai::store {
namespace {

constexpr std::string_view kColumns =
    "id, kind, payload, state, attempts, max_attempts, run_after, lease_owner, lease_expires_at, "
    "last_error, result, singleton_key, created_at, updated_at";

constexpr JobState kAllStates[] = {JobState::kQueued, JobState::kRunning, JobState::kSucceeded,
                                   JobState::kFailed, JobState::kDead,    JobState::kCancelled};

Job FromRow(const Row& row) {
  Job j;
  j.id = row.GetInt("id");
  j.kind = row.GetString("kind");
  j.payload = internal::CompactJson(row.GetString("payload"));
  j.state = ParseJobState(row.GetString("state")).value_or(JobState::kFailed);
  j.attempts = static_cast<int>(row.GetInt("attempts"));
  j.max_attempts = static_cast<int>(row.GetInt("max_attempts"));
  j.run_after = row.GetTime("run_after");
  j.lease_owner = row.GetOptString("lease_owner");
  j.lease_expires_at = row.GetOptTime("lease_expires_at");
  j.last_error = row.GetOptString("last_error");
  if (auto r = row.GetOptString("result")) j.result = internal::CompactJson(*r);
  j.singleton_key = row.GetOptString("singleton_key");
  j.created_at = row.GetTime("created_at");
  j.updated_at = row.GetTime("updated_at");
  return j;
}

// Enqueues the successor of a periodic job inside the caller's transaction.
Status InsertSuccessor(Connection& conn, const Row& job, TimePoint run_after, TimePoint now) {
  return conn
      .Query(
          "INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_after, "
          "singleton_key, created_at, updated_at) VALUES (?, ?, 'queued', 0, ?, ?, ?, ?, ?)",
          {job.GetString("kind"), job.GetString("payload"), job.GetInt("max_attempts"), run_after,
           internal::OptParam(job.GetOptString("singleton_key")), now, now})
      .status();
}

Status LeaseLost(int64_t id) {
  return Status::FailedPrecondition("job " + std::to_string(id) + ": lease lost");
}

}  // namespace

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kSucceeded:
      return "succeeded";
    case JobState::kFailed:
      return "failed";
    case JobState::kDead:
      return "dead";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "failed";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (JobState s : kAllStates) {
    if (JobStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempts, double jitter) {
  const int exponent = std::clamp(attempts - 1, 0, 62);
  const double raw = static_cast<double>(policy.base.count()) * std::ldexp(1.0, exponent);
  const double capped = std::min(raw, static_cast<double>(policy.cap.count()));
  const double j = std::clamp(jitter, 0.0, 1.0);
  const double fraction = std::clamp(policy.jitter_fraction, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(capped * (1.0 - fraction * j)));
}

Result<int64_t> JobRepository::Enqueue(const NewJob& job, TimePoint now) {
  if (job.kind.empty()) return Status::InvalidArgument("job kind is empty");
  if (job.max_attempts < 1) return Status::InvalidArgument("job max_attempts must be >= 1");
  DAI_RETURN_IF_ERROR(internal::CheckJson(job.payload, "job payload"));
  auto id = internal::InsertReturningId(
      db_,
      "INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_after, singleton_key, "
      "created_at, updated_at) VALUES (?, ?, 'queued', 0, ?, ?, ?, ?, ?) RETURNING id",
      {job.kind, job.payload, int64_t{job.max_attempts}, job.run_after,
       internal::OptParam(job.singleton_key), now, now});
  if (!id.ok() && id.status().code() == StatusCode::kConflict) {
    return Status::Conflict("an unfinished job with singleton key '" +
                            job.singleton_key.value_or("") + "' exists");
  }
  return id;
}

Result<int64_t> JobRepository::EnsureScheduled(const std::string& kind,
                                               const std::string& singleton_key,
                                               const std::string& payload, TimePoint next_run,
                                               TimePoint now, int max_attempts) {
  if (kind.empty() || singleton_key.empty()) {
    return Status::InvalidArgument("scheduled job needs a kind and a singleton key");
  }
  DAI_RETURN_IF_ERROR(internal::CheckJson(payload, "job payload"));
  // The conflict target names the partial unique index, so a racing process inserts nothing.
  DAI_ASSIGN_OR_RETURN(
      auto inserted,
      db_.Query("INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_after, "
                "singleton_key, created_at, updated_at) VALUES (?, ?, 'queued', 0, ?, ?, ?, ?, ?) "
                "ON CONFLICT (singleton_key) WHERE state IN ('queued','running') DO NOTHING "
                "RETURNING id",
                {kind, payload, int64_t{max_attempts}, next_run, singleton_key, now, now}));
  if (!inserted.rows.empty()) return inserted.rows[0].GetInt(size_t{0});
  DAI_ASSIGN_OR_RETURN(auto existing,
                       db_.Query("SELECT id FROM jobs WHERE singleton_key = ? AND state IN "
                                 "('queued','running')",
                                 {singleton_key}));
  if (existing.rows.empty()) {
    // Finished between our insert and select: rare; one more try settles it.
    return EnsureScheduled(kind, singleton_key, payload, next_run, now, max_attempts);
  }
  return existing.rows[0].GetInt(size_t{0});
}

Result<std::vector<Job>> JobRepository::Claim(const std::string& owner,
                                              const std::vector<std::string>& kinds,
                                              std::chrono::milliseconds lease, TimePoint now,
                                              int limit) {
  std::vector<Job> claimed;
  const bool pg = db_.dialect() == Dialect::kPostgres;
  std::string kind_filter;
  Params kind_params;
  if (!kinds.empty()) {
    kind_filter = " AND kind IN (";
    for (size_t kind_idx = 0; kind_idx < kinds.size(); ++kind_idx) {
      kind_filter += kind_idx == 0 ? "?" : ", ?";
      kind_params.emplace_back(kinds[kind_idx]);
    }
    kind_filter += ")";
  }
  Status st = db_.Transaction([&](Connection& conn) -> Status {
    claimed.clear();
    // A job whose process died after its last allowed attempt is not run again.
    Params dead_params = {now, now};
    dead_params.insert(dead_params.end(), kind_params.begin(), kind_params.end());
    DAI_RETURN_IF_ERROR(
        conn.Query("UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, "
                   "last_error = 'lease expired after the last attempt', updated_at = ? "
                   "WHERE state = 'running' AND lease_expires_at < ? AND attempts >= max_attempts" +
                       kind_filter,
                   dead_params)
            .status());
    const std::string due =
        "((state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_expires_at < ?))" +
        kind_filter + " ORDER BY run_after, id LIMIT ?";
    const std::string set =
        "UPDATE jobs SET state = 'running', lease_owner = ?, lease_expires_at = ?, "
        "attempts = attempts + 1, updated_at = ? ";
    Params due_params = {now, now};
    due_params.insert(due_params.end(), kind_params.begin(), kind_params.end());
    due_params.emplace_back(int64_t{limit});
    const Params set_params = {owner, now + lease, now};
    std::string sql;
    Params params;
    if (pg) {
      // Lock the chosen rows once (a MATERIALIZED CTE is evaluated exactly once), skipping rows
      // another claimer holds, then update exactly those.
      sql = "WITH next AS MATERIALIZED (SELECT id AS next_id FROM jobs WHERE " + due +
            " FOR UPDATE SKIP LOCKED) " + set +
            "FROM next WHERE jobs.id = next.next_id RETURNING " + std::string(kColumns);
      params = due_params;
      params.insert(params.end(), set_params.begin(), set_params.end());
    } else {
      // SQLite: the surrounding BEGIN IMMEDIATE makes this the only writer.
      sql = set + "WHERE id IN (SELECT id FROM jobs WHERE " + due + ") RETURNING " +
            std::string(kColumns);
      params = set_params;
      params.insert(params.end(), due_params.begin(), due_params.end());
    }
    DAI_ASSIGN_OR_RETURN(auto r, conn.Query(sql, params));
    for (const Row& row : r.rows) claimed.push_back(FromRow(row));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  std::sort(claimed.begin(), claimed.end(), [](const Job& a, const Job& b) {
    return a.run_after != b.run_after ? a.run_after < b.run_after : a.id < b.id;
  });
  return claimed;
}

Status JobRepository::RenewLease(int64_t id, const std::string& owner,
                                 std::chrono::milliseconds lease, TimePoint now) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("UPDATE jobs SET lease_expires_at = ?, updated_at = ? "
                                         "WHERE id = ? AND state = 'running' AND lease_owner = ?",
                                         {now + lease, now, id, owner}));
  if (r.affected_rows == 0) return LeaseLost(id);
  return Status::Ok();
}

Status JobRepository::Complete(int64_t id, const std::string& owner, const std::string& result_json,
                               TimePoint now, std::optional<TimePoint> reschedule_at) {
  DAI_RETURN_IF_ERROR(internal::CheckJson(result_json, "job result"));
  if (!reschedule_at) {
    // One statement: no transaction round trips needed.
    DAI_ASSIGN_OR_RETURN(
        auto r, db_.Query("UPDATE jobs SET state = 'succeeded', result = ?, lease_owner = NULL, "
                          "lease_expires_at = NULL, last_error = NULL, updated_at = ? "
                          "WHERE id = ? AND state = 'running' AND lease_owner = ?",
                          {result_json, now, id, owner}));
    if (r.affected_rows == 0) return LeaseLost(id);
    return Status::Ok();
  }
  return db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto r, conn.Query("UPDATE jobs SET state = 'succeeded', result = ?, lease_owner = NULL, "
                           "lease_expires_at = NULL, last_error = NULL, updated_at = ? "
                           "WHERE id = ? AND state = 'running' AND lease_owner = ? "
                           "RETURNING kind, payload, max_attempts, singleton_key",
                           {result_json, now, id, owner}));
    if (r.rows.empty()) return LeaseLost(id);
    if (reschedule_at) DAI_RETURN_IF_ERROR(InsertSuccessor(conn, r.rows[0], *reschedule_at, now));
    return Status::Ok();
  });
}

Status JobRepository::Fail(int64_t id, const std::string& owner, const std::string& error,
                           TimePoint now, const RetryPolicy& policy, double jitter, bool permanent,
                           std::optional<TimePoint> reschedule_at) {
  return db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(auto cur,
                         conn.Query("SELECT attempts, max_attempts FROM jobs WHERE id = ? AND "
                                    "state = 'running' AND lease_owner = ?",
                                    {id, owner}));
    if (cur.rows.empty()) return LeaseLost(id);
    const int attempts = static_cast<int>(cur.rows[0].GetInt("attempts"));
    const int max_attempts = static_cast<int>(cur.rows[0].GetInt("max_attempts"));
    const bool dead = permanent || attempts >= max_attempts;
    const TimePoint run_after = now + BackoffDelay(policy, attempts, jitter);
    DAI_ASSIGN_OR_RETURN(
        auto r, conn.Query("UPDATE jobs SET state = ?, run_after = ?, last_error = ?, "
                           "lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
                           "WHERE id = ? AND state = 'running' AND lease_owner = ? "
                           "RETURNING kind, payload, max_attempts, singleton_key",
                           {std::string(dead ? "dead" : "queued"), dead ? now : run_after, error,
                            now, id, owner}));
    if (r.rows.empty()) return LeaseLost(id);
    if (dead && reschedule_at) {
      DAI_RETURN_IF_ERROR(InsertSuccessor(conn, r.rows[0], *reschedule_at, now));
    }
    return Status::Ok();
  });
}

Status JobRepository::Cancel(int64_t id, TimePoint now) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("UPDATE jobs SET state = 'cancelled', lease_owner = NULL, "
                                         "lease_expires_at = NULL, updated_at = ? "
                                         "WHERE id = ? AND state IN ('queued','running')",
                                         {now, id}));
  if (r.affected_rows > 0) return Status::Ok();
  DAI_ASSIGN_OR_RETURN(auto exists, db_.Query("SELECT state FROM jobs WHERE id = ?", {id}));
  if (exists.rows.empty()) return Status::NotFound("job " + std::to_string(id) + " does not exist");
  return Status::FailedPrecondition("job " + std::to_string(id) + " already finished (" +
                                    exists.rows[0].GetString(size_t{0}) + ")");
}

Result<Job> JobRepository::Get(int64_t id) {
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("SELECT " + std::string(kColumns) + " FROM jobs WHERE id = ?", {id}));
  if (r.rows.empty()) return Status::NotFound("job " + std::to_string(id) + " does not exist");
  return FromRow(r.rows[0]);
}

Result<std::vector<Job>> JobRepository::List(std::optional<JobState> state,
                                             std::optional<std::string> kind, int64_t limit) {
  std::string sql = "SELECT " + std::string(kColumns) + " FROM jobs WHERE 1 = 1";
  Params params;
  if (state) {
    sql += " AND state = ?";
    params.emplace_back(std::string(JobStateName(*state)));
  }
  if (kind) {
    sql += " AND kind = ?";
    params.emplace_back(*kind);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(limit);
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query(sql, params));
  std::vector<Job> out;
  out.reserve(r.rows.size());
  for (const Row& row : r.rows) out.push_back(FromRow(row));
  return out;
}

Result<std::map<std::string, int64_t>> JobRepository::CountByState() {
  std::map<std::string, int64_t> out;
  for (JobState s : kAllStates) out[std::string(JobStateName(s))] = 0;
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT state, COUNT(*) FROM jobs GROUP BY state"));
  for (const Row& row : r.rows) out[row.GetString(size_t{0})] = row.GetInt(size_t{1});
  return out;
}

Result<int64_t> JobRepository::DeleteFinishedBefore(TimePoint before) {
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("DELETE FROM jobs WHERE state IN ('succeeded','failed','dead','cancelled') "
                        "AND updated_at < ?",
                        {before}));
  return r.affected_rows;
}

}  // namespace dai::store
