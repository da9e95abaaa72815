#include "registry/api_docs.h"

#include <set>

namespace dai {
namespace {

Json ErrorSchema() {
  return Json{
      {"type", "object"},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"properties",
           {{"message", {{"type", "string"}}},
            {"code", {{"type", "integer"}, {"description", "JSON-RPC 2.0 error code"}}},
            {"data",
             {{"type", "object"},
              {"properties",
               {{"code", {{"type", "string"}, {"description", "tRPC error code, e.g. BAD_REQUEST"}}},
                {"httpStatus", {{"type", "integer"}}},
                {"path", {{"type", "string"}}}}}}}}},
          {"required", {"message", "code", "data"}}}}}},
      {"required", {"error"}}};
}

std::string Quote(const std::string& s) { return Json(s).dump(); }

std::string Pad(int indent) { return std::string(static_cast<size_t>(indent) * 2, ' '); }

}  // namespace

Json BuildOpenApi(const ProcedureRegistry& registry, const std::string& version) {
  Json paths = Json::object();
  std::set<std::string> tags;
  for (const auto& [path, proc] : registry.All()) {
    const std::string tag = path.substr(0, path.find('.'));
    tags.insert(tag);
    Json op = {{"operationId", path},
               {"summary", proc.summary},
               {"tags", {tag}},
               {"x-trpc-kind", proc.kind == ProcedureKind::kQuery ? "query" : "mutation"},
               {"x-min-role", proc.min_role ? std::string(RoleName(*proc.min_role)) : "public"}};
    Json data_schema = proc.output_schema.is_null() ? Json::object() : proc.output_schema;
    op["responses"] = {
        {"200",
         {{"description", "Success"},
          {"content",
           {{"application/json",
             {{"schema",
               {{"type", "object"},
                {"properties",
                 {{"result",
                   {{"type", "object"}, {"properties", {{"data", data_schema}}}, {"required", {"data"}}}}}},
                {"required", {"result"}}}}}}}}}},
        {"default",
         {{"description", "tRPC error"},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/TrpcError"}}}}}}}}}};
    if (!proc.implemented) {
      op["responses"]["501"] = {{"description", "Not implemented yet"},
                                {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/TrpcError"}}}}}}}};
    }
    if (proc.min_role) {
      op["security"] = Json::array({Json{{"bearerAuth", Json::array()}}, Json{{"cookieAuth", Json::array()}}});
    } else {
      op["security"] = Json::array();
    }
    std::string method;
    if (proc.kind == ProcedureKind::kQuery) {
      method = "get";
      if (!proc.input_schema.is_null()) {
        op["parameters"] = Json::array(
            {{{"name", "input"},
              {"in", "query"},
              {"required", false},
              {"description", "The input as URL-encoded JSON"},
              {"content", {{"application/json", {{"schema", proc.input_schema}}}}}}});
      }
    } else {
      method = "post";
      if (!proc.input_schema.is_null()) {
        op["requestBody"] = {{"required", true},
                             {"content", {{"application/json", {{"schema", proc.input_schema}}}}}};
      }
    }
    paths["/trpc/" + path][method] = std::move(op);
  }
  Json tag_list = Json::array();
  for (const auto& t : tags) tag_list.push_back(Json{{"name", t}});
  Json doc = Json::object();
  doc["openapi"] = "3.1.0";
  doc["info"] = Json{
      {"title", "devops-ai API"},
      {"version", version},
      {"description",
       "tRPC HTTP RPC endpoints of devops-ai. Queries: GET /trpc/<path>?input=<URL-encoded JSON>. "
       "Mutations: POST /trpc/<path> with a JSON body (cookie sessions also need the "
       "x-csrf-token header). Batches: comma-separated paths with ?batch=1."}};
  doc["paths"] = std::move(paths);
  doc["tags"] = std::move(tag_list);
  doc["components"]["schemas"]["TrpcError"] = ErrorSchema();
  doc["components"]["securitySchemes"]["bearerAuth"] = Json{{"type", "http"}, {"scheme", "bearer"}};
  doc["components"]["securitySchemes"]["cookieAuth"] =
      Json{{"type", "apiKey"}, {"in", "cookie"}, {"name", "dai_session"}};
  return doc;
}

std::string SchemaToTypeScript(const Json& schema, int indent) {
  if (!schema.is_object() || schema.empty()) return "unknown";
  if (auto it = schema.find("anyOf"); it != schema.end()) {
    std::string out;
    for (const auto& alt : *it) {
      out += out.empty() ? "" : " | ";
      out += SchemaToTypeScript(alt, indent);
    }
    return out;
  }
  if (auto it = schema.find("enum"); it != schema.end()) {
    std::string out;
    for (const auto& v : *it) {
      out += out.empty() ? "" : " | ";
      out += v.dump();
    }
    return out;
  }
  auto it = schema.find("type");
  if (it == schema.end()) return "unknown";
  if (it->is_array()) {
    std::string out;
    for (const auto& t : *it) {
      Json single = schema;
      single["type"] = t;
      out += out.empty() ? "" : " | ";
      out += SchemaToTypeScript(single, indent);
    }
    return out;
  }
  const std::string type = it->get<std::string>();
  if (type == "string") return "string";
  if (type == "integer" || type == "number") return "number";
  if (type == "boolean") return "boolean";
  if (type == "null") return "null";
  if (type == "array") {
    const std::string item = SchemaToTypeScript(schema.value("items", Json::object()), indent);
    return "Array<" + item + ">";
  }
  if (type == "object") {
    const auto props = schema.find("properties");
    const auto ap = schema.find("additionalProperties");
    if ((props == schema.end() || props->empty()) && ap != schema.end() && ap->is_object()) {
      return "Record<string, " + SchemaToTypeScript(*ap, indent) + ">";
    }
    if (props == schema.end() || props->empty()) {
      return ap != schema.end() && ap->is_boolean() && !ap->get<bool>() ? "Record<string, never>"
                                                                          : "Record<string, unknown>";
    }
    std::set<std::string> required;
    if (auto r = schema.find("required"); r != schema.end()) {
      for (const auto& n : *r) required.insert(n.get<std::string>());
    }
    std::string out = "{\n";
    for (auto p = props->begin(); p != props->end(); ++p) {
      if (p.value().contains("description")) {
        out += Pad(indent + 1) + "/** " + p.value()["description"].get<std::string>() + " */\n";
      }
      out += Pad(indent + 1) + Quote(p.key()) + (required.count(p.key()) ? ": " : "?: ") +
             SchemaToTypeScript(p.value(), indent + 1) + ";\n";
    }
    out += Pad(indent) + "}";
    return out;
  }
  return "unknown";
}

std::string BuildTypeScript(const ProcedureRegistry& registry) {
  std::string out =
      "// GENERATED by `devops-ai api typescript` from the server's procedure registry.\n"
      "// Do not edit: change the procedure declarations in src/modules and regenerate.\n\n"
      "export interface Procedures {\n";
  for (const auto& [path, proc] : registry.All()) {
    out += "  " + Quote(path) + ": {\n";
    out += "    kind: " + std::string(proc.kind == ProcedureKind::kQuery ? "\"query\"" : "\"mutation\"") + ";\n";
    out += "    minRole: " + (proc.min_role ? Quote(std::string(RoleName(*proc.min_role))) : std::string("\"public\"")) + ";\n";
    out += "    implemented: " + std::string(proc.implemented ? "true" : "false") + ";\n";
    out += "    input: " + (proc.input_schema.is_null() ? std::string("void") : SchemaToTypeScript(proc.input_schema, 2)) + ";\n";
    out += "    output: " + SchemaToTypeScript(proc.output_schema, 2) + ";\n";
    out += "  };\n";
  }
  out += "}\n\nexport type ProcedurePath = keyof Procedures;\n";
  out += "export type QueryPath = { [P in ProcedurePath]: Procedures[P][\"kind\"] extends \"query\" ? P : never }[ProcedurePath];\n";
  out += "export type MutationPath = { [P in ProcedurePath]: Procedures[P][\"kind\"] extends \"mutation\" ? P : never }[ProcedurePath];\n";
  out += "export type ProcedureInput<P extends ProcedurePath> = Procedures[P][\"input\"];\n";
  out += "export type ProcedureOutput<P extends ProcedurePath> = Procedures[P][\"output\"];\n";
  return out;
}

}  // namespace dai
