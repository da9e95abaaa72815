#include "engines/sbom/dependency_paths.h"

#include <algorithm>
#include <deque>
#include <map>

namespace dai::sbom {

std::vector<std::vector<size_t>> DependencyPaths(const std::vector<Package>& packages) {
  const size_t n = packages.size();
  std::vector<std::vector<size_t>> out(n);
  // (location, name) -> indexes; (location, name@version) -> index.
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_name;
  std::map<std::pair<std::string, std::string>, size_t> by_id;
  for (size_t i = 0; i < n; ++i) {
    const auto& p = packages[i];
    by_name[{p.location, p.name}].push_back(i);
    by_id.emplace(std::make_pair(p.location, p.name + "@" + p.version), i);
  }
  auto targets = [&](size_t from, const std::string& edge) {
    const std::string& loc = packages[from].location;
    if (auto it = by_id.find({loc, edge}); it != by_id.end())
      return std::vector<size_t>{it->second};
    // "name@range" or "name@version" not present: by name (a leading '@' is a scope).
    const size_t at = edge.rfind('@');
    const std::string name = at != std::string::npos && at > 0 ? edge.substr(0, at) : edge;
    if (auto it = by_name.find({loc, name}); it != by_name.end()) return it->second;
    if (auto it = by_name.find({loc, edge}); it != by_name.end()) return it->second;
    return std::vector<size_t>{};
  };
  std::vector<size_t> parent(n, n);
  std::vector<bool> seen(n, false);
  std::deque<size_t> queue;
  auto start = [&](size_t i) {
    if (seen[i]) return;
    seen[i] = true;
    queue.push_back(i);
  };
  for (size_t i = 0; i < n; ++i)
    if (packages[i].relationship == Relationship::kDirect) start(i);
  for (size_t i = 0; i < n; ++i)
    if (packages[i].relationship == Relationship::kRoot ||
        packages[i].relationship == Relationship::kWorkspace)
      for (const auto& d : packages[i].depends_on)
        for (size_t t : targets(i, d))
          if (packages[t].relationship != Relationship::kRoot &&
              packages[t].relationship != Relationship::kWorkspace)
            start(t);
  // Files that do not mark direct dependencies (Cargo.lock, poetry.lock): the packages nothing
  // depends on start the chains (for Cargo the workspace crates, for poetry the direct ones).
  std::map<std::string, bool> marked, has_edges;
  std::vector<bool> depended(n, false);
  for (size_t i = 0; i < n; ++i) {
    const auto r = packages[i].relationship;
    marked[packages[i].location] = marked[packages[i].location] || r == Relationship::kDirect ||
                                   r == Relationship::kRoot || r == Relationship::kWorkspace;
    if (!packages[i].depends_on.empty()) has_edges[packages[i].location] = true;
    for (const auto& d : packages[i].depends_on)
      for (size_t t : targets(i, d))
        if (t != i) depended[t] = true;
  }
  for (size_t i = 0; i < n; ++i)
    if (!marked[packages[i].location] && has_edges[packages[i].location] && !depended[i]) start(i);
  while (!queue.empty()) {
    const size_t i = queue.front();
    queue.pop_front();
    for (const auto& d : packages[i].depends_on)
      for (size_t t : targets(i, d)) {
        if (seen[t]) continue;
        seen[t] = true;
        parent[t] = i;
        queue.push_back(t);
      }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!seen[i]) continue;
    for (size_t c = i; c != n; c = parent[c]) out[i].push_back(c);
    std::reverse(out[i].begin(), out[i].end());
  }
  return out;
}

std::string DependencyPathText(const std::vector<Package>& packages,
                               const std::vector<size_t>& path) {
  std::string out;
  for (size_t i : path) {
    if (!out.empty()) out += " > ";
    out += packages[i].name + "@" + packages[i].version;
  }
  return out;
}

}  // namespace dai::sbom
