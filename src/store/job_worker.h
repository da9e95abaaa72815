// JobWorker: runs durable jobs from JobRepository on N threads. Each thread claims one due job
// at a time for a kind it has a handler for, runs the handler, and records the outcome
// (Complete on OK, Fail with backoff otherwise; INVALID_ARGUMENT from a handler is permanent).
// A background thread renews the lease of every running job every lease/3; when a renewal
// fails (lease lost or job cancelled) the job's JobControl reports cancelled() so the handler
// can stop early; its outcome is then discarded. Stop() stops claiming, lets running handlers
// finish and joins the threads. The clock gives timestamps (leases, run_after); waiting between
// polls uses real time.
// Thread-safety: Register before Start; Start/Stop from one thread; stats() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/job_repository.h"

namespace dai::store {

//! What a running handler may ask of the worker. Owned by the worker; valid during the call.
class JobControl {
 public:
  //! True once the lease was lost or the job cancelled; the handler should return soon.
  bool cancelled() const { return cancelled_.load(); }
  //! The same flag, for code that polls an atomic (the pipeline runner).
  const std::atomic<bool>* cancel_flag() const { return &cancelled_; }
  //! Asks the worker to enqueue the next run of this job (same kind, payload and
  //! singleton_key) at `at` when it finishes, in the same transaction (periodic schedules).
  void RescheduleAt(TimePoint at) {
    std::lock_guard<std::mutex> lock(mu_);
    reschedule_at_ = at;
  }
  //! The result JSON text recorded on success (default "{}").
  void SetResult(std::string json) {
    std::lock_guard<std::mutex> lock(mu_);
    result_ = std::move(json);
  }

 private:
  friend class JobWorker;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::optional<TimePoint> reschedule_at_;
  std::string result_ = "{}";
};

using JobHandler = std::function<Status(const Job&, JobControl&)>;

struct JobWorkerOptions {
  std::string owner;  //!< lease owner id; NewProcessId() when empty
  int threads = 2;
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(500)};
  RetryPolicy retry;
  uint64_t jitter_seed = 0;  //!< seeds the worker's own jitter generator (0 = random)
};

struct JobWorkerStats {
  int64_t succeeded = 0;
  int64_t failed = 0;  //!< failed attempts that will be retried
  int64_t dead = 0;
  int64_t lost = 0;  //!< outcomes discarded because the lease was lost
  int64_t store_errors = 0;
};

class JobWorker {
 public:
  JobWorker(JobRepository& jobs, const Clock& clock, JobWorkerOptions options);
  ~JobWorker();  //!< calls Stop()
  JobWorker(const JobWorker&) = delete;
  JobWorker& operator=(const JobWorker&) = delete;

  //! Registers the handler for `kind` (replacing any). Must precede Start.
  void Register(const std::string& kind, JobHandler handler);
  //! Starts the threads. FAILED_PRECONDITION when already started or no handler registered.
  Status Start();
  //! Stops claiming, waits for running handlers, joins. Idempotent.
  void Stop();
  //! Wakes idle threads to poll now (e.g. after Enqueue in this process).
  void Notify();
  //! Claims and runs due jobs on the calling thread until none is due or `max_jobs` ran;
  //! returns how many ran. For tests and one-shot CLI use; does not need Start.
  Result<int> RunDue(int max_jobs = 1000);
  JobWorkerStats stats() const;
  const std::string& owner() const { return options_.owner; }

 private:
  void ThreadMain();
  void RenewMain();
  //! Claims one job and runs it; false when none was due.
  Result<bool> RunOne();
  double NextJitter();

  JobRepository& jobs_;
  const Clock& clock_;
  JobWorkerOptions options_;
  std::map<std::string, JobHandler> handlers_;
  std::vector<std::string> kinds_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  std::map<int64_t, JobControl*> running_;
  std::vector<std::thread> threads_;
  std::thread renewer_;

  std::mutex rng_mu_;
  std::mt19937_64 rng_;

  std::atomic<int64_t> succeeded_{0}, failed_{0}, dead_{0}, lost_{0}, store_errors_{0};
};

}  // namespace dai::store
