// RunbookActionExecutor: the run_runbook healing action. Starts an execution of the rule's
// runbook through the Incident Commander's runbook service (so the runbook's own approval
// rules still apply: an execution that waits for a human keeps waiting) and waits for it to
// finish; the action's verification is the execution's success (the result carries
// verified: true). The signal's labels are offered as the runbook's parameters (only those it
// declares are used; a declared one without a value fails the start, naming it).
// Thread-safety: safe for concurrent calls (the hooks must be).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "core/clock.h"
#include "ports/action_executor.h"

namespace dai::self_healing {

class RunbookActionExecutor final : public ActionExecutor {
 public:
  struct Hooks {
    //! Starts runbook `runbook_id` (parameters chosen from `labels`) as `actor`; answers the
    //! execution ({id, status, ...}).
    std::function<Result<Json>(int64_t runbook_id, const std::map<std::string, std::string>& labels,
                               const std::string& actor)>
        start;
    //! The execution now ({id, status, error?}).
    std::function<Result<Json>(int64_t execution_id)> get;
    //! The runbook ({id, name, enabled, ...}), for dry runs.
    std::function<Result<Json>(int64_t runbook_id)> describe;
  };
  explicit RunbookActionExecutor(Hooks hooks, Millis poll = Millis(100))
      : hooks_(std::move(hooks)), poll_(poll) {}

  Result<Json> Execute(const ActionRequest& request) override;
  Result<Json> DryRun(const ActionRequest& request) override;

 private:
  Hooks hooks_;
  Millis poll_;
};

}  // namespace dai::self_healing
