// TrpcEndpoint: serves /trpc/* from the procedure registry. For each call: find the
// procedure (404), check the HTTP method against its kind (405), authenticate (401), check
// the role (403) and, for cookie sessions, the CSRF token on mutations (403), validate the
// input against its schema (400 naming the field), run the handler, audit mutations, and
// encode tRPC's result or error envelope. Batches share one authentication.
// Thread-safety: Handle() may be called concurrently once constructed.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "ports/authenticator.h"
#include "registry/procedure.h"
#include "server/http_server.h"

namespace dai::server {

struct TrpcEndpointOptions {
  std::string prefix = "/trpc/";
  //! Called once per procedure call with its path, tRPC code name ("OK" on success), seconds.
  std::function<void(const std::string& path, const std::string& code, double seconds)> on_call;
  //! Called when a handler fails with INTERNAL (for the log).
  std::function<void(const std::string& path, const std::string& request_id, const Status&)>
      on_internal_error;
  //! At most this many calls of one procedure that may block run at once; more answer
  //! TOO_MANY_REQUESTS (429) at once. A slow or dead dependency (Prometheus that accepts and
  //! never answers) then holds a few threads of the server's blocking pool, never all of them:
  //! webhooks and other procedures keep being served. 0: no limit.
  int max_blocking_calls_per_procedure = 8;
};

class TrpcEndpoint {
 public:
  TrpcEndpoint(const ProcedureRegistry& registry, Authenticator& auth, AuditSink& audit,
               TrpcEndpointOptions options);
  HttpResponse Handle(const HttpRequest& request);

 private:
  const ProcedureRegistry& registry_;
  Authenticator& auth_;
  AuditSink& audit_;
  TrpcEndpointOptions options_;
  std::mutex in_flight_mu_;
  std::map<std::string, int, std::less<>> in_flight_;  //!< may-block calls running, by path
};

//! Reads the bearer token, the dai_session cookie and the CSRF header from a request.
Credentials CredentialsFrom(const HttpRequest& request);

inline constexpr char kSessionCookie[] = "dai_session";
inline constexpr char kCsrfHeader[] = "x-csrf-token";

}  // namespace dai::server
