#include "engines/sbom/package.h"

#include <algorithm>
#include <map>
#include <utility>

#include "engines/sbom/parsers_internal.h"

namespace dai::sbom {

namespace internal {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void Dedupe(std::vector<Package>& packages) {
  std::map<std::pair<std::string, std::string>, size_t> seen;
  std::vector<Package> out;
  out.reserve(packages.size());
  for (auto& p : packages) {
    auto key = std::make_pair(p.name, p.version);
    auto it = seen.find(key);
    if (it == seen.end()) {
      seen.emplace(std::move(key), out.size());
      out.push_back(std::move(p));
      continue;
    }
    Package& kept = out[it->second];
    kept.dev = kept.dev && p.dev;
    if (kept.relationship == Relationship::kIndirect && p.relationship == Relationship::kDirect)
      kept.relationship = Relationship::kDirect;
    for (auto& d : p.depends_on) kept.depends_on.push_back(std::move(d));
  }
  packages = std::move(out);
}

}  // namespace internal

std::string_view EcosystemPurlType(Ecosystem e) {
  switch (e) {
    case Ecosystem::kNpm:
      return "npm";
    case Ecosystem::kPypi:
      return "pypi";
    case Ecosystem::kGolang:
      return "golang";
    case Ecosystem::kCargo:
      return "cargo";
    case Ecosystem::kComposer:
      return "composer";
    case Ecosystem::kGem:
      return "gem";
    case Ecosystem::kMaven:
      return "maven";
    case Ecosystem::kDeb:
      return "deb";
    case Ecosystem::kApk:
      return "apk";
  }
  return "generic";
}

std::string_view EcosystemOsvName(Ecosystem e) {
  switch (e) {
    case Ecosystem::kNpm:
      return "npm";
    case Ecosystem::kPypi:
      return "PyPI";
    case Ecosystem::kGolang:
      return "Go";
    case Ecosystem::kCargo:
      return "crates.io";
    case Ecosystem::kComposer:
      return "Packagist";
    case Ecosystem::kGem:
      return "RubyGems";
    case Ecosystem::kMaven:
      return "Maven";
    case Ecosystem::kDeb:
      return "Debian";
    case Ecosystem::kApk:
      return "Alpine";
  }
  return "";
}

std::string_view RelationshipName(Relationship r) {
  switch (r) {
    case Relationship::kUnknown:
      return "";
    case Relationship::kRoot:
      return "root";
    case Relationship::kDirect:
      return "direct";
    case Relationship::kIndirect:
      return "indirect";
    case Relationship::kWorkspace:
      return "workspace";
  }
  return "";
}

namespace {
struct KindInfo {
  LockfileKind kind;
  std::string_view name;
};
constexpr KindInfo kKinds[] = {
    {LockfileKind::kNpmLock, "npm"},         {LockfileKind::kYarnLock, "yarn"},
    {LockfileKind::kPnpmLock, "pnpm"},       {LockfileKind::kGoMod, "gomod"},
    {LockfileKind::kGoSum, "gosum"},         {LockfileKind::kCargoLock, "cargo"},
    {LockfileKind::kPoetryLock, "poetry"},   {LockfileKind::kPipfileLock, "pipenv"},
    {LockfileKind::kRequirements, "pip"},    {LockfileKind::kComposerLock, "composer"},
    {LockfileKind::kGemfileLock, "bundler"}, {LockfileKind::kPomXml, "maven"},
    {LockfileKind::kDpkgStatus, "dpkg"},     {LockfileKind::kApkInstalled, "apk"},
};

std::string_view BaseName(std::string_view path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

std::string_view LockfileKindName(LockfileKind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k.name;
  return "";
}

std::optional<LockfileKind> LockfileKindFromName(std::string_view name) {
  for (const auto& k : kKinds)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

std::optional<LockfileKind> DetectLockfileKind(std::string_view path) {
  std::string_view base = BaseName(path);
  if (EndsWith(path, "dpkg/status")) return LockfileKind::kDpkgStatus;
  if (EndsWith(path, "lib/apk/db/installed")) return LockfileKind::kApkInstalled;
  if (base == "package-lock.json" || base == "npm-shrinkwrap.json" ||
      (base.find("package-lock") != std::string_view::npos && EndsWith(base, ".json")))
    return LockfileKind::kNpmLock;
  if (base == "yarn.lock" || (internal::StartsWith(base, "yarn") && EndsWith(base, ".lock")))
    return LockfileKind::kYarnLock;
  if (base.find("pnpm-lock") != std::string_view::npos &&
      (EndsWith(base, ".yaml") || EndsWith(base, ".yml")))
    return LockfileKind::kPnpmLock;
  if (base == "go.mod" || base == "gomod") return LockfileKind::kGoMod;
  if (base == "go.sum" || EndsWith(base, ".sum")) return LockfileKind::kGoSum;
  if (base == "Cargo.lock" ||
      (base.find("cargo") != std::string_view::npos && EndsWith(base, ".lock")))
    return LockfileKind::kCargoLock;
  if (base == "poetry.lock" ||
      (base.find("poetry") != std::string_view::npos && EndsWith(base, ".lock")))
    return LockfileKind::kPoetryLock;
  if (base == "Pipfile.lock" || (internal::StartsWith(base, "Pipfile") && EndsWith(base, ".lock")))
    return LockfileKind::kPipfileLock;
  if (internal::StartsWith(base, "requirements") && EndsWith(base, ".txt"))
    return LockfileKind::kRequirements;
  if (base == "composer.lock" ||
      (base.find("composer") != std::string_view::npos && EndsWith(base, ".lock")))
    return LockfileKind::kComposerLock;
  if (base == "Gemfile.lock" || (internal::StartsWith(base, "Gemfile") && EndsWith(base, ".lock")))
    return LockfileKind::kGemfileLock;
  if (base == "pom.xml") return LockfileKind::kPomXml;
  return std::nullopt;
}

namespace {
Result<ParseResult> Dispatch(LockfileKind kind, std::string_view content,
                             std::string_view companion);
}  // namespace

Result<ParseResult> ParseLockfile(LockfileKind kind, std::string_view content,
                                  std::string_view companion) {
  auto r = Dispatch(kind, content, companion);
  if (!r.ok()) return r;
  // A package needs a name to be reported or matched; nameless entries are dropped here,
  // once, for every format.
  auto& pkgs = r->packages;
  size_t before = pkgs.size();
  pkgs.erase(
      std::remove_if(pkgs.begin(), pkgs.end(), [](const Package& p) { return p.name.empty(); }),
      pkgs.end());
  if (pkgs.size() != before)
    r->warnings.push_back(std::to_string(before - pkgs.size()) +
                          " entries without a name; skipped");
  return r;
}

namespace {
Result<ParseResult> Dispatch(LockfileKind kind, std::string_view content,
                             std::string_view companion) {
  if (content.size() > kMaxInputBytes)
    return Status::PayloadTooLarge(std::string(LockfileKindName(kind)) + " input of " +
                                   std::to_string(content.size()) + " bytes is over the " +
                                   std::to_string(kMaxInputBytes) + "-byte limit");
  switch (kind) {
    case LockfileKind::kNpmLock:
      return internal::ParseNpmLock(content);
    case LockfileKind::kYarnLock:
      return internal::ParseYarnLock(content);
    case LockfileKind::kPnpmLock:
      return internal::ParsePnpmLock(content);
    case LockfileKind::kGoMod:
      return internal::ParseGoMod(content);
    case LockfileKind::kGoSum:
      return internal::ParseGoSum(content);
    case LockfileKind::kCargoLock:
      return internal::ParseCargoLock(content);
    case LockfileKind::kPoetryLock:
      return internal::ParsePoetryLock(content);
    case LockfileKind::kPipfileLock:
      return internal::ParsePipfileLock(content);
    case LockfileKind::kRequirements:
      return internal::ParseRequirements(content);
    case LockfileKind::kComposerLock:
      return internal::ParseComposerLock(content, companion);
    case LockfileKind::kGemfileLock:
      return internal::ParseGemfileLock(content);
    case LockfileKind::kPomXml:
      return internal::ParsePomXml(content);
    case LockfileKind::kDpkgStatus:
      return internal::ParseDpkgStatus(content);
    case LockfileKind::kApkInstalled:
      return internal::ParseApkInstalled(content);
  }
  return Status::Internal("unknown lockfile kind");
}
}  // namespace

std::optional<OsRelease> ParseOsRelease(std::string_view content) {
  OsRelease os;
  for (auto line : internal::Lines(content)) {
    line = internal::TrimView(line);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    if (key == "ID")
      os.id = std::string(value);
    else if (key == "VERSION_ID")
      os.version_id = std::string(value);
    else if (key == "VERSION_CODENAME")
      os.version_codename = std::string(value);
    else if (key == "PRETTY_NAME")
      os.pretty_name = std::string(value);
  }
  if (os.id.empty()) return std::nullopt;
  return os;
}

std::string OsvEcosystemFor(const Package& p, const std::optional<OsRelease>& os) {
  if (p.ecosystem == Ecosystem::kDeb) {
    if (os && os->id == "ubuntu" && !os->version_id.empty()) return "Ubuntu:" + os->version_id;
    if (os && os->id == "debian" && !os->version_id.empty()) {
      return "Debian:" + os->version_id.substr(0, os->version_id.find('.'));
    }
    return "Debian";
  }
  if (p.ecosystem == Ecosystem::kApk) {
    if (os && os->id == "alpine" && !os->version_id.empty()) {
      // Alpine:v3.18 — major.minor only.
      std::string v = os->version_id;
      size_t first = v.find('.');
      size_t second = first == std::string::npos ? std::string::npos : v.find('.', first + 1);
      return "Alpine:v" + v.substr(0, second);
    }
    return "Alpine";
  }
  return std::string(EcosystemOsvName(p.ecosystem));
}

namespace {
std::string PercentEncode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}
}  // namespace

std::string PackageUrl(const Package& p, const std::optional<OsRelease>& os) {
  std::string out = "pkg:" + std::string(EcosystemPurlType(p.ecosystem)) + "/";
  std::string name = p.name;
  switch (p.ecosystem) {
    case Ecosystem::kPypi: {
      std::string n;
      for (char c : name) n.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(c)));
      out += PercentEncode(n, false);
      break;
    }
    case Ecosystem::kMaven: {
      size_t colon = name.find(':');
      if (colon != std::string::npos)
        out += PercentEncode(name.substr(0, colon), false) + "/" +
               PercentEncode(name.substr(colon + 1), false);
      else
        out += PercentEncode(name, false);
      break;
    }
    case Ecosystem::kDeb:
      out += (os && !os->id.empty() ? os->id : std::string("debian")) + "/" +
             PercentEncode(name, false);
      break;
    case Ecosystem::kApk:
      out += "alpine/" + PercentEncode(name, false);
      break;
    default:
      // Namespaced names (npm scopes, Go module paths, Composer vendors) keep their slashes.
      out += PercentEncode(name, true);
      break;
  }
  if (!p.version.empty()) out += "@" + PercentEncode(p.version, false);
  std::string qualifiers;
  if (!p.arch.empty()) qualifiers += "arch=" + PercentEncode(p.arch, false);
  if ((p.ecosystem == Ecosystem::kDeb || p.ecosystem == Ecosystem::kApk) && os &&
      !os->version_id.empty()) {
    if (!qualifiers.empty()) qualifiers += "&";
    qualifiers += "distro=" + PercentEncode(os->id + "-" + os->version_id, false);
  }
  if (!qualifiers.empty()) out += "?" + qualifiers;
  return out;
}

}  // namespace dai::sbom
