// `devops-ai rca rank`: not built yet (issue #3); answers with an explicit error.
#include <cstdio>

#include "cli/commands.h"

namespace dai::cli {

void RegisterRcaCommands(CLI::App& app, CliState& state) {
  auto* cmd = app.add_subcommand("rca", "rca rank (not implemented yet)");
  cmd->allow_extras();
  cmd->callback([&state] {
    std::fprintf(stderr, "devops-ai rca rank: not implemented yet\n");
    state.exit_code = 2;
  });
}

}  // namespace dai::cli
