// SqliteDatabase: the embedded backend of Database over the SQLite3 C API. Each pooled
// connection is opened with WAL, foreign_keys=ON, synchronous=NORMAL and a busy timeout, and
// keeps a cache of prepared statements keyed by SQL text. Write transactions use BEGIN
// IMMEDIATE, so two writers wait for each other instead of failing on a lock upgrade.
// ":memory:" uses a single connection (an in-memory database is private to its connection).
// Thread-safety: safe for concurrent use (see Database).
#pragma once

#include <memory>

#include "store/database.h"

namespace dai::store {

//! Opens (creating if needed) the SQLite database at `path` ("sqlite://" prefix allowed).
//! UNAVAILABLE when the file cannot be opened or configured.
Result<std::unique_ptr<Database>> OpenSqliteDatabase(const DatabaseOptions& options);

}  // namespace dai::store
