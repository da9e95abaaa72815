// Log lines as sources deliver them: splitting a byte stream into lines (LineSplitter), making
// a line safe to store (SanitizeLine: valid UTF-8, no NUL, bounded), and reading the message and
// level out of the common line formats (ParseLine: JSON lines, logfmt, syslog RFC 3164/5424,
// Apache/nginx access logs, Kubernetes CRI and Docker json-file container logs, or plain text
// with a level keyword).
// Thread-safety: LineSplitter is not thread-safe (one per stream); the functions are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace dai::logmine {

//! Severity of a line, ordered.
enum class LogLevel { kUnknown = 0, kTrace, kDebug, kInfo, kWarn, kError, kFatal };

//! "unknown", "trace", "debug", "info", "warn", "error", "fatal".
std::string_view LogLevelName(LogLevel level);
//! Level from a level word or number as written in logs ("ERR", "Warning", "E", "3" as a syslog
//! severity is NOT accepted here: see SyslogSeverityLevel). kUnknown when not a level.
LogLevel ParseLevelWord(std::string_view word);
//! Syslog/journald severity 0..7 (0 emerg .. 7 debug).
LogLevel SyslogSeverityLevel(int severity);

//! Splits a stream of chunks into lines ('\n', a trailing '\r' removed). A line longer than
//! max_line_bytes is not delivered: it is counted in rejected_long() and skipped up to its end,
//! so memory stays bounded whatever the input.
class LineSplitter {
 public:
  using LineFn = std::function<void(std::string_view line)>;
  explicit LineSplitter(size_t max_line_bytes = 64 * 1024) : max_(max_line_bytes) {}

  //! Delivers every line completed by `chunk`; a partial last line waits for the next call.
  void Feed(std::string_view chunk, const LineFn& on_line);
  //! Delivers the pending partial line, if any (end of stream).
  void Finish(const LineFn& on_line);
  //! Bytes of the pending partial line (0 while skipping an over-long line).
  size_t pending_bytes() const { return partial_.size(); }
  //! True while the rest of an over-long line is being skipped.
  bool skipping() const { return skipping_; }
  uint64_t rejected_long() const { return rejected_long_; }
  void Reset() {
    partial_.clear();
    skipping_ = false;
  }

 private:
  void Deliver(std::string_view line, const LineFn& on_line);

  size_t max_;
  std::string partial_;
  bool skipping_ = false;
  uint64_t rejected_long_ = 0;
};

//! Writes `line` into `out` as valid UTF-8: invalid sequences become U+FFFD, NUL and other C0
//! controls except tab become a space, at most `max_bytes` bytes (cut at a character boundary,
//! then "…"). Returns the number of replaced bytes.
size_t SanitizeLine(std::string_view line, std::string& out, size_t max_bytes = 4096);

//! True when `line` looks like binary data rather than text: more than a quarter of its bytes
//! are NUL, C0 controls (other than tab) or invalid UTF-8.
bool LooksBinary(std::string_view line);

//! Which parser read the line.
enum class LineKind { kPlain, kJson, kLogfmt, kSyslog, kAccess, kContainer };
std::string_view LineKindName(LineKind kind);

//! A parsed line. `message` points into the input line or into `storage` (decoded JSON or
//! logfmt strings); valid while both live and are unchanged.
struct ParsedLine {
  LineKind kind = LineKind::kPlain;
  LogLevel level = LogLevel::kUnknown;
  std::string_view message;
  std::string storage;
};

//! Detects the line's format and extracts its message and level. Never fails: an unrecognised
//! line is plain text whose message is the whole line and whose level comes from the first
//! level keyword among its first eight tokens ("ERROR", "[warn]", "level:INFO" ...).
void ParseLine(std::string_view line, ParsedLine& out);

//! Level keyword search over a plain message (as ParseLine does for plain text).
LogLevel FindLevelKeyword(std::string_view text);

//! Error-burst detection over per-minute error-line counts. `history` holds the counts of the
//! minutes before `current` (oldest first, zeros included). A burst: current >= min_count and
//! current >= factor * (baseline + 1), the baseline being the median of history (0 when empty).
struct BurstOptions {
  uint32_t min_count = 5;
  double factor = 3.0;
};
bool IsErrorBurst(const uint32_t* history, size_t history_size, uint32_t current,
                  const BurstOptions& options = {});

}  // namespace dai::logmine
