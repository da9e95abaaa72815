#include "modules/notifications/notification_service.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/http/loopback_test_server.h"
#include "store/migrations.h"
#include "store/test_backends.h"

extern char** environ;

namespace dai::notifications {
namespace {

using http::testing::LoopbackTestServer;
using store::testing::Backend;

class NotificationTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string error;
    test_db_ = store::testing::TestDatabase::Create(GetParam(), &error);
    if (!test_db_) {
      if (GetParam() == Backend::kPostgres && !store::testing::InCi()) GTEST_SKIP() << error;
      FAIL() << error;
    }
    ASSERT_TRUE(store::Migrate(db()).ok());
    clock_.SetMillis(ToUnixMillis(*ParseIso8601("2026-11-29T12:00:00Z")));
    jobs_ = std::make_unique<store::JobRepository>(db());
    NotificationOptions options;
    options.http.policy = http::OutboundPolicy::AllowLocal();
    options.http.total_timeout = std::chrono::milliseconds(700);
    options.http.connect_timeout = std::chrono::milliseconds(700);
    options.smtp_timeout = std::chrono::seconds(5);
    options.max_attempts = 3;
    svc_ = std::make_unique<NotificationService>(db(), *jobs_, clock_, options);
    store::JobWorkerOptions wo;
    wo.retry.base = std::chrono::seconds(10);
    wo.retry.cap = std::chrono::minutes(5);
    wo.jitter_seed = 7;
    worker_ = std::make_unique<store::JobWorker>(*jobs_, clock_, wo);
    ASSERT_TRUE(svc_->AttachWorker(*worker_).ok());
  }
  void TearDown() override {
    worker_.reset();
    svc_.reset();
    jobs_.reset();
    test_db_.reset();
  }
  store::Database& db() { return test_db_->db(); }

  int64_t Channel(const std::string& name, const std::string& type, const Json& config,
                  int rate = 60) {
    auto c = svc_->CreateChannel(
        {{"name", name}, {"type", type}, {"config", config}, {"rateLimitPerHour", rate}});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? (*c)["id"].get<int64_t>() : 0;
  }
  void Route(const Json& route) {
    auto r = svc_->CreateRoute(route);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  int64_t Incident(const std::string& title, const std::string& severity,
                   const std::string& status = "detected") {
    auto r = db().Query(
        "INSERT INTO incidents (title, severity, status, service, labels) VALUES (?, ?, ?, 'api', "
        "'{\"team\":\"web\"}') RETURNING id",
        {title, severity, status});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->rows[0].GetInt(0) : 0;
  }
  void Set(int64_t id, const std::string& column, const std::string& value) {
    ASSERT_TRUE(
        db().Query("UPDATE incidents SET " + column + " = ? WHERE id = ?", {value, id}).ok());
  }
  // The path a published event takes in the server: queue, then the service's thread.
  void Publish(int64_t incident) {
    svc_->OnPublished("incident.updated", DumpJson({{"id", incident}}));
    svc_->Drain();
  }
  Json Deliveries() {
    auto d = svc_->ListDeliveries(Json::object());
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? (*d)["items"] : Json::array();
  }
  int RunDue() {
    auto n = worker_->RunDue(100);
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  }

  FakeClock clock_{0};
  std::unique_ptr<store::testing::TestDatabase> test_db_;
  std::unique_ptr<store::JobRepository> jobs_;
  std::unique_ptr<NotificationService> svc_;
  std::unique_ptr<store::JobWorker> worker_;
};

std::string BodyOf(const std::string& request) {
  return request.substr(request.find("\r\n\r\n") + 4);
}
std::string HeaderOf(const std::string& request, const std::string& name) {
  std::string lower = request;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t at = lower.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  size_t start = at + 3 + name.size();
  while (request[start] == ' ') ++start;
  return request.substr(start, request.find("\r\n", start) - start);
}

TEST_P(NotificationTest, OneSignedWebhookPerIncidentStateChange) {
  LoopbackTestServer receiver(
      [](const std::string&) { return LoopbackTestServer::Response(200, "ok"); });
  ASSERT_TRUE(receiver.ok());
  const std::string secret = "0123456789abcdef-secret";
  const int64_t ch = Channel(
      "hook", "webhook",
      {{"url", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/in"}, {"secret", secret}});
  Route({{"name", "oncall"},
         {"kinds", {"incident.*"}},
         {"minSeverity", "high"},
         {"labels", {{"team", "web"}}},
         {"channels", {ch}}});
  const int64_t inc = Incident("API latency", "high");
  // Three alerts grouped into one incident publish three updates: one message.
  Publish(inc);
  Publish(inc);
  Publish(inc);
  EXPECT_EQ(RunDue(), 1);
  ASSERT_EQ(receiver.requests().size(), 1u);
  const std::string req = receiver.requests()[0];
  const Json body = Json::parse(BodyOf(req));
  EXPECT_EQ(body["fields"]["incident"]["id"], inc);
  EXPECT_EQ(body["state"], "detected/high");
  EXPECT_EQ(body["title"], "[high] Incident #" + std::to_string(inc) + " detected: API latency");
  const std::string ts = HeaderOf(req, "x-devops-ai-timestamp");
  ASSERT_FALSE(ts.empty());
  EXPECT_EQ(HeaderOf(req, "x-devops-ai-signature"),
            "sha256=" + HmacSha256Hex(secret, ts + "." + BodyOf(req)));
  EXPECT_NE(HeaderOf(req, "x-devops-ai-signature"),
            "sha256=" + HmacSha256Hex("wrong-secret-0123456", ts + "." + BodyOf(req)));
  // Escalation is news; a medium incident does not pass the route; resolution is news.
  Set(inc, "severity", "critical");
  Publish(inc);
  const int64_t small = Incident("Minor", "medium");
  Publish(small);
  Set(inc, "status", "resolved");
  Publish(inc);
  Publish(inc);
  EXPECT_EQ(RunDue(), 2);
  ASSERT_EQ(receiver.requests().size(), 3u);
  EXPECT_EQ(Json::parse(BodyOf(receiver.requests()[1]))["state"], "detected/critical");
  EXPECT_EQ(Json::parse(BodyOf(receiver.requests()[2]))["kind"], "incident.resolved");
  Json log = Deliveries();
  ASSERT_EQ(log.size(), 3u);
  for (const auto& d : log) {
    EXPECT_EQ(d["status"], "sent");
    ASSERT_EQ(d["log"].size(), 1u);
    EXPECT_EQ(d["log"][0]["responseStatus"], 200);
  }
  // The listed channel never shows the secret.
  auto channels = svc_->ListChannels();
  ASSERT_TRUE(channels.ok());
  EXPECT_EQ((*channels)[0]["config"]["secret"], "<redacted>");
}

TEST_P(NotificationTest, FailuresAreRetriedWithBackoffThenLoggedAsFailed) {
  std::atomic<int> calls{0};
  LoopbackTestServer flaky([&](const std::string&) {
    return ++calls == 1 ? LoopbackTestServer::Response(503, "busy")
                        : LoopbackTestServer::Response(202, "accepted");
  });
  LoopbackTestServer broken(
      [](const std::string&) { return LoopbackTestServer::Response(500, "{\"error\":\"boom\"}"); });
  LoopbackTestServer refuses(
      [](const std::string&) { return LoopbackTestServer::Response(404, "no such hook"); });
  const int64_t a = Channel("flaky", "slack",
                            {{"url", "http://127.0.0.1:" + std::to_string(flaky.port()) + "/"}});
  const int64_t b = Channel("broken", "teams",
                            {{"url", "http://127.0.0.1:" + std::to_string(broken.port()) + "/"}});
  const int64_t c = Channel("gone", "webhook",
                            {{"url", "http://127.0.0.1:" + std::to_string(refuses.port()) + "/"}});
  Route({{"name", "all"}, {"channels", {a, b, c}}});
  Publish(Incident("Disk <full> & more", "critical"));
  EXPECT_EQ(RunDue(), 3);
  // Nothing more is due until the backoff passes.
  EXPECT_EQ(RunDue(), 0);
  clock_.Advance(std::chrono::minutes(6));
  EXPECT_EQ(RunDue(), 2);  // flaky succeeds now, broken fails again; the 404 was final
  clock_.Advance(std::chrono::minutes(6));
  EXPECT_EQ(RunDue(), 1);  // broken: third and last attempt
  clock_.Advance(std::chrono::minutes(60));
  EXPECT_EQ(RunDue(), 0);
  std::map<std::string, Json> by_channel;
  for (const auto& d : Deliveries()) by_channel[d["channel"].get<std::string>()] = d;
  EXPECT_EQ(by_channel["flaky"]["status"], "sent");
  ASSERT_EQ(by_channel["flaky"]["log"].size(), 2u);
  EXPECT_EQ(by_channel["flaky"]["log"][0]["outcome"], "failed");
  EXPECT_EQ(by_channel["flaky"]["log"][0]["detail"], "HTTP 503: busy");
  EXPECT_EQ(by_channel["broken"]["status"], "failed");
  EXPECT_EQ(by_channel["broken"]["attempts"], 3);
  EXPECT_EQ(by_channel["broken"]["lastError"], "HTTP 500: {\"error\":\"boom\"}");
  EXPECT_EQ(by_channel["gone"]["status"], "failed");
  EXPECT_EQ(by_channel["gone"]["attempts"], 1);
  // Slack got blocks with its control characters escaped; Teams a MessageCard.
  const Json slack = Json::parse(BodyOf(flaky.requests().back()));
  EXPECT_EQ(slack["blocks"][0]["type"], "header");
  EXPECT_NE(
      slack["blocks"][1]["text"]["text"].get<std::string>().find("Disk &lt;full&gt; &amp; more"),
      std::string::npos);
  EXPECT_EQ(Json::parse(BodyOf(broken.requests().back()))["@type"], "MessageCard");
  EXPECT_EQ(broken.requests().size(), 3u);
  EXPECT_EQ(refuses.requests().size(), 1u);
}

TEST_P(NotificationTest, HangingReceiverTimesOutWithoutBlockingOthers) {
  LoopbackTestServer hangs([](const std::string&) { return std::nullopt; });
  LoopbackTestServer fine(
      [](const std::string&) { return LoopbackTestServer::Response(200, "ok"); });
  const int64_t a = Channel("hangs", "webhook",
                            {{"url", "http://127.0.0.1:" + std::to_string(hangs.port()) + "/"}});
  const int64_t b = Channel("fine", "webhook",
                            {{"url", "http://127.0.0.1:" + std::to_string(fine.port()) + "/"}});
  Route({{"name", "all"}, {"channels", {a, b}}});
  Publish(Incident("x", "high"));
  EXPECT_EQ(RunDue(), 2);
  std::map<std::string, Json> by_channel;
  for (const auto& d : Deliveries()) by_channel[d["channel"].get<std::string>()] = d;
  EXPECT_EQ(by_channel["fine"]["status"], "sent");
  EXPECT_EQ(by_channel["hangs"]["status"], "pending");
  EXPECT_NE(by_channel["hangs"]["lastError"].get<std::string>().find("DEADLINE_EXCEEDED"),
            std::string::npos)
      << by_channel["hangs"]["lastError"];
}

// An SMTP server that accepts the connection and never greets, and a webhook receiver that
// never answers: each delivery ends in bounded time with a clear error, and a working channel
// of the same event is still delivered.
TEST_P(NotificationTest, HangingSmtpServerAndWebhookTimeOutWithoutBlockingOthers) {
  if (GetParam() == Backend::kPostgres)
    GTEST_SKIP() << "SMTP delivery does not depend on the store; SQLite covers it";
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 8), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int smtp_port = ntohs(addr.sin_port);
  // Accepts every connection and holds it open without a byte (no 220 greeting).
  std::atomic<bool> stop{false};
  std::vector<int> held;
  std::thread acceptor([&] {
    while (!stop) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        const int fd = ::accept(listener, nullptr, nullptr);
        if (fd >= 0) held.push_back(fd);
      }
    }
  });
  LoopbackTestServer hangs([](const std::string&) { return std::nullopt; });
  LoopbackTestServer fine(
      [](const std::string&) { return LoopbackTestServer::Response(200, "ok"); });
  const int64_t mail = Channel("silent-smtp", "email",
                               {{"smtpUrl", "smtp://127.0.0.1:" + std::to_string(smtp_port)},
                                {"from", "dai@example.com"},
                                {"to", {"ops@example.com"}}});
  const int64_t hook = Channel("silent-hook", "webhook",
                               {{"url", "http://127.0.0.1:" + std::to_string(hangs.port()) + "/"}});
  const int64_t ok = Channel("fine", "webhook",
                             {{"url", "http://127.0.0.1:" + std::to_string(fine.port()) + "/"}});
  Route({{"name", "all"}, {"channels", {mail, hook, ok}}});
  Publish(Incident("receivers hang", "critical"));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(RunDue(), 3);
  const auto took = std::chrono::steady_clock::now() - started;
  stop = true;
  acceptor.join();
  for (int fd : held) ::close(fd);
  ::close(listener);
  // Bounded: the SMTP timeout (5 s) plus the webhook timeout (0.7 s), with slack for ASan.
  EXPECT_LT(took, std::chrono::seconds(9));
  EXPECT_GE(held.size(), 1u) << "the SMTP client connected";
  std::map<std::string, Json> by_channel;
  for (const auto& d : Deliveries()) by_channel[d["channel"].get<std::string>()] = d;
  EXPECT_EQ(by_channel["fine"]["status"], "sent");
  EXPECT_EQ(fine.requests().size(), 1u);
  for (const char* name : {"silent-smtp", "silent-hook"}) {
    EXPECT_EQ(by_channel[name]["status"], "pending") << name;  // retried later, with backoff
    EXPECT_EQ(by_channel[name]["attempts"], 1) << name;
  }
  const std::string smtp_error = by_channel["silent-smtp"]["lastError"];
  EXPECT_NE(smtp_error.find("SMTP error"), std::string::npos) << smtp_error;
  EXPECT_NE(smtp_error.find("timed out"), std::string::npos) << smtp_error;
  EXPECT_NE(by_channel["silent-hook"]["lastError"].get<std::string>().find("DEADLINE_EXCEEDED"),
            std::string::npos)
      << by_channel["silent-hook"]["lastError"];
}

TEST_P(NotificationTest, RateLimitDefersAndQuietHoursWait) {
  LoopbackTestServer receiver(
      [](const std::string&) { return LoopbackTestServer::Response(200, "ok"); });
  const int64_t ch =
      Channel("limited", "webhook",
              {{"url", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/"}}, 1);
  Route({{"name", "all"}, {"channels", {ch}}});
  Publish(Incident("first", "high"));
  Publish(Incident("second", "high"));
  EXPECT_EQ(RunDue(), 2);  // one sent, one deferred
  EXPECT_EQ(receiver.requests().size(), 1u);
  Json log = Deliveries();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["status"], "pending");
  ASSERT_EQ(log[0]["log"].size(), 1u);
  EXPECT_EQ(log[0]["log"][0]["outcome"], "deferred");
  clock_.Advance(std::chrono::minutes(30));
  EXPECT_EQ(RunDue(), 0);
  clock_.Advance(std::chrono::minutes(31));
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(receiver.requests().size(), 2u);

  // Quiet hours 12:00-14:00 UTC (now is about 13:01): a high incident waits, a critical one does
  // not.
  LoopbackTestServer night(
      [](const std::string&) { return LoopbackTestServer::Response(200, "ok"); });
  const int64_t q = Channel("quiet", "webhook",
                            {{"url", "http://127.0.0.1:" + std::to_string(night.port()) + "/"}});
  Route({{"name", "quiet"},
         {"quietHours", {{"start", "12:00"}, {"end", "14:00"}}},
         {"channels", {q}}});
  Publish(Incident("can wait", "high"));
  Publish(Incident("cannot wait", "critical"));
  RunDue();
  ASSERT_EQ(night.requests().size(), 1u);
  EXPECT_NE(BodyOf(night.requests()[0]).find("cannot wait"), std::string::npos);
  clock_.Advance(std::chrono::minutes(60));
  RunDue();
  ASSERT_EQ(night.requests().size(), 2u);
  EXPECT_NE(BodyOf(night.requests()[1]).find("can wait"), std::string::npos);
}

TEST_P(NotificationTest, InboxAndBadInput) {
  const int64_t inbox = Channel("web", "inbox", Json::object());
  Route({{"name", "inbox"}, {"channels", {inbox}}});
  Publish(Incident("seen in the web client", "low"));
  Publish(Incident("seen in the web client", "low"));
  auto page = svc_->Inbox(Json::object());
  ASSERT_TRUE(page.ok());
  ASSERT_EQ((*page)["total"], 2);
  EXPECT_EQ((*page)["items"][0]["read"], false);
  EXPECT_EQ(RunDue(), 0);  // inbox messages need no job
  struct Case {
    Json input;
    const char* field;
  } cases[] = {
      {{{"name", "x"}, {"type", "webhook"}, {"config", {{"url", "ftp://x"}}}}, "input.config.url"},
      {{{"name", "x"},
        {"type", "webhook"},
        {"config", {{"url", "http://x/"}, {"secret", "short"}}}},
       "input.config.secret"},
      {{{"name", "x"},
        {"type", "slack"},
        {"config", {{"url", "http://x/"}, {"secret", "0123456789abcdef0"}}}},
       "input.config.secret"},
      {{{"name", "x"},
        {"type", "email"},
        {"config", {{"smtpUrl", "smtp://h:25"}, {"to", {"a@b\r\nRCPT TO:<c@d>"}}}}},
       "input.config.to[0]"},
      {{{"name", "x"}, {"type", "email"}, {"config", {{"smtpUrl", "http://h"}, {"to", {"a@b"}}}}},
       "input.config.smtpUrl"},
      {{{"name", "web"}, {"type", "inbox"}, {"config", Json::object()}}, "input.name"},
  };
  for (const auto& c : cases) {
    auto r = svc_->CreateChannel(c.input);
    ASSERT_FALSE(r.ok()) << c.input.dump();
    EXPECT_NE(r.status().message().find(c.field), std::string::npos) << r.status().message();
  }
  auto route = svc_->CreateRoute({{"name", "dangling"}, {"channels", {999}}});
  ASSERT_FALSE(route.ok());
  EXPECT_EQ(route.status().code(), StatusCode::kNotFound);
  EXPECT_NE(route.status().message().find("input.channels[0]"), std::string::npos);
}

TEST_P(NotificationTest, BudgetsFailedRunsAndSecurityFindingsAreRouted) {
  const int64_t inbox = Channel("web", "inbox", Json::object());
  Route({{"name", "everything"}, {"channels", {inbox}}});
  const int64_t finops = Channel("finops", "inbox", Json::object());
  Route({{"name", "budgets"},
         {"kinds", {"cost.budget"}},
         {"template",
          {{"title", "FinOps: {{budget.name}} at {{budget.spend}} of {{budget.amount}}"},
           {"text", ""}}},
         {"channels", {finops}}});
  auto scan = db().Query(
      "INSERT INTO security_scans (scan_type, target, status, critical_count, high_count) VALUES "
      "('container', 'app:1.2', 'completed', 2, 1) RETURNING id");
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  auto clean = db().Query(
      "INSERT INTO security_scans (scan_type, target, status) VALUES ('container', 'ok:1', "
      "'completed') RETURNING id");
  ASSERT_TRUE(clean.ok());
  svc_->OnPublished("security.scan",
                    DumpJson({{"id", scan->rows[0].GetInt(0)}, {"status", "completed"}}));
  svc_->OnPublished("security.scan",
                    DumpJson({{"id", clean->rows[0].GetInt(0)}, {"status", "completed"}}));
  svc_->OnPublished("security.scan",
                    DumpJson({{"id", scan->rows[0].GetInt(0)}, {"status", "running"}}));
  svc_->OnPublished("cost.budget", DumpJson({{"budgetId", 3},
                                             {"name", "web"},
                                             {"kind", "threshold"},
                                             {"threshold", 80},
                                             {"status", "warning"},
                                             {"spend", 812.5},
                                             {"amount", 1000}}));
  svc_->OnPublished("cost.budget", DumpJson({{"budgetId", 3},
                                             {"name", "web"},
                                             {"kind", "threshold"},
                                             {"threshold", 80},
                                             {"status", "warning"},
                                             {"spend", 815.0},
                                             {"amount", 1000}}));
  svc_->OnPublished("cicd.run", DumpJson({{"id", 77}, {"status", "succeeded"}}));
  svc_->OnPublished("not.json", "{");
  svc_->Drain();
  auto page = svc_->Inbox(Json::object());
  ASSERT_TRUE(page.ok());
  ASSERT_EQ((*page)["total"], 3) << (*page).dump();
  std::set<std::string> titles;
  for (const auto& m : (*page)["items"]) titles.insert(m["title"].get<std::string>());
  EXPECT_TRUE(titles.count("Security: 2 critical and 1 high findings in container scan " +
                           std::to_string(scan->rows[0].GetInt(0))))
      << (*page).dump();
  EXPECT_TRUE(titles.count("Budget web: warning")) << (*page).dump();
  EXPECT_TRUE(titles.count("FinOps: web at 812.5 of 1000")) << (*page).dump();
}

// Self-healing escalations (retries exhausted) reach people through routes like any event.
TEST_P(NotificationTest, HealingEscalationsAreRoutedOncePerAction) {
  const int64_t inbox = Channel("web", "inbox", Json::object());
  Route({{"name", "healing"}, {"modules", {"selfHealing"}}, {"channels", {inbox}}});
  const Json esc = {{"rule", "restart-node-exporter"},
                    {"target", "node_exporter"},
                    {"actionType", "restart_process"},
                    {"reason", "2 attempt(s) without recovery reached maxRetries (2)"},
                    {"actionId", 41},
                    {"labels", {{"alertname", "NodeExporterDown"}, {"job", "node"}}}};
  svc_->OnPublished("healing.escalated", DumpJson(esc));
  svc_->OnPublished("healing.escalated", DumpJson(esc));  // the same escalation: one message
  svc_->OnPublished("healing.escalated", DumpJson({{"rule", "x"}}));  // no action id: nothing
  svc_->OnPublished("healing.action", DumpJson({{"id", 41}, {"status", "failed"}}));
  svc_->Drain();
  auto page = svc_->Inbox(Json::object());
  ASSERT_TRUE(page.ok());
  ASSERT_EQ((*page)["total"], 1) << page->dump();
  const Json m = (*page)["items"][0];
  EXPECT_EQ(m["title"], "Self-healing gave up on node_exporter (rule restart-node-exporter)");
  EXPECT_NE(m["text"].get<std::string>().find("reached maxRetries"), std::string::npos) << m.dump();
  EXPECT_EQ(m["severity"], "high");
}

// A real SMTP server (Python's standard smtpd, Debian's python3 on Debian 12) on a loopback
// port receives the mail through libcurl.
TEST_P(NotificationTest, EmailReachesARealSmtpServer) {
  if (GetParam() == Backend::kPostgres)
    GTEST_SKIP() << "SMTP delivery does not depend on the store; SQLite covers it";
  const char* python = "/usr/bin/python3";
  if (!std::filesystem::exists(python)) GTEST_SKIP() << "no /usr/bin/python3";
  const auto dir =
      std::filesystem::temp_directory_path() / ("dai-smtp-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "mail.txt").string();
  const std::string port_file = (dir / "port").string();
  const char* script = R"PY(
import sys, warnings
warnings.simplefilter("ignore")
try:
    import smtpd, asyncore
except ImportError:
    open(sys.argv[2] + ".skip", "w").write("no smtpd module"); sys.exit(0)
class S(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        with open(sys.argv[1], "ab") as f:
            f.write(("FROM " + mailfrom + "\nTO " + ",".join(rcpttos) + "\n").encode() + data + b"\n.END.\n")
s = S(("127.0.0.1", 0), None, decode_data=False)
open(sys.argv[2] + ".tmp", "w").write(str(s.socket.getsockname()[1]))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
asyncore.loop(timeout=0.1, count=300)
)PY";
  std::vector<std::string> args = {python, "-c", script, out, port_file};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, python, nullptr, nullptr, argv.data(), environ), 0);
  int port = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    if (std::filesystem::exists(port_file + ".skip")) break;
    std::ifstream in(port_file);
    if (in) in >> port;
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (port == 0) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    std::filesystem::remove_all(dir);
    GTEST_SKIP() << "the Python smtpd server did not start";
  }
  const int64_t ch = Channel("mail", "email",
                             {{"smtpUrl", "smtp://127.0.0.1:" + std::to_string(port)},
                              {"from", "dai@example.com"},
                              {"to", {"ops@example.com", "lead@example.com"}}});
  Route({{"name", "mail"}, {"channels", {ch}}});
  const int64_t inc = Incident("Mail me\r\nBcc: evil@example.com", "critical");
  Publish(inc);
  EXPECT_EQ(RunDue(), 1);
  std::string mail;
  for (int i = 0; i < 50 && mail.find(".END.") == std::string::npos; ++i) {
    std::ifstream in(out);
    std::stringstream ss;
    ss << in.rdbuf();
    mail = ss.str();
    if (mail.find(".END.") == std::string::npos)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  EXPECT_NE(mail.find("FROM dai@example.com\nTO ops@example.com,lead@example.com\n"),
            std::string::npos)
      << mail;
  EXPECT_NE(mail.find("Subject: [critical] Incident #" + std::to_string(inc) +
                      " detected: Mail me Bcc: evil@example.com"),
            std::string::npos)
      << mail;
  size_t header_end = mail.find("\r\n\r\n");
  if (header_end == std::string::npos) header_end = mail.find("\n\n");
  ASSERT_NE(header_end, std::string::npos) << mail;
  EXPECT_EQ(mail.substr(0, header_end).find("\nBcc:"), std::string::npos) << mail;
  Json log = Deliveries();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["status"], "sent");
  EXPECT_EQ(log[0]["responseStatus"], 250);
}

INSTANTIATE_TEST_SUITE_P(Backends, NotificationTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         store::testing::BackendName);

}  // namespace
}  // namespace dai::notifications
