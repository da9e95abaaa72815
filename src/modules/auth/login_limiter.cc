#include "modules/auth/login_limiter.h"

namespace dai::auth {

int LoginLimiter::Recent(std::deque<TimePoint>& q, TimePoint now) {
  while (!q.empty() && q.front() + options_.window <= now) q.pop_front();
  return static_cast<int>(q.size());
}

Status LoginLimiter::Check(const std::string& address, const std::string& username) {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.Now();
  if (auto it = failures_.find("a:" + address);
      it != failures_.end() && Recent(it->second, now) >= options_.max_failures_per_address) {
    return Status::ResourceExhausted("too many failed logins from this address; try again later");
  }
  if (auto it = failures_.find("u:" + username);
      it != failures_.end() && Recent(it->second, now) >= options_.max_failures_per_user) {
    return Status::ResourceExhausted("too many failed logins for this user; try again later");
  }
  return Status::Ok();
}

void LoginLimiter::RecordFailure(const std::string& address, const std::string& username) {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.Now();
  failures_["a:" + address].push_back(now);
  failures_["u:" + username].push_back(now);
  Trim();
}

void LoginLimiter::RecordSuccess(const std::string& username) {
  std::lock_guard lock(mu_);
  failures_.erase("u:" + username);
}

void LoginLimiter::Trim() {
  if (failures_.size() <= options_.max_tracked_keys) return;
  const TimePoint now = clock_.Now();
  for (auto it = failures_.begin(); it != failures_.end();) {
    if (Recent(it->second, now) == 0) {
      it = failures_.erase(it);
    } else {
      ++it;
    }
  }
  while (failures_.size() > options_.max_tracked_keys) failures_.erase(failures_.begin());
}

}  // namespace dai::auth
