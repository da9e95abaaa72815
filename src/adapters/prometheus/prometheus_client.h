// PrometheusClient: the Prometheus HTTP API (v1) over the outbound HttpClient: instant and
// range queries (PromQL sent as URL-encoded form fields in a POST body, never spliced into a
// URL), targets, alerts and readiness. Also serves Thanos, Mimir and VictoriaMetrics, which
// speak the same API. PrometheusMetricsSource adapts it to the MetricsSource port.
// Thread-safety: immutable after Create(); all methods may be called concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/http_client.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/status.h"
#include "ports/metrics_source.h"

namespace dai::prometheus {

struct PrometheusOptions {
  //! "http://127.0.0.1:9090" or with a path prefix ("https://host/prometheus").
  std::string base_url;
  //! Sent as "Authorization: Bearer ..."; never logged.
  std::optional<std::string> bearer_token;
  //! Basic auth (user, password); ignored when bearer_token is set.
  std::optional<std::pair<std::string, std::string>> basic_auth;
  //! HTTP settings (timeouts, size limit, TLS CA, outbound policy). Set
  //! http.policy = OutboundPolicy::AllowLocal() for a Prometheus on loopback or a private
  //! network (the usual case; the CLI does so for --prometheus-url).
  http::HttpClientOptions http;
  //! Sent as the API's own `timeout` parameter so Prometheus stops evaluating too.
  std::optional<std::chrono::milliseconds> query_timeout;
};

//! The `data` object of a query answer.
struct QueryData {
  std::string result_type;  //!< "matrix", "vector", "scalar" or "string"
  Json result;              //!< as Prometheus sent it
  std::vector<std::string> warnings;
};

class PrometheusClient {
 public:
  //! INVALID_ARGUMENT when base_url is not an http(s) URL.
  static Result<PrometheusClient> Create(PrometheusOptions options);

  //! POST /api/v1/query. Returns the parsed `data` object.
  //! Prometheus errors: bad_data → INVALID_ARGUMENT, timeout → DEADLINE_EXCEEDED,
  //! canceled/unavailable/execution/internal → UNAVAILABLE/INTERNAL, with Prometheus's message.
  Result<QueryData> Query(std::string_view promql,
                          std::optional<TimePoint> time = std::nullopt) const;
  //! POST /api/v1/query_range; INVALID_ARGUMENT for end < start or step <= 0 (not sent).
  Result<QueryData> QueryRange(std::string_view promql, TimePoint start, TimePoint end,
                               std::chrono::milliseconds step) const;
  //! GET /api/v1/targets: the `data` object ({"activeTargets": [...], "droppedTargets"}).
  Result<Json> Targets() const;
  //! GET /api/v1/alerts: the `data` object ({"alerts": [...]}).
  Result<Json> Alerts() const;
  //! GET /-/ready: OK on 200, UNAVAILABLE naming the status otherwise.
  Status Ready() const;

  const PrometheusOptions& options() const { return options_; }

 private:
  PrometheusClient(PrometheusOptions options, std::shared_ptr<const http::HttpClient> http);
  Result<Json> Call(std::string_view method, std::string_view path,
                    const std::vector<std::pair<std::string, std::string>>& form) const;
  http::Headers AuthHeaders() const;

  PrometheusOptions options_;
  std::shared_ptr<const http::HttpClient> http_;
};

//! Converts a query result (matrix, vector or scalar) into series. Pure.
//! INVALID_ARGUMENT naming the offending field when the shape is not Prometheus's.
Result<std::vector<MetricSeries>> ParseSeries(const QueryData& data);

//! Maps a Prometheus error answer's errorType and message to a Status. Pure.
Status PrometheusErrorStatus(std::string_view error_type, std::string_view message);

//! Formats a time as Prometheus expects: Unix seconds with milliseconds ("1700000000.123").
std::string PrometheusTime(TimePoint time);

class PrometheusMetricsSource final : public MetricsSource {
 public:
  explicit PrometheusMetricsSource(PrometheusClient client) : client_(std::move(client)) {}
  Result<std::vector<MetricSeries>> Instant(std::string_view promql, TimePoint at) override;
  Result<std::vector<MetricSeries>> Range(std::string_view promql, TimePoint start, TimePoint end,
                                          std::chrono::milliseconds step) override;
  Status Check() override;

 private:
  PrometheusClient client_;
};

}  // namespace dai::prometheus
