// The Kubernetes adapter and healing executor against the fake API server
// (tests/fakes/kube-apiserver.mjs, started with node on a free loopback port): bearer token
// sent, pagination followed, selectors encoded, watch streams, logs, errors named from the
// API's Status objects, and every healing action with its dry-run and verification.
#include <gtest/gtest.h>

#include <cmath>

#include <fstream>
#include <sstream>

#include "adapters/kubernetes/kube_client.h"
#include "adapters/kubernetes/kube_executor.h"
#include "adapters/kubernetes/kube_inventory.h"
#include "core/clock.h"
#include "process_harness.h"

namespace dai::kube {
namespace {

using namespace std::chrono_literals;

bool Has(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

class FakeKubeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new dai::testing::TempDir("kube");
    std::ifstream in(std::string(DAI_SOURCE_DIR) + "/tests/fakes/kube-fixture.json");
    std::stringstream text;
    text << in.rdbuf();
    Json fixture = Json::parse(text.str());
    fixture["forbid"] =
        Json::array({{{"verb", "patch"}, {"resource", "statefulsets"}, {"namespace", "shop"}}});
    // A StatefulSet outside that namespace, for rollbacks through its ControllerRevisions.
    fixture["objects"].push_back(Json::parse(R"({"apiVersion":"apps/v1","kind":"StatefulSet",
      "metadata":{"name":"ledger","namespace":"data"},
      "spec":{"replicas":3,"serviceName":"ledger","selector":{"matchLabels":{"app":"ledger"}},
      "template":{"metadata":{"labels":{"app":"ledger"}},"spec":{"containers":[{"name":"l","image":"ledger:1"}]}}}})"));
    // A deployment whose pods never become ready (the fake's controller leaves it stuck).
    fixture["objects"].push_back(Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"stuck","namespace":"shop","annotations":{"fake.devops-ai.dev/stuck":"true"}},
      "spec":{"replicas":2,"selector":{"matchLabels":{"app":"stuck"}},
      "template":{"metadata":{"labels":{"app":"stuck"}},"spec":{"containers":[{"name":"s","image":"s:1"}]}}}})"));
    const std::string fixture_path = dir_->path() + "/fixture.json";
    ASSERT_TRUE(dai::testing::WriteFile(fixture_path, fixture.dump()).ok());
    auto port = dai::testing::FreeLoopbackPort();
    ASSERT_TRUE(port.ok());
    port_ = *port;
    dai::testing::ChildProcess::Options opts;
    opts.log_file = dir_->path() + "/fake.log";
    auto child = dai::testing::ChildProcess::Start(
        {"node", std::string(DAI_SOURCE_DIR) + "/tests/fakes/kube-apiserver.mjs", "--port",
         std::to_string(port_), "--fixture", fixture_path, "--token", "t0ken"},
        opts);
    if (!child.ok()) {
      skip_ = "node is not available: " + child.status().ToString();
      return;
    }
    fake_ = new dai::testing::ChildProcess(std::move(child).value());
    auto up = dai::testing::WaitForHttp(
        "http://127.0.0.1:" + std::to_string(port_) + "/version",
        [](const http::HttpClientResponse& r) { return r.status == 401; },
        std::chrono::steady_clock::now() + 15s);
    ASSERT_TRUE(up.ok()) << up.ToString() << dai::testing::ReadFileOrEmpty(opts.log_file);
  }
  static void TearDownTestSuite() {
    delete fake_;
    fake_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
  }

  static KubeConfig Config(const std::string& token = "t0ken") {
    KubeConfig c;
    c.context = "fake";
    c.server = "http://127.0.0.1:" + std::to_string(port_);
    c.token = token;
    c.namespace_ = "shop";
    return c;
  }
  static KubeClient Client(const std::string& token = "t0ken") {
    return KubeClient::Create(Config(token)).value();
  }
  static Json Requests() {
    http::HttpClient h({.policy = http::OutboundPolicy::AllowLocal()});
    auto r = h.Send({.url = "http://127.0.0.1:" + std::to_string(port_) + "/fake/requests"});
    return r.ok() ? Json::parse(r->body) : Json::array();
  }
  static const ResourceRef& R(const char* name) { return *FindResource(name); }

  static inline dai::testing::TempDir* dir_ = nullptr;
  static inline dai::testing::ChildProcess* fake_ = nullptr;
  static inline uint16_t port_ = 0;
  static inline std::string skip_;
};

TEST_F(FakeKubeTest, SendsTheBearerTokenAndNamesAuthFailures) {
  auto pods = Client().List(R("pods"), {.namespace_ = "shop"});
  ASSERT_TRUE(pods.ok()) << pods.status().ToString();
  Json reqs = Requests();
  ASSERT_FALSE(reqs.empty());
  bool saw = false;
  for (const auto& r : reqs)
    if (r["path"] == "/api/v1/namespaces/shop/pods")
      saw = r["authorization"] == "Bearer" && r["tokenMatches"] == true;
  EXPECT_TRUE(saw);
  auto denied = Client("wrong").List(R("pods"), {});
  EXPECT_EQ(denied.status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Has(denied.status(), "rejected the credentials"));
}

TEST_F(FakeKubeTest, ListFollowsPaginationAndFillsTypeMeta) {
  auto all = Client().List(R("pods"), {.page_size = 1});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_GE(all->items.size(), 2u);
  EXPECT_EQ(all->pages, static_cast<int>(all->items.size()));  // one item per page
  for (const auto& p : all->items) {
    EXPECT_EQ(p["kind"], "Pod");
    EXPECT_EQ(p["apiVersion"], "v1");
  }
  EXPECT_FALSE(all->resource_version.empty());
  bool continued = false;
  for (const auto& r : Requests())
    if (r["path"] == "/api/v1/pods" &&
        r["query"].get<std::string>().find("continue=") != std::string::npos)
      continued = true;
  EXPECT_TRUE(continued);
  auto bounded = Client().List(R("pods"), {.page_size = 1, .max_items = 1});
  EXPECT_EQ(bounded.status().code(), StatusCode::kResourceExhausted);
}

TEST_F(FakeKubeTest, SelectorsAreEncodedAndApplied) {
  auto web = Client().List(R("deployments"),
                           {.namespace_ = "shop", .label_selector = "app in (web,other)"});
  ASSERT_TRUE(web.ok()) << web.status().ToString();
  ASSERT_EQ(web->items.size(), 1u);
  EXPECT_EQ(web->items[0]["metadata"]["name"], "web");
  auto none = Client().List(R("deployments"), {.namespace_ = "shop", .label_selector = "app=nope"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->items.empty());
  auto bad = Client().List(R("deployments"), {.label_selector = "a b c"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(bad.status(), "unable to parse requirement"));
  auto events = Client().ListEvents("shop", "debug");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->items.size(), 1u);
  EXPECT_EQ(events->items[0]["reason"], "BackOff");
}

TEST_F(FakeKubeTest, ErrorsCarryTheApiMessageAndReason) {
  auto missing = Client().Get(R("deployments"), "shop", "nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Has(missing.status(), "deployments.apps \"nope\" not found"));
  EXPECT_TRUE(Has(missing.status(), "reason NotFound"));
  auto forbidden =
      Client().Patch(R("statefulsets"), "shop", "db",
                     Json{{"metadata", {{"labels", {{"x", "y"}}}}}}, PatchType::kMerge);
  EXPECT_EQ(forbidden.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(
      Has(forbidden.status(), "cannot patch resource \"statefulsets\" in API group \"apps\""));
  EXPECT_TRUE(Has(forbidden.status(), "grant the \"patch\" verb"));
  auto stale =
      Client().Patch(R("deployments"), "shop", "web",
                     Json{{"metadata", {{"resourceVersion", "1"}}}, {"spec", {{"paused", false}}}},
                     PatchType::kMerge);
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  EXPECT_TRUE(Has(stale.status(), "the object has been modified"));
  auto dangerous = Client().Get(R("deployments"), "shop", "../../api/v1/secrets");
  EXPECT_EQ(dangerous.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FakeKubeTest, WatchIsBoundedAndReplaysFromAResourceVersion) {
  auto client = Client();
  auto list = client.List(R("configmaps"), {.namespace_ = "shop"});
  ASSERT_TRUE(list.ok());
  // Change something after the list, then watch from the list's resourceVersion.
  http::HttpClient h({.policy = http::OutboundPolicy::AllowLocal()});
  auto applied = h.Send(
      {.method = "POST",
       .url = "http://127.0.0.1:" + std::to_string(port_) + "/fake/apply",
       .body =
           R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"shop"},"data":{"a":"1"}})"});
  ASSERT_TRUE(applied.ok() && applied->status == 200);
  const auto start = std::chrono::steady_clock::now();
  auto events = client.Watch(
      R("configmaps"),
      {.namespace_ = "shop", .resource_version = list->resource_version, .timeout_seconds = 1});
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);  // bounded by timeoutSeconds
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type, "ADDED");
  EXPECT_EQ((*events)[0].object["metadata"]["name"], "cfg");
  EXPECT_EQ((*events)[0].object["kind"], "ConfigMap");
  auto expired = client.Watch(R("configmaps"), {.resource_version = "1", .timeout_seconds = 1});
  EXPECT_EQ(expired.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Has(expired.status(), "too old resource version"));
}

TEST_F(FakeKubeTest, PodLogsWithTailAndContainer) {
  auto logs = Client().PodLogs("shop", "debug", {.container = "shell", .tail_lines = 2});
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_EQ(*logs, "line 3 level=error msg=\"boom 3\"\nline 4 level=error msg=\"boom 4\"\n");
  auto limited = Client().PodLogs("shop", "debug", {.container = "shell", .limit_bytes = 10});
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 10u);
  auto which = Client().PodLogs("shop", "debug");
  EXPECT_EQ(which.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(which.status(), "choose one of: [shell sidecar]"));
}

ActionRequest Req(const std::string& type, const std::string& target, Json config) {
  ActionRequest r;
  r.action_id = 1;
  r.rule_name = "test";
  r.action_type = type;
  r.target = target;
  r.config = std::move(config);
  return r;
}

TEST_F(FakeKubeTest, RolloutRestartDryRunShowsThePatchAndExecuteVerifies) {
  auto client = std::make_shared<const KubeClient>(Client());
  FakeClock clock(ToUnixMillis(ParseIso8601("2026-03-01T10:00:00Z").value()));
  KubernetesExecutor ex(client, clock, {.verify_timeout = 5s, .poll_interval = 50ms});
  auto before = client->Get(R("deployments"), "shop", "web").value();
  auto req = Req("rollout_restart", "web", {{"namespace", "shop"}});
  auto plan = ex.DryRun(req);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ((*plan)["request"]["method"], "PATCH");
  EXPECT_EQ((*plan)["request"]["path"], "/apis/apps/v1/namespaces/shop/deployments/web");
  EXPECT_EQ((*plan)["request"]["contentType"], "application/strategic-merge-patch+json");
  EXPECT_EQ((*plan)["request"]["body"]["spec"]["template"]["metadata"]["annotations"]
                   ["kubectl.kubernetes.io/restartedAt"],
            "2026-03-01T10:00:00Z");
  // The dry run changed nothing.
  EXPECT_EQ(client->Get(R("deployments"), "shop", "web").value()["metadata"]["resourceVersion"],
            before["metadata"]["resourceVersion"]);
  auto done = ex.Execute(req);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["verified"], true);
  auto after = client->Get(R("deployments"), "shop", "web").value();
  EXPECT_EQ(after["metadata"]["generation"].get<int>(),
            before["metadata"]["generation"].get<int>() + 1);
  EXPECT_EQ(
      after["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"],
      "2026-03-01T10:00:00Z");
  EXPECT_EQ(after["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1.26");  // merged, not replaced
}

TEST_F(FakeKubeTest, ScaleStaysWithinThePolicyBounds) {
  auto client = std::make_shared<const KubeClient>(Client());
  FakeClock clock(ToUnixMillis(ParseIso8601("2026-03-01T10:00:00Z").value()));
  KubernetesExecutor ex(client, clock, {.verify_timeout = 5s, .poll_interval = 50ms});
  const int64_t start =
      client->GetScale(R("deployments"), "shop", "web").value()["spec"]["replicas"].get<int64_t>();
  Json cfg = {{"namespace", "shop"}, {"minReplicas", 1}, {"maxReplicas", start + 1}, {"step", 5}};
  auto plan = ex.DryRun(Req("scale_up", "web", cfg));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ((*plan)["request"]["path"], "/apis/apps/v1/namespaces/shop/deployments/web/scale");
  EXPECT_EQ((*plan)["request"]["body"]["spec"]["replicas"], start + 1);  // step clamped to max
  auto up = ex.Execute(Req("scale_up", "web", cfg));
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ((*up)["after"]["readyReplicas"], start + 1);
  EXPECT_EQ(client->Get(R("deployments"), "shop", "web").value()["spec"]["replicas"], start + 1);
  auto again = ex.Execute(Req("scale_up", "web", cfg));
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Has(again.status(), "already at maxReplicas"));
  auto down = ex.Execute(Req("scale_down", "web",
                             {{"namespace", "shop"}, {"minReplicas", start}, {"maxReplicas", 10}}));
  ASSERT_TRUE(down.ok()) << down.status().ToString();
  EXPECT_EQ(client->Get(R("deployments"), "shop", "web").value()["status"]["readyReplicas"], start);
}

// Scaling on a metric (the HPA formula) with scale-down stabilization: after a recommendation
// of N replicas, a lower one within the window does not scale below N; once the window has
// passed it does. Dry runs never count as recommendations.
TEST_F(FakeKubeTest, HpaFormulaScalesAndStabilizesScaleDown) {
  auto client = std::make_shared<const KubeClient>(Client());
  FakeClock clock(ToUnixMillis(ParseIso8601("2026-03-01T10:00:00Z").value()));
  KubernetesExecutor ex(client, clock, {.verify_timeout = 5s, .poll_interval = 50ms});
  auto replicas = [&] {
    return client->GetScale(R("statefulsets"), "shop", "db")
        .value()["spec"]["replicas"]
        .get<int64_t>();
  };
  auto with_load = [](ActionRequest r, const std::string& load) {
    r.signal = {{"labels", {{"load", load}}}};
    return r;
  };
  Json cfg = {{"namespace", "shop"},        {"kind", "statefulset"}, {"minReplicas", 1},
              {"maxReplicas", 8},           {"targetValue", 100},    {"metricLabel", "load"},
              {"stabilizationSeconds", 300}};
  const int64_t start = replicas();
  // Load 2.5x the target: ceil(start * 2.5).
  const int64_t high = std::min<int64_t>(8, static_cast<int64_t>(std::ceil(start * 2.5)));
  auto up = ex.Execute(with_load(Req("scale_up", "db", cfg), "250"));
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(replicas(), high);
  EXPECT_EQ((*up)["notes"]["formula"]["desired"], high);
  // Load drops to half the target: the formula says ceil(high * 0.5), but the recommendation of
  // `high` a minute ago holds within the 5-minute window.
  clock.Advance(60s);
  auto held = ex.Execute(with_load(Req("scale_down", "db", cfg), "50"));
  EXPECT_EQ(held.status().code(), StatusCode::kFailedPrecondition) << held.status().ToString();
  EXPECT_TRUE(Has(held.status(), "the HPA formula gives")) << held.status().ToString();
  EXPECT_EQ(replicas(), high);
  // Past the window the scale-down happens (the held attempt's own recommendation was low).
  clock.Advance(301s);
  auto down = ex.Execute(with_load(Req("scale_down", "db", cfg), "50"));
  ASSERT_TRUE(down.ok()) << down.status().ToString();
  EXPECT_EQ(replicas(), std::max<int64_t>(1, (high + 1) / 2));
  // A signal without the metric is refused, naming the label.
  auto none = ex.DryRun(Req("scale_up", "db", cfg));
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(none.status(), "numeric \"load\" label"));
}

TEST_F(FakeKubeTest, RollbackRestoresThePreviousReplicaSetTemplate) {
  auto client = std::make_shared<const KubeClient>(Client());
  FakeClock clock(ToUnixMillis(ParseIso8601("2026-03-01T10:00:00Z").value()));
  KubernetesExecutor ex(client, clock, {.verify_timeout = 5s, .poll_interval = 50ms});
  auto plan = ex.DryRun(Req("rollback", "web", {{"namespace", "shop"}}));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ((*plan)["request"]["contentType"], "application/json-patch+json");
  const Json& ops = (*plan)["request"]["body"];
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0]["op"], "test");
  EXPECT_EQ(ops[1]["path"], "/spec/template");
  EXPECT_FALSE(ops[1]["value"]["metadata"]["labels"].contains("pod-template-hash"));
  const std::string target_image =
      ops[1]["value"]["spec"]["containers"][0]["image"].get<std::string>();
  auto done = ex.Execute(Req("rollback", "web", {{"namespace", "shop"}}));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  auto after = client->Get(R("deployments"), "shop", "web").value();
  EXPECT_EQ(after["spec"]["template"]["spec"]["containers"][0]["image"], target_image);
  EXPECT_EQ(after["status"]["observedGeneration"], after["metadata"]["generation"]);
  auto none = ex.DryRun(Req("rollback", "stuck", {{"namespace", "shop"}}));
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Has(none.status(), "no previous revision"));
  // A StatefulSet with one revision has nothing to go back to.
  auto sts = ex.DryRun(Req("rollback", "db", {{"namespace", "shop"}, {"kind", "statefulset"}}));
  EXPECT_EQ(sts.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Has(sts.status(), "1 ControllerRevision(s) found")) << sts.status().ToString();
}

TEST_F(FakeKubeTest, StatefulSetRollbackRestoresThePreviousControllerRevision) {
  auto client = std::make_shared<const KubeClient>(Client());
  FakeClock clock(ToUnixMillis(ParseIso8601("2026-03-01T10:00:00Z").value()));
  KubernetesExecutor ex(client, clock, {.verify_timeout = 5s, .poll_interval = 50ms});
  const Json cfg = {{"namespace", "data"}, {"kind", "statefulset"}};
  // A new image: the controller records revision 2.
  ASSERT_TRUE(client
                  ->Patch(R("statefulsets"), "data", "ledger",
                          Json::parse(R"({"spec":{"template":{"spec":{"containers":[
                            {"name":"l","image":"ledger:2"}]}}}})"),
                          PatchType::kStrategicMerge)
                  .ok());
  auto plan = ex.DryRun(Req("rollback", "ledger", cfg));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ((*plan)["request"]["contentType"], "application/json-patch+json");
  const Json& ops = (*plan)["request"]["body"];
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0]["op"], "test");
  EXPECT_EQ(ops[1]["path"], "/spec/template");
  EXPECT_EQ(ops[1]["value"]["spec"]["containers"][0]["image"], "ledger:1");
  EXPECT_FALSE(ops[1]["value"].contains("$patch")) << "the directive is not part of a template";
  auto done = ex.Execute(Req("rollback", "ledger", cfg));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  auto after = client->Get(R("statefulsets"), "data", "ledger").value();
  EXPECT_EQ(after["spec"]["template"]["spec"]["containers"][0]["image"], "ledger:1");
  EXPECT_EQ(after["status"]["observedGeneration"], after["metadata"]["generation"]);
  // As kubectl: the restored template's revision is now the newest (3); undo again goes to 2.
  auto again = ex.DryRun(Req("rollback", "ledger", cfg));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)["request"]["body"][1]["value"]["spec"]["containers"][0]["image"], "ledger:2");
  // A changed object between plan and patch: the resourceVersion test refuses the stale patch.
  ASSERT_TRUE(client
                  ->Patch(R("statefulsets"), "data", "ledger",
                          Json{{"metadata", {{"labels", {{"touched", "yes"}}}}}}, PatchType::kMerge)
                  .ok());
  auto stale = client->Patch(R("statefulsets"), "data", "ledger", (*again)["request"]["body"],
                             PatchType::kJsonPatch);
  EXPECT_FALSE(stale.ok());
}

TEST_F(FakeKubeTest, RestartPodDeletesAndTheControllerReplacesIt) {
  auto client = std::make_shared<const KubeClient>(Client());
  FakeClock clock(ToUnixMillis(ParseIso8601("2026-03-01T10:00:00Z").value()));
  KubernetesExecutor ex(client, clock, {.verify_timeout = 5s, .poll_interval = 50ms});
  auto plan = ex.DryRun(Req("restart_pod", "web-6f7b8c-aaaaa", {{"namespace", "shop"}}));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ((*plan)["request"]["method"], "DELETE");
  EXPECT_EQ((*plan)["request"]["path"], "/api/v1/namespaces/shop/pods/web-6f7b8c-aaaaa");
  auto before =
      client->List(R("pods"), {.namespace_ = "shop", .label_selector = "app=web"}).value();
  auto done = ex.Execute(Req("restart_pod", "web-6f7b8c-aaaaa", {{"namespace", "shop"}}));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["verified"]["deleted"], true);
  auto after = client->List(R("pods"), {.namespace_ = "shop", .label_selector = "app=web"}).value();
  EXPECT_EQ(after.items.size(), before.items.size());  // replaced by its ReplicaSet
  auto gone = ex.Execute(Req("restart_pod", "web-6f7b8c-aaaaa", {{"namespace", "shop"}}));
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  auto wrong =
      ex.DryRun(Req("restart_pod", "web", {{"namespace", "shop"}, {"kind", "deployment"}}));
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FakeKubeTest, AStuckRolloutFailsVerificationNamingWhatIsMissing) {
  auto client = std::make_shared<const KubeClient>(Client());
  FakeClock clock(ToUnixMillis(ParseIso8601("2026-03-01T10:00:00Z").value()));
  KubernetesExecutor ex(client, clock, {.verify_timeout = 5s, .poll_interval = 50ms});
  // The stuck deployment never gets more ready replicas than it had (0 here... or 2 from the
  // initial status); scaling up past that must not be reported as done.
  auto r = ex.Execute(
      Req("scale_up", "stuck",
          {{"namespace", "shop"}, {"maxReplicas", 6}, {"step", 3}, {"verifyTimeoutSeconds", 1}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(Has(r.status(), "not rolled out after 1 s"));
  EXPECT_TRUE(Has(r.status(), "readyReplicas"));
  KubernetesExecutor unconfigured(nullptr, clock);
  EXPECT_EQ(unconfigured.DryRun(Req("rollout_restart", "web", {})).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(FakeKubeTest, ClusterInventorySkipsOwnedObjectsAndNeverReadsSecrets) {
  auto listed = ListClusterObjects(Client());
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  bool debug = false, deployment = false, cron = false;
  for (const auto& o : listed->objects) {
    const std::string kind = o["kind"], name = o["metadata"]["name"];
    EXPECT_FALSE(o["metadata"].contains("managedFields"));
    EXPECT_FALSE(kind == "ReplicaSet") << name;  // all owned by the web deployment
    EXPECT_FALSE(kind == "Pod" && name.rfind("web-", 0) == 0) << name;
    debug |= kind == "Pod" && name == "debug";
    deployment |= kind == "Deployment" && name == "web";
    cron |= kind == "CronJob" && name == "report";
  }
  EXPECT_TRUE(debug && deployment && cron);
  EXPECT_TRUE(listed->errors.empty());
  for (const auto& r : Requests())
    EXPECT_EQ(r["path"].get<std::string>().find("secrets"), std::string::npos);
  auto shop = ListClusterObjects(Client(), "ops");
  ASSERT_TRUE(shop.ok());
  for (const auto& o : shop->objects) EXPECT_EQ(o["metadata"]["namespace"], "ops");
  auto denied = ListClusterObjects(Client("wrong"));
  EXPECT_EQ(denied.status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace dai::kube
