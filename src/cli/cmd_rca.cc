// `devops-ai rca rank SCENARIO.json[.gz]`: decodes one incident scenario (plain or gzip JSON),
// ranks root causes with the rca engine and prints {"ranking":[{service, score, confidence,
// evidence, explanation}]} best first on stdout.
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "core/json.h"
#include "engines/rca/rca_input.h"
#include "engines/rca/root_cause_ranker.h"

namespace dai::cli {
namespace {

constexpr size_t kMaxScenarioBytes = size_t{1} << 30;  // 1 GiB decompressed

//! Reads a file, inflating it when it starts with the gzip magic bytes.
Result<std::string> ReadScenarioFile(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) return Status::NotFound("cannot open " + path);
  unsigned char magic[2] = {0, 0};
  probe.read(reinterpret_cast<char*>(magic), 2);
  probe.close();
  std::string out;
  if (magic[0] == 0x1f && magic[1] == 0x8b) {
    gzFile gz = gzopen(path.c_str(), "rb");
    if (gz == nullptr) return Status::NotFound("cannot open " + path);
    char buf[1 << 16];
    int got = 0;
    while ((got = gzread(gz, buf, sizeof buf)) > 0) {
      out.append(buf, static_cast<size_t>(got));
      if (out.size() > kMaxScenarioBytes) {
        gzclose(gz);
        return Status::PayloadTooLarge(path + ": more than 1 GiB decompressed");
      }
    }
    int err = 0;
    const char* msg = got < 0 ? gzerror(gz, &err) : nullptr;
    std::string message = msg != nullptr ? msg : "";
    gzclose(gz);
    if (got < 0) return Status::InvalidArgument(path + ": gzip: " + message);
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  if (out.size() > kMaxScenarioBytes) return Status::PayloadTooLarge(path + ": more than 1 GiB");
  return out;
}

Status RunRank(const std::string& path) {
  DAI_ASSIGN_OR_RETURN(std::string text, ReadScenarioFile(path));
  DAI_ASSIGN_OR_RETURN(rca::RcaInput input, rca::DecodeRcaScenarioText(text));
  DAI_ASSIGN_OR_RETURN(rca::RcaResult result, rca::RankRootCauses(input));
  Json ranking = Json::array();
  for (const rca::Candidate& c : result.ranking) {
    Json item;
    item["service"] = c.service;
    item["score"] = std::round(c.score * 1e6) / 1e6;
    item["confidence"] = std::round(c.confidence * 1e4) / 1e4;
    item["evidence"] = rca::EvidenceLines(c, input.incident_start);
    item["explanation"] = c.explanation;
    ranking.push_back(std::move(item));
  }
  Json out;
  out["ranking"] = std::move(ranking);
  std::printf("%s\n", DumpJson(out).c_str());
  return Status::Ok();
}

}  // namespace

void RegisterRcaCommands(CLI::App& app, CliState& state) {
  auto* rca = app.add_subcommand("rca", "Root-cause ranking over a service graph");
  rca->require_subcommand(1);
  auto* rank = rca->add_subcommand("rank", "Rank the root causes of one incident scenario");
  auto path = std::make_shared<std::string>();
  rank->add_option("scenario", *path, "scenario JSON file (plain or .gz)")->required();
  rank->callback([&state, path] {
    Status st = RunRank(*path);
    if (!st.ok()) {
      std::fprintf(stderr, "devops-ai rca rank: %s\n", st.ToString().c_str());
      state.exit_code = st.code() == StatusCode::kNotFound ? 2 : 1;
    }
  });
}

}  // namespace dai::cli
