// SettingsRepository: the `settings` table, key -> JSON value, for settings changed at run
// time through the API (the YAML file and flags are read elsewhere). Secrets stored here are
// encrypted by the caller before they arrive.
// Thread-safety: safe for concurrent use.
#pragma once

#include <map>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "store/database.h"

namespace dai::store {

class SettingsRepository {
 public:
  SettingsRepository(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  //! The JSON text stored under `key`. NOT_FOUND when absent.
  Result<std::string> Get(const std::string& key);
  //! Whether the setting exists (reads its row, not its value).
  Result<bool> Exists(const std::string& key);
  //! Inserts or replaces. INVALID_ARGUMENT when `json_value` is not valid JSON or key is empty.
  Status Set(const std::string& key, const std::string& json_value);
  //! OK also when absent.
  Status Delete(const std::string& key);
  //! Every key and its JSON text.
  Result<std::map<std::string, std::string>> List();

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace dai::store
