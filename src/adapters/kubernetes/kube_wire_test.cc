#include "adapters/kubernetes/kube_wire.h"

#include <gtest/gtest.h>

#include "adapters/kubernetes/kube_client.h"

namespace dai::kube {
namespace {

bool Has(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

constexpr const char* kConfig = R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
- name: dev-cluster
  cluster:
    server: https://dev.example:6443
    certificate-authority: certs/ca.crt
    insecure-skip-tls-verify: true
users:
- name: prod-user
  user:
    token: s3cret
- name: dev-user
  user:
    client-certificate: certs/me.crt
    client-key: /abs/me.key
    tokenFile: tok
- name: plugin-user
  user:
    exec:
      command: aws
contexts:
- name: prod
  context: {cluster: prod-cluster, user: prod-user, namespace: shop}
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
- name: plugin
  context: {cluster: prod-cluster, user: plugin-user}
- name: broken
  context: {cluster: nowhere, user: prod-user}
)";

TEST(Kubeconfig, CurrentContextWithInlineCaAndToken) {
  auto c = ParseKubeconfig(kConfig, "", "/home/u/.kube");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->context, "prod");
  EXPECT_EQ(c->server, "https://10.0.0.1:6443");  // trailing '/' removed
  EXPECT_EQ(c->ca_pem, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(c->token, "s3cret");
  EXPECT_EQ(c->namespace_, "shop");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->DescribeTarget().find("s3cret"), std::string::npos);
}

TEST(Kubeconfig, NamedContextResolvesRelativeFiles) {
  auto c = ParseKubeconfig(kConfig, "dev", "/home/u/.kube");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ca_file, "/home/u/.kube/certs/ca.crt");
  EXPECT_EQ(c->client_cert_file, "/home/u/.kube/certs/me.crt");
  EXPECT_EQ(c->client_key_file, "/abs/me.key");
  EXPECT_EQ(c->token_file, "/home/u/.kube/tok");
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->namespace_, "default");
}

TEST(Kubeconfig, ErrorsNameWhatIsWrong) {
  EXPECT_TRUE(Has(ParseKubeconfig(kConfig, "nope").status(), "context \"nope\" not found"));
  EXPECT_TRUE(Has(ParseKubeconfig(kConfig, "broken").status(), "cluster \"nowhere\" not found"));
  EXPECT_TRUE(Has(ParseKubeconfig(kConfig, "plugin").status(), "exec and auth-provider"));
  EXPECT_TRUE(Has(ParseKubeconfig("a: [", "").status(), "invalid YAML"));
  EXPECT_TRUE(Has(ParseKubeconfig("- 1", "").status(), "expected a mapping"));
  EXPECT_TRUE(Has(ParseKubeconfig("clusters: []", "").status(), "no current-context"));
  std::string bad_ca(kConfig);
  bad_ca.replace(bad_ca.find("LS0t"), 4, "$$$$");
  EXPECT_TRUE(
      Has(ParseKubeconfig(bad_ca, "").status(), "certificate-authority-data is not base64"));
  std::string ftp(kConfig);
  ftp.replace(ftp.find("https://10.0.0.1"), 8, "ftp://");
  EXPECT_TRUE(Has(ParseKubeconfig(ftp, "").status(), "server must be an http(s) URL"));
}

TEST(Kubeconfig, InCluster) {
  std::map<std::string, std::string> env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                            {"KUBERNETES_SERVICE_PORT", "443"}};
  std::map<std::string, std::string> files = {
      {"token", "tok\n"}, {"ca.crt", "PEM"}, {"namespace", "devops\n"}};
  auto c = InClusterConfig(env, files, "/sa");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token, "tok");
  EXPECT_EQ(c->token_file, "/sa/token");
  EXPECT_EQ(c->ca_pem, "PEM");
  EXPECT_EQ(c->namespace_, "devops");
  env["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  EXPECT_EQ(InClusterConfig(env, files, "/sa")->server, "https://[fd00::1]:443");
  EXPECT_TRUE(Has(InClusterConfig({}, files, "/sa").status(), "KUBERNETES_SERVICE_HOST"));
  files.erase("ca.crt");
  EXPECT_TRUE(Has(InClusterConfig(env, files, "/sa").status(), "/sa/ca.crt is missing"));
}

TEST(Base64, DecodesAndRejects) {
  EXPECT_EQ(*DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(*DecodeBase64("aGVs\nbG8"), "hello");
  EXPECT_FALSE(DecodeBase64("aGVsbG8=x").has_value());
  EXPECT_FALSE(DecodeBase64("a").has_value());
  EXPECT_FALSE(DecodeBase64("a$b=").has_value());
}

TEST(Paths, SegmentsAreEncodedAndValidated) {
  const ResourceRef& dep = *FindResource("Deployment");
  EXPECT_EQ(*ResourcePath(dep, "shop", "web", "scale"),
            "/apis/apps/v1/namespaces/shop/deployments/web/scale");
  EXPECT_EQ(*ResourcePath(*FindResource("pods"), ""), "/api/v1/pods");
  EXPECT_EQ(*ResourcePath(*FindResource("nodes"), "ignored", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(*ResourcePath(dep, "shop", "a b?c#d%"),
            "/apis/apps/v1/namespaces/shop/deployments/a%20b%3Fc%23d%25");
  EXPECT_FALSE(ResourcePath(dep, "shop", "../secrets").ok());
  EXPECT_FALSE(ResourcePath(dep, "..", "web").ok());
  EXPECT_FALSE(ResourcePath(dep, "", "web").ok());  // namespaced object without namespace
  EXPECT_EQ(
      QueryString({{"labelSelector", "app in (a,b),tier!=x"}, {"limit", "5"}, {"continue", ""}}),
      "?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Dx&limit=5");
  EXPECT_EQ(QueryString({{"a", ""}}), "");
  EXPECT_EQ(FindResource("HPA"), nullptr);
  EXPECT_EQ(FindResource("horizontalpodautoscalers")->ApiVersion(), "autoscaling/v2");
}

TEST(Watch, SplitsLinesAndKeepsAPartialTail) {
  std::string rest;
  auto ev = ParseWatchStream(
      "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n\r\n"
      "{\"type\":\"DELETED\",\"object\":{}}\r\n{\"type\":\"MOD",
      10, &rest);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  ASSERT_EQ(ev->size(), 2u);
  EXPECT_EQ((*ev)[0].type, "ADDED");
  EXPECT_EQ((*ev)[0].object["metadata"]["name"], "a");
  EXPECT_EQ((*ev)[1].type, "DELETED");
  EXPECT_EQ(rest, "{\"type\":\"MOD");
  EXPECT_TRUE(Has(ParseWatchStream("{}\n", 10).status(), "line 1: expected"));
  EXPECT_TRUE(Has(ParseWatchStream("\nnot json\n", 10).status(), "line 2: not JSON"));
  EXPECT_TRUE(Has(ParseWatchStream("{\"type\":1,\"object\":{}}\n", 10).status(), "line 1"));
  EXPECT_EQ(ParseWatchStream(std::string(3, '\n'), 10)->size(), 0u);
  std::string many;
  for (int i = 0; i < 4; ++i) many += "{\"type\":\"ADDED\",\"object\":{}}\n";
  EXPECT_EQ(ParseWatchStream(many, 3).status().code(), StatusCode::kResourceExhausted);
}

TEST(Errors, StatusObjectsMapToCodesNamingVerbAndResource) {
  const std::string forbidden =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"x\" is forbidden: User \"u\" cannot delete resource \"pods\"","reason":"Forbidden","code":403})";
  Status s = ApiError(403, forbidden, "delete", "pods shop/x");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Has(s, "kubernetes delete pods shop/x"));
  EXPECT_TRUE(Has(s, "grant the \"delete\" verb"));
  EXPECT_TRUE(Has(s, "cannot delete resource \\\"pods\\\"") ||
              Has(s, "cannot delete resource \"pods\""));
  EXPECT_TRUE(Has(s, "reason Forbidden"));
  Status nf = ApiError(
      404,
      R"({"kind":"Status","message":"deployments.apps \"w\" not found","reason":"NotFound","code":404})",
      "get", "deployments shop/w");
  EXPECT_EQ(nf.code(), StatusCode::kNotFound);
  EXPECT_TRUE(Has(nf, "not found"));
  EXPECT_EQ(
      ApiError(409, R"({"kind":"Status","message":"modified","reason":"Conflict"})", "patch", "x")
          .code(),
      StatusCode::kConflict);
  EXPECT_EQ(
      ApiError(410, R"({"kind":"Status","message":"too old","reason":"Expired"})", "list", "x")
          .code(),
      StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApiError(422, "{}", "patch", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ApiError(401, "", "list", "x").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(ApiError(503, "<html>\x01</html>", "list", "x").code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Has(ApiError(503, "", "list", "x"), "HTTP 503"));
  EXPECT_EQ(ApiReason(R"({"reason":"Conflict"})"), "Conflict");
  EXPECT_EQ(ApiReason("nope"), "");
}

TEST(Client, PlainHttpOnlyForLoopback) {
  KubeConfig c;
  c.server = "http://10.0.0.1:8080";
  auto client = KubeClient::Create(c);
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(Has(client.status(), "plain http"));
  c.server = "http://127.0.0.1:8080";
  EXPECT_TRUE(KubeClient::Create(c).ok());
  c.server = "http://[::1]:8080";
  EXPECT_TRUE(KubeClient::Create(c).ok());
  c.server = "https://10.0.0.1:6443";
  EXPECT_TRUE(KubeClient::Create(c).ok());
  c.client_cert_pem = "CERT";
  EXPECT_TRUE(Has(KubeClient::Create(c).status(), "needs its key"));
  c.client_cert_pem.clear();
  c.client_cert_file = "/nonexistent/me.crt";
  EXPECT_TRUE(Has(KubeClient::Create(c).status(), "/nonexistent/me.crt"));
}

}  // namespace
}  // namespace dai::kube
