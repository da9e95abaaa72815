#include "adapters/gitrepo/git_tree.h"

#include <git2.h>
#include <netdb.h>
#include <sys/socket.h>

#include <memory>

#include "adapters/http/outbound_policy.h"

namespace dai::gitrepo {
namespace {

struct LibGit2Tree {
  LibGit2Tree() { git_libgit2_init(); }
  ~LibGit2Tree() { git_libgit2_shutdown(); }
};

std::string LastGitError() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

struct CloneBounds {
  std::chrono::steady_clock::time_point deadline;
  size_t max_bytes = 0;
  bool timed_out = false;
  bool too_large = false;
};

int OnTransfer(const git_indexer_progress* stats, void* payload) {
  auto* b = static_cast<CloneBounds*>(payload);
  if (std::chrono::steady_clock::now() > b->deadline) {
    b->timed_out = true;
    return -1;  // cancels the clone
  }
  if (stats->received_bytes > b->max_bytes) {
    b->too_large = true;
    return -1;
  }
  return 0;
}

bool HasExtension(const std::string& name, const std::vector<std::string>& extensions) {
  if (extensions.empty()) return true;
  for (const auto& ext : extensions) {
    if (name.size() >= ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0)
      return true;
  }
  return false;
}

struct Walk {
  git_repository* repo = nullptr;
  const TreeReadOptions* options = nullptr;
  TreeFiles* out = nullptr;
  std::string error;
};

int OnEntry(const char* root, const git_tree_entry* entry, void* payload) {
  auto* w = static_cast<Walk*>(payload);
  const std::string name = git_tree_entry_name(entry);
  if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) {
    return name.rfind('.', 0) == 0 ? 1 : 0;  // hidden trees are skipped, as in a directory import
  }
  if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB || !HasExtension(name, w->options->extensions))
    return 0;
  const std::string path = std::string(root) + name;
  if (w->out->files.size() >= w->options->max_files) {
    w->out->skipped.emplace_back(path, "more than " + std::to_string(w->options->max_files) +
                                           " files: the rest were not read");
    return -1;  // stops the walk
  }
  git_blob* raw = nullptr;
  if (git_blob_lookup(&raw, w->repo, git_tree_entry_id(entry)) != 0) {
    w->error = path + ": " + LastGitError();
    return -1;
  }
  std::unique_ptr<git_blob, void (*)(git_blob*)> blob(raw, git_blob_free);
  const auto size = static_cast<size_t>(git_blob_rawsize(blob.get()));
  if (size > w->options->max_file_bytes) {
    w->out->skipped.emplace_back(
        path, "larger than " + std::to_string(w->options->max_file_bytes) + " bytes");
    return 0;
  }
  w->out->files.push_back(
      {path, std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())), size)});
  return 0;
}

// The SSRF rule of the outbound HTTP client for the host of an https:// clone, which libgit2
// connects to itself: no cloud-metadata, link-local, unspecified or multicast address (private
// and loopback git servers are allowed: the import is an administrator's). Checked on the
// resolved addresses before the clone; libgit2 resolves again when it connects.
Status CheckCloneHost(const std::string& url) {
  const size_t start = url.find("://") + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string host = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (const size_t at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  if (host.empty()) return Status::InvalidArgument("\"" + url + "\" has no host");
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), "443", &hints, &res) != 0 || res == nullptr)
    return Status::Unavailable("cloning " + url + ": cannot resolve " + host);
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(res, freeaddrinfo);
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    char text[NI_MAXHOST] = {};
    if (getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) != 0)
      continue;
    auto ip = http::IpAddress::Parse(text);
    if (!ip) continue;
    const http::AddressClass c = http::ClassifyAddress(*ip);
    if (c == http::AddressClass::kCloudMetadata || c == http::AddressClass::kLinkLocal ||
        c == http::AddressClass::kUnspecified || c == http::AddressClass::kMulticast) {
      return Status::PermissionDenied("cloning " + url + ": " + host + " resolves to " + text +
                                      ", a " + std::string(http::AddressClassName(c)) +
                                      " address, which is never contacted");
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsCloneUrl(const std::string& source) {
  return source.rfind("https://", 0) == 0 || source.rfind("file://", 0) == 0;
}

Result<TreeFiles> ReadTreeFiles(const std::string& source, const TreeReadOptions& options) {
  const std::string& ref = options.ref;
  if (ref.empty() || ref.find(':') != std::string::npos || ref[0] == '-' || ref.size() > 256) {
    return Status::InvalidArgument("ref: \"" + ref + "\" is not a ref");
  }
  const bool url = IsCloneUrl(source);
  if (!url && (source.empty() || source[0] != '/')) {
    return Status::InvalidArgument(
        "\"" + source +
        "\": give an https:// or file:// URL, or an absolute path of a repository on the server");
  }
  LibGit2Tree lib;
  git_repository* raw_repo = nullptr;
  if (url) {
    if (options.scratch_dir.empty())
      return Status::InvalidArgument("a clone needs a scratch directory");
    if (source.rfind("https://", 0) == 0) {
      if (Status host = CheckCloneHost(source); !host.ok()) return host;
    }
    CloneBounds bounds{std::chrono::steady_clock::now() + options.clone_timeout,
                       options.max_clone_bytes};
    git_clone_options co = GIT_CLONE_OPTIONS_INIT;
    co.bare = 1;
    co.fetch_opts.callbacks.transfer_progress = OnTransfer;
    co.fetch_opts.callbacks.payload = &bounds;
    co.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
    if (git_clone(&raw_repo, source.c_str(), options.scratch_dir.c_str(), &co) != 0) {
      if (bounds.timed_out)
        return Status::DeadlineExceeded("cloning " + source + " took longer than " +
                                        std::to_string(options.clone_timeout.count()) + " s");
      if (bounds.too_large)
        return Status::ResourceExhausted("cloning " + source + ": more than " +
                                         std::to_string(options.max_clone_bytes) + " bytes");
      return Status::Unavailable("cloning " + source + ": " + LastGitError());
    }
  } else if (git_repository_open_ext(&raw_repo, source.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                                     nullptr) != 0) {
    return Status::NotFound(source + " is not a git repository: " + LastGitError());
  }
  std::unique_ptr<git_repository, void (*)(git_repository*)> repo(raw_repo, git_repository_free);
  git_object* raw_commit = nullptr;
  // A clone has the origin's default branch locally and every other branch as
  // refs/remotes/origin/<name>.
  if (git_revparse_single(&raw_commit, repo.get(), (ref + "^{commit}").c_str()) != 0 &&
      (!url || git_revparse_single(&raw_commit, repo.get(),
                                   ("refs/remotes/origin/" + ref + "^{commit}").c_str()) != 0)) {
    return Status::NotFound(source + ": ref " + ref + " not found: " + LastGitError());
  }
  std::unique_ptr<git_object, void (*)(git_object*)> commit(raw_commit, git_object_free);
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, reinterpret_cast<git_commit*>(commit.get())) != 0) {
    return Status::Unavailable(source + ": " + LastGitError());
  }
  std::unique_ptr<git_tree, void (*)(git_tree*)> tree(raw_tree, git_tree_free);
  TreeFiles out;
  char id[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(id, sizeof id, git_object_id(commit.get()));
  out.commit = id;
  Walk walk{repo.get(), &options, &out, ""};
  git_tree_walk(tree.get(), GIT_TREEWALK_PRE, OnEntry, &walk);
  if (!walk.error.empty()) return Status::Unavailable(source + ": " + walk.error);
  return out;
}

}  // namespace dai::gitrepo
