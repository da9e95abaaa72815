// Authenticator: identifies the caller of a request (session cookie or bearer API token) and
// checks CSRF for cookie sessions. Implemented by the auth module; used by the tRPC endpoint
// and the event stream.
// Thread-safety: implementations must be safe for concurrent calls.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "registry/procedure.h"

namespace dai {

struct Credentials {
  std::optional<std::string> bearer_token;    //!< from "Authorization: Bearer ..."
  std::optional<std::string> session_cookie;  //!< the dai_session cookie value
  std::optional<std::string> csrf_token;      //!< the x-csrf-token header
  std::string remote_addr;
  std::string user_agent;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  //! nullopt: anonymous (no credential presented). UNAUTHENTICATED: a credential was presented
  //! but is unknown, expired, revoked or belongs to a disabled user.
  virtual Result<std::optional<Identity>> Authenticate(const Credentials& credentials) = 0;
  //! OK when a state-changing call by `identity` carries a valid CSRF token (always OK for
  //! bearer tokens, which browsers do not send by themselves); PERMISSION_DENIED otherwise.
  virtual Status CheckCsrf(const Identity& identity, const Credentials& credentials) = 0;
};

//! One audited call.
struct AuditRecord {
  std::string actor;       //!< username, token name, or "system"
  std::string actor_type;  //!< "user" | "token" | "anonymous" | "system"
  std::string procedure;
  std::string outcome;     //!< "ok" or the tRPC error code
  std::string input_json;  //!< the sink stores only its SHA-256 digest, never the input
  std::string request_id;
  std::string remote_addr;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  //! Writes one audit_log row; failures are returned for logging and metrics.
  virtual Status Record(const AuditRecord& record) = 0;
};

}  // namespace dai
