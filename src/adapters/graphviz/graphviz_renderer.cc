#include "adapters/graphviz/graphviz_renderer.h"

#include <graphviz/gvc.h>

#include <mutex>

namespace dai::graphviz {
namespace {

std::mutex& GvcMutex() {
  static std::mutex m;
  return m;
}

GVC_t* Context() {
  static GVC_t* gvc = [] {
    agseterr(AGMAX);  // errors come back as return codes; nothing is printed
    return gvContext();
  }();
  return gvc;
}

}  // namespace

Result<std::string> RenderDot(std::string_view dot, Format format, size_t max_nodes,
                              Layout layout) {
  std::lock_guard<std::mutex> lock(GvcMutex());
  GVC_t* gvc = Context();
  if (gvc == nullptr) return Status::Internal("graphviz: no context");
  std::string text(dot);
  Agraph_t* g = agmemread(text.c_str());
  if (g == nullptr) {
    char* err = aglasterr();
    std::string msg = err ? std::string(err).substr(0, 300) : "syntax error";
    return Status::InvalidArgument("graphviz: the DOT text does not parse: " + msg);
  }
  const size_t nodes = static_cast<size_t>(agnnodes(g));
  if (nodes > max_nodes) {
    agclose(g);
    return Status::InvalidArgument("graphviz: " + std::to_string(nodes) +
                                   " nodes is over the limit of " + std::to_string(max_nodes));
  }
  const bool sfdp =
      layout == Layout::kSfdp || (layout == Layout::kAuto && nodes > kDotLayoutMaxNodes);
  if (sfdp) {
    // Force-directed: clusters are not drawn as boxes; overlapping nodes are pushed apart;
    // straight edges (spline routing around nodes is slow at this size, and Graphviz 2.42's
    // multispline router aborts the process on some of these graphs).
    agsafeset(g, const_cast<char*>("overlap"), const_cast<char*>("prism"), const_cast<char*>(""));
    agsafeset(g, const_cast<char*>("splines"), const_cast<char*>("false"), const_cast<char*>(""));
    agsafeset(g, const_cast<char*>("outputorder"), const_cast<char*>("edgesfirst"),
              const_cast<char*>(""));
  }
  if (gvLayout(gvc, g, sfdp ? "sfdp" : "dot") != 0) {
    agclose(g);
    return Status::Internal("graphviz: layout failed");
  }
  char* data = nullptr;
  unsigned int length = 0;
  const char* fmt = format == Format::kSvg ? "svg" : "png";
  int rc = gvRenderData(gvc, g, fmt, &data, &length);
  std::string out;
  if (rc == 0 && data != nullptr) out.assign(data, length);
  if (data != nullptr) gvFreeRenderData(data);
  gvFreeLayout(gvc, g);
  agclose(g);
  if (rc != 0)
    return Status::Internal(std::string("graphviz: rendering ") + fmt +
                            " failed (plugin missing?)");
  return out;
}

}  // namespace dai::graphviz
