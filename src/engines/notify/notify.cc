#include "engines/notify/notify.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace dai::notify {

std::optional<Severity> ParseSeverity(std::string_view text) {
  if (text == "critical") return Severity::kCritical;
  if (text == "high" || text == "error") return Severity::kHigh;
  if (text == "medium" || text == "warning") return Severity::kMedium;
  if (text == "low" || text == "info") return Severity::kLow;
  return std::nullopt;
}

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kCritical:
      return "critical";
    case Severity::kHigh:
      return "high";
    case Severity::kMedium:
      return "medium";
    case Severity::kLow:
      return "low";
  }
  return "low";
}

std::string DedupKey(const Event& event) {
  return event.kind + "|" + event.subject + "|" + event.state;
}

namespace {

std::string Quote(const std::string& s) { return DumpJson(Json(s)); }

Result<std::vector<std::string>> StringList(const Json& json, const std::string& field,
                                            size_t max_items) {
  if (!json.is_array()) return Status::InvalidArgument(field + ": must be an array of strings");
  if (json.size() > max_items) {
    return Status::InvalidArgument(field + ": at most " + std::to_string(max_items) + " items");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < json.size(); ++i) {
    if (!json[i].is_string() || json[i].get<std::string>().empty() ||
        json[i].get<std::string>().size() > 200) {
      return Status::InvalidArgument(field + "[" + std::to_string(i) +
                                     "]: must be a non-empty string (at most 200 bytes)");
    }
    out.push_back(json[i].get<std::string>());
  }
  return out;
}

int MinuteOfDay(TimePoint t) {
  const int64_t ms = ToUnixMillis(t);
  int64_t minutes = ms / 60000;
  if (ms < 0 && ms % 60000 != 0) --minutes;
  int64_t m = minutes % 1440;
  if (m < 0) m += 1440;
  return static_cast<int>(m);
}

bool InQuiet(const QuietHours& q, int minute) {
  if (q.start_minute == q.end_minute) return false;
  if (q.start_minute < q.end_minute) return minute >= q.start_minute && minute < q.end_minute;
  return minute >= q.start_minute || minute < q.end_minute;
}

std::string FormatClock(int minute) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minute / 60) % 100, minute % 60);
  return buf;
}

}  // namespace

Result<int> ParseClock(std::string_view text) {
  if (text.size() != 5 || text[2] != ':')
    return Status::InvalidArgument("must be HH:MM (24-hour, UTC)");
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9')
      return Status::InvalidArgument("must be HH:MM (24-hour, UTC)");
  }
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 23 || m > 59) return Status::InvalidArgument("hour must be 00-23 and minute 00-59");
  return h * 60 + m;
}

Result<Route> ParseRoute(const Json& json) {
  if (!json.is_object()) return Status::InvalidArgument("route: must be an object");
  static const std::vector<std::string> kKnown = {"name",   "modules",    "kinds",    "minSeverity",
                                                  "labels", "quietHours", "channels", "template"};
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (std::find(kKnown.begin(), kKnown.end(), it.key()) == kKnown.end()) {
      return Status::InvalidArgument("route." + it.key() + ": unknown field");
    }
  }
  Route r;
  if (!json.contains("name") || !json["name"].is_string() ||
      json["name"].get<std::string>().empty() || json["name"].get<std::string>().size() > 200) {
    return Status::InvalidArgument("route.name: required, a non-empty string (at most 200 bytes)");
  }
  r.name = json["name"].get<std::string>();
  if (json.contains("modules")) {
    DAI_ASSIGN_OR_RETURN(r.modules, StringList(json["modules"], "route.modules", 50));
  }
  if (json.contains("kinds")) {
    DAI_ASSIGN_OR_RETURN(r.kinds, StringList(json["kinds"], "route.kinds", 50));
  }
  if (json.contains("minSeverity")) {
    const Json& s = json["minSeverity"];
    auto sev = s.is_string() ? ParseSeverity(s.get<std::string>()) : std::nullopt;
    if (!sev)
      return Status::InvalidArgument(
          "route.minSeverity: must be one of critical, high, medium, low");
    r.min_severity = *sev;
  }
  if (json.contains("labels")) {
    const Json& l = json["labels"];
    if (!l.is_object() || l.size() > 50) {
      return Status::InvalidArgument("route.labels: must be an object of at most 50 string values");
    }
    for (auto it = l.begin(); it != l.end(); ++it) {
      if (!it.value().is_string()) {
        return Status::InvalidArgument("route.labels." + it.key() + ": must be a string");
      }
      r.labels[it.key()] = it.value().get<std::string>();
    }
  }
  if (json.contains("quietHours") && !json["quietHours"].is_null()) {
    const Json& q = json["quietHours"];
    if (!q.is_object())
      return Status::InvalidArgument("route.quietHours: must be an object {start, end}");
    QuietHours qh;
    for (const char* key : {"start", "end"}) {
      if (!q.contains(key) || !q[key].is_string()) {
        return Status::InvalidArgument(std::string("route.quietHours.") + key +
                                       ": required, \"HH:MM\" (UTC)");
      }
      auto m = ParseClock(q[key].get<std::string>());
      if (!m.ok()) {
        return Status::InvalidArgument(std::string("route.quietHours.") + key + ": " +
                                       Quote(q[key].get<std::string>()) + " " +
                                       m.status().message());
      }
      (std::string_view(key) == "start" ? qh.start_minute : qh.end_minute) = *m;
    }
    if (q.contains("breakFor")) {
      auto sev = q["breakFor"].is_string() ? ParseSeverity(q["breakFor"].get<std::string>())
                                           : std::nullopt;
      if (!sev)
        return Status::InvalidArgument(
            "route.quietHours.breakFor: must be one of critical, high, medium, low");
      qh.min_severity_to_break = *sev;
    }
    r.quiet_hours = qh;
  }
  if (!json.contains("channels") || !json["channels"].is_array() || json["channels"].empty() ||
      json["channels"].size() > 20) {
    return Status::InvalidArgument("route.channels: required, an array of 1 to 20 channel ids");
  }
  for (size_t i = 0; i < json["channels"].size(); ++i) {
    const Json& c = json["channels"][i];
    if (!c.is_number_integer() || c.get<int64_t>() < 1) {
      return Status::InvalidArgument("route.channels[" + std::to_string(i) +
                                     "]: must be a channel id (integer >= 1)");
    }
    r.channels.push_back(c.get<int64_t>());
  }
  if (json.contains("template") && !json["template"].is_null()) {
    const Json& t = json["template"];
    if (!t.is_object())
      return Status::InvalidArgument("route.template: must be an object {title, text}");
    Template tmpl;
    for (const char* key : {"title", "text"}) {
      if (!t.contains(key) || !t[key].is_string() || t[key].get<std::string>().size() > 4000) {
        return Status::InvalidArgument(std::string("route.template.") + key +
                                       ": required, a string of at most 4000 bytes");
      }
      const std::string value = t[key].get<std::string>();
      auto checked = RenderTemplate(value, Json::object());
      if (!checked.ok()) {
        return Status::InvalidArgument(std::string("route.template.") + key + ": " +
                                       checked.status().message());
      }
      (std::string_view(key) == "title" ? tmpl.title : tmpl.text) = value;
    }
    r.message_template = tmpl;
  }
  return r;
}

Json RouteToJson(const Route& route) {
  Json j = {{"name", route.name},     {"modules", route.modules},
            {"kinds", route.kinds},   {"minSeverity", SeverityName(route.min_severity)},
            {"labels", route.labels}, {"channels", route.channels}};
  if (route.quiet_hours) {
    j["quietHours"] = {{"start", FormatClock(route.quiet_hours->start_minute)},
                       {"end", FormatClock(route.quiet_hours->end_minute)},
                       {"breakFor", SeverityName(route.quiet_hours->min_severity_to_break)}};
  } else {
    j["quietHours"] = nullptr;
  }
  j["template"] = route.message_template ? Json{{"title", route.message_template->title},
                                                {"text", route.message_template->text}}
                                         : Json(nullptr);
  return j;
}

bool Matches(const Route& route, const Event& event) {
  if (event.severity < route.min_severity) return false;
  if (!route.modules.empty() &&
      std::find(route.modules.begin(), route.modules.end(), event.module) == route.modules.end()) {
    return false;
  }
  if (!route.kinds.empty()) {
    bool any = false;
    for (const auto& k : route.kinds) {
      if (k.size() >= 2 && k.compare(k.size() - 2, 2, ".*") == 0) {
        const std::string_view prefix(k.data(), k.size() - 1);  // keeps the dot
        if (std::string_view(event.kind).substr(0, prefix.size()) == prefix) any = true;
      } else if (k == "*" || k == event.kind) {
        any = true;
      }
    }
    if (!any) return false;
  }
  for (const auto& [name, value] : route.labels) {
    auto it = event.labels.find(name);
    if (it == event.labels.end() || it->second != value) return false;
  }
  return true;
}

TimePoint DeliverAt(const Route& route, const Event& event, TimePoint now) {
  if (!route.quiet_hours) return now;
  const QuietHours& q = *route.quiet_hours;
  if (event.severity >= q.min_severity_to_break) return now;
  const int minute = MinuteOfDay(now);
  if (!InQuiet(q, minute)) return now;
  int wait = q.end_minute - minute;
  if (wait <= 0) wait += 1440;
  // To the start of the end minute.
  const int64_t ms = ToUnixMillis(now);
  int64_t into_minute = ms % 60000;
  if (into_minute < 0) into_minute += 60000;
  return FromUnixMillis(ms - into_minute + int64_t{wait} * 60000);
}

TimePoint RateLimitedUntil(int max_messages, Millis window, std::vector<TimePoint> sent,
                           TimePoint now) {
  if (max_messages <= 0) return now;
  const TimePoint from = now - window;
  sent.erase(
      std::remove_if(sent.begin(), sent.end(), [&](TimePoint t) { return t <= from || t > now; }),
      sent.end());
  if (static_cast<int>(sent.size()) < max_messages) return now;
  std::sort(sent.begin(), sent.end());
  // The (size - max + 1)-th oldest must leave the window for one more to fit.
  const TimePoint leaving = sent[sent.size() - static_cast<size_t>(max_messages)];
  return leaving + window + Millis(1);
}

Result<std::string> RenderTemplate(std::string_view tmpl, const Json& fields, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t open = tmpl.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    out.append(tmpl.substr(i, open - i));
    const size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("template: \"{{\" at byte " + std::to_string(open) +
                                     " is not closed");
    }
    std::string_view path = tmpl.substr(open + 2, close - open - 2);
    while (!path.empty() && path.front() == ' ') path.remove_prefix(1);
    while (!path.empty() && path.back() == ' ') path.remove_suffix(1);
    if (path.empty() || path.size() > 200) {
      return Status::InvalidArgument("template: empty or too long field name at byte " +
                                     std::to_string(open));
    }
    // Validate the whole path first: a bad name is an error whether or not it resolves.
    std::vector<std::string_view> parts;
    for (size_t p = 0;;) {
      const size_t dot = path.find('.', p);
      const std::string_view part =
          path.substr(p, dot == std::string_view::npos ? std::string_view::npos : dot - p);
      bool ok = !part.empty();
      for (char c : part)
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
      if (!ok) {
        return Status::InvalidArgument("template: bad field name " + Quote(std::string(path)) +
                                       " at byte " + std::to_string(open));
      }
      parts.push_back(part);
      if (dot == std::string_view::npos) break;
      p = dot + 1;
    }
    const Json* node = &fields;
    for (const auto& part : parts) {
      if (node == nullptr || !node->is_object()) {
        node = nullptr;
        break;
      }
      auto it = node->find(std::string(part));
      node = it == node->end() ? nullptr : &*it;
    }
    if (node != nullptr && !node->is_null()) {
      if (node->is_string()) {
        out += node->get<std::string>();
      } else {
        out += DumpJson(*node);
      }
    }
    if (out.size() > max_bytes) break;
    i = close + 2;
  }
  if (out.size() > max_bytes) {
    out.resize(max_bytes);
    out += "…";
  }
  return out;
}

Template DefaultTemplate(std::string_view kind) {
  if (kind.substr(0, 9) == "incident.") {
    return {
        "[{{incident.severity}}] Incident #{{incident.id}} {{incident.status}}: {{incident.title}}",
        "{{incident.title}}\nStatus: {{incident.status}} · Severity: {{incident.severity}} · "
        "Service: "
        "{{incident.service}}\n{{incident.description}}"};
  }
  if (kind.substr(0, 11) == "cost.budget") {
    return {"Budget {{budget.name}}: {{budget.status}}",
            "Budget {{budget.name}} is {{budget.status}}: spent {{budget.spend}} of "
            "{{budget.amount}} {{budget.currency}}"};
  }
  if (kind.substr(0, 8) == "security") {
    return {"Security: {{finding.title}}",
            "{{finding.title}} ({{finding.severity}}) on {{finding.target}}"};
  }
  if (kind.substr(0, 4) == "cicd") {
    return {"Pipeline {{run.pipeline}} run #{{run.id}} {{run.status}}",
            "Pipeline {{run.pipeline}} run #{{run.id}} finished {{run.status}}"};
  }
  return {"{{title}}", "{{text}}"};
}

Result<Message> Render(const Event& event, const std::optional<Template>& tmpl) {
  const Template t = tmpl ? *tmpl : DefaultTemplate(event.kind);
  Message m;
  m.kind = event.kind;
  m.subject = event.subject;
  m.state = event.state;
  m.severity = std::string(SeverityName(event.severity));
  m.dedup_key = DedupKey(event);
  m.fields = event.fields;
  DAI_ASSIGN_OR_RETURN(m.title, RenderTemplate(t.title, event.fields, 300));
  DAI_ASSIGN_OR_RETURN(m.text, RenderTemplate(t.text, event.fields));
  m.title = HeaderSafe(m.title);
  if (m.title.empty()) m.title = event.kind + " " + event.subject;
  return m;
}

Json WebhookBody(const Message& m) {
  return {{"kind", m.kind},          {"subject", m.subject}, {"state", m.state},
          {"severity", m.severity},  {"title", m.title},     {"text", m.text},
          {"dedupKey", m.dedup_key}, {"fields", m.fields}};
}

namespace {

std::string SlackEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Truncate(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  s.resize(cut);
  return s + "…";
}

std::string ThemeColor(const std::string& severity) {
  if (severity == "critical") return "B00020";
  if (severity == "high") return "E65100";
  if (severity == "medium") return "F9A825";
  return "2E7D32";
}

}  // namespace

Json SlackBody(const Message& m) {
  // Slack limits: header text 150 chars, section text 3000.
  return {
      {"text", SlackEscape(Truncate(m.title, 3000))},
      {"blocks",
       Json::array(
           {{{"type", "header"},
             {"text", {{"type", "plain_text"}, {"text", Truncate(m.title, 140)}}}},
            {{"type", "section"},
             {"text", {{"type", "mrkdwn"}, {"text", SlackEscape(Truncate(m.text, 2900))}}}},
            {{"type", "context"},
             {"elements", Json::array({{{"type", "mrkdwn"},
                                        {"text", SlackEscape("severity " + m.severity + " · " +
                                                             m.subject + " · " + m.state)}}})}}})}};
}

Json TeamsBody(const Message& m) {
  return {{"@type", "MessageCard"},
          {"@context", "https://schema.org/extensions"},
          {"summary", Truncate(m.title, 200)},
          {"themeColor", ThemeColor(m.severity)},
          {"title", Truncate(m.title, 300)},
          {"text", Truncate(m.text, 20000)},
          {"sections",
           Json::array({{{"facts", Json::array({{{"name", "Severity"}, {"value", m.severity}},
                                                {{"name", "Subject"}, {"value", m.subject}},
                                                {{"name", "State"}, {"value", m.state}}})}}})}};
}

std::string SignedPayload(std::string_view timestamp, std::string_view body) {
  std::string s(timestamp);
  s += '.';
  s += body;
  return s;
}

std::string HeaderSafe(std::string_view value) {
  std::string out;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string EmailText(const Message& m, std::string_view from, const std::vector<std::string>& to,
                      TimePoint date, std::string_view message_id) {
  const std::time_t t = std::chrono::system_clock::to_time_t(date);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string to_line;
  for (const auto& r : to) {
    if (!to_line.empty()) to_line += ", ";
    to_line += HeaderSafe(r);
  }
  std::string out;
  out += "Date: " + std::string(buf) + "\r\n";
  out += "From: " + HeaderSafe(from) + "\r\n";
  out += "To: " + to_line + "\r\n";
  out += "Message-ID: <" + HeaderSafe(message_id) + ">\r\n";
  // Non-ASCII subjects as an RFC 2047 encoded word would need base64; keep ASCII-only titles
  // readable and replace other bytes.
  std::string subject;
  for (char c : HeaderSafe(m.title)) subject += static_cast<unsigned char>(c) < 0x80 ? c : '?';
  out += "Subject: " + subject + "\r\n";
  out += "X-DevOps-AI-Dedup-Key: " + HeaderSafe(m.dedup_key) + "\r\n";
  out +=
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
      "8bit\r\n\r\n";
  std::string body =
      m.text + "\n\nSeverity: " + m.severity + "\nSubject: " + m.subject + " (" + m.state + ")\n";
  for (char c : body) {
    if (c == '\r') continue;
    if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace dai::notify
