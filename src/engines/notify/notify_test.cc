#include "engines/notify/notify.h"

#include <gtest/gtest.h>

namespace dai::notify {
namespace {

TimePoint At(const char* iso) { return ParseIso8601(iso).value(); }

Event Incident(const std::string& state, Severity sev = Severity::kHigh) {
  Event e;
  e.kind = "incident.updated";
  e.module = "incidentCommander";
  e.subject = "incident:42";
  e.state = state;
  e.severity = sev;
  e.labels = {{"service", "api"}, {"team", "web"}};
  e.fields = {{"incident",
               {{"id", 42},
                {"title", "API <latency> & errors"},
                {"status", state},
                {"severity", std::string(SeverityName(sev))},
                {"service", "api"}}}};
  return e;
}

TEST(NotifyRoute, ParsesAndRoundTrips) {
  auto r = ParseRoute(
      Json::parse(R"({"name":"oncall","modules":["incidentCommander"],"kinds":["incident.*"],
    "minSeverity":"high","labels":{"team":"web"},"quietHours":{"start":"22:00","end":"07:00"},"channels":[3,4]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->channels, (std::vector<int64_t>{3, 4}));
  ASSERT_TRUE(r->quiet_hours.has_value());
  EXPECT_EQ(r->quiet_hours->start_minute, 22 * 60);
  EXPECT_EQ(r->quiet_hours->end_minute, 7 * 60);
  auto again = ParseRoute(RouteToJson(*r));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(RouteToJson(*again), RouteToJson(*r));
}

TEST(NotifyRoute, BadInputNamesTheField) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"channels":[1]})", "route.name"},
      {R"({"name":"a","channels":[]})", "route.channels"},
      {R"({"name":"a","channels":[0]})", "route.channels[0]"},
      {R"({"name":"a","channels":[1],"minSeverity":"urgent"})", "route.minSeverity"},
      {R"({"name":"a","channels":[1],"quietHours":{"start":"25:00","end":"07:00"}})",
       "route.quietHours.start"},
      {R"({"name":"a","channels":[1],"quietHours":{"start":"22:00"}})", "route.quietHours.end"},
      {R"({"name":"a","channels":[1],"labels":{"x":1}})", "route.labels.x"},
      {R"({"name":"a","channels":[1],"kinds":[""]})", "route.kinds[0]"},
      {R"({"name":"a","channels":[1],"chanels":[1]})", "route.chanels"},
      {R"({"name":"a","channels":[1],"template":{"title":"{{x"}})", "route.template.title"},
      {R"({"name":"a","channels":[1],"template":{"title":"ok","text":"{{a b}}"}})",
       "route.template.text"},
  };
  for (const auto& c : cases) {
    auto r = ParseRoute(Json::parse(c.json));
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.field), std::string::npos) << r.status().message();
  }
}

TEST(NotifyRoute, MatchesModuleKindSeverityAndLabels) {
  Route r =
      ParseRoute(
          Json::parse(
              R"({"name":"a","modules":["incidentCommander"],"kinds":["incident.*"],"minSeverity":"high","labels":{"team":"web"},"channels":[1]})"))
          .value();
  EXPECT_TRUE(Matches(r, Incident("detected")));
  EXPECT_FALSE(Matches(r, Incident("detected", Severity::kMedium)));
  Event other = Incident("detected");
  other.labels["team"] = "db";
  EXPECT_FALSE(Matches(r, other));
  other = Incident("detected");
  other.module = "costOptimizer";
  EXPECT_FALSE(Matches(r, other));
  other = Incident("detected");
  other.kind = "incidentally";  // "incident.*" needs the dot
  EXPECT_FALSE(Matches(r, other));
  Route any = ParseRoute(Json::parse(R"({"name":"all","channels":[1]})")).value();
  EXPECT_TRUE(Matches(any, other));
}

TEST(NotifyQuietHours, DefersUntilTheEndUnlessSevereEnough) {
  Route r =
      ParseRoute(Json::parse(
                     R"({"name":"a","quietHours":{"start":"22:00","end":"07:00"},"channels":[1]})"))
          .value();
  const TimePoint night = At("2024-05-01T23:30:10Z");
  EXPECT_EQ(DeliverAt(r, Incident("detected", Severity::kHigh), night), At("2024-05-02T07:00:00Z"));
  EXPECT_EQ(DeliverAt(r, Incident("detected", Severity::kCritical), night), night);
  const TimePoint early = At("2024-05-02T06:59:00Z");
  EXPECT_EQ(DeliverAt(r, Incident("detected", Severity::kLow), early), At("2024-05-02T07:00:00Z"));
  const TimePoint day = At("2024-05-02T07:00:00Z");
  EXPECT_EQ(DeliverAt(r, Incident("detected", Severity::kLow), day), day);
  Route same_day =
      ParseRoute(
          Json::parse(
              R"({"name":"a","quietHours":{"start":"12:00","end":"13:00","breakFor":"high"},"channels":[1]})"))
          .value();
  EXPECT_EQ(DeliverAt(same_day, Incident("x", Severity::kMedium), At("2024-05-02T12:15:00Z")),
            At("2024-05-02T13:00:00Z"));
  EXPECT_EQ(DeliverAt(same_day, Incident("x", Severity::kHigh), At("2024-05-02T12:15:00Z")),
            At("2024-05-02T12:15:00Z"));
  EXPECT_EQ(DeliverAt(same_day, Incident("x", Severity::kMedium), At("2024-05-02T13:00:00Z")),
            At("2024-05-02T13:00:00Z"));
}

TEST(NotifyRateLimit, AllowsUpToTheLimitThenWaitsForTheOldest) {
  const TimePoint now = At("2024-05-01T12:00:00Z");
  const Millis hour = std::chrono::hours(1);
  EXPECT_EQ(RateLimitedUntil(2, hour, {}, now), now);
  EXPECT_EQ(RateLimitedUntil(2, hour, {now - std::chrono::minutes(10)}, now), now);
  const std::vector<TimePoint> two = {now - std::chrono::minutes(10),
                                      now - std::chrono::minutes(50)};
  EXPECT_EQ(RateLimitedUntil(2, hour, two, now), now - std::chrono::minutes(50) + hour + Millis(1));
  // Sends older than the window do not count.
  EXPECT_EQ(RateLimitedUntil(2, hour,
                             {now - std::chrono::minutes(61), now - std::chrono::minutes(5)}, now),
            now);
  EXPECT_EQ(RateLimitedUntil(0, hour, two, now), now);
}

TEST(NotifyTemplate, RendersPathsAndRejectsBrokenTemplates) {
  Json f = {{"incident", {{"id", 7}, {"title", "Disk full"}, {"labels", {{"host", "db1"}}}}}};
  EXPECT_EQ(RenderTemplate(
                "#{{incident.id}} {{ incident.title }} on {{incident.labels.host}}{{missing.x}}", f)
                .value(),
            "#7 Disk full on db1");
  auto bad = RenderTemplate("ok {{incident.title", f);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("byte 3"), std::string::npos);
  EXPECT_FALSE(RenderTemplate("{{a..b}}", f).ok());
  EXPECT_FALSE(RenderTemplate("{{a b}}", f).ok());
  EXPECT_EQ(RenderTemplate(std::string(100, 'x'), f, 10).value(), "xxxxxxxxxx…");
}

TEST(NotifyTemplate, ARouteTemplateOverridesTheDefault) {
  Route r = ParseRoute(Json::parse(R"({"name":"a","channels":[1],
    "template":{"title":"PAGE {{incident.service}}","text":"{{incident.title}} is {{incident.status}}"}})"))
                .value();
  ASSERT_TRUE(r.message_template.has_value());
  Message m = Render(Incident("detected"), r.message_template).value();
  EXPECT_EQ(m.title, "PAGE api");
  EXPECT_EQ(m.text, "API <latency> & errors is detected");
  EXPECT_EQ(ParseRoute(RouteToJson(r)).value().message_template->title,
            "PAGE {{incident.service}}");
}

TEST(NotifyBodies, EachChannelGetsItsWireFormat) {
  Message m = Render(Incident("detected")).value();
  EXPECT_EQ(m.dedup_key, "incident.updated|incident:42|detected");
  EXPECT_EQ(m.title, "[high] Incident #42 detected: API <latency> & errors");
  Json w = WebhookBody(m);
  EXPECT_EQ(w["dedupKey"], m.dedup_key);
  EXPECT_EQ(w["fields"]["incident"]["id"], 42);
  Json s = SlackBody(m);
  ASSERT_EQ(s["blocks"].size(), 3u);
  EXPECT_EQ(s["blocks"][0]["type"], "header");
  EXPECT_EQ(s["blocks"][1]["text"]["type"], "mrkdwn");
  EXPECT_NE(
      s["blocks"][1]["text"]["text"].get<std::string>().find("API &lt;latency&gt; &amp; errors"),
      std::string::npos);
  Json t = TeamsBody(m);
  EXPECT_EQ(t["@type"], "MessageCard");
  EXPECT_EQ(t["themeColor"], "E65100");
  EXPECT_EQ(SignedPayload("1700000000", "{}"), "1700000000.{}");
}

TEST(NotifyEmail, HeadersCannotBeInjected) {
  Event e = Incident("detected");
  e.fields["incident"]["title"] = "x\r\nBcc: victim@example.com";
  Message m = Render(e).value();
  std::string mail =
      EmailText(m, "dai@example.com", {"ops@example.com"}, At("2024-05-01T12:00:00Z"), "1@dai");
  EXPECT_EQ(mail.substr(0, mail.find("\r\n\r\n")).find("\r\nBcc:"), std::string::npos);
  EXPECT_NE(mail.find("Subject: [high] Incident #42 detected: x Bcc: victim@example.com\r\n"),
            std::string::npos);
  EXPECT_NE(mail.find("Date: Wed, 01 May 2024 12:00:00 +0000\r\n"), std::string::npos);
  // The body keeps the value, with CRLF line ends only.
  const size_t body = mail.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_NE(mail.find("Bcc: victim@example.com", body), std::string::npos);
  for (size_t i = 0; i < mail.size(); ++i) {
    if (mail[i] == '\n') {
      ASSERT_EQ(mail[i - 1], '\r') << i;
    }
  }
}

}  // namespace
}  // namespace dai::notify
