// ManagedSecretService on both store backends: registration (validation naming the field,
// credentials sealed and redacted), file rotations (dry run changes nothing, versions, the value
// encrypted at rest and never in an answer or the audit log), provider mismatch, unknown
// secrets, a failing webhook keeping the old version, and an interrupted rotation.
#include "modules/security/managed_secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/audit_repository.h"
#include "store/migrations.h"
#include "store/test_backends.h"

namespace dai::security {
namespace {

namespace fs = std::filesystem;
using store::testing::Backend;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ManagedSecretsTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string error;
    tdb_ = store::testing::TestDatabase::Create(GetParam(), &error);
    if (!tdb_) GTEST_SKIP() << error;
    ASSERT_TRUE(store::Migrate(tdb_->db()).ok());
    dir_ = fs::temp_directory_path() / ("dai-managed-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(GetParam() == Backend::kSqlite));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ManagedSecretOptions options;
    options.key_file = (dir_ / "secrets.key").string();
    options.webhook_http.policy = http::OutboundPolicy::AllowLocal();
    svc_ = std::make_unique<ManagedSecretService>(tdb_->db(), clock_, options);
    admin_.username = "alice";
    admin_.role = Role::kAdmin;
    admin_.method = AuthMethod::kSession;
  }
  void TearDown() override {
    svc_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  Result<Json> Register(const std::string& name, const std::string& provider, Json config) {
    return svc_->Register({{"name", name}, {"provider", provider}, {"config", config}}, "alice");
  }

  std::unique_ptr<store::testing::TestDatabase> tdb_;
  fs::path dir_;
  FakeClock clock_;
  std::unique_ptr<ManagedSecretService> svc_;
  Identity admin_;
};

TEST_P(ManagedSecretsTest, FileRotationEncryptsAtRestAndNeverReturnsTheValue) {
  const fs::path file = dir_ / "app.env";
  std::ofstream(file) << "A=1\nTOKEN=old\n";
  ::chmod(file.c_str(), 0640);
  auto reg = Register("app-token", "file", {{"path", file.string()}, {"key", "TOKEN"}});
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ((*reg)["version"], 0);
  EXPECT_EQ((*reg)["config"]["alphabet"], "alnum");
  EXPECT_EQ((*reg)["config"]["length"], 32);

  auto dry = svc_->Rotate("file", "app-token", true, admin_);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ((*dry)["ready"], true);
  EXPECT_EQ(Slurp(file), "A=1\nTOKEN=old\n");

  auto r = svc_->Rotate("file", "app-token", false, admin_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["version"], 1);
  const std::string content = Slurp(file);
  ASSERT_EQ(content.size(), std::string("A=1\nTOKEN=\n").size() + 32) << content;
  const std::string value = content.substr(10, 32);
  struct stat st {};
  ::stat(file.c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0640u);

  // At rest: sealed, decryptable with the key file, never the clear text.
  auto row = tdb_->db().Query("SELECT ciphertext FROM managed_secrets WHERE name = 'app-token'");
  ASSERT_TRUE(row.ok());
  const std::string sealed = row->rows.at(0).GetString(size_t{0});
  EXPECT_EQ(sealed.find(value), std::string::npos);
  auto box = secretrotate::SecretBox::Open((dir_ / "secrets.key").string(), false);
  ASSERT_TRUE(box.ok());
  EXPECT_EQ(*box->Unseal(sealed), value);

  auto got = svc_->Get("app-token");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["version"], 1);
  EXPECT_EQ((*got)["lastRotation"]["status"], "completed");
  ASSERT_EQ((*got)["rotations"].size(), 2u);
  EXPECT_EQ((*got)["rotations"][1]["status"], "dry_run");
  EXPECT_EQ(DumpJson(*got).find(value), std::string::npos);
  EXPECT_EQ(DumpJson(*r).find(value), std::string::npos);

  // The audit rows name who, which secret, the provider and the result; never the value.
  auto audit = store::AuditRepository(tdb_->db()).List({});
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 2u);
  const auto& last = audit->front();
  EXPECT_EQ(last.actor, "alice");
  EXPECT_EQ(last.actor_type, "user");
  EXPECT_EQ(last.procedure, "securityGuardian.rotateSecrets");
  auto detail = ParseJson(last.detail);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ((*detail)["secret"], "app-token");
  EXPECT_EQ((*detail)["provider"], "file");
  EXPECT_EQ((*detail)["result"], "completed");
  EXPECT_EQ(last.detail.find(value), std::string::npos);
}

TEST_P(ManagedSecretsTest, BadInputIsNamed) {
  struct Case {
    std::string provider;
    Json config;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"file", {{"path", "relative"}}, "input.config.path"},
      {"file", {{"path", "/a/../b"}}, "input.config.path"},
      {"file", {{"path", "/a"}, {"key", "1BAD"}}, "input.config.key"},
      {"file", {{"path", "/a"}, {"bogus", 1}}, "input.config.bogus"},
      {"file", {{"path", "/a"}, {"length", 8}}, "input.config.length"},
      {"file", {{"path", "/a"}, {"alphabet", "emoji"}}, "input.config.alphabet"},
      {"webhook", {{"url", "ftp://x"}, {"signingSecret", "0123456789abcdef"}}, "input.config.url"},
      {"webhook", {{"url", "http://x/"}, {"signingSecret", "short"}}, "input.config.signingSecret"},
      {"postgres", {{"adminUrl", "postgresql://x"}, {"role", "r"}}, "input.config.consumer"},
      {"postgres",
       {{"adminUrl", "postgresql://x"}, {"role", "r"}, {"consumer", {{"type", "smoke"}}}},
       "input.config.consumer.type"},
      {"kubernetes", {{"namespace", "a"}, {"name", "b"}, {"key", "c"}}, "kubeconfig"},
  };
  for (const auto& c : cases) {
    auto r = Register("x", c.provider, c.config);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_NE(r.status().message().find(c.field), std::string::npos) << r.status().ToString();
  }
  EXPECT_FALSE(Register("bad name!", "file", {{"path", "/a"}}).ok());
  ASSERT_TRUE(Register("dup", "file", {{"path", "/a"}}).ok());
  EXPECT_EQ(Register("dup", "file", {{"path", "/b"}}).status().code(), StatusCode::kConflict);

  auto unknown = svc_->Rotate("file", "nope", false, admin_);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  auto mismatch = svc_->Rotate("webhook", "dup", false, admin_);
  EXPECT_EQ(mismatch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.status().message().find("input.provider"), std::string::npos);
  // A missing file fails, is recorded, and is not created.
  auto missing = svc_->Rotate("file", "dup", false, admin_);
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(fs::exists("/a"));
  EXPECT_EQ((*svc_->Get("dup"))["lastRotation"]["status"], "failed");
  EXPECT_TRUE(svc_->Delete("dup").ok());
  EXPECT_EQ(svc_->Delete("dup").code(), StatusCode::kNotFound);
}

TEST_P(ManagedSecretsTest, WebhookCredentialsAreSealedAndAFailureKeepsTheVersion) {
  auto reg = Register("hook", "webhook",
                      {{"url", "http://127.0.0.1:1/rotate"},
                       {"signingSecret", "a-signing-secret-0123"},
                       {"timeoutSeconds", 2}});
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ((*reg)["config"]["signingSecret"], "<redacted>");
  auto row = tdb_->db().Query("SELECT config FROM managed_secrets WHERE name = 'hook'");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->rows.at(0).GetString(size_t{0}).find("a-signing-secret"), std::string::npos);
  // Nothing listens on port 1: the rotation fails and the version stays 0.
  auto r = svc_->Rotate("webhook", "hook", false, admin_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("old value stays current"), std::string::npos);
  auto got = svc_->Get("hook");
  EXPECT_EQ((*got)["version"], 0);
  EXPECT_EQ((*got)["lastRotation"]["status"], "failed");
}

TEST_P(ManagedSecretsTest, RotationInProgressConflictsAndAStaleOneIsClosed) {
  const fs::path file = dir_ / "token";
  std::ofstream(file) << "old";
  ASSERT_TRUE(Register("t", "file", {{"path", file.string()}}).ok());
  const int64_t id = (*svc_->Get("t"))["id"].get<int64_t>();
  ASSERT_TRUE(tdb_->db()
                  .Query("INSERT INTO secret_rotations (secret_id, status, requested_by, "
                         "started_at) VALUES (?, 'consumer_updated', 'bob', ?)",
                         {id, clock_.Now()})
                  .ok());
  EXPECT_EQ(svc_->Rotate("file", "t", false, admin_).status().code(), StatusCode::kConflict);
  clock_.Advance(std::chrono::minutes(11));
  auto r = svc_->Rotate("file", "t", false, admin_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto got = svc_->Get("t");
  ASSERT_EQ((*got)["rotations"].size(), 2u);
  EXPECT_EQ((*got)["rotations"][1]["status"], "failed");
  EXPECT_NE((*got)["rotations"][1]["error"].get<std::string>().find("interrupted"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, ManagedSecretsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         store::testing::BackendName);

}  // namespace
}  // namespace dai::security
