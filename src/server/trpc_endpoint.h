// TrpcEndpoint: serves /trpc/* from the procedure registry. For each call: find the
// procedure (404), check the HTTP method against its kind (405), authenticate (401), check
// the role (403) and, for cookie sessions, the CSRF token on mutations (403), validate the
// input against its schema (400 naming the field), run the handler, audit mutations, and
// encode tRPC's result or error envelope. Batches share one authentication.
// Thread-safety: Handle() may be called concurrently once constructed.
#pragma once

#include <functional>
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
};

//! Reads the bearer token, the dai_session cookie and the CSRF header from a request.
Credentials CredentialsFrom(const HttpRequest& request);

inline constexpr char kSessionCookie[] = "dai_session";
inline constexpr char kCsrfHeader[] = "x-csrf-token";

}  // namespace dai::server
