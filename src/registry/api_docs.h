// Documents derived from the procedure registry: the OpenAPI 3.1 description of the tRPC
// endpoints (served at /api/openapi.json) and the TypeScript types the web client compiles
// against (`devops-ai api typescript`). Neither is ever written by hand.
// Thread-safety: pure functions over a registry that is no longer being modified.
#pragma once

#include <string>

#include "core/json.h"
#include "registry/procedure.h"

namespace dai {

Json BuildOpenApi(const ProcedureRegistry& registry, const std::string& version);
//! TypeScript source declaring `interface Procedures { "<path>": {kind; input; output} }`.
std::string BuildTypeScript(const ProcedureRegistry& registry);
//! A JSON Schema rendered as a TypeScript type expression.
std::string SchemaToTypeScript(const Json& schema, int indent = 0);

}  // namespace dai
