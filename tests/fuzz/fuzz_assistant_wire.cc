// Fuzzes the OpenAI wire-format parsers the assistant trusts least: a whole chat.completion
// body, a streamed answer fed in two pieces, the error body, and the fallback classifier.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engines/assistant/assistant.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)dai::assistant::ParseChatCompletion(in);
  (void)dai::assistant::ParseErrorMessage(in);
  dai::assistant::StreamAccumulator acc(4096);
  const size_t half = size / 2;
  if (acc.Feed(in.substr(0, half)).ok() && acc.Feed(in.substr(half)).ok()) (void)acc.Finish();
  (void)dai::assistant::ClassifyQuestion(in);
  (void)dai::assistant::RedactPersonalData(in);
  (void)dai::assistant::ProcedureName(dai::assistant::ToolName(in.substr(0, 128)));
  return 0;
}
