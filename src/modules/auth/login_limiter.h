// LoginLimiter: brute-force protection for password logins. Failed attempts are counted per
// remote address and per username in a sliding window; past the limit, logins from that
// address or for that username are refused (TOO_MANY_REQUESTS) until the window passes. A
// successful login clears the username's counter.
// Thread-safety: safe for concurrent use (one mutex).
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/status.h"

namespace dai::auth {

struct LoginLimiterOptions {
  int max_failures_per_user = 5;
  int max_failures_per_address = 20;
  Millis window{15 * 60 * 1000};
  size_t max_tracked_keys = 100'000;  //!< memory bound; oldest keys are forgotten first
};

class LoginLimiter {
 public:
  LoginLimiter(const Clock& clock, LoginLimiterOptions options = {})
      : clock_(clock), options_(options) {}
  //! RESOURCE_EXHAUSTED when either key is over its limit.
  Status Check(const std::string& address, const std::string& username);
  void RecordFailure(const std::string& address, const std::string& username);
  void RecordSuccess(const std::string& username);

 private:
  int Recent(std::deque<TimePoint>& q, TimePoint now);
  void Trim();
  const Clock& clock_;
  LoginLimiterOptions options_;
  std::mutex mu_;
  std::map<std::string, std::deque<TimePoint>> failures_;  // "a:<addr>" / "u:<name>"
};

}  // namespace dai::auth
