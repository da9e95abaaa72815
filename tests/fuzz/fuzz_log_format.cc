// Fuzz target: the Loghub log-format parser and the line splitter (engines/logmine), then the
// template miner on the resulting message. Input: a format string, a NUL byte, then lines
// separated by '\n'. Any input must end in a result or a reported rejection, never a crash or
// unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/logmine/log_format.h"
#include "engines/logmine/template_miner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string_view format = nul == std::string_view::npos ? input : input.substr(0, nul);
  std::string_view lines = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  auto parsed = dai::logmine::LogFormat::Parse(format);
  if (!parsed.ok()) return 0;
  dai::logmine::MinerOptions options;
  options.max_clusters = 16;
  options.max_tokens = 32;
  auto miner = dai::logmine::TemplateMiner::Create(options);
  if (!miner.ok()) return 0;
  dai::logmine::SplitLine split;
  size_t start = 0;
  while (start <= lines.size()) {
    size_t end = lines.find('\n', start);
    if (end == std::string_view::npos) end = lines.size();
    std::string_view line = lines.substr(start, end - start);
    parsed->Split(line, split);
    if (split.ok) {
      if (split.fields.size() != parsed->field_names().size()) __builtin_trap();
      miner->Add(split.content);
    }
    start = end + 1;
  }
  if (miner->cluster_count() > options.max_clusters) __builtin_trap();
  auto restored = dai::logmine::TemplateMiner::Restore(miner->Save());
  if (!restored.ok()) __builtin_trap();
  return 0;
}
