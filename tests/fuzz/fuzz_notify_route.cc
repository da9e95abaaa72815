// Fuzzes the notification route parser (JSON → route) and the template renderer, then routes
// a fixed event through whatever parsed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/notify/notify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  dai::notify::Event e;
  e.kind = "incident.updated";
  e.module = "incidentCommander";
  e.subject = "incident:1";
  e.state = "detected";
  e.labels = {{"team", "web"}};
  e.fields = {{"incident", {{"id", 1}, {"title", std::string(in.substr(0, 64))}}}};
  (void)dai::notify::RenderTemplate(in, e.fields, 4096);
  auto json = dai::ParseJson(in);
  if (json.ok()) {
    auto route = dai::notify::ParseRoute(*json);
    if (route.ok()) {
      (void)dai::notify::Matches(*route, e);
      (void)dai::notify::DeliverAt(*route, e, dai::FromUnixMillis(1'800'000'000'000));
      (void)dai::notify::ParseRoute(dai::notify::RouteToJson(*route)).value();
    }
  }
  return 0;
}
