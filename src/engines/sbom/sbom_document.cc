#include "engines/sbom/sbom_document.h"

#include <cstdint>
#include <cstdio>
#include <map>

#include "core/json.h"

namespace dai::sbom {
namespace {

// FNV-1a 64: a stable, content-derived identifier (not a security boundary).
uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string UuidFrom(const std::string& seed) {
  uint64_t a = Fnv1a(seed), b = Fnv1a(seed, a ^ 0x9e3779b97f4a7c15ULL);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-5%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(((b >> 48) & 0x3fff) | 0x8000),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string Seed(const Inventory& inv, const std::string& created) {
  std::string seed = inv.target + "|" + created;
  for (const auto& p : inv.packages) seed += "|" + p.name + "@" + p.version + "@" + p.location;
  return seed;
}

std::string SpdxId(const Package& p, size_t index) {
  std::string id = "SPDXRef-Package-";
  for (char c : std::string(EcosystemPurlType(p.ecosystem)) + "-" + p.name + "-" + p.version) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-';
    id.push_back(ok ? c : '-');
  }
  return id + "-" + std::to_string(index);
}

}  // namespace

Json ToCycloneDx(const Inventory& inv, const std::string& created,
                 const std::string& tool_version) {
  Json doc = {{"bomFormat", "CycloneDX"},
              {"specVersion", "1.5"},
              {"serialNumber", "urn:uuid:" + UuidFrom(Seed(inv, created))},
              {"version", 1}};
  Json component = {
      {"type", inv.os ? "container" : "application"}, {"name", inv.target}, {"bom-ref", "target"}};
  doc["metadata"] = {
      {"timestamp", created},
      {"tools",
       {{"components",
         Json::array(
             {{{"type", "application"}, {"name", "devops-ai"}, {"version", tool_version}}})}}},
      {"component", component}};
  Json components = Json::array();
  std::map<std::string, std::string> ref_by_purl;
  if (inv.os) {
    components.push_back({{"type", "operating-system"},
                          {"bom-ref", "os"},
                          {"name", inv.os->id},
                          {"version", inv.os->version_id},
                          {"description", inv.os->pretty_name}});
  }
  for (const auto& p : inv.packages) {
    std::string purl = PackageUrl(p, inv.os);
    Json c = {{"type", "library"}, {"bom-ref", purl}, {"name", p.name}, {"purl", purl}};
    if (!p.version.empty()) c["version"] = p.version;
    Json props = Json::array();
    if (!p.location.empty())
      props.push_back({{"name", "devops-ai:location"}, {"value", p.location}});
    if (p.dev) props.push_back({{"name", "devops-ai:dev"}, {"value", "true"}});
    if (p.relationship != Relationship::kUnknown)
      props.push_back({{"name", "devops-ai:relationship"},
                       {"value", std::string(RelationshipName(p.relationship))}});
    if (!p.src_name.empty()) {
      props.push_back({{"name", "devops-ai:src_name"}, {"value", p.src_name}});
      props.push_back({{"name", "devops-ai:src_version"}, {"value", p.src_version}});
    }
    if (!props.empty()) c["properties"] = props;
    if (p.dev) c["scope"] = "optional";
    if (ref_by_purl.emplace(purl, purl).second) components.push_back(std::move(c));
  }
  doc["components"] = components;
  // Dependencies: the target depends on the direct (or all, if unknown) packages.
  Json deps = Json::array();
  Json target_deps = Json::array();
  for (const auto& p : inv.packages)
    if (p.relationship == Relationship::kDirect || p.relationship == Relationship::kUnknown)
      target_deps.push_back(PackageUrl(p, inv.os));
  deps.push_back({{"ref", "target"}, {"dependsOn", target_deps}});
  doc["dependencies"] = deps;
  return doc;
}

Json ToSpdx(const Inventory& inv, const std::string& created, const std::string& tool_version) {
  Json doc = {
      {"spdxVersion", "SPDX-2.3"},
      {"dataLicense", "CC0-1.0"},
      {"SPDXID", "SPDXRef-DOCUMENT"},
      {"name", inv.target.empty() ? "sbom" : inv.target},
      {"documentNamespace", "https://devops-ai.invalid/spdx/" + UuidFrom(Seed(inv, created))},
      {"creationInfo",
       {{"created", created}, {"creators", Json::array({"Tool: devops-ai-" + tool_version})}}}};
  Json packages = Json::array();
  Json rels = Json::array();
  for (size_t i = 0; i < inv.packages.size(); ++i) {
    const Package& p = inv.packages[i];
    std::string id = SpdxId(p, i);
    Json pkg = {{"SPDXID", id},
                {"name", p.name},
                {"downloadLocation", "NOASSERTION"},
                {"filesAnalyzed", false},
                {"licenseConcluded", "NOASSERTION"},
                {"licenseDeclared", "NOASSERTION"},
                {"copyrightText", "NOASSERTION"},
                {"externalRefs", Json::array({{{"referenceCategory", "PACKAGE-MANAGER"},
                                               {"referenceType", "purl"},
                                               {"referenceLocator", PackageUrl(p, inv.os)}}})}};
    if (!p.version.empty()) pkg["versionInfo"] = p.version;
    if (!p.location.empty()) pkg["sourceInfo"] = "found in " + p.location;
    packages.push_back(std::move(pkg));
    rels.push_back({{"spdxElementId", "SPDXRef-DOCUMENT"},
                    {"relationshipType", "DESCRIBES"},
                    {"relatedSpdxElement", id}});
  }
  doc["packages"] = packages;
  doc["relationships"] = rels;
  return doc;
}

}  // namespace dai::sbom
