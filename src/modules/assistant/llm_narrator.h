// LlmNarrator: the Narrator port (src/ports/narrator.h) through the OpenAI-compatible LLM of
// the assistant (the same client, so the same token/cost accounting and global budget). The
// facts are redacted (secrets engine rules, e-mail and IPv4 addresses) and passed as quoted
// data (engines/assistant QuoteData); no tools are offered, so the model can only write text.
// Every call is recorded in llm_calls (purpose, model, tokens, cost, error) so its cost counts
// toward the budget after a restart.
// Thread-safety: Write() may be called concurrently.
#pragma once

#include <memory>

#include "adapters/llm/llm_client.h"
#include "core/clock.h"
#include "modules/assistant/redactor.h"
#include "ports/narrator.h"
#include "store/database.h"

namespace dai::assistant {

class LlmNarrator : public Narrator {
 public:
  //! `llm` must not be null.
  LlmNarrator(store::Database& db, const Clock& clock, std::shared_ptr<llm::LlmClient> llm);

  Narration Write(const NarrationRequest& request) override;

 private:
  store::Database& db_;
  const Clock& clock_;
  std::shared_ptr<llm::LlmClient> llm_;
  Redactor redactor_;
};

}  // namespace dai::assistant
