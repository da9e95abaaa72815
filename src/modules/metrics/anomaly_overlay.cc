#include "modules/metrics/anomaly_overlay.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "adapters/prometheus/prometheus_client.h"
#include "engines/anomaly/anomaly_detector.h"
#include "registry/schema.h"

namespace dai::metrics {
namespace {

constexpr double kMaxPoints = 11000;  // Prometheus's own limit per series and query

double Round3(double v) { return std::round(v * 1000) / 1000; }

}  // namespace

int WarmupPoints() { return anomaly::DetectorConfig{}.warmup_points; }

Json ScoreOverlay(const std::vector<MetricSeries>& series, TimePoint from,
                  const OverlayOptions& options) {
  Json out_series = Json::array();
  const size_t n = std::min(series.size(), options.max_series);
  for (size_t series_idx = 0; series_idx < n; ++series_idx) {
    const MetricSeries& s = series[series_idx];
    anomaly::AnomalyDetector detector;
    Json times = Json::array(), values = Json::array(), scores = Json::array();
    Json anomalies = Json::array();
    double max_score = 0;
    std::vector<const MetricPoint*> ordered;
    ordered.reserve(s.points.size());
    for (const auto& p : s.points) ordered.push_back(&p);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const MetricPoint* a, const MetricPoint* b) { return a->time < b->time; });
    for (const MetricPoint* p : ordered) {
      const int64_t t = ToUnixMillis(p->time) / 1000;
      const double score = detector.Update(t, p->value);
      if (p->time < from) continue;
      const bool finite = std::isfinite(p->value);
      times.push_back(t);
      values.push_back(finite ? Json(p->value) : Json(nullptr));
      scores.push_back(Round3(score));
      max_score = std::max(max_score, score);
      if (finite && score >= options.threshold) {
        anomalies.push_back(Json{{"t", t}, {"value", p->value}, {"score", Round3(score)}});
      }
    }
    Json metric = Json::object();
    for (const auto& [k, v] : s.labels) metric[k] = v;
    out_series.push_back(Json{{"metric", metric},
                              {"times", times},
                              {"values", values},
                              {"scores", scores},
                              {"maxScore", Round3(max_score)},
                              {"anomalies", anomalies}});
  }
  return Json{
      {"threshold", options.threshold}, {"truncated", series.size() > n}, {"series", out_series}};
}

void RegisterAnomalyOverlay(ProcedureRegistry& registry,
                            const prometheus::PrometheusClient* prometheus) {
  namespace s = schema;
  auto input = s::Object({s::Req("query", s::String(1, 10000)), s::Req("start", s::DateTime()),
                          s::Req("end", s::DateTime()),
                          s::Req("step", s::Number(), "seconds between points"),
                          s::Opt("threshold", s::Number(),
                                 "score at or above which a point is an anomaly; default 0.5")});
  auto series = s::Object(
      {s::Req("metric", s::StringMap()), s::Req("times", s::Array(s::Int(), 11001)),
       s::Req("values", s::Array(s::Nullable(s::Number()), 11001)),
       s::Req("scores", s::Array(s::Number(), 11001)), s::Req("maxScore", s::Number()),
       s::Req("anomalies", s::Array(s::Object({s::Req("t", s::Int()), s::Req("value", s::Number()),
                                               s::Req("score", s::Number())}),
                                    11001))});
  auto output =
      s::Object({s::Req("threshold", s::Number()), s::Req("truncated", s::Bool()),
                 s::Req("warmupFrom", s::DateTime(), "history scored before start"),
                 s::Req("series", s::Array(series)), s::Req("warnings", s::Array(s::String()))});
  Procedure p = MakeProcedure(
      "metrics.anomalies", ProcedureKind::kQuery, Role::kViewer, input, output,
      "Range PromQL query with per-point anomaly scores from the anomaly engine (run causally, "
      "warmed up on history before start)",
      [prometheus](const Json& in, CallContext&) -> Result<Json> {
        if (prometheus == nullptr) {
          return Status::FailedPrecondition(
              "Prometheus is not configured: start the server with --prometheus-url (or "
              "DEVOPS_AI_PROMETHEUS_URL)");
        }
        DAI_ASSIGN_OR_RETURN(TimePoint start, ParseIso8601(in["start"].get<std::string>()));
        DAI_ASSIGN_OR_RETURN(TimePoint end, ParseIso8601(in["end"].get<std::string>()));
        const double step = in["step"].get<double>();
        if (!(step > 0)) return Status::InvalidArgument("input.step: must be > 0");
        if (end < start)
          return Status::InvalidArgument("input.end: must not be before input.start");
        OverlayOptions options;
        options.threshold = in.value("threshold", 0.5);
        if (!(options.threshold > 0 && options.threshold <= 1))
          return Status::InvalidArgument("input.threshold: must be in (0, 1]");
        const double shown = std::chrono::duration<double>(end - start).count() / step;
        if (shown > kMaxPoints) {
          return Status::InvalidArgument("input.step: too small for the range (" +
                                         std::to_string(static_cast<long long>(shown)) +
                                         " points; at most 11000)");
        }
        // Warm-up history before start, within Prometheus's per-query point limit.
        const double warmup = std::min<double>(WarmupPoints(), kMaxPoints - shown);
        const auto step_ms = std::chrono::milliseconds(static_cast<int64_t>(step * 1000));
        const TimePoint fetch_from =
            start - std::chrono::milliseconds(static_cast<int64_t>(warmup * step * 1000));
        DAI_ASSIGN_OR_RETURN(auto data, prometheus->QueryRange(in["query"].get<std::string>(),
                                                               fetch_from, end, step_ms));
        if (data.result_type != "matrix") {
          return Status::InvalidArgument("input.query: result type " + data.result_type +
                                         " has no series to score");
        }
        DAI_ASSIGN_OR_RETURN(auto parsed, prometheus::ParseSeries(data));
        Json out = ScoreOverlay(parsed, start, options);
        out["warmupFrom"] = FormatIso8601(fetch_from);
        out["warnings"] = data.warnings;
        return out;
      });
  p.may_block = true;  // a call to Prometheus
  registry.Add(std::move(p));
}

}  // namespace dai::metrics
