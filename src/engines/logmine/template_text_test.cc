#include <gtest/gtest.h>

#include "engines/logmine/template_text.h"

namespace dai::logmine {
namespace {

TEST(NormalizeTemplate, CollapsesSpacesAndDigits) {
  EXPECT_EQ(NormalizeTemplate("  Received block 12  of size 67108864 "),
            "Received block <*> of size <*>");
}

}  // namespace
}  // namespace dai::logmine
