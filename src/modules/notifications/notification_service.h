// NotificationService (issue #12): channels, routes, deliveries and the web inbox.
//
// Every event a module publishes (incident.updated, cost.budget, cicd.run ...) is handed to
// OnPublished(), queued, and turned on the service's own thread into a notify::Event read from
// the store (the incident's current status and severity, the run's pipeline ...). Each route
// that matches names channels; one notification_messages row is inserted per channel and
// dedup key (incident state change), UNIQUE in the store, so a second alert for the same
// incident state never produces a second message. Each message is delivered by a durable
// "notify.deliver" job: quiet hours set its first run, the channel's rate limit defers it, a
// failed attempt is retried with the worker's exponential backoff up to max_attempts, and every
// attempt is a row in notification_attempts (the delivery log, with the receiver's answer).
//
// Channels: generic webhook (JSON, HMAC-SHA256 signature header), Slack incoming webhook
// (blocks), Microsoft Teams connector (MessageCard), email over SMTP (libcurl: STARTTLS,
// AUTH), and the inbox (rows read by the web client). Outbound requests go through the one
// HttpClient and its OutboundPolicy; SMTP destinations are checked against the same policy and
// pinned to the checked address. Values from events only travel as JSON fields or mail text.
// Thread-safety: procedures and job handlers may run concurrently; OnPublished from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "adapters/http/http_client.h"
#include "core/clock.h"
#include "engines/notify/notify.h"
#include "registry/procedure.h"
#include "store/database.h"
#include "store/job_repository.h"
#include "store/job_worker.h"

namespace dai::notifications {

struct NotificationOptions {
  http::HttpClientOptions http;  //!< webhook/Slack/Teams requests (policy, timeouts)
  std::chrono::milliseconds smtp_timeout{std::chrono::seconds(20)};
  std::chrono::milliseconds rate_window{std::chrono::hours(1)};
  int max_attempts = 6;
  std::string default_mail_from = "devops-ai@localhost";
};

//! The outcome of one delivery attempt.
struct DeliveryResult {
  bool ok = false;
  bool permanent = false;  //!< retrying cannot help (4xx other than 408/429, refused address)
  int response_status = 0;
  std::string detail;  //!< the receiver's answer (bounded) or the error
};

class NotificationService {
 public:
  NotificationService(store::Database& db, store::JobRepository& jobs, const Clock& clock,
                      NotificationOptions options);
  ~NotificationService();
  NotificationService(const NotificationService&) = delete;
  NotificationService& operator=(const NotificationService&) = delete;

  void RegisterProcedures(ProcedureRegistry& registry);
  //! Registers the "notify.deliver" job kind.
  Status AttachWorker(store::JobWorker& worker);
  //! Called after a delivery job is enqueued (wakes the worker).
  void SetNotify(std::function<void()> notify) { notify_ = std::move(notify); }

  //! Starts / stops the thread that turns published events into messages.
  void Start();
  void Stop();
  //! Queues a published event (any thread; never blocks on the store).
  void OnPublished(const std::string& type, const std::string& json);
  //! Processes every queued event on the calling thread (tests, and Stop()).
  void Drain();

  //! Reads the store to describe a published event; nullopt when it announces nothing.
  Result<std::optional<notify::Event>> EventFor(const std::string& type, const Json& payload);
  //! Routes `event`: inserts the messages that are new (per channel and dedup key) and
  //! enqueues their deliveries. Returns the number of new messages.
  Result<int> Dispatch(const notify::Event& event);
  //! One delivery attempt of a message (the job handler's body).
  Status DeliverMessage(int64_t message_id, const store::Job& job, store::JobControl* control);
  //! Sends a message body to a channel without recording anything (tests use it directly).
  DeliveryResult Send(const std::string& type, const Json& config, const notify::Message& message,
                      int64_t message_id);

  // Procedure bodies (also used by tests).
  Result<Json> CreateChannel(const Json& input);
  Result<Json> ListChannels();
  //! The dashboards Grafana's search finds for the incident's services (the first enabled
  //! grafana channel), each URL opened at the incident's time range with var-service set.
  Result<Json> GrafanaDashboards(int64_t incident_id);
  Result<Json> CreateRoute(const Json& input);
  Result<Json> ListRoutes();
  Result<Json> ListDeliveries(const Json& input);
  Result<Json> Inbox(const Json& input);

 private:
  Result<Json> ChannelJson(const store::Row& row);
  Status Enqueue(int64_t message_id, TimePoint at);
  void ThreadMain();

  store::Database& db_;
  store::JobRepository& jobs_;
  const Clock& clock_;
  NotificationOptions options_;
  http::HttpClient http_;
  std::function<void()> notify_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool stopping_ = false;
  bool running_ = false;
  std::thread thread_;
  std::mutex drain_mu_;  // one drainer at a time
};

//! Validates a channel's type-specific config and returns it normalized.
//! INVALID_ARGUMENT naming the field ("input.config.url: ...").
Result<Json> ValidateChannelConfig(const std::string& type, const Json& config);
//! hex(HMAC-SHA256(secret, data)) with libsodium.
std::string HmacSha256Hex(std::string_view secret, std::string_view data);

}  // namespace dai::notifications
