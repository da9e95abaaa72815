#include "adapters/secretrotate/secret_writers.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "adapters/kubernetes/kube_client.h"
#include "adapters/secretrotate/secret_box.h"
#include "core/json.h"

namespace dai::secretrotate {
namespace {

constexpr size_t kMaxFileBytes = size_t{1} << 20;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

Status Errno(const std::string& path, const char* step) {
  return Status::FailedPrecondition("file " + Quoted(path) + ": " + step + ": " +
                                    std::strerror(errno));
}

Result<std::string> ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Errno(path, "cannot open");
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const Status st = Errno(path, "cannot read");
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxFileBytes) {
      ::close(fd);
      return Status::FailedPrecondition("file " + Quoted(path) + ": larger than 1 MiB");
    }
  }
  ::close(fd);
  return out;
}

Status CheckRegularFile(const std::string& path, struct stat* out) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Errno(path, "cannot stat");
  if (S_ISLNK(st.st_mode)) {
    return Status::FailedPrecondition("file " + Quoted(path) +
                                      ": is a symbolic link (name the file it points to)");
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::FailedPrecondition("file " + Quoted(path) + ": not a regular file");
  }
  if (out != nullptr) *out = st;
  return Status::Ok();
}

bool IsEnvKeyChar(char c, bool first) {
  return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (!first && c >= '0' && c <= '9');
}

}  // namespace

// ---- file

Status ReplaceFileAtomically(const std::string& path, const std::string& content) {
  struct stat st {};
  DAI_RETURN_IF_ERROR(CheckRegularFile(path, &st));
  const std::filesystem::path p(path);
  std::string tmpl = (p.parent_path() / ("." + p.filename().string() + ".rotate-XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return Errno(path, "cannot create a temporary file beside it");
  const std::string tmp(name.data());
  auto fail = [&](const char* step) {
    const Status st2 = Errno(path, step);
    ::close(fd);
    ::unlink(tmp.c_str());
    return st2;
  };
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write the temporary file");
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, st.st_mode & 07777) != 0) return fail("cannot set the mode");
  if (::fchown(fd, st.st_uid, st.st_gid) != 0) return fail("cannot keep the owner");
  if (::fsync(fd) != 0) return fail("cannot fsync");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Errno(path, "cannot close the temporary file");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const Status st2 = Errno(path, "cannot rename over it");
    ::unlink(tmp.c_str());
    return st2;
  }
  const int dfd = ::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

std::string FileSecretWriter::ReplaceEnvLine(const std::string& content, const std::string& key,
                                             const std::string& value) {
  std::string out;
  bool replaced = false;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    const bool has_nl = end != std::string::npos;
    if (!has_nl) end = content.size();
    const std::string_view line(content.data() + pos, end - pos);
    size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t indent = i;
    std::string_view rest = line.substr(i);
    std::string prefix(line.substr(0, indent));
    if (rest.substr(0, 7) == "export ") {
      prefix += "export ";
      rest.remove_prefix(7);
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    }
    bool match = false;
    if (!replaced && rest.substr(0, key.size()) == key) {
      std::string_view after = rest.substr(key.size());
      while (!after.empty() && (after.front() == ' ' || after.front() == '\t'))
        after.remove_prefix(1);
      match = !after.empty() && after.front() == '=';
    }
    if (match) {
      out += prefix + key + "=" + value;
      replaced = true;
    } else {
      out += line;
    }
    if (has_nl) out += '\n';
    pos = has_nl ? end + 1 : end;
  }
  if (!replaced) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += key + "=" + value + "\n";
  }
  return out;
}

std::string FileSecretWriter::Describe() const {
  return "file " + Quoted(path_) +
         (env_key_.empty() ? " (whole content)" : " (line " + env_key_ + "=)");
}

Status FileSecretWriter::Check() {
  if (!env_key_.empty()) {
    for (size_t i = 0; i < env_key_.size(); ++i) {
      if (!IsEnvKeyChar(env_key_[i], i == 0))
        return Status::InvalidArgument("key: not an environment variable name");
    }
  }
  DAI_RETURN_IF_ERROR(CheckRegularFile(path_, nullptr));
  if (::access(path_.c_str(), W_OK) != 0) return Errno(path_, "not writable");
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  if (::access(dir.c_str(), W_OK) != 0) return Errno(dir, "directory not writable");
  return ReadSmallFile(path_).status();
}

Status FileSecretWriter::Write(const std::string& value) {
  DAI_RETURN_IF_ERROR(Check());
  DAI_ASSIGN_OR_RETURN(std::string old, ReadSmallFile(path_));
  const std::string next = env_key_.empty() ? value : ReplaceEnvLine(old, env_key_, value);
  DAI_RETURN_IF_ERROR(ReplaceFileAtomically(path_, next));
  previous_ = std::move(old);
  return Status::Ok();
}

Status FileSecretWriter::Restore() {
  if (!previous_) return Status::FailedPrecondition(Describe() + ": nothing to restore");
  DAI_RETURN_IF_ERROR(ReplaceFileAtomically(path_, *previous_));
  previous_.reset();
  return Status::Ok();
}

// ---- Kubernetes

std::string KubeSecretWriter::Describe() const {
  return "Kubernetes Secret " + ns_ + "/" + name_ + " (data key " + key_ + ")";
}

Status KubeSecretWriter::Check() {
  if (!client_) {
    return Status::FailedPrecondition(
        "Kubernetes is not configured (setting kubeconfig): cannot reach Secret " + ns_ + "/" +
        name_);
  }
  const kube::ResourceRef* ref = kube::FindResource("secrets");
  return client_->Get(*ref, ns_, name_).status();
}

Status KubeSecretWriter::Patch(const std::optional<std::string>& encoded) {
  const kube::ResourceRef* ref = kube::FindResource("secrets");
  Status last = Status::Ok();
  for (int attempt = 0; attempt < 5; ++attempt) {
    DAI_ASSIGN_OR_RETURN(Json secret, client_->Get(*ref, ns_, name_));
    const std::string rv = secret["metadata"].value("resourceVersion", std::string());
    if (!written_) {
      const Json& data = secret.contains("data") ? secret["data"] : Json::object();
      if (data.is_object() && data.contains(key_) && data[key_].is_string())
        previous_ = data[key_].get<std::string>();
      else
        previous_.reset();
    }
    Json patch = {{"metadata", {{"resourceVersion", rv}}},
                  {"data", {{key_, encoded ? Json(*encoded) : Json(nullptr)}}}};
    auto r = client_->Patch(*ref, ns_, name_, patch, kube::PatchType::kMerge);
    if (r.ok()) return Status::Ok();
    last = r.status();
    if (last.code() != StatusCode::kConflict) return last;
  }
  return last.WithContext("Secret " + ns_ + "/" + name_ + " kept changing (5 conflicts)");
}

Status KubeSecretWriter::Write(const std::string& value) {
  if (!client_) return Check();
  written_ = false;
  DAI_RETURN_IF_ERROR(Patch(Base64Encode(value)));
  written_ = true;
  return Status::Ok();
}

Status KubeSecretWriter::Restore() {
  if (!written_) return Status::FailedPrecondition(Describe() + ": nothing to restore");
  DAI_RETURN_IF_ERROR(Patch(previous_));
  written_ = false;
  return Status::Ok();
}

// ---- webhook

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  if (sodium_init() < 0) std::abort();
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

std::string WebhookSecretWriter::Describe() const {
  return "webhook POST " + http::RedactUrl(url_);
}

Status WebhookSecretWriter::Check() {
  if (url_.rfind("http://", 0) != 0 && url_.rfind("https://", 0) != 0)
    return Status::InvalidArgument("url: must be an http:// or https:// URL");
  return Status::Ok();
}

Status WebhookSecretWriter::Write(const std::string& value) {
  DAI_RETURN_IF_ERROR(Check());
  http::HttpClientRequest req;
  req.method = "POST";
  req.url = url_;
  req.body = DumpJson(Json{{"event", "secret.rotated"},
                           {"secret", secret_name_},
                           {"version", version_},
                           {"value", value}});
  const std::string ts = std::to_string(ToUnixMillis(clock_.Now()) / 1000);
  req.headers = {{"Content-Type", "application/json"}, {"X-DevOps-AI-Timestamp", ts}};
  if (!signing_secret_.empty()) {
    req.headers.emplace_back("X-DevOps-AI-Signature",
                             "sha256=" + HmacSha256Hex(signing_secret_, ts + "." + req.body));
  }
  auto resp = client_.Send(req);
  sodium_memzero(req.body.data(), req.body.size());
  if (!resp.ok()) return resp.status().WithContext(Describe());
  if (resp->status < 200 || resp->status >= 300) {
    return Status::Unavailable(Describe() + ": answered HTTP " + std::to_string(resp->status));
  }
  return Status::Ok();
}

Status WebhookSecretWriter::Restore() {
  return Status::FailedPrecondition(Describe() + ": a webhook cannot be restored");
}

// ---- PostgreSQL

namespace {

struct PgConn {
  PGconn* conn = nullptr;
  ~PgConn() {
    if (conn != nullptr) PQfinish(conn);
  }
};

// A connection with bounded connect and statement time; UNAVAILABLE naming the target (never
// the connection string, which may hold a password).
Status Connect(const std::string& url, std::chrono::seconds timeout, const std::string& what,
               PgConn* out) {
  const std::string secs = std::to_string(std::max<int64_t>(1, timeout.count()));
  const std::string opts = "-c statement_timeout=" + std::to_string(timeout.count() * 1000);
  const char* keys[] = {"dbname", "connect_timeout", "options", "application_name", nullptr};
  const char* values[] = {url.c_str(), secs.c_str(), opts.c_str(), "devops-ai-rotation", nullptr};
  out->conn = PQconnectdbParams(keys, values, 1);
  if (out->conn == nullptr || PQstatus(out->conn) != CONNECTION_OK) {
    std::string msg = out->conn ? PQerrorMessage(out->conn) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return Status::Unavailable(what + ": cannot connect: " + msg);
  }
  return Status::Ok();
}

}  // namespace

std::string PostgresRole::Describe() const {
  std::string where = "?";
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(admin_url_.c_str(), &err);
  if (err != nullptr) PQfreemem(err);
  if (opts != nullptr) {
    std::string host, port, db;
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (o->val == nullptr) continue;
      if (std::strcmp(o->keyword, "host") == 0) host = o->val;
      if (std::strcmp(o->keyword, "hostaddr") == 0 && host.empty()) host = o->val;
      if (std::strcmp(o->keyword, "port") == 0) port = o->val;
      if (std::strcmp(o->keyword, "dbname") == 0) db = o->val;
    }
    PQconninfoFree(opts);
    where = (host.empty() ? "localhost" : host) + (port.empty() ? "" : ":" + port) +
            (db.empty() ? "" : "/" + db);
  }
  return "PostgreSQL role " + Quoted(role_) + " on " + where;
}

Status PostgresRole::Check() const {
  PgConn c;
  DAI_RETURN_IF_ERROR(Connect(admin_url_, timeout_, Describe(), &c));
  const char* params[] = {role_.c_str()};
  PGresult* r = PQexecParams(c.conn, "SELECT 1 FROM pg_roles WHERE rolname = $1", 1, nullptr,
                             params, nullptr, nullptr, 0);
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  const int rows = ok ? PQntuples(r) : 0;
  std::string msg = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) return Status::Unavailable(Describe() + ": " + msg);
  if (rows == 0) return Status::NotFound(Describe() + ": no such role");
  return Status::Ok();
}

Status PostgresRole::SetPassword(const std::string& password) const {
  PgConn c;
  DAI_RETURN_IF_ERROR(Connect(admin_url_, timeout_, Describe(), &c));
  char* verifier = PQencryptPasswordConn(c.conn, password.c_str(), role_.c_str(), "scram-sha-256");
  if (verifier == nullptr) {
    return Status::Internal(Describe() +
                            ": cannot compute the SCRAM verifier: " + PQerrorMessage(c.conn));
  }
  char* ident = PQescapeIdentifier(c.conn, role_.c_str(), role_.size());
  char* literal = PQescapeLiteral(c.conn, verifier, std::strlen(verifier));
  PQfreemem(verifier);
  if (ident == nullptr || literal == nullptr) {
    if (ident) PQfreemem(ident);
    if (literal) PQfreemem(literal);
    return Status::InvalidArgument(Describe() + ": cannot quote the role name");
  }
  const std::string sql = std::string("ALTER ROLE ") + ident + " PASSWORD " + literal;
  PQfreemem(ident);
  PQfreemem(literal);
  PGresult* r = PQexec(c.conn, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string msg = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (!ok) return Status::FailedPrecondition(Describe() + ": ALTER ROLE failed: " + msg);
  return Status::Ok();
}

}  // namespace dai::secretrotate
