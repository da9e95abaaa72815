// AuthService: users, password logins with sessions and CSRF tokens, API tokens, the
// first-start setup token, and the audit log. Implements the Authenticator and AuditSink
// ports for the tRPC endpoint and declares the auth.*, users.*, tokens.* and audit.*
// procedures.
//
// Sessions: the cookie holds 32 random bytes; the store keeps only their SHA-256. Sliding
// expiry (session_ttl), touched at most once a minute. API tokens: "dai_" + 32 random bytes,
// stored as SHA-256, shown once. First start with no users creates the user "admin" without
// a password and a one-time setup token (its hash in settings) that sets the password.
// Thread-safety: safe for concurrent use.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "modules/auth/crypto.h"
#include "modules/auth/login_limiter.h"
#include "ports/authenticator.h"
#include "registry/procedure.h"
#include "store/api_token_repository.h"
#include "store/audit_repository.h"
#include "store/database.h"
#include "store/session_repository.h"
#include "store/settings_repository.h"
#include "store/user_repository.h"

namespace dai::auth {

struct AuthOptions {
  PasswordCost password_cost = PasswordCost::kInteractive;
  Millis session_ttl{12 * 60 * 60 * 1000};
  bool secure_cookies = false;  //!< add "Secure" (set when served over TLS)
  LoginLimiterOptions limiter;
};

struct LoginResult {
  store::UserRecord user;
  std::string cookie_value;  //!< the dai_session cookie
  std::string csrf_token;
};

struct NewToken {
  int64_t id = 0;
  std::string token;  //!< shown once
  store::ApiTokenRecord record;
};

class AuthService final : public Authenticator, public AuditSink {
 public:
  AuthService(store::Database& db, const Clock& clock, AuthOptions options = {});

  // Authenticator.
  Result<std::optional<Identity>> Authenticate(const Credentials& credentials) override;
  Status CheckCsrf(const Identity& identity, const Credentials& credentials) override;
  // AuditSink.
  Status Record(const AuditRecord& record) override;

  //! At start: with no users, creates "admin" (no password) and a setup token, returned so the
  //! caller can print it; with a pending setup, issues a fresh token (the old one stops
  //! working). nullopt when setup is complete.
  Result<std::optional<std::string>> PrepareSetup();
  bool SetupRequired();
  //! Completes setup: checks the token, sets username and password of the first admin,
  //! returns a logged-in session. UNAUTHENTICATED for a wrong token.
  Result<LoginResult> CompleteSetup(const std::string& setup_token, const std::string& username,
                                    const std::string& password, const std::string& remote_addr,
                                    const std::string& user_agent);
  //! Password login. UNAUTHENTICATED (one message for unknown user and wrong password),
  //! RESOURCE_EXHAUSTED when rate limited.
  Result<LoginResult> Login(const std::string& username, const std::string& password,
                            const std::string& remote_addr, const std::string& user_agent);
  Status Logout(const std::string& session_id_hash);
  //! The CSRF token of a session identity.
  Result<std::string> CsrfToken(const Identity& identity);

  Result<int64_t> CreateUser(const std::string& username, const std::string& password, Role role);
  Result<NewToken> CreateToken(const std::string& name, Role role,
                               std::optional<int64_t> expires_in_days,
                               std::optional<int64_t> owner_user_id);
  //! The same with the lifetime in milliseconds (the CLI's --expires-in-seconds).
  Result<NewToken> CreateTokenExpiringIn(const std::string& name, Role role,
                                         std::optional<Millis> expires_in,
                                         std::optional<int64_t> owner_user_id);

  //! Set-Cookie header values for a new session and for clearing it.
  std::string SessionCookie(const std::string& value) const;
  std::string ClearedSessionCookie() const;

  //! Declares auth.status/setup/login/logout/me, users.list/create/update,
  //! tokens.list/create/revoke, audit.list.
  void RegisterProcedures(ProcedureRegistry& registry);

  store::UserRepository& users() { return users_; }
  store::ApiTokenRepository& tokens() { return tokens_; }

 private:
  Result<LoginResult> StartSession(const store::UserRecord& user, const std::string& remote_addr,
                                   const std::string& user_agent);

  store::Database& db_;
  const Clock& clock_;
  AuthOptions options_;
  store::UserRepository users_;
  store::SessionRepository sessions_;
  store::ApiTokenRepository tokens_;
  store::AuditRepository audit_;
  store::SettingsRepository settings_;
  LoginLimiter limiter_;
};

//! A user as the API shows it: {id, username, role, disabled, createdAt, lastLoginAt}.
Json UserJson(const store::UserRecord& user);

}  // namespace dai::auth
