// Narrator: writes prose (an incident narrative, a release-note summary, a document's summary
// paragraph) from facts a module computed deterministically. The Incident Commander, CI/CD and
// the Documentation Generator depend on this interface; src/cli wires the implementation
// (modules/assistant LlmNarrator, an OpenAI-compatible LLM) when llm_url is configured, and
// leaves it null otherwise. The facts are data: the implementation redacts secrets and personal
// data and passes them to the model as quoted data. The prose is text to show, never executed,
// and never reaches a shell or SQL text.
// Thread-safety: implementations must be safe for concurrent calls.
#pragma once

#include <cstdint>
#include <string>

#include "core/json.h"

namespace dai {

struct NarrationRequest {
  std::string purpose;       //!< "postmortem", "release_notes", "docs.architecture" ... (recorded)
  std::string instructions;  //!< what to write, e.g. "a 2-4 paragraph narrative of ..."
  Json facts;                //!< the deterministic facts (redacted before they leave the host)
  size_t max_bytes = 4000;   //!< longer prose is cut
};

struct Narration {
  bool written_by_llm = false;
  std::string text;             //!< the prose when written_by_llm; empty otherwise
  std::string model;            //!< the model that wrote it
  std::string fallback_reason;  //!< why there is no prose (error, timeout, budget)
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  double cost_usd = 0;

  //! {"mode":"llm","model":...} or {"mode":"deterministic","reason":...} for stored metadata.
  Json ToJson() const {
    Json j = {{"mode", written_by_llm ? "llm" : "deterministic"}};
    if (written_by_llm) {
      j["model"] = model;
      j["promptTokens"] = prompt_tokens;
      j["completionTokens"] = completion_tokens;
      j["costUsd"] = cost_usd;
    } else {
      j["reason"] = fallback_reason;
    }
    return j;
  }
};

class Narrator {
 public:
  virtual ~Narrator() = default;
  //! Never fails: on an LLM error, timeout or a spent budget the narration is not written by
  //! the LLM and fallback_reason says why; the caller keeps its deterministic text.
  virtual Narration Write(const NarrationRequest& request) = 0;
};

//! `narrator`'s narration, or a deterministic one ("an LLM is not configured") when it is null.
inline Narration Narrate(Narrator* narrator, const NarrationRequest& request) {
  if (narrator != nullptr) return narrator->Write(request);
  Narration n;
  n.fallback_reason = "an LLM is not configured";
  return n;
}

}  // namespace dai
