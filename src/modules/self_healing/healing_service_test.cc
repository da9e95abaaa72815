#include "modules/self_healing/healing_service.h"

#include "modules/self_healing/drift_executor.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "adapters/runner/process_supervisor.h"
#include "store/migrations.h"

namespace dai::self_healing {
namespace {

using std::chrono::seconds;

// Records requests; answers with a configurable outcome.
class RecordingExecutor final : public ActionExecutor {
 public:
  Result<Json> Execute(const ActionRequest& r) override {
    std::lock_guard<std::mutex> lock(mu);
    calls.push_back(r);
    if (!fail_with.empty()) return Status::Unavailable(fail_with);
    return Json{{"done", r.target}};
  }
  Result<Json> DryRun(const ActionRequest& r) override {
    return Json{{"would", "restart " + r.target}};
  }
  std::mutex mu;
  std::vector<ActionRequest> calls;
  std::string fail_with;
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return calls.size();
  }
};

class HealingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dai-healing-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = store::OpenDatabase({.url = (dir_ / "t.db").string()});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(store::Migrate(*db_).ok());
    Make({{"restart_process", &exec_}});
    op_.username = "alice";
    op_.role = Role::kOperator;
  }
  void Make(std::map<std::string, ActionExecutor*> executors) {
    svc_.reset();
    HealingHooks hooks;
    hooks.publish = [this](const std::string& type, const std::string&) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(type);
    };
    hooks.escalate = [this](const Json& e) {
      std::lock_guard<std::mutex> lock(mu_);
      escalations_.push_back(e);
      return Status::Ok();
    };
    HealingOptions options;
    options.tick = std::chrono::hours(1);  // tests call Tick themselves
    options.instant_query = query_;
    options.metric_interval = seconds(15);
    options.read_file = read_file_;
    options.get_object = get_object_;
    svc_ = std::make_unique<HealingService>(*db_, clock_, options, std::move(executors), hooks);
    svc_->Start();
  }
  void TearDown() override {
    svc_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  Json Rule(Json overrides = Json::object()) {
    Json spec = {{"name", "restart-node-exporter"},
                 {"conditionType", "alert"},
                 {"conditionConfig", {{"matchers", {"alertname=\"NodeExporterDown\""}}}},
                 {"actionType", "restart_process"},
                 {"actionConfig", {{"target", "node_exporter"}}},
                 {"requiresApproval", false},
                 {"cooldownSeconds", 30},
                 {"maxRetries", 2},
                 {"verifySeconds", 60}};
    for (auto it = overrides.begin(); it != overrides.end(); ++it) spec[it.key()] = it.value();
    auto r = svc_->CreateRule(spec, op_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Json();
  }
  healing::Signal Signal(bool firing = true, std::string fp = "fp1") {
    healing::Signal s;
    s.firing = firing;
    s.labels = {{"alertname", "NodeExporterDown"}, {"job", "node"}, {"instance", "127.0.0.1:9100"}};
    s.fingerprint = std::move(fp);
    return s;
  }
  Json Action(int64_t id) {
    auto a = svc_->GetAction(id);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : Json();
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<HealingService> svc_;
  RecordingExecutor exec_;
  Identity op_;
  std::mutex mu_;
  std::vector<std::string> events_;
  std::vector<Json> escalations_;
  std::function<Result<Json>(const std::string&)> query_;
  std::function<Result<std::string>(const std::string&)> read_file_;
  std::function<Result<Json>(const std::string&, const std::string&, const std::string&,
                             const std::string&)>
      get_object_;
};

// Reads files from disk as the server's drift_roots reader does (NOT_FOUND when absent).
Result<std::string> ReadForDrift(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + " does not exist");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

TEST_F(HealingServiceTest, RuleCrudValidatesAndNamesFields) {
  Json r = Rule();
  EXPECT_EQ(r["name"], "restart-node-exporter");
  EXPECT_EQ(r["requiresApproval"], false);
  auto dup = svc_->CreateRule({{"name", "restart-node-exporter"},
                               {"conditionType", "alert"},
                               {"conditionConfig", {{"matchers", {"alertname=X"}}}},
                               {"actionType", "restart_process"},
                               {"actionConfig", {{"target", "x"}}}},
                              op_);
  EXPECT_EQ(dup.status().code(), StatusCode::kConflict);
  auto bad = svc_->CreateRule({{"name", "x"},
                               {"conditionType", "alert"},
                               {"conditionConfig", {{"matchers", {"alertname=X"}}}},
                               {"actionType", "restart_process"},
                               {"actionConfig", {{"target", "$(reboot)"}}}},
                              op_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("input.actionConfig.target"), std::string::npos)
      << bad.status().message();
  const int64_t id = r["id"].get<int64_t>();
  auto upd = svc_->UpdateRule(id, {{"cooldownSeconds", 5}});
  ASSERT_TRUE(upd.ok()) << upd.status().ToString();
  EXPECT_EQ((*upd)["cooldownSeconds"], 5);
  EXPECT_EQ((*upd)["maxRetries"], 2);
  EXPECT_FALSE(svc_->UpdateRule(id, {{"maxRetries", -1}}).ok());
  auto off = svc_->ToggleRule(id, false);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ((*off)["enabled"], false);
  auto list = svc_->ListRules({{"enabled", false}});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["total"], 1);
  // A disabled rule decides nothing.
  auto rec = svc_->OnSignal(Signal(), "test");
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(rec->empty());
  ASSERT_TRUE(svc_->DeleteRule(id).ok());
  EXPECT_EQ(svc_->GetRule(id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(svc_->DeleteRule(id).status().code(), StatusCode::kNotFound);
}

TEST_F(HealingServiceTest, ExecutesVerifiesOnResolutionAndLearns) {
  Rule();
  auto rec = svc_->OnSignal(Signal(), "alertmanager");
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  ASSERT_EQ(rec->size(), 1u);
  EXPECT_EQ((*rec)[0]["verdict"], "execute");
  const int64_t id = (*rec)[0]["id"].get<int64_t>();
  svc_->Drain();
  ASSERT_EQ(exec_.count(), 1u);
  EXPECT_EQ(exec_.calls[0].target, "node_exporter");
  EXPECT_EQ(exec_.calls[0].signal["labels"]["instance"], "127.0.0.1:9100");
  Json a = Action(id);
  EXPECT_EQ(a["status"], "verifying");
  EXPECT_EQ(a["result"]["done"], "node_exporter");
  EXPECT_FALSE(a["startedAt"].is_null());
  clock_.Advance(seconds(12));
  ASSERT_TRUE(svc_->OnSignal(Signal(false), "alertmanager").ok());
  a = Action(id);
  EXPECT_EQ(a["status"], "succeeded");
  EXPECT_NEAR(a["recoverySeconds"].get<double>(), 12.0, 0.01);
  auto pats = svc_->Patterns({});
  ASSERT_TRUE(pats.ok());
  ASSERT_EQ((*pats)["total"], 1);
  EXPECT_EQ((*pats)["items"][0]["signature"], "NodeExporterDown{job=\"node\"}");
  EXPECT_EQ((*pats)["items"][0]["successes"], 1);
  EXPECT_NEAR((*pats)["items"][0]["meanRecoverySeconds"].get<double>(), 12.0, 0.01);
  auto rule = svc_->ListRules({});
  EXPECT_EQ((*rule)["items"][0]["successCount"], 1);
}

// Only signals a rule matches are kept for re-evaluation: thousands of unmatched firing
// fingerprints (alerts no rule is about) leave nothing behind in memory.
TEST_F(HealingServiceTest, KeepsOnlyRuleMatchedFiringSignals) {
  Rule();
  for (int i = 0; i < 2000; ++i) {
    healing::Signal other;
    other.firing = true;
    other.labels = {{"alertname", "SomethingElse"}, {"n", std::to_string(i)}};
    other.fingerprint = "other-" + std::to_string(i);
    auto r = svc_->OnSignal(other, "alertmanager");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->empty());
  }
  auto stats = svc_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ((*stats)["firingSignals"], 0);
  ASSERT_TRUE(svc_->OnSignal(Signal(), "alertmanager").ok());
  stats = svc_->Stats();
  EXPECT_EQ((*stats)["firingSignals"], 1);
  ASSERT_TRUE(svc_->OnSignal(Signal(false), "alertmanager").ok());
  stats = svc_->Stats();
  EXPECT_EQ((*stats)["firingSignals"], 0);
  EXPECT_EQ((*stats)["signalsReceived"], 2002);
}

TEST_F(HealingServiceTest, EveryDecisionIsRecordedIncludingNotActing) {
  Rule();
  ASSERT_TRUE(svc_->OnSignal(Signal(), "alertmanager").ok());
  svc_->Drain();
  clock_.Advance(seconds(5));
  auto again = svc_->OnSignal(Signal(), "alertmanager");  // a repeated webhook inside the cooldown
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0]["verdict"], "skip");
  auto hist = svc_->History({{"verdict", "skip"}});
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ((*hist)["total"], 1);
  EXPECT_NE((*hist)["items"][0]["reason"].get<std::string>().find("verified"), std::string::npos)
      << (*hist)["items"][0]["reason"];
  EXPECT_EQ(exec_.count(), 1u);
}

TEST_F(HealingServiceTest, HistorySinceKeepsOnlyRecentDecisions) {
  Rule();
  ASSERT_TRUE(svc_->OnSignal(Signal(), "alertmanager").ok());
  svc_->Drain();
  clock_.Advance(std::chrono::hours(30));
  const std::string cut = FormatIso8601(clock_.Now() - std::chrono::hours(24));
  ASSERT_TRUE(svc_->OnSignal(Signal(true, "fp2"), "alertmanager").ok());
  svc_->Drain();
  auto all = svc_->History({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)["total"], 2);
  auto recent = svc_->History({{"since", cut}});
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  ASSERT_EQ((*recent)["total"], 1);
  EXPECT_EQ((*recent)["items"].size(), 1u);
  EXPECT_GE((*recent)["items"][0]["createdAt"].get<std::string>(), cut);
  auto bad = svc_->History({{"since", "yesterday"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("input.since"), std::string::npos)
      << bad.status().ToString();
}

TEST_F(HealingServiceTest, FailingActionsEscalateInsteadOfLooping) {
  Rule({{"cooldownSeconds", 10}});
  exec_.fail_with = "process exited with status 1 during start";
  ASSERT_TRUE(svc_->OnSignal(Signal(), "alertmanager").ok());
  svc_->Drain();
  for (int i = 0; i < 6; ++i) {
    clock_.Advance(seconds(11));
    ASSERT_TRUE(svc_->Tick().ok());  // re-evaluates the still-firing signal
    svc_->Drain();
  }
  EXPECT_EQ(exec_.count(), 2u);  // maxRetries = 2
  auto failed = svc_->History({{"status", "failed"}});
  EXPECT_EQ((*failed)["total"], 2);
  EXPECT_NE((*failed)["items"][0]["error"].get<std::string>().find("during start"),
            std::string::npos);
  auto esc = svc_->History({{"status", "escalated"}});
  ASSERT_EQ((*esc)["total"], 1);
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(escalations_.size(), 1u);
  EXPECT_EQ(escalations_[0]["rule"], "restart-node-exporter");
  EXPECT_EQ(escalations_[0]["labels"]["alertname"], "NodeExporterDown");
  auto pats = svc_->Patterns({});
  EXPECT_EQ((*pats)["items"][0]["failures"], 2);
}

TEST_F(HealingServiceTest, ApprovalFlowRecordsTheOperator) {
  Rule({{"requiresApproval", true}});
  auto rec = svc_->OnSignal(Signal(), "alertmanager");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ((*rec)[0]["verdict"], "needs_approval");
  const int64_t id = (*rec)[0]["id"].get<int64_t>();
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 0u);
  EXPECT_EQ(Action(id)["status"], "awaiting_approval");
  auto ok = svc_->Approve(id, op_, "looks right");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 1u);
  Json a = Action(id);
  EXPECT_EQ(a["status"], "verifying");
  EXPECT_EQ(a["approvalNote"], "looks right");
  EXPECT_NE(a["decidedBy"].get<std::string>().find("approved by alice"), std::string::npos);
  auto twice = svc_->Approve(id, op_, "");
  EXPECT_EQ(twice.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(svc_->Approve(99999, op_, "").status().code(), StatusCode::kNotFound);
}

TEST_F(HealingServiceTest, RejectedActionsNeverRun) {
  Rule({{"requiresApproval", true}});
  auto rec = svc_->OnSignal(Signal(), "alertmanager");
  const int64_t id = (*rec)[0]["id"].get<int64_t>();
  auto r = svc_->Reject(id, op_, "not now");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["status"], "rejected");
  ASSERT_TRUE(svc_->Tick().ok());
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 0u);
}

TEST_F(HealingServiceTest, VerificationWindowExpiryFailsTheAction) {
  Rule({{"verifySeconds", 30}});
  auto rec = svc_->OnSignal(Signal(), "alertmanager");
  const int64_t id = (*rec)[0]["id"].get<int64_t>();
  svc_->Drain();
  clock_.Advance(seconds(31));
  ASSERT_TRUE(svc_->Tick().ok());
  svc_->Drain();
  Json a = Action(id);
  EXPECT_EQ(a["status"], "failed");
  EXPECT_NE(a["error"].get<std::string>().find("verification window"), std::string::npos);
}

TEST_F(HealingServiceTest, DryRunRulesRecordThePlanAndTouchNothing) {
  Rule({{"dryRun", true}});
  auto rec = svc_->OnSignal(Signal(), "alertmanager");
  ASSERT_EQ((*rec)[0]["verdict"], "dry_run");
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 0u);
  Json a = Action((*rec)[0]["id"].get<int64_t>());
  EXPECT_EQ(a["status"], "dry_run");
  EXPECT_EQ(a["result"]["plan"]["would"], "restart node_exporter");
  // dryRunRule shows a decision without recording anything.
  auto rules = svc_->ListRules({});
  const int64_t rule_id = (*rules)["items"][0]["id"].get<int64_t>();
  auto dr = svc_->DryRunRule(rule_id, {{"alertname", "Other"}});
  ASSERT_TRUE(dr.ok());
  EXPECT_EQ((*dr)["matches"], false);
  EXPECT_EQ((*dr)["unmatched"][0], "alertname=\"NodeExporterDown\"");
  auto before = svc_->History({});
  dr = svc_->DryRunRule(rule_id, {{"alertname", "NodeExporterDown"}});
  ASSERT_TRUE(dr.ok());
  EXPECT_EQ((*dr)["matches"], true);
  EXPECT_EQ((*dr)["decision"]["verdict"], "skip");  // in the dry run's own cooldown
  EXPECT_EQ((*svc_->History({}))["total"], (*before)["total"]);
}

TEST_F(HealingServiceTest, RecoversIntentsAfterACrash) {
  Rule();
  // A decision committed by a process that died before dispatching, and one that died mid-run.
  auto ins = db_->Query(
      "INSERT INTO healing_actions (rule_id, action_type, target, status, verdict, fingerprint, "
      "created_at, "
      "updated_at) VALUES (1, 'restart_process', 'node_exporter', 'approved', 'execute', 'fpx', ?, "
      "?) RETURNING id",
      {clock_.Now(), clock_.Now()});
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  const int64_t unclaimed = ins->rows[0].GetInt(size_t{0});
  auto run = db_->Query(
      "INSERT INTO healing_actions (rule_id, action_type, target, status, verdict, fingerprint, "
      "created_at, "
      "updated_at, started_at) VALUES (1, 'restart_process', 'other', 'running', 'execute', 'fpy', "
      "?, ?, ?) "
      "RETURNING id",
      {clock_.Now(), clock_.Now(), clock_.Now()});
  const int64_t interrupted = run->rows[0].GetInt(size_t{0});
  clock_.Advance(std::chrono::minutes(11));
  ASSERT_TRUE(svc_->Tick().ok());
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 1u);
  EXPECT_EQ(Action(unclaimed)["status"],
            "verifying");  // its signal state is unknown: the window decides
  Json i = Action(interrupted);
  EXPECT_EQ(i["status"], "failed");
  EXPECT_NE(i["error"].get<std::string>().find("not repeated"), std::string::npos);
}

TEST_F(HealingServiceTest, MissingExecutorFailsWithAClearError) {
  Rule({{"name", "hook"},
        {"actionType", "http_request"},
        {"actionConfig", {{"url", "http://127.0.0.1:1/x"}}}});
  auto rec = svc_->OnSignal(Signal(), "alertmanager");
  svc_->Drain();
  Json a = Action((*rec)[0]["id"].get<int64_t>());
  EXPECT_EQ(a["status"], "failed");
  EXPECT_NE(a["error"].get<std::string>().find("no executor for http_request"), std::string::npos);
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// A real process: killed with SIGKILL, detected by the supervisor, restarted by the rule.
TEST_F(HealingServiceTest, HealsARealCrashedProcess) {
  const int port = FreePort();
  runner::SupervisedProcess p;
  p.name = "web";
  p.argv = {"python3",     "-m",         "http.server", "--bind", "127.0.0.1", std::to_string(port),
            "--directory", dir_.string()};
  p.log_file = (dir_ / "web.log").string();
  p.health_port = port;
  p.start_timeout = seconds(15);
  HealingService* svc = nullptr;
  std::atomic<int> exits{0};
  auto sup = runner::ProcessSupervisor::Create(
      {p}, [&](const std::string& name, const runner::ExitInfo& info) {
        ++exits;
        healing::Signal s;
        s.kind = healing::ConditionType::kHealthCheck;
        s.labels = {{"alertname", "ProcessDown"}, {"process", name}, {"exit", info.description}};
        s.fingerprint = "process:" + name;
        if (svc) (void)svc->OnSignal(s, "supervisor");
      });
  ASSERT_TRUE(sup.ok());
  runner::ProcessRestartExecutor restart(sup->get());
  Make({{"restart_process", &restart}});
  svc = svc_.get();
  ASSERT_TRUE(
      svc_->CreateRule(
              {{"name", "restart-web"},
               {"conditionType", "health_check"},
               {"conditionConfig", {{"matchers", {"alertname=ProcessDown", "process=web"}}}},
               {"actionType", "restart_process"},
               {"actionConfig", {{"targetLabel", "process"}, {"allowedTargets", {"web"}}}},
               {"requiresApproval", false}},
              op_)
          .ok());
  ASSERT_TRUE((*sup)->StartAll().ok());
  const pid_t pid = (*sup)->Describe("web")->at("pid").get<pid_t>();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  Json items;
  while (std::chrono::steady_clock::now() < deadline) {
    auto h = svc_->History({{"status", "succeeded"}});
    if (h.ok() && (*h)["total"] == 1) {
      items = (*h)["items"];
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(items.empty()) << "the crashed process was not healed";
  EXPECT_EQ(items[0]["target"], "web");
  EXPECT_NE(items[0]["result"]["pid"].get<pid_t>(), pid);
  EXPECT_TRUE((*sup)->Healthy("web"));
  EXPECT_EQ(exits.load(), 1);
  svc_.reset();
}

}  // namespace
}  // namespace dai::self_healing

namespace dai::self_healing {
namespace {

// metric_threshold rules: the ticker queries (here: a function answering Prometheus'
// /api/v1/query data format), the condition must hold for forSeconds, then the rule acts;
// when the series clears the action is verified.
TEST_F(HealingServiceTest, MetricThresholdRuleFiresAfterItsForDurationAndResolves) {
  std::mutex qmu;
  std::string up = "0";
  std::vector<std::string> queries;
  bool fail = false;
  query_ = [&](const std::string& q) -> Result<Json> {
    std::lock_guard<std::mutex> lock(qmu);
    queries.push_back(q);
    if (fail) return Status::Unavailable("prometheus: connection refused");
    return Json::parse(R"({"resultType":"vector","result":[{"metric":{"__name__":"up","job":"node",
        "instance":"127.0.0.1:9100"},"value":[1700000000,")" +
                       up + R"("]},{"metric":{"__name__":"up",
        "job":"other","instance":"x:1"},"value":[1700000000,"0"]}]})");
  };
  Make({{"restart_process", &exec_}});
  Json r = Rule({{"name", "node-up"},
                 {"conditionType", "metric_threshold"},
                 {"conditionConfig",
                  {{"query", "up"},
                   {"op", "<"},
                   {"threshold", 1},
                   {"forSeconds", 30},
                   {"matchers", {"job=\"node\""}}}}});
  // Another threshold rule that must not act on node-up's signals.
  Rule({{"name", "other-rule"},
        {"conditionType", "metric_threshold"},
        {"conditionConfig", {{"query", "up"}, {"op", ">"}, {"threshold", 5}}},
        {"actionConfig", {{"target", "other"}}}});
  ASSERT_TRUE(svc_->Tick().ok());  // t=0: pending
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 0u);
  clock_.Advance(seconds(15));
  ASSERT_TRUE(svc_->Tick().ok());  // t=15: still pending (15 s < 30 s)
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 0u);
  clock_.Advance(seconds(5));
  ASSERT_TRUE(svc_->Tick().ok());  // t=20: not due (interval 15 s): no query
  {
    std::lock_guard<std::mutex> lock(qmu);
    EXPECT_EQ(queries.size(), 4u);  // two rules × two evaluations
  }
  clock_.Advance(seconds(10));
  ASSERT_TRUE(svc_->Tick().ok());  // t=30: held for 30 s → fires → acts
  svc_->Drain();
  ASSERT_EQ(exec_.count(), 1u);
  EXPECT_EQ(exec_.calls[0].target, "node_exporter");
  EXPECT_EQ(exec_.calls[0].signal["labels"]["instance"], "127.0.0.1:9100");
  EXPECT_EQ(exec_.calls[0].signal["labels"]["healing_rule"], "node-up");
  auto hist = svc_->History({{"ruleId", r["id"]}});
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ((*hist)["total"], 1);
  const Json a = (*hist)["items"][0];
  EXPECT_EQ(a["status"], "verifying");
  EXPECT_EQ(a["signal"]["kind"], "metric_threshold");
  EXPECT_EQ(a["signal"]["source"], "metric_threshold");
  // A failing query changes nothing and is reported per rule.
  fail = true;
  clock_.Advance(seconds(15));
  ASSERT_TRUE(svc_->Tick().ok());
  auto stats = svc_->Stats();
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ((*stats)["metricRules"].size(), 2u);
  EXPECT_NE(DumpJson((*stats)["metricRules"]).find("connection refused"), std::string::npos);
  EXPECT_EQ(Action(a["id"].get<int64_t>())["status"], "verifying");
  // The series recovers: resolved → the action is verified as a success.
  fail = false;
  {
    std::lock_guard<std::mutex> lock(qmu);
    up = "1";
  }
  clock_.Advance(seconds(15));
  ASSERT_TRUE(svc_->Tick().ok());
  EXPECT_EQ(Action(a["id"].get<int64_t>())["status"], "succeeded");
  stats = svc_->Stats();
  for (const auto& m : (*stats)["metricRules"]) {
    if (m["rule"] == "node-up") {
      EXPECT_EQ(m["firing"], 0);
      EXPECT_TRUE(m["error"].is_null());
    }
  }
  // The other rule (up > 5) never matched anything.
  auto other = svc_->History({{"status", "skipped"}});
  ASSERT_TRUE(other.ok());
  for (const auto& it : (*other)["items"]) EXPECT_NE(it["ruleName"], "other-rule");
}

TEST_F(HealingServiceTest, WithoutPrometheusMetricRulesSayWhy) {
  Rule({{"name", "node-up"},
        {"conditionType", "metric_threshold"},
        {"conditionConfig", {{"query", "up"}, {"op", "<"}, {"threshold", 1}}}});
  ASSERT_TRUE(svc_->EvaluateMetricRules().ok());
  auto stats = svc_->Stats();
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ((*stats)["metricRules"].size(), 1u);
  EXPECT_NE((*stats)["metricRules"][0]["error"].get<std::string>().find("--prometheus-url"),
            std::string::npos);
}

TEST_F(HealingServiceTest, ConfigDriftOfAKeyValueFileActsWithTheDifferencesAndResolves) {
  const auto desired = dir_ / "desired.env";
  const auto actual = dir_ / "actual.env";
  WriteFile(desired, "LOG_LEVEL=info\nPOOL=10\n");
  WriteFile(actual, "LOG_LEVEL=info\nPOOL=10\n");
  read_file_ = ReadForDrift;
  Make({{"restart_process", &exec_}});
  Json r =
      Rule({{"name", "app-config"},
            {"conditionType", "config_drift"},
            {"conditionConfig",
             {{"format", "keyvalue"}, {"desired", desired.string()}, {"actual", actual.string()}}},
            {"actionConfig", {{"target", "app"}}}});
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 0u);
  auto stats = svc_->Stats();
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ((*stats)["driftRules"].size(), 1u);
  EXPECT_EQ((*stats)["driftRules"][0]["drifted"], 0);
  EXPECT_TRUE((*stats)["driftRules"][0]["error"].is_null());

  // Someone edits the file on the host: one changed key, one extra key.
  WriteFile(actual, "LOG_LEVEL=debug\nPOOL=10\nHACK=1\n");
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());
  svc_->Drain();
  ASSERT_EQ(exec_.count(), 1u);
  EXPECT_EQ(exec_.calls[0].target, "app");
  EXPECT_EQ(exec_.calls[0].signal["labels"]["object"], actual.string());
  EXPECT_EQ(exec_.calls[0].signal["labels"]["differences"], "2");
  auto hist = svc_->History({{"ruleId", r["id"]}});
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ((*hist)["total"], 1);
  const Json a = (*hist)["items"][0];
  EXPECT_EQ(a["signal"]["kind"], "config_drift");
  const Json diffs = a["signal"]["evidence"]["differences"];
  ASSERT_EQ(diffs.size(), 2u) << a.dump();
  EXPECT_EQ(diffs[0]["path"], "LOG_LEVEL");
  EXPECT_EQ(diffs[0]["kind"], "changed");
  EXPECT_EQ(diffs[0]["desired"], "info");
  EXPECT_EQ(diffs[0]["actual"], "debug");
  EXPECT_EQ(diffs[1]["path"], "HACK");
  EXPECT_EQ(diffs[1]["kind"], "unexpected");

  // Still drifting: no second signal from the evaluation itself.
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 1u);
  // The desired file disappears: the error is reported and nothing resolves.
  std::filesystem::rename(desired, dir_ / "moved.env");
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());
  stats = svc_->Stats();
  EXPECT_NE(DumpJson((*stats)["driftRules"][0]["error"]).find("does not exist"), std::string::npos);
  EXPECT_EQ(Action(a["id"].get<int64_t>())["status"], "verifying");
  // Back in place and the host file corrected: the signal resolves, the action succeeded.
  std::filesystem::rename(dir_ / "moved.env", desired);
  WriteFile(actual, "POOL=10\nLOG_LEVEL=info\n");
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());
  EXPECT_EQ(Action(a["id"].get<int64_t>())["status"], "succeeded");
  stats = svc_->Stats();
  EXPECT_EQ((*stats)["driftRules"][0]["drifted"], 0);
}

TEST_F(HealingServiceTest, ConfigDriftOfATextFileCarriesTheUnifiedDiffAndAMissingFileIsDrift) {
  const auto desired = dir_ / "nginx.conf";
  const auto actual = dir_ / "live.conf";
  WriteFile(desired, "worker_processes 4;\nevents {}\n");
  read_file_ = ReadForDrift;
  Make({{"restart_process", &exec_}});
  Rule({{"name", "nginx-config"},
        {"conditionType", "config_drift"},
        {"conditionConfig",
         {{"format", "text"}, {"desired", desired.string()}, {"actual", actual.string()}}},
        {"actionConfig", {{"target", "nginx"}}},
        {"dryRun", true}});
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());  // the host file does not exist: drift
  auto stats = svc_->Stats();
  ASSERT_TRUE(stats.ok());
  const Json first = (*stats)["driftRules"][0]["objects"][0];
  EXPECT_EQ(first["drifted"], true);
  EXPECT_EQ(first["differences"][0]["kind"], "missing");
  WriteFile(actual, "worker_processes 1;\nevents {}\n");
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());
  stats = svc_->Stats();
  const Json second = (*stats)["driftRules"][0]["objects"][0];
  EXPECT_EQ(second["unified"],
            "--- desired\n+++ actual\n@@ -1,2 +1,2 @@\n-worker_processes 4;\n+worker_processes "
            "1;\n events {}\n");
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 0u);  // dry run: recorded, nothing touched
}

TEST_F(HealingServiceTest, KubernetesDriftComparesEveryManifestObject) {
  const auto manifests = dir_ / "shop.yaml";
  WriteFile(
      manifests,
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
      "spec: {replicas: 3, template: {spec: {containers: [{name: web, image: 'shop/web:2'}]}}}\n"
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config, namespace: ops}\n"
      "data: {mode: fast}\n");
  read_file_ = ReadForDrift;
  std::vector<std::string> asked;
  get_object_ = [&](const std::string& api, const std::string& kind, const std::string& ns,
                    const std::string& name) -> Result<Json> {
    asked.push_back(api + " " + kind + " " + ns + "/" + name);
    if (kind == "ConfigMap") return Json(nullptr);  // deleted in the cluster
    return Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","namespace":"shop","uid":"u1"},
      "spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"web","image":"shop/web:1",
      "imagePullPolicy":"Always"}]}}},"status":{"replicas":3}})");
  };
  Make({{"restart_process", &exec_}});
  Rule({{"name", "shop-drift"},
        {"conditionType", "config_drift"},
        {"conditionConfig",
         {{"format", "kubernetes"}, {"desired", manifests.string()}, {"namespace", "shop"}}},
        {"actionConfig", {{"target", "shop"}}},
        {"dryRun", true}});
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());
  EXPECT_EQ(asked, (std::vector<std::string>{"apps/v1 Deployment shop/web",
                                             "v1 ConfigMap ops/web-config"}));
  auto stats = svc_->Stats();
  ASSERT_TRUE(stats.ok());
  const Json rule = (*stats)["driftRules"][0];
  EXPECT_TRUE(rule["error"].is_null()) << rule.dump();
  EXPECT_EQ(rule["drifted"], 2);
  EXPECT_EQ(rule["objects"][0]["object"], "Deployment/shop/web");
  EXPECT_EQ(rule["objects"][0]["differences"][0]["path"],
            "spec.template.spec.containers[name=web].image");
  EXPECT_EQ(rule["objects"][1]["object"], "ConfigMap/ops/web-config");
  EXPECT_EQ(rule["objects"][1]["differences"][0]["kind"], "missing");
  auto hist = svc_->History({{"status", "dry_run"}});
  ASSERT_TRUE(hist.ok());
  EXPECT_GE((*hist)["total"].get<int>(), 1);
}

TEST_F(HealingServiceTest, ApplyDesiredRewritesTheDriftedFileAndTheNextEvaluationVerifiesIt) {
  const auto desired = dir_ / "desired.env";
  const auto actual = dir_ / "actual.env";
  WriteFile(desired, "LOG_LEVEL=info\n");
  WriteFile(actual, "LOG_LEVEL=debug\n");
  read_file_ = ReadForDrift;
  std::vector<std::string> writes;
  DriftExecutorHooks hooks;
  hooks.read_file = ReadForDrift;
  hooks.write_file = [&](const std::string& path, const std::string& content) -> Status {
    writes.push_back(path);
    WriteFile(path, content);
    return Status::Ok();
  };
  DriftCorrectionExecutor fixer(hooks);
  Make({{"apply_desired", &fixer}});
  Json r =
      Rule({{"name", "fix-app-config"},
            {"conditionType", "config_drift"},
            {"conditionConfig",
             {{"format", "keyvalue"}, {"desired", desired.string()}, {"actual", actual.string()}}},
            {"actionType", "apply_desired"},
            {"actionConfig", Json::object()}});
  auto plan = svc_->DryRunRule(r["id"].get<int64_t>(), {{"object", actual.string()}});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ((*plan)["executor"]["plan"]["write"], actual.string()) << plan->dump();
  EXPECT_TRUE(writes.empty());
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());
  svc_->Drain();
  ASSERT_EQ(writes, std::vector<std::string>{actual.string()});
  EXPECT_EQ(*ReadForDrift(actual.string()), "LOG_LEVEL=info\n");
  auto hist = svc_->History({{"ruleId", r["id"]}});
  ASSERT_TRUE(hist.ok());
  const Json a = (*hist)["items"][0];
  EXPECT_EQ(a["status"], "verifying") << a.dump();
  EXPECT_EQ(a["target"], actual.string());
  // The correction asked for an early evaluation: the next tick finds no drift and verifies.
  clock_.Advance(seconds(1));
  ASSERT_TRUE(svc_->Tick().ok());
  EXPECT_EQ(Action(a["id"].get<int64_t>())["status"], "succeeded");
  // Only the rule's own file is ever written.
  ActionRequest other{
      0,
      "fix-app-config",
      "apply_desired",
      "/etc/passwd",
      {{"source",
        {{"format", "keyvalue"}, {"desired", desired.string()}, {"actual", actual.string()}}}},
      Json::object()};
  auto refused = fixer.Execute(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("is not the rule's file"), std::string::npos);
  EXPECT_EQ(writes.size(), 1u);
}

TEST_F(HealingServiceTest, DriftRulesWithoutRootsOrKubernetesSayWhy) {
  Rule({{"name", "no-roots"},
        {"conditionType", "config_drift"},
        {"conditionConfig", {{"format", "text"}, {"desired", "/etc/a"}, {"actual", "/etc/b"}}}});
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());
  auto stats = svc_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_NE(DumpJson((*stats)["driftRules"][0]["error"]).find("--drift-roots"), std::string::npos);
  WriteFile(dir_ / "m.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
  read_file_ = ReadForDrift;
  Make({{"restart_process", &exec_}});
  Rule({{"name", "no-kube"},
        {"conditionType", "config_drift"},
        {"conditionConfig", {{"format", "kubernetes"}, {"desired", (dir_ / "m.yaml").string()}}}});
  ASSERT_TRUE(svc_->EvaluateDriftRules().ok());
  stats = svc_->Stats();
  EXPECT_NE(DumpJson((*stats)["driftRules"]).find("--kubeconfig"), std::string::npos);
}

// A runbook's healing step: the request goes through the rule that allows the action and
// target, with its safety checks (here: cooldown).
TEST_F(HealingServiceTest, RequestsGoThroughTheAllowingRuleAndItsSafetyChecks) {
  Rule({{"actionConfig",
         {{"targetLabel", "process"}, {"allowedTargets", {"node_exporter", "api"}}}}});
  auto none = svc_->Request("restart_process", "postgres", {}, "runbook:x");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("no enabled healing rule allows"), std::string::npos);
  auto first = svc_->Request("restart_process", "api", {{"runbook", "x"}}, "runbook:x");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)["verdict"], "execute");
  svc_->Drain();
  ASSERT_EQ(exec_.count(), 1u);
  EXPECT_EQ(exec_.calls[0].target, "api");
  auto again = svc_->Request("restart_process", "api", {{"runbook", "x"}}, "runbook:x");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["verdict"], "skip");
  svc_->Drain();
  EXPECT_EQ(exec_.count(), 1u);
}

TEST_F(HealingServiceTest, SuggestsRulesFromRepeatedManualFixes) {
  const TimePoint now = clock_.Now();
  for (int i = 0; i < 3; ++i) {
    auto inc = db_->Query(
        "INSERT INTO incidents (title, severity, status, labels, created_at, updated_at) "
        "VALUES (?, 'high', 'resolved', ?, ?, ?) RETURNING id",
        {"disk full " + std::to_string(i),
         std::string(R"({"alertname":"DiskFull","job":"db","instance":"h)") + std::to_string(i) +
             "\"}",
         now, now});
    ASSERT_TRUE(inc.ok()) << inc.status().ToString();
    const int64_t id = inc->rows[0].GetInt(size_t{0});
    ASSERT_TRUE(
        db_->Query("INSERT INTO incident_actions (incident_id, action_type, description, "
                   "actor, automated, details, created_at) VALUES (?, 'healing_action', "
                   "'restarted by hand', 'bob', ?, ?, ?)",
                   {id, false,
                    std::string(R"({"actionType":"restart_service","target":"logrotate"})"), now})
            .ok());
  }
  auto s = svc_->SuggestRules(3);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ((*s)["items"].size(), 1u);
  const Json sg = (*s)["items"][0];
  EXPECT_EQ(sg["signature"], "DiskFull{job=\"db\"}");
  EXPECT_EQ(sg["occurrences"], 3);
  // The suggestion's spec is a valid createRule input (approval required by default) ...
  Json spec = sg["spec"];
  EXPECT_EQ(spec["requiresApproval"], true);
  auto created = svc_->CreateRule(spec, op_);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  // ... and once a rule covers the symptom it is no longer suggested.
  s = svc_->SuggestRules(3);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE((*s)["items"].empty());
  EXPECT_TRUE(svc_->SuggestRules(4)->at("items").empty());
}

}  // namespace
}  // namespace dai::self_healing

#include "modules/incident_commander/runbook_service.h"
#include "modules/self_healing/runbook_executor.h"
#include "store/job_worker.h"

namespace dai::self_healing {
namespace {

// run_runbook through the real runbook service and job worker: the healing action starts the
// execution, waits for it, and its success is the verification.
TEST_F(HealingServiceTest, RunRunbookActionStartsARealExecutionAndItsSuccessVerifies) {
  store::JobRepository jobs(*db_);
  incidents::RunbookServiceOptions ro;
  ro.allowed_executables = {"/bin/echo", "/bin/false"};
  const Clock& sys = SystemClock::Instance();
  incidents::RunbookService runbooks(*db_, jobs, sys, ro, nullptr);
  store::JobWorkerOptions wo;
  wo.threads = 1;
  wo.poll_interval = std::chrono::milliseconds(20);
  store::JobWorker worker(jobs, sys, wo);
  ASSERT_TRUE(runbooks.AttachWorker(worker).ok());
  runbooks.SetNotify([&] { worker.Notify(); });
  ASSERT_TRUE(worker.Start().ok());
  Identity alice;
  alice.username = "alice";
  auto ok_rb = runbooks.Create(
      "name: say\nrequiresApproval: false\nparameters: [job]\nsteps:\n"
      "  - {name: s, command: {argv: [/bin/echo, \"{{job}}\"], destructive: false}}\n",
      alice);
  ASSERT_TRUE(ok_rb.ok()) << ok_rb.status().ToString();
  auto bad_rb = runbooks.Create(
      "name: fails\nrequiresApproval: false\nsteps:\n"
      "  - {name: f, command: {argv: [/bin/false], destructive: false}}\n",
      alice);
  ASSERT_TRUE(bad_rb.ok());
  RunbookActionExecutor::Hooks hooks;
  hooks.start = [&](int64_t id, const std::map<std::string, std::string>& labels,
                    const std::string& actor) -> Result<Json> {
    DAI_ASSIGN_OR_RETURN(Json rb, runbooks.Get(id));
    std::map<std::string, std::string> params;
    for (const auto& p : rb["steps"].value("parameters", Json::array())) {
      auto it = labels.find(p.get<std::string>());
      if (it != labels.end()) params[it->first] = it->second;
    }
    return runbooks.Execute(id, std::nullopt, false, params, actor, 0);
  };
  hooks.get = [&](int64_t id) { return runbooks.GetExecution(id); };
  hooks.describe = [&](int64_t id) { return runbooks.Get(id); };
  RunbookActionExecutor rex(hooks, std::chrono::milliseconds(20));
  Make({{"run_runbook", &rex}});
  Json r = Rule({{"actionType", "run_runbook"},
                 {"actionConfig", {{"runbookId", (*ok_rb)["id"]}, {"timeoutSeconds", 20}}}});
  auto d = svc_->OnSignal(Signal(), "alertmanager");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->size(), 1u);
  svc_->Drain();
  Json a = Action((*d)[0]["id"].get<int64_t>());
  EXPECT_EQ(a["status"], "succeeded") << a.dump();
  EXPECT_EQ(a["result"]["verified"], true);
  auto exec = runbooks.GetExecution(a["result"]["executionId"].get<int64_t>());
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ((*exec)["steps"][0]["output"], "node\n");  // the signal's job label as parameter
  EXPECT_EQ((*exec)["triggeredBy"], "healing:restart-node-exporter") << exec->dump();
  // A failing runbook fails the action with the execution's error.
  ASSERT_TRUE(
      svc_->UpdateRule(r["id"].get<int64_t>(),
                       {{"actionConfig", {{"runbookId", (*bad_rb)["id"]}}}, {"cooldownSeconds", 0}})
          .ok());
  d = svc_->OnSignal(Signal(true, "fp2"), "alertmanager");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 1u);
  svc_->Drain();
  a = Action((*d)[0]["id"].get<int64_t>());
  EXPECT_EQ(a["status"], "failed") << a.dump();
  EXPECT_NE(a["error"].get<std::string>().find("failed"), std::string::npos);
  // Dry run describes without starting anything.
  auto plan = rex.DryRun({0, "x", "run_runbook", "runbook-1", {{"runbookId", (*ok_rb)["id"]}}, {}});
  ASSERT_TRUE(plan.ok());
  EXPECT_NE((*plan)["would"].get<std::string>().find("start runbook say"), std::string::npos);
  worker.Stop();
}

}  // namespace
}  // namespace dai::self_healing
