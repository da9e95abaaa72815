#include "adapters/llm/llm_client.h"

#include <thread>

namespace dai::llm {

Result<std::unique_ptr<LlmClient>> LlmClient::Create(LlmOptions options) {
  if (options.base_url.rfind("http://", 0) != 0 && options.base_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("setting llm_url: must be an http:// or https:// URL");
  }
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  if (options.model.empty() || options.model.size() > 200) {
    return Status::InvalidArgument("setting llm_model: required with llm_url (1 to 200 bytes)");
  }
  return std::unique_ptr<LlmClient>(new LlmClient(std::move(options)));
}

void LlmClient::AddSpent(double usd) {
  std::lock_guard<std::mutex> lock(mu_);
  spent_usd_ += usd;
}

double LlmClient::spent_usd() const {
  std::lock_guard<std::mutex> lock(mu_);
  return spent_usd_;
}

Result<Completion> LlmClient::Complete(const Json& messages, const Json& tools) {
  if (options_.budget_usd > 0 && spent_usd() >= options_.budget_usd) {
    return Status::ResourceExhausted("the LLM budget of $" + std::to_string(options_.budget_usd) +
                                     " is spent (setting llm_budget_usd)");
  }
  Json body = {
      {"model", options_.model}, {"messages", messages}, {"max_tokens", options_.max_tokens}};
  if (tools.is_array() && !tools.empty()) {
    body["tools"] = tools;
    body["tool_choice"] = "auto";
  }
  if (options_.stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  http::HttpClientRequest req;
  req.method = "POST";
  req.url = options_.base_url + "/chat/completions";
  req.body = DumpJson(body);
  req.headers = {{"Content-Type", "application/json"},
                 {"Accept", options_.stream ? "text/event-stream" : "application/json"}};
  if (!options_.api_key.empty()) {
    if (options_.auth_header == LlmAuthHeader::kApiKey) {
      req.headers.emplace_back("api-key", options_.api_key);
    } else {
      req.headers.emplace_back("Authorization", "Bearer " + options_.api_key);
    }
  }
  Completion out;
  for (int attempt = 0;; ++attempt) {
    ++out.http_attempts;
    auto resp = http_.Send(req);
    if (!resp.ok()) {
      if (resp.status().code() == StatusCode::kDeadlineExceeded) {
        return Status::DeadlineExceeded("the LLM did not answer in time (" +
                                        resp.status().message() + ")");
      }
      if (resp.status().code() == StatusCode::kPayloadTooLarge) {
        return Status::InvalidArgument("the LLM's answer is too large (" + resp.status().message() +
                                       ")");
      }
      return Status::Unavailable("the LLM is unreachable: " + resp.status().message());
    }
    const int code = resp->status;
    if (code == 429 || code >= 500) {
      const std::string message =
          assistant::ParseErrorMessage(resp->body).value_or(resp->body.substr(0, 200));
      if (attempt >= options_.max_retries) {
        if (code == 429) {
          return Status::ResourceExhausted("the LLM is rate limiting (HTTP 429 after " +
                                           std::to_string(attempt + 1) + " attempts): " + message);
        }
        return Status::Unavailable("the LLM answered HTTP " + std::to_string(code) + " after " +
                                   std::to_string(attempt + 1) + " attempts: " + message);
      }
      std::chrono::milliseconds wait = std::chrono::milliseconds(200) * (1 << attempt);
      if (auto ra = resp->Header("retry-after")) {
        char* end = nullptr;
        const double seconds = std::strtod(ra->c_str(), &end);
        if (end != ra->c_str() && seconds >= 0)
          wait = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
      }
      std::this_thread::sleep_for(std::min(wait, options_.max_retry_wait));
      continue;
    }
    if (code < 200 || code >= 300) {
      const std::string message =
          assistant::ParseErrorMessage(resp->body).value_or(resp->body.substr(0, 200));
      return Status::Unavailable("the LLM refused the request (HTTP " + std::to_string(code) +
                                 "): " + message);
    }
    const auto content_type = resp->Header("content-type").value_or("");
    if (content_type.find("text/event-stream") != std::string::npos) {
      assistant::StreamAccumulator acc;
      DAI_RETURN_IF_ERROR(acc.Feed(resp->body).WithContext("reading the LLM's stream"));
      DAI_RETURN_IF_ERROR(acc.Feed("\n\n"));  // a last event without its blank line
      DAI_ASSIGN_OR_RETURN(out.response, acc.Finish());
    } else {
      DAI_ASSIGN_OR_RETURN(out.response, assistant::ParseChatCompletion(resp->body));
    }
    break;
  }
  out.cost_usd = static_cast<double>(out.response.usage.prompt_tokens) / 1000.0 *
                     options_.usd_per_1k_prompt_tokens +
                 static_cast<double>(out.response.usage.completion_tokens) / 1000.0 *
                     options_.usd_per_1k_completion_tokens;
  AddSpent(out.cost_usd);
  return out;
}

}  // namespace dai::llm
