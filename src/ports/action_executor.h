// ActionExecutor: performs one kind of healing action on a target (restart a supervised
// process, restart a systemd unit, call a webhook, act through the Kubernetes API). The
// Self-Healing module depends on this interface; src/cli wires the implementations
// (adapters/runner, adapters/kubernetes ...). Values from signals arrive as data (JSON fields,
// argv elements), never as text to interpret.
// Thread-safety: implementations must be safe for concurrent calls.
#pragma once

#include <cstdint>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace dai {

struct ActionRequest {
  int64_t action_id = 0;
  std::string rule_name;
  std::string action_type;       //!< healing_rules.action_type, e.g. "restart_process"
  std::string target;            //!< already checked against the rule's explicit selector
  Json config = Json::object();  //!< the rule's actionConfig (validated by the engine)
  Json signal = Json::object();  //!< {labels, fingerprint} of the triggering signal
};

class ActionExecutor {
 public:
  virtual ~ActionExecutor() = default;
  //! Performs the action and checks its immediate effect (the process is up and healthy, the
  //! unit is active, the webhook answered 2xx ...). Returns details for the audit row; an
  //! error status (naming what failed) when the action or that check failed.
  virtual Result<Json> Execute(const ActionRequest& request) = 0;
  //! Describes what Execute would do, touching nothing. NOT_FOUND / FAILED_PRECONDITION when
  //! Execute would certainly fail (unknown target, integration not configured).
  virtual Result<Json> DryRun(const ActionRequest& request) = 0;
};

}  // namespace dai
