// JSON helpers over nlohmann::json. Include only where JSON is handled (it is a heavy header);
// headers that merely mention Json should include <nlohmann/json_fwd.hpp> instead.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace dai {

using Json = nlohmann::json;

//! Parses JSON text; PARSE_ERROR naming the byte offset on failure. Rejects invalid UTF-8.
Result<Json> ParseJson(std::string_view text);
//! Serializes compactly; invalid UTF-8 in strings is replaced rather than throwing.
std::string DumpJson(const Json& value);

}  // namespace dai
