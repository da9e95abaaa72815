// Masker: applies user-supplied mask regexes (Loghub's per-system `regex` lists) to a message
// before template mining. Each match is a variable region; it is rewritten with the built-in
// token masking (so `core.2275` keeps its constant part as `core.<*>` and `10.1.2.3:50010`
// becomes `<*>:<*>`), or as `<*>` when no built-in class applies. Whitespace inside a match is
// kept, so the message keeps its token count.
// Regexes are RE2 (linear time; no backreferences or lookaround: such a mask is rejected with a
// clear message instead of risking catastrophic backtracking on hostile lines).
// Thread-safety: immutable after Create(); Apply() is const and safe from many threads.
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

class Masker {
 public:
  Masker();
  ~Masker();
  Masker(Masker&&) noexcept;
  Masker& operator=(Masker&&) noexcept;

  //! Compiles the masks; INVALID_ARGUMENT naming the first mask that does not compile.
  static Result<Masker> Create(const std::vector<std::string>& masks);

  //! Writes `content` with every mask match rewritten into `out` (cleared first). Masks apply
  //! in order, each to the output of the previous one. Returns false when there are no masks
  //! (then `out` is untouched and the caller should use `content` as is).
  bool Apply(std::string_view content, std::string& out) const;

  bool empty() const { return regexes_.empty(); }
  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  std::vector<std::string> patterns_;
  std::vector<std::unique_ptr<re2::RE2>> regexes_;
};

//! Rewrites one variable region (see Masker) and appends it to `out`.
void AppendMaskedRegion(std::string_view region, std::string& out);

}  // namespace dai::logmine
