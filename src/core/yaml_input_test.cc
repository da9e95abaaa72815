#include "core/yaml_input.h"

#include <gtest/gtest.h>

#include <string>

namespace dai {
namespace {

TEST(YamlInputTest, AcceptsOrdinaryYaml) {
  for (const char* ok : {"", "a: b\n", "a: b\n,c: d\n", "a: ,\n", "a:\n  - x\n  ,\n", "[a, b]\n",
                         "{a: 1}\n", "---\na: 1\n---\nb: 2\n", "# c\nkey: v\n", "---abc\n",
                         "a: 'x, y'\n", "- ,b\n", "a: b\r\n", "é: ü\n",
                         "!<tag:yaml.org,2002:str> x\n", "!!str a,b\n"}) {
    EXPECT_TRUE(CheckYamlInput(ok, "t").ok()) << ok;
  }
}

TEST(YamlInputTest, RefusesWhatMakesYamlCppLoopForever) {
  // Each of these held yaml-cpp 0.7 in an endless loop (fuzz_k8s_manifests).
  for (const char* bad :
       {",", ",\n", ",a: b\n", "  ,\n", "\t,\n", "--- ,\n", "--- # c\n,\n", "a: b\n---\n,\n",
        "...\n,\n", "%YAML 1.2\n---\n,\n", "#c\n,\n", "&x ,\n", "!t ,\n", "#c\r,\r", "&x\n,\n",
        // A tag or anchor ends at ','; this one took all memory (fuzz campaign, session 8).
        "!piap,Ve", "&a,b\n", "--- !t,x\n"}) {
    const Status st = CheckYamlInput(bad, "m.yaml");
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("m.yaml: invalid YAML at byte"), std::string::npos) << st.message();
  }
  EXPECT_NE(CheckYamlInput("a: 1\n---\n  ,x\n", "f").message().find("at byte 11"),
            std::string::npos);
}

TEST(YamlInputTest, RefusesBinaryAndMalformedUtf8) {
  EXPECT_NE(CheckYamlInput(std::string("a: \0b", 5), "f").message().find("NUL byte at offset 3"),
            std::string::npos);
  EXPECT_NE(CheckYamlInput("a: \xC3\x28\n", "f").message().find("invalid UTF-8 at byte 3"),
            std::string::npos);
  EXPECT_EQ(InvalidUtf8At("\xED\xA0\x80"), 0u);         // a surrogate
  EXPECT_EQ(InvalidUtf8At("ok \xF4\x90\x80\x80"), 3u);  // above U+10FFFF
  EXPECT_EQ(InvalidUtf8At("\xF0\x9F\x98\x80"), std::string_view::npos);
}

}  // namespace
}  // namespace dai
