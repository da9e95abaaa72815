#include "server/sse.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <list>
#include <mutex>
#include <unordered_map>

#include "server/http_server.h"

namespace dai::server {

// One subscriber's state, owned by the hub's lock.
struct Subscriber {
  EventSubscription* owner = nullptr;
  std::string key;
  int role = 0;
  SubscriptionState state = SubscriptionState::kOpen;
  std::deque<std::shared_ptr<const SseEvent>> queue;
  std::function<void()> notify;
};

struct EventSubscription::Shared {
  explicit Shared(EventHubOptions opts) : options(opts), next_id(opts.first_id) {}

  EventHubOptions options;
  mutable std::mutex mu;
  uint64_t next_id;
  std::deque<std::shared_ptr<const SseEvent>> ring;
  std::list<Subscriber> subscribers;  // oldest first
  std::unordered_map<const EventSubscription*, std::list<Subscriber>::iterator> index;

  // Marks `it` closed and removes it from the open list; returns its notify callback (to be
  // run outside the lock). Caller holds mu.
  std::function<void()> CloseLocked(std::list<Subscriber>::iterator it, SubscriptionState state) {
    std::function<void()> notify = it->notify;
    if (state != SubscriptionState::kClosed) it->queue.clear();
    closed[it->owner] = ClosedSubscriber{state, std::move(it->queue)};
    index.erase(it->owner);
    subscribers.erase(it);
    return notify;
  }

  struct ClosedSubscriber {
    SubscriptionState state;
    std::deque<std::shared_ptr<const SseEvent>> leftover;
  };
  // Subscriptions closed while their owner object is alive (erased by the destructor).
  std::unordered_map<const EventSubscription*, ClosedSubscriber> closed;
};

namespace {
using Shared = EventSubscription::Shared;

void RunAll(const std::vector<std::function<void()>>& callbacks) {
  for (const auto& callback : callbacks) {
    if (callback) callback();
  }
}
}  // namespace

std::string FormatSseFrame(const SseEvent& event) {
  std::string frame = "id: " + std::to_string(event.id) + "\n";
  if (!event.type.empty()) {
    frame += "event: ";
    for (char c : event.type) {
      if (c != '\r' && c != '\n') frame.push_back(c);
    }
    frame += "\n";
  }
  std::string_view data = event.data;
  do {
    std::size_t end = data.find_first_of("\r\n");
    std::string_view line = data.substr(0, end);
    frame += "data: ";
    frame.append(line);
    frame += "\n";
    if (end == std::string_view::npos) break;
    if (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ++end;
    data = data.substr(end + 1);
  } while (true);
  frame += "\n";
  return frame;
}

std::optional<uint64_t> LastEventId(const HttpRequest& request) {
  std::optional<std::string> text;
  if (auto header = request.Header("Last-Event-ID")) {
    text = std::string(*header);
  } else {
    text = request.QueryParam("lastEventId");
  }
  if (!text || text->empty()) return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size()) return std::nullopt;
  return value;
}

EventSubscription::EventSubscription(std::shared_ptr<Shared> hub, std::string key, int role)
    : hub_(std::move(hub)), key_(std::move(key)), role_(role) {}

EventSubscription::~EventSubscription() {
  std::lock_guard lock(hub_->mu);
  auto it = hub_->index.find(this);
  if (it != hub_->index.end()) {
    hub_->subscribers.erase(it->second);
    hub_->index.erase(it);
  }
  hub_->closed.erase(this);
}

bool EventSubscription::Drain(std::vector<std::shared_ptr<const SseEvent>>* out) {
  std::lock_guard lock(hub_->mu);
  auto it = hub_->index.find(this);
  if (it != hub_->index.end()) {
    auto& queue = it->second->queue;
    out->insert(out->end(), queue.begin(), queue.end());
    queue.clear();
    return true;
  }
  auto closed = hub_->closed.find(this);
  if (closed != hub_->closed.end()) {
    auto& leftover = closed->second.leftover;
    out->insert(out->end(), leftover.begin(), leftover.end());
    leftover.clear();
  }
  return false;
}

void EventSubscription::SetNotify(std::function<void()> notify) {
  std::lock_guard lock(hub_->mu);
  auto it = hub_->index.find(this);
  if (it != hub_->index.end()) it->second->notify = std::move(notify);
}

void EventSubscription::Close() {
  std::function<void()> notify;
  {
    std::lock_guard lock(hub_->mu);
    auto it = hub_->index.find(this);
    if (it == hub_->index.end()) return;
    notify = hub_->CloseLocked(it->second, SubscriptionState::kClosed);
  }
  if (notify) notify();
}

SubscriptionState EventSubscription::state() const {
  std::lock_guard lock(hub_->mu);
  if (hub_->index.count(this)) return SubscriptionState::kOpen;
  auto closed = hub_->closed.find(this);
  return closed != hub_->closed.end() ? closed->second.state : SubscriptionState::kClosed;
}

EventHub::EventHub(EventHubOptions options) : shared_(std::make_shared<Shared>(options)) {}

EventHub::~EventHub() { CloseAll(); }

uint64_t EventHub::Publish(std::string type, std::string json_text, int min_role) {
  std::vector<std::function<void()>> callbacks;
  uint64_t id;
  {
    std::lock_guard lock(shared_->mu);
    auto event = std::make_shared<SseEvent>();
    event->id = id = shared_->next_id++;
    event->type = std::move(type);
    event->data = std::move(json_text);
    event->min_role = min_role;
    std::shared_ptr<const SseEvent> shared_event = std::move(event);
    shared_->ring.push_back(shared_event);
    while (shared_->ring.size() > shared_->options.replay_capacity) shared_->ring.pop_front();
    for (auto it = shared_->subscribers.begin(); it != shared_->subscribers.end();) {
      auto next = std::next(it);
      if (it->role >= min_role) {
        if (it->queue.size() >= shared_->options.queue_capacity) {
          callbacks.push_back(shared_->CloseLocked(it, SubscriptionState::kSlow));
        } else {
          it->queue.push_back(shared_event);
          callbacks.push_back(it->notify);
        }
      }
      it = next;
    }
  }
  RunAll(callbacks);
  return id;
}

std::shared_ptr<EventSubscription> EventHub::Subscribe(std::string key, int role,
                                                       std::optional<uint64_t> last_event_id) {
  std::shared_ptr<EventSubscription> subscription(new EventSubscription(shared_, key, role));
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(shared_->mu);
    std::size_t cap = shared_->options.max_streams_per_key;
    if (cap > 0 && !key.empty()) {
      std::size_t same_key = 0;
      for (const auto& s : shared_->subscribers) same_key += s.key == key ? 1 : 0;
      for (auto it = shared_->subscribers.begin();
           it != shared_->subscribers.end() && same_key >= cap;) {
        auto next = std::next(it);
        if (it->key == key) {
          callbacks.push_back(shared_->CloseLocked(it, SubscriptionState::kReplaced));
          --same_key;
        }
        it = next;
      }
    }
    Subscriber subscriber;
    subscriber.owner = subscription.get();
    subscriber.key = std::move(key);
    subscriber.role = role;
    if (last_event_id) {
      uint64_t last_published = shared_->next_id - 1;
      uint64_t oldest_kept = shared_->ring.empty() ? shared_->next_id : shared_->ring.front()->id;
      // Complete replay needs every event after last_event_id still in the ring.
      bool complete = *last_event_id <= last_published && *last_event_id + 1 >= oldest_kept;
      if (complete) {
        for (const auto& event : shared_->ring) {
          if (event->id > *last_event_id && role >= event->min_role) {
            subscriber.queue.push_back(event);
          }
        }
      } else {
        auto resync = std::make_shared<SseEvent>();
        resync->id = last_published;
        resync->type = "resync";
        resync->data = "{}";
        subscriber.queue.push_back(std::move(resync));
      }
    }
    shared_->subscribers.push_back(std::move(subscriber));
    shared_->index[subscription.get()] = std::prev(shared_->subscribers.end());
  }
  RunAll(callbacks);
  return subscription;
}

std::size_t EventHub::subscriber_count() const {
  std::lock_guard lock(shared_->mu);
  return shared_->subscribers.size();
}

uint64_t EventHub::last_id() const {
  std::lock_guard lock(shared_->mu);
  return shared_->next_id - 1;
}

void EventHub::CloseAll() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(shared_->mu);
    while (!shared_->subscribers.empty()) {
      callbacks.push_back(
          shared_->CloseLocked(shared_->subscribers.begin(), SubscriptionState::kClosed));
    }
  }
  RunAll(callbacks);
}

}  // namespace dai::server
