// DocsService: the AI Documentation Generator's use cases over the store (generated_docs,
// doc_versions, doc_templates, architecture_snapshots), the pure docs engine, libgvc, and the
// Incident Commander's services (incidents and their timelines to learn runbooks from; runbooks
// to store the drafts in, disabled until a person approves them).
//  - Knowledge base: documents are versioned (every revision a doc_versions row); a person's
//    edit marks the document human-edited, and regeneration then stores its output as an
//    unapplied revision instead of overwriting the edit. Search is BM25 over an in-memory index
//    that catches up with the table (by updated_at) before each search, so several processes
//    on one PostgreSQL all see every committed document.
//  - Snapshots: captured from manifests (text or a server-side path), Prometheus targets,
//    traffic edges and hand-written components; versioned per name; diffed; rendered as
//    Mermaid, DOT, SVG or PNG.
// Thread-safety: safe for concurrent use (the index is guarded by a reader/writer lock).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "engines/docs/search_index.h"
#include "ports/narrator.h"
#include "registry/procedure.h"
#include "store/database.h"

namespace dai::incidents {
class IncidentService;
class RunbookService;
}  // namespace dai::incidents

namespace dai::docs {

//! A live cluster's objects for an architecture snapshot (what the Kubernetes adapter read):
//! each with kind and apiVersion, and one line per kind that could not be listed.
struct LiveObjects {
  std::vector<Json> objects;
  std::vector<std::string> errors;
};
//! Reads the objects of namespace `ns` (empty: every namespace).
using ClusterReader = std::function<Result<LiveObjects>(const std::string& ns)>;

struct DocsServiceOptions {
  const ProcedureRegistry* registry = nullptr;  //!< for the platform's API document
  std::string version;                          //!< the platform's version for that document
  incidents::IncidentService* incidents = nullptr;
  incidents::RunbookService* runbooks = nullptr;
  //! Writes the summary paragraph of generated architecture and change-log documents (an LLM);
  //! null: the documents are the deterministic ones. Must outlive the service.
  Narrator* narrator = nullptr;
  size_t max_doc_bytes = 2u << 20;
  //! Directories whose files importDocs {path}, generate {type: api, target} and captureSnapshot
  //! {manifestPath} may read (the scan_roots setting); empty: those reads are refused.
  std::vector<std::string> read_roots;
  //! Set by the app when Kubernetes is configured: captureSnapshot {cluster: true} reads the
  //! cluster through it. Unset: such a capture is FAILED_PRECONDITION, saying so.
  ClusterReader read_cluster;
};

class DocsService {
 public:
  DocsService(store::Database& db, const Clock& clock, DocsServiceOptions options,
              std::function<void(const std::string&, const std::string&)> publish);
  ~DocsService();

  void RegisterProcedures(ProcedureRegistry& registry);

  // Knowledge base.
  Result<Json> CreateDoc(const Json& in, const std::string& author);
  Result<Json> UpdateDoc(const Json& in, const std::string& author);
  Result<Json> GetDoc(int64_t id);
  Result<Json> ListDocs(const Json& in);
  Result<Json> Search(const Json& in);
  //! Imports every *.md / *.markdown file under `dir` (a server-side path), bounded in count.
  Result<Json> ImportDirectory(const std::string& dir, const std::string& author);
  //! Imports every *.md / *.markdown file of a git repository at `ref` (empty: HEAD): an
  //! https:// or file:// URL is cloned (bare, bounded, into a scratch directory removed after),
  //! an absolute path is read in place. Re-importing updates the same documents.
  Result<Json> ImportGit(const std::string& source, const std::string& ref,
                         const std::string& author);

  // Generation.
  Result<Json> Generate(const Json& in, const std::string& author);
  Result<Json> SaveTemplate(const Json& in);
  Result<Json> ListTemplates();
  //! Re-renders a template-backed document from live data; never overwrites a human edit.
  Result<Json> Regenerate(int64_t doc_id, const std::string& author);
  //! Regenerates every template-backed document whose template's refresh interval elapsed.
  Result<int> RegenerateDue();

  // Runbooks from incidents.
  Result<Json> RunbookCandidates(const Json& in);
  Result<Json> CreateRunbook(const Json& in, const Identity& who);
  Result<Json> SimilarIncidents(int64_t incident_id, int limit);

  // Architecture.
  Result<Json> CaptureSnapshot(const Json& in);
  Result<Json> ListSnapshots(const Json& in);
  Result<Json> GetSnapshot(int64_t id);
  Result<Json> DiffSnapshots(int64_t from_id, int64_t to_id);
  Result<Json> ExportDiagram(const Json& in);

  // API documents.
  Result<Json> DiffApi(const Json& in);

 private:
  void ImportOne(const std::string& rel, const std::string& text, const std::string& source_id,
                 const std::string& fallback_title, const std::string& author, Json& imported,
                 Json& errors);
  Result<Json> InsertDoc(const std::string& title, const std::string& doc_type,
                         const std::string& content, const std::string& format,
                         const std::string& source_type, const std::string& source_id,
                         const Json& tags, const Json& metadata, const std::string& origin,
                         const std::string& author, std::optional<int64_t> template_id);
  Result<Json> DocRow(int64_t id, bool with_content);
  Status SyncIndex();
  Result<Json> LatestSnapshotRow(std::optional<int64_t> id);
  Result<Json> TemplateData(const std::string& source);
  Result<Json> ChangeLog(const Json& in);
  Result<std::vector<Json>> ResolvedIncidents(int limit);

  store::Database& db_;
  const Clock& clock_;
  DocsServiceOptions options_;
  std::function<void(const std::string&, const std::string&)> publish_;
  std::shared_mutex index_mu_;
  SearchIndex index_;
  std::optional<TimePoint> index_marker_;  //!< max(updated_at) when last synced
  int64_t index_count_ = -1;
};

}  // namespace dai::docs
