// Managed secrets and rotateSecrets (issue #7). See managed_secrets.h.
#include "modules/security/managed_secrets.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>

#include "adapters/kubernetes/kube_client.h"
#include "adapters/secretrotate/secret_writers.h"
#include "registry/schema.h"
#include "store/audit_repository.h"

namespace dai::security {
namespace {

using secretrotate::SecretWriter;
constexpr const char* kRedacted = "<redacted>";
constexpr auto kStaleRotation = std::chrono::minutes(10);

std::string Q(const std::string& s) { return DumpJson(Json(s)); }

bool ValidName(const std::string& s, size_t max, bool allow_slash = false) {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           (allow_slash && c == '/');
  });
}

// Reads config fields with clear messages naming input.config.<field>.
class ConfigReader {
 public:
  ConfigReader(const Json& config, std::string prefix) : c_(config), prefix_(std::move(prefix)) {}
  Status AllowOnly(std::initializer_list<const char*> keys) const {
    if (!c_.is_object()) return Status::InvalidArgument(prefix_ + ": must be an object");
    for (auto it = c_.begin(); it != c_.end(); ++it) {
      if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return it.key() == k; })) {
        std::string list;
        for (const char* k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
        return Status::InvalidArgument(prefix_ + "." + it.key() +
                                       ": unknown field (allowed: " + list + ")");
      }
    }
    return Status::Ok();
  }
  Result<std::string> Str(const char* key, bool required, size_t max = 1024) const {
    if (!c_.contains(key)) {
      if (required) return Status::InvalidArgument(prefix_ + "." + key + ": required");
      return std::string();
    }
    if (!c_[key].is_string() || c_[key].get<std::string>().empty() ||
        c_[key].get<std::string>().size() > max ||
        c_[key].get<std::string>().find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      return Status::InvalidArgument(prefix_ + "." + key +
                                     ": must be a single-line string of 1 to " +
                                     std::to_string(max) + " characters");
    }
    return c_[key].get<std::string>();
  }
  Result<int64_t> Int(const char* key, int64_t min, int64_t max, int64_t def) const {
    if (!c_.contains(key)) return def;
    if (!c_[key].is_number_integer() || c_[key].get<int64_t>() < min ||
        c_[key].get<int64_t>() > max) {
      return Status::InvalidArgument(prefix_ + "." + key + ": must be an integer from " +
                                     std::to_string(min) + " to " + std::to_string(max));
    }
    return c_[key].get<int64_t>();
  }
  const std::string& prefix() const { return prefix_; }

 private:
  const Json& c_;
  std::string prefix_;
};

Status ValidateFileTarget(const ConfigReader& r, Json* out) {
  DAI_ASSIGN_OR_RETURN(std::string path, r.Str("path", true, 4096));
  const bool dotdot = path.find("/../") != std::string::npos ||
                      (path.size() >= 3 && path.compare(path.size() - 3, 3, "/..") == 0);
  if (path.front() != '/' || dotdot) {
    return Status::InvalidArgument(r.prefix() + ".path: must be an absolute path without ..");
  }
  (*out)["path"] = path;
  DAI_ASSIGN_OR_RETURN(std::string key, r.Str("key", false, 200));
  if (!key.empty()) {
    const bool ok = (std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_') &&
                    std::all_of(key.begin(), key.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                    });
    if (!ok)
      return Status::InvalidArgument(r.prefix() + ".key: must be an environment variable name");
    (*out)["key"] = key;
  }
  return Status::Ok();
}

Status ValidateKubeTarget(const ConfigReader& r, Json* out) {
  DAI_ASSIGN_OR_RETURN(std::string ns, r.Str("namespace", true, 63));
  DAI_ASSIGN_OR_RETURN(std::string name, r.Str("name", true, 253));
  DAI_ASSIGN_OR_RETURN(std::string key, r.Str("key", true, 253));
  if (!ValidName(ns, 63))
    return Status::InvalidArgument(r.prefix() + ".namespace: not a namespace name");
  if (!ValidName(name, 253))
    return Status::InvalidArgument(r.prefix() + ".name: not a Secret name");
  if (!ValidName(key, 253))
    return Status::InvalidArgument(r.prefix() + ".key: a data key is [-._a-zA-Z0-9]+");
  (*out)["namespace"] = ns;
  (*out)["name"] = name;
  (*out)["key"] = key;
  return Status::Ok();
}

bool IsSealed(const Json& v) { return v.is_object() && v.contains("sealed"); }

// The configuration as stored: validated, normalised, credentials sealed.
Result<Json> ValidateConfig(const std::string& provider, const Json& config,
                            const secretrotate::SecretBox& box) {
  const ConfigReader r(config, "input.config");
  Json out = Json::object();
  auto common = [&]() -> Status {
    DAI_ASSIGN_OR_RETURN(int64_t length, r.Int("length", 16, 256, 32));
    out["length"] = length;
    DAI_ASSIGN_OR_RETURN(std::string alphabet, r.Str("alphabet", false, 20));
    if (alphabet.empty()) alphabet = "alnum";
    if (!secretrotate::ParseAlphabet(alphabet).ok())
      return Status::InvalidArgument("input.config.alphabet: one of alnum, base64url, hex");
    out["alphabet"] = alphabet;
    return Status::Ok();
  };
  if (provider == "file") {
    DAI_RETURN_IF_ERROR(r.AllowOnly({"path", "key", "length", "alphabet"}));
    DAI_RETURN_IF_ERROR(ValidateFileTarget(r, &out));
  } else if (provider == "kubernetes") {
    DAI_RETURN_IF_ERROR(r.AllowOnly({"namespace", "name", "key", "length", "alphabet"}));
    DAI_RETURN_IF_ERROR(ValidateKubeTarget(r, &out));
  } else if (provider == "webhook") {
    DAI_RETURN_IF_ERROR(
        r.AllowOnly({"url", "signingSecret", "timeoutSeconds", "length", "alphabet"}));
    DAI_ASSIGN_OR_RETURN(std::string url, r.Str("url", true, 2048));
    if ((url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) ||
        url.find_first_of(" \t") != std::string::npos) {
      return Status::InvalidArgument("input.config.url: an http:// or https:// URL");
    }
    out["url"] = url;
    DAI_ASSIGN_OR_RETURN(std::string signing, r.Str("signingSecret", true, 512));
    if (signing.size() < 16)
      return Status::InvalidArgument("input.config.signingSecret: 16 to 512 characters");
    out["signingSecret"] = {{"sealed", box.Seal(signing)}};
    DAI_ASSIGN_OR_RETURN(int64_t timeout, r.Int("timeoutSeconds", 1, 120, 10));
    out["timeoutSeconds"] = timeout;
  } else if (provider == "postgres") {
    DAI_RETURN_IF_ERROR(
        r.AllowOnly({"adminUrl", "role", "consumer", "timeoutSeconds", "length", "alphabet"}));
    DAI_ASSIGN_OR_RETURN(std::string admin, r.Str("adminUrl", true, 2048));
    out["adminUrl"] = {{"sealed", box.Seal(admin)}};
    DAI_ASSIGN_OR_RETURN(std::string role, r.Str("role", true, 63));
    out["role"] = role;
    DAI_ASSIGN_OR_RETURN(int64_t timeout, r.Int("timeoutSeconds", 1, 120, 10));
    out["timeoutSeconds"] = timeout;
    if (!config.contains("consumer")) {
      return Status::InvalidArgument(
          "input.config.consumer: required: where the application reads the password "
          "({type: \"file\", path, key?} or {type: \"kubernetes\", namespace, name, key}); it is "
          "updated before the role so nothing breaks");
    }
    const Json& consumer = config["consumer"];
    const ConfigReader cr(consumer, "input.config.consumer");
    Json c = Json::object();
    const std::string type =
        consumer.is_object() && consumer.contains("type") && consumer["type"].is_string()
            ? consumer["type"].get<std::string>()
            : "";
    if (type == "file") {
      DAI_RETURN_IF_ERROR(cr.AllowOnly({"type", "path", "key"}));
      DAI_RETURN_IF_ERROR(ValidateFileTarget(cr, &c));
    } else if (type == "kubernetes") {
      DAI_RETURN_IF_ERROR(cr.AllowOnly({"type", "namespace", "name", "key"}));
      DAI_RETURN_IF_ERROR(ValidateKubeTarget(cr, &c));
    } else {
      return Status::InvalidArgument("input.config.consumer.type: \"file\" or \"kubernetes\"");
    }
    c["type"] = type;
    out["consumer"] = c;
  } else {
    return Status::InvalidArgument("input.provider: one of postgres, file, kubernetes, webhook");
  }
  DAI_RETURN_IF_ERROR(common());
  return out;
}

Result<std::string> Unsealed(const Json& config, const char* key,
                             const secretrotate::SecretBox& box) {
  if (!config.contains(key) || !IsSealed(config[key])) return std::string();
  auto plain = box.Unseal(config[key]["sealed"].get<std::string>());
  if (!plain.ok()) {
    return Status::FailedPrecondition(std::string("stored config.") + key +
                                      ": cannot be decrypted with the current secrets key (was "
                                      "the key file replaced?)");
  }
  return plain;
}

std::unique_ptr<SecretWriter> TargetWriter(const Json& t,
                                           std::shared_ptr<const kube::KubeClient> kube) {
  if (t.contains("path")) {
    return std::make_unique<secretrotate::FileSecretWriter>(t["path"].get<std::string>(),
                                                            t.value("key", std::string()));
  }
  return std::make_unique<secretrotate::KubeSecretWriter>(
      std::move(kube), t["namespace"].get<std::string>(), t["name"].get<std::string>(),
      t["key"].get<std::string>());
}

Json RotationJson(const store::Row& r) {
  auto done = r.GetOptTime("completed_at");
  return Json{{"id", r.GetInt("id")},
              {"status", r.GetString("status")},
              {"dryRun", r.GetBool("dry_run")},
              {"error", r.IsNull("error") ? Json(nullptr) : Json(r.GetString("error"))},
              {"requestedBy", r.GetString("requested_by")},
              {"startedAt", FormatIso8601(r.GetTime("started_at"))},
              {"completedAt", done ? Json(FormatIso8601(*done)) : Json(nullptr)}};
}

constexpr const char* kSecretCols =
    "id, name, provider, config, version, last_rotated_at, created_by, created_at, updated_at";
constexpr const char* kRotationCols =
    "id, status, dry_run, error, requested_by, started_at, completed_at";

}  // namespace

ManagedSecretService::ManagedSecretService(store::Database& db, const Clock& clock,
                                           ManagedSecretOptions options)
    : db_(db), clock_(clock), options_(std::move(options)) {}

Result<const secretrotate::SecretBox*> ManagedSecretService::Box() {
  std::lock_guard<std::mutex> lock(box_mu_);
  if (!box_) {
    if (options_.key_file.empty())
      return Status::FailedPrecondition("setting secrets_key_file: not set");
    DAI_ASSIGN_OR_RETURN(secretrotate::SecretBox box,
                         secretrotate::SecretBox::Open(options_.key_file, true));
    box_ = box;
  }
  return &*box_;
}

Json ManagedSecretService::Redacted(const Json& stored) const {
  Json out = stored;
  for (auto it = out.begin(); it != out.end(); ++it) {
    if (IsSealed(*it)) *it = kRedacted;
  }
  return out;
}

Result<Json> ManagedSecretService::ItemJson(const store::Row& r) {
  Json config = ParseJson(r.GetString("config")).value_or(Json::object());
  auto rotated = r.GetOptTime("last_rotated_at");
  Json item{{"id", r.GetInt("id")},
            {"name", r.GetString("name")},
            {"provider", r.GetString("provider")},
            {"config", Redacted(config)},
            {"version", r.GetInt("version")},
            {"lastRotatedAt", rotated ? Json(FormatIso8601(*rotated)) : Json(nullptr)},
            {"createdBy", r.GetString("created_by")},
            {"createdAt", FormatIso8601(r.GetTime("created_at"))},
            {"updatedAt", FormatIso8601(r.GetTime("updated_at"))},
            {"lastRotation", nullptr}};
  DAI_ASSIGN_OR_RETURN(auto last,
                       db_.Query(std::string("SELECT ") + kRotationCols +
                                     " FROM secret_rotations WHERE secret_id = ? ORDER BY id "
                                     "DESC LIMIT 1",
                                 {r.GetInt("id")}));
  if (!last.rows.empty()) item["lastRotation"] = RotationJson(last.rows[0]);
  return item;
}

Result<Json> ManagedSecretService::Register(const Json& in, const std::string& actor) {
  const std::string name = in["name"].get<std::string>();
  if (!ValidName(name, 200, true))
    return Status::InvalidArgument("input.name: letters, digits, '-', '_', '.', '/' only");
  const std::string provider = in["provider"].get<std::string>();
  DAI_ASSIGN_OR_RETURN(const secretrotate::SecretBox* box, Box());
  DAI_ASSIGN_OR_RETURN(Json config, ValidateConfig(provider, in["config"], *box));
  if (provider == "kubernetes" ||
      (provider == "postgres" && config["consumer"]["type"] == "kubernetes")) {
    if (!options_.kube) {
      return Status::FailedPrecondition(
          "input.config: a Kubernetes Secret needs the Kubernetes integration (setting "
          "kubeconfig)");
    }
  }
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(auto ins,
                       db_.Query("INSERT INTO managed_secrets (name, provider, config, created_by, "
                                 "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                                 {name, provider, DumpJson(config), actor, now, now}));
  (void)ins;
  return Get(name);
}

Result<Json> ManagedSecretService::List() {
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kSecretCols +
                                            " FROM managed_secrets ORDER BY name"));
  Json items = Json::array();
  for (const auto& r : rows.rows) {
    DAI_ASSIGN_OR_RETURN(Json item, ItemJson(r));
    items.push_back(std::move(item));
  }
  return Json{{"items", items}};
}

Result<Json> ManagedSecretService::Get(const std::string& name) {
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kSecretCols +
                                                " FROM managed_secrets WHERE name = ?",
                                            {name}));
  if (rows.rows.empty()) return Status::NotFound("managed secret " + Q(name) + " does not exist");
  DAI_ASSIGN_OR_RETURN(Json item, ItemJson(rows.rows[0]));
  DAI_ASSIGN_OR_RETURN(auto rot, db_.Query(std::string("SELECT ") + kRotationCols +
                                               " FROM secret_rotations WHERE secret_id = ? ORDER "
                                               "BY id DESC LIMIT 20",
                                           {item["id"].get<int64_t>()}));
  item["rotations"] = Json::array();
  for (const auto& r : rot.rows) item["rotations"].push_back(RotationJson(r));
  return item;
}

Status ManagedSecretService::Delete(const std::string& name) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("DELETE FROM managed_secrets WHERE name = ?", {name}));
  if (r.affected_rows == 0)
    return Status::NotFound("managed secret " + Q(name) + " does not exist");
  return Status::Ok();
}

void ManagedSecretService::Audit(const Identity& who, const Json& detail,
                                 const std::string& outcome) {
  store::AuditEntry e;
  e.at = clock_.Now();
  e.actor = who.username.empty() ? "system" : who.username;
  e.actor_type = who.method == AuthMethod::kApiToken  ? "token"
                 : who.method == AuthMethod::kSession ? "user"
                                                      : "system";
  e.procedure = "securityGuardian.rotateSecrets";
  e.outcome = outcome;
  e.detail = DumpJson(detail);
  (void)store::AuditRepository(db_).Append(e);
}

Result<Json> ManagedSecretService::Rotate(const std::string& provider, const std::string& name,
                                          bool dry_run, const Identity& who) {
  std::lock_guard<std::mutex> lock(rotate_mu_);
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kSecretCols +
                                                " FROM managed_secrets WHERE name = ?",
                                            {name}));
  if (rows.rows.empty())
    return Status::NotFound("input.secretRef: managed secret " + Q(name) + " does not exist");
  const store::Row& row = rows.rows[0];
  const int64_t id = row.GetInt("id");
  const int64_t version = row.GetInt("version");
  if (row.GetString("provider") != provider) {
    return Status::InvalidArgument("input.provider: secret " + Q(name) +
                                   " is managed by provider " + Q(row.GetString("provider")) +
                                   ", not " + Q(provider));
  }
  const Json config = ParseJson(row.GetString("config")).value_or(Json::object());
  DAI_ASSIGN_OR_RETURN(const secretrotate::SecretBox* box, Box());

  // A rotation of this secret still in progress (another instance) is a conflict; one older
  // than kStaleRotation was interrupted (the process stopped) and is closed as failed.
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(auto open, db_.Query("SELECT id, started_at FROM secret_rotations WHERE "
                                            "secret_id = ? AND status IN ('started', "
                                            "'consumer_updated')",
                                            {id}));
  for (const auto& o : open.rows) {
    if (now - o.GetTime("started_at") < kStaleRotation) {
      return Status::Conflict("a rotation of " + Q(name) + " is in progress (rotation " +
                              std::to_string(o.GetInt("id")) + ")");
    }
    (void)db_.Query(
        "UPDATE secret_rotations SET status = 'failed', error = ?, completed_at = ? "
        "WHERE id = ?",
        {"interrupted (the server stopped mid-rotation): check the consumer's copy", now,
         o.GetInt("id")});
  }

  // The places the value goes.
  std::unique_ptr<SecretWriter> writer;
  std::optional<secretrotate::PostgresRole> role;
  const auto timeout = std::chrono::seconds(config.value("timeoutSeconds", int64_t{10}));
  if (provider == "file" || provider == "kubernetes") {
    writer = TargetWriter(config, options_.kube);
  } else if (provider == "webhook") {
    DAI_ASSIGN_OR_RETURN(std::string signing, Unsealed(config, "signingSecret", *box));
    http::HttpClientOptions web = options_.webhook_http;
    web.total_timeout = timeout;
    web.connect_timeout = std::min<std::chrono::milliseconds>(web.connect_timeout, timeout);
    writer = std::make_unique<secretrotate::WebhookSecretWriter>(
        web, clock_, config["url"].get<std::string>(), signing, name, version + 1);
    sodium_memzero(signing.data(), signing.size());
  } else {
    DAI_ASSIGN_OR_RETURN(std::string admin, Unsealed(config, "adminUrl", *box));
    role.emplace(admin, config["role"].get<std::string>(), timeout);
    sodium_memzero(admin.data(), admin.size());
    writer = TargetWriter(config["consumer"], options_.kube);
  }

  Json steps = Json::array();
  if (provider == "postgres") {
    steps.push_back("write the new value to the consumer, " + writer->Describe() +
                    " (pending until the role changes)");
    steps.push_back("ALTER ROLE: set the password of " + role->Describe() +
                    " (SCRAM-SHA-256 verifier computed here)");
    steps.push_back("commit the new value (version " + std::to_string(version + 1) +
                    "); on failure restore the consumer");
  } else {
    steps.push_back("write the new value to " + writer->Describe());
    steps.push_back("commit the new value (version " + std::to_string(version + 1) + ")");
  }
  Json detail{{"secret", name}, {"secretId", id}, {"provider", provider}, {"dryRun", dry_run}};

  if (dry_run) {
    Json checks = Json::array();
    bool all_ok = true;
    auto check = [&](const std::string& target, const Status& st) {
      all_ok = all_ok && st.ok();
      checks.push_back({{"target", target},
                        {"ok", st.ok()},
                        {"error", st.ok() ? Json(nullptr) : Json(st.ToString())}});
    };
    check(writer->Describe(), writer->Check());
    if (role) check(role->Describe(), role->Check());
    DAI_ASSIGN_OR_RETURN(
        auto ins,
        db_.Query(
            "INSERT INTO secret_rotations (secret_id, status, dry_run, error, requested_by, "
            "started_at, completed_at) VALUES (?, 'dry_run', ?, ?, ?, ?, ?) RETURNING id",
            {id, true, all_ok ? store::Param(nullptr) : store::Param(std::string("a check failed")),
             who.username, now, clock_.Now()}));
    const int64_t rotation_id = ins.rows.at(0).GetInt(0);
    detail["rotationId"] = rotation_id;
    detail["result"] = all_ok ? "dry_run" : "dry_run_check_failed";
    Audit(who, detail, "ok");
    return Json{{"secret", name},      {"provider", provider},      {"dryRun", true},
                {"status", "dry_run"}, {"rotationId", rotation_id}, {"version", version},
                {"wouldDo", steps},    {"checks", checks},          {"ready", all_ok}};
  }

  DAI_ASSIGN_OR_RETURN(
      auto ins, db_.Query("INSERT INTO secret_rotations (secret_id, status, dry_run, "
                          "requested_by, started_at) VALUES (?, 'started', ?, ?, ?) RETURNING id",
                          {id, false, who.username, now}));
  const int64_t rotation_id = ins.rows.at(0).GetInt(0);
  detail["rotationId"] = rotation_id;
  auto fail = [&](const Status& st) -> Status {
    const std::string msg = st.ToString().substr(0, 2000);
    (void)db_.Query(
        "UPDATE secret_rotations SET status = 'failed', error = ?, completed_at = ? "
        "WHERE id = ?",
        {msg, clock_.Now(), rotation_id});
    detail["result"] = "failed";
    detail["error"] = msg;
    Audit(who, detail, std::string(StatusCodeName(st.code())));
    return st.WithContext("rotation " + std::to_string(rotation_id) + " of " + Q(name) +
                          " failed; the old value stays current");
  };

  DAI_ASSIGN_OR_RETURN(auto alphabet,
                       secretrotate::ParseAlphabet(config.value("alphabet", "alnum")));
  std::string value = secretrotate::GenerateSecret(
      static_cast<size_t>(config.value("length", int64_t{32})), alphabet);
  const std::string sealed = box->Seal(value);
  struct Wipe {
    std::string* s;
    ~Wipe() { sodium_memzero(s->data(), s->size()); }
  } wipe{&value};

  // Phase 1: the consumer (or the provider's only target).
  Status st = writer->Write(value);
  if (!st.ok()) return fail(st);
  if (role) {
    (void)db_.Query("UPDATE secret_rotations SET status = 'consumer_updated' WHERE id = ?",
                    {rotation_id});
    // Phase 2: the role.
    st = role->SetPassword(value);
    if (!st.ok()) {
      const Status restored = writer->Restore();
      return fail(
          Status(st.code(), st.message() + (restored.ok() ? "; the consumer was restored"
                                                          : "; restoring the consumer FAILED: " +
                                                                restored.ToString())));
    }
  }
  // Phase 3: commit.
  const TimePoint done = clock_.Now();
  st = db_.Transaction([&](store::Connection& conn) -> Status {
    DAI_RETURN_IF_ERROR(conn.Query("UPDATE managed_secrets SET ciphertext = ?, version = version + "
                                   "1, last_rotated_at = ?, updated_at = ? WHERE id = ?",
                                   {sealed, done, done, id})
                            .status());
    return conn
        .Query("UPDATE secret_rotations SET status = 'completed', completed_at = ? WHERE id = ?",
               {done, rotation_id})
        .status();
  });
  if (!st.ok()) {
    if (!role) (void)writer->Restore();
    return fail(Status(st.code(), "recording the new value failed: " + st.message() +
                                      (role ? " (the role already has the new password)" : "")));
  }
  detail["result"] = "completed";
  detail["version"] = version + 1;
  Audit(who, detail, "ok");
  return Json{{"secret", name},
              {"provider", provider},
              {"dryRun", false},
              {"status", "completed"},
              {"rotationId", rotation_id},
              {"version", version + 1},
              {"done", steps},
              {"rotatedAt", FormatIso8601(done)}};
}

void ManagedSecretService::RegisterProcedures(ProcedureRegistry& registry) {
  namespace s = schema;
  const auto Qk = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  const Json provider = s::Enum({"postgres", "file", "kubernetes", "webhook"});
  const Json rotation = s::Object(
      {s::Req("id", s::Int()), s::Req("status", s::String()), s::Req("dryRun", s::Bool()),
       s::Req("error", s::Nullable(s::String())), s::Req("requestedBy", s::String()),
       s::Req("startedAt", s::DateTime()), s::Req("completedAt", s::Nullable(s::DateTime()))});
  const Json item = s::Object(
      {s::Req("id", s::Int()), s::Req("name", s::String()), s::Req("provider", s::String()),
       s::Req("config", s::Any(), "credentials shown as <redacted>"), s::Req("version", s::Int()),
       s::Req("lastRotatedAt", s::Nullable(s::DateTime())), s::Req("createdBy", s::String()),
       s::Req("createdAt", s::DateTime()), s::Req("updatedAt", s::DateTime()),
       s::Req("lastRotation", s::Nullable(rotation)), s::Opt("rotations", s::Array(rotation))});
  registry.Add(MakeProcedure(
      "securityGuardian.registerManagedSecret", M, Role::kAdmin,
      s::Object(
          {s::Req("name", s::String(1, 200)), s::Req("provider", provider),
           s::Req("config", s::Any(),
                  "file {path, key?}; kubernetes {namespace, name, key}; webhook {url, "
                  "signingSecret, timeoutSeconds?}; postgres {adminUrl, role, consumer: {type: "
                  "file|kubernetes, ...}, timeoutSeconds?}; all: length? (16-256, 32), alphabet? "
                  "(alnum|base64url|hex)")}),
      item, "Register a secret for rotation (its value is set by the first rotation, never shown)",
      [this](const Json& in, CallContext& ctx) {
        return Register(in, ctx.identity ? ctx.identity->username : "");
      }));
  registry.Add(MakeProcedure("securityGuardian.listManagedSecrets", Qk, Role::kAdmin, s::Object({}),
                             s::Object({s::Req("items", s::Array(item))}),
                             "Managed secrets with their last rotation (never the value)",
                             [this](const Json&, CallContext&) { return List(); }));
  registry.Add(MakeProcedure(
      "securityGuardian.getManagedSecret", Qk, Role::kAdmin,
      s::Object({s::Req("name", s::String(1, 200))}), item,
      "One managed secret with its last 20 rotations (never the value)",
      [this](const Json& in, CallContext&) { return Get(in["name"].get<std::string>()); }));
  registry.Add(MakeProcedure(
      "securityGuardian.deleteManagedSecret", M, Role::kAdmin,
      s::Object({s::Req("name", s::String(1, 200))}), s::Object({s::Req("deleted", s::Bool())}),
      "Stop managing a secret (its encrypted value and rotation history are deleted)",
      [this](const Json& in, CallContext&) -> Result<Json> {
        DAI_RETURN_IF_ERROR(Delete(in["name"].get<std::string>()));
        return Json{{"deleted", true}};
      }));
  registry.Add(MakeProcedure(
      "securityGuardian.rotateSecrets", M, Role::kAdmin,
      s::Object({s::Req("provider", provider),
                 s::Req("secretRef", s::String(1, 1024), "the managed secret's name"),
                 s::Opt("dryRun", s::Bool(), "check the targets and say what would change")}),
      s::Object({s::Req("secret", s::String()), s::Req("provider", s::String()),
                 s::Req("dryRun", s::Bool()), s::Req("status", s::String()),
                 s::Req("rotationId", s::Int()), s::Req("version", s::Int()),
                 s::Opt("wouldDo", s::Array(s::String())), s::Opt("done", s::Array(s::String())),
                 s::Opt("checks", s::Any()), s::Opt("ready", s::Bool()),
                 s::Opt("rotatedAt", s::DateTime())}),
      "Rotate a managed secret: a new random value written through its provider (postgres: "
      "consumer first, then ALTER ROLE, then commit)",
      [this](const Json& in, CallContext& ctx) {
        return Rotate(in["provider"].get<std::string>(), in["secretRef"].get<std::string>(),
                      in.value("dryRun", false), ctx.identity.value_or(Identity{}));
      }));
}

}  // namespace dai::security
