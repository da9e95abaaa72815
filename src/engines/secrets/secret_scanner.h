// SecretScanner: all rules of a RuleSet compiled into ONE vectorscan (Hyperscan API) database
// in prefilter mode; a hit only marks a candidate region (the lines around the hit end) that is
// then confirmed with the rule's exact RE2 regex, secret group, entropy floor, keywords,
// allow-lists and inline `devops-ai:allow` / `gitleaks:allow` comments. Rules vectorscan
// rejects even as prefilters are triggered by their keywords instead (or, with no keyword,
// confirmed by RE2 over the whole buffer; RE2 is linear-time).
// Pure: scans buffers given to it; no file I/O. Thread-safety: a SecretScanner is immutable
// after Create and may be shared by threads; each thread needs its own ScanScratch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engines/secrets/rule.h"

namespace dai::secrets {

//! One confirmed finding. Never holds the secret in clear: only a redacted form and a hash.
struct Finding {
  std::string rule_id;
  std::string description;
  std::string path;
  uint64_t offset = 0;  // byte offset of the secret in the buffer
  uint64_t length = 0;  // byte length of the secret
  uint64_t line = 0;    // 1-based line of the secret's first byte
  uint64_t column = 0;  // 1-based byte column
  double entropy = 0;
  std::string redacted;     // first few characters + "****"
  std::string fingerprint;  // rule_id:path:hash(secret) — stable across runs, for baselines
};

struct ScanOptions {
  size_t max_findings = 10000;       // per buffer
  size_t binary_probe_bytes = 8000;  // a NUL byte in this prefix marks the buffer binary
  bool honour_allow_comments = true;
};

struct ScanResult {
  std::vector<Finding> findings;  // ordered by offset
  bool skipped_binary = false;
  bool truncated = false;  // max_findings reached
};

class SecretScanner;

//! Per-thread vectorscan scratch space for one scanner.
class ScanScratch {
 public:
  ~ScanScratch();
  ScanScratch(const ScanScratch&) = delete;
  ScanScratch& operator=(const ScanScratch&) = delete;

 private:
  friend class SecretScanner;
  ScanScratch() = default;
  void* scratch_ = nullptr;  // hs_scratch_t*
};

//! How candidate regions are found before exact confirmation with RE2.
enum class Prefilter {
  //! Rules whose keywords are all at least 4 characters long are triggered by them (caseless
  //! literals: vectorscan's literal matchers run near memory speed); the confirming regex runs
  //! on the lines around each keyword hit. Other rules are compiled as regex prefilters.
  //! The default: the same findings as kRegex on scripts/secrets-eval (recall 1.000, false
  //! positives 0.000) and on secrets-bench's planted set, a 6x faster compile of gitleaks' 222
  //! rules and a faster scan.
  kKeywords,
  //! Every rule regex compiled as a vectorscan prefilter (fewer candidates, slower scan and
  //! compile).
  kRegex,
};

class SecretScanner {
 public:
  //! Compiles the rule set. Fails (kInvalidArgument) when a rule regex or allow-list regex is
  //! not valid RE2 syntax, or when the rule set is empty. The RE2 confirmations are compiled
  //! at their first use (most rules see no candidate in a given scan); a regex too large for
  //! RE2's memory budget then fails the Scan that needs it (kInvalidArgument naming the rule).
  static Result<std::unique_ptr<SecretScanner>> Create(RuleSet rules,
                                                       Prefilter prefilter = Prefilter::kKeywords);
  ~SecretScanner();

  //! The same scanner as Create, with the vectorscan database taken from `serialized` (bytes
  //! from SerializeDatabase of a scanner of the same rule set and prefilter, on the same
  //! vectorscan version and platform) instead of compiled; the RE2 confirmations are compiled
  //! as usual. Fails with kInvalidArgument when the bytes are not such a database (truncated,
  //! checksum mismatch, malformed) and kFailedPrecondition when they are one of another rule
  //! set, prefilter, format, vectorscan version or platform; the caller then uses Create.
  //! Pure: the caller reads and stores the bytes (adapters/secretscan: ScannerCache).
  static Result<std::unique_ptr<SecretScanner>> CreateFromSerialized(RuleSet rules,
                                                                     Prefilter prefilter,
                                                                     std::string_view serialized);
  //! The compiled database as bytes for CreateFromSerialized: a header with the database key,
  //! the rules vectorscan rejected, vectorscan's serialization, and a checksum.
  Result<std::string> SerializeDatabase() const;
  //! SHA-256 (64 hex digits) of everything the compiled database depends on: every field of
  //! the rule set, the prefilter, this engine's serialization format, the vectorscan version
  //! and the platform (hs_populate_platform). A cache of compiled databases is keyed by it.
  static std::string DatabaseKey(const RuleSet& rules, Prefilter prefilter);
  //! DatabaseKey of the rule set and prefilter this scanner was built from.
  const std::string& database_key() const;

  //! Allocates scratch for one thread.
  Result<std::unique_ptr<ScanScratch>> NewScratch() const;

  //! Scans one buffer; `path` is only used for path allow-lists, path rules and fingerprints.
  Result<ScanResult> Scan(std::string_view data, std::string_view path, ScanScratch& scratch,
                          const ScanOptions& options = {}) const;

  size_t rule_count() const;
  //! Ids of rules vectorscan rejected (triggered by keywords / RE2 fallback instead).
  std::vector<std::string> FallbackRuleIds() const;

  struct Compiled;

 private:
  explicit SecretScanner(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> c_;
};

//! Severity of a finding of a rule, by rule id: "critical" for private keys and cloud-provider
//! credentials (AWS, GCP, Azure), "medium" for generic keyword/entropy rules, "high" otherwise.
std::string_view RuleSeverity(std::string_view rule_id);
//! True when `pattern` is valid RE2 syntax (Latin-1), checked without compiling it; else false
//! with RE2's message in *error.
bool RegexSyntaxOk(const std::string& pattern, std::string* error);
//! Shannon entropy in bits per byte.
double ShannonEntropy(std::string_view s);
//! Redacted form of a secret: its first min(4, len/4) characters followed by "****".
std::string Redact(std::string_view secret);
//! Stable fingerprint: "<rule_id>:<path>:<16 hex digits of FNV-1a 64 of the secret>".
std::string Fingerprint(std::string_view rule_id, std::string_view path, std::string_view secret);

}  // namespace dai::secrets
