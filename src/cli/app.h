// App: wires one running server from a Config — store, migrations, auth, the procedure
// registry (built modules plus the planned ones answering NOT_IMPLEMENTED), metrics, the event
// hub, the HTTP server and the job worker. The CLI's `serve` builds one; integration tests run
// the real binary instead.
// Thread-safety: Start/Stop from one thread; everything it owns is thread-safe once started.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/config.h"
#include "core/json.h"
#include "core/status.h"
#include "store/database.h"

namespace dai::cli {

class App {
 public:
  explicit App(Config config);
  ~App();
  //! Opens the store, migrates, prepares first-start setup (printing the token), starts HTTP
  //! and the job worker. Returns once listening.
  Status Start();
  //! The bound port.
  uint16_t port() const;
  //! Graceful stop: HTTP (in-flight requests finish), then jobs, then the store.
  void Stop();
  //! Blocks until Stop() completed.
  void Wait();

  struct Parts;

 private:
  std::unique_ptr<Parts> parts_;
};

//! The generated API document of this binary: "typescript" or "openapi".
Result<std::string> GenerateApiDocument(const std::string& kind);
//! `devops-ai ask`: the assistant over the configured store, as an internal viewer (read-only
//! tools only), with the LLM when llm_url is set.
Result<Json> AskLocally(const Config& config, const std::string& question);

//! Opens the store named by the config and applies migrations (for `migrate`, `user add` ...).
struct OpenedStore {
  std::unique_ptr<store::Database> db;
};
Result<std::unique_ptr<OpenedStore>> OpenStore(const Config& config, bool migrate);

}  // namespace dai::cli
