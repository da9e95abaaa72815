#include "engines/docs/openapi_doc.h"

#include <yaml-cpp/yaml.h>

#include "core/yaml_input.h"

#include <set>

#include "engines/docs/markdown.h"
#include "engines/docs/search_index.h"

namespace dai::docs {
namespace {

constexpr const char* kMethods[] = {"get",     "put",  "post",  "delete",
                                    "options", "head", "patch", "trace"};

Result<Json> YamlToJson(const YAML::Node& n, int depth, size_t& budget) {
  if (depth > 64) return Status::InvalidArgument("openapi: nested deeper than 64 levels");
  if (budget == 0)
    return Status::InvalidArgument("openapi: more than 2,000,000 YAML nodes (limit)");
  --budget;
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : n) {
        DAI_ASSIGN_OR_RETURN(Json v, YamlToJson(kv.second, depth + 1, budget));
        obj[kv.first.Scalar()] = std::move(v);
      }
      return obj;
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& e : n) {
        DAI_ASSIGN_OR_RETURN(Json v, YamlToJson(e, depth + 1, budget));
        arr.push_back(std::move(v));
      }
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return Json(s);  // quoted
      if (s == "true") return Json(true);
      if (s == "false") return Json(false);
      if (s == "null" || s == "~") return Json(nullptr);
      char* end = nullptr;
      if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (end != nullptr && *end == '\0') return Json(static_cast<int64_t>(v));
      }
      return Json(s);
    }
    default:
      return Json(nullptr);
  }
}

bool Flag(const Json& j, const char* k) {
  if (!j.is_object()) return false;
  auto it = j.find(k);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::string Str(const Json& j, const char* k) {
  if (!j.is_object()) return "";
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

const Json& Resolve(const Json& root, const Json& node, int depth = 0) {
  static const Json kNull;
  if (!node.is_object() || depth > 16) return node;
  auto it = node.find("$ref");
  if (it == node.end() || !it->is_string()) return node;
  const std::string ref = it->get<std::string>();
  if (ref.rfind("#/", 0) != 0) return kNull;
  const Json* cur = &root;
  size_t pos = 2;
  while (pos <= ref.size()) {
    size_t slash = ref.find('/', pos);
    std::string part =
        ref.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (!cur->is_object() || !cur->contains(part)) return kNull;
    cur = &(*cur)[part];
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return Resolve(root, *cur, depth + 1);
}

std::string TypeOf(const Json& root, const Json& schema) {
  if (schema.is_object() && schema.contains("$ref") && schema["$ref"].is_string()) {
    std::string r = schema["$ref"].get<std::string>();
    return r.substr(r.rfind('/') + 1);
  }
  const Json& s = Resolve(root, schema);
  if (!s.is_object()) return "any";
  std::string t = Str(s, "type");
  if (t == "array" && s.contains("items")) return TypeOf(root, s["items"]) + "[]";
  if (!Str(s, "format").empty()) t += " (" + Str(s, "format") + ")";
  return t.empty() ? "object" : t;
}

std::string Cell(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

Json Parameters(const Json& root, const Json& path_item, const Json& op) {
  Json out = Json::array();
  std::set<std::string> seen;
  for (const Json* src : {&op, &path_item}) {
    if (!src->is_object() || !src->contains("parameters") || !(*src)["parameters"].is_array())
      continue;
    for (const Json& p0 : (*src)["parameters"]) {
      const Json& p = Resolve(root, p0);
      std::string key = Str(p, "in") + ":" + Str(p, "name");
      if (Str(p, "name").empty() || !seen.insert(key).second) continue;
      out.push_back(p);
    }
  }
  return out;
}

const Json& BodySchema(const Json& root, const Json& op) {
  static const Json kNull;
  if (!op.is_object()) return kNull;
  if (op.contains("requestBody")) {
    const Json& rb = Resolve(root, op["requestBody"]);
    if (rb.is_object() && rb.contains("content") && rb["content"].is_object()) {
      for (auto it = rb["content"].begin(); it != rb["content"].end(); ++it)
        if (it->is_object() && it->contains("schema")) return Resolve(root, (*it)["schema"]);
    }
  }
  if (op.contains("parameters") && op["parameters"].is_array())
    for (const Json& p0 : op["parameters"]) {
      const Json& p = Resolve(root, p0);
      if (Str(p, "in") == "body" && p.contains("schema")) return Resolve(root, p["schema"]);
    }
  return kNull;
}

bool BodyRequired(const Json& root, const Json& op) {
  if (!op.is_object()) return false;
  if (op.contains("requestBody")) {
    const Json& rb = Resolve(root, op["requestBody"]);
    return rb.is_object() && Flag(rb, "required");
  }
  return false;
}

std::set<std::string> RequiredProps(const Json& schema) {
  std::set<std::string> out;
  if (schema.is_object() && schema.contains("required") && schema["required"].is_array())
    for (const auto& r : schema["required"])
      if (r.is_string()) out.insert(r.get<std::string>());
  return out;
}

const Json& SuccessSchema(const Json& root, const Json& responses, const std::string& code,
                          bool resolve = true) {
  static const Json kNull;
  if (!responses.is_object() || !responses.contains(code)) return kNull;
  const Json& r = Resolve(root, responses[code]);
  if (!r.is_object()) return kNull;
  if (r.contains("schema")) return resolve ? Resolve(root, r["schema"]) : r["schema"];
  if (r.contains("content") && r["content"].is_object())
    for (auto it = r["content"].begin(); it != r["content"].end(); ++it)
      if (it->is_object() && it->contains("schema"))
        return resolve ? Resolve(root, (*it)["schema"]) : (*it)["schema"];
  return kNull;
}

}  // namespace

Result<Json> ParseOpenApi(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes)
    return Status::InvalidArgument("openapi: " + std::to_string(text.size()) +
                                   " bytes is over the limit of " + std::to_string(max_bytes));
  Json doc;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    auto parsed = ParseJson(text);
    if (!parsed.ok()) return Status::InvalidArgument("openapi: " + parsed.status().message());
    doc = std::move(*parsed);
  } else {
    DAI_RETURN_IF_ERROR(CheckYamlInput(text, "openapi"));
    try {
      YAML::Node n = YAML::Load(std::string(text));
      size_t budget = 2'000'000;
      DAI_ASSIGN_OR_RETURN(doc, YamlToJson(n, 0, budget));
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument("openapi: invalid YAML at line " +
                                     std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
  }
  if (!doc.is_object()) return Status::InvalidArgument("openapi: expected a map at the top");
  if (!doc.contains("openapi") && !doc.contains("swagger"))
    return Status::InvalidArgument(
        "openapi: neither an \"openapi\" nor a \"swagger\" version field");
  if (!doc.contains("paths") || !doc["paths"].is_object())
    return Status::InvalidArgument("openapi: \"paths\" is missing or not a map");
  return doc;
}

std::string OpenApiToMarkdown(const Json& doc) {
  const Json& info = doc.contains("info") ? doc["info"] : Json();
  std::string md = "# " + (Str(info, "title").empty() ? "API" : Str(info, "title")) + "\n\n";
  if (!Str(info, "version").empty()) md += "Version " + Str(info, "version") + "\n\n";
  if (!Str(info, "description").empty()) md += Str(info, "description") + "\n\n";
  if (!doc.contains("paths") || !doc["paths"].is_object()) return md;
  for (auto pit = doc["paths"].begin(); pit != doc["paths"].end(); ++pit) {
    const Json& item = Resolve(doc, *pit);
    if (!item.is_object()) continue;
    for (const char* m : kMethods) {
      if (!item.contains(m)) continue;
      const Json& op = item[m];
      std::string upper = m;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      md += "## " + upper + " `" + pit.key() + "`\n\n";
      if (!Str(op, "summary").empty()) md += Str(op, "summary") + "\n\n";
      if (!Str(op, "description").empty() && Str(op, "description") != Str(op, "summary"))
        md += Str(op, "description") + "\n\n";
      if (op.is_object() && Flag(op, "deprecated")) md += "**Deprecated.**\n\n";
      Json params = Parameters(doc, item, op);
      bool header = false;
      for (const Json& p : params) {
        if (Str(p, "in") == "body") continue;
        if (!header) {
          md += "| parameter | in | type | required | description |\n|---|---|---|---|---|\n";
          header = true;
        }
        md += "| `" + Cell(Str(p, "name")) + "` | " + Cell(Str(p, "in")) + " | " +
              Cell(p.contains("schema") ? TypeOf(doc, p["schema"]) : Str(p, "type")) + " | " +
              (Flag(p, "required") ? "yes" : "no") + " | " + Cell(Str(p, "description")) + " |\n";
      }
      if (header) md += "\n";
      const Json& body = BodySchema(doc, op);
      if (body.is_object()) {
        md += "Request body" + std::string(BodyRequired(doc, op) ? " (required)" : "") + ":\n\n";
        auto req = RequiredProps(body);
        if (body.contains("properties") && body["properties"].is_object()) {
          md += "| field | type | required |\n|---|---|---|\n";
          for (auto it = body["properties"].begin(); it != body["properties"].end(); ++it)
            md += "| `" + Cell(it.key()) + "` | " + Cell(TypeOf(doc, *it)) + " | " +
                  (req.count(it.key()) ? "yes" : "no") + " |\n";
          md += "\n";
        } else {
          md += "`" + TypeOf(doc, body) + "`\n\n";
        }
      }
      if (op.is_object() && op.contains("responses") && op["responses"].is_object()) {
        md += "Responses:\n\n";
        for (auto rit = op["responses"].begin(); rit != op["responses"].end(); ++rit) {
          const Json& r = Resolve(doc, *rit);
          md += "- `" + rit.key() + "` " + Cell(Str(r, "description"));
          const Json& s = SuccessSchema(doc, op["responses"], rit.key(), false);
          if (s.is_object()) md += " — `" + TypeOf(doc, s) + "`";
          md += "\n";
        }
        md += "\n";
      }
    }
  }
  return md;
}

Result<std::string> OpenApiToHtml(const Json& doc) {
  std::string md = OpenApiToMarkdown(doc);
  DAI_ASSIGN_OR_RETURN(std::string body, RenderMarkdown(md, 64u << 20));
  std::string title = doc.contains("info") ? Str(doc["info"], "title") : "";
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" +
         HtmlEscape(title.empty() ? "API" : title) +
         "</title><style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
         "padding:0 1rem;color:#1f2933}table{border-collapse:collapse}td,th{border:1px solid "
         "#cbd2d9;padding:.25rem .5rem}h2{border-top:1px solid #e4e7eb;padding-top:1rem}code{"
         "background:#f5f7fa}</style></head><body>\n" +
         body + "</body></html>\n";
}

std::vector<ApiChange> DiffOpenApi(const Json& before, const Json& after) {
  std::vector<ApiChange> out;
  const Json& pa = before.contains("paths") ? before["paths"] : Json::object();
  const Json& pb = after.contains("paths") ? after["paths"] : Json::object();
  if (!pa.is_object() || !pb.is_object()) return out;
  for (auto it = pa.begin(); it != pa.end(); ++it) {
    const Json& ia = Resolve(before, *it);
    if (!pb.contains(it.key())) {
      out.push_back({true, it.key(), "path removed"});
      continue;
    }
    const Json& ib = Resolve(after, pb[it.key()]);
    for (const char* m : kMethods) {
      if (!ia.is_object() || !ia.contains(m)) continue;
      std::string upper = m;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::string where = upper + " " + it.key();
      if (!ib.is_object() || !ib.contains(m)) {
        out.push_back({true, where, "operation removed"});
        continue;
      }
      const Json& oa = ia[m];
      const Json& ob = ib[m];
      Json params_a = Parameters(before, ia, oa), params_b = Parameters(after, ib, ob);
      auto find = [](const Json& list, const Json& p) -> const Json* {
        for (const Json& q : list)
          if (Str(q, "name") == Str(p, "name") && Str(q, "in") == Str(p, "in")) return &q;
        return nullptr;
      };
      for (const Json& p : params_a) {
        if (Str(p, "in") == "body") continue;
        const std::string pw = where + " parameter " + Str(p, "name");
        const Json* q = find(params_b, p);
        if (q == nullptr) {
          out.push_back({true, pw, "parameter removed"});
          continue;
        }
        if (!Flag(p, "required") && Flag(*q, "required"))
          out.push_back({true, pw, "parameter became required"});
        std::string ta = p.contains("schema") ? TypeOf(before, p["schema"]) : Str(p, "type");
        std::string tb = q->contains("schema") ? TypeOf(after, (*q)["schema"]) : Str(*q, "type");
        if (ta != tb) out.push_back({true, pw, "type changed from " + ta + " to " + tb});
        const Json& sa = p.contains("schema") ? Resolve(before, p["schema"]) : p;
        const Json& sb = q->contains("schema") ? Resolve(after, (*q)["schema"]) : *q;
        if (sa.is_object() && sb.is_object() && sa.contains("enum") && sb.contains("enum") &&
            sa["enum"].is_array() && sb["enum"].is_array())
          for (const auto& v : sa["enum"])
            if (std::find(sb["enum"].begin(), sb["enum"].end(), v) == sb["enum"].end())
              out.push_back({true, pw, "enum value " + DumpJson(v) + " removed"});
      }
      for (const Json& q : params_b) {
        if (Str(q, "in") == "body" || find(params_a, q) != nullptr) continue;
        const std::string pw = where + " parameter " + Str(q, "name");
        if (Flag(q, "required"))
          out.push_back({true, pw, "new required parameter"});
        else
          out.push_back({false, pw, "new optional parameter"});
      }
      if (!BodyRequired(before, oa) && BodyRequired(after, ob))
        out.push_back({true, where, "request body became required"});
      auto ra = RequiredProps(BodySchema(before, oa)), rb = RequiredProps(BodySchema(after, ob));
      for (const auto& r : rb)
        if (!ra.count(r))
          out.push_back({true, where + " body field " + r, "request field became required"});
      const Json& resp_a = oa.is_object() && oa.contains("responses") ? oa["responses"] : Json();
      const Json& resp_b = ob.is_object() && ob.contains("responses") ? ob["responses"] : Json();
      if (resp_a.is_object()) {
        for (auto r = resp_a.begin(); r != resp_a.end(); ++r) {
          if (r.key().empty() || r.key()[0] != '2') continue;
          if (!resp_b.is_object() || !resp_b.contains(r.key())) {
            out.push_back({true, where + " response " + r.key(), "success response removed"});
            continue;
          }
          const Json& sa = SuccessSchema(before, resp_a, r.key());
          const Json& sb = SuccessSchema(after, resp_b, r.key());
          if (sa.is_object() && sb.is_object() && sa.contains("properties") &&
              sa["properties"].is_object()) {
            for (auto prop = sa["properties"].begin(); prop != sa["properties"].end(); ++prop)
              if (!sb.contains("properties") || !sb["properties"].is_object() ||
                  !sb["properties"].contains(prop.key()))
                out.push_back({true, where + " response " + r.key() + " field " + prop.key(),
                               "response field removed"});
          }
        }
      }
    }
  }
  for (auto it = pb.begin(); it != pb.end(); ++it) {
    const Json& ib = Resolve(after, *it);
    const Json& ia = pa.contains(it.key()) ? Resolve(before, pa[it.key()]) : Json();
    for (const char* m : kMethods) {
      if (!ib.is_object() || !ib.contains(m)) continue;
      if (ia.is_object() && ia.contains(m)) continue;
      std::string upper = m;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.push_back({false, upper + " " + it.key(), "operation added"});
    }
  }
  return out;
}

std::string ApiChangesToMarkdown(const std::vector<ApiChange>& changes) {
  std::string breaking, other;
  for (const auto& c : changes)
    (c.breaking ? breaking : other) += "- `" + c.where + "`: " + c.what + "\n";
  std::string md = "## Breaking changes\n\n" + (breaking.empty() ? "None.\n" : breaking) + "\n";
  md += "## Other changes\n\n" + (other.empty() ? "None.\n" : other);
  return md;
}

}  // namespace dai::docs
