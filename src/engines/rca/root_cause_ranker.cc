#include "engines/rca/root_cause_ranker.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <map>
#include <set>

namespace dai::rca {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

//! What a metric says about a service. Impact metrics (latency, errors) are what propagates
//! from callee to caller; resource metrics (CPU, memory, saturation) show a cause but do not
//! travel; traffic (request rate) moves both ways (a failing caller sends its callees less), so
//! it is weak evidence and never sets an onset.
enum class MetricClass { kImpact, kResource, kTraffic };

struct MetricRule {
  MetricClass cls = MetricClass::kResource;
  bool up = true;
  bool down = false;
  double weight = 1.0;
};

bool Contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

MetricRule RuleFor(const std::string& metric) {
  if (Contains(metric, "request_rate") || Contains(metric, "throughput") ||
      Contains(metric, "rps")) {
    return {MetricClass::kTraffic, true, true, 0.3};
  }
  if (Contains(metric, "latency") || Contains(metric, "error") || Contains(metric, "duration")) {
    return {MetricClass::kImpact, true, false, 1.0};
  }
  if (Contains(metric, "cpu") || Contains(metric, "memory") || Contains(metric, "saturation")) {
    return {MetricClass::kResource, true, false, 1.0};
  }
  return {MetricClass::kResource, true, true, 0.7};  // unknown metric: either direction
}

double Median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) {
    double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
    m = (m + lo) / 2;
  }
  return m;
}

struct SeriesAnalysis {
  bool judged = false;
  double level = 0;  //!< held z in the worse direction (signed)
  int64_t onset = 0;
  double median = 0;
  double peak = 0;
  double active = 0;  //!< share of points around incident_start still deviating (0..1)
};

//! Step 1: baseline, smoothing, held deviation and onset of one series.
SeriesAnalysis AnalyzeSeries(const Series& s, int64_t incident_start, const RcaConfig& cfg,
                             const MetricRule& rule) {
  SeriesAnalysis out;
  const size_t n = s.values.size();
  if (n == 0 || s.step_seconds <= 0) return out;
  const int64_t base_end = incident_start - cfg.baseline_gap_s;
  const int64_t base_begin = base_end - cfg.baseline_span_s;
  std::vector<double> base;
  for (size_t i = 0; i < n; ++i) {
    int64_t t = s.TimeAt(i);
    if (t >= base_begin && t < base_end && std::isfinite(s.values[i])) base.push_back(s.values[i]);
  }
  if (static_cast<int>(base.size()) < cfg.min_baseline_points) {
    base.clear();
    for (size_t i = 0; i < n && s.TimeAt(i) < base_end; ++i) {
      if (std::isfinite(s.values[i])) base.push_back(s.values[i]);
    }
  }
  if (static_cast<int>(base.size()) < cfg.min_baseline_points) return out;
  const double med = Median(base);
  std::vector<double> dev(base.size());
  double mean_abs = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    dev[i] = std::fabs(base[i] - med);
    mean_abs += dev[i];
  }
  mean_abs /= static_cast<double>(base.size());
  const double mad = Median(dev);
  const double scale = std::max({1.4826 * mad, 1.2533 * mean_abs, 1e-3 * std::fabs(med), 1e-12});

  // Detection window, smoothed with a centred rolling median.
  const int64_t det_begin = incident_start - cfg.detect_before_s;
  const int64_t det_end = incident_start + cfg.detect_after_s;
  size_t lo = n, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    int64_t t = s.TimeAt(i);
    if (t >= det_begin && t <= det_end) {
      lo = std::min(lo, i);
      hi = std::max(hi, i + 1);
    }
  }
  if (lo >= hi) return out;
  out.judged = true;
  out.median = med;
  const int half = std::max(0, cfg.smooth_points / 2);
  std::vector<double> z(hi - lo, kNaN);
  std::vector<double> window;
  for (size_t i = lo; i < hi; ++i) {
    window.clear();
    size_t a = i >= static_cast<size_t>(half) ? i - half : 0;
    size_t b = std::min(n, i + half + 1);
    for (size_t k = a; k < b; ++k) {
      if (std::isfinite(s.values[k])) window.push_back(s.values[k]);
    }
    if (!window.empty()) z[i - lo] = (Median(window) - med) / scale;
  }
  const size_t persist = static_cast<size_t>(std::max(1, cfg.persist_points));
  // Held level per start index: min (up) / max (down) of z over the persistence window.
  auto held = [&](size_t i, bool up) {
    double h =
        up ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    size_t end = std::min(z.size(), i + persist);
    size_t finite = 0;
    for (size_t k = i; k < end; ++k) {
      if (!std::isfinite(z[k])) continue;
      ++finite;
      h = up ? std::min(h, z[k]) : std::max(h, z[k]);
    }
    if (finite == 0 || end - i < std::min(persist, z.size())) return 0.0;
    return h;
  };
  double best = 0;
  int64_t best_onset = 0;
  for (int dir = 0; dir < 2; ++dir) {
    bool up = dir == 0;
    if ((up && !rule.up) || (!up && !rule.down)) continue;
    double level = 0;
    size_t first = z.size();
    for (size_t i = 0; i < z.size(); ++i) {
      double h = up ? held(i, true) : -held(i, false);
      if (h > level) level = h;
      if (first == z.size() && h >= cfg.onset_z) first = i;
    }
    if (level > std::fabs(best)) {
      best = up ? level : -level;
      best_onset = 0;
      if (first < z.size()) {
        // Walk back to where the deviation left the normal band.
        size_t k = first;
        while (k > 0 && std::isfinite(z[k - 1]) && (up ? z[k - 1] : -z[k - 1]) > cfg.onset_z / 2)
          --k;
        best_onset = s.TimeAt(lo + k);
      }
    }
  }
  out.level = best;
  out.onset = best_onset;
  if (best_onset != 0) {
    size_t around = 0, deviating = 0;
    for (size_t i = lo; i < hi; ++i) {
      int64_t t = s.TimeAt(i);
      if (t < incident_start - cfg.active_before_s || t > incident_start + cfg.active_after_s)
        continue;
      if (!std::isfinite(z[i - lo])) continue;
      ++around;
      double signed_z = best >= 0 ? z[i - lo] : -z[i - lo];
      if (signed_z >= cfg.onset_z / 2) ++deviating;
    }
    out.active = around > 0 ? static_cast<double>(deviating) / static_cast<double>(around) : 0.0;
  }
  double peak = med;
  for (size_t i = lo; i < hi; ++i) {
    if (std::isfinite(s.values[i]) && std::fabs(s.values[i] - med) > std::fabs(peak - med)) {
      peak = s.values[i];
    }
  }
  out.peak = peak;
  return out;
}

//! Maps a held z-level to a 0..1 strength: 0 below the threshold, 1 at 25x the threshold.
double Strength(double level, double threshold) {
  double a = std::fabs(level);
  if (a < threshold) return 0;
  return std::min(1.0, 0.3 + 0.7 * std::log(a / threshold) / std::log(25.0));
}

std::string FormatOffset(int64_t t, int64_t incident_start) {
  int64_t d = t - incident_start;
  char buf[64];
  int64_t ad = d < 0 ? -d : d;
  std::snprintf(buf, sizeof buf, "%s%lldm%02llds %s incident start", "",
                static_cast<long long>(ad / 60), static_cast<long long>(ad % 60),
                d < 0 ? "before" : "after");
  return buf;
}

struct Node {
  std::string name;
  std::vector<size_t> callees;
  std::vector<size_t> callers;
  double anomaly = 0;  // strongest evidence of any class, 0..1
  int64_t onset = 0;   // reference onset (impact, else resource, else traffic); 0 = none
  double impact = 0;   // strength of its latency/error deviation
  int64_t impact_onset = 0;
  double resource = 0;  // strength of its CPU/memory/saturation deviation
  int64_t resource_onset = 0;
  double traffic = 0;
  int64_t traffic_onset = 0;
  int64_t latency_onset = 0;  // impact channels: 0 = that channel did not deviate
  int64_t error_onset = 0;
  bool has_impact_series = false;
  bool has_latency_series = false;
  bool has_error_series = false;   // false: its impact is unobserved (passes propagation through)
  double active = 0;               // its evidence still deviates around incident_start (0..1)
  bool restart_signature = false;  // resource-only deviation starting at its own change
  std::vector<SeriesEvidence> evidence;
};

void Merge(double strength, int64_t onset, double& best, int64_t& best_onset) {
  best = std::max(best, strength);
  if (best_onset == 0 || onset < best_onset) best_onset = onset;
}

}  // namespace

Result<RcaResult> RankRootCauses(const RcaInput& input, const RcaConfig& cfg) {
  if (input.services.empty()) return Status::InvalidArgument("services: none");
  std::vector<Node> nodes;
  std::map<std::string, size_t> index;
  auto node_of = [&](const std::string& name) {
    auto [it, inserted] = index.emplace(name, nodes.size());
    if (inserted) {
      nodes.push_back({});
      nodes.back().name = name;
    }
    return it->second;
  };
  for (const Service& s : input.services) node_of(s.name);
  std::set<std::pair<size_t, size_t>> edges;
  for (const Call& c : input.calls) {
    size_t f = node_of(c.from), t = node_of(c.to);
    if (f == t || !edges.insert({f, t}).second) continue;
    nodes[f].callees.push_back(t);
    nodes[t].callers.push_back(f);
  }

  // Steps 1-2: series → per-class strength and onset of each service.
  const int64_t T = input.incident_start;
  for (const Series& s : input.series) {
    if (s.step_seconds <= 0) {
      return Status::InvalidArgument("series " + s.service + "/" + s.metric +
                                     ": step_seconds <= 0");
    }
    MetricRule rule = RuleFor(s.metric);
    SeriesAnalysis a = AnalyzeSeries(s, T, cfg, rule);
    Node& node = nodes[node_of(s.service)];
    if (rule.cls == MetricClass::kImpact && a.judged) {
      node.has_impact_series = true;
      (Contains(s.metric, "error") ? node.has_error_series : node.has_latency_series) = true;
    }
    if (!a.judged || a.onset == 0) continue;
    double strength = rule.weight * Strength(a.level, cfg.onset_z);
    if (strength <= 0) continue;
    if (rule.cls != MetricClass::kTraffic) node.active = std::max(node.active, a.active);
    node.evidence.push_back({s.metric, a.level, a.onset, a.median, a.peak});
    switch (rule.cls) {
      case MetricClass::kImpact: {
        Merge(strength, a.onset, node.impact, node.impact_onset);
        int64_t& channel = Contains(s.metric, "error") ? node.error_onset : node.latency_onset;
        if (channel == 0 || a.onset < channel) channel = a.onset;
        break;
      }
      case MetricClass::kResource:
        Merge(strength, a.onset, node.resource, node.resource_onset);
        break;
      case MetricClass::kTraffic:
        Merge(strength, a.onset, node.traffic, node.traffic_onset);
        break;
    }
  }
  for (Node& node : nodes) {
    std::sort(node.evidence.begin(), node.evidence.end(), [](const auto& a, const auto& b) {
      return std::fabs(a.level_z) > std::fabs(b.level_z);
    });
    node.onset = node.impact > 0     ? node.impact_onset
                 : node.resource > 0 ? node.resource_onset
                                     : node.traffic_onset;
    node.anomaly = std::max({node.impact, node.resource, node.traffic});
    // A deploy or restart resets memory and warms CPU: a resource-only deviation that starts
    // with the service's own change, with no impact, is that change's signature, not a fault.
    if (node.impact == 0 && node.resource > 0) {
      for (const ChangeEvent& ch : input.changes) {
        if (ch.service == node.name && node.resource_onset >= ch.at - cfg.onset_slack_s &&
            node.resource_onset <= ch.at + 2 * cfg.onset_slack_s) {
          node.restart_signature = true;
        }
      }
      if (node.restart_signature) node.anomaly *= 0.3;
    }
  }

  // Step 3: propagation over the graph.
  int64_t first_onset = 0;
  size_t anomalous_count = 0;
  for (const Node& node : nodes) {
    if (node.onset == 0) continue;
    ++anomalous_count;
    if (first_onset == 0 || node.onset < first_onset) first_onset = node.onset;
  }
  // Callers reached from `start` through callers whose impact followed its onset (or whose
  // impact is unobserved), each weighted by how well its deviation matches start's channels.
  auto explained_callers = [&](size_t start, std::vector<std::string>& names) {
    const Node& root = nodes[start];
    const bool any_channel = root.latency_onset == 0 && root.error_onset == 0;
    std::vector<bool> seen(nodes.size(), false);
    std::deque<size_t> queue{start};
    seen[start] = true;
    double weight = 0;
    while (!queue.empty()) {
      size_t u = queue.front();
      queue.pop_front();
      for (size_t c : nodes[u].callers) {
        if (seen[c]) continue;
        seen[c] = true;
        const Node& caller = nodes[c];
        // Impact travels fast: the caller's deviation follows within the propagation window,
        // preferably on the same channel (latency → latency, errors → errors).
        auto follows = [&](int64_t from, int64_t to) {
          return from != 0 && to != 0 && to + cfg.onset_slack_s >= from &&
                 to <= from + cfg.propagation_window_s;
        };
        bool matched = follows(root.latency_onset, caller.latency_onset) ||
                       follows(root.error_onset, caller.error_onset) ||
                       (any_channel && follows(root.onset, caller.impact_onset));
        bool affected = caller.impact > 0 && (matched || follows(root.onset, caller.impact_onset));
        if (affected) {
          weight += matched ? 1.0 : 0.5;
          names.push_back(caller.name);
          queue.push_back(c);
        } else if (!caller.has_impact_series) {
          queue.push_back(c);
        }
      }
    }
    return weight;
  };

  RcaResult result;
  std::vector<double> penalties(nodes.size(), 0.0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    Candidate cand;
    cand.service = node.name;
    cand.anomaly = node.anomaly;
    cand.onset = node.onset;
    cand.series = node.evidence;
    double score = 0;
    if (node.onset != 0) {
      // A callee whose impact began no later than this service's onset explains it.
      double penalty = 0;
      for (size_t c : node.callees) {
        const Node& callee = nodes[c];
        double p = 0;
        if (callee.impact > 0 && callee.impact_onset <= node.onset + cfg.onset_slack_s) {
          p = callee.impact;
        } else if (callee.resource > 0 && !callee.restart_signature &&
                   callee.resource_onset <= node.onset + cfg.onset_slack_s) {
          // A struggling dependency may explain its callers only where we cannot see its
          // impact on the channel they deviate on; visible and calm, it explains nothing.
          bool impact_blind = (node.latency_onset != 0 && !callee.has_latency_series) ||
                              (node.error_onset != 0 && !callee.has_error_series);
          p = impact_blind ? 0.6 * callee.resource : 0.0;
        }
        if (p > 0) {
          penalty = std::max(penalty, p);
          penalties[i] = penalty;
          cand.anomalous_callees.push_back(callee.name);
        }
      }
      // Callers (transitively) whose impact followed this service's onset are explained by it.
      double explained = explained_callers(i, cand.anomalous_callers);
      double explain = anomalous_count > 1
                           ? std::min(1.0, explained / static_cast<double>(anomalous_count - 1))
                           : 0.0;
      // A cause is still at work when the incident opens; a blip that ended is not.
      double ongoing = 0.4 + 0.6 * node.active;
      double timing = 0.7 + 0.3 * std::exp(-static_cast<double>(node.onset - first_onset) / 600.0);
      score = node.anomaly * (1 - 0.85 * penalty) * (1 + 0.5 * explain) * timing * ongoing;
      // Step 4: changes shortly before the service's own onset.
      double change_factor = 1;
      for (const ChangeEvent& ch : input.changes) {
        // A change counts when the service's deviation mattered: it has impact of its own or
        // its callers' impact followed it.
        if (node.restart_signature || ch.service != node.name || ch.at > T) continue;
        if (node.impact == 0 && explained == 0) continue;
        if (ch.at >= node.onset - cfg.change_lead_s && ch.at <= node.onset + cfg.onset_slack_s) {
          double w = ch.kind == "scale" ? 0.2 : 1.0;
          change_factor = std::max(change_factor, 1 + cfg.change_boost * w);
          cand.changes.push_back(ch.kind + " " + FormatOffset(ch.at, T));
        }
      }
      score *= change_factor;
    }
    std::set<std::string> alert_names;
    for (const Alert& al : input.alerts) {
      if (al.service == node.name && al.starts_at >= T - 30 * 60 &&
          al.starts_at <= T + cfg.detect_after_s) {
        alert_names.insert(al.name + (al.severity.empty() ? "" : " (" + al.severity + ")"));
      }
    }
    cand.alerts.assign(alert_names.begin(), alert_names.end());
    if (!alert_names.empty()) score *= 1 + cfg.alert_boost;
    // Non-anomalous services keep a tiny score so the weak evidence still orders them.
    score += 1e-4 * (1.0 + (alert_names.empty() ? 0 : 1));
    cand.score = score;
    result.ranking.push_back(std::move(cand));
  }
  // A dependency whose own impact is unobserved (no latency or error series, or none that
  // deviated) but under which anomalous callers with no other explanation gather is a hidden
  // cause: one shared cause is more likely than several independent ones at the same time.
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    if (node.impact > 0 || (node.has_latency_series && node.has_error_series)) continue;
    std::vector<size_t> orphans;
    for (size_t c : node.callers) {
      if (nodes[c].impact > 0 && penalties[c] < 0.5) orphans.push_back(c);
    }
    if (orphans.empty()) continue;
    int64_t earliest = 0, latest = 0;
    double best = 0;
    for (size_t c : orphans) {
      int64_t t = nodes[c].impact_onset;
      earliest = earliest == 0 ? t : std::min(earliest, t);
      latest = std::max(latest, t);
      best = std::max(best, result.ranking[c].score);
    }
    const bool alerted = !result.ranking[i].alerts.empty();
    const bool together = orphans.size() >= 2 && latest - earliest <= cfg.propagation_window_s;
    if (!together && !alerted) continue;
    double factor =
        together ? std::min(1.3, 0.7 + 0.25 * static_cast<double>(orphans.size())) : 0.8;
    if (alerted) factor *= 1 + cfg.alert_boost;
    Candidate& hidden = result.ranking[i];
    if (best * factor <= hidden.score) continue;
    hidden.score = best * factor;
    hidden.onset = earliest;
    hidden.hidden_cause = true;
    for (size_t c : orphans) {
      hidden.anomalous_callers.push_back(nodes[c].name);
      if (together) result.ranking[c].score *= 0.7;  // explained by the shared dependency
    }
  }
  std::stable_sort(result.ranking.begin(), result.ranking.end(),
                   [](const Candidate& a, const Candidate& b) {
                     if (a.score != b.score) return a.score > b.score;
                     return a.service < b.service;
                   });
  double total = 0;
  for (const Candidate& c : result.ranking) total += c.score;
  for (Candidate& c : result.ranking) {
    c.confidence = total > 0 ? c.score / total : 0;
  }
  if (result.ranking.size() > cfg.max_candidates) result.ranking.resize(cfg.max_candidates);
  for (Candidate& c : result.ranking) {
    std::string text;
    if (c.hidden_cause) {
      text = c.service + " has no observed impact series that deviated, but " +
             std::to_string(c.anomalous_callers.size()) +
             " of its callers with no other anomalous dependency deviated from " +
             FormatOffset(c.onset, T) + ": a shared hidden cause";
    } else if (c.onset == 0) {
      text = c.service + " shows no held deviation from its baseline";
    } else {
      const SeriesEvidence& top = c.series.front();
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "%s turned anomalous %s: %s held %.1f robust deviations %s its baseline",
                    c.service.c_str(), FormatOffset(c.onset, T).c_str(), top.metric.c_str(),
                    std::fabs(top.level_z), top.level_z >= 0 ? "above" : "below");
      text = buf;
      if (c.anomalous_callees.empty()) {
        text += "; none of its dependencies deviated before it";
      } else {
        text += "; but its dependencies " + c.anomalous_callees.front() +
                (c.anomalous_callees.size() > 1 ? " and others" : "") + " deviated no later";
      }
      if (!c.anomalous_callers.empty()) {
        text += "; " + std::to_string(c.anomalous_callers.size()) +
                " upstream service(s) deviated after it";
      }
      if (!c.changes.empty()) text += "; a " + c.changes.front() + " preceded it";
    }
    if (!c.alerts.empty()) text += "; alerts: " + c.alerts.front();
    char conf[64];
    std::snprintf(conf, sizeof conf, " (confidence %.0f%%).", 100 * c.confidence);
    c.explanation = text + conf;
  }
  return result;
}

std::vector<std::string> EvidenceLines(const Candidate& c, int64_t incident_start) {
  std::vector<std::string> lines;
  if (c.hidden_cause) {
    lines.push_back("unobserved impact; shared dependency of " +
                    std::to_string(c.anomalous_callers.size()) +
                    " anomalous caller(s) with no other anomalous dependency");
  }
  for (const SeriesEvidence& s : c.series) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s: held z %.1f from %s (baseline %.4g, peak %.4g)",
                  s.metric.c_str(), s.level_z, FormatOffset(s.onset, incident_start).c_str(),
                  s.baseline_median, s.peak_value);
    lines.push_back(buf);
  }
  for (const std::string& callee : c.anomalous_callees)
    lines.push_back("dependency anomalous first: " + callee);
  if (!c.anomalous_callers.empty()) {
    lines.push_back(std::to_string(c.anomalous_callers.size()) +
                    " upstream service(s) anomalous after it");
  }
  for (const std::string& ch : c.changes) lines.push_back("change: " + ch);
  for (const std::string& a : c.alerts) lines.push_back("alert: " + a);
  return lines;
}

}  // namespace dai::rca
