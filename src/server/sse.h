// EventHub: in-process publish/subscribe for Server-Sent Events (live updates at /api/events).
//
// Publishers call Publish(type, json_text, min_role); each event gets the next id
// (monotonically increasing) and goes into a bounded replay ring and into the bounded queue of
// every open subscription whose role is at least min_role. A subscriber whose queue is full is
// closed (kSlow) instead of blocking the publisher; its client reconnects with Last-Event-ID
// and is replayed from the ring. Subscribers are grouped by a key (e.g. the session id): at
// most `max_streams_per_key` stay open per key, a newer one closes the oldest (kReplaced).
//
// The HTTP server drains a subscription from its connection (see HttpServer::HandleStream);
// the hub never calls into the network.
//
// Thread-safety: EventHub and EventSubscription are safe to use from any thread. Notify
// callbacks run on the publishing (or closing) thread, outside the hub's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dai::server {

struct HttpRequest;  // http_server.h

struct SseEvent {
  uint64_t id = 0;
  std::string type;  //!< the SSE `event:` name, e.g. "incident.updated"
  std::string data;  //!< JSON text (the SSE `data:` payload)
  int min_role = 0;  //!< subscribers below this role never see the event
};

//! Formats one event as an SSE frame: "id: N\nevent: T\ndata: ...\n\n" (one data line per
//! line of `data`; CR/LF in `type` are removed).
std::string FormatSseFrame(const SseEvent& event);

//! The Last-Event-ID a reconnecting client sent (header `Last-Event-ID`, or query parameter
//! `lastEventId` for clients that cannot set headers); nullopt when absent or not a number.
std::optional<uint64_t> LastEventId(const HttpRequest& request);

struct EventHubOptions {
  std::size_t queue_capacity = 256;     //!< per-subscriber pending events before it is dropped
  std::size_t replay_capacity = 1024;   //!< events kept for Last-Event-ID replay
  std::size_t max_streams_per_key = 1;  //!< 0: unlimited; the empty key is never capped
  uint64_t first_id = 1;  //!< id of the first event (e.g. seed from the clock across restarts)
};

enum class SubscriptionState {
  kOpen,
  kSlow,      //!< its queue overflowed; the client should reconnect with Last-Event-ID
  kReplaced,  //!< a newer stream with the same key took its place
  kClosed,    //!< closed by its owner (Close()) or the hub (CloseAll / destruction)
};

class EventHub;

//! One subscriber's queue. Obtained from EventHub::Subscribe; unsubscribes on destruction.
class EventSubscription {
 public:
  ~EventSubscription();
  EventSubscription(const EventSubscription&) = delete;
  EventSubscription& operator=(const EventSubscription&) = delete;

  //! Appends the pending events (in id order) to *out and empties the queue. Returns false
  //! when the subscription is closed (after appending what was pending before the close of a
  //! kClosed subscription; a kSlow or kReplaced one delivers nothing more).
  bool Drain(std::vector<std::shared_ptr<const SseEvent>>* out);
  //! Sets the callback run after events are queued or the subscription closes. It must be
  //! cheap and must not block (typically: post a wake-up to the connection's executor).
  void SetNotify(std::function<void()> notify);
  //! Closes the subscription (state kClosed unless already closed) and notifies.
  void Close();
  SubscriptionState state() const;
  const std::string& key() const { return key_; }
  int role() const { return role_; }

  struct Shared;  // in sse.cc

 private:
  friend class EventHub;
  EventSubscription(std::shared_ptr<Shared> hub, std::string key, int role);
  std::shared_ptr<Shared> hub_;
  std::string key_;
  int role_;
};

class EventHub {
 public:
  explicit EventHub(EventHubOptions options = {});
  ~EventHub();  //!< Closes every subscription (kClosed).
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  //! Publishes an event to subscribers with role >= min_role; returns its id.
  uint64_t Publish(std::string type, std::string json_text, int min_role = 0);
  //! Opens a subscription for `key` with `role`. With `last_event_id`, events after it that are
  //! still in the replay ring are queued first; when the ring no longer reaches back that far
  //! (or the id is from the future, e.g. before a restart) a single `resync` event (data "{}")
  //! is queued first instead, telling the client to refetch its state.
  std::shared_ptr<EventSubscription> Subscribe(std::string key, int role,
                                               std::optional<uint64_t> last_event_id = {});
  //! Open subscriptions.
  std::size_t subscriber_count() const;
  //! Id of the last published event (first_id - 1 before any).
  uint64_t last_id() const;
  //! Closes every open subscription (kClosed); new ones can still be opened.
  void CloseAll();

 private:
  std::shared_ptr<EventSubscription::Shared> shared_;
};

}  // namespace dai::server
