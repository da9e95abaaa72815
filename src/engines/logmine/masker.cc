#include "engines/logmine/masker.h"

#include <re2/re2.h>

#include "engines/logmine/template_text.h"

namespace dai::logmine {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

void AppendMaskedRegion(std::string_view region, std::string& out) {
  size_t i = 0;
  while (i < region.size()) {
    if (IsSpace(region[i])) {
      out.push_back(region[i++]);
      continue;
    }
    size_t j = i;
    while (j < region.size() && !IsSpace(region[j])) ++j;
    std::string_view part = region.substr(i, j - i);
    std::string masked;
    MaskToken(part, masked);
    if (masked.find(kWildcard) == std::string::npos) masked = kWildcard;
    out += masked;
    i = j;
  }
}

Masker::Masker() = default;
Masker::~Masker() = default;
Masker::Masker(Masker&&) noexcept = default;
Masker& Masker::operator=(Masker&&) noexcept = default;

Result<Masker> Masker::Create(const std::vector<std::string>& masks) {
  Masker m;
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(32 << 20);
  for (const auto& pattern : masks) {
    auto re = std::make_unique<RE2>(pattern, options);
    if (!re->ok()) {
      return Status::InvalidArgument("mask '" + pattern + "' does not compile: " + re->error());
    }
    m.patterns_.push_back(pattern);
    m.regexes_.push_back(std::move(re));
  }
  return m;
}

bool Masker::Apply(std::string_view content, std::string& out) const {
  if (regexes_.empty()) return false;
  std::string current(content);
  for (const auto& re : regexes_) {
    out.clear();
    re2::StringPiece input(current);
    size_t pos = 0;
    re2::StringPiece match;
    while (pos <= current.size() &&
           re->Match(input, pos, current.size(), RE2::UNANCHORED, &match, 1)) {
      size_t start = static_cast<size_t>(match.data() - current.data());
      out.append(current, pos, start - pos);
      if (match.empty()) {
        // An empty match masks nothing; step over one character to make progress.
        if (start < current.size()) out.push_back(current[start]);
        pos = start + 1;
        continue;
      }
      AppendMaskedRegion(std::string_view(match.data(), match.size()), out);
      pos = start + match.size();
    }
    if (pos < current.size()) out.append(current, pos, std::string::npos);
    current.swap(out);
  }
  out.swap(current);
  return true;
}

}  // namespace dai::logmine
