#include "modules/self_healing/runbook_executor.h"

#include <thread>

namespace dai::self_healing {
namespace {

Result<int64_t> RunbookIdOf(const ActionRequest& r) {
  if (!r.config.is_object() || !r.config.contains("runbookId") ||
      !r.config["runbookId"].is_number_integer())
    return Status::InvalidArgument("actionConfig.runbookId: required positive integer");
  return r.config["runbookId"].get<int64_t>();
}

std::map<std::string, std::string> LabelsOf(const ActionRequest& r) {
  std::map<std::string, std::string> out;
  if (r.signal.is_object() && r.signal.contains("labels") && r.signal["labels"].is_object()) {
    for (auto it = r.signal["labels"].begin(); it != r.signal["labels"].end(); ++it) {
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    }
  }
  return out;
}

}  // namespace

Result<Json> RunbookActionExecutor::Execute(const ActionRequest& request) {
  if (!hooks_.start || !hooks_.get)
    return Status::FailedPrecondition("run_runbook: the runbook service is not available");
  DAI_ASSIGN_OR_RETURN(int64_t runbook_id, RunbookIdOf(request));
  const int64_t timeout_s =
      request.config.is_object() ? request.config.value("timeoutSeconds", int64_t{600}) : 600;
  DAI_ASSIGN_OR_RETURN(Json started,
                       hooks_.start(runbook_id, LabelsOf(request), "healing:" + request.rule_name));
  if (!started.contains("id") || !started["id"].is_number_integer())
    return Status::Internal("run_runbook: the runbook service answered no execution id");
  const int64_t execution_id = started["id"].get<int64_t>();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::string status = started.value("status", std::string("pending"));
  while (true) {
    DAI_ASSIGN_OR_RETURN(Json e, hooks_.get(execution_id));
    status = e.value("status", std::string());
    if (status == "succeeded") {
      return Json{{"runbookId", runbook_id},
                  {"executionId", execution_id},
                  {"status", status},
                  {"verified", true}};
    }
    if (status == "failed" || status == "cancelled") {
      std::string error = e.contains("error") && e["error"].is_string()
                              ? e["error"].get<std::string>()
                              : std::string();
      return Status::FailedPrecondition("runbook execution " + std::to_string(execution_id) + " " +
                                        status + (error.empty() ? "" : ": " + error));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::DeadlineExceeded("runbook execution " + std::to_string(execution_id) +
                                      " still " + status + " after " + std::to_string(timeout_s) +
                                      " s (it continues on its own; see the Runbooks page)");
    }
    std::this_thread::sleep_for(poll_);
  }
}

Result<Json> RunbookActionExecutor::DryRun(const ActionRequest& request) {
  DAI_ASSIGN_OR_RETURN(int64_t runbook_id, RunbookIdOf(request));
  if (!hooks_.describe)
    return Status::FailedPrecondition("run_runbook: the runbook service is not available");
  DAI_ASSIGN_OR_RETURN(Json rb, hooks_.describe(runbook_id));
  if (!rb.value("enabled", true))
    return Status::FailedPrecondition("runbook " + rb.value("name", std::string("?")) +
                                      " is disabled");
  return Json{
      {"would", "start runbook " + rb.value("name", std::string("?")) + " (id " +
                    std::to_string(runbook_id) + ") and wait for it; its approval rules apply"},
      {"runbookId", runbook_id}};
}

}  // namespace dai::self_healing
