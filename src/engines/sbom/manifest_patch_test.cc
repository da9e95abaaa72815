#include "engines/sbom/manifest_patch.h"

#include <gtest/gtest.h>

namespace dai::sbom {
namespace {

TEST(ManifestPatchTest, RequirementsKeepsEverythingElse) {
  const std::string before = "# deps\nFlask==2.0.0 # web\nclick==8.0.0\n";
  auto p = ProposeManifestPatch(LockfileKind::kRequirements, "requirements.txt", before, "flask",
                                "2.0.0", "2.2.5");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->new_content, "# deps\nFlask==2.2.5 # web\nclick==8.0.0\n");
  EXPECT_EQ(p->diff,
            "--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1,3 +1,3 @@\n # deps\n"
            "-Flask==2.0.0 # web\n+Flask==2.2.5 # web\n click==8.0.0\n");
  // The package parses back at the new version.
  auto parsed = ParseLockfile(LockfileKind::kRequirements, p->new_content);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->packages[0].version, "2.2.5");
  EXPECT_EQ(
      ProposeManifestPatch(LockfileKind::kRequirements, "r.txt", before, "flask", "1.0", "2.2.5")
          .status()
          .code(),
      StatusCode::kNotFound);
}

TEST(ManifestPatchTest, GoModAddsTheVPrefix) {
  const std::string before =
      "module m\n\ngo 1.21\n\nrequire (\n\tgolang.org/x/text v0.3.3 // indirect\n)\n";
  auto p = ProposeManifestPatch(LockfileKind::kGoMod, "go.mod", before, "golang.org/x/text",
                                "v0.3.3", "0.3.7");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_NE(p->new_content.find("golang.org/x/text v0.3.7 // indirect"), std::string::npos);
  EXPECT_NE(p->command.find("go get 'golang.org/x/text@v0.3.7'"), std::string::npos);
}

TEST(ManifestPatchTest, PomLiteralAndPropertyVersions) {
  const std::string pom =
      "<project><properties><api.version>1.7.30</api.version></properties><dependencies>"
      "<dependency><groupId>g</groupId><artifactId>api</artifactId><version>${api.version}</"
      "version></dependency>"
      "<dependency><groupId>g</groupId><artifactId>core</artifactId><version>2.9.1</version></"
      "dependency>"
      "</dependencies></project>";
  auto lit =
      ProposeManifestPatch(LockfileKind::kPomXml, "pom.xml", pom, "g:core", "2.9.1", "2.9.10.8");
  ASSERT_TRUE(lit.ok()) << lit.status().ToString();
  EXPECT_NE(lit->new_content.find("<version>2.9.10.8</version>"), std::string::npos);
  auto prop =
      ProposeManifestPatch(LockfileKind::kPomXml, "pom.xml", pom, "g:api", "1.7.30", "1.7.36");
  ASSERT_TRUE(prop.ok()) << prop.status().ToString();
  EXPECT_NE(prop->new_content.find("<api.version>1.7.36</api.version>"), std::string::npos);
  auto parsed = ParseLockfile(LockfileKind::kPomXml, prop->new_content);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->packages[0].version, "1.7.36");
}

TEST(ManifestPatchTest, LockfilesGetThePackageManagerCommand) {
  auto p = ProposeManifestPatch(LockfileKind::kNpmLock, "package-lock.json", "{}", "debug", "2.5.2",
                                "2.6.9");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->diff.empty());
  EXPECT_EQ(p->command, "npm install 'debug@2.6.9'");
  auto q = ProposeManifestPatch(LockfileKind::kCargoLock, "Cargo.lock", "", "it's", "1", "2");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->command, "cargo update -p 'it'\\''s' --precise '2'");
  EXPECT_EQ(ProposeManifestPatch(LockfileKind::kNpmLock, "x", "", "a", "1", "").status().code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace dai::sbom
