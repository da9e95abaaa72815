// LlmClient (issue #12): any OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI
// through its OpenAI-compatible /openai/v1 route and its api-key header, Ollama, vLLM, llama.cpp
// server, LM Studio) through the one outbound HttpClient: base URL, model, bearer key, timeouts,
// streaming (text/event-stream parsed by engines/assistant), tool calls, token and cost accounting
// per request, a global budget, and bounded retries of 429/5xx answers (Retry-After honoured up to
// a cap). Disabled unless a base URL is configured.
// Thread-safety: Complete() may be called concurrently; accounting is atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "adapters/http/http_client.h"
#include "core/json.h"
#include "core/status.h"
#include "engines/assistant/assistant.h"

namespace dai::llm {

//! How the API key is sent.
enum class LlmAuthHeader {
  kBearer,  //!< "Authorization: Bearer KEY" (OpenAI, vLLM, Ollama, llama.cpp, LM Studio)
  kApiKey,  //!< "api-key: KEY" (Azure OpenAI)
};

struct LlmOptions {
  std::string base_url;  //!< ".../v1"; requests go to base_url + "/chat/completions"
  std::string model;
  std::string api_key;  //!< sent as `auth_header` says; never logged
  LlmAuthHeader auth_header = LlmAuthHeader::kBearer;
  http::HttpClientOptions http;
  bool stream = true;
  int max_tokens = 1024;
  int max_retries = 2;  //!< for 429 and 5xx answers
  std::chrono::milliseconds max_retry_wait{std::chrono::seconds(2)};
  double usd_per_1k_prompt_tokens = 0;
  double usd_per_1k_completion_tokens = 0;
  double budget_usd = 0;  //!< 0: no budget
};

struct Completion {
  assistant::ChatResponse response;
  double cost_usd = 0;
  int http_attempts = 0;
};

class LlmClient {
 public:
  //! INVALID_ARGUMENT naming the setting when the base URL or model is unusable.
  static Result<std::unique_ptr<LlmClient>> Create(LlmOptions options);

  //! One chat completion. `messages` and `tools` are OpenAI request fields (tools may be
  //! empty). Errors: RESOURCE_EXHAUSTED (budget spent, or still rate limited after retries),
  //! UNAVAILABLE (server error or unreachable, naming the status and the server's message),
  //! DEADLINE_EXCEEDED, INVALID_ARGUMENT (a malformed answer, naming the field).
  Result<Completion> Complete(const Json& messages, const Json& tools);

  //! Adds spending recorded earlier (the store's total at start-up).
  void AddSpent(double usd);
  double spent_usd() const;
  const LlmOptions& options() const { return options_; }

 private:
  explicit LlmClient(LlmOptions options) : options_(std::move(options)), http_(options_.http) {}
  LlmOptions options_;
  http::HttpClient http_;
  mutable std::mutex mu_;
  double spent_usd_ = 0;
};

}  // namespace dai::llm
