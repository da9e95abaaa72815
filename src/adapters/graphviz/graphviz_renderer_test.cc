// RenderDot's layout choice: `dot` (clusters drawn as boxes) up to kDotLayoutMaxNodes nodes,
// `sfdp` beyond; bad DOT and the node limit are refused before any layout.
#include "adapters/graphviz/graphviz_renderer.h"

#include <gtest/gtest.h>

#include <string>

namespace dai::graphviz {
namespace {

// A chain of `n` nodes, the first ten in a cluster.
std::string Chain(size_t n) {
  std::string dot = "digraph g {\n  subgraph cluster_ns { label=\"ns\"; ";
  for (size_t i = 0; i < 10 && i < n; ++i) dot += "n" + std::to_string(i) + "; ";
  dot += "}\n";
  for (size_t i = 1; i < n; ++i)
    dot += "  n" + std::to_string(i - 1) + " -> n" + std::to_string(i) + ";\n";
  return dot + "}\n";
}

TEST(GraphvizRenderer, DotUpToTheThresholdSfdpBeyond) {
  auto small = RenderDot(Chain(20), Format::kSvg);
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_NE(small->find("class=\"cluster\""), std::string::npos);  // dot draws the cluster
  auto large = RenderDot(Chain(kDotLayoutMaxNodes + 1), Format::kSvg);
  ASSERT_TRUE(large.ok()) << large.status().ToString();
  EXPECT_NE(large->find("n300"), std::string::npos);
  EXPECT_EQ(large->find("class=\"cluster\""), std::string::npos);  // sfdp does not
  auto forced = RenderDot(Chain(20), Format::kSvg, 5000, Layout::kSfdp);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->find("class=\"cluster\""), std::string::npos);
}

TEST(GraphvizRenderer, RefusesBadDotAndTooManyNodes) {
  EXPECT_EQ(RenderDot("digraph {", Format::kSvg).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderDot(Chain(50), Format::kSvg, 40).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dai::graphviz
