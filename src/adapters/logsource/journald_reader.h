// JournaldReader: follows the systemd journal through `journalctl -o json --follow` run as a
// child process from an argv vector (never a shell), resuming after the last entry handed out
// (`--after-cursor=<cursor>`) or starting at the end (`-n 0`) the first time. The child is
// restarted (after a pause) when it exits; Stop() kills its process group.
// Entries: MESSAGE (a string, or journald's array of bytes for binary messages), PRIORITY, the
// unit or syslog identifier, and __CURSOR. Lines are bounded (an over-long entry is counted and
// skipped); malformed JSON lines are counted.
// Thread-safety: Start/Stop from one thread; the callback runs on the reader's own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace dai::logsource {

struct JournalEntry {
  std::string message;
  int priority = -1;  //!< 0..7, -1 when absent
  std::string unit;   //!< _SYSTEMD_UNIT, else SYSLOG_IDENTIFIER
  std::string cursor;
};

struct JournaldOptions {
  std::string journalctl = "journalctl";  //!< looked up on PATH
  std::vector<std::string> extra_args;    //!< e.g. {"--unit", "nginx.service"}: argv elements
  std::chrono::milliseconds restart_delay{2000};
  size_t max_line_bytes = 256 * 1024;
};

class JournaldReader {
 public:
  //! `on_entries` gets batches of entries in journal order; `on_error` a message when the child
  //! cannot start or exits (it is restarted).
  JournaldReader(JournaldOptions options, std::string after_cursor,
                 std::function<void(std::vector<JournalEntry>&)> on_entries,
                 std::function<void(const std::string&)> on_error);
  ~JournaldReader();
  JournaldReader(const JournaldReader&) = delete;
  JournaldReader& operator=(const JournaldReader&) = delete;

  void Start();
  void Stop();
  //! The argv the next child would run with (for tests and status).
  std::vector<std::string> Argv() const;
  uint64_t rejected() const { return rejected_.load(); }

 private:
  void Run();

  JournaldOptions options_;
  mutable std::mutex mu_;
  std::string cursor_;
  std::function<void(std::vector<JournalEntry>&)> on_entries_;
  std::function<void(const std::string&)> on_error_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> rejected_{0};
  std::thread thread_;
};

//! Decodes one line of `journalctl -o json`; INVALID_ARGUMENT for a line that is not such an
//! entry (malformed JSON, no MESSAGE).
Result<JournalEntry> DecodeJournalLine(std::string_view line);

}  // namespace dai::logsource
