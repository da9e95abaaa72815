#include "core/json.h"

namespace dai {

Result<Json> ParseJson(std::string_view text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return Status::ParseError(std::string("invalid JSON: ") + e.what());
  } catch (const Json::exception& e) {
    // e.g. out_of_range 406: a number literal too large for a double ("1e720").
    return Status::ParseError(std::string("invalid JSON: ") + e.what());
  }
}

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace dai
