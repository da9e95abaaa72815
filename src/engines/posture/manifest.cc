#include "engines/posture/manifest.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "core/yaml_input.h"

namespace dai::posture {
namespace {

struct Budget {
  size_t nodes_left;
  int max_depth;
};

bool IsDecimalInt(const std::string& s) {
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

bool IsFloat(const std::string& s) {
  // YAML 1.2 core schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  bool digits = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, digits = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, digits = true;
  }
  if (!digits) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    bool exp_digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, exp_digits = true;
    if (!exp_digits) return false;
  }
  return i == s.size();
}

//! Resolves a plain (untagged, unquoted) scalar with the YAML 1.2 core schema.
Json ResolvePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (IsDecimalInt(s)) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno == 0 && end == s.c_str() + s.size()) return v;
    return s;  // out of range: keep the text
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str() + 2, &end, s[1] == 'x' ? 16 : 8);
    if (errno == 0 && end == s.c_str() + s.size()) return v;
    return s;
  }
  if (IsFloat(s)) {
    double d = std::strtod(s.c_str(), nullptr);
    if (std::isfinite(d)) return d;
    return s;
  }
  return s;
}

Result<Json> Convert(const YAML::Node& node, Budget& budget, int depth) {
  if (budget.nodes_left == 0)
    return Status::InvalidArgument(
        "manifest expands to too many YAML nodes (alias expansion bomb?); limit reached");
  --budget.nodes_left;
  if (depth > budget.max_depth)
    return Status::InvalidArgument("manifest nests deeper than " +
                                   std::to_string(budget.max_depth) + " levels");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "?") return ResolvePlainScalar(s);
      return Json(s);
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& child : node) {
        DAI_ASSIGN_OR_RETURN(Json c, Convert(child, budget, depth + 1));
        arr.push_back(std::move(c));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar())
          return Status::InvalidArgument("line " + std::to_string(kv.first.Mark().line + 1) +
                                         ": a map key is not a scalar");
        DAI_ASSIGN_OR_RETURN(Json c, Convert(kv.second, budget, depth + 1));
        obj[kv.first.Scalar()] = std::move(c);
      }
      return obj;
    }
  }
  return Json(nullptr);
}

std::string StringAt(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

void AddObject(Json doc, std::string_view file, int document, int line, std::vector<Object>& out,
               int list_depth) {
  if (!doc.is_object()) return;
  std::string kind = StringAt(doc, "kind");
  if (kind.empty()) return;
  auto items = doc.find("items");
  if (list_depth < 4 && (kind == "List" || (kind.size() > 4 && kind.ends_with("List"))) &&
      items != doc.end() && items->is_array()) {
    for (auto& item : *items) AddObject(std::move(item), file, document, line, out, list_depth + 1);
    return;
  }
  Object o;
  o.file = std::string(file);
  o.document = document;
  o.line = line;
  o.kind = std::move(kind);
  o.api_version = StringAt(doc, "apiVersion");
  auto md = doc.find("metadata");
  if (md != doc.end() && md->is_object()) {
    o.name = StringAt(*md, "name");
    o.namespace_ = StringAt(*md, "namespace");
  }
  o.doc = std::move(doc);
  out.push_back(std::move(o));
}

}  // namespace

std::vector<Object> ObjectsFromJson(std::vector<Json> docs, std::string_view source) {
  std::vector<Object> out;
  out.reserve(docs.size());
  for (size_t doc_idx = 0; doc_idx < docs.size(); ++doc_idx)
    AddObject(std::move(docs[doc_idx]), source, static_cast<int>(doc_idx), 0, out, 0);
  return out;
}

Result<std::vector<Object>> ParseManifests(std::string_view text, std::string_view file,
                                           const ManifestLimits& limits) {
  if (text.size() > limits.max_bytes)
    return Status::InvalidArgument(std::string(file) + ": " + std::to_string(text.size()) +
                                   " bytes is over the manifest size limit of " +
                                   std::to_string(limits.max_bytes));
  // yaml-cpp can loop without end on some inputs (found by fuzz_k8s_manifests): refused first.
  DAI_RETURN_IF_ERROR(CheckYamlInput(text, file));
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(file) + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  if (docs.size() > limits.max_documents)
    return Status::InvalidArgument(std::string(file) + ": more than " +
                                   std::to_string(limits.max_documents) + " YAML documents");
  std::vector<Object> out;
  Budget budget{limits.max_nodes, limits.max_depth};
  for (size_t doc_idx = 0; doc_idx < docs.size(); ++doc_idx) {
    const YAML::Node& node = docs[doc_idx];
    int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 1;
    Result<Json> converted = Status::Internal("unset");
    try {
      converted = Convert(node, budget, 0);
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument(std::string(file) + ": document " +
                                     std::to_string(doc_idx + 1) + ": " + e.msg);
    }
    if (!converted.ok())
      return converted.status().WithContext(std::string(file) + ": document " +
                                            std::to_string(doc_idx + 1));
    AddObject(std::move(converted).value(), file, static_cast<int>(doc_idx), line, out, 0);
  }
  return out;
}

}  // namespace dai::posture
