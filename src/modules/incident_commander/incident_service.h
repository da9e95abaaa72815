// IncidentService: signals in, incidents out. Ingests Alertmanager and generic webhook
// payloads, correlates every alert into incidents with the pure correlator, keeps the
// timeline in incident_actions, and serves the incidentCommander.* procedures.
// Group commit: concurrent Ingest calls are committed together — the first caller becomes the
// leader and writes every queued payload in one transaction, then wakes each caller; Ingest
// returns only after the transaction holding its payload committed (a 2xx answer means every
// alert in it is committed). When a group fails, its payloads are retried one transaction each,
// so one bad payload never fails another.
// Thread-safety: safe for concurrent use; ingestion is serialised per database (BEGIN
// IMMEDIATE on SQLite, an advisory transaction lock on PostgreSQL).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/json.h"
#include "engines/alerts/alert.h"
#include "engines/incidents/correlator.h"
#include "ports/narrator.h"
#include "registry/procedure.h"
#include "store/database.h"

namespace dai::incidents {

struct IngestResult {
  int alerts = 0;
  int opened = 0;
  int attached = 0;
  int refreshed = 0;
  int resolved_members = 0;
  int reopened = 0;
  int inhibited = 0;
  int ignored = 0;
  std::vector<int64_t> touched_incidents;
  std::vector<int64_t> opened_incidents;
  Json ToJson() const;
};

struct IncidentServiceOptions {
  CorrelatorConfig correlator;
  bool auto_resolve = true;  //!< resolve an incident when its last alert resolves
};

class IncidentService {
 public:
  //! `publish(type, json)` sends live updates (SSE); may be empty.
  IncidentService(store::Database& db, const Clock& clock, IncidentServiceOptions options,
                  std::function<void(const std::string&, const std::string&)> publish);

  //! Commits every alert of the batch and its effect on incidents, or nothing. Concurrent
  //! calls share one transaction (group commit); each returns after that commit.
  Result<IngestResult> Ingest(const alerts::AlertBatch& batch, const std::string& actor);

  //! Number of transactions ingestion committed (less than the number of Ingest calls when
  //! calls were grouped).
  int64_t ingest_transactions() const { return ingest_transactions_.load(); }

  //! Declares incidentCommander.list/get/acknowledge/resolve (others stay planned).
  void RegisterProcedures(ProcedureRegistry& registry);

  //! Counters for /metrics and the noise-reduction figure.
  int64_t alerts_received() const { return alerts_received_.load(); }
  int64_t incidents_opened() const { return incidents_opened_.load(); }

  Result<Json> Get(int64_t id);
  Result<Json> List(const Json& filter);
  Result<Json> Acknowledge(int64_t id, const Identity& who, const std::string& note);
  Result<Json> Resolve(int64_t id, const Identity& who, const std::string& resolution);
  //! Renders the post-mortem from the incident's record (timeline, alerts, RCA, runbook
  //! executions) and stores it as a new revision; people's edits stay as their own revisions.
  //! With a narrator (an LLM), a "Narrative" section written from the same facts is added and
  //! labelled with the model; without one, or when it fails, the document is the deterministic
  //! rendering and the revision's `narrative` says why.
  Result<Json> GeneratePostMortem(int64_t incident_id, const Identity& who);
  //! Stores an edit by a person as a new revision. `narrative` (generated revisions only) is
  //! the Narration::ToJson() kept with the revision.
  Result<Json> SavePostMortem(int64_t incident_id, const std::string& content,
                              const std::string& author, bool generated,
                              const Json& narrative = nullptr);
  //! The narrator for post-mortem prose (set by the app when an LLM is configured; may be null).
  //! Must outlive the service.
  void SetNarrator(Narrator* narrator) { narrator_ = narrator; }
  //! The current post-mortem (null when none) and every revision, newest first.
  Result<Json> PostMortem(int64_t incident_id);
  //! Adds a note to the timeline.
  Result<Json> AddNote(int64_t id, const Identity& who, const std::string& note);
  //! Moves the incident along detected → investigating → mitigating → resolved, or edits its
  //! severity or assignee; each change is a timeline row.
  Result<Json> Update(int64_t id, const Identity& who, const Json& change);

 private:
  struct PendingIngest;
  struct GroupState;
  //! Writes `group` in one transaction (or, if that fails and there are several, one each)
  //! and fills every member's result.
  void CommitGroup(const std::vector<std::shared_ptr<PendingIngest>>& group);
  Status IngestOne(store::Connection& conn, GroupState& state, const alerts::Alert& alert,
                   const std::string& actor, IngestResult& result);

  store::Database& db_;
  const Clock& clock_;
  IncidentServiceOptions options_;
  std::function<void(const std::string&, const std::string&)> publish_;
  Narrator* narrator_ = nullptr;
  std::atomic<int64_t> alerts_received_{0};
  std::atomic<int64_t> incidents_opened_{0};
  std::atomic<int64_t> ingest_transactions_{0};
  // Group commit: payloads waiting for a leader, and whether one is writing.
  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::deque<std::shared_ptr<PendingIngest>> queue_;
  bool leader_active_ = false;
};

}  // namespace dai::incidents
