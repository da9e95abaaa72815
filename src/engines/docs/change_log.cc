#include "engines/docs/change_log.h"

#include <algorithm>
#include <map>

namespace dai::docs {

std::string BuildChangeLog(std::vector<ChangeEntry> entries, const std::string& from,
                           const std::string& to, const std::string& service) {
  std::string md = "# Change log " + from.substr(0, 10) + " – " + to.substr(0, 10);
  if (!service.empty()) md += " (" + service + ")";
  md += "\n\n";
  entries.erase(
      std::remove_if(entries.begin(), entries.end(),
                     [&](const ChangeEntry& e) {
                       return e.at < from || e.at >= to ||
                              (!service.empty() && e.service != service && !e.service.empty());
                     }),
      entries.end());
  if (entries.empty()) return md + "No changes recorded in this period.\n";
  std::stable_sort(entries.begin(), entries.end(),
                   [](const ChangeEntry& a, const ChangeEntry& b) { return a.at < b.at; });
  std::map<std::string, std::map<std::string, std::vector<const ChangeEntry*>>, std::greater<>>
      days;
  for (const auto& e : entries) days[e.at.substr(0, 10)][e.service].push_back(&e);
  int counts[3] = {0, 0, 0};
  for (const auto& e : entries)
    counts[e.kind == "release" ? 0 : e.kind == "infrastructure" ? 1 : 2]++;
  md += std::to_string(counts[0]) + " release(s), " + std::to_string(counts[1]) +
        " infrastructure change(s), " + std::to_string(counts[2]) + " configuration change(s).\n\n";
  for (const auto& [day, services] : days) {
    md += "## " + day + "\n\n";
    for (const auto& [svc, list] : services) {
      md += "### " + (svc.empty() ? std::string("Platform") : svc) + "\n\n";
      for (const ChangeEntry* e : list) {
        md += "- " + e->at.substr(11, 5) + " **" + e->kind + "**: " + e->title;
        if (!e->source.empty()) md += " (" + e->source + ")";
        md += "\n";
        if (!e->detail.empty()) {
          std::string indented;
          size_t pos = 0;
          while (pos < e->detail.size()) {
            size_t eol = e->detail.find('\n', pos);
            if (eol == std::string::npos) eol = e->detail.size();
            indented += "  " + e->detail.substr(pos, eol - pos) + "\n";
            pos = eol + 1;
          }
          md += indented;
        }
      }
      md += "\n";
    }
  }
  return md;
}

}  // namespace dai::docs
