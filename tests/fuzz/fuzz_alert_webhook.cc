// Fuzzes the Alertmanager and generic webhook decoders.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/alerts/alert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto now = dai::FromUnixMillis(1'700'000'000'000);
  (void)dai::alerts::DecodeAlertmanagerWebhook(in, now);
  (void)dai::alerts::DecodeGenericWebhook(in, now);
  return 0;
}
