// Checks on YAML text before yaml-cpp parses it.
//
// Debian 12's yaml-cpp 0.7 never returns on some inputs, found by our fuzz targets:
// malformed UTF-8, and a document whose root node begins with ',' (a flow separator outside
// any flow collection: ",", "--- ,", "&a ,", a comment line then ","). Every loader of YAML
// that came from outside (manifests, lockfiles, rules, runbooks, pipelines, documents) calls
// CheckYamlInput first, so such input is refused with a message instead of holding a thread
// forever.
#pragma once

#include <string_view>

#include "core/status.h"

namespace dai {

//! OK, or INVALID_ARGUMENT naming `what` and the offending byte offset: a NUL byte, malformed
//! UTF-8 (RFC 3629), or a document whose root node starts with ','.
Status CheckYamlInput(std::string_view text, std::string_view what);

//! The offset of the first byte that is not well-formed UTF-8 (RFC 3629: no overlongs, no
//! surrogates, nothing above U+10FFFF), or npos.
size_t InvalidUtf8At(std::string_view s);

}  // namespace dai
