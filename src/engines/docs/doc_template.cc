#include "engines/docs/doc_template.h"

#include <algorithm>
#include <memory>

namespace dai::docs {
namespace {

struct Node {
  enum class Kind { kText, kVar, kEach, kIf } kind = Kind::kText;
  std::string text;  // text, or the path
  int line = 1;
  std::vector<Node> children;
};

bool ValidPath(std::string_view p) {
  if (p.empty() || p.size() > 200) return false;
  return std::all_of(p.begin(), p.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status Err(int line, const std::string& what) {
  return Status::InvalidArgument("template line " + std::to_string(line) + ": " + what);
}

Result<std::vector<Node>> Parse(std::string_view t, const TemplateLimits& limits) {
  if (t.size() > limits.max_template_bytes)
    return Status::InvalidArgument("template: " + std::to_string(t.size()) +
                                   " bytes is over the limit of " +
                                   std::to_string(limits.max_template_bytes));
  std::vector<Node> root;
  struct Open {
    std::vector<Node>* list;
    Node::Kind kind;
    int line;
  };
  std::vector<Open> stack{{&root, Node::Kind::kText, 1}};
  int line = 1;
  size_t pos = 0;
  // Sections are built in place; a section node's children list is pushed onto the stack.
  while (pos < t.size()) {
    size_t open = t.find("{{", pos);
    std::string_view text =
        t.substr(pos, open == std::string_view::npos ? t.size() - pos : open - pos);
    if (!text.empty())
      stack.back().list->push_back({Node::Kind::kText, std::string(text), line, {}});
    line += static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    if (open == std::string_view::npos) break;
    size_t close = t.find("}}", open + 2);
    if (close == std::string_view::npos) return Err(line, "\"{{\" is never closed");
    std::string_view tag = Trim(t.substr(open + 2, close - open - 2));
    const int tag_line = line;
    line += static_cast<int>(std::count(tag.begin(), tag.end(), '\n'));
    pos = close + 2;
    if (tag.substr(0, 6) == "#each " || tag.substr(0, 4) == "#if ") {
      const bool each = tag[1] == 'e';
      std::string_view path = Trim(tag.substr(each ? 6 : 4));
      if (!ValidPath(path))
        return Err(tag_line, "bad field name \"" + std::string(path.substr(0, 60)) + "\"");
      if (static_cast<int>(stack.size()) > limits.max_depth)
        return Err(tag_line, "sections nested deeper than " + std::to_string(limits.max_depth));
      auto& list = *stack.back().list;
      list.push_back({each ? Node::Kind::kEach : Node::Kind::kIf, std::string(path), tag_line, {}});
      stack.push_back({&list.back().children, list.back().kind, tag_line});
    } else if (tag == "/each" || tag == "/if") {
      const Node::Kind want = tag == "/each" ? Node::Kind::kEach : Node::Kind::kIf;
      if (stack.size() == 1 || stack.back().kind != want)
        return Err(tag_line, "{{" + std::string(tag) + "}} closes no open section");
      stack.pop_back();
    } else if (ValidPath(tag)) {
      stack.back().list->push_back({Node::Kind::kVar, std::string(tag), tag_line, {}});
    } else {
      return Err(tag_line, "unknown tag {{" + std::string(tag.substr(0, 60)) + "}}");
    }
  }
  if (stack.size() > 1) return Err(stack.back().line, "section is never closed");
  return root;
}

const Json* Lookup(const std::string& path, const std::vector<const Json*>& scopes) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    const Json* cur = *it;
    size_t first = 0;
    if (parts[0] == "this")
      first = 1;
    else if (!cur->is_object() || !cur->contains(parts[0]))
      continue;
    bool ok = true;
    for (size_t part_idx = first; part_idx < parts.size(); ++part_idx) {
      if (!cur->is_object() || !cur->contains(parts[part_idx])) {
        ok = false;
        break;
      }
      cur = &(*cur)[parts[part_idx]];
    }
    if (ok) return cur;
    if (first == 1) return nullptr;  // "this.x" resolves only in the innermost scope
  }
  return nullptr;
}

std::string Scalar(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : ", ") + Scalar(e);
    return out;
  }
  return DumpJson(v);
}

bool Truthy(const Json* v) {
  if (v == nullptr || v->is_null()) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number()) return v->get<double>() != 0;
  if (v->is_string() || v->is_array() || v->is_object()) return !v->empty();
  return true;
}

Status Render(const std::vector<Node>& nodes, std::vector<const Json*>& scopes, std::string& out,
              const TemplateLimits& limits) {
  for (const Node& n : nodes) {
    if (out.size() > limits.max_output_bytes)
      return Status::InvalidArgument("template: output over the limit of " +
                                     std::to_string(limits.max_output_bytes) + " bytes");
    switch (n.kind) {
      case Node::Kind::kText:
        out += n.text;
        break;
      case Node::Kind::kVar: {
        const Json* v = Lookup(n.text, scopes);
        if (v == nullptr) return Err(n.line, "unknown field \"" + n.text + "\"");
        out += Scalar(*v);
        break;
      }
      case Node::Kind::kIf: {
        const Json* v = Lookup(n.text, scopes);
        if (Truthy(v)) DAI_RETURN_IF_ERROR(Render(n.children, scopes, out, limits));
        break;
      }
      case Node::Kind::kEach: {
        const Json* v = Lookup(n.text, scopes);
        if (v == nullptr) return Err(n.line, "unknown field \"" + n.text + "\"");
        if (!v->is_array()) return Err(n.line, "\"" + n.text + "\" is not a list");
        for (const Json& item : *v) {
          scopes.push_back(&item);
          Status s = Render(n.children, scopes, out, limits);
          scopes.pop_back();
          DAI_RETURN_IF_ERROR(s);
          if (out.size() > limits.max_output_bytes)
            return Status::InvalidArgument("template: output over the limit of " +
                                           std::to_string(limits.max_output_bytes) + " bytes");
        }
        break;
      }
    }
  }
  return Status::Ok();
}

void Collect(const std::vector<Node>& nodes, int depth, std::vector<std::string>& out) {
  for (const Node& n : nodes) {
    if (n.kind != Node::Kind::kText && depth == 0) {
      std::string top = n.text.substr(0, n.text.find('.'));
      if (top != "this" && std::find(out.begin(), out.end(), top) == out.end()) out.push_back(top);
    }
    Collect(n.children, n.kind == Node::Kind::kEach ? depth + 1 : depth, out);
  }
}

}  // namespace

Result<std::string> RenderTemplate(std::string_view tmpl, const Json& data,
                                   const TemplateLimits& limits) {
  DAI_ASSIGN_OR_RETURN(auto nodes, Parse(tmpl, limits));
  std::string out;
  std::vector<const Json*> scopes{&data};
  DAI_RETURN_IF_ERROR(Render(nodes, scopes, out, limits));
  return out;
}

Result<std::vector<std::string>> TemplateVariables(std::string_view tmpl,
                                                   const TemplateLimits& limits) {
  DAI_ASSIGN_OR_RETURN(auto nodes, Parse(tmpl, limits));
  std::vector<std::string> out;
  Collect(nodes, 0, out);
  return out;
}

}  // namespace dai::docs
