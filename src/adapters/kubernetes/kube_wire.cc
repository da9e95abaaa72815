#include "adapters/kubernetes/kube_wire.h"

#include <yaml-cpp/yaml.h>

#include "core/yaml_input.h"

#include <algorithm>
#include <cctype>

namespace dai::kube {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The named entry ({name, <field>: {...}}) of a kubeconfig list, or an undefined node.
YAML::Node Named(const YAML::Node& list, const std::string& name, const char* field) {
  if (!list || !list.IsSequence()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& item : list) {
    if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) continue;
    if (item["name"].Scalar() == name) return item[field];
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string Scalar(const YAML::Node& map, const char* key) {
  if (!map || !map.IsMap()) return "";
  const YAML::Node v = map[key];
  if (!v || !v.IsScalar()) return "";
  return v.Scalar();
}

std::string Resolve(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  std::string out(base_dir);
  if (out.back() != '/') out += '/';
  return out + path;
}

Status Bad(const std::string& what) { return Status::InvalidArgument("kubeconfig: " + what); }

bool SafeSegment(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos;
}

}  // namespace

std::string KubeConfig::DescribeTarget() const {
  return server + " (context " + (context.empty() ? "?" : context) + ")";
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      padding = true;
      continue;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    } else {
      return std::nullopt;
    }
    if (padding) return std::nullopt;  // data after padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone 6-bit group is not valid base64
  return out;
}

Result<KubeConfig> ParseKubeconfig(std::string_view yaml, std::string_view context,
                                   std::string_view base_dir) {
  DAI_RETURN_IF_ERROR(CheckYamlInput(yaml, "kubeconfig"));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Bad(std::string("invalid YAML: ") + e.what());
  }
  if (!root || !root.IsMap())
    return Bad("expected a mapping (apiVersion, clusters, contexts, users)");
  try {
    KubeConfig c;
    c.context = context.empty() ? Scalar(root, "current-context") : std::string(context);
    if (c.context.empty()) return Bad("no context given and no current-context set");
    const YAML::Node ctx = Named(root["contexts"], c.context, "context");
    if (!ctx || !ctx.IsMap()) return Bad("context \"" + c.context + "\" not found in contexts");
    const std::string cluster_name = Scalar(ctx, "cluster");
    const std::string user_name = Scalar(ctx, "user");
    if (cluster_name.empty()) return Bad("context \"" + c.context + "\" names no cluster");
    if (!Scalar(ctx, "namespace").empty()) c.namespace_ = Scalar(ctx, "namespace");
    const YAML::Node cluster = Named(root["clusters"], cluster_name, "cluster");
    if (!cluster || !cluster.IsMap())
      return Bad("cluster \"" + cluster_name + "\" not found in clusters");
    c.server = Scalar(cluster, "server");
    if (c.server.empty()) return Bad("cluster \"" + cluster_name + "\" has no server");
    if (c.server.rfind("https://", 0) != 0 && c.server.rfind("http://", 0) != 0)
      return Bad("cluster \"" + cluster_name + "\": server must be an http(s) URL");
    while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
    if (const std::string ca = Scalar(cluster, "certificate-authority-data"); !ca.empty()) {
      auto pem = DecodeBase64(ca);
      if (!pem)
        return Bad("cluster \"" + cluster_name + "\": certificate-authority-data is not base64");
      c.ca_pem = std::move(*pem);
    }
    c.ca_file = Resolve(base_dir, Scalar(cluster, "certificate-authority"));
    const std::string insecure = Lower(Scalar(cluster, "insecure-skip-tls-verify"));
    c.insecure_skip_tls_verify = insecure == "true";
    if (!user_name.empty()) {
      const YAML::Node user = Named(root["users"], user_name, "user");
      if (!user) return Bad("user \"" + user_name + "\" not found in users");
      if (user.IsMap()) {
        if (user["exec"] || user["auth-provider"])
          return Bad("user \"" + user_name +
                     "\": exec and auth-provider plugins are not supported (they run programs); "
                     "use a token, tokenFile or client certificate");
        c.token = Scalar(user, "token");
        c.token_file = Resolve(base_dir, Scalar(user, "tokenFile"));
        if (const std::string d = Scalar(user, "client-certificate-data"); !d.empty()) {
          auto pem = DecodeBase64(d);
          if (!pem) return Bad("user \"" + user_name + "\": client-certificate-data is not base64");
          c.client_cert_pem = std::move(*pem);
        }
        if (const std::string d = Scalar(user, "client-key-data"); !d.empty()) {
          auto pem = DecodeBase64(d);
          if (!pem) return Bad("user \"" + user_name + "\": client-key-data is not base64");
          c.client_key_pem = std::move(*pem);
        }
        c.client_cert_file = Resolve(base_dir, Scalar(user, "client-certificate"));
        c.client_key_file = Resolve(base_dir, Scalar(user, "client-key"));
        if (Scalar(user, "username").size() || Scalar(user, "password").size())
          return Bad("user \"" + user_name + "\": basic authentication is not supported");
      }
    }
    return c;
  } catch (const YAML::Exception& e) {
    return Bad(std::string("unexpected structure: ") + e.what());
  }
}

Result<KubeConfig> InClusterConfig(const std::map<std::string, std::string>& env,
                                   const std::map<std::string, std::string>& files,
                                   std::string_view sa_dir) {
  auto host = env.find("KUBERNETES_SERVICE_HOST");
  auto port = env.find("KUBERNETES_SERVICE_PORT");
  if (host == env.end() || host->second.empty())
    return Status::FailedPrecondition("in-cluster: KUBERNETES_SERVICE_HOST is not set");
  if (port == env.end() || port->second.empty())
    return Status::FailedPrecondition("in-cluster: KUBERNETES_SERVICE_PORT is not set");
  if (!std::all_of(port->second.begin(), port->second.end(),
                   [](char c) { return c >= '0' && c <= '9'; }))
    return Status::FailedPrecondition("in-cluster: KUBERNETES_SERVICE_PORT is not a number");
  KubeConfig c;
  c.context = "in-cluster";
  const std::string h =
      host->second.find(':') != std::string::npos ? "[" + host->second + "]" : host->second;
  c.server = "https://" + h + ":" + port->second;
  const std::string dir(sa_dir);
  auto token = files.find("token");
  if (token == files.end())
    return Status::FailedPrecondition("in-cluster: " + dir + "/token is missing");
  c.token_file = dir + "/token";
  c.token = token->second;
  while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == '\r')) c.token.pop_back();
  auto ca = files.find("ca.crt");
  if (ca == files.end())
    return Status::FailedPrecondition("in-cluster: " + dir + "/ca.crt is missing");
  c.ca_pem = ca->second;
  if (auto ns = files.find("namespace"); ns != files.end()) {
    std::string n = ns->second;
    while (!n.empty() && (n.back() == '\n' || n.back() == '\r' || n.back() == ' ')) n.pop_back();
    if (!n.empty()) c.namespace_ = n;
  }
  return c;
}

std::string PercentEncode(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

const std::vector<ResourceRef>& KnownResources() {
  static const std::vector<ResourceRef> kAll = {
      {"", "v1", "pods", "Pod", true},
      {"", "v1", "services", "Service", true},
      {"", "v1", "configmaps", "ConfigMap", true},
      {"", "v1", "secrets", "Secret", true},
      {"", "v1", "serviceaccounts", "ServiceAccount", true},
      {"", "v1", "events", "Event", true},
      {"", "v1", "namespaces", "Namespace", false},
      {"", "v1", "nodes", "Node", false},
      {"apps", "v1", "deployments", "Deployment", true},
      {"apps", "v1", "statefulsets", "StatefulSet", true},
      {"apps", "v1", "daemonsets", "DaemonSet", true},
      {"apps", "v1", "replicasets", "ReplicaSet", true},
      {"apps", "v1", "controllerrevisions", "ControllerRevision", true},
      {"batch", "v1", "jobs", "Job", true},
      {"batch", "v1", "cronjobs", "CronJob", true},
      {"networking.k8s.io", "v1", "ingresses", "Ingress", true},
      {"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true},
      {"policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true},
      {"autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true},
  };
  return kAll;
}

const ResourceRef* FindResource(std::string_view plural_or_kind) {
  const std::string want = Lower(plural_or_kind);
  for (const auto& r : KnownResources())
    if (r.resource == want || Lower(r.kind) == want) return &r;
  return nullptr;
}

Result<std::string> ResourcePath(const ResourceRef& ref, std::string_view ns, std::string_view name,
                                 std::string_view subresource) {
  std::string path =
      ref.group.empty() ? "/api/" + ref.version : "/apis/" + ref.group + "/" + ref.version;
  if (ref.namespaced && !ns.empty()) {
    if (!SafeSegment(ns))
      return Status::InvalidArgument("namespace \"" + std::string(ns) + "\" is not a valid name");
    path += "/namespaces/" + PercentEncode(ns);
  }
  if (ref.namespaced && ns.empty() && !name.empty())
    return Status::InvalidArgument(ref.resource + " \"" + std::string(name) +
                                   "\": a namespace is required");
  path += "/" + ref.resource;
  if (!name.empty() || !subresource.empty()) {
    if (!SafeSegment(name))
      return Status::InvalidArgument(ref.resource + ": \"" + std::string(name) +
                                     "\" is not a valid name");
    path += "/" + PercentEncode(name);
  }
  if (!subresource.empty()) path += "/" + PercentEncode(subresource);
  return path;
}

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    out += out.empty() ? "?" : "&";
    out += PercentEncode(k) + "=" + PercentEncode(v);
  }
  return out;
}

Result<std::vector<WatchEvent>> ParseWatchStream(std::string_view body, size_t max_events,
                                                 std::string* rest) {
  std::vector<WatchEvent> events;
  size_t line_no = 0;
  size_t pos = 0;
  if (rest) rest->clear();
  while (pos < body.size()) {
    const size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) {
      // The stream ended inside a line: the connection was cut mid-event.
      if (rest) *rest = std::string(body.substr(pos));
      break;
    }
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty()) continue;
    auto parsed = ParseJson(line);
    if (!parsed.ok())
      return Status::InvalidArgument("watch stream line " + std::to_string(line_no) +
                                     ": not JSON: " + parsed.status().message());
    Json& j = *parsed;
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string() || !j.contains("object") ||
        !j["object"].is_object())
      return Status::InvalidArgument("watch stream line " + std::to_string(line_no) +
                                     ": expected {\"type\": string, \"object\": object}");
    if (events.size() >= max_events)
      return Status::ResourceExhausted("watch stream: more than " + std::to_string(max_events) +
                                       " events");
    events.push_back({j["type"].get<std::string>(), std::move(j["object"])});
  }
  return events;
}

std::string ApiReason(std::string_view body) {
  auto j = ParseJson(body);
  if (!j.ok() || !j->is_object()) return "";
  auto it = j->find("reason");
  return it != j->end() && it->is_string() ? it->get<std::string>() : "";
}

Status ApiError(int http_status, std::string_view body, std::string_view verb,
                std::string_view what) {
  std::string message;
  std::string reason;
  auto j = ParseJson(body);
  if (j.ok() && j->is_object() && j->value("kind", "") == "Status") {
    if (auto m = j->find("message"); m != j->end() && m->is_string())
      message = m->get<std::string>();
    if (auto r = j->find("reason"); r != j->end() && r->is_string()) reason = r->get<std::string>();
  }
  if (message.empty()) {
    std::string text(body.substr(0, 200));
    for (char& c : text)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    message = text.empty() ? "HTTP " + std::to_string(http_status) : text;
  }
  std::string head = "kubernetes " + std::string(verb) + " " + std::string(what) + ": ";
  std::string tail =
      message +
      (reason.empty() ? "" : " (reason " + reason + ", HTTP " + std::to_string(http_status) + ")");
  if (reason.empty()) tail += " (HTTP " + std::to_string(http_status) + ")";
  switch (http_status) {
    case 400:
    case 415:
    case 422:
      return Status::InvalidArgument(head + tail);
    case 401:
      return Status::Unauthenticated(head + "the API server rejected the credentials: " + tail);
    case 403:
      return Status::PermissionDenied(
          head + "forbidden (grant the \"" + std::string(verb) +
          "\" verb on this resource to the platform's account): " + tail);
    case 404:
      return Status::NotFound(head + tail);
    case 409:
      return Status::Conflict(head + tail);
    case 410:
      return Status::FailedPrecondition(head + "expired: " + tail);
    default:
      if (http_status == 429 || http_status >= 500) return Status::Unavailable(head + tail);
      return Status::Internal(head + "unexpected answer: " + tail);
  }
}

}  // namespace dai::kube
