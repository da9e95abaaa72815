// serve, migrate, user, token, config, version.
#include <cstdio>

#include "cli/commands.h"

namespace dai::cli {

void RegisterServerCommands(CLI::App& app, CliState& state) {
  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([&state] {
    std::printf("devops-ai %s\n", DAI_VERSION);
    state.exit_code = 0;
  });
}

}  // namespace dai::cli
