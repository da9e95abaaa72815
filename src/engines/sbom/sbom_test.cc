#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/json.h"
#include "engines/sbom/package.h"
#include "engines/sbom/sbom_document.h"

namespace dai::sbom {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Names(const ParseResult& r) {
  std::vector<std::string> out;
  for (const auto& p : r.packages) out.push_back(p.name + "@" + p.version);
  return out;
}

TEST(SbomParsersTest, YarnSkipsGitAndFileProtocols) {
  auto r =
      ParseLockfile(LockfileKind::kYarnLock,
                    "# yarn lockfile v1\n\n"
                    "\"a@git+https://x/a.git\":\n  version \"1.0.0\"\n\n"
                    "b@^2.0.0, b@^2.1.0:\n  version \"2.1.3\"\n  dependencies:\n    c \"^1\"\n\n"
                    "\"l@file:vendor/l\":\n  version \"0.0.1\"\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Names(*r), std::vector<std::string>{"b@2.1.3"});
  EXPECT_EQ(r->packages[0].depends_on, std::vector<std::string>{"c"});
}

TEST(SbomParsersTest, NpmV3DirectAndDevMerge) {
  auto r = ParseLockfile(LockfileKind::kNpmLock, R"({"lockfileVersion":3,"packages":{
    "":{"dependencies":{"a":"1"}},
    "node_modules/a":{"version":"1.0.0"},
    "node_modules/b":{"version":"2.0.0","dev":true},
    "node_modules/a/node_modules/b":{"version":"2.0.0"}}})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->packages.size(), 2u);
  for (const auto& p : r->packages) {
    if (p.name == "a") {
      EXPECT_EQ(p.relationship, Relationship::kDirect);
    }
    if (p.name == "b") {
      EXPECT_FALSE(p.dev) << "a prod copy of b exists, so b is not dev-only";
      EXPECT_EQ(p.relationship, Relationship::kIndirect);
    }
  }
}

TEST(SbomParsersTest, MalformedInputsGiveErrorsNamingTheProblem) {
  auto npm = ParseLockfile(LockfileKind::kNpmLock, "{\"lockfileVersion\":2}");
  ASSERT_FALSE(npm.ok());
  EXPECT_NE(npm.status().message().find("packages"), std::string::npos);
  auto cargo = ParseLockfile(LockfileKind::kCargoLock, "[[package]]\nname = \"x\"\nversion =\n");
  ASSERT_FALSE(cargo.ok());
  EXPECT_NE(cargo.status().message().find("line 3"), std::string::npos);
  auto pom = ParseLockfile(LockfileKind::kPomXml, "<project><dependencies>");
  EXPECT_FALSE(pom.ok());
  auto pnpm = ParseLockfile(LockfileKind::kPnpmLock, "lockfileVersion: [\n");
  EXPECT_FALSE(pnpm.ok());
  std::string big(kMaxInputBytes + 1, ' ');
  EXPECT_EQ(ParseLockfile(LockfileKind::kGoSum, big).status().code(), StatusCode::kPayloadTooLarge);
}

TEST(SbomParsersTest, DpkgSkipsNotInstalledAndReadsSource) {
  auto r =
      ParseLockfile(LockfileKind::kDpkgStatus,
                    "Package: bsdutils\nStatus: install ok installed\nArchitecture: amd64\n"
                    "Source: util-linux (2.31.1-0.4ubuntu3.1)\nVersion: 1:2.31.1-0.4ubuntu3.1\n\n"
                    "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->packages.size(), 1u);
  EXPECT_EQ(r->packages[0].version, "1:2.31.1-0.4ubuntu3.1");
  EXPECT_EQ(r->packages[0].src_name, "util-linux");
  EXPECT_EQ(r->packages[0].src_version, "2.31.1-0.4ubuntu3.1");
}

TEST(SbomParsersTest, GoModReplaceRules) {
  auto r = ParseLockfile(
      LockfileKind::kGoMod,
      "module example.com/m\n\nrequire (\n\ta.com/x v1.0.0\n\tb.com/y v1.2.0 // indirect\n)\n"
      "replace a.com/x v1.0.0 => a.com/x2 v1.1.0\nreplace b.com/y => ../y\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"example.com/m@", "a.com/x2@v1.1.0"}));
}

TEST(SbomParsersTest, Purls) {
  Package npm;
  npm.name = "@babel/core";
  npm.version = "7.0.0";
  EXPECT_EQ(PackageUrl(npm), "pkg:npm/%40babel/core@7.0.0");
  Package py;
  py.ecosystem = Ecosystem::kPypi;
  py.name = "Flask_Login";
  py.version = "1.0";
  EXPECT_EQ(PackageUrl(py), "pkg:pypi/flask-login@1.0");
  Package deb;
  deb.ecosystem = Ecosystem::kDeb;
  deb.name = "bash";
  deb.version = "5.2-1";
  deb.arch = "amd64";
  OsRelease os{"debian", "12", "bookworm", "Debian GNU/Linux 12"};
  EXPECT_EQ(PackageUrl(deb, os), "pkg:deb/debian/bash@5.2-1?arch=amd64&distro=debian-12");
  EXPECT_EQ(OsvEcosystemFor(deb, os), "Debian:12");
}

TEST(SbomDocumentTest, CycloneDxAndSpdxShape) {
  Inventory inv;
  inv.target = "repo";
  Package p;
  p.name = "left-pad";
  p.version = "1.3.0";
  p.location = "package-lock.json";
  inv.packages.push_back(p);
  Json cdx = ToCycloneDx(inv, "2026-01-01T00:00:00Z", "test");
  EXPECT_EQ(cdx["bomFormat"], "CycloneDX");
  EXPECT_EQ(cdx["specVersion"], "1.5");
  EXPECT_EQ(cdx["components"][0]["purl"], "pkg:npm/left-pad@1.3.0");
  EXPECT_EQ(cdx["serialNumber"].get<std::string>().size(), 45u);
  Json spdx = ToSpdx(inv, "2026-01-01T00:00:00Z", "test");
  EXPECT_EQ(spdx["spdxVersion"], "SPDX-2.3");
  EXPECT_EQ(spdx["packages"][0]["versionInfo"], "1.3.0");
  EXPECT_EQ(spdx["relationships"][0]["relationshipType"], "DESCRIBES");
}

// The shared corpus: Trivy's parser fixtures with the expected package lists. Every case must
// match exactly as a multiset of (name, version); dev and relationship must match where given.
TEST(SbomCorpusTest, MatchesExpectedPackageLists) {
  // DAI_SHARED_DATA in the environment overrides the build-time path (git worktrees).
  const char* env = std::getenv("DAI_SHARED_DATA");
  const fs::path root = fs::path(env ? env : DAI_SHARED_DATA) / "lockfiles";
  if (!fs::exists(root / "manifest.json"))
    GTEST_SKIP() << "shared data absent: " << root << " (lockfile corpus not available)";
  auto manifest = ParseJson(Slurp(root / "manifest.json"));
  ASSERT_TRUE(manifest.ok());
  int cases = 0;
  for (const auto& c : (*manifest)["cases"]) {
    const std::string id = c["id"];
    const fs::path input = root / c["input"].get<std::string>();
    std::string companion;
    if (c["format"].get<std::string>().find("composer.json") != std::string::npos)
      companion = Slurp(input.parent_path() / "composer.json");
    auto kind = DetectLockfileKind(input.generic_string());
    ASSERT_TRUE(kind.has_value()) << id;
    auto r = ParseLockfile(*kind, Slurp(input), companion);
    if (c.value("expect_error", false)) {
      EXPECT_FALSE(r.ok()) << id << " should fail to parse";
      continue;
    }
    ASSERT_TRUE(r.ok()) << id << ": " << r.status().ToString();
    auto expected = ParseJson(Slurp(root / c["expected"].get<std::string>()));
    ASSERT_TRUE(expected.ok());
    std::multiset<std::string> want, got;
    for (const auto& e : *expected) {
      std::string key = e["name"].get<std::string>() + "@" + e["version"].get<std::string>();
      if (e.contains("dev")) key += " dev";
      if (e.contains("relationship")) key += " " + e["relationship"].get<std::string>();
      if (e.contains("src_name"))
        key +=
            " src=" + e["src_name"].get<std::string>() + "@" + e["src_version"].get<std::string>();
      want.insert(key);
    }
    bool has_dev = std::any_of(expected->begin(), expected->end(),
                               [](const Json& e) { return e.contains("dev"); });
    bool has_rel = std::any_of(expected->begin(), expected->end(),
                               [](const Json& e) { return e.contains("relationship"); });
    for (const auto& p : r->packages) {
      std::string key = p.name + "@" + p.version;
      if (has_dev && p.dev) key += " dev";
      if (has_rel && p.relationship != Relationship::kUnknown)
        key += " " + std::string(RelationshipName(p.relationship));
      if (!p.src_name.empty()) key += " src=" + p.src_name + "@" + p.src_version;
      got.insert(key);
    }
    EXPECT_EQ(got, want) << id;
    ++cases;
  }
  EXPECT_GE(cases, 50);
}

}  // namespace
}  // namespace dai::sbom
