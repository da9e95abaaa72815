// DocsService on SQLite and PostgreSQL: the knowledge base (versions, human edits, safe HTML,
// BM25 search across two service instances), snapshots (capture, versions, diffs, diagrams in
// every format), templates (unknown fields refused; regeneration never overwrites a person's
// edit), runbooks learned from incidents (stored disabled), API documents and diffs, change logs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engines/docs/markdown.h"
#include "modules/docs/docs_service.h"
#include "modules/incident_commander/incident_service.h"
#include "modules/incident_commander/runbook_service.h"
#include "registry/schema.h"
#include "store/job_repository.h"
#include "store/migrations.h"
#include "store/test_backends.h"

namespace dai::docs {
namespace {

using store::testing::Backend;
namespace fs = std::filesystem;

const char* kManifests = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {team: payments}}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: shop/api:1.0
          env: [{name: DB, value: "postgres://u:pw@orders-db:5432/o"}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{port: 80}]}
)";

class DocsServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string error;
    test_db_ = store::testing::TestDatabase::Create(GetParam(), &error);
    if (!test_db_) {
      if (GetParam() == Backend::kPostgres && !store::testing::InCi()) GTEST_SKIP() << error;
      FAIL() << error;
    }
    ASSERT_TRUE(store::Migrate(test_db_->db()).ok());
    clock_.SetMillis(ToUnixMillis(*ParseIso8601("2026-11-29T00:00:00Z")));
    jobs_ = std::make_unique<store::JobRepository>(test_db_->db());
    incidents_ = std::make_unique<incidents::IncidentService>(
        test_db_->db(), clock_, incidents::IncidentServiceOptions{}, nullptr);
    runbooks_ = std::make_unique<incidents::RunbookService>(
        test_db_->db(), *jobs_, clock_, incidents::RunbookServiceOptions{}, nullptr);
    registry_.Add(MakeProcedure("demo.echo", ProcedureKind::kQuery, Role::kViewer,
                                schema::Object({schema::Req("text", schema::String(1, 10))}),
                                schema::Object({}), "Echo text back",
                                [](const Json& in, CallContext&) -> Result<Json> { return in; }));
    DocsServiceOptions o;
    o.registry = &registry_;
    o.version = "test";
    o.incidents = incidents_.get();
    o.runbooks = runbooks_.get();
    o.read_roots = {fs::temp_directory_path().string()};
    svc_ = std::make_unique<DocsService>(test_db_->db(), clock_, o, nullptr);
    who_.username = "ann";
    who_.role = Role::kOperator;
  }
  int64_t Count(const std::string& sql) {
    auto r = test_db_->db().Query(sql);
    return r.ok() ? r->rows.at(0).GetInt(size_t{0}) : -1;
  }
  int64_t AddIncident(const std::string& alert, const std::string& service,
                      const std::vector<std::pair<std::string, std::string>>& actions) {
    auto& db = test_db_->db();
    auto ins = db.Query(
        "INSERT INTO incidents (title, severity, status, service, labels, root_cause, detected_at, "
        "resolved_at, "
        "created_at, updated_at) VALUES (?, 'high', 'resolved', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        {alert + " on " + service, service,
         DumpJson(Json{{"alertname", alert}, {"service", service}}), "connection pool exhausted",
         clock_.Now(), clock_.Now(), clock_.Now(), clock_.Now()});
    EXPECT_TRUE(ins.ok()) << ins.status().ToString();
    const int64_t id = ins->rows.at(0).GetInt(size_t{0});
    for (const auto& [type, text] : actions) {
      clock_.Advance(Millis(1000));
      EXPECT_TRUE(db.Query("INSERT INTO incident_actions (incident_id, action_type, description, "
                           "actor, details, "
                           "created_at) VALUES (?, ?, ?, 'ann', ?, ?)",
                           {id, type, text,
                            type == "healing_action"
                                ? DumpJson(Json{{"action", "restart_pod"}, {"target", service}})
                                : std::string("{}"),
                            clock_.Now()})
                      .ok());
    }
    return id;
  }

  FakeClock clock_;
  std::unique_ptr<store::testing::TestDatabase> test_db_;
  std::unique_ptr<store::JobRepository> jobs_;
  std::unique_ptr<incidents::IncidentService> incidents_;
  std::unique_ptr<incidents::RunbookService> runbooks_;
  ProcedureRegistry registry_;
  std::unique_ptr<DocsService> svc_;
  Identity who_;
};

TEST_P(DocsServiceTest, KnowledgeBaseVersionsSearchAndSafeHtml) {
  auto doc = svc_->CreateDoc(Json{{"content",
                                   "# Restart the API\n\nRun `systemctl restart api`.\n\n"
                                   "<script>alert(1)</script>\n\nSee [[incident:4]]."},
                                  {"tags", {"api", "ops"}}},
                             "ann");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const int64_t id = (*doc)["id"].get<int64_t>();
  EXPECT_EQ((*doc)["title"], "Restart the API");
  EXPECT_EQ((*doc)["links"], Json::parse(R"([{"type":"incident","id":"4"}])"));
  ASSERT_TRUE(
      svc_->CreateDoc(Json{{"title", "Database failover"}, {"content", "Promote the replica."}},
                      "bob")
          .ok());
  EXPECT_FALSE(svc_->CreateDoc(Json{{"content", "no heading here"}}, "ann").ok());

  auto got = svc_->GetDoc(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["html"].get<std::string>().find("<script"), std::string::npos);
  EXPECT_NE((*got)["html"].get<std::string>().find("<h1>Restart the API</h1>"), std::string::npos);
  EXPECT_EQ((*got)["versions"].size(), 1u);

  auto hits = svc_->Search(Json{{"query", "restart"}});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ((*hits)["items"].size(), 1u);
  EXPECT_EQ((*hits)["items"][0]["id"], id);
  EXPECT_NE((*hits)["items"][0]["snippet"].get<std::string>().find("<mark>restart</mark>"),
            std::string::npos);

  // An edit is a new version by a person; a stale expectedVersion is a conflict.
  clock_.Advance(Millis(5000));
  auto up = svc_->UpdateDoc(Json{{"id", id},
                                 {"content", "# Restart the API\n\nUse the healing rule instead."},
                                 {"expectedVersion", 1}},
                            "bob");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ((*up)["version"], 2);
  EXPECT_EQ((*up)["humanEdited"], true);
  EXPECT_EQ((*up)["versions"].size(), 2u);
  auto stale = svc_->UpdateDoc(Json{{"id", id}, {"content", "x"}, {"expectedVersion", 1}}, "ann");
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  // The index catches up: the old text is gone, the new text is found — also by a second service
  // instance (another process on the same database).
  EXPECT_TRUE((*svc_->Search(Json{{"query", "systemctl"}}))["items"].empty());
  DocsService other(test_db_->db(), clock_, DocsServiceOptions{}, nullptr);
  EXPECT_EQ((*other.Search(Json{{"query", "healing"}}))["items"].size(), 1u);
  // Archived documents leave the search results and the default list.
  clock_.Advance(Millis(5000));
  ASSERT_TRUE(svc_->UpdateDoc(Json{{"id", id}, {"status", "archived"}}, "ann").ok());
  EXPECT_TRUE((*svc_->Search(Json{{"query", "healing"}}))["items"].empty());
  EXPECT_TRUE((*other.Search(Json{{"query", "healing"}}))["items"].empty());
  auto list = svc_->ListDocs(Json::object());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["total"], 1);
  auto searched = svc_->ListDocs(Json{{"search", "replica"}});
  ASSERT_TRUE(searched.ok());
  ASSERT_EQ((*searched)["items"].size(), 1u);
  EXPECT_TRUE((*searched)["items"][0].contains("snippet"));
  EXPECT_EQ(svc_->GetDoc(999).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(
      svc_->CreateDoc(Json{{"content", std::string(3u << 20, 'x')}, {"title", "big"}}, "ann").ok());
}

TEST_P(DocsServiceTest, ImportsMarkdownDirectories) {
  fs::path dir = fs::temp_directory_path() / ("docs-import-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(static_cast<int>(GetParam())));
  fs::create_directories(dir / "sub");
  fs::create_directories(dir / ".git");
  std::ofstream(dir / "a.md") << "# Alpha\n\nfirst";
  std::ofstream(dir / "sub" / "b.markdown") << "no heading, bravo";
  std::ofstream(dir / ".git" / "c.md") << "# hidden";
  std::ofstream(dir / "notes.txt") << "not markdown";
  auto r = svc_->ImportDirectory(dir.string(), "admin");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["imported"].size(), 2u);
  EXPECT_EQ(Count("SELECT count(*) FROM generated_docs"), 2);
  // Importing again updates instead of duplicating.
  std::ofstream(dir / "a.md") << "# Alpha\n\nsecond";
  auto again = svc_->ImportDirectory(dir.string(), "admin");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Count("SELECT count(*) FROM generated_docs"), 2);
  EXPECT_EQ((*svc_->Search(Json{{"query", "second"}}))["items"].size(), 1u);
  EXPECT_EQ((*svc_->Search(Json{{"query", "bravo"}}))["items"][0]["title"], "b");
  EXPECT_FALSE(svc_->ImportDirectory((dir / "nope").string(), "admin").ok());
  fs::remove_all(dir);
}

TEST_P(DocsServiceTest, ServerFilesAreReadOnlyInsideTheScanRoots) {
  fs::path dir = fs::temp_directory_path() / ("docs-roots-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(static_cast<int>(GetParam())));
  fs::create_directories(dir);
  std::ofstream(dir / "a.md") << "# Alpha\n\ninside";
  // A link inside the root to a file outside it (the roots here are the temp directory).
  fs::create_symlink("/etc/hostname", dir / "escape.md");
  fs::create_symlink("/etc/hostname", dir / "escape.yaml");
  auto r = svc_->ImportDirectory(dir.string(), "admin");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)["imported"].size(), 1u) << r->dump();
  ASSERT_EQ((*r)["errors"].size(), 1u) << r->dump();
  EXPECT_NE((*r)["errors"][0]["error"].get<std::string>().find("outside the allowed scan roots"),
            std::string::npos);
  EXPECT_EQ(Count("SELECT count(*) FROM generated_docs"), 1);
  // Outside the roots, also through "..": refused before anything is read.
  for (const std::string& p : {std::string("/etc"), (dir / ".." / ".." / "etc").string()}) {
    auto out = svc_->ImportDirectory(p, "admin");
    ASSERT_FALSE(out.ok()) << p;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << p;
    EXPECT_NE(out.status().message().find("outside the allowed scan roots"), std::string::npos);
  }
  auto api = svc_->Generate(Json{{"docType", "api"}, {"target", "/etc/passwd"}}, "ann");
  ASSERT_FALSE(api.ok());
  EXPECT_NE(api.status().message().find("target: /etc/passwd is outside"), std::string::npos)
      << api.status().ToString();
  auto snap = svc_->CaptureSnapshot(Json{{"name", "x"}, {"manifestPath", "/etc/passwd"}});
  ASSERT_FALSE(snap.ok());
  EXPECT_NE(snap.status().message().find("manifestPath: /etc/passwd is outside"), std::string::npos)
      << snap.status().ToString();
  auto linked =
      svc_->CaptureSnapshot(Json{{"name", "x"}, {"manifestPath", (dir / "escape.yaml").string()}});
  ASSERT_FALSE(linked.ok());
  EXPECT_NE(linked.status().message().find("outside the allowed scan roots"), std::string::npos);
  // Without any root configured, no server file is read at all.
  DocsService none(test_db_->db(), clock_, DocsServiceOptions{}, nullptr);
  EXPECT_EQ(none.ImportDirectory(dir.string(), "admin").status().code(),
            StatusCode::kFailedPrecondition);
  fs::remove_all(dir);
}

TEST_P(DocsServiceTest, SnapshotsDiffsAndDiagrams) {
  EXPECT_EQ(svc_->ExportDiagram(Json{{"format", "mermaid"}}).status().code(),
            StatusCode::kFailedPrecondition);
  auto s1 = svc_->CaptureSnapshot(Json{{"name", "prod"}, {"manifests", kManifests}});
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ((*s1)["version"], 1);
  EXPECT_EQ((*s1)["source"], "manifests");
  EXPECT_EQ((*s1)["componentCount"], 3);  // deployment, service, database/orders-db
  std::string second = kManifests;
  second.replace(second.find("shop/api:1.0"), 12, "shop/api:1.1");
  clock_.Advance(Millis(60000));
  auto s2 = svc_->CaptureSnapshot(
      Json{{"name", "prod"},
           {"manifests", second},
           {"traffic", Json::parse(R"([{"source":"web","destination":"api","rate":5}])")}});
  ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  EXPECT_EQ((*s2)["version"], 2);
  EXPECT_EQ((*s2)["source"], "combined");
  ASSERT_TRUE((*s2).contains("diffFromPrevious"));
  const Json& d = (*s2)["diffFromPrevious"];
  EXPECT_EQ(d["added"].size(), 1u);  // external/web
  ASSERT_EQ(d["changed"].size(), 1u);
  EXPECT_EQ(d["changed"][0]["fields"], Json::array({"attributes.image"}));
  for (const char* fmt : {"mermaid", "dot", "svg", "png"}) {
    auto out = svc_->ExportDiagram(Json{{"format", fmt}, {"groupBy", "team"}});
    ASSERT_TRUE(out.ok()) << fmt << ": " << out.status().ToString();
    const std::string content = (*out)["content"].get<std::string>();
    if (std::string(fmt) == "svg") {
      EXPECT_NE(content.find("<svg"), std::string::npos);
    } else if (std::string(fmt) == "png") {
      EXPECT_EQ(content.substr(0, 8), "iVBORw0K");  // base64 of \x89PNG
    } else if (std::string(fmt) == "mermaid") {
      EXPECT_NE(content.find("payments"), std::string::npos);
    }
  }
  auto list = svc_->ListSnapshots(Json::object());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["total"], 2);
  EXPECT_EQ(svc_->DiffSnapshots(1234, 1).status().code(), StatusCode::kNotFound);
  auto bad = svc_->CaptureSnapshot(Json{{"manifests", "kind: [unclosed"}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(svc_->CaptureSnapshot(Json::object()).ok());
  // The architecture document embeds the Mermaid diagram and the component table.
  auto arch = svc_->Generate(Json{{"docType", "architecture"}}, "ann");
  ASSERT_TRUE(arch.ok()) << arch.status().ToString();
  EXPECT_NE((*arch)["content"].get<std::string>().find("```mermaid"), std::string::npos);
  EXPECT_NE((*arch)["content"].get<std::string>().find("`deployment/shop/api`"), std::string::npos);
}

// A narrator (the LLM port) that records what it was given and answers fixed prose, or fails.
class ScriptedNarrator : public Narrator {
 public:
  Narration Write(const NarrationRequest& request) override {
    requests.push_back(request);
    Narration n;
    n.model = "scripted";
    if (fail) {
      n.fallback_reason = "the LLM failed (UNAVAILABLE: down)";
    } else {
      n.written_by_llm = true;
      n.text = "Three components behind one API.";
    }
    return n;
  }
  std::vector<NarrationRequest> requests;
  bool fail = false;
};

// Architecture documents: the LLM's summary is added after the title and labelled; the rest is
// the deterministic document, which is also what a failing narrator leaves.
TEST_P(DocsServiceTest, ArchitectureSummaryFromTheNarratorWithTheDeterministicFallback) {
  ASSERT_TRUE(svc_->CaptureSnapshot(Json{{"name", "prod"}, {"manifests", kManifests}}).ok());
  auto oracle = svc_->Generate(Json{{"docType", "architecture"}}, "ann");
  ASSERT_TRUE(oracle.ok()) << oracle.status().ToString();
  const std::string deterministic = (*oracle)["content"];
  EXPECT_EQ((*oracle)["metadata"]["narrative"]["mode"], "deterministic");
  ScriptedNarrator narrator;
  DocsServiceOptions o;
  o.narrator = &narrator;
  DocsService with_llm(test_db_->db(), clock_, o, nullptr);
  auto written = with_llm.Generate(Json{{"docType", "architecture"}}, "ann");
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ((*written)["content"].get<std::string>(),
            docs::WithLlmSummary(deterministic, "Three components behind one API.", "scripted",
                                 "the snapshot below"));
  EXPECT_EQ((*written)["metadata"]["narrative"]["mode"], "llm");
  ASSERT_EQ(narrator.requests.size(), 1u);
  EXPECT_EQ(narrator.requests[0].purpose, "docs.architecture");
  EXPECT_EQ(narrator.requests[0].facts["components"].size(), 3u);
  narrator.fail = true;
  auto fallback = with_llm.Generate(Json{{"docType", "architecture"}}, "ann");
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ((*fallback)["content"].get<std::string>(), deterministic);
  EXPECT_EQ((*fallback)["metadata"]["narrative"]["reason"], "the LLM failed (UNAVAILABLE: down)");
}

TEST_P(DocsServiceTest, TemplatesRegenerateWithoutOverwritingHumanEdits) {
  auto bad = svc_->SaveTemplate(Json{{"name", "t"},
                                     {"docType", "architecture"},
                                     {"dataSource", "architecture"},
                                     {"template", "# {{snapshot.nme}}"}});
  EXPECT_TRUE(bad.ok());
  EXPECT_FALSE(svc_->SaveTemplate(
                       Json{{"name", "u"}, {"docType", "architecture"}, {"template", "{{#if x}}"}})
                   .ok());
  ASSERT_TRUE(svc_->CaptureSnapshot(Json{{"name", "prod"}, {"manifests", kManifests}}).ok());
  bad = svc_->SaveTemplate(Json{{"name", "t"},
                                {"docType", "architecture"},
                                {"dataSource", "architecture"},
                                {"template", "# {{snapshot.nme}}"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown field \"snapshot.nme\""), std::string::npos);
  auto t = svc_->SaveTemplate(Json{{"name", "inventory"},
                                   {"docType", "architecture"},
                                   {"dataSource", "architecture"},
                                   {"refreshSeconds", 60},
                                   {"template",
                                    "# Inventory {{snapshot.name}} v{{snapshot.version}}\n"
                                    "{{#each snapshot.components}}- {{id}}\n{{/each}}"}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)["variables"], Json::array({"snapshot"}));
  auto doc = svc_->Generate(Json{{"docType", "architecture"}, {"templateId", (*t)["id"]}}, "ann");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const int64_t id = (*doc)["id"].get<int64_t>();
  EXPECT_EQ((*doc)["title"], "Inventory prod v1");
  EXPECT_NE((*doc)["content"].get<std::string>().find("- service/shop/api"), std::string::npos);
  // Unchanged data: nothing new.
  auto same = svc_->Regenerate(id, "ann");
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE((*same)["changed"].get<bool>());
  // New data: applied while nobody edited the document.
  clock_.Advance(Millis(1000));
  ASSERT_TRUE(svc_->CaptureSnapshot(Json{{"name", "prod"}, {"manifests", kManifests}}).ok());
  auto applied = svc_->Regenerate(id, "ann");
  ASSERT_TRUE(applied.ok());
  EXPECT_TRUE((*applied)["applied"].get<bool>());
  EXPECT_NE((*svc_->GetDoc(id))["content"].get<std::string>().find("v2"), std::string::npos);
  // A person edits; the next regeneration is kept beside the edit, not over it.
  clock_.Advance(Millis(1000));
  ASSERT_TRUE(svc_->UpdateDoc(Json{{"id", id}, {"content", "# Curated by hand"}}, "bob").ok());
  ASSERT_TRUE(svc_->CaptureSnapshot(Json{{"name", "prod"}, {"manifests", kManifests}}).ok());
  clock_.Advance(Millis(120000));
  auto scheduled = svc_->RegenerateDue();
  ASSERT_TRUE(scheduled.ok());
  EXPECT_EQ(*scheduled, 1);
  auto after = svc_->GetDoc(id);
  EXPECT_EQ((*after)["content"], "# Curated by hand");
  EXPECT_EQ((*after)["versions"][0]["origin"], "generated");
  EXPECT_EQ((*after)["versions"][0]["applied"], false);
  EXPECT_EQ(svc_->Regenerate(999, "ann").status().code(), StatusCode::kFailedPrecondition);
  auto templates = svc_->ListTemplates();
  ASSERT_TRUE(templates.ok());
  // "t" was stored by the first call: with no snapshot yet its fields could only be checked for
  // syntax; the second call, with data, refused the unknown field and changed nothing.
  ASSERT_EQ((*templates)["items"].size(), 2u);
  EXPECT_EQ((*templates)["items"][1]["name"], "t");
}

TEST_P(DocsServiceTest, RunbooksLearnedFromIncidentsAreStoredDisabled) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(AddIncident("HighLatency", "api",
                              {{"comment", "looked at it\n$ /usr/bin/systemctl restart api"},
                               {"healing_action", "restarted pod"},
                               {"resolve", "Resolved"}}));
  AddIncident("DiskFull", "db", {{"comment", "$ /usr/bin/du -sh /var"}, {"resolve", "Resolved"}});
  AddIncident("Quiet", "x", {{"resolve", "Resolved"}});
  auto cands = svc_->RunbookCandidates(Json::object());
  ASSERT_TRUE(cands.ok()) << cands.status().ToString();
  ASSERT_GE((*cands)["items"].size(), 2u);
  EXPECT_EQ((*cands)["items"][0]["incidentIds"].size(), 3u);
  EXPECT_TRUE((*cands)["items"][0]["draftable"].get<bool>());
  auto made = svc_->CreateRunbook(Json::object(), who_);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ((*made)["enabled"], false);
  EXPECT_EQ((*made)["incidentIds"].size(), 3u);
  const Json& steps = (*made)["definition"]["steps"];
  ASSERT_EQ(steps.size(), 3u) << steps.dump();
  EXPECT_EQ(steps[0]["command"]["argv"], Json::parse(R"(["/usr/bin/systemctl","restart","api"])"));
  EXPECT_EQ(steps[1]["healing"]["action"], "restart_pod");
  auto rb = runbooks_->Get((*made)["runbookId"].get<int64_t>());
  ASSERT_TRUE(rb.ok());
  // The API says where it came from, so the Runbooks page can label it a draft.
  EXPECT_EQ((*rb)["source"], "generated");
  EXPECT_EQ((*rb)["enabled"], false);
  EXPECT_EQ(Count("SELECT count(*) FROM runbooks WHERE enabled = " +
                  std::string(GetParam() == Backend::kPostgres ? "false" : "0") +
                  " AND source = 'generated'"),
            1);
  // The same cluster again: a second runbook with a suffixed name, never a replaced one.
  auto again = svc_->CreateRunbook(Json{{"incidentIds", Json(ids)}}, who_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)["name"], (*made)["name"].get<std::string>() + "-2");
  auto doc = svc_->GetDoc((*made)["docId"].get<int64_t>());
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["docType"], "runbook");
  EXPECT_EQ((*doc)["links"].size(), 4u);  // three incidents and the runbook
  // Incidents without any action cannot give a runbook.
  auto none = svc_->CreateRunbook(Json{{"incidentIds", Json::array({5})}}, who_);
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  // Similar incidents of the first: the other two HighLatency ones, and the runbook document.
  auto similar = svc_->SimilarIncidents(ids[0], 5);
  ASSERT_TRUE(similar.ok()) << similar.status().ToString();
  ASSERT_GE((*similar)["similar"].size(), 2u);
  EXPECT_NE((*similar)["similar"][0]["id"], ids[0]);
  EXPECT_FALSE((*similar)["docs"].empty());
}

TEST_P(DocsServiceTest, ApiDocumentsAndDiffs) {
  auto api = svc_->Generate(Json{{"docType", "api"}}, "ann");
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  EXPECT_NE((*api)["content"].get<std::string>().find("/trpc/demo.echo"), std::string::npos);
  EXPECT_EQ((*api)["docType"], "api");
  auto diff = svc_->DiffApi(Json{
      {"before",
       R"({"openapi":"3.0.0","paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}}}}})"},
      {"after",
       R"({"openapi":"3.0.0","paths":{"/b":{"get":{"responses":{"200":{"description":"ok"}}}}}})"}});
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ((*diff)["breaking"], 1);
  auto bad = svc_->DiffApi(Json{{"before", "nope: 1"}, {"after", "{}"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("before:", 0), 0u);
  EXPECT_FALSE(
      svc_->Generate(Json{{"docType", "api"}, {"target", "/nonexistent/openapi.yaml"}}, "ann")
          .ok());
}

TEST_P(DocsServiceTest, ChangeLogFromReleasesSnapshotsAndAudit) {
  auto& db = test_db_->db();
  ASSERT_TRUE(db.Query("INSERT INTO generated_docs (title, doc_type, content, source_id, "
                       "created_at, updated_at) "
                       "VALUES ('v1.2.0', 'release_notes', '# v1.2.0\n\n## Features\n- fast', "
                       "'/src/shop.git@v1.1..v1.2', ?, ?)",
                       {clock_.Now(), clock_.Now()})
                  .ok());
  ASSERT_TRUE(
      db.Query(
            "INSERT INTO audit_log (at, actor, actor_type, procedure, outcome) VALUES (?, 'ann', "
            "'user', "
            "'selfHealing.updateRule', 'ok'), (?, 'ann', 'user', 'incidentCommander.list', 'ok')",
            {clock_.Now(), clock_.Now()})
          .ok());
  ASSERT_TRUE(svc_->CaptureSnapshot(Json{{"name", "prod"}, {"manifests", kManifests}}).ok());
  clock_.Advance(Millis(3600000));
  std::string second = kManifests;
  second.replace(second.find("replicas: 2"), 11, "replicas: 3");
  ASSERT_TRUE(svc_->CaptureSnapshot(Json{{"name", "prod"}, {"manifests", second}}).ok());
  auto log = svc_->Generate(Json{{"docType", "changelog"},
                                 {"from", "2026-11-28T00:00:00Z"},
                                 {"to", "2026-11-30T00:00:00Z"}},
                            "ann");
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  const std::string md = (*log)["content"].get<std::string>();
  EXPECT_NE(md.find("1 release(s), 1 infrastructure change(s), 1 configuration change(s)"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("### shop"), std::string::npos) << md;
  EXPECT_NE(md.find("selfHealing.updateRule by ann"), std::string::npos);
  EXPECT_EQ(md.find("incidentCommander.list"), std::string::npos);
  EXPECT_NE(md.find("attributes.replicas"), std::string::npos);
  EXPECT_FALSE(svc_->Generate(Json{{"docType", "changelog"},
                                   {"from", "2026-11-30T00:00:00Z"},
                                   {"to", "2026-11-28T00:00:00Z"}},
                              "ann")
                   .ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, DocsServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         store::testing::BackendName);

}  // namespace
}  // namespace dai::docs
