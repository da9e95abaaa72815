#include "server/trpc_endpoint.h"

#include <chrono>

#include "core/json.h"
#include "registry/schema.h"
#include "server/trpc.h"

namespace dai::server {
namespace {

// One call's answer, already serialized: the envelope is written straight to text (building a
// Json envelope and dumping it cost more than a small procedure's own work).
struct CallOutcome {
  std::string body;
  int http_status = 200;
  std::string_view code = "OK";  // the tRPC error code name for metrics (static strings)
};

CallOutcome Fail(const trpc::ErrorCode& code, std::string_view message, std::string_view path) {
  return {DumpJson(trpc::ErrorEnvelope(code, message, path)), code.http_status, code.name};
}

CallOutcome Fail(const Status& status, std::string_view path) {
  return Fail(trpc::ErrorCodeFor(status.code()), status.message(), path);
}

}  // namespace

Credentials CredentialsFrom(const HttpRequest& request) {
  Credentials c;
  if (auto h = request.Header("authorization")) {
    std::string_view v = *h;
    if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) {
      c.bearer_token = std::string(v.substr(7));
    }
  }
  c.session_cookie = request.Cookie(kSessionCookie);
  if (auto h = request.Header(kCsrfHeader)) c.csrf_token = std::string(*h);
  c.remote_addr = request.remote_addr;
  if (auto h = request.Header("user-agent")) c.user_agent = std::string(h->substr(0, 256));
  return c;
}

TrpcEndpoint::TrpcEndpoint(const ProcedureRegistry& registry, Authenticator& auth,
                           AuditSink& audit, TrpcEndpointOptions options)
    : registry_(registry), auth_(auth), audit_(audit), options_(std::move(options)) {}

HttpResponse TrpcEndpoint::Handle(const HttpRequest& request) {
  std::string_view path_list = request.path;
  if (path_list.substr(0, options_.prefix.size()) == options_.prefix) {
    path_list.remove_prefix(options_.prefix.size());
  }
  auto decoded = trpc::Decode(request.method, path_list, request.query, request.body);
  if (!decoded.ok()) {
    const Status& st = decoded.status();
    const auto code = request.method != "GET" && request.method != "POST" && request.method != "HEAD"
                          ? trpc::kMethodNotSupported
                          : trpc::ErrorCodeFor(st.code());
    HttpResponse resp = HttpResponse::Json(
        code.http_status, DumpJson(trpc::ErrorEnvelope(code, st.message(), "")));
    resp.route_label = "trpc.invalid";
    return resp;
  }

  if (!request.on_blocking_pool) {
    for (const auto& call : decoded->calls) {
      const Procedure* proc = registry_.Find(call.path);
      if (proc != nullptr && proc->may_block) return HttpResponse::RunOnBlockingPool();
    }
  }

  const Credentials creds = CredentialsFrom(request);
  std::optional<Result<std::optional<Identity>>> identity;  // authenticated lazily, once

  std::vector<CallOutcome> outcomes;
  outcomes.reserve(decoded->calls.size());
  std::vector<std::pair<std::string, std::string>> extra_headers;
  for (const auto& call : decoded->calls) {
    const auto started = std::chrono::steady_clock::now();
    CallContext ctx;
    ctx.request_id = request.request_id;
    ctx.remote_addr = request.remote_addr;
    ctx.user_agent = creds.user_agent;
    CallOutcome outcome = [&]() -> CallOutcome {
      const Procedure* proc = registry_.Find(call.path);
      if (proc == nullptr) {
        return Fail(trpc::ErrorCodeFor(StatusCode::kNotFound),
                    "No procedure found on path \"" + call.path.substr(0, 128) + "\"", call.path);
      }
      const bool is_query = proc->kind == ProcedureKind::kQuery;
      if (is_query == decoded->is_post) {
        return Fail(trpc::kMethodNotSupported,
                    std::string("Unsupported ") + (decoded->is_post ? "POST" : "GET") +
                        "-request to " + (is_query ? "query" : "mutation") +
                        " procedure at path \"" + call.path + "\"",
                    call.path);
      }
      if (!identity) identity = auth_.Authenticate(creds);
      if (!identity->ok()) {
        // A presented but invalid credential is refused even on public procedures, so a
        // client learns its token is bad instead of silently acting anonymously.
        return Fail(identity->status(), call.path);
      }
      ctx.identity = identity->value();
      if (proc->min_role) {
        if (!ctx.identity) {
          return Fail(Status::Unauthenticated("authentication required: sign in or send an API "
                                              "token as \"Authorization: Bearer <token>\""),
                      call.path);
        }
        if (static_cast<int>(ctx.identity->role) < static_cast<int>(*proc->min_role)) {
          return Fail(Status::PermissionDenied(
                          std::string(call.path) + " requires the " +
                          std::string(RoleName(*proc->min_role)) + " role; you are " +
                          std::string(RoleName(ctx.identity->role))),
                      call.path);
        }
      }
      if (!is_query && ctx.identity) {
        Status csrf = auth_.CheckCsrf(*ctx.identity, creds);
        if (!csrf.ok()) return Fail(csrf, call.path);
      }
      Json input = call.input.value_or(Json());
      if (!proc->input_schema.is_null()) {
        // An omitted input for an object schema with no required fields means "{}".
        if (input.is_null() && !call.input.has_value() &&
            proc->input_schema.value("type", Json()) == "object" &&
            !proc->input_schema.contains("required")) {
          input = Json::object();
        }
        Status valid = schema::Validate(proc->input_schema, input);
        if (!valid.ok()) return Fail(valid, call.path);
      }
      // The bulkhead: a procedure that may block holds at most a few blocking-pool threads.
      const bool bounded = proc->may_block && options_.max_blocking_calls_per_procedure > 0;
      if (bounded) {
        std::lock_guard<std::mutex> lock(in_flight_mu_);
        int& n = in_flight_[call.path];
        if (n >= options_.max_blocking_calls_per_procedure) {
          return Fail(
              Status::ResourceExhausted(call.path + " already has " + std::to_string(n) +
                                        " calls in progress (a slow dependency?); retry later"),
              call.path);
        }
        ++n;
      }
      struct Release {
        TrpcEndpoint* self;
        const std::string* path;
        ~Release() {
          if (self == nullptr) return;
          std::lock_guard<std::mutex> lock(self->in_flight_mu_);
          --self->in_flight_[*path];
        }
      } release{bounded ? this : nullptr, &call.path};
      Result<Json> result = Status::Internal("handler did not run");
      try {
        result = proc->handler(input, ctx);
      } catch (const std::exception& e) {
        result = Status::Internal(std::string("unexpected error: ") + e.what());
      }
      if (!is_query && proc->audit) {
        AuditRecord rec;
        if (ctx.identity) {
          rec.actor = ctx.identity->username;
          rec.actor_type = ctx.identity->method == AuthMethod::kApiToken ? "token" : "user";
        } else {
          rec.actor = "anonymous";
          rec.actor_type = "anonymous";
        }
        rec.procedure = call.path;
        rec.outcome = result.ok() ? "ok" : trpc::ErrorCodeFor(result.status().code()).name;
        rec.input_json = DumpJson(input);
        rec.request_id = request.request_id;
        rec.remote_addr = request.remote_addr;
        (void)audit_.Record(rec);
      }
      if (!result.ok()) {
        if (result.status().code() == StatusCode::kInternal && options_.on_internal_error) {
          options_.on_internal_error(call.path, request.request_id, result.status());
        }
        Status shown = result.status();
        if (shown.code() == StatusCode::kInternal) {
          shown = Status::Internal("internal error (request id " + request.request_id + ")");
        }
        return Fail(shown, call.path);
      }
      return {trpc::SuccessEnvelopeText(*result), 200, "OK"};
    }();
    if (options_.on_call) {
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      options_.on_call(call.path, std::string(outcome.code), secs);
    }
    for (auto& h : ctx.response_headers) extra_headers.push_back(std::move(h));
    outcomes.push_back(std::move(outcome));
  }

  HttpResponse resp;
  if (decoded->batch) {
    std::string arr = "[";
    int status = outcomes.empty() ? 200 : outcomes.front().http_status;
    for (auto& o : outcomes) {
      if (o.http_status != status) status = 207;
      if (arr.size() > 1) arr += ',';
      arr += o.body;
    }
    arr += ']';
    resp = HttpResponse::Json(status, std::move(arr));
    resp.route_label = "trpc.batch";
  } else {
    resp = HttpResponse::Json(outcomes.front().http_status, std::move(outcomes.front().body));
    resp.route_label = registry_.Find(decoded->calls.front().path) != nullptr
                           ? decoded->calls.front().path
                           : "trpc.unknown";
  }
  resp.SetHeader("Cache-Control", "no-store");
  for (auto& [name, value] : extra_headers) resp.headers.emplace_back(std::move(name), std::move(value));
  return resp;
}

}  // namespace dai::server
