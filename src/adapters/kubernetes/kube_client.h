// KubeClient: the Kubernetes API client (list with selectors and pagination, get, bounded
// watch, merge / strategic-merge / JSON patch, the scale subresource, pod deletion, pod logs,
// events) over the one outbound HttpClient (libcurl: TLS with the kubeconfig's CA data or
// file, client certificates, timeouts, size limits; cloud-metadata and link-local addresses
// refused). Names, namespaces and selectors from labels or alerts reach the URL only
// percent-encoded; nothing reaches a shell. Plain http:// is accepted only for a loopback
// server (the tests' fake API server); a real cluster is reached over https.
// Errors carry the API's Status message and reason (see ApiError in kube_wire.h).
// Thread-safety: const methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/http_client.h"
#include "adapters/kubernetes/kube_wire.h"
#include "core/json.h"
#include "core/status.h"

namespace dai::kube {

struct KubeClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
  size_t max_response_bytes = size_t{64} << 20;
  //! Tests only: a resolver for host names (the fake listens on 127.0.0.1).
  http::Resolver resolver;
};

struct ListOptions {
  std::string namespace_;      //!< empty: all namespaces (namespaced resources)
  std::string label_selector;  //!< "app=web,tier in (a,b)"
  std::string field_selector;  //!< "involvedObject.name=web"
  int page_size = 500;         //!< limit per request; continue tokens are followed
  size_t max_items = 100000;   //!< RESOURCE_EXHAUSTED beyond this
};

struct ListResult {
  std::vector<Json> items;  //!< each with kind and apiVersion filled in (lists omit them)
  std::string resource_version;
  int pages = 0;
};

struct WatchOptions {
  std::string namespace_;
  std::string label_selector;
  std::string resource_version;  //!< empty: start with ADDED for every current object
  int timeout_seconds = 5;       //!< the server ends the stream after this (bounded watch)
  size_t max_events = 10000;
};

struct LogOptions {
  std::string container;  //!< required for a pod with several containers
  std::optional<int64_t> tail_lines;
  std::optional<int64_t> since_seconds;
  std::string since_time;         //!< RFC 3339
  int64_t limit_bytes = 1 << 20;  //!< the server truncates beyond this
  bool timestamps = false;
};

//! kApply is server-side apply (application/apply-patch+yaml, fieldManager devops-ai, force):
//! the body is the full desired object; the API server merges it with field ownership.
enum class PatchType { kMerge, kStrategicMerge, kJsonPatch, kApply };
//! "application/merge-patch+json" ...
const char* PatchContentType(PatchType type);

class KubeClient {
 public:
  //! INVALID_ARGUMENT for a server URL that is not https (or http to a loopback address), or
  //! unreadable certificate/key files named in the config.
  static Result<KubeClient> Create(KubeConfig config, KubeClientOptions options = {});

  const KubeConfig& config() const { return *config_; }

  //! Every object of `ref` matching `options`, following metadata.continue.
  Result<ListResult> List(const ResourceRef& ref, const ListOptions& options = {}) const;
  Result<Json> Get(const ResourceRef& ref, const std::string& ns, const std::string& name) const;
  //! Events until the server closes the stream (timeout_seconds). An ERROR event (e.g. 410
  //! Expired for a too-old resourceVersion) is returned as FAILED_PRECONDITION.
  Result<std::vector<WatchEvent>> Watch(const ResourceRef& ref, const WatchOptions& options) const;
  Result<Json> Patch(const ResourceRef& ref, const std::string& ns, const std::string& name,
                     const Json& patch, PatchType type, const std::string& subresource = "") const;
  //! The autoscaling/v1 Scale of a deployment, statefulset or replicaset.
  Result<Json> GetScale(const ResourceRef& ref, const std::string& ns,
                        const std::string& name) const;
  Result<Json> SetReplicas(const ResourceRef& ref, const std::string& ns, const std::string& name,
                           int64_t replicas) const;
  //! Deletes a pod (graceful, the server's default grace period unless given).
  Result<Json> DeletePod(const std::string& ns, const std::string& name,
                         std::optional<int64_t> grace_period_seconds = std::nullopt) const;
  Result<std::string> PodLogs(const std::string& ns, const std::string& pod,
                              const LogOptions& options = {}) const;
  //! Events in `ns` (empty: all), optionally about one object (involvedObject.name).
  Result<ListResult> ListEvents(const std::string& ns, const std::string& involved_name = "") const;

  //! One request to `path_and_query`; a 2xx body, or ApiError naming verb and `what`.
  Result<std::string> Call(const std::string& method, const std::string& path_and_query,
                           const std::string& body, const std::string& content_type,
                           const std::string& verb, const std::string& what,
                           std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;

 private:
  KubeClient(std::shared_ptr<const KubeConfig> config, std::shared_ptr<http::HttpClient> http)
      : config_(std::move(config)), http_(std::move(http)) {}
  Result<std::string> BearerToken() const;

  std::shared_ptr<const KubeConfig> config_;
  std::shared_ptr<http::HttpClient> http_;
};

//! Loads a kubeconfig file (context empty: current-context), reading the certificate and key
//! files it names. FAILED_PRECONDITION naming the file when unreadable; see ParseKubeconfig.
Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");

//! The configuration to use when none is given explicitly: $KUBECONFIG (its first entry), else
//! ~/.kube/config when it exists, else the in-cluster service account when
//! KUBERNETES_SERVICE_HOST is set. FAILED_PRECONDITION saying what was looked for otherwise.
Result<KubeConfig> DefaultKubeConfig(const std::string& context = "");

//! The in-cluster service account (/var/run/secrets/kubernetes.io/serviceaccount).
Result<KubeConfig> LoadInClusterConfig();

}  // namespace dai::kube
