#include "modules/auth/auth_service.h"

#include "core/json.h"
#include "registry/schema.h"

namespace dai::auth {
namespace {

constexpr char kSetupKey[] = "auth.setup";
constexpr char kTokenPrefix[] = "dai_";
constexpr Millis kTouchEvery{60'000};

std::string FirstAdminName() { return "admin"; }

Json OptTime(const std::optional<TimePoint>& t) {
  return t ? Json(FormatIso8601(*t)) : Json(nullptr);
}

}  // namespace

Json UserJson(const store::UserRecord& u) {
  return Json{{"id", u.id},
              {"username", u.username},
              {"role", u.role},
              {"disabled", u.disabled},
              {"createdAt", FormatIso8601(u.created_at)},
              {"lastLoginAt", OptTime(u.last_login_at)}};
}

AuthService::AuthService(store::Database& db, const Clock& clock, AuthOptions options)
    : db_(db),
      clock_(clock),
      options_(options),
      users_(db, clock),
      sessions_(db),
      tokens_(db, clock),
      audit_(db),
      settings_(db, clock),
      limiter_(clock, options.limiter) {}

Result<std::optional<Identity>> AuthService::Authenticate(const Credentials& c) {
  const TimePoint now = clock_.Now();
  if (c.bearer_token) {
    const std::string& token = *c.bearer_token;
    if (token.size() > 512) return Status::Unauthenticated("invalid API token");
    auto rec = tokens_.FindByHash(Sha256Hex(token));
    if (!rec.ok()) {
      if (rec.status().code() == StatusCode::kNotFound) {
        return Status::Unauthenticated("invalid API token");
      }
      return rec.status();
    }
    if (rec->revoked_at) return Status::Unauthenticated("API token \"" + rec->name + "\" was revoked");
    if (!rec->IsUsable(now)) return Status::Unauthenticated("API token \"" + rec->name + "\" has expired");
    Identity id;
    id.method = AuthMethod::kApiToken;
    id.token_id = rec->id;
    id.username = "token:" + rec->name;
    DAI_ASSIGN_OR_RETURN(id.role, ParseRole(rec->role));
    if (rec->user_id) {
      auto user = users_.FindById(*rec->user_id);
      if (!user.ok() || user->disabled) {
        return Status::Unauthenticated("the owner of API token \"" + rec->name + "\" is disabled");
      }
      id.user_id = user->id;
      // A token never grants more than its owner has now.
      DAI_ASSIGN_OR_RETURN(Role owner_role, ParseRole(user->role));
      if (static_cast<int>(owner_role) < static_cast<int>(id.role)) id.role = owner_role;
    }
    if (!rec->last_used_at || *rec->last_used_at + kTouchEvery <= now) {
      (void)tokens_.TouchLastUsed(rec->id, now);
    }
    return std::optional<Identity>(id);
  }
  if (c.session_cookie && !c.session_cookie->empty() && c.session_cookie->size() < 256) {
    const std::string sid = Sha256Hex(*c.session_cookie);
    auto session = sessions_.Find(sid, now);
    if (!session.ok()) {
      if (session.status().code() == StatusCode::kNotFound) return std::optional<Identity>();
      return session.status();
    }
    auto user = users_.FindById(session->user_id);
    if (!user.ok() || user->disabled) {
      (void)sessions_.Delete(sid);
      return std::optional<Identity>();
    }
    if (session->last_seen_at + kTouchEvery <= now) {
      (void)sessions_.Touch(sid, now, now + options_.session_ttl);
    }
    Identity id;
    id.method = AuthMethod::kSession;
    id.user_id = user->id;
    id.username = user->username;
    id.session_id = sid;
    DAI_ASSIGN_OR_RETURN(id.role, ParseRole(user->role));
    return std::optional<Identity>(id);
  }
  return std::optional<Identity>();
}

Status AuthService::CheckCsrf(const Identity& identity, const Credentials& c) {
  if (identity.method != AuthMethod::kSession) return Status::Ok();
  auto session = sessions_.Find(identity.session_id, clock_.Now());
  if (!session.ok()) return Status::Unauthenticated("session expired; sign in again");
  if (!c.csrf_token || !ConstantTimeEquals(*c.csrf_token, session->csrf_token)) {
    return Status::PermissionDenied("missing or invalid CSRF token (send the x-csrf-token header "
                                    "given by auth.login or auth.me)");
  }
  return Status::Ok();
}

Status AuthService::Record(const AuditRecord& r) {
  store::AuditEntry e;
  e.at = clock_.Now();
  e.actor = r.actor;
  e.actor_type = r.actor_type == "token" ? "token" : r.actor_type == "system" ? "system" : "user";
  e.procedure = r.procedure;
  e.outcome = r.outcome;
  e.input_digest = r.input_json.empty() ? "" : Sha256Hex(r.input_json);
  e.request_id = r.request_id;
  e.remote_addr = r.remote_addr;
  return audit_.Append(e).status();
}

bool AuthService::SetupRequired() { return settings_.Exists(kSetupKey).value_or(false); }

Result<std::optional<std::string>> AuthService::PrepareSetup() {
  DAI_ASSIGN_OR_RETURN(int64_t count, users_.Count());
  auto pending = settings_.Get(kSetupKey);
  int64_t admin_id = 0;
  if (pending.ok()) {
    auto j = ParseJson(*pending);
    if (j.ok() && j->contains("userId")) admin_id = (*j)["userId"].get<int64_t>();
  } else if (count == 0) {
    DAI_ASSIGN_OR_RETURN(admin_id, users_.Create(FirstAdminName(), std::nullopt, "admin"));
  } else {
    return std::optional<std::string>();
  }
  const std::string token = RandomToken(24);
  Json setup = {{"tokenHash", Sha256Hex(token)},
                {"userId", admin_id},
                {"createdAt", FormatIso8601(clock_.Now())}};
  DAI_RETURN_IF_ERROR(settings_.Set(kSetupKey, DumpJson(setup)));
  return std::optional<std::string>(token);
}

Result<LoginResult> AuthService::CompleteSetup(const std::string& setup_token,
                                               const std::string& username,
                                               const std::string& password,
                                               const std::string& remote_addr,
                                               const std::string& user_agent) {
  DAI_RETURN_IF_ERROR(limiter_.Check(remote_addr, "setup"));
  auto pending = settings_.Get(kSetupKey);
  if (!pending.ok()) return Status::FailedPrecondition("setup is already complete; sign in");
  DAI_ASSIGN_OR_RETURN(Json setup, ParseJson(*pending));
  if (!ConstantTimeEquals(Sha256Hex(setup_token), setup.value("tokenHash", ""))) {
    limiter_.RecordFailure(remote_addr, "setup");
    return Status::Unauthenticated("invalid setup token (it is printed on the server console at start)");
  }
  DAI_RETURN_IF_ERROR(CheckPasswordPolicy(password));
  DAI_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, options_.password_cost));
  const int64_t admin_id = setup.value("userId", int64_t{0});
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_RETURN_IF_ERROR(conn.Query("UPDATE users SET username = ?, password_hash = ?, updated_at = ? WHERE id = ?",
                                   {username, hash, clock_.Now(), admin_id})
                            .status());
    auto del = conn.Query("DELETE FROM settings WHERE key = ?", {std::string(kSetupKey)});
    return del.status();
  }));
  DAI_ASSIGN_OR_RETURN(store::UserRecord user, users_.FindById(admin_id));
  AuditRecord rec{user.username, "user", "auth.setup", "ok", "", "", remote_addr};
  (void)Record(rec);
  return StartSession(user, remote_addr, user_agent);
}

Result<LoginResult> AuthService::StartSession(const store::UserRecord& user,
                                              const std::string& remote_addr,
                                              const std::string& user_agent) {
  const TimePoint now = clock_.Now();
  LoginResult out;
  out.user = user;
  out.cookie_value = RandomToken(32);
  out.csrf_token = RandomToken(24);
  store::SessionRecord s;
  s.id = Sha256Hex(out.cookie_value);
  s.user_id = user.id;
  s.csrf_token = out.csrf_token;
  s.created_at = now;
  s.expires_at = now + options_.session_ttl;
  s.last_seen_at = now;
  s.user_agent = user_agent.substr(0, 256);
  s.remote_addr = remote_addr;
  DAI_RETURN_IF_ERROR(sessions_.Create(s));
  (void)users_.RecordLogin(user.id);
  return out;
}

Result<LoginResult> AuthService::Login(const std::string& username, const std::string& password,
                                       const std::string& remote_addr,
                                       const std::string& user_agent) {
  DAI_RETURN_IF_ERROR(limiter_.Check(remote_addr, username));
  auto user = users_.FindByName(username);
  const bool ok = user.ok() && !user->disabled && user->password_hash &&
                  VerifyPassword(password, *user->password_hash);
  if (!ok) {
    if (!user.ok()) {
      // Same cost as a real verification, so timing does not reveal which usernames exist.
      static const std::string dummy = HashPassword("dummy-password-x", options_.password_cost).value();
      (void)VerifyPassword(password, dummy);
    }
    limiter_.RecordFailure(remote_addr, username);
    AuditRecord rec{username.substr(0, 64), "user", "auth.login", "UNAUTHORIZED", "", "", remote_addr};
    (void)Record(rec);
    return Status::Unauthenticated("wrong username or password");
  }
  limiter_.RecordSuccess(username);
  AuditRecord rec{username, "user", "auth.login", "ok", "", "", remote_addr};
  (void)Record(rec);
  return StartSession(*user, remote_addr, user_agent);
}

Status AuthService::Logout(const std::string& session_id_hash) {
  return sessions_.Delete(session_id_hash);
}

Result<std::string> AuthService::CsrfToken(const Identity& identity) {
  if (identity.method != AuthMethod::kSession) return std::string();
  DAI_ASSIGN_OR_RETURN(store::SessionRecord s, sessions_.Find(identity.session_id, clock_.Now()));
  return s.csrf_token;
}

Result<int64_t> AuthService::CreateUser(const std::string& username, const std::string& password,
                                        Role role) {
  DAI_RETURN_IF_ERROR(CheckPasswordPolicy(password));
  DAI_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, options_.password_cost));
  return users_.Create(username, hash, std::string(RoleName(role)));
}

Result<NewToken> AuthService::CreateToken(const std::string& name, Role role,
                                          std::optional<int64_t> expires_in_days,
                                          std::optional<int64_t> owner_user_id) {
  std::optional<Millis> expires_in;
  if (expires_in_days) expires_in = Millis(*expires_in_days * 86'400'000LL);
  return CreateTokenExpiringIn(name, role, expires_in, owner_user_id);
}

Result<NewToken> AuthService::CreateTokenExpiringIn(const std::string& name, Role role,
                                                    std::optional<Millis> expires_in,
                                                    std::optional<int64_t> owner_user_id) {
  NewToken out;
  out.token = kTokenPrefix + RandomToken(32);
  store::ApiTokenRecord rec;
  rec.name = name;
  rec.token_hash = Sha256Hex(out.token);
  rec.prefix = out.token.substr(0, 10);
  rec.user_id = owner_user_id;
  rec.role = std::string(RoleName(role));
  if (expires_in) rec.expires_at = clock_.Now() + *expires_in;
  DAI_ASSIGN_OR_RETURN(out.id, tokens_.Create(rec));
  DAI_ASSIGN_OR_RETURN(out.record, tokens_.FindById(out.id));
  return out;
}

std::string AuthService::SessionCookie(const std::string& value) const {
  const int64_t max_age = options_.session_ttl.count() / 1000;
  return std::string("dai_session=") + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(max_age) + (options_.secure_cookies ? "; Secure" : "");
}

std::string AuthService::ClearedSessionCookie() const {
  return std::string("dai_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0") +
         (options_.secure_cookies ? "; Secure" : "");
}

}  // namespace dai::auth
