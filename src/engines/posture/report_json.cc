#include "engines/posture/report_json.h"

#include <map>

namespace dai::posture {
namespace {

Json Strings(const std::vector<std::string_view>& v) {
  Json a = Json::array();
  for (auto s : v) a.push_back(std::string(s));
  return a;
}

Json CheckJson(const CheckInfo& c) {
  return {{"id", std::string(c.id)},
          {"severity", std::string(SeverityName(c.severity))},
          {"category", std::string(c.category)},
          {"title", std::string(c.title)},
          {"remediation", std::string(c.remediation)},
          {"cis", Strings(c.cis)},
          {"nsa", Strings(c.nsa)},
          {"kubeScore", Strings(c.kube_score)},
          {"polaris", Strings(c.polaris)},
          {"optional", c.optional}};
}

std::string_view SarifLevel(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh:
      return "error";
    case Severity::kMedium:
      return "warning";
    case Severity::kLow:
      return "note";
  }
  return "note";
}

}  // namespace

Json CatalogToJson() {
  Json a = Json::array();
  for (const auto& c : Catalog()) a.push_back(CheckJson(c));
  return a;
}

Json ReportToJson(const std::vector<Object>& objects, const Report& report) {
  Json results = Json::array();
  std::map<std::string, int> by_severity;
  for (const auto& r : report.results) {
    const Object& o = objects.at(r.object_index);
    const CheckInfo* info = FindCheck(r.check_id);
    bool fail = r.outcome == Outcome::kFail;
    if (fail) by_severity[std::string(SeverityName(r.severity))]++;
    results.push_back({{"check", r.check_id},
                       {"outcome", fail ? "fail" : "pass"},
                       {"severity", std::string(SeverityName(r.severity))},
                       {"kind", o.kind},
                       {"name", o.name},
                       {"namespace", o.namespace_},
                       {"file", o.file},
                       {"line", o.line},
                       {"container", r.container},
                       {"message", r.message},
                       {"title", info ? std::string(info->title) : ""},
                       {"remediation", info ? std::string(info->remediation) : ""},
                       {"cis", info ? Strings(info->cis) : Json::array()},
                       {"nsa", info ? Strings(info->nsa) : Json::array()}});
  }
  Json checks = Json::array();
  for (const auto& id : report.checks_run) checks.push_back(id);
  return {{"checksRun", checks},
          {"summary",
           {{"objects", objects.size()},
            {"failed", report.failed},
            {"passed", report.passed},
            {"bySeverity", by_severity}}},
          {"results", results}};
}

Json ReportToSarif(const std::vector<Object>& objects, const Report& report,
                   std::string_view tool_version) {
  Json rules = Json::array();
  for (const auto& id : report.checks_run) {
    const CheckInfo* c = FindCheck(id);
    if (c == nullptr) continue;
    rules.push_back({{"id", id},
                     {"name", id},
                     {"shortDescription", {{"text", std::string(c->title)}}},
                     {"help", {{"text", std::string(c->remediation)}}},
                     {"defaultConfiguration", {{"level", std::string(SarifLevel(c->severity))}}},
                     {"properties",
                      {{"severity", std::string(SeverityName(c->severity))},
                       {"cis", Strings(c->cis)},
                       {"tags", Json::array({"kubernetes", std::string(c->category)})}}}});
  }
  Json results = Json::array();
  for (const auto& r : report.results) {
    if (r.outcome != Outcome::kFail) continue;
    const Object& o = objects.at(r.object_index);
    std::string where = o.kind + "/" + (o.namespace_.empty() ? "" : o.namespace_ + "/") + o.name;
    if (!r.container.empty()) where += " container " + r.container;
    results.push_back(
        {{"ruleId", r.check_id},
         {"level", std::string(SarifLevel(r.severity))},
         {"message", {{"text", where + ": " + r.message}}},
         {"locations",
          Json::array({{{"physicalLocation",
                         {{"artifactLocation", {{"uri", o.file}}},
                          {"region", {{"startLine", o.line > 0 ? o.line : 1}}}}},
                        {"logicalLocations", Json::array({{{"name", o.name},
                                                           {"kind", "resource"},
                                                           {"fullyQualifiedName", where}}})}}})}});
  }
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", Json::array({{{"tool",
                                  {{"driver",
                                    {{"name", "devops-ai"},
                                     {"version", std::string(tool_version)},
                                     {"informationUri", "https://github.com/devops-ai"},
                                     {"rules", rules}}}}},
                                 {"results", results}}})}};
}

}  // namespace dai::posture
