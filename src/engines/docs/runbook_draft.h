// Runbooks learned from incident history (pure). Past incidents are clustered by signature
// (alert names weigh most, then root-cause words, labels and the title with numbers masked;
// weighted Jaccard similarity, greedy average-link clustering in id order so the result is
// deterministic). For a cluster, the actions that preceded each resolution — runbooks that
// succeeded, healing actions, commands written in notes ("$ cmd" lines and `cmd` spans) — are
// de-duplicated, ordered by their mean position before resolution, kept when enough incidents
// share them, and written as a draft in the Incident Commander's runbook format (validated by
// the runbook engine), with trigger conditions (labels every incident shared, their severities)
// and links to the source incidents. A command whose executable is not an absolute path, or that
// needs a shell (pipes, redirections, substitutions), becomes an approval step asking a person to
// run it: the draft never invents a path or a shell. Thread-safety: free functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::docs {

struct TimelineEntry {
  std::string type;  //!< incident_actions.action_type
  std::string description;
  std::string status;  //!< completed, failed, pending, running
  Json details = Json::object();
  int64_t at_ms = 0;
};

struct IncidentRecord {
  int64_t id = 0;
  std::string title;
  std::string severity;
  std::string service;
  std::map<std::string, std::string> labels;
  std::vector<std::string> alertnames;
  std::string root_cause;
  bool resolved = false;
  std::vector<TimelineEntry> timeline;  //!< in time order
};

//! Signature tokens with weights ("alert:HighLatency" → 3 ...).
std::map<std::string, double> IncidentSignature(const IncidentRecord& incident);
//! Weighted Jaccard similarity of two signatures in [0, 1].
double SignatureSimilarity(const std::map<std::string, double>& a,
                           const std::map<std::string, double>& b);

struct IncidentCluster {
  std::vector<int64_t> incident_ids;
  std::string label;  //!< the heaviest shared tokens ("HighLatency, service=api")
};

//! Clusters incidents whose average similarity to a cluster is >= `threshold`.
std::vector<IncidentCluster> ClusterIncidents(const std::vector<IncidentRecord>& incidents,
                                              double threshold = 0.45);

struct DraftStep {
  Json definition;  //!< one runbook step in the runbook engine's JSON form
  int support = 0;  //!< how many incidents of the cluster had it
  double position = 0;
  std::vector<int64_t> incidents;
};

struct RunbookDraft {
  Json definition;  //!< runbook JSON: name, description, trigger, requiresApproval, steps
  std::vector<DraftStep> steps;
  std::vector<int64_t> source_incidents;
  std::string markdown;  //!< the human-readable draft with links [[incident:N]]
};

struct DraftOptions {
  std::string title;         //!< "" = from the cluster's common alert/title
  double min_support = 0.5;  //!< fraction of the cluster's incidents that must share a step
};

//! INVALID_ARGUMENT when `incidents` is empty or none has an action before its resolution.
Result<RunbookDraft> DraftRunbook(const std::vector<IncidentRecord>& incidents,
                                  const DraftOptions& options = {});

//! Splits a command line into argv without a shell ('single', "double" quotes, backslash).
//! Fails when the line needs a shell (|, ;, &, >, <, $(, backticks) or quotes are unbalanced.
Result<std::vector<std::string>> SplitCommand(const std::string& line);

}  // namespace dai::docs
