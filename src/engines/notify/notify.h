// Notification engine (issue #12): routing rules, quiet hours, rate limits, deduplication keys,
// templates and the bodies each channel kind expects (generic JSON webhook, Slack incoming
// webhook blocks, Microsoft Teams MessageCard, RFC 5322 mail). Pure: no I/O, no clock — every
// decision takes `now` as input.
// Thread-safety: free functions over values; safe for concurrent use.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/status.h"

namespace dai::notify {

enum class Severity { kLow = 0, kMedium = 1, kHigh = 2, kCritical = 3 };
//! "critical" | "high" | "medium" | "low" (also "warning" → medium, "info" → low).
std::optional<Severity> ParseSeverity(std::string_view text);
std::string_view SeverityName(Severity severity);

//! Something worth telling people about: one state of one subject ("incident:42" resolved).
struct Event {
  std::string kind;     //!< "incident.opened", "incident.resolved", "cost.budget", ...
  std::string module;   //!< "incidentCommander", "costOptimizer", ...
  std::string subject;  //!< "incident:42"
  std::string state;    //!< the subject's state this message announces ("detected", "resolved")
  Severity severity = Severity::kMedium;
  std::map<std::string, std::string> labels;
  Json fields = Json::object();  //!< template fields ({"incident": {...}})
};

//! The deduplication key: one message per subject state, whatever number of alerts or
//! events announced it ("incident.updated|incident:42|resolved").
std::string DedupKey(const Event& event);

//! Quiet hours in UTC minutes of the day [start, end) (wrapping midnight when start > end).
//! Messages below `min_severity_to_break` wait until the quiet hours end.
struct QuietHours {
  int start_minute = 0;
  int end_minute = 0;
  Severity min_severity_to_break = Severity::kCritical;
};

//! A message's title and text templates ({{path}} fields, see RenderTemplate).
struct Template {
  std::string title;
  std::string text;
};

struct Route {
  std::string name;
  std::vector<std::string> modules;  //!< empty: any module
  std::vector<std::string> kinds;    //!< empty: any; "incident.*" matches a prefix
  Severity min_severity = Severity::kLow;
  std::map<std::string, std::string> labels;  //!< each must be equal on the event
  std::optional<QuietHours> quiet_hours;
  std::vector<int64_t> channels;  //!< channel ids, at least one
  //! Overrides the built-in template of the event's kind for this route's messages.
  std::optional<Template> message_template;
};

//! Parses {"name", "modules"?, "kinds"?, "minSeverity"?, "labels"?,
//! "quietHours"? {"start":"22:00","end":"07:00","breakFor"?:"critical"}, "channels":[ids],
//! "template"? {"title","text"}} (templates are checked for syntax here).
//! INVALID_ARGUMENT naming the field ("route.quietHours.start: ...").
Result<Route> ParseRoute(const Json& json);
Json RouteToJson(const Route& route);

bool Matches(const Route& route, const Event& event);

//! The earliest time a message for `event` on `route` may go out: `now`, or the end of the
//! route's quiet hours when `now` falls inside them and the severity does not break them.
TimePoint DeliverAt(const Route& route, const Event& event, TimePoint now);

//! "HH:MM" → minutes of the day; INVALID_ARGUMENT otherwise.
Result<int> ParseClock(std::string_view text);

//! At most `max_messages` per `window` per channel. Given the send times already in the
//! window (any order), returns `now` when one more may go out, or the time the oldest of the
//! last `max_messages` leaves the window. max_messages <= 0 means unlimited.
TimePoint RateLimitedUntil(int max_messages, Millis window, std::vector<TimePoint> sent,
                           TimePoint now);

//! Renders "{{incident.title}} is {{incident.status}}": each {{path}} is a dotted path into
//! `fields`; strings insert as is, numbers/bools as JSON, missing paths as "". INVALID_ARGUMENT
//! for an unclosed "{{" or a bad path (position named). Output is capped at `max_bytes`.
Result<std::string> RenderTemplate(std::string_view tmpl, const Json& fields,
                                   size_t max_bytes = 16384);

//! The built-in title and text templates for an event kind.
Template DefaultTemplate(std::string_view kind);

//! A rendered message, ready for a channel.
struct Message {
  std::string kind;
  std::string subject;
  std::string state;
  std::string severity;
  std::string title;
  std::string text;
  std::string dedup_key;
  Json fields = Json::object();
};

//! Renders `event` with `tmpl` (or the default one for its kind).
Result<Message> Render(const Event& event, const std::optional<Template>& tmpl = std::nullopt);

//! Generic webhook JSON: {"kind","subject","state","severity","title","text","dedupKey","fields"}.
Json WebhookBody(const Message& message);
//! Slack incoming webhook: {"text", "blocks":[header, section (mrkdwn), context]} with Slack's
//! control characters (& < >) escaped.
Json SlackBody(const Message& message);
//! Microsoft Teams connector MessageCard.
Json TeamsBody(const Message& message);
//! The signature header value for a generic webhook: "sha256=" + hex(HMAC-SHA256(secret,
//! timestamp + "." + body)). The HMAC itself is computed by the caller (crypto is not an
//! engine concern); this builds the signed string.
std::string SignedPayload(std::string_view timestamp, std::string_view body);
//! An RFC 5322 message (CRLF line ends, dot-stuffing left to the SMTP client). Header values
//! have CR/LF replaced so no value can add a header.
std::string EmailText(const Message& message, std::string_view from,
                      const std::vector<std::string>& to, TimePoint date,
                      std::string_view message_id);
//! Removes CR, LF and other control characters from a header value.
std::string HeaderSafe(std::string_view value);

}  // namespace dai::notify
