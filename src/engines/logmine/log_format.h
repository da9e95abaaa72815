// LogFormat: a per-source line layout in Loghub's `<Field>` syntax, e.g.
// `<Date> <Time> <Level> <Component>: <Content>`, that splits a raw line into header fields and
// the message (`<Content>`) that the template miner works on.
//
// Semantics follow Loghub's benchmark scripts: each `<Name>` captures lazily (`.*?`); the text
// between fields is a regular-expression fragment (already escaped, e.g. `\[`) in which every
// run of spaces means `\s+`; the whole line must match. Formats whose separators are plain text
// take a hand-written fast path (first occurrence of each separator, the first alternative a
// backtracking matcher would try); when that fails, or the format uses regex features such as
// optional groups, RE2 (linear time) decides, with the same leftmost-first submatch semantics.
// A line that does not match is reported, never thrown on.
// Thread-safety: immutable after Parse(); Split() is const and safe from many threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace re2 {
class RE2;
}

namespace dai::logmine {

//! Why a line was rejected by LogFormat::Split.
enum class RejectReason { kNone, kFormatMismatch, kTooLong };

//! The result of splitting one line. Views point into the line passed to Split().
struct SplitLine {
  bool ok = false;
  RejectReason reason = RejectReason::kNone;
  std::vector<std::string_view> fields;  //!< one per field of the format, in format order
  std::string_view content;              //!< the `<Content>` field (or the whole line)
};

class LogFormat {
 public:
  //! The identity format: the whole line is the content.
  LogFormat();
  ~LogFormat();
  LogFormat(LogFormat&&) noexcept;
  LogFormat& operator=(LogFormat&&) noexcept;

  //! Parses a Loghub format string. INVALID_ARGUMENT when a `<...>` is unterminated or has a bad
  //! name, a field name repeats, there is no `<Content>` field, or the regex fragments do not
  //! compile. An empty format means the identity format.
  static Result<LogFormat> Parse(std::string_view format);

  //! Splits `line` (without its line ending). Never fails hard: a non-matching line comes back
  //! with ok=false and a reason. Lines longer than max_line_bytes are rejected as kTooLong.
  void Split(std::string_view line, SplitLine& out) const;

  const std::vector<std::string>& field_names() const { return field_names_; }
  //! Index of `<Content>` in field_names(), or -1 for the identity format.
  int content_index() const { return content_index_; }
  //! The RE2 pattern equivalent to the format (for messages and tests).
  const std::string& pattern() const { return pattern_; }
  //! True when the plain-text fast path is used for this format.
  bool fast_path() const { return fast_path_; }

  static constexpr size_t kMaxLineBytes = 16u << 20;

 private:
  // A separator between fields for the fast path: a sequence of plain-text pieces and
  // whitespace runs (a run of spaces in the format matches `\s+`).
  struct SepPiece {
    bool whitespace = false;
    std::string text;
  };
  using Separator = std::vector<SepPiece>;

  bool FastSplit(std::string_view line, SplitLine& out) const;
  // Length of a match of `sep` at line[pos] (greedy whitespace), or npos.
  static size_t MatchSeparatorAt(const Separator& sep, std::string_view line, size_t pos);

  std::vector<std::string> field_names_;
  int content_index_ = -1;
  std::string pattern_;
  bool fast_path_ = false;
  Separator prefix_;                 // text before the first field
  std::vector<Separator> after_;     // after_[i]: separator following field i (last may be empty)
  std::unique_ptr<re2::RE2> regex_;  // null for the identity format
  std::unique_ptr<re2::RE2> prefix_regex_;  // the pattern without a trailing `(.*?)$` Content
  // One optional group `(...)?` in an otherwise plain format (Thunderbird's `(\[<PID>\])?`):
  // the plain formats with the group present and absent, tried by the fast path before RE2.
  std::unique_ptr<LogFormat> with_group_;
  std::unique_ptr<LogFormat> without_group_;
  int group_field_ = -1;          // index of the field just before the group
  std::vector<int> without_map_;  // without_group_ field index -> our field index
  bool SplitAlternatives(std::string_view line, SplitLine& out) const;
};

//! Human-readable name of a reject reason ("format_mismatch", "too_long").
std::string_view RejectReasonName(RejectReason reason);

}  // namespace dai::logmine
