// LogService: log intelligence (issue #4). Sources in (files tailed with rotation handling,
// the systemd journal through journalctl, HTTP push of JSON/plain lines and Loki's push API,
// Kubernetes pod logs through the Kubernetes adapter),
// every line parsed (a Loghub-style format per source, or auto-detected: JSON lines, logfmt,
// syslog, access logs, container logs), mined into templates (engines/logmine), and kept as
// per-template counts per minute plus a few sample lines per template: never the raw stream.
// Log anomalies become signals on the Incident Commander's path (source "logs"):
//  - LogNewErrorTemplate: a template never seen before appears at error level or worse;
//  - LogCriticalTemplate: a template an operator marked critical appears;
//  - LogRateAnomaly: a template's per-minute rate departs from its learned baseline (the
//    streaming anomaly engine over the template's recent minutes);
//  - LogErrorBurst: a source's error lines in a minute jump above the median of the previous
//    hour (IsErrorBurst).
// Each signal carries the template and example lines. Templates marked noise raise nothing.
//
// Durability: lines are mined in memory and their aggregates committed by Flush() in one
// transaction per source together with the source's read position (file offset/inode, journal
// cursor), so a restart resumes where the committed counts end: nothing counted twice, nothing
// lost. A push is answered 2xx only after its lines' aggregates are committed. The miner's state
// is saved with a flush at most every state_save_interval (it can be large); clusters learned
// after the last save are learned again after a crash, under new template ids.
// Thread-safety: safe for concurrent use (one mutex over the sources' in-memory state).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/kubernetes/kube_client.h"
#include "core/clock.h"
#include "core/json.h"
#include "engines/logmine/log_line.h"
#include "modules/incident_commander/incident_service.h"
#include "registry/procedure.h"
#include "store/database.h"
#include "store/job_repository.h"
#include "store/job_worker.h"

namespace dai::logs {

struct LogServiceOptions {
  std::string journalctl = "journalctl";          //!< program run for journald sources
  std::chrono::milliseconds poll_interval{1000};  //!< file polling and flushing
  std::chrono::seconds state_save_interval{30};
  int retention_days = 7;            //!< per-minute counts older than this are deleted
  size_t samples_per_template = 20;  //!< sample lines kept per template
  size_t samples_per_flush = 3;      //!< new samples per template per flush
  int rate_window_minutes = 240;     //!< minutes the rate detector reads
  int rate_warmup_minutes = 60;      //!< history a template needs before rate signals
  double rate_threshold = 0.9;       //!< anomaly score that raises LogRateAnomaly
  double rate_min_lines = 5;         //!< the minute or the typical rate must reach this
  logmine::BurstOptions burst;
  std::chrono::minutes point_signal_hold{15};  //!< novelty/critical signals resolve after this
  size_t max_push_lines = 10000;               //!< per logs.push call
  bool run_readers = true;  //!< false: no poll thread or journalctl (tests drive)
  //! The cluster "kubernetes" sources read pod logs from (null: such sources report an error).
  std::shared_ptr<const kube::KubeClient> kube;
  std::chrono::milliseconds kube_poll_interval{5000};  //!< pod logs are read this often
};

class LogService {
 public:
  using Publish = std::function<void(const std::string& type, const std::string& json)>;
  LogService(store::Database& db, const Clock& clock, incidents::IncidentService* incidents,
             LogServiceOptions options, Publish publish);
  ~LogService();

  void RegisterProcedures(ProcedureRegistry& registry);
  //! Registers the `logs.evaluate` job (every minute) that runs the anomaly detectors.
  Status AttachWorker(store::JobWorker& worker, store::JobRepository& jobs);
  //! Loads the sources and starts the poll thread and journald readers (run_readers).
  Status Start();
  void Stop();

  Result<Json> CreateSource(const Json& in);
  Result<Json> UpdateSource(int64_t id, const Json& in);
  Status DeleteSource(int64_t id);
  Result<Json> ListSources();

  struct PushLine {
    int64_t unix_ms = 0;  //!< 0: now
    std::string text;
  };
  //! Ingests lines into the named source (a push source is created when `create` is set and
  //! none exists) and commits their aggregates before returning: {accepted, rejected}.
  Result<Json> Push(const std::string& source, const std::vector<PushLine>& lines, bool create);
  //! Reads every file source (and the kubernetes sources that are due; `force`: all of them)
  //! once and flushes (the poll thread's step; tests call it).
  Status PollOnce(bool force_kubernetes = false);
  //! Commits the pending aggregates of every source, then sends the signals they raised.
  Status Flush();

  Result<Json> ListTemplates(const Json& in);
  Result<Json> GetTemplate(int64_t id, int minutes);
  Result<Json> SearchLines(const Json& in);
  Result<Json> MarkTemplate(int64_t id, const std::string& mark);
  Result<Json> ListSignals(const Json& in);
  //! Runs the rate and burst detectors over the last completed minute and resolves old point
  //! signals; returns what it found and sent.
  Result<Json> Evaluate();

  struct Runtime;

 private:
  Result<Runtime*> LoadRuntime(const store::Row& row);
  void IngestLine(Runtime& rt, std::string_view line, TimePoint at);
  Status FlushLocked(std::vector<alerts::Alert>& signals);
  Status FlushSource(Runtime& rt, std::vector<alerts::Alert>& signals);
  Status SendSignals(std::vector<alerts::Alert>& signals);
  Runtime* FindRuntime(int64_t id);
  void PollLoop();
  //! Reads the new pod logs of the kubernetes sources that are due (outside mu_ for the calls).
  void PollKubernetes(bool force);
  void StartJournal(Runtime* rt);
  Result<Json> SourceJson(const store::Row& row);

  store::Database& db_;
  const Clock& clock_;
  incidents::IncidentService* incidents_;
  LogServiceOptions options_;
  Publish publish_;

  std::mutex mu_;
  std::map<int64_t, std::unique_ptr<Runtime>> runtimes_;

  std::atomic<bool> stop_{false};
  bool force_state_ = false;  // Stop(): save every miner's state
  std::mutex wake_mu_;
  std::condition_variable wake_;
  std::thread poller_;
};

}  // namespace dai::logs
