// The Kubernetes API wire format, as pure functions (no I/O): kubeconfig parsing, resource
// paths with percent-encoded segments and query values, watch-stream splitting, and the mapping
// of an API error (a `Status` object) to a Status naming the verb, resource and reason. Kept
// apart from the HTTP client so that each piece is unit-tested and fuzzed on its own.
// Thread-safety: free functions and value types.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::kube {

//! How to reach and authenticate to one cluster. Credentials are never logged or returned by
//! the API (DescribeTarget() omits them).
struct KubeConfig {
  std::string context;  //!< kubeconfig context used ("in-cluster" for a service account)
  std::string server;   //!< "https://host:port[/prefix]", no trailing '/'
  std::string ca_pem;   //!< certificate-authority-data (decoded PEM)
  std::string ca_file;  //!< certificate-authority (a path)
  bool insecure_skip_tls_verify = false;
  std::string token;       //!< bearer token
  std::string token_file;  //!< re-read before each request (service-account tokens rotate)
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string client_cert_file;  //!< read by LoadKubeconfig into client_cert_pem
  std::string client_key_file;
  std::string namespace_ = "default";  //!< the context's namespace
  //! "server (context C)" for messages: never a credential.
  std::string DescribeTarget() const;
};

//! Parses kubeconfig YAML: the context named `context` (empty: current-context), its cluster
//! (server, certificate-authority[-data], insecure-skip-tls-verify) and user (token, tokenFile,
//! client-certificate[-data], client-key[-data]). Relative file paths are resolved against
//! `base_dir`; files are NOT read here. INVALID_ARGUMENT naming what is missing or malformed
//! (unknown context, context without cluster, bad base64, exec/auth-provider plugins, which
//! would run a program and are refused).
Result<KubeConfig> ParseKubeconfig(std::string_view yaml, std::string_view context = "",
                                   std::string_view base_dir = "");

//! The in-cluster configuration from the environment (KUBERNETES_SERVICE_HOST/PORT) and the
//! service-account directory (token, ca.crt, namespace) whose contents are given here:
//! `files` maps "token", "ca.crt", "namespace" to their text. FAILED_PRECONDITION naming the
//! missing variable or file.
Result<KubeConfig> InClusterConfig(const std::map<std::string, std::string>& env,
                                   const std::map<std::string, std::string>& files,
                                   std::string_view sa_dir);

//! Base64 (standard alphabet, padding optional, whitespace ignored). nullopt when invalid.
std::optional<std::string> DecodeBase64(std::string_view text);

//! RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string PercentEncode(std::string_view value);

//! One API resource kind: where it lives and what its objects are called.
struct ResourceRef {
  std::string group;     //!< "" for the core group
  std::string version;   //!< "v1"
  std::string resource;  //!< plural, lower case: "deployments"
  std::string kind;      //!< "Deployment"
  bool namespaced = true;
  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
};

//! The resources the platform reads or acts on (core, apps, batch, networking, policy,
//! autoscaling). Returns nullptr for an unknown plural or Kind (case-insensitive).
const ResourceRef* FindResource(std::string_view plural_or_kind);
//! All of them, in a stable order.
const std::vector<ResourceRef>& KnownResources();

//! "/apis/apps/v1/namespaces/<ns>/deployments/<name>/<sub>" with each segment percent-encoded.
//! An empty namespace for a namespaced resource means all namespaces. INVALID_ARGUMENT for a
//! name or namespace that is empty where required, or "." / "..", or contains '/'.
Result<std::string> ResourcePath(const ResourceRef& ref, std::string_view ns,
                                 std::string_view name = "", std::string_view subresource = "");

//! "?a=1&b=x%20y" (values percent-encoded; pairs with empty values are dropped); "" if none.
std::string QueryString(const std::vector<std::pair<std::string, std::string>>& params);

//! One watch event: {"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": {...}}.
struct WatchEvent {
  std::string type;
  Json object;
};

//! Splits a watch stream (newline-delimited JSON objects; blank lines ignored) into events.
//! A trailing partial line (the stream was cut) is returned in `*rest` when given, else
//! ignored. INVALID_ARGUMENT naming the line number for a line that is not a JSON object with
//! a string "type" and an object "object", and RESOURCE_EXHAUSTED beyond `max_events`.
Result<std::vector<WatchEvent>> ParseWatchStream(std::string_view body, size_t max_events,
                                                 std::string* rest = nullptr);

//! Maps a non-2xx answer to a Status. `verb` ("get", "patch" ...) and `what`
//! ("deployments shop/web") name the attempted operation. The API's Status object supplies
//! message and reason when present: 400/422 INVALID_ARGUMENT, 401 UNAUTHENTICATED,
//! 403 PERMISSION_DENIED, 404 NOT_FOUND, 409 CONFLICT, 410 FAILED_PRECONDITION (expired
//! resourceVersion or continue token), 415 INVALID_ARGUMENT, 429 and 5xx UNAVAILABLE.
Status ApiError(int http_status, std::string_view body, std::string_view verb,
                std::string_view what);

//! The API's Status reason ("NotFound", "Conflict" ...) from an error body, or "".
std::string ApiReason(std::string_view body);

}  // namespace dai::kube
