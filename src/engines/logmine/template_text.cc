#include "engines/logmine/template_text.h"

#include <array>
#include <cctype>
#include <vector>

namespace dai::logmine {
namespace {

constexpr size_t kMaxMaskedTokenBytes = 256;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Path delimiters of the convention: whitespace , ! ; : = | " ' [ ] ( ) { }.
constexpr std::array<bool, 256> MakePathDelims() {
  std::array<bool, 256> t{};
  for (char c : std::string_view(" \t\n\r\f\v,!;:=|\"'[](){}")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
// Token delimiters: the path delimiters plus . - + @ # $ % &.
constexpr std::array<bool, 256> MakeTokenDelims() {
  std::array<bool, 256> t = MakePathDelims();
  for (char c : std::string_view(".-+@#$%&")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kPathDelims = MakePathDelims();
constexpr std::array<bool, 256> kTokenDelims = MakeTokenDelims();

bool IsPathDelim(char c) { return kPathDelims[static_cast<unsigned char>(c)]; }
bool IsPieceDelimiter(char c) {
  return kTokenDelims[static_cast<unsigned char>(c)] || c == '/' || c == '<' || c == '>';
}

bool EqualsLower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower[i]) return false;
  }
  return true;
}

bool IsDefaultVariableWord(std::string_view piece) {
  return EqualsLower(piece, "true") || EqualsLower(piece, "false") || EqualsLower(piece, "null") ||
         EqualsLower(piece, "root");
}

// `^(/[^/]+)+$`
bool IsPathLike(std::string_view s) {
  if (s.size() < 2 || s.front() != '/' || s.back() == '/') return false;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '/' && s[i + 1] == '/') return false;
  }
  return true;
}


// Number-like piece: digits, 0x-hex, long hex ids, digit-dominated identifiers, number+unit.
bool IsVariablePiece(std::string_view p) {
  if (p.empty()) return false;
  size_t digits = 0;
  for (char c : p) digits += IsDigit(c) ? 1 : 0;
  if (digits == 0) return false;
  if (digits == p.size()) return true;
  if (p.size() > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    bool hex = true;
    for (size_t i = 2; i < p.size(); ++i) hex = hex && IsHex(p[i]);
    if (hex) return true;
  }
  if (p.size() >= 8) {
    bool hex = true;
    for (char c : p) hex = hex && IsHex(c);
    if (hex) return true;
  }
  if (p.size() >= 4 && digits * 2 >= p.size()) return true;
  // A run of 4+ digits inside an identifier is an id or a timestamp (job_1445144423722_0020).
  size_t run = 0;
  for (char c : p) {
    run = IsDigit(c) ? run + 1 : 0;
    if (run >= 4) return true;
  }
  // Number followed by a short unit: 30ms, 5s, 64MB, 10sec.
  size_t i = 0;
  while (i < p.size() && IsDigit(p[i])) ++i;
  if (i > 0) {
    std::string_view unit = p.substr(i);
    static constexpr std::string_view kUnits[] = {"ms", "s", "us", "ns", "sec", "secs", "min",
                                                  "h", "kb", "mb", "gb", "tb", "b", "k", "m", "g"};
    for (auto u : kUnits) {
      if (EqualsLower(unit, u)) return true;
    }
  }
  return false;
}

bool IsUuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-' : !IsHex(t[i])) return false;
  }
  return true;
}

bool IsMac(std::string_view t) {
  if (t.size() != 17) return false;
  for (size_t i = 0; i < 17; ++i) {
    if (i % 3 == 2) {
      if (t[i] != ':' && t[i] != '-') return false;
    } else if (!IsHex(t[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsTokenDelimiter(char c) { return kTokenDelims[static_cast<unsigned char>(c)]; }

namespace {

struct Shape {
  std::vector<std::string_view> pieces;
  std::string delims;
};

// Splits at delimiters (fine: token delimiters and '/'; strong: path delimiters and '/');
// "<*>" is never split.
void SplitShape(std::string_view s, bool fine, Shape& out) {
  out.pieces.clear();
  out.delims.clear();
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 2 < s.size() && s[i + 1] == '*' && s[i + 2] == '>') {
      i += 2;
      continue;
    }
    char c = s[i];
    bool delim = c == '/' || (fine ? IsTokenDelimiter(c) : IsPathDelim(c));
    if (delim) {
      out.pieces.push_back(s.substr(start, i - start));
      out.delims.push_back(c);
      start = i + 1;
    }
  }
  out.pieces.push_back(s.substr(start));
}

}  // namespace

std::string GeneralizeToken(std::string_view a, std::string_view b) {
  if (a == b) return std::string(a);
  if (a == kWildcard || b == kWildcard) return std::string(kWildcard);
  Shape sa, sb;
  for (bool fine : {true, false}) {
    SplitShape(a, fine, sa);
    SplitShape(b, fine, sb);
    if (sa.delims != sb.delims) continue;
    std::string out;
    for (size_t i = 0; i < sa.pieces.size(); ++i) {
      if (sa.pieces[i] == sb.pieces[i]) {
        out += sa.pieces[i];
      } else {
        out += kWildcard;
      }
      if (i < sa.delims.size()) out.push_back(sa.delims[i]);
    }
    return NormalizeTemplate(out);
  }
  // Different shapes: keep the punctuation both share at the start and at the end ("<*>," and
  // "LOCAL(<*>)," give "<*>,").
  auto is_punct = [](char c) {
    return !(IsAlpha(c) || IsDigit(c) || c == '<' || c == '>' || c == '*' || c == '_');
  };
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre] && is_punct(a[pre])) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf] && is_punct(a[a.size() - 1 - suf])) {
    ++suf;
  }
  std::string out(a.substr(0, pre));
  out += kWildcard;
  out += a.substr(a.size() - suf);
  return out;
}

namespace {

// Appends `s` (no whitespace runs to collapse) to `out` applying PS, BL/US, DG, WV and, while
// appending, DV and CV. Only the part appended from `base` on is looked at for merging.
void NormalizeAppend(std::string_view s, std::string& out) {
  const size_t base = out.size();
  std::string ps;  // PS pass, only when there is a '/'
  if (s.find('/') != std::string_view::npos) {
    ps.reserve(s.size());
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || IsPathDelim(s[i])) {
        std::string_view piece = s.substr(start, i - start);
        if (IsPathLike(piece)) {
          ps += kWildcard;
        } else {
          ps += piece;
        }
        if (i < s.size()) ps.push_back(s[i]);
        start = i + 1;
      }
    }
    s = ps;
  }
  auto append_wildcard = [&] {
    const size_t n = out.size() - base;
    if (n >= 3 && out.compare(out.size() - 3, 3, kWildcard) == 0) return;  // CV
    if (n >= 4 && out.back() == '.' && out.compare(out.size() - 4, 3, kWildcard) == 0) {
      out.pop_back();  // DV
      return;
    }
    out += kWildcard;
  };
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || IsTokenDelimiter(s[i])) {
      std::string_view piece = s.substr(start, i - start);
      bool all_digits = !piece.empty();
      for (char c : piece) all_digits = all_digits && IsDigit(c);
      if (all_digits || IsDefaultVariableWord(piece) ||
          (piece.find(kWildcard) != std::string_view::npos &&
           piece.find('/') == std::string_view::npos)) {
        append_wildcard();
      } else if (piece.find(kWildcard) != std::string_view::npos) {
        // A piece with '/' keeps its text; merge the variables inside it.
        for (size_t k = 0; k < piece.size();) {
          if (piece.compare(k, 3, kWildcard) == 0) {
            append_wildcard();
            k += 3;
          } else {
            out.push_back(piece[k++]);
          }
        }
      } else {
        out += piece;
      }
      if (i < s.size()) out.push_back(s[i]);
      start = i + 1;
    }
  }
}

}  // namespace

std::string NormalizeTemplate(std::string_view text) {
  // DS: collapse whitespace, trim.
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    if (IsSpace(c)) {
      if (!s.empty() && s.back() != ' ') s.push_back(' ');
    } else {
      s.push_back(c);
    }
  }
  if (!s.empty() && s.back() == ' ') s.pop_back();
  std::string out;
  out.reserve(s.size() + 8);
  NormalizeAppend(s, out);
  return out;
}

bool MaskToken(std::string_view token, std::string& out) {
  // One pass: digits, '/', '<' need the full treatment; a piece starting with t/f/n/r may be a
  // default variable word (true, false, null, root).
  bool plain = true;
  bool maybe_word = false;
  bool piece_start = true;
  for (char c : token) {
    if (IsDigit(c) || c == '/' || c == '<') {
      plain = false;
      break;
    }
    if (piece_start) {
      char l = static_cast<char>(c | 0x20);
      maybe_word = maybe_word || l == 't' || l == 'f' || l == 'n' || l == 'r';
    }
    piece_start = IsTokenDelimiter(c);
  }
  if (plain && maybe_word && token.size() >= 4) {
    size_t start = 0;
    for (size_t i = 0; i <= token.size() && plain; ++i) {
      if (i == token.size() || IsTokenDelimiter(token[i])) {
        if (IsDefaultVariableWord(token.substr(start, i - start))) plain = false;
        start = i + 1;
      }
    }
  }
  if (plain) {
    out += token;
    return false;
  }
  if (token.size() > kMaxMaskedTokenBytes || IsUuid(token) || IsMac(token)) {
    out += kWildcard;
    return true;
  }
  std::string masked;
  masked.reserve(token.size());
  // URLs: keep the scheme, the rest up to trailing closing punctuation is one variable.
  size_t scheme = token.find("://");
  if (scheme != std::string_view::npos && scheme > 0) {
    size_t begin = scheme;
    while (begin > 0 && (IsAlpha(token[begin - 1]) || IsDigit(token[begin - 1]) ||
                         token[begin - 1] == '.' || token[begin - 1] == '+' ||
                         token[begin - 1] == '-')) {
      --begin;
    }
    size_t end = token.size();
    while (end > scheme + 3 && std::string_view("])}\"',;").find(token[end - 1]) !=
                                   std::string_view::npos) {
      --end;
    }
    if (begin < scheme && end > scheme + 3) {
      masked.append(token.substr(0, scheme + 3));
      masked += kWildcard;
      masked.append(token.substr(end));
      NormalizeAppend(masked, out);
      return true;
    }
  }
  // Pieces between token delimiters, '/', '<' and '>' ("<*>" from a mask stays whole).
  bool any = false;
  size_t start = 0;
  for (size_t i = 0; i <= token.size(); ++i) {
    // (Checked byte by byte: a compare() per character was a tenth of the miner's time.)
    if (start == i && i + 2 < token.size() && token[i] == '<' && token[i + 1] == '*' &&
        token[i + 2] == '>') {
      masked += kWildcard;
      i += 2;
      start = i + 1;
      continue;
    }
    if (i == token.size() || IsPieceDelimiter(token[i])) {
      std::string_view piece = token.substr(start, i - start);
      if (IsVariablePiece(piece)) {
        // A leading minus sign belongs to the number.
        if (!masked.empty() && masked.back() == '-' && IsDigit(piece[0]) &&
            (masked.size() == 1 || IsPieceDelimiter(masked[masked.size() - 2]) ||
             masked[masked.size() - 2] == '_')) {
          masked.pop_back();
        }
        masked += kWildcard;
        any = true;
      } else {
        masked += piece;
      }
      if (i < token.size()) masked.push_back(token[i]);
      start = i + 1;
    }
  }
  if (!any && token.find('/') == std::string_view::npos &&
      token.find(kWildcard) == std::string_view::npos) {
    // Nothing masked and nothing path-like: only default words can still change.
    bool word = false;
    size_t begin = 0;
    for (size_t i = 0; i <= token.size() && !word; ++i) {
      if (i == token.size() || IsTokenDelimiter(token[i])) {
        word = IsDefaultVariableWord(token.substr(begin, i - begin));
        begin = i + 1;
      }
    }
    if (!word) {
      out += token;
      return false;
    }
  }
  const size_t before = out.size();
  NormalizeAppend(masked, out);
  return any || std::string_view(out).substr(before) != token;
}

}  // namespace dai::logmine
