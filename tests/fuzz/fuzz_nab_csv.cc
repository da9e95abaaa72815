// libFuzzer target: the NAB CSV reader (engines/anomaly/nab_csv) and the detector on whatever
// rows it accepts. Must never crash, hang, or return a score outside [0, 1].
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engines/anomaly/anomaly_detector.h"
#include "engines/anomaly/nab_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = dai::anomaly::ParseNabCsv(text);
  if (!rows.ok()) return 0;
  dai::anomaly::AnomalyDetector detector;
  for (const auto& row : *rows) {
    const double score = detector.Update(row.unix_seconds, row.value);
    if (!(score >= 0.0 && score <= 1.0)) std::abort();
  }
  return 0;
}
