// FileTailer: follows one log file by polling, as `tail -F` does, and hands out complete lines.
//  - Rotation (the file renamed and a new one created at the path: logrotate's default): the old
//    file is read to its end through the descriptor already open, then the new file from 0.
//  - Truncation in place (logrotate's copytruncate): the size drops below the offset read, so
//    reading restarts at 0.
//  - Deletion: the open descriptor is drained; the tailer waits for the path to reappear.
//  - Resume: the position (device, inode, offset of the last complete line) is saved by the
//    caller with whatever it derived from the lines and given back after a restart. The same
//    inode continues at the offset (or at 0 when it shrank below it); a different inode means it
//    rotated while we were down: the rest of the old file is read first when it is found beside
//    the path as `<path>.1` (same inode), then the new file from 0.
// Lines are bounded (LineSplitter): an over-long line is skipped and counted; each Poll reads at
// most max_read_bytes, so memory and time per call are bounded.
// Thread-safety: not thread-safe; one tailer per file, polled from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "engines/logmine/log_line.h"

namespace dai::logsource {

struct TailPosition {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t offset = 0;  //!< just after the last complete line delivered
};

struct TailOptions {
  size_t max_read_bytes = 4u << 20;  //!< per Poll
  size_t max_line_bytes = 64 * 1024;
};

struct PollStats {
  uint64_t bytes = 0;
  uint64_t lines = 0;
  int rotations = 0;
  int truncations = 0;
  bool missing = false;  //!< the path does not exist now
};

class FileTailer {
 public:
  using LineFn = std::function<void(std::string_view line)>;
  FileTailer(std::string path, TailPosition start, TailOptions options = {});
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  //! Reads what was written since the last call and delivers every complete line. Errors other
  //! than a missing file (permission denied, a directory at the path) are returned with the path
  //! named; the tailer can be polled again later.
  Result<PollStats> Poll(const LineFn& on_line);

  //! Where a restarted tailer should resume so that no delivered line repeats and none is lost.
  TailPosition position() const;
  const std::string& path() const { return path_; }
  uint64_t rejected_long() const { return splitter_.rejected_long(); }

 private:
  Status OpenPath(uint64_t resume_offset, bool resume, PollStats& stats);
  Result<uint64_t> Drain(const LineFn& on_line, size_t budget, PollStats& stats);
  void Close();

  std::string path_;
  TailOptions options_;
  TailPosition start_;
  bool started_ = false;
  int fd_ = -1;
  uint64_t device_ = 0;
  uint64_t inode_ = 0;
  uint64_t read_offset_ = 0;
  logmine::LineSplitter splitter_;
  std::string buffer_;
};

}  // namespace dai::logsource
