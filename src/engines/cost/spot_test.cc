#include "engines/cost/spot.h"

#include <gtest/gtest.h>

namespace dai::cost {
namespace {

// A Deployment meeting every criterion: 3 replicas, no volumes, 30 s grace, 2 x (500m, 1Gi).
Json Deployment(const std::string& name = "web", int64_t replicas = 3) {
  return Json::parse(R"({"kind": "Deployment", "apiVersion": "apps/v1",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
      "template": {"metadata": {"labels": {"app": "web", "tier": "front"}},
        "spec": {"containers": [
          {"name": "app", "image": "web:1", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}},
          {"name": "proxy", "image": "envoy:1", "resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}}}]}}}})")
      .patch(Json::array({{{"op", "replace"}, {"path", "/metadata/name"}, {"value", name}},
                          {{"op", "replace"}, {"path", "/spec/replicas"}, {"value", replicas}}}));
}

Json Pdb(const std::string& name, const Json& budget, const Json& match = {{"app", "web"}}) {
  Json p = {{"kind", "PodDisruptionBudget"},
            {"metadata", {{"name", name}, {"namespace", "shop"}}},
            {"spec", {{"selector", {{"matchLabels", match}}}}}};
  for (auto it = budget.begin(); it != budget.end(); ++it) p["spec"][it.key()] = it.value();
  return p;
}

SpotOptions Options(const std::string& provider = "default") {
  SpotOptions o;
  o.provider = *FindSpotProvider(provider);
  return o;
}

const SpotCriterion& Get(const SpotAssessment& a, const std::string& name) {
  for (const auto& c : a.criteria)
    if (c.name == name) return c;
  static SpotCriterion none{"missing", false, ""};
  ADD_FAILURE() << "no criterion " << name;
  return none;
}

SpotAssessment One(const std::vector<Json>& objects, const SpotOptions& o = Options(),
                   const std::map<std::string, double>& measured = {}) {
  auto all = AssessSpot(objects, measured, o);
  EXPECT_EQ(all.size(), 1u);
  return all.empty() ? SpotAssessment{} : all[0];
}

TEST(ParseQuantity, KubernetesSuffixes) {
  EXPECT_DOUBLE_EQ(*ParseQuantity("500m"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseQuantity("2"), 2);
  EXPECT_DOUBLE_EQ(*ParseQuantity("256Mi"), 256.0 * 1048576);
  EXPECT_DOUBLE_EQ(*ParseQuantity("1G"), 1e9);
  EXPECT_DOUBLE_EQ(*ParseQuantity("1e3"), 1000);
  EXPECT_FALSE(ParseQuantity("").has_value());
  EXPECT_FALSE(ParseQuantity("lots").has_value());
  EXPECT_FALSE(ParseQuantity("5Xi").has_value());
  EXPECT_FALSE(ParseQuantity("-1").has_value());
}

TEST(AssessSpot, ReplicatedStatelessDeploymentIsSuitableWithSavingAndPatch) {
  const auto a = One({Deployment(), Pdb("web", {{"maxUnavailable", 1}})});
  EXPECT_EQ(a.id, "shop/Deployment/web");
  EXPECT_TRUE(a.suitable) << a.evidence;
  EXPECT_TRUE(a.failed.empty());
  for (const char* name : {"kind", "stateless", "replicated", "disruption_budget", "evictable",
                           "graceful_shutdown", "not_already_spot"})
    EXPECT_TRUE(Get(a, name).met) << name << ": " << Get(a, name).detail;
  // 3 pods x (1 core x 0.031611 + 2 GiB x 0.004237) x 730 h, 60% off.
  const double monthly = 3 * (1.0 * 0.031611 + 2.0 * 0.004237) * 730;
  EXPECT_NEAR(a.monthly_cost, monthly, 1e-9);
  EXPECT_NEAR(a.monthly_saving, monthly * 0.6, 1e-9);
  EXPECT_EQ(a.cost_source, "requests");
  EXPECT_EQ(a.risk, "low");  // more than 2 pods and a budget limiting disruptions
  EXPECT_EQ(a.patch["spec"]["template"]["spec"]["nodeSelector"]["karpenter.sh/capacity-type"],
            "spot");
  EXPECT_EQ(a.patch_yaml,
            "spec:\n  template:\n    spec:\n      nodeSelector:\n        "
            "karpenter.sh/capacity-type: \"spot\"\n");
  EXPECT_NE(a.evidence.find("disruption_budget: met (PodDisruptionBudget 'web' allows 1"),
            std::string::npos)
      << a.evidence;
}

TEST(AssessSpot, MeasuredCostWinsOverRequests) {
  const auto a = One({Deployment()}, Options(), {{"shop/web", 0.1}});
  EXPECT_EQ(a.cost_source, "utilization");
  EXPECT_NEAR(a.monthly_cost, 0.1 * 3 * 730, 1e-9);
  EXPECT_EQ(a.risk, "medium");  // no budget
}

TEST(AssessSpot, SingleReplicaIsNotSuitable) {
  const auto a = One({Deployment("web", 1)});
  EXPECT_FALSE(a.suitable);
  EXPECT_FALSE(Get(a, "replicated").met);
  EXPECT_EQ(Get(a, "replicated").detail, "1 replica (at least 2 needed)");
  EXPECT_EQ(a.failed, std::vector<std::string>{"replicated"});
  EXPECT_EQ(a.monthly_saving, 0);
  EXPECT_TRUE(a.patch.is_null());
  EXPECT_GT(a.monthly_cost, 0);  // the cost is still shown
}

TEST(AssessSpot, HpaMinReplicasIsTheFloor) {
  Json hpa = {{"kind", "HorizontalPodAutoscaler"},
              {"metadata", {{"name", "web-hpa"}, {"namespace", "shop"}}},
              {"spec",
               {{"scaleTargetRef", {{"kind", "Deployment"}, {"name", "web"}}},
                {"minReplicas", 1},
                {"maxReplicas", 10}}}};
  const auto a = One({Deployment("web", 4), hpa});
  EXPECT_FALSE(Get(a, "replicated").met);
  EXPECT_NE(Get(a, "replicated").detail.find("'web-hpa' minReplicas 1"), std::string::npos);
  hpa["spec"]["minReplicas"] = 2;
  EXPECT_TRUE(One({Deployment("web", 4), hpa}).suitable);
}

TEST(AssessSpot, StatefulSetWithClaimsIsNotStateless) {
  Json sts = Deployment("db", 3);
  sts["kind"] = "StatefulSet";
  sts["spec"]["volumeClaimTemplates"] = Json::array({{{"metadata", {{"name", "data"}}}}});
  const auto a = One({sts});
  EXPECT_FALSE(a.suitable);
  EXPECT_EQ(a.failed, std::vector<std::string>{"stateless"});
  EXPECT_NE(Get(a, "stateless").detail.find("volumeClaimTemplate 'data'"), std::string::npos);
  // A StatefulSet without volumes passes that criterion.
  sts["spec"].erase("volumeClaimTemplates");
  EXPECT_TRUE(One({sts}).suitable);
}

TEST(AssessSpot, PersistentVolumeClaimAndHostPathVolumesAreState) {
  Json d = Deployment();
  d["spec"]["template"]["spec"]["volumes"] =
      Json::array({{{"name", "cache"}, {"emptyDir", Json::object()}},
                   {{"name", "uploads"}, {"persistentVolumeClaim", {{"claimName", "uploads"}}}},
                   {{"name", "sock"}, {"hostPath", {{"path", "/var/run"}}}}});
  const auto a = One({d});
  EXPECT_FALSE(Get(a, "stateless").met);
  EXPECT_NE(Get(a, "stateless").detail.find("persistentVolumeClaim volume 'uploads'"),
            std::string::npos);
  EXPECT_NE(Get(a, "stateless").detail.find("hostPath volume 'sock'"), std::string::npos);
  EXPECT_EQ(Get(a, "stateless").detail.find("cache"), std::string::npos);  // emptyDir is fine
}

TEST(AssessSpot, DaemonSetAndBarePodAreNotSuitable) {
  Json ds = Deployment("agent", 1);
  ds["kind"] = "DaemonSet";
  ds["spec"].erase("replicas");
  const auto a = One({ds});
  EXPECT_FALSE(a.suitable);
  EXPECT_FALSE(Get(a, "kind").met);
  EXPECT_NE(Get(a, "kind").detail.find("DaemonSet"), std::string::npos);
  Json pod = {{"kind", "Pod"},
              {"metadata", {{"name", "debug"}, {"namespace", "shop"}}},
              {"spec", {{"containers", Json::array({{{"name", "sh"}}})}}}};
  const auto p = One({pod});
  EXPECT_FALSE(Get(p, "kind").met);
  // Owned pods and ReplicaSets are assessed through their owner.
  pod["metadata"]["ownerReferences"] =
      Json::array({{{"kind", "ReplicaSet"}, {"name", "web-1"}, {"controller", true}}});
  EXPECT_TRUE(AssessSpot({pod}, {}, Options()).empty());
}

TEST(AssessSpot, BudgetAllowingNoDisruptionFails) {
  for (const Json& budget : {Json{{"maxUnavailable", 0}}, Json{{"minAvailable", 3}},
                             Json{{"minAvailable", "100%"}}, Json{{"maxUnavailable", "0%"}}}) {
    const auto a = One({Deployment(), Pdb("strict", budget)});
    EXPECT_FALSE(a.suitable) << budget.dump();
    EXPECT_FALSE(Get(a, "disruption_budget").met);
    EXPECT_NE(Get(a, "disruption_budget").detail.find("'strict' allows no disruption"),
              std::string::npos)
        << Get(a, "disruption_budget").detail;
  }
  // 2 of 3 must stay: one may go.
  EXPECT_TRUE(One({Deployment(), Pdb("ok", {{"minAvailable", 2}})}).suitable);
  EXPECT_TRUE(One({Deployment(), Pdb("pct", {{"maxUnavailable", "10%"}})}).suitable);  // rounds up
  // A budget for other pods does not count.
  EXPECT_TRUE(One({Deployment(), Pdb("other", {{"maxUnavailable", 0}}, {{"app", "db"}})}).suitable);
  // matchExpressions are honoured.
  Json expr = Pdb("expr", {{"maxUnavailable", 0}});
  expr["spec"]["selector"] = {
      {"matchExpressions",
       Json::array({{{"key", "tier"}, {"operator", "In"}, {"values", {"front", "edge"}}}})}};
  EXPECT_FALSE(One({Deployment(), expr}).suitable);
}

TEST(AssessSpot, EvictionForbiddenByAnnotation) {
  Json d = Deployment();
  d["spec"]["template"]["metadata"]["annotations"] = {
      {"cluster-autoscaler.kubernetes.io/safe-to-evict", "false"}};
  const auto a = One({d});
  EXPECT_EQ(a.failed, std::vector<std::string>{"evictable"});
  d["spec"]["template"]["metadata"]["annotations"] = {{"karpenter.sh/do-not-disrupt", "true"}};
  EXPECT_FALSE(One({d}).suitable);
}

TEST(AssessSpot, GracePeriodAgainstTheProvidersNotice) {
  Json d = Deployment();
  d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 90;
  const auto gcp = One({d}, Options("gcp"));
  EXPECT_FALSE(Get(gcp, "graceful_shutdown").met);
  EXPECT_EQ(Get(gcp, "graceful_shutdown").detail,
            "terminationGracePeriodSeconds 90 exceeds the 30 s interruption notice (gcp)");
  EXPECT_TRUE(One({d}, Options("aws")).suitable);  // EC2 gives two minutes
}

TEST(AssessSpot, AlreadyOnSpotIsNotRecommendedAgain) {
  Json d = Deployment();
  d["spec"]["template"]["spec"]["nodeSelector"] = {{"eks.amazonaws.com/capacityType", "SPOT"}};
  auto a = One({d});
  EXPECT_TRUE(a.already_spot);
  EXPECT_EQ(a.failed, std::vector<std::string>{"not_already_spot"});
  d["spec"]["template"]["spec"].erase("nodeSelector");
  d["spec"]["template"]["spec"]["affinity"] = Json::parse(R"({"nodeAffinity":
    {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions":
      [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}]}]}}})");
  EXPECT_TRUE(One({d}).already_spot);
  d["spec"]["template"]["spec"].erase("affinity");
  d["spec"]["template"]["spec"]["tolerations"] =
      Json::array({{{"key", "cloud.google.com/gke-spot"}, {"operator", "Exists"}}});
  EXPECT_TRUE(One({d}).already_spot);
}

TEST(AssessSpot, JobsAreRetriedNotReplicatedAndCronJobPatchGoesToTheJobTemplate) {
  Json cron = Json::parse(R"({"kind": "CronJob", "metadata": {"name": "report", "namespace": "ops"},
    "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
      "restartPolicy": "OnFailure",
      "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}],
      "containers": [{"name": "r", "image": "r:1"}]}}}}}})");
  const auto a = One({cron}, Options("azure"));
  EXPECT_TRUE(a.suitable) << a.evidence;
  EXPECT_TRUE(Get(a, "retried").met);
  EXPECT_EQ(a.cost_source, "none");
  EXPECT_EQ(a.monthly_saving, 0);
  EXPECT_EQ(a.risk, "medium");
  const Json& pod = a.patch["spec"]["jobTemplate"]["spec"]["template"]["spec"];
  EXPECT_EQ(pod["nodeSelector"]["kubernetes.azure.com/scalesetpriority"], "spot");
  // The existing toleration is kept (a strategic merge replaces the list), the pool's added.
  ASSERT_EQ(pod["tolerations"].size(), 2u);
  EXPECT_EQ(pod["tolerations"][0]["key"], "dedicated");
  EXPECT_EQ(pod["tolerations"][1]["key"], "kubernetes.azure.com/scalesetpriority");
  EXPECT_NE(a.patch_yaml.find(
                "          tolerations:\n            - effect: \"NoSchedule\"\n              "
                "key: \"dedicated\"\n"),
            std::string::npos)
      << a.patch_yaml;
  Json job = {
      {"kind", "Job"},
      {"metadata", {{"name", "once"}, {"namespace", "ops"}}},
      {"spec",
       {{"backoffLimit", 0}, {"template", cron["spec"]["jobTemplate"]["spec"]["template"]}}}};
  const auto j = One({job});
  EXPECT_FALSE(Get(j, "retried").met);
  EXPECT_EQ(Get(j, "retried").detail, "backoffLimit 0: an interruption fails the Job");
}

TEST(AssessSpot, ProviderFromNodesAndSortedBySaving) {
  std::vector<Json> objects = {Deployment("small", 2), Deployment("big", 6),
                               Deployment("single", 1)};
  EXPECT_EQ(DetectSpotProvider(objects), "default");
  objects.push_back({{"kind", "Node"}, {"spec", {{"providerID", "gce://p/z/n1"}}}});
  objects.push_back({{"kind", "Node"}, {"spec", {{"providerID", "gce://p/z/n2"}}}});
  objects.push_back({{"kind", "Node"}, {"spec", {{"providerID", "aws:///us-east-1a/i-1"}}}});
  EXPECT_EQ(DetectSpotProvider(objects), "gcp");
  const auto all = AssessSpot(objects, {}, Options());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "big");
  EXPECT_EQ(all[1].name, "small");
  EXPECT_EQ(all[1].risk, "high");  // only 2 pods and no budget
  EXPECT_EQ(all[2].name, "single");
  EXPECT_EQ(all[2].monthly_saving, 0);
}

TEST(ToYaml, NestedListsAndQuotedKeys) {
  const Json v =
      Json::parse(R"({"a": [1, {"b": "x", "c": [true]}, []], "odd key": {}, "n": null})");
  EXPECT_EQ(ToYaml(v),
            "a:\n  - 1\n  - b: \"x\"\n    c:\n      - true\n  - []\nn: null\n\"odd key\": {}\n");
}

}  // namespace
}  // namespace dai::cost
