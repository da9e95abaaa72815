// JSON and SARIF 2.1.0 renderings of a posture Report (shared by the CLI and the module).
// Pure. Thread-safety: free functions.
#pragma once

#include <vector>

#include "core/json.h"
#include "engines/posture/posture.h"

namespace dai::posture {

//! {"checks_run", "summary": {failed, passed, by_severity}, "results": [{check, outcome,
//! severity, kind, name, namespace, file, line, container, message, remediation, cis, nsa}]}.
Json ReportToJson(const std::vector<Object>& objects, const Report& report);

//! SARIF 2.1.0: one result per failed check per object (and container), ruleId = check id.
Json ReportToSarif(const std::vector<Object>& objects, const Report& report,
                   std::string_view tool_version);

//! The catalog as JSON (id, severity, category, title, remediation, cis, nsa, aliases).
Json CatalogToJson();

}  // namespace dai::posture
