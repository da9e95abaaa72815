#include "adapters/gitrepo/git_file.h"

#include <git2.h>

#include <memory>

namespace dai::gitrepo {
namespace {

struct LibGit2 {
  LibGit2() { git_libgit2_init(); }
  ~LibGit2() { git_libgit2_shutdown(); }
};

std::string LastError() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

}  // namespace

Result<std::string> ReadFileAtRef(const std::string& repo, const std::string& ref,
                                  const std::string& path, size_t max_bytes) {
  if (path.empty() || path[0] == '/' || path.find("..") != std::string::npos) {
    return Status::InvalidArgument("\"" + path +
                                   "\": a path relative to the repository root, without \"..\"");
  }
  if (ref.empty() || ref.find(':') != std::string::npos || ref[0] == '-') {
    return Status::InvalidArgument("\"" + ref + "\" is not a ref");
  }
  LibGit2 lib;
  git_repository* raw_repo = nullptr;
  if (git_repository_open_ext(&raw_repo, repo.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) !=
      0) {
    return Status::NotFound(repo + " is not a git repository: " + LastError());
  }
  std::unique_ptr<git_repository, void (*)(git_repository*)> r(raw_repo, git_repository_free);
  git_object* raw_commit = nullptr;
  if (git_revparse_single(&raw_commit, r.get(), (ref + "^{commit}").c_str()) != 0) {
    return Status::NotFound(repo + ": ref " + ref + " not found: " + LastError());
  }
  std::unique_ptr<git_object, void (*)(git_object*)> commit(raw_commit, git_object_free);
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, reinterpret_cast<git_commit*>(commit.get())) != 0) {
    return Status::Unavailable(repo + ": " + LastError());
  }
  std::unique_ptr<git_tree, void (*)(git_tree*)> tree(raw_tree, git_tree_free);
  git_tree_entry* raw_entry = nullptr;
  if (git_tree_entry_bypath(&raw_entry, tree.get(), path.c_str()) != 0) {
    return Status::NotFound(repo + "@" + ref + ": " + path + " does not exist");
  }
  std::unique_ptr<git_tree_entry, void (*)(git_tree_entry*)> entry(raw_entry, git_tree_entry_free);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) {
    return Status::InvalidArgument(repo + "@" + ref + ": " + path + " is not a file");
  }
  git_blob* raw_blob = nullptr;
  if (git_blob_lookup(&raw_blob, r.get(), git_tree_entry_id(entry.get())) != 0) {
    return Status::Unavailable(repo + ": " + LastError());
  }
  std::unique_ptr<git_blob, void (*)(git_blob*)> blob(raw_blob, git_blob_free);
  const auto size = static_cast<size_t>(git_blob_rawsize(blob.get()));
  if (size > max_bytes) {
    return Status::InvalidArgument(repo + "@" + ref + ": " + path + " is larger than " +
                                   std::to_string(max_bytes) + " bytes");
  }
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())), size);
}

}  // namespace dai::gitrepo
