#include "server/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>

namespace dai::server {

namespace {
// Request latency buckets in seconds: 1 ms .. 10 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}
}  // namespace

struct Metrics::Families {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("devops_ai_http_requests_total")
          .Help("HTTP requests answered, by procedure (tRPC path or route) and status code")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& duration =
      prometheus::BuildHistogram()
          .Name("devops_ai_http_request_duration_seconds")
          .Help("Time from the first byte of a request to its response being queued")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& queue_depth = prometheus::BuildGauge()
                                                           .Name("devops_ai_jobs_queue_depth")
                                                           .Help("Durable jobs by state")
                                                           .Register(registry);
  prometheus::Family<prometheus::Counter>& jobs =
      prometheus::BuildCounter()
          .Name("devops_ai_jobs_total")
          .Help("Finished job attempts by kind and outcome")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& store_errors =
      prometheus::BuildCounter()
          .Name("devops_ai_store_errors_total")
          .Help("Store operations that failed, by operation")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& build_info =
      prometheus::BuildGauge()
          .Name("devops_ai_build_info")
          .Help("Always 1; the version label names the running build")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& sse_clients = prometheus::BuildGauge()
                                                           .Name("devops_ai_sse_clients")
                                                           .Help("Open Server-Sent Events streams")
                                                           .Register(registry);
  prometheus::Gauge& sse_gauge = sse_clients.Add({});

  // Cardinality guard: label values seen per (family, label).
  std::mutex mu;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> seen;

  // Request series resolved once per (procedure, status): Family::Add hashes a label map on
  // every call, which cost more than the rest of a small tRPC query's bookkeeping. Metric
  // objects live as long as the registry (nothing is removed), so the pointers stay valid.
  struct RequestSeries {
    prometheus::Counter* requests;
    prometheus::Histogram* duration;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  std::shared_mutex series_mu;
  std::unordered_map<std::string, RequestSeries, KeyHash, std::equal_to<>> series;

  std::string Bounded(std::string_view label, std::string_view value) {
    std::lock_guard lock(mu);
    auto& values = seen[std::string(label)];
    if (values.count(value)) return std::string(value);
    if (values.size() >= kMaxLabelValues) return "other";
    values.emplace(value);
    return std::string(value);
  }
};

Metrics::Metrics(std::string version) : families_(std::make_unique<Families>()) {
  families_->build_info.Add({{"version", std::move(version)}}).Set(1);
}

Metrics::~Metrics() = default;

void Metrics::ObserveRequest(std::string_view procedure, int status, double seconds) {
  Families& f = *families_;
  char key_buf[320];
  std::string_view key;
  std::string long_key;
  const std::string status_text = std::to_string(status);
  if (procedure.size() + status_text.size() + 1 <= sizeof(key_buf)) {
    std::memcpy(key_buf, status_text.data(), status_text.size());
    key_buf[status_text.size()] = ' ';
    std::memcpy(key_buf + status_text.size() + 1, procedure.data(), procedure.size());
    key = std::string_view(key_buf, status_text.size() + 1 + procedure.size());
  } else {
    long_key = status_text + ' ' + std::string(procedure);
    key = long_key;
  }
  {
    std::shared_lock lock(f.series_mu);
    auto it = f.series.find(key);
    if (it != f.series.end()) {
      it->second.requests->Increment();
      it->second.duration->Observe(seconds);
      return;
    }
  }
  std::string label = f.Bounded("procedure", procedure);
  Families::RequestSeries s{&f.requests.Add({{"procedure", label}, {"status", status_text}}),
                  &f.duration.Add({{"procedure", label}}, LatencyBuckets())};
  {
    // Only bounded label values get a cache entry of their own; "other" stays uncached so the
    // map cannot grow without limit.
    std::unique_lock lock(f.series_mu);
    if (label == procedure && f.series.size() < 4 * kMaxLabelValues) f.series.emplace(key, s);
  }
  s.requests->Increment();
  s.duration->Observe(seconds);
}

void Metrics::SetJobsQueueDepth(std::string_view state, double depth) {
  families_->queue_depth.Add({{"state", families_->Bounded("state", state)}}).Set(depth);
}

void Metrics::IncJobs(std::string_view kind, std::string_view outcome) {
  families_->jobs
      .Add({{"kind", families_->Bounded("kind", kind)},
            {"outcome", families_->Bounded("outcome", outcome)}})
      .Increment();
}

void Metrics::IncStoreErrors(std::string_view op) {
  families_->store_errors.Add({{"op", families_->Bounded("op", op)}}).Increment();
}

void Metrics::SetSseClients(double clients) { families_->sse_gauge.Set(clients); }

std::string Metrics::Render() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(families_->registry.Collect());
}

}  // namespace dai::server
