// Markdown for the knowledge base (pure): CommonMark rendered to HTML by Debian's libcmark in
// its safe mode (raw HTML is dropped and javascript:/vbscript:/file:/data: links are removed), so
// a stored document can never carry a script into the page; plus the title, the headings and the
// cross-references ([[incident:12]], [[runbook:restart-api]], [[service:api]], [[doc:7]]) that a
// document names. Input above the size limit is refused, never truncated silently.
// Thread-safety: free functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::docs {

constexpr size_t kMaxMarkdownBytes = 2u << 20;

//! Safe HTML for `markdown` (valid UTF-8 enforced). INVALID_ARGUMENT above `max_bytes`.
Result<std::string> RenderMarkdown(std::string_view markdown, size_t max_bytes = kMaxMarkdownBytes);

struct DocReference {
  std::string type;  //!< incident, runbook, service, doc
  std::string id;
  bool operator==(const DocReference& o) const { return type == o.type && id == o.id; }
};

//! The [[type:id]] references in `markdown`, de-duplicated in first-seen order (at most 200).
std::vector<DocReference> ExtractReferences(std::string_view markdown);
//! The text of the first ATX heading ("# Title"), or "" when none.
std::string FirstHeading(std::string_view markdown);
//! `markdown` with a "## Summary" section after its first block (the title line) holding
//! `summary`, labelled as written by the LLM `model` from `source` ("the snapshot below").
std::string WithLlmSummary(const std::string& markdown, const std::string& summary,
                           const std::string& model, const std::string& source);

}  // namespace dai::docs
