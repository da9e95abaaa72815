#include "core/yaml_input.h"

#include <string>

namespace dai {

size_t InvalidUtf8At(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// "---" or "..." followed by a blank or the end of the line.
bool IsDocumentMarker(std::string_view line) {
  return (line.starts_with("---") || line.starts_with("...")) &&
         (line.size() == 3 || IsBlank(line[3]));
}

// The offset of a ',' that begins a document's root node, or npos. Lines end at '\n' or '\r'
// (YAML's line breaks); at a document's start blank lines, comments, directives, document
// markers and node properties (anchors, tags) are skipped.
size_t RootFlowSeparatorAt(std::string_view text) {
  bool at_start = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (IsDocumentMarker(line)) {
      at_start = true;
      line.remove_prefix(3);
    } else if (!at_start) {
      continue;
    } else if (line.starts_with("%")) {
      continue;  // a directive
    }
    size_t i = 0;
    for (;;) {
      while (i < line.size() && IsBlank(line[i])) ++i;
      if (i < line.size() && (line[i] == '&' || line[i] == '!')) {
        // An anchor or tag ends at a blank or a flow indicator: neither may contain ',' (YAML
        // 1.2 ns-anchor-char, ns-tag-char), and yaml-cpp ends the token there, so "!t,x"
        // is a tag followed by a ',' at the root. A verbatim tag "!<...>" may hold one.
        if (line.substr(i).starts_with("!<")) {
          const size_t close = line.find('>', i);
          i = close == std::string_view::npos ? line.size() : close + 1;
        }
        while (i < line.size() && !IsBlank(line[i]) && line[i] != ',') ++i;
        continue;
      }
      break;
    }
    if (i == line.size() || line[i] == '#') continue;  // nothing yet: still at the start
    if (line[i] == ',') return static_cast<size_t>(line.data() - text.data()) + i;
    at_start = false;
  }
  return std::string_view::npos;
}

}  // namespace

Status CheckYamlInput(std::string_view text, std::string_view what) {
  const std::string name(what);
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos)
    return Status::InvalidArgument(name + ": binary data (NUL byte at offset " +
                                   std::to_string(nul) + "), not YAML");
  if (const size_t bad = InvalidUtf8At(text); bad != std::string_view::npos)
    return Status::InvalidArgument(name + ": invalid UTF-8 at byte " + std::to_string(bad) +
                                   ", not YAML");
  if (const size_t comma = RootFlowSeparatorAt(text); comma != std::string_view::npos)
    return Status::InvalidArgument(name + ": invalid YAML at byte " + std::to_string(comma) +
                                   ": a document cannot begin with ','");
  return Status::Ok();
}

}  // namespace dai
