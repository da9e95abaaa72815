// Manifest loading for the posture engine: multi-document YAML (raw, Helm-rendered, kustomize
// output) or JSON text in, Kubernetes objects out as JSON trees. `kind: List` objects are
// expanded into their items. Hostile input is bounded: input size, document count, nesting
// depth and the number of nodes after alias expansion (YAML "billion laughs") all have limits,
// and exceeding one is an error naming the limit, never unbounded work.
// Pure: parses text it is given. Thread-safety: free functions, no shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::posture {

struct ManifestLimits {
  size_t max_bytes = 64u << 20;  // per text
  size_t max_documents = 10000;  // per text
  size_t max_nodes = 2'000'000;  // per text, after alias expansion
  int max_depth = 100;           // nesting of maps/sequences
};

//! One Kubernetes object and where it came from.
struct Object {
  Json doc;          // the object as JSON (kind, apiVersion, metadata, spec ...)
  std::string file;  // the path given to ParseManifests
  int document = 0;  // 0-based document index in the file
  int line = 0;      // 1-based line where the document starts
  std::string kind;  // doc.kind ("" when absent)
  std::string api_version;
  std::string name;        // metadata.name
  std::string namespace_;  // metadata.namespace as written ("" when absent)
};

//! Parses every document of `text`. Empty documents and documents that are not maps with a
//! `kind` are skipped (Helm output often has them); a document that is not valid YAML fails the
//! whole text with INVALID_ARGUMENT naming the file, line and column; a limit exceeded fails
//! with INVALID_ARGUMENT naming the limit.
Result<std::vector<Object>> ParseManifests(std::string_view text, std::string_view file,
                                           const ManifestLimits& limits = {});

//! Objects already parsed as JSON (e.g. read from a live cluster): each becomes an Object with
//! `file` = `source`, line 0 and its index as `document`; List kinds are expanded and
//! documents without a `kind` skipped, as in ParseManifests.
std::vector<Object> ObjectsFromJson(std::vector<Json> docs, std::string_view source);

}  // namespace dai::posture
