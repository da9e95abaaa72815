// Dependency paths on real lockfiles (../shared/data/lockfiles, from Trivy's test suite) and on
// small graphs that pin the rules down.
#include "engines/sbom/dependency_paths.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace dai::sbom {
namespace {

namespace fs = std::filesystem;

const fs::path kInputs = fs::path(DAI_SHARED_DATA) / "lockfiles" / "inputs";

// name@version -> its dependency path as text ("" when none).
std::map<std::string, std::string> PathsOf(LockfileKind kind, const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  auto r = ParseLockfile(kind, ss.str());
  EXPECT_TRUE(r.ok()) << file << ": " << r.status().ToString();
  std::map<std::string, std::string> out;
  if (!r.ok()) return out;
  auto paths = DependencyPaths(r->packages);
  for (size_t i = 0; i < r->packages.size(); ++i)
    out[r->packages[i].name + "@" + r->packages[i].version] =
        DependencyPathText(r->packages, paths[i]);
  return out;
}

TEST(DependencyPathsTest, NpmV3PackagesTree) {
  const auto f = kInputs / "npm" / "package-lock_v3_with_peer.json";
  if (!fs::exists(f)) GTEST_SKIP() << f << " missing";
  auto p = PathsOf(LockfileKind::kNpmLock, f);
  EXPECT_EQ(p["winston-mail@2.0.0"], "winston-mail@2.0.0");
  EXPECT_EQ(p["mustache@2.3.2"], "winston-mail@2.0.0 > mustache@2.3.2");
}

TEST(DependencyPathsTest, CargoLockStartsAtTheCratesNothingDependsOn) {
  const auto f = kInputs / "cargo" / "cargo_normal.lock";
  if (!fs::exists(f)) GTEST_SKIP() << f << " missing";
  auto p = PathsOf(LockfileKind::kCargoLock, f);
  EXPECT_EQ(p["libc@0.2.54"], "normal@0.1.0 > libc@0.2.54");
  EXPECT_EQ(p["idna@0.1.5"], "url@1.7.2 > idna@0.1.5");
  EXPECT_EQ(p["unsafe-any@0.4.2"], "typemap@0.3.3 > unsafe-any@0.4.2");
}

TEST(DependencyPathsTest, EveryRealLockfileGivesConsistentChains) {
  // On every graph-bearing fixture: each chain starts at a package no other chain passes
  // through before it, ends at the package itself, and follows declared edges.
  struct Case {
    LockfileKind kind;
    const char* dir;
  };
  int files = 0, with_paths = 0;
  for (const Case& c :
       {Case{LockfileKind::kNpmLock, "npm"}, Case{LockfileKind::kPnpmLock, "pnpm"},
        Case{LockfileKind::kYarnLock, "yarn"}, Case{LockfileKind::kCargoLock, "cargo"},
        Case{LockfileKind::kPoetryLock, "poetry"}}) {
    if (!fs::exists(kInputs / c.dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(kInputs / c.dir)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      auto r = ParseLockfile(c.kind, ss.str());
      if (!r.ok()) continue;  // the invalid fixtures
      ++files;
      auto paths = DependencyPaths(r->packages);
      ASSERT_EQ(paths.size(), r->packages.size());
      bool any = false;
      for (size_t i = 0; i < paths.size(); ++i) {
        if (paths[i].empty()) continue;
        any = true;
        EXPECT_EQ(paths[i].back(), i) << e.path();
        for (size_t k = 1; k < paths[i].size(); ++k) {
          const auto& from = r->packages[paths[i][k - 1]];
          const auto& to = r->packages[paths[i][k]];
          bool declared = false;
          for (const auto& d : from.depends_on)
            declared = declared || d == to.name || d == to.name + "@" + to.version ||
                       d.rfind(to.name + "@", 0) == 0;
          EXPECT_TRUE(declared) << e.path() << ": " << from.name << " -> " << to.name;
        }
      }
      with_paths += any;
    }
  }
  EXPECT_GT(files, 5);
  EXPECT_GT(with_paths, 5) << "most fixtures record a graph";
}

TEST(DependencyPathsTest, ShortestChainAndNoCrossFileEdges) {
  std::vector<Package> pkgs(5);
  pkgs[0] = {Ecosystem::kNpm, "a",         "1", false, Relationship::kDirect, "", "", "",
             "x/lock",        {"b@2", "c"}};
  pkgs[1] = {Ecosystem::kNpm, "b",  "2", false, Relationship::kIndirect, "", "", "",
             "x/lock",        {"d"}};
  pkgs[2] = {Ecosystem::kNpm, "c",  "3", false, Relationship::kIndirect, "", "", "",
             "x/lock",        {"b"}};
  pkgs[3] = {Ecosystem::kNpm, "d", "4", false, Relationship::kIndirect, "", "", "", "x/lock", {}};
  // Same name in another file: never reached from x/lock.
  pkgs[4] = {Ecosystem::kNpm, "d", "9", false, Relationship::kIndirect, "", "", "", "y/lock", {}};
  auto p = DependencyPaths(pkgs);
  EXPECT_EQ(DependencyPathText(pkgs, p[3]), "a@1 > b@2 > d@4");
  EXPECT_EQ(DependencyPathText(pkgs, p[2]), "a@1 > c@3");
  EXPECT_TRUE(p[4].empty());
}

}  // namespace
}  // namespace dai::sbom
