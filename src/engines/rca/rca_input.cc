#include "engines/rca/rca_input.h"

#include <cmath>
#include <limits>
#include <set>

#include "core/json.h"

namespace dai::rca {
namespace {

Status Invalid(const std::string& field, const std::string& what) {
  return Status::InvalidArgument(field + ": " + what);
}

//! Reads an integer number of seconds (integers or finite floats) from `v`.
Result<int64_t> ReadSeconds(const Json& v, const std::string& field) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 1e15) return Invalid(field, "out of range");
    return static_cast<int64_t>(std::llround(d));
  }
  return Invalid(field, "expected a number");
}

Result<std::string> ReadName(const Json& obj, const char* key, const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return Invalid(field + "." + key, "expected a string");
  std::string s = it->get<std::string>();
  if (s.empty()) return Invalid(field + "." + key, "empty");
  if (s.size() > 512) return Invalid(field + "." + key, "longer than 512 bytes");
  return s;
}

std::string OptionalString(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

Result<RcaInput> Decode(const Json& doc, const DecodeLimits& limits) {
  if (!doc.is_object()) return Invalid("scenario", "expected an object");
  RcaInput in;
  in.id = OptionalString(doc, "id");

  auto step_it = doc.find("step_seconds");
  if (step_it == doc.end()) return Invalid("step_seconds", "missing");
  DAI_ASSIGN_OR_RETURN(int64_t step, ReadSeconds(*step_it, "step_seconds"));
  if (step <= 0 || step > 86'400) return Invalid("step_seconds", "must be in 1..86400");
  auto start_it = doc.find("start");
  if (start_it == doc.end()) return Invalid("start", "missing");
  DAI_ASSIGN_OR_RETURN(int64_t start, ReadSeconds(*start_it, "start"));
  auto inc_it = doc.find("incident_start");
  if (inc_it == doc.end()) return Invalid("incident_start", "missing");
  DAI_ASSIGN_OR_RETURN(in.incident_start, ReadSeconds(*inc_it, "incident_start"));

  std::set<std::string> known;
  auto add_service = [&](const std::string& name, std::string kind) -> Status {
    if (known.insert(name).second) {
      if (in.services.size() >= limits.max_services) {
        return Status::PayloadTooLarge("services: more than " +
                                       std::to_string(limits.max_services));
      }
      in.services.push_back({name, std::move(kind)});
    }
    return Status::Ok();
  };

  auto services = doc.find("services");
  if (services == doc.end() || !services->is_array())
    return Invalid("services", "expected an array");
  for (size_t i = 0; i < services->size(); ++i) {
    const Json& s = (*services)[i];
    std::string field = "services[" + std::to_string(i) + "]";
    if (!s.is_object()) return Invalid(field, "expected an object");
    DAI_ASSIGN_OR_RETURN(std::string name, ReadName(s, "name", field));
    DAI_RETURN_IF_ERROR(add_service(name, OptionalString(s, "kind")));
  }

  auto calls = doc.find("calls");
  if (calls != doc.end()) {
    if (!calls->is_array()) return Invalid("calls", "expected an array");
    if (calls->size() > limits.max_events) return Status::PayloadTooLarge("calls: too many");
    for (size_t i = 0; i < calls->size(); ++i) {
      const Json& c = (*calls)[i];
      std::string field = "calls[" + std::to_string(i) + "]";
      if (!c.is_object()) return Invalid(field, "expected an object");
      DAI_ASSIGN_OR_RETURN(std::string from, ReadName(c, "from", field));
      DAI_ASSIGN_OR_RETURN(std::string to, ReadName(c, "to", field));
      DAI_RETURN_IF_ERROR(add_service(from, ""));
      DAI_RETURN_IF_ERROR(add_service(to, ""));
      in.calls.push_back({std::move(from), std::move(to)});
    }
  }

  auto metrics = doc.find("metrics");
  if (metrics == doc.end() || !metrics->is_array()) return Invalid("metrics", "expected an array");
  if (metrics->size() > limits.max_series)
    return Status::PayloadTooLarge("metrics: too many series");
  size_t points = 0;
  for (size_t i = 0; i < metrics->size(); ++i) {
    const Json& m = (*metrics)[i];
    std::string field = "metrics[" + std::to_string(i) + "]";
    if (!m.is_object()) return Invalid(field, "expected an object");
    Series s;
    DAI_ASSIGN_OR_RETURN(s.service, ReadName(m, "service", field));
    DAI_ASSIGN_OR_RETURN(s.metric, ReadName(m, "name", field));
    auto values = m.find("values");
    if (values == m.end() || !values->is_array())
      return Invalid(field + ".values", "expected an array");
    points += values->size();
    if (points > limits.max_points_total)
      return Status::PayloadTooLarge("metrics: too many points");
    s.start = start;
    s.step_seconds = step;
    s.values.reserve(values->size());
    for (const Json& v : *values) {
      if (v.is_number()) {
        double d = v.get<double>();
        s.values.push_back(std::isfinite(d) ? d : std::numeric_limits<double>::quiet_NaN());
      } else if (v.is_null()) {
        s.values.push_back(std::numeric_limits<double>::quiet_NaN());
      } else {
        return Invalid(field + ".values", "expected numbers or null");
      }
    }
    DAI_RETURN_IF_ERROR(add_service(s.service, ""));
    in.series.push_back(std::move(s));
  }

  auto alerts = doc.find("alerts");
  if (alerts != doc.end()) {
    if (!alerts->is_array()) return Invalid("alerts", "expected an array");
    if (alerts->size() > limits.max_events) return Status::PayloadTooLarge("alerts: too many");
    for (size_t i = 0; i < alerts->size(); ++i) {
      const Json& a = (*alerts)[i];
      std::string field = "alerts[" + std::to_string(i) + "]";
      if (!a.is_object()) return Invalid(field, "expected an object");
      auto labels = a.find("labels");
      if (labels == a.end() || !labels->is_object())
        return Invalid(field + ".labels", "expected an object");
      Alert alert;
      alert.service = OptionalString(*labels, "service");
      if (alert.service.empty() || alert.service.size() > 512) continue;  // not attributable
      alert.name = OptionalString(*labels, "alertname");
      alert.severity = OptionalString(*labels, "severity");
      auto at = a.find("startsAt");
      if (at == a.end()) return Invalid(field + ".startsAt", "missing");
      DAI_ASSIGN_OR_RETURN(alert.starts_at, ReadSeconds(*at, field + ".startsAt"));
      DAI_RETURN_IF_ERROR(add_service(alert.service, ""));
      in.alerts.push_back(std::move(alert));
    }
  }

  auto changes = doc.find("changes");
  if (changes != doc.end()) {
    if (!changes->is_array()) return Invalid("changes", "expected an array");
    if (changes->size() > limits.max_events) return Status::PayloadTooLarge("changes: too many");
    for (size_t i = 0; i < changes->size(); ++i) {
      const Json& c = (*changes)[i];
      std::string field = "changes[" + std::to_string(i) + "]";
      if (!c.is_object()) return Invalid(field, "expected an object");
      ChangeEvent ev;
      DAI_ASSIGN_OR_RETURN(ev.service, ReadName(c, "service", field));
      ev.kind = OptionalString(c, "kind");
      auto at = c.find("at");
      if (at == c.end()) return Invalid(field + ".at", "missing");
      DAI_ASSIGN_OR_RETURN(ev.at, ReadSeconds(*at, field + ".at"));
      DAI_RETURN_IF_ERROR(add_service(ev.service, ""));
      in.changes.push_back(std::move(ev));
    }
  }
  return in;
}

}  // namespace

Result<RcaInput> DecodeRcaScenario(const Json& doc, const DecodeLimits& limits) {
  try {
    return Decode(doc, limits);
  } catch (const std::exception& e) {  // nlohmann type errors: keep them inside the engine
    return Status::InvalidArgument(std::string("scenario: ") + e.what());
  }
}

Result<RcaInput> DecodeRcaScenarioText(std::string_view text, const DecodeLimits& limits) {
  DAI_ASSIGN_OR_RETURN(Json doc, ParseJson(text));
  return DecodeRcaScenario(doc, limits);
}

}  // namespace dai::rca
