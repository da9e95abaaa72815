// Structured JSON logs on standard error: one object per line with ts, level, msg and fields.
// Thread-safety: safe to call concurrently (one write per line).
#pragma once

#include <string_view>

#include "core/json.h"

namespace dai::cli {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
//! Whether a line at `level` would be written (check before building costly fields).
bool LogEnabled(LogLevel level);
LogLevel ParseLogLevel(std::string_view name);
void Log(LogLevel level, std::string_view msg, const Json& fields = Json::object());

}  // namespace dai::cli
