#include "adapters/http/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "adapters/http/loopback_test_server.h"

namespace dai::http {
namespace {

using std::chrono::milliseconds;
using testing::LoopbackTestServer;

std::string Url(const LoopbackTestServer& server, const std::string& path = "/") {
  return "http://127.0.0.1:" + std::to_string(server.port()) + path;
}

HttpClientOptions LocalOptions() {
  HttpClientOptions o;
  o.policy = OutboundPolicy::AllowLocal();
  o.connect_timeout = milliseconds(2000);
  o.total_timeout = milliseconds(5000);
  return o;
}

milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
}

TEST(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  LoopbackTestServer server([](const std::string&) {
    return LoopbackTestServer::Response(200, "hello", "X-Thing: 42\r\n");
  });
  ASSERT_TRUE(server.ok());
  HttpClient client(LocalOptions());
  auto r = client.Send({.url = Url(server, "/a?b=c"), .headers = {{"X-Req", "yes"}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->Header("x-THING").value_or(""), "42");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].rfind("GET /a?b=c HTTP/1.1\r\n", 0), 0u) << server.requests()[0];
  EXPECT_NE(server.requests()[0].find("X-Req: yes"), std::string::npos);
}

TEST(HttpClientTest, PostSendsBodyAndNon2xxIsAResponse) {
  LoopbackTestServer server(
      [](const std::string&) { return LoopbackTestServer::Response(422, "{\"e\":1}"); });
  HttpClient client(LocalOptions());
  auto r = client.Send({.method = "POST",
                        .url = Url(server, "/form"),
                        .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                        .body = FormBody({{"query", "up{job=\"node\"} == 1 & x"}})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 422);
  const std::string req = server.requests().at(0);
  EXPECT_EQ(req.rfind("POST /form HTTP/1.1", 0), 0u);
  EXPECT_NE(req.find("\r\n\r\nquery=up%7Bjob%3D%22node%22%7D%20%3D%3D%201%20%26%20x"),
            std::string::npos)
      << req;
}

TEST(HttpClientTest, RefusesMetadataAddressBeforeConnecting) {
  HttpClientOptions o;  // default policy
  o.connect_timeout = milliseconds(3000);
  std::atomic<int> connects{0};
  o.on_connect = [&](const IpAddress&) { ++connects; };
  HttpClient client(o);
  for (const char* url :
       {"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/", "https://169.254.1.1/"}) {
    const auto start = std::chrono::steady_clock::now();
    auto r = client.Send({.url = url});
    const milliseconds took = Since(start);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
    EXPECT_NE(r.status().message().find("rule deny-"), std::string::npos) << r.status().message();
    EXPECT_LT(took, milliseconds(500)) << url;  // far below the 3 s connect timeout
  }
  EXPECT_EQ(connects.load(), 0);
  // Even with loopback and private allowed, metadata stays refused.
  o.policy = OutboundPolicy::AllowLocal();
  HttpClient local(o);
  auto r = local.Send({.url = "http://169.254.169.254/"});
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("169.254.169.254"), std::string::npos);
  EXPECT_EQ(connects.load(), 0);
}

TEST(HttpClientTest, RefusesHostNameResolvingToLinkLocal) {
  HttpClientOptions o = LocalOptions();
  std::atomic<int> connects{0}, resolves{0};
  o.on_connect = [&](const IpAddress&) { ++connects; };
  o.resolver = [&](const std::string& host) -> Result<std::vector<IpAddress>> {
    ++resolves;
    if (host == "metadata.test")
      return std::vector<IpAddress>{*IpAddress::Parse("169.254.169.254")};
    return std::vector<IpAddress>{*IpAddress::Parse("127.0.0.1"), *IpAddress::Parse("fe80::1")};
  };
  HttpClient client(o);
  auto r = client.Send({.url = "http://metadata.test/"});
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("metadata.test"), std::string::npos);
  EXPECT_NE(r.status().message().find("169.254.169.254"), std::string::npos);
  // One bad address among good ones refuses the whole destination.
  r = client.Send({.url = "http://mixed.test/"});
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("fe80::1"), std::string::npos);
  EXPECT_EQ(resolves.load(), 2);
  EXPECT_EQ(connects.load(), 0);
}

TEST(HttpClientTest, DefaultPolicyRefusesLoopbackWithoutContactingIt) {
  LoopbackTestServer server(
      [](const std::string&) { return LoopbackTestServer::Response(200, ""); });
  HttpClient client;  // default: public destinations only
  auto r = client.Send({.url = Url(server)});
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("deny-loopback"), std::string::npos);
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(server.connections(), 0);
}

TEST(HttpClientTest, SystemResolverResultIsCheckedBeforeConnecting) {
  LoopbackTestServer server(
      [](const std::string&) { return LoopbackTestServer::Response(200, "local"); });
  const std::string url = "http://localhost:" + std::to_string(server.port()) + "/";
  // getaddrinfo("localhost") gives loopback addresses: refused by default, without contact.
  HttpClient strict;
  auto r = strict.Send({.url = url});
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_NE(r.status().message().find("localhost"), std::string::npos);
  EXPECT_EQ(server.connections(), 0);
  // Allowed for local integrations.
  HttpClient local(LocalOptions());
  r = local.Send({.url = url});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "local");
  EXPECT_EQ(ResolveHost("no-such-host.invalid").status().code(), StatusCode::kUnavailable);
}

TEST(HttpClientTest, ConnectionIsPinnedToTheCheckedAddress) {
  LoopbackTestServer server(
      [](const std::string&) { return LoopbackTestServer::Response(200, "pinned"); });
  HttpClientOptions o = LocalOptions();
  std::vector<std::string> connected;
  o.on_connect = [&](const IpAddress& a) { connected.push_back(a.ToString()); };
  // "svc.test" exists in no DNS: the request can only succeed through the pinned address.
  o.resolver = [](const std::string&) -> Result<std::vector<IpAddress>> {
    return std::vector<IpAddress>{IpAddress::V4(127, 0, 0, 1)};
  };
  HttpClient client(o);
  auto r = client.Send({.url = "http://svc.test:" + std::to_string(server.port()) + "/"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "pinned");
  EXPECT_EQ(connected, std::vector<std::string>{"127.0.0.1"});
  EXPECT_NE(server.requests().at(0).find("Host: svc.test:" + std::to_string(server.port())),
            std::string::npos);
  // Case and a trailing dot do not defeat the pin.
  for (const char* host : {"SVC.Test", "svc.test."}) {
    r = client.Send({.url = "http://" + std::string(host) + ":" + std::to_string(server.port())});
    ASSERT_TRUE(r.ok()) << host << ": " << r.status().ToString();
  }
}

TEST(HttpClientTest, Ipv6LoopbackLiteralAndPinnedName) {
  LoopbackTestServer server(
      [](const std::string&) { return LoopbackTestServer::Response(200, "six"); },
      /*ipv6=*/true);
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  HttpClientOptions o = LocalOptions();
  o.resolver = [](const std::string&) -> Result<std::vector<IpAddress>> {
    return std::vector<IpAddress>{*IpAddress::Parse("::1")};
  };
  HttpClient client(o);
  auto r = client.Send({.url = "http://[::1]:" + std::to_string(server.port()) + "/"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "six");
  r = client.Send({.url = "http://six.test:" + std::to_string(server.port()) + "/"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "six");
}

TEST(HttpClientTest, ServerThatNeverAnswersHitsTheDeadline) {
  LoopbackTestServer server([](const std::string&) { return std::nullopt; });
  HttpClientOptions o = LocalOptions();
  o.total_timeout = milliseconds(400);
  HttpClient client(o);
  const auto start = std::chrono::steady_clock::now();
  auto r = client.Send({.url = Url(server)});
  const milliseconds took = Since(start);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_GE(took, milliseconds(350));
  EXPECT_LT(took, milliseconds(2000));
  // A per-request timeout overrides the client's.
  const auto start2 = std::chrono::steady_clock::now();
  r = client.Send({.url = Url(server), .timeout = milliseconds(150)});
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_LT(Since(start2), milliseconds(1000));
}

TEST(HttpClientTest, SlowResolutionIsBoundedByTheConnectTimeout) {
  HttpClientOptions o = LocalOptions();
  o.connect_timeout = milliseconds(200);
  o.resolver = [](const std::string&) -> Result<std::vector<IpAddress>> {
    std::this_thread::sleep_for(milliseconds(800));
    return std::vector<IpAddress>{IpAddress::V4(127, 0, 0, 1)};
  };
  HttpClient client(o);
  const auto start = std::chrono::steady_clock::now();
  auto r = client.Send({.url = "http://slow-dns.test/"});
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_LT(Since(start), milliseconds(700));
  std::this_thread::sleep_for(milliseconds(700));  // let the abandoned lookup finish
}

TEST(HttpClientTest, ResponseOverTheLimitIsRefused) {
  const std::string big(10000, 'x');
  LoopbackTestServer with_length(
      [&](const std::string&) { return LoopbackTestServer::Response(200, big); });
  LoopbackTestServer without_length([&](const std::string&) {
    return std::optional<std::string>("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + big);
  });
  HttpClientOptions o = LocalOptions();
  o.max_response_bytes = 1000;
  HttpClient client(o);
  for (auto* server : {&with_length, &without_length}) {
    auto r = client.Send({.url = Url(*server)});
    EXPECT_EQ(r.status().code(), StatusCode::kPayloadTooLarge) << r.status().ToString();
    EXPECT_NE(r.status().message().find("1000 bytes"), std::string::npos);
  }
  o.max_response_bytes = 10000;  // exactly at the limit is fine
  auto r = HttpClient(o).Send({.url = Url(without_length)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body.size(), 10000u);
}

TEST(HttpClientTest, RedirectsAreOffByDefaultAndReCheckedWhenOn) {
  LoopbackTestServer target(
      [](const std::string&) { return LoopbackTestServer::Response(200, "final"); });
  const std::string target_url = Url(target, "/final");
  LoopbackTestServer redirector([&](const std::string& req) {
    if (req.rfind("GET /meta", 0) == 0) {
      return LoopbackTestServer::Response(302, "", "Location: http://169.254.169.254/\r\n");
    }
    if (req.rfind("GET /loop", 0) == 0) {
      return LoopbackTestServer::Response(302, "", "Location: /loop\r\n");
    }
    return LoopbackTestServer::Response(302, "", "Location: " + target_url + "\r\n");
  });
  HttpClient no_follow(LocalOptions());
  auto r = no_follow.Send({.url = Url(redirector, "/go")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(target.connections(), 0);

  HttpClientOptions o = LocalOptions();
  o.max_redirects = 2;
  HttpClient follow(o);
  r = follow.Send({.url = Url(redirector, "/go"), .headers = {{"Authorization", "Bearer s3cret"}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "final");
  EXPECT_EQ(r->redirects, 1);
  // Another origin (port): the credential was not forwarded.
  EXPECT_EQ(target.requests().at(0).find("s3cret"), std::string::npos);

  r = follow.Send({.url = Url(redirector, "/meta")});
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  r = follow.Send({.url = Url(redirector, "/loop")});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
}

TEST(HttpClientTest, RejectsBadRequestsWithoutSending) {
  HttpClient client(LocalOptions());
  EXPECT_EQ(client.Send({.url = "file:///etc/passwd"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Send({.url = "gopher://127.0.0.1/"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Send({.url = "not a url"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      client.Send({.url = "http://127.0.0.1/", .headers = {{"X", "a\r\nEvil: 1"}}}).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Send({.method = "GET /x", .url = "http://127.0.0.1/"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Send({.url = "http://127.0.0.1/", .timeout = milliseconds(0)}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(HttpClientTest, ClosedPortIsUnavailableAndMessagesCarryNoCredentials) {
  uint16_t port;
  {
    LoopbackTestServer probe(
        [](const std::string&) { return LoopbackTestServer::Response(200, ""); });
    port = probe.port();
  }
  HttpClient client(LocalOptions());
  auto r = client.Send({.url = "http://user:pa55word@127.0.0.1:" + std::to_string(port) + "/",
                        .headers = {{"Authorization", "Bearer s3cret-token"}}});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_EQ(r.status().message().find("pa55word"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("s3cret"), std::string::npos);
}

TEST(HttpClientTest, DebugStringRedactsCredentials) {
  HttpClientRequest req{.method = "POST",
                        .url = "https://bob:hunter2@example.com/hook?x=1",
                        .headers = {{"Authorization", "Bearer abc"},
                                    {"X-Api-Key", "k"},
                                    {"Content-Type", "application/json"}},
                        .body = "{}"};
  const std::string s = req.DebugString();
  EXPECT_EQ(s.find("hunter2"), std::string::npos) << s;
  EXPECT_EQ(s.find("Bearer abc"), std::string::npos) << s;
  EXPECT_NE(s.find("authorization=<redacted>"), std::string::npos) << s;
  EXPECT_NE(s.find("content-type=application/json"), std::string::npos) << s;
  EXPECT_EQ(RedactUrl("http://a:b@h:1/p@q"), "http://<redacted>@h:1/p@q");
  EXPECT_EQ(RedactUrl("http://h/p"), "http://h/p");
}

TEST(HttpClientTest, ConcurrentSendsFromManyThreads) {
  std::atomic<int> n{0};
  LoopbackTestServer server(
      [&](const std::string&) { return LoopbackTestServer::Response(200, std::to_string(n++)); });
  HttpClient client(LocalOptions());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto r = client.Send({.url = Url(server)});
        if (r.ok() && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 60);
  EXPECT_EQ(server.connections(), 60);
}

TEST(FormEncodeTest, EncodesReservedCharacters) {
  EXPECT_EQ(FormEncode("a-b_c.d~"), "a-b_c.d~");
  EXPECT_EQ(FormEncode("rate(x[5m]) > 0 & y=\"z\""),
            "rate%28x%5B5m%5D%29%20%3E%200%20%26%20y%3D%22z%22");
  EXPECT_EQ(FormEncode("é"), "%C3%A9");
  EXPECT_EQ(FormBody({{"a", "1"}, {"b c", "+"}}), "a=1&b%20c=%2B");
}

}  // namespace
}  // namespace dai::http
