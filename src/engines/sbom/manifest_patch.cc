#include "engines/sbom/manifest_patch.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "engines/sbom/parsers_internal.h"

namespace dai::sbom {
namespace {

using internal::Lines;
using internal::TrimView;

std::string Normalize(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '_' || c == '.') c = '-';
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// Splits keeping line terminators, so joining reproduces the text exactly.
std::vector<std::string> SplitKeep(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    out.emplace_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

// Replaces `from` by `to` in line `idx` at the first occurrence at or after `pos`.
bool ReplaceIn(std::string& line, size_t pos, std::string_view from, std::string_view to) {
  size_t at = line.find(from, pos);
  if (at == std::string::npos) return false;
  line.replace(at, from.size(), to);
  return true;
}

std::string Quote(std::string_view s) {
  // For display in a suggested command: single-quoted, no shell evaluation implied.
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out.push_back(c);
  }
  return out + "'";
}

Result<ManifestPatch> Requirements(std::string_view path, std::string_view content,
                                   std::string_view name, std::string_view from,
                                   std::string_view to) {
  auto lines = SplitKeep(content);
  for (auto& line : lines) {
    std::string_view body = line;
    size_t eq = body.find("==");
    if (eq == std::string_view::npos) continue;
    std::string_view n = TrimView(body.substr(0, eq));
    if (size_t b = n.find('['); b != std::string_view::npos) n = TrimView(n.substr(0, b));
    if (Normalize(n) != Normalize(name)) continue;
    std::string_view rest = TrimView(body.substr(eq + 2));
    if (rest.substr(0, from.size()) != from) continue;
    ManifestPatch p;
    if (!ReplaceIn(line, eq + 2, from, to)) continue;
    p.new_content = Join(lines);
    p.diff = UnifiedDiffSameLength(path, content, p.new_content);
    p.command = "pip install " + Quote(std::string(name) + "==" + std::string(to));
    return p;
  }
  return Status::NotFound(std::string(name) + "==" + std::string(from) + " is not pinned in " +
                          std::string(path));
}

Result<ManifestPatch> GoMod(std::string_view path, std::string_view content, std::string_view name,
                            std::string_view from, std::string_view to) {
  auto lines = SplitKeep(content);
  std::string target(to);
  if (!target.empty() && target[0] != 'v') target = "v" + target;  // OSV omits Go's "v"
  bool in_require = false;
  for (auto& line : lines) {
    std::string_view t = TrimView(line);
    if (!t.empty() && t.back() == '\n') t.remove_suffix(1);
    t = TrimView(t);
    if (t.rfind("require (", 0) == 0) {
      in_require = true;
      continue;
    }
    if (in_require && t == ")") {
      in_require = false;
      continue;
    }
    std::string_view req = t;
    if (!in_require) {
      if (req.rfind("require ", 0) != 0) continue;
      req = TrimView(req.substr(8));
    }
    if (req.substr(0, name.size()) != name || req.size() <= name.size() ||
        (req[name.size()] != ' ' && req[name.size()] != '\t'))
      continue;
    std::string_view ver = TrimView(req.substr(name.size()));
    ver = ver.substr(0, ver.find_first_of(" \t/"));
    if (ver != from) continue;
    size_t at = line.find(name);
    if (!ReplaceIn(line, at + name.size(), from, target)) continue;
    ManifestPatch p;
    p.new_content = Join(lines);
    p.diff = UnifiedDiffSameLength(path, content, p.new_content);
    p.command = "go get " + Quote(std::string(name) + "@" + target) + " && go mod tidy";
    p.note = "run `go mod tidy` afterwards so go.sum matches";
    return p;
  }
  return Status::NotFound(std::string(name) + " " + std::string(from) + " is not required in " +
                          std::string(path));
}

Result<ManifestPatch> Pom(std::string_view path, std::string_view content, std::string_view name,
                          std::string_view from, std::string_view to) {
  const size_t colon = name.find(':');
  if (colon == std::string_view::npos)
    return Status::InvalidArgument("Maven package name must be group:artifact");
  const std::string artifact =
      "<artifactId>" + std::string(name.substr(colon + 1)) + "</artifactId>";
  const std::string group = "<groupId>" + std::string(name.substr(0, colon)) + "</groupId>";
  std::string text(content);
  size_t pos = 0;
  while ((pos = text.find("<dependency>", pos)) != std::string::npos) {
    size_t end = text.find("</dependency>", pos);
    if (end == std::string::npos) break;
    std::string_view block = std::string_view(text).substr(pos, end - pos);
    if (block.find(artifact) == std::string_view::npos ||
        block.find(group) == std::string_view::npos) {
      pos = end;
      continue;
    }
    size_t v = block.find("<version>");
    size_t ve = block.find("</version>");
    if (v == std::string_view::npos || ve == std::string_view::npos || ve < v) break;
    std::string_view value = TrimView(block.substr(v + 9, ve - v - 9));
    std::string updated = text;
    if (value == from) {
      updated.replace(pos + v + 9, ve - v - 9, std::string(to));
    } else if (value.size() > 3 && value.substr(0, 2) == "${" && value.back() == '}') {
      // The version lives in a property: <properties><name>from</name></properties>.
      const std::string prop(value.substr(2, value.size() - 3));
      const std::string open = "<" + prop + ">", close = "</" + prop + ">";
      size_t p = text.find(open);
      size_t pe = p == std::string::npos ? p : text.find(close, p);
      if (p == std::string::npos || pe == std::string::npos ||
          TrimView(std::string_view(text).substr(p + open.size(), pe - p - open.size())) != from)
        return Status::NotFound("property " + prop + " does not hold " + std::string(from));
      updated.replace(p + open.size(), pe - p - open.size(), std::string(to));
    } else {
      return Status::NotFound(std::string(name) + " is declared with version " +
                              std::string(value) + ", not " + std::string(from));
    }
    ManifestPatch out;
    out.new_content = updated;
    out.diff = UnifiedDiffSameLength(path, content, updated);
    out.note = "a property change moves every dependency that uses the property";
    return out;
  }
  return Status::NotFound(std::string(name) + " is not a dependency in " + std::string(path));
}

}  // namespace

std::string UnifiedDiffSameLength(std::string_view path, std::string_view before,
                                  std::string_view after) {
  auto a = SplitKeep(before), b = SplitKeep(after);
  if (a.size() != b.size() || a == b) return a == b ? "" : "";
  std::vector<size_t> changed;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) changed.push_back(i);
  std::string out = "--- a/" + std::string(path) + "\n+++ b/" + std::string(path) + "\n";
  size_t idx = 0;
  while (idx < changed.size()) {
    size_t start = changed[idx] >= 3 ? changed[idx] - 3 : 0;
    size_t last = changed[idx];
    size_t j = idx;
    while (j + 1 < changed.size() && changed[j + 1] <= last + 7) last = changed[++j];
    size_t end = std::min(a.size(), last + 4);
    out += "@@ -" + std::to_string(start + 1) + "," + std::to_string(end - start) + " +" +
           std::to_string(start + 1) + "," + std::to_string(end - start) + " @@\n";
    for (size_t i = start; i < end; ++i) {
      auto line_out = [&](char mark, const std::string& l) {
        out.push_back(mark);
        out += l;
        if (l.empty() || l.back() != '\n') out += "\n\\ No newline at end of file\n";
      };
      if (a[i] == b[i]) {
        line_out(' ', a[i]);
      } else {
        line_out('-', a[i]);
        line_out('+', b[i]);
      }
    }
    idx = j + 1;
  }
  return out;
}

Result<ManifestPatch> ProposeManifestPatch(LockfileKind kind, std::string_view path,
                                           std::string_view content, std::string_view name,
                                           std::string_view from, std::string_view to) {
  if (to.empty()) return Status::FailedPrecondition("no fixed version to move to");
  const std::string n(name), v(to);
  ManifestPatch cmd;
  switch (kind) {
    case LockfileKind::kRequirements:
      return Requirements(path, content, name, from, to);
    case LockfileKind::kGoMod:
      return GoMod(path, content, name, from, to);
    case LockfileKind::kPomXml:
      return Pom(path, content, name, from, to);
    case LockfileKind::kNpmLock:
      cmd.command = "npm install " + Quote(n + "@" + v);
      break;
    case LockfileKind::kYarnLock:
      cmd.command = "yarn up " + Quote(n + "@" + v);
      break;
    case LockfileKind::kPnpmLock:
      cmd.command = "pnpm update " + Quote(n + "@" + v);
      break;
    case LockfileKind::kCargoLock:
      cmd.command = "cargo update -p " + Quote(n) + " --precise " + Quote(v);
      break;
    case LockfileKind::kPoetryLock:
      cmd.command = "poetry add " + Quote(n + "@" + v);
      break;
    case LockfileKind::kPipfileLock:
      cmd.command = "pipenv install " + Quote(n + "==" + v);
      break;
    case LockfileKind::kComposerLock:
      cmd.command = "composer require " + Quote(n + ":" + v);
      break;
    case LockfileKind::kGemfileLock:
      cmd.command = "bundle update " + Quote(n) + " --conservative";
      break;
    case LockfileKind::kGoSum: {
      std::string target = v[0] == 'v' ? v : "v" + v;
      cmd.command = "go get " + Quote(n + "@" + target) + " && go mod tidy";
      break;
    }
    case LockfileKind::kDpkgStatus:
      cmd.command = "apt-get install --only-upgrade " + Quote(n);
      cmd.note = "or rebuild the image on an updated base image";
      return cmd;
    case LockfileKind::kApkInstalled:
      cmd.command = "apk upgrade " + Quote(n);
      cmd.note = "or rebuild the image on an updated base image";
      return cmd;
  }
  cmd.note = std::string(LockfileKindName(kind)) +
             " lockfiles are rewritten by their package manager; run the command in the "
             "repository and commit the result";
  return cmd;
}

}  // namespace dai::sbom
