#include "core/clock.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace dai {

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}

TimePoint FromUnixMillis(int64_t ms) { return TimePoint(Millis(ms)); }

namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
}

bool ReadDigits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

}  // namespace

std::string FormatIso8601(TimePoint t) {
  const int64_t ms = ToUnixMillis(t);
  int64_t days = ms / 86'400'000;
  int64_t rem = ms % 86'400'000;
  if (rem < 0) {
    rem += 86'400'000;
    --days;
  }
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  CivilFromDays(days, y, m, d);
  const int64_t h = rem / 3'600'000;
  const int64_t mi = (rem / 60'000) % 60;
  const int64_t s = (rem / 1000) % 60;
  const int64_t milli = rem % 1000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(h),
                static_cast<long long>(mi), static_cast<long long>(s),
                static_cast<long long>(milli));
  return buf;
}

Result<TimePoint> ParseIso8601(std::string_view s) {
  auto fail = [&] {
    return Status::InvalidArgument("not an RFC 3339 timestamp: \"" +
                                   std::string(s.substr(0, 64)) + "\"");
  };
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-') return fail();
  if (!ReadDigits(s, pos, 2, month) || pos >= s.size() || s[pos++] != '-') return fail();
  if (!ReadDigits(s, pos, 2, day)) return fail();
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return fail();
  ++pos;
  if (!ReadDigits(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':') return fail();
  if (!ReadDigits(s, pos, 2, minute) || pos >= s.size() || s[pos++] != ':') return fail();
  if (!ReadDigits(s, pos, 2, second)) return fail();
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return fail();
  int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return fail();
    for (int i = digits; i < 3; ++i) frac_ms *= 10;
  }
  int64_t offset_s = 0;
  if (pos >= s.size()) return fail();
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!ReadDigits(s, pos, 2, oh)) return fail();
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (pos < s.size() && !ReadDigits(s, pos, 2, om)) return fail();
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return fail();
  }
  if (pos != s.size()) return fail();
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // system_clock counts nanoseconds in 64 bits: about +-292 years around 1970.
  if (secs < -9'000'000'000LL || secs > 9'000'000'000LL) {
    return Status::InvalidArgument("timestamp out of range (1685..2255): \"" +
                                   std::string(s.substr(0, 64)) + "\"");
  }
  return FromUnixMillis(secs * 1000 + frac_ms);
}

}  // namespace dai
