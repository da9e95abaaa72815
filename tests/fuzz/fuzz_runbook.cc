// Fuzzes the runbook definition parser (YAML → validated runbook), then round-trips what parsed
// through its JSON form and plans its first step, so every accepted definition is usable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engines/runbook/runbook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  dai::runbook::Limits limits;
  limits.max_bytes = 64 * 1024;
  auto rb = dai::runbook::ParseRunbook(in, limits);
  if (!rb.ok()) return 0;
  auto again = dai::runbook::ParseRunbookJson(rb->ToJson(), limits);
  if (!again.ok() || again->ToJson() != rb->ToJson())
    std::abort();  // the canonical form must round-trip
  (void)dai::runbook::PlanNext(*rb, {},
                               {.dry_run = false, .critical = true, .runbook_approved = false});
  std::map<std::string, std::string> params;
  for (const auto& p : rb->parameters) params[p] = "x y;$(z)";
  for (const auto& s : rb->steps) {
    if (s.type == dai::runbook::StepType::kCommand)
      (void)dai::runbook::ResolveArgv(s, params, {s.argv[0]});
  }
  return 0;
}
