#include "adapters/logsource/file_tailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dai::logsource {

FileTailer::FileTailer(std::string path, TailPosition start, TailOptions options)
    : path_(std::move(path)), options_(options), start_(start), splitter_(options.max_line_bytes) {
  buffer_.resize(64 * 1024);
}

FileTailer::~FileTailer() { Close(); }

void FileTailer::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

TailPosition FileTailer::position() const {
  if (fd_ < 0 && !started_) return start_;
  TailPosition p;
  p.device = device_;
  p.inode = inode_;
  p.offset = read_offset_ - splitter_.pending_bytes();
  return p;
}

Status FileTailer::OpenPath(uint64_t resume_offset, bool resume, PollStats& stats) {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) {
      stats.missing = true;
      return Status::Ok();
    }
    return Status::FailedPrecondition("log file \"" + path_ + "\": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::FailedPrecondition("log file \"" + path_ + "\": not a regular file");
  }
  Close();
  fd_ = fd;
  device_ = static_cast<uint64_t>(st.st_dev);
  inode_ = static_cast<uint64_t>(st.st_ino);
  splitter_.Reset();
  read_offset_ = 0;
  if (resume) {
    if (static_cast<uint64_t>(st.st_size) >= resume_offset) {
      read_offset_ = resume_offset;
    } else {
      ++stats.truncations;
    }
  }
  if (::lseek(fd_, static_cast<off_t>(read_offset_), SEEK_SET) < 0) {
    return Status::Internal("log file \"" + path_ + "\": seek failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<uint64_t> FileTailer::Drain(const LineFn& on_line, size_t budget, PollStats& stats) {
  uint64_t total = 0;
  auto count = [&](std::string_view line) {
    ++stats.lines;
    on_line(line);
  };
  while (total < budget) {
    const size_t want = std::min(buffer_.size(), budget - total);
    ssize_t n = ::read(fd_, buffer_.data(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return Status::Internal("log file \"" + path_ + "\": read failed: " + std::strerror(errno));
    }
    if (n == 0) break;
    read_offset_ += static_cast<uint64_t>(n);
    total += static_cast<uint64_t>(n);
    splitter_.Feed(std::string_view(buffer_.data(), static_cast<size_t>(n)), count);
  }
  stats.bytes += total;
  return total;
}

Result<PollStats> FileTailer::Poll(const LineFn& on_line) {
  PollStats stats;
  auto count = [&](std::string_view line) {
    ++stats.lines;
    on_line(line);
  };
  if (!started_) {
    started_ = true;
    struct stat st {};
    const bool exists = ::stat(path_.c_str(), &st) == 0;
    if (start_.inode != 0 && exists && static_cast<uint64_t>(st.st_ino) != start_.inode) {
      // Rotated while we were not running: finish the old file first when it is beside us.
      const std::string rotated = path_ + ".1";
      struct stat rst {};
      if (::stat(rotated.c_str(), &rst) == 0 && static_cast<uint64_t>(rst.st_ino) == start_.inode &&
          static_cast<uint64_t>(rst.st_dev) == start_.device) {
        int fd = ::open(rotated.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
          fd_ = fd;
          device_ = start_.device;
          inode_ = start_.inode;
          read_offset_ = static_cast<uint64_t>(rst.st_size) >= start_.offset ? start_.offset : 0;
          ::lseek(fd_, static_cast<off_t>(read_offset_), SEEK_SET);
          DAI_RETURN_IF_ERROR(Drain(on_line, SIZE_MAX, stats).status());
          splitter_.Finish(count);
          Close();
          ++stats.rotations;
        }
      }
      DAI_RETURN_IF_ERROR(OpenPath(0, false, stats));
    } else {
      DAI_RETURN_IF_ERROR(OpenPath(start_.offset, start_.inode != 0, stats));
    }
  }
  if (fd_ < 0) {
    stats.missing = false;
    DAI_RETURN_IF_ERROR(OpenPath(0, false, stats));
    if (fd_ < 0) return stats;
  }
  DAI_ASSIGN_OR_RETURN(uint64_t got, Drain(on_line, options_.max_read_bytes, stats));
  if (got >= options_.max_read_bytes) return stats;  // more to read: the next Poll continues
  // At the end of what the descriptor gives: has the path moved on?
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    stats.missing = true;  // deleted (or renamed with nothing new yet): keep the descriptor
    return stats;
  }
  if (static_cast<uint64_t>(st.st_ino) != inode_ || static_cast<uint64_t>(st.st_dev) != device_) {
    // Rotated: the old file is fully read; its last unterminated line is complete now.
    splitter_.Finish(count);
    ++stats.rotations;
    DAI_RETURN_IF_ERROR(OpenPath(0, false, stats));
    if (fd_ >= 0) {
      DAI_RETURN_IF_ERROR(Drain(on_line, options_.max_read_bytes, stats).status());
    }
    return stats;
  }
  struct stat fst {};
  if (::fstat(fd_, &fst) == 0 && static_cast<uint64_t>(fst.st_size) < read_offset_) {
    // Truncated in place (copytruncate): start over from the beginning.
    ++stats.truncations;
    splitter_.Reset();
    read_offset_ = 0;
    ::lseek(fd_, 0, SEEK_SET);
    DAI_RETURN_IF_ERROR(Drain(on_line, options_.max_read_bytes, stats).status());
  }
  return stats;
}

}  // namespace dai::logsource
