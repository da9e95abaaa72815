// Post-mortem engine (pure): renders an incident's facts as a Markdown post-mortem with the
// sections the issue names: summary, impact (duration, affected services, detection,
// acknowledgement and resolution times, MTTA and MTTR), timeline, root cause with evidence,
// what was done (runbooks, healing actions), what went well / poorly, and action items.
// "Went well/poorly" and action items are derived from the facts by stated rules (each says
// why); people edit them afterwards.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"

namespace dai::postmortem {

struct TimelineEntry {
  TimePoint at;
  std::string type;  //!< incident_actions.action_type
  std::string actor;
  bool automated = false;
  std::string description;
};

struct AlertFact {
  std::string alertname;
  std::string severity;
  std::string service;
  TimePoint starts_at;
  std::optional<TimePoint> ends_at;
  int64_t receive_count = 1;
};

struct ExecutionFact {
  std::string runbook;
  std::string status;  //!< succeeded | failed | cancelled | ...
  bool dry_run = false;
  std::string triggered_by;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> completed_at;
  std::string error;
};

struct CauseFact {
  std::string service;
  double score = 0;
  std::vector<std::string> evidence;
};

struct IncidentFacts {
  int64_t id = 0;
  std::string title;
  std::string description;
  std::string severity;
  std::string status;
  std::vector<std::string> affected_services;
  TimePoint detected_at;
  std::optional<TimePoint> acknowledged_at;
  std::string acknowledged_by;
  std::optional<TimePoint> resolved_at;
  int reopen_count = 0;
  bool flapping = false;
  std::string root_cause;         //!< as stated by people (resolve note) or the RCA
  std::vector<CauseFact> causes;  //!< ranked candidates, best first
  std::vector<TimelineEntry> timeline;
  std::vector<AlertFact> alerts;
  std::vector<ExecutionFact> executions;
};

//! "1h 4m", "12m 5s", "40s".
std::string FormatDuration(Millis d);

//! The Markdown document. `now` is the generation time (for an unresolved incident's duration).
std::string Render(const IncidentFacts& facts, TimePoint now);

//! The facts as JSON for a narrator (an LLM writing prose from them): the incident, its ranked
//! causes with evidence, the last `max_timeline` timeline entries, alerts and runbook executions.
Json FactsJson(const IncidentFacts& facts, TimePoint now, size_t max_timeline = 60);

//! `document` (a Render() result) with a "## Narrative" section after its header line holding
//! `narrative`, labelled as written by the LLM `model` (the generated sections stay as they are).
std::string WithNarrative(const std::string& document, const std::string& narrative,
                          const std::string& model);

}  // namespace dai::postmortem
