// PostgresDatabase: the scale-out backend of Database over libpq. Keeps a pool of
// connections (each with TimeZone=UTC and application_name=devops-ai), sends statements with
// PQexecParams and text parameters (typed int8/float8/bool/timestamptz where the value says
// so, unknown for strings so PostgreSQL infers json/jsonb/text from the column), rewrites `?`
// placeholders to $1..$n, reconnects a broken connection, and retries a transaction on
// serialization failure (40001) or deadlock (40P01). Error messages name the constraint or
// the SQLSTATE, never a parameter value.
// Thread-safety: safe for concurrent use (see Database).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "store/database.h"

namespace dai::store {

//! Connects to the PostgreSQL server named by options.url ("postgres://..." or
//! "postgresql://..."). UNAVAILABLE when the server cannot be reached.
Result<std::unique_ptr<Database>> OpenPostgresDatabase(const DatabaseOptions& options);

//! Rewrites `?` placeholders to `$1`, `$2` ... leaving alone `?` inside string literals
//! ('...', E'...', dollar-quoted $tag$...$tag$), quoted identifiers ("..."), line comments
//! (-- ...) and block comments (/* ... */, nested). Sets *count to the number of placeholders.
std::string RewritePlaceholders(std::string_view sql, int* count = nullptr);

}  // namespace dai::store
