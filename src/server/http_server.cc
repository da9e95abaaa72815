// HttpServer over Boost.Beast/Asio. This is the only translation unit that includes Beast.
//
// One Session per connection, all of its work on its own strand. Beast parses; responses are
// serialised here as plain text (status line, headers, body). A connection moves through:
//   kIdle (waiting for the first byte of a request; read_timeout for the first request,
//   idle_timeout between requests) -> kReading (header + body, one read_timeout deadline)
//   -> handler (synchronous) -> kWriting (write_timeout) -> kIdle ... or -> kStream (SSE),
//   and ends in kLingering (send side shut, unread input drained briefly so the peer sees the
//   response rather than a reset) -> closed.
#include "server/http_server.h"

#include <sys/resource.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/ids.h"
#include "server/sse.h"
#include "server/static_files.h"

namespace dai::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Route {
  std::string method;  // "*" for any
  std::string pattern;
  bool prefix = false;
  std::optional<std::size_t> max_body_bytes;
  HttpHandler handler;
  StreamHandler stream;
};

std::string_view SV(beast::string_view s) { return {s.data(), s.size()}; }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool SaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

bool SafeHeaderText(std::string_view text) {
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool ValidHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= 32 || c >= 127 || c == ':') return false;
  }
  return true;
}

// Every answer carries it (the web client's pages above all): scripts, styles, fonts and
// connections only from this server, images also as data:/blob: URLs (the architecture diagram),
// no plugins, no <base>, forms only to us, never framed. No inline script or style is allowed,
// so markup smuggled into a page by a stored value could not run even if it escaped the
// client's escaping (web/index.html loads its theme script as /theme.js for this reason).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// Headers the server owns; a handler's copies are dropped.
bool ServerOwnedHeader(std::string_view name) {
  return IEquals(name, "content-length") || IEquals(name, "transfer-encoding") ||
         IEquals(name, "connection") || IEquals(name, "x-request-id");
}

std::string ReasonPhrase(int status) {
  std::string_view reason = SV(http::obsolete_reason(static_cast<http::status>(status)));
  if (reason.empty() || reason == "<unknown-status>") return "Unknown";
  return std::string(reason);
}

bool BodyForbidden(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

std::string ChunkOf(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string chunk = size;
  chunk.append(data);
  chunk += "\r\n";
  return chunk;
}

// Splits a request target into path and query. Origin-form ("/a?b") and absolute-form
// ("http://h/a?b") are accepted; anything else (e.g. "*") yields false.
bool SplitTarget(std::string_view target, std::string* path, std::string* query) {
  if (target.empty()) return false;
  if (target.front() != '/') {
    std::size_t scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return false;
    std::string_view scheme = target.substr(0, scheme_end);
    if (!IEquals(scheme, "http") && !IEquals(scheme, "https")) return false;
    std::size_t slash = target.find('/', scheme_end + 3);
    std::size_t qmark = target.find('?', scheme_end + 3);
    if (slash == std::string_view::npos || (qmark != std::string_view::npos && qmark < slash)) {
      std::string rest = "/";
      if (qmark != std::string_view::npos) rest.append(target.substr(qmark));
      return SplitTarget(rest, path, query);
    }
    return SplitTarget(target.substr(slash), path, query);
  }
  std::size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  std::size_t qmark = target.find('?');
  *path = std::string(target.substr(0, qmark));
  *query = qmark == std::string_view::npos ? std::string() : std::string(target.substr(qmark + 1));
  return true;
}

}  // namespace

class Session;

struct HttpServer::State {
  explicit State(HttpServerOptions opts) : options(std::move(opts)) {}

  HttpServerOptions options;
  std::vector<Route> routes;
  std::vector<std::shared_ptr<StaticFiles>> statics;

  // Declared before io_context so that they outlive it: destroying the io_context destroys
  // pending handlers, which destroys sessions, which unregister here.
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions;
  uint64_t next_session_id = 1;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopping{false};
  bool started = false;
  bool stopped = false;
  std::atomic<uint16_t> port{0};
  std::size_t largest_body_limit = 0;  // over the default and every route, set by Start()

  // One io_context per worker thread, each run by that thread alone (as nginx runs one event
  // loop per worker): a connection lives on one context, so its handlers never hop threads and
  // no thread wakes another per operation. With one shared context, the scheduler's mutex and
  // cross-thread wake-ups cost more than a small tRPC query's own work.
  std::vector<std::unique_ptr<net::io_context>> iocs;
  std::size_t next_ioc = 0;  // round-robin for new connections (accept handler only)
  std::optional<net::strand<net::io_context::executor_type>> accept_strand;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> accept_retry_timer;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::optional<net::thread_pool> blocking_pool;

  struct Match {
    const Route* route = nullptr;
    std::string allowed;  // for 405: methods of routes matching the path only
  };
  Match FindRoute(std::string_view method, std::string_view path) const;
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
};

HttpServer::State::Match HttpServer::State::FindRoute(std::string_view method,
                                                      std::string_view path) const {
  Match match;
  std::size_t best_len = 0;
  bool best_exact = false;
  bool best_method_exact = false;
  std::vector<std::string_view> allowed;
  for (const Route& route : routes) {
    bool path_ok = route.prefix ? path.substr(0, route.pattern.size()) == route.pattern
                                : path == route.pattern;
    if (!path_ok) continue;
    bool method_exact = route.method == method;
    bool method_ok = method_exact || route.method == "*" ||
                     (method == "HEAD" && route.method == "GET" && !route.stream);
    if (!method_ok) {
      allowed.push_back(route.stream ? std::string_view("GET-only")
                                     : std::string_view(route.method));
      continue;
    }
    std::size_t len = route.pattern.size();
    bool exact = !route.prefix;
    bool better = match.route == nullptr || len > best_len ||
                  (len == best_len && exact && !best_exact) ||
                  (len == best_len && exact == best_exact && method_exact && !best_method_exact);
    if (better) {
      match.route = &route;
      best_len = len;
      best_exact = exact;
      best_method_exact = method_exact;
    }
  }
  if (match.route == nullptr && !allowed.empty()) {
    for (std::string_view m : allowed) {
      bool stream = m == "GET-only";
      if (stream) m = "GET";
      if (match.allowed.find(m) != std::string::npos) continue;
      if (!match.allowed.empty()) match.allowed += ", ";
      match.allowed += m;
      if (m == "GET" && !stream) match.allowed += ", HEAD";
    }
  }
  return match;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::State* state)
      : state_(state),
        stream_(std::move(socket)),
        deadline_(stream_.get_executor()),
        heartbeat_(stream_.get_executor()) {
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      auto address = endpoint.address();
      if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
      }
      remote_addr_ = address.to_string();
    }
  }

  ~Session() {
    {
      std::lock_guard lock(state_->mu);
      state_->sessions.erase(id_);
      state_->connections.fetch_sub(1);
    }
    state_->cv.notify_all();
  }

  void Register() {
    std::lock_guard lock(state_->mu);
    id_ = state_->next_session_id++;
    state_->sessions.emplace(id_, weak_from_this());
  }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  [self = shared_from_this()] { self->WaitForRequest(/*first=*/true); });
  }

  // Posted by HttpServer::Stop onto this session's strand.
  void OnServerStop() {
    switch (phase_) {
      case Phase::kIdle:
        Close();
        break;
      case Phase::kStream:
        if (subscription_) subscription_->Close();
        OnStreamWake();
        break;
      default:
        break;  // the response path sees `stopping` and closes after writing
    }
  }

  void ForceClose() { Close(); }

  net::any_io_executor get_executor() { return stream_.get_executor(); }

 private:
  enum class Phase { kIdle, kReading, kWriting, kStream, kLingering, kClosed };

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    DisarmReadDeadline();
    ++deadline_generation_;
    deadline_waiting_ = false;
    deadline_.cancel();
    heartbeat_.cancel();
    if (subscription_) {
      subscription_->SetNotify(nullptr);
      subscription_->Close();
      subscription_.reset();
    }
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  void WaitForRequest(bool first) {
    if (state_->stopping.load()) {
      Close();
      return;
    }
    if (buffer_.size() > 0) {  // a pipelined request is already buffered
      ReadHeader();
      return;
    }
    phase_ = Phase::kIdle;
    stream_.expires_never();
    ArmReadDeadline(first ? state_->options.read_timeout : state_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->OnFirstBytes(ec, n);
                            });
  }

  void OnFirstBytes(beast::error_code ec, std::size_t n) {
    if (phase_ == Phase::kClosed) return;
    DisarmReadDeadline();
    if (ec) {  // idle timeout, peer closed, or stop: nothing was started, close quietly
      Close();
      return;
    }
    buffer_.commit(n);
    ReadHeader();
  }

  void ReadHeader() {
    phase_ = Phase::kReading;
    request_start_ = SteadyClock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    // Beast checks Content-Length against the limit as the header completes, before the
    // route is known: start with the largest limit of any route, narrow it in OnHeader.
    parser_->body_limit(state_->largest_body_limit);
    // Usually the whole header is already buffered (it came with the first bytes): parse it
    // here instead of through an asynchronous read, which costs a trip through the event loop.
    if (buffer_.size() > 0) {
      beast::error_code ec;
      std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec != http::error::need_more) {  // the header is complete, or malformed/too large
        ArmReadDeadline(state_->options.read_timeout);  // covers a body still to come
        OnHeader(ec);
        return;
      }
    }
    stream_.expires_never();
    ArmReadDeadline(state_->options.read_timeout);  // one deadline for header and body
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
  }

  // Answers a failed read: header too large, body too large, timeout, malformed, or EOF.
  void OnReadError(beast::error_code ec) {
    if (phase_ == Phase::kClosed) return;
    bool timed_out = timed_out_;
    DisarmReadDeadline();
    if (timed_out) {
      RespondError(408, "request not received in time");
      return;
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted ||
        ec == net::error::broken_pipe || ec == http::error::partial_message) {
      Close();
      return;
    }
    if (ec == http::error::header_limit) {
      RespondError(431, "request header too large");
    } else if (ec == http::error::body_limit) {
      RespondError(413, "request body too large");
    } else {
      RespondError(400, "malformed request: " + ec.message());
    }
  }

  void FillRequestLine() {
    const auto& header = parser_->get();
    request_ = HttpRequest();
    request_.method = std::string(header.method_string());
    request_.target = std::string(header.target());
    request_.remote_addr = remote_addr_;
    SplitTarget(request_.target, &request_.path, &request_.query);
    std::string_view client_id = SV(header["X-Request-Id"]);
    request_.request_id = SaneRequestId(client_id) ? std::string(client_id) : NewRequestId();
  }

  void OnHeader(beast::error_code ec) {
    if (ec) {
      if (parser_->is_header_done()) FillRequestLine();
      OnReadError(ec);
      return;
    }
    FillRequestLine();
    if (request_.path.empty() || request_.path.front() != '/') {
      RespondError(400, "malformed request target");
      return;
    }
    match_ = state_->FindRoute(request_.method, request_.path);
    std::size_t limit = state_->options.max_body_bytes;
    if (match_.route && match_.route->max_body_bytes) limit = *match_.route->max_body_bytes;
    if (auto length = parser_->content_length(); length && *length > limit) {
      RespondError(413, "request body too large");
      return;
    }
    parser_->body_limit(limit);
    if (parser_->is_done()) {
      OnRequest();
      return;
    }
    const auto& header = parser_->get();
    if (header.version() >= 11 && IEquals(SV(header[http::field::expect]), "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue),
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) {
                           self->Close();
                           return;
                         }
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) {
                         self->OnReadError(ec);
                         return;
                       }
                       self->OnRequest();
                     });
  }

  // The read deadline: on expiry, pending reads are cancelled and the read path answers 408
  // (or closes quietly while idle). The timer is lazy: arming only records the deadline, and
  // the one pending wait re-arms itself when it fires early, so a kept-alive connection costs
  // no timer operation per request (cancelling and re-arming per request did: each cancel runs
  // a handler). A wait is restarted only when the new deadline is earlier than the pending one.
  void ArmReadDeadline(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    deadline_active_ = true;
    read_deadline_ = SteadyClock::now() + timeout;
    if (deadline_waiting_ && deadline_.expiry() <= read_deadline_) return;
    StartDeadlineWait();
  }

  void StartDeadlineWait() {
    deadline_waiting_ = true;
    const uint64_t generation = ++deadline_generation_;
    deadline_.expires_at(read_deadline_);  // cancels a pending wait, which then sees a new generation
    deadline_.async_wait([self = shared_from_this(), generation](beast::error_code) {
      if (generation != self->deadline_generation_) return;  // superseded by a newer wait
      self->deadline_waiting_ = false;
      if (self->phase_ == Phase::kClosed || !self->deadline_active_) return;
      if (SteadyClock::now() < self->read_deadline_) {  // re-armed later since: wait on
        self->StartDeadlineWait();
        return;
      }
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }

  void DisarmReadDeadline() {
    deadline_active_ = false;
    timed_out_ = false;
  }

  void OnRequest() {
    DisarmReadDeadline();
    auto& message = parser_->get();
    keep_alive_ = message.keep_alive();
    http10_ = message.version() < 11;
    for (const auto& field : message) {
      request_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request_.body = std::move(message.body());
    parser_.reset();

    if (match_.route == nullptr) {
      if (!match_.allowed.empty()) {
        HttpResponse response = WithRequestId(HttpResponse::Error(405, "method not allowed"));
        response.SetHeader("Allow", match_.allowed);
        Respond(std::move(response), "unmatched");
      } else {
        Respond(WithRequestId(HttpResponse::Error(404, "not found")), "unmatched");
      }
      return;
    }
    const Route& route = *match_.route;
    if (route.stream) {
      StartStream(route);
      return;
    }
    HttpResponse response = CallHandler(route);
    if (response.run_on_blocking_pool && !request_.on_blocking_pool) {
      // The handler may block: run it again on the blocking pool and answer from this
      // connection's own thread when it is done. Nothing else touches request_ meanwhile (no
      // read is armed until the response is written).
      request_.on_blocking_pool = true;
      net::post(*state_->blocking_pool, [self = shared_from_this(), &route] {
        HttpResponse r = self->CallHandler(route);
        net::post(self->get_executor(), [self, r = std::move(r), &route]() mutable {
          if (self->phase_ == Phase::kClosed) return;  // cut by Stop() meanwhile
          self->Respond(std::move(r), route.pattern);
        });
      });
      return;
    }
    Respond(std::move(response), route.pattern);
  }

  HttpResponse CallHandler(const Route& route) {
    HttpResponse response;
    try {
      response = route.handler(request_);
    } catch (const std::exception& e) {
      ReportException(e.what());
      response = WithRequestId(HttpResponse::Error(500, "internal error"));
    } catch (...) {
      ReportException("unknown exception");
      response = WithRequestId(HttpResponse::Error(500, "internal error"));
    }
    if (response.run_on_blocking_pool && request_.on_blocking_pool) {
      // Asked again while already on the pool: a handler bug, not a reason to loop.
      response = WithRequestId(HttpResponse::Error(500, "internal error"));
    }
    return response;
  }

  void ReportException(std::string_view what) {
    if (state_->options.on_handler_exception) {
      try {
        state_->options.on_handler_exception(request_, what);
      } catch (...) {
      }
      return;
    }
    std::fprintf(stderr,
                 "{\"level\":\"error\",\"msg\":\"handler threw\",\"requestId\":\"%s\","
                 "\"path\":\"%s\",\"error\":\"%s\"}\n",
                 JsonEscape(request_.request_id).c_str(), JsonEscape(request_.path).c_str(),
                 JsonEscape(what).c_str());
  }

  // Rewrites an {"error":...} body built by the server to carry the request id.
  HttpResponse WithRequestId(HttpResponse response) {
    if (!response.body.empty() && response.body.back() == '}') {
      response.body.pop_back();
      response.body += ",\"requestId\":\"" + JsonEscape(request_.request_id) + "\"}";
    }
    return response;
  }

  void RespondError(int status, std::string message) {
    if (request_.request_id.empty()) {
      request_.remote_addr = remote_addr_;
      request_.request_id = NewRequestId();
    }
    parser_.reset();
    keep_alive_ = false;  // the rest of the input cannot be trusted
    Respond(WithRequestId(HttpResponse::Error(status, message)), "unmatched");
  }

  void AppendCommonHeaders(std::string* out, const HttpResponse& response) {
    *out += "X-Request-Id: ";
    *out += request_.request_id;
    *out += "\r\n";
    if (!response.Header("X-Content-Type-Options")) *out += "X-Content-Type-Options: nosniff\r\n";
    if (!response.Header("X-Frame-Options")) *out += "X-Frame-Options: DENY\r\n";
    if (!response.Header("Referrer-Policy")) *out += "Referrer-Policy: no-referrer\r\n";
    if (!response.Header("Content-Security-Policy")) {
      *out += "Content-Security-Policy: ";
      *out += kContentSecurityPolicy;
      *out += "\r\n";
    }
  }

  void AppendHandlerHeaders(std::string* out, const HttpResponse& response) {
    for (const auto& [name, value] : response.headers) {
      if (!ValidHeaderName(name) || !SafeHeaderText(value) || ServerOwnedHeader(name)) continue;
      *out += name;
      *out += ": ";
      *out += value;
      *out += "\r\n";
    }
  }

  void Respond(HttpResponse response, std::string_view default_label) {
    if (response.status < 200 || response.status > 999) response.status = 500;
    if (response.route_label.empty()) response.route_label = std::string(default_label);
    bool close = !keep_alive_ || state_->stopping.load();
    bool head = request_.method == "HEAD";
    bool no_body = BodyForbidden(response.status);

    out_.clear();
    out_ += "HTTP/1.1 ";
    out_ += std::to_string(response.status);
    out_ += ' ';
    out_ += ReasonPhrase(response.status);
    out_ += "\r\n";
    AppendHandlerHeaders(&out_, response);
    AppendCommonHeaders(&out_, response);
    if (!no_body) {
      out_ += "Content-Length: ";
      out_ += std::to_string(response.body.size());
      out_ += "\r\n";
    }
    if (close) {
      out_ += "Connection: close\r\n";
    } else if (http10_) {
      out_ += "Connection: keep-alive\r\n";
    }
    out_ += "\r\n";
    std::size_t body_bytes = 0;
    if (!head && !no_body) {
      out_ += response.body;
      body_bytes = response.body.size();
    }
    Report(response, body_bytes);

    close_after_write_ = close;
    phase_ = Phase::kWriting;
    // A response that fits in the socket's send buffer (nearly all) is written at once,
    // without an asynchronous write and its timer; the rest goes out asynchronously.
    std::size_t written = 0;
    {
      beast::error_code ec;
      auto& socket = stream_.socket();
      if (!socket.non_blocking()) socket.non_blocking(true, ec);
      if (!ec) written = socket.write_some(net::buffer(out_), ec);
      if (ec && ec != net::error::would_block && ec != net::error::try_again) {
        OnWritten(ec);
        return;
      }
    }
    if (written == out_.size()) {
      if (buffer_.size() > 0) {
        // A pipelined request is waiting: continue from the event loop, not recursively.
        net::post(stream_.get_executor(),
                  [self = shared_from_this()] { self->OnWritten(beast::error_code()); });
      } else {
        OnWritten(beast::error_code());
      }
      return;
    }
    stream_.expires_after(state_->options.write_timeout);
    net::async_write(
        stream_, net::buffer(out_.data() + written, out_.size() - written),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnWritten(ec); });
  }

  void Report(const HttpResponse& response, std::size_t body_bytes) {
    auto duration = SteadyClock::now() - request_start_;
    const auto& options = state_->options;
    if (options.access_log) {
      AccessLogEntry entry;
      entry.method = request_.method;
      entry.path = request_.path;
      entry.route_label = response.route_label;
      entry.request_id = request_.request_id;
      entry.remote_addr = request_.remote_addr;
      entry.status = response.status;
      entry.body_bytes = body_bytes;
      entry.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(duration);
      try {
        options.access_log(entry);
      } catch (...) {
      }
    }
    if (options.on_response) {
      try {
        options.on_response(request_, response,
                            std::chrono::duration_cast<std::chrono::nanoseconds>(duration));
      } catch (...) {
      }
    }
  }

  void OnWritten(beast::error_code ec) {
    if (phase_ == Phase::kClosed) return;
    out_.clear();
    if (ec) {
      Close();
      return;
    }
    if (close_after_write_) {
      Linger();
      return;
    }
    request_ = HttpRequest();
    WaitForRequest(/*first=*/false);
  }

  // Half-close, then drain what the peer still sends for a moment, so that closing with
  // unread input does not reset the connection before the peer has read our response.
  void Linger() {
    phase_ = Phase::kLingering;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    // Shorter while stopping: Stop() waits for this connection.
    stream_.expires_after(state_->stopping.load() ? std::chrono::milliseconds(300)
                                                  : std::chrono::milliseconds(2000));
    DrainInput();
  }

  void DrainInput() {
    stream_.async_read_some(
        net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
          self->lingered_bytes_ += n;
          if (ec || self->lingered_bytes_ > (1u << 20) || self->phase_ == Phase::kClosed) {
            self->Close();
            return;
          }
          self->DrainInput();
        });
  }

  // --- Server-Sent Events ---

  void StartStream(const Route& route) {
    StreamStart start;
    try {
      start = route.stream(request_);
    } catch (const std::exception& e) {
      ReportException(e.what());
      start = StreamStart::Refuse(WithRequestId(HttpResponse::Error(500, "internal error")));
    }
    if (start.refusal || !start.subscription) {
      HttpResponse refusal = start.refusal
                                 ? std::move(*start.refusal)
                                 : WithRequestId(HttpResponse::Error(500, "internal error"));
      Respond(std::move(refusal), route.pattern);
      return;
    }
    if (request_.method == "HEAD" || state_->stopping.load()) {
      start.subscription->Close();
      Respond(WithRequestId(HttpResponse::Error(503, "server is stopping")), route.pattern);
      return;
    }
    subscription_ = std::move(start.subscription);
    phase_ = Phase::kStream;

    HttpResponse head;
    head.status = 200;
    head.route_label = route.pattern;
    head.headers = std::move(start.headers);
    head.SetHeader("Content-Type", "text/event-stream; charset=utf-8");
    head.SetHeader("Cache-Control", "no-cache");
    head.SetHeader("X-Accel-Buffering", "no");
    std::string text = "HTTP/1.1 200 OK\r\n";
    AppendHandlerHeaders(&text, head);
    AppendCommonHeaders(&text, head);
    text += "Transfer-Encoding: chunked\r\n\r\n";
    text += ChunkOf("retry: 3000\n: connected\n\n");
    pending_ += text;
    Report(head, 0);

    // A client never sends anything after its request; a completed read means it is gone.
    stream_.expires_never();
    stream_.async_read_some(
        net::buffer(discard_),
        [self = shared_from_this()](beast::error_code, std::size_t) { self->Close(); });
    std::weak_ptr<Session> weak = weak_from_this();
    auto executor = stream_.get_executor();
    subscription_->SetNotify([weak, executor] {
      net::post(executor, [weak] {
        if (auto self = weak.lock()) self->OnStreamWake();
      });
    });
    ArmHeartbeat();
    OnStreamWake();
  }

  void ArmHeartbeat() {
    heartbeat_.expires_after(state_->options.sse_heartbeat);
    heartbeat_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->phase_ != Phase::kStream) return;
      self->pending_ += ChunkOf(": heartbeat\n\n");
      self->StreamWrite();
      self->ArmHeartbeat();
    });
  }

  void OnStreamWake() {
    if (phase_ != Phase::kStream || !subscription_) return;
    events_.clear();
    bool open = subscription_->Drain(&events_);
    for (const auto& event : events_) pending_ += ChunkOf(FormatSseFrame(*event));
    events_.clear();
    if (!open && !stream_finishing_) {
      stream_finishing_ = true;
      pending_ += "0\r\n\r\n";
    }
    StreamWrite();
  }

  void StreamWrite() {
    if (stream_writing_ || phase_ != Phase::kStream) return;
    if (pending_.empty()) {
      if (stream_finishing_) FinishStream();
      return;
    }
    stream_writing_ = true;
    out_ = std::move(pending_);
    pending_.clear();
    stream_.expires_after(state_->options.write_timeout);
    net::async_write(stream_, net::buffer(out_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->stream_writing_ = false;
                       if (ec) {
                         self->Close();
                         return;
                       }
                       self->StreamWrite();
                     });
  }

  // All frames and the final chunk are written. The disconnect read keeps the receive side
  // drained, so a full close now cannot reset away what was sent.
  void FinishStream() { Close(); }

  HttpServer::State* state_;
  uint64_t id_ = 0;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpServer::State::Match match_;
  HttpRequest request_;
  std::string remote_addr_;
  Phase phase_ = Phase::kIdle;
  SteadyClock::time_point request_start_ = SteadyClock::now();
  bool keep_alive_ = true;
  bool http10_ = false;
  bool close_after_write_ = false;
  std::string out_;
  std::array<char, 4096> discard_{};
  std::size_t lingered_bytes_ = 0;
  net::steady_timer deadline_;
  SteadyClock::time_point read_deadline_{};
  uint64_t deadline_generation_ = 0;
  bool deadline_active_ = false;
  bool deadline_waiting_ = false;
  bool timed_out_ = false;

  std::shared_ptr<EventSubscription> subscription_;
  net::steady_timer heartbeat_;
  std::string pending_;
  std::vector<std::shared_ptr<const SseEvent>> events_;
  bool stream_writing_ = false;
  bool stream_finishing_ = false;
};

void HttpServer::State::Accept() {
  // Each context has a single thread, so its executor is already an implicit strand.
  net::io_context& target = *iocs[next_ioc++ % iocs.size()];
  acceptor->async_accept(target.get_executor(), [this](beast::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::State::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
  if (ec) {
    // Typically EMFILE/ENFILE: back off briefly instead of spinning.
    accept_retry_timer->expires_after(std::chrono::milliseconds(50));
    accept_retry_timer->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor->is_open()) Accept();
    });
    return;
  }
  if (stopping.load() || connections.load() >= options.max_connections) {
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    connections.fetch_add(1);
    auto session = std::make_shared<Session>(std::move(socket), this);
    session->Register();
    session->Start();
  }
  Accept();
}

HttpServer::HttpServer(HttpServerOptions options)
    : state_(std::make_shared<State>(std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string method, std::string path, HttpHandler handler,
                        RouteOptions options) {
  Route route;
  route.method = std::move(method);
  route.pattern = std::move(path);
  route.prefix = options.prefix;
  route.max_body_bytes = options.max_body_bytes;
  route.handler = std::move(handler);
  state_->routes.push_back(std::move(route));
}

void HttpServer::HandlePrefix(std::string method, std::string prefix, HttpHandler handler) {
  RouteOptions options;
  options.prefix = true;
  Handle(std::move(method), std::move(prefix), std::move(handler), options);
}

void HttpServer::HandleStream(std::string path, StreamHandler handler) {
  Route route;
  route.method = "GET";
  route.pattern = std::move(path);
  route.max_body_bytes = 0;
  route.stream = std::move(handler);
  state_->routes.push_back(std::move(route));
}

void HttpServer::ServeStatic(std::string url_prefix, std::filesystem::path root,
                             bool spa_fallback) {
  StaticFilesOptions options;
  options.root = std::move(root);
  options.url_prefix = url_prefix;
  options.spa_fallback = spa_fallback;
  auto files = std::make_shared<StaticFiles>(std::move(options));
  state_->statics.push_back(files);
  Handle(
      "GET", std::move(url_prefix),
      [files](const HttpRequest& request) { return files->Serve(request); },
      RouteOptions{.prefix = true, .max_body_bytes = 0});
}

Status HttpServer::Start() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mu);
    if (s.started) return Status::FailedPrecondition("HTTP server already started");
  }
  std::string host = s.options.address;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(host, ec);
  if (ec) {
    return Status::InvalidArgument("listen address '" + s.options.address +
                                   "' is not an IP address or 'localhost'");
  }
  if (s.options.raise_fd_limit) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      rlim_t want = static_cast<rlim_t>(s.options.max_connections) + 1024;
      if (limit.rlim_max != RLIM_INFINITY && want > limit.rlim_max) want = limit.rlim_max;
      if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < want) {
        limit.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &limit);
      }
    }
  }

  s.largest_body_limit = s.options.max_body_bytes;
  for (const Route& route : s.routes) {
    if (route.max_body_bytes)
      s.largest_body_limit = std::max(s.largest_body_limit, *route.max_body_bytes);
  }

  tcp::endpoint endpoint(address, s.options.port);
  int threads = s.options.threads;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  s.iocs.clear();
  for (int i = 0; i < threads; ++i) s.iocs.push_back(std::make_unique<net::io_context>(1));
  s.accept_strand.emplace(net::make_strand(*s.iocs.front()));
  s.acceptor.emplace(*s.accept_strand);
  s.accept_retry_timer.emplace(*s.accept_strand);
  auto fail = [&](std::string_view what) {
    std::string message = "cannot " + std::string(what) + " " + s.options.address + ":" +
                          std::to_string(s.options.port) + ": " + ec.message();
    s.acceptor.reset();
    return Status::Unavailable(std::move(message));
  };
  s.acceptor->open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket for");
  s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (address.is_v6() && address.to_v6().is_unspecified()) {
    s.acceptor->set_option(net::ip::v6_only(false), ec);
  }
  s.acceptor->bind(endpoint, ec);
  if (ec) return fail("bind");
  s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  s.port.store(s.acceptor->local_endpoint().port());

  {
    std::lock_guard lock(s.mu);
    s.started = true;
  }
  s.blocking_pool.emplace(static_cast<std::size_t>(std::max(1, s.options.blocking_threads)));
  for (auto& ioc : s.iocs) s.work.emplace_back(ioc->get_executor());
  net::dispatch(*s.accept_strand, [&s] { s.Accept(); });
  for (int i = 0; i < threads; ++i) {
    s.threads.emplace_back([&s, i] {
      for (;;) {
        try {
          s.iocs[static_cast<std::size_t>(i)]->run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"io thread: %s\"}\n",
                       JsonEscape(e.what()).c_str());
        }
      }
    });
  }
  return Status::Ok();
}

uint16_t HttpServer::port() const { return state_->port.load(); }

std::size_t HttpServer::connection_count() const { return state_->connections.load(); }

bool HttpServer::stopping() const { return state_->stopping.load(); }

void HttpServer::Stop() {
  State& s = *state_;
  {
    std::unique_lock lock(s.mu);
    if (!s.started || s.stopped) return;
    if (s.stopping.load()) {  // another thread is stopping: wait for it
      s.cv.wait(lock, [&s] { return s.stopped; });
      return;
    }
    s.stopping.store(true);
  }
  net::post(*s.accept_strand, [&s] {
    beast::error_code ec;
    s.acceptor->close(ec);
    s.accept_retry_timer->cancel();
  });

  auto for_each_session = [&s](auto fn) {
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(s.mu);
      for (auto& [id, weak] : s.sessions) {
        if (auto session = weak.lock()) live.push_back(std::move(session));
      }
    }
    for (auto& session : live) fn(session);
  };
  for_each_session([](const std::shared_ptr<Session>& session) {
    net::post(session->get_executor(), [session] { session->OnServerStop(); });
  });
  {
    std::unique_lock lock(s.mu);
    s.cv.wait_for(lock, s.options.shutdown_grace, [&s] { return s.connections.load() == 0; });
  }
  if (s.connections.load() != 0) {
    for_each_session([](const std::shared_ptr<Session>& session) {
      net::post(session->get_executor(), [session] { session->ForceClose(); });
    });
    std::unique_lock lock(s.mu);
    s.cv.wait_for(lock, std::chrono::seconds(1), [&s] { return s.connections.load() == 0; });
  }
  s.work.clear();
  for (auto& ioc : s.iocs) ioc->stop();
  for (auto& thread : s.threads) {
    if (thread.joinable()) thread.join();
  }
  s.threads.clear();
  if (s.blocking_pool) {
    s.blocking_pool->join();  // a handler still running finishes; its answer is dropped
    s.blocking_pool.reset();
  }
  {
    std::lock_guard lock(s.mu);
    s.stopped = true;
  }
  s.cv.notify_all();
}

void HttpServer::Wait() {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  if (!s.started) return;
  s.cv.wait(lock, [&s] { return s.stopped; });
}

}  // namespace dai::server
