// The auth.*, users.*, tokens.* and audit.* procedures.
#include "core/json.h"
#include "modules/auth/auth_service.h"
#include "registry/schema.h"

namespace dai::auth {
namespace {

namespace s = schema;

Json UserSchema() {
  return s::Object({s::Req("id", s::Int()), s::Req("username", s::String()),
                    s::Req("role", s::Enum({"viewer", "operator", "admin"})),
                    s::Req("disabled", s::Bool()), s::Req("createdAt", s::DateTime()),
                    s::Req("lastLoginAt", s::Nullable(s::DateTime()))});
}

Json SessionSchema() {
  return s::Object({s::Req("user", UserSchema()), s::Req("csrfToken", s::String())});
}

Json TokenSchema() {
  return s::Object({s::Req("id", s::Int()), s::Req("name", s::String()),
                    s::Req("prefix", s::String()),
                    s::Req("role", s::Enum({"viewer", "operator", "admin"})),
                    s::Req("userId", s::Nullable(s::Int())), s::Req("createdAt", s::DateTime()),
                    s::Req("expiresAt", s::Nullable(s::DateTime())),
                    s::Req("lastUsedAt", s::Nullable(s::DateTime())),
                    s::Req("revokedAt", s::Nullable(s::DateTime()))});
}

Json RoleEnum() { return s::Enum({"viewer", "operator", "admin"}); }

Json UsernameSchema() { return s::String(1, 64); }

Json TokenJsonOf(const store::ApiTokenRecord& t) {
  auto opt = [](const std::optional<TimePoint>& v) {
    return v ? Json(FormatIso8601(*v)) : Json(nullptr);
  };
  return Json{{"id", t.id},
              {"name", t.name},
              {"prefix", t.prefix},
              {"role", t.role},
              {"userId", t.user_id ? Json(*t.user_id) : Json(nullptr)},
              {"createdAt", FormatIso8601(t.created_at)},
              {"expiresAt", opt(t.expires_at)},
              {"lastUsedAt", opt(t.last_used_at)},
              {"revokedAt", opt(t.revoked_at)}};
}

}  // namespace

void AuthService::RegisterProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;

  registry.Add(MakeProcedure(
      "auth.status", Q, std::nullopt, Json(),
      s::Object({s::Req("setupRequired", s::Bool()), s::Req("user", s::Nullable(UserSchema())),
                 s::Req("csrfToken", s::Nullable(s::String()))}),
      "Whether first-start setup is pending, and who the caller is",
      [this](const Json&, CallContext& ctx) -> Result<Json> {
        Json out = Json::object();  // (cheaper than an initializer list, which copies)
        out["setupRequired"] = SetupRequired();
        out["user"] = nullptr;
        out["csrfToken"] = nullptr;
        if (ctx.identity && ctx.identity->user_id != 0) {
          DAI_ASSIGN_OR_RETURN(auto user, users_.FindById(ctx.identity->user_id));
          out["user"] = UserJson(user);
          DAI_ASSIGN_OR_RETURN(std::string csrf, CsrfToken(*ctx.identity));
          if (!csrf.empty()) out["csrfToken"] = csrf;
        }
        return out;
      }));

  Procedure setup = MakeProcedure(
      "auth.setup", M, std::nullopt,
      s::Object({s::Req("setupToken", s::String(1, 256)), s::Req("username", UsernameSchema()),
                 s::Req("password", s::String(1, 1024))}),
      SessionSchema(), "Complete first-start setup with the token printed on the console",
      [this](const Json& in, CallContext& ctx) -> Result<Json> {
        DAI_ASSIGN_OR_RETURN(LoginResult r, CompleteSetup(in["setupToken"], in["username"],
                                                          in["password"], ctx.remote_addr,
                                                          ctx.user_agent));
        ctx.response_headers.emplace_back("Set-Cookie", SessionCookie(r.cookie_value));
        return Json{{"user", UserJson(r.user)}, {"csrfToken", r.csrf_token}};
      });
  setup.audit = false;  // CompleteSetup writes its own row, without the token
  registry.Add(std::move(setup));

  Procedure login = MakeProcedure(
      "auth.login", M, std::nullopt,
      s::Object({s::Req("username", UsernameSchema()), s::Req("password", s::String(1, 1024))}),
      SessionSchema(), "Password login; sets the dai_session cookie and returns the CSRF token",
      [this](const Json& in, CallContext& ctx) -> Result<Json> {
        DAI_ASSIGN_OR_RETURN(LoginResult r,
                             Login(in["username"], in["password"], ctx.remote_addr, ctx.user_agent));
        ctx.response_headers.emplace_back("Set-Cookie", SessionCookie(r.cookie_value));
        return Json{{"user", UserJson(r.user)}, {"csrfToken", r.csrf_token}};
      });
  login.audit = false;  // Login writes its own rows (success and failure), never the password
  registry.Add(std::move(login));

  registry.Add(MakeProcedure("auth.logout", M, Role::kViewer, Json(), s::Object({s::Req("ok", s::Bool())}),
                    "End the current session",
                    [this](const Json&, CallContext& ctx) -> Result<Json> {
                      if (ctx.identity->method == AuthMethod::kSession) {
                        DAI_RETURN_IF_ERROR(Logout(ctx.identity->session_id));
                      }
                      ctx.response_headers.emplace_back("Set-Cookie", ClearedSessionCookie());
                      return Json{{"ok", true}};
                    }));

  registry.Add(MakeProcedure(
      "auth.me", Q, Role::kViewer, Json(),
      s::Object({s::Req("user", s::Nullable(UserSchema())), s::Req("csrfToken", s::String()),
                 s::Req("role", RoleEnum()), s::Req("via", s::Enum({"session", "token"}))}),
      "The caller's identity",
      [this](const Json&, CallContext& ctx) -> Result<Json> {
        Json out = {{"user", nullptr},
                    {"csrfToken", ""},
                    {"role", std::string(RoleName(ctx.identity->role))},
                    {"via", ctx.identity->method == AuthMethod::kSession ? "session" : "token"}};
        if (ctx.identity->user_id != 0) {
          DAI_ASSIGN_OR_RETURN(auto user, users_.FindById(ctx.identity->user_id));
          out["user"] = UserJson(user);
        }
        DAI_ASSIGN_OR_RETURN(std::string csrf, CsrfToken(*ctx.identity));
        out["csrfToken"] = csrf;
        return out;
      }));

  registry.Add(MakeProcedure("users.list", Q, Role::kAdmin, s::PageInput(), s::Page(UserSchema()),
                    "List users",
                    [this](const Json& in, CallContext&) -> Result<Json> {
                      const int64_t limit = in.value("limit", int64_t{50});
                      const int64_t offset = in.value("offset", int64_t{0});
                      DAI_ASSIGN_OR_RETURN(auto list, users_.List(offset, limit));
                      DAI_ASSIGN_OR_RETURN(int64_t total, users_.Count());
                      Json items = Json::array();
                      for (const auto& u : list) items.push_back(UserJson(u));
                      return Json{{"items", items}, {"total", total}, {"limit", limit}, {"offset", offset}};
                    }));

  registry.Add(MakeProcedure(
      "users.create", M, Role::kAdmin,
      s::Object({s::Req("username", UsernameSchema()), s::Req("password", s::String(1, 1024)),
                 s::Req("role", RoleEnum())}),
      UserSchema(), "Create a user",
      [this](const Json& in, CallContext&) -> Result<Json> {
        DAI_ASSIGN_OR_RETURN(Role role, ParseRole(in["role"].get<std::string>()));
        DAI_ASSIGN_OR_RETURN(int64_t id, CreateUser(in["username"], in["password"], role));
        DAI_ASSIGN_OR_RETURN(auto user, users_.FindById(id));
        return UserJson(user);
      }));

  registry.Add(MakeProcedure(
      "users.update", M, Role::kAdmin,
      s::Object({s::Req("id", s::Int(1)), s::Opt("role", RoleEnum()), s::Opt("disabled", s::Bool()),
                 s::Opt("password", s::String(1, 1024))}),
      UserSchema(), "Change a user's role, password, or disable it",
      [this](const Json& in, CallContext& ctx) -> Result<Json> {
        const int64_t id = in["id"];
        DAI_ASSIGN_OR_RETURN(auto user, users_.FindById(id));
        const bool demotes = in.contains("role") && in["role"] != "admin";
        const bool disables = in.value("disabled", false);
        if (user.role == "admin" && (demotes || disables)) {
          DAI_ASSIGN_OR_RETURN(auto all, users_.List(0, 100000));
          int admins = 0;
          for (const auto& u : all) admins += (u.role == "admin" && !u.disabled) ? 1 : 0;
          if (admins <= 1) {
            return Status::FailedPrecondition("cannot demote or disable the last admin");
          }
        }
        if (disables && ctx.identity->user_id == id) {
          return Status::FailedPrecondition("you cannot disable yourself");
        }
        if (in.contains("role")) DAI_RETURN_IF_ERROR(users_.UpdateRole(id, in["role"]));
        if (in.contains("disabled")) {
          DAI_RETURN_IF_ERROR(users_.SetDisabled(id, in["disabled"]));
          if (disables) DAI_RETURN_IF_ERROR(sessions_.DeleteForUser(id).status());
        }
        if (in.contains("password")) {
          const std::string pw = in["password"];
          DAI_RETURN_IF_ERROR(CheckPasswordPolicy(pw));
          DAI_ASSIGN_OR_RETURN(std::string hash, HashPassword(pw, options_.password_cost));
          DAI_RETURN_IF_ERROR(users_.UpdatePassword(id, hash));
          DAI_RETURN_IF_ERROR(sessions_.DeleteForUser(id).status());
        }
        DAI_ASSIGN_OR_RETURN(auto updated, users_.FindById(id));
        return UserJson(updated);
      }));

  registry.Add(MakeProcedure("tokens.list", Q, Role::kAdmin,
                    s::Object({s::Opt("includeRevoked", s::Bool())}),
                    s::Object({s::Req("items", s::Array(TokenSchema()))}), "List API tokens",
                    [this](const Json& in, CallContext&) -> Result<Json> {
                      DAI_ASSIGN_OR_RETURN(auto list, tokens_.List(in.value("includeRevoked", false)));
                      Json items = Json::array();
                      for (const auto& t : list) items.push_back(TokenJsonOf(t));
                      return Json{{"items", items}};
                    }));

  registry.Add(MakeProcedure(
      "tokens.create", M, Role::kAdmin,
      s::Object({s::Req("name", s::String(1, 100)), s::Req("role", RoleEnum()),
                 s::Opt("expiresInDays", s::Int(1, 3650))}),
      s::Object({s::Req("id", s::Int()), s::Req("name", s::String()), s::Req("role", RoleEnum()),
                 s::Req("token", s::String(), "shown once; only its hash is stored"),
                 s::Req("expiresAt", s::Nullable(s::DateTime()))}),
      "Create an API token (shown once)",
      [this](const Json& in, CallContext& ctx) -> Result<Json> {
        DAI_ASSIGN_OR_RETURN(Role role, ParseRole(in["role"].get<std::string>()));
        std::optional<int64_t> days;
        if (in.contains("expiresInDays")) days = in["expiresInDays"].get<int64_t>();
        std::optional<int64_t> owner;
        if (ctx.identity->user_id != 0) owner = ctx.identity->user_id;
        DAI_ASSIGN_OR_RETURN(NewToken t, CreateToken(in["name"], role, days, owner));
        return Json{{"id", t.id},
                    {"name", t.record.name},
                    {"role", t.record.role},
                    {"token", t.token},
                    {"expiresAt", t.record.expires_at ? Json(FormatIso8601(*t.record.expires_at))
                                                      : Json(nullptr)}};
      }));

  registry.Add(MakeProcedure("tokens.revoke", M, Role::kAdmin, s::Object({s::Req("id", s::Int(1))}),
                    TokenSchema(), "Revoke an API token",
                    [this](const Json& in, CallContext&) -> Result<Json> {
                      DAI_RETURN_IF_ERROR(tokens_.Revoke(in["id"]));
                      DAI_ASSIGN_OR_RETURN(auto t, tokens_.FindById(in["id"]));
                      return TokenJsonOf(t);
                    }));

  Json entry = s::Object({s::Req("id", s::Int()), s::Req("at", s::DateTime()),
                          s::Req("actor", s::String()), s::Req("actorType", s::String()),
                          s::Req("procedure", s::String()), s::Req("outcome", s::String()),
                          s::Req("inputDigest", s::String()), s::Req("requestId", s::String()),
                          s::Req("remoteAddr", s::String())});
  registry.Add(MakeProcedure(
      "audit.list", Q, Role::kAdmin,
      s::Object({s::Opt("limit", s::Int(1, 1000)), s::Opt("beforeId", s::Int(1)),
                 s::Opt("actor", s::String(1, 200)), s::Opt("procedure", s::String(1, 200))}),
      s::Object({s::Req("items", s::Array(entry)), s::Req("nextBeforeId", s::Nullable(s::Int()))}),
      "The audit log, newest first (keyset pagination with beforeId)",
      [this](const Json& in, CallContext&) -> Result<Json> {
        store::AuditQuery q;
        q.limit = in.value("limit", int64_t{50});
        if (in.contains("beforeId")) q.before_id = in["beforeId"].get<int64_t>();
        if (in.contains("actor")) q.actor = in["actor"].get<std::string>();
        if (in.contains("procedure")) q.procedure = in["procedure"].get<std::string>();
        DAI_ASSIGN_OR_RETURN(auto rows, audit_.List(q));
        Json items = Json::array();
        for (const auto& e : rows) {
          items.push_back({{"id", e.id}, {"at", FormatIso8601(e.at)}, {"actor", e.actor},
                           {"actorType", e.actor_type}, {"procedure", e.procedure},
                           {"outcome", e.outcome}, {"inputDigest", e.input_digest},
                           {"requestId", e.request_id}, {"remoteAddr", e.remote_addr}});
        }
        Json next = static_cast<int64_t>(rows.size()) == q.limit && !rows.empty()
                        ? Json(rows.back().id)
                        : Json(nullptr);
        return Json{{"items", items}, {"nextBeforeId", next}};
      }));
}

}  // namespace dai::auth
