// Shared body of the sbom fuzz targets (tests/fuzz/fuzz_sbom_*.cc): parse, then exercise the
// output paths on what was accepted and check the parser's invariants.
#pragma once

#include <cstdlib>
#include <string_view>

#include "core/json.h"
#include "engines/sbom/package.h"
#include "engines/sbom/sbom_document.h"

namespace dai::sbom {

inline int FuzzOneLockfile(LockfileKind kind, std::string_view text) {
  auto r =
      ParseLockfile(kind, text, kind == LockfileKind::kComposerLock ? text : std::string_view{});
  if (!r.ok()) {
    if (r.status().message().empty()) std::abort();  // errors must say what was wrong
    return 0;
  }
  Inventory inv;
  inv.target = "fuzz";
  for (const auto& p : r->packages) {
    if (p.name.empty()) std::abort();  // nameless entries must be skipped with a warning
    if (PackageUrl(p).rfind("pkg:", 0) != 0) std::abort();
  }
  inv.packages = r->packages;
  (void)DumpJson(ToCycloneDx(inv, "2026-01-01T00:00:00Z", "fuzz"));
  (void)DumpJson(ToSpdx(inv, "2026-01-01T00:00:00Z", "fuzz"));
  return 0;
}

}  // namespace dai::sbom
