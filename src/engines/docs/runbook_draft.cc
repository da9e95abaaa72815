#include "engines/docs/runbook_draft.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "engines/runbook/runbook.h"

namespace dai::docs {
namespace {

const std::set<std::string> kStopwords = {
    "the", "a",   "an",  "and", "or",  "of",   "to",   "in",   "on",   "for",  "is",
    "was", "by",  "at",  "it",  "be",  "as",   "with", "from", "this", "that", "after",
    "due", "has", "had", "not", "too", "high", "low",  "when", "were", "are"};
const std::set<std::string> kVolatileLabels = {
    "instance", "pod", "container", "fingerprint", "id", "uid", "pod_name", "endpoint", "ip"};

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (cur.size() > 2 && !kStopwords.count(cur) &&
        !std::any_of(cur.begin(), cur.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      out.push_back(cur);
    cur.clear();
  };
  for (char c : text.substr(0, 4096)) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else
      flush();
  }
  flush();
  return out;
}

std::string Slug(const std::string& s, size_t max) {
  std::string out;
  for (char c : s) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9'))
      out += l;
    else if (!out.empty() && out.back() != '-')
      out += '-';
    if (out.size() >= max) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

//! Text that may go into a runbook string: parameters are {{name}}, so braces are broken up.
std::string Literal(std::string s) {
  size_t p;
  while ((p = s.find("{{")) != std::string::npos) s.replace(p, 2, "{ {");
  while ((p = s.find("}}")) != std::string::npos) s.replace(p, 2, "} }");
  if (s.size() > 1000) s.resize(1000);
  return s;
}

std::string DetailStr(const Json& details, const char* key) {
  if (!details.is_object()) return "";
  auto it = details.find(key);
  return it != details.end() && it->is_string() ? it->get<std::string>() : "";
}

struct Candidate {
  std::string key;
  Json step;  // without a name
  std::string summary;
};

std::vector<std::string> CommandsInNote(const std::string& note) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < note.size() && out.size() < 20) {
    size_t eol = note.find('\n', pos);
    if (eol == std::string::npos) eol = note.size();
    std::string line = note.substr(pos, eol - pos);
    pos = eol + 1;
    size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 2, "$ ") == 0) {
      std::string cmd = line.substr(first + 2);
      while (!cmd.empty() && (cmd.back() == '\r' || cmd.back() == ' ')) cmd.pop_back();
      if (!cmd.empty()) out.push_back(cmd);
      continue;
    }
    size_t tick = 0;
    while ((tick = line.find('`', tick)) != std::string::npos) {
      size_t end = line.find('`', tick + 1);
      if (end == std::string::npos) break;
      std::string span = line.substr(tick + 1, end - tick - 1);
      tick = end + 1;
      // A command: at least two words, the first a plain executable name or path.
      size_t sp = span.find(' ');
      if (sp == std::string::npos || sp == 0) continue;
      std::string exe = span.substr(0, sp);
      if (std::all_of(exe.begin(), exe.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' ||
                   c == '_' || c == '-';
          }))
        out.push_back(span);
    }
  }
  return out;
}

std::vector<Candidate> ActionsBeforeResolution(const IncidentRecord& inc) {
  std::vector<Candidate> out;
  for (const TimelineEntry& e : inc.timeline) {
    if (e.type == "resolve" ||
        (e.type == "status_change" && e.description.find("resolved") != std::string::npos &&
         DetailStr(e.details, "to") == "resolved"))
      break;
    if (e.status == "failed") continue;
    if (e.type == "runbook_execution") {
      std::string name = DetailStr(e.details, "runbook");
      if (name.empty()) {
        const std::string marker = "Runbook ";
        if (e.description.rfind(marker, 0) == 0) {
          size_t sp = e.description.find(' ', marker.size());
          std::string rest = sp == std::string::npos ? "" : e.description.substr(sp + 1);
          if (rest.rfind("succeeded", 0) == 0)
            name = e.description.substr(marker.size(), sp - marker.size());
        }
      }
      if (name.empty() || Slug(name, 200) != name) continue;
      out.push_back({"runbook:" + name, Json{{"runbook", name}}, "Run runbook " + name});
    } else if (e.type == "healing_action") {
      std::string action = DetailStr(e.details, "action");
      std::string target = DetailStr(e.details, "target");
      if (action.empty()) continue;
      out.push_back(
          {"healing:" + action + ":" + target,
           Json{{"healing", Json{{"action", Literal(action)}, {"target", Literal(target)}}}},
           "Healing: " + action + (target.empty() ? "" : " " + target)});
    } else if (e.type == "comment") {
      for (const std::string& cmd : CommandsInNote(e.description)) {
        auto argv = SplitCommand(cmd);
        std::string key = "command:" + cmd;
        if (argv.ok() && !argv->empty() && (*argv)[0][0] == '/' && argv->size() <= 64) {
          Json a = Json::array();
          for (auto& arg : *argv) a.push_back(Literal(arg));
          out.push_back({key, Json{{"command", Json{{"argv", a}}}}, "$ " + cmd});
        } else {
          out.push_back({key, Json{{"approval", Literal("Run by hand and confirm: " + cmd)}},
                         "$ " + cmd + " (by hand)"});
        }
      }
    }
  }
  // One incident contributes each action once, at its first position.
  std::vector<Candidate> unique;
  std::set<std::string> seen;
  for (auto& c : out)
    if (seen.insert(c.key).second) unique.push_back(std::move(c));
  return unique;
}

}  // namespace

Result<std::vector<std::string>> SplitCommand(const std::string& line) {
  std::vector<std::string> argv;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == quote)
        quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < line.size())
        cur += line[++i];
      else
        cur += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
      continue;
    }
    if (c == '|' || c == ';' || c == '&' || c == '>' || c == '<' || c == '`' || c == '*' ||
        c == '?' || c == '~' ||
        (c == '$' && i + 1 < line.size() && (line[i + 1] == '(' || line[i + 1] == '{')))
      return Status::InvalidArgument("command needs a shell (" + std::string(1, c) + ")");
    if (c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      in_word = true;
      continue;
    }
    if (c == ' ' || c == '\t') {
      if (in_word) argv.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    cur += c;
    in_word = true;
  }
  if (quote != 0) return Status::InvalidArgument("command has an unclosed quote");
  if (in_word) argv.push_back(std::move(cur));
  if (argv.empty()) return Status::InvalidArgument("empty command");
  return argv;
}

std::map<std::string, double> IncidentSignature(const IncidentRecord& inc) {
  std::map<std::string, double> sig;
  for (const auto& a : inc.alertnames)
    if (!a.empty()) sig["alert:" + a] = 3;
  if (inc.alertnames.empty() && inc.labels.count("alertname"))
    sig["alert:" + inc.labels.at("alertname")] = 3;
  if (!inc.service.empty()) sig["label:service=" + inc.service] = 1.5;
  for (const auto& [k, v] : inc.labels) {
    if (kVolatileLabels.count(k) || k == "alertname" || v.size() > 100) continue;
    sig["label:" + k + "=" + v] = 1;
  }
  for (const auto& w : Words(inc.root_cause)) sig["rc:" + w] = 2;
  for (const auto& w : Words(inc.title)) sig.emplace("t:" + w, 1);
  return sig;
}

double SignatureSimilarity(const std::map<std::string, double>& a,
                           const std::map<std::string, double>& b) {
  double inter = 0, uni = 0;
  auto ia = a.begin(), ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      uni += ia->second;
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      uni += ib->second;
      ++ib;
    } else {
      inter += std::min(ia->second, ib->second);
      uni += std::max(ia->second, ib->second);
      ++ia, ++ib;
    }
  }
  return uni == 0 ? 0 : inter / uni;
}

std::vector<IncidentCluster> ClusterIncidents(const std::vector<IncidentRecord>& incidents,
                                              double threshold) {
  std::vector<const IncidentRecord*> order;
  for (const auto& i : incidents) order.push_back(&i);
  std::sort(order.begin(), order.end(), [](auto* x, auto* y) { return x->id < y->id; });
  std::vector<std::map<std::string, double>> sigs;
  for (auto* i : order) sigs.push_back(IncidentSignature(*i));
  std::vector<std::vector<size_t>> clusters;
  for (size_t inc_idx = 0; inc_idx < order.size(); ++inc_idx) {
    double best = -1;
    size_t best_cluster = 0;
    for (size_t cl_idx = 0; cl_idx < clusters.size(); ++cl_idx) {
      double sum = 0;
      for (size_t member : clusters[cl_idx])
        sum += SignatureSimilarity(sigs[inc_idx], sigs[member]);
      double avg = sum / static_cast<double>(clusters[cl_idx].size());
      if (avg > best) best = avg, best_cluster = cl_idx;
    }
    if (best >= threshold)
      clusters[best_cluster].push_back(inc_idx);
    else
      clusters.push_back({inc_idx});
  }
  std::vector<IncidentCluster> out;
  for (const auto& members : clusters) {
    IncidentCluster c;
    std::map<std::string, double> shared = sigs[members[0]];
    for (size_t member : members) {
      c.incident_ids.push_back(order[member]->id);
      for (auto it = shared.begin(); it != shared.end();)
        it = sigs[member].count(it->first) ? std::next(it) : shared.erase(it);
    }
    std::vector<std::pair<double, std::string>> ranked;
    for (auto& [k, w] : shared)
      if (k.rfind("t:", 0) != 0) ranked.emplace_back(-w, k.substr(k.find(':') + 1));
    std::sort(ranked.begin(), ranked.end());
    for (size_t r = 0; r < ranked.size() && r < 3; ++r)
      c.label += (r ? ", " : "") + ranked[r].second;
    if (c.label.empty()) c.label = order[members[0]]->title.substr(0, 100);
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.incident_ids.size() > y.incident_ids.size();
  });
  return out;
}

Result<RunbookDraft> DraftRunbook(const std::vector<IncidentRecord>& incidents,
                                  const DraftOptions& options) {
  if (incidents.empty()) return Status::InvalidArgument("incidentIds: no incidents to learn from");
  RunbookDraft draft;
  std::map<std::string, DraftStep> by_key;
  std::map<std::string, std::string> summaries;
  for (const auto& inc : incidents) {
    draft.source_incidents.push_back(inc.id);
    auto actions = ActionsBeforeResolution(inc);
    for (size_t pos = 0; pos < actions.size(); ++pos) {
      auto& s = by_key[actions[pos].key];
      if (s.support == 0) s.definition = actions[pos].step;
      summaries[actions[pos].key] = actions[pos].summary;
      s.support++;
      s.position += actions.size() > 1
                        ? static_cast<double>(pos) / static_cast<double>(actions.size() - 1)
                        : 0;
      s.incidents.push_back(inc.id);
    }
  }
  if (by_key.empty())
    return Status::InvalidArgument(
        "incidentIds: none of these incidents recorded an action before its resolution (runbook, "
        "healing action or a command in a note)");
  const double n = static_cast<double>(incidents.size());
  const int need = std::max(1, static_cast<int>(std::ceil(options.min_support * n - 1e-9)));
  std::vector<std::pair<std::string, DraftStep>> kept;
  for (auto& [key, s] : by_key) {
    s.position /= s.support;
    if (s.support >= need) kept.emplace_back(key, s);
  }
  if (kept.empty()) {  // nothing shared by enough incidents: keep the most common ones
    int best = 0;
    for (auto& [key, s] : by_key) best = std::max(best, s.support);
    for (auto& [key, s] : by_key)
      if (s.support == best) kept.emplace_back(key, s);
  }
  std::stable_sort(kept.begin(), kept.end(), [](const auto& x, const auto& y) {
    if (x.second.position != y.second.position) return x.second.position < y.second.position;
    return x.second.support > y.second.support;
  });
  if (kept.size() > 98) kept.resize(98);
  // Trigger: labels every incident shared (volatile ones excluded), and their severities.
  std::map<std::string, std::string> common = incidents[0].labels;
  std::set<std::string> severities;
  for (const auto& inc : incidents) {
    for (auto it = common.begin(); it != common.end();) {
      auto f = inc.labels.find(it->first);
      bool keep =
          f != inc.labels.end() && f->second == it->second && !kVolatileLabels.count(it->first);
      it = keep ? std::next(it) : common.erase(it);
    }
    if (!inc.severity.empty()) severities.insert(inc.severity);
  }
  std::string title = options.title;
  if (title.empty()) {
    auto it = common.find("alertname");
    title = it != common.end() ? "Respond to " + it->second : "Respond to: " + incidents[0].title;
  }
  std::string name = Slug(title, 60);
  if (name.empty()) name = "learned-runbook";
  Json steps = Json::array();
  std::string md = "# " + title + "\n\n_Draft learned from " + std::to_string(incidents.size()) +
                   " past incident(s); not enabled until a person approves it._\n\n## Trigger\n\n";
  for (auto& [k, v] : common) md += "- `" + k + "` = `" + v + "`\n";
  if (!severities.empty()) {
    std::string sev;
    for (auto& s : severities) sev += (sev.empty() ? "" : ", ") + s;
    md += "- severity: " + sev + "\n";
  }
  md += "\n## Steps\n\n";
  int step_no = 0;
  for (auto& [key, s] : kept) {
    ++step_no;
    Json def = s.definition;
    std::string summary = summaries[key];
    def["name"] = Slug(summary, 50).empty() ? "step-" + std::to_string(step_no)
                                            : std::to_string(step_no) + "-" + Slug(summary, 50);
    s.definition = def;
    steps.push_back(def);
    md += std::to_string(step_no) + ". " + summary + " — seen in " + std::to_string(s.support) +
          " of " + std::to_string(incidents.size()) + " incidents\n";
    draft.steps.push_back(s);
  }
  steps.push_back(Json{{"name", "confirm-resolved"},
                       {"approval", "Confirm the incident's alerts have resolved"}});
  md += std::to_string(step_no + 1) +
        ". Confirm the incident's alerts have resolved\n\n## Learned from\n\n";
  for (int64_t id : draft.source_incidents) md += "- [[incident:" + std::to_string(id) + "]]\n";
  Json trigger = Json::object();
  if (!common.empty()) trigger["labels"] = common;
  if (!severities.empty())
    trigger["severity"] = Json(std::vector<std::string>(severities.begin(), severities.end()));
  std::string description = "Learned from incidents";
  for (int64_t id : draft.source_incidents) description += " #" + std::to_string(id);
  if (description.size() > 900) description = description.substr(0, 900) + " ...";
  draft.definition =
      Json{{"name", name},         {"description", description}, {"trigger", trigger},
           {"autoExecute", false}, {"requiresApproval", true},   {"steps", steps}};
  auto valid = runbook::ParseRunbookJson(draft.definition);
  if (!valid.ok())
    return Status::Internal("learned runbook failed validation: " + valid.status().message());
  draft.markdown = md;
  return draft;
}

}  // namespace dai::docs
