// `devops-ai logs mine FILE --format '<log_format>' [--mask REGEX]... [--loghub-out DIR]`:
// runs the template miner (engines/logmine) over one log file. With --loghub-out it writes
// DIR/<file name>_structured.csv (LineId, the header fields, Content, EventId, EventTemplate) as
// Loghub's evaluators read it; otherwise it prints the templates with their counts.
//
// Batch mode is two passes: pass 1 learns online (what the streaming path does), pass 2 assigns
// every line the final template of its cluster (TemplateMiner::Classify), so early lines are
// not left with templates learned from fewer examples. EventId is derived from the template
// text, so clusters whose templates converge share one event.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/commands.h"
#include "engines/logmine/log_format.h"
#include "engines/logmine/template_miner.h"

namespace dai::cli {
namespace {

struct MineArgs {
  std::string file;
  std::string format;
  std::vector<std::string> masks;
  std::string loghub_out;
  uint32_t max_clusters = 50000;
};

void AppendCsvField(std::string& out, std::string_view v) {
  bool quote = v.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out += v;
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

int RunMine(const MineArgs& args) {
  auto format = logmine::LogFormat::Parse(args.format);
  if (!format.ok()) {
    std::fprintf(stderr, "logs mine: %s\n", format.status().ToString().c_str());
    return 2;
  }
  logmine::MinerOptions options;
  options.max_clusters = args.max_clusters;
  auto miner = logmine::TemplateMiner::Create(options, args.masks);
  if (!miner.ok()) {
    std::fprintf(stderr, "logs mine: %s\n", miner.status().ToString().c_str());
    return 2;
  }
  std::ifstream in(args.file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "logs mine: cannot open %s\n", args.file.c_str());
    return 2;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string data = buffer.str();

  // Lines (without \n or \r\n).
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    std::string_view line(data.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }

  // Pass 1: online learning.
  logmine::SplitLine split;
  std::vector<uint64_t> cluster_of(lines.size(), 0);
  std::vector<char> accepted(lines.size(), 0);
  std::map<std::string, uint64_t> rejected;
  for (size_t i = 0; i < lines.size(); ++i) {
    format->Split(lines[i], split);
    if (!split.ok) {
      ++rejected[std::string(logmine::RejectReasonName(split.reason))];
      continue;
    }
    accepted[i] = 1;
    cluster_of[i] = miner->Add(split.content).cluster_id;
  }

  // Pass 2: final templates.
  std::unordered_map<std::string, std::string> event_ids;
  std::vector<std::pair<std::string, uint64_t>> counts;  // by first appearance
  std::unordered_map<std::string, size_t> count_index;
  std::string csv;
  if (!args.loghub_out.empty()) {
    csv += "LineId";
    for (const auto& name : format->field_names()) {
      if (name != "Content") csv += "," + name;
    }
    csv += ",Content,EventId,EventTemplate\n";
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string event_id = "E0";
    std::string template_text;
    if (accepted[i]) {
      format->Split(lines[i], split);
      const auto& r = miner->Classify(split.content, cluster_of[i]);
      template_text = std::string(r.template_text);
      auto [it, inserted] =
          event_ids.emplace(template_text, "E" + std::to_string(event_ids.size() + 1));
      event_id = it->second;
      auto [ci, fresh] = count_index.emplace(template_text, counts.size());
      if (fresh) counts.emplace_back(template_text, 0);
      ++counts[ci->second].second;
    } else {
      split.fields.assign(format->field_names().size(), std::string_view());
      split.content = lines[i];
    }
    if (!args.loghub_out.empty()) {
      csv += std::to_string(i + 1);
      for (size_t f = 0; f < format->field_names().size(); ++f) {
        if (static_cast<int>(f) == format->content_index()) continue;
        csv.push_back(',');
        AppendCsvField(csv, split.fields[f]);
      }
      csv.push_back(',');
      AppendCsvField(csv, split.content);
      csv += "," + event_id + ",";
      AppendCsvField(csv, template_text);
      csv.push_back('\n');
    }
  }

  size_t rejected_total = 0;
  for (const auto& [reason, n] : rejected) rejected_total += n;
  if (!args.loghub_out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.loghub_out, ec);
    std::filesystem::path out_path = std::filesystem::path(args.loghub_out) /
                                     (std::filesystem::path(args.file).filename().string() +
                                      "_structured.csv");
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    out << csv;
    out.close();
    if (!out) {
      std::fprintf(stderr, "logs mine: cannot write %s\n", out_path.c_str());
      return 2;
    }
    std::printf("%zu lines, %zu templates, %zu rejected -> %s\n", lines.size(), counts.size(),
                rejected_total, out_path.c_str());
  } else {
    std::sort(counts.begin(), counts.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    std::printf("%zu lines, %zu templates, %zu rejected\n", lines.size(), counts.size(),
                rejected_total);
    for (const auto& [t, n] : counts) std::printf("%8llu  %s\n", static_cast<unsigned long long>(n), t.c_str());
  }
  for (const auto& [reason, n] : rejected) {
    std::fprintf(stderr, "rejected %llu lines: %s (format %s)\n",
                 static_cast<unsigned long long>(n), reason.c_str(), format->pattern().c_str());
  }
  return 0;
}

}  // namespace

void RegisterLogsCommands(CLI::App& app, CliState& state) {
  auto* logs = app.add_subcommand("logs", "Log intelligence: template mining");
  logs->require_subcommand(1);
  auto args = std::make_shared<MineArgs>();
  auto* mine = logs->add_subcommand("mine", "Mine log templates from a file");
  mine->add_option("file", args->file, "log file")->required();
  mine->add_option("--format", args->format,
                   "line layout in Loghub's <Field> syntax, with a <Content> field "
                   "(default: the whole line is the message)");
  mine->add_option("--mask", args->masks, "regex whose matches are variables (repeatable)");
  mine->add_option("--loghub-out", args->loghub_out,
                   "write DIR/<file name>_structured.csv for Loghub's evaluators");
  mine->add_option("--max-clusters", args->max_clusters, "cap on template clusters")
      ->check(CLI::Range(1u, 10000000u));
  mine->callback([args, &state] { state.exit_code = RunMine(*args); });
}

}  // namespace dai::cli
