// Fuzzes the documentation engine's parsers. The first byte chooses one: document templates
// (rendered against fixed data; output must stay within the limit), OpenAPI documents (JSON or
// YAML; rendered to Markdown/HTML and diffed against themselves: no change may be found),
// Markdown (the safe HTML must never contain a script tag or a javascript: link), commands split
// without a shell, and stored snapshots (diagrams built from whatever parsed).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engines/docs/architecture.h"
#include "engines/docs/doc_template.h"
#include "engines/docs/markdown.h"
#include "engines/docs/openapi_doc.h"
#include "engines/docs/runbook_draft.h"
#include "engines/docs/search_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 5;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  using namespace dai::docs;
  switch (which) {
    case 0: {
      static const dai::Json kData = dai::Json::parse(
          R"({"a":{"b":"x","l":[1,2,3]},"items":[{"n":"one"},{"n":"two"}],"flag":true})");
      TemplateLimits lim;
      lim.max_output_bytes = 1 << 16;
      auto out = RenderTemplate(in, kData, lim);
      if (out.ok() && out->size() > lim.max_output_bytes + in.size()) std::abort();
      (void)TemplateVariables(in, lim);
      break;
    }
    case 1: {
      auto doc = ParseOpenApi(in, 1 << 16);
      if (!doc.ok()) break;
      (void)OpenApiToMarkdown(*doc);
      (void)OpenApiToHtml(*doc);
      for (const auto& c : DiffOpenApi(*doc, *doc))
        if (c.breaking) std::abort();  // a document is compatible with itself
      break;
    }
    case 2: {
      auto html = RenderMarkdown(in, 1 << 16);
      if (html.ok() && (html->find("<script") != std::string::npos ||
                        html->find("href=\"javascript:") != std::string::npos))
        std::abort();
      (void)ExtractReferences(in);
      (void)FirstHeading(in);
      SearchIndex idx;
      idx.Upsert({1, "t", std::string(in), "custom", {}});
      for (const auto& h : idx.Search(in.substr(0, 64)))
        if (h.snippet.find("<script") != std::string::npos) std::abort();
      break;
    }
    case 3: {
      auto argv = SplitCommand(std::string(in));
      if (argv.ok() && argv->empty()) std::abort();
      break;
    }
    case 4: {
      auto j = dai::ParseJson(in);
      if (!j.ok() || !j->is_object()) break;
      SnapshotLimits lim;
      lim.max_components = 200;
      lim.max_edges = 1000;
      SnapshotBuilder b(lim);
      if (j->contains("items") && (*j)["items"].is_array()) {
        std::vector<dai::Json> objs((*j)["items"].begin(), (*j)["items"].end());
        (void)b.AddKubernetesObjects(objs);
      }
      if (j->contains("traffic")) (void)b.AddTraffic((*j)["traffic"]);
      if (j->contains("targets")) (void)b.AddPrometheusTargets((*j)["targets"]);
      if (j->contains("components"))
        (void)b.AddManual((*j)["components"], j->value("connections", dai::Json::array()));
      Snapshot s = b.Build();
      (void)ToMermaid(s);
      (void)ToDot(s);
      (void)DiffSnapshots(s, Snapshot{});
      break;
    }
  }
  return 0;
}
