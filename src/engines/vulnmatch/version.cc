#include "engines/vulnmatch/version.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <variant>
#include <vector>

namespace dai::vulnmatch {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}
bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

// Compares two non-negative decimal strings of any length.
int CompareNumeric(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}
int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

// ---------------------------------------------------------------- SemVer 2.0.0
struct SemVer {
  std::string_view major, minor, patch;
  std::vector<std::string_view> pre;
};

bool ValidIdent(std::string_view id, bool numeric_no_leading_zero) {
  if (id.empty()) return false;
  for (char c : id)
    if (!(IsDigit(c) || IsAlpha(c) || c == '-')) return false;
  if (numeric_no_leading_zero && AllDigits(id) && id.size() > 1 && id[0] == '0') return false;
  return true;
}

std::optional<SemVer> ParseSemver(std::string_view v, bool allow_v) {
  if (allow_v && !v.empty() && (v[0] == 'v' || v[0] == 'V')) v.remove_prefix(1);
  size_t plus = v.find('+');
  if (plus != std::string_view::npos) {
    for (auto id : Split(v.substr(plus + 1), '.'))
      if (!ValidIdent(id, false)) return std::nullopt;
    v = v.substr(0, plus);
  }
  std::string_view core = v;
  SemVer out;
  size_t dash = v.find('-');
  if (dash != std::string_view::npos) {
    core = v.substr(0, dash);
    for (auto id : Split(v.substr(dash + 1), '.')) {
      if (!ValidIdent(id, true)) return std::nullopt;
      out.pre.push_back(id);
    }
  }
  auto parts = Split(core, '.');
  if (parts.size() != 3) return std::nullopt;
  for (auto p : parts)
    if (!AllDigits(p) || (p.size() > 1 && p[0] == '0')) return std::nullopt;
  out.major = parts[0];
  out.minor = parts[1];
  out.patch = parts[2];
  return out;
}

int CompareSemver(const SemVer& a, const SemVer& b) {
  if (int c = CompareNumeric(a.major, b.major)) return c;
  if (int c = CompareNumeric(a.minor, b.minor)) return c;
  if (int c = CompareNumeric(a.patch, b.patch)) return c;
  if (a.pre.empty() != b.pre.empty()) return a.pre.empty() ? 1 : -1;
  for (size_t i = 0; i < std::min(a.pre.size(), b.pre.size()); ++i) {
    bool an = AllDigits(a.pre[i]), bn = AllDigits(b.pre[i]);
    if (an && bn) {
      if (int c = CompareNumeric(a.pre[i], b.pre[i])) return c;
    } else if (an != bn) {
      return an ? -1 : 1;
    } else if (int c = Sign(a.pre[i].compare(b.pre[i]))) {
      return c;
    }
  }
  if (a.pre.size() != b.pre.size()) return a.pre.size() < b.pre.size() ? -1 : 1;
  return 0;
}

// ---------------------------------------------------------------- PEP 440
struct Pep440 {
  long long epoch = 0;
  std::vector<std::string> release;  // decimal strings, trailing zeros removed for comparison
  int pre_kind = -1;                 // 0 a, 1 b, 2 rc; -1 none
  std::string pre_num = "0";
  bool has_post = false;
  std::string post_num = "0";
  bool has_dev = false;
  std::string dev_num = "0";
  std::vector<std::string> local;
};

// A hand-written scanner for PEP 440's canonical regex (packaging.version.VERSION_PATTERN),
// including the permitted spellings (alpha/beta/c/pre/preview, rev/r, separators . - _).
class Pep440Parser {
 public:
  explicit Pep440Parser(std::string_view s) : s_(ToLower(s)) {}

  std::optional<Pep440> Parse() {
    Trim();
    if (Peek() == 'v') ++i_;
    Pep440 v;
    // epoch
    size_t save = i_;
    std::string n = Digits();
    if (n.empty()) return std::nullopt;
    if (Peek() == '!') {
      ++i_;
      if (n.size() > 15) return std::nullopt;
      v.epoch = std::stoll(n);
      n = Digits();
      if (n.empty()) return std::nullopt;
    } else {
      i_ = save;
      n = Digits();
    }
    v.release.push_back(n);
    while (Peek() == '.' && i_ + 1 < s_.size() && IsDigit(s_[i_ + 1])) {
      ++i_;
      v.release.push_back(Digits());
    }
    // pre-release
    save = i_;
    SkipSep();
    if (auto kind = PreKind()) {
      v.pre_kind = *kind;
      size_t s2 = i_;
      SkipSep();
      std::string num = Digits();
      if (num.empty()) i_ = s2;
      v.pre_num = num.empty() ? "0" : num;
    } else {
      i_ = save;
    }
    // post-release
    save = i_;
    if (Peek() == '-' && i_ + 1 < s_.size() && IsDigit(s_[i_ + 1])) {
      ++i_;
      v.has_post = true;
      v.post_num = Digits();
    } else {
      SkipSep();
      if (Word("post") || Word("rev") || Word("r")) {
        v.has_post = true;
        size_t s2 = i_;
        SkipSep();
        std::string num = Digits();
        if (num.empty()) i_ = s2;
        v.post_num = num.empty() ? "0" : num;
      } else {
        i_ = save;
      }
    }
    // dev-release
    save = i_;
    SkipSep();
    if (Word("dev")) {
      v.has_dev = true;
      size_t s2 = i_;
      SkipSep();
      std::string num = Digits();
      if (num.empty()) i_ = s2;
      v.dev_num = num.empty() ? "0" : num;
    } else {
      i_ = save;
    }
    // local
    if (Peek() == '+') {
      ++i_;
      std::string seg;
      while (i_ < s_.size() && (IsDigit(s_[i_]) || IsAlpha(s_[i_]) || s_[i_] == '.' ||
                                s_[i_] == '-' || s_[i_] == '_')) {
        char c = s_[i_++];
        if (c == '.' || c == '-' || c == '_') {
          if (seg.empty()) return std::nullopt;
          v.local.push_back(seg);
          seg.clear();
        } else {
          seg.push_back(c);
        }
      }
      if (seg.empty()) return std::nullopt;
      v.local.push_back(seg);
    }
    Trim();
    if (i_ != s_.size()) return std::nullopt;
    while (v.release.size() > 1 && AllZero(v.release.back())) v.release.pop_back();
    return v;
  }

 private:
  static bool AllZero(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
  }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void Trim() {
    // Trailing first, so the cursor never ends up past the end of the text.
    while (s_.size() > i_ && std::isspace(static_cast<unsigned char>(s_.back()))) s_.pop_back();
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  std::string Digits() {
    size_t start = i_;
    while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  void SkipSep() {
    if (Peek() == '.' || Peek() == '-' || Peek() == '_') ++i_;
  }
  bool Word(std::string_view w) {
    if (s_.compare(i_, w.size(), w) == 0) {
      i_ += w.size();
      return true;
    }
    return false;
  }
  std::optional<int> PreKind() {
    // Longest spellings first.
    if (Word("preview") || Word("pre")) return 2;
    if (Word("alpha")) return 0;
    if (Word("beta")) return 1;
    if (Word("rc")) return 2;
    if (Word("a")) return 0;
    if (Word("b")) return 1;
    if (Word("c")) return 2;
    return std::nullopt;
  }
  std::string s_;
  size_t i_ = 0;
};

int CompareLocal(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    bool an = AllDigits(a[i]), bn = AllDigits(b[i]);
    if (an && bn) {
      if (int c = CompareNumeric(a[i], b[i])) return c;
    } else if (an != bn) {
      return an ? 1 : -1;  // numeric segments sort after alphanumeric ones
    } else if (int c = Sign(a[i].compare(b[i]))) {
      return c;
    }
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

int ComparePep440(const Pep440& a, const Pep440& b) {
  if (a.epoch != b.epoch) return a.epoch < b.epoch ? -1 : 1;
  for (size_t i = 0; i < std::max(a.release.size(), b.release.size()); ++i) {
    std::string_view x = i < a.release.size() ? std::string_view(a.release[i]) : "0";
    std::string_view y = i < b.release.size() ? std::string_view(b.release[i]) : "0";
    if (int c = CompareNumeric(x, y)) return c;
  }
  // Sort keys as in packaging.version._cmpkey: a dev-only release sorts before any pre-release.
  auto pre_key = [](const Pep440& v) -> std::pair<int, std::string> {
    if (v.pre_kind < 0 && !v.has_post && v.has_dev) return {-1, ""};
    if (v.pre_kind < 0) return {3, ""};
    return {v.pre_kind, v.pre_num};
  };
  auto pa = pre_key(a), pb = pre_key(b);
  if (pa.first != pb.first) return pa.first < pb.first ? -1 : 1;
  if (pa.first >= 0 && pa.first <= 2)
    if (int c = CompareNumeric(pa.second, pb.second)) return c;
  if (a.has_post != b.has_post) return a.has_post ? 1 : -1;
  if (a.has_post)
    if (int c = CompareNumeric(a.post_num, b.post_num)) return c;
  if (a.has_dev != b.has_dev) return a.has_dev ? -1 : 1;
  if (a.has_dev)
    if (int c = CompareNumeric(a.dev_num, b.dev_num)) return c;
  if (a.local.empty() != b.local.empty()) return a.local.empty() ? -1 : 1;
  return CompareLocal(a.local, b.local);
}

// ---------------------------------------------------------------- Debian
int DebOrder(char c) {
  if (IsDigit(c)) return 0;
  if (IsAlpha(c)) return c;
  if (c == '~') return -1;
  if (c) return c + 256;
  return 0;
}

// dpkg's verrevcmp.
int DebCompareFragment(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !IsDigit(a[i])) || (j < b.size() && !IsDigit(b[j]))) {
      int ac = i < a.size() ? DebOrder(a[i]) : 0;
      int bc = j < b.size() ? DebOrder(b[j]) : 0;
      if (ac != bc) return ac < bc ? -1 : 1;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    while (i < a.size() && IsDigit(a[i]) && j < b.size() && IsDigit(b[j])) {
      if (!first_diff) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && IsDigit(a[i])) return 1;
    if (j < b.size() && IsDigit(b[j])) return -1;
    if (first_diff) return first_diff < 0 ? -1 : 1;
  }
  return 0;
}

struct DebVersion {
  std::string_view epoch = "0", upstream, revision;
};

std::optional<DebVersion> ParseDebian(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  DebVersion out;
  size_t colon = v.find(':');
  if (colon != std::string_view::npos) {
    out.epoch = v.substr(0, colon);
    if (!AllDigits(out.epoch)) return std::nullopt;
    v = v.substr(colon + 1);
  }
  size_t dash = v.rfind('-');
  if (dash != std::string_view::npos) {
    out.revision = v.substr(dash + 1);
    v = v.substr(0, dash);
  }
  out.upstream = v;
  if (out.upstream.empty() || !IsDigit(out.upstream[0])) return std::nullopt;
  for (char c : v)
    if (!(IsDigit(c) || IsAlpha(c) || c == '.' || c == '+' || c == '-' || c == '~' || c == ':'))
      return std::nullopt;
  for (char c : out.revision)
    if (!(IsDigit(c) || IsAlpha(c) || c == '.' || c == '+' || c == '~')) return std::nullopt;
  return out;
}

int CompareDebian(const DebVersion& a, const DebVersion& b) {
  if (int c = CompareNumeric(a.epoch, b.epoch)) return c;
  if (int c = DebCompareFragment(a.upstream, b.upstream)) return c;
  return DebCompareFragment(a.revision, b.revision);
}

// ---------------------------------------------------------------- Alpine apk
// apk-tools' version grammar: digits{.digits}[letter]{_suffix[digits]}[-rN]. Suffix order:
// alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p.
struct ApkVersion {
  std::vector<std::string> numbers;
  char letter = 0;
  std::vector<std::pair<int, std::string>> suffixes;
  std::string revision = "0";
};

std::optional<ApkVersion> ParseApk(std::string_view v) {
  ApkVersion out;
  size_t i = 0;
  auto digits = [&] {
    size_t s = i;
    while (i < v.size() && IsDigit(v[i])) ++i;
    return std::string(v.substr(s, i - s));
  };
  std::string n = digits();
  if (n.empty()) return std::nullopt;
  out.numbers.push_back(n);
  while (i < v.size() && v[i] == '.') {
    ++i;
    n = digits();
    if (n.empty()) return std::nullopt;
    out.numbers.push_back(n);
  }
  if (i < v.size() && v[i] >= 'a' && v[i] <= 'z') out.letter = v[i++];
  static const std::pair<std::string_view, int> kSuffixes[] = {
      {"alpha", -4}, {"beta", -3}, {"pre", -2}, {"rc", -1}, {"cvs", 1},
      {"svn", 2},    {"git", 3},   {"hg", 4},   {"p", 5}};
  while (i < v.size() && v[i] == '_') {
    ++i;
    bool found = false;
    for (const auto& [name, rank] : kSuffixes) {
      if (v.substr(i, name.size()) == name) {
        i += name.size();
        std::string num = digits();
        out.suffixes.emplace_back(rank, num.empty() ? "0" : num);
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  if (i < v.size() && v.substr(i, 2) == "-r") {
    i += 2;
    out.revision = digits();
    if (out.revision.empty()) return std::nullopt;
  }
  if (i != v.size()) return std::nullopt;
  return out;
}

int CompareApkNumberPart(const std::string& a, const std::string& b, bool first) {
  // apk-tools compares later components with a leading zero as decimal fractions.
  if (!first && ((a.size() > 1 && a[0] == '0') || (b.size() > 1 && b[0] == '0')))
    return Sign(a.compare(b));
  return CompareNumeric(a, b);
}

int CompareApk(const ApkVersion& a, const ApkVersion& b) {
  for (size_t i = 0; i < std::min(a.numbers.size(), b.numbers.size()); ++i)
    if (int c = CompareApkNumberPart(a.numbers[i], b.numbers[i], i == 0)) return c;
  if (a.numbers.size() != b.numbers.size()) return a.numbers.size() < b.numbers.size() ? -1 : 1;
  if (a.letter != b.letter) return a.letter < b.letter ? -1 : 1;
  for (size_t i = 0; i < std::max(a.suffixes.size(), b.suffixes.size()); ++i) {
    int ra = i < a.suffixes.size() ? a.suffixes[i].first : 0;
    int rb = i < b.suffixes.size() ? b.suffixes[i].first : 0;
    if (ra != rb) return ra < rb ? -1 : 1;
    if (ra == 0) break;
    if (int c = CompareNumeric(a.suffixes[i].second, b.suffixes[i].second)) return c;
  }
  return CompareNumeric(a.revision, b.revision);
}

// ---------------------------------------------------------------- Maven ComparableVersion
struct MavenItem;
using MavenList = std::vector<MavenItem>;
struct MavenItem {
  enum class Kind { kInt, kString, kList } kind = Kind::kInt;
  std::string value;  // digits for kInt, canonical qualifier for kString
  MavenList list;
};

int QualifierRank(const std::string& q) {
  // alpha < beta < milestone < rc < snapshot < "" < sp; unknown qualifiers after sp.
  if (q == "alpha") return 0;
  if (q == "beta") return 1;
  if (q == "milestone") return 2;
  if (q == "rc") return 3;
  if (q == "snapshot") return 4;
  if (q.empty()) return 5;
  if (q == "sp") return 6;
  return 7;
}

std::string CanonicalQualifier(std::string q, bool followed_by_digit) {
  q = ToLower(q);
  if (followed_by_digit && q.size() == 1) {
    if (q == "a") return "alpha";
    if (q == "b") return "beta";
    if (q == "m") return "milestone";
  }
  if (q == "ga" || q == "final" || q == "release") return "";
  if (q == "cr") return "rc";
  return q;
}

bool MavenIsNull(const MavenItem& it) {
  switch (it.kind) {
    case MavenItem::Kind::kInt:
      return CompareNumeric(it.value, "0") == 0;
    case MavenItem::Kind::kString:
      return it.value.empty();
    case MavenItem::Kind::kList:
      return it.list.empty();
  }
  return false;
}

void MavenNormalize(MavenList& list) {
  for (size_t i = list.size(); i-- > 0;) {
    const MavenItem& last = list[i];
    if (MavenIsNull(last)) {
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (last.kind != MavenItem::Kind::kList) {
      break;
    }
  }
}

MavenList ParseMaven(std::string_view version) {
  std::string v = ToLower(version);
  MavenList root;
  std::vector<MavenList*> stack{&root};
  MavenList* list = &root;
  bool is_digit = false;
  size_t start = 0;
  auto add_token = [&](std::string tok, bool digit, bool followed_by_digit) {
    MavenItem it;
    if (digit) {
      it.kind = MavenItem::Kind::kInt;
      while (tok.size() > 1 && tok[0] == '0') tok.erase(0, 1);
      it.value = tok.empty() ? "0" : tok;
    } else {
      it.kind = MavenItem::Kind::kString;
      it.value = CanonicalQualifier(tok, followed_by_digit);
    }
    list->push_back(std::move(it));
  };
  auto open_sublist = [&] {
    MavenItem it;
    it.kind = MavenItem::Kind::kList;
    list->push_back(std::move(it));
    list = &list->back().list;
    stack.push_back(list);
  };
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '.') {
      if (i == start) {
        MavenItem zero;
        list->push_back(zero);
      } else {
        add_token(v.substr(start, i - start), is_digit, false);
      }
      start = i + 1;
    } else if (c == '-') {
      if (i == start) {
        MavenItem zero;
        list->push_back(zero);
      } else {
        add_token(v.substr(start, i - start), is_digit, false);
      }
      start = i + 1;
      open_sublist();
    } else if (IsDigit(c)) {
      if (!is_digit && i > start) {
        add_token(v.substr(start, i - start), false, true);
        start = i;
        open_sublist();
      }
      is_digit = true;
    } else {
      if (is_digit && i > start) {
        add_token(v.substr(start, i - start), true, false);
        start = i;
        open_sublist();
      }
      is_digit = false;
    }
  }
  if (v.size() > start) add_token(v.substr(start), is_digit, false);
  // Normalize every list, innermost first.
  for (size_t s = stack.size(); s-- > 0;) MavenNormalize(*stack[s]);
  return root;
}

int MavenCompareItem(const MavenItem* a, const MavenItem* b);

int MavenCompareList(const MavenList& a, const MavenList& b) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const MavenItem* l = i < a.size() ? &a[i] : nullptr;
    const MavenItem* r = i < b.size() ? &b[i] : nullptr;
    int c = l ? MavenCompareItem(l, r) : -MavenCompareItem(r, nullptr);
    if (c) return c;
  }
  return 0;
}

// Compares item a with b (b may be null, meaning "nothing"), as ComparableVersion does.
int MavenCompareItem(const MavenItem* a, const MavenItem* b) {
  using K = MavenItem::Kind;
  if (b == nullptr) {
    switch (a->kind) {
      case K::kInt:
        return CompareNumeric(a->value, "0") == 0 ? 0 : 1;
      case K::kString: {
        int r = QualifierRank(a->value);
        return r < 5 ? -1 : (r == 5 ? 0 : 1);
      }
      case K::kList: {
        if (a->list.empty()) return 0;
        return MavenCompareItem(&a->list[0], nullptr);
      }
    }
  }
  if (a->kind == K::kInt) {
    if (b->kind == K::kInt) return CompareNumeric(a->value, b->value);
    return 1;  // int > string, int > list
  }
  if (a->kind == K::kString) {
    if (b->kind == K::kInt) return -1;
    if (b->kind == K::kList) return -1;
    int ra = QualifierRank(a->value), rb = QualifierRank(b->value);
    if (ra != rb) return ra < rb ? -1 : 1;
    return ra == 7 ? Sign(a->value.compare(b->value)) : 0;
  }
  // list
  if (b->kind == K::kInt) return -1;
  if (b->kind == K::kString) return 1;
  return MavenCompareList(a->list, b->list);
}

// ---------------------------------------------------------------- RubyGems
std::optional<std::vector<std::string>> ParseGem(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  for (char c : v)
    if (!(IsDigit(c) || IsAlpha(c) || c == '.' || c == '-')) return std::nullopt;
  std::string s(v);
  for (char& c : s)
    if (c == '-') c = '.';  // "1.0-pre" == "1.0.pre.pre"? Gem treats '-' as ".pre."
  std::vector<std::string> segs;
  std::string cur;
  bool cur_digit = false;
  for (char c : s) {
    if (c == '.') {
      if (!cur.empty()) segs.push_back(cur);
      cur.clear();
      continue;
    }
    bool d = IsDigit(c);
    if (!cur.empty() && d != cur_digit) {
      segs.push_back(cur);
      cur.clear();
    }
    cur.push_back(c);
    cur_digit = d;
  }
  if (!cur.empty()) segs.push_back(cur);
  if (segs.empty() || !AllDigits(segs[0])) return std::nullopt;
  // canonical_segments: drop trailing zeros of the release part and of the prerelease part.
  size_t first_str = segs.size();
  for (size_t i = 0; i < segs.size(); ++i)
    if (!AllDigits(segs[i])) {
      first_str = i;
      break;
    }
  std::vector<std::string> rel(segs.begin(), segs.begin() + static_cast<long>(first_str));
  std::vector<std::string> pre(segs.begin() + static_cast<long>(first_str), segs.end());
  while (!rel.empty() && CompareNumeric(rel.back(), "0") == 0) rel.pop_back();
  while (!pre.empty() && AllDigits(pre.back()) && CompareNumeric(pre.back(), "0") == 0)
    pre.pop_back();
  rel.insert(rel.end(), pre.begin(), pre.end());
  return rel;
}

int CompareGem(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    std::string_view l = i < a.size() ? std::string_view(a[i]) : "0";
    std::string_view r = i < b.size() ? std::string_view(b[i]) : "0";
    bool ln = AllDigits(l), rn = AllDigits(r);
    if (ln && rn) {
      if (int c = CompareNumeric(l, r)) return c;
    } else if (ln != rn) {
      return ln ? 1 : -1;
    } else if (int c = Sign(l.compare(r))) {
      return c;
    }
  }
  return 0;
}

// ---------------------------------------------------------------- Composer
// Composer normalises ("v1.2.3", "1.2.3-beta2", "1.2.3.p1", "dev-master") and then compares
// with PHP's version_compare: special forms dev < alpha=a < beta=b < RC=rc < # < pl=p.
std::string PhpCanonical(std::string_view v) {
  std::string out;
  char prev = 0;
  for (char c : v) {
    if (c == '-' || c == '_' || c == '+') c = '.';
    if (out.size() && c != '.' && prev != '.' &&
        ((IsDigit(c) && !IsDigit(prev)) || (!IsDigit(c) && IsDigit(prev))))
      out.push_back('.');
    if (!(c == '.' && prev == '.')) out.push_back(c);
    prev = c;
  }
  return out;
}

int PhpSpecialRank(std::string_view s) {
  std::string l = ToLower(s);
  if (l.rfind("dev", 0) == 0) return 0;
  if (l.rfind("alpha", 0) == 0 || l.rfind("a", 0) == 0) return 1;
  if (l.rfind("beta", 0) == 0 || l.rfind("b", 0) == 0) return 2;
  if (l.rfind("rc", 0) == 0 || l.rfind("c", 0) == 0) return 3;
  if (l == "#") return 4;
  if (l.rfind("pl", 0) == 0 || l.rfind("p", 0) == 0) return 5;
  return -1;
}

int ComparePhp(std::string_view a, std::string_view b) {
  auto pa = Split(PhpCanonical(a), '.');
  auto pb = Split(PhpCanonical(b), '.');
  std::string sa = PhpCanonical(a), sb = PhpCanonical(b);
  pa = Split(sa, '.');
  pb = Split(sb, '.');
  size_t n = std::max(pa.size(), pb.size());
  for (size_t i = 0; i < n; ++i) {
    if (i >= pa.size()) {
      // PHP: a missing part compares against "#" (a number) for the longer side's part.
      std::string_view r = pb[i];
      if (AllDigits(r)) return -1;
      return PhpSpecialRank(r) < 4 ? 1 : -1;
    }
    if (i >= pb.size()) {
      std::string_view l = pa[i];
      if (AllDigits(l)) return 1;
      return PhpSpecialRank(l) < 4 ? -1 : 1;
    }
    std::string_view l = pa[i], r = pb[i];
    bool ln = AllDigits(l), rn = AllDigits(r);
    int c;
    if (ln && rn) {
      c = CompareNumeric(l, r);
    } else if (!ln && !rn) {
      c = Sign(PhpSpecialRank(l) - PhpSpecialRank(r));
    } else if (ln) {
      c = Sign(4 - PhpSpecialRank(r));
    } else {
      c = Sign(PhpSpecialRank(l) - 4);
    }
    if (c) return c;
  }
  return 0;
}

std::optional<std::string> NormalizeComposer(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (v[0] == 'v' || v[0] == 'V') v.remove_prefix(1);
  if (v.empty() || !IsDigit(v[0])) return std::nullopt;
  for (char c : v)
    if (!(IsDigit(c) || IsAlpha(c) || c == '.' || c == '-' || c == '_' || c == '+'))
      return std::nullopt;
  std::string s(v);
  // "1.2.3-patch1" / "1.2.3-p1" are patch levels after the release.
  return s;
}

Status Invalid(VersionScheme scheme, std::string_view v) {
  return Status::InvalidArgument("version \"" + std::string(v.substr(0, 100)) +
                                 "\" is not a valid " + std::string(SchemeName(scheme)) +
                                 " version");
}

}  // namespace

std::optional<VersionScheme> SchemeForEcosystem(std::string_view eco) {
  std::string_view base = eco.substr(0, eco.find(':'));
  if (base == "npm" || base == "crates.io" || base == "NuGet" || base == "Hex" || base == "Pub" ||
      base == "SwiftURL")
    return VersionScheme::kSemver;
  if (base == "Go") return VersionScheme::kGo;
  if (base == "PyPI") return VersionScheme::kPep440;
  if (base == "Debian" || base == "Ubuntu") return VersionScheme::kDebian;
  if (base == "Alpine") return VersionScheme::kApk;
  if (base == "Maven") return VersionScheme::kMaven;
  if (base == "RubyGems") return VersionScheme::kRubyGems;
  if (base == "Packagist") return VersionScheme::kComposer;
  return std::nullopt;
}

std::string_view SchemeName(VersionScheme scheme) {
  switch (scheme) {
    case VersionScheme::kSemver:
      return "SemVer";
    case VersionScheme::kGo:
      return "Go module";
    case VersionScheme::kPep440:
      return "PEP 440";
    case VersionScheme::kDebian:
      return "Debian";
    case VersionScheme::kApk:
      return "Alpine apk";
    case VersionScheme::kMaven:
      return "Maven";
    case VersionScheme::kRubyGems:
      return "RubyGems";
    case VersionScheme::kComposer:
      return "Composer";
  }
  return "unknown";
}

bool IsValidVersion(VersionScheme scheme, std::string_view v) {
  switch (scheme) {
    case VersionScheme::kSemver:
      return ParseSemver(v, false).has_value();
    case VersionScheme::kGo:
      return ParseSemver(v, true).has_value();
    case VersionScheme::kPep440:
      return Pep440Parser(v).Parse().has_value();
    case VersionScheme::kDebian:
      return ParseDebian(v).has_value();
    case VersionScheme::kApk:
      return ParseApk(v).has_value();
    case VersionScheme::kMaven:
      return !v.empty() && v.find_first_of(" \t\n") == std::string_view::npos;
    case VersionScheme::kRubyGems:
      return ParseGem(v).has_value();
    case VersionScheme::kComposer:
      return NormalizeComposer(v).has_value();
  }
  return false;
}

Result<int> CompareVersions(VersionScheme scheme, std::string_view a, std::string_view b) {
  switch (scheme) {
    case VersionScheme::kSemver:
    case VersionScheme::kGo: {
      bool allow_v = scheme == VersionScheme::kGo;
      auto x = ParseSemver(a, allow_v);
      if (!x) return Invalid(scheme, a);
      auto y = ParseSemver(b, allow_v);
      if (!y) return Invalid(scheme, b);
      return CompareSemver(*x, *y);
    }
    case VersionScheme::kPep440: {
      auto x = Pep440Parser(a).Parse();
      if (!x) return Invalid(scheme, a);
      auto y = Pep440Parser(b).Parse();
      if (!y) return Invalid(scheme, b);
      return ComparePep440(*x, *y);
    }
    case VersionScheme::kDebian: {
      auto x = ParseDebian(a);
      if (!x) return Invalid(scheme, a);
      auto y = ParseDebian(b);
      if (!y) return Invalid(scheme, b);
      return CompareDebian(*x, *y);
    }
    case VersionScheme::kApk: {
      auto x = ParseApk(a);
      if (!x) return Invalid(scheme, a);
      auto y = ParseApk(b);
      if (!y) return Invalid(scheme, b);
      return CompareApk(*x, *y);
    }
    case VersionScheme::kMaven: {
      if (!IsValidVersion(scheme, a)) return Invalid(scheme, a);
      if (!IsValidVersion(scheme, b)) return Invalid(scheme, b);
      return Sign(MavenCompareList(ParseMaven(a), ParseMaven(b)));
    }
    case VersionScheme::kRubyGems: {
      auto x = ParseGem(a);
      if (!x) return Invalid(scheme, a);
      auto y = ParseGem(b);
      if (!y) return Invalid(scheme, b);
      return CompareGem(*x, *y);
    }
    case VersionScheme::kComposer: {
      auto x = NormalizeComposer(a);
      if (!x) return Invalid(scheme, a);
      auto y = NormalizeComposer(b);
      if (!y) return Invalid(scheme, b);
      return ComparePhp(*x, *y);
    }
  }
  return Status::Internal("unknown version scheme");
}

std::optional<ReleaseTriple> ReleaseComponents(VersionScheme scheme, std::string_view v) {
  if (scheme == VersionScheme::kDebian) {
    auto d = ParseDebian(v);
    if (!d) return std::nullopt;
    v = d->upstream;
  }
  if (!v.empty() && (v[0] == 'v' || v[0] == 'V')) v.remove_prefix(1);
  if (scheme == VersionScheme::kPep440) {
    size_t bang = v.find('!');
    if (bang != std::string_view::npos) v = v.substr(bang + 1);
  }
  ReleaseTriple t;
  long long* slots[] = {&t.major, &t.minor, &t.patch};
  size_t i = 0;
  int idx = 0;
  bool any = false;
  while (idx < 3 && i < v.size() && IsDigit(v[i])) {
    long long n = 0;
    while (i < v.size() && IsDigit(v[i])) {
      if (n < 1000000000000LL) n = n * 10 + (v[i] - '0');
      ++i;
    }
    *slots[idx++] = n;
    any = true;
    if (i < v.size() && v[i] == '.')
      ++i;
    else
      break;
  }
  if (!any) return std::nullopt;
  return t;
}

}  // namespace dai::vulnmatch
