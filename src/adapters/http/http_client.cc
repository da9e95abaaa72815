#include "adapters/http/http_client.h"

#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

namespace dai::http {
namespace {

using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlEasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct CurlListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

std::optional<std::string> GetPart(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

struct ParsedUrl {
  CurlUrl handle;
  std::string scheme;
  std::string host;  // IPv6 literals keep their brackets
  std::string port;
  std::string origin;
};

Result<ParsedUrl> ParseUrl(std::string_view url) {
  GlobalInitOnce();
  ParsedUrl parsed;
  parsed.handle.reset(curl_url());
  if (!parsed.handle) return Status::Internal("out of memory parsing a URL");
  const std::string text(url);
  if (curl_url_set(parsed.handle.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return Status::InvalidArgument("malformed URL \"" + RedactUrl(url) + "\"");
  }
  parsed.scheme = Lower(GetPart(parsed.handle.get(), CURLUPART_SCHEME).value_or(""));
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return Status::InvalidArgument("URL \"" + RedactUrl(url) +
                                   "\": only http and https are allowed");
  }
  parsed.host = GetPart(parsed.handle.get(), CURLUPART_HOST).value_or("");
  if (parsed.host.empty()) {
    return Status::InvalidArgument("URL \"" + RedactUrl(url) + "\" has no host");
  }
  parsed.port = GetPart(parsed.handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT).value_or("");
  parsed.origin = parsed.scheme + "://" + Lower(parsed.host) + ":" + parsed.port;
  return parsed;
}

// getaddrinfo cannot be cancelled, so it runs on its own thread and the caller waits at most
// `timeout`; a late answer is dropped.
Result<std::vector<IpAddress>> ResolveWithin(const Resolver& resolver, const std::string& host,
                                             milliseconds timeout) {
  if (!resolver && IpAddress::Parse(host)) return ResolveHost(host);  // a literal: no lookup
  auto promise = std::make_shared<std::promise<Result<std::vector<IpAddress>>>>();
  auto future = promise->get_future();
  std::thread([promise, resolver, host] {
    promise->set_value(resolver ? resolver(host) : ResolveHost(host));
  }).detach();
  if (future.wait_for(timeout) != std::future_status::ready) {
    return Status::DeadlineExceeded("resolving \"" + host + "\" took longer than " +
                                    std::to_string(timeout.count()) + " ms");
  }
  return future.get();
}

struct Transfer {
  size_t max_bytes = 0;
  bool too_large = false;
  std::string body;
  Headers headers;
  std::vector<IpAddress> allowed;  // the checked addresses curl may connect to
  std::optional<IpAddress> refused;
  const std::function<void(const IpAddress&)>* on_connect = nullptr;
};

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->body.size() + n > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    t->headers.clear();  // a new (final or interim) response starts
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    t->headers.emplace_back(Lower(line.substr(0, colon)), std::string(value));
  }
  return n;
}

std::optional<IpAddress> FromSockaddr(const sockaddr* sa) {
  IpAddress a;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    a.family = IpAddress::Family::kV4;
    std::memcpy(a.bytes.data(), &in->sin_addr, 4);
    return a;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    a.family = IpAddress::Family::kV6;
    std::memcpy(a.bytes.data(), &in6->sin6_addr, 16);
    return a;
  }
  return std::nullopt;
}

// The last line of defence: curl may only open sockets to addresses the policy checked.
curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  auto ip = FromSockaddr(&address->addr);
  if (!ip || std::find(t->allowed.begin(), t->allowed.end(), *ip) == t->allowed.end()) {
    if (ip) t->refused = *ip;
    return CURL_SOCKET_BAD;
  }
  if (t->on_connect && *t->on_connect) (*t->on_connect)(*ip);
  return socket(address->family, address->socktype, address->protocol);
}

Status CheckRequestShape(const HttpClientRequest& request) {
  if (request.method.empty() ||
      !std::all_of(request.method.begin(), request.method.end(), IsTokenChar)) {
    return Status::InvalidArgument("HTTP method \"" + request.method + "\" is not a token");
  }
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
      return Status::InvalidArgument("header name \"" + name + "\" is not a token");
    }
    if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos) {
      return Status::InvalidArgument("header \"" + name + "\" has a line break in its value");
    }
  }
  return Status::Ok();
}

std::string BracketIfV6(const IpAddress& a) {
  return a.family == IpAddress::Family::kV6 ? "[" + a.ToString() + "]" : a.ToString();
}

}  // namespace

std::optional<std::string> HttpClientResponse::Header(std::string_view name) const {
  const std::string n = Lower(name);
  for (const auto& [k, v] : headers) {
    if (k == n) return v;
  }
  return std::nullopt;
}

bool IsCredentialHeader(std::string_view name) {
  const std::string n = Lower(name);
  for (const char* exact : {"authorization", "proxy-authorization", "cookie", "set-cookie",
                            "x-api-key", "x-auth-token"}) {
    if (n == exact) return true;
  }
  for (const char* part : {"token", "secret", "password", "key", "auth"}) {
    if (n.find(part) != std::string::npos) return true;
  }
  return false;
}

std::string RedactUrl(std::string_view url) {
  std::string s(url);
  size_t scheme_end = s.find("://");
  size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  size_t end = s.find_first_of("/?#", start);
  if (end == std::string::npos) end = s.size();
  size_t at = s.rfind('@', end);
  if (at != std::string::npos && at >= start) s.replace(start, at + 1 - start, "<redacted>@");
  return s;
}

std::string HttpClientRequest::DebugString() const {
  std::string out = method + " " + RedactUrl(url);
  if (!headers.empty()) {
    out += " (headers: ";
    for (size_t i = 0; i < headers.size(); ++i) {
      if (i) out += ", ";
      out += Lower(headers[i].first) + "=" +
             (IsCredentialHeader(headers[i].first) ? "<redacted>" : headers[i].second);
    }
    out += ")";
  }
  if (!body.empty()) out += " body " + std::to_string(body.size()) + " bytes";
  return out;
}

Result<std::vector<IpAddress>> ResolveHost(const std::string& host) {
  std::string name = host;
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (auto literal = IpAddress::Parse(name)) return std::vector<IpAddress>{*literal};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(name.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    return Status::Unavailable("cannot resolve host \"" + name + "\": " + gai_strerror(rc));
  }
  std::vector<IpAddress> out;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (auto ip = FromSockaddr(ai->ai_addr);
        ip && std::find(out.begin(), out.end(), *ip) == out.end()) {
      out.push_back(*ip);
    }
  }
  freeaddrinfo(list);
  if (out.empty()) return Status::Unavailable("host \"" + name + "\" has no IP address");
  return out;
}

std::string FormEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
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

std::string FormBody(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    out += FormEncode(name) + "=" + FormEncode(value);
  }
  return out;
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  GlobalInitOnce();
}

Result<HttpClientResponse> HttpClient::Send(const HttpClientRequest& request) const {
  DAI_RETURN_IF_ERROR(CheckRequestShape(request));
  const auto start = std::chrono::steady_clock::now();
  const milliseconds total = request.timeout.value_or(options_.total_timeout);
  if (total.count() <= 0 || options_.connect_timeout.count() <= 0) {
    // curl reads 0 as "no limit": never let a misconfiguration mean waiting forever.
    return Status::InvalidArgument("HTTP timeouts must be positive");
  }
  HttpClientRequest hop = request;
  DAI_ASSIGN_OR_RETURN(ParsedUrl first, ParseUrl(request.url));
  std::string origin = first.origin;
  for (int redirects = 0;; ++redirects) {
    const auto elapsed =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    if (elapsed >= total) {
      return Status::DeadlineExceeded("request to " + RedactUrl(hop.url) + " timed out after " +
                                      std::to_string(total.count()) + " ms");
    }
    hop.timeout = total - elapsed;
    std::string next;
    DAI_ASSIGN_OR_RETURN(HttpClientResponse response, SendOnce(hop, &next));
    response.redirects = redirects;
    if (next.empty() || options_.max_redirects == 0) return response;
    if (redirects >= options_.max_redirects) {
      return Status::FailedPrecondition("request to " + RedactUrl(request.url) +
                                        " redirected more than " +
                                        std::to_string(options_.max_redirects) + " times");
    }
    DAI_ASSIGN_OR_RETURN(ParsedUrl target, ParseUrl(next));
    if (target.origin != origin) {
      // Credentials are for the origin they were configured for.
      std::erase_if(hop.headers, [](const auto& h) { return IsCredentialHeader(h.first); });
      origin = target.origin;
    }
    if (response.status == 303 ||
        ((response.status == 301 || response.status == 302) && hop.method == "POST")) {
      if (hop.method != "HEAD") hop.method = "GET";
      hop.body.clear();
      std::erase_if(hop.headers, [](const auto& h) {
        std::string n = Lower(h.first);
        return n == "content-type" || n == "content-length";
      });
    }
    hop.url = next;
  }
}

Result<HttpClientResponse> HttpClient::SendOnce(const HttpClientRequest& request,
                                                std::string* redirect_url) const {
  DAI_ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(request.url));
  const std::string shown = RedactUrl(request.url);
  const milliseconds total = request.timeout.value_or(options_.total_timeout);
  const milliseconds connect = std::min(options_.connect_timeout, total);

  // 1. Policy on the name, 2. resolve, 3. policy on every address: all before connecting.
  DAI_RETURN_IF_ERROR(options_.policy.CheckHost(url.host));
  Result<std::vector<IpAddress>> resolved = ResolveWithin(options_.resolver, url.host, connect);
  if (!resolved.ok()) return resolved.status();
  DAI_RETURN_IF_ERROR(options_.policy.CheckDestination(url.host, *resolved));

  Transfer transfer;
  transfer.max_bytes = options_.max_response_bytes;
  transfer.allowed = *resolved;
  transfer.on_connect = &options_.on_connect;

  std::unique_ptr<CURL, CurlEasyDeleter> curl(curl_easy_init());
  if (!curl) return Status::Internal("curl_easy_init failed");
  CURL* h = curl.get();
  char errbuf[CURL_ERROR_SIZE] = {};

  // Pin the name to the checked addresses so curl never resolves it again.
  std::unique_ptr<curl_slist, CurlListDeleter> pins;
  if (!IpAddress::Parse(url.host)) {
    std::string entry = url.host + ":" + url.port + ":";
    for (size_t i = 0; i < resolved->size(); ++i) {
      if (i) entry += ",";
      entry += BracketIfV6((*resolved)[i]);
    }
    pins.reset(curl_slist_append(nullptr, entry.c_str()));
  }
  std::unique_ptr<curl_slist, CurlListDeleter> headers;
  bool has_expect = false;
  for (const auto& [name, value] : request.headers) {
    std::string line = name;
    line += value.empty() ? ";" : ": ";
    line += value;
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
    if (Lower(name) == "expect") has_expect = true;
  }
  if (!has_expect) headers.reset(curl_slist_append(headers.release(), "Expect:"));

  curl_easy_setopt(h, CURLOPT_CURLU, url.handle.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_PROXY, "");           // never an environment proxy
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are re-checked in Send
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.insecure_skip_tls_verify ? 0L : 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.insecure_skip_tls_verify ? 0L : 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  // PEM blobs (curl copies them): a kubeconfig's inline CA data and client certificate/key.
  auto set_blob = [h](CURLoption option, const std::string& pem) {
    if (pem.empty()) return;
    curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(h, option, &blob);
  };
  set_blob(CURLOPT_CAINFO_BLOB, options_.ca_pem);
  set_blob(CURLOPT_SSLCERT_BLOB, options_.client_cert_pem);
  set_blob(CURLOPT_SSLKEY_BLOB, options_.client_key_pem);
  if (!options_.client_cert_pem.empty()) curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
  if (!options_.client_key_pem.empty()) curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_response_bytes));
  if (pins) curl_easy_setopt(h, CURLOPT_RESOLVE, pins.get());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, OnOpenSocket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &transfer);

  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET" && request.body.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    if (request.method != "POST") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (request.method == "POST" || !request.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    }
  }

  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    const std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (transfer.refused) {
      return Status::PermissionDenied("outbound request to " + shown + " refused: curl tried " +
                                      transfer.refused->ToString() +
                                      ", which the policy did not check (rule pinned-address)");
    }
    if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      return Status::PayloadTooLarge("response from " + shown + " exceeds the limit of " +
                                     std::to_string(options_.max_response_bytes) + " bytes");
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return Status::DeadlineExceeded("request to " + shown + " timed out (connect limit " +
                                      std::to_string(connect.count()) + " ms, total limit " +
                                      std::to_string(total.count()) + " ms): " + detail);
    }
    return Status::Unavailable("request to " + shown + " failed: " + detail);
  }

  HttpClientResponse response;
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  response.headers = std::move(transfer.headers);
  response.body = std::move(transfer.body);
  response.url = request.url;
  char* location = nullptr;
  if (status >= 300 && status < 400 &&
      curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
    *redirect_url = location;
  }
  return response;
}

}  // namespace dai::http
