#include "modules/docs/docs_service.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "adapters/gitrepo/git_tree.h"
#include "adapters/graphviz/graphviz_renderer.h"
#include "adapters/inventory/allowed_roots.h"
#include "engines/docs/architecture.h"
#include "engines/docs/change_log.h"
#include "engines/docs/doc_template.h"
#include "engines/docs/markdown.h"
#include "engines/docs/openapi_doc.h"
#include "engines/docs/runbook_draft.h"
#include "engines/posture/manifest.h"
#include "modules/incident_commander/incident_service.h"
#include "modules/incident_commander/runbook_service.h"
#include "registry/api_docs.h"
#include "store/repository_util.h"

namespace dai::docs {
namespace {

namespace fs = std::filesystem;
using store::Param;
using store::Params;

std::string DbDocType(const std::string& t) {
  if (t == "postmortem") return "post_mortem";
  return t;
}

std::string Base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::vector<std::string> TagList(const Json& tags) {
  std::vector<std::string> out;
  if (tags.is_array())
    for (const auto& t : tags)
      if (t.is_string()) out.push_back(t.get<std::string>());
  return out;
}

Json LinksJson(const std::string& content) {
  Json links = Json::array();
  for (const auto& r : ExtractReferences(content))
    links.push_back(Json{{"type", r.type}, {"id", r.id}});
  return links;
}

Result<std::string> ReadFileBounded(const fs::path& path, size_t max_bytes) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return Status::InvalidArgument("cannot read " + path.string() + ": " + ec.message());
  if (size > max_bytes)
    return Status::InvalidArgument(path.string() + ": " + std::to_string(size) +
                                   " bytes is over the limit of " + std::to_string(max_bytes));
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::InvalidArgument("cannot read " + path.string());
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Server files are read only inside the configured roots (scan_roots): `path` is resolved
// first (symbolic links followed), so neither "../" nor a link inside a root reaches outside.
Status CheckWithinRoots(const fs::path& path, const std::vector<std::string>& roots,
                        const std::string& field) {
  if (roots.empty()) {
    return Status::FailedPrecondition(field +
                                      ": reading files on the server needs the scan_roots "
                                      "setting (none is configured)");
  }
  DAI_ASSIGN_OR_RETURN(std::string canonical, inventory::CanonicalPath(path.string()));
  if (!inventory::WithinRoots(canonical, roots)) {
    return Status::InvalidArgument(field + ": " + path.string() +
                                   " is outside the allowed scan roots");
  }
  return Status::Ok();
}

Result<std::string> ReadFileWithinRoots(const fs::path& path, const std::vector<std::string>& roots,
                                        const std::string& field, size_t max_bytes) {
  DAI_RETURN_IF_ERROR(CheckWithinRoots(path, roots, field));
  return ReadFileBounded(path, max_bytes);
}

Json SnapshotJson(const store::Row& r, bool full) {
  Json comps = ParseJson(r.GetString("components")).value_or(Json::array());
  Json conns = ParseJson(r.GetString("connections")).value_or(Json::array());
  Json meta = ParseJson(r.GetString("metadata")).value_or(Json::object());
  Json j{{"id", r.GetInt("id")},
         {"name", r.GetString("name")},
         {"version", r.GetInt("version")},
         {"source", r.GetString("source")},
         {"componentCount", static_cast<int64_t>(comps.size())},
         {"connectionCount", static_cast<int64_t>(conns.size())},
         {"warnings", meta.value("warnings", Json::array())},
         {"capturedAt", FormatIso8601(r.GetTime("captured_at"))}};
  if (full) {
    j["components"] = comps;
    j["connections"] = conns;
  }
  return j;
}

constexpr const char* kSnapshotColumns =
    "id, name, version, source, components, connections, metadata, captured_at";

}  // namespace

DocsService::DocsService(store::Database& db, const Clock& clock, DocsServiceOptions options,
                         std::function<void(const std::string&, const std::string&)> publish)
    : db_(db), clock_(clock), options_(std::move(options)), publish_(std::move(publish)) {}

DocsService::~DocsService() = default;

// ---------------------------------------------------------------- knowledge base

Result<Json> DocsService::InsertDoc(const std::string& title, const std::string& doc_type,
                                    const std::string& content, const std::string& format,
                                    const std::string& source_type, const std::string& source_id,
                                    const Json& tags, const Json& metadata,
                                    const std::string& origin, const std::string& author,
                                    std::optional<int64_t> template_id) {
  if (content.size() > options_.max_doc_bytes)
    return Status::InvalidArgument("content: " + std::to_string(content.size()) +
                                   " bytes is over the limit of " +
                                   std::to_string(options_.max_doc_bytes));
  const TimePoint now = clock_.Now();
  int64_t id = 0;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto ins,
        conn.Query(
            "INSERT INTO generated_docs (title, doc_type, content, format, template_id, "
            "source_type, "
            "source_id, version, status, tags, metadata, generated_by, human_edited, links, "
            "created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            {title, doc_type, content, format, store::internal::OptParam(template_id),
             source_type.empty() ? Param(nullptr) : Param(source_type),
             source_id.empty() ? Param(nullptr) : Param(source_id),
             origin == "human" || origin == "imported" ? "published" : "draft", DumpJson(tags),
             DumpJson(metadata), author, origin == "human", DumpJson(LinksJson(content)), now,
             now}));
    id = ins.rows.at(0).GetInt(size_t{0});
    return conn
        .Query(
            "INSERT INTO doc_versions (doc_id, version, title, content, origin, author, applied, "
            "created_at) "
            "VALUES (?, 1, ?, ?, ?, ?, ?, ?)",
            {id, title, content, origin, author, true, now})
        .status();
  }));
  if (publish_) publish_("docs.updated", DumpJson({{"id", id}}));
  return DocRow(id, true);
}

Result<Json> DocsService::DocRow(int64_t id, bool with_content) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT id, title, doc_type, content, format, template_id, source_type, source_id, "
                "version, "
                "status, tags, metadata, generated_by, human_edited, links, created_at, updated_at "
                "FROM generated_docs WHERE id = ?",
                {id}));
  if (rows.rows.empty())
    return Status::NotFound("document " + std::to_string(id) + " does not exist");
  const auto& r = rows.rows[0];
  Json j{{"id", r.GetInt("id")},
         {"title", r.GetString("title")},
         {"docType", r.GetString("doc_type")},
         {"format", r.GetString("format")},
         {"templateId", r.IsNull("template_id") ? Json(nullptr) : Json(r.GetInt("template_id"))},
         {"sourceType", r.IsNull("source_type") ? Json(nullptr) : Json(r.GetString("source_type"))},
         {"sourceId", r.IsNull("source_id") ? Json(nullptr) : Json(r.GetString("source_id"))},
         {"version", r.GetInt("version")},
         {"status", r.GetString("status")},
         {"tags", ParseJson(r.GetString("tags")).value_or(Json::array())},
         {"links", ParseJson(r.GetString("links")).value_or(Json::array())},
         {"generatedBy", r.GetString("generated_by")},
         {"humanEdited", r.GetBool("human_edited")},
         {"createdAt", FormatIso8601(r.GetTime("created_at"))},
         {"updatedAt", FormatIso8601(r.GetTime("updated_at"))}};
  if (with_content) {
    j["content"] = r.GetString("content");
    j["metadata"] = ParseJson(r.GetString("metadata")).value_or(Json::object());
  }
  return j;
}

Result<Json> DocsService::CreateDoc(const Json& in, const std::string& author) {
  const std::string content = in["content"].get<std::string>();
  std::string title = in.value("title", std::string());
  if (title.empty()) title = FirstHeading(content);
  if (title.empty())
    return Status::InvalidArgument("title: required when the content has no # heading");
  return InsertDoc(title, in.value("docType", std::string("custom")), content, "markdown", "", "",
                   in.value("tags", Json::array()), Json::object(), "human", author, std::nullopt);
}

Result<Json> DocsService::UpdateDoc(const Json& in, const std::string& author) {
  const int64_t id = in["id"].get<int64_t>();
  if (in.contains("content") && in["content"].get<std::string>().size() > options_.max_doc_bytes)
    return Status::InvalidArgument("content: over the limit of " +
                                   std::to_string(options_.max_doc_bytes) + " bytes");
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto cur, conn.Query("SELECT title, content, version, tags, status FROM generated_docs "
                             "WHERE id = ?",
                             {id}));
    if (cur.rows.empty())
      return Status::NotFound("document " + std::to_string(id) + " does not exist");
    const auto& r = cur.rows[0];
    if (in.contains("expectedVersion") &&
        in["expectedVersion"].get<int64_t>() != r.GetInt("version"))
      return Status::Conflict("document " + std::to_string(id) + " is at version " +
                              std::to_string(r.GetInt("version")) + ", not " +
                              std::to_string(in["expectedVersion"].get<int64_t>()) +
                              ": reload and edit again");
    std::string title = in.value("title", r.GetString("title"));
    std::string content = in.value("content", r.GetString("content"));
    std::string tags = in.contains("tags") ? DumpJson(in["tags"]) : r.GetString("tags");
    std::string status = in.value("status", r.GetString("status"));
    const bool text_changed = title != r.GetString("title") || content != r.GetString("content");
    int64_t version = r.GetInt("version") + (text_changed ? 1 : 0);
    if (text_changed) {
      DAI_ASSIGN_OR_RETURN(
          auto mx, conn.Query("SELECT max(version) FROM doc_versions WHERE doc_id = ?", {id}));
      version = std::max(version, mx.rows.at(0).GetInt(size_t{0}) + 1);
      DAI_RETURN_IF_ERROR(conn.Query("INSERT INTO doc_versions (doc_id, version, title, content, "
                                     "origin, author, applied, "
                                     "created_at) VALUES (?, ?, ?, ?, 'human', ?, ?, ?)",
                                     {id, version, title, content, author, true, now})
                              .status());
    }
    return conn
        .Query(
            "UPDATE generated_docs SET title = ?, content = ?, tags = ?, status = ?, version = ?, "
            "links = ?, "
            "human_edited = CASE WHEN ? THEN ? ELSE human_edited END, updated_at = ? WHERE id = ?",
            {title, content, tags, status, version, DumpJson(LinksJson(content)), text_changed,
             true, now, id})
        .status();
  }));
  if (publish_) publish_("docs.updated", DumpJson({{"id", id}}));
  return GetDoc(id);
}

Result<Json> DocsService::GetDoc(int64_t id) {
  DAI_ASSIGN_OR_RETURN(Json doc, DocRow(id, true));
  const std::string content = doc["content"].get<std::string>();
  if (doc["format"] == "markdown") {
    DAI_ASSIGN_OR_RETURN(std::string html, RenderMarkdown(content, 64u << 20));
    doc["html"] = html;
  } else {
    doc["html"] = "<pre>" + HtmlEscape(content) + "</pre>";
  }
  DAI_ASSIGN_OR_RETURN(
      auto versions,
      db_.Query("SELECT version, title, origin, author, applied, created_at FROM doc_versions "
                "WHERE doc_id = ? ORDER BY version DESC LIMIT 50",
                {id}));
  Json list = Json::array();
  for (const auto& v : versions.rows)
    list.push_back(Json{{"version", v.GetInt("version")},
                        {"title", v.GetString("title")},
                        {"origin", v.GetString("origin")},
                        {"author", v.GetString("author")},
                        {"applied", v.GetBool("applied")},
                        {"createdAt", FormatIso8601(v.GetTime("created_at"))}});
  doc["versions"] = list;
  return doc;
}

Result<Json> DocsService::ListDocs(const Json& in) {
  if (in.contains("search") && !in["search"].get<std::string>().empty()) {
    Json q{{"query", in["search"]}, {"limit", in.value("limit", int64_t{50})}};
    if (in.contains("docType")) q["docType"] = DbDocType(in["docType"].get<std::string>());
    if (in.contains("tag")) q["tags"] = Json::array({in["tag"]});
    DAI_ASSIGN_OR_RETURN(Json hits, Search(q));
    Json items = Json::array();
    for (const auto& h : hits["items"]) {
      auto row = DocRow(h["id"].get<int64_t>(), false);
      if (!row.ok()) continue;
      (*row)["snippet"] = h["snippet"];
      (*row)["score"] = h["score"];
      items.push_back(*row);
    }
    return Json{{"items", items},
                {"total", static_cast<int64_t>(items.size())},
                {"limit", in.value("limit", int64_t{50})},
                {"offset", 0}};
  }
  std::string where = " WHERE 1 = 1";
  Params params;
  if (in.contains("docType")) {
    where += " AND doc_type = ?";
    params.push_back(DbDocType(in["docType"].get<std::string>()));
  }
  if (in.contains("status")) {
    where += " AND status = ?";
    params.push_back(in["status"].get<std::string>());
  } else {
    where += " AND status <> 'archived'";
  }
  if (in.contains("tag")) {
    // Tags are a JSON array of strings; match the quoted element (values are bound, never spliced).
    where += " AND tags LIKE ?";
    params.push_back("%" + DumpJson(in["tag"]) + "%");
  }
  const int64_t limit = in.value("limit", int64_t{50}), offset = in.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count,
                       db_.Query("SELECT count(*) FROM generated_docs" + where, params));
  Params page = params;
  page.push_back(limit);
  page.push_back(offset);
  DAI_ASSIGN_OR_RETURN(auto rows,
                       db_.Query("SELECT id FROM generated_docs" + where +
                                     " ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
                                 page));
  Json items = Json::array();
  for (const auto& r : rows.rows) {
    DAI_ASSIGN_OR_RETURN(Json d, DocRow(r.GetInt(size_t{0}), false));
    items.push_back(std::move(d));
  }
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(size_t{0})},
              {"limit", limit},
              {"offset", offset}};
}

Status DocsService::SyncIndex() {
  DAI_ASSIGN_OR_RETURN(auto head,
                       db_.Query("SELECT count(*), max(updated_at) FROM generated_docs"));
  const int64_t count = head.rows.at(0).GetInt(size_t{0});
  const std::optional<TimePoint> newest = head.rows.at(0).GetOptTime(size_t{1});
  {
    std::shared_lock lock(index_mu_);
    if (count == index_count_ && newest == index_marker_) return Status::Ok();
  }
  std::unique_lock lock(index_mu_);
  if (count == index_count_ && newest == index_marker_) return Status::Ok();
  const bool full = index_count_ < 0 || count < index_count_ || !index_marker_;
  std::string sql = "SELECT id, title, doc_type, content, tags, status FROM generated_docs";
  Params params;
  if (full) {
    index_ = SearchIndex();
  } else {
    // From the last marker, inclusive: rows sharing that timestamp are indexed again.
    sql += " WHERE updated_at >= ?";
    params.push_back(*index_marker_);
  }
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  for (const auto& r : rows.rows) {
    const int64_t id = r.GetInt("id");
    if (r.GetString("status") == "archived") {
      index_.Remove(id);
    } else {
      index_.Upsert({id, r.GetString("title"), r.GetString("content"), r.GetString("doc_type"),
                     TagList(ParseJson(r.GetString("tags")).value_or(Json::array()))});
    }
  }
  index_count_ = count;
  index_marker_ = newest;
  return Status::Ok();
}

Result<Json> DocsService::Search(const Json& in) {
  DAI_RETURN_IF_ERROR(SyncIndex());
  SearchOptions o;
  o.limit = static_cast<size_t>(in.value("limit", int64_t{20}));
  if (in.contains("docType")) o.doc_type = DbDocType(in["docType"].get<std::string>());
  o.tags = TagList(in.value("tags", Json::array()));
  std::vector<SearchHit> hits;
  size_t indexed = 0;
  {
    std::shared_lock lock(index_mu_);
    hits = index_.Search(in["query"].get<std::string>(), o);
    indexed = index_.size();
  }
  Json items = Json::array();
  for (const auto& h : hits)
    items.push_back(Json{{"id", h.id},
                         {"title", h.title},
                         {"docType", h.doc_type},
                         {"score", h.score},
                         {"snippet", h.snippet}});
  return Json{{"items", items}, {"indexed", static_cast<int64_t>(indexed)}};
}

void DocsService::ImportOne(const std::string& rel, const std::string& text,
                            const std::string& source_id, const std::string& fallback_title,
                            const std::string& author, Json& imported, Json& errors) {
  if (!ParseJson(DumpJson(Json(text))).ok()) {
    errors.push_back(Json{{"path", rel}, {"error", "not valid UTF-8"}});
    return;
  }
  std::string title = FirstHeading(text);
  if (title.empty()) title = fallback_title;
  // Re-importing the same file updates its document instead of adding a copy.
  auto existing = db_.Query(
      "SELECT id FROM generated_docs WHERE source_type = 'file' AND source_id = ?", {source_id});
  if (existing.ok() && !existing->rows.empty()) {
    const int64_t id = existing->rows[0].GetInt(size_t{0});
    auto up = UpdateDoc(Json{{"id", id}, {"title", title}, {"content", text}}, author);
    if (up.ok())
      imported.push_back(Json{{"id", id}, {"path", rel}, {"updated", true}});
    else
      errors.push_back(Json{{"path", rel}, {"error", up.status().message()}});
    return;
  }
  auto doc =
      InsertDoc(title, "custom", text, "markdown", "file", source_id, Json::array({"imported"}),
                Json{{"path", rel}}, "imported", author, std::nullopt);
  if (doc.ok())
    imported.push_back(Json{{"id", (*doc)["id"]}, {"path", rel}, {"updated", false}});
  else
    errors.push_back(Json{{"path", rel}, {"error", doc.status().message()}});
}

Result<Json> DocsService::ImportDirectory(const std::string& dir, const std::string& author) {
  DAI_RETURN_IF_ERROR(CheckWithinRoots(dir, options_.read_roots, "path"));
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Status::InvalidArgument("path: " + dir + " is not a directory on the server");
  Json imported = Json::array(), errors = Json::array();
  size_t seen = 0;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory() && it->path().filename().string().rfind('.', 0) == 0) {
      it.disable_recursion_pending();  // .git and other hidden trees
      continue;
    }
    if (!it->is_regular_file()) continue;
    const std::string ext = it->path().extension().string();
    if (ext != ".md" && ext != ".markdown") continue;
    if (++seen > 5000) {
      errors.push_back(Json{{"path", it->path().string()},
                            {"error", "more than 5000 files: the rest were not imported"}});
      break;
    }
    auto text =
        ReadFileWithinRoots(it->path(), options_.read_roots, "path", options_.max_doc_bytes);
    if (!text.ok()) {
      errors.push_back(Json{{"path", it->path().string()}, {"error", text.status().message()}});
      continue;
    }
    ImportOne(fs::relative(it->path(), dir, ec).string(), *text, fs::absolute(it->path()).string(),
              it->path().stem().string(), author, imported, errors);
  }
  if (ec) errors.push_back(Json{{"path", dir}, {"error", ec.message()}});
  return Json{{"imported", imported}, {"errors", errors}};
}

Result<Json> DocsService::ImportGit(const std::string& source, const std::string& ref,
                                    const std::string& author) {
  gitrepo::TreeReadOptions o;
  o.ref = ref.empty() ? "HEAD" : ref;
  o.extensions = {".md", ".markdown"};
  o.max_file_bytes = options_.max_doc_bytes;
  std::string scratch;
  if (gitrepo::IsCloneUrl(source)) {
    std::string tmpl = (fs::temp_directory_path() / "dai-docs-clone-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      return Status::Internal("cannot create a scratch directory for the clone");
    scratch = tmpl;
    o.scratch_dir = scratch + "/repo";
  }
  auto files = gitrepo::ReadTreeFiles(source, o);
  if (!scratch.empty()) {
    std::error_code ec;
    fs::remove_all(scratch, ec);
  }
  if (!files.ok()) return files.status().WithContext("gitUrl");
  Json imported = Json::array(), errors = Json::array();
  for (const auto& [path, why] : files->skipped)
    errors.push_back(Json{{"path", path}, {"error", why}});
  for (const auto& f : files->files) {
    // One document per repository file, whichever commit it was imported from.
    ImportOne(f.path, f.content, "git:" + source + "#" + f.path, fs::path(f.path).stem().string(),
              author, imported, errors);
  }
  return Json{{"imported", imported}, {"errors", errors}, {"commit", files->commit}};
}

// ---------------------------------------------------------------- generation

Result<Json> DocsService::LatestSnapshotRow(std::optional<int64_t> id) {
  auto rows =
      id ? db_.Query(std::string("SELECT ") + kSnapshotColumns +
                         " FROM architecture_snapshots WHERE id = ?",
                     {*id})
         : db_.Query(std::string("SELECT ") + kSnapshotColumns +
                     " FROM architecture_snapshots ORDER BY captured_at DESC, id DESC LIMIT 1");
  if (!rows.ok()) return rows.status();
  if (rows->rows.empty())
    return id ? Status::NotFound("snapshot " + std::to_string(*id) + " does not exist")
              : Status::FailedPrecondition(
                    "no architecture snapshot yet: capture one first (captureSnapshot)");
  return SnapshotJson(rows->rows[0], true);
}

Result<std::vector<Json>> DocsService::ResolvedIncidents(int limit) {
  if (options_.incidents == nullptr)
    return Status::FailedPrecondition("incidents are not available");
  DAI_ASSIGN_OR_RETURN(Json list,
                       options_.incidents->List(Json{{"status", "resolved"}, {"limit", limit}}));
  std::vector<Json> out;
  for (const auto& i : list["items"]) {
    DAI_ASSIGN_OR_RETURN(Json full, options_.incidents->Get(i["id"].get<int64_t>()));
    out.push_back(std::move(full));
  }
  return out;
}

namespace {

IncidentRecord ToRecord(const Json& inc) {
  IncidentRecord r;
  r.id = inc["id"].get<int64_t>();
  r.title = inc.value("title", "");
  r.severity = inc.value("severity", "");
  r.service = inc["service"].is_string() ? inc["service"].get<std::string>() : "";
  r.root_cause = inc["rootCause"].is_string() ? inc["rootCause"].get<std::string>() : "";
  r.resolved = inc.value("status", "") == "resolved";
  if (inc["labels"].is_object())
    for (auto it = inc["labels"].begin(); it != inc["labels"].end(); ++it)
      if (it->is_string()) r.labels[it.key()] = it->get<std::string>();
  std::set<std::string> names;
  if (inc.contains("alerts"))
    for (const auto& a : inc["alerts"])
      if (a.contains("alertname") && a["alertname"].is_string() &&
          !a["alertname"].get<std::string>().empty())
        names.insert(a["alertname"].get<std::string>());
  r.alertnames.assign(names.begin(), names.end());
  if (inc.contains("timeline"))
    for (const auto& t : inc["timeline"])
      r.timeline.push_back({t.value("type", ""), t.value("description", ""),
                            t.value("status", "completed"), t.value("details", Json::object()), 0});
  return r;
}

}  // namespace

Result<Json> DocsService::TemplateData(const std::string& source) {
  Json data{{"generatedAt", FormatIso8601(clock_.Now())}};
  if (source == "architecture") {
    DAI_ASSIGN_OR_RETURN(Json snap, LatestSnapshotRow(std::nullopt));
    data["snapshot"] = snap;
  } else if (source == "incidents") {
    if (options_.incidents == nullptr)
      return Status::FailedPrecondition("incidents are not available");
    DAI_ASSIGN_OR_RETURN(Json open, options_.incidents->List(Json{{"limit", 100}}));
    data["incidents"] = open["items"];
    data["incidentCount"] = open["total"];
  } else if (source == "api") {
    if (options_.registry == nullptr)
      return Status::FailedPrecondition("the procedure registry is not available");
    Json procs = Json::array();
    for (const auto& [path, p] : options_.registry->All())
      procs.push_back(Json{{"path", path},
                           {"summary", p.summary},
                           {"kind", p.kind == ProcedureKind::kQuery ? "query" : "mutation"},
                           {"implemented", p.implemented}});
    data["procedures"] = procs;
  }
  return data;
}

Result<Json> DocsService::ChangeLog(const Json& in) {
  const TimePoint now = clock_.Now();
  TimePoint to = in.contains("to") ? *ParseIso8601(in["to"].get<std::string>()) : now;
  TimePoint from = in.contains("from") ? *ParseIso8601(in["from"].get<std::string>())
                                       : to - std::chrono::hours(24 * 7);
  if (!(from < to)) return Status::InvalidArgument("from: must be before to");
  const std::string service = in.value("service", std::string());
  std::vector<ChangeEntry> entries;
  // Release notes (the CI/CD module stores them as documents).
  DAI_ASSIGN_OR_RETURN(
      auto rel, db_.Query("SELECT id, title, content, source_id, created_at FROM generated_docs "
                          "WHERE doc_type = 'release_notes' AND created_at >= ? AND created_at < ? "
                          "ORDER BY created_at LIMIT 500",
                          {from, to}));
  for (const auto& r : rel.rows) {
    std::string src = r.GetString("source_id");
    std::string svc = src.substr(0, src.find('@'));
    svc = fs::path(svc).filename().string();
    if (svc.size() > 4 && svc.substr(svc.size() - 4) == ".git") svc.resize(svc.size() - 4);
    std::string detail = r.GetString("content");
    if (detail.size() > 4000) detail = detail.substr(0, 4000) + "\n…";
    // Headings inside the notes become bold lines so they stay under their entry.
    std::string flat;
    std::istringstream lines(detail);
    std::string line;
    while (std::getline(lines, line)) {
      size_t h = 0;
      while (h < line.size() && line[h] == '#') ++h;
      flat += (h > 0 && h < line.size() && line[h] == ' ') ? "**" + line.substr(h + 1) + "**\n"
                                                           : line + "\n";
    }
    entries.push_back({FormatIso8601(r.GetTime("created_at")), "release", svc, r.GetString("title"),
                       flat, "doc:" + std::to_string(r.GetInt("id"))});
  }
  // Infrastructure: consecutive snapshots of the same name captured in the period.
  DAI_ASSIGN_OR_RETURN(auto snaps,
                       db_.Query(std::string("SELECT ") + kSnapshotColumns +
                                     " FROM architecture_snapshots WHERE captured_at < ? "
                                     "ORDER BY name, version",
                                 {to}));
  std::map<std::string, Json> prev;
  for (const auto& r : snaps.rows) {
    Json cur = SnapshotJson(r, true);
    const std::string name = cur["name"].get<std::string>();
    auto p = prev.find(name);
    if (p != prev.end() && r.GetTime("captured_at") >= from) {
      auto a = SnapshotFromJson(p->second["components"], p->second["connections"]);
      auto b = SnapshotFromJson(cur["components"], cur["connections"]);
      if (a.ok() && b.ok()) {
        auto d = docs::DiffSnapshots(*a, *b);
        const size_t n = d.added.size() + d.removed.size() + d.changed.size() +
                         d.added_edges.size() + d.removed_edges.size();
        if (n > 0)
          entries.push_back(
              {FormatIso8601(r.GetTime("captured_at")), "infrastructure", "",
               "Snapshot " + name + " v" + std::to_string(cur["version"].get<int64_t>()) + ": " +
                   std::to_string(d.added.size()) + " added, " + std::to_string(d.removed.size()) +
                   " removed, " + std::to_string(d.changed.size()) + " changed",
               d.ToMarkdown(),
               "snapshot:" + std::to_string(p->second["id"].get<int64_t>()) + ".." +
                   std::to_string(cur["id"].get<int64_t>())});
      }
    }
    prev[name] = std::move(cur);
  }
  // Configuration and rule changes from the audit log (successful mutations that change setup).
  static const std::regex kConfigProcedure(
      "^(selfHealing|incidentCommander|securityGuardian|costOptimizer|cicdOrchestrator|"
      "documentationGenerator)\\."
      "(create|update|delete|set|save|toggle|enable|disable)[A-Za-z]*$",
      std::regex::icase);
  DAI_ASSIGN_OR_RETURN(
      auto audit,
      db_.Query("SELECT id, at, actor, procedure FROM audit_log WHERE at >= ? AND at < ? "
                "AND outcome = 'ok' ORDER BY id LIMIT 5000",
                {from, to}));
  for (const auto& r : audit.rows) {
    const std::string proc = r.GetString("procedure");
    if (!std::regex_match(proc, kConfigProcedure)) continue;
    entries.push_back({FormatIso8601(r.GetTime("at")), "configuration", "",
                       proc + " by " + r.GetString("actor"), "",
                       "audit:" + std::to_string(r.GetInt("id"))});
  }
  std::string md = BuildChangeLog(entries, FormatIso8601(from), FormatIso8601(to), service);
  return Json{{"markdown", md}, {"entries", static_cast<int64_t>(entries.size())}};
}

Result<Json> DocsService::Generate(const Json& in, const std::string& author) {
  const std::string type = in["docType"].get<std::string>();
  const std::string target = in.value("target", std::string());
  std::string title = in.value("title", std::string());
  if (in.contains("templateId")) {
    const int64_t tid = in["templateId"].get<int64_t>();
    DAI_ASSIGN_OR_RETURN(
        auto t,
        db_.Query("SELECT name, doc_type, template, data_source FROM doc_templates WHERE id = ?",
                  {tid}));
    if (t.rows.empty())
      return Status::NotFound("template " + std::to_string(tid) + " does not exist");
    DAI_ASSIGN_OR_RETURN(Json data, TemplateData(t.rows[0].GetString("data_source")));
    DAI_ASSIGN_OR_RETURN(std::string content,
                         RenderTemplate(t.rows[0].GetString("template"), data));
    if (title.empty()) title = FirstHeading(content);
    if (title.empty()) title = t.rows[0].GetString("name");
    return InsertDoc(title, t.rows[0].GetString("doc_type"), content, "markdown", "template",
                     std::to_string(tid), Json::array(),
                     Json{{"dataSource", t.rows[0].GetString("data_source")}}, "generated", author,
                     tid);
  }
  if (type == "architecture") {
    std::optional<int64_t> sid;
    if (!target.empty()) {
      try {
        sid = std::stoll(target);
      } catch (...) {
        return Status::InvalidArgument("target: a snapshot id for docType architecture");
      }
    }
    DAI_ASSIGN_OR_RETURN(Json snap, LatestSnapshotRow(sid));
    DAI_ASSIGN_OR_RETURN(Snapshot s, SnapshotFromJson(snap["components"], snap["connections"]));
    std::map<std::string, int> kinds;
    for (const auto& c : s.components) kinds[c.kind]++;
    std::string md =
        "# Architecture: " + snap["name"].get<std::string>() + " (v" +
        std::to_string(snap["version"].get<int64_t>()) + ")\n\n" + "Captured " +
        snap["capturedAt"].get<std::string>() + " from " + snap["source"].get<std::string>() +
        ": " + std::to_string(s.components.size()) + " components, " +
        std::to_string(s.edges.size()) + " connections.\n\n```mermaid\n" + ToMermaid(s) +
        "```\n\n## Components\n\n| component | kind | namespace | team | ports "
        "|\n|---|---|---|---|---|\n";
    for (const auto& c : s.components) {
      std::string ports;
      for (const auto& p : c.ports) ports += (ports.empty() ? "" : ", ") + p;
      md += "| `" + c.id + "` | " + c.kind + " | " + c.namespace_ + " | " + c.team + " | " + ports +
            " |\n";
    }
    md += "\n## Connections\n\n";
    for (const auto& e : s.edges) md += "- `" + e.from + "` → `" + e.to + "` (" + e.kind + ")\n";
    if (!snap["warnings"].empty()) {
      md += "\n## Warnings\n\n";
      for (const auto& w : snap["warnings"]) md += "- " + w.get<std::string>() + "\n";
    }
    NarrationRequest request;
    request.purpose = "docs.architecture";
    request.instructions =
        "Write the summary paragraph of this architecture document (3 to 6 sentences): what the "
        "system consists of, how its parts connect (entry points, data stores, queues), which "
        "team owns what, and any warning. Use only the components and connections given.";
    Json components = Json::array(), edges = Json::array();
    for (const auto& c : s.components) {
      if (components.size() >= 300) break;
      components.push_back(
          {{"id", c.id}, {"kind", c.kind}, {"namespace", c.namespace_}, {"team", c.team}});
    }
    for (const auto& e : s.edges) {
      if (edges.size() >= 500) break;
      edges.push_back({{"from", e.from}, {"to", e.to}, {"kind", e.kind}});
    }
    request.facts = {{"snapshot", snap["name"]},
                     {"components", components},
                     {"connections", edges},
                     {"warnings", snap["warnings"]}};
    const Narration narration = Narrate(options_.narrator, request);
    if (narration.written_by_llm)
      md = WithLlmSummary(md, narration.text, narration.model, "the snapshot below");
    return InsertDoc(title.empty() ? "Architecture: " + snap["name"].get<std::string>() : title,
                     "architecture", md, "markdown", "snapshot",
                     std::to_string(snap["id"].get<int64_t>()), Json::array({"architecture"}),
                     Json{{"snapshotId", snap["id"]}, {"narrative", narration.ToJson()}},
                     "generated", author, std::nullopt);
  }
  if (type == "api") {
    Json spec;
    std::string source_type = "registry", source_id = "devops-ai";
    if (target.empty()) {
      if (options_.registry == nullptr)
        return Status::FailedPrecondition("the procedure registry is not available");
      spec = BuildOpenApi(*options_.registry, options_.version);
    } else {
      // A server-side file, or a repository directory searched for OpenAPI/Swagger files.
      fs::path p(target);
      DAI_RETURN_IF_ERROR(CheckWithinRoots(p, options_.read_roots, "target"));
      std::error_code ec;
      if (fs::is_directory(p, ec)) {
        fs::path found;
        for (auto it = fs::recursive_directory_iterator(
                 p, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
          if (it->is_directory() && it->path().filename().string().rfind('.', 0) == 0) {
            it.disable_recursion_pending();
            continue;
          }
          std::string name = it->path().filename().string();
          std::transform(name.begin(), name.end(), name.begin(), ::tolower);
          if (it->is_regular_file() &&
              (name.rfind("openapi", 0) == 0 || name.rfind("swagger", 0) == 0) &&
              (name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml"))) {
            found = it->path();
            break;
          }
        }
        if (found.empty())
          return Status::InvalidArgument("target: no openapi.* or swagger.* file under " + target);
        p = found;
      }
      DAI_ASSIGN_OR_RETURN(std::string text,
                           ReadFileWithinRoots(p, options_.read_roots, "target", 8u << 20));
      DAI_ASSIGN_OR_RETURN(spec, ParseOpenApi(text));
      source_type = "file";
      source_id = p.string();
    }
    std::string md = OpenApiToMarkdown(spec);
    std::string t = title.empty() ? FirstHeading(md) + " API reference" : title;
    return InsertDoc(t, "api", md, "markdown", source_type, source_id, Json::array({"api"}),
                     Json::object(), "generated", author, std::nullopt);
  }
  if (type == "changelog") {
    DAI_ASSIGN_OR_RETURN(Json log, ChangeLog(in));
    std::string md = log["markdown"].get<std::string>();
    const std::string heading = FirstHeading(md);
    NarrationRequest request;
    request.purpose = "docs.changelog";
    request.instructions =
        "Write the summary paragraph of this change log (2 to 5 sentences): the most important "
        "releases, infrastructure and configuration changes of the period. Use only the change "
        "log given.";
    request.facts = {{"changeLog", md.substr(0, 30000)}, {"truncated", md.size() > 30000}};
    const Narration narration = Narrate(options_.narrator, request);
    if (narration.written_by_llm)
      md = WithLlmSummary(md, narration.text, narration.model, "the change log below");
    return InsertDoc(title.empty() ? heading : title, "changelog", md, "markdown", "changelog",
                     in.value("service", std::string()), Json::array({"changelog"}),
                     Json{{"narrative", narration.ToJson()}}, "generated", author, std::nullopt);
  }
  if (type == "runbook") {
    Json req = Json::object();
    if (in.contains("incidentIds")) req["incidentIds"] = in["incidentIds"];
    if (!title.empty()) req["title"] = title;
    Identity who;
    who.username = author;
    DAI_ASSIGN_OR_RETURN(Json made, CreateRunbook(req, who));
    return DocRow(made["docId"].get<int64_t>(), true);
  }
  if (type == "postmortem") {
    if (options_.incidents == nullptr)
      return Status::FailedPrecondition("incidents are not available");
    int64_t iid = 0;
    try {
      iid = std::stoll(target);
    } catch (...) {
      return Status::InvalidArgument("target: an incident id for docType postmortem");
    }
    Identity who;
    who.username = author;
    DAI_ASSIGN_OR_RETURN(Json pm, options_.incidents->GeneratePostMortem(iid, who));
    std::string content = pm.value("content", std::string());
    if (content.empty() && pm.contains("current") && pm["current"].is_object())
      content = pm["current"].value("content", std::string());
    if (content.empty()) return Status::Internal("the post-mortem came back empty");
    return InsertDoc(title.empty() ? "Post-mortem: incident " + target : title, "post_mortem",
                     content, "markdown", "incident", target, Json::array({"postmortem"}),
                     Json::object(), "generated", author, std::nullopt);
  }
  return Status::InvalidArgument("docType: unknown \"" + type + "\"");
}

Result<Json> DocsService::SaveTemplate(const Json& in) {
  const std::string tmpl = in["template"].get<std::string>();
  DAI_ASSIGN_OR_RETURN(auto vars, TemplateVariables(tmpl));
  const std::string source = in.value("dataSource", std::string("none"));
  // Render once against the live data now, so a template naming unknown fields is refused here.
  auto data = TemplateData(source);
  if (data.ok()) DAI_RETURN_IF_ERROR(RenderTemplate(tmpl, *data).status());
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(
      auto up,
      db_.Query("INSERT INTO doc_templates (name, doc_type, description, template, variables, "
                "data_source, "
                "refresh_seconds, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET doc_type = excluded.doc_type, description = "
                "excluded.description, "
                "template = excluded.template, variables = excluded.variables, data_source = "
                "excluded.data_source, "
                "refresh_seconds = excluded.refresh_seconds, updated_at = excluded.updated_at "
                "RETURNING id",
                {in["name"].get<std::string>(), in["docType"].get<std::string>(),
                 in.value("description", std::string()), tmpl, DumpJson(Json(vars)), source,
                 in.value("refreshSeconds", int64_t{0}), now, now}));
  return Json{{"id", up.rows.at(0).GetInt(size_t{0})}, {"variables", vars}};
}

Result<Json> DocsService::ListTemplates() {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT id, name, doc_type, description, template, variables, data_source, "
                "refresh_seconds, updated_at FROM doc_templates ORDER BY name"));
  Json items = Json::array();
  for (const auto& r : rows.rows)
    items.push_back(Json{{"id", r.GetInt("id")},
                         {"name", r.GetString("name")},
                         {"docType", r.GetString("doc_type")},
                         {"description", r.GetString("description")},
                         {"template", r.GetString("template")},
                         {"variables", ParseJson(r.GetString("variables")).value_or(Json::array())},
                         {"dataSource", r.GetString("data_source")},
                         {"refreshSeconds", r.GetInt("refresh_seconds")},
                         {"updatedAt", FormatIso8601(r.GetTime("updated_at"))}});
  return Json{{"items", items}};
}

Result<Json> DocsService::Regenerate(int64_t doc_id, const std::string& author) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT d.template_id, d.human_edited, d.title, t.template, t.data_source "
                "FROM generated_docs d JOIN doc_templates t ON t.id = d.template_id "
                "WHERE d.id = ?",
                {doc_id}));
  if (rows.rows.empty())
    return Status::FailedPrecondition("document " + std::to_string(doc_id) +
                                      " was not generated from a template");
  const auto& r = rows.rows[0];
  DAI_ASSIGN_OR_RETURN(Json data, TemplateData(r.GetString("data_source")));
  DAI_ASSIGN_OR_RETURN(std::string content, RenderTemplate(r.GetString("template"), data));
  const bool human = r.GetBool("human_edited");
  const TimePoint now = clock_.Now();
  int64_t version = 0;
  bool unchanged = false;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto last, conn.Query("SELECT content FROM doc_versions WHERE doc_id = ? AND origin = "
                              "'generated' ORDER BY version DESC LIMIT 1",
                              {doc_id}));
    if (!last.rows.empty() && last.rows[0].GetString(size_t{0}) == content) {
      unchanged = true;
      return Status::Ok();
    }
    DAI_ASSIGN_OR_RETURN(
        auto mx, conn.Query("SELECT max(version) FROM doc_versions WHERE doc_id = ?", {doc_id}));
    version = mx.rows.at(0).GetInt(size_t{0}) + 1;
    DAI_RETURN_IF_ERROR(
        conn.Query("INSERT INTO doc_versions (doc_id, version, title, content, origin, author, "
                   "applied, "
                   "created_at) VALUES (?, ?, ?, ?, 'generated', ?, ?, ?)",
                   {doc_id, version, r.GetString("title"), content, author, !human, now})
            .status());
    if (human)
      return Status::Ok();  // a person's edit stays current; the new output waits beside it
    return conn
        .Query(
            "UPDATE generated_docs SET content = ?, version = ?, links = ?, updated_at = ? WHERE "
            "id = ?",
            {content, version, DumpJson(LinksJson(content)), now, doc_id})
        .status();
  }));
  if (publish_ && !unchanged) publish_("docs.updated", DumpJson({{"id", doc_id}}));
  return Json{
      {"id", doc_id},
      {"changed", !unchanged},
      {"applied", !unchanged && !human},
      {"version", unchanged ? Json(nullptr) : Json(version)},
      {"reason",
       unchanged ? "the template's output did not change"
       : human   ? "a person edited this document: the new output is stored as an unapplied version"
                 : "updated"}};
}

Result<int> DocsService::RegenerateDue() {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(
          "SELECT d.id, d.updated_at, t.refresh_seconds FROM generated_docs d JOIN doc_templates t "
          "ON t.id = d.template_id WHERE t.refresh_seconds > 0 AND d.status <> 'archived'"));
  int done = 0;
  const TimePoint now = clock_.Now();
  for (const auto& r : rows.rows) {
    if (now - r.GetTime("updated_at") < std::chrono::seconds(r.GetInt("refresh_seconds"))) continue;
    auto out = Regenerate(r.GetInt("id"), "schedule");
    if (out.ok() && (*out)["changed"].get<bool>()) ++done;
  }
  return done;
}

// ---------------------------------------------------------------- runbooks from incidents

Result<Json> DocsService::RunbookCandidates(const Json& in) {
  DAI_ASSIGN_OR_RETURN(auto incs,
                       ResolvedIncidents(static_cast<int>(in.value("limit", int64_t{500}))));
  std::vector<IncidentRecord> records;
  for (const auto& i : incs) records.push_back(ToRecord(i));
  auto clusters = ClusterIncidents(records, in.value("threshold", 0.45));
  Json items = Json::array();
  for (const auto& c : clusters) {
    std::vector<IncidentRecord> members;
    for (const auto& r : records)
      if (std::find(c.incident_ids.begin(), c.incident_ids.end(), r.id) != c.incident_ids.end())
        members.push_back(r);
    auto draft = DraftRunbook(members);
    items.push_back(Json{{"label", c.label},
                         {"incidentIds", c.incident_ids},
                         {"steps", draft.ok() ? static_cast<int64_t>(draft->steps.size()) : 0},
                         {"draftable", draft.ok()}});
  }
  return Json{{"items", items}, {"incidents", static_cast<int64_t>(records.size())}};
}

Result<Json> DocsService::CreateRunbook(const Json& in, const Identity& who) {
  if (options_.incidents == nullptr || options_.runbooks == nullptr)
    return Status::FailedPrecondition("the incident commander is not available");
  std::vector<IncidentRecord> records;
  if (in.contains("incidentIds") && !in["incidentIds"].empty()) {
    for (const auto& id : in["incidentIds"]) {
      DAI_ASSIGN_OR_RETURN(Json full, options_.incidents->Get(id.get<int64_t>()));
      records.push_back(ToRecord(full));
    }
  } else {
    // The largest cluster of resolved incidents that yields a draft.
    DAI_ASSIGN_OR_RETURN(auto incs, ResolvedIncidents(500));
    std::vector<IncidentRecord> all;
    for (const auto& i : incs) all.push_back(ToRecord(i));
    for (const auto& c : ClusterIncidents(all)) {
      std::vector<IncidentRecord> members;
      for (const auto& r : all)
        if (std::find(c.incident_ids.begin(), c.incident_ids.end(), r.id) != c.incident_ids.end())
          members.push_back(r);
      if (DraftRunbook(members).ok()) {
        records = std::move(members);
        break;
      }
    }
    if (records.empty())
      return Status::FailedPrecondition(
          "no resolved incident recorded an action before its resolution: nothing to learn a "
          "runbook from");
  }
  DraftOptions o;
  o.title = in.value("title", std::string());
  if (in.contains("minSupport")) o.min_support = in["minSupport"].get<double>();
  DAI_ASSIGN_OR_RETURN(RunbookDraft draft, DraftRunbook(records, o));
  // Name clashes get a numeric suffix rather than replacing a person's runbook.
  const std::string base = draft.definition["name"].get<std::string>();
  Result<Json> rb = Status::Internal("unreachable");
  for (int attempt = 0; attempt < 20; ++attempt) {
    draft.definition["name"] = attempt == 0 ? base : base + "-" + std::to_string(attempt + 1);
    rb = options_.runbooks->Create(DumpJson(draft.definition), who);
    if (rb.ok() || rb.status().code() != StatusCode::kConflict) break;
  }
  if (!rb.ok()) return rb.status();
  const int64_t runbook_id = (*rb)["id"].get<int64_t>();
  // Stored disabled: it runs only after a person reviews and enables it.
  auto disabled = options_.runbooks->Update(runbook_id, "", false);
  if (!disabled.ok()) {
    (void)options_.runbooks->Delete(runbook_id);
    return disabled.status();
  }
  (void)db_.Query("UPDATE runbooks SET source = 'generated' WHERE id = ?", {runbook_id});
  std::string md =
      draft.markdown + "\n[[runbook:" + draft.definition["name"].get<std::string>() + "]]\n";
  Json ids = Json::array();
  for (auto id : draft.source_incidents) ids.push_back(id);
  DAI_ASSIGN_OR_RETURN(
      Json doc, InsertDoc(FirstHeading(md), "runbook", md, "markdown", "runbook",
                          std::to_string(runbook_id), Json::array({"runbook", "learned"}),
                          Json{{"incidentIds", ids}, {"definition", draft.definition}}, "generated",
                          who.username, std::nullopt));
  return Json{{"runbookId", runbook_id}, {"name", draft.definition["name"]},
              {"enabled", false},        {"definition", draft.definition},
              {"incidentIds", ids},      {"docId", doc["id"]},
              {"markdown", md}};
}

Result<Json> DocsService::SimilarIncidents(int64_t incident_id, int limit) {
  if (options_.incidents == nullptr)
    return Status::FailedPrecondition("incidents are not available");
  DAI_ASSIGN_OR_RETURN(Json target, options_.incidents->Get(incident_id));
  IncidentRecord me = ToRecord(target);
  auto sig = IncidentSignature(me);
  DAI_ASSIGN_OR_RETURN(Json list, options_.incidents->List(Json{{"limit", 500}}));
  std::vector<std::pair<double, Json>> scored;
  for (const auto& i : list["items"]) {
    if (i["id"].get<int64_t>() == incident_id) continue;
    IncidentRecord r = ToRecord(i);
    r.alertnames.clear();
    double s = SignatureSimilarity(sig, IncidentSignature(r));
    if (s > 0.15) scored.emplace_back(s, i);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  Json similar = Json::array();
  for (size_t k = 0; k < scored.size() && static_cast<int>(k) < limit; ++k)
    similar.push_back(Json{{"id", scored[k].second["id"]},
                           {"title", scored[k].second["title"]},
                           {"status", scored[k].second["status"]},
                           {"rootCause", scored[k].second["rootCause"]},
                           {"similarity", scored[k].first}});
  std::string query = me.title + " " + me.service + " " + me.root_cause;
  for (const auto& a : me.alertnames) query += " " + a;
  DAI_ASSIGN_OR_RETURN(Json docs, Search(Json{{"query", query}, {"limit", limit}}));
  return Json{{"similar", similar}, {"docs", docs["items"]}};
}

// ---------------------------------------------------------------- architecture

Result<Json> DocsService::CaptureSnapshot(const Json& in) {
  SnapshotBuilder b;
  std::set<std::string> sources;
  std::vector<Json> objects;
  auto add_manifest_text = [&](const std::string& text, const std::string& file) -> Status {
    DAI_ASSIGN_OR_RETURN(auto objs, posture::ParseManifests(text, file));
    for (auto& o : objs) objects.push_back(std::move(o.doc));
    return Status::Ok();
  };
  if (in.contains("manifests")) {
    DAI_RETURN_IF_ERROR(add_manifest_text(in["manifests"].get<std::string>(), "manifests"));
    sources.insert("manifests");
  }
  if (in.contains("manifestPath")) {
    const std::string path = in["manifestPath"].get<std::string>();
    DAI_RETURN_IF_ERROR(CheckWithinRoots(path, options_.read_roots, "manifestPath"));
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(path, ec)) {
      for (auto it = fs::recursive_directory_iterator(
               path, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const std::string ext = it->path().extension().string();
        if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json"))
          files.push_back(it->path());
        if (files.size() > 2000)
          return Status::InvalidArgument("manifestPath: more than 2000 manifest files");
      }
      std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      return Status::InvalidArgument("manifestPath: " + path +
                                     " is neither a file nor a directory on the server");
    }
    for (const auto& f : files) {
      DAI_ASSIGN_OR_RETURN(std::string text,
                           ReadFileWithinRoots(f, options_.read_roots, "manifestPath", 16u << 20));
      DAI_RETURN_IF_ERROR(add_manifest_text(text, f.string()));
    }
    sources.insert("manifests");
  }
  std::vector<std::string> cluster_errors;
  if (in.value("cluster", false)) {
    if (!options_.read_cluster) {
      return Status::FailedPrecondition(
          "cluster: Kubernetes is not configured on this server (setting kubeconfig); give "
          "manifests or manifestPath instead");
    }
    DAI_ASSIGN_OR_RETURN(LiveObjects live, options_.read_cluster(in.value("namespace", "")));
    for (auto& o : live.objects) objects.push_back(std::move(o));
    cluster_errors = std::move(live.errors);
    sources.insert("kubernetes");
  }
  if (!objects.empty()) DAI_RETURN_IF_ERROR(b.AddKubernetesObjects(objects));
  if (in.contains("prometheusTargets")) {
    DAI_RETURN_IF_ERROR(b.AddPrometheusTargets(in["prometheusTargets"]));
    sources.insert("prometheus");
  }
  if (in.contains("traffic")) {
    DAI_RETURN_IF_ERROR(b.AddTraffic(in["traffic"]));
    sources.insert("prometheus");
  }
  if (in.contains("components")) {
    DAI_RETURN_IF_ERROR(b.AddManual(in["components"], in.value("connections", Json::array())));
    sources.insert("manual");
  }
  if (sources.empty())
    return Status::InvalidArgument(
        "give at least one of cluster, manifests, manifestPath, prometheusTargets, traffic or "
        "components");
  Snapshot s = b.Build();
  for (const auto& e : cluster_errors) s.warnings.push_back("cluster: " + e);
  Json comps = Json::array(), conns = Json::array();
  for (const auto& c : s.components) comps.push_back(ComponentToJson(c));
  for (const auto& e : s.edges) conns.push_back(EdgeToJson(e));
  const std::string name = in.value("name", std::string("default"));
  const std::string source = sources.size() > 1 ? "combined" : *sources.begin();
  const TimePoint now = clock_.Now();
  int64_t id = 0;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(
        auto mx,
        conn.Query("SELECT max(version) FROM architecture_snapshots WHERE name = ?", {name}));
    const int64_t version = mx.rows.at(0).GetOptInt(size_t{0}).value_or(0) + 1;
    DAI_ASSIGN_OR_RETURN(
        auto ins,
        conn.Query(
            "INSERT INTO architecture_snapshots (name, version, source, components, connections, "
            "diagram, diagram_format, metadata, captured_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'mermaid', ?, ?, ?) RETURNING id",
            {name, version, source, DumpJson(comps), DumpJson(conns), ToMermaid(s),
             DumpJson(Json{{"warnings", s.warnings}}), now, now}));
    id = ins.rows.at(0).GetInt(size_t{0});
    return Status::Ok();
  }));
  if (publish_) publish_("docs.snapshot", DumpJson({{"id", id}}));
  DAI_ASSIGN_OR_RETURN(Json row, LatestSnapshotRow(id));
  row.erase("components");
  row.erase("connections");
  // The diff against the previous version of the same name, when there is one.
  auto prev = db_.Query(
      "SELECT id FROM architecture_snapshots WHERE name = ? AND id <> ? ORDER BY version DESC "
      "LIMIT 1",
      {name, id});
  if (prev.ok() && !prev->rows.empty()) {
    auto d = DiffSnapshots(prev->rows[0].GetInt(size_t{0}), id);
    if (d.ok()) row["diffFromPrevious"] = *d;
  }
  return row;
}

Result<Json> DocsService::ListSnapshots(const Json& in) {
  const int64_t limit = in.value("limit", int64_t{50}), offset = in.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count, db_.Query("SELECT count(*) FROM architecture_snapshots"));
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kSnapshotColumns +
                               " FROM architecture_snapshots ORDER BY captured_at DESC, id DESC "
                               "LIMIT ? OFFSET ?",
                           {limit, offset}));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(SnapshotJson(r, false));
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(size_t{0})},
              {"limit", limit},
              {"offset", offset}};
}

Result<Json> DocsService::GetSnapshot(int64_t id) { return LatestSnapshotRow(id); }

Result<Json> DocsService::DiffSnapshots(int64_t from_id, int64_t to_id) {
  DAI_ASSIGN_OR_RETURN(Json a, LatestSnapshotRow(from_id));
  DAI_ASSIGN_OR_RETURN(Json b, LatestSnapshotRow(to_id));
  DAI_ASSIGN_OR_RETURN(Snapshot sa, SnapshotFromJson(a["components"], a["connections"]));
  DAI_ASSIGN_OR_RETURN(Snapshot sb, SnapshotFromJson(b["components"], b["connections"]));
  SnapshotDiff d = docs::DiffSnapshots(sa, sb);
  Json j = d.ToJson();
  j["fromId"] = from_id;
  j["toId"] = to_id;
  j["markdown"] = d.ToMarkdown();
  return j;
}

Result<Json> DocsService::ExportDiagram(const Json& in) {
  std::optional<int64_t> id;
  if (in.contains("snapshotId")) id = in["snapshotId"].get<int64_t>();
  DAI_ASSIGN_OR_RETURN(Json snap, LatestSnapshotRow(id));
  DAI_ASSIGN_OR_RETURN(Snapshot s, SnapshotFromJson(snap["components"], snap["connections"]));
  DiagramOptions o;
  const std::string group = in.value("groupBy", std::string("namespace"));
  o.group_by = group == "team"   ? GroupBy::kTeam
               : group == "none" ? GroupBy::kNone
                                 : GroupBy::kNamespace;
  const std::string format = in["format"].get<std::string>();
  Json out{{"snapshotId", snap["id"]},
           {"format", format},
           {"components", static_cast<int64_t>(s.components.size())}};
  if (format == "mermaid") {
    out["content"] = ToMermaid(s, o);
    out["encoding"] = "utf-8";
  } else if (format == "dot") {
    out["content"] = ToDot(s, o);
    out["encoding"] = "utf-8";
  } else {
    DAI_ASSIGN_OR_RETURN(
        std::string bytes,
        graphviz::RenderDot(ToDot(s, o),
                            format == "svg" ? graphviz::Format::kSvg : graphviz::Format::kPng));
    if (format == "svg") {
      out["content"] = bytes;
      out["encoding"] = "utf-8";
    } else {
      out["content"] = Base64(bytes);
      out["encoding"] = "base64";
    }
  }
  return out;
}

Result<Json> DocsService::DiffApi(const Json& in) {
  auto before = ParseOpenApi(in["before"].get<std::string>());
  if (!before.ok()) return Status::InvalidArgument("before: " + before.status().message());
  auto after = ParseOpenApi(in["after"].get<std::string>());
  if (!after.ok()) return Status::InvalidArgument("after: " + after.status().message());
  auto changes = DiffOpenApi(*before, *after);
  Json items = Json::array();
  int64_t breaking = 0;
  for (const auto& c : changes) {
    items.push_back(Json{{"breaking", c.breaking}, {"where", c.where}, {"what", c.what}});
    breaking += c.breaking ? 1 : 0;
  }
  return Json{
      {"changes", items}, {"breaking", breaking}, {"markdown", ApiChangesToMarkdown(changes)}};
}

}  // namespace dai::docs
