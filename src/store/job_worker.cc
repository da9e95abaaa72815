#include "store/job_worker.h"

#include "core/ids.h"

namespace dai::store {

JobWorker::JobWorker(JobRepository& jobs, const Clock& clock, JobWorkerOptions options)
    : jobs_(jobs), clock_(clock), options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = NewProcessId();
  if (options_.threads < 1) options_.threads = 1;
  uint64_t seed = options_.jitter_seed;
  if (seed == 0) seed = std::random_device{}();
  rng_.seed(seed);
}

JobWorker::~JobWorker() { Stop(); }

void JobWorker::Register(const std::string& kind, JobHandler handler) {
  handlers_[kind] = std::move(handler);
  kinds_.clear();
  for (const auto& [k, h] : handlers_) kinds_.push_back(k);
}

Status JobWorker::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return Status::FailedPrecondition("job worker already started");
  if (handlers_.empty()) return Status::FailedPrecondition("job worker has no handlers");
  started_ = true;
  stopping_ = false;
  for (int thread_idx = 0; thread_idx < options_.threads; ++thread_idx) {
    threads_.emplace_back([this] { ThreadMain(); });
  }
  renewer_ = std::thread([this] { RenewMain(); });
  return Status::Ok();
}

void JobWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // The renewer keeps leases alive until the last handler has returned.
  {
    std::lock_guard<std::mutex> lock(mu_);
    started_ = false;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

void JobWorker::Notify() { cv_.notify_all(); }

JobWorkerStats JobWorker::stats() const {
  return {succeeded_.load(), failed_.load(), dead_.load(), lost_.load(), store_errors_.load()};
}

double JobWorker::NextJitter() {
  std::lock_guard<std::mutex> lock(rng_mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

void JobWorker::ThreadMain() {
  int failures = 0;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    auto ran = RunOne();
    if (ran.ok() && *ran) {
      failures = 0;
      continue;  // more may be due
    }
    // An unreachable store is polled less and less often (up to 8 poll intervals), not hammered.
    failures = ran.ok() ? 0 : std::min(failures + 1, 3);
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return;
    cv_.wait_for(lock, options_.poll_interval * (1 << failures));
  }
}

void JobWorker::RenewMain() {
  const auto interval = std::max(options_.lease / 3, std::chrono::milliseconds(10));
  std::unique_lock<std::mutex> lock(mu_);
  while (started_) {
    cv_.wait_for(lock, interval);
    if (!started_) break;
    std::vector<std::pair<int64_t, JobControl*>> running(running_.begin(), running_.end());
    lock.unlock();
    for (auto& [id, control] : running) {
      Status st = jobs_.RenewLease(id, options_.owner, options_.lease, clock_.Now());
      if (st.code() == StatusCode::kFailedPrecondition) {
        // running_ entries outlive this loop: RunOne erases under mu_ only after the handler
        // returned, and controls live on RunOne's stack until then.
        std::lock_guard<std::mutex> relock(mu_);
        auto it = running_.find(id);
        if (it != running_.end()) it->second->cancelled_ = true;
      } else if (!st.ok()) {
        ++store_errors_;
      }
    }
    lock.lock();
  }
}

Result<bool> JobWorker::RunOne() {
  if (kinds_.empty()) return false;
  auto claimed = jobs_.Claim(options_.owner, kinds_, options_.lease, clock_.Now(), 1);
  if (!claimed.ok()) {
    ++store_errors_;
    return claimed.status();
  }
  if (claimed->empty()) return false;
  const Job& job = claimed->front();
  JobControl control;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_[job.id] = &control;
  }
  Status outcome;
  auto it = handlers_.find(job.kind);
  if (it == handlers_.end()) {
    outcome = Status::Internal("no handler for job kind '" + job.kind + "'");
  } else {
    try {
      outcome = it->second(job, control);
    } catch (const std::exception& e) {
      outcome = Status::Internal(std::string("handler threw: ") + e.what());
    } catch (...) {
      outcome = Status::Internal("handler threw");
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(job.id);
  }
  std::optional<TimePoint> reschedule;
  std::string result;
  {
    std::lock_guard<std::mutex> lock(control.mu_);
    reschedule = control.reschedule_at_;
    result = control.result_;
  }
  Status recorded;
  const bool permanent = outcome.code() == StatusCode::kInvalidArgument;
  const bool dead = permanent || job.attempts >= job.max_attempts;
  const double jitter = outcome.ok() ? 0.0 : NextJitter();
  // The store may be briefly away when the outcome is ready (a database restart, a full disk):
  // retry with backoff while the lease can still hold, so a finished job is not run a second
  // time once its lease expires. Stop() cuts the wait short.
  const auto give_up = std::chrono::steady_clock::now() + options_.lease;
  auto delay = std::chrono::milliseconds(50);
  while (true) {
    const TimePoint now = clock_.Now();
    recorded = outcome.ok() ? jobs_.Complete(job.id, options_.owner, result, now, reschedule)
                            : jobs_.Fail(job.id, options_.owner, outcome.ToString(), now,
                                         options_.retry, jitter, permanent, reschedule);
    if (recorded.code() != StatusCode::kUnavailable) break;
    if (std::chrono::steady_clock::now() + delay >= give_up) break;
    ++store_errors_;
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, delay, [&] { return stopping_; })) break;
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
  if (recorded.ok()) ++(outcome.ok() ? succeeded_ : (dead ? dead_ : failed_));
  if (recorded.code() == StatusCode::kFailedPrecondition) {
    ++lost_;
  } else if (!recorded.ok()) {
    ++store_errors_;
  }
  return true;
}

Result<int> JobWorker::RunDue(int max_jobs) {
  int ran = 0;
  while (ran < max_jobs) {
    DAI_ASSIGN_OR_RETURN(bool one, RunOne());
    if (!one) break;
    ++ran;
  }
  return ran;
}

}  // namespace dai::store
