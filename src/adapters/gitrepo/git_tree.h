// Every file of a git repository at a ref whose name has one of a few extensions (the
// knowledge base's Markdown), read from the object database: a local repository is opened in
// place; a URL (https:// or file://) is first cloned bare into a scratch directory, bounded in
// time and size. Nothing runs a shell or a git executable. Thread-safety: free function; each
// call opens or clones the repository itself.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "core/status.h"

namespace dai::gitrepo {

struct TreeFile {
  std::string path;  //!< relative to the repository root, '/'-separated
  std::string content;
};

struct TreeFiles {
  std::string commit;  //!< the commit id read
  std::vector<TreeFile> files;
  //! Files left out, with why (too large, over the file limit).
  std::vector<std::pair<std::string, std::string>> skipped;
};

struct TreeReadOptions {
  std::string ref = "HEAD";             //!< a branch, tag or commit id
  std::vector<std::string> extensions;  //!< ".md", ".markdown"; empty: every file
  size_t max_files = 5000;
  size_t max_file_bytes = 2u << 20;
  size_t max_clone_bytes = size_t{256} << 20;  //!< received objects, for a clone
  std::chrono::seconds clone_timeout{120};
  //! Where a URL is cloned (created; the caller removes it). Required for URLs.
  std::string scratch_dir;
};

//! True when `source` is a URL this reader clones (https://, file://) rather than a path.
bool IsCloneUrl(const std::string& source);

//! Reads the files of `source` (a local repository path, or a URL cloned first).
//! INVALID_ARGUMENT for another scheme (http://, ssh://, git://) or a bad ref; NOT_FOUND for a
//! missing repository or ref; UNAVAILABLE when a clone fails; DEADLINE_EXCEEDED or
//! RESOURCE_EXHAUSTED when it passes the bounds.
Result<TreeFiles> ReadTreeFiles(const std::string& source, const TreeReadOptions& options);

}  // namespace dai::gitrepo
