// AssistantService (issue #12): answers questions about the platform's own data through
// read-only tools, with citations to the records it used.
//
// Tools are procedures of this server's registry. The server — not the prompt — enforces
// what the model may do: a tool call runs only when the procedure is on the allow-list, is a
// query (never a mutation), is implemented, its arguments validate against the procedure's
// input schema, and the asking person's role is high enough; anything else is refused, the
// refusal is returned to the model as the tool result and recorded. The model may *propose*
// actions (propose_action): they are recorded with the answer for a person to approve; the
// assistant cannot execute them. A proposal to run a runbook becomes an ordinary runbook
// execution awaiting a person's approval (SetProposeRunbook; the Incident Commander's approval
// flow, whatever the runbook's own requiresApproval says). Tool results are passed to the model as
// quoted data (engines/assistant QuoteData), after secrets (engines/secrets) and personal data are
// redacted.
//
// Without an LLM (or when it fails), a fixed set of intents ("what is on fire", "why is X
// failing", "what did we spend on Y") is answered from the same tools with templated answers
// that say plainly that no LLM is configured.
// Thread-safety: Ask() may be called concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/llm/llm_client.h"
#include "core/clock.h"
#include "modules/assistant/redactor.h"
#include "registry/procedure.h"
#include "store/database.h"

namespace dai::assistant {

struct AssistantOptions {
  //! Procedures the model may call (each must be a query of the registry).
  std::vector<std::string> tools = {
      "incidentCommander.list",       "incidentCommander.get",
      "costOptimizer.getCosts",       "costOptimizer.getRecommendations",
      "costOptimizer.forecast",       "cicdOrchestrator.listPipelines",
      "cicdOrchestrator.listRuns",    "cicdOrchestrator.getRun",
      "cicdOrchestrator.testHealth",  "securityGuardian.getVulnerabilities",
      "securityGuardian.getScans",    "selfHealing.listRules",
      "selfHealing.getHistory",       "metrics.query",
      "notifications.listDeliveries", "documentationGenerator.listDocs"};
  int max_rounds = 4;     //!< model turns with tool calls before giving up
  int max_proposals = 3;  //!< approvals one answer may request; more are refused
  int max_tool_calls_per_round = 8;
  size_t max_tool_result_bytes = 8000;
  size_t max_answer_bytes = 20000;
};

class AssistantService {
 public:
  //! `llm` may be null (no LLM configured; it may be shared with an LlmNarrator). `registry`
  //! must outlive the service.
  AssistantService(store::Database& db, const Clock& clock, const ProcedureRegistry& registry,
                   std::shared_ptr<llm::LlmClient> llm, AssistantOptions options = {});
  ~AssistantService();

  void RegisterProcedures(ProcedureRegistry& registry);

  //! Answers `question` for the caller in `ctx`; records the answer. Never executes a mutation.
  Result<Json> Ask(const std::string& question, CallContext& ctx);
  //! Runs one tool call under the server's policy (see the file comment). PERMISSION_DENIED
  //! naming the procedure when it is not an allow-listed query the caller may run.
  Result<Json> CallTool(const std::string& procedure, const Json& args, CallContext& ctx);
  //! The OpenAI "tools" array offered to the model.
  Json ToolDefinitions() const;
  bool llm_configured() const { return llm_ != nullptr; }

  //! Creates a runbook execution that waits for a person's approval (never runs before one):
  //! runbook id, incident id, parameters, and the actor to record ("assistant for NAME").
  //! Returns the execution ({id, status, ...}).
  using ProposeRunbook = std::function<Result<Json>(
      int64_t runbook_id, std::optional<int64_t> incident_id,
      const std::map<std::string, std::string>& parameters, const std::string& actor)>;
  //! Set by the app; unset, runbook proposals are only recorded with the answer.
  void SetProposeRunbook(ProposeRunbook propose) { propose_runbook_ = std::move(propose); }
  //! Records a proposal to apply a cost recommendation, which waits for a person's decision
  //! (costOptimizer.decideProposal): recommendation id, reason, actor. Unset: only recorded.
  using ProposeRecommendation = std::function<Result<Json>(
      int64_t recommendation_id, const std::string& reason, const std::string& actor)>;
  void SetProposeRecommendation(ProposeRecommendation propose) {
    propose_recommendation_ = std::move(propose);
  }

 private:
  Result<Json> AskLlm(const std::string& question, CallContext& ctx, Json* record);
  //! Handles one propose_action call: records it in `record` and returns the tool result text.
  std::string Propose(const Json& args, CallContext& ctx, Json* record, Json* call);
  Result<Json> AskFallback(const std::string& question, CallContext& ctx, Json* record,
                           const std::string& why);
  std::string Redact(const std::string& text);

  store::Database& db_;
  const Clock& clock_;
  const ProcedureRegistry& registry_;
  std::shared_ptr<llm::LlmClient> llm_;
  AssistantOptions options_;
  Redactor redactor_;
  ProposeRunbook propose_runbook_;
  ProposeRecommendation propose_recommendation_;
};

}  // namespace dai::assistant
