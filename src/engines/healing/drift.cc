#include "engines/healing/drift.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <set>

namespace dai::healing {

std::string_view DifferenceKindName(Difference::Kind kind) {
  switch (kind) {
    case Difference::Kind::kMissing:
      return "missing";
    case Difference::Kind::kChanged:
      return "changed";
    case Difference::Kind::kUnexpected:
      return "unexpected";
  }
  return "changed";
}

Json DifferencesToJson(const std::vector<Difference>& diffs) {
  Json out = Json::array();
  for (const auto& d : diffs) {
    out.push_back({{"kind", std::string(DifferenceKindName(d.kind))},
                   {"path", d.path},
                   {"desired", d.desired},
                   {"actual", d.actual}});
  }
  return out;
}

// ------------------------------------------------------------------------------ Kubernetes

namespace {

// Kinds that are not namespaced (the common ones; others are taken as namespaced unless the
// manifest gives no namespace and the caller's default is empty).
const std::set<std::string>& ClusterScopedKinds() {
  static const std::set<std::string> kinds = {"Namespace",
                                              "Node",
                                              "PersistentVolume",
                                              "ClusterRole",
                                              "ClusterRoleBinding",
                                              "CustomResourceDefinition",
                                              "StorageClass",
                                              "PriorityClass",
                                              "IngressClass",
                                              "MutatingWebhookConfiguration",
                                              "ValidatingWebhookConfiguration",
                                              "APIService",
                                              "RuntimeClass",
                                              "CSIDriver",
                                              "CSINode",
                                              "VolumeAttachment"};
  return kinds;
}

std::string StringAt(const Json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>()
                                                                      : std::string();
}

std::string PathKey(const std::string& base, const std::string& key) {
  const bool plain = !key.empty() && key.find_first_of(".[]\"") == std::string::npos;
  if (plain) return base.empty() ? key : base + "." + key;
  return base + "[\"" + key + "\"]";
}

// The strategic-merge key of a list field, or "" when the list is atomic.
std::string MergeKey(const std::string& field, const Json& desired, const Json& actual) {
  static const std::map<std::string, std::string> known = {{"containers", "name"},
                                                           {"initContainers", "name"},
                                                           {"ephemeralContainers", "name"},
                                                           {"env", "name"},
                                                           {"volumes", "name"},
                                                           {"volumeMounts", "mountPath"},
                                                           {"volumeDevices", "devicePath"},
                                                           {"imagePullSecrets", "name"},
                                                           {"hostAliases", "ip"},
                                                           {"conditions", "type"},
                                                           {"subsets", ""},
                                                           {"tolerations", ""},
                                                           {"args", ""},
                                                           {"command", ""}};
  auto all_have = [&](const std::string& key) {
    for (const Json* list : {&desired, &actual}) {
      if (!list->is_array()) continue;
      for (const auto& e : *list) {
        if (!e.is_object() || !e.contains(key) || e[key].is_null()) return false;
      }
    }
    return true;
  };
  if (auto it = known.find(field); it != known.end()) {
    return !it->second.empty() && all_have(it->second) ? it->second : "";
  }
  if (field == "ports") {
    if (all_have("containerPort")) return "containerPort";
    if (all_have("port")) return "port";
    return "";
  }
  if (!desired.empty() && all_have("name")) return "name";
  return "";
}

std::string KeyText(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A Kubernetes resource quantity as a number ("500m" -> 0.5, "1Gi" -> 1073741824).
std::optional<long double> Quantity(const Json& v) {
  if (v.is_number()) return v.get<long double>();
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  if (s.empty() || s.size() > 64) return std::nullopt;
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  const size_t digits_start = i;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == digits_start) return std::nullopt;
  long double base = 0;
  try {
    base = std::stold(s.substr(0, i));
  } catch (...) {
    return std::nullopt;
  }
  const std::string suffix = s.substr(i);
  static const std::map<std::string, long double> mult = {{"", 1},
                                                          {"n", 1e-9L},
                                                          {"u", 1e-6L},
                                                          {"m", 1e-3L},
                                                          {"k", 1e3L},
                                                          {"M", 1e6L},
                                                          {"G", 1e9L},
                                                          {"T", 1e12L},
                                                          {"P", 1e15L},
                                                          {"E", 1e18L},
                                                          {"Ki", 1024.0L},
                                                          {"Mi", 1048576.0L},
                                                          {"Gi", 1073741824.0L},
                                                          {"Ti", 1099511627776.0L},
                                                          {"Pi", 1125899906842624.0L},
                                                          {"Ei", 1152921504606846976.0L}};
  if (auto it = mult.find(suffix); it != mult.end()) return base * it->second;
  if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    try {
      size_t used = 0;
      const int exp = std::stoi(suffix.substr(1), &used);
      if (used != suffix.size() - 1 || exp < -30 || exp > 30) return std::nullopt;
      return base * std::pow(10.0L, exp);
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

bool ScalarEqual(const Json& desired, const Json& actual, bool quantity) {
  if (desired == actual) return true;
  if (quantity) {
    auto a = Quantity(desired);
    auto b = Quantity(actual);
    if (a && b)
      return std::fabs(static_cast<double>(*a - *b)) <=
             1e-9 * std::max(1.0, std::fabs(static_cast<double>(*a)));
  }
  // An int-or-string field written as "8080" in one and 8080 in the other.
  if (desired.is_number() && actual.is_string()) return actual.get<std::string>() == desired.dump();
  if (desired.is_string() && actual.is_number()) return desired.get<std::string>() == actual.dump();
  return false;
}

bool IsServerOwnedMetadata(const std::string& key) {
  static const std::set<std::string> owned = {
      "resourceVersion", "uid",      "creationTimestamp", "generation",
      "managedFields",   "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"};
  return owned.count(key) > 0;
}

void Compare(const Json& desired, const Json& actual, const std::string& path, bool quantity,
             int depth, std::vector<Difference>& out) {
  if (depth > 100 || out.size() >= 10000) return;
  if (desired.is_object()) {
    if (!actual.is_object()) {
      out.push_back({Difference::Kind::kChanged, path, desired, actual});
      return;
    }
    for (auto it = desired.begin(); it != desired.end(); ++it) {
      const std::string& key = it.key();
      if (depth == 0 && key == "status") continue;
      if (path == "metadata" && IsServerOwnedMetadata(key)) continue;
      if (path == "metadata.annotations" &&
          key == "kubectl.kubernetes.io/last-applied-configuration")
        continue;
      const std::string sub = PathKey(path, key);
      const bool q = quantity || key == "resources" || key == "capacity";
      if (!actual.contains(key) || actual[key].is_null()) {
        if (!it.value().is_null())
          out.push_back({Difference::Kind::kMissing, sub, it.value(), nullptr});
        continue;
      }
      Compare(it.value(), actual[key], sub, q, depth + 1, out);
    }
    return;
  }
  if (desired.is_array()) {
    if (!actual.is_array()) {
      out.push_back({Difference::Kind::kChanged, path, desired, actual});
      return;
    }
    const size_t dot = path.find_last_of('.');
    std::string field = dot == std::string::npos ? path : path.substr(dot + 1);
    if (const size_t br = field.find('['); br != std::string::npos) field = field.substr(0, br);
    const std::string key = MergeKey(field, desired, actual);
    if (key.empty()) {
      // Atomic list: equal element by element.
      bool same = desired.size() == actual.size();
      for (size_t i = 0; same && i < desired.size(); ++i) {
        if (desired[i].is_structured()) {
          std::vector<Difference> sub;
          Compare(desired[i], actual[i], path, quantity, depth + 1, sub);
          same = sub.empty();
        } else {
          same = ScalarEqual(desired[i], actual[i], quantity);
        }
      }
      if (!same) out.push_back({Difference::Kind::kChanged, path, desired, actual});
      return;
    }
    std::map<std::string, const Json*> by_key;
    for (const auto& e : actual) by_key[KeyText(e[key])] = &e;
    for (const auto& e : desired) {
      const std::string k = KeyText(e[key]);
      const std::string sub = path + "[" + key + "=" + k + "]";
      auto it = by_key.find(k);
      if (it == by_key.end()) {
        out.push_back({Difference::Kind::kMissing, sub, e, nullptr});
        continue;
      }
      Compare(e, *it->second, sub, quantity, depth + 1, out);
    }
    return;
  }
  if (!ScalarEqual(desired, actual, quantity)) {
    out.push_back({Difference::Kind::kChanged, path, desired, actual});
  }
}

}  // namespace

std::string ObjectRef::Key() const { return group + "/" + kind + "/" + namespace_ + "/" + name; }

std::string ObjectRef::ToString() const {
  return namespace_.empty() ? kind + "/" + name : kind + "/" + namespace_ + "/" + name;
}

Result<ObjectRef> RefOf(const Json& manifest, std::string_view default_namespace) {
  if (!manifest.is_object()) return Status::InvalidArgument("manifest: expected an object");
  ObjectRef ref;
  const std::string api = StringAt(manifest, "apiVersion");
  if (api.empty()) return Status::InvalidArgument("manifest: apiVersion is required");
  if (const size_t slash = api.find('/'); slash == std::string::npos) {
    ref.version = api;
  } else {
    ref.group = api.substr(0, slash);
    ref.version = api.substr(slash + 1);
  }
  ref.kind = StringAt(manifest, "kind");
  if (ref.kind.empty()) return Status::InvalidArgument("manifest: kind is required");
  const Json meta = manifest.value("metadata", Json::object());
  ref.name = StringAt(meta, "name");
  if (ref.name.empty()) {
    return Status::InvalidArgument("manifest " + ref.kind + ": metadata.name is required");
  }
  if (!ClusterScopedKinds().count(ref.kind)) {
    ref.namespace_ = StringAt(meta, "namespace");
    if (ref.namespace_.empty()) ref.namespace_ = std::string(default_namespace);
  }
  return ref;
}

std::vector<Difference> CompareObject(const Json& desired, const Json& actual) {
  std::vector<Difference> out;
  if (actual.is_null()) {
    out.push_back({Difference::Kind::kMissing, "", desired, nullptr});
    return out;
  }
  Compare(desired, actual, "", false, 0, out);
  return out;
}

Json ApplyBody(const Json& desired, const ObjectRef& ref) {
  Json body = desired;
  body.erase("status");
  if (body.contains("metadata") && body["metadata"].is_object()) {
    Json& meta = body["metadata"];
    for (auto it = meta.begin(); it != meta.end();) {
      it = IsServerOwnedMetadata(it.key()) ? meta.erase(it) : std::next(it);
    }
  } else {
    body["metadata"] = Json::object();
  }
  body["metadata"]["name"] = ref.name;
  if (!ref.namespace_.empty()) body["metadata"]["namespace"] = ref.namespace_;
  return body;
}

// ------------------------------------------------------------------------ key/value files

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

Status LineError(size_t line, const std::string& what) {
  return Status::InvalidArgument("line " + std::to_string(line) + ": " + what);
}

}  // namespace

Result<std::map<std::string, std::string>> ParseKeyValue(std::string_view text,
                                                         const KeyValueLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::InvalidArgument("key/value file: larger than " +
                                   std::to_string(limits.max_bytes) + " bytes");
  }
  std::map<std::string, std::string> out;
  std::map<std::string, size_t> first_line;
  std::string section;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') {
      if (end == text.size()) break;
      continue;
    }
    for (char c : line) {
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
        return LineError(line_no, "control character");
    }
    if (raw.front() == ' ' || raw.front() == '\t') {
      return LineError(line_no,
                       "indented line: nested YAML is compared as manifests or text, not as "
                       "key/value configuration");
    }
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3)
        return LineError(line_no, "malformed [section] header");
      section = std::string(Trim(line.substr(1, line.size() - 2)));
      if (section.empty()) return LineError(line_no, "empty [section] name");
    } else {
      if (line.substr(0, 7) == "export ") line = Trim(line.substr(7));
      const size_t sep = line.find_first_of("=:");
      if (sep == std::string_view::npos) {
        return LineError(line_no, "expected key=value, key: value, [section] or a comment");
      }
      std::string key(Trim(line.substr(0, sep)));
      if (key.empty()) return LineError(line_no, "empty key");
      std::string_view value = Trim(line.substr(sep + 1));
      if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
          value.back() == value.front()) {
        value = value.substr(1, value.size() - 2);
      }
      if (!section.empty()) key = section + "." + key;
      if (auto it = first_line.find(key); it != first_line.end()) {
        return LineError(line_no, "duplicate key \"" + key + "\" (first on line " +
                                      std::to_string(it->second) + ")");
      }
      if (out.size() >= limits.max_keys) {
        return LineError(line_no, "more than " + std::to_string(limits.max_keys) + " keys");
      }
      first_line[key] = line_no;
      out[key] = std::string(value);
    }
    if (end == text.size()) break;
  }
  return out;
}

std::vector<Difference> CompareKeyValue(const std::map<std::string, std::string>& desired,
                                        const std::map<std::string, std::string>& actual) {
  std::vector<Difference> out;
  for (const auto& [k, v] : desired) {
    auto it = actual.find(k);
    if (it == actual.end()) {
      out.push_back({Difference::Kind::kMissing, k, v, nullptr});
    } else if (it->second != v) {
      out.push_back({Difference::Kind::kChanged, k, v, it->second});
    }
  }
  for (const auto& [k, v] : actual) {
    if (!desired.count(k)) out.push_back({Difference::Kind::kUnexpected, k, nullptr, v});
  }
  return out;
}

// ------------------------------------------------------------------------------ text files

namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

enum class Op : uint8_t { kEqual, kDelete, kInsert };

}  // namespace

TextDiff DiffText(std::string_view desired, std::string_view actual, size_t context,
                  size_t max_cells) {
  TextDiff d;
  const auto a = Lines(desired);
  const auto b = Lines(actual);
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  const size_t n = a.size() - prefix - suffix;
  const size_t m = b.size() - prefix - suffix;
  if (n == 0 && m == 0) return d;  // same lines (a missing final newline is not drift)
  d.same = false;

  std::vector<Op> ops(prefix, Op::kEqual);
  if (n > 0 && m > 0 && (n + 1) * (m + 1) <= max_cells) {
    // LCS lengths of suffixes: L[i][j] for a[prefix+i..], b[prefix+j..].
    std::vector<uint32_t> L((n + 1) * (m + 1), 0);
    auto at = [&](size_t i, size_t j) -> uint32_t& { return L[i * (m + 1) + j]; };
    for (size_t i = n; i-- > 0;) {
      for (size_t j = m; j-- > 0;) {
        at(i, j) = a[prefix + i] == b[prefix + j] ? at(i + 1, j + 1) + 1
                                                  : std::max(at(i + 1, j), at(i, j + 1));
      }
    }
    size_t i = 0;
    size_t j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[prefix + i] == b[prefix + j]) {
        ops.push_back(Op::kEqual);
        ++i;
        ++j;
      } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
        ops.push_back(Op::kDelete);  // removals before additions, as diff prints them
        ++i;
      } else {
        ops.push_back(Op::kInsert);
        ++j;
      }
    }
  } else {
    d.truncated = n > 0 && m > 0;
    ops.insert(ops.end(), n, Op::kDelete);
    ops.insert(ops.end(), m, Op::kInsert);
  }
  ops.insert(ops.end(), suffix, Op::kEqual);

  // Hunks: runs of changes with `context` equal lines around them, merged when they touch.
  constexpr size_t kMaxUnified = 1u << 20;
  std::string out = "--- desired\n+++ actual\n";
  size_t k = 0;
  while (k < ops.size()) {
    if (ops[k] == Op::kEqual) {
      ++k;
      continue;
    }
    size_t start = k >= context ? k - context : 0;
    size_t end = k;
    // Extend over changes and short equal runs.
    while (end < ops.size()) {
      if (ops[end] != Op::kEqual) {
        ++end;
        continue;
      }
      size_t run = end;
      while (run < ops.size() && ops[run] == Op::kEqual) ++run;
      if (run == ops.size() || run - end > 2 * context) {
        end = std::min(ops.size(), end + context);
        break;
      }
      end = run;
    }
    // Line numbers at `start`.
    size_t la = 0;
    size_t lb = 0;
    for (size_t q = 0; q < start; ++q) {
      if (ops[q] != Op::kInsert) ++la;
      if (ops[q] != Op::kDelete) ++lb;
    }
    size_t ca = 0;
    size_t cb = 0;
    std::string body;
    for (size_t q = start; q < end; ++q) {
      if (ops[q] == Op::kEqual) {
        body += " " + std::string(a[la + ca]) + "\n";
        ++ca;
        ++cb;
      } else if (ops[q] == Op::kDelete) {
        body += "-" + std::string(a[la + ca]) + "\n";
        ++ca;
        ++d.removed;
      } else {
        body += "+" + std::string(b[lb + cb]) + "\n";
        ++cb;
        ++d.added;
      }
    }
    out += "@@ -" + std::to_string(ca == 0 ? la : la + 1) + "," + std::to_string(ca) + " +" +
           std::to_string(cb == 0 ? lb : lb + 1) + "," + std::to_string(cb) + " @@\n" + body;
    if (out.size() > kMaxUnified) {
      out.resize(kMaxUnified);
      out += "\n... (diff cut at 1 MiB)\n";
      d.truncated = true;
      // Count the remaining changes without rendering them.
      for (size_t q = end; q < ops.size(); ++q) {
        if (ops[q] == Op::kDelete) ++d.removed;
        if (ops[q] == Op::kInsert) ++d.added;
      }
      break;
    }
    k = end;
  }
  d.unified = std::move(out);
  return d;
}

}  // namespace dai::healing
