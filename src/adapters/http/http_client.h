// HttpClient: the one outbound HTTP client (DESIGN.md, "Safety rules"). Every request to a
// URL that a user or an integration configures goes through it: connect and total timeouts, a
// response size limit, a redirect limit (off by default), TLS verification, and an
// OutboundPolicy checked on every resolved address BEFORE any connection is attempted; curl is
// then pinned to the checked addresses (no second DNS lookup, so no DNS rebinding) and a socket
// callback refuses any other address. Environment proxies are ignored. The client never logs;
// its error messages name the URL without user info and never include header values.
// Thread-safety: Send() may be called concurrently from any thread (one curl handle per call).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/http/outbound_policy.h"
#include "core/status.h"

namespace dai::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpClientRequest {
  std::string method = "GET";  //!< GET, POST, PUT, PATCH, DELETE, HEAD
  std::string url;             //!< http:// or https:// only
  Headers headers;             //!< names and values must not contain CR or LF
  std::string body;
  //! Overrides the client's total timeout for this request.
  std::optional<std::chrono::milliseconds> timeout;

  //! "POST https://host/path (headers: authorization=<redacted>, content-type=...)":
  //! safe to log; credential-bearing header values and URL user info are redacted.
  std::string DebugString() const;
};

struct HttpClientResponse {
  int status = 0;
  Headers headers;  //!< names lower-cased, in arrival order (of the final response)
  std::string body;
  std::string url;  //!< the URL that answered (after redirects)
  int redirects = 0;

  //! The first header with this (case-insensitive) name.
  std::optional<std::string> Header(std::string_view name) const;
};

//! Resolves a host to addresses; the default uses getaddrinfo. Tests inject fakes.
using Resolver = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;

struct HttpClientOptions {
  OutboundPolicy policy;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{30000};
  size_t max_response_bytes = size_t{16} * 1024 * 1024;
  int max_redirects = 0;  //!< 0: a 3xx is returned as is
  //! Extra CA bundle (PEM file) for private CAs; the system store is used otherwise.
  std::string ca_file;
  //! CA certificates as PEM text (a kubeconfig's certificate-authority-data); used instead of
  //! the system store when set.
  std::string ca_pem;
  //! Client certificate and private key as PEM text (mutual TLS, e.g. a kubeconfig user).
  std::string client_cert_pem;
  std::string client_key_pem;
  //! Skips server certificate verification (a kubeconfig's insecure-skip-tls-verify). Off by
  //! default; only an explicit integration setting turns it on.
  bool insecure_skip_tls_verify = false;
  std::string user_agent = "devops-ai";
  Resolver resolver;  //!< empty: getaddrinfo
  //! Called from the socket callback just before curl connects to an address (tests use it
  //! to prove that refused requests never connect).
  std::function<void(const IpAddress&)> on_connect;
};

//! Resolves `host` with getaddrinfo (numeric literals without DNS). UNAVAILABLE naming the host
//! when it does not resolve. Bounded only by the system resolver's own timeouts.
Result<std::vector<IpAddress>> ResolveHost(const std::string& host);

//! Returns `url` with any user info removed, for messages.
std::string RedactUrl(std::string_view url);

//! True for header names whose values are credentials (authorization, proxy-authorization,
//! cookie, set-cookie, x-api-key, x-auth-token, and any name containing "token", "secret",
//! "password" or "key").
bool IsCredentialHeader(std::string_view name);

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});

  //! Sends one request (following up to max_redirects redirects, each re-checked against the
  //! policy). Any HTTP status is a successful Result; failures are:
  //! INVALID_ARGUMENT (malformed URL, scheme not http/https, bad method or header),
  //! PERMISSION_DENIED (policy refusal, before connecting; names the address and the rule),
  //! DEADLINE_EXCEEDED (connect or total timeout), PAYLOAD_TOO_LARGE (response over
  //! max_response_bytes), UNAVAILABLE (resolution, connection, TLS or protocol failure),
  //! FAILED_PRECONDITION (a redirect beyond max_redirects).
  Result<HttpClientResponse> Send(const HttpClientRequest& request) const;

  const HttpClientOptions& options() const { return options_; }

 private:
  Result<HttpClientResponse> SendOnce(const HttpClientRequest& request,
                                      std::string* redirect_url) const;

  HttpClientOptions options_;
};

//! application/x-www-form-urlencoded encoding of one value (RFC 3986 unreserved kept, space
//! as %20). Pure.
std::string FormEncode(std::string_view value);
//! "a=1&b=x%20y" from name/value pairs, each encoded with FormEncode. Pure.
std::string FormBody(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace dai::http
