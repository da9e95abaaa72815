// Fuzzes the posture engine's manifest loader (multi-document YAML/JSON with aliases, under a
// small node budget) and then runs every check, optional ones included, over what parsed, so
// the checks see hostile object shapes (wrong types, missing fields, odd selectors).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/posture/manifest.h"
#include "engines/posture/posture.h"
#include "engines/posture/report_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  dai::posture::ManifestLimits limits;
  limits.max_bytes = 256 * 1024;
  limits.max_nodes = 20000;
  auto objects = dai::posture::ParseManifests(in, "fuzz.yaml", limits);
  if (!objects.ok()) return 0;
  dai::posture::EvaluateOptions options;
  options.include_optional = true;
  auto report = dai::posture::Evaluate(*objects, options);
  if (report.ok()) {
    (void)dai::posture::ReportToJson(*objects, *report);
    (void)dai::posture::ReportToSarif(*objects, *report, "fuzz");
  }
  return 0;
}
