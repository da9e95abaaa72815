// `devops-ai docs diagram PATH... [--format mermaid|dot|svg|png] [--group-by ...] [--out FILE]`:
// the architecture diagram of Kubernetes manifests (files or directories), without a server.
// `devops-ai docs generate api [--openapi FILE] [--format markdown|html] [--out FILE]`: the API
// reference of this platform (from the procedure registry) or of an OpenAPI/Swagger file.
// `devops-ai docs generate api-diff OLD NEW`: breaking changes between two OpenAPI documents
// (exit 1 when there is one, 2 for bad input).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/graphviz/graphviz_renderer.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "core/json.h"
#include "engines/docs/architecture.h"
#include "engines/docs/openapi_doc.h"
#include "engines/posture/manifest.h"

namespace dai::cli {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status Write(const std::string& out, const std::string& data) {
  if (out.empty() || out == "-") {
    std::fwrite(data.data(), 1, data.size(), stdout);
    return Status::Ok();
  }
  std::ofstream f(out, std::ios::binary);
  if (!f) return Status::InvalidArgument("cannot write " + out);
  f << data;
  return Status::Ok();
}

Status RunDiagram(const std::vector<std::string>& paths, const std::string& format,
                  const std::string& group_by, const std::string& out) {
  std::vector<Json> objects;
  for (const auto& path : paths) {
    std::vector<fs::path> files;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const std::string ext = it->path().extension().string();
        if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json"))
          files.push_back(it->path());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(path);
    }
    for (const auto& f : files) {
      DAI_ASSIGN_OR_RETURN(std::string text, ReadAll(f));
      DAI_ASSIGN_OR_RETURN(auto objs, posture::ParseManifests(text, f.string()));
      for (auto& o : objs) objects.push_back(std::move(o.doc));
    }
  }
  docs::SnapshotBuilder b;
  DAI_RETURN_IF_ERROR(b.AddKubernetesObjects(objects));
  docs::Snapshot s = b.Build();
  for (const auto& w : s.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  docs::DiagramOptions o;
  o.group_by = group_by == "team"   ? docs::GroupBy::kTeam
               : group_by == "none" ? docs::GroupBy::kNone
                                    : docs::GroupBy::kNamespace;
  if (format == "mermaid") return Write(out, docs::ToMermaid(s, o));
  if (format == "dot") return Write(out, docs::ToDot(s, o));
  DAI_ASSIGN_OR_RETURN(
      std::string bytes,
      graphviz::RenderDot(docs::ToDot(s, o),
                          format == "png" ? graphviz::Format::kPng : graphviz::Format::kSvg));
  return Write(out, bytes);
}

Status RunApi(const std::string& openapi, const std::string& format, const std::string& out) {
  Json spec;
  if (openapi.empty()) {
    DAI_ASSIGN_OR_RETURN(std::string text, GenerateApiDocument("openapi"));
    DAI_ASSIGN_OR_RETURN(spec, ParseJson(text));
  } else {
    DAI_ASSIGN_OR_RETURN(std::string text, ReadAll(openapi));
    DAI_ASSIGN_OR_RETURN(spec, docs::ParseOpenApi(text));
  }
  if (format == "html") {
    DAI_ASSIGN_OR_RETURN(std::string html, docs::OpenApiToHtml(spec));
    return Write(out, html);
  }
  return Write(out, docs::OpenApiToMarkdown(spec));
}

Result<int64_t> RunApiDiff(const std::string& before, const std::string& after) {
  DAI_ASSIGN_OR_RETURN(std::string a, ReadAll(before));
  DAI_ASSIGN_OR_RETURN(std::string b, ReadAll(after));
  auto da = docs::ParseOpenApi(a);
  if (!da.ok()) return da.status().WithContext(before);
  auto db = docs::ParseOpenApi(b);
  if (!db.ok()) return db.status().WithContext(after);
  auto changes = docs::DiffOpenApi(*da, *db);
  std::string md = docs::ApiChangesToMarkdown(changes);
  std::fwrite(md.data(), 1, md.size(), stdout);
  int64_t breaking = 0;
  for (const auto& c : changes) breaking += c.breaking ? 1 : 0;
  return breaking;
}

}  // namespace

void RegisterDocsCommands(CLI::App& app, CliState& state) {
  auto* docs_cmd =
      app.add_subcommand("docs", "Documentation: architecture diagrams and API references");
  docs_cmd->require_subcommand(1);
  auto* diagram =
      docs_cmd->add_subcommand("diagram", "Architecture diagram of Kubernetes manifests");
  auto paths = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>("mermaid");
  auto group = std::make_shared<std::string>("namespace");
  auto out = std::make_shared<std::string>();
  diagram->add_option("paths", *paths, "manifest files or directories")->required();
  diagram->add_option("--format", *format, "mermaid, dot, svg or png")
      ->check(CLI::IsMember({"mermaid", "dot", "svg", "png"}));
  diagram->add_option("--group-by", *group, "namespace, team or none")
      ->check(CLI::IsMember({"namespace", "team", "none"}));
  diagram->add_option("--out", *out, "output file (default: standard output)");
  diagram->callback([&state, paths, format, group, out] {
    Status st = RunDiagram(*paths, *format, *group, *out);
    if (!st.ok()) {
      std::fprintf(stderr, "devops-ai docs diagram: %s\n", st.ToString().c_str());
      state.exit_code = 2;
    }
  });
  auto* generate = docs_cmd->add_subcommand("generate", "Generate a document");
  generate->require_subcommand(1);
  auto* api = generate->add_subcommand(
      "api", "API reference (this platform's, or an OpenAPI/Swagger file's)");
  auto openapi = std::make_shared<std::string>();
  auto api_format = std::make_shared<std::string>("markdown");
  auto api_out = std::make_shared<std::string>();
  api->add_option("--openapi", *openapi, "an OpenAPI 3 / Swagger 2 file (JSON or YAML)");
  api->add_option("--format", *api_format, "markdown or html")
      ->check(CLI::IsMember({"markdown", "html"}));
  api->add_option("--out", *api_out, "output file (default: standard output)");
  api->callback([&state, openapi, api_format, api_out] {
    Status st = RunApi(*openapi, *api_format, *api_out);
    if (!st.ok()) {
      std::fprintf(stderr, "devops-ai docs generate api: %s\n", st.ToString().c_str());
      state.exit_code = 2;
    }
  });
  auto* diff =
      generate->add_subcommand("api-diff", "Breaking changes between two OpenAPI documents");
  auto before = std::make_shared<std::string>();
  auto after = std::make_shared<std::string>();
  diff->add_option("old", *before, "the previous document")->required();
  diff->add_option("new", *after, "the new document")->required();
  diff->callback([&state, before, after] {
    auto r = RunApiDiff(*before, *after);
    if (!r.ok()) {
      std::fprintf(stderr, "devops-ai docs generate api-diff: %s\n", r.status().ToString().c_str());
      state.exit_code = 2;
    } else if (*r > 0) {
      state.exit_code = 1;
    }
  });
}

}  // namespace dai::cli
