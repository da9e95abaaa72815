#include "server/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

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
  std::string label = families_->Bounded("procedure", procedure);
  families_->requests.Add({{"procedure", label}, {"status", std::to_string(status)}}).Increment();
  families_->duration.Add({{"procedure", label}}, LatencyBuckets()).Observe(seconds);
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
