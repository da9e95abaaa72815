// secrets_cli ARGS...: runs `scan ARGS...` exactly as `devops-ai scan ...` does (the same
// RegisterScanCommands from src/cli/cmd_secrets.cc), without the rest of the binary, so the
// secrets bench and evaluation measure just the scanner.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace dai::cli {
void RegisterScanCommands(CLI::App& app, CliState& state);
}

int main(int argc, char** argv) {
  CLI::App app{"secrets_cli: devops-ai scan secrets"};
  app.require_subcommand(1);
  dai::cli::CliState state;
  dai::cli::RegisterScanCommands(app, state);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return state.exit_code;
}
