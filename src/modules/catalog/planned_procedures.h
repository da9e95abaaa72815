// The procedures of the original specification whose modules are not built yet. Each is
// declared with its input schema and answers tRPC's NOT_IMPLEMENTED (HTTP 501) naming the
// issue that builds it — never made-up data. When a module is built, its declarations move
// from here into the module (and the registry aborts at start if one is declared twice).
#pragma once


#include "registry/procedure.h"

namespace dai::modules {

//! Declares every planned procedure not already declared by a built module.
void RegisterPlannedProcedures(ProcedureRegistry& registry);

}  // namespace dai::modules
