#include <fcntl.h>
#include <fnmatch.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <tuple>

#include "adapters/secretscan/secret_sources.h"

namespace dai::secretscan {
namespace {

namespace fs = std::filesystem;

// Files up to this size are read into a reused buffer: for the many small files of a source
// tree, mmap + page faults + munmap cost more than one read.
constexpr size_t kReadLimit = size_t{1} << 20;

// A read-only view of a file: small files read into `buffer` (reused by the caller's thread),
// larger ones mapped with mmap (no copy). Empty files map nothing.
class FileView {
 public:
  explicit FileView(std::string& buffer) : buffer_(buffer) {}
  Status Open(const std::string& path, uint64_t max_bytes) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return Status::NotFound(std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return Status::InvalidArgument("not a regular file");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > max_bytes) {
      ::close(fd);
      return Status::ResourceExhausted("larger than " + std::to_string(max_bytes) +
                                       " bytes: not scanned");
    }
    if (size_ > 0 && size_ <= kReadLimit) {
      buffer_.resize(size_);
      size_t got = 0;
      while (got < size_) {
        ssize_t n = ::read(fd, buffer_.data() + got, size_ - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
      ::close(fd);
      size_ = got;  // a file shrinking meanwhile is scanned as read
      view_ = std::string_view(buffer_.data(), size_);
      return Status::Ok();
    }
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        return Status::Internal(std::string("mmap: ") + std::strerror(errno));
      }
      ::madvise(p, size_, MADV_SEQUENTIAL);
      map_ = p;
      view_ = std::string_view(static_cast<const char*>(p), size_);
    }
    ::close(fd);
    return Status::Ok();
  }
  ~FileView() {
    if (map_) ::munmap(map_, size_);
  }
  std::string_view data() const { return view_; }

 private:
  std::string& buffer_;
  void* map_ = nullptr;
  size_t size_ = 0;
  std::string_view view_;
};

// .gitignore patterns of one directory (basic glob subset: negation is not supported).
struct IgnoreRules {
  fs::path dir;
  std::vector<std::pair<std::string, bool>> patterns;  // (glob, directory-only)
};

bool Ignored(const std::vector<IgnoreRules>& stack, const fs::path& p, bool is_dir) {
  for (const auto& rules : stack) {
    std::string rel = p.lexically_relative(rules.dir).generic_string();
    std::string name = p.filename().string();
    for (const auto& [glob, dir_only] : rules.patterns) {
      if (dir_only && !is_dir) continue;
      bool anchored = glob.find('/') != std::string::npos;
      std::string g = glob[0] == '/' ? glob.substr(1) : glob;
      if (anchored ? fnmatch(g.c_str(), rel.c_str(), FNM_PATHNAME) == 0
                   : fnmatch(g.c_str(), name.c_str(), 0) == 0)
        return true;
    }
  }
  return false;
}

IgnoreRules LoadIgnore(const fs::path& dir) {
  IgnoreRules r;
  r.dir = dir;
  std::ifstream in(dir / ".gitignore");
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    bool dir_only = line.back() == '/';
    if (dir_only) line.pop_back();
    if (!line.empty()) r.patterns.emplace_back(line, dir_only);
  }
  return r;
}

void Walk(const fs::path& dir, bool gitignore, std::vector<IgnoreRules>& stack,
          std::vector<std::string>& out) {
  if (gitignore) stack.push_back(LoadIgnore(dir));
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(*it);
  std::sort(entries.begin(), entries.end());
  for (const auto& e : entries) {
    if (e.is_symlink(ec)) continue;
    const bool is_dir = e.is_directory(ec);
    if (is_dir && e.path().filename() == ".git") continue;
    if (gitignore && Ignored(stack, e.path(), is_dir)) continue;
    if (is_dir)
      Walk(e.path(), gitignore, stack, out);
    else if (e.is_regular_file(ec))
      out.push_back(e.path().string());
  }
  if (gitignore) stack.pop_back();
}

}  // namespace

std::vector<std::string> ListFiles(const std::string& dir, bool gitignore) {
  std::vector<std::string> files;
  std::vector<IgnoreRules> stack;
  Walk(dir, gitignore, stack, files);
  return files;
}

Result<TreeResult> ScanTree(const secrets::SecretScanner& scanner, const std::string& path,
                            const TreeOptions& options) {
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    files = ListFiles(path, options.gitignore);
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    return Status::NotFound(path + ": no such file or directory");
  }
  TreeResult result;
  std::mutex mu;
  Status failure = Status::Ok();
  unsigned n = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  n = std::min<unsigned>(n, static_cast<unsigned>(std::max<size_t>(1, files.size())));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    auto scratch = scanner.NewScratch();  // vectorscan scratch: one per thread
    if (!scratch.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      failure = scratch.status();
      return;
    }
    TreeResult local;
    std::string buffer;
    for (size_t i = next++; i < files.size(); i = next++) {
      FileView view(buffer);
      Status st = view.Open(files[i], options.max_file_bytes);
      if (!st.ok()) {
        local.errors.push_back({files[i], st.message()});
        continue;
      }
      auto r = scanner.Scan(view.data(), files[i], *scratch.value());
      if (!r.ok()) {
        local.errors.push_back({files[i], r.status().message()});
        continue;
      }
      ++local.files;
      local.bytes += view.data().size();
      if (r->skipped_binary) ++local.binary_files;
      for (auto& f : r->findings) local.findings.push_back(std::move(f));
    }
    std::lock_guard<std::mutex> lock(mu);
    for (auto& f : local.findings) result.findings.push_back(std::move(f));
    for (auto& e : local.errors) result.errors.push_back(std::move(e));
    result.files += local.files;
    result.bytes += local.bytes;
    result.binary_files += local.binary_files;
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (!failure.ok()) return failure;
  std::sort(result.findings.begin(), result.findings.end(),
            [](const secrets::Finding& a, const secrets::Finding& b) {
              return std::tie(a.path, a.offset, a.rule_id) < std::tie(b.path, b.offset, b.rule_id);
            });
  std::sort(result.errors.begin(), result.errors.end(),
            [](const SourceError& a, const SourceError& b) { return a.path < b.path; });
  return result;
}

}  // namespace dai::secretscan
