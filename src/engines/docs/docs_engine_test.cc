// Tests of the documentation engine: snapshots, diffs, diagrams, search, Markdown safety,
// templates, learned runbooks, OpenAPI rendering and diffs, change logs.
#include <gtest/gtest.h>

#include "engines/docs/architecture.h"
#include "engines/docs/change_log.h"
#include "engines/docs/doc_template.h"
#include "engines/docs/markdown.h"
#include "engines/docs/openapi_doc.h"
#include "engines/docs/runbook_draft.h"
#include "engines/docs/search_index.h"
#include "engines/runbook/runbook.h"

namespace dai::docs {
namespace {

std::vector<Json> Shop() {
  return {
      Json::parse(
          R"({"kind":"Deployment","metadata":{"name":"api","namespace":"shop","labels":{"team":"payments"}},
        "spec":{"replicas":3,"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"name":"api",
        "image":"shop/api:1.4","ports":[{"containerPort":8080}],
        "env":[{"name":"DATABASE_URL","value":"postgres://app:s3cret@orders-db.example.com:5432/orders"},
               {"name":"CACHE","value":"redis://cache:6379/0"},
               {"name":"MODE","valueFrom":{"configMapKeyRef":{"name":"api-config","key":"mode"}}}]}]}}}})"),
      Json::parse(R"({"kind":"Service","metadata":{"name":"api","namespace":"shop"},
        "spec":{"selector":{"app":"api"},"ports":[{"port":80}]}})"),
      Json::parse(R"({"kind":"Service","metadata":{"name":"cache","namespace":"shop"},
        "spec":{"selector":{"app":"redis"},"ports":[{"port":6379}]}})"),
      Json::parse(R"({"kind":"StatefulSet","metadata":{"name":"redis","namespace":"shop"},
        "spec":{"template":{"metadata":{"labels":{"app":"redis"}},"spec":{"containers":[{"name":"r","image":"redis:7"}]}}}})"),
      Json::parse(R"({"kind":"ConfigMap","metadata":{"name":"api-config","namespace":"shop"},
        "data":{"mode":"live","BROKER":"amqp://guest:guest@rabbit.queue.svc:5672"}})"),
      Json::parse(R"({"kind":"Ingress","metadata":{"name":"web","namespace":"shop"},
        "spec":{"rules":[{"host":"shop.example.com","http":{"paths":[{"path":"/","backend":{"service":{"name":"api","port":{"number":80}}}},
          {"path":"/old","backend":{"service":{"name":"gone","port":{"number":80}}}}]}}]}})"),
      Json::parse(
          R"({"kind":"Secret","metadata":{"name":"creds","namespace":"shop"},"data":{"url":"cG9zdGdyZXM6Ly94"}})"),
      Json::parse(R"({"kind":"Role","metadata":{"name":"r","namespace":"shop"}})"),
  };
}

bool HasEdge(const Snapshot& s, const std::string& from, const std::string& to,
             const std::string& kind) {
  for (const auto& e : s.edges)
    if (e.from == from && e.to == to && e.kind == kind) return true;
  return false;
}

TEST(Architecture, KubernetesObjectsBecomeComponentsAndEdges) {
  SnapshotBuilder b;
  ASSERT_TRUE(b.AddKubernetesObjects(Shop()).ok());
  Snapshot s = b.Build();
  std::set<std::string> ids;
  for (const auto& c : s.components) ids.insert(c.id);
  EXPECT_TRUE(ids.count("deployment/shop/api"));
  EXPECT_TRUE(ids.count("service/shop/api"));
  EXPECT_TRUE(ids.count("ingress/shop/web"));
  EXPECT_TRUE(ids.count("configmap/shop/api-config"));
  EXPECT_TRUE(ids.count("database/orders-db.example.com"));
  EXPECT_TRUE(ids.count("queue/rabbit.queue.svc"));
  EXPECT_FALSE(ids.count("secret/shop/creds"));  // secrets are never read
  EXPECT_FALSE(ids.count("role/shop/r"));
  EXPECT_TRUE(HasEdge(s, "service/shop/api", "deployment/shop/api", "selects"));
  EXPECT_TRUE(HasEdge(s, "service/shop/cache", "statefulset/shop/redis", "selects"));
  EXPECT_TRUE(HasEdge(s, "ingress/shop/web", "service/shop/api", "routes"));
  EXPECT_TRUE(HasEdge(s, "deployment/shop/api", "configmap/shop/api-config", "uses_config"));
  EXPECT_TRUE(HasEdge(s, "deployment/shop/api", "database/orders-db.example.com", "connects"));
  // redis://cache names the Service "cache" in the same namespace.
  EXPECT_TRUE(HasEdge(s, "deployment/shop/api", "service/shop/cache", "connects"));
  EXPECT_TRUE(HasEdge(s, "configmap/shop/api-config", "queue/rabbit.queue.svc", "connects"));
  // A dangling ingress backend is reported, not invented.
  bool warned = false;
  for (const auto& w : s.warnings) warned |= w.find("shop/gone") != std::string::npos;
  EXPECT_TRUE(warned);
  // The password of the connection URL is nowhere in the snapshot.
  for (const auto& c : s.components) {
    EXPECT_EQ(DumpJson(ComponentToJson(c)).find("s3cret"), std::string::npos);
    EXPECT_EQ(DumpJson(ComponentToJson(c)).find("guest:guest"), std::string::npos);
  }
  for (const auto& c : s.components)
    if (c.id == "deployment/shop/api") {
      EXPECT_EQ(c.team, "payments");
      EXPECT_EQ(c.attributes.at("replicas"), "3");
      EXPECT_EQ(c.attributes.at("image"), "shop/api:1.4");
    }
}

TEST(Architecture, TrafficAndPrometheusTargets) {
  SnapshotBuilder b;
  ASSERT_TRUE(b.AddKubernetesObjects(Shop()).ok());
  ASSERT_TRUE(b.AddTraffic(Json::parse(R"([{"source":"api","destination":"redis","rate":12.5},
                                          {"source":"frontend","destination":"shop/api","rate":3}])"))
                  .ok());
  ASSERT_TRUE(b.AddPrometheusTargets(Json::parse(R"({"status":"success","data":{"activeTargets":[
     {"labels":{"job":"node","instance":"a:9100"},"health":"up"},
     {"labels":{"job":"node","instance":"b:9100"},"health":"down"}]}})"))
                  .ok());
  Snapshot s = b.Build();
  EXPECT_TRUE(HasEdge(s, "deployment/shop/api", "statefulset/shop/redis", "calls"));
  EXPECT_TRUE(HasEdge(s, "external/frontend", "deployment/shop/api", "calls"));
  EXPECT_TRUE(HasEdge(s, "prometheus/prometheus", "prometheus_target/node", "scrapes"));
  for (const auto& c : s.components)
    if (c.id == "prometheus_target/node") {
      EXPECT_EQ(c.attributes.at("targets"), "2");
      EXPECT_EQ(c.attributes.at("up"), "1");
    }
  EXPECT_FALSE(b.AddTraffic(Json::parse(R"([{"source":"a"}])")).ok());
  auto bad =
      SnapshotBuilder().AddTraffic(Json::parse(R"([{"source":"a","destination":"b","rate":-1}])"));
  EXPECT_NE(bad.message().find("traffic[0].rate"), std::string::npos);
  EXPECT_FALSE(SnapshotBuilder().AddPrometheusTargets(Json::object()).ok());
}

TEST(Architecture, ManualSnapshotValidatesAndDropsDanglingEdges) {
  auto s = SnapshotFromJson(
      Json::parse(R"([{"id":"a"},{"id":"b","kind":"database"}])"),
      Json::parse(R"([{"from":"a","to":"b"},{"from":"a","to":"zz"},{"from":"b","to":"a"}])"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->edges.size(), 2u);  // the cycle a→b→a is kept as data; zz dropped
  EXPECT_EQ(s->warnings.size(), 1u);
  auto dup = SnapshotFromJson(Json::parse(R"([{"id":"a"},{"id":"a"}])"), Json::array());
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("components[1].id"), std::string::npos);
  SnapshotLimits lim;
  lim.max_components = 1;
  EXPECT_FALSE(
      SnapshotFromJson(Json::parse(R"([{"id":"a"},{"id":"b"}])"), Json::array(), lim).ok());
}

TEST(Architecture, DiffListsAddedRemovedChanged) {
  SnapshotBuilder b1;
  ASSERT_TRUE(b1.AddKubernetesObjects(Shop()).ok());
  Snapshot before = b1.Build();
  auto objs = Shop();
  objs[0]["spec"]["template"]["spec"]["containers"][0]["image"] = "shop/api:1.5";
  objs.erase(objs.begin() + 5);  // the ingress goes
  objs.push_back(Json::parse(
      R"({"kind":"Deployment","metadata":{"name":"worker","namespace":"shop"},"spec":{}})"));
  SnapshotBuilder b2;
  ASSERT_TRUE(b2.AddKubernetesObjects(objs).ok());
  Snapshot after = b2.Build();
  SnapshotDiff d = DiffSnapshots(before, after);
  ASSERT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.added[0].id, "deployment/shop/worker");
  ASSERT_EQ(d.removed.size(), 1u);
  EXPECT_EQ(d.removed[0].id, "ingress/shop/web");
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0].id, "deployment/shop/api");
  EXPECT_EQ(d.changed[0].fields, std::vector<std::string>{"attributes.image"});
  ASSERT_EQ(d.removed_edges.size(), 1u);
  EXPECT_EQ(d.removed_edges[0].kind, "routes");
  EXPECT_NE(d.ToMarkdown().find("Removed components"), std::string::npos);
  EXPECT_EQ(DiffSnapshots(after, after).ToMarkdown(), "No infrastructure changes.\n");
}

TEST(Architecture, DiagramsEscapeLabelsAndGroup) {
  auto s =
      SnapshotFromJson(Json::parse(R"([{"id":"a","name":"evil\"];</script><b>x","namespace":"n1"},
                      {"id":"b","name":"db","kind":"database","namespace":"n2"}])"),
                       Json::parse(R"([{"from":"a","to":"b","kind":"connects"}])"));
  ASSERT_TRUE(s.ok());
  std::string mm = ToMermaid(*s);
  EXPECT_EQ(mm.rfind("flowchart LR\n", 0), 0u);
  EXPECT_EQ(mm.find("</script>"), std::string::npos);
  EXPECT_NE(mm.find("subgraph g0[\"n1\"]"), std::string::npos);
  EXPECT_NE(mm.find("n1[(\"db"), std::string::npos);
  EXPECT_NE(mm.find("n0 -->|connects| n1"), std::string::npos);
  std::string dot = ToDot(*s);
  EXPECT_NE(dot.find("label=\"evil\\\"];</script><b>x\\ncomponent\""), std::string::npos);
  EXPECT_NE(dot.find("subgraph \"cluster_0\""), std::string::npos);
  EXPECT_NE(dot.find("shape=cylinder"), std::string::npos);
  DiagramOptions none;
  none.group_by = GroupBy::kNone;
  EXPECT_EQ(ToDot(*s, none).find("cluster_"), std::string::npos);
}

TEST(Search, Bm25RanksTitleAndRareTermsHigher) {
  SearchIndex idx;
  idx.Upsert({1,
              "Restarting the API",
              "When the api stops answering, restart it with systemctl.",
              "runbook",
              {"api"}});
  idx.Upsert({2,
              "Database failover",
              "Promote the replica. The api reconnects by itself.",
              "custom",
              {"db"}});
  idx.Upsert({3, "Onboarding", "Welcome. Read the architecture docs first.", "onboarding", {}});
  auto hits = idx.Search("restart api");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id, 1);
  EXPECT_GT(hits[0].score, hits[1].score);
  EXPECT_NE(hits[0].snippet.find("<mark>restart</mark>"), std::string::npos);
  EXPECT_EQ(idx.Search("failover")[0].id, 2);
  EXPECT_TRUE(idx.Search("").empty());
  EXPECT_TRUE(idx.Search("nonexistentword").empty());
  SearchOptions only_db;
  only_db.tags = {"db"};
  ASSERT_EQ(idx.Search("api", only_db).size(), 1u);
  SearchOptions type;
  type.doc_type = "runbook";
  ASSERT_EQ(idx.Search("api", type).size(), 1u);
  // Prefix queries, replacement and removal.
  EXPECT_EQ(idx.Search("onboard*").at(0).id, 3);
  idx.Upsert({3, "Onboarding", "Now about kubernetes.", "onboarding", {}});
  EXPECT_TRUE(idx.Search("architecture").empty());
  EXPECT_EQ(idx.Search("kubernetes").at(0).id, 3);
  idx.Remove(1);
  EXPECT_EQ(idx.size(), 2u);
  EXPECT_EQ(idx.Search("restart").size(), 0u);
  SearchOptions excl;
  excl.exclude = {2};
  EXPECT_TRUE(idx.Search("failover", excl).empty());
}

TEST(Search, SnippetsAreEscaped) {
  SearchIndex idx;
  idx.Upsert({7, "x", "<script>alert(1)</script> the alert fired & then cleared", "custom", {}});
  auto hits = idx.Search("alert");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].snippet.find("<script>"), std::string::npos);
  EXPECT_NE(hits[0].snippet.find("&lt;script&gt;<mark>alert</mark>"), std::string::npos);
  EXPECT_NE(hits[0].snippet.find("&amp;"), std::string::npos);
  std::string long_text(5000, 'a');
  long_text += " needle ";
  long_text += std::string(5000, 'b');
  std::string snip = SearchIndex::Snippet(long_text, {"needle"}, 100);
  EXPECT_LT(snip.size(), 200u);
  EXPECT_NE(snip.find("<mark>needle</mark>"), std::string::npos);
}

TEST(Markdown, RendersSafely) {
  auto html = RenderMarkdown(
      "# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x "
      "onerror=alert(1)>\n\n**bold**");
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("<h1>Title</h1>"), std::string::npos);
  EXPECT_NE(html->find("<strong>bold</strong>"), std::string::npos);
  EXPECT_EQ(html->find("<script"), std::string::npos);
  EXPECT_EQ(html->find("javascript:"), std::string::npos);
  EXPECT_EQ(html->find("onerror"), std::string::npos);
  EXPECT_FALSE(RenderMarkdown(std::string(100, 'x'), 10).ok());
  auto refs = ExtractReferences(
      "see [[incident:12]] and [[runbook:restart-api]], [[incident:12]], [[bad:1]] [[service:a "
      "b]]");
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].type, "incident");
  EXPECT_EQ(refs[1].id, "restart-api");
  EXPECT_EQ(FirstHeading("```\n# not\n```\n## Real one ##\n"), "Real one");
  EXPECT_EQ(FirstHeading("no heading"), "");
}

TEST(Template, FillsFieldsSectionsAndNamesUnknownFields) {
  Json data = Json::parse(
      R"({"service":{"name":"api","owners":["ann","bob"]},"incidents":[{"id":1,"title":"down"},{"id":2,"title":"slow"}],"empty":[],"n":0})");
  auto out = RenderTemplate(
      "# {{service.name}}\nOwners: {{service.owners}}\n{{#each incidents}}- #{{id}} {{title}} "
      "({{service.name}})\n{{/each}}{{#if empty}}never{{/if}}{{#if n}}never{{/if}}",
      data);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, "# api\nOwners: ann, bob\n- #1 down (api)\n- #2 slow (api)\n");
  auto unknown = RenderTemplate("line1\n{{service.nope}}", data);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("line 2: unknown field \"service.nope\""),
            std::string::npos);
  EXPECT_FALSE(RenderTemplate("{{#each incidents}}x", data).ok());
  EXPECT_FALSE(RenderTemplate("{{/if}}", data).ok());
  EXPECT_FALSE(RenderTemplate("{{ a b }}", data).ok());
  EXPECT_FALSE(RenderTemplate("{{#each service}}x{{/each}}", data).ok());
  EXPECT_FALSE(RenderTemplate("{{oops", data).ok());
  auto vars = TemplateVariables("{{a.b}} {{#each list}}{{x}}{{/each}} {{#if c}}{{d}}{{/if}}");
  ASSERT_TRUE(vars.ok());
  EXPECT_EQ(*vars, (std::vector<std::string>{"a", "list", "c", "d"}));
  // Output is bounded: nested loops over a big list stop at the limit.
  Json big = {{"l", Json::array()}};
  for (int i = 0; i < 2000; ++i) big["l"].push_back(i);
  TemplateLimits lim;
  lim.max_output_bytes = 10000;
  EXPECT_FALSE(RenderTemplate("{{#each l}}{{#each l}}xx{{/each}}{{/each}}", big, lim).ok());
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += "{{#if n}}";
  EXPECT_FALSE(RenderTemplate(deep, data).ok());
}

IncidentRecord Inc(int64_t id, const std::string& alert, const std::string& service,
                   std::vector<TimelineEntry> timeline, const std::string& rc = "") {
  IncidentRecord r;
  r.id = id;
  r.title = alert + " on " + service + " instance 10.0.0." + std::to_string(id);
  r.severity = "high";
  r.service = service;
  r.labels = {
      {"alertname", alert}, {"service", service}, {"instance", "10.0.0." + std::to_string(id)}};
  r.alertnames = {alert};
  r.root_cause = rc;
  r.resolved = true;
  r.timeline = std::move(timeline);
  return r;
}

TEST(RunbookDraft, ClustersBySignature) {
  std::vector<IncidentRecord> incs = {
      Inc(1, "HighLatency", "api", {}, "connection pool exhausted"),
      Inc(2, "DiskFull", "db", {}, "wal archive stuck"),
      Inc(3, "HighLatency", "api", {}, "connection pool exhausted"),
      Inc(4, "HighLatency", "api", {}),
      Inc(5, "DiskFull", "db", {}),
  };
  auto clusters = ClusterIncidents(incs);
  ASSERT_EQ(clusters.size(), 2u);
  EXPECT_EQ(clusters[0].incident_ids, (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(clusters[1].incident_ids, (std::vector<int64_t>{2, 5}));
  EXPECT_NE(clusters[0].label.find("HighLatency"), std::string::npos);
  EXPECT_DOUBLE_EQ(SignatureSimilarity(IncidentSignature(incs[0]), IncidentSignature(incs[0])),
                   1.0);
  EXPECT_LT(SignatureSimilarity(IncidentSignature(incs[0]), IncidentSignature(incs[1])), 0.1);
}

TEST(RunbookDraft, ExtractsOrderedDeduplicatedSteps) {
  auto note = [](const std::string& text) {
    return TimelineEntry{"comment", text, "completed", Json::object(), 0};
  };
  TimelineEntry heal{"healing_action", "restarted", "completed",
                     Json{{"action", "restart_pod"}, {"target", "api"}}, 0};
  TimelineEntry rb{"runbook_execution", "Runbook flush-cache succeeded", "completed",
                   Json::object(), 0};
  TimelineEntry failed_rb{"runbook_execution", "Runbook other failed: x", "failed", Json::object(),
                          0};
  TimelineEntry resolve{"resolve", "Resolved", "completed", Json::object(), 0};
  TimelineEntry after{"comment", "$ /usr/bin/echo after-resolution", "completed", Json::object(),
                      0};
  std::vector<IncidentRecord> incs = {
      Inc(1, "HighLatency", "api",
          {note("checked\n$ /usr/bin/systemctl status api"), heal, rb,
           note("ran `kubectl rollout restart deploy/api` too"), resolve, after}),
      Inc(2, "HighLatency", "api",
          {note("$ /usr/bin/systemctl status api"), failed_rb, heal, rb, resolve}),
      Inc(3, "HighLatency", "api",
          {note("$ /usr/bin/systemctl status api | grep x"), heal, resolve}),
  };
  auto draft = DraftRunbook(incs);
  ASSERT_TRUE(draft.ok()) << draft.status().message();
  const Json& steps = draft->definition["steps"];
  // systemctl status (2 of 3), healing (3 of 3), flush-cache (2 of 3), confirm; kubectl (1 of 3)
  // and the piped command (1 of 3) are below support; nothing after resolution.
  ASSERT_EQ(steps.size(), 4u) << steps.dump();
  EXPECT_EQ(steps[0]["command"]["argv"], Json::parse(R"(["/usr/bin/systemctl","status","api"])"));
  EXPECT_EQ(steps[1]["healing"]["action"], "restart_pod");
  EXPECT_EQ(steps[2]["runbook"], "flush-cache");
  EXPECT_TRUE(steps[3].contains("approval"));
  EXPECT_EQ(draft->definition["trigger"]["labels"],
            Json::parse(R"({"alertname":"HighLatency","service":"api"})"));
  EXPECT_EQ(draft->definition["requiresApproval"], true);
  EXPECT_EQ(draft->definition["autoExecute"], false);
  EXPECT_EQ(draft->definition["name"], "respond-to-highlatency");
  EXPECT_NE(draft->markdown.find("[[incident:3]]"), std::string::npos);
  EXPECT_EQ(DumpJson(draft->definition).find("after-resolution"), std::string::npos);
  EXPECT_TRUE(runbook::ParseRunbookJson(draft->definition).ok());
  // With min_support 0 every action is kept; a relative command becomes a by-hand approval.
  DraftOptions all;
  all.min_support = 0;
  all.title = "API latency {{x}}";
  auto all_draft = DraftRunbook(incs, all);
  ASSERT_TRUE(all_draft.ok()) << all_draft.status().message();
  std::string dumped = DumpJson(all_draft->definition);
  EXPECT_NE(dumped.find("Run by hand and confirm: kubectl rollout restart deploy/api"),
            std::string::npos);
  EXPECT_NE(dumped.find("Run by hand and confirm: /usr/bin/systemctl status api | grep x"),
            std::string::npos);
  EXPECT_FALSE(DraftRunbook({}).ok());
  EXPECT_FALSE(DraftRunbook({Inc(9, "X", "y", {resolve})}).ok());
}

TEST(RunbookDraft, SplitCommandNeverNeedsAShell) {
  auto argv = SplitCommand(R"(/bin/echo 'a b' "c \"d\"" e\ f)");
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(*argv, (std::vector<std::string>{"/bin/echo", "a b", "c \"d\"", "e f"}));
  for (const char* bad : {"a | b", "a; b", "a > f", "echo $(id)", "a `id`", "'open", "rm *"})
    EXPECT_FALSE(SplitCommand(bad).ok()) << bad;
}

const char* kPetsV1 = R"(openapi: "3.0.0"
info: {title: Pets, version: "1.0"}
paths:
  /pets:
    get:
      summary: List pets
      parameters:
        - {name: limit, in: query, required: false, schema: {type: integer}}
        - {name: kind, in: query, schema: {type: string, enum: [cat, dog]}}
      responses:
        "200":
          description: the pets
          content: {application/json: {schema: {$ref: "#/components/schemas/PetList"}}}
    post:
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}}
      responses: {"201": {description: created}}
  /pets/{id}:
    delete: {responses: {"204": {description: gone}}}
components:
  schemas:
    Pet: {type: object, required: [name], properties: {name: {type: string}, tag: {type: string}}}
    PetList: {type: object, properties: {items: {type: array, items: {$ref: "#/components/schemas/Pet"}}, total: {type: integer}}}
)";

TEST(OpenApi, RendersMarkdownAndHtml) {
  auto doc = ParseOpenApi(kPetsV1);
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  std::string md = OpenApiToMarkdown(*doc);
  EXPECT_NE(md.find("# Pets"), std::string::npos);
  EXPECT_NE(md.find("## GET `/pets`"), std::string::npos);
  EXPECT_NE(md.find("| `limit` | query | integer | no |"), std::string::npos);
  EXPECT_NE(md.find("| `name` | string | yes |"), std::string::npos);
  EXPECT_NE(md.find("`200` the pets — `PetList`"), std::string::npos);
  auto html = OpenApiToHtml(*doc);
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("<h2>GET <code>/pets</code></h2>"), std::string::npos);
  EXPECT_FALSE(ParseOpenApi("{\"paths\":{}}").ok());
  EXPECT_FALSE(ParseOpenApi("openapi: 3\n").ok());
  EXPECT_FALSE(ParseOpenApi("a: [").ok());
  // A cyclic $ref ends.
  auto cyc = ParseOpenApi(
      R"({"openapi":"3.0.0","paths":{"/a":{"get":{"responses":{"200":{"$ref":"#/x"}}}}},"x":{"$ref":"#/x"}})");
  ASSERT_TRUE(cyc.ok());
  EXPECT_NE(OpenApiToMarkdown(*cyc).find("/a"), std::string::npos);
}

TEST(OpenApi, DiffFindsBreakingChanges) {
  auto v1 = ParseOpenApi(kPetsV1);
  std::string v2_text = kPetsV1;
  auto replace = [&](const std::string& a, const std::string& b) {
    size_t p = v2_text.find(a);
    ASSERT_NE(p, std::string::npos) << a;
    v2_text.replace(p, a.size(), b);
  };
  replace("required: false, schema: {type: integer}", "required: true, schema: {type: string}");
  replace("enum: [cat, dog]", "enum: [cat]");
  replace("  /pets/{id}:\n    delete: {responses: {\"204\": {description: gone}}}\n",
          "  /owners:\n    get: {responses: {\"200\": {description: ok}}}\n");
  replace("required: [name]", "required: [name, tag]");
  replace("total: {type: integer}", "count: {type: integer}");
  auto v2 = ParseOpenApi(v2_text);
  ASSERT_TRUE(v1.ok() && v2.ok());
  auto changes = DiffOpenApi(*v1, *v2);
  std::string md = ApiChangesToMarkdown(changes);
  EXPECT_NE(md.find("`/pets/{id}`: path removed"), std::string::npos) << md;
  EXPECT_NE(md.find("`GET /pets parameter limit`: parameter became required"), std::string::npos);
  EXPECT_NE(md.find("`GET /pets parameter limit`: type changed from integer to string"),
            std::string::npos);
  EXPECT_NE(md.find("enum value \"dog\" removed"), std::string::npos);
  EXPECT_NE(md.find("`POST /pets body field tag`: request field became required"),
            std::string::npos);
  EXPECT_NE(md.find("`GET /pets response 200 field total`: response field removed"),
            std::string::npos);
  EXPECT_NE(md.find("## Other changes\n\n- `GET /owners`: operation added"), std::string::npos);
  EXPECT_TRUE(DiffOpenApi(*v1, *v1).empty());
}

TEST(ChangeLog, GroupsByDayAndServiceWithinThePeriod) {
  std::vector<ChangeEntry> e = {
      {"2026-11-02T10:00:00Z", "release", "api", "v1.2.0", "### Features\n- x", "doc:4"},
      {"2026-11-02T09:00:00Z", "configuration", "", "healing rule restart-api enabled", "",
       "audit:9"},
      {"2026-11-03T08:00:00Z", "infrastructure", "", "1 component added", "", "snapshot:1..2"},
      {"2026-10-30T08:00:00Z", "release", "api", "too early", "", ""},
      {"2026-11-03T09:00:00Z", "release", "billing", "v9", "", ""},
  };
  std::string md = BuildChangeLog(e, "2026-11-01T00:00:00Z", "2026-11-04T00:00:00Z");
  EXPECT_EQ(md.find("too early"), std::string::npos);
  EXPECT_LT(md.find("## 2026-11-03"), md.find("## 2026-11-02"));
  EXPECT_NE(md.find("2 release(s), 1 infrastructure change(s), 1 configuration change(s)"),
            std::string::npos);
  EXPECT_NE(md.find("  ### Features"), std::string::npos);
  std::string api = BuildChangeLog(e, "2026-11-01T00:00:00Z", "2026-11-04T00:00:00Z", "api");
  EXPECT_EQ(api.find("billing"), std::string::npos);
  EXPECT_NE(api.find("v1.2.0"), std::string::npos);
  EXPECT_NE(BuildChangeLog({}, "2026-11-01", "2026-11-02").find("No changes"), std::string::npos);
}

}  // namespace
}  // namespace dai::docs
