#include "adapters/gitops/gitops.h"

#include <gtest/gtest.h>

namespace dai::gitops {
namespace {

Json App(bool automated) {
  return Json::parse(std::string(R"({
    "metadata": {"name": "web", "namespace": "argocd"},
    "spec": {"syncPolicy": )") +
                     (automated ? R"({"automated": {"prune": true}})" : "{}") + R"(},
    "status": {
      "sync": {"status": "Synced", "revision": "bbb"},
      "health": {"status": "Degraded", "message": "0/3 ready"},
      "history": [{"id": 0, "revision": "aaa", "deployedAt": "2026-11-01T10:00:00Z"},
                  {"id": "1", "revision": "bbb", "deployedAt": "2026-11-01T11:00:00Z"}],
      "operationState": {"phase": "Succeeded", "message": "successfully synced"}}})");
}

TEST(ArgoCd, StatusReadsSyncHealthHistoryAndAutoSync) {
  Json s = ArgoCdStatus(App(true));
  EXPECT_EQ(s["sync"], "Synced");
  EXPECT_EQ(s["health"], "Degraded");
  EXPECT_EQ(s["revision"], "bbb");
  EXPECT_EQ(s["autoSync"], true);
  ASSERT_EQ(s["history"].size(), 2u);
  EXPECT_EQ(s["history"][1]["id"], 1);  // an int64 written as a string, as grpc-gateway does
  EXPECT_EQ(s["operation"]["phase"], "Succeeded");
  EXPECT_EQ(ArgoCdStatus(App(false))["autoSync"], false);
}

TEST(ArgoCd, RollbackEntryIsThePreviousOrTheNamedOne) {
  auto prev = ArgoCdRollbackEntry(App(false), std::nullopt);
  ASSERT_TRUE(prev.ok()) << prev.status().ToString();
  EXPECT_EQ((*prev)["revision"], "aaa");
  auto named = ArgoCdRollbackEntry(App(false), 1);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ((*named)["revision"], "bbb");
  auto none = ArgoCdRollbackEntry(App(false), 7);
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(none.status().message().find("does not have deployment with id 7"), std::string::npos);
  Json one = App(false);
  one["status"]["history"].erase(1);
  EXPECT_EQ(ArgoCdRollbackEntry(one, std::nullopt).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(Flux, StatusFromTheReadyConditionAndSuspend) {
  Json k = Json::parse(R"({
    "metadata": {"name": "apps", "namespace": "flux-system",
                 "annotations": {"reconcile.fluxcd.io/requestedAt": "2026-11-29T10:00:00Z"}},
    "spec": {"suspend": false},
    "status": {"lastAppliedRevision": "main@sha1:111", "lastAttemptedRevision": "main@sha1:222",
               "lastHandledReconcileAt": "2026-11-29T09:00:00Z",
               "conditions": [{"type": "Ready", "status": "False", "reason": "BuildFailed",
                               "message": "kustomize build failed"}]}})");
  Json s = FluxStatus(k, "kustomization");
  EXPECT_EQ(s["health"], "Degraded");
  EXPECT_EQ(s["sync"], "OutOfSync");
  EXPECT_EQ(s["revision"], "main@sha1:111");
  EXPECT_EQ(s["message"], "BuildFailed: kustomize build failed");
  EXPECT_EQ(s["operation"]["phase"], "Running");  // requested, not handled yet
  k["spec"]["suspend"] = true;
  EXPECT_EQ(FluxStatus(k, "kustomization")["health"], "Suspended");
  EXPECT_EQ(FluxReconcilePatch("t")["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"],
            "t");
  EXPECT_TRUE(FluxSuspendPatch(false)["spec"]["suspend"].is_null());
  EXPECT_EQ(FluxResource("helmrelease")->group, "helm.toolkit.fluxcd.io");
  EXPECT_EQ(FluxResource("gitrepository").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dai::gitops
