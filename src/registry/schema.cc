#include "registry/schema.h"

#include <cmath>

namespace dai::schema {

Json String(int min_length, int max_length) {
  Json s = {{"type", "string"}, {"maxLength", max_length}};
  if (min_length > 0) s["minLength"] = min_length;
  return s;
}

Json Enum(std::initializer_list<const char*> values) {
  Json e = Json::array();
  for (const char* v : values) e.push_back(v);
  return {{"type", "string"}, {"enum", e}};
}

Json Int(std::optional<int64_t> minimum, std::optional<int64_t> maximum) {
  Json s = {{"type", "integer"}};
  if (minimum) s["minimum"] = *minimum;
  if (maximum) s["maximum"] = *maximum;
  return s;
}

Json Number() { return {{"type", "number"}}; }
Json Bool() { return {{"type", "boolean"}}; }
Json DateTime() { return {{"type", "string"}, {"format", "date-time"}}; }
Json Any() { return Json::object(); }
Json Array(Json items, int max_items) {
  return {{"type", "array"}, {"items", std::move(items)}, {"maxItems", max_items}};
}

Json Nullable(Json s) {
  if (s.contains("type") && s["type"].is_string()) {
    s["type"] = Json::array({s["type"], "null"});
    if (s.contains("enum")) s["enum"].push_back(nullptr);
    return s;
  }
  return {{"anyOf", Json::array({std::move(s), {{"type", "null"}}})}};
}

Field Req(std::string name, Json s, std::string description) {
  return {std::move(name), std::move(s), true, std::move(description)};
}
Field Opt(std::string name, Json s, std::string description) {
  return {std::move(name), std::move(s), false, std::move(description)};
}

Json Object(std::vector<Field> fields, bool open) {
  Json props = Json::object();
  Json required = Json::array();
  for (auto& f : fields) {
    if (!f.description.empty()) f.schema["description"] = f.description;
    if (f.required) required.push_back(f.name);
    props[f.name] = std::move(f.schema);
  }
  Json s = {{"type", "object"}, {"properties", std::move(props)}};
  if (!required.empty()) s["required"] = std::move(required);
  s["additionalProperties"] = open;
  return s;
}

Json StringMap() {
  return {{"type", "object"}, {"additionalProperties", String(0, 4096)}, {"maxProperties", 256}};
}

Json Page(Json item) {
  return Object({Req("items", Array(std::move(item), 1000)), Req("total", Int(0)),
                 Req("limit", Int(1)), Req("offset", Int(0))});
}

Json PageInput(std::vector<Field> extra) {
  extra.push_back(Opt("limit", Int(1, 1000), "page size, default 50"));
  extra.push_back(Opt("offset", Int(0), "rows to skip, default 0"));
  return Object(std::move(extra));
}

namespace {

std::string TypeOf(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "array";
    case Json::value_t::object: return "object";
    default: return "unknown";
  }
}

bool MatchesType(const std::string& want, const Json& v) {
  if (want == "null") return v.is_null();
  if (want == "boolean") return v.is_boolean();
  if (want == "integer") {
    if (v.is_number_integer()) return true;
    if (v.is_number_float()) {
      const double d = v.get<double>();
      return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.007199254740992e15;
    }
    return false;
  }
  if (want == "number") return v.is_number();
  if (want == "string") return v.is_string();
  if (want == "array") return v.is_array();
  if (want == "object") return v.is_object();
  return false;
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Status Fail(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + ": " + what);
}

Status ValidateAt(const Json& schema, const Json& v, const std::string& path, int depth) {
  if (depth > 64) return Fail(path, "nested too deeply");
  if (!schema.is_object()) return Status::Ok();
  if (auto it = schema.find("anyOf"); it != schema.end()) {
    Status first;
    for (const auto& alt : *it) {
      Status s = ValidateAt(alt, v, path, depth + 1);
      if (s.ok()) return s;
      if (first.ok()) first = s;
    }
    return first;
  }
  if (auto it = schema.find("type"); it != schema.end()) {
    bool ok = false;
    std::string wanted;
    if (it->is_string()) {
      ok = MatchesType(it->get<std::string>(), v);
      wanted = it->get<std::string>();
    } else {
      for (const auto& t : *it) {
        ok = ok || MatchesType(t.get<std::string>(), v);
        wanted += wanted.empty() ? "" : " or ";
        wanted += t.get<std::string>();
      }
    }
    if (!ok) return Fail(path, "expected " + wanted + ", got " + TypeOf(v));
  }
  if (v.is_null()) return Status::Ok();
  if (auto it = schema.find("enum"); it != schema.end()) {
    bool found = false;
    for (const auto& e : *it) found = found || e == v;
    if (!found) {
      std::string list;
      for (const auto& e : *it) {
        if (e.is_null()) continue;
        list += list.empty() ? "" : ", ";
        list += e.dump();
      }
      return Fail(path, "must be one of " + list);
    }
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    const size_t len = Utf8Length(s);
    if (auto it = schema.find("minLength"); it != schema.end() && len < it->get<size_t>())
      return Fail(path, "must be at least " + std::to_string(it->get<size_t>()) + " characters");
    if (auto it = schema.find("maxLength"); it != schema.end() && len > it->get<size_t>())
      return Fail(path, "must be at most " + std::to_string(it->get<size_t>()) + " characters");
    if (auto it = schema.find("format"); it != schema.end() && *it == "date-time") {
      // Shape check only; modules parse with ParseIso8601.
      if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't'))
        return Fail(path, "must be an RFC 3339 date-time");
    }
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    if (auto it = schema.find("minimum"); it != schema.end() && d < it->get<double>())
      return Fail(path, "must be >= " + it->dump());
    if (auto it = schema.find("maximum"); it != schema.end() && d > it->get<double>())
      return Fail(path, "must be <= " + it->dump());
  }
  if (v.is_array()) {
    if (auto it = schema.find("maxItems"); it != schema.end() && v.size() > it->get<size_t>())
      return Fail(path, "must have at most " + it->dump() + " items");
    if (auto it = schema.find("minItems"); it != schema.end() && v.size() < it->get<size_t>())
      return Fail(path, "must have at least " + it->dump() + " items");
    if (auto it = schema.find("items"); it != schema.end()) {
      for (size_t idx = 0; idx < v.size(); ++idx) {
        DAI_RETURN_IF_ERROR(ValidateAt(*it, v[idx], path + "[" + std::to_string(idx) + "]", depth + 1));
      }
    }
  }
  if (v.is_object()) {
    const Json* props = nullptr;
    if (auto it = schema.find("properties"); it != schema.end()) props = &*it;
    if (auto it = schema.find("required"); it != schema.end()) {
      for (const auto& name : *it) {
        if (!v.contains(name.get<std::string>()))
          return Fail(path + "." + name.get<std::string>(), "is required");
      }
    }
    if (auto it = schema.find("maxProperties"); it != schema.end() && v.size() > it->get<size_t>())
      return Fail(path, "must have at most " + it->dump() + " entries");
    const auto ap = schema.find("additionalProperties");
    for (auto field = v.begin(); field != v.end(); ++field) {
      const std::string child = path + "." + field.key();
      if (props != nullptr && props->contains(field.key())) {
        DAI_RETURN_IF_ERROR(ValidateAt((*props)[field.key()], field.value(), child, depth + 1));
      } else if (ap != schema.end()) {
        if (ap->is_boolean() && !ap->get<bool>()) return Fail(child, "is not a known field");
        if (ap->is_object()) DAI_RETURN_IF_ERROR(ValidateAt(*ap, field.value(), child, depth + 1));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status Validate(const Json& schema, const Json& value, const std::string& root) {
  return ValidateAt(schema, value, root, 0);
}

}  // namespace dai::schema
