#include <git2.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <unordered_set>

#include "adapters/secretscan/secret_sources.h"

namespace dai::secretscan {
namespace {

std::string GitError(const char* what) {
  const git_error* e = git_error_last();
  return std::string(what) + ": " + (e && e->message ? e->message : "libgit2 error");
}

struct OidHash {
  size_t operator()(const git_oid& o) const {
    size_t h;
    std::memcpy(&h, o.id, sizeof h);
    return h;
  }
};
struct OidEq {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_equal(&a, &b) != 0; }
};

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
using RepoPtr = std::unique_ptr<git_repository, GitDeleter<git_repository, git_repository_free>>;
using WalkPtr = std::unique_ptr<git_revwalk, GitDeleter<git_revwalk, git_revwalk_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitDeleter<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, GitDeleter<git_tree, git_tree_free>>;
using BlobPtr = std::unique_ptr<git_blob, GitDeleter<git_blob, git_blob_free>>;

// libgit2's global state, initialised for the lifetime of one scan (reference counted).
struct LibGit2 {
  LibGit2() { git_libgit2_init(); }
  ~LibGit2() { git_libgit2_shutdown(); }
};

class HistoryScan {
 public:
  HistoryScan(const secrets::SecretScanner& scanner, git_repository* repo,
              secrets::ScanScratch& scratch, const GitOptions& options, GitResult& out)
      : scanner_(scanner), repo_(repo), scratch_(scratch), options_(options), out_(out) {}

  Status Commit(const git_oid& oid) {
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, repo_, &oid) != 0)
      return Status::Internal(GitError("commit lookup"));
    CommitPtr commit(raw);
    git_tree* traw = nullptr;
    if (git_commit_tree(&traw, commit.get()) != 0) return Status::Internal(GitError("commit tree"));
    TreePtr tree(traw);
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &oid);
    commit_ = hex;
    const git_signature* author = git_commit_author(commit.get());
    author_time_ = author ? static_cast<int64_t>(author->when.time) : 0;
    ++out_.commits;
    return Tree(tree.get(), "");
  }

 private:
  Status Tree(git_tree* tree, const std::string& prefix) {
    const size_t n = git_tree_entrycount(tree);
    for (size_t i = 0; i < n; ++i) {
      const git_tree_entry* e = git_tree_entry_byindex(tree, i);
      const git_oid* id = git_tree_entry_id(e);
      const std::string path = prefix + git_tree_entry_name(e);
      switch (git_tree_entry_type(e)) {
        case GIT_OBJECT_TREE: {
          // A subtree seen before holds only blobs seen before: nothing new below it.
          if (!seen_trees_.insert(*id).second) break;
          git_tree* sub = nullptr;
          if (git_tree_lookup(&sub, repo_, id) != 0) {
            out_.errors.push_back({path, GitError("tree lookup")});
            break;
          }
          TreePtr owned(sub);
          DAI_RETURN_IF_ERROR(Tree(sub, path + "/"));
          break;
        }
        case GIT_OBJECT_BLOB: {
          if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) break;  // a symlink's target
          if (!seen_blobs_.insert(*id).second) break;
          DAI_RETURN_IF_ERROR(Blob(*id, path));
          break;
        }
        default:  // submodule commits: another repository
          break;
      }
    }
    return Status::Ok();
  }

  Status Blob(const git_oid& id, const std::string& path) {
    git_blob* raw = nullptr;
    if (git_blob_lookup(&raw, repo_, &id) != 0) {
      out_.errors.push_back({path, GitError("blob lookup")});
      return Status::Ok();
    }
    BlobPtr blob(raw);
    const auto size = static_cast<uint64_t>(git_blob_rawsize(blob.get()));
    if (size > options_.max_blob_bytes) {
      out_.errors.push_back({path + "@" + commit_.substr(0, 12),
                             "larger than " + std::to_string(options_.max_blob_bytes) +
                                 " bytes: not scanned"});
      return Status::Ok();
    }
    std::string_view data(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                          static_cast<size_t>(size));
    ++out_.blobs;
    out_.bytes += size;
    DAI_ASSIGN_OR_RETURN(auto r, scanner_.Scan(data, path, scratch_));
    for (auto& f : r.findings) {
      // The same secret in a later version of the file was introduced earlier: report once.
      if (!seen_fingerprints_.insert(f.fingerprint).second) continue;
      GitFinding g;
      g.finding = std::move(f);
      g.commit = commit_;
      g.author_time = author_time_;
      out_.findings.push_back(std::move(g));
    }
    return Status::Ok();
  }

  const secrets::SecretScanner& scanner_;
  git_repository* repo_;
  secrets::ScanScratch& scratch_;
  const GitOptions& options_;
  GitResult& out_;
  std::string commit_;
  int64_t author_time_ = 0;
  std::unordered_set<git_oid, OidHash, OidEq> seen_trees_, seen_blobs_;
  std::unordered_set<std::string> seen_fingerprints_;
};

}  // namespace

bool IsGitRepository(const std::string& path) {
  LibGit2 lib;
  git_repository* raw = nullptr;
  // NO_SEARCH: the path itself must be the repository, not a directory inside one.
  if (git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
    return false;
  git_repository_free(raw);
  return true;
}

Result<GitResult> ScanGitHistory(const secrets::SecretScanner& scanner, const std::string& repo,
                                 const GitOptions& options) {
  LibGit2 lib;
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, repo.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
    return Status::InvalidArgument(repo + " is not a git repository (" +
                                   GitError("open").substr(6) + ")");
  RepoPtr r(raw);
  git_revwalk* wraw = nullptr;
  if (git_revwalk_new(&wraw, r.get()) != 0) return Status::Internal(GitError("revwalk"));
  WalkPtr walk(wraw);
  // Parents before children, so the first commit that shows a blob is the one adding it.
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE);
  if (git_revwalk_push_glob(walk.get(), "refs/*") != 0)
    return Status::Internal(GitError("revwalk refs"));
  (void)git_revwalk_push_head(walk.get());  // a detached HEAD; fails harmlessly when unborn
  DAI_ASSIGN_OR_RETURN(auto scratch, scanner.NewScratch());
  GitResult out;
  HistoryScan scan(scanner, r.get(), *scratch, options, out);
  git_oid oid;
  while (git_revwalk_next(&oid, walk.get()) == 0) {
    if (options.max_commits && out.commits >= options.max_commits) break;
    DAI_RETURN_IF_ERROR(scan.Commit(oid));
  }
  return out;
}

}  // namespace dai::secretscan
