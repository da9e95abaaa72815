// JSON Schema builders and a validator for the subset procedures use: type (object, array,
// string, integer, number, boolean, null), properties, required, additionalProperties, enum,
// minimum/maximum, minLength/maxLength, minItems/maxItems, items, format (date-time), nullable
// via type arrays, anyOf, and "$ref"-free composition. The same JSON is emitted into
// /api/openapi.json (OpenAPI 3.1 uses JSON Schema 2020-12) and turned into TypeScript.
// Thread-safety: pure functions.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::schema {

Json String(int min_length = 0, int max_length = 4096);
Json Enum(std::initializer_list<const char*> values);
Json Int(std::optional<int64_t> minimum = std::nullopt, std::optional<int64_t> maximum = std::nullopt);
Json Number();
Json Bool();
Json DateTime();  //!< RFC 3339 string
Json Any();       //!< any JSON value
Json Array(Json items, int max_items = 10000);
Json Nullable(Json s);
//! Field of an object: name, schema, whether it is required.
struct Field {
  std::string name;
  Json schema;
  bool required = true;
  std::string description;
};
Field Req(std::string name, Json s, std::string description = "");
Field Opt(std::string name, Json s, std::string description = "");
//! An object with exactly these fields (unknown fields are refused unless open = true).
Json Object(std::vector<Field> fields, bool open = false);
//! A free-form string map (labels, annotations).
Json StringMap();
//! The standard page envelope: {items: [item], total, limit, offset}.
Json Page(Json item);
//! Input for paginated lists: {limit?, offset?} plus extra fields.
Json PageInput(std::vector<Field> extra = {});

//! Validates `value` against `schema`. On failure: INVALID_ARGUMENT naming the path of the
//! failing field ("input.labels.team: expected string, got number").
Status Validate(const Json& schema, const Json& value, const std::string& root = "input");

}  // namespace dai::schema
