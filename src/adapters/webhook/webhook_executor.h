// WebhookExecutor: the `http_request` and `notify` healing actions. POSTs (or PUTs) one JSON
// document describing the action and its signal to the rule's configured URL through the one
// outbound HttpClient (timeouts, size limit, the outbound policy checked before connecting:
// link-local and cloud-metadata addresses refused). Signal values travel as JSON fields only.
// Thread-safety: safe for concurrent calls.
#pragma once

#include "adapters/http/http_client.h"
#include "ports/action_executor.h"

namespace dai::webhook {

class WebhookExecutor final : public ActionExecutor {
 public:
  explicit WebhookExecutor(http::HttpClientOptions options) : client_(std::move(options)) {}
  //! OK with {status, url} on a 2xx answer; UNAVAILABLE naming the status otherwise, or the
  //! client's error (PERMISSION_DENIED for a refused address, DEADLINE_EXCEEDED ...).
  Result<Json> Execute(const ActionRequest& request) override;
  Result<Json> DryRun(const ActionRequest& request) override;
  //! The JSON body sent for `request`.
  static Json Body(const ActionRequest& request);

 private:
  http::HttpClient client_;
};

}  // namespace dai::webhook
