#include "store/test_backends.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "store/migrations.h"

namespace dai::store::testing {
namespace {

std::string RandomSuffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000) + "_" +
         std::to_string(counter++);
}

}  // namespace

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::optional<std::string> PostgresTestUrl() {
  if (const char* url = std::getenv("DAI_TEST_PG_URL"); url != nullptr && *url != '\0') {
    return std::string(url);
  }
  const char* file = std::getenv("DAI_TEST_PG_URL_FILE");
  if (file == nullptr) return std::nullopt;
  std::ifstream in(file);
  std::string url;
  if (!std::getline(in, url) || url.empty()) return std::nullopt;
  return url;
}

TestDatabase::~TestDatabase() {
  db_.reset();
  if (backend_ == Backend::kSqlite && !dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  if (backend_ == Backend::kPostgres && !schema_.empty()) {
    auto admin = OpenDatabase({.url = admin_url_, .pool_size = 1});
    if (admin.ok()) (void)(*admin)->Query("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }
}

std::unique_ptr<TestDatabase> TestDatabase::Create(Backend backend, std::string* error) {
  auto t = std::unique_ptr<TestDatabase>(new TestDatabase());
  t->backend_ = backend;
  if (backend == Backend::kSqlite) {
    auto dir = std::filesystem::temp_directory_path() / ("dai_store_test_" + RandomSuffix());
    std::filesystem::create_directories(dir);
    t->dir_ = dir.string();
    t->url_ = (dir / "test.db").string();
  } else {
    auto base = PostgresTestUrl();
    if (!base) {
      *error =
          "no PostgreSQL test cluster (set DAI_TEST_PG_URL or run through ctest, which "
          "starts one with scripts/pg-test-cluster)";
      return nullptr;
    }
    t->admin_url_ = *base;
    t->schema_ = "t_" + RandomSuffix();
    auto admin = OpenDatabase({.url = *base, .pool_size = 1});
    if (!admin.ok()) {
      *error = "PostgreSQL test cluster unreachable: " + admin.status().ToString();
      return nullptr;
    }
    auto created = (*admin)->Query("CREATE SCHEMA " + t->schema_);
    if (!created.ok()) {
      *error = created.status().ToString();
      return nullptr;
    }
    // search_path through libpq's options parameter, percent-encoded in the URI.
    t->url_ = *base + (base->find('?') == std::string::npos ? "?" : "&") +
              "options=-c%20search_path%3D" + t->schema_;
  }
  auto db = OpenDatabase({.url = t->url_});
  if (!db.ok()) {
    *error = db.status().ToString();
    return nullptr;
  }
  t->db_ = std::move(db).value();
  return t;
}

Result<std::unique_ptr<Database>> TestDatabase::OpenAnother(int pool_size) const {
  return OpenDatabase({.url = url_, .pool_size = pool_size});
}

void BackendTest::SetUp() {
  std::string error;
  test_db_ = TestDatabase::Create(GetParam(), &error);
  if (test_db_ == nullptr) {
    if (GetParam() == Backend::kPostgres && !InCi()) GTEST_SKIP() << error;
    FAIL() << error;
  }
  if (Migrated()) {
    Status st = Migrate(db());
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
}

}  // namespace dai::store::testing
