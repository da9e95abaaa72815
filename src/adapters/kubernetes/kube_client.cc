#include "adapters/kubernetes/kube_client.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace dai::kube {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxCredentialFile = 1 << 20;

Result<std::string> ReadSmallFile(const std::string& path, const std::string& what) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return Status::FailedPrecondition(what + " \"" + path + "\": " + ec.message());
  if (size > kMaxCredentialFile)
    return Status::FailedPrecondition(what + " \"" + path + "\": larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FailedPrecondition(what + " \"" + path + "\": cannot open");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The host of an http(s) URL, without brackets or port.
std::string UrlHost(const std::string& url) {
  size_t start = url.find("://");
  if (start == std::string::npos) return "";
  start += 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority =
      url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    return close == std::string::npos ? "" : authority.substr(1, close - 1);
  }
  return authority.substr(0, authority.find(':'));
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  auto ip = http::IpAddress::Parse(host);
  return ip && http::ClassifyAddress(*ip) == http::AddressClass::kLoopback;
}

// Lists omit kind and apiVersion on their items; the posture engine and callers need them.
void FillTypeMeta(Json& item, const ResourceRef& ref) {
  if (!item.is_object()) return;
  if (!item.contains("kind")) item["kind"] = ref.kind;
  if (!item.contains("apiVersion")) item["apiVersion"] = ref.ApiVersion();
}

std::string What(const ResourceRef& ref, const std::string& ns, const std::string& name) {
  std::string w = ref.resource;
  if (!ns.empty() || !name.empty()) w += " ";
  if (!ns.empty()) w += ns + (name.empty() ? "" : "/");
  w += name;
  return w;
}

}  // namespace

const char* PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kJsonPatch:
      return "application/json-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";  // JSON is YAML
  }
  return "application/merge-patch+json";
}

Result<KubeClient> KubeClient::Create(KubeConfig config, KubeClientOptions options) {
  const std::string host = UrlHost(config.server);
  if (host.empty())
    return Status::InvalidArgument("kubernetes: server \"" + config.server + "\" has no host");
  if (config.server.rfind("http://", 0) == 0 && !IsLoopbackHost(host))
    return Status::InvalidArgument("kubernetes: server \"" + config.server +
                                   "\" is plain http; only https is accepted (http only for a "
                                   "loopback test server)");
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0)
    return Status::InvalidArgument("kubernetes: server \"" + config.server +
                                   "\" is not an https URL");
  if (!config.client_cert_file.empty() && config.client_cert_pem.empty()) {
    DAI_ASSIGN_OR_RETURN(config.client_cert_pem,
                         ReadSmallFile(config.client_cert_file, "kubeconfig client-certificate"));
  }
  if (!config.client_key_file.empty() && config.client_key_pem.empty()) {
    DAI_ASSIGN_OR_RETURN(config.client_key_pem,
                         ReadSmallFile(config.client_key_file, "kubeconfig client-key"));
  }
  if (config.client_cert_pem.empty() != config.client_key_pem.empty())
    return Status::InvalidArgument(
        "kubernetes: a client certificate needs its key (and a key its certificate)");
  http::HttpClientOptions h;
  h.policy = http::OutboundPolicy::AllowLocal();  // API servers are usually on private networks
  h.connect_timeout = options.connect_timeout;
  h.total_timeout = options.request_timeout;
  h.max_response_bytes = options.max_response_bytes;
  h.ca_file = config.ca_file;
  h.ca_pem = config.ca_pem;
  h.client_cert_pem = config.client_cert_pem;
  h.client_key_pem = config.client_key_pem;
  h.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
  h.resolver = options.resolver;
  h.user_agent = "devops-ai (kubernetes adapter)";
  return KubeClient(std::make_shared<const KubeConfig>(std::move(config)),
                    std::make_shared<http::HttpClient>(std::move(h)));
}

Result<std::string> KubeClient::BearerToken() const {
  if (!config_->token_file.empty()) {
    auto text = ReadSmallFile(config_->token_file, "token file");
    if (text.ok()) {
      std::string t = std::move(text).value();
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
      if (!t.empty()) return t;
    }
    if (config_->token.empty()) return text.status();
  }
  return config_->token;
}

Result<std::string> KubeClient::Call(const std::string& method, const std::string& path_and_query,
                                     const std::string& body, const std::string& content_type,
                                     const std::string& verb, const std::string& what,
                                     std::optional<std::chrono::milliseconds> timeout) const {
  http::HttpClientRequest req;
  req.method = method;
  req.url = config_->server + path_and_query;
  req.body = body;
  req.timeout = timeout;
  req.headers.emplace_back("Accept", "application/json");
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", content_type);
  DAI_ASSIGN_OR_RETURN(std::string token, BearerToken());
  if (!token.empty()) {
    if (token.find_first_of("\r\n") != std::string::npos)
      return Status::InvalidArgument("kubernetes: the bearer token contains a line break");
    req.headers.emplace_back("Authorization", "Bearer " + token);
  }
  auto resp = http_->Send(req);
  if (!resp.ok())
    return Status(resp.status().code(), "kubernetes " + verb + " " + what + " at " +
                                            config_->DescribeTarget() + ": " +
                                            resp.status().message());
  if (resp->status < 200 || resp->status >= 300)
    return ApiError(resp->status, resp->body, verb, what);
  return std::move(resp->body);
}

Result<ListResult> KubeClient::List(const ResourceRef& ref, const ListOptions& options) const {
  DAI_ASSIGN_OR_RETURN(std::string path, ResourcePath(ref, options.namespace_));
  ListResult out;
  std::string cont;
  const std::string what = What(ref, options.namespace_, "");
  for (;;) {
    const std::string q =
        QueryString({{"labelSelector", options.label_selector},
                     {"fieldSelector", options.field_selector},
                     {"limit", options.page_size > 0 ? std::to_string(options.page_size) : ""},
                     {"continue", cont}});
    DAI_ASSIGN_OR_RETURN(std::string body, Call("GET", path + q, "", "", "list", what));
    auto j = ParseJson(body);
    if (!j.ok() || !j->is_object() || !j->contains("items") || !(*j)["items"].is_array())
      return Status::Unavailable("kubernetes list " + what + ": the answer is not a list object");
    ++out.pages;
    for (auto& item : (*j)["items"]) {
      if (out.items.size() >= options.max_items)
        return Status::ResourceExhausted("kubernetes list " + what + ": more than " +
                                         std::to_string(options.max_items) + " objects");
      FillTypeMeta(item, ref);
      out.items.push_back(std::move(item));
    }
    const Json& meta = (*j)["metadata"];
    if (meta.is_object()) {
      if (out.resource_version.empty() && meta.contains("resourceVersion") &&
          meta["resourceVersion"].is_string())
        out.resource_version = meta["resourceVersion"].get<std::string>();
      cont = meta.contains("continue") && meta["continue"].is_string()
                 ? meta["continue"].get<std::string>()
                 : "";
    } else {
      cont.clear();
    }
    if (cont.empty()) break;
    if (out.pages > 100000)
      return Status::Unavailable("kubernetes list " + what + ": endless pagination");
  }
  return out;
}

Result<Json> KubeClient::Get(const ResourceRef& ref, const std::string& ns,
                             const std::string& name) const {
  DAI_ASSIGN_OR_RETURN(std::string path, ResourcePath(ref, ref.namespaced ? ns : "", name));
  DAI_ASSIGN_OR_RETURN(std::string body, Call("GET", path, "", "", "get", What(ref, ns, name)));
  auto j = ParseJson(body);
  if (!j.ok() || !j->is_object())
    return Status::Unavailable("kubernetes get " + What(ref, ns, name) +
                               ": the answer is not an object");
  FillTypeMeta(*j, ref);
  return std::move(j).value();
}

Result<std::vector<WatchEvent>> KubeClient::Watch(const ResourceRef& ref,
                                                  const WatchOptions& options) const {
  DAI_ASSIGN_OR_RETURN(std::string path, ResourcePath(ref, options.namespace_));
  const int timeout = std::max(1, std::min(options.timeout_seconds, 600));
  const std::string q = QueryString({{"watch", "1"},
                                     {"labelSelector", options.label_selector},
                                     {"resourceVersion", options.resource_version},
                                     {"allowWatchBookmarks", "true"},
                                     {"timeoutSeconds", std::to_string(timeout)}});
  const std::string what = What(ref, options.namespace_, "");
  DAI_ASSIGN_OR_RETURN(std::string body, Call("GET", path + q, "", "", "watch", what,
                                              std::chrono::milliseconds((timeout + 10) * 1000)));
  DAI_ASSIGN_OR_RETURN(auto events, ParseWatchStream(body, options.max_events));
  for (auto& e : events) {
    if (e.type == "ERROR") {
      return ApiError(e.object.value("code", 500), e.object.dump(), "watch", what);
    }
    FillTypeMeta(e.object, ref);
  }
  return events;
}

Result<Json> KubeClient::Patch(const ResourceRef& ref, const std::string& ns,
                               const std::string& name, const Json& patch, PatchType type,
                               const std::string& subresource) const {
  DAI_ASSIGN_OR_RETURN(std::string path,
                       ResourcePath(ref, ref.namespaced ? ns : "", name, subresource));
  const std::string what = What(ref, ns, name) + (subresource.empty() ? "" : "/" + subresource);
  // Server-side apply names its field manager; force takes over fields another manager set
  // (the desired state wins, as `kubectl apply --server-side --force-conflicts`).
  if (type == PatchType::kApply) path += "?fieldManager=devops-ai&force=true";
  DAI_ASSIGN_OR_RETURN(std::string body,
                       Call("PATCH", path, DumpJson(patch), PatchContentType(type), "patch", what));
  auto j = ParseJson(body);
  if (!j.ok() || !j->is_object())
    return Status::Unavailable("kubernetes patch " + what + ": the answer is not an object");
  if (subresource.empty()) FillTypeMeta(*j, ref);
  return std::move(j).value();
}

Result<Json> KubeClient::GetScale(const ResourceRef& ref, const std::string& ns,
                                  const std::string& name) const {
  DAI_ASSIGN_OR_RETURN(std::string path, ResourcePath(ref, ns, name, "scale"));
  const std::string what = What(ref, ns, name) + "/scale";
  DAI_ASSIGN_OR_RETURN(std::string body, Call("GET", path, "", "", "get", what));
  auto j = ParseJson(body);
  if (!j.ok() || !j->is_object())
    return Status::Unavailable("kubernetes get " + what + ": the answer is not an object");
  return std::move(j).value();
}

Result<Json> KubeClient::SetReplicas(const ResourceRef& ref, const std::string& ns,
                                     const std::string& name, int64_t replicas) const {
  if (replicas < 0) return Status::InvalidArgument("kubernetes scale: replicas must be >= 0");
  return Patch(ref, ns, name, Json{{"spec", {{"replicas", replicas}}}}, PatchType::kMerge, "scale");
}

Result<Json> KubeClient::DeletePod(const std::string& ns, const std::string& name,
                                   std::optional<int64_t> grace_period_seconds) const {
  const ResourceRef& pods = *FindResource("pods");
  DAI_ASSIGN_OR_RETURN(std::string path, ResourcePath(pods, ns, name));
  std::string body;
  if (grace_period_seconds) {
    body = DumpJson(Json{{"kind", "DeleteOptions"},
                         {"apiVersion", "v1"},
                         {"gracePeriodSeconds", *grace_period_seconds}});
  }
  DAI_ASSIGN_OR_RETURN(std::string answer,
                       Call("DELETE", path, body, body.empty() ? "" : "application/json", "delete",
                            What(pods, ns, name)));
  auto j = ParseJson(answer);
  if (!j.ok() || !j->is_object()) return Json::object();
  return std::move(j).value();
}

Result<std::string> KubeClient::PodLogs(const std::string& ns, const std::string& pod,
                                        const LogOptions& options) const {
  const ResourceRef& pods = *FindResource("pods");
  DAI_ASSIGN_OR_RETURN(std::string path, ResourcePath(pods, ns, pod, "log"));
  const std::string q = QueryString(
      {{"container", options.container},
       {"tailLines", options.tail_lines ? std::to_string(*options.tail_lines) : ""},
       {"sinceSeconds", options.since_seconds ? std::to_string(*options.since_seconds) : ""},
       {"sinceTime", options.since_time},
       {"limitBytes", options.limit_bytes > 0 ? std::to_string(options.limit_bytes) : ""},
       {"timestamps", options.timestamps ? "true" : ""}});
  return Call("GET", path + q, "", "", "get", "pods/log " + ns + "/" + pod);
}

Result<ListResult> KubeClient::ListEvents(const std::string& ns,
                                          const std::string& involved_name) const {
  ListOptions options;
  options.namespace_ = ns;
  if (!involved_name.empty()) options.field_selector = "involvedObject.name=" + involved_name;
  return List(*FindResource("events"), options);
}

Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  DAI_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "kubeconfig"));
  const std::string dir = fs::path(path).parent_path().string();
  auto config = ParseKubeconfig(text, context, dir);
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

Result<KubeConfig> LoadInClusterConfig() {
  std::map<std::string, std::string> env;
  for (const char* name : {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"})
    if (const char* v = std::getenv(name)) env[name] = v;
  const std::string dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  std::map<std::string, std::string> files;
  for (const char* name : {"token", "ca.crt", "namespace"}) {
    auto text = ReadSmallFile(dir + "/" + name, "service-account file");
    if (text.ok()) files[name] = std::move(text).value();
  }
  return InClusterConfig(env, files, dir);
}

Result<KubeConfig> DefaultKubeConfig(const std::string& context) {
  if (const char* kc = std::getenv("KUBECONFIG"); kc && *kc) {
    std::string first(kc);
    first = first.substr(0, first.find(':'));
    if (!first.empty()) return LoadKubeconfig(first, context);
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    std::error_code ec;
    const std::string path = std::string(home) + "/.kube/config";
    if (fs::exists(path, ec)) return LoadKubeconfig(path, context);
  }
  if (std::getenv("KUBERNETES_SERVICE_HOST")) return LoadInClusterConfig();
  return Status::FailedPrecondition(
      "kubernetes: no configuration found (looked for $KUBECONFIG, ~/.kube/config and an "
      "in-cluster service account); give --kubeconfig FILE");
}

}  // namespace dai::kube
