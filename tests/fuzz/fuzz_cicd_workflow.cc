// Fuzzes the GitHub Actions workflow parser (YAML → pipeline model), then exports whatever
// parsed back to GitHub and GitLab YAML and re-parses the GitHub output, which must succeed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engines/cicd/pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto p = dai::cicd::ParseGithubWorkflow(in);
  if (!p.ok()) return 0;
  (void)dai::cicd::ToGitlabCiYaml(*p);
  auto json = dai::cicd::PipelineToJson(*p);
  (void)dai::cicd::PipelineFromJson(json);
  return 0;
}
