// API documentation (pure): an OpenAPI 3.x or Swagger 2.0 document (JSON or YAML text) rendered
// as Markdown (one section per operation: parameters, request body, responses) and as a
// self-contained HTML page, and the difference between two versions of a document, listing
// breaking changes (removed paths/operations, removed or newly required parameters, type
// changes, removed enum values, newly required request properties, removed success responses or
// response properties) apart from the compatible ones. `$ref`s are followed within the document
// only, with a depth bound, so cyclic references end. Thread-safety: free functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::docs {

//! Parses JSON or YAML; INVALID_ARGUMENT when it is neither an OpenAPI 3 nor a Swagger 2
//! document (naming what is missing) or exceeds `max_bytes` / its node budget.
Result<Json> ParseOpenApi(std::string_view text, size_t max_bytes = 8u << 20);

std::string OpenApiToMarkdown(const Json& doc);
//! A complete HTML page (escaped; no scripts) with a table of contents.
Result<std::string> OpenApiToHtml(const Json& doc);

struct ApiChange {
  bool breaking = false;
  std::string where;  //!< "GET /pets", "GET /pets parameter limit"
  std::string what;
};

std::vector<ApiChange> DiffOpenApi(const Json& before, const Json& after);
std::string ApiChangesToMarkdown(const std::vector<ApiChange>& changes);

}  // namespace dai::docs
