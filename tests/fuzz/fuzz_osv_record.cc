// libFuzzer target: OSV advisory parsing (engines/vulnmatch/osv) and range evaluation on what
// parses, against a few versions of every scheme. Must never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/vulnmatch/matcher.h"
#include "engines/vulnmatch/osv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto advs = dai::vulnmatch::ParseOsvDocument(text);
  if (!advs.ok()) return 0;
  dai::vulnmatch::AdvisoryIndex index;
  std::vector<dai::vulnmatch::PackageQuery> queries;
  for (auto& a : *advs) {
    for (const auto& aff : a.affected) {
      for (const char* v : {"0.0.1", "1.2.3", "v2.0.0-rc.1", "1:2.3-4", "1.0.post1"})
        queries.push_back({aff.ecosystem, aff.name, v});
      auto scheme = dai::vulnmatch::SchemeForEcosystem(aff.ecosystem);
      if (scheme) {
        (void)dai::vulnmatch::IsAffected(aff, *scheme, "1.2.3");
        (void)dai::vulnmatch::MinimalFix(aff, *scheme, "1.2.3");
      }
    }
    if (!a.cvss_vector.empty()) (void)dai::vulnmatch::CvssV3BaseScore(a.cvss_vector);
    index.Add(std::move(a));
  }
  (void)index.Match(queries);
  return 0;
}
