// Secret sources against real files and a real git repository built here with libgit2: a
// secret committed, kept through an unrelated edit, then removed is reported once, at the
// commit that added it, with that commit's author date; the working tree no longer has it.
#include "adapters/secretscan/secret_sources.h"

#include <git2.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engines/secrets/builtin_rules.h"

namespace dai::secretscan {
namespace {

namespace fs = std::filesystem;
constexpr const char* kAwsKey = "AKIAZ3MQ7RL2XW4PN6TB";
constexpr const char* kGithub = "ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm";

class SecretSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dai-secretscan-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = secrets::SecretScanner::Create(secrets::BuiltinRules());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    scanner_ = std::move(s).value();
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((fs::path(dir_) / rel).parent_path());
    std::ofstream(fs::path(dir_) / rel, std::ios::binary) << text;
  }
  std::string dir_;
  std::unique_ptr<secrets::SecretScanner> scanner_;
};

TEST_F(SecretSourcesTest, TreeFindsSecretsSkipsBinaryAndHonoursGitignore) {
  Write("app/config.py", std::string("x = 1\naws_key = \"") + kAwsKey + "\"\n");
  Write("build/out.txt", std::string("gh: ") + kGithub + "\n");
  Write(".gitignore", "build/\n");
  Write("blob.bin", std::string("\0\0", 2) + kGithub);
  auto all = ScanTree(*scanner_, dir_, {});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->findings.size(), 2u);
  EXPECT_EQ(all->findings[0].rule_id, "aws-access-key-id");
  EXPECT_EQ(all->findings[0].path, dir_ + "/app/config.py");
  EXPECT_EQ(all->findings[0].line, 2u);
  EXPECT_EQ(all->findings[0].redacted.find(kAwsKey), std::string::npos) << "redacted";
  EXPECT_EQ(all->findings[1].rule_id, "github-pat");
  EXPECT_EQ(all->binary_files, 1u);
  EXPECT_EQ(all->files, 4u);

  TreeOptions ignore;
  ignore.gitignore = true;
  ignore.threads = 2;
  auto some = ScanTree(*scanner_, dir_, ignore);
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->findings.size(), 1u);
  EXPECT_EQ(some->findings[0].rule_id, "aws-access-key-id");
}

TEST_F(SecretSourcesTest, TreeNamesMissingAndOversizedInput) {
  auto missing = ScanTree(*scanner_, dir_ + "/nope", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nope"), std::string::npos);
  Write("big.txt", std::string(4096, 'a') + kAwsKey);
  Write("small.txt", std::string("k=") + kAwsKey + "\n");
  TreeOptions o;
  o.max_file_bytes = 1000;
  auto r = ScanTree(*scanner_, dir_, o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->errors.size(), 1u);
  EXPECT_EQ(r->errors[0].path, dir_ + "/big.txt");
  EXPECT_NE(r->errors[0].message.find("larger than 1000"), std::string::npos);
  EXPECT_EQ(r->findings.size(), 1u) << "the other file is still scanned";
}

// Commits the working tree's current content of `files` with an author date.
void Commit(git_repository* repo, const std::vector<std::string>& add,
            const std::vector<std::string>& remove, int64_t when, const char* message) {
  git_index* index = nullptr;
  ASSERT_EQ(git_repository_index(&index, repo), 0);
  for (const auto& f : add) ASSERT_EQ(git_index_add_bypath(index, f.c_str()), 0) << f;
  for (const auto& f : remove) ASSERT_EQ(git_index_remove_bypath(index, f.c_str()), 0) << f;
  ASSERT_EQ(git_index_write(index), 0);
  git_oid tree_id, commit_id, parent_id;
  ASSERT_EQ(git_index_write_tree(&tree_id, index), 0);
  git_index_free(index);
  git_tree* tree = nullptr;
  ASSERT_EQ(git_tree_lookup(&tree, repo, &tree_id), 0);
  git_signature* sig = nullptr;
  ASSERT_EQ(git_signature_new(&sig, "Dev", "dev@example.org", when, 0), 0);
  git_commit* parent = nullptr;
  int parents = 0;
  if (git_reference_name_to_id(&parent_id, repo, "HEAD") == 0) {
    ASSERT_EQ(git_commit_lookup(&parent, repo, &parent_id), 0);
    parents = 1;
  }
  const git_commit* parent_list[] = {parent};
  ASSERT_EQ(git_commit_create(&commit_id, repo, "HEAD", sig, sig, nullptr, message, tree, parents,
                              parents ? parent_list : nullptr),
            0);
  git_commit_free(parent);
  git_signature_free(sig);
  git_tree_free(tree);
}

TEST_F(SecretSourcesTest, HistoryReportsTheIntroducingCommitOfARemovedSecret) {
  git_libgit2_init();
  git_repository* repo = nullptr;
  ASSERT_EQ(git_repository_init(&repo, dir_.c_str(), 0), 0);
  Write("src/settings.py", std::string("DEBUG = True\naws = \"") + kAwsKey + "\"\n");
  Write("README.md", "hello\n");
  Commit(repo, {"src/settings.py", "README.md"}, {}, 1700000000, "add settings");
  // An unrelated edit keeps the key: still one finding (the same fingerprint).
  Write("src/settings.py", std::string("DEBUG = False\naws = \"") + kAwsKey + "\"\n");
  Commit(repo, {"src/settings.py"}, {}, 1700000100, "debug off");
  Write("src/settings.py", "DEBUG = False\naws = os.environ['AWS']\n");
  Write("notes/token.txt", std::string("gh: ") + kGithub + "\n");
  Commit(repo, {"src/settings.py", "notes/token.txt"}, {}, 1700000200, "env + token");
  fs::remove(fs::path(dir_) / "notes/token.txt");
  Commit(repo, {}, {"notes/token.txt"}, 1700000300, "remove token");
  git_oid first;
  {
    git_revwalk* w = nullptr;
    ASSERT_EQ(git_revwalk_new(&w, repo), 0);
    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
    ASSERT_EQ(git_revwalk_push_head(w), 0);
    ASSERT_EQ(git_revwalk_next(&first, w), 0);
    git_revwalk_free(w);
  }
  char first_hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(first_hex, sizeof first_hex, &first);
  git_repository_free(repo);
  git_libgit2_shutdown();

  EXPECT_TRUE(IsGitRepository(dir_));
  auto tree = ScanTree(*scanner_, dir_, {});
  ASSERT_TRUE(tree.ok());
  EXPECT_TRUE(tree->findings.empty()) << "the working tree no longer holds either secret";

  auto h = ScanGitHistory(*scanner_, dir_);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->commits, 4u);
  // Blobs: settings v1, v2, v3, README, token = 5 (each once).
  EXPECT_EQ(h->blobs, 5u);
  ASSERT_EQ(h->findings.size(), 2u);
  const auto& aws = h->findings[0];
  EXPECT_EQ(aws.finding.rule_id, "aws-access-key-id");
  EXPECT_EQ(aws.finding.path, "src/settings.py");
  EXPECT_EQ(aws.finding.line, 2u);
  EXPECT_EQ(aws.commit, first_hex);
  EXPECT_EQ(aws.author_time, 1700000000);
  const auto& gh = h->findings[1];
  EXPECT_EQ(gh.finding.rule_id, "github-pat");
  EXPECT_EQ(gh.finding.path, "notes/token.txt");
  EXPECT_EQ(gh.author_time, 1700000200);
  EXPECT_NE(gh.commit, aws.commit);
  EXPECT_EQ(gh.finding.redacted.find(kGithub), std::string::npos);

  GitOptions oldest;
  oldest.max_commits = 1;
  auto one = ScanGitHistory(*scanner_, dir_, oldest);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->commits, 1u);
  EXPECT_EQ(one->findings.size(), 1u);
}

TEST_F(SecretSourcesTest, HistoryRefusesANonRepository) {
  Write("a.txt", "x\n");
  EXPECT_FALSE(IsGitRepository(dir_));
  auto h = ScanGitHistory(*scanner_, dir_);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(h.status().message().find("is not a git repository"), std::string::npos);
}

}  // namespace
}  // namespace dai::secretscan
