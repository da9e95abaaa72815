// Assistant engine (issue #12): the OpenAI chat-completions wire format (request bodies,
// responses, streamed chunks with tool-call deltas, error bodies), tool-name mapping, the
// fallback intents answered without an LLM, and redaction of personal data. Pure: no I/O.
// Thread-safety: free functions and a per-request accumulator; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::assistant {

struct ToolCall {
  std::string id;
  std::string name;       //!< function name as the model sent it
  std::string arguments;  //!< JSON text as the model sent it (may be malformed)
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct ChatResponse {
  std::string content;
  std::vector<ToolCall> tool_calls;
  std::string finish_reason;
  Usage usage;
  std::string model;
};

//! Parses a non-streamed chat.completion body. INVALID_ARGUMENT naming what is malformed
//! ("response.choices[0].message.tool_calls[1].function.name: ...").
Result<ChatResponse> ParseChatCompletion(std::string_view body);

//! The message of an OpenAI error body {"error":{"message","type","code"}}, or nullopt.
std::optional<std::string> ParseErrorMessage(std::string_view body);

//! Accumulates a streamed answer (text/event-stream of chat.completion.chunk objects): content
//! deltas are appended; tool-call deltas are merged by index (id and name from the first
//! chunk, arguments appended). Bounded: more than `max_bytes` of content+arguments is an error.
class StreamAccumulator {
 public:
  explicit StreamAccumulator(size_t max_bytes = 1 << 20) : max_bytes_(max_bytes) {}
  //! Feeds raw bytes (any split). INVALID_ARGUMENT on a malformed event or the size limit.
  Status Feed(std::string_view bytes);
  //! True once "data: [DONE]" arrived.
  bool done() const { return done_; }
  //! The accumulated response; FAILED_PRECONDITION when the stream ended without [DONE] and
  //! without a finish_reason.
  Result<ChatResponse> Finish() const;

 private:
  Status HandleEvent(std::string_view data);
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::string buffer_;
  bool done_ = false;
  ChatResponse response_;
  std::vector<int> indexes_;  // tool-call index per entry of response_.tool_calls
};

//! OpenAI function names allow [a-zA-Z0-9_-]{1,64}: "incidentCommander.list" becomes
//! "incidentCommander__list" and back.
std::string ToolName(std::string_view procedure);
std::string ProcedureName(std::string_view tool);

//! Wraps untrusted text (alerts, logs, documents, tool results) as quoted data for a prompt:
//! a JSON string inside a labelled block, so it reads as data and cannot close the block.
std::string QuoteData(std::string_view label, std::string_view text);

//! Replaces e-mail addresses and IPv4 addresses with placeholders (personal data that need not
//! leave the host). Secrets are redacted separately by the secrets engine.
std::string RedactPersonalData(std::string_view text);

//! The questions answered without an LLM.
enum class IntentKind { kOnFire, kWhyFailing, kSpend, kUnknown };
struct Intent {
  IntentKind kind = IntentKind::kUnknown;
  std::string subject;  //!< "X" in "why is X failing", "Y" in "what did we spend on Y"
};
//! Classifies a question by keywords: "what is on fire", "what's broken", "open incidents" →
//! on fire; "why is X failing/down/broken" → why failing; "what did we spend on Y", "cost of
//! Y", "how much ... Y" → spend.
Intent ClassifyQuestion(std::string_view question);

}  // namespace dai::assistant
