// Fuzzes the healing rule file parser (YAML → rules) and the label matcher parser, then runs
// a decision over whatever parsed, so matching and deciding see hostile rules too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/healing/decision.h"
#include "engines/healing/rule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)dai::healing::ParseLabelMatcher(in.substr(0, 512));
  dai::healing::RuleFileLimits limits;
  limits.max_bytes = 64 * 1024;
  auto rules = dai::healing::ParseRuleFile(in, limits);
  if (rules.ok()) {
    dai::healing::RuleIndex index(std::move(rules).value());
    dai::healing::Signal signal;
    signal.labels = {{"alertname", "NodeExporterDown"}, {"job", "node"}, {"instance", "a:1"}};
    (void)dai::healing::Decide(index, signal, {}, {}, dai::FromUnixMillis(1'800'000'000'000));
  }
  return 0;
}
