#include "engines/logmine/log_format.h"

#include <algorithm>

#include <re2/re2.h>

#include <cctype>

namespace dai::logmine {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Characters that make a fragment a real regex (beyond escaped literals).
bool IsRegexMeta(char c) {
  switch (c) {
    case '.':
    case '^':
    case '$':
    case '*':
    case '+':
    case '?':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '|':
      return true;
    default:
      return false;
  }
}

// Converts one literal fragment of the format: runs of spaces become `\s+` in the regex; for the
// fast path, returns false when the fragment uses regex features other than escaped literals.
bool ConvertFragment(std::string_view frag, std::string& regex, std::vector<std::string>* texts,
                     std::vector<bool>* ws) {
  bool plain = true;
  std::string text;
  auto flush = [&] {
    if (!text.empty()) {
      texts->push_back(text);
      ws->push_back(false);
      text.clear();
    }
  };
  for (size_t i = 0; i < frag.size();) {
    char c = frag[i];
    if (c == ' ') {
      while (i < frag.size() && frag[i] == ' ') ++i;
      regex += "\\s+";
      flush();
      texts->push_back("");
      ws->push_back(true);
      continue;
    }
    if (c == '\\' && i + 1 < frag.size()) {
      char n = frag[i + 1];
      regex += c;
      regex += n;
      if (std::isalnum(static_cast<unsigned char>(n)) != 0) {
        plain = false;  // \s, \d, \b ...: a class, not a literal
      } else {
        text += n;
      }
      i += 2;
      continue;
    }
    if (IsRegexMeta(c)) plain = false;
    regex += c;
    text += c;
    ++i;
  }
  flush();
  return plain;
}

}  // namespace

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kNone:
      return "none";
    case RejectReason::kFormatMismatch:
      return "format_mismatch";
    case RejectReason::kTooLong:
      return "too_long";
  }
  return "unknown";
}

LogFormat::LogFormat() = default;
LogFormat::~LogFormat() = default;
LogFormat::LogFormat(LogFormat&&) noexcept = default;
LogFormat& LogFormat::operator=(LogFormat&&) noexcept = default;

Result<LogFormat> LogFormat::Parse(std::string_view format) {
  LogFormat f;
  if (format.empty()) return f;
  std::string regex = "^";
  bool plain = true;
  std::vector<std::string> fragments;  // fragments[i] precedes field i; last one trails
  size_t pos = 0;
  std::string current;
  while (pos < format.size()) {
    char c = format[pos];
    if (c == '\\' && pos + 1 < format.size()) {
      current += format.substr(pos, 2);
      pos += 2;
      continue;
    }
    if (c == '<') {
      size_t end = pos + 1;
      while (end < format.size() && IsNameChar(format[end])) ++end;
      if (end == pos + 1 || end >= format.size() || format[end] != '>') {
        return Status::InvalidArgument("log format: '<' at offset " + std::to_string(pos) +
                                       " does not open a <Name> field");
      }
      std::string name(format.substr(pos + 1, end - pos - 1));
      for (const auto& n : f.field_names_) {
        if (n == name) return Status::InvalidArgument("log format: field <" + name + "> repeats");
      }
      fragments.push_back(current);
      current.clear();
      f.field_names_.push_back(name);
      pos = end + 1;
      continue;
    }
    current += c;
    ++pos;
  }
  fragments.push_back(current);
  for (size_t i = 0; i < f.field_names_.size(); ++i) {
    if (f.field_names_[i] == "Content") f.content_index_ = static_cast<int>(i);
  }
  if (f.content_index_ < 0) {
    return Status::InvalidArgument("log format: no <Content> field in '" + std::string(format) +
                                   "'");
  }
  // Build the regex and the fast-path separators.
  std::vector<Separator> seps;
  for (size_t i = 0; i < fragments.size(); ++i) {
    std::vector<std::string> texts;
    std::vector<bool> ws;
    plain = ConvertFragment(fragments[i], regex, &texts, &ws) && plain;
    Separator sep;
    for (size_t k = 0; k < texts.size(); ++k) sep.push_back({ws[k], texts[k]});
    seps.push_back(std::move(sep));
    if (i < f.field_names_.size()) regex += "(.*?)";
  }
  // When <Content> is the last field and nothing follows it, `(.*?)$` always matches the rest:
  // the highest-priority match of the whole pattern is the highest-priority match of the part
  // before it, anchored at the start only. RE2 can then stop after the header instead of
  // carrying capture threads to the end of a long message.
  std::string prefix_regex;
  if (f.content_index_ + 1 == static_cast<int>(f.field_names_.size()) && fragments.back().empty()) {
    prefix_regex = regex.substr(0, regex.size() - 5);  // drop the trailing "(.*?)"
  }
  regex += "$";
  f.pattern_ = regex;
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(true);
  options.set_max_mem(64 << 20);
  f.regex_ = std::make_unique<RE2>(regex, options);
  if (!f.regex_->ok()) {
    return Status::InvalidArgument("log format: regex fragment does not compile: " +
                                   f.regex_->error());
  }
  if (!prefix_regex.empty()) {
    f.prefix_regex_ = std::make_unique<RE2>(prefix_regex, options);
    if (!f.prefix_regex_->ok()) f.prefix_regex_.reset();
  }
  if (f.regex_->NumberOfCapturingGroups() != static_cast<int>(f.field_names_.size())) {
    plain = false;  // groups inside fragments, e.g. `(\[<PID>\])?`
  }
  // Adjacent fields with no separator cannot be split by the fast path.
  for (size_t i = 1; i + 1 < seps.size(); ++i) {
    if (seps[i].empty()) plain = false;
  }
  f.fast_path_ = plain;
  if (plain) {
    f.prefix_ = seps.front();
    f.after_.assign(seps.begin() + 1, seps.end());
  } else {
    // One optional group without nested groups, `(X)?`, in an otherwise plain format: keep the
    // two plain formats (X present, X absent) for the fast path.
    const size_t open = format.find('(');
    const size_t close = open == std::string_view::npos ? open : format.find(")?", open);
    if (close != std::string_view::npos && (open == 0 || format[open - 1] != '\\') &&
        format.find('(', open + 1) > close && format.find('(', close) == std::string_view::npos &&
        format[close - 1] != '\\') {
      std::string with(format.substr(0, open));
      with.append(format.substr(open + 1, close - open - 1));
      with.append(format.substr(close + 2));
      std::string without(format.substr(0, open));
      without.append(format.substr(close + 2));
      auto a = Parse(with);
      auto b = Parse(without);
      if (a.ok() && b.ok() && a->fast_path_ && b->fast_path_ && a->field_names_ == f.field_names_) {
        // The field just before the group: the last field name before `open`.
        int before = -1;
        const size_t lt = format.rfind('<', open);
        if (lt != std::string_view::npos) {
          const size_t gt = format.find('>', lt);
          const std::string name(format.substr(lt + 1, gt - lt - 1));
          for (size_t k = 0; k < f.field_names_.size(); ++k) {
            if (f.field_names_[k] == name) before = static_cast<int>(k);
          }
        }
        bool mapped = before >= 0;
        std::vector<int> map;
        for (const auto& n : b->field_names_) {
          auto it = std::find(f.field_names_.begin(), f.field_names_.end(), n);
          if (it == f.field_names_.end()) mapped = false;
          map.push_back(static_cast<int>(it - f.field_names_.begin()));
        }
        if (mapped) {
          f.group_field_ = before;
          f.without_map_ = std::move(map);
          f.with_group_ = std::make_unique<LogFormat>(std::move(*a));
          f.without_group_ = std::make_unique<LogFormat>(std::move(*b));
        }
      }
    }
  }
  return f;
}

bool LogFormat::SplitAlternatives(std::string_view line, SplitLine& out) const {
  // A backtracking matcher tries, at each end position of the field before the group, the group
  // first and then its absence: the earlier end wins, the group on a tie. The fast path finds
  // each variant's first candidate; when a variant has none, no later one exists either.
  SplitLine a, b;
  a.fields.assign(with_group_->field_names_.size(), std::string_view());
  b.fields.assign(without_group_->field_names_.size(), std::string_view());
  const bool has_a = with_group_->FastSplit(line, a);
  const bool has_b = without_group_->FastSplit(line, b);
  if (!has_a && !has_b) return false;
  const size_t bk = static_cast<size_t>(
      std::find(without_map_.begin(), without_map_.end(), group_field_) - without_map_.begin());
  auto end_of = [&](const std::string_view& v) {
    return static_cast<size_t>(v.data() - line.data()) + v.size();
  };
  const bool use_a = has_a && (!has_b || end_of(a.fields[group_field_]) <= end_of(b.fields[bk]));
  if (use_a) {
    out.fields = a.fields;
  } else {
    for (size_t k = 0; k < b.fields.size(); ++k) out.fields[without_map_[k]] = b.fields[k];
  }
  return true;
}

size_t LogFormat::MatchSeparatorAt(const Separator& sep, std::string_view line, size_t pos) {
  size_t p = pos;
  for (const auto& piece : sep) {
    if (piece.whitespace) {
      if (p >= line.size() || !IsSpace(line[p])) return std::string_view::npos;
      while (p < line.size() && IsSpace(line[p])) ++p;
    } else {
      if (line.compare(p, piece.text.size(), piece.text) != 0) return std::string_view::npos;
      p += piece.text.size();
    }
  }
  return p - pos;
}

bool LogFormat::FastSplit(std::string_view line, SplitLine& out) const {
  size_t pos = 0;
  size_t n = MatchSeparatorAt(prefix_, line, 0);
  if (n == std::string_view::npos) return false;
  pos = n;
  const size_t fields = field_names_.size();
  for (size_t i = 0; i < fields; ++i) {
    const Separator& sep = after_[i];
    if (i + 1 == fields) {
      // Last field: the trailing separator must end the line.
      if (sep.empty()) {
        out.fields[i] = line.substr(pos);
        return true;
      }
      for (size_t start = pos; start <= line.size(); ++start) {
        size_t m = MatchSeparatorAt(sep, line, start);
        if (m != std::string_view::npos && start + m == line.size()) {
          out.fields[i] = line.substr(pos, start - pos);
          return true;
        }
      }
      return false;
    }
    // First position where the separator matches. Start the scan at a candidate character.
    size_t start = pos;
    const SepPiece& first = sep.front();
    for (;;) {
      if (first.whitespace) {
        while (start < line.size() && !IsSpace(line[start])) ++start;
      } else {
        start = line.find(first.text, start);
        if (start == std::string_view::npos) return false;
      }
      if (start >= line.size()) return false;
      size_t m = MatchSeparatorAt(sep, line, start);
      if (m != std::string_view::npos) {
        out.fields[i] = line.substr(pos, start - pos);
        pos = start + m;
        break;
      }
      ++start;
    }
  }
  return pos == line.size();
}

void LogFormat::Split(std::string_view line, SplitLine& out) const {
  out.ok = false;
  out.reason = RejectReason::kNone;
  out.content = {};
  out.fields.assign(field_names_.size(), std::string_view());
  if (line.size() > kMaxLineBytes) {
    out.reason = RejectReason::kTooLong;
    return;
  }
  if (!regex_) {
    out.ok = true;
    out.content = line;
    return;
  }
  if (fast_path_ && FastSplit(line, out)) {
    out.ok = true;
    out.content = out.fields[content_index_];
    return;
  }
  if (with_group_ && SplitAlternatives(line, out)) {
    out.ok = true;
    out.content = out.fields[content_index_];
    return;
  }
  // Regex path: the exact Loghub semantics (used when the fast path fails, e.g. a separator
  // that also occurs inside an earlier field, or for formats with regex features).
  const RE2& re = prefix_regex_ ? *prefix_regex_ : *regex_;
  const int groups = re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> caps(groups + 1);
  if (!re.Match(re2::StringPiece(line.data(), line.size()), 0, line.size(),
                prefix_regex_ ? RE2::ANCHOR_START : RE2::ANCHOR_BOTH, caps.data(), groups + 1)) {
    out.reason = RejectReason::kFormatMismatch;
    return;
  }
  // Field groups are the `(.*?)` groups; fragments may add their own groups before them, so map
  // by scanning the pattern for our field groups in order.
  size_t field = 0;
  int group = 0;
  const std::string& p = pattern_;
  for (size_t i = 0; i < p.size() && field < field_names_.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] == '(' && (i + 1 >= p.size() || p[i + 1] != '?')) {
      ++group;
      if (group > groups) break;
      if (p.compare(i, 5, "(.*?)") == 0) {
        const auto& c = caps[group];
        out.fields[field++] =
            c.data() == nullptr ? std::string_view() : std::string_view(c.data(), c.size());
      }
    }
  }
  if (prefix_regex_) {
    const size_t end = static_cast<size_t>(caps[0].data() - line.data()) + caps[0].size();
    out.fields[content_index_] = line.substr(end);
  }
  out.ok = true;
  out.content = out.fields[content_index_];
}

}  // namespace dai::logmine
