// HttpClient over TLS against a real `openssl s_server` with a throwaway self-signed
// certificate: verification is on (an unknown CA and a wrong host name are refused), and a
// configured CA file plus the pinned address give a verified connection.
#include <gtest/gtest.h>
#include <signal.h>

#include "adapters/http/http_client.h"
#include "process_harness.h"

namespace dai::http {
namespace {

using dai::testing::ChildProcess;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

class HttpClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    cert_ = dir_.path() + "/cert.pem";
    Status made = dai::testing::RunToCompletion(
        {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout",
         dir_.path() + "/key.pem", "-out", cert_, "-days", "1"},
        dir_.path() + "/openssl.log");
    ASSERT_TRUE(made.ok()) << made.ToString() << "\n"
                           << dai::testing::ReadFileOrEmpty(dir_.path() + "/openssl.log");
    auto port = dai::testing::FreeLoopbackPort();
    ASSERT_TRUE(port.ok());
    port_ = *port;
    auto server =
        ChildProcess::Start({"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port_),
                             "-cert", cert_, "-key", dir_.path() + "/key.pem", "-www", "-quiet"},
                            {.env = {}, .log_file = dir_.path() + "/s_server.log", .cwd = {}});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_.emplace(std::move(*server));
    Status up = dai::testing::WaitForTcpPort(port_, steady_clock::now() + seconds(15));
    ASSERT_TRUE(up.ok()) << up.ToString() << "\n"
                         << dai::testing::ReadFileOrEmpty(dir_.path() + "/s_server.log");
  }
  void TearDown() override {
    if (server_) {
      EXPECT_TRUE(server_->Stop(SIGTERM, seconds(5)).ok());
    }
  }

  HttpClientOptions Options() const {
    HttpClientOptions o;
    o.policy = OutboundPolicy::AllowLocal();
    o.connect_timeout = milliseconds(3000);
    o.total_timeout = milliseconds(10000);
    return o;
  }

  dai::testing::TempDir dir_{"dai-tls-it"};
  std::string cert_;
  uint16_t port_ = 0;
  std::optional<ChildProcess> server_;
};

TEST_F(HttpClientTlsTest, UnknownCertificateAuthorityIsRefused) {
  HttpClient client(Options());
  auto r = client.Send({.url = "https://127.0.0.1:" + std::to_string(port_) + "/"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("certificate"), std::string::npos) << r.status().message();
}

TEST_F(HttpClientTlsTest, ConfiguredCaVerifiesThroughThePinnedAddress) {
  HttpClientOptions o = Options();
  o.ca_file = cert_;
  std::vector<std::string> connected;
  o.on_connect = [&](const IpAddress& a) { connected.push_back(a.ToString()); };
  // localhost pinned to 127.0.0.1 by the resolver the policy checked; SNI and the certificate
  // check still use the name.
  o.resolver = [](const std::string&) -> Result<std::vector<IpAddress>> {
    return std::vector<IpAddress>{IpAddress::V4(127, 0, 0, 1)};
  };
  HttpClient client(o);
  auto r = client.Send({.url = "https://localhost:" + std::to_string(port_) + "/"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("s_server"), std::string::npos);
  EXPECT_EQ(connected, std::vector<std::string>{"127.0.0.1"});
}

TEST_F(HttpClientTlsTest, WrongHostNameIsRefusedEvenWithTheRightCa) {
  HttpClientOptions o = Options();
  o.ca_file = cert_;
  o.resolver = [](const std::string&) -> Result<std::vector<IpAddress>> {
    return std::vector<IpAddress>{IpAddress::V4(127, 0, 0, 1)};
  };
  HttpClient client(o);
  auto r = client.Send({.url = "https://not-the-cert-name.test:" + std::to_string(port_) + "/"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("not-the-cert-name.test"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace dai::http
