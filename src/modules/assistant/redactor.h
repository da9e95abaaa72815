// Redactor: removes what must not leave the host before text reaches an LLM — secrets (the
// secrets engine's built-in rules, each replaced by "<secret:RULE>") and personal data
// (e-mail and IPv4 addresses, engines/assistant RedactPersonalData).
// Thread-safety: Redact() may be called concurrently (the scanner is built once, on first use).
#pragma once

#include <memory>
#include <mutex>
#include <string>

namespace dai::secrets {
class SecretScanner;
}

namespace dai::assistant {

class Redactor {
 public:
  Redactor();
  ~Redactor();
  //! `text` with secrets and personal data replaced. When the secrets scanner cannot be built,
  //! only personal data is redacted.
  std::string Redact(const std::string& text);

 private:
  std::mutex mu_;
  std::unique_ptr<secrets::SecretScanner> scanner_;
  bool failed_ = false;
};

}  // namespace dai::assistant
