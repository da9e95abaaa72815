// libFuzzer target: the FOCUS/CUR CSV reader (engines/cost/focus_reader) and the aggregator on
// whatever it accepts. Never crash or hang; and reading the same bytes in one piece or split at
// a point chosen by the input must give the same records or the same error (streaming is
// exact).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engines/cost/cost_aggregator.h"
#include "engines/cost/focus_reader.h"

namespace {

struct Outcome {
  std::vector<std::string> rows;
  std::string error;
};

Outcome Read(std::string_view text, size_t split) {
  Outcome out;
  dai::cost::CostReader reader(
      dai::cost::ReaderLimits{.max_record_bytes = 4096, .max_columns = 200});
  dai::cost::CostAggregator agg;
  auto cb = [&](const dai::cost::CostRecord& r) {
    std::string row = std::to_string(r.line) + "|" + std::to_string(r.billed_cost) + "|" +
                      std::to_string(r.charge_period_start);
    for (const auto v : r.text) {
      row += "|";
      row += v;
    }
    for (const auto& [k, v] : r.extra) {
      row += "|";
      row += k;
      row += "=";
      row += v;
    }
    out.rows.push_back(row);
    return agg.Add(r);
  };
  dai::Status st = reader.Feed(text.substr(0, split), cb);
  if (st.ok()) st = reader.Feed(text.substr(split), cb);
  if (st.ok()) st = reader.Finish(cb);
  if (!st.ok()) out.error = st.message();
  (void)agg.Daily();
  (void)agg.Resources();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t split = data[0] % size;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = Read(text, text.size());
  const Outcome parts = Read(text, std::min(split, text.size()));
  // The overlong-record check depends on how much is buffered, so it may fire at a different
  // point; every other outcome must be identical.
  const bool too_long = whole.error.find("record longer") != std::string::npos ||
                        parts.error.find("record longer") != std::string::npos;
  if (!too_long && (whole.rows != parts.rows || whole.error != parts.error)) std::abort();
  return 0;
}
