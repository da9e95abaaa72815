// Metrics: the Prometheus series devops-ai exposes about itself at /metrics, rendered in the
// text exposition format (prometheus-cpp core inside; its pull exposer is not used, the
// HttpServer serves the text).
//
// Series: devops_ai_http_requests_total{procedure,status},
// devops_ai_http_request_duration_seconds{procedure} (histogram),
// devops_ai_jobs_queue_depth{state}, devops_ai_jobs_total{kind,outcome},
// devops_ai_store_errors_total{op}, devops_ai_build_info{version} (always 1),
// devops_ai_sse_clients.
// Label values are caller-chosen; to bound cardinality at most kMaxLabelValues distinct
// values per label are kept, later ones are recorded as "other".
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace dai::server {

class Metrics {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";
  static constexpr std::size_t kMaxLabelValues = 500;

  explicit Metrics(std::string version);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  //! One HTTP request answered: procedure is a tRPC path or a route label, never a raw URL.
  void ObserveRequest(std::string_view procedure, int status, double seconds);
  void SetJobsQueueDepth(std::string_view state, double depth);
  void IncJobs(std::string_view kind, std::string_view outcome);
  void IncStoreErrors(std::string_view op);
  void SetSseClients(double clients);

  //! The text exposition format of every series.
  std::string Render() const;

 private:
  struct Families;  // in metrics.cc (prometheus-cpp types)
  std::unique_ptr<Families> families_;
};

}  // namespace dai::server
