// `devops-ai anomaly score IN.csv --out OUT.csv`: runs the streaming anomaly detector
// (engines/anomaly) over one NAB data file (timestamp,value) and writes NAB's result format
// (timestamp,value,anomaly_score), one row per input row in the same order, the timestamp and
// value copied as written. Every file is scored with the same parameters (DetectorConfig{}).
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "engines/anomaly/anomaly_detector.h"
#include "engines/anomaly/nab_csv.h"

namespace dai::cli {
namespace {

struct ScoreArgs {
  std::string in;
  std::string out;
};

int RunScore(const ScoreArgs& args) {
  std::ifstream in(args.in, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "anomaly score: cannot open %s\n", args.in.c_str());
    return 2;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto rows = anomaly::ParseNabCsv(buffer.str());
  if (!rows.ok()) {
    std::fprintf(stderr, "anomaly score: %s: %s\n", args.in.c_str(),
                 rows.status().message().c_str());
    return 2;
  }
  std::string text = "timestamp,value,anomaly_score\n";
  text.reserve(rows->size() * 40 + text.size());
  anomaly::AnomalyDetector detector;
  char score_text[32];
  for (const auto& row : *rows) {
    const double score = detector.Update(row.unix_seconds, row.value);
    std::snprintf(score_text, sizeof(score_text), "%.6f", score);
    text += row.timestamp;
    text += ',';
    text += row.value_text;
    text += ',';
    text += score_text;
    text += '\n';
  }
  std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(text.data(), static_cast<std::streamsize>(text.size())) ||
      !out.flush()) {
    std::fprintf(stderr, "anomaly score: cannot write %s\n", args.out.c_str());
    return 2;
  }
  return 0;
}

}  // namespace

void RegisterAnomalyCommands(CLI::App& app, CliState& state) {
  auto* anomaly = app.add_subcommand("anomaly", "streaming anomaly detection (NAB format)");
  anomaly->require_subcommand(1);
  auto args = std::make_shared<ScoreArgs>();
  auto* score = anomaly->add_subcommand(
      "score", "score one NAB data file (timestamp,value) into NAB's result format");
  score->add_option("input", args->in, "NAB data CSV (timestamp,value)")->required();
  score->add_option("--out", args->out, "result CSV (timestamp,value,anomaly_score)")
      ->required();
  score->callback([args, &state] { state.exit_code = RunScore(*args); });
}

}  // namespace dai::cli
