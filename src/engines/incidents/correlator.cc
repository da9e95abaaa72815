#include "engines/incidents/correlator.h"

namespace dai::incidents {
namespace {

int Rank(const std::string& severity) {
  if (severity == "critical") return 4;
  if (severity == "high") return 3;
  if (severity == "medium") return 2;
  if (severity == "low") return 1;
  return 0;
}

std::string AlertSeverity(const alerts::Alert& a) {
  auto it = a.labels.find("severity");
  return alerts::NormalizeSeverity(it == a.labels.end() ? "" : it->second);
}

bool Matches(const std::map<std::string, std::set<std::string>>& matchers,
             const std::map<std::string, std::string>& labels) {
  for (const auto& [name, values] : matchers) {
    auto it = labels.find(name);
    if (it == labels.end() || values.count(it->second) == 0) return false;
  }
  return true;
}

bool EqualOn(const std::vector<std::string>& names, const std::map<std::string, std::string>& a,
             const std::map<std::string, std::string>& b) {
  for (const auto& n : names) {
    auto ia = a.find(n);
    auto ib = b.find(n);
    const std::string va = ia == a.end() ? "" : ia->second;
    const std::string vb = ib == b.end() ? "" : ib->second;
    if (va != vb) return false;
  }
  return true;
}

std::string Describe(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    out += out.empty() ? "" : ", ";
    out += k + "=" + v;
  }
  return out;
}

}  // namespace

std::vector<InhibitRule> CorrelatorConfig::DefaultInhibitRules() {
  // A critical alert on a service suppresses its warnings (Alertmanager's documented example).
  InhibitRule r;
  r.source = {{"severity", {"critical", "page"}}};
  r.target = {{"severity", {"warning", "warn", "info", "medium", "low"}}};
  r.equal = {"cluster", "namespace", "service", "alertname"};
  InhibitRule by_service = r;
  by_service.equal = {"cluster", "namespace", "service"};
  // Only when a service label exists: an empty service would match everything.
  return {by_service};
}

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kOpen:
      return "open";
    case Action::kAttach:
      return "attach";
    case Action::kRefresh:
      return "refresh";
    case Action::kMemberResolved:
      return "member_resolved";
    case Action::kReopen:
      return "reopen";
    case Action::kInhibited:
      return "inhibited";
    case Action::kIgnored:
      return "ignored";
  }
  return "ignored";
}

std::string WorseSeverity(const std::string& a, const std::string& b) {
  return Rank(a) >= Rank(b) ? a : b;
}

std::map<std::string, std::string> GroupLabels(const alerts::Alert& alert,
                                               const CorrelatorConfig& config) {
  std::map<std::string, std::string> out;
  for (const auto& name : config.group_by) {
    auto it = alert.labels.find(name);
    if (it != alert.labels.end() && !it->second.empty()) out[name] = it->second;
  }
  if (out.empty()) {
    auto it = alert.labels.find("alertname");
    out["alertname"] = it == alert.labels.end() ? alert.fingerprint : it->second;
  }
  return out;
}

bool MayBeInhibited(const alerts::Alert& alert, const CorrelatorConfig& config) {
  if (alert.status != alerts::AlertStatus::kFiring) return false;
  for (const auto& rule : config.inhibit_rules) {
    if (!Matches(rule.target, alert.labels)) continue;
    for (const auto& n : rule.equal) {
      if (alert.labels.count(n) != 0) return true;
    }
  }
  return false;
}

Decision Correlate(const alerts::Alert& alert, const std::vector<IncidentView>& incidents,
                   const std::vector<alerts::Alert>& active_alerts, TimePoint now,
                   const CorrelatorConfig& config) {
  std::vector<const IncidentView*> views;
  views.reserve(incidents.size());
  for (const auto& v : incidents) views.push_back(&v);
  std::vector<const alerts::Alert*> active;
  active.reserve(active_alerts.size());
  for (const auto& a : active_alerts) active.push_back(&a);
  return CorrelateViews(alert, views, active, now, config);
}

Decision CorrelateViews(const alerts::Alert& alert,
                        const std::vector<const IncidentView*>& incidents,
                        const std::vector<const alerts::Alert*>& active_alerts, TimePoint now,
                        const CorrelatorConfig& config) {
  Decision d;
  const std::string severity = AlertSeverity(alert);
  const bool firing = alert.status == alerts::AlertStatus::kFiring;
  d.group_labels = GroupLabels(alert, config);

  // 1. A member of a known incident.
  const IncidentView* member_of = nullptr;
  for (const IncidentView* p : incidents) {
    const IncidentView& inc = *p;
    if (inc.all_fingerprints.count(alert.fingerprint) == 0) continue;
    // Prefer the open incident, else the most recently resolved.
    if (member_of == nullptr || (member_of->status == "resolved" && inc.status != "resolved") ||
        (member_of->status == "resolved" && inc.status == "resolved" &&
         inc.resolved_at.value_or(TimePoint()) > member_of->resolved_at.value_or(TimePoint()))) {
      member_of = &inc;
    }
  }
  if (member_of != nullptr) {
    const IncidentView& inc = *member_of;
    d.incident_id = inc.id;
    d.group_labels = inc.group_labels;
    d.severity = WorseSeverity(inc.severity, severity);
    if (!firing) {
      if (inc.firing_fingerprints.count(alert.fingerprint) == 0) {
        d.action = Action::kIgnored;
        d.severity = inc.severity;
        d.reason = "already resolved";
        return d;
      }
      d.action = Action::kMemberResolved;
      d.severity = inc.severity;
      const int64_t firing_members = inc.firing_count >= 0
                                         ? inc.firing_count
                                         : static_cast<int64_t>(inc.firing_fingerprints.size());
      d.all_members_resolved = firing_members == 1;
      d.reason = d.all_members_resolved ? "the last firing alert resolved"
                                        : "an alert resolved; others still fire";
      return d;
    }
    if (inc.status != "resolved") {
      d.action =
          inc.firing_fingerprints.count(alert.fingerprint) ? Action::kRefresh : Action::kAttach;
      d.reason =
          d.action == Action::kRefresh ? "duplicate of a firing alert" : "a member fires again";
      return d;
    }
    if (inc.resolved_at && now - *inc.resolved_at <= config.flap_window) {
      d.action = Action::kReopen;
      d.flapping = inc.reopen_count + 1 >= 2;
      d.reason = d.flapping ? "flapping: fired again soon after resolving (held in one incident)"
                            : "fired again soon after resolving";
      return d;
    }
    // Resolved long ago: treat as a new occurrence below.
    d.incident_id = 0;
    d.group_labels = GroupLabels(alert, config);
  }
  // 2. A resolution nobody tracks.
  if (!firing) {
    d.action = Action::kIgnored;
    d.reason = "a resolved alert that no incident tracks";
    return d;
  }

  // 3. Inhibition of new alerts (an alert already in an incident is not hidden from it).
  if (firing) {
    for (const auto& rule : config.inhibit_rules) {
      if (!Matches(rule.target, alert.labels)) continue;
      // Require every `equal` label that the rule names to be present on the target when the
      // rule is service-scoped, so unrelated alerts without labels are not swallowed.
      bool has_scope = false;
      for (const auto& n : rule.equal) has_scope = has_scope || alert.labels.count(n) != 0;
      if (!has_scope) continue;
      for (const alerts::Alert* p : active_alerts) {
        const alerts::Alert& other = *p;
        if (other.fingerprint == alert.fingerprint || other.status != alerts::AlertStatus::kFiring)
          continue;
        if (Matches(rule.source, other.labels) && EqualOn(rule.equal, alert.labels, other.labels)) {
          d.action = Action::kInhibited;
          d.inhibited_by = other.fingerprint;
          d.reason = "inhibited by a firing " + AlertSeverity(other) + " alert on " +
                     Describe(d.group_labels);
          return d;
        }
      }
    }
  }

  // 4. Join an open incident of the same group (or a graph neighbour) seen recently.
  const IncidentView* best = nullptr;
  bool best_exact = false;
  auto service_of = [](const std::map<std::string, std::string>& labels) {
    auto it = labels.find("service");
    return it == labels.end() ? std::string() : it->second;
  };
  const std::string service = service_of(alert.labels);
  for (const IncidentView* p : incidents) {
    const IncidentView& inc = *p;
    if (inc.status == "resolved" || now - inc.last_signal_at > config.group_window) continue;
    const bool exact = inc.group_labels == d.group_labels;
    bool neighbour = false;
    if (!exact && !service.empty()) {
      const std::string other = service_of(inc.group_labels);
      auto it = config.service_graph.find(service);
      neighbour = !other.empty() && it != config.service_graph.end() &&
                  it->second.count(other) != 0 &&
                  EqualOn({"cluster", "namespace"}, inc.group_labels, d.group_labels);
    }
    if (!exact && !neighbour) continue;
    if (best == nullptr || (exact && !best_exact) ||
        (exact == best_exact && inc.last_signal_at > best->last_signal_at)) {
      best = &inc;
      best_exact = exact;
    }
  }
  if (best != nullptr) {
    d.action = Action::kAttach;
    d.incident_id = best->id;
    d.group_labels = best->group_labels;
    d.severity = WorseSeverity(best->severity, severity);
    d.reason = best_exact ? "same group (" + Describe(best->group_labels) + ")"
                          : "neighbour on the service graph of " + service_of(best->group_labels);
    return d;
  }
  d.action = Action::kOpen;
  d.severity = severity;
  d.reason = "new group " + Describe(d.group_labels);
  return d;
}

}  // namespace dai::incidents
