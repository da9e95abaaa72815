#include "engines/healing/drift.h"

#include "engines/healing/rule.h"

#include <gtest/gtest.h>

namespace dai::healing {
namespace {

Json Desired() {
  return Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                 "annotations": {"team.example.com/owner": "payments"}},
    "spec": {"replicas": 3,
      "selector": {"matchLabels": {"app": "web"}},
      "template": {"metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "shop/web:1.4.2",
          "args": ["--port", "8080"],
          "ports": [{"containerPort": 8080, "name": "http"}],
          "env": [{"name": "LOG_LEVEL", "value": "info"}],
          "resources": {"requests": {"cpu": "0.5", "memory": "1Gi"}}}]}}}})");
}

// What the API server answers for Desired(): defaults filled in, status, server metadata, an
// env var and a sidecar added by other managers (a mutating webhook), quantities normalised.
Json Live() {
  return Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                 "annotations": {"team.example.com/owner": "payments",
                                 "deployment.kubernetes.io/revision": "7"},
                 "uid": "1b2c", "resourceVersion": "991", "generation": 7,
                 "managedFields": [{"manager": "kubectl"}]},
    "spec": {"replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
      "selector": {"matchLabels": {"app": "web"}},
      "strategy": {"type": "RollingUpdate"},
      "template": {"metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [
          {"name": "istio-proxy", "image": "istio/proxyv2:1.20"},
          {"name": "web", "image": "shop/web:1.4.2", "imagePullPolicy": "IfNotPresent",
           "args": ["--port", "8080"],
           "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
           "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "INJECTED", "value": "1"}],
           "resources": {"requests": {"cpu": "500m", "memory": "1024Mi"}},
           "terminationMessagePath": "/dev/termination-log"}],
          "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"}}},
    "status": {"replicas": 3, "readyReplicas": 3}})");
}

TEST(DriftTest, ServerDefaultsStatusAndOtherManagersAreNotDrift) {
  EXPECT_TRUE(CompareObject(Desired(), Live()).empty())
      << DifferencesToJson(CompareObject(Desired(), Live())).dump(2);
}

TEST(DriftTest, AChangedImageIsNamedByItsContainer) {
  Json live = Live();
  live["spec"]["template"]["spec"]["containers"][1]["image"] = "shop/web:hotfix";
  live["spec"]["replicas"] = 1;
  const auto diffs = CompareObject(Desired(), live);
  ASSERT_EQ(diffs.size(), 2u) << DifferencesToJson(diffs).dump(2);
  EXPECT_EQ(diffs[0].path, "spec.replicas");
  EXPECT_EQ(diffs[0].desired, 3);
  EXPECT_EQ(diffs[0].actual, 1);
  EXPECT_EQ(diffs[1].kind, Difference::Kind::kChanged);
  EXPECT_EQ(diffs[1].path, "spec.template.spec.containers[name=web].image");
  EXPECT_EQ(diffs[1].desired, "shop/web:1.4.2");
  EXPECT_EQ(diffs[1].actual, "shop/web:hotfix");
}

TEST(DriftTest, QuantitiesCompareByValue) {
  Json live = Live();
  auto& req = live["spec"]["template"]["spec"]["containers"][1]["resources"]["requests"];
  req["memory"] = "2Gi";
  const auto diffs = CompareObject(Desired(), live);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].path, "spec.template.spec.containers[name=web].resources.requests.memory");
  req["memory"] = "1073741824";
  req["cpu"] = 0.5;
  EXPECT_TRUE(CompareObject(Desired(), live).empty());
  // Outside resources a string is a string: "0.5" is not "500m".
  Json d = Json::parse(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"x":"0.5"}})");
  Json a = d;
  a["data"]["x"] = "500m";
  EXPECT_EQ(CompareObject(d, a).size(), 1u);
}

TEST(DriftTest, MissingListEntriesAndFieldsAreMissing) {
  Json live = Live();
  auto& web = live["spec"]["template"]["spec"]["containers"][1];
  web["env"] = Json::array({{{"name", "INJECTED"}, {"value", "1"}}});
  live["metadata"]["annotations"].erase("team.example.com/owner");
  const auto diffs = CompareObject(Desired(), live);
  ASSERT_EQ(diffs.size(), 2u) << DifferencesToJson(diffs).dump(2);
  EXPECT_EQ(diffs[0].kind, Difference::Kind::kMissing);
  EXPECT_EQ(diffs[0].path, "metadata.annotations[\"team.example.com/owner\"]");
  EXPECT_EQ(diffs[0].desired, "payments");
  EXPECT_TRUE(diffs[0].actual.is_null());
  EXPECT_EQ(diffs[1].path, "spec.template.spec.containers[name=web].env[name=LOG_LEVEL]");
}

TEST(DriftTest, AtomicListsCompareWhole) {
  Json live = Live();
  live["spec"]["template"]["spec"]["containers"][1]["args"] = Json::array({"--port", "9090"});
  const auto diffs = CompareObject(Desired(), live);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].path, "spec.template.spec.containers[name=web].args");
  live["spec"]["template"]["spec"]["containers"][1]["args"] = Json::array({"--port"});
  EXPECT_EQ(CompareObject(Desired(), live).size(), 1u);
}

TEST(DriftTest, IntOrStringPortsAndWrongTypes) {
  Json d = Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},
    "spec":{"ports":[{"port":80,"targetPort":8080}]}})");
  Json a = Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},
    "spec":{"ports":[{"port":80,"targetPort":"8080","protocol":"TCP"}],"clusterIP":"10.0.0.1"}})");
  EXPECT_TRUE(CompareObject(d, a).empty());
  a["spec"]["ports"] = "80";
  const auto diffs = CompareObject(d, a);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].path, "spec.ports");
}

TEST(DriftTest, AnAbsentObjectIsOneMissingDifference) {
  const auto diffs = CompareObject(Desired(), nullptr);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].kind, Difference::Kind::kMissing);
  EXPECT_EQ(diffs[0].path, "");
}

TEST(DriftTest, RefsAndApplyBodies) {
  auto ref = RefOf(Desired());
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->group, "apps");
  EXPECT_EQ(ref->version, "v1");
  EXPECT_EQ(ref->ToString(), "Deployment/shop/web");
  auto cm = RefOf(Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})"),
                  "prod");
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ(cm->group, "");
  EXPECT_EQ(cm->namespace_, "prod");
  auto ns =
      RefOf(Json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})"));
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->namespace_, "");
  auto bad = RefOf(Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("metadata.name"), std::string::npos);
  EXPECT_FALSE(RefOf(Json::parse(R"({"kind":"ConfigMap"})")).ok());

  Json exported = Live();
  const Json body = ApplyBody(exported, *ref);
  EXPECT_FALSE(body.contains("status"));
  EXPECT_FALSE(body["metadata"].contains("resourceVersion"));
  EXPECT_FALSE(body["metadata"].contains("managedFields"));
  EXPECT_EQ(body["metadata"]["namespace"], "shop");
  EXPECT_EQ(body["spec"]["replicas"], 3);
}

TEST(DriftTest, KeyValueFiles) {
  auto kv = ParseKeyValue(
      "# app settings\n"
      "export DATABASE_URL=\"postgres://db/app\"\n"
      "LOG_LEVEL = info\n"
      "timeout: 30s\n"
      "\n"
      "[cache]\n"
      "ttl='60'\n"
      "; comment\n"
      "size=0\r\n");
  ASSERT_TRUE(kv.ok()) << kv.status().ToString();
  EXPECT_EQ(kv->size(), 5u);
  EXPECT_EQ(kv->at("DATABASE_URL"), "postgres://db/app");
  EXPECT_EQ(kv->at("LOG_LEVEL"), "info");
  EXPECT_EQ(kv->at("timeout"), "30s");
  EXPECT_EQ(kv->at("cache.ttl"), "60");
  EXPECT_EQ(kv->at("cache.size"), "0");

  auto no_sep = ParseKeyValue("a=1\njust words\n");
  ASSERT_FALSE(no_sep.ok());
  EXPECT_NE(no_sep.status().message().find("line 2"), std::string::npos);
  auto dup = ParseKeyValue("a=1\nb=2\na=3\n");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("line 3: duplicate key \"a\" (first on line 1)"),
            std::string::npos);
  auto nested = ParseKeyValue("server:\n  port: 80\n");
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("line 2: indented"), std::string::npos);
  EXPECT_FALSE(ParseKeyValue("[]\n").ok());
  EXPECT_FALSE(ParseKeyValue("=x\n").ok());
  KeyValueLimits small;
  small.max_keys = 1;
  EXPECT_FALSE(ParseKeyValue("a=1\nb=2\n", small).ok());
  small.max_bytes = 3;
  EXPECT_FALSE(ParseKeyValue("a=1\n", small).ok());
  EXPECT_TRUE(ParseKeyValue("").ok());

  const auto diffs =
      CompareKeyValue({{"a", "1"}, {"b", "2"}, {"c", "3"}}, {{"a", "1"}, {"b", "20"}, {"d", "4"}});
  ASSERT_EQ(diffs.size(), 3u);
  EXPECT_EQ(diffs[0].kind, Difference::Kind::kChanged);
  EXPECT_EQ(diffs[0].path, "b");
  EXPECT_EQ(diffs[1].kind, Difference::Kind::kMissing);
  EXPECT_EQ(diffs[1].path, "c");
  EXPECT_EQ(diffs[2].kind, Difference::Kind::kUnexpected);
  EXPECT_EQ(diffs[2].path, "d");
  EXPECT_EQ(diffs[2].actual, "4");
}

TEST(DriftTest, TextDiffIsUnified) {
  EXPECT_TRUE(DiffText("a\nb\n", "a\nb").same);
  const TextDiff d = DiffText("a\nb\nc\nd\ne\n", "a\nb\nX\nd\ne\n", 1);
  EXPECT_FALSE(d.same);
  EXPECT_EQ(d.added, 1u);
  EXPECT_EQ(d.removed, 1u);
  EXPECT_EQ(d.unified, "--- desired\n+++ actual\n@@ -2,3 +2,3 @@\n b\n-c\n+X\n d\n");
  // Two changes far apart are two hunks; an added line at the end.
  std::string a;
  for (int i = 0; i < 20; ++i) a += "line" + std::to_string(i) + "\n";
  std::string b = a;
  b.replace(b.find("line2\n"), 6, "LINE2\n");
  b += "extra\n";
  const TextDiff two = DiffText(a, b, 2);
  EXPECT_EQ(two.added, 2u);
  EXPECT_EQ(two.removed, 1u);
  EXPECT_NE(two.unified.find("@@ -1,5 +1,5 @@\n line0\n line1\n-line2\n+LINE2\n line3\n line4\n"),
            std::string::npos)
      << two.unified;
  EXPECT_NE(two.unified.find("@@ -19,2 +19,3 @@\n line18\n line19\n+extra\n"), std::string::npos)
      << two.unified;
  // Beyond the alignment budget the region is shown replaced, and flagged.
  const TextDiff big = DiffText("a\nb\nc\n", "x\nb\ny\n", 3, 4);
  EXPECT_TRUE(big.truncated);
  EXPECT_EQ(big.removed, 3u);
  EXPECT_EQ(big.added, 3u);
  // Everything removed.
  const TextDiff gone = DiffText("a\nb\n", "");
  EXPECT_EQ(gone.removed, 2u);
  EXPECT_EQ(gone.unified, "--- desired\n+++ actual\n@@ -1,2 +0,0 @@\n-a\n-b\n");
}

TEST(DriftTest, ConfigDriftRuleSpecsAreValidated) {
  auto spec = [](Json cond) {
    return Json{{"name", "d"},
                {"conditionType", "config_drift"},
                {"conditionConfig", std::move(cond)},
                {"actionType", "notify"},
                {"actionConfig", {{"url", "http://127.0.0.1:9/x"}, {"target", "ops"}}}};
  };
  auto ok = RuleFromSpec(
      spec({{"format", "keyvalue"}, {"desired", "/srv/a.env"}, {"actual", "/etc/a.env"}}));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(
      RuleFromSpec(
          spec({{"format", "kubernetes"}, {"desired", "/srv/k.yaml"}, {"namespace", "shop"}}))
          .ok());
  auto message = [&](Json cond) {
    auto r = RuleFromSpec(spec(std::move(cond)), "input");
    return r.ok() ? std::string("accepted") : r.status().message();
  };
  EXPECT_NE(
      message({{"desired", "/a"}, {"actual", "/b"}}).find("input.conditionConfig.format: required"),
      std::string::npos);
  EXPECT_NE(
      message({{"format", "ini"}, {"desired", "/a"}, {"actual", "/b"}}).find("one of kubernetes"),
      std::string::npos);
  EXPECT_NE(message({{"format", "text"}, {"desired", "a"}, {"actual", "/b"}})
                .find("desired: an absolute path"),
            std::string::npos);
  EXPECT_NE(message({{"format", "text"}, {"desired", "/a"}}).find("actual: an absolute path"),
            std::string::npos);
  EXPECT_NE(
      message({{"format", "kubernetes"}, {"desired", "/a"}, {"actual", "/b"}}).find("live objects"),
      std::string::npos);
  EXPECT_NE(message({{"format", "text"}, {"desired", "/a"}, {"actual", "/b"}, {"namespace", "x"}})
                .find("only with format kubernetes"),
            std::string::npos);
  EXPECT_NE(message({{"format", "text"}, {"desired", "/a"}, {"actual", "/b"}, {"query", "up"}})
                .find("unknown key"),
            std::string::npos);
  // Desired state from a git repository: a path inside it, a ref only with a repository.
  EXPECT_EQ(message({{"format", "keyvalue"},
                     {"repository", "/srv/gitops"},
                     {"ref", "main"},
                     {"desired", "config/app.env"},
                     {"actual", "/etc/app.env"}}),
            "accepted");
  EXPECT_NE(message({{"format", "text"}, {"repository", "srv"}, {"desired", "a"}, {"actual", "/b"}})
                .find("repository: an absolute path"),
            std::string::npos);
  EXPECT_NE(
      message({{"format", "text"}, {"repository", "/srv"}, {"desired", "/a"}, {"actual", "/b"}})
          .find("a path inside the repository"),
      std::string::npos);
  EXPECT_NE(
      message({{"format", "text"}, {"repository", "/srv"}, {"desired", "../a"}, {"actual", "/b"}})
          .find("a path inside the repository"),
      std::string::npos);
  EXPECT_NE(message({{"format", "text"}, {"ref", "main"}, {"desired", "/a"}, {"actual", "/b"}})
                .find("ref: only with repository"),
            std::string::npos);
  // apply_desired: config_drift rules only, no settings, the target is the drifted object.
  Json fix = spec({{"format", "text"}, {"desired", "/a"}, {"actual", "/b"}});
  fix["actionType"] = "apply_desired";
  fix["actionConfig"] = Json::object();
  auto fixer = RuleFromSpec(fix);
  ASSERT_TRUE(fixer.ok()) << fixer.status().ToString();
  std::string why;
  EXPECT_EQ(fixer->target.Resolve({{"object", "/b"}}, &why), "/b");
  fix["actionConfig"] = {{"target", "x"}};
  EXPECT_FALSE(RuleFromSpec(fix).ok());
  fix["actionConfig"] = Json::object();
  fix["conditionType"] = "alert";
  fix["conditionConfig"] = {{"matchers", {"alertname=\"X\""}}};
  auto wrong = RuleFromSpec(fix);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("only with conditionType config_drift"),
            std::string::npos);
}

}  // namespace
}  // namespace dai::healing
