// Fuzzes the Prometheus instant-query data parser used by metric_threshold rules, then steps
// the threshold state machine over whatever parsed (twice, so pending series can fire).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json.h"
#include "engines/healing/threshold.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto json = dai::ParseJson(in);
  if (!json.ok()) return 0;
  auto samples = dai::healing::ParseInstantData(*json);
  if (!samples.ok()) return 0;
  dai::healing::ThresholdCondition c;
  c.query = "q";
  c.op = size % 2 ? "<" : "";
  c.threshold = 1;
  c.for_seconds = 5;
  dai::healing::ThresholdState state;
  const auto t0 = dai::FromUnixMillis(1'800'000'000'000);
  (void)dai::healing::StepThreshold(c, *samples, state, t0);
  (void)dai::healing::StepThreshold(c, *samples, state, t0 + std::chrono::seconds(10));
  (void)dai::healing::StepThreshold(c, {}, state, t0 + std::chrono::seconds(20));
  return 0;
}
