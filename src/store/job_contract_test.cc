// Durable jobs on both backends: claims, leases, expiry, retries with backoff, dead jobs,
// schedules, and workers in two "processes" (two Database pools) running each job once.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "store/job_repository.h"
#include "store/job_worker.h"
#include "store/test_backends.h"

namespace dai::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Backend;
using testing::BackendTest;

class JobTest : public BackendTest {
 protected:
  FakeClock clock_{1'764'343'164'000};
  NewJob Job(std::string kind, std::string payload = "{}") {
    NewJob j;
    j.kind = std::move(kind);
    j.payload = std::move(payload);
    j.run_after = clock_.Now();
    return j;
  }
};

TEST(BackoffTest, DoublesFromBaseUpToCapWithCallerJitter) {
  RetryPolicy p{milliseconds(1000), milliseconds(60000), 0.5};
  EXPECT_EQ(BackoffDelay(p, 1, 0.0), milliseconds(1000));
  EXPECT_EQ(BackoffDelay(p, 2, 0.0), milliseconds(2000));
  EXPECT_EQ(BackoffDelay(p, 4, 0.0), milliseconds(8000));
  EXPECT_EQ(BackoffDelay(p, 10, 0.0), milliseconds(60000));
  EXPECT_EQ(BackoffDelay(p, 100, 0.0), milliseconds(60000));
  EXPECT_EQ(BackoffDelay(p, 2, 1.0), milliseconds(1000));
  EXPECT_EQ(BackoffDelay(p, 2, 0.5), milliseconds(1500));
}

TEST_P(JobTest, EnqueueClaimComplete) {
  JobRepository jobs(db());
  auto id = jobs.Enqueue(Job("scan", R"({"target":"repo"})"), clock_.Now());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  NewJob later = Job("scan");
  later.run_after = clock_.Now() + seconds(60);
  ASSERT_TRUE(jobs.Enqueue(later, clock_.Now()).ok());
  EXPECT_EQ(jobs.Enqueue(Job("scan", "{bad"), clock_.Now()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(jobs.Enqueue(Job(""), clock_.Now()).status().code(), StatusCode::kInvalidArgument);

  auto other_kind = jobs.Claim("w1", {"report"}, seconds(30), clock_.Now(), 10);
  ASSERT_TRUE(other_kind.ok()) << other_kind.status().ToString();
  EXPECT_TRUE(other_kind->empty());

  auto claimed = jobs.Claim("w1", {"scan"}, seconds(30), clock_.Now(), 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  ASSERT_EQ(claimed->size(), 1u);  // the other is not due yet
  const store::Job& j = claimed->front();
  EXPECT_EQ(j.id, *id);
  EXPECT_EQ(j.state, JobState::kRunning);
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.payload, R"({"target":"repo"})");
  EXPECT_EQ(j.lease_owner, std::optional<std::string>("w1"));
  EXPECT_EQ(j.lease_expires_at, std::optional<TimePoint>(clock_.Now() + seconds(30)));

  auto again = jobs.Claim("w2", {}, seconds(30), clock_.Now(), 10);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());

  EXPECT_EQ(jobs.Complete(*id, "w2", "{}", clock_.Now()).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(jobs.Complete(*id, "w1", R"({"found":3})", clock_.Now()).ok());
  auto done = jobs.Get(*id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, JobState::kSucceeded);
  EXPECT_EQ(done->result, std::optional<std::string>(R"({"found":3})"));
  EXPECT_FALSE(done->lease_owner.has_value());
  EXPECT_EQ(jobs.Complete(*id, "w1", "{}", clock_.Now()).code(), StatusCode::kFailedPrecondition);

  clock_.Advance(seconds(61));
  auto second = jobs.Claim("w1", {}, seconds(30), clock_.Now(), 10);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->size(), 1u);

  auto counts = jobs.CountByState();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->at("succeeded"), 1);
  EXPECT_EQ(counts->at("running"), 1);
  EXPECT_EQ(counts->at("queued"), 0);
  EXPECT_EQ(counts->at("dead"), 0);
  EXPECT_EQ(counts->size(), 6u);
}

TEST_P(JobTest, ClaimTakesAtMostLimitOldestDueFirst) {
  JobRepository jobs(db());
  std::vector<int64_t> ids;
  for (int job_idx = 0; job_idx < 5; ++job_idx) {
    NewJob j = Job("k");
    j.run_after = clock_.Now() - seconds(10 * (5 - job_idx));  // earlier ids are older
    auto id = jobs.Enqueue(j, clock_.Now());
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  auto first = jobs.Claim("w", {"k"}, seconds(30), clock_.Now(), 2);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].id, ids[0]);
  EXPECT_EQ((*first)[1].id, ids[1]);
  auto rest = jobs.Claim("w", {"k"}, seconds(30), clock_.Now(), 10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].id, ids[2]);
  auto counts = jobs.CountByState();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->at("running"), 5);
}

TEST_P(JobTest, ExpiredLeaseIsClaimedAgainAndOldOwnerLosesIt) {
  JobRepository jobs(db());
  auto id = jobs.Enqueue(Job("k"), clock_.Now());
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(jobs.Claim("dead-process", {}, seconds(30), clock_.Now(), 1)->size(), 1u);
  clock_.Advance(seconds(20));
  ASSERT_TRUE(jobs.RenewLease(*id, "dead-process", seconds(30), clock_.Now()).ok());
  EXPECT_EQ(jobs.RenewLease(*id, "someone-else", seconds(30), clock_.Now()).code(),
            StatusCode::kFailedPrecondition);
  clock_.Advance(seconds(29));  // lease runs to +50s; now +49s
  EXPECT_TRUE(jobs.Claim("w2", {}, seconds(30), clock_.Now(), 1)->empty());
  clock_.Advance(seconds(2));
  auto reclaimed = jobs.Claim("w2", {}, seconds(30), clock_.Now(), 1);
  ASSERT_TRUE(reclaimed.ok());
  ASSERT_EQ(reclaimed->size(), 1u);
  EXPECT_EQ(reclaimed->front().attempts, 2);
  EXPECT_EQ(reclaimed->front().lease_owner, std::optional<std::string>("w2"));
  EXPECT_EQ(jobs.RenewLease(*id, "dead-process", seconds(30), clock_.Now()).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(jobs.Complete(*id, "dead-process", "{}", clock_.Now()).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(jobs.Complete(*id, "w2", "{}", clock_.Now()).ok());
}

TEST_P(JobTest, ExpiredLeaseAfterLastAttemptMakesTheJobDead) {
  JobRepository jobs(db());
  NewJob j = Job("k");
  j.max_attempts = 1;
  auto id = jobs.Enqueue(j, clock_.Now());
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(jobs.Claim("w1", {}, seconds(10), clock_.Now(), 1)->size(), 1u);
  clock_.Advance(seconds(11));
  EXPECT_TRUE(jobs.Claim("w2", {}, seconds(10), clock_.Now(), 1)->empty());
  auto got = jobs.Get(*id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, JobState::kDead);
  EXPECT_TRUE(got->last_error.has_value());
}

TEST_P(JobTest, FailRetriesWithExponentialBackoffThenDies) {
  JobRepository jobs(db());
  NewJob j = Job("flaky");
  j.max_attempts = 3;
  auto id = jobs.Enqueue(j, clock_.Now());
  ASSERT_TRUE(id.ok());
  RetryPolicy policy{milliseconds(1000), milliseconds(60000), 0.5};
  const milliseconds expected_delays[] = {milliseconds(1000), milliseconds(2000)};
  for (milliseconds delay : expected_delays) {
    auto c = jobs.Claim("w", {}, seconds(30), clock_.Now(), 1);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->size(), 1u);
    ASSERT_TRUE(jobs.Fail(*id, "w", "connection refused", clock_.Now(), policy, 0.0).ok());
    auto got = jobs.Get(*id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->state, JobState::kQueued);
    EXPECT_EQ(got->run_after, clock_.Now() + delay);
    EXPECT_EQ(got->last_error, std::optional<std::string>("connection refused"));
    clock_.Advance(delay - milliseconds(1));
    EXPECT_TRUE(jobs.Claim("w", {}, seconds(30), clock_.Now(), 1)->empty());
    clock_.Advance(milliseconds(1));
  }
  auto last = jobs.Claim("w", {}, seconds(30), clock_.Now(), 1);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ(last->front().attempts, 3);
  ASSERT_TRUE(jobs.Fail(*id, "w", "still refused", clock_.Now(), policy, 0.0).ok());
  auto dead = jobs.Get(*id);
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(dead->state, JobState::kDead);
  clock_.Advance(std::chrono::hours(1));
  EXPECT_TRUE(jobs.Claim("w", {}, seconds(30), clock_.Now(), 1)->empty());

  // A permanent failure dies at once; a lost lease cannot fail the job.
  auto p = jobs.Enqueue(Job("bad-input"), clock_.Now());
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(jobs.Claim("w", {}, seconds(30), clock_.Now(), 1)->size(), 1u);
  EXPECT_EQ(jobs.Fail(*p, "other", "x", clock_.Now(), policy, 0.0).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(jobs.Fail(*p, "w", "invalid payload", clock_.Now(), policy, 0.0, true).ok());
  EXPECT_EQ(jobs.Get(*p)->state, JobState::kDead);
}

TEST_P(JobTest, CancelQueuedAndRunning) {
  JobRepository jobs(db());
  auto a = jobs.Enqueue(Job("k"), clock_.Now());
  auto b = jobs.Enqueue(Job("k"), clock_.Now());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(jobs.Cancel(*a, clock_.Now()).ok());
  auto c = jobs.Claim("w", {}, seconds(30), clock_.Now(), 5);
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ(c->front().id, *b);
  ASSERT_TRUE(jobs.Cancel(*b, clock_.Now()).ok());
  EXPECT_EQ(jobs.RenewLease(*b, "w", seconds(30), clock_.Now()).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(jobs.Complete(*b, "w", "{}", clock_.Now()).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(jobs.Cancel(*b, clock_.Now()).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(jobs.Cancel(987654, clock_.Now()).code(), StatusCode::kNotFound);
  auto cancelled = jobs.List(JobState::kCancelled);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->size(), 2u);
  auto removed = jobs.DeleteFinishedBefore(clock_.Now() + seconds(1));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2);
}

TEST_P(JobTest, SingletonScheduleHasOnePendingJob) {
  JobRepository jobs(db());
  auto first = jobs.EnsureScheduled("detect", "detect:cpu", "{}", clock_.Now(), clock_.Now());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = jobs.EnsureScheduled("detect", "detect:cpu", "{}", clock_.Now(), clock_.Now());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  NewJob dup = Job("detect");
  dup.singleton_key = "detect:cpu";
  EXPECT_EQ(jobs.Enqueue(dup, clock_.Now()).status().code(), StatusCode::kConflict);

  // Running still counts as pending; completing with a reschedule queues the next run.
  ASSERT_EQ(jobs.Claim("w", {}, seconds(30), clock_.Now(), 1)->size(), 1u);
  auto while_running =
      jobs.EnsureScheduled("detect", "detect:cpu", "{}", clock_.Now(), clock_.Now());
  ASSERT_TRUE(while_running.ok());
  EXPECT_EQ(*while_running, *first);
  ASSERT_TRUE(jobs.Complete(*first, "w", "{}", clock_.Now(), clock_.Now() + seconds(60)).ok());
  auto queued = jobs.List(JobState::kQueued);
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ(queued->front().singleton_key, std::optional<std::string>("detect:cpu"));
  EXPECT_EQ(queued->front().run_after, clock_.Now() + seconds(60));
  auto ensured = jobs.EnsureScheduled("detect", "detect:cpu", "{}", clock_.Now(), clock_.Now());
  ASSERT_TRUE(ensured.ok());
  EXPECT_EQ(*ensured, queued->front().id);
}

TEST_P(JobTest, ConcurrentEnsureScheduledFromTwoProcessesCreatesOneJob) {
  auto other = test_db().OpenAnother();
  ASSERT_TRUE(other.ok());
  JobRepository a(db()), b(**other);
  std::vector<int64_t> ids_a, ids_b;
  Status err;
  std::mutex mu;
  auto run = [&](JobRepository& jobs, std::vector<int64_t>& ids) {
    for (int i = 0; i < 20; ++i) {
      auto id = jobs.EnsureScheduled("scan", "scan:nightly", "{}", clock_.Now(), clock_.Now());
      if (!id.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        err = id.status();
        return;
      }
      ids.push_back(*id);
    }
  };
  std::thread t1([&] { run(a, ids_a); });
  std::thread t2([&] { run(b, ids_b); });
  t1.join();
  t2.join();
  ASSERT_TRUE(err.ok()) << err.ToString();
  std::set<int64_t> distinct(ids_a.begin(), ids_a.end());
  distinct.insert(ids_b.begin(), ids_b.end());
  EXPECT_EQ(distinct.size(), 1u);
}

TEST_P(JobTest, WorkerRunsHandlersRetriesAndReschedules) {
  JobRepository jobs(db());
  JobWorkerOptions options;
  options.owner = "test-worker";
  options.retry = RetryPolicy{milliseconds(500), milliseconds(10000), 0.0};
  options.jitter_seed = 7;
  JobWorker worker(jobs, clock_, options);
  int flaky_calls = 0;
  worker.Register("flaky", [&](const store::Job& job, JobControl& control) -> Status {
    ++flaky_calls;
    if (job.attempts < 2) return Status::Unavailable("not yet");
    control.SetResult(R"({"ok":true})");
    return Status::Ok();
  });
  worker.Register("invalid", [&](const store::Job&, JobControl&) -> Status {
    return Status::InvalidArgument("payload lacks a target");
  });
  int periodic_calls = 0;
  worker.Register("periodic", [&](const store::Job&, JobControl& control) -> Status {
    ++periodic_calls;
    control.RescheduleAt(clock_.Now() + seconds(300));
    return Status::Ok();
  });
  auto flaky = jobs.Enqueue(Job("flaky"), clock_.Now());
  auto invalid = jobs.Enqueue(Job("invalid"), clock_.Now());
  auto periodic = jobs.EnsureScheduled("periodic", "p", "{}", clock_.Now(), clock_.Now());
  auto unknown = jobs.Enqueue(Job("nobody-handles-this"), clock_.Now());
  ASSERT_TRUE(flaky.ok() && invalid.ok() && periodic.ok() && unknown.ok());

  auto ran = worker.RunDue();
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  EXPECT_EQ(*ran, 3);
  EXPECT_EQ(jobs.Get(*flaky)->state, JobState::kQueued);
  EXPECT_EQ(jobs.Get(*flaky)->run_after, clock_.Now() + milliseconds(500));
  EXPECT_EQ(jobs.Get(*invalid)->state, JobState::kDead);
  EXPECT_EQ(jobs.Get(*periodic)->state, JobState::kSucceeded);
  EXPECT_EQ(jobs.Get(*unknown)->state, JobState::kQueued);  // never claimed by this worker

  clock_.Advance(milliseconds(500));
  ran = worker.RunDue();
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, 1);
  EXPECT_EQ(flaky_calls, 2);
  auto done = jobs.Get(*flaky);
  EXPECT_EQ(done->state, JobState::kSucceeded);
  EXPECT_EQ(done->result, std::optional<std::string>(R"({"ok":true})"));

  clock_.Advance(seconds(300));
  ran = worker.RunDue();
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, 1);
  EXPECT_EQ(periodic_calls, 2);
  const JobWorkerStats stats = worker.stats();
  EXPECT_EQ(stats.succeeded, 3);
  EXPECT_EQ(stats.failed, 1);
  EXPECT_EQ(stats.dead, 1);
  EXPECT_EQ(stats.store_errors, 0);
}

// A store that is away for the first `failures` attempts to record a job's success (a
// database restart between the handler's work and its completion).
class CompletionOutage final : public Database {
 public:
  CompletionOutage(Database& inner, int failures) : inner_(inner), failures_(failures) {}
  Dialect dialect() const override { return inner_.dialect(); }
  Result<QueryResult> Query(std::string_view sql, const Params& params) override {
    if (sql.find("SET state = 'succeeded'") != std::string_view::npos && failures_ > 0) {
      --failures_;
      return Status::Unavailable("store: connection lost (injected)");
    }
    return inner_.Query(sql, params);
  }
  Status Transaction(const std::function<Status(Connection&)>& fn) override {
    return inner_.Transaction(fn);
  }
  Status Ping() override { return inner_.Ping(); }
  std::string Describe() const override { return inner_.Describe(); }
  int failures() const { return failures_; }

 private:
  Database& inner_;
  int failures_;
};

TEST_P(JobTest, WorkerRetriesRecordingAnOutcomeWhileTheStoreIsAway) {
  CompletionOutage outage(db(), 2);
  JobRepository jobs(outage);
  JobWorkerOptions options;
  options.owner = "test-worker";
  JobWorker worker(jobs, clock_, options);
  int calls = 0;
  worker.Register("once", [&](const store::Job&, JobControl&) -> Status {
    ++calls;
    return Status::Ok();
  });
  auto id = jobs.Enqueue(Job("once"), clock_.Now());
  ASSERT_TRUE(id.ok());
  auto ran = worker.RunDue();
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  EXPECT_EQ(*ran, 1);
  EXPECT_EQ(outage.failures(), 0);
  // Recorded on the third attempt: the job is done and is not claimed (run) again.
  EXPECT_EQ(jobs.Get(*id)->state, JobState::kSucceeded);
  clock_.Advance(options.lease + seconds(1));
  ran = worker.RunDue();
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, 0);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(worker.stats().succeeded, 1);
  EXPECT_EQ(worker.stats().store_errors, 2);
}

TEST_P(JobTest, WorkerRenewsLeasesAndNoticesCancellation) {
  JobRepository jobs(db());
  JobWorkerOptions options;
  options.owner = "renewer";
  options.threads = 1;
  options.lease = milliseconds(300);  // renewed every 100 ms of real time
  options.poll_interval = milliseconds(20);
  SystemClock real;
  JobWorker worker(jobs, real, options);
  std::atomic<bool> started{false}, saw_cancel{false};
  worker.Register("long", [&](const store::Job&, JobControl& control) -> Status {
    started = true;
    // Runs well past its lease: only renewal keeps it. Stops when cancelled.
    for (int i = 0; i < 300 && !control.cancelled(); ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    saw_cancel = control.cancelled();
    return Status::Ok();
  });
  NewJob long_job;
  long_job.kind = "long";
  long_job.run_after = real.Now();
  auto id = jobs.Enqueue(long_job, real.Now());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(worker.Start().ok());
  while (!started) std::this_thread::sleep_for(milliseconds(5));
  std::this_thread::sleep_for(milliseconds(900));  // three leases long
  auto mid = jobs.Get(*id);
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid->state, JobState::kRunning);
  EXPECT_GT(*mid->lease_expires_at, real.Now());  // renewed, not expired
  EXPECT_TRUE(jobs.Claim("thief", {}, milliseconds(300), real.Now(), 1)->empty());
  ASSERT_TRUE(jobs.Cancel(*id, real.Now()).ok());
  worker.Stop();
  EXPECT_TRUE(saw_cancel.load());
  EXPECT_EQ(jobs.Get(*id)->state, JobState::kCancelled);
  EXPECT_EQ(worker.stats().lost, 1);
}

// Two worker "processes" (two Database objects, two pools) with two threads each on one
// database: each of 200 jobs runs exactly once. Each handler records its job id in a table
// with a UNIQUE constraint and in memory.
TEST_P(JobTest, TwoWorkersOnOneDatabaseRunEveryJobExactlyOnce) {
  constexpr int kJobs = 200;
  ASSERT_TRUE(db().Query("CREATE TABLE job_runs (job_id BIGINT NOT NULL UNIQUE, owner TEXT)").ok());
  auto second_db = test_db().OpenAnother();
  ASSERT_TRUE(second_db.ok()) << second_db.status().ToString();
  JobRepository repo_a(db()), repo_b(**second_db);
  SystemClock real;
  for (int job_idx = 0; job_idx < kJobs; ++job_idx) {
    NewJob work;
    work.kind = "work";
    work.run_after = real.Now();
    ASSERT_TRUE(repo_a.Enqueue(work, real.Now()).ok());
  }
  std::mutex mu;
  std::map<int64_t, int> runs;
  std::atomic<int> insert_failures{0};
  auto make_handler = [&](Database& handler_db, std::string owner) {
    return [&, owner, db_ptr = &handler_db](const store::Job& job, JobControl&) -> Status {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++runs[job.id];
      }
      std::this_thread::sleep_for(milliseconds(3));  // some work, so both pools take part
      auto r = db_ptr->Query("INSERT INTO job_runs (job_id, owner) VALUES (?, ?)", {job.id, owner});
      if (!r.ok()) ++insert_failures;
      return r.status();
    };
  };
  JobWorkerOptions oa;
  oa.owner = "process-a";
  oa.threads = 2;
  oa.lease = seconds(30);
  oa.poll_interval = milliseconds(20);
  JobWorkerOptions ob = oa;
  ob.owner = "process-b";
  JobWorker worker_a(repo_a, real, oa), worker_b(repo_b, real, ob);
  worker_a.Register("work", make_handler(db(), "a"));
  worker_b.Register("work", make_handler(**second_db, "b"));
  ASSERT_TRUE(worker_a.Start().ok());
  ASSERT_TRUE(worker_b.Start().ok());
  const auto deadline = std::chrono::steady_clock::now() + seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    auto counts = repo_a.CountByState();
    if (counts.ok() &&
        counts->at("succeeded") + counts->at("dead") + counts->at("failed") >= kJobs) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  worker_a.Stop();
  worker_b.Stop();
  EXPECT_EQ(insert_failures.load(), 0);
  EXPECT_EQ(runs.size(), static_cast<size_t>(kJobs));
  for (const auto& [id, n] : runs) EXPECT_EQ(n, 1) << "job " << id << " ran " << n << " times";
  auto recorded = db().Query("SELECT COUNT(*), COUNT(DISTINCT job_id) FROM job_runs");
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->rows[0].GetInt(size_t{0}), kJobs);
  EXPECT_EQ(recorded->rows[0].GetInt(size_t{1}), kJobs);
  auto counts = repo_b.CountByState();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->at("succeeded"), kJobs);
  const auto sa = worker_a.stats(), sb = worker_b.stats();
  EXPECT_EQ(sa.succeeded + sb.succeeded, kJobs);
  EXPECT_EQ(sa.lost + sb.lost, 0);
  // Both processes took part (with 200 jobs and 4 threads, one starving is a bug).
  EXPECT_GT(sa.succeeded, 0);
  EXPECT_GT(sb.succeeded, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, JobTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace dai::store
