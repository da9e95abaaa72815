// `devops-ai anomaly score`: not built yet (issue #3); answers with an explicit error.
#include <cstdio>

#include "cli/commands.h"

namespace dai::cli {

void RegisterAnomalyCommands(CLI::App& app, CliState& state) {
  auto* cmd = app.add_subcommand("anomaly", "anomaly score (not implemented yet)");
  cmd->allow_extras();
  cmd->callback([&state] {
    std::fprintf(stderr, "devops-ai anomaly score: not implemented yet\n");
    state.exit_code = 2;
  });
}

}  // namespace dai::cli
