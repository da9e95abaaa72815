#include "engines/posture/posture.h"

#include <gtest/gtest.h>

#include <string>

namespace dai::posture {
namespace {

std::vector<Object> Parse(const std::string& yaml) {
  auto r = ParseManifests(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : std::vector<Object>{};
}

//! Failures of `check` over the objects, as "name/container: message".
std::vector<std::string> Failures(const std::string& yaml, const std::string& check) {
  auto objects = Parse(yaml);
  EvaluateOptions options;
  options.only = {check};
  auto report = Evaluate(objects, options);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  std::vector<std::string> out;
  for (const auto& r : report->results)
    if (r.outcome == Outcome::kFail)
      out.push_back(objects[r.object_index].name + "/" + r.container + ": " + r.message);
  return out;
}

const char* kHardenedDeployment = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 20000, runAsGroup: 20000,
                        seccompProfile: {type: RuntimeDefault}}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm: {topologyKey: kubernetes.io/hostname,
                              labelSelector: {matchLabels: {app: web}}}
      containers:
      - name: app
        image: registry.example/web@sha256:0123456789abcdef
        imagePullPolicy: Always
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 100m, memory: 128Mi}
        livenessProbe: {httpGet: {path: /healthz, port: 8080}}
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
        env:
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: db, key: password}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
)";

TEST(PostureTest, HardenedSetPassesEveryDefaultCheck) {
  auto objects = Parse(kHardenedDeployment);
  ASSERT_EQ(objects.size(), 4u);
  auto report = Evaluate(objects, {});
  ASSERT_TRUE(report.ok());
  for (const auto& r : report->results)
    EXPECT_EQ(r.outcome, Outcome::kPass) << r.check_id << " " << r.message;
  EXPECT_EQ(report->failed, 0u);
  EXPECT_GT(report->passed, 30u);
}

const char* kBadPod = R"(
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  hostNetwork: true
  hostPID: true
  volumes: [{name: sock, hostPath: {path: /var/run/docker.sock}}]
  containers:
  - name: c
    image: nginx
    securityContext:
      privileged: true
      runAsUser: 0
      capabilities: {add: [CAP_SYS_ADMIN]}
    ports: [{containerPort: 80, hostPort: 80}]
    env:
    - {name: API_TOKEN, value: "hunter2hunter2"}
    - {name: API_TOKEN, value: "again"}
)";

TEST(PostureTest, InsecurePodFailsTheSecurityChecks) {
  for (const char* check :
       {"privileged", "allow-privilege-escalation", "run-as-root", "dangerous-capabilities",
        "capabilities-drop-all", "host-network", "host-pid", "host-path", "host-port", "image-tag",
        "secret-in-env", "env-duplicate", "read-only-root-filesystem", "service-account-token",
        "default-namespace", "naked-pod", "cpu-limits", "memory-requests", "linux-hardening"}) {
    EXPECT_EQ(Failures(kBadPod, check).size(), 1u) << check;
  }
  EXPECT_TRUE(Failures(kBadPod, "host-ipc").empty());
  EXPECT_EQ(Failures(kBadPod, "run-as-root")[0], "bad/c: runAsUser is 0 (root)");
  EXPECT_EQ(Failures(kBadPod, "dangerous-capabilities")[0], "bad/c: adds capability SYS_ADMIN");
}

TEST(PostureTest, HostPathToRuntimeSocketIsCritical) {
  auto objects = Parse(kBadPod);
  EvaluateOptions options;
  options.only = {"hostPathSet"};  // a Polaris alias
  auto report = Evaluate(objects, options);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->results.size(), 1u);
  EXPECT_EQ(report->results[0].severity, Severity::kCritical);
  EXPECT_EQ(report->checks_run, std::vector<std::string>{"host-path"});
}

TEST(PostureTest, ContainerSettingsOverridePodSettings) {
  const char* yaml = R"(
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: ok, image: a:1}
  - {name: root, image: a:1, securityContext: {runAsUser: 0}}
)";
  auto f = Failures(yaml, "run-as-root");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], "p/root: runAsUser is 0 (root)");
}

TEST(PostureTest, ImageTagAndPullPolicy) {
  const char* yaml = R"(
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: "registry:5000/app"}
  - {name: b, image: "app:latest"}
  - {name: c, image: "app:1.2", imagePullPolicy: IfNotPresent}
  - {name: d, image: "app@sha256:abc"}
  - {name: e, image: "app:1.2"}
)";
  auto tags = Failures(yaml, "image-tag");
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0], "p/a: image 'registry:5000/app' has no tag");
  auto pull = Failures(yaml, "image-pull-policy");
  ASSERT_EQ(pull.size(), 3u);  // c explicit, d and e default to IfNotPresent
  EXPECT_EQ(pull[0], "p/c: imagePullPolicy is IfNotPresent");
}

TEST(PostureTest, NetworkPolicyCoverage) {
  const char* yaml = R"(
kind: Deployment
metadata: {name: a, namespace: n}
spec: {template: {metadata: {labels: {app: a, tier: fe}}, spec: {containers: [{name: c, image: x:1}]}}}
---
kind: Deployment
metadata: {name: b, namespace: n}
spec: {template: {metadata: {labels: {app: b}}, spec: {containers: [{name: c, image: x:1}]}}}
---
kind: Deployment
metadata: {name: c, namespace: other}
spec: {template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: x:1}]}}}
---
kind: NetworkPolicy
metadata: {name: np, namespace: n}
spec:
  podSelector: {matchExpressions: [{key: tier, operator: In, values: [fe]}]}
  ingress: [{}]
)";
  auto f = Failures(yaml, "network-policy");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0], "a/: NetworkPolicies select this pod for ingress only");
  EXPECT_EQ(f[1], "b/: no NetworkPolicy selects this pod");
  EXPECT_EQ(f[2], "c/: no NetworkPolicy selects this pod");
  EXPECT_TRUE(Failures(yaml, "network-policy-targets-pod").empty());
}

TEST(PostureTest, SelectorSemantics) {
  Json labels = {{"app", "web"}, {"tier", "fe"}};
  EXPECT_TRUE(SelectorMatches(Json::object(), labels));
  EXPECT_FALSE(SelectorMatches(nullptr, labels));
  EXPECT_TRUE(SelectorMatches(Json::parse(R"({"matchLabels":{"app":"web"}})"), labels));
  EXPECT_FALSE(SelectorMatches(Json::parse(R"({"matchLabels":{"app":"db"}})"), labels));
  EXPECT_TRUE(SelectorMatches(
      Json::parse(R"({"matchExpressions":[{"key":"tier","operator":"NotIn","values":["be"]}]})"),
      labels));
  EXPECT_FALSE(SelectorMatches(
      Json::parse(R"({"matchExpressions":[{"key":"env","operator":"Exists"}]})"), labels));
  EXPECT_TRUE(SelectorMatches(
      Json::parse(R"({"matchExpressions":[{"key":"env","operator":"DoesNotExist"}]})"), labels));
  EXPECT_FALSE(SelectorMatches(
      Json::parse(R"({"matchExpressions":[{"key":"env","operator":"Bogus"}]})"), labels));
}

TEST(PostureTest, RbacChecks) {
  const char* yaml = R"(
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: debugger}
rules: [{apiGroups: [""], resources: [pods/exec], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: debuggers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: debugger}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: admins}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
)";
  EXPECT_EQ(Failures(yaml, "rbac-pod-exec-attach").size(), 1u);
  auto bindings = Failures(yaml, "rbac-binding-pod-exec-attach");
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0],
            "debuggers/: binds ClusterRole 'debugger' which allows pods/exec or pods/attach");
  auto admin = Failures(yaml, "rbac-cluster-admin");
  ASSERT_EQ(admin.size(), 1u);
  EXPECT_EQ(admin[0], "admins/: binds ClusterRole cluster-admin");
}

TEST(PostureTest, CrossObjectTargets) {
  const char* yaml = R"(
kind: Service
metadata: {name: orphan}
spec: {selector: {app: nothing}}
---
kind: Ingress
apiVersion: networking.k8s.io/v1
metadata: {name: ing}
spec:
  rules: [{http: {paths: [{path: /, backend: {service: {name: orphan, port: {number: 80}}}}]}}]
---
kind: HorizontalPodAutoscaler
metadata: {name: hpa}
spec: {scaleTargetRef: {kind: Deployment, name: missing}, minReplicas: 1, maxReplicas: 1}
)";
  EXPECT_EQ(Failures(yaml, "service-targets-pod").size(), 1u);
  EXPECT_TRUE(Failures(yaml, "ingress-targets-service").empty());
  const char* v1_with_beta_fields = R"(
kind: Ingress
apiVersion: networking.k8s.io/v1
metadata: {name: ing}
spec: {rules: [{http: {paths: [{backend: {serviceName: orphan, servicePort: 80}}]}}]}
---
kind: Service
metadata: {name: orphan}
spec: {selector: {app: x}}
)";
  auto f = Failures(v1_with_beta_fields, "ingress-targets-service");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], "ing/: a backend has no service.name (v1beta1 fields in a v1 Ingress?)");
  EXPECT_EQ(Failures(yaml, "ingress-tls").size(), 1u);
  EXPECT_EQ(Failures(yaml, "hpa-targets-object").size(), 1u);
  EXPECT_EQ(Failures(yaml, "hpa-min-replicas").size(), 1u);
  EXPECT_EQ(Failures(yaml, "hpa-max-replicas").size(), 1u);
}

TEST(PostureTest, OnlyRejectsUnknownNames) {
  EvaluateOptions options;
  options.only = {"no-such-check"};
  auto report = Evaluate({}, options);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("no-such-check"), std::string::npos);
  auto ids = ResolveChecks({"Container Resources"});
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 4u);  // cpu/memory requests/limits share the kube-score name
}

TEST(PostureTest, CatalogIsComplete) {
  std::set<std::string_view> ids;
  for (const auto& c : Catalog()) {
    EXPECT_TRUE(ids.insert(c.id).second) << "duplicate id " << c.id;
    EXPECT_FALSE(c.remediation.empty()) << c.id;
    EXPECT_FALSE(c.title.empty()) << c.id;
    // every check has an implementation: running it alone over a mixed set must not be silent
  }
  auto objects = Parse(std::string(kHardenedDeployment) + "---\n" + kBadPod + R"(
---
kind: CronJob
apiVersion: batch/v1
metadata: {name: cj}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: a:1}]}}}}}
---
kind: StatefulSet
apiVersion: apps/v1
metadata: {name: ss}
spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {topologySpreadConstraints: [{maxSkew: 1}], containers: [{name: c, image: a:1}]}}}
---
kind: Role
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: r}
rules: []
---
kind: RoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: rb}
roleRef: {kind: Role, name: r}
---
kind: Ingress
metadata: {name: i}
spec: {}
---
kind: HorizontalPodAutoscaler
metadata: {name: h, namespace: shop}
spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 2, maxReplicas: 5}
)");
  for (const auto& c : Catalog()) {
    EvaluateOptions options;
    options.only = {std::string(c.id)};
    auto report = Evaluate(objects, options);
    ASSERT_TRUE(report.ok());
    EXPECT_FALSE(report->results.empty()) << c.id << " produced no result";
  }
}

TEST(ManifestTest, ParsesMultiDocumentListsAndScalars) {
  auto objects = Parse(R"(
# leading comment
---
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: x}, data: {n: "1"}}
- {apiVersion: v1, kind: Secret, metadata: {name: b}}
---
just a string
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {hostNetwork: True, n: 010, f: 1.5, q: "true", z: ~, big: 99999999999999999999}
)");
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0].kind, "ConfigMap");
  EXPECT_EQ(objects[0].namespace_, "x");
  EXPECT_EQ(objects[2].line, 13);
  const Json& spec = objects[2].doc["spec"];
  EXPECT_EQ(spec["hostNetwork"], true);
  EXPECT_EQ(spec["n"], 10);
  EXPECT_EQ(spec["f"], 1.5);
  EXPECT_EQ(spec["q"], "true");
  EXPECT_TRUE(spec["z"].is_null());
  EXPECT_EQ(spec["big"], "99999999999999999999");
}

TEST(ManifestTest, JsonInputWorks) {
  auto objects = Parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{}})");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].name, "j");
}

TEST(ManifestTest, InvalidYamlNamesFileAndLine) {
  auto r = ParseManifests("kind: Pod\nmetadata: {name: [\n", "bad.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("bad.yaml:"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("invalid YAML"), std::string::npos);
}

TEST(ManifestTest, AliasBombIsBounded) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (int level = 0; level < 12; ++level) {
    std::string name = "l" + std::to_string(level);
    bomb += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + "]\n";
    prev = name;
  }
  bomb = "kind: ConfigMap\n" + bomb;
  auto r = ParseManifests(bomb, "bomb.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("too many YAML nodes"), std::string::npos);
}

TEST(ManifestTest, LimitsAreEnforced) {
  ManifestLimits limits;
  limits.max_bytes = 10;
  EXPECT_FALSE(ParseManifests("kind: Pod\nmetadata: {}\n", "f", limits).ok());
  limits = {};
  limits.max_depth = 5;
  auto deep = ParseManifests("kind: Pod\na: [[[[[[[[1]]]]]]]]\n", "f", limits);
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("deeper than 5"), std::string::npos);
  EXPECT_FALSE(ParseManifests(std::string("kind: Pod\0", 10), "f").ok());
  limits = {};
  limits.max_documents = 2;
  EXPECT_FALSE(ParseManifests("kind: A\n---\nkind: B\n---\nkind: C\n", "f", limits).ok());
}

}  // namespace
}  // namespace dai::posture

namespace dai::posture {
namespace {

TEST(PostureTest, ObjectsFromJsonKeepsSourceAndExpandsLists) {
  std::vector<Json> docs = {
      Json::parse(R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"n"},
                      "spec":{"containers":[{"name":"c","image":"x:latest",
                      "securityContext":{"privileged":true}}]}})"),
      Json::parse(R"({"kind":"List","items":[{"kind":"Service","metadata":{"name":"s"}}]})"),
      Json::parse(R"({"metadata":{"name":"no-kind"}})")};
  auto objects = ObjectsFromJson(std::move(docs), "cluster:prod");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].file, "cluster:prod");
  EXPECT_EQ(objects[0].line, 0);
  EXPECT_EQ(objects[0].kind, "Pod");
  EXPECT_EQ(objects[0].namespace_, "n");
  EXPECT_EQ(objects[1].kind, "Service");
  EXPECT_EQ(objects[1].document, 1);
  auto report = Evaluate(objects, {.only = {"privileged"}});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->failed, 1u);
}

}  // namespace
}  // namespace dai::posture
