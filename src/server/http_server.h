// HttpServer: the HTTP/1.1 edge of devops-ai (Boost.Beast inside, plain C++ outside), in the
// spirit of cpp-httplib: register handlers by method and path, start, stop gracefully.
//
// Behaviour: keep-alive and pipelining, HEAD answered from GET routes, limits on header and
// body size (413/431 with a JSON error), a read timeout for a whole request (header + body) and
// an idle timeout between requests on a kept-alive connection, a cap on concurrent connections
// (beyond it new connections are closed at once), an `X-Request-Id` and security headers on
// every response, handler exceptions turned into 500 JSON, Server-Sent Events streams, static
// files, and a graceful Stop (stop accepting, finish in-flight requests, close idle
// connections and event streams, bounded wait).
//
// Thread-safety: register routes (Handle*, ServeStatic) before Start(); they are not
// synchronised with serving. Start/Stop/Wait/port may be called from any thread, but Stop()
// must not be called from inside a handler (it waits for handlers to finish). Handlers run
// synchronously on the server's io threads and may be called concurrently. Each io thread runs
// its own event loop and serves its own connections, so a handler that may block (password
// hashing, a call to another service) should answer HttpResponse::RunOnBlockingPool() when
// `request.on_blocking_pool` is false: the server then calls it again on a separate pool and
// the io thread goes on serving its other connections.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace dai::server {

class EventSubscription;  // sse.h

//! One parsed request as a handler sees it.
struct HttpRequest {
  std::string method;  //!< "GET", "POST", ... (HEAD requests reach GET handlers as "HEAD")
  std::string target;  //!< raw request target, e.g. "/trpc/a.b?batch=1&input=%7B%7D"
  std::string path;    //!< raw path of the target (not percent-decoded), e.g. "/trpc/a.b"
  std::string query;   //!< raw query after '?', without the '?' ("" when absent)
  std::vector<std::pair<std::string, std::string>> headers;  //!< in arrival order
  std::string body;
  std::string remote_addr;  //!< peer IP address, e.g. "127.0.0.1" or "::1"
  std::string request_id;   //!< the id echoed in X-Request-Id (client's if sane, else new)
  bool on_blocking_pool = false;  //!< this call runs on the blocking pool, not an io thread

  //! First header with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  //! First query parameter with this name, percent-decoded ('+' is a space); nullopt when
  //! absent or when its encoding is invalid.
  std::optional<std::string> QueryParam(std::string_view name) const;
  //! Value of the cookie with this name from the Cookie header(s), or nullopt.
  std::optional<std::string> Cookie(std::string_view name) const;
};

//! What a handler answers. Content-Length, Connection, X-Request-Id and the security headers
//! are added by the server; headers whose name or value contains CR, LF or NUL are dropped.
struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  //! Label for metrics and the access log (e.g. the tRPC procedure). Empty: the server uses
  //! the matched route pattern ("unmatched" when none), never the raw path.
  std::string route_label;
  //! Not an answer: "call me again on the blocking pool" (see the file comment).
  bool run_on_blocking_pool = false;

  static HttpResponse RunOnBlockingPool() {
    HttpResponse r;
    r.run_on_blocking_pool = true;
    return r;
  }
  //! `body` must already be JSON text; sets Content-Type application/json.
  static HttpResponse Json(int status, std::string json_text);
  //! Plain text (or the given content type).
  static HttpResponse Text(int status, std::string text,
                           std::string content_type = "text/plain; charset=utf-8");
  //! `{"error":message}` (plus "requestId" added by the server on 4xx/5xx it builds itself).
  static HttpResponse Error(int status, std::string_view message);
  //! Replaces a header of this name (case-insensitive) or adds it.
  void SetHeader(std::string name, std::string value);
  //! First header with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

//! The answer of a stream handler: refuse with a response (e.g. 401), or accept with a
//! subscription whose events the server writes as `text/event-stream`.
struct StreamStart {
  std::optional<HttpResponse> refusal;
  std::shared_ptr<EventSubscription> subscription;
  //! Extra response headers for an accepted stream.
  std::vector<std::pair<std::string, std::string>> headers;

  static StreamStart Refuse(HttpResponse response) {
    StreamStart s;
    s.refusal = std::move(response);
    return s;
  }
  static StreamStart Accept(std::shared_ptr<EventSubscription> subscription) {
    StreamStart s;
    s.subscription = std::move(subscription);
    return s;
  }
};
using StreamHandler = std::function<StreamStart(const HttpRequest&)>;

//! One finished exchange, for the access log.
struct AccessLogEntry {
  std::string_view method;
  std::string_view path;
  std::string_view route_label;
  std::string_view request_id;
  std::string_view remote_addr;
  int status = 0;
  std::size_t body_bytes = 0;  //!< response body bytes (0 for HEAD, 304, and event streams)
  std::chrono::nanoseconds duration{0};  //!< from the first byte read to the last byte queued
};

struct RouteOptions {
  //! false: the path must equal the pattern; true: the path starts with the pattern.
  //! Among matching routes the longest pattern wins; an exact route beats a prefix of the
  //! same length.
  bool prefix = false;
  //! Per-route body limit overriding HttpServerOptions::max_body_bytes.
  std::optional<std::size_t> max_body_bytes;
};

struct HttpServerOptions {
  //! IPv4 or IPv6 literal ("127.0.0.1", "::1", "[::1]", "0.0.0.0", "::") or "localhost".
  std::string address = "127.0.0.1";
  uint16_t port = 0;                         //!< 0: an ephemeral port (see HttpServer::port())
  int threads = 0;                           //!< io threads; 0: std::thread::hardware_concurrency()
  int blocking_threads = 4;  //!< threads for handlers that asked for the blocking pool
  std::size_t max_header_bytes = 16 * 1024;  //!< request line + headers; beyond: 431
  std::size_t max_body_bytes = 1024 * 1024;  //!< beyond (announced or received): 413
  //! Time allowed to receive one whole request (header + body) once its first byte arrived:
  //! beyond, 408 and the connection is closed. Also how long a new connection may stay silent
  //! before it is closed (without a response, as nothing was asked).
  std::chrono::milliseconds read_timeout{10'000};
  //! Time a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  //! Time allowed to write one response (a client that does not read is dropped).
  std::chrono::milliseconds write_timeout{30'000};
  //! Bounded wait for in-flight requests in Stop(); afterwards connections are cut.
  std::chrono::milliseconds shutdown_grace{10'000};
  //! Interval of the `: heartbeat` comment on event streams.
  std::chrono::milliseconds sse_heartbeat{15'000};
  //! Concurrent connections (event streams included); beyond it new ones are closed at once.
  std::size_t max_connections = 10'000;
  //! Raise the soft RLIMIT_NOFILE towards the hard limit at Start() so max_connections fit.
  bool raise_fd_limit = true;
  //! Called once per response (after it is queued for writing). Must be thread-safe and cheap.
  std::function<void(const AccessLogEntry&)> access_log;
  //! Called once per response with the request, the response (its route_label filled in) and
  //! the duration; for metrics. Also for event streams, once, when the stream starts. Must be
  //! thread-safe and cheap.
  std::function<void(const HttpRequest&, const HttpResponse&, std::chrono::nanoseconds)>
      on_response;
  //! Called when a handler throws (the client gets a 500 JSON with the request id). Unset: one
  //! JSON line on stderr.
  std::function<void(const HttpRequest&, std::string_view what)> on_handler_exception;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  //!< Stops (gracefully) if still running.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  //! Routes `method` ("GET", "POST", ... or "*" for any) on `path` to `handler`. A path that
  //! matches routes of other methods only answers 405 with an Allow header; none: 404.
  void Handle(std::string method, std::string path, HttpHandler handler, RouteOptions options = {});
  //! Shorthand for Handle(method, prefix, handler, {.prefix = true}).
  void HandlePrefix(std::string method, std::string prefix, HttpHandler handler);
  //! A Server-Sent Events endpoint (GET, exact path). The handler authenticates and refuses or
  //! accepts; an accepted stream ends on client disconnect, subscription close, or Stop().
  void HandleStream(std::string path, StreamHandler handler);
  //! Serves files under `root` for GET/HEAD paths starting with `url_prefix` (see
  //! static_files.h). With `spa_fallback`, unknown extension-less paths outside /api/ and
  //! /trpc/ answer index.html.
  void ServeStatic(std::string url_prefix, std::filesystem::path root, bool spa_fallback);

  //! Binds and listens, starts the io threads, and returns. Fails with INVALID_ARGUMENT when
  //! the address is not an IP literal or "localhost", UNAVAILABLE when it cannot be bound, and
  //! FAILED_PRECONDITION when already started.
  Status Start();
  //! The bound port (useful with port 0); 0 before Start().
  uint16_t port() const;
  //! Graceful stop: stop accepting, close idle connections and event streams, let in-flight
  //! requests finish (up to shutdown_grace), then cut what remains and join the io threads.
  //! Idempotent; returns when done. Not from inside a handler.
  void Stop();
  //! Blocks until Stop() has completed (from another thread). Returns at once if not started.
  void Wait();

  //! Connections currently open (for tests and metrics).
  std::size_t connection_count() const;
  //! True from the moment Stop() begins (readiness reports it; answers then say close).
  bool stopping() const;

  struct State;  // in http_server.cc (holds all Boost.Beast state)

 private:
  std::shared_ptr<State> state_;
};

//! Percent-decodes `text` ('+' becomes a space when `plus_as_space`); nullopt on a malformed
//! escape ("%4", "%zz").
std::optional<std::string> PercentDecode(std::string_view text, bool plus_as_space);

//! Escapes `text` as the contents of a JSON string (no surrounding quotes).
std::string JsonEscape(std::string_view text);

}  // namespace dai::server
