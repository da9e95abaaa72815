// Test support for the store's contract suite: opens a fresh, empty database on each backend.
// SQLite: a file in a new temporary directory. PostgreSQL: a new schema on the test cluster
// whose URL is in the file named by $DAI_TEST_PG_URL_FILE (written by scripts/pg-test-cluster
// through the ctest fixture) or in $DAI_TEST_PG_URL. Without a cluster the PostgreSQL cases
// skip with a message, except under CI=true, where they fail.
// Thread-safety: not thread-safe (test setup).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "store/database.h"

namespace dai::store::testing {

enum class Backend { kSqlite, kPostgres };
std::string BackendName(const ::testing::TestParamInfo<Backend>& info);

//! The test cluster's URL, or nullopt when none is configured or reachable.
std::optional<std::string> PostgresTestUrl();
//! True when CI=true (missing PostgreSQL must then fail, not skip).
bool InCi();

//! A fresh empty database on one backend; removes it when destroyed.
class TestDatabase {
 public:
  ~TestDatabase();
  //! Creates it; a failure message in *error when it cannot (e.g. no PostgreSQL).
  static std::unique_ptr<TestDatabase> Create(Backend backend, std::string* error);
  //! Opens another Database (another pool) on the same data: a second "process".
  Result<std::unique_ptr<Database>> OpenAnother(int pool_size = 4) const;
  Database& db() { return *db_; }
  const std::string& url() const { return url_; }

 private:
  Backend backend_ = Backend::kSqlite;
  std::string url_;
  std::string dir_;     // SQLite temp dir
  std::string schema_;  // PostgreSQL schema
  std::string admin_url_;
  std::unique_ptr<Database> db_;
};

//! Base fixture for suites parameterized over the backends: db() is migrated when
//! `migrate` is set in SetUpDatabase.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  Database& db() { return test_db_->db(); }
  TestDatabase& test_db() { return *test_db_; }
  virtual bool Migrated() const { return true; }

 private:
  std::unique_ptr<TestDatabase> test_db_;
};

}  // namespace dai::store::testing
