#include "engines/logmine/template_text.h"

#include <gtest/gtest.h>

namespace dai::logmine {
namespace {

std::string Mask(std::string_view token) {
  std::string out;
  MaskToken(token, out);
  return out;
}

TEST(NormalizeTemplate, CollapsesSpacesAndDigits) {
  EXPECT_EQ(NormalizeTemplate("  Received block 12  of size 67108864 "),
            "Received block <*> of size <*>");
}

TEST(NormalizeTemplate, LoghubConventions) {
  EXPECT_EQ(NormalizeTemplate("run-parts /etc/cron.hourly"), "run-parts <*>");   // path
  EXPECT_EQ(NormalizeTemplate("enabled=true user root"), "enabled=<*> user <*>");  // words
  EXPECT_EQ(NormalizeTemplate("<*>.<*>.<*>:<*>"), "<*>:<*>");                     // dots merge
  EXPECT_EQ(NormalizeTemplate("blk_<*>"), "<*>");                                // glued word
  EXPECT_EQ(NormalizeTemplate("node-<*>"), "node-<*>");                          // '-' separates
  EXPECT_EQ(NormalizeTemplate("<*><*>"), "<*>");
}

TEST(MaskToken, BuiltInClasses) {
  EXPECT_EQ(Mask("10.251.73.220:50010"), "<*>:<*>");
  EXPECT_EQ(Mask("node-246"), "node-<*>");
  EXPECT_EQ(Mask("0x7fed806eb5d"), "<*>");
  EXPECT_EQ(Mask("job_1445144423722_0020"), "<*>");
  EXPECT_EQ(Mask("123e4567-e89b-12d3-a456-426614174000"), "<*>");
  EXPECT_EQ(Mask("00:1a:2b:3c:4d:5e"), "<*>");
  EXPECT_EQ(Mask("30ms"), "<*>");
  EXPECT_EQ(Mask("-42"), "<*>");
  EXPECT_EQ(Mask("hdfs://host:9000/a/b]"), "hdfs://<*>]");
  EXPECT_EQ(Mask("vCores:1>"), "vCores:<*>");  // glued ">" joins the variable
  EXPECT_EQ(Mask("nodeBlacklistingEnabled:true"), "nodeBlacklistingEnabled:<*>");
}

TEST(MaskToken, LeavesWordsAndShortNamesAlone) {
  for (const char* w : {"PacketResponder", "L3", "alt0", "r24", "HttpServer2", "Slf4jLogger",
                        "LOOKING"}) {
    EXPECT_EQ(Mask(w), w);
  }
}

TEST(GeneralizeToken, KeepsSharedStructure) {
  EXPECT_EQ(GeneralizeToken("[a1x:80]", "[bb:81]"), "[<*>:<*>]");
  EXPECT_EQ(GeneralizeToken("node-<*>", "node-abc"), "node-<*>");
  EXPECT_EQ(GeneralizeToken("<*>,", "LOCAL(<*>),"), "<*>,");
  EXPECT_EQ(GeneralizeToken("abc", "xyz"), "<*>");
  EXPECT_EQ(GeneralizeToken("same", "same"), "same");
}

}  // namespace
}  // namespace dai::logmine
