#include "cli/log.h"

#include <unistd.h>

#include <atomic>

#include "core/clock.h"

namespace dai::cli {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

const char* Name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

LogLevel ParseLogLevel(std::string_view n) {
  if (n == "debug") return LogLevel::kDebug;
  if (n == "warn") return LogLevel::kWarn;
  if (n == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

void Log(LogLevel level, std::string_view msg, const Json& fields) {
  if (static_cast<int>(level) < g_level.load()) return;
  Json line = {{"ts", FormatIso8601(SystemClock::Instance().Now())},
               {"level", Name(level)},
               {"msg", std::string(msg)}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  std::string text = DumpJson(line);
  text.push_back('\n');
  // One write(2) per line keeps lines whole across threads.
  ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
}

}  // namespace dai::cli
