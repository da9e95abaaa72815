#include "engines/secrets/secret_scanner.h"

#include <hs/hs.h>
#include <re2/re2.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <utility>

namespace dai::secrets {
namespace {

constexpr size_t kLineSnapLimit = 4096;     // how far a region grows to reach a line boundary
constexpr size_t kDefaultWindow = 1024;     // bytes before a hit end where a match may start
constexpr size_t kMultiLineWindow = 65536;  // for rules whose matches span lines (PEM blocks)
constexpr size_t kKeywordWindow = 4096;     // around a keyword hit of a fallback rule
// Around a keyword hit of a keyword-triggered rule: a match holds its keyword, and a
// single-line rule's match lies on the keyword's line; one line either side is kept for
// patterns whose separators may include a newline (\s).
constexpr size_t kKeywordContext = 512;
constexpr size_t kMinKeyword = 4;  // shortest keyword that triggers a rule by itself
constexpr unsigned kKeywordIdBase = 1u << 20;

std::unique_ptr<RE2> CompileRe2(const std::string& pattern, std::string* error) {
  RE2::Options opt;
  opt.set_encoding(RE2::Options::EncodingLatin1);
  opt.set_log_errors(false);
  opt.set_max_mem(64 << 20);
  auto re = std::make_unique<RE2>(pattern, opt);
  if (!re->ok()) {
    *error = re->error();
    return nullptr;
  }
  return re;
}

}  // namespace

// Without the cost of compiling: RE2 parses the whole pattern, then gives up compiling at once
// under a tiny memory budget (ErrorPatternTooLarge = parsed fine).
bool RegexSyntaxOk(const std::string& pattern, std::string* error) {
  RE2::Options opt;
  opt.set_encoding(RE2::Options::EncodingLatin1);
  opt.set_log_errors(false);
  opt.set_max_mem(1000);
  RE2 re(pattern, opt);
  if (re.ok() || re.error_code() == RE2::ErrorPatternTooLarge) return true;
  *error = re.error();
  return false;
}

namespace {

// An RE2 compiled at its first use (thread-safe). Compiling gitleaks' 222 rule regexes and
// their allow-lists eagerly cost more CPU than the rest of a scanner's startup, and most rules
// never see a candidate in a given scan. The syntax is checked when the rule set is prepared;
// what can still fail at first use is a pattern too large for RE2's memory budget (get() is
// then null and error() says why; the scan fails naming the rule).
class LazyRe2 {
 public:
  // `what` names the pattern in error(), e.g. "rule github-pat: regex".
  LazyRe2(std::string pattern, std::string what)
      : pattern_(std::move(pattern)), what_(std::move(what)) {}
  const RE2* get() const {
    std::call_once(once_, [this] {
      std::string err;
      re_ = CompileRe2(pattern_, &err);
      if (!re_) error_ = what_ + ": " + err;
    });
    return re_.get();
  }
  const std::string& error() const { return error_; }

 private:
  std::string pattern_, what_;
  mutable std::once_flag once_;
  mutable std::unique_ptr<RE2> re_;
  mutable std::string error_;
};

// A syntax-checked LazyRe2, or null and the syntax error.
std::unique_ptr<LazyRe2> CheckedLazy(const std::string& pattern, const std::string& what,
                                     std::string* error) {
  if (!RegexSyntaxOk(pattern, error)) return nullptr;
  return std::make_unique<LazyRe2>(pattern, what);
}

// PartialMatch through a LazyRe2; a regex that cannot be compiled matches nothing and leaves
// its error in *error (the first one wins).
bool LazyPartialMatch(std::string_view text, const LazyRe2& lazy, std::string* error) {
  const RE2* re = lazy.get();
  if (!re) {
    if (error->empty()) *error = lazy.error();
    return false;
  }
  return RE2::PartialMatch(text, *re);
}

struct CompiledAllow {
  AllowCondition condition = AllowCondition::kOr;
  AllowTarget target = AllowTarget::kSecret;
  std::vector<std::unique_ptr<LazyRe2>> regexes;
  std::vector<std::string> stopwords;
  std::vector<std::unique_ptr<LazyRe2>> paths;
};

struct CompiledRule {
  Rule rule;
  std::unique_ptr<LazyRe2> re;    // null for path-only rules
  std::unique_ptr<LazyRe2> path;  // null when the rule has no path condition
  std::vector<CompiledAllow> allows;
  size_t window = kDefaultWindow;
  bool fallback = false;    // vectorscan rejected the regex
  bool by_keyword = false;  // triggered by its keywords (Prefilter::kKeywords)
};

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ContainsCaseless(std::string_view hay, std::string_view needle_lower) {
  if (needle_lower.empty()) return true;
  if (hay.size() < needle_lower.size()) return false;
  const unsigned char first = static_cast<unsigned char>(needle_lower[0]);
  for (size_t i = 0; i + needle_lower.size() <= hay.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(hay[i])) != first) continue;
    size_t j = 1;
    while (j < needle_lower.size() && std::tolower(static_cast<unsigned char>(hay[i + j])) ==
                                          static_cast<unsigned char>(needle_lower[j]))
      ++j;
    if (j == needle_lower.size()) return true;
  }
  return false;
}

Result<CompiledAllow> CompileAllow(const Allowlist& a, const std::string& owner) {
  CompiledAllow c;
  c.condition = a.condition;
  c.target = a.regex_target;
  std::string err;
  for (const auto& r : a.regexes) {
    auto re = CheckedLazy(r, owner + ": allowlist regex", &err);
    if (!re) return Status::InvalidArgument(owner + ": allowlist regex: " + err);
    c.regexes.push_back(std::move(re));
  }
  for (const auto& p : a.paths) {
    auto re = CheckedLazy(p, owner + ": allowlist path", &err);
    if (!re) return Status::InvalidArgument(owner + ": allowlist path: " + err);
    c.paths.push_back(std::move(re));
  }
  for (const auto& s : a.stopwords) c.stopwords.push_back(ToLower(s));
  return c;
}

// True when the allow-list drops this finding. A regex that cannot be compiled leaves its
// error in *error.
bool Allowed(const CompiledAllow& a, std::string_view secret, std::string_view match,
             std::string_view line, std::string_view path, std::string* error) {
  std::string_view target = a.target == AllowTarget::kSecret  ? secret
                            : a.target == AllowTarget::kMatch ? match
                                                              : line;
  int configured = 0, held = 0;
  if (!a.regexes.empty()) {
    ++configured;
    for (const auto& re : a.regexes)
      if (LazyPartialMatch(target, *re, error)) {
        ++held;
        break;
      }
  }
  if (!a.stopwords.empty()) {
    ++configured;
    for (const auto& w : a.stopwords)
      if (ContainsCaseless(secret, w)) {
        ++held;
        break;
      }
  }
  if (!a.paths.empty()) {
    ++configured;
    for (const auto& re : a.paths)
      if (LazyPartialMatch(path, *re, error)) {
        ++held;
        break;
      }
  }
  if (configured == 0) return false;
  return a.condition == AllowCondition::kOr ? held > 0 : held == configured;
}

size_t LineStart(std::string_view data, size_t pos) {
  size_t limit = pos > kLineSnapLimit ? pos - kLineSnapLimit : 0;
  const void* nl = memrchr(data.data() + limit, '\n', pos - limit);
  return nl ? static_cast<size_t>(static_cast<const char*>(nl) - data.data()) + 1 : limit;
}

size_t LineEnd(std::string_view data, size_t pos) {
  size_t limit = std::min(data.size(), pos + kLineSnapLimit);
  if (pos >= limit) return limit;
  const void* nl = std::memchr(data.data() + pos, '\n', limit - pos);
  return nl ? static_cast<size_t>(static_cast<const char*>(nl) - data.data()) : limit;
}

bool HasAllowComment(std::string_view line) {
  return line.find("devops-ai:allow") != std::string_view::npos ||
         line.find("gitleaks:allow") != std::string_view::npos;
}

std::string EscapeLiteral(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

struct SecretScanner::Compiled {
  std::vector<CompiledRule> rules;
  std::vector<CompiledAllow> global;
  std::vector<std::unique_ptr<LazyRe2>> global_paths;  // global allow-lists made only of paths
  std::vector<size_t> whole_buffer_rules;              // fallback rules without keywords
  std::vector<size_t> path_only_rules;
  std::vector<std::vector<size_t>> keyword_rules;  // hs id - kKeywordIdBase -> rules
  hs_database_t* db = nullptr;
  std::string key;  // DatabaseKey of the rule set and prefilter
  ~Compiled() {
    if (db) hs_free_database(db);
  }
};

ScanScratch::~ScanScratch() {
  if (scratch_) hs_free_scratch(static_cast<hs_scratch_t*>(scratch_));
}

std::string_view RuleSeverity(std::string_view id) {
  auto has = [&](std::string_view w) { return id.find(w) != std::string_view::npos; };
  if (has("generic")) return "medium";
  if (has("private-key") || has("aws") || has("gcp") || has("azure")) return "critical";
  return "high";
}

double ShannonEntropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<size_t, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0;
  const double n = static_cast<double>(s.size());
  for (size_t c : counts) {
    if (c == 0) continue;
    double p = static_cast<double>(c) / n;
    h -= p * std::log2(p);
  }
  return h;
}

std::string Redact(std::string_view secret) {
  size_t keep = std::min<size_t>(4, secret.size() / 4);
  return std::string(secret.substr(0, keep)) + "****";
}

std::string Fingerprint(std::string_view rule_id, std::string_view path, std::string_view secret) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : secret) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  std::string out;
  out.reserve(rule_id.size() + path.size() + 18);
  out.append(rule_id).append(":").append(path).append(":").append(hex);
  return out;
}

SecretScanner::SecretScanner(std::unique_ptr<Compiled> compiled) : c_(std::move(compiled)) {}
SecretScanner::~SecretScanner() = default;
size_t SecretScanner::rule_count() const { return c_->rules.size(); }

std::vector<std::string> SecretScanner::FallbackRuleIds() const {
  std::vector<std::string> out;
  for (const auto& r : c_->rules)
    if (r.fallback) out.push_back(r.rule.id);
  return out;
}

namespace {

// Every rule and global allow-list with its regexes syntax-checked (compiled at first use) and
// its trigger flags: everything of a scanner but the vectorscan database.
Result<std::unique_ptr<SecretScanner::Compiled>> Prepare(RuleSet set, Prefilter prefilter) {
  if (set.rules.empty()) return Status::InvalidArgument("secrets: empty rule set");
  auto c = std::make_unique<SecretScanner::Compiled>();
  std::string err;
  for (auto& rule : set.rules) {
    CompiledRule cr;
    if (!rule.regex.empty()) {
      cr.re = CheckedLazy(rule.regex, "rule " + rule.id + ": regex", &err);
      if (!cr.re) return Status::InvalidArgument("rule " + rule.id + ": regex: " + err);
      // Checking the secret group needs the compiled regex (few rules have one).
      if (rule.secret_group > 0) {
        const RE2* re = cr.re->get();
        if (!re) return Status::InvalidArgument(cr.re->error());
        if (rule.secret_group > re->NumberOfCapturingGroups())
          return Status::InvalidArgument("rule " + rule.id + ": secretGroup beyond the groups");
      }
    }
    if (!rule.path.empty()) {
      cr.path = CheckedLazy(rule.path, "rule " + rule.id + ": path", &err);
      if (!cr.path) return Status::InvalidArgument("rule " + rule.id + ": path: " + err);
    }
    if (rule.regex.empty() && rule.path.empty())
      return Status::InvalidArgument("rule " + rule.id + ": needs a regex or a path");
    for (const auto& a : rule.allowlists) {
      DAI_ASSIGN_OR_RETURN(auto ca, CompileAllow(a, "rule " + rule.id));
      cr.allows.push_back(std::move(ca));
    }
    for (auto& k : rule.keywords) k = ToLower(k);
    const std::string& rx = rule.regex;
    if (rx.find("PRIVATE KEY") != std::string::npos || rx.find("[\\s\\S") != std::string::npos ||
        rx.find("(?s") != std::string::npos)
      cr.window = kMultiLineWindow;
    // Keyword triggering pays off when the keywords are rare in ordinary text; a rule with a
    // short (common) keyword such as "ey" or "key" keeps its regex prefilter.
    cr.by_keyword = prefilter == Prefilter::kKeywords && cr.re && !rule.keywords.empty() &&
                    std::all_of(rule.keywords.begin(), rule.keywords.end(),
                                [](const std::string& k) { return k.size() >= kMinKeyword; });
    cr.rule = std::move(rule);
    c->rules.push_back(std::move(cr));
  }
  for (const auto& a : set.global_allowlists) {
    if (a.regexes.empty() && a.stopwords.empty() && !a.paths.empty()) {
      for (const auto& p : a.paths) {
        auto re = CheckedLazy(p, "global allowlist path", &err);
        if (!re) return Status::InvalidArgument("global allowlist path: " + err);
        c->global_paths.push_back(std::move(re));
      }
      continue;
    }
    DAI_ASSIGN_OR_RETURN(auto ca, CompileAllow(a, "global allowlist"));
    c->global.push_back(std::move(ca));
  }
  return c;
}

// Rules whose regex goes into the database as a prefilter (before any is found rejected).
std::vector<size_t> RegexPrefilterRules(const SecretScanner::Compiled& c) {
  std::vector<size_t> out;
  for (size_t i = 0; i < c.rules.size(); ++i)
    if (c.rules[i].re && !c.rules[i].by_keyword) out.push_back(i);
  return out;
}

// The caseless literal of each distinct keyword of keyword-triggered and fallback rules, in
// database id order; fills c.keyword_rules (database id - kKeywordIdBase -> rules).
std::vector<std::string> KeywordLiterals(SecretScanner::Compiled& c) {
  std::vector<std::string> literals;
  c.keyword_rules.clear();
  std::map<std::string, size_t> keyword_index;  // one literal per distinct keyword
  for (size_t i = 0; i < c.rules.size(); ++i) {
    if (!c.rules[i].fallback && !c.rules[i].by_keyword) continue;
    for (const auto& k : c.rules[i].rule.keywords) {
      auto [it, fresh] = keyword_index.emplace(k, literals.size());
      if (fresh) {
        literals.push_back(EscapeLiteral(k));
        c.keyword_rules.emplace_back();
      }
      auto& rules_of = c.keyword_rules[it->second];
      if (rules_of.empty() || rules_of.back() != i) rules_of.push_back(i);
    }
  }
  return literals;
}

void IndexPassiveRules(SecretScanner::Compiled& c) {
  for (size_t i = 0; i < c.rules.size(); ++i) {
    const auto& r = c.rules[i];
    if (!r.re)
      c.path_only_rules.push_back(i);
    else if (r.fallback && r.rule.keywords.empty())
      c.whole_buffer_rules.push_back(i);
  }
}

// Little-endian fixed-width integers and length-prefixed strings for the key material and the
// serialized form.
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutStr(std::string& out, std::string_view s) {
  PutU64(out, s.size());
  out.append(s);
}
bool GetU64(std::string_view& in, uint64_t* v) {
  if (in.size() < 8) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i) *v |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  in.remove_prefix(8);
  return true;
}

// FNV-1a-style 64-bit hash over 8-byte words (then the tail): a checksum against truncated or
// damaged cache files, cheap enough for megabytes at startup. Not a defence against a forged file:
// whoever can write the cache directory can also replace the program's inputs.
uint64_t Checksum(std::string_view data) {
  uint64_t h = 1469598103934665603ull;
  size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    h ^= w;
    h *= 1099511628211ull;
    h ^= h >> 29;
  }
  for (; i < data.size(); ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

constexpr std::string_view kSerialMagic = "DAISECDB";
constexpr uint64_t kSerialFormat = 1;

}  // namespace

std::string SecretScanner::DatabaseKey(const RuleSet& set, Prefilter prefilter) {
  std::string m;
  m.reserve(1 << 16);
  PutStr(m, kSerialMagic);
  PutU64(m, kSerialFormat);
  // What the compiled form also depends on: the trigger heuristics of this engine (kMinKeyword),
  // the vectorscan version and the platform it was compiled for.
  PutU64(m, kMinKeyword);
  PutStr(m, hs_version());
  hs_platform_info_t platform{};
  if (hs_populate_platform(&platform) == HS_SUCCESS) {
    PutU64(m, platform.tune);
    PutU64(m, platform.cpu_features);
  }
  PutU64(m, prefilter == Prefilter::kKeywords ? 1 : 2);
  auto put_allow = [&m](const Allowlist& a) {
    PutStr(m, a.description);
    PutU64(m, static_cast<uint64_t>(a.condition));
    PutU64(m, static_cast<uint64_t>(a.regex_target));
    for (const auto* list : {&a.regexes, &a.stopwords, &a.paths}) {
      PutU64(m, list->size());
      for (const auto& s : *list) PutStr(m, s);
    }
  };
  PutU64(m, set.rules.size());
  for (const auto& r : set.rules) {
    PutStr(m, r.id);
    PutStr(m, r.description);
    PutStr(m, r.regex);
    PutStr(m, r.path);
    PutU64(m, static_cast<uint64_t>(r.secret_group));
    uint64_t entropy_bits;
    std::memcpy(&entropy_bits, &r.entropy, sizeof entropy_bits);
    PutU64(m, entropy_bits);
    PutU64(m, r.keywords.size());
    for (const auto& k : r.keywords) PutStr(m, ToLower(k));
    PutU64(m, r.allowlists.size());
    for (const auto& a : r.allowlists) put_allow(a);
  }
  PutU64(m, set.global_allowlists.size());
  for (const auto& a : set.global_allowlists) put_allow(a);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(m.data()), m.size());
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

Result<std::unique_ptr<SecretScanner>> SecretScanner::Create(RuleSet set, Prefilter prefilter) {
  std::string key = DatabaseKey(set, prefilter);
  DAI_ASSIGN_OR_RETURN(auto c, Prepare(std::move(set), prefilter));
  c->key = std::move(key);
  // One vectorscan database: every regex rule as a prefilter; retry without the ones it
  // rejects, which are then triggered by their keywords (or scanned whole by RE2).
  std::vector<size_t> in_db = RegexPrefilterRules(*c);
  for (;;) {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags, ids;
    std::vector<std::string> keyword_exprs = KeywordLiterals(*c);
    for (size_t i : in_db) {
      exprs.push_back(c->rules[i].rule.regex.c_str());
      flags.push_back(HS_FLAG_PREFILTER);
      ids.push_back(static_cast<unsigned>(i));
    }
    for (size_t k = 0; k < keyword_exprs.size(); ++k) {
      exprs.push_back(keyword_exprs[k].c_str());
      flags.push_back(HS_FLAG_CASELESS);
      ids.push_back(kKeywordIdBase + static_cast<unsigned>(k));
    }
    if (exprs.empty()) break;
    hs_compile_error_t* cerr = nullptr;
    hs_database_t* db = nullptr;
    hs_error_t rc =
        hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db, &cerr);
    if (rc == HS_SUCCESS) {
      c->db = db;
      break;
    }
    int bad = cerr ? cerr->expression : -1;
    std::string msg = cerr && cerr->message ? cerr->message : "unknown";
    if (cerr) hs_free_compile_error(cerr);
    if (bad < 0 || static_cast<size_t>(bad) >= in_db.size())
      return Status::Internal("vectorscan compile failed: " + msg);
    c->rules[in_db[bad]].fallback = true;
    in_db.erase(in_db.begin() + bad);
  }
  IndexPassiveRules(*c);
  return std::unique_ptr<SecretScanner>(new SecretScanner(std::move(c)));
}

// Serialized form: magic, format, key (64 hex digits), the fallback rule indices, vectorscan's
// serialization of the database (empty when there is none), then a checksum of all before it.
Result<std::string> SecretScanner::SerializeDatabase() const {
  std::string out;
  out.append(kSerialMagic);
  PutU64(out, kSerialFormat);
  PutStr(out, c_->key);
  std::vector<size_t> fallback;
  for (size_t i = 0; i < c_->rules.size(); ++i)
    if (c_->rules[i].fallback) fallback.push_back(i);
  PutU64(out, fallback.size());
  for (size_t i : fallback) PutU64(out, i);
  if (c_->db) {
    char* bytes = nullptr;
    size_t length = 0;
    if (hs_serialize_database(c_->db, &bytes, &length) != HS_SUCCESS)
      return Status::Internal("vectorscan: cannot serialize the database");
    PutStr(out, std::string_view(bytes, length));
    std::free(bytes);
  } else {
    PutStr(out, "");
  }
  PutU64(out, Checksum(out));
  return out;
}

Result<std::unique_ptr<SecretScanner>> SecretScanner::CreateFromSerialized(RuleSet set,
                                                                           Prefilter prefilter,
                                                                           std::string_view bytes) {
  auto corrupt = [](const std::string& what) {
    return Status::InvalidArgument("secrets: serialized database: " + what);
  };
  if (bytes.size() < kSerialMagic.size() + 16 ||
      bytes.substr(0, kSerialMagic.size()) != kSerialMagic)
    return corrupt("not a devops-ai secrets database");
  {
    std::string_view tail = bytes.substr(bytes.size() - 8);
    uint64_t sum = 0;
    GetU64(tail, &sum);
    if (sum != Checksum(bytes.substr(0, bytes.size() - 8))) return corrupt("checksum mismatch");
  }
  std::string_view in = bytes.substr(kSerialMagic.size(), bytes.size() - kSerialMagic.size() - 8);
  uint64_t format = 0, key_len = 0;
  if (!GetU64(in, &format) || format != kSerialFormat)
    return Status::FailedPrecondition("secrets: serialized database: format " +
                                      std::to_string(format) + ", expected " +
                                      std::to_string(kSerialFormat));
  if (!GetU64(in, &key_len) || key_len != 64 || in.size() < key_len) return corrupt("bad key");
  std::string_view stored_key = in.substr(0, key_len);
  in.remove_prefix(key_len);
  std::string key = DatabaseKey(set, prefilter);
  if (stored_key != key)
    return Status::FailedPrecondition(
        "secrets: serialized database is of another rule set, prefilter, vectorscan version or "
        "platform");
  DAI_ASSIGN_OR_RETURN(auto c, Prepare(std::move(set), prefilter));
  c->key = std::move(key);
  std::vector<size_t> in_db = RegexPrefilterRules(*c);
  uint64_t nfallback = 0;
  if (!GetU64(in, &nfallback) || nfallback > in_db.size()) return corrupt("bad fallback count");
  for (uint64_t k = 0; k < nfallback; ++k) {
    uint64_t i = 0;
    if (!GetU64(in, &i)) return corrupt("truncated");
    if (!std::binary_search(in_db.begin(), in_db.end(), static_cast<size_t>(i)) ||
        c->rules[i].fallback)
      return corrupt("bad fallback rule");
    c->rules[i].fallback = true;
  }
  const bool has_literals = !KeywordLiterals(*c).empty();  // also fills c->keyword_rules
  const bool expect_db = in_db.size() > nfallback || has_literals;
  uint64_t db_len = 0;
  if (!GetU64(in, &db_len) || db_len != in.size()) return corrupt("bad database length");
  if ((db_len > 0) != expect_db) return corrupt("database presence does not fit the rules");
  if (db_len > 0) {
    char* info = nullptr;
    if (hs_serialized_database_info(in.data(), in.size(), &info) != HS_SUCCESS)
      return corrupt("vectorscan does not recognise the database");
    const bool block_mode = info && std::strstr(info, "BLOCK") != nullptr;
    std::free(info);
    if (!block_mode) return corrupt("not a block-mode database");
    hs_database_t* db = nullptr;
    hs_error_t rc = hs_deserialize_database(in.data(), in.size(), &db);
    if (rc == HS_DB_VERSION_ERROR || rc == HS_DB_PLATFORM_ERROR)
      return Status::FailedPrecondition(
          "secrets: serialized database is of another vectorscan version or platform");
    if (rc != HS_SUCCESS) return corrupt("vectorscan cannot load it (" + std::to_string(rc) + ")");
    c->db = db;
  }
  IndexPassiveRules(*c);
  return std::unique_ptr<SecretScanner>(new SecretScanner(std::move(c)));
}

const std::string& SecretScanner::database_key() const { return c_->key; }

Result<std::unique_ptr<ScanScratch>> SecretScanner::NewScratch() const {
  auto s = std::unique_ptr<ScanScratch>(new ScanScratch());
  if (c_->db) {
    hs_scratch_t* scratch = nullptr;
    if (hs_alloc_scratch(c_->db, &scratch) != HS_SUCCESS)
      return Status::ResourceExhausted("vectorscan: cannot allocate scratch");
    s->scratch_ = scratch;
  }
  return s;
}

namespace {

struct ScanContext {
  const SecretScanner::Compiled* c;
  std::string_view data;
  std::string_view path;
  const ScanOptions* options;
  std::vector<std::pair<size_t, size_t>> open;  // per rule: open region, start > end = none
  std::set<std::pair<size_t, uint64_t>> seen;   // (rule, secret offset)
  std::vector<std::pair<Finding, uint64_t>> findings;
  bool truncated = false;
  std::string error;  // a regex that could not be compiled at its first use (the first one)
};

}  // namespace

// Confirms rule `r` on data[begin, end) with its exact regex and filters.
static void Confirm(ScanContext& ctx, size_t r, size_t begin, size_t end);

static void Confirm(ScanContext& ctx, size_t r, size_t begin, size_t end) {
  const auto& cr = ctx.c->rules[r];
  const Rule& rule = cr.rule;
  std::string_view region = ctx.data.substr(begin, end - begin);
  if (!rule.keywords.empty()) {
    bool any = false;
    for (const auto& k : rule.keywords)
      if (ContainsCaseless(region, k)) {
        any = true;
        break;
      }
    if (!any) return;
  }
  const RE2* re = cr.re->get();
  if (!re) {
    if (ctx.error.empty()) ctx.error = cr.re->error();
    return;
  }
  const int ngroups = re->NumberOfCapturingGroups();
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(ngroups) + 1);
  std::vector<std::string_view> groups(pieces.size());
  size_t pos = begin;
  while (pos <= end && ctx.findings.size() < ctx.options->max_findings) {
    if (!re->Match(re2::StringPiece(ctx.data.data(), ctx.data.size()), pos, end, RE2::UNANCHORED,
                   pieces.data(), static_cast<int>(pieces.size())))
      break;
    for (size_t g = 0; g < pieces.size(); ++g)
      groups[g] = std::string_view(pieces[g].data(), pieces[g].size());
    std::string_view match = groups[0];
    size_t mstart = static_cast<size_t>(match.data() - ctx.data.data());
    pos = mstart + std::max<size_t>(match.size(), 1);
    std::string_view secret = match;
    if (ngroups >= 1) {
      if (rule.secret_group > 0) {
        secret = groups[static_cast<size_t>(rule.secret_group)];
      } else {
        for (int g = 1; g <= ngroups; ++g)
          if (!groups[static_cast<size_t>(g)].empty()) {
            secret = groups[static_cast<size_t>(g)];
            break;
          }
      }
    }
    if (secret.empty() || secret.data() == nullptr) continue;
    uint64_t soff = static_cast<uint64_t>(secret.data() - ctx.data.data());
    if (!ctx.seen.insert({r, soff}).second) continue;
    double h = ShannonEntropy(secret);
    if (rule.entropy > 0 && h <= rule.entropy) continue;
    size_t ls = LineStart(ctx.data, soff);
    size_t le = LineEnd(ctx.data, soff + secret.size());
    std::string_view line = ctx.data.substr(ls, le - ls);
    bool allowed = false;
    for (const auto& a : cr.allows)
      if (Allowed(a, secret, match, line, ctx.path, &ctx.error)) {
        allowed = true;
        break;
      }
    for (size_t i = 0; !allowed && i < ctx.c->global.size(); ++i)
      allowed = Allowed(ctx.c->global[i], secret, match, line, ctx.path, &ctx.error);
    if (allowed) continue;
    if (ctx.options->honour_allow_comments) {
      size_t me = LineEnd(ctx.data, mstart + match.size());
      if (HasAllowComment(ctx.data.substr(ls, me - ls))) continue;
    }
    Finding f;
    f.rule_id = rule.id;
    f.description = rule.description;
    f.path = std::string(ctx.path);
    f.offset = soff;
    f.length = secret.size();
    f.entropy = h;
    f.redacted = Redact(secret);
    f.fingerprint = Fingerprint(rule.id, ctx.path, secret);
    ctx.findings.emplace_back(std::move(f), soff);
  }
  if (ctx.findings.size() >= ctx.options->max_findings) ctx.truncated = true;
}

// Opens or extends rule r's candidate region with [begin, end); confirms the previous region
// when the new one does not touch it.
static void AddRegion(ScanContext& ctx, size_t r, size_t begin, size_t end) {
  const auto& cr = ctx.c->rules[r];
  if (cr.path && !LazyPartialMatch(ctx.path, *cr.path, &ctx.error)) return;
  auto& open = ctx.open[r];
  if (open.first <= open.second && begin <= open.second) {
    open.second = std::max(open.second, end);
  } else {
    if (open.first <= open.second) Confirm(ctx, r, open.first, open.second);
    open = {begin, end};
  }
}

static int OnHit(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                 unsigned int /*flags*/, void* vctx) {
  auto& ctx = *static_cast<ScanContext*>(vctx);
  const size_t e = static_cast<size_t>(to);
  if (id >= kKeywordIdBase) {
    for (size_t r : ctx.c->keyword_rules[id - kKeywordIdBase]) {
      const auto& cr = ctx.c->rules[r];
      auto& open = ctx.open[r];
      if (cr.by_keyword) {
        // Cheap path for frequent keywords: a hit inside the open region changes nothing.
        if (open.first <= open.second && e <= open.second) continue;
        const size_t back = e > kKeywordContext ? e - kKeywordContext : 0;
        const size_t fwd = cr.window > kDefaultWindow ? cr.window : kKeywordContext;
        const size_t begin =
            LineStart(ctx.data, LineStart(ctx.data, back) > 0 ? LineStart(ctx.data, back) - 1 : 0);
        const size_t stop = LineEnd(ctx.data, std::min(ctx.data.size(), e + fwd));
        const size_t end = stop < ctx.data.size() ? LineEnd(ctx.data, stop + 1) : stop;
        AddRegion(ctx, r, begin, end);
      } else {
        AddRegion(ctx, r, LineStart(ctx.data, e > kKeywordWindow ? e - kKeywordWindow : 0),
                  LineEnd(ctx.data, std::min(ctx.data.size(), e + kKeywordWindow)));
      }
      if (ctx.findings.size() >= ctx.options->max_findings) return 1;
    }
    return 0;
  }
  const size_t r = id;
  const size_t w = ctx.c->rules[r].window;
  const size_t lo = e > w ? e - w : 0;
  auto& open = ctx.open[r];
  if (open.first <= open.second && lo <= open.second) {  // extends the open region: cheap
    if (e > open.second) open.second = LineEnd(ctx.data, e);
    return 0;
  }
  AddRegion(ctx, r, LineStart(ctx.data, lo), LineEnd(ctx.data, e));
  return ctx.findings.size() >= ctx.options->max_findings ? 1 : 0;
}

Result<ScanResult> SecretScanner::Scan(std::string_view data, std::string_view path,
                                       ScanScratch& scratch, const ScanOptions& options) const {
  ScanResult result;
  std::string_view probe = data.substr(0, std::min(data.size(), options.binary_probe_bytes));
  if (probe.find('\0') != std::string_view::npos) {
    result.skipped_binary = true;
    return result;
  }
  ScanContext ctx;
  for (const auto& re : c_->global_paths)
    if (LazyPartialMatch(path, *re, &ctx.error)) return result;
  if (!ctx.error.empty()) return Status::InvalidArgument(ctx.error);
  ctx.c = c_.get();
  ctx.data = data;
  ctx.path = path;
  ctx.options = &options;
  ctx.open.assign(c_->rules.size(), {1, 0});

  if (c_->db) {
    if (!scratch.scratch_) return Status::FailedPrecondition("secrets: scratch of another scanner");
    // vectorscan takes a 32-bit length: scan in chunks overlapping by the largest window.
    const size_t kChunk = size_t{1} << 30;
    size_t offset = 0;
    do {
      size_t len = std::min(kChunk, data.size() - offset);
      std::string_view chunk = data.substr(offset, len);
      struct Shift {
        ScanContext* ctx;
        size_t offset;
      } shift{&ctx, offset};
      hs_error_t rc = hs_scan(
          c_->db, chunk.data(), static_cast<unsigned>(chunk.size()), 0,
          static_cast<hs_scratch_t*>(scratch.scratch_),
          [](unsigned int id, unsigned long long from, unsigned long long to, unsigned int fl,
             void* v) {
            auto* s = static_cast<Shift*>(v);
            return OnHit(id, from + s->offset, to + s->offset, fl, s->ctx);
          },
          &shift);
      if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED)
        return Status::Internal("vectorscan scan failed: " + std::to_string(rc));
      if (offset + len >= data.size()) break;
      offset += len - kMultiLineWindow;
    } while (true);
  }
  for (size_t r = 0; r < ctx.open.size(); ++r)
    if (ctx.open[r].first <= ctx.open[r].second)
      Confirm(ctx, r, ctx.open[r].first, ctx.open[r].second);
  for (size_t r : c_->whole_buffer_rules) {
    const auto& cr = c_->rules[r];
    if (cr.path && !LazyPartialMatch(path, *cr.path, &ctx.error)) continue;
    Confirm(ctx, r, 0, data.size());
  }
  for (size_t r : c_->path_only_rules) {
    const auto& cr = c_->rules[r];
    if (!LazyPartialMatch(path, *cr.path, &ctx.error)) continue;
    bool allowed = false;
    for (const auto& a : cr.allows)
      allowed = allowed || Allowed(a, path, path, "", path, &ctx.error);
    if (allowed) continue;
    Finding f;
    f.rule_id = cr.rule.id;
    f.description = cr.rule.description;
    f.path = std::string(path);
    f.redacted = "(file)";
    f.fingerprint = Fingerprint(cr.rule.id, path, path);
    ctx.findings.emplace_back(std::move(f), 0);
  }
  if (!ctx.error.empty()) return Status::InvalidArgument(ctx.error);
  std::sort(ctx.findings.begin(), ctx.findings.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  uint64_t line = 1;
  size_t counted = 0, line_start = 0;
  for (auto& [f, off] : ctx.findings) {
    while (counted < off) {
      const void* nl = std::memchr(data.data() + counted, '\n', off - counted);
      if (!nl) {
        counted = off;
        break;
      }
      counted = static_cast<size_t>(static_cast<const char*>(nl) - data.data()) + 1;
      line_start = counted;
      ++line;
    }
    f.line = line;
    f.column = off - line_start + 1;
    result.findings.push_back(std::move(f));
  }
  result.truncated = ctx.truncated;
  return result;
}

}  // namespace dai::secrets
