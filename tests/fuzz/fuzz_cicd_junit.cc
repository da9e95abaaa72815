// Fuzzes the JUnit XML parser and feeds what parsed into flakiness analysis.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/cicd/junit.h"
#include "engines/cicd/test_intel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto report = dai::cicd::ParseJunitXml(in);
  if (!report.ok()) return 0;
  std::vector<dai::cicd::TestObservation> history;
  int64_t i = 0;
  for (const auto& c : report->cases)
    history.push_back({c.suite + "::" + c.name, "c", i++, c.outcome, c.duration_ms});
  (void)dai::cicd::AnalyzeFlakiness(history);
  return 0;
}
