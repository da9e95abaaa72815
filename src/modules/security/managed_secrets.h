// ManagedSecretService (issue #7, router securityGuardian): secrets the platform rotates.
// A managed secret is a name, a provider (postgres | file | kubernetes | webhook) and the
// provider's configuration; its current value is kept encrypted (libsodium secretbox, key file
// outside the database: adapters/secretrotate/secret_box.h) and is never returned, logged or
// audited. Credentials inside a configuration (a PostgreSQL admin URL, a webhook signing
// secret) are sealed the same way and shown as "<redacted>".
// rotateSecrets generates a new value (libsodium CSPRNG) and writes it through the provider:
//  - file / kubernetes: the file (atomic replace, mode and owner kept) or the Secret's data key;
//  - webhook: a signed POST; a non-2xx answer fails the rotation, the old value stays current;
//  - postgres: two-phase — the consumer's copy (a file or a Kubernetes Secret) is written first
//    (the rotation row says consumer_updated: pending), then ALTER ROLE with a SCRAM verifier,
//    then the new value is committed; when ALTER ROLE fails the consumer is restored.
// Every attempt is a secret_rotations row and an audit_log row (who, which secret, provider,
// result); dryRun checks the targets and says what would change, changing nothing.
// Thread-safety: safe for concurrent use; rotations run one at a time per process, and a
// rotation row in progress (another instance) makes a second rotation of that secret CONFLICT.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/http/http_client.h"
#include "adapters/secretrotate/secret_box.h"
#include "core/clock.h"
#include "core/json.h"
#include "registry/procedure.h"
#include "store/database.h"

namespace dai::kube {
class KubeClient;
}

namespace dai::security {

struct ManagedSecretOptions {
  //! The secretbox key file (created 0600 on first use). Must lie outside the database.
  std::string key_file;
  //! The Kubernetes integration (null: kubernetes secrets and consumers are refused).
  std::shared_ptr<const kube::KubeClient> kube;
  //! The outbound client settings for webhook providers (policy: link-local and metadata
  //! addresses refused); a provider's timeoutSeconds overrides total_timeout.
  http::HttpClientOptions webhook_http;
};

class ManagedSecretService {
 public:
  ManagedSecretService(store::Database& db, const Clock& clock, ManagedSecretOptions options);

  //! Validates and stores a managed secret (no value yet: the first rotation sets one).
  //! INVALID_ARGUMENT naming the field; CONFLICT when the name exists.
  Result<Json> Register(const Json& input, const std::string& actor);
  Result<Json> List();
  //! One secret with its recent rotations. NOT_FOUND for an unknown name.
  Result<Json> Get(const std::string& name);
  Status Delete(const std::string& name);
  //! Rotates `name` (which must be managed by `provider`). See the file comment.
  Result<Json> Rotate(const std::string& provider, const std::string& name, bool dry_run,
                      const Identity& who);

  void RegisterProcedures(ProcedureRegistry& registry);

 private:
  Result<const secretrotate::SecretBox*> Box();
  Json Redacted(const Json& stored_config) const;
  Result<Json> ItemJson(const store::Row& row);
  void Audit(const Identity& who, const Json& detail, const std::string& outcome);

  store::Database& db_;
  const Clock& clock_;
  ManagedSecretOptions options_;
  std::mutex box_mu_;
  std::optional<secretrotate::SecretBox> box_;
  std::mutex rotate_mu_;
};

}  // namespace dai::security
