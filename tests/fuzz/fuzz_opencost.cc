// libFuzzer target: OpenCost's allocation API answer (engines/cost/opencost). Must never crash
// or hang; an accepted allocation has a window that does not end before it starts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engines/cost/opencost.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto allocs = dai::cost::ParseOpenCostAllocations(text);
  if (!allocs.ok()) return 0;
  for (const auto& a : *allocs)
    if (a.end < a.start) std::abort();
  return 0;
}
