// Where rotated secret values go (issue #7, rotateSecrets). A SecretWriter is one place a
// secret's value lives: an application's file, a Kubernetes Secret's data key, a webhook
// receiver. Write() replaces the value; Restore() puts back what the last Write() replaced, so
// a rotation that fails half-way leaves the consumer as it was. PostgresRole changes a role's
// password. None of them ever logs a value or puts one in an error message.
// Thread-safety: a writer belongs to one rotation (one thread) at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "adapters/http/http_client.h"
#include "core/clock.h"
#include "core/status.h"

namespace dai::kube {
class KubeClient;
}

namespace dai::secretrotate {

class SecretWriter {
 public:
  virtual ~SecretWriter() = default;
  //! "file /etc/app/db.env (line DB_PASSWORD=)": what Write would change, for dry runs.
  virtual std::string Describe() const = 0;
  //! Checks that Write can work (target exists, is writable, is reachable) without changing it.
  virtual Status Check() = 0;
  //! Replaces the value. On failure nothing was changed.
  virtual Status Write(const std::string& value) = 0;
  //! Puts back the state before the last successful Write. FAILED_PRECONDITION when there is
  //! nothing to restore or the target cannot be restored (a webhook).
  virtual Status Restore() = 0;
};

//! A file on disk: the whole file is the value, or with `env_key` one KEY=value line of an
//! env-style file is replaced (appended when missing; an "export " prefix is kept). The file must
//! exist and be a regular file (a symbolic link is refused: replacing it would replace the link).
//! Replacement is atomic: a temporary file in the same directory with the original's mode and
//! owner, fsync, rename over the original, fsync of the directory.
class FileSecretWriter final : public SecretWriter {
 public:
  FileSecretWriter(std::string path, std::string env_key)
      : path_(std::move(path)), env_key_(std::move(env_key)) {}
  std::string Describe() const override;
  Status Check() override;
  Status Write(const std::string& value) override;
  Status Restore() override;

  //! `content` with the KEY=... line replaced by KEY=value (or appended). Pure.
  static std::string ReplaceEnvLine(const std::string& content, const std::string& key,
                                    const std::string& value);

 private:
  std::string path_;
  std::string env_key_;
  std::optional<std::string> previous_;  //!< the file's content before the last Write
};

//! Atomically replaces `path` (an existing regular file) with `content`, keeping its mode and
//! owner. FAILED_PRECONDITION naming the path and the failing step.
Status ReplaceFileAtomically(const std::string& path, const std::string& content);

//! One data key of a Kubernetes Secret, through the Kubernetes adapter: GET the Secret, then a
//! merge patch of data.<key> (base64, as the API requires) carrying the resourceVersion that was
//! read; a 409 Conflict (someone changed the Secret meanwhile) is retried with a fresh read, up
//! to 5 times.
class KubeSecretWriter final : public SecretWriter {
 public:
  KubeSecretWriter(std::shared_ptr<const kube::KubeClient> client, std::string ns, std::string name,
                   std::string key)
      : client_(std::move(client)),
        ns_(std::move(ns)),
        name_(std::move(name)),
        key_(std::move(key)) {}
  std::string Describe() const override;
  Status Check() override;
  Status Write(const std::string& value) override;
  Status Restore() override;

 private:
  //! Sets data.<key> to `encoded` (base64) or removes it (nullopt).
  Status Patch(const std::optional<std::string>& encoded);
  std::shared_ptr<const kube::KubeClient> client_;
  std::string ns_, name_, key_;
  bool written_ = false;
  std::optional<std::string> previous_;  //!< data.<key> (base64) before the last Write
};

//! POSTs {event: "secret.rotated", secret, version, value} to a URL through the one outbound
//! HttpClient (its policy refuses link-local and cloud-metadata addresses before connecting),
//! signed like the notifications webhook: X-DevOps-AI-Timestamp and X-DevOps-AI-Signature
//! "sha256=" + hex(HMAC-SHA256(signing_secret, timestamp + "." + body)). A non-2xx answer is
//! UNAVAILABLE naming the status only (the receiver's body is not repeated: it could echo the
//! value). It cannot be restored.
class WebhookSecretWriter final : public SecretWriter {
 public:
  WebhookSecretWriter(http::HttpClientOptions options, const Clock& clock, std::string url,
                      std::string signing_secret, std::string secret_name, int64_t version)
      : client_(std::move(options)),
        clock_(clock),
        url_(std::move(url)),
        signing_secret_(std::move(signing_secret)),
        secret_name_(std::move(secret_name)),
        version_(version) {}
  std::string Describe() const override;
  Status Check() override;
  Status Write(const std::string& value) override;
  Status Restore() override;

 private:
  http::HttpClient client_;
  const Clock& clock_;
  std::string url_, signing_secret_, secret_name_;
  int64_t version_;
};

//! Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

//! A PostgreSQL role's password, changed through an administrative connection (`admin_url`, a
//! libpq connection string or URL of a role allowed to ALTER ROLE).
class PostgresRole {
 public:
  PostgresRole(std::string admin_url, std::string role, std::chrono::seconds timeout)
      : admin_url_(std::move(admin_url)), role_(std::move(role)), timeout_(timeout) {}
  //! "role app_user on 127.0.0.1:5432/postgres" (no credentials).
  std::string Describe() const;
  //! Connects and checks that the role exists. UNAVAILABLE when the connection fails,
  //! NOT_FOUND when the role does not exist.
  Status Check() const;
  //! ALTER ROLE <PQescapeIdentifier(role)> PASSWORD '<SCRAM-SHA-256 verifier>': the verifier
  //! is computed client-side with PQencryptPasswordConn, so the clear text never enters SQL
  //! text or the server's logs.
  Status SetPassword(const std::string& password) const;

 private:
  std::string admin_url_, role_;
  std::chrono::seconds timeout_;
};

}  // namespace dai::secretrotate
