#include "modules/auth/auth_service.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/migrations.h"

namespace dai::auth {
namespace {

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dai-auth-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = store::OpenDatabase({.url = (dir_ / "t.db").string()});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(store::Migrate(*db_).ok());
    AuthOptions opts;
    opts.password_cost = PasswordCost::kMinimum;
    opts.limiter.max_failures_per_user = 3;
    auth_ = std::make_unique<AuthService>(*db_, clock_, opts);
  }
  void TearDown() override {
    auth_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  Credentials Cookie(const std::string& v, std::optional<std::string> csrf = std::nullopt) {
    Credentials c;
    c.session_cookie = v;
    c.csrf_token = std::move(csrf);
    return c;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<AuthService> auth_;
};

TEST_F(AuthServiceTest, SetupFlow) {
  auto token = auth_->PrepareSetup();
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(token->has_value());
  EXPECT_TRUE(auth_->SetupRequired());
  // A restart before setup issues a new token; the old one stops working.
  auto token2 = auth_->PrepareSetup();
  ASSERT_TRUE(token2.ok() && token2->has_value());
  EXPECT_EQ(auth_->CompleteSetup(**token, "root", "a long password!", "127.0.0.1", "t").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->CompleteSetup(**token2, "root", "short", "127.0.0.1", "t").status().code(),
            StatusCode::kInvalidArgument);
  auto done = auth_->CompleteSetup(**token2, "root", "a long password!", "127.0.0.1", "t");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->user.username, "root");
  EXPECT_EQ(done->user.role, "admin");
  EXPECT_FALSE(auth_->SetupRequired());
  EXPECT_FALSE(auth_->PrepareSetup()->has_value());
  // The session cookie authenticates as the admin.
  auto id = auth_->Authenticate(Cookie(done->cookie_value));
  ASSERT_TRUE(id.ok() && id->has_value());
  EXPECT_EQ((*id)->role, Role::kAdmin);
  EXPECT_EQ((*id)->method, AuthMethod::kSession);
}

TEST_F(AuthServiceTest, LoginSessionsCsrfAndLogout) {
  ASSERT_TRUE(auth_->CreateUser("alice", "alice password 1", Role::kOperator).ok());
  EXPECT_EQ(auth_->Login("alice", "wrong password!!", "1.1.1.1", "").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->Login("nobody", "wrong password!!", "1.1.1.1", "").status().code(),
            StatusCode::kUnauthenticated);
  auto r = auth_->Login("alice", "alice password 1", "1.1.1.1", "ua");
  ASSERT_TRUE(r.ok());
  auto id = auth_->Authenticate(Cookie(r->cookie_value));
  ASSERT_TRUE(id.ok() && id->has_value());
  EXPECT_EQ((*id)->username, "alice");
  EXPECT_EQ(auth_->CheckCsrf(**id, Cookie(r->cookie_value)).code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(auth_->CheckCsrf(**id, Cookie(r->cookie_value, r->csrf_token)).ok());
  EXPECT_FALSE(auth_->CheckCsrf(**id, Cookie(r->cookie_value, "forged")).ok());
  // Expiry.
  clock_.Advance(Millis(13LL * 3600 * 1000));
  auto expired = auth_->Authenticate(Cookie(r->cookie_value));
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->has_value());
  // Logout.
  auto r2 = auth_->Login("alice", "alice password 1", "1.1.1.1", "ua");
  ASSERT_TRUE(r2.ok());
  ASSERT_TRUE(auth_->Logout(Sha256Hex(r2->cookie_value)).ok());
  EXPECT_FALSE(auth_->Authenticate(Cookie(r2->cookie_value))->has_value());
  // Unknown cookies are anonymous, not errors (the login page must still load).
  auto anon = auth_->Authenticate(Cookie("garbage"));
  ASSERT_TRUE(anon.ok());
  EXPECT_FALSE(anon->has_value());
}

TEST_F(AuthServiceTest, LoginRateLimited) {
  ASSERT_TRUE(auth_->CreateUser("bob", "bob password 12", Role::kViewer).ok());
  for (int i = 0; i < 3; ++i) (void)auth_->Login("bob", "nope nope nope", "2.2.2.2", "");
  EXPECT_EQ(auth_->Login("bob", "bob password 12", "2.2.2.2", "").status().code(),
            StatusCode::kResourceExhausted);
}

TEST_F(AuthServiceTest, ApiTokens) {
  auto uid = auth_->CreateUser("carol", "carol password", Role::kOperator);
  ASSERT_TRUE(uid.ok());
  auto t = auth_->CreateToken("ci", Role::kAdmin, 1, *uid);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->token.rfind("dai_", 0), 0u);
  Credentials c;
  c.bearer_token = t->token;
  auto id = auth_->Authenticate(c);
  ASSERT_TRUE(id.ok() && id->has_value());
  EXPECT_EQ((*id)->method, AuthMethod::kApiToken);
  EXPECT_EQ((*id)->role, Role::kOperator);  // capped at the owner's role
  EXPECT_TRUE(auth_->CheckCsrf(**id, c).ok());
  // Expiry and revocation.
  clock_.Advance(Millis(2LL * 86'400'000));
  EXPECT_EQ(auth_->Authenticate(c).status().code(), StatusCode::kUnauthenticated);
  auto t2 = auth_->CreateToken("svc", Role::kViewer, std::nullopt, std::nullopt);
  ASSERT_TRUE(t2.ok());
  c.bearer_token = t2->token;
  ASSERT_TRUE(auth_->Authenticate(c).ok());
  ASSERT_TRUE(auth_->tokens().Revoke(t2->id).ok());
  EXPECT_EQ(auth_->Authenticate(c).status().code(), StatusCode::kUnauthenticated);
  c.bearer_token = "dai_not_a_token";
  EXPECT_EQ(auth_->Authenticate(c).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, DisabledUserLosesAccess) {
  auto uid = auth_->CreateUser("dave", "dave password 1", Role::kViewer);
  ASSERT_TRUE(uid.ok());
  auto r = auth_->Login("dave", "dave password 1", "3.3.3.3", "");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(auth_->users().SetDisabled(*uid, true).ok());
  EXPECT_FALSE(auth_->Authenticate(Cookie(r->cookie_value))->has_value());
  EXPECT_EQ(auth_->Login("dave", "dave password 1", "3.3.3.3", "").status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, AuditRowsNeverHoldInput) {
  AuditRecord rec{"alice", "user", "x.y", "ok", R"({"password":"hunter2"})", "rid", "1.1.1.1"};
  ASSERT_TRUE(auth_->Record(rec).ok());
  auto rows = db_->Query("SELECT input_digest, actor, procedure FROM audit_log");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0].GetString(0), Sha256Hex(R"({"password":"hunter2"})"));
  EXPECT_EQ(rows->rows[0].GetString(0).find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace dai::auth
