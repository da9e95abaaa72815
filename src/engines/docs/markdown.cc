#include "engines/docs/markdown.h"

#include <cmark.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace dai::docs {

Result<std::string> RenderMarkdown(std::string_view markdown, size_t max_bytes) {
  if (markdown.size() > max_bytes)
    return Status::InvalidArgument("document: " + std::to_string(markdown.size()) +
                                   " bytes is over the limit of " + std::to_string(max_bytes));
  // CMARK_OPT_DEFAULT is the safe mode in cmark >= 0.29 (no CMARK_OPT_UNSAFE).
  char* html = cmark_markdown_to_html(markdown.data(), markdown.size(),
                                      CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8);
  if (html == nullptr) return Status::Internal("markdown: renderer failed");
  std::unique_ptr<char, decltype(&std::free)> owned(html, &std::free);
  return std::string(html);
}

std::vector<DocReference> ExtractReferences(std::string_view md) {
  std::vector<DocReference> out;
  size_t pos = 0;
  while (out.size() < 200) {
    size_t open = md.find("[[", pos);
    if (open == std::string_view::npos) break;
    size_t close = md.find("]]", open + 2);
    if (close == std::string_view::npos) break;
    std::string_view inner = md.substr(open + 2, close - open - 2);
    pos = open + 2;
    size_t colon = inner.find(':');
    if (colon == std::string_view::npos || inner.size() > 200) continue;
    std::string type(inner.substr(0, colon));
    std::string id(inner.substr(colon + 1));
    if (type != "incident" && type != "runbook" && type != "service" && type != "doc") continue;
    if (id.empty() || !std::all_of(id.begin(), id.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                 c == '/';
        }))
      continue;
    DocReference ref{type, id};
    if (std::find(out.begin(), out.end(), ref) == out.end()) out.push_back(std::move(ref));
    pos = close + 2;
  }
  return out;
}

std::string FirstHeading(std::string_view md) {
  size_t pos = 0;
  bool in_fence = false;
  while (pos < md.size()) {
    size_t eol = md.find('\n', pos);
    if (eol == std::string_view::npos) eol = md.size();
    std::string_view line = md.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.substr(0, 3) == "```" || line.substr(0, 3) == "~~~") in_fence = !in_fence;
    if (in_fence) continue;
    size_t hashes = 0;
    while (hashes < line.size() && hashes < 7 && line[hashes] == '#') ++hashes;
    if (hashes == 0 || hashes > 6 || hashes >= line.size() || line[hashes] != ' ') continue;
    std::string_view text = line.substr(hashes + 1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '#'))
      text.remove_suffix(1);
    return std::string(text.substr(0, 200));
  }
  return "";
}

std::string WithLlmSummary(const std::string& markdown, const std::string& summary,
                           const std::string& model, const std::string& source) {
  std::string name = model;
  for (char& c : name) {
    if (c == '`' || c == '\n' || c == '\r') c = '\'';
  }
  const std::string section = "## Summary\n\n*Written by the LLM `" + name + "` from " + source +
                              "; the sections after this one are generated from it.*\n\n" +
                              summary + "\n\n";
  const size_t at = markdown.find("\n\n");
  if (at == std::string::npos) return markdown + "\n\n" + section;
  return markdown.substr(0, at + 2) + section + markdown.substr(at + 2);
}

}  // namespace dai::docs
