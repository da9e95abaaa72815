#include "engines/vulnmatch/osv.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/json.h"

namespace dai::vulnmatch {
namespace {

std::string Str(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

Status Bad(const std::string& id, const std::string& what) {
  return Status::InvalidArgument("OSV record " + (id.empty() ? std::string("(no id)") : id) + ": " +
                                 what);
}

std::string LabelFrom(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  if (s == "MODERATE") return "MEDIUM";
  if (s == "NEGLIGIBLE" || s == "UNIMPORTANT") return "LOW";
  if (s == "CRITICAL" || s == "HIGH" || s == "MEDIUM" || s == "LOW") return s;
  return "";
}

// Picks the best CVSS v3 vector from an OSV severity array.
std::string CvssFrom(const Json& sev, std::string* label) {
  std::string best;
  if (!sev.is_array()) return best;
  for (const auto& s : sev) {
    if (!s.is_object()) continue;
    std::string type = Str(s, "type"), score = Str(s, "score");
    if (type == "CVSS_V3" && score.rfind("CVSS:3", 0) == 0) {
      if (best.empty() || score > best) best = score;
    } else if (label && (type == "Ubuntu" || type == "Debian")) {
      std::string l = LabelFrom(score);
      if (!l.empty()) *label = l;
    }
  }
  return best;
}

Result<Advisory> FromJson(const Json& doc) {
  if (!doc.is_object()) return Status::InvalidArgument("OSV record is not a JSON object");
  Advisory a;
  a.id = Str(doc, "id");
  if (a.id.empty()) return Bad("", "missing string field \"id\"");
  for (const char* f : {"aliases", "upstream"}) {
    auto it = doc.find(f);
    if (it != doc.end() && it->is_array())
      for (const auto& x : *it)
        if (x.is_string()) a.aliases.push_back(x.get<std::string>());
  }
  a.summary = Str(doc, "summary");
  a.details = Str(doc, "details");
  a.published = Str(doc, "published");
  a.modified = Str(doc, "modified");
  a.withdrawn = Str(doc, "withdrawn");
  if (auto sev = doc.find("severity"); sev != doc.end())
    a.cvss_vector = CvssFrom(*sev, &a.severity_label);
  if (auto db = doc.find("database_specific"); db != doc.end() && db->is_object()) {
    std::string l = LabelFrom(Str(*db, "severity"));
    if (!l.empty()) a.severity_label = l;
  }
  if (auto refs = doc.find("references"); refs != doc.end() && refs->is_array())
    for (const auto& r : *refs)
      if (r.is_object() && !Str(r, "url").empty()) a.references.push_back(Str(r, "url"));
  auto aff = doc.find("affected");
  if (aff != doc.end() && !aff->is_array()) return Bad(a.id, "\"affected\" is not an array");
  if (aff != doc.end()) {
    for (size_t i = 0; i < aff->size(); ++i) {
      const Json& e = (*aff)[i];
      const std::string where = "affected[" + std::to_string(i) + "]";
      if (!e.is_object()) return Bad(a.id, where + " is not an object");
      OsvAffected out;
      auto pkg = e.find("package");
      if (pkg == e.end() || !pkg->is_object()) continue;  // GIT-only entries have no package
      out.ecosystem = Str(*pkg, "ecosystem");
      out.name = Str(*pkg, "name");
      if (out.ecosystem.empty() || out.name.empty())
        return Bad(a.id, where + ".package lacks ecosystem or name");
      if (auto sev = e.find("severity"); sev != e.end()) out.cvss_vector = CvssFrom(*sev, nullptr);
      if (auto ranges = e.find("ranges"); ranges != e.end()) {
        if (!ranges->is_array()) return Bad(a.id, where + ".ranges is not an array");
        for (const auto& r : *ranges) {
          if (!r.is_object()) return Bad(a.id, where + ".ranges[] is not an object");
          OsvRange range;
          range.type = Str(r, "type");
          auto events = r.find("events");
          if (events == r.end() || !events->is_array())
            return Bad(a.id, where + ".ranges[].events is missing");
          for (const auto& ev : *events) {
            if (!ev.is_object() || ev.empty())
              return Bad(a.id, where + ": an event is not an object");
            OsvEvent event;
            // (items() returns a temporary proxy: binding into it dangles; found by fuzzing.)
            const auto first = ev.begin();
            const std::string key = first.key();
            const Json& value = first.value();
            if (!value.is_string()) return Bad(a.id, where + ": event value is not a string");
            if (key == "introduced")
              event.kind = OsvEvent::Kind::kIntroduced;
            else if (key == "fixed")
              event.kind = OsvEvent::Kind::kFixed;
            else if (key == "last_affected")
              event.kind = OsvEvent::Kind::kLastAffected;
            else if (key == "limit")
              event.kind = OsvEvent::Kind::kLimit;
            else
              return Bad(a.id, where + ": unknown event \"" + key + "\"");
            event.version = value.get<std::string>();
            range.events.push_back(std::move(event));
          }
          out.ranges.push_back(std::move(range));
        }
      }
      if (auto vs = e.find("versions"); vs != e.end() && vs->is_array())
        for (const auto& v : *vs)
          if (v.is_string()) out.versions.push_back(v.get<std::string>());
      a.affected.push_back(std::move(out));
    }
  }
  return a;
}

Result<int> CompareForRange(const std::string& type, VersionScheme scheme, std::string_view a,
                            std::string_view b) {
  if (type == "SEMVER") {
    // SEMVER ranges are SemVer 2.0 without a "v"; tolerate the "v" of Go module versions.
    return CompareVersions(VersionScheme::kGo, a, b);
  }
  return CompareVersions(scheme, a, b);
}

}  // namespace

Result<Advisory> ParseOsv(std::string_view json) {
  auto doc = ParseJson(json);
  if (!doc.ok()) return doc.status().WithContext("OSV record");
  return FromJson(*doc);
}

Result<std::vector<Advisory>> ParseOsvDocument(std::string_view json) {
  auto doc = ParseJson(json);
  if (!doc.ok()) return doc.status().WithContext("OSV file");
  std::vector<Advisory> out;
  if (doc->is_array()) {
    for (const auto& r : *doc) {
      DAI_ASSIGN_OR_RETURN(Advisory a, FromJson(r));
      out.push_back(std::move(a));
    }
  } else {
    DAI_ASSIGN_OR_RETURN(Advisory a, FromJson(*doc));
    out.push_back(std::move(a));
  }
  return out;
}

Result<bool> IsAffected(const OsvAffected& affected, VersionScheme scheme, std::string_view version,
                        std::vector<std::string>* skipped) {
  for (const auto& v : affected.versions)
    if (v == version) return true;
  bool evaluable = false;
  for (const auto& range : affected.ranges) {
    if (range.type != "SEMVER" && range.type != "ECOSYSTEM") continue;
    std::string installed(version);
    if (range.type == "SEMVER" && !IsValidVersion(VersionScheme::kGo, installed)) {
      if (skipped)
        skipped->push_back("version " + installed + " is not SemVer; SEMVER range skipped");
      continue;
    }
    if (range.type == "ECOSYSTEM" && !IsValidVersion(scheme, installed))
      return Status::InvalidArgument("version \"" + installed + "\" is not a valid " +
                                     std::string(SchemeName(scheme)) + " version");
    evaluable = true;
    // OSV's evaluation: sort events by version ("0" lowest), walk, toggling on introduced and
    // off on fixed / past last_affected; limit bounds the range from above.
    std::vector<const OsvEvent*> events;
    bool bad = false;
    for (const auto& e : range.events) {
      if (e.version == "0" && e.kind == OsvEvent::Kind::kIntroduced) {
        events.push_back(&e);
        continue;
      }
      if (e.version == "*" && e.kind == OsvEvent::Kind::kLimit) continue;  // no upper bound
      auto ok = CompareForRange(range.type, scheme, e.version, e.version);
      if (!ok.ok()) {
        if (skipped)
          skipped->push_back("event version \"" + e.version + "\" does not parse; ignored");
        bad = true;
        continue;
      }
      events.push_back(&e);
    }
    (void)bad;
    std::stable_sort(events.begin(), events.end(), [&](const OsvEvent* x, const OsvEvent* y) {
      bool x0 = x->kind == OsvEvent::Kind::kIntroduced && x->version == "0";
      bool y0 = y->kind == OsvEvent::Kind::kIntroduced && y->version == "0";
      if (x0 || y0) return x0 && !y0;
      return CompareForRange(range.type, scheme, x->version, y->version).value_or(0) < 0;
    });
    bool vulnerable = false;
    bool limited = false;
    for (const OsvEvent* e : events) {
      if (e->kind == OsvEvent::Kind::kIntroduced) {
        if (e->version == "0" ||
            CompareForRange(range.type, scheme, installed, e->version).value_or(-1) >= 0)
          vulnerable = true;
      } else if (e->kind == OsvEvent::Kind::kFixed) {
        if (CompareForRange(range.type, scheme, installed, e->version).value_or(-1) >= 0)
          vulnerable = false;
      } else if (e->kind == OsvEvent::Kind::kLastAffected) {
        if (CompareForRange(range.type, scheme, installed, e->version).value_or(-1) > 0)
          vulnerable = false;
      } else if (e->kind == OsvEvent::Kind::kLimit) {
        if (CompareForRange(range.type, scheme, installed, e->version).value_or(-1) >= 0)
          limited = true;
      }
    }
    if (vulnerable && !limited) return true;
  }
  (void)evaluable;
  return false;
}

std::vector<std::string> FixedVersions(const OsvAffected& affected) {
  std::vector<std::string> out;
  for (const auto& r : affected.ranges) {
    if (r.type == "GIT") continue;
    for (const auto& e : r.events)
      if (e.kind == OsvEvent::Kind::kFixed &&
          std::find(out.begin(), out.end(), e.version) == out.end())
        out.push_back(e.version);
  }
  return out;
}

std::optional<std::string> MinimalFix(const OsvAffected& affected, VersionScheme scheme,
                                      std::string_view version) {
  std::optional<std::string> best;
  for (const auto& r : affected.ranges) {
    if (r.type == "GIT") continue;
    for (const auto& e : r.events) {
      if (e.kind != OsvEvent::Kind::kFixed) continue;
      if (CompareForRange(r.type, scheme, e.version, version).value_or(-1) <= 0) continue;
      if (!best || CompareForRange(r.type, scheme, e.version, *best).value_or(1) < 0)
        best = e.version;
    }
  }
  return best;
}

// ---------------------------------------------------------------- CVSS v3
namespace {
double RoundUp(double x) {
  // CVSS v3.1 Roundup: smallest number, to 1 decimal, >= x (integer arithmetic per spec).
  long long i = std::llround(x * 100000);
  if (i % 10000 == 0) return i / 100000.0;
  return (std::floor(static_cast<double>(i) / 10000) + 1) / 10.0;
}
}  // namespace

Result<double> CvssV3BaseScore(std::string_view vector) {
  if (vector.rfind("CVSS:3.0/", 0) != 0 && vector.rfind("CVSS:3.1/", 0) != 0)
    return Status::InvalidArgument("CVSS vector must start with CVSS:3.0/ or CVSS:3.1/");
  std::map<std::string, std::string> m;
  std::string_view rest = vector.substr(9);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    size_t colon = part.find(':');
    if (colon == std::string_view::npos)
      return Status::InvalidArgument("CVSS metric \"" + std::string(part) + "\" lacks a value");
    m[std::string(part.substr(0, colon))] = std::string(part.substr(colon + 1));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  auto get = [&](const char* k, std::initializer_list<std::pair<const char*, double>> values,
                 double& out) -> Status {
    auto it = m.find(k);
    if (it == m.end()) return Status::InvalidArgument(std::string("CVSS vector lacks metric ") + k);
    for (const auto& [name, v] : values)
      if (it->second == name) {
        out = v;
        return Status::Ok();
      }
    return Status::InvalidArgument(std::string("CVSS metric ") + k + " has invalid value " +
                                   it->second);
  };
  double av, ac, pr, ui, c, i, a;
  DAI_RETURN_IF_ERROR(get("AV", {{"N", 0.85}, {"A", 0.62}, {"L", 0.55}, {"P", 0.2}}, av));
  DAI_RETURN_IF_ERROR(get("AC", {{"L", 0.77}, {"H", 0.44}}, ac));
  auto s = m.find("S");
  if (s == m.end() || (s->second != "U" && s->second != "C"))
    return Status::InvalidArgument("CVSS vector lacks a valid S (scope) metric");
  const bool changed = s->second == "C";
  DAI_RETURN_IF_ERROR(
      get("PR", {{"N", 0.85}, {"L", changed ? 0.68 : 0.62}, {"H", changed ? 0.5 : 0.27}}, pr));
  DAI_RETURN_IF_ERROR(get("UI", {{"N", 0.85}, {"R", 0.62}}, ui));
  DAI_RETURN_IF_ERROR(get("C", {{"H", 0.56}, {"L", 0.22}, {"N", 0.0}}, c));
  DAI_RETURN_IF_ERROR(get("I", {{"H", 0.56}, {"L", 0.22}, {"N", 0.0}}, i));
  DAI_RETURN_IF_ERROR(get("A", {{"H", 0.56}, {"L", 0.22}, {"N", 0.0}}, a));
  const double iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const double impact =
      changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0.0;
  if (changed) return RoundUp(std::min(1.08 * (impact + exploitability), 10.0));
  return RoundUp(std::min(impact + exploitability, 10.0));
}

std::string_view SeverityForScore(double score) {
  if (score >= 9.0) return "CRITICAL";
  if (score >= 7.0) return "HIGH";
  if (score >= 4.0) return "MEDIUM";
  if (score > 0.0) return "LOW";
  return "NONE";
}

std::string NormalizePackageName(std::string_view ecosystem, std::string_view name) {
  std::string_view base = ecosystem.substr(0, ecosystem.find(':'));
  std::string out;
  if (base == "PyPI") {
    bool sep = false;
    for (char c : name) {
      if (c == '-' || c == '_' || c == '.') {
        sep = true;
        continue;
      }
      if (sep && !out.empty()) out.push_back('-');
      sep = false;
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
  }
  if (base == "Packagist") {
    for (char c : name)
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return out;
  }
  return std::string(name);
}

}  // namespace dai::vulnmatch
