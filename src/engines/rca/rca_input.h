// RcaInput: everything the root-cause ranker reads about one incident — the service graph
// (caller → callee), metric series per service on a regular time grid, alerts, change events
// (deploy, config, scale) and the incident's start time. Also the decoder of the scenario JSON
// format of shared/data/rca (the same shape the incident module builds from Prometheus).
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"

namespace dai::rca {

struct Service {
  std::string name;
  std::string kind;  //!< web | api | worker | db | cache | queue | "" (unknown)
};

//! `from` calls `to`: a fault in `to` propagates to `from`.
struct Call {
  std::string from;
  std::string to;
};

//! One metric of one service; values[i] is at start + i * step_seconds (NaN = missing point).
struct Series {
  std::string service;
  std::string metric;  //!< latency_p99_ms, error_rate, request_rate, cpu_usage, memory_bytes, ...
  int64_t start = 0;   //!< unix seconds
  int64_t step_seconds = 15;
  std::vector<double> values;

  int64_t TimeAt(size_t index) const { return start + static_cast<int64_t>(index) * step_seconds; }
};

struct Alert {
  std::string service;
  std::string name;
  std::string severity;  //!< critical | warning | ...
  int64_t starts_at = 0;
};

struct ChangeEvent {
  std::string service;
  std::string kind;  //!< deploy | config | scale | ...
  int64_t at = 0;
};

struct RcaInput {
  std::string id;
  int64_t incident_start = 0;  //!< unix seconds
  std::vector<Service> services;
  std::vector<Call> calls;
  std::vector<Series> series;
  std::vector<Alert> alerts;
  std::vector<ChangeEvent> changes;
};

//! Limits that keep a hostile scenario from exhausting memory.
struct DecodeLimits {
  size_t max_services = 10'000;
  size_t max_series = 200'000;
  size_t max_points_total = 50'000'000;
  size_t max_events = 1'000'000;
};

//! Decodes the scenario format ({"services", "calls", "metrics", "alerts", "changes",
//! "step_seconds", "start", "incident_start"}). Services named only in calls, metrics, alerts
//! or changes are added with an unknown kind; alerts without a service label are dropped.
//! INVALID_ARGUMENT naming the field when a required field is missing or has the wrong type.
Result<RcaInput> DecodeRcaScenario(const nlohmann::json& doc, const DecodeLimits& limits = {});
//! Same from JSON text; PARSE_ERROR when it is not JSON.
Result<RcaInput> DecodeRcaScenarioText(std::string_view text, const DecodeLimits& limits = {});

}  // namespace dai::rca
