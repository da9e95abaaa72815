// Dependency scanning from the command line (issue #6):
//  `scan sbom PATH|IMAGE.tar [--format table|json|cyclonedx|spdx] [--kind FORMAT]`: the
//    inventory of a lockfile, a package database, a directory tree (repository or root
//    filesystem) or a container image (docker save / OCI tarball or OCI layout directory).
//  `scan vuln PATH|IMAGE.tar [--osv FILE|DIR|ZIP]... [--format table|json|sarif|cyclonedx|spdx]
//    [--fail-on critical|high|medium|low|none]`: the same inventory matched against OSV
//    advisories from --osv, or from the store's advisory database (--data-dir/--db) when no
//    --osv is given. Exit code 1 when a finding is at or above --fail-on (default low; findings
//    of unknown severity count as medium), for CI. `--policy FILE` (YAML or JSON, the fields of
//    securityGuardian.createPolicy) decides instead: exit 1 only for the verdict "block".
//  `scan import REPORT.json [--format table|json]`: a Trivy or Grype JSON report in our model.
//  `db import FILE|DIR|ZIP [--data-dir/--db]`: OSV JSON (as osv.dev publishes per ecosystem)
//    into the store's advisory database.
// Exit code 2 = usage or input error.
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <archive.h>
#include <archive_entry.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "adapters/inventory/fs_inventory.h"
#include "adapters/inventory/image_inventory.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/yaml_input.h"
#include "engines/sbom/dependency_paths.h"
#include "engines/vulnmatch/matcher.h"
#include "engines/vulnmatch/patch.h"
#include "engines/vulnmatch/policy.h"
#include "engines/vulnmatch/report_import.h"
#include "modules/security/security_service.h"

#ifndef DAI_VERSION
#define DAI_VERSION "dev"
#endif

namespace dai::cli {
namespace {

struct SbomArgs {
  std::string path;
  std::string format = "table";
  std::string kind;
};

Json InventoryJson(const sbom::Inventory& inv) {
  Json pkgs = Json::array();
  for (const auto& p : inv.packages) {
    Json j = {{"name", p.name},
              {"version", p.version},
              {"ecosystem", std::string(sbom::EcosystemOsvName(p.ecosystem))},
              {"purl", sbom::PackageUrl(p, inv.os)},
              {"location", p.location}};
    if (p.dev) j["dev"] = true;
    if (p.relationship != sbom::Relationship::kUnknown)
      j["relationship"] = std::string(sbom::RelationshipName(p.relationship));
    if (!p.src_name.empty()) {
      j["src_name"] = p.src_name;
      j["src_version"] = p.src_version;
    }
    if (!p.arch.empty()) j["arch"] = p.arch;
    pkgs.push_back(std::move(j));
  }
  Json out = {{"target", inv.target}, {"packages", pkgs}, {"warnings", inv.warnings}};
  if (inv.os)
    out["os"] = {{"id", inv.os->id},
                 {"version_id", inv.os->version_id},
                 {"pretty_name", inv.os->pretty_name}};
  return out;
}

bool LooksLikeImage(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return fs::exists(fs::path(path) / "oci-layout", ec);
  for (std::string_view ext : {".tar", ".tar.gz", ".tgz"})
    if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0)
      return true;
  return false;
}

Result<sbom::Inventory> Inventory(const std::string& path, const std::string& kind) {
  if (kind.empty() && LooksLikeImage(path)) return inventory::ScanImage(path);
  return inventory::ScanPath(path, kind);
}

int RunSbom(const SbomArgs& args) {
  auto inv = Inventory(args.path, args.kind);
  if (!inv.ok()) {
    std::cerr << "scan sbom: " << inv.status().ToString() << "\n";
    return 2;
  }
  const std::string now = FormatIso8601(SystemClock::Instance().Now());
  if (args.format == "json") {
    std::cout << InventoryJson(*inv).dump(1, ' ', false, Json::error_handler_t::replace) << "\n";
  } else if (args.format == "cyclonedx") {
    std::cout << sbom::ToCycloneDx(*inv, now, DAI_VERSION)
                     .dump(1, ' ', false, Json::error_handler_t::replace)
              << "\n";
  } else if (args.format == "spdx") {
    std::cout
        << sbom::ToSpdx(*inv, now, DAI_VERSION).dump(1, ' ', false, Json::error_handler_t::replace)
        << "\n";
  } else {
    if (inv->os) std::cout << "OS: " << inv->os->pretty_name << "\n";
    for (const auto& p : inv->packages)
      std::cout << sbom::EcosystemOsvName(p.ecosystem) << "\t" << p.name << "\t" << p.version
                << "\t" << p.location << "\n";
    std::cout << inv->packages.size() << " packages\n";
  }
  for (const auto& w : inv->warnings) std::cerr << "warning: " << w << "\n";
  return 0;
}

CLI::App* ScanCommand(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->get_name() == "scan") return sub;
  auto* scan = app.add_subcommand("scan", "Security scanners");
  scan->require_subcommand(1);
  return scan;
}

struct StoreFlags {
  std::map<std::string, std::string> values;
};

void AddStoreFlags(CLI::App* cmd, StoreFlags& f) {
  cmd->add_option_function<std::string>(
      "--data-dir", [&f](const std::string& v) { f.values["data_dir"] = v; },
      "Data directory (SQLite file) [./data]");
  cmd->add_option_function<std::string>(
      "--db", [&f](const std::string& v) { f.values["db"] = v; }, "Database URL (postgres://...)");
}

Result<std::unique_ptr<OpenedStore>> OpenStoreFrom(const StoreFlags& f) {
  auto env = DevopsAiEnvironment();
  std::optional<std::string> file;
  if (auto it = env.find("DEVOPS_AI_CONFIG"); it != env.end()) file = it->second;
  DAI_ASSIGN_OR_RETURN(Config config, LoadConfig(file, env, f.values));
  return OpenStore(config, true);
}

// Calls fn(name, text) for every OSV JSON document in a file, a directory (recursive) or a
// ZIP archive (osv.dev's per-ecosystem all.zip).
Status ForEachOsvDocument(const std::string& path,
                          const std::function<Status(const std::string&, const std::string&)>& fn) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(path, ec))
      if (e.is_regular_file() && !e.is_symlink() && e.path().extension() == ".json")
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) DAI_RETURN_IF_ERROR(fn(f.string(), read(f)));
    return Status::Ok();
  }
  if (!fs::is_regular_file(path, ec)) return Status::NotFound("no such file or directory: " + path);
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".zip") == 0) {
    archive* a = archive_read_new();
    archive_read_support_format_zip(a);
    if (archive_read_open_filename(a, path.c_str(), 1 << 16) != ARCHIVE_OK) {
      archive_read_free(a);
      return Status::InvalidArgument(path + ": not a readable ZIP archive");
    }
    archive_entry* entry = nullptr;
    Status st;
    while (st.ok() && archive_read_next_header(a, &entry) == ARCHIVE_OK) {
      std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
      if (archive_entry_filetype(entry) != AE_IFREG || name.size() < 5 ||
          name.compare(name.size() - 5, 5, ".json") != 0)
        continue;
      if (archive_entry_size(entry) > (64 << 20)) {
        st = Status::PayloadTooLarge(path + ": " + name + " is over 64 MiB");
        break;
      }
      std::string text;
      char buf[65536];
      la_ssize_t n;
      while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
        text.append(buf, static_cast<size_t>(n));
      st = fn(path + ":" + name, text);
    }
    archive_read_free(a);
    return st;
  }
  return fn(path, read(path));
}

struct VulnArgs {
  std::string path;
  std::vector<std::string> osv;
  std::string format = "table";
  std::string fail_on = "low";
  std::string policy;  //!< a policy file (YAML or JSON); decides the exit code when set
  StoreFlags store;
};

// A YAML policy document as JSON (plain scalars that read as numbers become numbers; dates stay
// strings). Nesting is bounded.
Result<Json> PolicyYamlToJson(const YAML::Node& node, int depth) {
  if (depth > 16) return Status::InvalidArgument("the policy nests deeper than 16 levels");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& v = node.Scalar();
      if (node.Tag() != "!" && !v.empty()) {
        char* end = nullptr;
        const double d = std::strtod(v.c_str(), &end);
        if (end == v.c_str() + v.size() && std::isfinite(d)) return Json(d);
        if (v == "true" || v == "false") return Json(v == "true");
      }
      return Json(v);
    }
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& c : node) {
        DAI_ASSIGN_OR_RETURN(Json j, PolicyYamlToJson(c, depth + 1));
        a.push_back(std::move(j));
      }
      return a;
    }
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) return Status::InvalidArgument("policy keys must be strings");
        DAI_ASSIGN_OR_RETURN(Json j, PolicyYamlToJson(kv.second, depth + 1));
        o[kv.first.Scalar()] = std::move(j);
      }
      return o;
    }
  }
  return Json(nullptr);
}

Result<vulnmatch::Policy> LoadPolicyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("--policy: cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.size() > (1u << 20))
    return Status::InvalidArgument("--policy: " + path + " is over 1 MB");
  Json doc;
  auto json = ParseJson(text);
  if (json.ok()) {
    doc = *json;
  } else {
    DAI_RETURN_IF_ERROR(CheckYamlInput(text, "--policy " + path));
    try {
      DAI_ASSIGN_OR_RETURN(doc, PolicyYamlToJson(YAML::Load(text), 0));
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument("--policy: " + path + " is neither JSON nor YAML: line " +
                                     std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
  }
  auto p = vulnmatch::ParsePolicy(doc);
  if (!p.ok()) return Status::InvalidArgument("--policy " + path + ": " + p.status().message());
  return p;
}

int SeverityRank(const std::string& s) {
  if (s == "CRITICAL") return 4;
  if (s == "HIGH") return 3;
  if (s == "MEDIUM" || s == "UNKNOWN") return 2;
  if (s == "LOW") return 1;
  return 0;
}

int RunVuln(const VulnArgs& args) {
  std::optional<vulnmatch::Policy> policy;
  if (!args.policy.empty()) {
    auto p = LoadPolicyFile(args.policy);
    if (!p.ok()) {
      std::cerr << "scan vuln: " << p.status().ToString() << "\n";
      return 2;
    }
    policy = std::move(*p);
  }
  auto inv = Inventory(args.path, "");
  if (!inv.ok()) {
    std::cerr << "scan vuln: " << inv.status().ToString() << "\n";
    return 2;
  }
  std::shared_ptr<const vulnmatch::AdvisoryIndex> index;
  Json db_info;
  if (!args.osv.empty()) {
    auto own = std::make_shared<vulnmatch::AdvisoryIndex>();
    for (const auto& p : args.osv) {
      Status st =
          ForEachOsvDocument(p, [&](const std::string& name, const std::string& text) -> Status {
            auto advs = vulnmatch::ParseOsvDocument(text);
            if (!advs.ok()) return advs.status().WithContext(name);
            for (auto& a : *advs) own->Add(std::move(a));
            return Status::Ok();
          });
      if (!st.ok()) {
        std::cerr << "scan vuln: " << st.ToString() << "\n";
        return 2;
      }
    }
    db_info = {{"advisories", own->size()}, {"source", args.osv}};
    index = own;
  } else {
    auto store = OpenStoreFrom(args.store);
    if (!store.ok()) {
      std::cerr << "scan vuln: " << store.status().ToString() << "\n";
      return 2;
    }
    security::SecurityService svc(*(*store)->db, SystemClock::Instance(), {}, {});
    auto idx = svc.Index();
    auto info = svc.DatabaseInfo();
    if (!idx.ok() || !info.ok()) {
      std::cerr << "scan vuln: " << (idx.ok() ? info.status() : idx.status()).ToString() << "\n";
      return 2;
    }
    index = *idx;
    db_info = *info;
    if ((*idx)->size() == 0)
      std::cerr << "scan vuln: the advisory database is empty; run `devops-ai db import` first\n";
  }
  std::vector<vulnmatch::PackageQuery> queries;
  for (const auto& p : inv->packages)
    queries.push_back(
        {sbom::OsvEcosystemFor(p, inv->os), p.src_name.empty() ? p.name : p.src_name, p.version});
  std::vector<std::string> warnings = inv->warnings;
  auto findings = index->Match(queries, &warnings);
  const int threshold = args.fail_on == "none" ? 99 : SeverityRank([&] {
    std::string u = args.fail_on;
    for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
  }());
  int exit_code = 0;
  Json items = Json::array();
  std::vector<vulnmatch::PolicyFinding> policy_input;
  const auto dep_paths = sbom::DependencyPaths(inv->packages);
  for (const auto& f : findings) {
    const auto& pkg = inv->packages[f.package];
    const auto& adv = index->advisory(f.advisory);
    if (SeverityRank(f.severity) >= threshold) exit_code = 1;
    policy_input.push_back({adv.id, adv.aliases, pkg.name, f.severity, f.cvss_score});
    vulnmatch::PatchInput pin;
    pin.scheme = vulnmatch::SchemeForEcosystem(queries[f.package].ecosystem)
                     .value_or(vulnmatch::VersionScheme::kSemver);
    pin.installed = pkg.version;
    pin.minimal_fix = f.minimal_fix;
    pin.severity = f.severity;
    pin.cvss_score = f.cvss_score;
    pin.direct = pkg.relationship == sbom::Relationship::kDirect ||
                 pkg.relationship == sbom::Relationship::kUnknown;
    pin.dev = pkg.dev;
    auto pa = vulnmatch::AssessPatch(pin);
    items.push_back({{"id", adv.id},
                     {"aliases", adv.aliases},
                     {"package", pkg.name},
                     {"version", pkg.version},
                     {"ecosystem", queries[f.package].ecosystem},
                     {"severity", f.severity},
                     {"cvss", f.cvss_score >= 0 ? Json(f.cvss_score) : Json(nullptr)},
                     {"fixedVersions", f.fixed_versions},
                     {"minimalFix", f.minimal_fix ? Json(*f.minimal_fix) : Json(nullptr)},
                     {"location", pkg.location},
                     {"dependencyPath",
                      dep_paths[f.package].empty()
                          ? Json(nullptr)
                          : Json(sbom::DependencyPathText(inv->packages, dep_paths[f.package]))},
                     {"summary", adv.summary},
                     {"patch",
                      {{"distance", std::string(vulnmatch::UpgradeDistanceName(pa.distance))},
                       {"riskScore", pa.risk_score},
                       {"breakingRisk", pa.breaking_risk}}}});
  }
  // A policy decides the exit code instead of --fail-on: 1 only when its verdict is "block".
  Json policy_json = nullptr;
  if (policy) {
    const std::string today = FormatIso8601(SystemClock::Instance().Now()).substr(0, 10);
    auto e = vulnmatch::EvaluatePolicy(*policy, policy_input, today);
    for (size_t i = 0; i < e.findings.size(); ++i) {
      items[i]["policy"] = e.findings[i].level;
      if (e.findings[i].ignored_by >= 0) {
        const auto& r = policy->ignore[static_cast<size_t>(e.findings[i].ignored_by)];
        items[i]["ignoredBy"] = {{"rule", e.findings[i].ignored_by},
                                 {"reason", r.reason},
                                 {"expires", r.expires.empty() ? Json(nullptr) : Json(r.expires)}};
      }
    }
    policy_json = {{"file", args.policy},
                   {"verdict", e.verdict},
                   {"ignored", e.ignored},
                   {"expiredRules", e.expired}};
    exit_code = e.verdict == "block" ? 1 : 0;
    for (const auto& x : e.expired) std::cerr << "policy: " << x << "\n";
    std::cerr << "policy " << args.policy << ": " << e.verdict << " (" << e.ignored
              << " findings ignored)\n";
  }
  const auto dump = [](const Json& j) {
    return j.dump(1, ' ', false, Json::error_handler_t::replace);
  };
  if (args.format == "json") {
    std::cout << dump({{"target", inv->target},
                       {"database", db_info},
                       {"policy", policy_json},
                       {"packages", inv->packages.size()},
                       {"findings", items},
                       {"warnings", warnings}})
              << "\n";
  } else if (args.format == "sarif") {
    Json rules = Json::array(), results = Json::array();
    std::set<std::string> seen;
    for (const auto& it : items) {
      const std::string id = it["id"];
      if (seen.insert(id).second)
        rules.push_back({{"id", id},
                         {"shortDescription",
                          {{"text", it["summary"].get<std::string>().empty()
                                        ? id
                                        : it["summary"].get<std::string>()}}}});
      const std::string sev = it["severity"];
      results.push_back(
          {{"ruleId", id},
           {"level", sev == "CRITICAL" || sev == "HIGH" ? "error"
                     : sev == "LOW"                     ? "note"
                                                        : "warning"},
           {"message",
            {{"text", it["package"].get<std::string>() + "@" + it["version"].get<std::string>() +
                          " is affected by " + id}}},
           {"locations", Json::array({{{"physicalLocation",
                                        {{"artifactLocation", {{"uri", it["location"]}}}}}}})}});
    }
    std::cout << dump({{"version", "2.1.0"},
                       {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                       {"runs",
                        Json::array(
                            {{{"tool", {{"driver", {{"name", "devops-ai"}, {"rules", rules}}}}},
                              {"results", results},
                              {"properties",
                               {{"advisoryDatabase", db_info}, {"policy", policy_json}}}}})}})
              << "\n";
  } else if (args.format == "cyclonedx" || args.format == "spdx") {
    const std::string now = FormatIso8601(SystemClock::Instance().Now());
    std::cout << dump(args.format == "cyclonedx" ? sbom::ToCycloneDx(*inv, now, DAI_VERSION)
                                                 : sbom::ToSpdx(*inv, now, DAI_VERSION))
              << "\n";
  } else {
    std::cout << "advisory database: " << db_info.dump() << "\n";
    for (const auto& it : items)
      std::cout << it["severity"].get<std::string>() << "\t" << it["id"].get<std::string>() << "\t"
                << it["package"].get<std::string>() << "@" << it["version"].get<std::string>()
                << "\tfix: "
                << (it["minimalFix"].is_null() ? std::string("-")
                                               : it["minimalFix"].get<std::string>())
                << " (" << it["patch"]["distance"].get<std::string>() << ", risk "
                << it["patch"]["riskScore"].get<int>() << ")\t" << it["location"].get<std::string>()
                << (it.contains("ignoredBy")
                        ? "\tignored: " + it["ignoredBy"]["reason"].get<std::string>()
                        : std::string())
                << "\n";
    std::cout << items.size() << " findings in " << inv->packages.size() << " packages\n";
  }
  for (const auto& w : warnings) std::cerr << "warning: " << w << "\n";
  return exit_code;
}

int RunImportReport(const std::string& path, const std::string& format) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "scan import: cannot read " << path << "\n";
    return 2;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto report = vulnmatch::ImportScannerReport(ss.str());
  if (!report.ok()) {
    std::cerr << "scan import: " << report.status().ToString() << "\n";
    return 2;
  }
  Json items = Json::array();
  for (const auto& f : report->findings)
    items.push_back({{"scanner", f.scanner},
                     {"id", f.vuln_id},
                     {"aliases", f.aliases},
                     {"package", f.package_name},
                     {"version", f.package_version},
                     {"ecosystem", f.ecosystem},
                     {"fixedVersion", f.fixed_version},
                     {"severity", f.severity},
                     {"cvss", f.cvss_score >= 0 ? Json(f.cvss_score) : Json(nullptr)},
                     {"location", f.location}});
  if (format == "json") {
    std::cout << Json({{"scanner", report->scanner},
                       {"artifact", report->artifact},
                       {"findings", items}})
                     .dump(1, ' ', false, Json::error_handler_t::replace)
              << "\n";
  } else {
    for (const auto& it : items)
      std::cout << it["severity"].get<std::string>() << "\t" << it["id"].get<std::string>() << "\t"
                << it["package"].get<std::string>() << "@" << it["version"].get<std::string>()
                << "\n";
    std::cout << items.size() << " findings from " << report->scanner << "\n";
  }
  return 0;
}

int RunDbImport(const std::vector<std::string>& paths, const StoreFlags& flags) {
  auto store = OpenStoreFrom(flags);
  if (!store.ok()) {
    std::cerr << "db import: " << store.status().ToString() << "\n";
    return 2;
  }
  security::SecurityService svc(*(*store)->db, SystemClock::Instance(), {}, {});
  int total = 0;
  for (const auto& p : paths) {
    Status st =
        ForEachOsvDocument(p, [&](const std::string& name, const std::string& text) -> Status {
          auto n = svc.ImportAdvisories(text, name);
          if (!n.ok()) return n.status().WithContext(name);
          total += *n;
          return Status::Ok();
        });
    if (!st.ok()) {
      std::cerr << "db import: " << st.ToString() << " (" << total
                << " advisories imported before it)\n";
      return 2;
    }
  }
  auto info = svc.DatabaseInfo();
  std::cout << "imported " << total << " advisories; database: " << (info.ok() ? info->dump() : "?")
            << "\n";
  return 0;
}

// `db refresh`: the online OSV refresh of the server's refreshAdvisories, from the command line
// (for cron). --osv-url sets the stored OSV API URL first.
int RunDbRefresh(const std::string& url, const StoreFlags& flags) {
  auto store = OpenStoreFrom(flags);
  if (!store.ok()) {
    std::cerr << "db refresh: " << store.status().ToString() << "\n";
    return 2;
  }
  security::SecurityServiceOptions options;
  http::HttpClientOptions osv_http;
  osv_http.policy = http::OutboundPolicy::AllowLocal();
  osv_http.max_response_bytes = size_t{32} << 20;
  options.osv_http = std::make_shared<const http::HttpClient>(osv_http);
  security::SecurityService svc(*(*store)->db, SystemClock::Instance(), options, {});
  if (!url.empty()) {
    Status st = svc.SetOsvUrl(url);
    if (!st.ok()) {
      std::cerr << "db refresh: --osv-url: " << st.message() << "\n";
      return 2;
    }
  }
  auto r = svc.RefreshAdvisoriesRecorded("cli");
  if (!r.ok()) {
    std::cerr << "db refresh: " << r.status().ToString() << "\n";
    return 1;
  }
  std::cout << r->dump(1, ' ', false, Json::error_handler_t::replace) << "\n";
  return 0;
}

}  // namespace

void RegisterSbomCommands(CLI::App& app, CliState& state) {
  CLI::App* scan = ScanCommand(app);
  auto args = std::make_shared<SbomArgs>();
  auto* cmd = scan->add_subcommand(
      "sbom", "Inventory of a lockfile, package database, directory or root filesystem");
  cmd->add_option("path", args->path, "file or directory")->required();
  cmd->add_option("--format", args->format, "table | json | cyclonedx | spdx")
      ->check(CLI::IsMember({"table", "json", "cyclonedx", "spdx"}));
  cmd->add_option("--kind", args->kind,
                  "force a format for a single file (npm, yarn, pnpm, gomod, gosum, cargo, poetry, "
                  "pipenv, pip, composer, bundler, maven, dpkg, apk)");
  cmd->callback([args, &state] { state.exit_code = RunSbom(*args); });

  auto vargs = std::make_shared<VulnArgs>();
  auto* vuln = scan->add_subcommand("vuln", "Match an inventory against OSV advisories");
  vuln->add_option("path", vargs->path, "file, directory, image tarball or OCI layout")->required();
  vuln->add_option("--osv", vargs->osv,
                   "OSV JSON file, directory or ZIP (repeatable); default: the store");
  vuln->add_option("--format", vargs->format, "table | json | sarif | cyclonedx | spdx")
      ->check(CLI::IsMember({"table", "json", "sarif", "cyclonedx", "spdx"}));
  vuln->add_option("--fail-on", vargs->fail_on,
                   "exit 1 at or above: critical | high | medium | low | none")
      ->check(CLI::IsMember({"critical", "high", "medium", "low", "none"}));
  vuln->add_option("--policy", vargs->policy,
                   "policy file (YAML or JSON: block/warn thresholds, ignore rules); exit 1 only "
                   "when its verdict is block (replaces --fail-on)");
  AddStoreFlags(vuln, vargs->store);
  vuln->callback([vargs, &state] { state.exit_code = RunVuln(*vargs); });

  auto iargs = std::make_shared<std::pair<std::string, std::string>>("", "table");
  auto* imp =
      scan->add_subcommand("import", "Read a Trivy or Grype JSON report into our findings model");
  imp->add_option("report", iargs->first, "report JSON file")->required();
  imp->add_option("--format", iargs->second, "table | json")
      ->check(CLI::IsMember({"table", "json"}));
  imp->callback(
      [iargs, &state] { state.exit_code = RunImportReport(iargs->first, iargs->second); });

  auto dargs = std::make_shared<std::pair<std::vector<std::string>, StoreFlags>>();
  auto* db = app.add_subcommand("db", "Advisory database");
  db->require_subcommand(1);
  auto* dbi =
      db->add_subcommand("import", "Import OSV JSON (file, directory or ZIP) into the store");
  dbi->add_option("paths", dargs->first, "OSV JSON files, directories or ZIP archives")->required();
  AddStoreFlags(dbi, dargs->second);
  dbi->callback([dargs, &state] { state.exit_code = RunDbImport(dargs->first, dargs->second); });
  auto rargs = std::make_shared<std::pair<std::string, StoreFlags>>();
  auto* dbr = db->add_subcommand(
      "refresh",
      "Ask the OSV API (querybatch) about the packages of the latest scans and import new or "
      "changed advisories");
  dbr->add_option("--osv-url", rargs->first,
                  "OSV API base URL to store and use (default: the stored setting, else "
                  "https://api.osv.dev)");
  AddStoreFlags(dbr, rargs->second);
  dbr->callback([rargs, &state] { state.exit_code = RunDbRefresh(rargs->first, rargs->second); });
}

}  // namespace dai::cli
