#include "modules/assistant/redactor.h"

#include <algorithm>

#include "engines/assistant/assistant.h"
#include "engines/secrets/builtin_rules.h"
#include "engines/secrets/secret_scanner.h"

namespace dai::assistant {

Redactor::Redactor() = default;
Redactor::~Redactor() = default;

std::string Redactor::Redact(const std::string& text) {
  std::string out = RedactPersonalData(text);
  std::lock_guard<std::mutex> lock(mu_);
  if (!scanner_ && !failed_) {
    auto s = secrets::SecretScanner::Create(secrets::BuiltinRules());
    if (s.ok()) {
      scanner_ = std::move(s).value();
    } else {
      failed_ = true;
    }
  }
  if (!scanner_) return out;
  auto scratch = scanner_->NewScratch();
  if (!scratch.ok()) return out;
  auto found = scanner_->Scan(out, "assistant", **scratch);
  if (!found.ok()) return out;
  // Replace from the end so earlier offsets stay valid.
  auto findings = found->findings;
  std::sort(findings.begin(), findings.end(),
            [](const auto& a, const auto& b) { return a.offset > b.offset; });
  for (const auto& f : findings) {
    if (f.offset + f.length <= out.size())
      out.replace(f.offset, f.length, "<secret:" + f.rule_id + ">");
  }
  return out;
}

}  // namespace dai::assistant
