// Alert: one signal as the Incident Commander ingests it, whatever its source (Alertmanager
// webhook, the generic webhook, our own anomaly detection, log anomalies), and the pure
// decoders that turn webhook bodies into alerts with bounded, validated content.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace dai::alerts {

enum class AlertStatus { kFiring, kResolved };

struct Alert {
  AlertStatus status = AlertStatus::kFiring;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  TimePoint starts_at;
  std::optional<TimePoint> ends_at;  //!< nullopt: still open
  std::string generator_url;
  std::string fingerprint;           //!< stable identity of the alert (see LabelFingerprint)
  std::string source;                //!< "alertmanager" | "webhook" | "anomaly" | "logs"
  std::vector<std::string> notes;    //!< normalisations applied (clock skew, truncation)
};

//! Limits that keep one payload's cost bounded; beyond them the payload is refused (400).
struct DecodeLimits {
  size_t max_alerts = 1000;
  size_t max_labels = 64;
  size_t max_label_name = 128;
  size_t max_label_value = 2048;
  size_t max_annotation_value = 16384;
  //! Timestamps further than this into the future are clamped to `now` (with a note).
  Millis max_future_skew{5 * 60 * 1000};
  //! Timestamps older than this are clamped to now - max_age (with a note).
  Millis max_age{30LL * 24 * 3600 * 1000};
};

struct AlertBatch {
  std::vector<Alert> alerts;
  std::string group_key;
  std::string receiver;
  std::string external_url;
  int truncated_alerts = 0;
};

//! Decodes Alertmanager's webhook body (version "4"). Alert labels are merged over
//! commonLabels; a missing per-alert status takes the payload's; endsAt "0001-01-01..." means
//! open; a missing fingerprint is computed from the labels. INVALID_ARGUMENT naming the field
//! (e.g. "alerts[3].labels.severity: expected string") or PARSE_ERROR for malformed JSON.
Result<AlertBatch> DecodeAlertmanagerWebhook(std::string_view body, TimePoint now,
                                             const DecodeLimits& limits = {});

//! Decodes the generic webhook: one object or an array of objects with title (required),
//! severity (critical|high|medium|low|warning|info), status (firing|resolved, default firing),
//! labels, annotations, fingerprint or dedupKey, startsAt, endsAt, source, generatorURL.
//! The title becomes the "alertname" label unless one is given; severity the "severity" label.
Result<AlertBatch> DecodeGenericWebhook(std::string_view body, TimePoint now,
                                        const DecodeLimits& limits = {});

//! Alertmanager's label fingerprint: FNV-1a 64 over the sorted label names and values, each
//! followed by 0xff, as 16 lower-case hex digits.
std::string LabelFingerprint(const std::map<std::string, std::string>& labels);

//! Normalised severity from a severity label value: critical|high|medium|low.
std::string NormalizeSeverity(std::string_view value);

}  // namespace dai::alerts
