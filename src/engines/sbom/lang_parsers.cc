// Go (go.mod, go.sum), Rust (Cargo.lock), Python (poetry.lock, Pipfile.lock,
// requirements.txt), PHP (composer.lock), Ruby (Gemfile.lock) and Maven (pom.xml).
#include <toml++/toml.h>
#include <pugixml.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "core/json.h"
#include "engines/sbom/parsers_internal.h"
#include "engines/vulnmatch/version.h"

namespace dai::sbom::internal {
namespace {

using vulnmatch::VersionScheme;

Package Make(Ecosystem e, std::string name, std::string version) {
  Package p;
  p.ecosystem = e;
  p.name = std::move(name);
  p.version = std::move(version);
  return p;
}

std::string LineRef(size_t idx) { return "line " + std::to_string(idx + 1); }

std::vector<std::string_view> Fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::string_view StripComment(std::string_view s, std::string_view marker) {
  size_t pos = s.find(marker);
  return pos == std::string_view::npos ? s : s.substr(0, pos);
}

std::string GoUnquote(std::string_view s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '`') && s.back() == s.front())
    return std::string(s.substr(1, s.size() - 2));
  return std::string(s);
}

bool IsLocalPath(std::string_view p) {
  return StartsWith(p, "./") || StartsWith(p, "../") || StartsWith(p, "/") || p == "." || p == "..";
}

}  // namespace

// ---------------------------------------------------------------- go.mod
Result<ParseResult> ParseGoMod(std::string_view content) {
  ParseResult result;
  struct Require {
    std::string path, version;
    bool indirect;
  };
  struct Replace {
    std::string old_path, old_version, new_path, new_version;
  };
  std::string module, go_version;
  std::vector<Require> reqs;
  std::vector<Replace> replaces;
  auto lines = Lines(content);
  std::string block;  // "require", "replace", "exclude", ... while inside "( ... )"
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    std::string_view raw = lines[idx];
    bool indirect = raw.find("// indirect") != std::string_view::npos;
    std::string_view line = TrimView(StripComment(raw, "//"));
    if (line.empty()) continue;
    std::string_view verb;
    std::string_view rest = line;
    if (block.empty()) {
      auto f = Fields(line);
      verb = f[0];
      rest = TrimView(line.substr(verb.size()));
      if (rest == "(") {
        block = std::string(verb);
        continue;
      }
    } else {
      if (line == ")") {
        block.clear();
        continue;
      }
      verb = block;
    }
    auto f = Fields(rest);
    if (verb == "module" && !f.empty()) {
      module = GoUnquote(f[0]);
    } else if (verb == "go" && !f.empty()) {
      go_version = std::string(f[0]);
    } else if (verb == "require") {
      if (f.size() < 2) {
        result.warnings.push_back("go.mod: " + LineRef(idx) +
                                  ": require without a version; skipped");
        continue;
      }
      reqs.push_back({GoUnquote(f[0]), std::string(f[1]), indirect});
    } else if (verb == "replace") {
      auto arrow = std::find(f.begin(), f.end(), "=>");
      if (arrow == f.end() || arrow == f.begin() || arrow + 1 == f.end()) {
        result.warnings.push_back("go.mod: " + LineRef(idx) + ": malformed replace; skipped");
        continue;
      }
      Replace r;
      r.old_path = GoUnquote(f[0]);
      if (arrow - f.begin() >= 2) r.old_version = std::string(f[1]);
      r.new_path = GoUnquote(*(arrow + 1));
      if (arrow + 2 != f.end()) r.new_version = std::string(*(arrow + 2));
      replaces.push_back(std::move(r));
    }
  }
  if (!module.empty()) {
    Package root = Make(Ecosystem::kGolang, module, "");
    root.relationship = Relationship::kRoot;
    result.packages.push_back(std::move(root));
  }
  // Before Go 1.17 go.mod does not list the full module graph, so its "// indirect" lines
  // are an incomplete, misleading subset (go.sum completes them); they are left out.
  const bool complete_graph =
      !go_version.empty() &&
      vulnmatch::CompareVersions(VersionScheme::kGo,
                                 go_version.find('.', go_version.find('.') + 1) == std::string::npos
                                     ? go_version + ".0"
                                     : go_version,
                                 "1.17.0")
              .value_or(-1) >= 0;
  for (const auto& req : reqs) {
    if (req.indirect && !complete_graph) {
      result.warnings.push_back("go.mod: go " +
                                (go_version.empty() ? std::string("(unset)") : go_version) +
                                " < 1.17: indirect requirement " + req.path + " left out");
      continue;
    }
    Package p = Make(Ecosystem::kGolang, req.path, req.version);
    p.relationship = req.indirect ? Relationship::kIndirect : Relationship::kDirect;
    bool dropped = false;
    for (const auto& rep : replaces) {
      if (rep.old_path != req.path) continue;
      if (!rep.old_version.empty() && rep.old_version != req.version) continue;
      if (IsLocalPath(rep.new_path)) {
        result.warnings.push_back("go.mod: " + req.path + " is replaced by the local path " +
                                  rep.new_path + "; skipped");
        dropped = true;
        break;
      }
      p.name = rep.new_path;
      if (!rep.new_version.empty()) p.version = rep.new_version;
    }
    if (!dropped) result.packages.push_back(std::move(p));
  }
  return result;
}

// ---------------------------------------------------------------- go.sum
Result<ParseResult> ParseGoSum(std::string_view content) {
  ParseResult result;
  std::map<std::string, std::string> best;
  std::vector<std::string> order;
  auto lines = Lines(content);
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    auto f = Fields(lines[idx]);
    if (f.empty()) continue;
    if (f.size() < 2) {
      result.warnings.push_back("go.sum: " + LineRef(idx) + ": no version; skipped");
      continue;
    }
    std::string name(f[0]);
    std::string version(f[1]);
    if (version.size() > 7 && version.substr(version.size() - 7) == "/go.mod")
      version.resize(version.size() - 7);
    auto it = best.find(name);
    if (it == best.end()) {
      best.emplace(name, version);
      order.push_back(name);
      continue;
    }
    auto cmp = vulnmatch::CompareVersions(VersionScheme::kGo, version, it->second);
    if (cmp.ok() && *cmp > 0) it->second = version;
  }
  for (const auto& name : order)
    result.packages.push_back(Make(Ecosystem::kGolang, name, best[name]));
  return result;
}

// ---------------------------------------------------------------- TOML (Cargo.lock, poetry.lock)
namespace {
Result<toml::table> ParseToml(std::string_view content, const char* what) {
  try {
    return toml::parse(content);
  } catch (const toml::parse_error& e) {
    return Status::ParseError(std::string(what) + ": line " +
                              std::to_string(e.source().begin.line) + ": " +
                              std::string(e.description()));
  }
}
}  // namespace

Result<ParseResult> ParseCargoLock(std::string_view content) {
  DAI_ASSIGN_OR_RETURN(toml::table doc, ParseToml(content, "Cargo.lock"));
  ParseResult result;
  const toml::array* pkgs = doc["package"].as_array();
  if (!pkgs) return result;
  for (size_t i = 0; i < pkgs->size(); ++i) {
    const toml::table* t = (*pkgs)[i].as_table();
    if (!t) continue;
    auto name = (*t)["name"].value<std::string>();
    auto version = (*t)["version"].value<std::string>();
    if (!name || !version) {
      result.warnings.push_back("Cargo.lock: package " + std::to_string(i + 1) +
                                " lacks a name or version; skipped");
      continue;
    }
    Package p = Make(Ecosystem::kCargo, *name, *version);
    if (const toml::array* deps = (*t)["dependencies"].as_array())
      for (const auto& d : *deps)
        if (auto s = d.value<std::string>()) p.depends_on.push_back(s->substr(0, s->find(' ')));
    result.packages.push_back(std::move(p));
  }
  Dedupe(result.packages);
  return result;
}

Result<ParseResult> ParsePoetryLock(std::string_view content) {
  DAI_ASSIGN_OR_RETURN(toml::table doc, ParseToml(content, "poetry.lock"));
  ParseResult result;
  const toml::array* pkgs = doc["package"].as_array();
  if (!pkgs) return result;
  for (size_t i = 0; i < pkgs->size(); ++i) {
    const toml::table* t = (*pkgs)[i].as_table();
    if (!t) continue;
    auto name = (*t)["name"].value<std::string>();
    auto version = (*t)["version"].value<std::string>();
    if (!name || !version) {
      result.warnings.push_back("poetry.lock: package " + std::to_string(i + 1) +
                                " lacks a name or version; skipped");
      continue;
    }
    Package p = Make(Ecosystem::kPypi, *name, *version);
    p.dev = (*t)["category"].value<std::string>().value_or("") == "dev";
    if (const toml::table* deps = (*t)["dependencies"].as_table())
      for (const auto& [k, v] : *deps) p.depends_on.emplace_back(k.str());
    result.packages.push_back(std::move(p));
  }
  Dedupe(result.packages);
  return result;
}

// ---------------------------------------------------------------- Pipfile.lock
Result<ParseResult> ParsePipfileLock(std::string_view content) {
  auto parsed = ParseJson(content);
  if (!parsed.ok()) return parsed.status().WithContext("Pipfile.lock");
  if (!parsed->is_object()) return Status::InvalidArgument("Pipfile.lock: not a JSON object");
  ParseResult result;
  for (const char* section : {"default", "develop"}) {
    auto it = parsed->find(section);
    if (it == parsed->end() || !it->is_object()) continue;
    for (auto p = it->begin(); p != it->end(); ++p) {
      if (!p->is_object()) continue;
      auto v = p->find("version");
      if (v == p->end() || !v->is_string()) {
        result.warnings.push_back("Pipfile.lock: " + p.key() + " has no pinned version; skipped");
        continue;
      }
      std::string version = v->get<std::string>();
      if (StartsWith(version, "==")) version = version.substr(2);
      Package pkg = Make(Ecosystem::kPypi, p.key(), version);
      pkg.dev = std::string_view(section) == "develop";
      result.packages.push_back(std::move(pkg));
    }
  }
  return result;
}

// ---------------------------------------------------------------- requirements.txt
namespace {
bool ValidPythonName(std::string_view n) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (n.empty() || !alnum(n.front()) || !alnum(n.back())) return false;
  return std::all_of(n.begin(), n.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}
}  // namespace

Result<ParseResult> ParseRequirements(std::string_view content) {
  ParseResult result;
  auto lines = Lines(content);
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    std::string_view line = lines[idx];
    // Comments start at '#' (pip requires whitespace before an inline '#', but we also accept
    // "pkg==1.0#comment", which pip users write and pip itself tolerates in practice).
    line = StripComment(line, "#");
    line = StripComment(line, ";");  // environment markers
    line = TrimView(line);
    if (line.empty() || line[0] == '-') continue;  // options: -r, -e, --hash ...
    size_t eq = line.find("==");
    if (eq == std::string_view::npos) {
      result.warnings.push_back("requirements: " + LineRef(idx) +
                                ": no pinned (==) version; skipped");
      continue;
    }
    std::string_view name = TrimView(line.substr(0, eq));
    std::string_view version = TrimView(line.substr(eq + 2));
    if (!version.empty() && version[0] == '=')
      version.remove_prefix(1);  // "===" arbitrary equality
    version = TrimView(version);
    size_t ws = version.find_first_of(" \t\\");
    if (ws != std::string_view::npos) version = version.substr(0, ws);
    if (size_t bracket = name.find('['); bracket != std::string_view::npos)
      name = TrimView(name.substr(0, bracket));  // extras
    if (!ValidPythonName(name) || !vulnmatch::IsValidVersion(VersionScheme::kPep440, version)) {
      result.warnings.push_back("requirements: " + LineRef(idx) +
                                ": not a valid name==version requirement; skipped");
      continue;
    }
    result.packages.push_back(Make(Ecosystem::kPypi, std::string(name), std::string(version)));
  }
  return result;
}

// ---------------------------------------------------------------- composer.lock
Result<ParseResult> ParseComposerLock(std::string_view content, std::string_view composer_json) {
  auto parsed = ParseJson(content);
  if (!parsed.ok()) return parsed.status().WithContext("composer.lock");
  if (!parsed->is_object()) return Status::InvalidArgument("composer.lock: not a JSON object");
  std::set<std::string> direct;
  bool have_manifest = false;
  if (!composer_json.empty()) {
    auto manifest = ParseJson(composer_json);
    if (!manifest.ok()) return manifest.status().WithContext("composer.json");
    have_manifest = manifest->is_object();
    if (have_manifest)
      for (const char* f : {"require", "require-dev"})
        if (auto r = manifest->find(f); r != manifest->end() && r->is_object())
          for (auto d = r->begin(); d != r->end(); ++d) direct.insert(d.key());
  }
  ParseResult result;
  for (const char* section : {"packages", "packages-dev"}) {
    auto it = parsed->find(section);
    if (it == parsed->end() || !it->is_array()) continue;
    for (const auto& p : *it) {
      if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) continue;
      std::string version =
          p.contains("version") && p["version"].is_string() ? p["version"].get<std::string>() : "";
      Package pkg = Make(Ecosystem::kComposer, p["name"].get<std::string>(), version);
      pkg.dev = std::string_view(section) == "packages-dev";
      if (have_manifest)
        pkg.relationship = direct.count(pkg.name) ? Relationship::kDirect : Relationship::kIndirect;
      if (auto r = p.find("require"); r != p.end() && r->is_object())
        for (auto d = r->begin(); d != r->end(); ++d)
          if (d.key().find('/') != std::string::npos) pkg.depends_on.push_back(d.key());
      result.packages.push_back(std::move(pkg));
    }
  }
  return result;
}

// ---------------------------------------------------------------- Gemfile.lock
Result<ParseResult> ParseGemfileLock(std::string_view content) {
  ParseResult result;
  std::set<std::string> direct;
  std::vector<Package> specs;
  std::string section;
  bool in_specs = false;
  auto lines = Lines(content);
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    std::string_view line = lines[idx];
    if (TrimView(line).empty()) {
      in_specs = false;
      continue;
    }
    size_t indent = line.find_first_not_of(' ');
    if (indent == 0) {
      section = std::string(TrimView(line));
      in_specs = false;
      continue;
    }
    std::string_view body = TrimView(line);
    if ((section == "GEM" || section == "GIT" || section == "PATH") && indent == 2) {
      in_specs = body == "specs:";
      continue;
    }
    if (in_specs && indent == 4) {
      size_t paren = body.find(" (");
      if (paren == std::string_view::npos || body.back() != ')') {
        result.warnings.push_back("Gemfile.lock: " + LineRef(idx) +
                                  ": spec without a version; skipped");
        continue;
      }
      std::string version(body.substr(paren + 2, body.size() - paren - 3));
      // Platform-specific gems: "nokogiri (1.13.6-x86_64-linux)".
      if (size_t dash = version.find('-'); dash != std::string::npos) version.resize(dash);
      specs.push_back(Make(Ecosystem::kGem, std::string(body.substr(0, paren)), version));
    } else if (in_specs && indent == 6 && !specs.empty()) {
      specs.back().depends_on.push_back(std::string(body.substr(0, body.find(' '))));
    } else if (section == "DEPENDENCIES" && indent == 2) {
      std::string_view name = body.substr(0, body.find(' '));
      if (!name.empty() && name.back() == '!') name.remove_suffix(1);
      direct.insert(std::string(name));
    }
  }
  for (auto& p : specs) {
    p.relationship = direct.count(p.name) ? Relationship::kDirect : Relationship::kIndirect;
    result.packages.push_back(std::move(p));
  }
  return result;
}

// ---------------------------------------------------------------- pom.xml
namespace {
std::string Substitute(std::string value, const std::map<std::string, std::string>& props) {
  for (int round = 0; round < 8; ++round) {
    size_t start = value.find("${");
    if (start == std::string::npos) break;
    size_t end = value.find('}', start);
    if (end == std::string::npos) break;
    std::string key = value.substr(start + 2, end - start - 2);
    auto it = props.find(key);
    if (it == props.end()) break;
    value.replace(start, end - start + 1, it->second);
  }
  return value;
}
std::string Text(const pugi::xml_node& n, const char* child) {
  return std::string(TrimView(n.child(child).text().as_string()));
}
}  // namespace

Result<ParseResult> ParsePomXml(std::string_view content) {
  pugi::xml_document doc;
  // No entity expansion beyond XML's predefined ones: pugixml never loads external entities.
  pugi::xml_parse_result ok =
      doc.load_buffer(content.data(), content.size(), pugi::parse_default & ~pugi::parse_doctype);
  if (!ok)
    return Status::ParseError("pom.xml: " + std::string(ok.description()) + " at byte " +
                              std::to_string(ok.offset));
  pugi::xml_node project = doc.child("project");
  if (!project) return Status::InvalidArgument("pom.xml: no <project> element");
  std::map<std::string, std::string> props;
  for (pugi::xml_node p : project.child("properties").children())
    props[p.name()] = std::string(TrimView(p.text().as_string()));
  pugi::xml_node parent = project.child("parent");
  std::string group = Text(project, "groupId");
  if (group.empty()) group = Text(parent, "groupId");
  std::string version = Text(project, "version");
  if (version.empty()) version = Text(parent, "version");
  std::string artifact = Text(project, "artifactId");
  props["project.groupId"] = props["pom.groupId"] = group;
  props["project.version"] = props["pom.version"] = version;
  props["project.artifactId"] = artifact;
  props["project.parent.version"] = Text(parent, "version");
  props["project.parent.groupId"] = Text(parent, "groupId");
  ParseResult result;
  if (!artifact.empty()) {
    Package root = Make(Ecosystem::kMaven, Substitute(group, props) + ":" + artifact,
                        Substitute(version, props));
    root.relationship = Relationship::kRoot;
    result.packages.push_back(std::move(root));
  }
  std::map<std::string, std::string> managed;
  for (pugi::xml_node d :
       project.child("dependencyManagement").child("dependencies").children("dependency"))
    managed[Substitute(Text(d, "groupId"), props) + ":" +
            Substitute(Text(d, "artifactId"), props)] = Substitute(Text(d, "version"), props);
  for (pugi::xml_node d : project.child("dependencies").children("dependency")) {
    std::string scope = Text(d, "scope");
    std::string name =
        Substitute(Text(d, "groupId"), props) + ":" + Substitute(Text(d, "artifactId"), props);
    if (scope == "test" || scope == "provided") {
      result.warnings.push_back("pom.xml: " + name + " has scope " + scope + "; skipped");
      continue;
    }
    std::string v = Substitute(Text(d, "version"), props);
    if (v.empty())
      if (auto it = managed.find(name); it != managed.end()) v = it->second;
    if (v.find("${") != std::string::npos) {
      result.warnings.push_back("pom.xml: " + name + " version " + v +
                                " refers to an undefined property; skipped");
      continue;
    }
    // Soft requirement "[1.0,2.0)" ranges are resolved by Maven at build time; keep as given.
    Package p = Make(Ecosystem::kMaven, name, v);
    p.relationship = Relationship::kDirect;
    result.packages.push_back(std::move(p));
  }
  return result;
}

}  // namespace dai::sbom::internal
