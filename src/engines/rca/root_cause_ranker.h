// RankRootCauses: ranks the services of an incident by how likely each is its root cause.
//
// Method, in four steps (all times in unix seconds, no clock is read):
//  1. Per series: a robust baseline (median and MAD) from a pre-incident window; the series is
//     smoothed with a short rolling median (single spikes of heavy-tailed noise vanish); the
//     anomaly level is the highest robust z-score the smoothed series *holds* for a persistence
//     window near the incident, and the onset is where that held deviation begins (walked back
//     to the change point where the deviation first left the normal band).
//  2. Per service: its strongest series (weighted by metric) and its earliest credible onset.
//  3. Propagation over the call graph (a fault travels callee → caller). Metrics are read by
//     class: impact (latency, errors) propagates; resource (CPU, memory, saturation) shows a
//     cause but does not travel; traffic (request rate) moves both ways and is weak. A service
//     with a callee whose impact began no later than its own onset is a symptom; one whose
//     callers' impact followed within the propagation window, on the same channel, explains
//     them. A resource-only deviation that starts at the service's own deploy is a restart
//     signature, not a fault. A dependency whose impact is unobserved but under which several
//     unexplained anomalous callers turn bad together is ranked as a hidden shared cause. A
//     deviation that ended before the incident opened (a blip) weighs less than an ongoing one.
//  4. Changes and alerts: a deploy/config change on a service shortly before its own onset
//     raises it; a change with no anomaly after it does nothing; alerts are weak evidence.
// Every candidate carries its evidence (series, onsets, z-levels, changes, alerts), a
// confidence (share of the total score) and a templated plain-English explanation.
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "engines/rca/rca_input.h"

namespace dai::rca {

struct RcaConfig {
  int64_t baseline_span_s = 90 * 60;      //!< length of the pre-incident baseline window
  int64_t baseline_gap_s = 35 * 60;       //!< the baseline ends this long before incident_start
  int64_t detect_before_s = 60 * 60;      //!< anomalies may start this long before incident_start
  int64_t detect_after_s = 15 * 60;       //!< ... and this long after it
  int smooth_points = 5;                  //!< rolling-median width (points)
  int persist_points = 8;                 //!< a deviation must hold this many points
  double onset_z = 4.0;                   //!< held |z| that makes a series anomalous
  int min_baseline_points = 20;           //!< fewer: the series is not judged
  int64_t active_before_s = 5 * 60;       //!< the cause should still deviate from here ...
  int64_t active_after_s = 10 * 60;       //!< ... to here around incident_start
  int64_t onset_slack_s = 60;             //!< onsets this close count as simultaneous
  int64_t propagation_window_s = 5 * 60;  //!< a caller's impact follows its callee's within this
  int64_t change_lead_s = 20 * 60;        //!< a change this long before an onset can explain it
  double change_boost = 0.6;              //!< score factor (1 + boost) for an explaining change
  double alert_boost = 0.1;               //!< per-service factor for having its own alert
  size_t max_candidates = 20;
};

struct SeriesEvidence {
  std::string metric;
  double level_z = 0;  //!< held robust z (signed: negative for drops)
  int64_t onset = 0;   //!< unix seconds; 0 when not anomalous
  double baseline_median = 0;
  double peak_value = 0;
};

struct Candidate {
  std::string service;
  double score = 0;                    //!< higher = more likely; comparable within one result
  double confidence = 0;               //!< share of the total score of all candidates, 0..1
  double anomaly = 0;                  //!< 0..1 strength of the service's own anomaly
  int64_t onset = 0;                   //!< earliest onset of its anomalous series; 0 when none
  std::vector<SeriesEvidence> series;  //!< anomalous series, strongest first
  std::vector<std::string> anomalous_callees;  //!< callees anomalous no later than it
  std::vector<std::string> anomalous_callers;  //!< callers (transitive) anomalous after it
  std::vector<std::string> changes;            //!< "deploy at <t>" preceding its onset
  std::vector<std::string> alerts;             //!< its alert names
  bool hidden_cause = false;  //!< ranked by the callers it would explain, not its own series
  std::string explanation;    //!< templated plain English
};

struct RcaResult {
  std::vector<Candidate> ranking;  //!< best first
};

//! Ranks every service of `input`. INVALID_ARGUMENT when there is no service or a series has
//! a non-positive step.
Result<RcaResult> RankRootCauses(const RcaInput& input, const RcaConfig& config = {});

//! Evidence lines for a candidate, each one short sentence (what the CLI prints).
std::vector<std::string> EvidenceLines(const Candidate& candidate, int64_t incident_start);

}  // namespace dai::rca
