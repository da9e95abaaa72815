// Configuration drift (issue #5): desired state against actual state, as a list of differences
// a human can read and a correction can act on. Three shapes of state:
//  - Kubernetes objects: a desired manifest against the live object, with server-side apply's
//    view of ownership — only the fields the manifest sets are compared, so defaults the API
//    server fills in, status, and fields other managers own are not drift. Lists of objects
//    with a merge key (containers and env by name, ports by containerPort, volume mounts by
//    mountPath ...) are matched by that key; other lists are atomic. Resource quantities compare
//    by value (0.5 == 500m, 1Gi == 1024Mi), numbers and numeric strings by value.
//  - Key/value configuration (.env, INI sections, `key: value` files): every key is owned by the
//    file, so an extra key on the host is drift too.
//  - Text files: a unified diff.
// Pure: text and JSON in, differences out; no I/O, no clock. Thread-safety: free functions.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::healing {

struct Difference {
  enum class Kind {
    kMissing,     //!< desired sets it, actual does not have it
    kChanged,     //!< both have it, the values differ
    kUnexpected,  //!< actual has it, desired does not (key/value files only)
  };
  Kind kind = Kind::kChanged;
  std::string path;  //!< e.g. spec.template.spec.containers[name=web].image, or a config key
  Json desired;      //!< null for kUnexpected
  Json actual;       //!< null for kMissing
};

std::string_view DifferenceKindName(Difference::Kind kind);
Json DifferencesToJson(const std::vector<Difference>& diffs);

// ------------------------------------------------------------------------------ Kubernetes

//! Identity of a Kubernetes object: API group (not version), kind, namespace, name.
struct ObjectRef {
  std::string group;  //!< "" for the core group, "apps", "networking.k8s.io" ...
  std::string version;
  std::string kind;
  std::string namespace_;  //!< "" for cluster-scoped kinds
  std::string name;
  std::string Key() const;       //!< group/kind/namespace/name
  std::string ToString() const;  //!< Kind/namespace/name
};

//! The reference of a manifest (apiVersion, kind, metadata.name, metadata.namespace; a
//! namespaced kind without a namespace gets `default_namespace`). INVALID_ARGUMENT naming the
//! missing field.
Result<ObjectRef> RefOf(const Json& manifest, std::string_view default_namespace = "default");

//! The differences of `actual` from `desired` (server-side apply's view, see above). `actual`
//! null means the object does not exist: one kMissing difference at the root.
std::vector<Difference> CompareObject(const Json& desired, const Json& actual);

//! What a correction applies: the desired manifest without status and without the fields the
//! server owns (resourceVersion, uid, managedFields ...), with the namespace filled in.
Json ApplyBody(const Json& desired, const ObjectRef& ref);

// ------------------------------------------------------------------------ key/value files

struct KeyValueLimits {
  size_t max_bytes = 4u << 20;
  size_t max_keys = 100000;
};

//! Parses `KEY=value`, `export KEY=value`, `key = value`, `key: value` lines, `[section]`
//! headers (keys become section.key), `#`/`;` comments and blank lines; matching single or
//! double quotes around a value are removed. INVALID_ARGUMENT naming the line for a line that is
//! none of these, a duplicate key, or a limit exceeded.
Result<std::map<std::string, std::string>> ParseKeyValue(std::string_view text,
                                                         const KeyValueLimits& limits = {});

std::vector<Difference> CompareKeyValue(const std::map<std::string, std::string>& desired,
                                        const std::map<std::string, std::string>& actual);

// ------------------------------------------------------------------------------ text files

struct TextDiff {
  bool same = true;
  size_t added = 0;        //!< lines in actual that desired does not have
  size_t removed = 0;      //!< lines of desired missing from actual
  std::string unified;     //!< `--- desired` / `+++ actual` hunks with `context` lines around
  bool truncated = false;  //!< the changed region was too large to align line by line
};

//! Line diff of `actual` against `desired` (a longest common subsequence of the region between
//! the common prefix and suffix, up to `max_cells` comparisons; beyond that the region is shown
//! as replaced and `truncated` is set).
TextDiff DiffText(std::string_view desired, std::string_view actual, size_t context = 3,
                  size_t max_cells = 4'000'000);

}  // namespace dai::healing
