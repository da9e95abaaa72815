#include "engines/healing/decision.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace dai::healing {
namespace {

bool IsExecution(Outcome o) {
  return o == Outcome::kRunning || o == Outcome::kSucceeded || o == Outcome::kFailed;
}

std::string Seconds(Millis d) { return std::to_string((d.count() + 999) / 1000) + " s"; }

const PatternStats* FindStats(const History& h, const std::string& signature, ActionType action) {
  auto it = h.patterns.find(signature + "|" + std::string(ActionTypeName(action)));
  return it == h.patterns.end() ? nullptr : &it->second;
}

std::string Fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kExecute:
      return "execute";
    case Verdict::kDryRun:
      return "dry_run";
    case Verdict::kNeedsApproval:
      return "needs_approval";
    case Verdict::kEscalate:
      return "escalate";
    case Verdict::kSkip:
      return "skip";
  }
  return "skip";
}

double PatternStats::Confidence() const {
  if (attempts <= 0) return 0;
  const double n = attempts;
  const double p = std::clamp(static_cast<double>(successes) / n, 0.0, 1.0);
  const double z = 1.959963984540054;
  const double z2 = z * z;
  const double centre = p + z2 / (2 * n);
  const double margin = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return std::max(0.0, (centre - margin) / (1 + z2 / n));
}

PatternStats Learn(PatternStats stats, bool success, double recovery_seconds) {
  stats.attempts += 1;
  if (success) {
    stats.successes += 1;
    if (std::isfinite(recovery_seconds) && recovery_seconds >= 0)
      stats.recovery_seconds_sum += recovery_seconds;
  }
  return stats;
}

std::string Signature(const Signal& signal) {
  static const std::set<std::string> kIdentity = {"job", "service", "namespace", "deployment",
                                                  "container"};
  std::string out;
  if (signal.kind != ConditionType::kAlert) out = std::string(ConditionTypeName(signal.kind)) + ":";
  auto name = signal.labels.find("alertname");
  out += name == signal.labels.end() ? std::string("unnamed") : name->second.substr(0, 200);
  out += "{";
  bool first = true;
  for (const auto& [k, v] : signal.labels) {
    if (!kIdentity.count(k)) continue;
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + v.substr(0, 200) + "\"";
  }
  out += "}";
  return out;
}

RuleIndex::RuleIndex(std::vector<Rule> rules) : rules_(std::move(rules)) {
  for (size_t idx = 0; idx < rules_.size(); ++idx) {
    const Rule& r = rules_[idx];
    const LabelMatcher* key = nullptr;
    for (const auto& m : r.matchers) {
      if (m.name == "alertname" && m.op == LabelMatcher::Op::kEq) {
        key = &m;
        break;
      }
    }
    if (key) {
      by_alertname_[key->value].push_back(idx);
    } else {
      unindexed_.push_back(idx);
    }
  }
}

std::vector<size_t> RuleIndex::Match(const Signal& signal) const {
  std::vector<size_t> out;
  auto consider = [&](size_t idx) {
    const Rule& r = rules_[idx];
    if (!r.enabled) return;
    if (signal.rule_id != 0 && r.id != signal.rule_id) return;
    if (!(signal.requested && signal.rule_id != 0)) {
      if (r.condition != signal.kind) return;
      for (const auto& m : r.matchers) {
        if (!m.Matches(signal.labels)) return;
      }
    }
    out.push_back(idx);
  };
  if (signal.rule_id != 0) {
    for (size_t idx = 0; idx < rules_.size(); ++idx) consider(idx);
    return out;
  }
  auto name = signal.labels.find("alertname");
  if (name != signal.labels.end()) {
    auto it = by_alertname_.find(name->second);
    if (it != by_alertname_.end()) {
      for (size_t idx : it->second) consider(idx);
    }
  }
  for (size_t idx : unindexed_) consider(idx);
  std::sort(out.begin(), out.end(), [&](size_t a, size_t b) {
    if (rules_[a].priority != rules_[b].priority) return rules_[a].priority < rules_[b].priority;
    return rules_[a].id != rules_[b].id ? rules_[a].id < rules_[b].id : a < b;
  });
  return out;
}

std::vector<Decision> Decide(const RuleIndex& index, const Signal& signal, const History& history,
                             const GlobalPolicy& policy, TimePoint now) {
  std::vector<Decision> out;
  if (!signal.firing) return out;
  const std::vector<size_t> matched = index.Match(signal);
  if (matched.empty()) return out;
  const std::string signature = Signature(signal);

  // Ranking: priority first, then learned confidence of the rule's action for this symptom.
  struct Candidate {
    size_t idx;
    double confidence;
  };
  std::vector<Candidate> candidates;
  for (size_t idx : matched) {
    const PatternStats* st = FindStats(history, signature, index.rules()[idx].action);
    candidates.push_back({idx, st ? st->Confidence() : 0.0});
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const Candidate& a, const Candidate& b) {
                     const Rule& ra = index.rules()[a.idx];
                     const Rule& rb = index.rules()[b.idx];
                     if (ra.priority != rb.priority) return ra.priority < rb.priority;
                     if (a.confidence != b.confidence) return a.confidence > b.confidence;
                     return ra.id < rb.id;
                   });

  int global_executions = 0;
  for (const auto& rec : history.records) {
    if (IsExecution(rec.outcome) && rec.at > now - policy.window && rec.at <= now)
      ++global_executions;
  }
  std::map<std::string, std::string> claimed;  // target → rule that acts on it in this call

  for (const Candidate& cand : candidates) {
    const Rule& rule = index.rules()[cand.idx];
    Decision d;
    d.rule_id = rule.id;
    d.rule_name = rule.name;
    d.action = rule.action;
    d.confidence = cand.confidence;
    d.signature = signature;
    auto skip = [&](std::string why) {
      d.verdict = Verdict::kSkip;
      d.reason = std::move(why);
      out.push_back(d);
    };
    std::string why;
    auto target = rule.target.Resolve(signal.labels, &why);
    if (!target) {
      skip(why);
      continue;
    }
    d.target = *target;
    if (auto c = claimed.find(d.target); c != claimed.end()) {
      skip("rule \"" + c->second + "\" acts on target \"" + d.target +
           "\" first (priority, then learned success)");
      continue;
    }

    // History of this rule (all targets) and of this rule and target.
    std::vector<const ActionRecord*> mine;
    std::vector<const ActionRecord*> rule_all;
    for (const auto& rec : history.records) {
      if (rec.rule_id != rule.id || rec.at > now) continue;
      rule_all.push_back(&rec);
      if (rec.target == d.target) mine.push_back(&rec);
    }
    auto by_time = [](const ActionRecord* a, const ActionRecord* b) { return a->at < b->at; };
    std::stable_sort(mine.begin(), mine.end(), by_time);
    std::stable_sort(rule_all.begin(), rule_all.end(), by_time);

    bool pending = false;
    bool verifying = false;
    for (const auto* rec : mine) {
      pending = pending || rec->outcome == Outcome::kAwaitingApproval;
      verifying = verifying || (rec->outcome == Outcome::kRunning &&
                                now - rec->at < std::chrono::seconds(rule.verify_seconds));
    }
    if (pending) {
      skip("an approval for this rule and target is already pending");
      continue;
    }
    if (verifying) {
      skip("the previous action on this target is still being verified");
      continue;
    }

    // Circuit breaker: the last `breaker_failures` verified executions of the rule all failed.
    {
      int consecutive = 0;
      TimePoint last_failure{};
      for (auto it = rule_all.rbegin(); it != rule_all.rend(); ++it) {
        const Outcome o = (*it)->outcome;
        if (o == Outcome::kSucceeded) break;
        if (o == Outcome::kFailed) {
          if (consecutive == 0) last_failure = (*it)->at;
          ++consecutive;
        }
      }
      const auto reopen = last_failure + std::chrono::seconds(rule.breaker_reset_seconds);
      if (consecutive >= rule.breaker_failures && now < reopen) {
        skip("circuit breaker open: " + std::to_string(consecutive) +
             " consecutive failed executions; closes in " +
             Seconds(std::chrono::duration_cast<Millis>(reopen - now)));
        continue;
      }
    }

    // Retries within the episode (since the last success, within the retry window).
    int attempts = 0;
    bool escalated = false;
    for (const auto* rec : mine) {
      if (rec->at <= now - policy.retry_window) continue;
      if (rec->outcome == Outcome::kSucceeded) {
        attempts = 0;
        escalated = false;
        continue;
      }
      if (IsExecution(rec->outcome)) ++attempts;
      if (rec->outcome == Outcome::kEscalated) escalated = true;
    }
    d.attempt = attempts + 1;
    if (attempts >= rule.max_retries) {
      if (escalated) {
        skip("retries exhausted (" + std::to_string(attempts) + " of " +
             std::to_string(rule.max_retries) + ") and already escalated; waiting for a human");
        continue;
      }
      d.verdict = Verdict::kEscalate;
      d.reason = std::to_string(attempts) + " attempt(s) without recovery reached maxRetries (" +
                 std::to_string(rule.max_retries) + "): escalating instead of acting again";
      claimed[d.target] = rule.name;
      out.push_back(d);
      continue;
    }

    // Cooldown per rule and target.
    const ActionRecord* last_exec = nullptr;
    for (const auto* rec : mine) {
      // A dry run keeps the cooldown a real action would have, so it shows what would happen.
      if (IsExecution(rec->outcome) || rec->outcome == Outcome::kDryRun) last_exec = rec;
    }
    if (last_exec) {
      const auto until = last_exec->at + std::chrono::seconds(rule.cooldown_seconds);
      if (now < until) {
        skip("cooldown: the last action on this target was " +
             Seconds(std::chrono::duration_cast<Millis>(now - last_exec->at)) +
             " ago; next allowed in " + Seconds(std::chrono::duration_cast<Millis>(until - now)));
        continue;
      }
    }

    // Per-rule hourly limit and global blast radius.
    int hourly = 0;
    for (const auto* rec : rule_all) {
      if (IsExecution(rec->outcome) && rec->at > now - std::chrono::hours(1)) ++hourly;
    }
    if (hourly >= rule.max_executions_per_hour) {
      skip("rule limit: " + std::to_string(hourly) +
           " executions in the last hour (maxExecutionsPerHour " +
           std::to_string(rule.max_executions_per_hour) + ")");
      continue;
    }
    if (!rule.dry_run && global_executions >= policy.max_actions_per_window) {
      skip("global rate limit: " + std::to_string(global_executions) + " actions in the last " +
           Seconds(policy.window) + " (at most " + std::to_string(policy.max_actions_per_window) +
           ")");
      continue;
    }

    claimed[d.target] = rule.name;
    if (rule.dry_run) {
      d.verdict = Verdict::kDryRun;
      d.reason = "dry-run rule: the action is recorded, not performed";
      out.push_back(d);
      continue;
    }
    if (rule.requires_approval) {
      const PatternStats* st = FindStats(history, signature, rule.action);
      const bool learned = rule.auto_approve.min_confidence > 0 && st != nullptr &&
                           st->attempts >= rule.auto_approve.min_samples &&
                           cand.confidence >= rule.auto_approve.min_confidence;
      if (!learned) {
        d.verdict = Verdict::kNeedsApproval;
        d.reason = "the rule requires approval";
        if (rule.auto_approve.min_confidence > 0) {
          d.reason += " (learned confidence " + Fixed2(cand.confidence) + " from " +
                      std::to_string(st ? st->attempts : 0) + " attempt(s); auto-approval needs " +
                      Fixed2(rule.auto_approve.min_confidence) + " from " +
                      std::to_string(rule.auto_approve.min_samples) + ")";
        }
        out.push_back(d);
        continue;
      }
      d.verdict = Verdict::kExecute;
      d.reason = "auto-approved by learned success: confidence " + Fixed2(cand.confidence) +
                 " from " + std::to_string(st->attempts) + " attempt(s) (threshold " +
                 Fixed2(rule.auto_approve.min_confidence) + ")";
      ++global_executions;
      out.push_back(d);
      continue;
    }
    d.verdict = Verdict::kExecute;
    d.reason = "rule matched; attempt " + std::to_string(d.attempt) + " of " +
               std::to_string(rule.max_retries);
    ++global_executions;
    out.push_back(d);
  }
  return out;
}

Result<int> DesiredReplicas(const ScaleInput& in) {
  if (!(in.target > 0) || !std::isfinite(in.target))
    return Status::InvalidArgument("target: must be > 0");
  if (!std::isfinite(in.metric) || in.metric < 0)
    return Status::InvalidArgument("metric: must be a finite value >= 0");
  if (in.current < 0) return Status::InvalidArgument("current: must be >= 0");
  if (in.min_replicas < 0 || in.max_replicas < in.min_replicas) {
    return Status::InvalidArgument("minReplicas/maxReplicas: need 0 <= min <= max");
  }
  if (!(in.tolerance >= 0) || !std::isfinite(in.tolerance))
    return Status::InvalidArgument("tolerance: must be >= 0");
  int desired = in.current;
  if (in.current == 0) {
    desired = in.min_replicas;  // HPA does not scale from zero on a ratio; start at the floor
  } else {
    const double ratio = in.metric / in.target;
    if (std::fabs(ratio - 1.0) > in.tolerance) {
      const double raw = std::ceil(static_cast<double>(in.current) * ratio);
      desired = raw > 1e6 ? 1000000 : static_cast<int>(raw);
    }
  }
  desired = std::clamp(desired, in.min_replicas, in.max_replicas);
  if (desired < in.current) {
    // Scale-down stabilization: never below the highest recommendation in the window.
    for (int r : in.recent) desired = std::max(desired, std::min(r, in.current));
  }
  return std::clamp(desired, in.min_replicas, in.max_replicas);
}

std::vector<RuleSuggestion> SuggestRules(const std::vector<ManualFix>& fixes, int min_occurrences,
                                         const std::vector<std::string>& covered) {
  std::map<std::tuple<std::string, int, std::string>, int> counts;
  const std::set<std::string> cov(covered.begin(), covered.end());
  for (const auto& f : fixes) {
    if (cov.count(f.signature)) continue;
    ++counts[{f.signature, static_cast<int>(f.action), f.target}];
  }
  std::vector<RuleSuggestion> out;
  for (const auto& [key, n] : counts) {
    if (n < std::max(1, min_occurrences)) continue;
    out.push_back(
        {std::get<0>(key), static_cast<ActionType>(std::get<1>(key)), std::get<2>(key), n});
  }
  std::stable_sort(out.begin(), out.end(), [](const RuleSuggestion& a, const RuleSuggestion& b) {
    return a.occurrences > b.occurrences;
  });
  return out;
}

}  // namespace dai::healing
