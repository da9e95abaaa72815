#include "engines/runbook/runbook.h"

#include <gtest/gtest.h>

namespace dai::runbook {
namespace {

constexpr const char* kFull = R"(
name: restart-api
description: Restart the API
trigger: {labels: {service: api}, severity: [critical, high]}
parameters: [service, reason]
steps:
  - name: restart
    command: {argv: [/usr/bin/systemctl, restart, "{{service}}"], timeout: 30s, workdir: /, env: {WHY: "{{reason}}"}}
  - {name: settle, wait: 250ms}
  - {name: confirm, approval: "Is {{service}} up?"}
  - {name: tell, notify: "Restarted {{service}}"}
  - {name: probe, http: {url: "http://127.0.0.1:1/healthz"}}
  - {name: healthy, promql: {query: "up == 1", timeout: 1m}}
  - {name: heal, healing: {action: restart_pod, target: "{{service}}"}}
  - {name: more, runbook: other}
)";

TEST(RunbookParse, FullDefinitionWithDefaults) {
  auto rb = ParseRunbook(kFull);
  ASSERT_TRUE(rb.ok()) << rb.status().ToString();
  EXPECT_EQ(rb->name, "restart-api");
  EXPECT_TRUE(rb->requires_approval);  // the safe default
  EXPECT_FALSE(rb->auto_execute);
  ASSERT_EQ(rb->steps.size(), 8u);
  EXPECT_EQ(rb->steps[0].type, StepType::kCommand);
  EXPECT_EQ(rb->steps[0].timeout, Millis(30000));
  EXPECT_TRUE(rb->steps[0].destructive);  // commands are destructive unless they say otherwise
  EXPECT_EQ(rb->steps[1].duration, Millis(250));
  EXPECT_EQ(rb->steps[4].method, "GET");
  EXPECT_FALSE(rb->steps[4].destructive);
  EXPECT_EQ(rb->steps[5].timeout, Millis(60000));
  EXPECT_EQ(rb->steps[7].text, "other");
}

TEST(RunbookParse, CanonicalJsonRoundTrips) {
  auto rb = ParseRunbook(kFull);
  ASSERT_TRUE(rb.ok());
  auto again = ParseRunbookJson(rb->ToJson());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToJson(), rb->ToJson());
}

void ExpectBad(const std::string& yaml, const std::string& fragment) {
  auto rb = ParseRunbook(yaml);
  ASSERT_FALSE(rb.ok()) << yaml;
  EXPECT_NE(rb.status().message().find(fragment), std::string::npos) << rb.status().message();
}

TEST(RunbookParse, RefusalsNameTheField) {
  ExpectBad("name: x\nsteps: []", "steps");
  ExpectBad("name: x\nsteps: [{wait: 1s}]\nextra: 1", "extra: unknown field");
  ExpectBad("name: x\nsteps: [{command: {argv: [systemctl, restart]}}]",
            "steps[0].command.argv[0]: the executable must be an absolute path");
  ExpectBad("name: x\nsteps: [{command: {argv: [\"/bin/echo\", \"{{who}}\"]}}]",
            "does not declare it");
  ExpectBad("name: x\nparameters: [p]\nsteps: [{command: {argv: [\"{{p}}\"]}}]", "argv[0]");
  ExpectBad("name: x\nsteps: [{wait: 1s, notify: hi}]", "more than one step type");
  ExpectBad("name: x\nsteps: [{wait: 5 fortnights}]", "steps[0].wait");
  ExpectBad("name: 'a b'\nsteps: [{wait: 1s}]", "name");
  ExpectBad("name: x\nsteps: [{http: {url: 'file:///etc/passwd'}}]", "steps[0].http.url");
  ExpectBad("name: x\ntrigger: {severity: [urgent]}\nsteps: [{wait: 1s}]", "trigger.severity");
  ExpectBad("name: x\nsteps: [{command: {argv: [/bin/true], timeout: 2h}}]", "timeout");
  ExpectBad("name: [", "runbook");  // malformed YAML
}

TEST(RunbookParse, OversizedDefinitionRefused) {
  Limits limits;
  limits.max_bytes = 100;
  auto rb = ParseRunbook(std::string(200, '#'), limits);
  EXPECT_EQ(rb.status().code(), StatusCode::kPayloadTooLarge);
}

TEST(RunbookArgv, ParameterValuesStayOneArgumentAndNeverReachAShell) {
  auto rb = ParseRunbook(kFull);
  ASSERT_TRUE(rb.ok());
  const std::map<std::string, std::string> params = {{"service", "api; rm -rf / $(id)"},
                                                     {"reason", "r"}};
  auto argv = ResolveArgv(rb->steps[0], params, {"/usr/bin/systemctl"});
  ASSERT_TRUE(argv.ok()) << argv.status().ToString();
  ASSERT_EQ(argv->size(), 3u);
  EXPECT_EQ((*argv)[2], "api; rm -rf / $(id)");
}

TEST(RunbookArgv, ExecutableOutsideTheAllowListIsRefused) {
  auto rb = ParseRunbook(kFull);
  ASSERT_TRUE(rb.ok());
  auto argv = ResolveArgv(rb->steps[0], {{"service", "api"}, {"reason", "r"}}, {"/bin/echo"});
  EXPECT_EQ(argv.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(argv.status().message().find("/usr/bin/systemctl"), std::string::npos);
}

TEST(RunbookArgv, MissingParameterValueIsAnError) {
  auto rb = ParseRunbook(kFull);
  ASSERT_TRUE(rb.ok());
  auto argv = ResolveArgv(rb->steps[0], {}, {"/usr/bin/systemctl"});
  EXPECT_EQ(argv.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(argv.status().message().find("service"), std::string::npos);
}

TEST(RunbookTrigger, LabelsAndSeverity) {
  auto rb = ParseRunbook(kFull);
  ASSERT_TRUE(rb.ok());
  EXPECT_TRUE(Matches(rb->trigger, {{"service", "api"}, {"env", "prod"}}, "critical"));
  EXPECT_FALSE(Matches(rb->trigger, {{"service", "api"}}, "low"));
  EXPECT_FALSE(Matches(rb->trigger, {{"service", "web"}}, "critical"));
  EXPECT_FALSE(Matches(rb->trigger, {}, "high"));
}

Runbook TwoSteps(bool destructive, bool requires_approval) {
  Runbook rb;
  rb.name = "t";
  rb.requires_approval = requires_approval;
  Step a;
  a.name = "a";
  a.type = StepType::kCommand;
  a.argv = {"/bin/true"};
  a.destructive = destructive;
  Step gate;
  gate.name = "gate";
  gate.type = StepType::kApproval;
  gate.text = "go on?";
  rb.steps = {a, gate, a};
  return rb;
}

TEST(RunbookPlan, WholeRunbookApprovalFirst) {
  const Runbook rb = TwoSteps(false, true);
  Next n = PlanNext(rb, {}, {});
  EXPECT_EQ(n.kind, NextKind::kAwaitApproval);
  EXPECT_EQ(n.index, -1);
  n = PlanNext(rb, {}, {.runbook_approved = true});
  EXPECT_EQ(n.kind, NextKind::kRunStep);
  EXPECT_EQ(n.index, 0);
}

TEST(RunbookPlan, ApprovalGateStopsUntilApprovedThenContinues) {
  const Runbook rb = TwoSteps(false, false);
  std::vector<StepState> st(3);
  st[0].status = StepStatus::kSucceeded;
  Next n = PlanNext(rb, st, {});
  EXPECT_EQ(n.kind, NextKind::kAwaitApproval);
  EXPECT_EQ(n.index, 1);
  st[1].approved = true;
  n = PlanNext(rb, st, {});
  EXPECT_EQ(n.kind, NextKind::kRunStep);
  EXPECT_EQ(n.index, 1);  // the gate itself is then recorded as succeeded by the runner
  st[1].status = StepStatus::kSucceeded;
  st[2].status = StepStatus::kSucceeded;
  EXPECT_EQ(PlanNext(rb, st, {}).kind, NextKind::kSucceeded);
}

TEST(RunbookPlan, CriticalIncidentNeverRunsADestructiveStepWithoutAHuman) {
  const Runbook rb = TwoSteps(true, false);
  Next n = PlanNext(rb, {}, {.critical = true});
  EXPECT_EQ(n.kind, NextKind::kAwaitApproval);
  EXPECT_EQ(n.index, 0);
  EXPECT_EQ(PlanNext(rb, {}, {.critical = false}).kind, NextKind::kRunStep);
  std::vector<StepState> st(3);
  st[0].approved = true;
  EXPECT_EQ(PlanNext(rb, st, {.critical = true}).kind, NextKind::kRunStep);
  EXPECT_EQ(PlanNext(TwoSteps(false, false), {}, {.critical = true}).kind, NextKind::kRunStep);
}

TEST(RunbookPlan, AStartedStepIsNeverRepeated) {
  const Runbook rb = TwoSteps(false, false);
  std::vector<StepState> st(3);
  st[0].status = StepStatus::kRunning;
  Next n = PlanNext(rb, st, {});
  EXPECT_EQ(n.kind, NextKind::kFailed);
  EXPECT_EQ(n.index, 0);
  EXPECT_NE(n.reason.find("not repeated"), std::string::npos);
}

TEST(RunbookPlan, AnInterruptedStepIsRetriedOnlyPerItsPolicyAndBoundedly) {
  auto parse = [](const std::string& steps) {
    auto r = ParseRunbook("name: p\nrequiresApproval: false\nsteps:\n" + steps);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Runbook{};
  };
  std::vector<StepState> st(1);
  st[0].status = StepStatus::kRunning;
  // Defaults: no side effects (wait, promql, http GET) retry; commands and http POST do not.
  for (const char* retried : {"  - wait: 5s\n", "  - promql: {query: up}\n",
                              "  - http: {method: GET, url: 'http://127.0.0.1:1/x'}\n",
                              "  - command: {argv: [/bin/true]}\n    onInterrupt: retry\n"}) {
    Next n = PlanNext(parse(retried), st, {});
    EXPECT_EQ(n.kind, NextKind::kRunStep) << retried;
    EXPECT_NE(n.reason.find("retried"), std::string::npos) << n.reason;
  }
  for (const char* failed : {"  - command: {argv: [/bin/true]}\n",
                             "  - http: {method: POST, url: 'http://127.0.0.1:1/x'}\n",
                             "  - wait: 5s\n    onInterrupt: fail\n"}) {
    Next n = PlanNext(parse(failed), st, {});
    EXPECT_EQ(n.kind, NextKind::kFailed) << failed;
    EXPECT_NE(n.reason.find("not repeated"), std::string::npos) << n.reason;
  }
  // Bounded: a step that keeps dying with the process is not retried forever.
  st[0].interruptions = kMaxInterruptRetries;
  Next n = PlanNext(parse("  - wait: 5s\n"), st, {});
  EXPECT_EQ(n.kind, NextKind::kFailed);
  EXPECT_NE(n.reason.find("after 3 interruptions"), std::string::npos) << n.reason;
  // The policy round-trips when given, and only then; a bad value is named.
  EXPECT_EQ(parse("  - wait: 5s\n    onInterrupt: fail\n").ToJson()["steps"][0]["onInterrupt"],
            "fail");
  EXPECT_FALSE(parse("  - wait: 5s\n").ToJson()["steps"][0].contains("onInterrupt"));
  auto bad = ParseRunbook("name: p\nsteps:\n  - wait: 5s\n    onInterrupt: maybe\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("steps[0].onInterrupt"), std::string::npos)
      << bad.status().ToString();
}

TEST(RunbookPlan, FinishedStepsAreSkippedOnResume) {
  const Runbook rb = TwoSteps(false, false);
  std::vector<StepState> st(3);
  st[0].status = StepStatus::kSucceeded;
  st[1].status = StepStatus::kSucceeded;
  Next n = PlanNext(rb, st, {});
  EXPECT_EQ(n.kind, NextKind::kRunStep);
  EXPECT_EQ(n.index, 2);
  st[2].status = StepStatus::kFailed;
  EXPECT_EQ(PlanNext(rb, st, {}).kind, NextKind::kFailed);
}

TEST(RunbookPlan, DryRunNeedsNoApproval) {
  const Runbook rb = TwoSteps(true, true);
  Next n = PlanNext(rb, {}, {.dry_run = true, .critical = true});
  EXPECT_EQ(n.kind, NextKind::kRunStep);
  EXPECT_EQ(n.index, 0);
}

TEST(RunbookDuration, Units) {
  EXPECT_EQ(*ParseDuration(Json("250ms"), "f"), Millis(250));
  EXPECT_EQ(*ParseDuration(Json("2m"), "f"), Millis(120000));
  EXPECT_EQ(*ParseDuration(Json(3), "f"), Millis(3000));
  EXPECT_FALSE(ParseDuration(Json("-1s"), "f").ok());
  EXPECT_FALSE(ParseDuration(Json(true), "f").ok());
}

}  // namespace
}  // namespace dai::runbook
