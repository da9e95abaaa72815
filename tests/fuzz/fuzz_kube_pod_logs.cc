// Fuzzes the reading of Kubernetes pods/log answers (timestamps=true) against a position: no
// crash on any bytes, lines handed out in strictly advancing (timestamp, count) order, and
// the same answer read again hands out nothing (each line is taken once).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "adapters/logsource/kube_pod_logs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  dai::logsource::KubeStreamPosition pos;
  std::vector<dai::logsource::KubeTimedLine> out;
  const auto first = dai::logsource::TakeNewLines(body, pos, out);
  if (first.taken != out.size()) __builtin_trap();
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].unix_ns < out[i - 1].unix_ns) __builtin_trap();
  }
  if (!out.empty() && pos.last_ns != out.back().unix_ns) __builtin_trap();
  out.clear();
  const auto again = dai::logsource::TakeNewLines(body, pos, out);
  if (again.taken != 0 || !out.empty()) __builtin_trap();
  return 0;
}
