// Procedure: one declaration of an API operation (path, kind, minimum role, input and output
// schema, handler). The tRPC endpoint, input validation, /api/openapi.json and the web
// client's TypeScript types are all derived from these declarations.
// Thread-safety: a ProcedureRegistry is filled at start-up and then only read; handlers must
// be safe to call concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai {

enum class Role { kViewer = 1, kOperator = 2, kAdmin = 3 };
std::string_view RoleName(Role role);
//! "viewer" | "operator" | "admin"; INVALID_ARGUMENT otherwise.
Result<Role> ParseRole(std::string_view name);

//! How a caller proved who it is.
enum class AuthMethod { kSession, kApiToken, kInternal };

//! The caller, once authenticated.
struct Identity {
  int64_t user_id = 0;       //!< 0 for internal callers (jobs, CLI)
  std::string username;      //!< or the token name for API tokens
  Role role = Role::kViewer;
  AuthMethod method = AuthMethod::kInternal;
  int64_t token_id = 0;      //!< API token id when method == kApiToken
  std::string session_id;    //!< session id when method == kSession
};

//! Per-call facts a handler may read, and response headers it may add (Set-Cookie on login).
struct CallContext {
  std::optional<Identity> identity;
  std::string request_id;
  std::string remote_addr;
  std::string user_agent;
  std::vector<std::pair<std::string, std::string>> response_headers;  //!< filled by handlers
};

enum class ProcedureKind { kQuery, kMutation };

//! Handlers receive input already validated against `input_schema` (null when none given).
using ProcedureHandler = std::function<Result<Json>(const Json& input, CallContext& ctx)>;

struct Procedure {
  std::string path;             //!< "incidentCommander.list"
  ProcedureKind kind = ProcedureKind::kQuery;
  std::optional<Role> min_role; //!< nullopt = public (login, health)
  Json input_schema;            //!< JSON Schema (2020-12 subset, see schema.h); null = no input
  Json output_schema;           //!< JSON Schema of the data returned
  std::string summary;          //!< one line for OpenAPI and docs
  ProcedureHandler handler;
  bool audit = true;            //!< mutations write an audit_log row unless false (login: own rows)
  bool implemented = true;      //!< false: answers NOT_IMPLEMENTED (501)
  //! May take long (password hashing, another service, a big scan, a write waiting for the
  //! store's lock): run off the io threads, on the server's blocking pool. MakeProcedure sets
  //! it for mutations; set it on a query that calls out or computes for long.
  bool may_block = false;
};

//! Builds a procedure declaration (audit on, implemented, may_block for mutations); adjust
//! fields afterwards if needed.
Procedure MakeProcedure(std::string path, ProcedureKind kind, std::optional<Role> min_role,
                        Json input_schema, Json output_schema, std::string summary,
                        ProcedureHandler handler);

class ProcedureRegistry {
 public:
  //! Adds a procedure; a duplicate path is a programmer error (aborts at start-up).
  void Add(Procedure procedure);
  //! Declares a procedure whose module is not built yet: it answers NOT_IMPLEMENTED.
  void AddNotImplemented(std::string path, ProcedureKind kind, Role min_role, Json input_schema,
                         Json output_schema, std::string summary, std::string issue);
  const Procedure* Find(std::string_view path) const;
  const std::map<std::string, Procedure, std::less<>>& All() const { return procedures_; }

 private:
  std::map<std::string, Procedure, std::less<>> procedures_;
};

}  // namespace dai
