#include "adapters/secretscan/scanner_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

namespace dai::secretscan {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "secrets-";
constexpr std::string_view kSuffix = ".hsdb";
// A compiled database of thousands of rules is a few MB; anything far larger is not ours.
constexpr off_t kMaxFileBytes = off_t{256} << 20;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Reads the whole file; false with `error` set when it cannot.
bool ReadAll(const std::string& path, std::string* out, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = Errno("cannot open " + path);
    return false;
  }
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0;
  if (!ok) *error = Errno("cannot stat " + path);
  if (ok && (!S_ISREG(st.st_mode) || st.st_size > kMaxFileBytes)) {
    *error = path + ": not a regular file of a plausible size";
    ok = false;
  }
  if (ok) {
    out->resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < out->size()) {
      ssize_t n = ::read(fd, out->data() + got, out->size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    out->resize(got);
  }
  ::close(fd);
  return ok;
}

// Writes `bytes` to `path` atomically: a fresh temporary file in the same directory, then
// rename over the target. Empty on success, else why not.
std::string WriteAtomically(const std::string& dir, const std::string& path,
                            std::string_view bytes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return "cannot create " + dir + ": " + ec.message();
    ::chmod(dir.c_str(), 0700);
  }
  std::random_device rd;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create " + tmp);
  size_t put = 0;
  while (put < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + put, bytes.size() - put);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    put += static_cast<size_t>(n);
  }
  std::string error;
  if (put != bytes.size()) error = Errno("cannot write " + tmp);
  if (::close(fd) != 0 && error.empty()) error = Errno("cannot write " + tmp);
  if (error.empty() && ::rename(tmp.c_str(), path.c_str()) != 0)
    error = Errno("cannot rename " + tmp + " to " + path);
  if (!error.empty()) ::unlink(tmp.c_str());
  return error;
}

// Removes the oldest cache files (by modification time) beyond kMaxCacheFiles, and temporary
// files a killed writer left an hour or more ago. Best effort.
void Prune(const std::string& dir) {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    std::error_code tec;
    auto t = it->last_write_time(tec);
    if (tec) continue;
    if (name.size() >= kSuffix.size() &&
        name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
      files.emplace_back(t, it->path());
    else if (name.find(".tmp.") != std::string::npos && now - t > std::chrono::hours(1))
      fs::remove(it->path(), tec);
  }
  if (files.size() <= kMaxCacheFiles) return;
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = kMaxCacheFiles; i < files.size(); ++i) fs::remove(files[i].second, ec);
}

}  // namespace

std::string_view CacheOutcomeName(CacheOutcome outcome) {
  switch (outcome) {
    case CacheOutcome::kDisabled:
      return "disabled";
    case CacheOutcome::kHit:
      return "hit";
    case CacheOutcome::kMiss:
      return "miss";
    case CacheOutcome::kRebuilt:
      return "rebuilt";
  }
  return "unknown";
}

std::string DefaultCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/devops-ai";
  const char* home = std::getenv("HOME");
  if (home && home[0] == '/') return std::string(home) + "/.cache/devops-ai";
  return {};
}

std::string CacheFilePath(const std::string& dir, const std::string& key) {
  return dir + "/" + std::string(kPrefix) + key + std::string(kSuffix);
}

Result<CachedScanner> LoadOrCompileScanner(secrets::RuleSet rules, secrets::Prefilter prefilter,
                                           const std::string& cache_dir) {
  CachedScanner out;
  if (cache_dir.empty()) {
    DAI_ASSIGN_OR_RETURN(out.scanner, secrets::SecretScanner::Create(std::move(rules), prefilter));
    return out;
  }
  out.path = CacheFilePath(cache_dir, secrets::SecretScanner::DatabaseKey(rules, prefilter));
  out.outcome = CacheOutcome::kMiss;
  std::string bytes, error;
  struct stat st {};
  if (::stat(out.path.c_str(), &st) == 0) {
    out.outcome = CacheOutcome::kRebuilt;
    if (!ReadAll(out.path, &bytes, &error)) {
      out.note = error;
    } else {
      auto loaded = secrets::SecretScanner::CreateFromSerialized(rules, prefilter, bytes);
      if (loaded.ok()) {
        out.scanner = std::move(loaded).value();
        out.outcome = CacheOutcome::kHit;
        return out;
      }
      out.note = out.path + ": " + loaded.status().message();
    }
  }
  DAI_ASSIGN_OR_RETURN(out.scanner, secrets::SecretScanner::Create(std::move(rules), prefilter));
  auto serialized = out.scanner->SerializeDatabase();
  std::string stored = serialized.ok() ? WriteAtomically(cache_dir, out.path, *serialized)
                                       : serialized.status().message();
  if (!stored.empty())
    out.note += (out.note.empty() ? "" : "; ") + stored;
  else
    Prune(cache_dir);
  return out;
}

}  // namespace dai::secretscan
