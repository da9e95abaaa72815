// StaticFiles: serves a directory (the built web client) over HttpServer.
//
// Content-Type by extension; `Cache-Control: public, max-age=31536000, immutable` for files
// under <prefix>assets/ (content-hashed by the bundler), `no-cache` for HTML, a short max-age
// otherwise; a strong ETag from size and modification time, If-None-Match -> 304; a `.gz`
// sibling is served with Content-Encoding: gzip when Accept-Encoding allows it. Refused with
// 404: `..` segments (also percent-encoded), backslashes, NUL, dot-files, malformed escapes,
// and anything whose real path (after symlinks) leaves the root. With SPA fallback, a GET for
// an unknown path whose last segment has no extension, outside the excluded prefixes
// (/api/, /trpc/), answers index.html.
//
// Thread-safety: Serve() is const and safe to call concurrently; files are read per request.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_server.h"

namespace dai::server {

struct StaticFilesOptions {
  std::filesystem::path root;    //!< directory to serve
  std::string url_prefix = "/";  //!< request paths under this prefix map to root
  bool spa_fallback = true;      //!< unknown extension-less paths answer index.html
  std::vector<std::string> no_fallback_prefixes = {"/api/", "/trpc/"};
  std::size_t max_file_bytes = 64 * 1024 * 1024;  //!< larger files answer 404
};

class StaticFiles {
 public:
  explicit StaticFiles(StaticFilesOptions options);

  //! Answers a GET/HEAD request: 200 with the file, 304, or 404 (JSON error).
  HttpResponse Serve(const HttpRequest& request) const;

 private:
  StaticFilesOptions options_;
  std::filesystem::path canonical_root_;
};

//! "text/html; charset=utf-8" for ".html", ...; "application/octet-stream" when unknown.
//! `extension` includes the dot and is matched case-insensitively.
std::string_view ContentTypeForExtension(std::string_view extension);

}  // namespace dai::server
