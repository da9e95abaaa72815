#include "engines/postmortem/postmortem.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

namespace dai::postmortem {
namespace {

// Markdown-safe one-line text: table cells and list items cannot break the structure.
std::string Cell(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out.size() > 500 ? out.substr(0, 497) + "..." : out;
}

std::string Time(TimePoint t) { return FormatIso8601(t); }

}  // namespace

std::string FormatDuration(Millis d) {
  int64_t s = std::max<int64_t>(0, d.count() / 1000);
  const int64_t days = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60, sec = s % 60;
  std::string out;
  if (days) out += std::to_string(days) + "d ";
  if (days || h) out += std::to_string(h) + "h ";
  if (days || h || m) out += std::to_string(m) + "m";
  if (!days && !h) out += (m ? " " : "") + std::to_string(sec) + "s";
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Render(const IncidentFacts& f, TimePoint now) {
  std::ostringstream md;
  const TimePoint end = f.resolved_at.value_or(now);
  const Millis duration = std::chrono::duration_cast<Millis>(end - f.detected_at);
  std::optional<TimePoint> first_alert;
  for (const auto& a : f.alerts) {
    if (!first_alert || a.starts_at < *first_alert) first_alert = a.starts_at;
  }
  std::set<std::string> services(f.affected_services.begin(), f.affected_services.end());
  for (const auto& a : f.alerts) {
    if (!a.service.empty()) services.insert(a.service);
  }

  md << "# Post-mortem: " << Cell(f.title) << "\n\n";
  md << "*Incident #" << f.id << " · severity " << f.severity << " · status " << f.status
     << " · generated " << Time(now)
     << " from the incident's record; edit freely (edits are kept as a separate revision).*\n\n";

  md << "## Summary\n\n";
  md << (f.description.empty() ? Cell(f.title) : Cell(f.description)) << ". ";
  md << "The incident was detected at " << Time(f.detected_at);
  if (f.resolved_at)
    md << " and resolved at " << Time(*f.resolved_at) << " after " << FormatDuration(duration);
  else
    md << " and is not resolved yet (open for " << FormatDuration(duration) << ")";
  md << "; " << f.alerts.size() << " alert" << (f.alerts.size() == 1 ? "" : "s")
     << " were grouped into it.\n\n";

  md << "## Impact\n\n";
  md << "| | |\n|---|---|\n";
  md << "| Duration | " << FormatDuration(duration) << (f.resolved_at ? "" : " (ongoing)")
     << " |\n";
  md << "| Affected services | ";
  if (services.empty()) md << "none recorded";
  bool first = true;
  for (const auto& s : services) {
    md << (first ? "" : ", ") << Cell(s);
    first = false;
  }
  md << " |\n";
  if (first_alert) md << "| First alert fired | " << Time(*first_alert) << " |\n";
  md << "| Detected | " << Time(f.detected_at) << " |\n";
  if (first_alert && *first_alert <= f.detected_at) {
    md << "| Time to detect | "
       << FormatDuration(std::chrono::duration_cast<Millis>(f.detected_at - *first_alert))
       << " |\n";
  }
  if (f.acknowledged_at) {
    md << "| Acknowledged | " << Time(*f.acknowledged_at)
       << (f.acknowledged_by.empty() ? "" : " by " + Cell(f.acknowledged_by)) << " |\n";
    md << "| MTTA (time to acknowledge) | "
       << FormatDuration(std::chrono::duration_cast<Millis>(*f.acknowledged_at - f.detected_at))
       << " |\n";
  } else {
    md << "| Acknowledged | never |\n";
  }
  if (f.resolved_at) {
    md << "| Resolved | " << Time(*f.resolved_at) << " |\n";
    md << "| MTTR (time to resolve) | " << FormatDuration(duration) << " |\n";
  }
  md << "| Reopened | " << f.reopen_count << " time" << (f.reopen_count == 1 ? "" : "s")
     << (f.flapping ? " (flapping)" : "") << " |\n\n";

  md << "## Timeline\n\n";
  if (f.timeline.empty()) md << "No actions were recorded.\n";
  md << (f.timeline.empty() ? "" : "| Time (UTC) | Event | By | What |\n|---|---|---|---|\n");
  for (const auto& t : f.timeline) {
    md << "| " << Time(t.at) << " | " << Cell(t.type) << " | "
       << Cell(t.actor.empty() ? "system" : t.actor) << (t.automated ? " (automated)" : "") << " | "
       << Cell(t.description) << " |\n";
  }
  md << "\n";

  md << "## Root cause\n\n";
  if (!f.root_cause.empty()) md << Cell(f.root_cause) << "\n\n";
  if (!f.causes.empty()) {
    md << "Ranked candidate causes:\n\n";
    for (size_t i = 0; i < f.causes.size() && i < 5; ++i) {
      const auto& c = f.causes[i];
      char score[32];
      std::snprintf(score, sizeof score, "%.2f", c.score);
      md << i + 1 << ". **" << Cell(c.service) << "** (score " << score << ")\n";
      for (const auto& e : c.evidence) md << "   - " << Cell(e) << "\n";
    }
    md << "\n";
  }
  if (f.root_cause.empty() && f.causes.empty())
    md << "_Not determined yet._ Fill in the cause and its evidence.\n\n";
  if (!f.alerts.empty()) {
    md << "Alerts (evidence):\n\n| Alert | Severity | Service | Fired | Ended | Received "
          "|\n|---|---|---|---|---|---|\n";
    for (const auto& a : f.alerts) {
      md << "| " << Cell(a.alertname) << " | " << a.severity << " | "
         << Cell(a.service.empty() ? "-" : a.service) << " | " << Time(a.starts_at) << " | "
         << (a.ends_at ? Time(*a.ends_at) : "firing") << " | " << a.receive_count << " |\n";
    }
    md << "\n";
  }

  md << "## What was done\n\n";
  int runs = 0;
  for (const auto& e : f.executions) {
    ++runs;
    md << "- Runbook **" << Cell(e.runbook) << "**" << (e.dry_run ? " (dry run)" : "") << ": "
       << e.status;
    if (!e.triggered_by.empty()) md << ", started by " << Cell(e.triggered_by);
    if (e.started_at && e.completed_at) {
      md << ", took "
         << FormatDuration(std::chrono::duration_cast<Millis>(*e.completed_at - *e.started_at));
    }
    if (!e.error.empty()) md << " — " << Cell(e.error);
    md << "\n";
  }
  int manual = 0;
  for (const auto& t : f.timeline) {
    if (t.type == "healing_action") md << "- Healing: " << Cell(t.description) << "\n";
    if (!t.automated && (t.type == "comment" || t.type == "status_change" || t.type == "resolve" ||
                         t.type == "acknowledge"))
      ++manual;
  }
  if (runs == 0) md << "- No runbook was executed.\n";
  md << "- " << manual << " manual action" << (manual == 1 ? "" : "s")
     << " recorded on the timeline.\n\n";

  // Rules behind "went well / poorly" and the action items (each line says its reason).
  std::vector<std::string> well, poorly, items;
  if (f.acknowledged_at) {
    const Millis mtta = std::chrono::duration_cast<Millis>(*f.acknowledged_at - f.detected_at);
    (mtta <= Millis(5 * 60'000) ? well : poorly)
        .push_back("Acknowledged after " + FormatDuration(mtta) + " (target: 5m).");
  } else {
    poorly.push_back("Nobody acknowledged the incident.");
    items.push_back("Check the paging/notification route for severity " + f.severity +
                    ": the incident was never acknowledged.");
  }
  if (f.resolved_at) {
    (duration <= Millis(60 * 60'000) ? well : poorly)
        .push_back("Resolved after " + FormatDuration(duration) + " (target: 1h).");
  }
  int succeeded = 0, failed = 0;
  for (const auto& e : f.executions) {
    if (e.dry_run) continue;
    if (e.status == "succeeded") ++succeeded;
    if (e.status == "failed") {
      ++failed;
      items.push_back("Fix runbook \"" + e.runbook + "\", which failed" +
                      (e.error.empty() ? "" : ": " + e.error) + ".");
    }
  }
  if (succeeded) well.push_back(std::to_string(succeeded) + " runbook execution(s) succeeded.");
  if (failed) poorly.push_back(std::to_string(failed) + " runbook execution(s) failed.");
  if (f.executions.empty())
    items.push_back("Write a runbook for this kind of incident (none ran).");
  if (f.flapping || f.reopen_count > 0) {
    poorly.push_back("The incident reopened " + std::to_string(f.reopen_count) + " time(s)" +
                     (f.flapping ? " and was flapping." : "."));
    items.push_back("Tune the alert thresholds or 'for' durations: the alerts flapped.");
  }
  int noisy = 0;
  for (const auto& a : f.alerts) noisy += a.receive_count > 50 ? 1 : 0;
  if (noisy)
    items.push_back(std::to_string(noisy) +
                    " alert(s) were received more than 50 times: review their repeat intervals.");
  if (f.root_cause.empty() && f.causes.empty())
    items.push_back("Record the root cause and its evidence.");
  if (well.empty()) well.push_back("_Nothing recorded; add what helped._");
  if (poorly.empty()) poorly.push_back("_Nothing recorded; add what hurt._");

  md << "## What went well\n\n";
  for (const auto& w : well) md << "- " << w << "\n";
  md << "\n## What went poorly\n\n";
  for (const auto& p : poorly) md << "- " << p << "\n";
  md << "\n## Action items\n\n";
  for (const auto& i : items) md << "- [ ] " << Cell(i) << "\n";
  if (items.empty()) md << "- [ ] _None derived; add the follow-ups agreed in the review._\n";
  return md.str();
}

Json FactsJson(const IncidentFacts& f, TimePoint now, size_t max_timeline) {
  const TimePoint end = f.resolved_at.value_or(now);
  Json causes = Json::array();
  for (const auto& c : f.causes) {
    causes.push_back({{"service", c.service}, {"score", c.score}, {"evidence", c.evidence}});
  }
  Json timeline = Json::array();
  const size_t first = f.timeline.size() > max_timeline ? f.timeline.size() - max_timeline : 0;
  for (size_t i = first; i < f.timeline.size(); ++i) {
    const auto& t = f.timeline[i];
    timeline.push_back({{"at", FormatIso8601(t.at)},
                        {"type", t.type},
                        {"actor", t.actor},
                        {"automated", t.automated},
                        {"description", t.description}});
  }
  Json alerts = Json::array();
  for (const auto& a : f.alerts) {
    alerts.push_back({{"alertname", a.alertname},
                      {"severity", a.severity},
                      {"service", a.service},
                      {"startsAt", FormatIso8601(a.starts_at)},
                      {"endsAt", a.ends_at ? Json(FormatIso8601(*a.ends_at)) : Json(nullptr)},
                      {"received", a.receive_count}});
  }
  Json executions = Json::array();
  for (const auto& e : f.executions) {
    executions.push_back({{"runbook", e.runbook},
                          {"status", e.status},
                          {"dryRun", e.dry_run},
                          {"triggeredBy", e.triggered_by},
                          {"error", e.error}});
  }
  return Json{
      {"incident",
       {{"id", f.id},
        {"title", f.title},
        {"description", f.description},
        {"severity", f.severity},
        {"status", f.status},
        {"affectedServices", f.affected_services},
        {"detectedAt", FormatIso8601(f.detected_at)},
        {"acknowledgedAt", f.acknowledged_at ? Json(FormatIso8601(*f.acknowledged_at)) : Json()},
        {"resolvedAt", f.resolved_at ? Json(FormatIso8601(*f.resolved_at)) : Json(nullptr)},
        {"duration", FormatDuration(std::chrono::duration_cast<Millis>(end - f.detected_at))},
        {"reopenCount", f.reopen_count},
        {"flapping", f.flapping},
        {"statedRootCause", f.root_cause}}},
      {"rankedCauses", causes},
      {"timeline", timeline},
      {"timelineEntriesOmitted", first},
      {"alerts", alerts},
      {"runbookExecutions", executions}};
}

std::string WithNarrative(const std::string& document, const std::string& narrative,
                          const std::string& model) {
  std::string name = Cell(model);
  for (char& c : name) {
    if (c == '`') c = '\'';
  }
  std::string section = "## Narrative\n\n*Written by the LLM `" + name +
                        "` from the incident's record; the sections after this one are generated "
                        "from the record itself.*\n\n" +
                        narrative + "\n\n";
  // After the title and the italic header line (the first blank line after the header).
  size_t at = document.find("\n\n");
  if (at != std::string::npos) at = document.find("\n\n", at + 2);
  if (at == std::string::npos) return document + "\n" + section;
  return document.substr(0, at + 2) + section + document.substr(at + 2);
}

}  // namespace dai::postmortem
