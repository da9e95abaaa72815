// Compiled secrets databases cached on disk: compiling gitleaks' 222 rules into one vectorscan
// database is most of a short scan's startup, so the compiled form (SecretScanner::
// SerializeDatabase) is kept in a cache directory under a name holding its key (SHA-256 of
// the rule set, prefilter, serialization format, vectorscan version and platform) and loaded
// with SecretScanner::CreateFromSerialized on the next run. A file that is unreadable,
// truncated, corrupt or of another key is ignored and replaced by a fresh compile; a cache
// that cannot be written only costs the next run a compile. Files are written atomically
// (temporary file, then rename) with mode 0600 in a directory created 0700; the oldest files
// beyond kMaxCacheFiles are removed. The cache holds no secret: only compiled rule patterns.
// Thread-safety: reentrant; concurrent processes may share a directory (last rename wins,
// every file complete).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "engines/secrets/secret_scanner.h"

namespace dai::secretscan {

//! How a scanner was obtained.
enum class CacheOutcome {
  kDisabled,  //!< no cache directory: compiled
  kHit,       //!< loaded from the cache
  kMiss,      //!< no cache file: compiled (and stored, unless `note` says why not)
  kRebuilt,   //!< a cache file was there but unusable (`note` says why): compiled and replaced
};

std::string_view CacheOutcomeName(CacheOutcome outcome);

struct CachedScanner {
  std::unique_ptr<secrets::SecretScanner> scanner;
  CacheOutcome outcome = CacheOutcome::kDisabled;
  std::string path;  //!< the cache file (empty when disabled)
  std::string note;  //!< why a file was rejected or could not be stored; empty otherwise
};

//! Cache files kept per directory (the newest by modification time).
constexpr size_t kMaxCacheFiles = 8;

//! The user's cache directory for devops-ai: `$XDG_CACHE_HOME/devops-ai` when XDG_CACHE_HOME is
//! an absolute path, else `$HOME/.cache/devops-ai`; empty when neither is set.
std::string DefaultCacheDir();

//! The cache file of a database key in `dir`.
std::string CacheFilePath(const std::string& dir, const std::string& key);

//! A scanner for `rules`: loaded from `cache_dir` when a valid file for their key is there,
//! else compiled (SecretScanner::Create) and stored. `cache_dir` empty: no cache. Fails only
//! when compiling fails (an invalid rule set); cache problems are reported in `note`.
Result<CachedScanner> LoadOrCompileScanner(secrets::RuleSet rules, secrets::Prefilter prefilter,
                                           const std::string& cache_dir);

}  // namespace dai::secretscan
