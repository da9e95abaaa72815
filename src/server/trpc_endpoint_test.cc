#include "server/trpc_endpoint.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "registry/schema.h"

namespace dai::server {
namespace {

namespace s = schema;

class FakeAuth : public Authenticator {
 public:
  Result<std::optional<Identity>> Authenticate(const Credentials& c) override {
    if (c.bearer_token) {
      if (*c.bearer_token == "viewer-token") return std::optional<Identity>(Make(Role::kViewer, AuthMethod::kApiToken));
      if (*c.bearer_token == "admin-token") return std::optional<Identity>(Make(Role::kAdmin, AuthMethod::kApiToken));
      return Status::Unauthenticated("invalid API token");
    }
    if (c.session_cookie && *c.session_cookie == "op-session") {
      return std::optional<Identity>(Make(Role::kOperator, AuthMethod::kSession));
    }
    return std::optional<Identity>();
  }
  Status CheckCsrf(const Identity& id, const Credentials& c) override {
    if (id.method != AuthMethod::kSession) return Status::Ok();
    if (c.csrf_token && *c.csrf_token == "csrf-ok") return Status::Ok();
    return Status::PermissionDenied("missing or invalid CSRF token");
  }
  static Identity Make(Role r, AuthMethod m) {
    Identity id;
    id.user_id = 1;
    id.username = "u";
    id.role = r;
    id.method = m;
    return id;
  }
};

class FakeAudit : public AuditSink {
 public:
  Status Record(const AuditRecord& r) override {
    std::lock_guard lock(mu);
    records.push_back(r);
    return Status::Ok();
  }
  std::mutex mu;
  std::vector<AuditRecord> records;
};

class TrpcEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Procedure get;
    get.path = "things.get";
    get.kind = ProcedureKind::kQuery;
    get.min_role = Role::kViewer;
    get.input_schema = s::Object({s::Req("id", s::Int(1))});
    get.output_schema = s::Any();
    get.handler = [](const Json& in, CallContext&) -> Result<Json> {
      if (in["id"] == 404) return Status::NotFound("thing 404 does not exist");
      return Json{{"id", in["id"]}, {"name", "thing"}};
    };
    registry_.Add(get);
    Procedure create;
    create.path = "things.create";
    create.kind = ProcedureKind::kMutation;
    create.min_role = Role::kOperator;
    create.input_schema = s::Object({s::Req("name", s::String(1, 10))});
    create.output_schema = s::Any();
    create.handler = [](const Json& in, CallContext& ctx) -> Result<Json> {
      ctx.response_headers.emplace_back("Set-Cookie", "x=1");
      return Json{{"created", in["name"]}};
    };
    registry_.Add(create);
    Procedure pub;
    pub.path = "public.ping";
    pub.kind = ProcedureKind::kQuery;
    pub.handler = [](const Json&, CallContext& ctx) -> Result<Json> {
      return Json{{"anonymous", !ctx.identity.has_value()}};
    };
    registry_.Add(pub);
    Procedure boom;
    boom.path = "things.boom";
    boom.kind = ProcedureKind::kQuery;
    boom.handler = [](const Json&, CallContext&) -> Result<Json> {
      throw std::runtime_error("secret detail");
    };
    registry_.Add(boom);
    registry_.AddNotImplemented("later.thing", ProcedureKind::kQuery, Role::kViewer, Json(), s::Any(),
                                "later", "issue #99");
    endpoint_ = std::make_unique<TrpcEndpoint>(registry_, auth_, audit_, TrpcEndpointOptions{});
  }

  HttpResponse Call(std::string method, std::string path, std::string query = "",
                    std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = std::move(method);
    r.path = "/trpc/" + path;
    r.query = std::move(query);
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.request_id = "req-1";
    r.remote_addr = "127.0.0.1";
    return endpoint_->Handle(r);
  }

  static Json Body(const HttpResponse& r) { return Json::parse(r.body); }

  ProcedureRegistry registry_;
  FakeAuth auth_;
  FakeAudit audit_;
  std::unique_ptr<TrpcEndpoint> endpoint_;
};

const std::vector<std::pair<std::string, std::string>> kViewer = {{"Authorization", "Bearer viewer-token"}};
const std::vector<std::pair<std::string, std::string>> kAdmin = {{"Authorization", "Bearer admin-token"}};

TEST_F(TrpcEndpointTest, QuerySucceeds) {
  auto r = Call("GET", "things.get", "input=%7B%22id%22%3A3%7D", "", kViewer);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["result"]["data"]["id"], 3);
}

TEST_F(TrpcEndpointTest, ProcedureThatMayBlockIsSentToTheBlockingPool) {
  Procedure hash = MakeProcedure("things.hash", ProcedureKind::kMutation, std::nullopt, Json(),
                                 s::Any(), "slow", [](const Json&, CallContext&) -> Result<Json> {
                                   return Json{{"hashed", true}};
                                 });
  EXPECT_TRUE(hash.may_block);  // mutations may block by default
  registry_.Add(hash);
  HttpRequest r;
  r.method = "POST";
  r.path = "/trpc/things.hash";
  r.request_id = "req-2";
  HttpResponse first = endpoint_->Handle(r);
  EXPECT_TRUE(first.run_on_blocking_pool);
  EXPECT_TRUE(first.body.empty());
  r.on_blocking_pool = true;
  HttpResponse second = endpoint_->Handle(r);
  EXPECT_FALSE(second.run_on_blocking_pool);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(Body(second)["result"]["data"]["hashed"], true);
  // A batch goes to the pool when any of its calls may block.
  HttpRequest batch;
  batch.method = "POST";
  batch.path = "/trpc/public.ping,things.hash";
  batch.query = "batch=1";
  batch.body = "{}";
  EXPECT_TRUE(endpoint_->Handle(batch).run_on_blocking_pool);
  // A query stays on the io thread.
  EXPECT_FALSE(Call("GET", "things.get", "input=%7B%22id%22%3A3%7D", "", kViewer).run_on_blocking_pool);
}

// The bulkhead: a procedure stuck on a slow dependency holds at most N blocking-pool threads;
// call N+1 is refused at once with 429 naming the procedure, other procedures still run, and
// the slots come back when the stuck calls end.
TEST_F(TrpcEndpointTest, ProcedureThatMayBlockHoldsAtMostItsShareOfThePool) {
  TrpcEndpointOptions options;
  options.max_blocking_calls_per_procedure = 2;
  endpoint_ = std::make_unique<TrpcEndpoint>(registry_, auth_, audit_, options);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int entered = 0;
  Procedure slow =
      MakeProcedure("metrics.slow", ProcedureKind::kQuery, Role::kViewer, Json(), s::Any(),
                    "a dependency that hangs", [&](const Json&, CallContext&) -> Result<Json> {
                      std::unique_lock<std::mutex> lock(mu);
                      ++entered;
                      cv.notify_all();
                      cv.wait(lock, [&] { return release; });
                      return Json{{"ok", true}};
                    });
  slow.may_block = true;
  registry_.Add(slow);
  auto call_slow = [&] {
    HttpRequest r;
    r.method = "GET";
    r.path = "/trpc/metrics.slow";
    r.headers = kViewer;
    r.on_blocking_pool = true;
    return endpoint_->Handle(r);
  };
  std::vector<std::thread> stuck;
  std::vector<int> statuses(2);
  for (int i = 0; i < 2; ++i) stuck.emplace_back([&, i] { statuses[i] = call_slow().status; });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return entered == 2; });
  }
  HttpResponse refused = call_slow();
  EXPECT_EQ(refused.status, 429);
  EXPECT_NE(
      Body(refused)["error"]["message"].get<std::string>().find("metrics.slow already has 2 calls"),
      std::string::npos)
      << refused.body;
  EXPECT_EQ(Call("GET", "things.get", "input=%7B%22id%22%3A3%7D", "", kViewer).status, 200);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  for (auto& t : stuck) t.join();
  EXPECT_EQ(statuses, (std::vector<int>{200, 200}));
  EXPECT_EQ(call_slow().status, 200);  // the slots were given back
}

TEST_F(TrpcEndpointTest, ErrorsHaveTrpcShape) {
  auto r = Call("GET", "things.get", "input=%7B%22id%22%3A404%7D", "", kViewer);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["error"]["data"]["code"], "NOT_FOUND");
  EXPECT_EQ(Body(r)["error"]["code"], -32004);
  EXPECT_EQ(Body(r)["error"]["data"]["path"], "things.get");
}

TEST_F(TrpcEndpointTest, ValidationNamesField) {
  auto r = Call("GET", "things.get", "input=%7B%22id%22%3A%22x%22%7D", "", kViewer);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["data"]["code"], "BAD_REQUEST");
  EXPECT_EQ(Body(r)["error"]["message"], "input.id: expected integer, got string");
  r = Call("GET", "things.get", "", "", kViewer);
  EXPECT_EQ(Body(r)["error"]["message"], "input: expected object, got null");
}

TEST_F(TrpcEndpointTest, AuthAndRoles) {
  auto r = Call("GET", "things.get", "input=%7B%22id%22%3A3%7D");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["error"]["data"]["code"], "UNAUTHORIZED");
  r = Call("POST", "things.create", "", R"({"name":"a"})", kViewer);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Body(r)["error"]["data"]["code"], "FORBIDDEN");
  r = Call("GET", "public.ping", "", "", {{"Authorization", "Bearer wrong"}});
  EXPECT_EQ(r.status, 401);
  r = Call("GET", "public.ping");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["result"]["data"]["anonymous"], true);
}

TEST_F(TrpcEndpointTest, CsrfRequiredForSessionMutations) {
  auto r = Call("POST", "things.create", "", R"({"name":"a"})", {{"Cookie", "dai_session=op-session"}});
  EXPECT_EQ(r.status, 403);
  r = Call("POST", "things.create", "", R"({"name":"a"})",
           {{"Cookie", "dai_session=op-session"}, {"x-csrf-token", "csrf-ok"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Set-Cookie").value_or(""), "x=1");
  // Bearer tokens need no CSRF token.
  r = Call("POST", "things.create", "", R"({"name":"b"})", kAdmin);
  EXPECT_EQ(r.status, 200);
}

TEST_F(TrpcEndpointTest, MutationsAreAudited) {
  Call("POST", "things.create", "", R"({"name":"a"})", kAdmin);
  Call("POST", "things.create", "", R"({"name":"way too long name"})", kAdmin);
  ASSERT_EQ(audit_.records.size(), 1u);  // validation failures never reach the handler
  EXPECT_EQ(audit_.records[0].procedure, "things.create");
  EXPECT_EQ(audit_.records[0].outcome, "ok");
  EXPECT_EQ(audit_.records[0].actor_type, "token");
}

TEST_F(TrpcEndpointTest, MethodKindMismatch) {
  auto r = Call("POST", "things.get", "", R"({"id":1})", kViewer);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Body(r)["error"]["data"]["code"], "METHOD_NOT_SUPPORTED");
  r = Call("GET", "things.create", "input=%7B%7D", "", kAdmin);
  EXPECT_EQ(r.status, 405);
}

TEST_F(TrpcEndpointTest, UnknownPathAndNotImplemented) {
  auto r = Call("GET", "nope.nothing", "", "", kViewer);
  EXPECT_EQ(r.status, 404);
  r = Call("GET", "later.thing", "", "", kViewer);
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(Body(r)["error"]["data"]["code"], "NOT_IMPLEMENTED");
}

TEST_F(TrpcEndpointTest, BatchMixedOutcomes) {
  auto r = Call("GET", "things.get,things.get,public.ping", "batch=1&input=%7B%220%22%3A%7B%22id%22%3A1%7D%2C%221%22%3A%7B%22id%22%3A404%7D%7D",
                "", kViewer);
  EXPECT_EQ(r.status, 207);
  Json b = Body(r);
  ASSERT_TRUE(b.is_array());
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0]["result"]["data"]["id"], 1);
  EXPECT_EQ(b[1]["error"]["data"]["code"], "NOT_FOUND");
  EXPECT_EQ(b[2]["result"]["data"]["anonymous"], false);
}

TEST_F(TrpcEndpointTest, HandlerExceptionIsHidden) {
  auto r = Call("GET", "things.boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Body(r)["error"]["data"]["code"], "INTERNAL_SERVER_ERROR");
  EXPECT_EQ(Body(r)["error"]["message"].get<std::string>().find("secret"), std::string::npos);
}

TEST_F(TrpcEndpointTest, MalformedJson) {
  auto r = Call("POST", "things.create", "", "{\"name\":", kAdmin);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["data"]["code"], "PARSE_ERROR");
}

}  // namespace
}  // namespace dai::server
