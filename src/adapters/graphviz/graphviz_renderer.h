// Graphviz rendering: DOT text in, SVG or PNG bytes out, through libgvc in process: the
// hierarchical `dot` layout up to kDotLayoutMaxNodes nodes, the force-directed `sfdp` layout
// (overlaps removed) beyond, where `dot` takes minutes (bench/docs_bench). libgvc keeps global
// state and is not thread-safe, so calls are serialised by a process-wide mutex. Graphs above
// `max_nodes` are refused before any layout work. Thread-safety: safe for concurrent use
// (serialised).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace dai::graphviz {

enum class Format { kSvg, kPng };
enum class Layout { kAuto, kDot, kSfdp };

//! kAuto: `dot` for graphs of at most this many nodes, `sfdp` for larger ones.
inline constexpr size_t kDotLayoutMaxNodes = 300;

//! INVALID_ARGUMENT for DOT that does not parse or a graph over `max_nodes`; INTERNAL when
//! layout or rendering fails (e.g. the PNG plugin is missing).
Result<std::string> RenderDot(std::string_view dot, Format format, size_t max_nodes = 5000,
                              Layout layout = Layout::kAuto);

}  // namespace dai::graphviz
