// cost import: imports a FOCUS or AWS CUR file (plain or gzip) into the store and prints the
// rows and billing periods imported.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "core/clock.h"
#include "modules/cost/cost_service.h"

namespace dai::cli {
namespace {

struct CostFlags {
  std::optional<std::string> config_file;
  std::map<std::string, std::string> values;
  std::string file;
  std::string period;
  bool json = false;
};

int CostFail(const Status& s) {
  std::fprintf(stderr, "devops-ai cost import: %s\n", s.message().c_str());
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound ? 2 : 1;
}

int RunCostImport(const CostFlags& f) {
  auto env = DevopsAiEnvironment();
  std::optional<std::string> file = f.config_file;
  if (!file) {
    if (auto it = env.find("DEVOPS_AI_CONFIG"); it != env.end()) file = it->second;
  }
  auto config = LoadConfig(file, env, f.values);
  if (!config.ok()) return CostFail(config.status());
  if (!f.period.empty() && (f.period.size() != 7 || f.period[4] != '-'))
    return CostFail(Status::InvalidArgument("--period: want YYYY-MM, got '" + f.period + "'"));
  auto opened = OpenStore(*config, true);
  if (!opened.ok()) return CostFail(opened.status());
  costopt::CostService service(*(*opened)->db, SystemClock::Instance(), {}, nullptr);
  costopt::ImportOptions options;
  options.source = f.file;
  options.actor = "cli";
  if (!f.period.empty()) options.expected_period = f.period;
  const auto started = std::chrono::steady_clock::now();
  auto result = service.ImportFile(f.file, options);
  if (!result.ok()) return CostFail(result.status().WithContext(f.file));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const Json& r = *result;
  if (f.json) {
    Json out = r;
    out["seconds"] = seconds;
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  if (r["duplicate"].get<bool>()) {
    std::printf("already imported as import %lld: nothing changed\n",
                static_cast<long long>(r["importId"].get<int64_t>()));
  } else {
    std::printf("import %lld: %lld rows (%s) in %.2f s, %.0f rows/s\n",
                static_cast<long long>(r["importId"].get<int64_t>()),
                static_cast<long long>(r["rows"].get<int64_t>()),
                r["format"].get<std::string>().c_str(), seconds,
                r["rows"].get<double>() / std::max(seconds, 1e-9));
  }
  for (const auto& p : r["periods"]) {
    std::printf("  billing period %s .. %s: %lld rows, billed %.2f %s, effective %.2f %s\n",
                p["start"].get<std::string>().c_str(), p["end"].get<std::string>().c_str(),
                static_cast<long long>(p["rows"].get<int64_t>()), p["billedCost"].get<double>(),
                r["currency"].get<std::string>().c_str(), p["effectiveCost"].get<double>(),
                r["currency"].get<std::string>().c_str());
  }
  if (!r["replacedImports"].empty())
    std::printf("  replaced imports: %s\n", r["replacedImports"].dump().c_str());
  return 0;
}

}  // namespace

void RegisterCostCommands(CLI::App& app, CliState& state) {
  auto* cost = app.add_subcommand("cost", "FinOps: billing data");
  cost->require_subcommand(1);
  auto flags = std::make_shared<CostFlags>();
  auto* import = cost->add_subcommand("import",
                                      "Import a FOCUS 1.0/1.1 or AWS CUR CSV (plain or .gz); "
                                      "re-importing a billing period replaces it");
  import->add_option("FILE", flags->file, "The CSV file")->required();
  import->add_option_function<std::string>(
      "--config", [f = flags.get()](const std::string& v) { f->config_file = v;
}, "YAML config file");
  import->add_option_function<std::string>(
      "--data-dir", [f = flags.get()](const std::string& v) { f->values["data_dir"] = v;
  }  // namespace dai::cli
, "Data directory [./data]");
  import->add_option_function<std::string>(
      "--db", [f = flags.get()](const std::string& v) { f->values["db"] = v;
  }, "Database URL (postgres://...)");
  import->add_option("--period", flags->period, "Refuse rows of another billing period (YYYY-MM)");
  import->add_flag("--json", flags->json, "Print the result as JSON");
  import->callback([&state, flags] { state.exit_code = RunCostImport(*flags);
  });
  }

  }  // namespace dai::cli
