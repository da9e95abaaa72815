// Loader for gitleaks-format TOML rule configs ([[rules]] with id, regex, secretGroup, entropy,
// keywords, path, [[rules.allowlists]] / legacy [rules.allowlist]; a global [allowlist] or
// [[allowlists]]). Parses text only (the caller reads the file). Thread-safe (no state).
#pragma once

#include <string_view>

#include "core/status.h"
#include "engines/secrets/rule.h"

namespace dai::secrets {

//! Parses a gitleaks TOML config. Fails with kParseError on invalid TOML and with
//! kInvalidArgument on a rule without id or without regex/path, an invalid regex (RE2), a
//! duplicate id, or an unknown regexTarget/condition. Does not handle `[extend]` (reported
//! as kUnimplemented when `useDefault` or `path` is set).
Result<RuleSet> ParseGitleaksConfig(std::string_view toml_text);

}  // namespace dai::secrets
