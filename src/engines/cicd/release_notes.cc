#include "engines/cicd/release_notes.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace dai::cicd {

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

bool IsTypeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

}  // namespace

ParsedCommit ParseConventionalCommit(const CommitInfo& c) {
  ParsedCommit p;
  p.sha = c.sha;
  p.author = c.author;
  std::string subject = c.message.substr(0, c.message.find('\n'));
  subject = Trim(subject);
  std::string body =
      c.message.find('\n') == std::string::npos ? "" : c.message.substr(c.message.find('\n') + 1);
  // type(scope)!: subject  — hand-parsed (bounded, no regex backtracking on long lines).
  size_t i = 0;
  while (i < subject.size() && IsTypeChar(subject[i])) ++i;
  size_t type_end = i;
  std::string scope;
  bool ok = type_end > 0;
  if (ok && i < subject.size() && subject[i] == '(') {
    size_t close = subject.find(')', i);
    if (close == std::string::npos || close - i - 1 == 0 || close - i > 100)
      ok = false;
    else {
      scope = subject.substr(i + 1, close - i - 1);
      i = close + 1;
    }
  }
  bool bang = false;
  if (ok && i < subject.size() && subject[i] == '!') {
    bang = true;
    ++i;
  }
  if (ok && i + 1 < subject.size() && subject[i] == ':' && subject[i + 1] == ' ') {
    p.conventional = true;
    p.type = subject.substr(0, type_end);
    std::transform(p.type.begin(), p.type.end(), p.type.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    p.scope = scope;
    p.subject = Trim(subject.substr(i + 2));
    p.breaking = bang;
  } else {
    p.subject = subject;
  }
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    for (const char* key : {"BREAKING CHANGE:", "BREAKING-CHANGE:"}) {
      if (line.rfind(key, 0) == 0) {
        p.breaking = true;
        p.breaking_note = Trim(line.substr(std::string(key).size()));
      }
    }
  }
  static const std::regex kRef(R"((?:^|[\s(,])((?:[\w.-]+/[\w.-]+)?#\d{1,7}|GH-\d{1,7}))");
  std::set<std::string> refs;
  std::string all = subject + "\n" + body;
  if (all.size() > 20000) all.resize(20000);
  for (std::sregex_iterator it(all.begin(), all.end(), kRef), end; it != end; ++it)
    refs.insert((*it)[1]);
  p.refs.assign(refs.begin(), refs.end());
  return p;
}

ReleaseNotes BuildReleaseNotes(const std::vector<CommitInfo>& commits, const std::string& title) {
  ReleaseNotes notes;
  std::vector<ParsedCommit> breaking, features, fixes, others;
  std::set<std::string> authors;
  for (const auto& c : commits) {
    if (c.message.rfind("Merge ", 0) == 0) continue;
    ParsedCommit p = ParseConventionalCommit(c);
    if (!p.author.empty()) authors.insert(p.author);
    if (p.breaking) breaking.push_back(p);
    if (p.type == "feat")
      features.push_back(p);
    else if (p.type == "fix" || p.type == "perf")
      fixes.push_back(p);
    else if (!p.breaking)
      others.push_back(p);
  }
  auto line = [](const ParsedCommit& p, bool use_note) {
    std::string s = "- ";
    if (!p.scope.empty()) s += "**" + p.scope + ":** ";
    s += use_note && !p.breaking_note.empty() ? p.breaking_note : p.subject;
    for (const auto& r : p.refs) s += " (" + r + ")";
    if (!p.sha.empty()) s += " (" + p.sha.substr(0, 7) + ")";
    if (!p.author.empty()) s += " — " + p.author;
    return s + "\n";
  };
  std::ostringstream md;
  md << "# " << (title.empty() ? "Release notes" : title) << "\n\n";
  md << commits.size() << " commits: " << features.size() << " features, " << fixes.size()
     << " fixes, " << breaking.size() << " breaking changes, by " << authors.size() << " author"
     << (authors.size() == 1 ? "" : "s") << ".\n";
  auto section = [&](const char* heading, const std::vector<ParsedCommit>& items, bool use_note) {
    if (items.empty()) return;
    md << "\n## " << heading << "\n\n";
    // Grouped by scope, unscoped first, stable within a scope.
    std::vector<ParsedCommit> sorted = items;
    std::stable_sort(
        sorted.begin(), sorted.end(),
        [](const ParsedCommit& a, const ParsedCommit& b) { return a.scope < b.scope; });
    for (const auto& p : sorted) md << line(p, use_note);
  };
  section("Breaking changes", breaking, true);
  section("Features", features, false);
  section("Fixes", fixes, false);
  section("Other changes", others, false);
  if (!authors.empty()) {
    md << "\n## Authors\n\n";
    for (const auto& a : authors) md << "- " << a << "\n";
  }
  notes.markdown = md.str();
  notes.features = static_cast<int>(features.size());
  notes.fixes = static_cast<int>(fixes.size());
  notes.breaking = static_cast<int>(breaking.size());
  notes.other = static_cast<int>(others.size());
  notes.authors.assign(authors.begin(), authors.end());
  return notes;
}

std::vector<Optimization> SuggestOptimizations(const Pipeline& pipeline,
                                               const std::vector<StepTiming>& timings,
                                               const std::vector<FlakinessReport>& flaky) {
  std::vector<Optimization> out;
  std::map<std::string, std::vector<double>> per_step;
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> step_info;
  for (const auto& t : timings) {
    std::string key = t.job + "/" + t.step;
    per_step[key].push_back(t.duration_ms);
    step_info[key] = {t.job, t.argv};
  }
  std::vector<std::pair<double, std::string>> medians;
  double total = 0;
  for (auto& [key, v] : per_step) {
    std::sort(v.begin(), v.end());
    double med = v[v.size() / 2];
    medians.emplace_back(med, key);
    total += med;
  }
  std::sort(medians.rbegin(), medians.rend());
  for (size_t i = 0; i < medians.size() && i < 3; ++i) {
    if (total <= 0 || medians[i].first / total < 0.25) break;
    out.push_back({"step_removal", "Slow step: " + medians[i].second,
                   "Median " + std::to_string(static_cast<int64_t>(medians[i].first)) + " ms, " +
                       std::to_string(static_cast<int>(100 * medians[i].first / total)) +
                       "% of the pipeline's step time; split it or run only what a change needs.",
                   medians[i].first / 1000.0 * 0.3, 0.4});
  }
  static const std::set<std::string> kInstall = {"ci", "install"};
  for (const auto& job : pipeline.jobs) {
    if (!job.caches.empty()) continue;
    for (const auto& s : job.steps) {
      bool install = s.argv.size() >= 2 && kInstall.count(s.argv[1]) &&
                     (s.argv[0] == "npm" || s.argv[0] == "yarn" || s.argv[0] == "pnpm" ||
                      s.argv[0] == "poetry");
      install = install || (s.argv.size() >= 4 && s.argv[1] == "-m" && s.argv[2] == "pip" &&
                            s.argv[3] == "install");
      if (!install) continue;
      std::string key = job.id + "/" + s.name;
      double med = per_step.count(key) ? per_step[key][per_step[key].size() / 2] : 0;
      out.push_back({"caching", "Cache dependencies of job " + job.id,
                     "'" + ShellQuote(s.argv) + "' runs on every run without a cache.",
                     med / 1000.0 * 0.7, 0.7});
    }
  }
  // Jobs whose needs carry no data (our runner passes no artifacts between jobs) could start at
  // once; the saving is the time they wait for their needs.
  std::map<std::string, double> job_time;
  for (const auto& t : timings) job_time[t.job] += t.duration_ms;
  for (const auto& job : pipeline.jobs) {
    if (job.needs.empty()) continue;
    double wait = 0;
    for (const auto& n : job.needs) wait = std::max(wait, job_time[n]);
    size_t runs = std::max<size_t>(1, timings.empty() ? 1 : per_step.begin()->second.size());
    out.push_back(
        {"parallelization", "Run job " + job.id + " in parallel with its needs",
         "It needs " + std::to_string(job.needs.size()) +
             " job(s) but consumes no artifact from them; gate only the deploy step on them.",
         wait / static_cast<double>(runs) / 1000.0, 0.5});
  }
  for (const auto& f : flaky) {
    if (!f.is_flaky) continue;
    out.push_back({"flaky_test", "Quarantine flaky test " + f.test,
                   "Flip rate " + std::to_string(static_cast<int>(f.flip_rate * 100)) + "%" +
                       (f.mixed_on_commit ? ", failed and passed on the same commit" : "") + ".",
                   f.avg_duration_ms / 1000.0, std::min(0.95, 0.5 + f.flaky_score / 2)});
  }
  return out;
}

Json ReleaseNotesFacts(const std::vector<CommitInfo>& commits, const ReleaseNotes& notes,
                       size_t max_commits) {
  Json list = Json::array();
  for (const auto& c : commits) {
    if (list.size() >= max_commits) break;
    if (c.message.rfind("Merge ", 0) == 0) continue;
    const ParsedCommit p = ParseConventionalCommit(c);
    list.push_back({{"type", p.type},
                    {"scope", p.scope},
                    {"subject", p.subject},
                    {"breaking", p.breaking},
                    {"breakingNote", p.breaking_note},
                    {"refs", p.refs}});
  }
  return Json{{"features", notes.features},
              {"fixes", notes.fixes},
              {"breaking", notes.breaking},
              {"other", notes.other},
              {"authorCount", notes.authors.size()},
              {"commits", list},
              {"commitsOmitted", commits.size() > max_commits ? commits.size() - max_commits : 0}};
}

std::string WithSummary(const std::string& markdown, const std::string& summary,
                        const std::string& model) {
  std::string name = model;
  for (char& c : name) {
    if (c == '`' || c == '\n' || c == '\r') c = '\'';
  }
  const std::string section = "## Summary\n\n*Written by the LLM `" + name +
                              "` from the commits below; the sections after this one are "
                              "generated from the commits themselves.*\n\n" +
                              summary + "\n\n";
  const size_t at = markdown.find("\n\n");  // after the "# title" line
  if (at == std::string::npos) return markdown + "\n" + section;
  return markdown.substr(0, at + 2) + section + markdown.substr(at + 2);
}

}  // namespace dai::cicd
