#include "store/settings_repository.h"

#include "store/repository_util.h"

namespace dai::store {

Result<std::string> SettingsRepository::Get(const std::string& key) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT value FROM settings WHERE key = ?", {key}));
  if (r.rows.empty()) return Status::NotFound("setting '" + key + "' does not exist");
  return internal::CompactJson(r.rows[0].GetString(size_t{0}));
}

Result<bool> SettingsRepository::Exists(const std::string& key) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT 1 FROM settings WHERE key = ?", {key}));
  return !r.rows.empty();
}

Status SettingsRepository::Set(const std::string& key, const std::string& json_value) {
  if (key.empty()) return Status::InvalidArgument("setting key is empty");
  auto parsed = ParseJson(json_value);
  if (!parsed.ok()) return Status::InvalidArgument("setting '" + key + "' is not valid JSON");
  // Stored in DumpJson's compact form, which Get returns without re-formatting.
  return db_
      .Query(
          "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = "
          "excluded.updated_at",
          {key, DumpJson(*parsed), clock_.Now()})
      .status();
}

Status SettingsRepository::Delete(const std::string& key) {
  return db_.Query("DELETE FROM settings WHERE key = ?", {key}).status();
}

Result<std::map<std::string, std::string>> SettingsRepository::List() {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("SELECT key, value FROM settings ORDER BY key"));
  std::map<std::string, std::string> out;
  for (const Row& row : r.rows) {
    out[row.GetString(size_t{0})] = internal::CompactJson(row.GetString(size_t{1}));
  }
  return out;
}

}  // namespace dai::store
