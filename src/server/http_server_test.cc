#include "server/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/http_test_client.h"

namespace dai::server {
namespace {

using std::chrono::milliseconds;
using testing::Fetch;
using testing::TestConnection;
using testing::TestResponse;

HttpServerOptions SmallOptions() {
  HttpServerOptions options;
  options.threads = 2;
  options.max_body_bytes = 1024;
  options.max_header_bytes = 4096;
  options.read_timeout = milliseconds(800);
  options.idle_timeout = milliseconds(2000);
  options.shutdown_grace = milliseconds(3000);
  return options;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = SmallOptions()) {
    server_ = std::make_unique<HttpServer>(std::move(options));
    server_->Handle("GET", "/hello",
                    [](const HttpRequest&) { return HttpResponse::Text(200, "hello"); });
    server_->Handle("POST", "/echo", [](const HttpRequest& request) {
      HttpResponse response = HttpResponse::Text(200, request.body);
      response.SetHeader("X-Path", request.path);
      return response;
    });
    server_->Handle("GET", "/query", [](const HttpRequest& request) {
      return HttpResponse::Text(200, request.QueryParam("input").value_or("<none>"));
    });
    server_->HandlePrefix("GET", "/p/", [](const HttpRequest& request) {
      return HttpResponse::Text(200, "prefix " + request.path);
    });
    server_->HandlePrefix("GET", "/p/deeper/",
                          [](const HttpRequest&) { return HttpResponse::Text(200, "deeper"); });
    server_->Handle("GET", "/p/exact",
                    [](const HttpRequest&) { return HttpResponse::Text(200, "exact"); });
    server_->Handle("GET", "/throw",
                    [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    server_->Handle("GET", "/slow", [](const HttpRequest&) {
      std::this_thread::sleep_for(milliseconds(700));
      return HttpResponse::Text(200, std::string(100000, 's'));
    });
    RouteOptions big;
    big.max_body_bytes = 8192;
    server_->Handle(
        "POST", "/big",
        [](const HttpRequest& request) {
          return HttpResponse::Text(200, std::to_string(request.body.size()));
        },
        big);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  TestConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(connection.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello");
    EXPECT_FALSE(response->Header("Connection").has_value());
    EXPECT_EQ(response->Header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(response->Header("X-Frame-Options"), "DENY");
    EXPECT_TRUE(response->Header("Referrer-Policy").has_value());
    auto csp = response->Header("Content-Security-Policy");
    ASSERT_TRUE(csp.has_value());
    EXPECT_NE(csp->find("script-src 'self';"), std::string::npos) << *csp;
    EXPECT_EQ(csp->find("unsafe-inline"), std::string::npos) << *csp;
    ASSERT_TRUE(response->Header("X-Request-Id").has_value());
    EXPECT_EQ(response->Header("X-Request-Id")->size(), 16u);
  }
  EXPECT_EQ(server_->connection_count(), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAnswerInOrder) {
  StartServer();
  TestConnection connection(port_);
  std::string batch;
  for (int i = 0; i < 4; ++i) {
    std::string body = "body-" + std::to_string(i);
    batch += "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n\r\n" + body;
  }
  ASSERT_TRUE(connection.Send(batch));
  for (int i = 0; i < 4; ++i) {
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "body-" + std::to_string(i));
  }
}

TEST_F(HttpServerTest, RequestIdIsEchoedWhenSaneAndReplacedOtherwise) {
  StartServer();
  auto sane = Fetch(port_, "GET", "/hello", "X-Request-Id: abc-123_x.y\r\n");
  ASSERT_TRUE(sane);
  EXPECT_EQ(sane->Header("X-Request-Id"), "abc-123_x.y");
  auto insane = Fetch(port_, "GET", "/hello", "X-Request-Id: <script>\r\n");
  ASSERT_TRUE(insane);
  EXPECT_NE(insane->Header("X-Request-Id"), "<script>");
  EXPECT_EQ(insane->Header("X-Request-Id")->size(), 16u);
}

TEST_F(HttpServerTest, UnknownRouteIs404AndWrongMethodIs405) {
  StartServer();
  auto missing = Fetch(port_, "GET", "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->Header("Content-Type"), "application/json");
  EXPECT_NE(missing->body.find("\"error\":\"not found\""), std::string::npos);
  EXPECT_NE(missing->body.find("\"requestId\":\"" + *missing->Header("X-Request-Id") + "\""),
            std::string::npos);

  auto wrong = Fetch(port_, "POST", "/hello", "", "x");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->Header("Allow"), "GET, HEAD");
}

TEST_F(HttpServerTest, LongestRouteWinsAndExactBeatsPrefix) {
  StartServer();
  EXPECT_EQ(Fetch(port_, "GET", "/p/x")->body, "prefix /p/x");
  EXPECT_EQ(Fetch(port_, "GET", "/p/deeper/y")->body, "deeper");
  EXPECT_EQ(Fetch(port_, "GET", "/p/exact")->body, "exact");
  EXPECT_EQ(Fetch(port_, "GET", "/p/exactly")->body, "prefix /p/exactly");
  EXPECT_EQ(Fetch(port_, "GET", "/p")->status, 404);
}

TEST_F(HttpServerTest, QueryParametersArePercentDecoded) {
  StartServer();
  auto response = Fetch(port_, "GET", "/query?batch=1&input=%7B%220%22%3A1%7D");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "{\"0\":1}");
  EXPECT_EQ(Fetch(port_, "GET", "/query")->body, "<none>");
}

TEST_F(HttpServerTest, HeadAnswersGetRoutesWithoutBody) {
  StartServer();
  TestConnection connection(port_);
  ASSERT_TRUE(connection.Send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = connection.ReadResponse(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), "5");
  EXPECT_EQ(head->body, "");
  // The connection holds no stray body bytes: the next response parses cleanly.
  ASSERT_TRUE(connection.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto get = connection.ReadResponse();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "hello");
}

TEST_F(HttpServerTest, OversizedBodyByContentLengthIs413) {
  StartServer();
  TestConnection connection(port_);
  // Only the header is sent: the server must refuse on the announced length alone.
  ASSERT_TRUE(connection.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_NE(response->body.find("request body too large"), std::string::npos);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(connection.WaitClosed(milliseconds(3000)));
}

TEST_F(HttpServerTest, OversizedChunkedBodyIs413) {
  StartServer();
  TestConnection connection(port_);
  ASSERT_TRUE(
      connection.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string chunk = "200\r\n" + std::string(0x200, 'a') + "\r\n";
  std::optional<TestResponse> response;
  for (int i = 0; i < 8 && connection.Send(chunk); ++i) {
  }
  response = connection.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
}

TEST_F(HttpServerTest, ChunkedBodyWithinLimitIsAccepted) {
  StartServer();
  TestConnection connection(port_);
  ASSERT_TRUE(
      connection.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello world");
}

TEST_F(HttpServerTest, PerRouteBodyLimitOverridesTheDefault) {
  StartServer();
  auto ok = Fetch(port_, "POST", "/big", "", std::string(5000, 'x'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "5000");
  auto too_big = Fetch(port_, "POST", "/big", "", std::string(9000, 'x'));
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
  StartServer();
  auto response = Fetch(port_, "GET", "/hello", "X-Big: " + std::string(8000, 'h') + "\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
}

TEST_F(HttpServerTest, InvalidRequestLinesAre400) {
  StartServer();
  for (std::string bad :
       {"GARBAGE\r\n\r\n", "GET /hello HTTP/x.y\r\nHost: t\r\n\r\n",
        "GET hello HTTP/1.1\r\nHost: t\r\n\r\n", "G@T /hello HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /hel lo HTTP/1.1\r\nHost: t\r\n\r\n"}) {
    TestConnection connection(port_);
    ASSERT_TRUE(connection.Send(bad));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response) << bad;
    EXPECT_EQ(response->status, 400) << bad;
    EXPECT_TRUE(connection.WaitClosed(milliseconds(3000))) << bad;
  }
  EXPECT_EQ(Fetch(port_, "GET", "/hello")->status, 200);
}

TEST_F(HttpServerTest, AmbiguousBodyFramingIsRefused) {
  StartServer();
  // Request smuggling shapes: both framings, or two different lengths.
  for (std::string bad :
       {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
        "0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"}) {
    TestConnection connection(port_);
    ASSERT_TRUE(connection.Send(bad));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response) << bad;
    EXPECT_EQ(response->status, 400) << bad;
    EXPECT_TRUE(connection.WaitClosed(milliseconds(3000))) << bad;
  }
}

TEST(HttpServerStartTest, ListensOnIpv6Loopback) {
  HttpServerOptions options;
  options.address = "[::1]";
  options.threads = 1;
  HttpServer server(options);
  Status status = server.Start();
  if (!status.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << status.message();
  EXPECT_NE(server.port(), 0);
  server.Stop();
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndServingContinues) {
  StartServer();
  TestConnection connection(port_);
  ASSERT_TRUE(connection.Send("GET /throw HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_NE(response->body.find("\"error\":\"internal error\""), std::string::npos);
  EXPECT_NE(response->body.find("\"requestId\":\""), std::string::npos);
  EXPECT_EQ(response->body.find("boom"), std::string::npos);  // no internals leak
  ASSERT_TRUE(connection.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto next = connection.ReadResponse();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, ExceptionHookReceivesTheMessage) {
  auto seen = std::make_shared<std::pair<std::mutex, std::string>>();
  HttpServerOptions options = SmallOptions();
  options.on_handler_exception = [seen](const HttpRequest& request, std::string_view what) {
    std::lock_guard lock(seen->first);
    seen->second = request.path + ": " + std::string(what);
  };
  StartServer(options);
  auto response = Fetch(port_, "GET", "/throw");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  std::lock_guard lock(seen->first);
  EXPECT_EQ(seen->second, "/throw: boom");
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimResponse) {
  StartServer();
  TestConnection connection(port_);
  ASSERT_TRUE(connection.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = connection.ReadResponse();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(connection.Send("ping"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ping");
}

TEST_F(HttpServerTest, SlowClientIsDroppedWhileOthersAreServed) {
  HttpServerOptions options = SmallOptions();
  options.read_timeout = milliseconds(1500);
  StartServer(options);
  auto start = std::chrono::steady_clock::now();
  TestConnection slow(port_);
  ASSERT_TRUE(slow.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  // Meanwhile another client is served at once.
  auto other = Fetch(port_, "GET", "/hello");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  // The stalled request is answered 408 and its connection closed after the read timeout.
  auto response = slow.ReadResponse(false, milliseconds(5000));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_TRUE(slow.WaitClosed(milliseconds(3000)));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, milliseconds(1400));
  EXPECT_LT(elapsed, milliseconds(6000));
}

// The read deadline is lazy (one pending timer wait per connection): after requests on a
// kept-alive connection have pushed the long idle deadline out, a stalled request must still
// get the shorter read timeout, and a connection that then goes quiet the idle timeout.
TEST_F(HttpServerTest, ReadTimeoutStillAppliesAfterKeptAliveRequests) {
  HttpServerOptions options = SmallOptions();
  options.read_timeout = milliseconds(600);
  options.idle_timeout = milliseconds(5000);
  StartServer(options);
  TestConnection c(port_);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto r = c.ReadResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHo"));  // a header that never completes
  auto response = c.ReadResponse(false, milliseconds(4000));  // well before the idle timeout
  ASSERT_TRUE(response) << "the stalled request waited for the idle deadline";
  EXPECT_EQ(response->status, 408);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(500));
}

TEST_F(HttpServerTest, IdleKeptAliveConnectionIsClosedAfterIdleTimeout) {
  HttpServerOptions options = SmallOptions();
  options.read_timeout = milliseconds(3000);
  options.idle_timeout = milliseconds(700);
  StartServer(options);
  TestConnection c(port_);
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(c.ReadResponse());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.WaitClosed(milliseconds(2500)));  // before the (longer) read timeout
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(600));
}

TEST_F(HttpServerTest, SilentConnectionIsClosedAfterReadTimeout) {
  StartServer();
  TestConnection silent(port_);
  ASSERT_TRUE(silent.connected());
  EXPECT_TRUE(silent.WaitClosed(milliseconds(4000)));
  EXPECT_EQ(silent.buffer(), "");  // nothing was started: closed without a response
}

TEST_F(HttpServerTest, FloodOfConnectionsDoesNotStopService) {
  StartServer();
  std::vector<std::unique_ptr<TestConnection>> flood;
  for (int i = 0; i < 500; ++i) {
    flood.push_back(std::make_unique<TestConnection>(port_));
    if (i % 2 == 0) flood.back()->Send("GET /hel");  // half a request line
  }
  int connected = 0;
  for (const auto& c : flood) connected += c->connected() ? 1 : 0;
  EXPECT_GT(connected, 400);
  auto start = std::chrono::steady_clock::now();
  auto response = Fetch(port_, "GET", "/hello");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
}

TEST_F(HttpServerTest, ConnectionsBeyondTheCapAreClosedAtOnce) {
  HttpServerOptions options = SmallOptions();
  options.max_connections = 3;
  options.read_timeout = milliseconds(5000);
  StartServer(options);
  std::vector<std::unique_ptr<TestConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<TestConnection>(port_));
    ASSERT_TRUE(held.back()->Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(held.back()->ReadResponse());
  }
  EXPECT_EQ(server_->connection_count(), 3u);
  TestConnection extra(port_);
  extra.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_TRUE(extra.WaitClosed(milliseconds(2000)));
  EXPECT_EQ(extra.buffer(), "");
  held.pop_back();
  auto deadline = std::chrono::steady_clock::now() + milliseconds(2000);
  while (server_->connection_count() > 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  auto response = Fetch(port_, "GET", "/hello");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpServerTest, GracefulStopFinishesInFlightRequestsAndClosesIdleOnes) {
  StartServer();
  TestConnection idle(port_);
  ASSERT_TRUE(idle.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(idle.ReadResponse());

  TestConnection busy(port_);
  ASSERT_TRUE(busy.Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::this_thread::sleep_for(milliseconds(150));  // the handler is now sleeping
  auto stop_start = std::chrono::steady_clock::now();
  std::thread stopper([&] { server_->Stop(); });

  auto response = busy.ReadResponse(false, milliseconds(5000));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), 100000u);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(idle.WaitClosed(milliseconds(3000)));
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_start, milliseconds(3000));
  server_->Wait();  // returns at once after Stop
  TestConnection after(port_);
  EXPECT_FALSE(after.connected() && after.Send("GET /hello HTTP/1.1\r\n\r\n") &&
               after.ReadResponse(false, milliseconds(500)).has_value());
}

// A handler that may block asks for the blocking pool; meanwhile its io thread (the only one
// here) keeps serving other connections. The blocking handler waits until the test has seen
// the other answer, so the test needs no timing.
class BlockingPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options = SmallOptions();
    options.threads = 1;
    server_ = std::make_unique<HttpServer>(options);
    server_->Handle("GET", "/hello",
                    [](const HttpRequest&) { return HttpResponse::Text(200, "hello"); });
    server_->Handle("GET", "/blocking", [this](const HttpRequest& request) {
      if (!request.on_blocking_pool) {
        io_calls_.fetch_add(1);
        return HttpResponse::RunOnBlockingPool();
      }
      pool_calls_.fetch_add(1);
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return released_; });
      return HttpResponse::Text(200, "done on the pool");
    });
    server_->Handle("GET", "/asks-twice",
                    [](const HttpRequest&) { return HttpResponse::RunOnBlockingPool(); });
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
  }
  void TearDown() override {
    Release();
    server_->Stop();
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  std::atomic<int> io_calls_{0};
  std::atomic<int> pool_calls_{0};
};

TEST_F(BlockingPoolTest, OtherConnectionsAreServedWhileAHandlerBlocks) {
  TestConnection slow(port_);
  ASSERT_TRUE(slow.Send("GET /blocking HTTP/1.1\r\nHost: t\r\n\r\n"));
  for (int i = 0; i < 3; ++i) {
    TestConnection fast(port_);
    ASSERT_TRUE(fast.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto response = fast.ReadResponse();
    ASSERT_TRUE(response) << "the io thread was blocked";
    EXPECT_EQ(response->body, "hello");
  }
  Release();
  auto response = slow.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "done on the pool");
  EXPECT_EQ(io_calls_.load(), 1);
  EXPECT_EQ(pool_calls_.load(), 1);
  // The connection stays usable (keep-alive) after an answer from the pool.
  ASSERT_TRUE(slow.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto again = slow.ReadResponse();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "hello");
}

TEST_F(BlockingPoolTest, AskingForThePoolAgainOnThePoolIs500) {
  TestConnection c(port_);
  ASSERT_TRUE(c.Send("GET /asks-twice HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto response = c.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
}

TEST_F(BlockingPoolTest, GracefulStopWaitsForAHandlerOnThePool) {
  TestConnection slow(port_);
  ASSERT_TRUE(slow.Send("GET /blocking HTTP/1.1\r\nHost: t\r\n\r\n"));
  while (pool_calls_.load() == 0) std::this_thread::sleep_for(milliseconds(5));
  std::thread stopper([&] { server_->Stop(); });
  // Finish the handler only once Stop() is under way, so its answer must say close.
  while (!server_->stopping()) std::this_thread::sleep_for(milliseconds(1));
  Release();
  auto response = slow.ReadResponse();
  stopper.join();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("Connection"), "close");
}

TEST_F(HttpServerTest, WaitReturnsWhenAnotherThreadStops) {
  StartServer();
  std::atomic<bool> waited{false};
  std::thread waiter([&] {
    server_->Wait();
    waited = true;
  });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(waited.load());
  server_->Stop();
  waiter.join();
  EXPECT_TRUE(waited.load());
}

TEST_F(HttpServerTest, HooksSeeEveryResponseWithItsRouteLabel) {
  struct Seen {
    std::mutex mu;
    std::vector<std::string> log;
    std::vector<std::string> metrics;
  };
  auto seen = std::make_shared<Seen>();
  HttpServerOptions options = SmallOptions();
  options.access_log = [seen](const AccessLogEntry& entry) {
    std::lock_guard lock(seen->mu);
    seen->log.push_back(std::string(entry.method) + " " + std::string(entry.path) + " " +
                        std::to_string(entry.status) + " " + std::to_string(entry.body_bytes) +
                        " " + std::string(entry.route_label) + " " +
                        (entry.request_id.empty() ? "noid" : "id"));
  };
  options.on_response = [seen](const HttpRequest&, const HttpResponse& response,
                               std::chrono::nanoseconds duration) {
    std::lock_guard lock(seen->mu);
    seen->metrics.push_back(response.route_label + ":" + std::to_string(response.status) +
                            (duration.count() >= 0 ? "" : "negative"));
  };
  StartServer(options);
  Fetch(port_, "GET", "/hello");
  Fetch(port_, "GET", "/p/anything");
  Fetch(port_, "GET", "/missing/123");
  std::lock_guard lock(seen->mu);
  ASSERT_EQ(seen->log.size(), 3u);
  EXPECT_EQ(seen->log[0], "GET /hello 200 5 /hello id");
  EXPECT_EQ(seen->log[1], "GET /p/anything 200 18 /p/ id");
  EXPECT_EQ(seen->log[2].rfind("GET /missing/123 404 ", 0), 0u) << seen->log[2];
  EXPECT_NE(seen->log[2].find(" unmatched id"), std::string::npos) << seen->log[2];
  EXPECT_EQ(seen->metrics, (std::vector<std::string>{"/hello:200", "/p/:200", "unmatched:404"}));
}

TEST_F(HttpServerTest, HandlerHeadersWithLineBreaksAreDropped) {
  server_ = std::make_unique<HttpServer>(SmallOptions());
  server_->Handle("GET", "/inject", [](const HttpRequest&) {
    HttpResponse response = HttpResponse::Text(200, "ok");
    response.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: pwned=1");
    response.headers.emplace_back("Bad Name", "v");
    response.headers.emplace_back("Content-Length", "999");
    response.headers.emplace_back("X-Good", "fine");
    return response;
  });
  ASSERT_TRUE(server_->Start().ok());
  auto response = Fetch(server_->port(), "GET", "/inject");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok");
  EXPECT_FALSE(response->Header("X-Evil").has_value());
  EXPECT_FALSE(response->Header("Set-Cookie").has_value());
  EXPECT_EQ(response->Header("Content-Length"), "2");
  EXPECT_EQ(response->Header("X-Good"), "fine");
}

TEST(HttpServerStartTest, RejectsBadAddressesAndBusyPorts) {
  HttpServerOptions bad;
  bad.address = "not-an-ip";
  HttpServer server(bad);
  Status status = server.Start();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("not-an-ip"), std::string::npos);

  HttpServerOptions first_options;
  first_options.address = "localhost";
  first_options.threads = 1;
  HttpServer first(first_options);
  ASSERT_TRUE(first.Start().ok());
  EXPECT_EQ(first.Start().code(), StatusCode::kFailedPrecondition);
  HttpServerOptions second_options;
  second_options.port = first.port();
  second_options.threads = 1;
  HttpServer second(second_options);
  EXPECT_EQ(second.Start().code(), StatusCode::kUnavailable);
}

TEST(HttpMessageTest, QueryCookieAndHeaderHelpers) {
  HttpRequest request;
  request.query = "a=1&b=x+y%21&empty=&flag&bad=%zz&input=%7B%7D";
  request.headers = {{"Content-Type", "application/json"},
                     {"Cookie", "sid=abc123; csrf=\"tok\"; theme=dark"}};
  EXPECT_EQ(request.QueryParam("a"), "1");
  EXPECT_EQ(request.QueryParam("b"), "x y!");
  EXPECT_EQ(request.QueryParam("empty"), "");
  EXPECT_EQ(request.QueryParam("flag"), "");
  EXPECT_EQ(request.QueryParam("bad"), std::nullopt);
  EXPECT_EQ(request.QueryParam("input"), "{}");
  EXPECT_EQ(request.QueryParam("missing"), std::nullopt);
  EXPECT_EQ(request.Header("content-TYPE"), "application/json");
  EXPECT_EQ(request.Header("Accept"), std::nullopt);
  EXPECT_EQ(request.Cookie("sid"), "abc123");
  EXPECT_EQ(request.Cookie("csrf"), "tok");
  EXPECT_EQ(request.Cookie("theme"), "dark");
  EXPECT_EQ(request.Cookie("the"), std::nullopt);
}

TEST(HttpMessageTest, PercentDecodeAndJsonEscape) {
  EXPECT_EQ(PercentDecode("a%2Fb%2e%2E", false), "a/b..");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("%4", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%g0", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%00", false), std::string(1, '\0'));
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
}

TEST(HttpMessageTest, ResponseHelpers) {
  HttpResponse json = HttpResponse::Json(201, "{}");
  EXPECT_EQ(json.status, 201);
  EXPECT_EQ(json.Header("content-type"), "application/json");
  HttpResponse error = HttpResponse::Error(400, "bad \"x\"");
  EXPECT_EQ(error.body, "{\"error\":\"bad \\\"x\\\"\"}");
  error.SetHeader("content-type", "text/plain");
  EXPECT_EQ(error.headers.size(), 1u);
  EXPECT_EQ(error.Header("Content-Type"), "text/plain");
}

}  // namespace
}  // namespace dai::server
