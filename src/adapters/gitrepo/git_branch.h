// Writes a change as a new branch with one commit in a local git repository, built from blobs in
// the object database: the work tree, the index and HEAD are never touched (no checkout), so a
// user's uncommitted work stays as it was. Thread-safety: free functions; each call opens the
// repository itself (libgit2 takes the ref lock when it creates the branch).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace dai::gitrepo {

//! The repository holding `path` (a directory or a file inside a work tree, searched upwards).
struct RepositoryLocation {
  std::string workdir;       //!< the work tree root, without a trailing '/'
  std::string path_in_repo;  //!< `path` relative to it, '/'-separated ("" for the root)
};
//! NOT_FOUND when `path` is not inside a git work tree (a bare repository has none).
Result<RepositoryLocation> LocateRepository(const std::string& path);

struct FileChange {
  std::string path;  //!< relative to the repository root, '/'-separated, no ".."
  std::string content;
};

struct BranchCommitRequest {
  std::string repo;  //!< the work tree root (or .git directory)
  std::string base_ref = "HEAD";
  std::string branch;  //!< short name, created under refs/heads/
  std::vector<FileChange> files;
  std::string author_name;
  std::string author_email;
  std::string message;
  int64_t time_seconds = 0;  //!< author and committer time (Unix seconds, UTC)
};

struct BranchCommitResult {
  std::string branch;
  std::string commit;       //!< the new commit id
  std::string base_commit;  //!< its parent (what base_ref resolved to)
};

//! Creates `branch` at a new commit whose parent is `base_ref` and whose tree is the parent's
//! tree with `files` replaced (existing file modes kept; new files as regular files).
//! INVALID_ARGUMENT for a bad branch name or path; NOT_FOUND for a missing repository or
//! ref; CONFLICT when the branch exists (it is never moved); FAILED_PRECONDITION when the
//! change leaves the tree as it was.
Result<BranchCommitResult> CommitOnNewBranch(const BranchCommitRequest& request);

}  // namespace dai::gitrepo
