// The apply_desired action of config_drift rules: puts the rule's desired state back on the
// drifted object. A file (keyvalue, text) is rewritten with the desired file's content
// (atomically, through the same drift_roots check as reading); a Kubernetes object gets the
// desired manifest applied by server-side apply (the manifest without status and server-owned
// metadata; fields other managers own and the manifest does not set stay). It applies only what the
// rule's desired file names for the target object: a target the file does not name is refused.
// Thread-safety: stateless apart from the hooks, which must be thread-safe.
#pragma once

#include <functional>
#include <string>

#include "core/json.h"
#include "ports/action_executor.h"

namespace dai::self_healing {

struct DriftExecutorHooks {
  //! Reads a file under drift_roots (NOT_FOUND when absent).
  std::function<Result<std::string>(const std::string& path)> read_file;
  //! Reads `path` of the git repository `repo` (under drift_roots) at `ref`.
  std::function<Result<std::string>(const std::string& repo, const std::string& ref,
                                    const std::string& path)>
      read_git;
  //! Replaces a file under drift_roots with `content` (atomically).
  std::function<Status(const std::string& path, const std::string& content)> write_file;
  //! Applies `body` to the live object (apiVersion, kind, namespace, name); empty when no
  //! Kubernetes is configured.
  std::function<Result<Json>(const std::string& api_version, const std::string& kind,
                             const std::string& ns, const std::string& name, const Json& body)>
      apply_object;
};

//! The desired state of a config_drift rule (its conditionConfig): the file `desired`, or with
//! `repository` the file `desired` of that git repository at `ref` (default HEAD).
Result<std::string> ReadDesiredState(const Json& condition_config, const DriftExecutorHooks& hooks);
//! How the desired state is named in results: the path, or repository@ref:path.
std::string DesiredStateName(const Json& condition_config);

class DriftCorrectionExecutor final : public ActionExecutor {
 public:
  explicit DriftCorrectionExecutor(DriftExecutorHooks hooks) : hooks_(std::move(hooks)) {}
  //! request.config.source is the rule's conditionConfig (format, desired, actual, namespace);
  //! request.target the drifted object (a file path, or Kind/namespace/name).
  Result<Json> Execute(const ActionRequest& request) override;
  Result<Json> DryRun(const ActionRequest& request) override;

 private:
  Result<Json> Run(const ActionRequest& request, bool apply);
  DriftExecutorHooks hooks_;
};

}  // namespace dai::self_healing
