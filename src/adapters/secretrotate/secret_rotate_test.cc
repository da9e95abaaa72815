// Unit tests of the secret rotation adapter: encryption at rest, value generation, the file,
// webhook and PostgreSQL writers (PostgreSQL: the cluster of the `pg` test fixture when set).
#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "adapters/http/loopback_test_server.h"
#include "adapters/secretrotate/secret_box.h"
#include "adapters/secretrotate/secret_writers.h"

namespace dai::secretrotate {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "dai-rotate-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& content, mode_t mode) {
  std::ofstream(path, std::ios::binary) << content;
  ::chmod(path.c_str(), mode);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

TEST(SecretBoxTest, SealsAndOpensWithAFreshNonceEachTime) {
  std::array<unsigned char, 32> key{};
  key[0] = 7;
  const SecretBox box = SecretBox::FromKey(key);
  const std::string a = box.Seal("hunter2-value");
  const std::string b = box.Seal("hunter2-value");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("v1:", 0), 0u);
  EXPECT_EQ(a.find("hunter2"), std::string::npos);
  EXPECT_EQ(*box.Unseal(a), "hunter2-value");
  EXPECT_EQ(*box.Unseal(b), "hunter2-value");
  // Another key, a flipped byte, garbage: refused without echoing the text.
  key[0] = 8;
  auto other = SecretBox::FromKey(key).Unseal(a);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(other.status().message().find(a), std::string::npos);
  std::string tampered = a;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(box.Unseal(tampered).ok());
  EXPECT_FALSE(box.Unseal("v2:abc").ok());
  EXPECT_FALSE(box.Unseal("v1:!!").ok());
  EXPECT_FALSE(box.Unseal("v1:").ok());
}

TEST(SecretBoxTest, KeyFileIsCreated0600OnFirstUseAndReused) {
  TempDir dir;
  const std::string path = dir / "secrets.key";
  EXPECT_FALSE(SecretBox::Open(path, /*create=*/false).ok());
  auto first = SecretBox::Open(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ReadAll(path).size(), 65u);  // 64 hex characters and a newline
  auto second = SecretBox::Open(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second->Unseal(first->Seal("same key")), "same key");
  // A key readable by others is refused, naming the file.
  ::chmod(path.c_str(), 0644);
  auto loose = SecretBox::Open(path);
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.status().message().find(path), std::string::npos);
  // A malformed key file.
  WriteAll(dir / "bad.key", "not hex\n", 0600);
  EXPECT_FALSE(SecretBox::Open(dir / "bad.key").ok());
}

TEST(GenerateSecretTest, LengthAlphabetAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string v = GenerateSecret(32, SecretAlphabet::kAlnum);
    ASSERT_EQ(v.size(), 32u);
    for (char c : v) ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << v;
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 200u);
  const std::string h = GenerateSecret(40, SecretAlphabet::kHex);
  EXPECT_EQ(h.size(), 40u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  const std::string u = GenerateSecret(43, SecretAlphabet::kBase64Url);
  EXPECT_EQ(u.size(), 43u);
  EXPECT_EQ(u.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  // Every alnum character shows up over enough draws (no stuck alphabet).
  std::set<char> chars;
  for (int i = 0; i < 100; ++i)
    for (char c : GenerateSecret(64, SecretAlphabet::kAlnum)) chars.insert(c);
  EXPECT_EQ(chars.size(), 62u);
  EXPECT_TRUE(ParseAlphabet("alnum").ok());
  EXPECT_FALSE(ParseAlphabet("emoji").ok());
}

TEST(Base64Test, StandardPaddedRoundTrip) {
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(*Base64Decode("aGVsbG8="), "hello");
  EXPECT_FALSE(Base64Decode("a$b").ok());
}

TEST(HmacTest, Rfc4231TestCase2) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(FileSecretWriterTest, ReplaceEnvLine) {
  using W = FileSecretWriter;
  EXPECT_EQ(W::ReplaceEnvLine("A=1\nDB_PASSWORD=old\nB=2\n", "DB_PASSWORD", "new"),
            "A=1\nDB_PASSWORD=new\nB=2\n");
  EXPECT_EQ(W::ReplaceEnvLine("export DB_PASSWORD = old\n", "DB_PASSWORD", "new"),
            "export DB_PASSWORD=new\n");
  EXPECT_EQ(W::ReplaceEnvLine("DB_PASSWORD_OLD=x\nA=1", "DB_PASSWORD", "new"),
            "DB_PASSWORD_OLD=x\nA=1\nDB_PASSWORD=new\n");
  EXPECT_EQ(W::ReplaceEnvLine("", "K", "v"), "K=v\n");
  // Only the first assignment changes; comments stay.
  EXPECT_EQ(W::ReplaceEnvLine("# K=comment\nK=a\nK=b\n", "K", "v"), "# K=comment\nK=v\nK=b\n");
}

TEST(FileSecretWriterTest, AtomicReplaceKeepsModeAndRestores) {
  TempDir dir;
  const std::string path = dir / "app.env";
  WriteAll(path, "USER=app\nDB_PASSWORD=old\n", 0640);
  FileSecretWriter w(path, "DB_PASSWORD");
  ASSERT_TRUE(w.Check().ok());
  ASSERT_TRUE(w.Write("n3w").ok());
  EXPECT_EQ(ReadAll(path), "USER=app\nDB_PASSWORD=n3w\n");
  EXPECT_EQ(ModeOf(path), 0640u);
  ASSERT_TRUE(w.Restore().ok());
  EXPECT_EQ(ReadAll(path), "USER=app\nDB_PASSWORD=old\n");
  EXPECT_EQ(ModeOf(path), 0640u);
  EXPECT_FALSE(w.Restore().ok());  // nothing left to restore
  // No temporary files are left beside it.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir / "")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);

  // Whole-file mode.
  const std::string whole = dir / "password";
  WriteAll(whole, "old", 0600);
  FileSecretWriter w2(whole, "");
  ASSERT_TRUE(w2.Write("value-1").ok());
  EXPECT_EQ(ReadAll(whole), "value-1");
  EXPECT_EQ(ModeOf(whole), 0600u);
}

TEST(FileSecretWriterTest, RefusesMissingFilesSymlinksAndBadKeys) {
  TempDir dir;
  FileSecretWriter missing(dir / "nope", "");
  auto st = missing.Write("x");
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("nope"), std::string::npos);
  WriteAll(dir / "real", "x", 0600);
  fs::create_symlink(dir / "real", dir / "link");
  FileSecretWriter link(dir / "link", "");
  st = link.Write("y");
  EXPECT_NE(st.message().find("symbolic link"), std::string::npos) << st.ToString();
  EXPECT_EQ(ReadAll(dir / "real"), "x");
  FileSecretWriter bad(dir / "real", "BAD KEY");
  EXPECT_EQ(bad.Check().code(), StatusCode::kInvalidArgument);
}

TEST(WebhookSecretWriterTest, SignedPostAndNon2xxFails) {
  std::mutex mu;
  std::vector<std::string> requests;
  int answer = 200;
  http::testing::LoopbackTestServer server(
      [&](const std::string& req) -> std::optional<std::string> {
        std::lock_guard<std::mutex> lock(mu);
        requests.push_back(req);
        return "HTTP/1.1 " + std::to_string(answer) + " X\r\nContent-Length: 11\r\n\r\necho-value!";
      });
  http::HttpClientOptions options;
  options.policy = http::OutboundPolicy::AllowLocal();
  options.total_timeout = std::chrono::seconds(5);
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/rotate";
  WebhookSecretWriter w(options, SystemClock::Instance(), url, "signing-secret-0123456789", "db",
                        3);
  ASSERT_TRUE(w.Write("the-new-value").ok());
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(requests.size(), 1u);
    const std::string& req = requests[0];
    const size_t body_at = req.find("\r\n\r\n");
    const std::string body = req.substr(body_at + 4);
    EXPECT_NE(body.find("\"value\":\"the-new-value\""), std::string::npos) << body;
    const size_t ts_at = req.find("X-DevOps-AI-Timestamp: ");
    ASSERT_NE(ts_at, std::string::npos);
    const std::string ts = req.substr(ts_at + 23, req.find("\r\n", ts_at) - ts_at - 23);
    EXPECT_NE(req.find("X-DevOps-AI-Signature: sha256=" +
                       HmacSha256Hex("signing-secret-0123456789", ts + "." + body)),
              std::string::npos);
    answer = 500;
  }
  const Status st = w.Write("second-value");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("HTTP 500"), std::string::npos);
  EXPECT_EQ(st.message().find("echo-value"), std::string::npos);  // the body is not repeated
  EXPECT_FALSE(w.Restore().ok());

  // Cloud metadata is refused before any connection.
  WebhookSecretWriter meta(options, SystemClock::Instance(), "http://169.254.169.254/x", "", "db",
                           1);
  EXPECT_EQ(meta.Write("v").code(), StatusCode::kPermissionDenied);
}

TEST(WebhookSecretWriterTest, HangingReceiverIsBoundedByTheTimeout) {
  http::testing::LoopbackTestServer server(
      [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  http::HttpClientOptions options;
  options.policy = http::OutboundPolicy::AllowLocal();
  options.total_timeout = std::chrono::milliseconds(500);
  WebhookSecretWriter w(options, SystemClock::Instance(),
                        "http://127.0.0.1:" + std::to_string(server.port()) + "/", "", "db", 1);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(w.Write("v").code(), StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

std::optional<std::string> PgUrl() {
  const char* file = std::getenv("DAI_TEST_PG_URL_FILE");
  if (file == nullptr) return std::nullopt;
  std::ifstream in(file);
  std::string url;
  if (!std::getline(in, url) || url.empty()) return std::nullopt;
  return url;
}

std::string QueryOne(const std::string& url, const std::string& sql, const std::string& param) {
  PGconn* c = PQconnectdb(url.c_str());
  const char* params[] = {param.c_str()};
  PGresult* r = PQexecParams(c, sql.c_str(), 1, nullptr, params, nullptr, nullptr, 0);
  std::string out =
      PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)
          ? PQgetvalue(r, 0, 0)
          : "";
  PQclear(r);
  PQfinish(c);
  return out;
}

void Exec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  PQclear(PQexec(c, sql.c_str()));
  PQfinish(c);
}

TEST(PostgresRoleTest, SetsAScramVerifierForAnOddlyNamedRole) {
  auto url = PgUrl();
  if (!url) GTEST_SKIP() << "DAI_TEST_PG_URL_FILE not set";
  const std::string role = "rot\"ated role;x";
  Exec(*url, "DROP ROLE IF EXISTS \"rot\"\"ated role;x\"");
  Exec(*url, "CREATE ROLE \"rot\"\"ated role;x\" LOGIN PASSWORD 'initial-password'");
  const std::string sql = "SELECT rolpassword FROM pg_authid WHERE rolname = $1";
  const std::string before = QueryOne(*url, sql, role);
  ASSERT_FALSE(before.empty());
  PostgresRole pg(*url, role, std::chrono::seconds(5));
  EXPECT_NE(pg.Describe().find("rot\"ated role;x"), std::string::npos);
  EXPECT_EQ(pg.Describe().find("password"), std::string::npos);
  ASSERT_TRUE(pg.Check().ok());
  ASSERT_TRUE(pg.SetPassword("Brand-new-secret-1234").ok());
  const std::string after = QueryOne(*url, sql, role);
  EXPECT_EQ(after.rfind("SCRAM-SHA-256$", 0), 0u) << after;
  EXPECT_NE(after, before);
  EXPECT_EQ(after.find("Brand-new"), std::string::npos);
  Exec(*url, "DROP ROLE IF EXISTS \"rot\"\"ated role;x\"");

  PostgresRole missing(*url, "no_such_role_here", std::chrono::seconds(5));
  EXPECT_EQ(missing.Check().code(), StatusCode::kNotFound);
  PostgresRole down("postgresql://postgres@127.0.0.1:1/postgres", "x", std::chrono::seconds(2));
  EXPECT_EQ(down.Check().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace dai::secretrotate
