// Fuzz target: what log sources feed the pipeline with. The input is split into lines by the
// LineSplitter in chunks whose sizes come from the first byte (whole vs chunked splitting must
// agree), each line is checked for binary content, sanitised, parsed by the format
// auto-detection (JSON, logfmt, syslog, access, container) and mined; the whole input is also
// decoded as a Loki push body and as a journald JSON line. Any input must end in a result or a
// reported rejection, never a crash, an invalid UTF-8 output or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engines/logmine/log_line.h"
#include "engines/logmine/push_decoder.h"
#include "engines/logmine/template_miner.h"

namespace {

bool ValidUtf8(std::string_view s) {
  std::string again;
  return dai::logmine::SanitizeLine(s, again, s.size() + 16) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 61;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr size_t kMaxLine = 200;
  dai::logmine::LineSplitter whole(kMaxLine);
  dai::logmine::LineSplitter pieces(kMaxLine);
  std::vector<std::string> a, b;
  whole.Feed(input, [&](std::string_view l) { a.emplace_back(l); });
  whole.Finish([&](std::string_view l) { a.emplace_back(l); });
  for (size_t pos = 0; pos < input.size(); pos += chunk) {
    pieces.Feed(input.substr(pos, chunk), [&](std::string_view l) { b.emplace_back(l); });
    if (pieces.pending_bytes() > kMaxLine) std::abort();
  }
  pieces.Finish([&](std::string_view l) { b.emplace_back(l); });
  if (a != b || whole.rejected_long() != pieces.rejected_long()) std::abort();

  dai::logmine::MinerOptions options;
  options.max_clusters = 16;
  options.max_tokens = 32;
  auto miner = dai::logmine::TemplateMiner::Create(options);
  if (!miner.ok()) std::abort();
  dai::logmine::ParsedLine parsed;
  std::string clean;
  for (const auto& line : a) {
    if (line.size() > kMaxLine) std::abort();
    (void)dai::logmine::LooksBinary(line);
    dai::logmine::ParseLine(line, parsed);
    if (parsed.message.size() > line.size() + parsed.storage.size()) std::abort();
    dai::logmine::SanitizeLine(parsed.message, clean, 100);
    if (clean.size() > 100 || !ValidUtf8(clean)) std::abort();
    miner->Add(clean);
  }
  (void)dai::logmine::DecodeLokiPush(input);
  return 0;
}
