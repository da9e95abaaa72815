#include "registry/procedure.h"

#include <cstdio>
#include <cstdlib>

namespace dai {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kOperator: return "operator";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

Result<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "operator") return Role::kOperator;
  if (name == "admin") return Role::kAdmin;
  return Status::InvalidArgument("role must be viewer, operator or admin, got \"" +
                                 std::string(name.substr(0, 32)) + "\"");
}

Procedure MakeProcedure(std::string path, ProcedureKind kind, std::optional<Role> min_role,
                        Json input_schema, Json output_schema, std::string summary,
                        ProcedureHandler handler) {
  Procedure p;
  p.path = std::move(path);
  p.kind = kind;
  p.min_role = min_role;
  p.input_schema = std::move(input_schema);
  p.output_schema = std::move(output_schema);
  p.summary = std::move(summary);
  p.handler = std::move(handler);
  p.may_block = kind == ProcedureKind::kMutation;
  return p;
}

void ProcedureRegistry::Add(Procedure procedure) {
  if (procedures_.count(procedure.path) != 0) {
    std::fprintf(stderr, "procedure registered twice: %s\n", procedure.path.c_str());
    std::abort();
  }
  std::string path = procedure.path;
  procedures_.emplace(std::move(path), std::move(procedure));
}

void ProcedureRegistry::AddNotImplemented(std::string path, ProcedureKind kind, Role min_role,
                                          Json input_schema, Json output_schema,
                                          std::string summary, std::string issue) {
  ProcedureHandler handler = [path, issue](const Json&, CallContext&) -> Result<Json> {
    return Status::Unimplemented(path + " is not implemented yet (" + issue + ")");
  };
  Procedure p = MakeProcedure(path, kind, min_role, std::move(input_schema), std::move(output_schema),
                              summary + " (not implemented yet: " + issue + ")", std::move(handler));
  p.implemented = false;
  p.audit = false;
  Add(std::move(p));
}

}  // namespace dai

namespace dai {

const Procedure* ProcedureRegistry::Find(std::string_view path) const {
  auto it = procedures_.find(path);
  return it == procedures_.end() ? nullptr : &it->second;
}

}  // namespace dai
