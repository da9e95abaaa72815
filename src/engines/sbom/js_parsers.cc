// npm package-lock.json, yarn.lock and pnpm-lock.yaml.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "core/json.h"
#include "core/yaml_input.h"
#include "engines/sbom/parsers_internal.h"

namespace dai::sbom::internal {
namespace {

Package NpmPackage(std::string name, std::string version) {
  Package p;
  p.ecosystem = Ecosystem::kNpm;
  p.name = std::move(name);
  p.version = std::move(version);
  return p;
}

std::string JsonString(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

bool JsonBool(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

// ---------------------------------------------------------------- npm v1
void WalkNpmV1(const Json& deps, std::vector<Package>& out, int depth, ParseResult& result) {
  if (depth > 256) {
    result.warnings.push_back("npm: dependency tree deeper than 256 levels; truncated");
    return;
  }
  for (auto it = deps.begin(); it != deps.end(); ++it) {
    if (!it->is_object()) continue;
    std::string version = JsonString(*it, "version");
    Package p = NpmPackage(it.key(), version);
    p.dev = JsonBool(*it, "dev");
    if (auto req = it->find("requires"); req != it->end() && req->is_object())
      for (auto r = req->begin(); r != req->end(); ++r) p.depends_on.push_back(r.key());
    out.push_back(std::move(p));
    if (auto child = it->find("dependencies"); child != it->end() && child->is_object())
      WalkNpmV1(*child, out, depth + 1, result);
  }
}

// "node_modules/a/node_modules/@s/b" -> "@s/b"
std::string NpmNameFromPath(std::string_view path) {
  constexpr std::string_view kNm = "node_modules/";
  size_t pos = path.rfind(kNm);
  return std::string(pos == std::string_view::npos ? path : path.substr(pos + kNm.size()));
}

// filepath.Match-style glob: '*' and '?' do not cross '/'.
bool GlobMatch(std::string_view pattern, std::string_view s) {
  if (pattern.empty()) return s.empty();
  if (pattern[0] == '*') {
    for (size_t i = 0; i <= s.size(); ++i) {
      if (GlobMatch(pattern.substr(1), s.substr(i))) return true;
      if (i < s.size() && s[i] == '/') break;
    }
    return false;
  }
  if (s.empty()) return false;
  if (pattern[0] == '?' ? s[0] != '/' : pattern[0] == s[0])
    return GlobMatch(pattern.substr(1), s.substr(1));
  return false;
}

Result<ParseResult> ParseNpmV2(Json packages, ParseResult result) {
  Json& root = packages[""];
  if (!root.is_object()) root = Json::object();
  // Resolve links: move each link target under node_modules/<link name>.
  std::map<std::string, std::string> links;  // link path -> resolved target path
  for (auto it = packages.begin(); it != packages.end(); ++it) {
    if (!it->is_object() || !JsonBool(*it, "link")) continue;
    std::string resolved = JsonString(*it, "resolved");
    if (resolved.empty()) {
      result.warnings.push_back("npm: link " + it.key() + " has no resolved target; skipped");
      continue;
    }
    links[it.key()] = resolved;
  }
  std::vector<std::string> workspaces;
  if (auto ws = root.find("workspaces"); ws != root.end() && ws->is_array())
    for (const auto& w : *ws)
      if (w.is_string()) workspaces.push_back(w.get<std::string>());
  if (!links.empty()) {
    if (!root.contains("dependencies") || !root["dependencies"].is_object())
      root["dependencies"] = Json::object();
    std::vector<std::string> keys;
    for (auto it = packages.begin(); it != packages.end(); ++it) keys.push_back(it.key());
    for (const auto& pkg_path : keys) {
      for (const auto& [link_path, target] : links) {
        if (!StartsWith(pkg_path, target)) continue;
        Json pkg = packages[pkg_path];
        if (!pkg.is_object()) break;
        if (JsonString(pkg, "resolved").empty()) pkg["resolved"] = target;
        std::string resolved_path = link_path + pkg_path.substr(target.size());
        packages.erase(pkg_path);
        packages[resolved_path] = pkg;
        bool is_workspace =
            std::any_of(workspaces.begin(), workspaces.end(),
                        [&](const std::string& w) { return GlobMatch(w, pkg_path); });
        if (is_workspace)
          packages[""]["dependencies"][NpmNameFromPath(link_path)] = JsonString(pkg, "version");
        break;
      }
    }
  }
  const Json& root_pkg = packages[""];
  std::set<std::string> direct_paths;
  for (const char* field :
       {"dependencies", "optionalDependencies", "devDependencies", "peerDependencies"}) {
    auto deps = root_pkg.find(field);
    if (deps == root_pkg.end() || !deps->is_object()) continue;
    for (auto d = deps->begin(); d != deps->end(); ++d) {
      std::string path = "node_modules/" + d.key();
      if (packages.contains(path)) direct_paths.insert(path);
    }
  }
  std::vector<Package> out;
  for (auto it = packages.begin(); it != packages.end(); ++it) {
    if (!StartsWith(it.key(), "node_modules") || !it->is_object()) continue;
    if (JsonBool(*it, "link")) continue;  // unresolved link
    std::string name = JsonString(*it, "name");
    if (name.empty()) name = NpmNameFromPath(it.key());
    Package p = NpmPackage(name, JsonString(*it, "version"));
    p.dev = JsonBool(*it, "dev");
    p.relationship = direct_paths.count(it.key()) ? Relationship::kDirect : Relationship::kIndirect;
    for (const char* field : {"dependencies", "optionalDependencies"}) {
      auto deps = it->find(field);
      if (deps != it->end() && deps->is_object())
        for (auto d = deps->begin(); d != deps->end(); ++d) p.depends_on.push_back(d.key());
    }
    out.push_back(std::move(p));
  }
  Dedupe(out);
  result.packages = std::move(out);
  return result;
}

// ---------------------------------------------------------------- yarn
bool IgnoredYarnProtocol(std::string_view protocol) {
  static const std::set<std::string_view> kIgnored = {
      "workspace", "patch",   "file",     "link",      "portal",  "github",
      "git",       "git+ssh", "git+http", "git+https", "git+file"};
  return kIgnored.count(protocol) > 0;
}

std::string_view Unquote(std::string_view s) {
  s = TrimView(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// One yarn descriptor "name@[protocol:]range" -> name and protocol.
bool ParseYarnDescriptor(std::string_view d, std::string& name, std::string& protocol) {
  d = Unquote(d);
  if (d.empty()) return false;
  size_t at = d.find('@', d[0] == '@' ? 1 : 0);
  if (at == std::string_view::npos || at == 0) return false;
  name = std::string(d.substr(0, at));
  std::string_view rest = d.substr(at + 1);
  size_t colon = rest.find(':');
  size_t space = rest.find(' ');
  protocol = colon != std::string_view::npos && (space == std::string_view::npos || colon < space)
                 ? std::string(rest.substr(0, colon))
                 : "";
  return true;
}

}  // namespace

Result<ParseResult> ParseNpmLock(std::string_view content) {
  auto parsed = ParseJson(content);
  if (!parsed.ok()) return parsed.status().WithContext("package-lock.json");
  const Json& doc = *parsed;
  if (!doc.is_object()) return Status::InvalidArgument("package-lock.json: not a JSON object");
  ParseResult result;
  int lock_version = 1;
  if (auto lv = doc.find("lockfileVersion"); lv != doc.end() && lv->is_number_integer())
    lock_version = lv->get<int>();
  if (lock_version >= 2) {
    auto pk = doc.find("packages");
    if (pk == doc.end() || !pk->is_object())
      return Status::InvalidArgument("package-lock.json: lockfileVersion " +
                                     std::to_string(lock_version) + " without a packages object");
    return ParseNpmV2(*pk, std::move(result));
  }
  std::vector<Package> out;
  if (auto deps = doc.find("dependencies"); deps != doc.end() && deps->is_object())
    WalkNpmV1(*deps, out, 0, result);
  Dedupe(out);
  result.packages = std::move(out);
  return result;
}

Result<ParseResult> ParseYarnLock(std::string_view content) {
  ParseResult result;
  std::vector<Package> out;
  auto lines = Lines(content);
  bool in_entry = false, skip = false;
  std::string name;
  Package current;
  bool have_version = false;
  auto flush = [&] {
    if (in_entry && !skip) {
      if (have_version)
        out.push_back(current);
      else
        result.warnings.push_back("yarn: entry " + current.name + " has no version; skipped");
    }
    in_entry = false;
    have_version = false;
    current = Package{};
  };
  for (size_t line_idx = 0; line_idx < lines.size(); ++line_idx) {
    std::string_view line = lines[line_idx];
    if (line.empty() || TrimView(line).empty() || TrimView(line)[0] == '#') continue;
    if (line[0] != ' ' && line[0] != '\t') {
      flush();
      std::string_view header = TrimView(line);
      if (header.back() == ':') header.remove_suffix(1);
      if (header == "__metadata" || Unquote(header) == "__metadata") {
        in_entry = true;
        skip = true;
        continue;
      }
      // Descriptors are comma separated (v1: `a@^1, a@^1.2`; berry: `"a@npm:^1, a@npm:1.2"`).
      std::string_view first = header;
      if (first.size() >= 2 && first.front() == '"') {
        size_t close = first.find('"', 1);
        if (close != std::string_view::npos) first = first.substr(1, close - 1);
      }
      first = first.substr(0, first.find(','));
      std::string protocol;
      if (!ParseYarnDescriptor(first, name, protocol)) {
        result.warnings.push_back("yarn: line " + std::to_string(line_idx + 1) +
                                  ": cannot read the package descriptor; skipped");
        in_entry = true;
        skip = true;
        continue;
      }
      in_entry = true;
      skip = IgnoredYarnProtocol(protocol);
      current.ecosystem = Ecosystem::kNpm;
      current.name = name;
      continue;
    }
    if (!in_entry || skip) continue;
    std::string_view body = TrimView(line);
    // Only the entry's own fields (two-space indent), not nested dependency maps.
    size_t indent = line.find_first_not_of(" \t");
    if (indent > 2) {
      if (StartsWith(TrimView(lines[line_idx]), "")) {
        // dependency line: `name "range"` (v1) or `name: "npm:range"` (berry)
        std::string_view parent;
        for (size_t back = line_idx; back-- > 0;) {
          std::string_view l = lines[back];
          size_t ind = l.find_first_not_of(" \t");
          if (ind != std::string_view::npos && ind <= 2) {
            parent = TrimView(l);
            break;
          }
        }
        if (parent == "dependencies:" || parent == "optionalDependencies:") {
          std::string_view dep = body;
          size_t sep = dep.find_first_of(" :");
          current.depends_on.push_back(std::string(Unquote(dep.substr(0, sep))));
        }
      }
      continue;
    }
    std::string_view key = body, value;
    size_t sep = body.find_first_of(" :");
    if (body[0] == '"') {
      size_t close = body.find('"', 1);
      if (close != std::string_view::npos) {
        key = body.substr(1, close - 1);
        value = body.substr(close + 1);
      }
    } else if (sep != std::string_view::npos) {
      key = body.substr(0, sep);
      value = body.substr(sep);
    }
    value = TrimView(value);
    if (!value.empty() && value[0] == ':') value = TrimView(value.substr(1));
    if (key == "version") {
      current.version = std::string(Unquote(value));
      have_version = !current.version.empty();
    }
  }
  flush();
  Dedupe(out);
  result.packages = std::move(out);
  return result;
}

namespace {

// ---------------------------------------------------------------- pnpm
std::string StripPeerSuffix(std::string_view v) {
  size_t paren = v.find('(');
  if (paren != std::string_view::npos) v = v.substr(0, paren);
  return std::string(v);
}

// v5 "/name/1.0.0_peer@1" or "registry/name/1.0.0", v6 "/name@1.0.0(peer@1)", v9 "name@1.0.0".
bool SplitPnpmKey(std::string_view key, double lock_version, std::string& name,
                  std::string& version) {
  std::string k = StripPeerSuffix(key);
  std::string_view s = k;
  if (!s.empty() && s[0] == '/') s.remove_prefix(1);
  if (lock_version < 6) {
    size_t under = s.find('_');
    if (under != std::string_view::npos) s = s.substr(0, under);
    size_t slash = s.rfind('/');
    if (slash == std::string_view::npos) return false;
    name = std::string(s.substr(0, slash));
    version = std::string(s.substr(slash + 1));
    // Drop a registry host prefix: "registry.npmjs.org/foo".
    size_t first_slash = name.find('/');
    if (first_slash != std::string::npos && name[0] != '@' &&
        name.substr(0, first_slash).find('.') != std::string::npos)
      name = name.substr(first_slash + 1);
  } else {
    size_t at = s.find('@', s.size() && s[0] == '@' ? 1 : 0);
    if (at == std::string_view::npos) return false;
    name = std::string(s.substr(0, at));
    version = std::string(s.substr(at + 1));
  }
  return !name.empty();
}

bool LooksLikeVersion(std::string_view v) {
  return !v.empty() && v.find(':') == std::string_view::npos &&
         v.find('/') == std::string_view::npos;
}

std::string YamlScalar(const YAML::Node& n) {
  if (n && n.IsScalar()) return n.as<std::string>();
  return "";
}

// Direct dependency map of a v5/v6 root or a v9 importer: name -> version reference.
void CollectImporterDeps(const YAML::Node& importer, const char* field,
                         std::vector<std::pair<std::string, std::string>>& out) {
  YAML::Node deps = importer[field];
  if (!deps || !deps.IsMap()) return;
  for (const auto& d : deps) {
    std::string version;
    if (d.second.IsMap())
      version = YamlScalar(d.second["version"]);
    else
      version = YamlScalar(d.second);
    out.emplace_back(d.first.as<std::string>(), StripPeerSuffix(version));
  }
}

Result<ParseResult> ParsePnpmImpl(std::string_view content) {
  DAI_RETURN_IF_ERROR(CheckYamlInput(content, "pnpm-lock.yaml"));
  YAML::Node doc = YAML::Load(std::string(content));
  if (!doc || doc.IsNull()) return ParseResult{};
  if (!doc.IsMap()) return Status::InvalidArgument("pnpm-lock.yaml: not a YAML mapping");
  double lock_version = 0;
  try {
    lock_version = std::stod(YamlScalar(doc["lockfileVersion"]));
  } catch (...) {
    return Status::InvalidArgument("pnpm-lock.yaml: missing or invalid lockfileVersion");
  }
  ParseResult result;
  std::vector<Package> out;
  YAML::Node packages = doc["packages"];
  if (lock_version < 9) {
    std::set<std::pair<std::string, std::string>> direct;
    std::vector<std::pair<std::string, std::string>> roots;
    for (const char* f : {"dependencies", "devDependencies", "optionalDependencies"})
      CollectImporterDeps(doc, f, roots);
    for (auto& r : roots) direct.insert(r);
    if (packages && packages.IsMap()) {
      for (const auto& entry : packages) {
        std::string name, version;
        std::string key = entry.first.as<std::string>();
        if (!SplitPnpmKey(key, lock_version, name, version)) {
          result.warnings.push_back("pnpm: cannot read package key " + key + "; skipped");
          continue;
        }
        const YAML::Node& info = entry.second;
        if (info.IsMap()) {
          if (auto n = YamlScalar(info["name"]); !n.empty()) name = n;
          if (auto v = YamlScalar(info["version"]); !v.empty()) version = v;
          if (YamlScalar(info["dev"]) == "true")
            continue;  // dev packages are not installed in production
        }
        Package p = NpmPackage(name, version);
        p.relationship =
            direct.count({name, version}) ? Relationship::kDirect : Relationship::kIndirect;
        if (info.IsMap() && info["dependencies"] && info["dependencies"].IsMap())
          for (const auto& d : info["dependencies"])
            p.depends_on.push_back(d.first.as<std::string>() + "@" +
                                   StripPeerSuffix(YamlScalar(d.second)));
        out.push_back(std::move(p));
      }
    }
    Dedupe(out);
    result.packages = std::move(out);
    return result;
  }
  // v9: packages hold metadata, snapshots hold the graph, importers the roots.
  std::set<std::string> direct_keys, prod_roots, dev_roots;
  YAML::Node importers = doc["importers"];
  if (importers && importers.IsMap()) {
    for (const auto& imp : importers) {
      for (const char* f : {"dependencies", "optionalDependencies", "devDependencies"}) {
        std::vector<std::pair<std::string, std::string>> deps;
        CollectImporterDeps(imp.second, f, deps);
        for (auto& [n, v] : deps) {
          if (StartsWith(v, "link:")) continue;
          std::string key = n + "@" + v;
          direct_keys.insert(key);
          (std::string_view(f) == "devDependencies" ? dev_roots : prod_roots).insert(key);
        }
      }
    }
  }
  std::map<std::string, std::vector<std::string>> graph;
  YAML::Node snapshots = doc["snapshots"];
  if (snapshots && snapshots.IsMap()) {
    for (const auto& s : snapshots) {
      std::string key = StripPeerSuffix(s.first.as<std::string>());
      auto& edges = graph[key];
      if (!s.second.IsMap()) continue;
      for (const char* f : {"dependencies", "optionalDependencies"}) {
        YAML::Node deps = s.second[f];
        if (!deps || !deps.IsMap()) continue;
        for (const auto& d : deps)
          edges.push_back(d.first.as<std::string>() + "@" + StripPeerSuffix(YamlScalar(d.second)));
      }
    }
  }
  auto reach = [&graph](const std::set<std::string>& roots) {
    std::set<std::string> seen;
    std::vector<std::string> stack(roots.begin(), roots.end());
    while (!stack.empty()) {
      std::string k = std::move(stack.back());
      stack.pop_back();
      if (!seen.insert(k).second) continue;
      auto it = graph.find(k);
      if (it != graph.end())
        for (const auto& e : it->second) stack.push_back(e);
    }
    return seen;
  };
  const std::set<std::string> prod_reach = reach(prod_roots);
  const std::set<std::string> dev_reach = reach(dev_roots);
  if (packages && packages.IsMap()) {
    for (const auto& entry : packages) {
      std::string key = entry.first.as<std::string>();
      std::string name, ref;
      if (!SplitPnpmKey(key, lock_version, name, ref)) {
        result.warnings.push_back("pnpm: cannot read package key " + key + "; skipped");
        continue;
      }
      std::string version = entry.second.IsMap() ? YamlScalar(entry.second["version"]) : "";
      if (version.empty() && LooksLikeVersion(ref)) version = ref;
      Package p = NpmPackage(name, version);
      std::string graph_key = StripPeerSuffix(key);
      p.relationship =
          direct_keys.count(graph_key) ? Relationship::kDirect : Relationship::kIndirect;
      // Dev: reachable from a devDependency and from no production dependency.
      p.dev = !prod_reach.count(graph_key) && dev_reach.count(graph_key);
      if (auto it = graph.find(graph_key); it != graph.end()) p.depends_on = it->second;
      out.push_back(std::move(p));
    }
  }
  Dedupe(out);
  result.packages = std::move(out);
  return result;
}

}  // namespace

Result<ParseResult> ParsePnpmLock(std::string_view content) {
  try {
    return ParsePnpmImpl(content);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("pnpm-lock.yaml: ") + e.what());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("pnpm-lock.yaml: ") + e.what());
  }
}

}  // namespace dai::sbom::internal
