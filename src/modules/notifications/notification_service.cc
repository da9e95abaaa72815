#include "modules/notifications/notification_service.h"

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace dai::notifications {

namespace {

constexpr size_t kDetailMax = 1000;

std::string Bounded(std::string s, size_t max = kDetailMax) {
  if (s.size() <= max) return s;
  s.resize(max);
  return s + "…";
}

std::string Quote(const std::string& s) { return DumpJson(Json(s)); }

bool IsHttpUrl(const std::string& url) {
  return (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) && url.size() > 8 &&
         url.size() <= 2048 && url.find_first_of("\r\n \t") == std::string::npos;
}

bool IsMailAddress(const std::string& a) {
  const size_t at = a.find('@');
  return !a.empty() && a.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < a.size() &&
         a.find_first_of("\r\n <>,;\"\\") == std::string::npos &&
         a.find('@', at + 1) == std::string::npos;
}

// Fields of the channel config that are secrets: never returned by a procedure.
const char* kSecretFields[] = {"secret", "password", "token"};

}  // namespace

std::string HmacSha256Hex(std::string_view secret, std::string_view data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

Result<Json> ValidateChannelConfig(const std::string& type, const Json& config) {
  if (!config.is_object()) return Status::InvalidArgument("input.config: must be an object");
  auto str = [&](const char* key) -> std::optional<std::string> {
    if (!config.contains(key) || !config[key].is_string()) return std::nullopt;
    return config[key].get<std::string>();
  };
  auto allow_only = [&](std::initializer_list<const char*> keys) -> Status {
    for (auto it = config.begin(); it != config.end(); ++it) {
      if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return it.key() == k; })) {
        return Status::InvalidArgument("input.config." + it.key() + ": unknown field for a " +
                                       type + " channel");
      }
    }
    return Status::Ok();
  };
  Json out = Json::object();
  if (type == "webhook" || type == "slack" || type == "teams") {
    DAI_RETURN_IF_ERROR(type == "webhook" ? allow_only({"url", "secret"}) : allow_only({"url"}));
    auto url = str("url");
    if (!url || !IsHttpUrl(*url)) {
      return Status::InvalidArgument("input.config.url: required, an http:// or https:// URL");
    }
    out["url"] = *url;
    if (config.contains("secret")) {
      auto secret = str("secret");
      if (!secret || secret->size() < 16 || secret->size() > 512) {
        return Status::InvalidArgument("input.config.secret: must be a string of 16 to 512 bytes");
      }
      out["secret"] = *secret;
    }
    return out;
  }
  if (type == "email") {
    DAI_RETURN_IF_ERROR(allow_only({"smtpUrl", "from", "to", "username", "password", "starttls"}));
    auto url = str("smtpUrl");
    if (!url || !(url->rfind("smtp://", 0) == 0 || url->rfind("smtps://", 0) == 0) ||
        url->size() > 1024 || url->find_first_of("\r\n \t@") != std::string::npos) {
      return Status::InvalidArgument(
          "input.config.smtpUrl: required, smtp://host:port or smtps://host:port (credentials go "
          "in username/password)");
    }
    out["smtpUrl"] = *url;
    auto from = str("from");
    if (from && !IsMailAddress(*from))
      return Status::InvalidArgument("input.config.from: not a mail address");
    if (from) out["from"] = *from;
    if (!config.contains("to") || !config["to"].is_array() || config["to"].empty() ||
        config["to"].size() > 50) {
      return Status::InvalidArgument("input.config.to: required, 1 to 50 mail addresses");
    }
    out["to"] = Json::array();
    for (size_t i = 0; i < config["to"].size(); ++i) {
      const Json& a = config["to"][i];
      if (!a.is_string() || !IsMailAddress(a.get<std::string>())) {
        return Status::InvalidArgument("input.config.to[" + std::to_string(i) +
                                       "]: not a mail address");
      }
      out["to"].push_back(a);
    }
    for (const char* k : {"username", "password"}) {
      if (config.contains(k)) {
        auto v = str(k);
        if (!v || v->size() > 512 || v->find_first_of("\r\n") != std::string::npos) {
          return Status::InvalidArgument(std::string("input.config.") + k +
                                         ": must be a single-line string");
        }
        out[k] = *v;
      }
    }
    if (config.contains("starttls")) {
      if (!config["starttls"].is_boolean())
        return Status::InvalidArgument("input.config.starttls: must be a boolean");
      out["starttls"] = config["starttls"];
    }
    return out;
  }
  if (type == "inbox") {
    DAI_RETURN_IF_ERROR(allow_only({}));
    return out;
  }
  if (type == "grafana") {
    // Grafana's HTTP API: events become annotations (POST /api/annotations) with a service
    // account token; incident pages link the dashboards its search finds (GET /api/search).
    DAI_RETURN_IF_ERROR(allow_only({"url", "token", "dashboardUid", "tags"}));
    auto url = str("url");
    if (!url || !IsHttpUrl(*url)) {
      return Status::InvalidArgument(
          "input.config.url: required, Grafana's base URL (http:// or https://)");
    }
    while (url->size() > 1 && url->back() == '/') url->pop_back();
    out["url"] = *url;
    auto token = str("token");
    if (!token || token->size() < 16 || token->size() > 4096 ||
        token->find_first_of("\r\n \t") != std::string::npos) {
      return Status::InvalidArgument(
          "input.config.token: required, a Grafana service account token (16 to 4096 bytes, no "
          "spaces)");
    }
    out["token"] = *token;
    if (config.contains("dashboardUid")) {
      auto uid = str("dashboardUid");
      if (!uid || uid->empty() || uid->size() > 40 ||
          uid->find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
              std::string::npos) {
        return Status::InvalidArgument(
            "input.config.dashboardUid: a Grafana dashboard uid (letters, digits, - and _)");
      }
      out["dashboardUid"] = *uid;
    }
    if (config.contains("tags")) {
      if (!config["tags"].is_array() || config["tags"].size() > 10)
        return Status::InvalidArgument("input.config.tags: at most 10 strings");
      out["tags"] = Json::array();
      for (size_t i = 0; i < config["tags"].size(); ++i) {
        const Json& t = config["tags"][i];
        if (!t.is_string() || t.get<std::string>().empty() || t.get<std::string>().size() > 100)
          return Status::InvalidArgument("input.config.tags[" + std::to_string(i) +
                                         "]: a string of 1 to 100 bytes");
        out["tags"].push_back(t);
      }
    }
    return out;
  }
  return Status::InvalidArgument("input.type: unknown channel type " + Quote(type));
}

NotificationService::NotificationService(store::Database& db, store::JobRepository& jobs,
                                         const Clock& clock, NotificationOptions options)
    : db_(db), jobs_(jobs), clock_(clock), options_(std::move(options)), http_(options_.http) {
  if (sodium_init() < 0) std::abort();
}

NotificationService::~NotificationService() { Stop(); }

void NotificationService::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { ThreadMain(); });
}

void NotificationService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
}

void NotificationService::OnPublished(const std::string& type, const std::string& json) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= 10000) return;  // bounded; a flood of events cannot exhaust memory
    queue_.emplace_back(type, json);
  }
  cv_.notify_all();
}

void NotificationService::ThreadMain() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    lock.unlock();
    Drain();
    lock.lock();
  }
}

void NotificationService::Drain() {
  std::lock_guard<std::mutex> drain(drain_mu_);
  while (true) {
    std::deque<std::pair<std::string, std::string>> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) return;
      batch.swap(queue_);
    }
    // Events name what changed (incident 12 updated), and EventFor reads its current state, so
    // identical events waiting together are one: a webhook flood touching one incident a
    // thousand times costs one lookup, not a thousand.
    std::set<std::pair<std::string, std::string>> seen;
    // Without an enabled route no event can become a message: skip the lookups.
    auto routes = db_.Query("SELECT count(*) FROM notification_routes WHERE enabled = ?", {true});
    if (routes.ok() && routes->rows.at(0).GetInt(0) == 0) continue;
    for (auto& item : batch) {
      if (!seen.insert(item).second) continue;
      auto payload = ParseJson(item.second);
      if (!payload.ok()) continue;
      auto event = EventFor(item.first, *payload);
      if (!event.ok() || !event->has_value()) continue;
      (void)Dispatch(**event);
    }
  }
}

Result<std::optional<notify::Event>> NotificationService::EventFor(const std::string& type,
                                                                   const Json& payload) {
  if (!payload.is_object()) return std::optional<notify::Event>();
  notify::Event e;
  if (type == "incident.updated") {
    if (!payload.contains("id") || !payload["id"].is_number_integer())
      return std::optional<notify::Event>();
    const int64_t id = payload["id"].get<int64_t>();
    DAI_ASSIGN_OR_RETURN(
        auto r,
        db_.Query("SELECT id, title, description, severity, status, service, source, labels "
                  "FROM incidents WHERE id = ?",
                  {id}));
    if (r.rows.empty()) return std::optional<notify::Event>();
    const auto& row = r.rows[0];
    e.module = "incidentCommander";
    e.subject = "incident:" + std::to_string(id);
    const std::string status = row.GetString("status");
    const std::string severity = row.GetString("severity");
    e.kind = status == "resolved" ? "incident.resolved" : "incident.open";
    // A state is status + severity: an escalation from high to critical is news again.
    e.state = status + "/" + severity;
    e.severity = notify::ParseSeverity(severity).value_or(notify::Severity::kMedium);
    auto labels = ParseJson(row.GetString("labels"));
    if (labels.ok() && labels->is_object()) {
      for (auto it = labels->begin(); it != labels->end(); ++it) {
        if (it.value().is_string()) e.labels[it.key()] = it.value().get<std::string>();
      }
    }
    // Routes match the incident's grouping labels and, for keys those lack, its alerts' labels
    // (team, env ...), so a route on team=web sees the incident its alerts belong to. At most
    // 50 members (in key order, read from the primary key: a large incident costs no more).
    DAI_ASSIGN_OR_RETURN(auto alert_rows,
                         db_.Query("SELECT a.labels FROM (SELECT fingerprint FROM incident_alerts "
                                   "WHERE incident_id = ? ORDER BY fingerprint LIMIT 50) ia JOIN "
                                   "alerts a ON a.fingerprint = ia.fingerprint",
                                   {id}));
    for (const auto& a : alert_rows.rows) {
      auto al = ParseJson(a.GetString(0));
      if (!al.ok() || !al->is_object()) continue;
      for (auto it = al->begin(); it != al->end(); ++it) {
        if (it.value().is_string() && !e.labels.count(it.key()))
          e.labels[it.key()] = it.value().get<std::string>();
      }
    }
    e.fields = {{"incident",
                 {{"id", id},
                  {"title", row.GetString("title")},
                  {"description", row.GetString("description")},
                  {"severity", severity},
                  {"status", status},
                  {"service", row.GetOptString("service").value_or("")},
                  {"source", row.GetString("source")},
                  {"labels", labels.ok() ? *labels : Json::object()}}}};
    return std::optional<notify::Event>(std::move(e));
  }
  if (type == "cost.budget") {
    if (!payload.contains("budgetId") || !payload["budgetId"].is_number_integer())
      return std::optional<notify::Event>();
    const int64_t id = payload["budgetId"].get<int64_t>();
    e.module = "costOptimizer";
    e.kind = "cost.budget";
    e.subject = "budget:" + std::to_string(id);
    const std::string kind = payload.value("kind", std::string("threshold"));
    std::string threshold = payload.contains("threshold") ? DumpJson(payload["threshold"]) : "";
    std::string period = payload.contains("period") && payload["period"].is_string()
                             ? payload["period"].get<std::string>()
                             : "";
    e.state = kind + "/" + threshold + "/" + period;
    const std::string status = payload.value("status", std::string("warning"));
    e.severity = status == "exceeded" || kind == "exceeded" ? notify::Severity::kHigh
                                                            : notify::Severity::kMedium;
    Json budget = payload;
    budget["id"] = id;
    if (!budget.contains("status")) budget["status"] = status;
    e.fields = {{"budget", budget}};
    return std::optional<notify::Event>(std::move(e));
  }
  if (type == "security.scan") {
    // A completed scan with critical or high findings is news; a clean one is not.
    if (!payload.contains("id") || !payload["id"].is_number_integer() ||
        payload.value("status", std::string()) != "completed") {
      return std::optional<notify::Event>();
    }
    const int64_t id = payload["id"].get<int64_t>();
    DAI_ASSIGN_OR_RETURN(
        auto r,
        db_.Query("SELECT scan_type, target, critical_count, high_count, medium_count, low_count "
                  "FROM security_scans WHERE id = ?",
                  {id}));
    if (r.rows.empty()) return std::optional<notify::Event>();
    const auto& row = r.rows[0];
    const int64_t critical = row.GetInt("critical_count");
    const int64_t high = row.GetInt("high_count");
    if (critical == 0 && high == 0) return std::optional<notify::Event>();
    e.module = "securityGuardian";
    e.kind = "security.findings";
    e.subject = "scan:" + std::to_string(id);
    e.state = "completed";
    e.severity = critical > 0 ? notify::Severity::kCritical : notify::Severity::kHigh;
    const std::string target = row.GetString("target");
    e.labels = {{"scanType", row.GetString("scan_type")}};
    e.fields = {{"finding",
                 {{"title", std::to_string(critical) + " critical and " + std::to_string(high) +
                                " high findings in " + row.GetString("scan_type") + " scan " +
                                std::to_string(id)},
                  {"severity", critical > 0 ? "critical" : "high"},
                  {"target", target},
                  {"scanId", id},
                  {"critical", critical},
                  {"high", high},
                  {"medium", row.GetInt("medium_count")},
                  {"low", row.GetInt("low_count")}}}};
    return std::optional<notify::Event>(std::move(e));
  }
  if (type == "healing.escalated") {
    // Self-healing gave up (retries exhausted): a human has to look.
    if (!payload.contains("actionId") || !payload["actionId"].is_number_integer())
      return std::optional<notify::Event>();
    const int64_t id = payload["actionId"].get<int64_t>();
    const std::string rule = payload.value("rule", std::string());
    const std::string target = payload.value("target", std::string());
    e.module = "selfHealing";
    e.kind = "healing.escalated";
    e.subject = "healing-action:" + std::to_string(id);
    e.state = "escalated";
    e.severity = notify::Severity::kHigh;
    e.labels = {{"rule", rule}, {"target", target}};
    if (payload.contains("labels") && payload["labels"].is_object()) {
      for (auto it = payload["labels"].begin(); it != payload["labels"].end(); ++it) {
        if (it.value().is_string() && !e.labels.count(it.key()))
          e.labels[it.key()] = it.value().get<std::string>();
      }
    }
    e.fields = {{"title", "Self-healing gave up on " + target + " (rule " + rule + ")"},
                {"text", payload.value("reason", std::string()) +
                             "\nAction: " + payload.value("actionType", std::string()) + " on " +
                             target + "; healing action #" + std::to_string(id)},
                {"healing", payload}};
    return std::optional<notify::Event>(std::move(e));
  }
  if (type == "healing.action") {
    // An action that started, succeeded or failed (the moment a change was made to a system,
    // and its outcome): low severity unless it failed, so routes with a severity floor skip it.
    const std::string status = payload.value("status", std::string());
    if (!payload.contains("id") || !payload["id"].is_number_integer() ||
        (status != "running" && status != "succeeded" && status != "failed")) {
      return std::optional<notify::Event>();
    }
    const int64_t id = payload["id"].get<int64_t>();
    DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT action_type, target, rule_name, trigger_event, "
                                           "error FROM healing_actions WHERE id = ?",
                                           {id}));
    if (r.rows.empty()) return std::optional<notify::Event>();
    const auto& row = r.rows[0];
    const std::string action = row.GetString(size_t{0});
    const std::string target = row.GetString(size_t{1});
    const std::string rule = row.GetString(size_t{2});
    e.module = "selfHealing";
    e.kind = "healing.action";
    e.subject = "healing-action:" + std::to_string(id);
    e.state = status;
    e.severity = status == "failed" ? notify::Severity::kMedium : notify::Severity::kLow;
    e.labels = {{"rule", rule}, {"target", target}, {"action", action}};
    if (auto trig = ParseJson(row.GetString(size_t{3})); trig.ok() && trig->is_object()) {
      const Json labels = trig->value("labels", Json::object());
      if (labels.is_object()) {
        for (auto it = labels.begin(); it != labels.end(); ++it) {
          if (it.value().is_string() && !e.labels.count(it.key()))
            e.labels[it.key()] = it.value().get<std::string>();
        }
      }
    }
    const std::string verb = status == "running"     ? "started"
                             : status == "succeeded" ? "succeeded"
                                                     : "failed";
    e.fields = {
        {"title", "Self-healing " + action + " on " + target + " " + verb},
        {"text", "Rule " + rule + ", healing action #" + std::to_string(id) +
                     (status == "failed" && !row.IsNull(size_t{4}) ? ": " + row.GetString(size_t{4})
                                                                   : std::string())},
        {"healing", {{"id", id}, {"action", action}, {"target", target}, {"status", status}}}};
    return std::optional<notify::Event>(std::move(e));
  }
  if (type == "cicd.run") {
    const std::string status = payload.value("status", std::string());
    if (!payload.contains("id") || !payload["id"].is_number_integer() ||
        (status != "failed" && status != "timed_out")) {
      return std::optional<notify::Event>();
    }
    const int64_t id = payload["id"].get<int64_t>();
    DAI_ASSIGN_OR_RETURN(
        auto r,
        db_.Query("SELECT p.name FROM pipeline_runs r JOIN pipelines p ON p.id = r.pipeline_id "
                  "WHERE r.id = ?",
                  {id}));
    e.module = "cicdOrchestrator";
    e.kind = "cicd.run.failed";
    e.subject = "run:" + std::to_string(id);
    e.state = status;
    e.severity = notify::Severity::kMedium;
    e.fields = {{"run",
                 {{"id", id},
                  {"status", status},
                  {"pipeline", r.rows.empty() ? "" : r.rows[0].GetString(0)}}}};
    return std::optional<notify::Event>(std::move(e));
  }
  return std::optional<notify::Event>();
}

Status NotificationService::Enqueue(int64_t message_id, TimePoint at) {
  store::NewJob job;
  job.kind = "notify.deliver";
  job.payload = DumpJson({{"messageId", message_id}});
  job.run_after = at;
  job.max_attempts = options_.max_attempts;
  job.singleton_key = "notify:" + std::to_string(message_id);
  auto id = jobs_.Enqueue(job, clock_.Now());
  if (!id.ok() && id.status().code() != StatusCode::kConflict) return id.status();
  if (notify_) notify_();
  return Status::Ok();
}

Result<int> NotificationService::Dispatch(const notify::Event& event) {
  DAI_ASSIGN_OR_RETURN(
      auto routes,
      db_.Query("SELECT id, rule FROM notification_routes WHERE enabled = ? ORDER BY id", {true}));
  const TimePoint now = clock_.Now();
  int created = 0;
  std::vector<std::pair<int64_t, TimePoint>> to_enqueue;
  for (const auto& row : routes.rows) {
    auto rule_json = ParseJson(row.GetString("rule"));
    if (!rule_json.ok()) continue;
    auto route = notify::ParseRoute(*rule_json);
    if (!route.ok() || !notify::Matches(*route, event)) continue;
    const TimePoint at = notify::DeliverAt(*route, event, now);
    auto message = notify::Render(event, route->message_template);
    if (!message.ok()) continue;  // templates were checked at creation; a value cannot break them
    for (int64_t channel_id : route->channels) {
      DAI_ASSIGN_OR_RETURN(
          auto ch,
          db_.Query("SELECT type, enabled FROM notification_channels WHERE id = ?", {channel_id}));
      if (ch.rows.empty() || !ch.rows[0].GetBool("enabled")) continue;
      const bool inbox = ch.rows[0].GetString("type") == "inbox";
      // ON CONFLICT DO NOTHING: the (channel, dedup key) pair is the "once" guarantee.
      DAI_ASSIGN_OR_RETURN(
          auto ins, db_.Query("INSERT INTO notification_messages (channel_id, route_id, dedup_key, "
                              "event_kind, subject, state, "
                              "severity, title, body, status, deliver_after, created_at, sent_at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
                              "(channel_id, dedup_key) DO NOTHING "
                              "RETURNING id",
                              {channel_id, row.GetInt("id"), message->dedup_key, message->kind,
                               message->subject, message->state, message->severity, message->title,
                               DumpJson({{"text", message->text}, {"fields", message->fields}}),
                               inbox ? "inbox" : "pending", at, now,
                               inbox ? store::Param(now) : store::Param(nullptr)}));
      if (ins.rows.empty()) continue;  // already announced on this channel
      ++created;
      if (!inbox) to_enqueue.emplace_back(ins.rows[0].GetInt(0), at);
    }
  }
  for (const auto& [id, at] : to_enqueue) DAI_RETURN_IF_ERROR(Enqueue(id, at));
  return created;
}

namespace {

struct MailSource {
  const std::string* text;
  size_t pos = 0;
};

size_t ReadMail(char* buffer, size_t size, size_t nitems, void* userp) {
  auto* src = static_cast<MailSource*>(userp);
  const size_t n = std::min(size * nitems, src->text->size() - src->pos);
  std::memcpy(buffer, src->text->data() + src->pos, n);
  src->pos += n;
  return n;
}

size_t DiscardBody(char*, size_t size, size_t nitems, void*) { return size * nitems; }

// Parses "smtp://host:port" into host and port (IPv6 literals in brackets).
bool SplitSmtpUrl(const std::string& url, std::string* host, int* port, bool* implicit_tls) {
  *implicit_tls = url.rfind("smtps://", 0) == 0;
  std::string rest = url.substr(*implicit_tls ? 8 : 7);
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) rest = rest.substr(0, slash);
  *port = *implicit_tls ? 465 : 25;
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos) return false;
    *host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      *port = std::atoi(rest.c_str() + 1);
    }
  } else {
    const size_t colon = rest.rfind(':');
    *host = rest.substr(0, colon);
    if (colon != std::string::npos) *port = std::atoi(rest.c_str() + colon + 1);
  }
  return !host->empty() && *port > 0 && *port < 65536;
}

}  // namespace

Result<Json> NotificationService::GrafanaDashboards(int64_t incident_id) {
  DAI_ASSIGN_OR_RETURN(auto inc,
                       db_.Query("SELECT service, affected_services, detected_at, resolved_at FROM "
                                 "incidents WHERE id = ?",
                                 {incident_id}));
  if (inc.rows.empty())
    return Status::NotFound("incident " + std::to_string(incident_id) + " not found");
  Json out = {{"configured", false}, {"error", nullptr}, {"dashboards", Json::array()}};
  DAI_ASSIGN_OR_RETURN(auto ch, db_.Query("SELECT config FROM notification_channels WHERE type = "
                                          "'grafana' AND enabled = ? ORDER BY id LIMIT 1",
                                          {true}));
  if (ch.rows.empty()) return out;
  out["configured"] = true;
  auto config = ParseJson(ch.rows[0].GetString(size_t{0}));
  if (!config.ok() || !config->is_object()) return out;
  const std::string base = config->value("url", std::string());
  const std::string token = config->value("token", std::string());
  std::vector<std::string> services;
  const auto& row = inc.rows[0];
  if (!row.IsNull(size_t{0}) && !row.GetString(size_t{0}).empty())
    services.push_back(row.GetString(size_t{0}));
  if (auto affected = ParseJson(row.GetString(size_t{1})); affected.ok() && affected->is_array()) {
    for (const auto& a : *affected) {
      if (a.is_string() && services.size() < 5 &&
          std::find(services.begin(), services.end(), a.get<std::string>()) == services.end())
        services.push_back(a.get<std::string>());
    }
  }
  // An hour before the detection to the resolution (or now).
  const int64_t from = ToUnixMillis(row.GetTime(size_t{2})) - 3600 * 1000;
  const int64_t to = row.IsNull(size_t{3}) ? ToUnixMillis(clock_.Now())
                                           : ToUnixMillis(row.GetTime(size_t{3})) + 600 * 1000;
  std::set<std::string> seen;
  for (const auto& service : services) {
    http::HttpClientRequest req;
    req.url = base + "/api/search?type=dash-db&limit=20&query=" + http::FormEncode(service);
    req.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    auto resp = http_.Send(req);
    if (!resp.ok() || resp->status != 200) {
      out["error"] = "Grafana search: " + (resp.ok() ? "HTTP " + std::to_string(resp->status) +
                                                           ": " + Bounded(resp->body)
                                                     : resp.status().ToString());
      break;
    }
    auto found = ParseJson(resp->body);
    if (!found.ok() || !found->is_array()) {
      out["error"] = "Grafana search: the answer is not a JSON array";
      break;
    }
    for (const auto& d : *found) {
      if (!d.is_object() || !d.contains("url") || !d["url"].is_string()) continue;
      const std::string path = d["url"].get<std::string>();
      // Only paths on the configured Grafana: never a link elsewhere from its answer.
      if (path.empty() || path[0] != '/' || path.rfind("//", 0) == 0) continue;
      if (!seen.insert(path).second || out["dashboards"].size() >= 10) continue;
      out["dashboards"].push_back(
          {{"title", d.value("title", path)},
           {"url", base + path + (path.find('?') == std::string::npos ? "?" : "&") +
                       "from=" + std::to_string(from) + "&to=" + std::to_string(to) +
                       "&var-service=" + http::FormEncode(service)},
           {"service", service}});
    }
  }
  return out;
}

DeliveryResult NotificationService::Send(const std::string& type, const Json& config,
                                         const notify::Message& message, int64_t message_id) {
  DeliveryResult out;
  if (type == "grafana") {
    Json tags =
        Json::array({"devops-ai", message.kind, message.state, "severity:" + message.severity});
    for (const char* key : {"incident", "healing"}) {
      if (message.fields.contains(key) && message.fields[key].is_object()) {
        const Json& f = message.fields[key];
        for (const char* k : {"service", "target"}) {
          if (f.contains(k) && f[k].is_string() && !f[k].get<std::string>().empty())
            tags.push_back(std::string(k) + ":" + f[k].get<std::string>());
        }
      }
    }
    if (config.contains("tags") && config["tags"].is_array()) {
      for (const auto& t : config["tags"]) tags.push_back(t);
    }
    Json body = {{"time", ToUnixMillis(clock_.Now())},
                 {"tags", tags},
                 {"text", message.title + (message.text.empty() ? "" : "\n" + message.text)}};
    if (config.contains("dashboardUid")) body["dashboardUID"] = config["dashboardUid"];
    http::HttpClientRequest req;
    req.method = "POST";
    req.url = config.value("url", std::string()) + "/api/annotations";
    req.body = DumpJson(body);
    req.headers = {{"Content-Type", "application/json"},
                   {"Authorization", "Bearer " + config.value("token", std::string())}};
    auto resp = http_.Send(req);
    if (!resp.ok()) {
      out.detail = resp.status().ToString();
      out.permanent = resp.status().code() == StatusCode::kPermissionDenied ||
                      resp.status().code() == StatusCode::kInvalidArgument;
      return out;
    }
    out.response_status = resp->status;
    out.ok = resp->status >= 200 && resp->status < 300;
    out.detail = Bounded(resp->body);
    if (!out.ok) {
      out.detail = "HTTP " + std::to_string(resp->status) + ": " + out.detail;
      out.permanent =
          resp->status >= 400 && resp->status < 500 && resp->status != 408 && resp->status != 429;
    }
    return out;
  }
  if (type == "webhook" || type == "slack" || type == "teams") {
    Json body = type == "slack"   ? notify::SlackBody(message)
                : type == "teams" ? notify::TeamsBody(message)
                                  : notify::WebhookBody(message);
    http::HttpClientRequest req;
    req.method = "POST";
    req.url = config.value("url", std::string());
    req.body = DumpJson(body);
    req.headers = {{"Content-Type", "application/json"}};
    if (type == "webhook") {
      const std::string ts = std::to_string(ToUnixMillis(clock_.Now()) / 1000);
      req.headers.emplace_back("X-DevOps-AI-Timestamp", ts);
      req.headers.emplace_back("X-DevOps-AI-Delivery", std::to_string(message_id));
      req.headers.emplace_back("X-DevOps-AI-Dedup-Key", notify::HeaderSafe(message.dedup_key));
      if (config.contains("secret") && config["secret"].is_string()) {
        req.headers.emplace_back("X-DevOps-AI-Signature",
                                 "sha256=" + HmacSha256Hex(config["secret"].get<std::string>(),
                                                           notify::SignedPayload(ts, req.body)));
      }
    }
    auto resp = http_.Send(req);
    if (!resp.ok()) {
      out.detail = resp.status().ToString();
      out.permanent = resp.status().code() == StatusCode::kPermissionDenied ||
                      resp.status().code() == StatusCode::kInvalidArgument;
      return out;
    }
    out.response_status = resp->status;
    out.ok = resp->status >= 200 && resp->status < 300;
    out.detail = Bounded(resp->body);
    if (!out.ok) {
      out.detail = "HTTP " + std::to_string(resp->status) + ": " + out.detail;
      out.permanent =
          resp->status >= 400 && resp->status < 500 && resp->status != 408 && resp->status != 429;
    }
    return out;
  }
  if (type == "email") {
    const std::string url = config.value("smtpUrl", std::string());
    std::string host;
    int port = 0;
    bool implicit_tls = false;
    if (!SplitSmtpUrl(url, &host, &port, &implicit_tls)) {
      out.detail = "bad smtpUrl";
      out.permanent = true;
      return out;
    }
    // The same outbound policy as HTTP: resolve once, check, and pin curl to the checked address.
    Status host_ok = options_.http.policy.CheckHost(host);
    if (!host_ok.ok()) {
      out.detail = host_ok.ToString();
      out.permanent = true;
      return out;
    }
    auto addresses =
        options_.http.resolver ? options_.http.resolver(host) : http::ResolveHost(host);
    if (!addresses.ok()) {
      out.detail = addresses.status().ToString();
      return out;
    }
    Status allowed = options_.http.policy.CheckDestination(host, *addresses);
    if (!allowed.ok() || addresses->empty()) {
      out.detail = allowed.ok() ? "no address for the SMTP host" : allowed.ToString();
      out.permanent = true;
      return out;
    }
    const std::string from = config.value("from", options_.default_mail_from);
    std::vector<std::string> to;
    for (const auto& a : config.value("to", Json::array())) to.push_back(a.get<std::string>());
    const std::string text =
        notify::EmailText(message, from, to, clock_.Now(),
                          std::to_string(message_id) + "." +
                              std::to_string(ToUnixMillis(clock_.Now())) + "@devops-ai");
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
      out.detail = "curl_easy_init failed";
      return out;
    }
    curl_slist* rcpt = nullptr;
    for (const auto& a : to) rcpt = curl_slist_append(rcpt, ("<" + a + ">").c_str());
    const std::string pin = host + ":" + std::to_string(port) + ":" +
                            ((*addresses)[0].family == http::IpAddress::Family::kV6
                                 ? "[" + (*addresses)[0].ToString() + "]"
                                 : (*addresses)[0].ToString());
    curl_slist* resolve = curl_slist_append(nullptr, pin.c_str());
    MailSource src{&text};
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, ("<" + from + ">").c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadMail);
    curl_easy_setopt(curl, CURLOPT_READDATA, &src);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, DiscardBody);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.smtp_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<int64_t>(options_.smtp_timeout.count(), 10000)));
    if (!implicit_tls) {
      curl_easy_setopt(curl, CURLOPT_USE_SSL,
                       config.value("starttls", false) ? static_cast<long>(CURLUSESSL_ALL)
                                                       : static_cast<long>(CURLUSESSL_NONE));
    }
    if (!options_.http.ca_file.empty())
      curl_easy_setopt(curl, CURLOPT_CAINFO, options_.http.ca_file.c_str());
    const std::string user = config.value("username", std::string());
    const std::string password = config.value("password", std::string());
    if (!user.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, user.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
    }
    const CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    curl_slist_free_all(resolve);
    curl_easy_cleanup(curl);
    out.response_status = static_cast<int>(code);
    if (rc == CURLE_OK) {
      out.ok = true;
      out.detail = "SMTP " + std::to_string(code);
    } else {
      out.detail = "SMTP error: " + std::string(error[0] != 0 ? error : curl_easy_strerror(rc)) +
                   (code != 0 ? " (server answered " + std::to_string(code) + ")" : "");
      out.permanent = code >= 500 && code < 600;  // 5xx SMTP replies are permanent failures
    }
    return out;
  }
  out.detail = "channel type " + type + " is not delivered by jobs";
  out.permanent = true;
  return out;
}

Status NotificationService::DeliverMessage(int64_t message_id, const store::Job& job,
                                           store::JobControl* control) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT m.id, m.status, m.attempts, m.event_kind, "
                                         "m.subject, m.state, m.severity, m.title, "
                                         "m.body, m.dedup_key, c.id AS channel_id, c.type, "
                                         "c.config, c.enabled, c.rate_limit_per_hour "
                                         "FROM notification_messages m JOIN notification_channels "
                                         "c ON c.id = m.channel_id WHERE m.id = ?",
                                         {message_id}));
  if (r.rows.empty()) return Status::Ok();  // the channel was deleted with its messages
  const auto& row = r.rows[0];
  if (row.GetString("status") != "pending") return Status::Ok();
  const TimePoint now = clock_.Now();
  const int attempt = static_cast<int>(row.GetInt("attempts")) + 1;
  auto log = [&](const char* outcome, int status, const std::string& detail) -> Status {
    return db_
        .Query(
            "INSERT INTO notification_attempts (message_id, attempt, at, outcome, response_status, "
            "detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            {message_id, int64_t{attempt}, now, outcome,
             status ? store::Param(int64_t{status}) : store::Param(nullptr), Bounded(detail)})
        .status();
  };
  if (!row.GetBool("enabled")) {
    DAI_RETURN_IF_ERROR(log("failed", 0, "channel disabled"));
    return db_
        .Query("UPDATE notification_messages SET status = 'failed', last_error = ? WHERE id = ?",
               {"channel disabled", message_id})
        .status();
  }
  // Rate limit per channel: defer (never drop) when the window is full.
  const int limit = static_cast<int>(row.GetInt("rate_limit_per_hour"));
  if (limit > 0) {
    const TimePoint from = now - options_.rate_window;
    DAI_ASSIGN_OR_RETURN(
        auto sent, db_.Query("SELECT sent_at FROM notification_messages WHERE channel_id = ? AND "
                             "status = 'sent' AND sent_at > ?",
                             {row.GetInt("channel_id"), from}));
    std::vector<TimePoint> times;
    for (const auto& s : sent.rows) times.push_back(s.GetTime(0));
    const TimePoint until = notify::RateLimitedUntil(limit, options_.rate_window, times, now);
    if (until > now) {
      DAI_RETURN_IF_ERROR(
          db_.Query("INSERT INTO notification_attempts (message_id, attempt, at, outcome, detail) "
                    "VALUES (?, ?, ?, 'deferred', ?)",
                    {message_id, int64_t{attempt - 1}, now,
                     "rate limit of " + std::to_string(limit) +
                         " per hour reached; next attempt at " + FormatIso8601(until)})
              .status());
      DAI_RETURN_IF_ERROR(
          db_.Query("UPDATE notification_messages SET deliver_after = ? WHERE id = ?",
                    {until, message_id})
              .status());
      if (control != nullptr) {
        control->RescheduleAt(until);
        return Status::Ok();
      }
      return Status::ResourceExhausted("rate limited until " + FormatIso8601(until));
    }
  }
  notify::Message m;
  m.kind = row.GetString("event_kind");
  m.subject = row.GetString("subject");
  m.state = row.GetString("state");
  m.severity = row.GetString("severity");
  m.title = row.GetString("title");
  m.dedup_key = row.GetString("dedup_key");
  auto body = ParseJson(row.GetString("body"));
  if (body.ok() && body->is_object()) {
    m.text = body->value("text", std::string());
    if (body->contains("fields")) m.fields = (*body)["fields"];
  }
  auto config = ParseJson(row.GetString("config"));
  const DeliveryResult res =
      Send(row.GetString("type"), config.ok() ? *config : Json::object(), m, message_id);
  DAI_RETURN_IF_ERROR(log(res.ok ? "sent" : "failed", res.response_status, res.detail));
  if (res.ok) {
    return db_
        .Query(
            "UPDATE notification_messages SET status = 'sent', sent_at = ?, attempts = ?, "
            "response_status = ?, "
            "last_error = NULL WHERE id = ?",
            {now, int64_t{attempt}, int64_t{res.response_status}, message_id})
        .status();
  }
  const bool last = res.permanent || job.attempts >= job.max_attempts;
  DAI_RETURN_IF_ERROR(
      db_.Query("UPDATE notification_messages SET status = ?, attempts = ?, response_status = ?, "
                "last_error = ? WHERE id = ?",
                {last ? "failed" : "pending", int64_t{attempt},
                 res.response_status ? store::Param(int64_t{res.response_status})
                                     : store::Param(nullptr),
                 Bounded(res.detail), message_id})
          .status());
  if (res.permanent)
    return Status::InvalidArgument("delivery refused: " + Bounded(res.detail, 300));
  return Status::Unavailable("delivery failed (attempt " + std::to_string(attempt) +
                             "): " + Bounded(res.detail, 300));
}

Status NotificationService::AttachWorker(store::JobWorker& worker) {
  worker.Register(
      "notify.deliver", [this](const store::Job& job, store::JobControl& control) -> Status {
        auto payload = ParseJson(job.payload);
        if (!payload.ok() || !payload->is_object() || !payload->contains("messageId") ||
            !(*payload)["messageId"].is_number_integer()) {
          return Status::InvalidArgument("notify.deliver job: payload lacks an integer messageId");
        }
        return DeliverMessage((*payload)["messageId"].get<int64_t>(), job, &control);
      });
  return Status::Ok();
}

Result<Json> NotificationService::ChannelJson(const store::Row& row) {
  auto config = ParseJson(row.GetString("config"));
  Json c = config.ok() && config->is_object() ? *config : Json::object();
  for (const char* secret : kSecretFields) {
    if (c.contains(secret)) c[secret] = "<redacted>";
  }
  return Json{{"id", row.GetInt("id")},
              {"name", row.GetString("name")},
              {"type", row.GetString("type")},
              {"config", c},
              {"rateLimitPerHour", row.GetInt("rate_limit_per_hour")},
              {"enabled", row.GetBool("enabled")},
              {"createdAt", FormatIso8601(row.GetTime("created_at"))}};
}

Result<Json> NotificationService::CreateChannel(const Json& input) {
  const std::string type = input["type"].get<std::string>();
  DAI_ASSIGN_OR_RETURN(Json config,
                       ValidateChannelConfig(type, input.value("config", Json::object())));
  const TimePoint now = clock_.Now();
  auto r = db_.Query(
      "INSERT INTO notification_channels (name, type, config, rate_limit_per_hour, enabled, "
      "created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id, name, type, config, "
      "rate_limit_per_hour, "
      "enabled, created_at",
      {input["name"].get<std::string>(), type, DumpJson(config),
       input.value("rateLimitPerHour", int64_t{60}), input.value("enabled", true), now, now});
  if (!r.ok() && r.status().code() == StatusCode::kConflict) {
    return Status::Conflict("input.name: a channel named " +
                            Quote(input["name"].get<std::string>()) + " exists");
  }
  DAI_RETURN_IF_ERROR(r.status());
  return ChannelJson(r->rows.at(0));
}

Result<Json> NotificationService::ListChannels() {
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("SELECT id, name, type, config, rate_limit_per_hour, enabled, created_at "
                        "FROM notification_channels ORDER BY id"));
  Json items = Json::array();
  for (const auto& row : r.rows) {
    DAI_ASSIGN_OR_RETURN(Json c, ChannelJson(row));
    items.push_back(std::move(c));
  }
  return items;
}

Result<Json> NotificationService::CreateRoute(const Json& input) {
  DAI_ASSIGN_OR_RETURN(notify::Route route, notify::ParseRoute(input));
  for (size_t i = 0; i < route.channels.size(); ++i) {
    DAI_ASSIGN_OR_RETURN(auto ch, db_.Query("SELECT id FROM notification_channels WHERE id = ?",
                                            {route.channels[i]}));
    if (ch.rows.empty()) {
      return Status::NotFound("input.channels[" + std::to_string(i) + "]: no channel " +
                              std::to_string(route.channels[i]));
    }
  }
  const Json rule = notify::RouteToJson(route);
  auto r = db_.Query(
      "INSERT INTO notification_routes (name, rule, enabled, created_at) VALUES (?, ?, ?, ?) "
      "RETURNING id",
      {route.name, DumpJson(rule), true, clock_.Now()});
  if (!r.ok() && r.status().code() == StatusCode::kConflict) {
    return Status::Conflict("input.name: a route named " + Quote(route.name) + " exists");
  }
  DAI_RETURN_IF_ERROR(r.status());
  Json out = rule;
  out["id"] = r->rows.at(0).GetInt(0);
  out["enabled"] = true;
  return out;
}

Result<Json> NotificationService::ListRoutes() {
  DAI_ASSIGN_OR_RETURN(auto r,
                       db_.Query("SELECT id, rule, enabled FROM notification_routes ORDER BY id"));
  Json items = Json::array();
  for (const auto& row : r.rows) {
    auto rule = ParseJson(row.GetString("rule"));
    Json j = rule.ok() ? *rule : Json::object();
    j["id"] = row.GetInt("id");
    j["enabled"] = row.GetBool("enabled");
    items.push_back(std::move(j));
  }
  return items;
}

Result<Json> NotificationService::ListDeliveries(const Json& input) {
  const int64_t limit = input.value("limit", int64_t{50});
  const int64_t offset = input.value("offset", int64_t{0});
  std::string where = "WHERE c.type <> 'inbox'";
  store::Params params;
  if (input.contains("status")) {
    where += " AND m.status = ?";
    params.emplace_back(input["status"].get<std::string>());
  }
  if (input.contains("channelId")) {
    where += " AND m.channel_id = ?";
    params.emplace_back(input["channelId"].get<int64_t>());
  }
  DAI_ASSIGN_OR_RETURN(
      auto count,
      db_.Query("SELECT COUNT(*) FROM notification_messages m JOIN notification_channels c "
                "ON c.id = m.channel_id " +
                    where,
                params));
  params.emplace_back(limit);
  params.emplace_back(offset);
  DAI_ASSIGN_OR_RETURN(
      auto r,
      db_.Query(
          "SELECT m.id, m.channel_id, c.name AS channel, c.type, m.event_kind, m.subject, "
          "m.state, m.severity, m.title, m.status, m.attempts, m.last_error, "
          "m.response_status, m.deliver_after, m.created_at, m.sent_at "
          "FROM notification_messages m JOIN notification_channels c ON c.id = m.channel_id " +
              where + " ORDER BY m.id DESC LIMIT ? OFFSET ?",
          params));
  Json items = Json::array();
  for (const auto& row : r.rows) {
    const int64_t id = row.GetInt("id");
    DAI_ASSIGN_OR_RETURN(auto att,
                         db_.Query("SELECT attempt, at, outcome, response_status, detail FROM "
                                   "notification_attempts WHERE message_id = ? ORDER BY id",
                                   {id}));
    Json attempts = Json::array();
    for (const auto& a : att.rows) {
      attempts.push_back(
          {{"attempt", a.GetInt("attempt")},
           {"at", FormatIso8601(a.GetTime("at"))},
           {"outcome", a.GetString("outcome")},
           {"responseStatus",
            a.IsNull("response_status") ? Json(nullptr) : Json(a.GetInt("response_status"))},
           {"detail", a.GetString("detail")}});
    }
    items.push_back(
        {{"id", id},
         {"channelId", row.GetInt("channel_id")},
         {"channel", row.GetString("channel")},
         {"channelType", row.GetString("type")},
         {"kind", row.GetString("event_kind")},
         {"subject", row.GetString("subject")},
         {"state", row.GetString("state")},
         {"severity", row.GetString("severity")},
         {"title", row.GetString("title")},
         {"status", row.GetString("status")},
         {"attempts", row.GetInt("attempts")},
         {"lastError",
          row.IsNull("last_error") ? Json(nullptr) : Json(row.GetString("last_error"))},
         {"responseStatus",
          row.IsNull("response_status") ? Json(nullptr) : Json(row.GetInt("response_status"))},
         {"deliverAfter", FormatIso8601(row.GetTime("deliver_after"))},
         {"createdAt", FormatIso8601(row.GetTime("created_at"))},
         {"sentAt",
          row.IsNull("sent_at") ? Json(nullptr) : Json(FormatIso8601(row.GetTime("sent_at")))},
         {"log", attempts}});
  }
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

Result<Json> NotificationService::Inbox(const Json& input) {
  const int64_t limit = input.value("limit", int64_t{50});
  const int64_t offset = input.value("offset", int64_t{0});
  const bool unread = input.value("unreadOnly", false);
  const std::string where =
      std::string("WHERE c.type = 'inbox'") + (unread ? " AND m.read_at IS NULL" : "");
  DAI_ASSIGN_OR_RETURN(
      auto count,
      db_.Query("SELECT COUNT(*) FROM notification_messages m JOIN notification_channels c "
                "ON c.id = m.channel_id " +
                where));
  DAI_ASSIGN_OR_RETURN(
      auto r,
      db_.Query("SELECT m.id, m.event_kind, m.subject, m.state, m.severity, m.title, m.body, "
                "m.created_at, m.read_at FROM notification_messages m JOIN notification_channels c "
                "ON c.id = m.channel_id " +
                    where + " ORDER BY m.id DESC LIMIT ? OFFSET ?",
                {limit, offset}));
  Json items = Json::array();
  for (const auto& row : r.rows) {
    auto body = ParseJson(row.GetString("body"));
    items.push_back({{"id", row.GetInt("id")},
                     {"kind", row.GetString("event_kind")},
                     {"subject", row.GetString("subject")},
                     {"state", row.GetString("state")},
                     {"severity", row.GetString("severity")},
                     {"title", row.GetString("title")},
                     {"text", body.ok() && body->is_object() ? body->value("text", std::string())
                                                             : std::string()},
                     {"createdAt", FormatIso8601(row.GetTime("created_at"))},
                     {"read", !row.IsNull("read_at")}});
  }
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(0)},
              {"limit", limit},
              {"offset", offset}};
}

}  // namespace dai::notifications
