// The CLI's subcommands. main.cc builds one CLI11 app and asks each Register* function to add
// its subcommands; a subcommand's callback sets state.exit_code. This folder is the only
// place that chooses implementations (SQLite vs PostgreSQL, real vs fake adapters).
#pragma once

#include <CLI/CLI.hpp>

namespace dai::cli {

struct CliState {
  int exit_code = 0;
};

void RegisterServerCommands(CLI::App& app, CliState& state);   // serve, migrate, user, token, config, version
void RegisterAnomalyCommands(CLI::App& app, CliState& state);  // anomaly score
void RegisterLogsCommands(CLI::App& app, CliState& state);     // logs mine
void RegisterRcaCommands(CLI::App& app, CliState& state);      // rca rank
void RegisterScanCommands(CLI::App& app, CliState& state);     // scan secrets
void RegisterSbomCommands(CLI::App& app, CliState& state);     // scan sbom|vuln, db import
void RegisterK8sCommands(CLI::App& app, CliState& state);      // scan k8s
void RegisterHealingCommands(CLI::App& app, CliState& state);  // healing check|decide
void RegisterCostCommands(CLI::App& app, CliState& state);     // cost import
void RegisterPipelineCommands(CLI::App& app, CliState& state); // pipeline generate|run|judge
void RegisterDocsCommands(CLI::App& app, CliState& state);     // docs diagram|generate

}  // namespace dai::cli
