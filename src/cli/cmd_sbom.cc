// `devops-ai scan sbom PATH [--format table|json|cyclonedx|spdx] [--kind FORMAT]`: the
// inventory of a lockfile, a package database, a directory tree (repository or root
// filesystem) — see adapters/inventory — printed as a table, our JSON, CycloneDX 1.5 or
// SPDX 2.3. Exit code: 0 = inventory printed, 2 = usage or input error.
#include <iostream>
#include <memory>
#include <string>

#include "adapters/inventory/fs_inventory.h"
#include "cli/commands.h"
#include "core/clock.h"
#include "core/json.h"

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

int RunSbom(const SbomArgs& args) {
  auto inv = inventory::ScanPath(args.path, args.kind);
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
}

}  // namespace dai::cli
