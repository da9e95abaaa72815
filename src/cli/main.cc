// devops-ai: the server, the background engines and the command-line tool in one binary.
#include <cstdio>

#if defined(DAI_WITH_MIMALLOC)
#include <mimalloc.h>
#endif

#include "cli/commands.h"

int main(int argc, char** argv) {
#if defined(DAI_WITH_MIMALLOC)
  // Give freed memory back to the OS at once instead of after mimalloc's delays (25-500 ms),
  // which only run when the owning thread allocates again: the server's ~40 threads (32 in
  // the blocking pool) each kept what their busiest request used. In the soak (issue 13),
  // resident memory went 30 -> 102 MB in 5 minutes and still rose (live heap flat at 8-11 MB
  // under heaptrack); with these settings 73 MB after 5 minutes (slope 287 -> 120 MB/h).
  mi_option_set(mi_option_decommit_delay, 0);
  mi_option_set(mi_option_segment_decommit_delay, 0);
  mi_option_set(mi_option_decommit_extend_delay, 0);
#endif
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
