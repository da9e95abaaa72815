#include "adapters/prometheus/prometheus_client.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace dai::prometheus {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kPrefix = "prometheus: ";

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

std::string Snippet(std::string_view body) {
  std::string s(body.substr(0, 200));
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

std::string DurationParam(milliseconds d) { return std::to_string(d.count()) + "ms"; }

std::string SecondsParam(milliseconds d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(d.count() / 1000),
                static_cast<long long>(d.count() % 1000));
  return buf;
}

Result<TimePoint> ParseTimestamp(const Json& ts, std::string_view where) {
  if (!ts.is_number()) {
    return Status::InvalidArgument(std::string(kPrefix) + std::string(where) +
                                   ": timestamp is not a number");
  }
  return FromUnixMillis(static_cast<int64_t>(std::llround(ts.get<double>() * 1000.0)));
}

Result<double> ParseSampleValue(const Json& v, std::string_view where) {
  if (!v.is_string()) {
    return Status::InvalidArgument(std::string(kPrefix) + std::string(where) +
                                   ": sample value is not a string");
  }
  const std::string& s = v.get_ref<const std::string&>();
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);  // accepts NaN, +Inf, -Inf as Prometheus writes them
  if (s.empty() || end != s.c_str() + s.size()) {
    return Status::InvalidArgument(std::string(kPrefix) + std::string(where) + ": sample value \"" +
                                   s + "\" is not a number");
  }
  return d;
}

Result<MetricPoint> ParsePair(const Json& pair, std::string_view where) {
  if (!pair.is_array() || pair.size() != 2) {
    return Status::InvalidArgument(std::string(kPrefix) + std::string(where) +
                                   ": expected [timestamp, \"value\"]");
  }
  DAI_ASSIGN_OR_RETURN(TimePoint t, ParseTimestamp(pair[0], where));
  DAI_ASSIGN_OR_RETURN(double v, ParseSampleValue(pair[1], where));
  return MetricPoint{t, v};
}

Result<std::map<std::string, std::string>> ParseLabels(const Json& metric, std::string_view where) {
  std::map<std::string, std::string> labels;
  if (metric.is_null()) return labels;
  if (!metric.is_object()) {
    return Status::InvalidArgument(std::string(kPrefix) + std::string(where) +
                                   ".metric is not an object");
  }
  for (const auto& [k, v] : metric.items()) {
    if (!v.is_string()) {
      return Status::InvalidArgument(std::string(kPrefix) + std::string(where) + ".metric." + k +
                                     " is not a string");
    }
    labels[k] = v.get<std::string>();
  }
  return labels;
}

}  // namespace

Status PrometheusErrorStatus(std::string_view error_type, std::string_view message) {
  const std::string text =
      std::string(kPrefix) + std::string(error_type) + ": " + std::string(message);
  if (error_type == "bad_data" || error_type == "execution") return Status::InvalidArgument(text);
  if (error_type == "timeout") return Status::DeadlineExceeded(text);
  if (error_type == "not_found") return Status::NotFound(text);
  if (error_type == "internal") return Status::Internal(text);
  return Status::Unavailable(text);  // canceled, unavailable, and anything newer
}

std::string PrometheusTime(TimePoint time) {
  return SecondsParam(milliseconds(ToUnixMillis(time)));
}

Result<std::vector<MetricSeries>> ParseSeries(const QueryData& data) {
  std::vector<MetricSeries> out;
  const Json& result = data.result;
  if (data.result_type == "scalar") {
    DAI_ASSIGN_OR_RETURN(MetricPoint p, ParsePair(result, "scalar result"));
    out.push_back(MetricSeries{{}, {p}});
    return out;
  }
  if (data.result_type != "matrix" && data.result_type != "vector") {
    return Status::InvalidArgument(std::string(kPrefix) + "a " + data.result_type +
                                   " result has no series");
  }
  if (!result.is_array()) {
    return Status::InvalidArgument(std::string(kPrefix) + "result is not an array");
  }
  const bool matrix = data.result_type == "matrix";
  for (size_t i = 0; i < result.size(); ++i) {
    const Json& item = result[i];
    const std::string where = "result[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      return Status::InvalidArgument(std::string(kPrefix) + where + " is not an object");
    }
    MetricSeries series;
    DAI_ASSIGN_OR_RETURN(series.labels, ParseLabels(item.value("metric", Json()), where));
    if (matrix) {
      // Native-histogram samples ("histograms") carry no float value and are skipped.
      if (auto it = item.find("values"); it != item.end()) {
        if (!it->is_array()) {
          return Status::InvalidArgument(std::string(kPrefix) + where + ".values is not an array");
        }
        series.points.reserve(it->size());
        for (const Json& pair : *it) {
          DAI_ASSIGN_OR_RETURN(MetricPoint p, ParsePair(pair, where + ".values"));
          series.points.push_back(p);
        }
      }
    } else if (auto it = item.find("value"); it != item.end()) {
      DAI_ASSIGN_OR_RETURN(MetricPoint p, ParsePair(*it, where + ".value"));
      series.points.push_back(p);
    }
    out.push_back(std::move(series));
  }
  return out;
}

PrometheusClient::PrometheusClient(PrometheusOptions options,
                                   std::shared_ptr<const http::HttpClient> http)
    : options_(std::move(options)), http_(std::move(http)) {}

Result<PrometheusClient> PrometheusClient::Create(PrometheusOptions options) {
  std::string& base = options.base_url;
  if (!StartsWithNoCase(base, "http://") && !StartsWithNoCase(base, "https://")) {
    return Status::InvalidArgument("prometheus URL \"" + http::RedactUrl(base) +
                                   "\" must start with http:// or https://");
  }
  if (base.find_first_of("?#") != std::string::npos) {
    return Status::InvalidArgument("prometheus URL \"" + http::RedactUrl(base) +
                                   "\" must not have a query or fragment");
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto http = std::make_shared<const http::HttpClient>(options.http);
  return PrometheusClient(std::move(options), std::move(http));
}

http::Headers PrometheusClient::AuthHeaders() const {
  http::Headers headers{{"Accept", "application/json"}};
  if (options_.bearer_token) {
    headers.emplace_back("Authorization", "Bearer " + *options_.bearer_token);
  } else if (options_.basic_auth) {
    // Basic credentials go in the header (base64), never in the URL.
    static constexpr char kB64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::string in = options_.basic_auth->first + ":" + options_.basic_auth->second;
    std::string out;
    for (size_t i = 0; i < in.size(); i += 3) {
      uint32_t n = static_cast<uint8_t>(in[i]) << 16;
      if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
      if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
      out.push_back(kB64[(n >> 18) & 63]);
      out.push_back(kB64[(n >> 12) & 63]);
      out.push_back(i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=');
      out.push_back(i + 2 < in.size() ? kB64[n & 63] : '=');
    }
    headers.emplace_back("Authorization", "Basic " + out);
  }
  return headers;
}

Result<Json> PrometheusClient::Call(
    std::string_view method, std::string_view path,
    const std::vector<std::pair<std::string, std::string>>& form) const {
  http::HttpClientRequest request;
  request.method = std::string(method);
  request.url = options_.base_url + std::string(path);
  request.headers = AuthHeaders();
  if (method == "POST") {
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body = http::FormBody(form);
  }
  Result<http::HttpClientResponse> sent = http_->Send(request);
  if (!sent.ok()) return sent.status().WithContext("prometheus");
  const http::HttpClientResponse& response = *sent;
  if (response.status == 401 || response.status == 403) {
    return Status::FailedPrecondition(std::string(kPrefix) + "HTTP " +
                                      std::to_string(response.status) +
                                      ": the configured credentials were refused");
  }
  Result<Json> parsed = ParseJson(response.body);
  if (!parsed.ok() || !parsed->is_object()) {
    return Status::Unavailable(std::string(kPrefix) + "HTTP " + std::to_string(response.status) +
                               " from " + std::string(path) +
                               " is not a Prometheus API answer: " + Snippet(response.body));
  }
  Json& envelope = *parsed;
  const std::string status = envelope.value("status", "");
  if (status == "error") {
    return PrometheusErrorStatus(envelope.value("errorType", "unknown"),
                                 envelope.value("error", "(no message)"));
  }
  if (status != "success" || !envelope.contains("data")) {
    return Status::Unavailable(std::string(kPrefix) + "answer from " + std::string(path) +
                               " has neither status success with data nor an error (HTTP " +
                               std::to_string(response.status) + ")");
  }
  return std::move(envelope);
}

namespace {
Result<QueryData> ToQueryData(Json envelope) {
  QueryData out;
  Json& data = envelope["data"];
  if (!data.is_object() || !data.contains("resultType") || !data["resultType"].is_string() ||
      !data.contains("result")) {
    return Status::Unavailable(std::string(kPrefix) +
                               "query answer lacks data.resultType or "
                               "data.result");
  }
  out.result_type = data["resultType"].get<std::string>();
  out.result = std::move(data["result"]);
  if (auto it = envelope.find("warnings"); it != envelope.end() && it->is_array()) {
    for (const Json& w : *it) {
      if (w.is_string()) out.warnings.push_back(w.get<std::string>());
    }
  }
  return out;
}
}  // namespace

Result<QueryData> PrometheusClient::Query(std::string_view promql,
                                          std::optional<TimePoint> time) const {
  std::vector<std::pair<std::string, std::string>> form{{"query", std::string(promql)}};
  if (time) form.emplace_back("time", PrometheusTime(*time));
  if (options_.query_timeout) form.emplace_back("timeout", DurationParam(*options_.query_timeout));
  DAI_ASSIGN_OR_RETURN(Json envelope, Call("POST", "/api/v1/query", form));
  return ToQueryData(std::move(envelope));
}

Result<QueryData> PrometheusClient::QueryRange(std::string_view promql, TimePoint start,
                                               TimePoint end, milliseconds step) const {
  if (end < start) return Status::InvalidArgument("query range: end is before start");
  if (step.count() <= 0) return Status::InvalidArgument("query range: step must be positive");
  std::vector<std::pair<std::string, std::string>> form{{"query", std::string(promql)},
                                                        {"start", PrometheusTime(start)},
                                                        {"end", PrometheusTime(end)},
                                                        {"step", SecondsParam(step)}};
  if (options_.query_timeout) form.emplace_back("timeout", DurationParam(*options_.query_timeout));
  DAI_ASSIGN_OR_RETURN(Json envelope, Call("POST", "/api/v1/query_range", form));
  return ToQueryData(std::move(envelope));
}

Result<Json> PrometheusClient::Targets() const {
  DAI_ASSIGN_OR_RETURN(Json envelope, Call("GET", "/api/v1/targets", {}));
  return std::move(envelope["data"]);
}

Result<Json> PrometheusClient::Alerts() const {
  DAI_ASSIGN_OR_RETURN(Json envelope, Call("GET", "/api/v1/alerts", {}));
  return std::move(envelope["data"]);
}

Status PrometheusClient::Ready() const {
  http::HttpClientRequest request{.method = "GET",
                                  .url = options_.base_url + "/-/ready",
                                  .headers = AuthHeaders(),
                                  .body = {},
                                  .timeout = std::nullopt};
  Result<http::HttpClientResponse> sent = http_->Send(request);
  if (!sent.ok()) return sent.status().WithContext("prometheus");
  if (sent->status != 200) {
    return Status::Unavailable(std::string(kPrefix) + "not ready (HTTP " +
                               std::to_string(sent->status) + "): " + Snippet(sent->body));
  }
  return Status::Ok();
}

Result<std::vector<MetricSeries>> PrometheusMetricsSource::Instant(std::string_view promql,
                                                                   TimePoint at) {
  DAI_ASSIGN_OR_RETURN(QueryData data, client_.Query(promql, at));
  return ParseSeries(data);
}

Result<std::vector<MetricSeries>> PrometheusMetricsSource::Range(std::string_view promql,
                                                                 TimePoint start, TimePoint end,
                                                                 milliseconds step) {
  DAI_ASSIGN_OR_RETURN(QueryData data, client_.QueryRange(promql, start, end, step));
  return ParseSeries(data);
}

Status PrometheusMetricsSource::Check() { return client_.Ready(); }

}  // namespace dai::prometheus
