// Fuzzes the drift engine: the key/value parser on the whole input; then the input split at its
// first NUL (or middle) into desired and actual, compared as key/value files, as text (a small
// alignment budget so both the aligned and the replaced paths run) and, when both halves are
// JSON, as Kubernetes objects with a correction body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json.h"
#include "engines/healing/drift.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)dai::healing::ParseKeyValue(in);
  size_t cut = in.find('\0');
  if (cut == std::string_view::npos) cut = in.size() / 2;
  const std::string_view desired = in.substr(0, cut);
  const std::string_view actual = in.substr(cut < in.size() ? cut + 1 : cut);
  auto kd = dai::healing::ParseKeyValue(desired);
  auto ka = dai::healing::ParseKeyValue(actual);
  if (kd.ok() && ka.ok())
    (void)dai::healing::DifferencesToJson(dai::healing::CompareKeyValue(*kd, *ka));
  (void)dai::healing::DiffText(desired, actual, size % 4, size % 2 ? 64 : 1'000'000);
  auto jd = dai::ParseJson(desired);
  auto ja = dai::ParseJson(actual);
  if (jd.ok() && ja.ok()) {
    (void)dai::healing::DifferencesToJson(dai::healing::CompareObject(*jd, *ja));
    auto ref = dai::healing::RefOf(*jd);
    if (ref.ok()) (void)dai::healing::ApplyBody(*jd, *ref);
  }
  return 0;
}
