// SBOM documents: CycloneDX 1.5 JSON and SPDX 2.3 JSON built from an inventory. Pure: the
// creation time is an argument. Thread-safety: stateless functions.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engines/sbom/package.h"

namespace dai::sbom {

//! What was scanned and what was found in it.
struct Inventory {
  std::string target;                 //!< the path or image name scanned
  std::optional<OsRelease> os;        //!< set when an OS release file was found
  std::vector<Package> packages;      //!< with `location` set
  std::vector<std::string> warnings;  //!< what was skipped and why
};

//! CycloneDX 1.5 (https://cyclonedx.org/docs/1.5/json/). `created_rfc3339` is the
//! metadata.timestamp; the serial number is derived from the content and the time.
nlohmann::json ToCycloneDx(const Inventory& inventory, const std::string& created_rfc3339,
                           const std::string& tool_version);
//! SPDX 2.3 (https://spdx.github.io/spdx-spec/v2.3/) JSON.
nlohmann::json ToSpdx(const Inventory& inventory, const std::string& created_rfc3339,
                      const std::string& tool_version);

}  // namespace dai::sbom
