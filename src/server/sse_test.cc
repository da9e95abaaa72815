#include "server/sse.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "server/http_server.h"
#include "server/http_test_client.h"

namespace dai::server {
namespace {

using std::chrono::milliseconds;
using testing::TestConnection;

std::vector<uint64_t> Ids(const std::vector<std::shared_ptr<const SseEvent>>& events) {
  std::vector<uint64_t> ids;
  for (const auto& e : events) ids.push_back(e->id);
  return ids;
}

TEST(EventHubTest, DeliversInOrderWithIncreasingIdsAndFiltersByRole) {
  EventHub hub;
  auto viewer = hub.Subscribe("s1", /*role=*/0);
  auto admin = hub.Subscribe("s2", /*role=*/2);
  EXPECT_EQ(hub.Publish("a", "{\"n\":1}"), 1u);
  EXPECT_EQ(hub.Publish("secret", "{}", /*min_role=*/2), 2u);
  EXPECT_EQ(hub.Publish("b", "{\"n\":2}"), 3u);
  std::vector<std::shared_ptr<const SseEvent>> got;
  EXPECT_TRUE(viewer->Drain(&got));
  EXPECT_EQ(Ids(got), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(got[1]->data, "{\"n\":2}");
  got.clear();
  EXPECT_TRUE(admin->Drain(&got));
  EXPECT_EQ(Ids(got), (std::vector<uint64_t>{1, 2, 3}));
  got.clear();
  EXPECT_TRUE(admin->Drain(&got));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(hub.last_id(), 3u);
}

TEST(EventHubTest, SlowSubscriberIsDroppedWithoutBlockingOthers) {
  EventHubOptions options;
  options.queue_capacity = 4;
  EventHub hub(options);
  auto slow = hub.Subscribe("slow", 0);
  auto fast = hub.Subscribe("fast", 0);
  std::vector<std::shared_ptr<const SseEvent>> got;
  for (int i = 0; i < 10; ++i) {
    hub.Publish("tick", "{}");
    fast->Drain(&got);
  }
  EXPECT_EQ(got.size(), 10u);
  EXPECT_EQ(slow->state(), SubscriptionState::kSlow);
  EXPECT_EQ(fast->state(), SubscriptionState::kOpen);
  got.clear();
  EXPECT_FALSE(slow->Drain(&got));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(hub.subscriber_count(), 1u);
}

TEST(EventHubTest, NewerStreamWithTheSameKeyReplacesTheOlder) {
  EventHub hub;
  std::atomic<int> notified{0};
  auto first = hub.Subscribe("session-1", 0);
  first->SetNotify([&] { ++notified; });
  auto other = hub.Subscribe("session-2", 0);
  auto second = hub.Subscribe("session-1", 0);
  EXPECT_EQ(first->state(), SubscriptionState::kReplaced);
  EXPECT_EQ(notified.load(), 1);
  EXPECT_EQ(second->state(), SubscriptionState::kOpen);
  EXPECT_EQ(other->state(), SubscriptionState::kOpen);
  EXPECT_EQ(hub.subscriber_count(), 2u);
  // The empty key is never capped.
  auto anon1 = hub.Subscribe("", 0);
  auto anon2 = hub.Subscribe("", 0);
  EXPECT_EQ(anon1->state(), SubscriptionState::kOpen);
  EXPECT_EQ(hub.subscriber_count(), 4u);
}

TEST(EventHubTest, ReplaysAfterLastEventIdOrAsksForResync) {
  EventHubOptions options;
  options.replay_capacity = 5;
  EventHub hub(options);
  for (int i = 0; i < 8; ++i) hub.Publish("e", "{}");  // ids 1..8, ring keeps 4..8
  std::vector<std::shared_ptr<const SseEvent>> got;

  auto replay = hub.Subscribe("", 0, 5);
  replay->Drain(&got);
  EXPECT_EQ(Ids(got), (std::vector<uint64_t>{6, 7, 8}));
  got.clear();

  auto edge = hub.Subscribe("", 0, 3);  // 4..8 still kept: complete
  edge->Drain(&got);
  EXPECT_EQ(Ids(got), (std::vector<uint64_t>{4, 5, 6, 7, 8}));
  got.clear();

  auto too_old = hub.Subscribe("", 0, 1);  // 2 and 3 are gone
  too_old->Drain(&got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->type, "resync");
  EXPECT_EQ(got[0]->id, 8u);
  got.clear();

  auto future = hub.Subscribe("", 0, 100);  // e.g. from before a restart
  future->Drain(&got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->type, "resync");
  got.clear();

  auto up_to_date = hub.Subscribe("", 0, 8);
  EXPECT_TRUE(up_to_date->Drain(&got));
  EXPECT_TRUE(got.empty());
}

TEST(EventHubTest, DestroyingASubscriptionUnsubscribes) {
  EventHub hub;
  {
    auto s = hub.Subscribe("k", 0);
    EXPECT_EQ(hub.subscriber_count(), 1u);
  }
  EXPECT_EQ(hub.subscriber_count(), 0u);
  hub.Publish("x", "{}");  // no dangling subscriber
}

TEST(EventHubTest, ConcurrentPublishersKeepPerSubscriberOrder) {
  EventHubOptions options;
  options.queue_capacity = 100000;
  EventHub hub(options);
  auto sub = hub.Subscribe("", 0);
  std::vector<std::thread> publishers;
  for (int t = 0; t < 4; ++t) {
    publishers.emplace_back([&hub] {
      for (int i = 0; i < 1000; ++i) hub.Publish("p", "{}");
    });
  }
  for (auto& t : publishers) t.join();
  std::vector<std::shared_ptr<const SseEvent>> got;
  sub->Drain(&got);
  ASSERT_EQ(got.size(), 4000u);
  for (std::size_t i = 1; i < got.size(); ++i) ASSERT_EQ(got[i]->id, got[i - 1]->id + 1);
}

TEST(SseFormatTest, FramesMultiLineDataAndStripsNewlinesFromType) {
  SseEvent event{7, "a\nb", "line1\nline2\r\nline3", 0};
  EXPECT_EQ(FormatSseFrame(event), "id: 7\nevent: ab\ndata: line1\ndata: line2\ndata: line3\n\n");
  HttpRequest request;
  request.headers = {{"Last-Event-ID", "42"}};
  EXPECT_EQ(LastEventId(request), 42u);
  request.headers = {{"Last-Event-ID", "4x"}};
  EXPECT_EQ(LastEventId(request), std::nullopt);
  request.headers.clear();
  request.query = "lastEventId=9";
  EXPECT_EQ(LastEventId(request), 9u);
}

class SseServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.threads = 2;
    options.sse_heartbeat = milliseconds(150);
    options.shutdown_grace = milliseconds(2000);
    server_ = std::make_unique<HttpServer>(options);
    server_->HandleStream("/api/events", [this](const HttpRequest& request) {
      auto auth = request.Header("Authorization");
      if (!auth || *auth != "Bearer good") {
        return StreamStart::Refuse(HttpResponse::Error(401, "unauthorized"));
      }
      return StreamStart::Accept(hub_.Subscribe("session", 1, LastEventId(request)));
    });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }

  bool WaitForSubscribers(std::size_t n) {
    auto deadline = std::chrono::steady_clock::now() + milliseconds(3000);
    while (hub_.subscriber_count() != n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
  }

  EventHub hub_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(SseServerTest, RefusesWithoutCredentials) {
  auto response = testing::Fetch(server_->port(), "GET", "/api/events");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(hub_.subscriber_count(), 0u);
}

TEST_F(SseServerTest, OnlyGetOpensAStream) {
  auto head =
      testing::Fetch(server_->port(), "HEAD", "/api/events", "Authorization: Bearer good\r\n");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 405);
  EXPECT_EQ(head->Header("Allow"), "GET");
  EXPECT_EQ(hub_.subscriber_count(), 0u);
}

TEST_F(SseServerTest, StreamsEventsInOrderWithHeartbeats) {
  TestConnection client(server_->port());
  ASSERT_TRUE(
      client.Send("GET /api/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntil(": connected", milliseconds(3000)));
  const std::string& head = client.buffer();
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(head.find("Cache-Control: no-cache"), std::string::npos);
  EXPECT_NE(head.find("X-Request-Id: "), std::string::npos);
  ASSERT_TRUE(WaitForSubscribers(1));

  hub_.Publish("incident.created", "{\"id\":1}");
  hub_.Publish("admin.only", "{}", /*min_role=*/2);  // the stream's role is 1
  hub_.Publish("incident.updated", "{\"id\":1,\"state\":\"ack\"}");
  auto text = client.ReadUntil("state", milliseconds(3000));
  ASSERT_TRUE(text);
  std::size_t first = text->find("id: 1\nevent: incident.created\ndata: {\"id\":1}\n\n");
  std::size_t second =
      text->find("id: 3\nevent: incident.updated\ndata: {\"id\":1,\"state\":\"ack\"}\n\n");
  ASSERT_NE(first, std::string::npos) << *text;
  ASSERT_NE(second, std::string::npos) << *text;
  EXPECT_LT(first, second);
  EXPECT_EQ(text->find("admin.only"), std::string::npos);

  std::size_t seen = client.buffer().size();
  EXPECT_TRUE(client.ReadUntil(": heartbeat", milliseconds(2000), seen));
}

TEST_F(SseServerTest, ReplaysFromLastEventId) {
  hub_.Publish("e", "{\"n\":1}");
  hub_.Publish("e", "{\"n\":2}");
  hub_.Publish("e", "{\"n\":3}");
  TestConnection client(server_->port());
  ASSERT_TRUE(
      client.Send("GET /api/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "
                  "good\r\nLast-Event-ID: 1\r\n\r\n"));
  auto text = client.ReadUntil("{\"n\":3}", milliseconds(3000));
  ASSERT_TRUE(text);
  EXPECT_EQ(text->find("{\"n\":1}"), std::string::npos);
  EXPECT_NE(text->find("id: 2\n"), std::string::npos);
}

TEST_F(SseServerTest, DisconnectRemovesTheSubscriber) {
  {
    TestConnection client(server_->port());
    ASSERT_TRUE(
        client.Send("GET /api/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good\r\n\r\n"));
    ASSERT_TRUE(client.ReadUntil(": connected", milliseconds(3000)));
    ASSERT_TRUE(WaitForSubscribers(1));
  }
  EXPECT_TRUE(WaitForSubscribers(0));
  auto deadline = std::chrono::steady_clock::now() + milliseconds(3000);
  while (server_->connection_count() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(SseServerTest, ASecondStreamForTheSameKeyEndsTheFirst) {
  TestConnection first(server_->port());
  ASSERT_TRUE(
      first.Send("GET /api/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good\r\n\r\n"));
  ASSERT_TRUE(first.ReadUntil(": connected", milliseconds(3000)));
  TestConnection second(server_->port());
  ASSERT_TRUE(
      second.Send("GET /api/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good\r\n\r\n"));
  ASSERT_TRUE(second.ReadUntil(": connected", milliseconds(3000)));
  EXPECT_TRUE(first.WaitClosed(milliseconds(3000)));
  EXPECT_NE(first.buffer().find("\r\n0\r\n\r\n"), std::string::npos);  // clean chunked end
  EXPECT_EQ(hub_.subscriber_count(), 1u);
}

TEST_F(SseServerTest, StopEndsOpenStreams) {
  TestConnection client(server_->port());
  ASSERT_TRUE(
      client.Send("GET /api/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntil(": connected", milliseconds(3000)));
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  EXPECT_TRUE(client.WaitClosed(milliseconds(1000)));
  EXPECT_EQ(hub_.subscriber_count(), 0u);
}

}  // namespace
}  // namespace dai::server
