// devops-ai: the server, the background engines and the command-line tool in one binary.
#include <cstdio>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"devops-ai: self-hosted DevOps automation (incidents, healing, security, cost, CI/CD, docs)",
               "devops-ai"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  dai::cli::CliState state;
  dai::cli::RegisterServerCommands(app, state);
  dai::cli::RegisterAnomalyCommands(app, state);
  dai::cli::RegisterLogsCommands(app, state);
  dai::cli::RegisterRcaCommands(app, state);
  dai::cli::RegisterScanCommands(app, state);
  dai::cli::RegisterSbomCommands(app, state);
  dai::cli::RegisterK8sCommands(app, state);
  dai::cli::RegisterHealingCommands(app, state);
  dai::cli::RegisterCostCommands(app, state);
  dai::cli::RegisterPipelineCommands(app, state);
  dai::cli::RegisterDocsCommands(app, state);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error (unknown option, a value outside its
    // set, a missing argument) exits 2, like the commands' own bad-input errors, instead of
    // CLI11's internal codes (105, 106 ...), which scripts cannot tell from findings.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return state.exit_code;
}
