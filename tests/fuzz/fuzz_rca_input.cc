// Fuzzes the RCA scenario decoder (JSON text → RcaInput) and runs the ranker on what decodes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/rca/rca_input.h"
#include "engines/rca/root_cause_ranker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  dai::rca::DecodeLimits limits;
  limits.max_points_total = 200'000;  // keep each run fast
  auto decoded = dai::rca::DecodeRcaScenarioText(in, limits);
  if (decoded.ok()) (void)dai::rca::RankRootCauses(*decoded);
  return 0;
}
