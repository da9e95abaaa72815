// Document templates (pure): text with placeholders filled from live data, for the generated
// documents of `doc_templates`. Syntax (Mustache-like, no code):
//   {{path.to.field}}            a value (strings as they are, numbers/booleans as JSON, lists
//                                joined with ", ")
//   {{#each path}} ... {{/each}} repeats for each element; inside, `this` is the element and
//                                unqualified names are looked up in it first, then outside
//   {{#if path}} ... {{/if}}     kept when the value is present, non-empty, non-zero, not false
// A placeholder naming a field the data does not have is an error naming the field and line,
// never an empty string; unknown tags and unbalanced sections are errors too. Work is bounded:
// template size, nesting depth, and output size have limits.
// Thread-safety: free functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::docs {

struct TemplateLimits {
  size_t max_template_bytes = 256 * 1024;
  size_t max_output_bytes = 4u << 20;
  int max_depth = 8;
};

//! INVALID_ARGUMENT "line N: unknown field \"x.y\"" (or the syntax error and its line).
Result<std::string> RenderTemplate(std::string_view tmpl, const Json& data,
                                   const TemplateLimits& limits = {});
//! The top-level field names a template uses (for the `variables` column); syntax errors fail.
Result<std::vector<std::string>> TemplateVariables(std::string_view tmpl,
                                                   const TemplateLimits& limits = {});

}  // namespace dai::docs
