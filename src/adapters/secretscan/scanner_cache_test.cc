// The compiled-rule cache against a real directory: a miss compiles and stores (0600 file in a
// 0700 directory), the next call loads it; a corrupt, truncated or foreign file is ignored,
// compiled afresh and replaced; findings are the same with and without the cache; a directory
// that cannot be written only costs a note.
#include "adapters/secretscan/scanner_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engines/secrets/builtin_rules.h"

namespace dai::secretscan {
namespace {

namespace fs = std::filesystem;
using secrets::Prefilter;

const std::string kText =
    "aws_key = \"AKIAZ3MQ7RL2XW4PN6TB\"\n"
    "token: ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm\n"
    "STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n";

std::vector<std::string> Findings(const secrets::SecretScanner& s) {
  auto scratch = s.NewScratch();
  EXPECT_TRUE(scratch.ok());
  if (!scratch.ok()) return {};
  auto r = s.Scan(kText, "config.py", **scratch);
  EXPECT_TRUE(r.ok());
  std::vector<std::string> out;
  if (r.ok())
    for (const auto& f : r->findings)
      out.push_back(f.rule_id + "@" + std::to_string(f.offset) + ":" + f.fingerprint);
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ScannerCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dai-scannercache-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/cache/devops-ai";  // created by the first store
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_, dir_;
};

TEST_F(ScannerCacheTest, MissStoresThenHitLoadsWithTheSameFindings) {
  auto uncached = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords, "");
  ASSERT_TRUE(uncached.ok()) << uncached.status().ToString();
  EXPECT_EQ(uncached->outcome, CacheOutcome::kDisabled);
  EXPECT_TRUE(uncached->path.empty());
  const auto want = Findings(*uncached->scanner);
  for (const char* rule : {"aws-access-key-id@", "github-pat@", "stripe-key@"})
    EXPECT_EQ(std::count_if(want.begin(), want.end(),
                            [&](const std::string& f) { return f.rfind(rule, 0) == 0; }),
              1)
        << rule;

  auto first = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords, dir_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->outcome, CacheOutcome::kMiss);
  EXPECT_EQ(first->note, "");
  EXPECT_EQ(first->path, CacheFilePath(dir_, first->scanner->database_key()));
  struct stat st {};
  ASSERT_EQ(::stat(first->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(Findings(*first->scanner), want);
  // Only the cache file is left (the temporary file was renamed).
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1u);

  auto second = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords, dir_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->outcome, CacheOutcome::kHit);
  EXPECT_EQ(second->note, "");
  EXPECT_EQ(Findings(*second->scanner), want);

  // Another prefilter is another key: a miss with its own file, the same findings.
  auto regex = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kRegex, dir_);
  ASSERT_TRUE(regex.ok());
  EXPECT_EQ(regex->outcome, CacheOutcome::kMiss);
  EXPECT_NE(regex->path, first->path);
  EXPECT_EQ(Findings(*regex->scanner), want);
}

TEST_F(ScannerCacheTest, CorruptOrTruncatedFileIsRebuiltAndReplaced) {
  auto first = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords, dir_);
  ASSERT_TRUE(first.ok());
  const std::string good = ReadAll(first->path);
  ASSERT_GT(good.size(), 1000u);
  const auto want = Findings(*first->scanner);
  std::string flipped = good;
  flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 1);
  for (const std::string& bad : {flipped, good.substr(0, good.size() / 3), std::string()}) {
    std::ofstream(first->path, std::ios::binary | std::ios::trunc) << bad;
    auto r = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords, dir_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->outcome, CacheOutcome::kRebuilt);
    EXPECT_NE(r->note.find(first->path), std::string::npos) << r->note;
    EXPECT_EQ(Findings(*r->scanner), want);
    EXPECT_EQ(ReadAll(first->path), good);  // replaced by a good file
    auto next = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords, dir_);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->outcome, CacheOutcome::kHit);
  }
}

// A file under this key's name holding the database of other rules (as after a vectorscan
// upgrade or a copied cache: the key inside it differs) is refused, rebuilt and replaced.
TEST_F(ScannerCacheTest, MismatchedDatabaseIsRebuilt) {
  secrets::RuleSet other = secrets::BuiltinRules();
  other.rules.pop_back();
  auto foreign = LoadOrCompileScanner(other, Prefilter::kKeywords, dir_);
  ASSERT_TRUE(foreign.ok());
  const std::string path = CacheFilePath(
      dir_, secrets::SecretScanner::DatabaseKey(secrets::BuiltinRules(), Prefilter::kKeywords));
  ASSERT_NE(path, foreign->path);
  fs::copy_file(foreign->path, path);
  auto r = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords, dir_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, CacheOutcome::kRebuilt);
  EXPECT_NE(r->note.find("another rule set"), std::string::npos) << r->note;
  EXPECT_NE(ReadAll(path), ReadAll(foreign->path));
  auto next = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords, dir_);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->outcome, CacheOutcome::kHit);
}

TEST_F(ScannerCacheTest, UnwritableDirectoryOnlyCostsANote) {
  // A regular file where the directory should be (root can write anywhere else).
  std::ofstream(root_ + "/file") << "x";
  auto r = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords,
                                root_ + "/file/devops-ai");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, CacheOutcome::kMiss);
  EXPECT_NE(r->note.find("cannot create"), std::string::npos) << r->note;
  auto uncached = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords, "");
  ASSERT_TRUE(uncached.ok());
  EXPECT_EQ(Findings(*r->scanner), Findings(*uncached->scanner));
}

TEST_F(ScannerCacheTest, InvalidRulesFailAsWithoutCache) {
  secrets::RuleSet bad;
  secrets::Rule rule;
  rule.id = "broken";
  rule.regex = "(unclosed";
  bad.rules.push_back(rule);
  auto r = LoadOrCompileScanner(bad, Prefilter::kKeywords, dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("broken"), std::string::npos);
}

TEST_F(ScannerCacheTest, OldestFilesBeyondTheLimitArePruned) {
  fs::create_directories(dir_);
  for (int i = 0; i < 12; ++i) {
    const std::string p = dir_ + "/secrets-old" + std::to_string(i) + ".hsdb";
    std::ofstream(p) << "old";
    fs::last_write_time(p, fs::file_time_type::clock::now() - std::chrono::hours(24 + i));
  }
  std::ofstream(dir_ + "/unrelated.txt") << "kept";
  auto r = LoadOrCompileScanner(secrets::BuiltinRules(), Prefilter::kKeywords, dir_);
  ASSERT_TRUE(r.ok());
  size_t hsdb = 0;
  for (const auto& e : fs::directory_iterator(dir_)) hsdb += e.path().extension() == ".hsdb";
  EXPECT_EQ(hsdb, kMaxCacheFiles);
  EXPECT_TRUE(fs::exists(r->path));                        // the newest stays
  EXPECT_TRUE(fs::exists(dir_ + "/secrets-old0.hsdb"));    // newer old ones stay
  EXPECT_FALSE(fs::exists(dir_ + "/secrets-old11.hsdb"));  // the oldest went
  EXPECT_TRUE(fs::exists(dir_ + "/unrelated.txt"));
}

TEST(ScannerCacheDir, FollowsXdgCacheHomeThenHome) {
  const char* old_xdg = std::getenv("XDG_CACHE_HOME");
  const char* old_home = std::getenv("HOME");
  const std::string saved_xdg = old_xdg ? old_xdg : "", saved_home = old_home ? old_home : "";
  ::setenv("XDG_CACHE_HOME", "/x/cache", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(DefaultCacheDir(), "/x/cache/devops-ai");
  ::setenv("XDG_CACHE_HOME", "relative", 1);  // not absolute: ignored, as the spec says
  EXPECT_EQ(DefaultCacheDir(), "/home/u/.cache/devops-ai");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(DefaultCacheDir(), "/home/u/.cache/devops-ai");
  ::unsetenv("HOME");
  EXPECT_EQ(DefaultCacheDir(), "");
  if (old_xdg) ::setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
  if (old_home) ::setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace dai::secretscan
