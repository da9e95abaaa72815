#include "server/static_files.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace dai::server {
namespace {

namespace fs = std::filesystem;

struct FileInfo {
  fs::path path;
  uint64_t size = 0;
  uint64_t mtime_ns = 0;
};

// Regular file under `root` (after resolving symlinks), or nullopt.
std::optional<FileInfo> Inspect(const fs::path& candidate, const fs::path& canonical_root) {
  std::error_code ec;
  fs::path real = fs::canonical(candidate, ec);
  if (ec) return std::nullopt;
  auto [root_end, real_it] =
      std::mismatch(canonical_root.begin(), canonical_root.end(), real.begin(), real.end());
  if (root_end != canonical_root.end()) return std::nullopt;  // escapes the root
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  FileInfo info;
  info.path = real;
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000ull +
                  static_cast<uint64_t>(st.st_mtim.tv_nsec);
  return info;
}

bool ReadWhole(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// True when Accept-Encoding lists gzip (or *) without q=0.
bool AcceptsGzip(const HttpRequest& request) {
  auto header = request.Header("Accept-Encoding");
  if (!header) return false;
  std::string value = ToLower(*header);
  std::string_view rest = value;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    std::size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "*") continue;
    if (semi != std::string_view::npos) {
      std::string_view params = item.substr(semi + 1);
      std::size_t q = params.find("q=");
      if (q != std::string_view::npos) {
        std::string_view number = params.substr(q + 2);
        if (number.substr(0, 1) == "0" &&
            number.find_first_of("123456789") == std::string_view::npos) {
          continue;  // q=0, q=0.0, q=0.000
        }
      }
    }
    return true;
  }
  return false;
}

bool ETagMatches(std::string_view if_none_match, std::string_view etag) {
  std::string_view rest = if_none_match;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);  // weak comparison for GET
    if (item == "*" || item == etag) return true;
  }
  return false;
}

HttpResponse NotFound() { return HttpResponse::Error(404, "not found"); }

}  // namespace

std::string_view ContentTypeForExtension(std::string_view extension) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  std::string lower = ToLower(extension);
  for (const auto& [ext, type] : kTypes) {
    if (lower == ext) return type;
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(StaticFilesOptions options) : options_(std::move(options)) {
  if (options_.url_prefix.empty() || options_.url_prefix.back() != '/') options_.url_prefix += '/';
  std::error_code ec;
  canonical_root_ = fs::canonical(options_.root, ec);
  if (ec) canonical_root_.clear();
}

HttpResponse StaticFiles::Serve(const HttpRequest& request) const {
  if (canonical_root_.empty()) return NotFound();
  std::string_view path = request.path;
  std::string_view prefix = options_.url_prefix;
  std::string_view raw_rel;
  if (path.substr(0, prefix.size()) == prefix) {
    raw_rel = path.substr(prefix.size());
  } else if (path.size() + 1 == prefix.size() && prefix.substr(0, path.size()) == path) {
    raw_rel = "";  // "/app" for prefix "/app/"
  } else {
    return NotFound();
  }
  std::optional<std::string> rel = PercentDecode(raw_rel, /*plus_as_space=*/false);
  if (!rel) return NotFound();

  // Validate every segment of the decoded path.
  fs::path relative;
  std::string last_segment;
  std::string_view rest = *rel;
  while (true) {
    std::size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment.find('\0') != std::string_view::npos ||
        segment.find('\\') != std::string_view::npos) {
      return NotFound();
    }
    if (segment == "..") return NotFound();
    if (!segment.empty() && segment != ".") {
      if (segment.front() == '.') return NotFound();  // dot-files and dot-directories
      relative /= std::string(segment);
    }
    last_segment = std::string(segment);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }

  bool directory_request = rel->empty() || rel->back() == '/';
  fs::path candidate = canonical_root_ / relative;
  std::error_code ec;
  if (directory_request || fs::is_directory(candidate, ec)) candidate /= "index.html";
  std::optional<FileInfo> info = Inspect(candidate, canonical_root_);

  if (!info) {
    bool excluded = false;
    for (const std::string& no_fallback : options_.no_fallback_prefixes) {
      std::string_view p = no_fallback;
      if (path.substr(0, p.size()) == p ||
          (!p.empty() && p.back() == '/' && path == p.substr(0, p.size() - 1))) {
        excluded = true;
      }
    }
    bool has_extension = last_segment.find('.') != std::string::npos;
    if (!options_.spa_fallback || excluded || has_extension) return NotFound();
    info = Inspect(canonical_root_ / "index.html", canonical_root_);
    if (!info) return NotFound();
  }
  if (info->size > options_.max_file_bytes) return NotFound();

  std::string extension = info->path.extension().string();
  std::string content_type(ContentTypeForExtension(extension));

  // Pre-compressed sibling.
  bool gzip = false;
  bool has_gz_sibling = false;
  fs::path gz_path = info->path;
  gz_path += ".gz";
  std::optional<FileInfo> gz_info = Inspect(gz_path, canonical_root_);
  if (gz_info && gz_info->size <= options_.max_file_bytes) {
    has_gz_sibling = true;
    if (AcceptsGzip(request)) {
      gzip = true;
      info = gz_info;
    }
  }

  char etag_buffer[64];
  std::snprintf(etag_buffer, sizeof etag_buffer, "\"%llx-%llx%s\"",
                static_cast<unsigned long long>(info->size),
                static_cast<unsigned long long>(info->mtime_ns), gzip ? "-gz" : "");
  std::string etag = etag_buffer;

  fs::path served_rel = fs::path(info->path).lexically_relative(canonical_root_);
  std::string served = served_rel.generic_string();
  std::string cache_control;
  if (served.rfind("assets/", 0) == 0) {
    cache_control = "public, max-age=31536000, immutable";
  } else if (content_type.rfind("text/html", 0) == 0) {
    cache_control = "no-cache";
  } else {
    cache_control = "public, max-age=3600";
  }

  HttpResponse response;
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Cache-Control", cache_control);
  if (has_gz_sibling) response.headers.emplace_back("Vary", "Accept-Encoding");
  if (auto if_none_match = request.Header("If-None-Match");
      if_none_match && ETagMatches(*if_none_match, etag)) {
    response.status = 304;
    return response;
  }
  if (!ReadWhole(info->path, &response.body)) return NotFound();
  response.status = 200;
  response.headers.emplace_back("Content-Type", content_type);
  if (gzip) response.headers.emplace_back("Content-Encoding", "gzip");
  return response;
}

}  // namespace dai::server
