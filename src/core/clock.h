// Clock: the only way code outside engines reads time, so tests can drive it (FakeClock).
// Engines never read a clock: time is a parameter.
// Thread-safety: SystemClock is stateless; FakeClock is internally synchronized.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace dai {

using TimePoint = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  //! Wall-clock time (UTC).
  virtual TimePoint Now() const = 0;
  //! Monotonic time for durations and timeouts.
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  //! A process-wide instance.
  static const SystemClock& Instance();
};

//! A clock tests move by hand. Starts at `start` (epoch milliseconds).
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : ms_(start_ms) {}
  TimePoint Now() const override { return TimePoint(Millis(ms_.load())); }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::time_point(Millis(ms_.load()));
  }
  void Advance(Millis d) { ms_ += d.count(); }
  void SetMillis(int64_t ms) { ms_ = ms; }

 private:
  std::atomic<int64_t> ms_;
};

//! Milliseconds since the Unix epoch.
int64_t ToUnixMillis(TimePoint t);
TimePoint FromUnixMillis(int64_t ms);
//! RFC 3339 / ISO 8601 in UTC with milliseconds: "2026-11-28T15:19:24.123Z".
std::string FormatIso8601(TimePoint t);
//! Parses RFC 3339 ("2026-11-28T15:19:24Z", fractional seconds of any precision, "+02:00"
//! offsets) and PostgreSQL's "2026-11-28 15:19:24.123+00". Fails with INVALID_ARGUMENT,
//! also for years outside about 1685..2255 (Alertmanager's "0001-01-01" means "no end").
Result<TimePoint> ParseIso8601(std::string_view text);

}  // namespace dai
