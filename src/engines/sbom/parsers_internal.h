// Internal: one function per format, each called by ParseLockfile after the size check.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engines/sbom/package.h"

namespace dai::sbom::internal {

Result<ParseResult> ParseNpmLock(std::string_view content);
Result<ParseResult> ParseYarnLock(std::string_view content);
Result<ParseResult> ParsePnpmLock(std::string_view content);
Result<ParseResult> ParseGoMod(std::string_view content);
Result<ParseResult> ParseGoSum(std::string_view content);
Result<ParseResult> ParseCargoLock(std::string_view content);
Result<ParseResult> ParsePoetryLock(std::string_view content);
Result<ParseResult> ParsePipfileLock(std::string_view content);
Result<ParseResult> ParseRequirements(std::string_view content);
Result<ParseResult> ParseComposerLock(std::string_view content, std::string_view composer_json);
Result<ParseResult> ParseGemfileLock(std::string_view content);
Result<ParseResult> ParsePomXml(std::string_view content);
Result<ParseResult> ParseDpkgStatus(std::string_view content);
Result<ParseResult> ParseApkInstalled(std::string_view content);

//! Splits text into lines without their "\n" / "\r\n".
std::vector<std::string_view> Lines(std::string_view text);
std::string_view TrimView(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
//! Drops exact (name, version) duplicates, keeping the first and merging dev (AND) and
//! relationship (direct wins over indirect).
void Dedupe(std::vector<Package>& packages);

}  // namespace dai::sbom::internal
