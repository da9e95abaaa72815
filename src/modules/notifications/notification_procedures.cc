// notifications.* procedures (issue #12).
#include "modules/notifications/notification_service.h"
#include "registry/schema.h"

namespace dai::notifications {

namespace s = schema;

namespace {

Json ChannelSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("name", s::String()),
       s::Req("type", s::Enum({"webhook", "slack", "teams", "email", "inbox", "grafana"})),
       s::Req("config", s::Any(), "type-specific; secrets are shown as <redacted>"),
       s::Req("rateLimitPerHour", s::Int()), s::Req("enabled", s::Bool()),
       s::Req("createdAt", s::DateTime())});
}

Json RouteSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("name", s::String()),
       s::Req("modules", s::Array(s::String())), s::Req("kinds", s::Array(s::String())),
       s::Req("minSeverity", s::Enum({"critical", "high", "medium", "low"})),
       s::Req("labels", s::StringMap()),
       s::Req("quietHours",
              s::Nullable(s::Object({s::Req("start", s::String()), s::Req("end", s::String()),
                                     s::Req("breakFor", s::String())}))),
       s::Req("channels", s::Array(s::Int())), s::Req("enabled", s::Bool())});
}

Json DeliverySchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("channelId", s::Int()), s::Req("channel", s::String()),
       s::Req("channelType", s::String()), s::Req("kind", s::String()),
       s::Req("subject", s::String()), s::Req("state", s::String()),
       s::Req("severity", s::String()), s::Req("title", s::String()),
       s::Req("status", s::Enum({"pending", "sent", "failed", "inbox"})),
       s::Req("attempts", s::Int()), s::Req("lastError", s::Nullable(s::String())),
       s::Req("responseStatus", s::Nullable(s::Int())), s::Req("deliverAfter", s::DateTime()),
       s::Req("createdAt", s::DateTime()), s::Req("sentAt", s::Nullable(s::DateTime())),
       s::Req("log", s::Array(s::Object({s::Req("attempt", s::Int()), s::Req("at", s::DateTime()),
                                         s::Req("outcome", s::Enum({"sent", "failed", "deferred"})),
                                         s::Req("responseStatus", s::Nullable(s::Int())),
                                         s::Req("detail", s::String())})))});
}

Json InboxSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("kind", s::String()), s::Req("subject", s::String()),
       s::Req("state", s::String()), s::Req("severity", s::String()), s::Req("title", s::String()),
       s::Req("text", s::String()), s::Req("createdAt", s::DateTime()), s::Req("read", s::Bool())});
}

}  // namespace

void NotificationService::RegisterProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  registry.Add(MakeProcedure("notifications.listChannels", Q, Role::kViewer, s::Object({}),
                             s::Array(ChannelSchema()), "Notification channels (secrets redacted)",
                             [this](const Json&, CallContext&) { return ListChannels(); }));
  registry.Add(MakeProcedure(
      "notifications.createChannel", M, Role::kAdmin,
      s::Object(
          {s::Req("name", s::String(1, 200)),
           s::Req("type", s::Enum({"webhook", "slack", "teams", "email", "inbox", "grafana"})),
           s::Opt("config", s::Object({}, true),
                  "webhook {url, secret?}; slack/teams {url}; email {smtpUrl, from?, to[], "
                  "username?, password?, "
                  "starttls?}; inbox {}; grafana {url, token, dashboardUid?, tags?} (events "
                  "become annotations)"),
           s::Opt("rateLimitPerHour", s::Int(0, 100000), "0 = unlimited"),
           s::Opt("enabled", s::Bool())}),
      ChannelSchema(), "Create a notification channel",
      [this](const Json& in, CallContext&) { return CreateChannel(in); }));
  auto dashboards = MakeProcedure(
      "incidentCommander.grafanaDashboards", Q, Role::kViewer, s::Object({s::Req("id", s::Int(1))}),
      s::Object({s::Req("configured", s::Bool()), s::Req("error", s::Nullable(s::String())),
                 s::Req("dashboards", s::Array(s::Object({s::Req("title", s::String()),
                                                          s::Req("url", s::String()),
                                                          s::Req("service", s::String())})))}),
      "Grafana dashboards of the incident's services (the first enabled grafana channel's "
      "search), linked at the incident's time range",
      [this](const Json& in, CallContext&) { return GrafanaDashboards(in["id"].get<int64_t>()); });
  dashboards.may_block = true;
  registry.Add(std::move(dashboards));
  registry.Add(MakeProcedure(
      "notifications.deleteChannel", M, Role::kAdmin, s::Object({s::Req("id", s::Int(1))}),
      s::Object({s::Req("deleted", s::Bool())}), "Delete a channel and its messages",
      [this](const Json& in, CallContext&) -> Result<Json> {
        DAI_ASSIGN_OR_RETURN(auto r, db_.Query("DELETE FROM notification_channels WHERE id = ?",
                                               {in["id"].get<int64_t>()}));
        if (r.affected_rows == 0) {
          return Status::NotFound("input.id: no channel " +
                                  std::to_string(in["id"].get<int64_t>()));
        }
        return Json{{"deleted", true}};
      }));
  registry.Add(MakeProcedure(
      "notifications.testChannel", M, Role::kOperator, s::Object({s::Req("id", s::Int(1))}),
      s::Object({s::Req("messageId", s::Int())}),
      "Queue a test message on a channel (delivered by a job; see listDeliveries)",
      [this](const Json& in, CallContext& ctx) -> Result<Json> {
        const int64_t channel = in["id"].get<int64_t>();
        DAI_ASSIGN_OR_RETURN(
            auto ch, db_.Query("SELECT type FROM notification_channels WHERE id = ?", {channel}));
        if (ch.rows.empty())
          return Status::NotFound("input.id: no channel " + std::to_string(channel));
        const bool inbox = ch.rows[0].GetString(0) == "inbox";
        const TimePoint now = clock_.Now();
        const std::string who = ctx.identity ? ctx.identity->username : "system";
        const std::string key = "test|" + std::to_string(ToUnixMillis(now)) + "|" + who;
        DAI_ASSIGN_OR_RETURN(
            auto ins,
            db_.Query("INSERT INTO notification_messages (channel_id, dedup_key, event_kind, "
                      "subject, state, "
                      "severity, title, body, status, deliver_after, created_at, sent_at) VALUES "
                      "(?, ?, 'test', 'channel:test', 'test', 'low', ?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (channel_id, dedup_key) DO NOTHING RETURNING id",
                      {channel, key, "Test message from DevOps AI",
                       DumpJson({{"text", "Sent by " + who + " to check this channel."},
                                 {"fields", Json::object()}}),
                       inbox ? "inbox" : "pending", now, now,
                       inbox ? store::Param(now) : store::Param(nullptr)}));
        if (ins.rows.empty())
          return Status::Conflict("a test message was just queued; try again in a moment");
        const int64_t id = ins.rows[0].GetInt(0);
        if (!inbox) DAI_RETURN_IF_ERROR(Enqueue(id, now));
        return Json{{"messageId", id}};
      }));
  registry.Add(MakeProcedure("notifications.listRoutes", Q, Role::kViewer, s::Object({}),
                             s::Array(RouteSchema()),
                             "Routing rules: which events reach which channels",
                             [this](const Json&, CallContext&) { return ListRoutes(); }));
  registry.Add(MakeProcedure(
      "notifications.createRoute", M, Role::kAdmin,
      s::Object(
          {s::Req("name", s::String(1, 200)), s::Opt("modules", s::Array(s::String(1, 200), 50)),
           s::Opt("kinds", s::Array(s::String(1, 200), 50),
                  "event kinds; \"incident.*\" matches a prefix"),
           s::Opt("minSeverity", s::Enum({"critical", "high", "medium", "low"})),
           s::Opt("labels", s::StringMap()),
           s::Opt("quietHours",
                  s::Object({s::Req("start", s::String(5, 5)), s::Req("end", s::String(5, 5)),
                             s::Opt("breakFor", s::Enum({"critical", "high", "medium", "low"}))}),
                  "UTC HH:MM; messages below breakFor wait until the end"),
           s::Req("channels", s::Array(s::Int(1), 20))}),
      RouteSchema(), "Create a routing rule",
      [this](const Json& in, CallContext&) { return CreateRoute(in); }));
  registry.Add(MakeProcedure(
      "notifications.deleteRoute", M, Role::kAdmin, s::Object({s::Req("id", s::Int(1))}),
      s::Object({s::Req("deleted", s::Bool())}), "Delete a routing rule",
      [this](const Json& in, CallContext&) -> Result<Json> {
        DAI_ASSIGN_OR_RETURN(auto r, db_.Query("DELETE FROM notification_routes WHERE id = ?",
                                               {in["id"].get<int64_t>()}));
        if (r.affected_rows == 0) {
          return Status::NotFound("input.id: no route " + std::to_string(in["id"].get<int64_t>()));
        }
        return Json{{"deleted", true}};
      }));
  registry.Add(
      MakeProcedure("notifications.listDeliveries", Q, Role::kViewer,
                    s::PageInput({s::Opt("status", s::Enum({"pending", "sent", "failed"})),
                                  s::Opt("channelId", s::Int(1))}),
                    s::Page(DeliverySchema()),
                    "Delivery log: each message with every attempt and the receiver's answer",
                    [this](const Json& in, CallContext&) { return ListDeliveries(in); }));
  registry.Add(MakeProcedure(
      "notifications.retry", M, Role::kOperator, s::Object({s::Req("id", s::Int(1))}),
      s::Object({s::Req("queued", s::Bool())}), "Queue a failed message again",
      [this](const Json& in, CallContext&) -> Result<Json> {
        const int64_t id = in["id"].get<int64_t>();
        DAI_ASSIGN_OR_RETURN(auto r,
                             db_.Query("UPDATE notification_messages SET status = 'pending' "
                                       "WHERE id = ? AND status = 'failed'",
                                       {id}));
        if (r.affected_rows == 0) {
          return Status::FailedPrecondition("input.id: message " + std::to_string(id) +
                                            " does not exist or has not failed");
        }
        DAI_RETURN_IF_ERROR(Enqueue(id, clock_.Now()));
        return Json{{"queued", true}};
      }));
  registry.Add(MakeProcedure("notifications.inbox", Q, Role::kViewer,
                             s::PageInput({s::Opt("unreadOnly", s::Bool())}),
                             s::Page(InboxSchema()), "The web client's inbox, newest first",
                             [this](const Json& in, CallContext&) { return Inbox(in); }));
  auto mark = MakeProcedure(
      "notifications.markRead", M, Role::kViewer,
      s::Object({s::Req("ids", s::Array(s::Int(1), 500))}),
      s::Object({s::Req("updated", s::Int())}), "Mark inbox messages read",
      [this](const Json& in, CallContext&) -> Result<Json> {
        int64_t n = 0;
        for (const auto& id : in["ids"]) {
          DAI_ASSIGN_OR_RETURN(
              auto r, db_.Query("UPDATE notification_messages SET read_at = ? WHERE id = ? AND "
                                "read_at IS NULL AND status = 'inbox'",
                                {clock_.Now(), id.get<int64_t>()}));
          n += r.affected_rows;
        }
        return Json{{"updated", n}};
      });
  mark.audit = false;
  registry.Add(std::move(mark));
}

}  // namespace dai::notifications
