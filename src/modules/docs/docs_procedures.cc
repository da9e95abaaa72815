// documentationGenerator.*: the specification's four procedures (generate, listDocs,
// createRunbook, exportDiagram) and what the knowledge base and the Docs page need (getDoc,
// searchDocs, createDoc, updateDoc, importDocs, templates, snapshots and diffs, runbook
// candidates, similar incidents, API diffs).
#include "modules/docs/docs_service.h"
#include "registry/schema.h"

namespace dai::docs {
namespace {

namespace s = schema;

const std::initializer_list<const char*> kDocTypes = {"runbook",    "post_mortem",   "architecture",
                                                      "api",        "release_notes", "changelog",
                                                      "onboarding", "custom"};

Json DocSchema(bool full) {
  std::vector<s::Field> f = {
      s::Req("id", s::Int()),
      s::Req("title", s::String()),
      s::Req("docType", s::String()),
      s::Req("format", s::String()),
      s::Req("templateId", s::Nullable(s::Int())),
      s::Req("sourceType", s::Nullable(s::String())),
      s::Req("sourceId", s::Nullable(s::String())),
      s::Req("version", s::Int()),
      s::Req("status", s::Enum({"draft", "published", "archived"})),
      s::Req("tags", s::Array(s::String())),
      s::Req("links",
             s::Array(s::Object({s::Req("type", s::String()), s::Req("id", s::String())}))),
      s::Req("generatedBy", s::String()),
      s::Req("humanEdited", s::Bool()),
      s::Req("createdAt", s::DateTime()),
      s::Req("updatedAt", s::DateTime()),
      s::Opt("snippet", s::String(), "search hit: escaped HTML with <mark>"),
      s::Opt("score", s::Number()),
  };
  if (full) {
    f.push_back(s::Opt("content", s::String(0, 1 << 30)));
    f.push_back(s::Opt("metadata", s::Any()));
    f.push_back(s::Opt("html", s::String(0, 1 << 30), "sanitised HTML of the Markdown"));
    f.push_back(s::Opt(
        "versions",
        s::Array(s::Object({s::Req("version", s::Int()), s::Req("title", s::String()),
                            s::Req("origin", s::String()), s::Req("author", s::String()),
                            s::Req("applied", s::Bool()), s::Req("createdAt", s::DateTime())}))));
  }
  return s::Object(f);
}

Json SnapshotSchema() {
  return s::Object(
      {s::Req("id", s::Int()), s::Req("name", s::String()), s::Req("version", s::Int()),
       s::Req("source", s::String()), s::Req("componentCount", s::Int()),
       s::Req("connectionCount", s::Int()), s::Req("warnings", s::Array(s::String())),
       s::Req("capturedAt", s::DateTime()), s::Opt("components", s::Array(s::Any(), 1 << 20)),
       s::Opt("connections", s::Array(s::Any(), 1 << 20)), s::Opt("diffFromPrevious", s::Any())});
}

Json TagsSchema() { return s::Array(s::String(1, 64), 50); }

}  // namespace

void DocsService::RegisterProcedures(ProcedureRegistry& registry) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  const Json id = s::Int(1);

  registry.Add(MakeProcedure(
      "documentationGenerator.generate", M, Role::kOperator,
      s::Object(
          {s::Req("docType",
                  s::Enum({"architecture", "runbook", "api", "changelog", "postmortem"})),
           s::Opt(
               "target", s::String(1, 4096),
               "architecture: snapshot id; api: an OpenAPI file or repository path on the server "
               "(default: this platform's API); postmortem: incident id"),
           s::Opt("title", s::String(1, 200)), s::Opt("templateId", id),
           s::Opt("incidentIds", s::Array(id, 100)), s::Opt("from", s::DateTime()),
           s::Opt("to", s::DateTime()), s::Opt("service", s::String(1, 200))}),
      DocSchema(true), "Generate a document (stored as a draft with its sources)",
      [this](const Json& in, CallContext& ctx) { return Generate(in, ctx.identity->username); }));
  registry.Add(MakeProcedure(
      "documentationGenerator.listDocs", Q, Role::kViewer,
      s::PageInput({s::Opt("docType", s::String(1, 50)), s::Opt("search", s::String(1, 200)),
                    s::Opt("tag", s::String(1, 64)),
                    s::Opt("status", s::Enum({"draft", "published", "archived"}))}),
      s::Page(DocSchema(false)),
      "List documents (newest first; ranked by BM25 when search is given)",
      [this](const Json& in, CallContext&) { return ListDocs(in); }));
  registry.Add(MakeProcedure(
      "documentationGenerator.createRunbook", M, Role::kOperator,
      s::Object({s::Opt("incidentIds", s::Array(id, 100),
                        "default: the largest cluster of resolved incidents"),
                 s::Opt("title", s::String(1, 200)),
                 s::Opt("minSupport", s::Number(),
                        "fraction of the incidents that must share a step (0-1)")}),
      s::Object({s::Req("runbookId", s::Int()), s::Req("name", s::String()),
                 s::Req("enabled", s::Bool()), s::Req("definition", s::Any()),
                 s::Req("incidentIds", s::Array(s::Int())), s::Req("docId", s::Int()),
                 s::Req("markdown", s::String())}),
      "Draft a runbook from incident history (stored disabled until a person enables it)",
      [this](const Json& in, CallContext& ctx) { return CreateRunbook(in, *ctx.identity); }));
  Procedure diagram = MakeProcedure(
      "documentationGenerator.exportDiagram", Q, Role::kViewer,
      s::Object({s::Opt("snapshotId", id),
                 s::Req("format", s::Enum({"svg", "png", "mermaid", "dot"})),
                 s::Opt("groupBy", s::Enum({"namespace", "team", "none"}))}),
      s::Object({s::Req("snapshotId", s::Int()), s::Req("format", s::String()),
                 s::Req("components", s::Int()), s::Req("content", s::String(0, 1 << 30)),
                 s::Req("encoding", s::Enum({"utf-8", "base64"}))}),
      "Export the architecture diagram of a snapshot (default: the latest)",
      [this](const Json& in, CallContext&) { return ExportDiagram(in); });
  diagram.may_block = true;
  registry.Add(std::move(diagram));

  registry.Add(MakeProcedure(
      "documentationGenerator.getDoc", Q, Role::kViewer, s::Object({s::Req("id", id)}),
      DocSchema(true), "One document with its sanitised HTML and versions",
      [this](const Json& in, CallContext&) { return GetDoc(in["id"].get<int64_t>()); }));
  Procedure search = MakeProcedure(
      "documentationGenerator.searchDocs", Q, Role::kViewer,
      s::Object({s::Req("query", s::String(1, 500)), s::Opt("limit", s::Int(1, 100)),
                 s::Opt("docType", s::String(1, 50)), s::Opt("tags", TagsSchema())}),
      s::Object({s::Req("items", s::Array(s::Object(
                                     {s::Req("id", s::Int()), s::Req("title", s::String()),
                                      s::Req("docType", s::String()), s::Req("score", s::Number()),
                                      s::Req("snippet", s::String())}))),
                 s::Req("indexed", s::Int())}),
      "Full-text search of the knowledge base (BM25, snippets with <mark> highlights; 'term*' for "
      "prefixes)",
      [this](const Json& in, CallContext&) { return Search(in); });
  search.may_block = true;
  registry.Add(std::move(search));
  registry.Add(MakeProcedure(
      "documentationGenerator.createDoc", M, Role::kOperator,
      s::Object({s::Req("content", s::String(1, 2 << 20)), s::Opt("title", s::String(1, 200)),
                 s::Opt("docType", s::Enum(kDocTypes)), s::Opt("tags", TagsSchema())}),
      DocSchema(true), "Write a knowledge-base document (Markdown; [[incident:12]] links)",
      [this](const Json& in, CallContext& ctx) { return CreateDoc(in, ctx.identity->username); }));
  registry.Add(MakeProcedure(
      "documentationGenerator.updateDoc", M, Role::kOperator,
      s::Object({s::Req("id", id), s::Opt("title", s::String(1, 200)),
                 s::Opt("content", s::String(0, 2 << 20)), s::Opt("tags", TagsSchema()),
                 s::Opt("status", s::Enum({"draft", "published", "archived"})),
                 s::Opt("expectedVersion", s::Int(1), "CONFLICT when the document moved on")}),
      DocSchema(true), "Edit a document: a new version, marked as a person's edit",
      [this](const Json& in, CallContext& ctx) { return UpdateDoc(in, ctx.identity->username); }));
  registry.Add(MakeProcedure(
      "documentationGenerator.importDocs", M, Role::kAdmin,
      s::Object({s::Opt("path", s::String(1, 4096), "a directory on the server"),
                 s::Opt("gitUrl", s::String(1, 4096),
                        "a git repository: https:// or file:// URL (cloned), or a server path"),
                 s::Opt("ref", s::String(1, 256), "with gitUrl: branch, tag or commit (HEAD)")}),
      s::Object({s::Req("imported",
                        s::Array(s::Object({s::Req("id", s::Int()), s::Req("path", s::String()),
                                            s::Req("updated", s::Bool())}))),
                 s::Req("errors", s::Array(s::Object({s::Req("path", s::String()),
                                                      s::Req("error", s::String())}))),
                 s::Opt("commit", s::String(), "with gitUrl: the commit imported")}),
      "Import Markdown files from a directory on the server or a git repository",
      [this](const Json& in, CallContext& ctx) -> Result<Json> {
        if (in.contains("path") == in.contains("gitUrl"))
          return Status::InvalidArgument("give one of path or gitUrl");
        if (in.contains("ref") && !in.contains("gitUrl"))
          return Status::InvalidArgument("ref: only with gitUrl");
        if (in.contains("gitUrl"))
          return ImportGit(in["gitUrl"].get<std::string>(), in.value("ref", ""),
                           ctx.identity->username);
        return ImportDirectory(in["path"].get<std::string>(), ctx.identity->username);
      }));
  registry.Add(MakeProcedure(
      "documentationGenerator.saveTemplate", M, Role::kOperator,
      s::Object({s::Req("name", s::String(1, 200)), s::Req("docType", s::Enum(kDocTypes)),
                 s::Req("template", s::String(1, 256 * 1024)),
                 s::Opt("description", s::String(0, 1000)),
                 s::Opt("dataSource", s::Enum({"none", "architecture", "incidents", "api"})),
                 s::Opt("refreshSeconds", s::Int(0, 31 * 86400))}),
      s::Object({s::Req("id", s::Int()), s::Req("variables", s::Array(s::String()))}),
      "Create or update a document template (placeholders checked against live data)",
      [this](const Json& in, CallContext&) { return SaveTemplate(in); }));
  registry.Add(MakeProcedure("documentationGenerator.listTemplates", Q, Role::kViewer,
                             s::Object({}), s::Object({s::Req("items", s::Array(s::Any()))}),
                             "Document templates",
                             [this](const Json&, CallContext&) { return ListTemplates(); }));
  registry.Add(MakeProcedure(
      "documentationGenerator.regenerate", M, Role::kOperator, s::Object({s::Req("id", id)}),
      s::Object({s::Req("id", s::Int()), s::Req("changed", s::Bool()), s::Req("applied", s::Bool()),
                 s::Req("version", s::Nullable(s::Int())), s::Req("reason", s::String())}),
      "Regenerate a template-backed document (a person's edit is never overwritten)",
      [this](const Json& in, CallContext& ctx) {
        return Regenerate(in["id"].get<int64_t>(), ctx.identity->username);
      }));
  registry.Add(MakeProcedure(
      "documentationGenerator.captureSnapshot", M, Role::kOperator,
      s::Object(
          {s::Opt("name", s::String(1, 200)),
           s::Opt("cluster", s::Bool(), "read the live cluster through the Kubernetes integration"),
           s::Opt("namespace", s::String(1, 253), "with cluster: one namespace only"),
           s::Opt("manifests", s::String(1, 16 << 20), "Kubernetes YAML/JSON"),
           s::Opt("manifestPath", s::String(1, 4096), "a file or directory on the server"),
           s::Opt("prometheusTargets", s::Any(), "the answer of GET /api/v1/targets"),
           s::Opt("traffic", s::Array(s::Object({s::Req("source", s::String(1, 300)),
                                                 s::Req("destination", s::String(1, 300)),
                                                 s::Opt("rate", s::Number())}),
                                      100000)),
           s::Opt("components", s::Array(s::Any(), 20000)),
           s::Opt("connections", s::Array(s::Any(), 100000))}),
      SnapshotSchema(),
      "Capture an architecture snapshot (versioned per name; diffed against the previous)",
      [this](const Json& in, CallContext&) { return CaptureSnapshot(in); }));
  registry.Add(MakeProcedure("documentationGenerator.listSnapshots", Q, Role::kViewer,
                             s::PageInput(), s::Page(SnapshotSchema()),
                             "Architecture snapshots, newest first",
                             [this](const Json& in, CallContext&) { return ListSnapshots(in); }));
  registry.Add(MakeProcedure(
      "documentationGenerator.getSnapshot", Q, Role::kViewer, s::Object({s::Req("id", id)}),
      SnapshotSchema(), "One snapshot with its components and connections",
      [this](const Json& in, CallContext&) { return GetSnapshot(in["id"].get<int64_t>()); }));
  registry.Add(MakeProcedure(
      "documentationGenerator.diffSnapshots", Q, Role::kViewer,
      s::Object({s::Req("fromId", id), s::Req("toId", id)}),
      s::Object({s::Req("fromId", s::Int()), s::Req("toId", s::Int()),
                 s::Req("added", s::Array(s::Any())), s::Req("removed", s::Array(s::Any())),
                 s::Req("changed", s::Array(s::Object({s::Req("id", s::String()),
                                                       s::Req("fields", s::Array(s::String()))}))),
                 s::Req("addedConnections", s::Array(s::Any())),
                 s::Req("removedConnections", s::Array(s::Any())),
                 s::Req("markdown", s::String())}),
      "Added, removed and changed components and connections between two snapshots",
      [this](const Json& in, CallContext&) {
        return DiffSnapshots(in["fromId"].get<int64_t>(), in["toId"].get<int64_t>());
      }));
  Procedure candidates = MakeProcedure(
      "documentationGenerator.runbookCandidates", Q, Role::kViewer,
      s::Object({s::Opt("limit", s::Int(1, 2000)), s::Opt("threshold", s::Number())}),
      s::Object({s::Req("items", s::Array(s::Object({s::Req("label", s::String()),
                                                     s::Req("incidentIds", s::Array(s::Int())),
                                                     s::Req("steps", s::Int()),
                                                     s::Req("draftable", s::Bool())}))),
                 s::Req("incidents", s::Int())}),
      "Clusters of resolved incidents by signature, and whether each yields a runbook draft",
      [this](const Json& in, CallContext&) { return RunbookCandidates(in); });
  candidates.may_block = true;
  registry.Add(std::move(candidates));
  Procedure similar = MakeProcedure(
      "documentationGenerator.similarIncidents", Q, Role::kViewer,
      s::Object({s::Req("incidentId", id), s::Opt("limit", s::Int(1, 50))}),
      s::Object({s::Req("similar",
                        s::Array(s::Object({s::Req("id", s::Int()), s::Req("title", s::String()),
                                            s::Req("status", s::String()),
                                            s::Req("rootCause", s::Nullable(s::String())),
                                            s::Req("similarity", s::Number())}))),
                 s::Req("docs", s::Array(s::Object(
                                    {s::Req("id", s::Int()), s::Req("title", s::String()),
                                     s::Req("docType", s::String()), s::Req("score", s::Number()),
                                     s::Req("snippet", s::String())})))}),
      "Similar past incidents and relevant documents for an incident",
      [this](const Json& in, CallContext&) {
        return SimilarIncidents(in["incidentId"].get<int64_t>(),
                                static_cast<int>(in.value("limit", int64_t{5})));
      });
  similar.may_block = true;
  registry.Add(std::move(similar));
  registry.Add(MakeProcedure(
      "documentationGenerator.diffApi", M, Role::kViewer,
      s::Object({s::Req("before", s::String(1, 8 << 20)), s::Req("after", s::String(1, 8 << 20))}),
      s::Object({s::Req("changes", s::Array(s::Object({s::Req("breaking", s::Bool()),
                                                       s::Req("where", s::String()),
                                                       s::Req("what", s::String())}))),
                 s::Req("breaking", s::Int()), s::Req("markdown", s::String())}),
      "Breaking and other changes between two OpenAPI/Swagger documents (JSON or YAML)",
      [this](const Json& in, CallContext&) { return DiffApi(in); }));
}

}  // namespace dai::docs
