// Runbook engine (pure): the runbook definition (YAML or JSON), its validation, trigger
// matching, parameter expansion into argv elements, and the step planner that decides what an
// execution does next from its recorded per-step state. No I/O and no clock: the module runs
// the steps and records intent and outcome; this code only decides.
//
// A definition:
//   name: restart-api                 # [a-z0-9._-], unique
//   description: Restart the API when it stops answering
//   trigger: {labels: {service: api}, severity: [critical, high]}
//   autoExecute: false                # start by itself when an incident matches
//   requiresApproval: true            # default true: an operator approves before any step
//   parameters: [service]             # names steps may use as {{service}}
//   steps:
//     - name: restart
//       command: {argv: [/usr/bin/systemctl, restart, "{{service}}"], timeout: 30s,
//                 workdir: /, env: {LANG: C}, destructive: true}
//     - {name: settle, wait: 10s}
//     - {name: confirm, approval: "Is the API answering again?"}
//     - {name: tell, notify: "Restarted {{service}}"}
//     - {name: probe, http: {method: GET, url: "http://127.0.0.1:8080/healthz"}}
//     - {name: healthy, promql: {query: "up{job='api'} == 1", timeout: 60s}}
//     - {name: heal, healing: {action: restart_pod, target: "{{service}}"}}
//     - {name: more, runbook: other-runbook}
// Parameters are substituted inside one argv element (or the notify text, URL, query) as
// data: a value never becomes more than one argument and never reaches a shell.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/status.h"

namespace dai::runbook {

enum class StepType { kCommand, kWait, kApproval, kNotify, kHttp, kPromql, kHealing, kRunbook };
std::string_view StepTypeName(StepType t);

struct Step {
  std::string name;
  StepType type = StepType::kWait;
  // command
  std::vector<std::string> argv;
  std::string workdir;
  std::map<std::string, std::string> env;
  Millis timeout{60'000};
  bool destructive = false;  //!< needs a human approval on critical incidents
  //! What happens to this step when the process running it stops mid-step (`onInterrupt`):
  //! true = run it again (retry), false = the execution fails, the step is never repeated.
  //! Unset: the default, retry for steps without side effects (wait, promql, http GET).
  std::optional<bool> retry_on_interrupt;
  bool RetriesOnInterrupt() const;
  // wait
  Millis duration{0};
  // approval / notify: the text; http: method, url, body; promql: query; runbook: name;
  // healing: action + target
  std::string text;
  std::string method;
  std::string url;
  std::string body;
  std::string action;
  std::string target;
  Json ToJson() const;
};

struct Trigger {
  std::map<std::string, std::string> labels;  //!< every one must equal the incident's
  std::set<std::string> severities;           //!< empty: any
};

struct Runbook {
  std::string name;
  std::string description;
  Trigger trigger;
  bool auto_execute = false;
  bool requires_approval = true;
  std::vector<std::string> parameters;
  std::vector<Step> steps;
  Json ToJson() const;  //!< the canonical JSON form (round-trips through ParseRunbookJson)
};

struct Limits {
  size_t max_bytes = 256 * 1024;
  size_t max_steps = 100;
  size_t max_argv = 64;
  size_t max_arg_bytes = 4096;
  Millis max_timeout{3'600'000};
};

//! Parses YAML (JSON is YAML too). INVALID_ARGUMENT naming the field ("steps[2].command.argv:
//! ..."), PARSE_ERROR for malformed YAML. Unknown keys are refused.
Result<Runbook> ParseRunbook(std::string_view text, const Limits& limits = {});
//! Validates an already-decoded document.
Result<Runbook> ParseRunbookJson(const Json& doc, const Limits& limits = {});

//! "30s", "5m", "1h", "250ms" or an integer number of seconds.
Result<Millis> ParseDuration(const Json& value, std::string_view field);

//! True when the incident's labels and severity satisfy the trigger.
bool Matches(const Trigger& trigger, const std::map<std::string, std::string>& labels,
             std::string_view severity);

//! Replaces every {{name}} in `text` with params[name]. INVALID_ARGUMENT naming the first
//! unknown or undeclared parameter.
Result<std::string> Expand(std::string_view text, const std::map<std::string, std::string>& params,
                           std::string_view field);

//! The argv to run for a command step: each element expanded on its own; argv[0] is never
//! expanded and must be in `allowed_executables` (absolute paths). PERMISSION_DENIED naming
//! the executable when it is not.
Result<std::vector<std::string>> ResolveArgv(const Step& step,
                                             const std::map<std::string, std::string>& params,
                                             const std::set<std::string>& allowed_executables);

// ---- execution planning

enum class StepStatus { kPending, kRunning, kSucceeded, kFailed, kSkipped, kAwaitingApproval };
std::string_view StepStatusName(StepStatus s);
std::optional<StepStatus> ParseStepStatus(std::string_view name);

struct StepState {
  StepStatus status = StepStatus::kPending;
  bool approved = false;  //!< a human approved this step (approval gates, destructive steps)
  int interruptions = 0;  //!< times the process stopped while this step ran
};

struct ExecutionContext {
  bool dry_run = false;
  bool critical = false;          //!< the incident is critical
  bool runbook_approved = false;  //!< the whole-runbook approval was given by a human
};

//! A step interrupted this many times is not retried again, whatever its onInterrupt says
//! (it may be what stops the process).
inline constexpr int kMaxInterruptRetries = 3;

enum class NextKind {
  kRunStep,        //!< run step `index`
  kAwaitApproval,  //!< stop until a human approves step `index` (or the runbook: index -1)
  kSucceeded,      //!< every step finished
  kFailed,         //!< a step failed or was interrupted
};

struct Next {
  NextKind kind = NextKind::kSucceeded;
  int index = -1;
  std::string reason;
};

//! What the execution does next, given the definition and the recorded states (one per step;
//! missing entries are pending). A step found kRunning was started and never finished (the
//! process died): it is not repeated and the execution fails, naming the step.
Next PlanNext(const Runbook& runbook, const std::vector<StepState>& states,
              const ExecutionContext& ctx);

}  // namespace dai::runbook
