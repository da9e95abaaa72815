#include "adapters/webhook/webhook_executor.h"

namespace dai::webhook {

Json WebhookExecutor::Body(const ActionRequest& request) {
  return Json{{"source", "devops-ai"},         {"kind", request.action_type},
              {"actionId", request.action_id}, {"rule", request.rule_name},
              {"target", request.target},      {"signal", request.signal}};
}

Result<Json> WebhookExecutor::Execute(const ActionRequest& request) {
  http::HttpClientRequest req;
  req.method = request.config.value("method", std::string("POST"));
  req.url = request.config.value("url", std::string());
  req.headers.emplace_back("content-type", "application/json");
  if (request.config.contains("headers") && request.config["headers"].is_object()) {
    for (auto it = request.config["headers"].begin(); it != request.config["headers"].end(); ++it) {
      if (it.value().is_string()) req.headers.emplace_back(it.key(), it.value().get<std::string>());
    }
  }
  req.body = DumpJson(Body(request));
  req.timeout = std::chrono::seconds(request.config.value("timeoutSeconds", 10));
  DAI_ASSIGN_OR_RETURN(auto resp, client_.Send(req));
  const std::string url = http::RedactUrl(req.url);
  if (resp.status < 200 || resp.status >= 300) {
    return Status::Unavailable("webhook " + url + " answered HTTP " + std::to_string(resp.status));
  }
  return Json{{"status", resp.status}, {"url", url}};
}

Result<Json> WebhookExecutor::DryRun(const ActionRequest& request) {
  return Json{{"would", std::string(request.config.value("method", std::string("POST"))) + " " +
                            http::RedactUrl(request.config.value("url", std::string()))},
              {"body", Body(request)}};
}

}  // namespace dai::webhook
