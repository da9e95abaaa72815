// `devops-ai logs mine`: not built yet (issue #4); answers with an explicit error.
#include <cstdio>

#include "cli/commands.h"

namespace dai::cli {

void RegisterLogsCommands(CLI::App& app, CliState& state) {
  auto* cmd = app.add_subcommand("logs", "logs mine (not implemented yet)");
  cmd->allow_extras();
  cmd->callback([&state] {
    std::fprintf(stderr, "devops-ai logs mine: not implemented yet\n");
    state.exit_code = 2;
  });
}

}  // namespace dai::cli
