// Reader for NAB's data format: a header line `timestamp,value` then one `YYYY-MM-DD HH:MM:SS,
// <number>` row per line (CRLF accepted). Pure: the caller hands it the file's text.
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::anomaly {

struct NabRow {
  std::string timestamp;  //!< as written in the file (copied through to the result file)
  int64_t unix_seconds;   //!< the timestamp read as UTC
  double value;
  std::string value_text;  //!< the value as written (copied through to the result file)
};

//! Parses "YYYY-MM-DD HH:MM:SS" (optionally followed by a fraction ".ffffff") as UTC seconds.
//! Fails with InvalidArgument naming what is wrong.
Result<int64_t> ParseNabTimestamp(std::string_view text);

//! Parses a whole NAB data file. The header must name `timestamp` and `value` (any order,
//! extra columns ignored). Errors name the 1-based line: "line 17: value 'abc' is not a number".
//! Values may be NaN/inf in text ("nan", "inf"); the detector treats them as missing.
Result<std::vector<NabRow>> ParseNabCsv(std::string_view text);

}  // namespace dai::anomaly
