// Correlator: decides what one incoming alert does to the incident list — open a new incident,
// join an open one (same group labels within the group window, or a neighbour on the service
// graph), refresh a duplicate, resolve a member, reopen a recently resolved incident instead of
// opening a new one (flap hold), or be inhibited by a more severe alert (like Alertmanager's
// inhibit_rules). Pure: the caller passes the candidate incidents and active alerts it loaded
// and applies the decision in one transaction.
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "engines/alerts/alert.h"

namespace dai::incidents {

//! What the correlator needs to know about an existing incident.
struct IncidentView {
  int64_t id = 0;
  std::string status;    //!< detected | investigating | mitigating | resolved
  std::string severity;  //!< critical | high | medium | low
  std::map<std::string, std::string> group_labels;
  //! Members currently firing / every member ever. A caller may load only the entries of the
  //! alert being correlated (membership is all the correlator asks) and give the number of
  //! firing members in `firing_count`.
  std::set<std::string> firing_fingerprints;
  std::set<std::string> all_fingerprints;
  int64_t firing_count = -1;  //!< members firing; -1: firing_fingerprints.size()
  TimePoint opened_at;
  TimePoint last_signal_at;
  std::optional<TimePoint> resolved_at;
  int reopen_count = 0;
};

//! Like one of Alertmanager's inhibit_rules: while an alert matching `source` fires, alerts
//! matching `target` with equal values of `equal` labels are inhibited.
struct InhibitRule {
  std::map<std::string, std::set<std::string>> source;  //!< label → accepted values
  std::map<std::string, std::set<std::string>> target;
  std::vector<std::string> equal;
};

struct CorrelatorConfig {
  std::vector<std::string> group_by = {"cluster", "namespace", "service"};
  Millis group_window{10 * 60 * 1000};  //!< join an open incident seen this recently
  Millis flap_window{30 * 60 * 1000};   //!< a resolved incident re-firing this soon is reopened
  //! service → services it calls or is called by; alerts on neighbours join one incident.
  std::map<std::string, std::set<std::string>> service_graph;
  std::vector<InhibitRule> inhibit_rules = DefaultInhibitRules();
  static std::vector<InhibitRule> DefaultInhibitRules();
};

enum class Action {
  kOpen,            //!< open a new incident with `group_labels` and `severity`
  kAttach,          //!< add the alert to incident `incident_id`
  kRefresh,         //!< duplicate of a firing member: update last seen only
  kMemberResolved,  //!< a firing member resolved; see all_members_resolved
  kReopen,          //!< a resolved incident's member fires again within the flap window
  kInhibited,       //!< suppressed by a firing alert (inhibited_by = its fingerprint)
  kIgnored,         //!< a resolved alert nobody is tracking
};
std::string_view ActionName(Action a);

struct Decision {
  Action action = Action::kIgnored;
  int64_t incident_id = 0;
  std::string severity;  //!< the incident's severity after this alert (worst member)
  std::map<std::string, std::string> group_labels;
  bool all_members_resolved = false;
  bool flapping = false;  //!< reopened at least twice within the flap window
  std::string inhibited_by;
  std::string reason;  //!< one sentence for the timeline
};

//! Group labels of an alert: the group_by labels it has, else its alertname.
std::map<std::string, std::string> GroupLabels(const alerts::Alert& alert,
                                               const CorrelatorConfig& config);
//! The worse of two severities.
std::string WorseSeverity(const std::string& a, const std::string& b);

//! False when no inhibit rule could hide this alert (so the caller need not load the active
//! alerts for it).
bool MayBeInhibited(const alerts::Alert& alert, const CorrelatorConfig& config);

Decision Correlate(const alerts::Alert& alert, const std::vector<IncidentView>& incidents,
                   const std::vector<alerts::Alert>& active_alerts, TimePoint now,
                   const CorrelatorConfig& config);
//! The same over views the caller keeps elsewhere (no copies; none may be null).
Decision CorrelateViews(const alerts::Alert& alert,
                        const std::vector<const IncidentView*>& incidents,
                        const std::vector<const alerts::Alert*>& active_alerts, TimePoint now,
                        const CorrelatorConfig& config);

}  // namespace dai::incidents
