// Secret sources: what feeds the secrets engine (engines/secrets) from outside — files and
// directory trees (read through mmap, optionally filtered by .gitignore, spread over worker
// threads) and the history of a git repository read with libgit2 (every commit reachable from
// any ref; each blob scanned once; a finding is reported at the oldest commit whose tree holds
// it, with that commit's author date).
// Thread-safety: the functions are reentrant; a SecretScanner may be shared.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "engines/secrets/secret_scanner.h"

namespace dai::secretscan {

//! A file or object that could not be read; the rest of the scan goes on.
struct SourceError {
  std::string path;
  std::string message;
};

struct TreeOptions {
  bool gitignore = false;                   //!< skip paths matched by .gitignore files
  unsigned threads = 0;                     //!< 0: one per core
  uint64_t max_file_bytes = uint64_t{1} << 30;  //!< larger files are listed in errors, not read
};

struct TreeResult {
  std::vector<secrets::Finding> findings;  //!< ordered by path, offset, rule
  std::vector<SourceError> errors;
  uint64_t files = 0;           //!< files scanned (binary ones included)
  uint64_t bytes = 0;           //!< bytes scanned
  uint64_t binary_files = 0;    //!< skipped as binary
};

//! Scans a regular file or a directory tree (recursive; .git directories and symbolic links
//! are skipped). NOT_FOUND when `path` does not exist; INTERNAL when the scanner fails.
Result<TreeResult> ScanTree(const secrets::SecretScanner& scanner, const std::string& path,
                            const TreeOptions& options = {});

//! All regular files under `dir` in sorted order (what ScanTree reads).
std::vector<std::string> ListFiles(const std::string& dir, bool gitignore);

struct GitOptions {
  uint64_t max_blob_bytes = uint64_t{64} << 20;  //!< larger blobs are listed in errors
  uint64_t max_commits = 0;                      //!< 0: no limit (else the oldest N)
};

//! A finding in history: the engine's finding (path relative to the repository root) and the
//! commit that introduced it.
struct GitFinding {
  secrets::Finding finding;
  std::string commit;       //!< 40 hex digits
  int64_t author_time = 0;  //!< seconds since the epoch (the commit's author date)
};

struct GitResult {
  std::vector<GitFinding> findings;  //!< in commit order (oldest first), then path, offset
  std::vector<SourceError> errors;
  uint64_t commits = 0;
  uint64_t blobs = 0;  //!< distinct blobs scanned
  uint64_t bytes = 0;
};

//! True when `path` is a git working tree (holds .git) or a bare repository.
bool IsGitRepository(const std::string& path);

//! Scans every blob of every commit reachable from the repository's refs (and HEAD) once.
//! A secret that stays in later versions of a file is reported once, at the commit that added
//! it (dedupe by fingerprint = rule, path, secret hash). INVALID_ARGUMENT naming the path when
//! it is not a git repository.
Result<GitResult> ScanGitHistory(const secrets::SecretScanner& scanner, const std::string& repo,
                                 const GitOptions& options = {});

}  // namespace dai::secretscan
