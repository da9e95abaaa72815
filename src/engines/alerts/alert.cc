#include "engines/alerts/alert.h"

#include <algorithm>
#include <cctype>

#include "core/json.h"

namespace dai::alerts {
namespace {

Status Bad(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + ": " + what);
}

Status ReadStringMap(const Json& obj, const std::string& path, size_t max_entries,
                     size_t max_key, size_t max_value, std::map<std::string, std::string>& out) {
  if (obj.is_null()) return Status::Ok();
  if (!obj.is_object()) return Bad(path, "expected an object of strings");
  if (obj.size() > max_entries) {
    return Bad(path, "has " + std::to_string(obj.size()) + " entries; at most " +
                         std::to_string(max_entries) + " are accepted");
  }
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string key_path = path + "." + it.key().substr(0, 64);
    if (it.key().empty() || it.key().size() > max_key) {
      return Bad(key_path, "name must be 1.." + std::to_string(max_key) + " bytes");
    }
    if (!it.value().is_string()) return Bad(key_path, "expected string");
    const auto& v = it.value().get_ref<const std::string&>();
    if (v.size() > max_value) {
      return Bad(key_path, "value longer than " + std::to_string(max_value) + " bytes");
    }
    out[it.key()] = v;
  }
  return Status::Ok();
}

// Parses a timestamp field; clamps skewed values and notes it. `open_marker` accepts Go's zero
// time (and any year-1 timestamp) as "absent".
Result<std::optional<TimePoint>> ReadTime(const Json& obj, const char* field,
                                          const std::string& path, TimePoint now,
                                          const DecodeLimits& limits,
                                          std::vector<std::string>& notes) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<TimePoint>();
  if (!it->is_string()) return Bad(path + "." + field, "expected an RFC 3339 string");
  const auto& text = it->get_ref<const std::string&>();
  if (text.empty() || text.rfind("0001-01-01", 0) == 0) return std::optional<TimePoint>();
  auto t = ParseIso8601(text);
  if (!t.ok()) return Bad(path + "." + field, t.status().message());
  TimePoint v = *t;
  if (v > now + limits.max_future_skew) {
    notes.push_back(std::string(field) + " was in the future (" + text + "); clamped to receipt time");
    v = now;
  } else if (v < now - limits.max_age) {
    notes.push_back(std::string(field) + " was older than the accepted age (" + text + "); clamped");
    v = now - limits.max_age;
  }
  return std::optional<TimePoint>(v);
}

Result<AlertStatus> ReadStatus(const Json& obj, const std::string& path, AlertStatus fallback) {
  auto it = obj.find("status");
  if (it == obj.end() || it->is_null()) return fallback;
  if (*it == "firing") return AlertStatus::kFiring;
  if (*it == "resolved") return AlertStatus::kResolved;
  return Bad(path + ".status", "must be \"firing\" or \"resolved\"");
}

std::string OptString(const Json& obj, const char* field, size_t max) {
  auto it = obj.find(field);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>().substr(0, max);
}

}  // namespace

std::string LabelFingerprint(const std::map<std::string, std::string>& labels) {
  uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  for (const auto& [k, v] : labels) {  // std::map iterates in sorted order
    mix(k);
    mix("\xff");
    mix(v);
    mix("\xff");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kHex[h & 15];
    h >>= 4;
  }
  return out;
}

std::string NormalizeSeverity(std::string_view value) {
  std::string v(value);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "critical" || v == "crit" || v == "fatal" || v == "emergency" || v == "page" ||
      v == "disaster" || v == "p1") {
    return "critical";
  }
  if (v == "high" || v == "error" || v == "major" || v == "p2") return "high";
  if (v == "low" || v == "info" || v == "informational" || v == "minor" || v == "none" ||
      v == "p4" || v == "p5") {
    return "low";
  }
  return "medium";  // warning, medium, moderate, p3, and anything unrecognised
}

Result<AlertBatch> DecodeAlertmanagerWebhook(std::string_view body, TimePoint now,
                                             const DecodeLimits& limits) {
  DAI_ASSIGN_OR_RETURN(Json root, ParseJson(body));
  if (!root.is_object()) return Bad("body", "expected an Alertmanager webhook object");
  if (auto v = root.find("version"); v != root.end() && *v != "4") {
    return Bad("version", "only Alertmanager webhook version \"4\" is supported");
  }
  AlertBatch batch;
  batch.group_key = OptString(root, "groupKey", 4096);
  batch.receiver = OptString(root, "receiver", 256);
  batch.external_url = OptString(root, "externalURL", 2048);
  if (auto t = root.find("truncatedAlerts"); t != root.end() && t->is_number_integer()) {
    batch.truncated_alerts = t->get<int>();
  }
  DAI_ASSIGN_OR_RETURN(AlertStatus group_status, ReadStatus(root, "body", AlertStatus::kFiring));
  std::map<std::string, std::string> common_labels;
  if (auto c = root.find("commonLabels"); c != root.end()) {
    DAI_RETURN_IF_ERROR(ReadStringMap(*c, "commonLabels", limits.max_labels, limits.max_label_name,
                                      limits.max_label_value, common_labels));
  }
  auto alerts = root.find("alerts");
  if (alerts == root.end() || !alerts->is_array()) return Bad("alerts", "expected an array");
  if (alerts->size() > limits.max_alerts) {
    return Bad("alerts", "has " + std::to_string(alerts->size()) + " alerts; at most " +
                             std::to_string(limits.max_alerts) + " per payload are accepted");
  }
  for (size_t idx = 0; idx < alerts->size(); ++idx) {
    const Json& a = (*alerts)[idx];
    const std::string path = "alerts[" + std::to_string(idx) + "]";
    if (!a.is_object()) return Bad(path, "expected an object");
    Alert alert;
    alert.source = "alertmanager";
    alert.labels = common_labels;
    if (auto l = a.find("labels"); l != a.end()) {
      DAI_RETURN_IF_ERROR(ReadStringMap(*l, path + ".labels", limits.max_labels,
                                        limits.max_label_name, limits.max_label_value, alert.labels));
    }
    if (alert.labels.size() > limits.max_labels) return Bad(path + ".labels", "too many labels");
    if (alert.labels.empty()) return Bad(path + ".labels", "an alert needs at least one label");
    if (auto an = a.find("annotations"); an != a.end()) {
      DAI_RETURN_IF_ERROR(ReadStringMap(*an, path + ".annotations", limits.max_labels,
                                        limits.max_label_name, limits.max_annotation_value,
                                        alert.annotations));
    }
    DAI_ASSIGN_OR_RETURN(alert.status, ReadStatus(a, path, group_status));
    DAI_ASSIGN_OR_RETURN(auto starts, ReadTime(a, "startsAt", path, now, limits, alert.notes));
    alert.starts_at = starts.value_or(now);
    DAI_ASSIGN_OR_RETURN(alert.ends_at, ReadTime(a, "endsAt", path, now, limits, alert.notes));
    // Alertmanager sets endsAt in the future for firing alerts (resolve timeout): only a
    // resolved alert, or an endsAt already past, closes it.
    if (alert.status == AlertStatus::kFiring && alert.ends_at && *alert.ends_at > now) {
      alert.ends_at.reset();
    }
    if (alert.status == AlertStatus::kResolved && !alert.ends_at) alert.ends_at = now;
    alert.generator_url = OptString(a, "generatorURL", 2048);
    alert.fingerprint = OptString(a, "fingerprint", 64);
    if (alert.fingerprint.empty()) alert.fingerprint = LabelFingerprint(alert.labels);
    batch.alerts.push_back(std::move(alert));
  }
  return batch;
}

Result<AlertBatch> DecodeGenericWebhook(std::string_view body, TimePoint now,
                                        const DecodeLimits& limits) {
  DAI_ASSIGN_OR_RETURN(Json root, ParseJson(body));
  Json items = root.is_array() ? root : Json::array({root});
  if (items.size() > limits.max_alerts) return Bad("body", "too many alerts in one payload");
  AlertBatch batch;
  for (size_t idx = 0; idx < items.size(); ++idx) {
    const Json& a = items[idx];
    const std::string path = root.is_array() ? "[" + std::to_string(idx) + "]" : "body";
    if (!a.is_object()) return Bad(path, "expected an object");
    Alert alert;
    alert.source = OptString(a, "source", 64);
    if (alert.source.empty()) alert.source = "webhook";
    auto title = a.find("title");
    if (title == a.end() || !title->is_string() || title->get_ref<const std::string&>().empty()) {
      return Bad(path + ".title", "is required (a non-empty string)");
    }
    if (title->get_ref<const std::string&>().size() > 1024) return Bad(path + ".title", "longer than 1024 bytes");
    if (auto l = a.find("labels"); l != a.end()) {
      DAI_RETURN_IF_ERROR(ReadStringMap(*l, path + ".labels", limits.max_labels,
                                        limits.max_label_name, limits.max_label_value, alert.labels));
    }
    if (auto an = a.find("annotations"); an != a.end()) {
      DAI_RETURN_IF_ERROR(ReadStringMap(*an, path + ".annotations", limits.max_labels,
                                        limits.max_label_name, limits.max_annotation_value,
                                        alert.annotations));
    }
    if (!alert.labels.count("alertname")) alert.labels["alertname"] = title->get<std::string>();
    alert.annotations.emplace("summary", title->get<std::string>());
    if (auto sev = a.find("severity"); sev != a.end()) {
      if (!sev->is_string()) return Bad(path + ".severity", "expected string");
      const auto& s = sev->get_ref<const std::string&>();
      static const char* kKnown[] = {"critical", "high", "medium", "low", "warning", "info", "error"};
      if (std::find(std::begin(kKnown), std::end(kKnown), s) == std::end(kKnown)) {
        return Bad(path + ".severity", "must be one of critical, high, medium, low, warning, info, error");
      }
      alert.labels["severity"] = s;
    }
    if (alert.labels.size() > limits.max_labels) return Bad(path + ".labels", "too many labels");
    DAI_ASSIGN_OR_RETURN(alert.status, ReadStatus(a, path, AlertStatus::kFiring));
    DAI_ASSIGN_OR_RETURN(auto starts, ReadTime(a, "startsAt", path, now, limits, alert.notes));
    alert.starts_at = starts.value_or(now);
    DAI_ASSIGN_OR_RETURN(alert.ends_at, ReadTime(a, "endsAt", path, now, limits, alert.notes));
    if (alert.status == AlertStatus::kResolved && !alert.ends_at) alert.ends_at = now;
    if (alert.status == AlertStatus::kFiring) alert.ends_at.reset();
    alert.generator_url = OptString(a, "generatorURL", 2048);
    alert.fingerprint = OptString(a, "fingerprint", 128);
    if (alert.fingerprint.empty()) alert.fingerprint = OptString(a, "dedupKey", 128);
    if (alert.fingerprint.empty()) alert.fingerprint = LabelFingerprint(alert.labels);
    batch.alerts.push_back(std::move(alert));
  }
  return batch;
}

}  // namespace dai::alerts
