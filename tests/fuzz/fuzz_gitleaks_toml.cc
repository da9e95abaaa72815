// Fuzzes the gitleaks TOML rule loader (text → RuleSet) and, for configs that load, compiles
// them into a scanner and scans a fixed buffer, so hostile regexes and allow-lists are
// exercised end to end (RE2 and vectorscan are linear/automaton-based: no backtracking).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/secrets/gitleaks_config.h"
#include "engines/secrets/secret_scanner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // keep each run fast
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto set = dai::secrets::ParseGitleaksConfig(in);
  if (!set.ok() || set.value().rules.size() > 64) return 0;
  auto scanner = dai::secrets::SecretScanner::Create(std::move(set).value());
  if (!scanner.ok()) return 0;
  auto scratch = scanner.value()->NewScratch();
  if (!scratch.ok()) return 0;
  static constexpr std::string_view kText =
      "password = \"Zr3L0vFh2sWn9Tb7YcKd1Xp4\"\nAKIAZ3MQ7RL2XW4PN6TB\n-----BEGIN PRIVATE KEY-----\n";
  (void)scanner.value()->Scan(kText, "a/b.txt", *scratch.value());
  return 0;
}
