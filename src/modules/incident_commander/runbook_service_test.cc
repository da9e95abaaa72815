// Runbooks end to end over a real SQLite store and the real job queue: approval by another
// operator, argv-only commands from the allow-list, dry-run, critical-incident gating, resume
// after a restart without repeating finished steps, cancellation, and the post-mortem.
#include "modules/incident_commander/runbook_service.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "modules/incident_commander/incident_service.h"
#include "store/migrations.h"

namespace dai::incidents {
namespace {

namespace fs = std::filesystem;

class RunbookServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dai-runbooks-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = store::OpenDatabase({.url = (dir_ / "t.db").string()});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(store::Migrate(*db_).ok());
    incidents_ = std::make_unique<IncidentService>(*db_, clock_, IncidentServiceOptions{}, nullptr);
    jobs_ = std::make_unique<store::JobRepository>(*db_);
    Restart();
  }
  void TearDown() override {
    worker_.reset();
    runbooks_.reset();
    incidents_.reset();
    jobs_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }
  // A fresh service and worker over the same store: what a process restart gives.
  void Restart() {
    worker_.reset();
    RunbookServiceOptions options;
    options.allowed_executables = {"/bin/echo", "/bin/mkdir", "/bin/false", "/bin/sleep"};
    runbooks_ = std::make_unique<RunbookService>(*db_, *jobs_, clock_, options, nullptr);
    store::JobWorkerOptions wo;
    wo.threads = 1;
    worker_ = std::make_unique<store::JobWorker>(*jobs_, clock_, wo);
    ASSERT_TRUE(runbooks_->AttachWorker(*worker_).ok());
  }
  void Drain() {
    for (int i = 0; i < 5; ++i) {
      auto n = worker_->RunDue(100);
      ASSERT_TRUE(n.ok()) << n.status().ToString();
    }
  }
  int64_t Incident(const std::string& severity, const std::string& service = "api") {
    const std::string body =
        R"({"version":"4","status":"firing","alerts":[{"labels":{"alertname":"Down-)" + service +
        R"(","service":")" + service + R"(","severity":")" + severity +
        R"("},"startsAt":"2023-11-14T22:10:00Z"}]})";
    auto batch = alerts::DecodeAlertmanagerWebhook(body, clock_.Now());
    EXPECT_TRUE(batch.ok());
    auto r = incidents_->Ingest(*batch, "alertmanager");
    EXPECT_TRUE(r.ok());
    return r->opened_incidents.empty() ? r->touched_incidents.at(0) : r->opened_incidents.at(0);
  }
  int64_t Runbook(const std::string& yaml) {
    auto rb = runbooks_->Create(yaml, alice_);
    EXPECT_TRUE(rb.ok()) << rb.status().ToString();
    return rb.ok() ? (*rb)["id"].get<int64_t>() : 0;
  }
  Json Exec(int64_t id) {
    auto e = runbooks_->GetExecution(id);
    EXPECT_TRUE(e.ok());
    return e.ok() ? *e : Json();
  }
  std::vector<std::string> Timeline(int64_t incident) {
    std::vector<std::string> out;
    auto inc = incidents_->Get(incident);
    for (const auto& a : (*inc)["timeline"])
      out.push_back(a["type"].get<std::string>() + ": " + a["description"].get<std::string>());
    return out;
  }

  fs::path dir_;
  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<IncidentService> incidents_;
  std::unique_ptr<store::JobRepository> jobs_;
  std::unique_ptr<RunbookService> runbooks_;
  std::unique_ptr<store::JobWorker> worker_;
  static Identity Operator(const std::string& name) {
    Identity id;
    id.username = name;
    id.role = Role::kOperator;
    return id;
  }
  Identity alice_ = Operator("alice");
  Identity bob_ = Operator("bob");
};

TEST_F(RunbookServiceTest, ApprovalBySecondOperatorThenArgvCommandWithIncidentParameter) {
  const int64_t incident = Incident("high", "api; rm -rf /");
  const int64_t rb = Runbook(R"(
name: echo-service
parameters: [service]
steps:
  - {name: say, command: {argv: [/bin/echo, "restarting", "{{service}}"], destructive: false}}
)");
  auto e = runbooks_->Execute(rb, incident, false, {}, "alice", 0);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const int64_t id = (*e)["id"].get<int64_t>();
  EXPECT_EQ((*e)["status"], "awaiting_approval");
  EXPECT_EQ((*e)["awaiting"]["stepIndex"], -1);
  Drain();
  EXPECT_EQ(Exec(id)["status"], "awaiting_approval");  // nothing runs before the approval
  auto self = runbooks_->Decide(id, true, alice_, "");
  EXPECT_EQ(self.status().code(), StatusCode::kPermissionDenied);
  auto ok = runbooks_->Decide(id, true, bob_, "go");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(runbooks_->Decide(id, true, bob_, "again").status().code(),
            StatusCode::kFailedPrecondition);
  Drain();
  Json done = Exec(id);
  EXPECT_EQ(done["status"], "succeeded") << done.dump();
  // The incident value stayed one argument: echo printed it verbatim, no shell ran it.
  EXPECT_EQ(done["steps"][0]["output"], "restarting api; rm -rf /\n");
  EXPECT_EQ(done["steps"][0]["exitCode"], 0);
  EXPECT_EQ(done["approvals"][0]["by"], "bob");
  const auto tl = Timeline(incident);
  int runbook_rows = 0;
  for (const auto& t : tl) runbook_rows += t.rfind("runbook_execution:", 0) == 0;
  EXPECT_GE(runbook_rows, 4);  // started, approved, step outcome, succeeded
}

TEST_F(RunbookServiceTest, ExecutableOutsideTheAllowListFailsTheStep) {
  const int64_t rb = Runbook(R"(
name: not-allowed
requiresApproval: false
steps:
  - command: {argv: [/usr/bin/id], destructive: false}
)");
  auto e = runbooks_->Execute(rb, std::nullopt, false, {}, "alice", 0);
  ASSERT_TRUE(e.ok());
  Drain();
  Json done = Exec((*e)["id"].get<int64_t>());
  EXPECT_EQ(done["status"], "failed");
  EXPECT_NE(done["steps"][0]["error"].get<std::string>().find("not in the allow-list"),
            std::string::npos)
      << done.dump();
}

TEST_F(RunbookServiceTest, DryRunRunsNothingAndNeedsNoApproval) {
  const std::string target = (dir_ / "made").string();
  const int64_t rb = Runbook(
      "name: make-dir\nparameters: [path]\nsteps:\n  - command: {argv: [/bin/mkdir, "
      "\"{{path}}\"]}\n"
      "  - {name: pause, wait: 1h}\n  - approval: sure?\n");
  auto e = runbooks_->Execute(rb, std::nullopt, true, {{"path", target}}, "alice", 0);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)["status"], "pending");
  Drain();
  Json done = Exec((*e)["id"].get<int64_t>());
  EXPECT_EQ(done["status"], "succeeded") << done.dump();
  EXPECT_FALSE(fs::exists(target));
  EXPECT_EQ(done["steps"][0]["argv"][1], target);
  EXPECT_EQ(done["steps"][0]["dryRun"], true);
}

TEST_F(RunbookServiceTest, MissingOrUndeclaredParametersAreRefused) {
  const int64_t rb = Runbook(
      "name: p\nparameters: [path]\nsteps:\n  - command: {argv: [/bin/mkdir, \"{{path}}\"]}\n");
  auto e = runbooks_->Execute(rb, std::nullopt, false, {}, "alice", 0);
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(e.status().message().find("parameters.path"), std::string::npos);
  e = runbooks_->Execute(rb, std::nullopt, false, {{"path", "x"}, {"other", "y"}}, "alice", 0);
  EXPECT_NE(e.status().message().find("parameters.other"), std::string::npos);
}

TEST_F(RunbookServiceTest, CriticalIncidentWaitsForAHumanBeforeADestructiveStep) {
  const int64_t incident = Incident("critical");
  const std::string target = (dir_ / "crit").string();
  const int64_t rb = Runbook(
      "name: auto\nrequiresApproval: false\nparameters: [path]\nsteps:\n"
      "  - {name: harmless, command: {argv: [/bin/echo, hi], destructive: false}}\n"
      "  - {name: act, command: {argv: [/bin/mkdir, \"{{path}}\"]}}\n");
  auto e = runbooks_->Execute(rb, incident, false, {{"path", target}}, "system", 0);
  ASSERT_TRUE(e.ok());
  const int64_t id = (*e)["id"].get<int64_t>();
  Drain();
  Json mid = Exec(id);
  EXPECT_EQ(mid["status"], "awaiting_approval") << mid.dump();
  EXPECT_EQ(mid["steps"][0]["status"], "succeeded");
  EXPECT_EQ(mid["awaiting"]["stepIndex"], 1);
  EXPECT_FALSE(fs::exists(target));
  ASSERT_TRUE(runbooks_->Decide(id, true, alice_, "")
                  .ok());  // started by the system: any operator may approve
  Drain();
  EXPECT_EQ(Exec(id)["status"], "succeeded");
  EXPECT_TRUE(fs::is_directory(target));
}

TEST_F(RunbookServiceTest, ResumesAfterRestartWithoutRepeatingFinishedSteps) {
  const std::string a = (dir_ / "a").string(), b = (dir_ / "b").string();
  // mkdir fails when its directory exists: repeating step 1 would fail the execution.
  const int64_t rb = Runbook(
      "name: resume\nrequiresApproval: false\nparameters: [a, b]\nsteps:\n"
      "  - command: {argv: [/bin/mkdir, \"{{a}}\"]}\n  - approval: continue?\n"
      "  - command: {argv: [/bin/mkdir, \"{{b}}\"]}\n");
  auto e = runbooks_->Execute(rb, std::nullopt, false, {{"a", a}, {"b", b}}, "alice", 0);
  ASSERT_TRUE(e.ok());
  const int64_t id = (*e)["id"].get<int64_t>();
  Drain();
  EXPECT_EQ(Exec(id)["status"], "awaiting_approval");
  Restart();
  ASSERT_TRUE(runbooks_->Decide(id, true, bob_, "").ok());
  Drain();
  Json done = Exec(id);
  EXPECT_EQ(done["status"], "succeeded") << done.dump();
  EXPECT_EQ(done["steps"][1]["approvedBy"], "bob");
  EXPECT_TRUE(fs::is_directory(b));
}

TEST_F(RunbookServiceTest, AStepStartedBeforeACrashIsNotRepeated) {
  const int64_t rb = Runbook(
      "name: crash\nrequiresApproval: false\nsteps:\n  - command: {argv: [/bin/echo, once]}\n");
  auto e = runbooks_->Execute(rb, std::nullopt, false, {}, "alice", 0);
  ASSERT_TRUE(e.ok());
  const int64_t id = (*e)["id"].get<int64_t>();
  // What a process that died mid-step leaves behind: intent recorded, no outcome.
  ASSERT_TRUE(
      db_->Query("UPDATE runbook_executions SET status = 'running', step_results = ? WHERE id = ?",
                 {std::string(R"([{"name":"step 1","type":"command","status":"running"}])"), id})
          .ok());
  Restart();
  ASSERT_TRUE(runbooks_->Run(id, [] { return false; }).ok());
  Json done = Exec(id);
  EXPECT_EQ(done["status"], "failed");
  EXPECT_FALSE(done["steps"][0].contains("output"));  // it did not run again
  EXPECT_NE(done["error"].get<std::string>().find("not repeated"), std::string::npos)
      << done.dump();
}

TEST_F(RunbookServiceTest, AStepMarkedRetryIsRunAgainAfterACrashAndCounted) {
  const int64_t rb = Runbook(
      "name: idem\nrequiresApproval: false\nsteps:\n  - command: {argv: [/bin/echo, again]}\n"
      "    onInterrupt: retry\n");
  auto e = runbooks_->Execute(rb, std::nullopt, false, {}, "alice", 0);
  ASSERT_TRUE(e.ok());
  const int64_t id = (*e)["id"].get<int64_t>();
  ASSERT_TRUE(
      db_->Query("UPDATE runbook_executions SET status = 'running', step_results = ? WHERE id = ?",
                 {std::string(R"([{"name":"step 1","type":"command","status":"running"}])"), id})
          .ok());
  Restart();
  ASSERT_TRUE(runbooks_->Run(id, [] { return false; }).ok());
  Json done = Exec(id);
  EXPECT_EQ(done["status"], "succeeded") << done.dump();
  EXPECT_EQ(done["steps"][0]["output"], "again\n");
  EXPECT_EQ(done["steps"][0]["interruptions"], 1);
}

TEST_F(RunbookServiceTest, CancelStopsARunningWait) {
  const int64_t rb = Runbook(
      "name: slow\nrequiresApproval: false\nsteps:\n  - wait: 30m\n  - command: {argv: [/bin/echo, "
      "never]}\n");
  auto e = runbooks_->Execute(rb, std::nullopt, false, {}, "alice", 0);
  ASSERT_TRUE(e.ok());
  const int64_t id = (*e)["id"].get<int64_t>();
  std::thread canceller([&] {
    for (int i = 0; i < 100; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      auto x = runbooks_->GetExecution(id);
      if (x.ok() && (*x)["status"] == "running") break;
    }
    EXPECT_TRUE(runbooks_->Cancel(id, bob_).ok());
  });
  ASSERT_TRUE(runbooks_->Run(id, [] { return false; }).ok());
  canceller.join();
  Json done = Exec(id);
  EXPECT_EQ(done["status"], "cancelled");
  EXPECT_EQ(done["steps"][0]["status"], "failed");
  EXPECT_EQ(done["steps"][1]["status"], "pending");
}

TEST_F(RunbookServiceTest, AutoExecuteStartsOnAMatchingIncidentOnly) {
  Runbook(
      "name: on-db\nautoExecute: true\nrequiresApproval: false\ntrigger: {labels: {service: db}}\n"
      "steps:\n  - command: {argv: [/bin/echo, auto], destructive: false}\n");
  const int64_t api = Incident("high", "api");
  ASSERT_TRUE(runbooks_->OnIncidentOpened(api).ok());
  clock_.Advance(Millis(3'600'000));
  const int64_t db = Incident("high", "db");
  ASSERT_TRUE(runbooks_->OnIncidentOpened(db).ok());
  Drain();
  auto list = runbooks_->ListExecutions(Json::object());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["total"], 1);
  EXPECT_EQ((*list)["items"][0]["incidentId"], db);
  EXPECT_EQ((*list)["items"][0]["status"], "succeeded");
  EXPECT_EQ((*list)["items"][0]["triggeredBy"], "system");
}

TEST_F(RunbookServiceTest, PostMortemRevisionsKeepPeoplesEdits) {
  const int64_t incident = Incident("high");
  const int64_t rb =
      Runbook("name: fail\nrequiresApproval: false\nsteps:\n  - command: {argv: [/bin/false]}\n");
  ASSERT_TRUE(runbooks_->Execute(rb, incident, false, {}, "alice", 0).ok());
  Drain();
  clock_.Advance(Millis(90'000));
  ASSERT_TRUE(incidents_->Acknowledge(incident, alice_, "on it").ok());
  clock_.Advance(Millis(600'000));
  ASSERT_TRUE(incidents_->Resolve(incident, alice_, "rolled back the deploy").ok());
  // Detected at the alert's startsAt (200 s before the fake clock's start), so MTTA is
  // 200 s + 90 s and MTTR 200 s + 90 s + 600 s.
  auto pm = incidents_->GeneratePostMortem(incident, alice_);
  ASSERT_TRUE(pm.ok()) << pm.status().ToString();
  const std::string md = (*pm)["current"]["content"];
  EXPECT_NE(md.find("| MTTA (time to acknowledge) | 4m 50s |"), std::string::npos) << md;
  EXPECT_NE(md.find("| MTTR (time to resolve) | 14m 50s |"), std::string::npos) << md;
  EXPECT_NE(md.find("rolled back the deploy"), std::string::npos);
  EXPECT_NE(md.find("Runbook **fail**: failed"), std::string::npos);
  EXPECT_NE(md.find("| acknowledge | alice | Acknowledged: on it |"), std::string::npos) << md;
  auto edited =
      incidents_->SavePostMortem(incident, md + "\nReviewed by the team.\n", "carol", false);
  ASSERT_TRUE(edited.ok());
  auto again = incidents_->GeneratePostMortem(incident, alice_);
  ASSERT_TRUE(again.ok());
  const Json& revs = (*again)["revisions"];
  ASSERT_EQ(revs.size(), 3u);
  EXPECT_EQ(revs[0]["version"], 3);
  EXPECT_EQ(revs[0]["kind"], "generated");
  EXPECT_EQ(revs[1]["kind"], "edited");
  EXPECT_EQ(revs[1]["author"], "carol");
  EXPECT_NE(revs[1]["content"].get<std::string>().find("Reviewed by the team."), std::string::npos);
  EXPECT_EQ(incidents_->GeneratePostMortem(999, alice_).status().code(), StatusCode::kNotFound);
}

TEST_F(RunbookServiceTest, IncidentUpdatesAreTimelineRows) {
  const int64_t incident = Incident("high");
  Json change = {{"status", "mitigating"}, {"severity", "critical"}};
  ASSERT_TRUE(incidents_->Update(incident, alice_, change).ok());
  ASSERT_TRUE(incidents_->AddNote(incident, bob_, "rolled back").ok());
  auto bad = incidents_->Update(incident, alice_, Json{{"assignee", "nobody-here"}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  const auto tl = Timeline(incident);
  EXPECT_NE(std::find(tl.begin(), tl.end(), "status_change: Status detected → mitigating"),
            tl.end());
  EXPECT_NE(std::find(tl.begin(), tl.end(), "severity_change: Severity high → critical"), tl.end());
  EXPECT_NE(std::find(tl.begin(), tl.end(), "comment: rolled back"), tl.end());
}

TEST_F(RunbookServiceTest, ValidateAnswersCanonicalFormAndWarningsWithoutStoring) {
  auto v = runbooks_->Validate(R"(
name: check-only
steps:
  - {name: say, command: {argv: [/bin/echo, hi], timeout: 30s}}
  - {name: other, command: {argv: [/usr/bin/not-allowed]}}
  - {name: nested, runbook: missing-one}
)");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ((*v)["runbook"]["steps"][0]["command"]["timeout"], "30000ms");
  ASSERT_EQ((*v)["warnings"].size(), 2u) << v->dump();
  EXPECT_EQ((*v)["warnings"][0]["field"], "steps[1].command.argv[0]");
  EXPECT_EQ((*v)["warnings"][1]["field"], "steps[2].runbook");
  // Nothing was stored.
  auto list = runbooks_->List(Json::object());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["total"], 0);
  // An invalid definition answers the error createRunbook answers, naming the field.
  auto bad = runbooks_->Validate("name: x\nsteps:\n  - {command: {argv: [echo, hi]}}\n");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("steps[0].command.argv[0]"), std::string::npos)
      << bad.status().ToString();
}

}  // namespace
}  // namespace dai::incidents
