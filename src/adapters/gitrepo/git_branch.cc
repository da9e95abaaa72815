#include "adapters/gitrepo/git_branch.h"

#include <git2.h>

#include <filesystem>
#include <memory>

namespace dai::gitrepo {
namespace {

struct BranchLibGit2 {
  BranchLibGit2() { git_libgit2_init(); }
  ~BranchLibGit2() { git_libgit2_shutdown(); }
};

std::string BranchLastError() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

template <typename T>
using Owned = std::unique_ptr<T, void (*)(T*)>;

bool SafeRelativePath(const std::string& p) {
  if (p.empty() || p[0] == '/' || p.back() == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    const std::string part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part == ".git") return false;
    start = end + 1;
  }
  return p.find('\0') == std::string::npos;
}

}  // namespace

Result<RepositoryLocation> LocateRepository(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) return Status::NotFound(path + ": " + ec.message());
  const fs::path start = fs::is_directory(abs, ec) ? abs : abs.parent_path();
  BranchLibGit2 lib;
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, start.c_str(), 0, nullptr) != 0)
    return Status::NotFound(path + " is not inside a git repository");
  Owned<git_repository> repo(raw, git_repository_free);
  const char* wd = git_repository_workdir(repo.get());
  if (wd == nullptr) return Status::NotFound(path + " is in a bare repository (no work tree)");
  fs::path root = fs::weakly_canonical(fs::path(wd), ec);
  RepositoryLocation out;
  out.workdir = root.string();
  while (!out.workdir.empty() && out.workdir.size() > 1 && out.workdir.back() == '/')
    out.workdir.pop_back();
  fs::path rel = abs.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..")
    return Status::NotFound(path + " is outside the work tree of " + out.workdir);
  out.path_in_repo = rel == "." ? "" : rel.generic_string();
  return out;
}

Result<BranchCommitResult> CommitOnNewBranch(const BranchCommitRequest& req) {
  if (req.files.empty()) return Status::InvalidArgument("no file to commit");
  for (const auto& f : req.files)
    if (!SafeRelativePath(f.path))
      return Status::InvalidArgument("\"" + f.path +
                                     "\": a path relative to the repository root, without \"..\"");
  if (req.base_ref.empty() || req.base_ref.find(':') != std::string::npos || req.base_ref[0] == '-')
    return Status::InvalidArgument("\"" + req.base_ref + "\" is not a ref");
  BranchLibGit2 lib;
  const std::string refname = "refs/heads/" + req.branch;
  int valid = 0;
  if (req.branch.empty() || req.branch[0] == '-' ||
      git_reference_name_is_valid(&valid, refname.c_str()) != 0 || !valid)
    return Status::InvalidArgument("\"" + req.branch + "\" is not a valid branch name");

  git_repository* raw_repo = nullptr;
  if (git_repository_open_ext(&raw_repo, req.repo.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                              nullptr) != 0)
    return Status::NotFound(req.repo + " is not a git repository: " + BranchLastError());
  Owned<git_repository> repo(raw_repo, git_repository_free);

  git_reference* existing = nullptr;
  if (git_reference_lookup(&existing, repo.get(), refname.c_str()) == 0) {
    git_reference_free(existing);
    return Status::Conflict("branch " + req.branch + " already exists in " + req.repo);
  }

  git_object* raw_base = nullptr;
  if (git_revparse_single(&raw_base, repo.get(), (req.base_ref + "^{commit}").c_str()) != 0)
    return Status::NotFound(req.repo + ": ref " + req.base_ref + " not found: " + BranchLastError());
  Owned<git_object> base(raw_base, git_object_free);
  auto* base_commit = reinterpret_cast<git_commit*>(base.get());
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, base_commit) != 0)
    return Status::Unavailable(req.repo + ": " + BranchLastError());
  Owned<git_tree> base_tree(raw_tree, git_tree_free);

  std::vector<git_tree_update> updates;
  for (const auto& f : req.files) {
    git_tree_update u{};
    u.action = GIT_TREE_UPDATE_UPSERT;
    u.path = f.path.c_str();
    u.filemode = GIT_FILEMODE_BLOB;
    git_tree_entry* raw_entry = nullptr;
    if (git_tree_entry_bypath(&raw_entry, base_tree.get(), f.path.c_str()) == 0) {
      Owned<git_tree_entry> entry(raw_entry, git_tree_entry_free);
      const git_filemode_t mode = git_tree_entry_filemode(entry.get());
      if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
        return Status::InvalidArgument(f.path + " is not a regular file at " + req.base_ref);
      u.filemode = mode;
    }
    if (git_blob_create_from_buffer(&u.id, repo.get(), f.content.data(), f.content.size()) != 0)
      return Status::Unavailable(req.repo + ": writing a blob: " + BranchLastError());
    updates.push_back(u);
  }
  git_oid tree_id;
  if (git_tree_create_updated(&tree_id, repo.get(), base_tree.get(), updates.size(),
                              updates.data()) != 0)
    return Status::Unavailable(req.repo + ": building the tree: " + BranchLastError());
  if (git_oid_equal(&tree_id, git_tree_id(base_tree.get())))
    return Status::FailedPrecondition("the change is already in " + req.base_ref);
  git_tree* raw_new_tree = nullptr;
  if (git_tree_lookup(&raw_new_tree, repo.get(), &tree_id) != 0)
    return Status::Unavailable(req.repo + ": " + BranchLastError());
  Owned<git_tree> new_tree(raw_new_tree, git_tree_free);

  git_signature* raw_sig = nullptr;
  if (git_signature_new(&raw_sig, req.author_name.c_str(), req.author_email.c_str(),
                        static_cast<git_time_t>(req.time_seconds), 0) != 0)
    return Status::InvalidArgument("author: " + BranchLastError());
  Owned<git_signature> sig(raw_sig, git_signature_free);
  git_oid commit_id;
  const git_commit* parents[] = {base_commit};
  // update_ref = nullptr: the commit is only written; the branch is created next and nothing
  // else (HEAD, index, work tree) moves.
  if (git_commit_create(&commit_id, repo.get(), nullptr, sig.get(), sig.get(), "UTF-8",
                        req.message.c_str(), new_tree.get(), 1, parents) != 0)
    return Status::Unavailable(req.repo + ": writing the commit: " + BranchLastError());
  git_commit* raw_new_commit = nullptr;
  if (git_commit_lookup(&raw_new_commit, repo.get(), &commit_id) != 0)
    return Status::Unavailable(req.repo + ": " + BranchLastError());
  Owned<git_commit> new_commit(raw_new_commit, git_commit_free);
  git_reference* raw_ref = nullptr;
  const int rc = git_branch_create(&raw_ref, repo.get(), req.branch.c_str(), new_commit.get(), 0);
  if (rc == GIT_EEXISTS)
    return Status::Conflict("branch " + req.branch + " already exists in " + req.repo);
  if (rc != 0) return Status::Unavailable(req.repo + ": creating the branch: " + BranchLastError());
  git_reference_free(raw_ref);

  BranchCommitResult out;
  out.branch = req.branch;
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &commit_id);
  out.commit = hex;
  git_oid_tostr(hex, sizeof hex, git_commit_id(base_commit));
  out.base_commit = hex;
  return out;
}

}  // namespace dai::gitrepo
