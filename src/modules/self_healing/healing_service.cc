#include "modules/self_healing/healing_service.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "engines/healing/drift.h"
#include "engines/posture/manifest.h"
#include "modules/self_healing/drift_executor.h"

namespace dai::self_healing {
namespace {

using store::Connection;
using store::Params;

// Arbitrary constant naming the healing decision lock among advisory locks ("dai-heal").
constexpr int64_t kDecisionLockKey = 0x6461692d6865616c;
// Firing signals that match a rule, kept for re-evaluation; beyond this new ones are not kept
// (they are still acted on when they arrive and when Alertmanager re-sends them).
constexpr size_t kMaxFiringSignals = 10000;

constexpr const char* kRuleColumns =
    "id, name, description, condition_type, condition_config, action_type, action_config, enabled, "
    "dry_run, "
    "requires_approval, cooldown_seconds, max_retries, max_executions_per_hour, priority, "
    "verify_seconds, "
    "breaker_failures, breaker_reset_seconds, auto_approve_min_confidence, "
    "auto_approve_min_samples, "
    "success_count, failure_count, last_triggered_at, created_at, updated_at";

constexpr const char* kActionColumns =
    "id, rule_id, rule_name, incident_id, action_type, target, status, verdict, reason, dry_run, "
    "signature, "
    "fingerprint, trigger_event, result, error, attempt, decided_by, approved_by, approval_note, "
    "confidence, "
    "created_at, started_at, completed_at, verified_at, duration_ms, recovery_seconds, "
    "action_config";

Json ParseOr(const std::string& text, Json fallback) {
  auto j = ParseJson(text);
  return j.ok() ? *j : fallback;
}

Json OptTime(const store::Row& r, std::string_view col) {
  auto t = r.GetOptTime(col);
  return t ? Json(FormatIso8601(*t)) : Json(nullptr);
}

Json SpecFromRow(const store::Row& r) {
  Json spec = {{"name", r.GetString("name")},
               {"description", r.GetString("description")},
               {"enabled", r.GetBool("enabled")},
               {"conditionType", r.GetString("condition_type")},
               {"conditionConfig", ParseOr(r.GetString("condition_config"), Json::object())},
               {"actionType", r.GetString("action_type")},
               {"actionConfig", ParseOr(r.GetString("action_config"), Json::object())},
               {"cooldownSeconds", r.GetInt("cooldown_seconds")},
               {"maxRetries", r.GetInt("max_retries")},
               {"maxExecutionsPerHour", r.GetInt("max_executions_per_hour")},
               {"requiresApproval", r.GetBool("requires_approval")},
               {"dryRun", r.GetBool("dry_run")},
               {"priority", r.GetInt("priority")},
               {"verifySeconds", r.GetInt("verify_seconds")},
               {"breakerFailures", r.GetInt("breaker_failures")},
               {"breakerResetSeconds", r.GetInt("breaker_reset_seconds")}};
  const double c = r.GetDouble("auto_approve_min_confidence");
  if (c > 0)
    spec["autoApprove"] = {{"minConfidence", c},
                           {"minSamples", r.GetInt("auto_approve_min_samples")}};
  return spec;
}

Json RuleJson(const store::Row& r) {
  Json j = SpecFromRow(r);
  j["id"] = r.GetInt("id");
  const int64_t s = r.GetInt("success_count");
  const int64_t f = r.GetInt("failure_count");
  j["successCount"] = s;
  j["failureCount"] = f;
  j["successRate"] =
      s + f == 0 ? Json(nullptr) : Json(static_cast<double>(s) / static_cast<double>(s + f));
  j["lastTriggeredAt"] = OptTime(r, "last_triggered_at");
  j["createdAt"] = FormatIso8601(r.GetTime("created_at"));
  j["updatedAt"] = FormatIso8601(r.GetTime("updated_at"));
  if (!j.contains("autoApprove")) j["autoApprove"] = nullptr;
  return j;
}

// What an executor is given as config: the rule's actionConfig; apply_desired also gets the
// rule's conditionConfig as `source` (the desired file it applies from).
Json ExecutorConfig(const Json& action_config, std::string_view action_type,
                    const Json& condition_config) {
  Json cfg = action_config.is_object() ? action_config : Json::object();
  if (action_type == "apply_desired") cfg["source"] = condition_config;
  return cfg;
}

Json ActionJson(const store::Row& r) {
  return Json{
      {"id", r.GetInt("id")},
      {"ruleId", r.GetOptInt("rule_id") ? Json(*r.GetOptInt("rule_id")) : Json(nullptr)},
      {"ruleName", r.GetString("rule_name")},
      {"incidentId",
       r.GetOptInt("incident_id") ? Json(*r.GetOptInt("incident_id")) : Json(nullptr)},
      {"actionType", r.GetString("action_type")},
      {"target", r.GetString("target")},
      {"status", r.GetString("status")},
      {"verdict", r.GetString("verdict")},
      {"reason", r.GetString("reason")},
      {"dryRun", r.GetBool("dry_run")},
      {"signature", r.GetString("signature")},
      {"fingerprint", r.GetString("fingerprint")},
      {"signal", ParseOr(r.GetString("trigger_event"), Json::object())},
      {"result",
       r.IsNull("result") ? Json(nullptr) : ParseOr(r.GetString("result"), Json(nullptr))},
      {"error", r.GetOptString("error") ? Json(*r.GetOptString("error")) : Json(nullptr)},
      {"attempt", r.GetInt("attempt")},
      {"decidedBy", r.GetString("decided_by")},
      {"approvedBy",
       r.GetOptInt("approved_by") ? Json(*r.GetOptInt("approved_by")) : Json(nullptr)},
      {"approvalNote", r.GetString("approval_note")},
      {"confidence", r.GetDouble("confidence")},
      {"createdAt", FormatIso8601(r.GetTime("created_at"))},
      {"startedAt", OptTime(r, "started_at")},
      {"completedAt", OptTime(r, "completed_at")},
      {"verifiedAt", OptTime(r, "verified_at")},
      {"durationMs",
       r.GetOptInt("duration_ms") ? Json(*r.GetOptInt("duration_ms")) : Json(nullptr)},
      {"recoverySeconds",
       r.IsNull("recovery_seconds") ? Json(nullptr) : Json(r.GetDouble("recovery_seconds"))}};
}

healing::Outcome OutcomeOf(const std::string& status) {
  using healing::Outcome;
  if (status == "awaiting_approval") return Outcome::kAwaitingApproval;
  if (status == "approved" || status == "running" || status == "verifying")
    return Outcome::kRunning;
  if (status == "succeeded") return Outcome::kSucceeded;
  if (status == "failed") return Outcome::kFailed;
  if (status == "escalated") return Outcome::kEscalated;
  if (status == "rejected") return Outcome::kRejected;
  if (status == "dry_run") return Outcome::kDryRun;
  return Outcome::kSkipped;
}

std::string StatusFor(healing::Verdict v) {
  switch (v) {
    case healing::Verdict::kExecute:
      return "approved";
    case healing::Verdict::kDryRun:
      return "dry_run";
    case healing::Verdict::kNeedsApproval:
      return "awaiting_approval";
    case healing::Verdict::kEscalate:
      return "escalated";
    case healing::Verdict::kSkip:
      return "skipped";
  }
  return "skipped";
}

Json LabelsJson(const std::map<std::string, std::string>& labels) {
  Json j = Json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j;
}

Status Lock(Connection& conn) {
  if (conn.dialect() == store::Dialect::kPostgres) {
    return conn.Query("SELECT pg_advisory_xact_lock(?)", {kDecisionLockKey}).status();
  }
  return Status::Ok();  // SQLite transactions are BEGIN IMMEDIATE: already serialised
}

}  // namespace

HealingService::HealingService(store::Database& db, const Clock& clock, HealingOptions options,
                               std::map<std::string, ActionExecutor*> executors, HealingHooks hooks)
    : db_(db),
      clock_(clock),
      options_(std::move(options)),
      executors_(std::move(executors)),
      hooks_(std::move(hooks)) {}

HealingService::~HealingService() { Stop(); }

void HealingService::Start() {
  std::lock_guard<std::mutex> lock(queue_mu_);
  if (!threads_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < std::max(1, options_.executor_threads); ++i)
    threads_.emplace_back([this] { ExecutorMain(); });
  ticker_ = std::thread([this] { TickerMain(); });
}

void HealingService::Stop() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  stop_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  if (ticker_.joinable()) ticker_.join();
}

void HealingService::Drain() {
  std::unique_lock<std::mutex> lock(queue_mu_);
  idle_cv_.wait(lock, [&] { return (queue_.empty() && busy_ == 0) || threads_.empty(); });
}

void HealingService::Publish(const std::string& type, const Json& data) {
  if (hooks_.publish) hooks_.publish(type, DumpJson(data));
}

void HealingService::ExecutorMain() {
  std::unique_lock<std::mutex> lock(queue_mu_);
  while (true) {
    queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stopping_) break;
      continue;
    }
    const int64_t id = queue_.front();
    queue_.pop_front();
    ++busy_;
    lock.unlock();
    try {
      RunAction(id);
    } catch (const std::exception& e) {
      // A defect in one action's handling must not take the server down: the action is failed
      // with the reason, and the executor thread goes on.
      const TimePoint now = clock_.Now();
      (void)db_.Query(
          "UPDATE healing_actions SET status = 'failed', error = ?, completed_at = ?, "
          "updated_at = ? WHERE id = ? AND status IN ('approved', 'running')",
          {std::string("internal error while running the action: ") + e.what(), now, now, id});
    }
    lock.lock();
    --busy_;
    if (queue_.empty() && busy_ == 0) idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

void HealingService::TickerMain() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      if (stop_cv_.wait_for(lock, options_.tick, [&] { return stopping_; })) return;
    }
    (void)Tick();
  }
}

void HealingService::Dispatch(int64_t action_id) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (threads_.empty()) return;  // not started (tests, CLI): Tick or the next start runs it
    if (std::find(queue_.begin(), queue_.end(), action_id) != queue_.end()) return;
    queue_.push_back(action_id);
  }
  queue_cv_.notify_one();
}

// ------------------------------------------------------------------------------------ rules

void HealingService::InvalidateRules() {
  std::lock_guard<std::mutex> lock(rules_mu_);
  rules_.reset();
}

Result<std::shared_ptr<const healing::RuleIndex>> HealingService::Rules() {
  DAI_ASSIGN_OR_RETURN(
      auto stamp_rows,
      db_.Query("SELECT COUNT(*), COALESCE(MAX(id), 0), MAX(updated_at) FROM healing_rules"));
  const auto& sr = stamp_rows.rows.at(0);
  const std::string stamp =
      sr.GetString(size_t{0}) + "/" + sr.GetString(size_t{1}) + "/" + sr.GetString(size_t{2});
  {
    std::lock_guard<std::mutex> lock(rules_mu_);
    if (rules_ && stamp == rules_stamp_) return rules_;
  }
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kRuleColumns +
                                            " FROM healing_rules ORDER BY id"));
  std::vector<healing::Rule> rules;
  for (const auto& r : rows.rows) {
    auto rule = healing::RuleFromSpec(SpecFromRow(r));
    if (!rule.ok()) continue;  // validated on the way in; a row edited by hand is ignored
    rule->id = r.GetInt("id");
    rules.push_back(std::move(rule).value());
  }
  auto index = std::make_shared<const healing::RuleIndex>(std::move(rules));
  std::lock_guard<std::mutex> lock(rules_mu_);
  rules_ = index;
  rules_stamp_ = stamp;
  return index;
}

namespace {

Params RuleParams(const healing::Rule& r) {
  return {r.name,
          r.description,
          std::string(healing::ConditionTypeName(r.condition)),
          DumpJson(r.condition_config),
          std::string(healing::ActionTypeName(r.action)),
          DumpJson(r.action_config),
          r.enabled,
          r.dry_run,
          r.requires_approval,
          int64_t{r.cooldown_seconds},
          int64_t{r.max_retries},
          int64_t{r.max_executions_per_hour},
          int64_t{r.priority},
          int64_t{r.verify_seconds},
          int64_t{r.breaker_failures},
          int64_t{r.breaker_reset_seconds},
          r.auto_approve.min_confidence,
          int64_t{r.auto_approve.min_samples}};
}

constexpr const char* kRuleInsert =
    "INSERT INTO healing_rules (name, description, condition_type, condition_config, action_type, "
    "action_config, "
    "enabled, dry_run, requires_approval, cooldown_seconds, max_retries, max_executions_per_hour, "
    "priority, "
    "verify_seconds, breaker_failures, breaker_reset_seconds, auto_approve_min_confidence, "
    "auto_approve_min_samples, created_by, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";

constexpr const char* kRuleUpdate =
    "UPDATE healing_rules SET name = ?, description = ?, condition_type = ?, condition_config = ?, "
    "action_type = ?, "
    "action_config = ?, enabled = ?, dry_run = ?, requires_approval = ?, cooldown_seconds = ?, "
    "max_retries = ?, "
    "max_executions_per_hour = ?, priority = ?, verify_seconds = ?, breaker_failures = ?, "
    "breaker_reset_seconds = ?, auto_approve_min_confidence = ?, auto_approve_min_samples = ?, "
    "updated_at = ? "
    "WHERE id = ?";

}  // namespace

Result<Json> HealingService::CreateRule(const Json& spec, const Identity& who) {
  DAI_ASSIGN_OR_RETURN(healing::Rule rule, healing::RuleFromSpec(spec, "input"));
  Params p = RuleParams(rule);
  p.push_back(who.user_id > 0 ? store::Param(who.user_id) : store::Param(nullptr));
  const TimePoint now = clock_.Now();
  p.push_back(now);
  p.push_back(now);
  auto rows = db_.Query(kRuleInsert, p);
  if (!rows.ok() && rows.status().code() == StatusCode::kConflict) {
    return Status::Conflict("input.name: a rule named \"" + rule.name + "\" already exists");
  }
  DAI_RETURN_IF_ERROR(rows.status());
  InvalidateRules();
  const int64_t id = rows->rows.at(0).GetInt(size_t{0});
  Publish("healing.rules", {{"id", id}});
  return GetRule(id);
}

Result<Json> HealingService::GetRule(int64_t id) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(std::string("SELECT ") + kRuleColumns + " FROM healing_rules WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("healing rule " + std::to_string(id) + " does not exist");
  return RuleJson(rows.rows[0]);
}

Result<Json> HealingService::UpdateRule(int64_t id, const Json& patch) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(std::string("SELECT ") + kRuleColumns + " FROM healing_rules WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("healing rule " + std::to_string(id) + " does not exist");
  Json spec = SpecFromRow(rows.rows[0]);
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.key() == "id") continue;
    if (it.value().is_null()) {
      spec.erase(it.key());
    } else {
      spec[it.key()] = it.value();
    }
  }
  DAI_ASSIGN_OR_RETURN(healing::Rule rule, healing::RuleFromSpec(spec, "input"));
  Params p = RuleParams(rule);
  p.push_back(clock_.Now());
  p.push_back(id);
  auto r = db_.Query(kRuleUpdate, p);
  if (!r.ok() && r.status().code() == StatusCode::kConflict) {
    return Status::Conflict("input.name: a rule named \"" + rule.name + "\" already exists");
  }
  DAI_RETURN_IF_ERROR(r.status());
  InvalidateRules();
  Publish("healing.rules", {{"id", id}});
  return GetRule(id);
}

Result<Json> HealingService::ToggleRule(int64_t id, bool enabled) {
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("UPDATE healing_rules SET enabled = ?, updated_at = ? WHERE id = ?",
                        {enabled, clock_.Now(), id}));
  if (r.affected_rows == 0)
    return Status::NotFound("healing rule " + std::to_string(id) + " does not exist");
  InvalidateRules();
  Publish("healing.rules", {{"id", id}});
  return GetRule(id);
}

Result<Json> HealingService::DeleteRule(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto r, db_.Query("DELETE FROM healing_rules WHERE id = ?", {id}));
  if (r.affected_rows == 0)
    return Status::NotFound("healing rule " + std::to_string(id) + " does not exist");
  InvalidateRules();
  Publish("healing.rules", {{"id", id}});
  return Json{{"id", id}, {"deleted", true}};
}

Result<Json> HealingService::ListRules(const Json& in) {
  const Json f = in.is_object() ? in : Json::object();
  std::string where = " WHERE 1 = 1";
  Params params;
  if (f.contains("enabled")) {
    where += " AND enabled = ?";
    params.push_back(f["enabled"].get<bool>());
  }
  const int64_t limit = f.value("limit", int64_t{50});
  const int64_t offset = f.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count, db_.Query("SELECT COUNT(*) FROM healing_rules" + where, params));
  params.push_back(limit);
  params.push_back(offset);
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kRuleColumns + " FROM healing_rules" + where +
                               " ORDER BY priority, id LIMIT ? OFFSET ?",
                           params));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(RuleJson(r));
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(size_t{0})},
              {"limit", limit},
              {"offset", offset}};
}

Result<Json> HealingService::ImportRules(const std::vector<healing::Rule>& rules,
                                         const Identity& who) {
  int created = 0;
  int updated = 0;
  const TimePoint now = clock_.Now();
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    created = updated = 0;
    for (const auto& rule : rules) {
      Params p = RuleParams(rule);
      DAI_ASSIGN_OR_RETURN(auto existing,
                           conn.Query("SELECT id FROM healing_rules WHERE name = ?", {rule.name}));
      if (existing.rows.empty()) {
        p.push_back(who.user_id > 0 ? store::Param(who.user_id) : store::Param(nullptr));
        p.push_back(now);
        p.push_back(now);
        DAI_RETURN_IF_ERROR(conn.Query(kRuleInsert, p).status());
        ++created;
      } else {
        p.push_back(now);
        p.push_back(existing.rows[0].GetInt(size_t{0}));
        DAI_RETURN_IF_ERROR(conn.Query(kRuleUpdate, p).status());
        ++updated;
      }
    }
    return Status::Ok();
  }));
  InvalidateRules();
  return Json{{"created", created}, {"updated", updated}};
}

Result<Json> HealingService::DryRunRule(int64_t id,
                                        const std::map<std::string, std::string>& labels) {
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(std::string("SELECT ") + kRuleColumns + " FROM healing_rules WHERE id = ?", {id}));
  if (rows.rows.empty())
    return Status::NotFound("healing rule " + std::to_string(id) + " does not exist");
  DAI_ASSIGN_OR_RETURN(healing::Rule rule, healing::RuleFromSpec(SpecFromRow(rows.rows[0])));
  rule.id = id;
  rule.enabled = true;  // show what it would do when enabled
  healing::Signal signal;
  signal.kind = rule.condition;  // the rule's own kind of signal
  signal.labels = labels;
  signal.fingerprint = "dry-run";
  const TimePoint now = clock_.Now();
  healing::RuleIndex index({rule});
  const bool matches = !index.Match(signal).empty();
  healing::History history;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    DAI_ASSIGN_OR_RETURN(history, LoadHistory(conn, healing::Signature(signal), now));
    return Status::Ok();
  }));
  Json out = {{"ruleId", id}, {"matches", matches}, {"signature", healing::Signature(signal)}};
  if (!matches) {
    Json why = Json::array();
    for (const auto& m : rule.matchers) {
      if (!m.Matches(labels)) why.push_back(m.ToString());
    }
    out["decision"] = nullptr;
    out["unmatched"] = why;
    return out;
  }
  auto decisions = healing::Decide(index, signal, history, options_.policy, now);
  const auto& d = decisions.at(0);
  out["decision"] = {{"verdict", std::string(healing::VerdictName(d.verdict))},
                     {"reason", d.reason},
                     {"target", d.target},
                     {"attempt", d.attempt},
                     {"confidence", d.confidence}};
  out["unmatched"] = Json::array();
  auto ex = executors_.find(std::string(healing::ActionTypeName(rule.action)));
  if (ex == executors_.end() || !ex->second) {
    out["executor"] = {{"error", "no executor for " +
                                     std::string(healing::ActionTypeName(rule.action)) +
                                     " is configured"}};
  } else if (!d.target.empty()) {
    const std::string type(healing::ActionTypeName(rule.action));
    ActionRequest req{0,
                      rule.name,
                      type,
                      d.target,
                      ExecutorConfig(rule.action_config, type, rule.condition_config),
                      Json{{"labels", LabelsJson(labels)}}};
    auto plan = ex->second->DryRun(req);
    out["executor"] = plan.ok() ? Json{{"plan", *plan}} : Json{{"error", plan.status().message()}};
  } else {
    out["executor"] = nullptr;
  }
  return out;
}

// ---------------------------------------------------------------------------------- signals

Result<healing::History> HealingService::LoadHistory(Connection& conn, const std::string& signature,
                                                     TimePoint now) {
  healing::History h;
  DAI_ASSIGN_OR_RETURN(
      auto rows,
      conn.Query(
          "SELECT rule_id, target, status, COALESCE(started_at, created_at) FROM healing_actions "
          "WHERE created_at >= ? AND rule_id IS NOT NULL AND status <> 'skipped' "
          "ORDER BY id DESC LIMIT 20000",
          {now - options_.history_window}));
  h.records.reserve(rows.rows.size());
  for (auto it = rows.rows.rbegin(); it != rows.rows.rend(); ++it) {
    h.records.push_back({it->GetInt(size_t{0}), it->GetString(size_t{1}),
                         OutcomeOf(it->GetString(size_t{2})), it->GetTime(size_t{3})});
  }
  DAI_ASSIGN_OR_RETURN(
      auto pats,
      conn.Query("SELECT action_type, success_count, failure_count, avg_recovery_seconds "
                 "FROM healing_patterns WHERE signature = ?",
                 {signature}));
  for (const auto& p : pats.rows) {
    healing::PatternStats st;
    st.successes = static_cast<int>(p.GetInt(size_t{1}));
    st.attempts = st.successes + static_cast<int>(p.GetInt(size_t{2}));
    st.recovery_seconds_sum = p.IsNull(size_t{3}) ? 0 : p.GetDouble(size_t{3}) * st.successes;
    h.patterns[signature + "|" + p.GetString(size_t{0})] = st;
  }
  return h;
}

Result<Json> HealingService::OnSignal(const healing::Signal& signal, const std::string& source) {
  return OnSignalWith(signal, source, nullptr);
}

Result<Json> HealingService::OnSignals(const std::vector<healing::Signal>& signals,
                                       const std::string& source) {
  std::shared_ptr<const healing::RuleIndex> index;
  Json recorded = Json::array();
  Status first_error = Status::Ok();
  for (const auto& signal : signals) {
    if (signal.firing && !index) {
      auto rules = Rules();
      if (!rules.ok()) return rules.status();
      index = *rules;
    }
    auto r = OnSignalWith(signal, source, index);
    if (!r.ok()) {
      if (first_error.ok()) first_error = r.status();
      continue;
    }
    for (auto& d : *r) recorded.push_back(std::move(d));
  }
  if (!first_error.ok()) return first_error;
  return recorded;
}

Result<Json> HealingService::OnSignalWith(const healing::Signal& signal, const std::string& source,
                                          std::shared_ptr<const healing::RuleIndex> index) {
  signals_received_.fetch_add(1);
  const TimePoint now = clock_.Now();
  if (!signal.firing) {
    {
      std::lock_guard<std::mutex> lock(signals_mu_);
      firing_.erase(signal.fingerprint);
      if (resolved_recent_.size() < 100000) resolved_recent_[signal.fingerprint] = now;
    }
    DAI_RETURN_IF_ERROR(Verify(signal.fingerprint, now));
    return Json::array();
  }
  if (!index) {
    DAI_ASSIGN_OR_RETURN(index, Rules());
  }
  const bool matched = !index->Match(signal).empty();
  {
    // Only signals a rule matches are kept for re-evaluation. Keeping every firing signal made
    // the map (and the ticker's copy of it, every tick) grow with each new fingerprint that
    // never resolved: resident memory rose ~300 MB/h in the soak (issue 13).
    std::lock_guard<std::mutex> lock(signals_mu_);
    if (!matched) {
      firing_.erase(signal.fingerprint);
    } else if (firing_.size() < kMaxFiringSignals || firing_.count(signal.fingerprint)) {
      firing_[signal.fingerprint] = signal;
    }
    resolved_recent_.erase(signal.fingerprint);
  }
  if (!matched) return Json::array();
  const std::string signature = healing::Signature(signal);
  Json trigger = {{"labels", LabelsJson(signal.labels)},
                  {"fingerprint", signal.fingerprint},
                  {"kind", std::string(healing::ConditionTypeName(signal.kind))},
                  {"source", source},
                  {"receivedAt", FormatIso8601(now)}};
  if (!signal.evidence.is_null()) trigger["evidence"] = signal.evidence;
  std::vector<int64_t> to_run;
  std::vector<std::pair<int64_t, Json>> escalations;
  std::vector<std::pair<int64_t, healing::Decision>> dry_runs;
  Json recorded = Json::array();
  const bool record_skips = source != "re-evaluation";
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    to_run.clear();
    escalations.clear();
    dry_runs.clear();
    recorded = Json::array();
    DAI_RETURN_IF_ERROR(Lock(conn));
    DAI_ASSIGN_OR_RETURN(auto history, LoadHistory(conn, signature, now));
    const auto decisions = healing::Decide(*index, signal, history, options_.policy, now);
    for (const auto& d : decisions) {
      if (d.verdict == healing::Verdict::kSkip && !record_skips) continue;
      const healing::Rule* rule = nullptr;
      for (const auto& r : index->rules()) {
        if (r.id == d.rule_id) rule = &r;
      }
      const std::string status = StatusFor(d.verdict);
      DAI_ASSIGN_OR_RETURN(
          auto ins,
          conn.Query(
              "INSERT INTO healing_actions (rule_id, incident_id, action_type, target, status, "
              "dry_run, "
              "trigger_event, action_config, attempt, decided_by, created_at, updated_at, "
              "rule_name, verdict, "
              "reason, signature, fingerprint, confidence, completed_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
              {d.rule_id,
               signal.incident_id ? store::Param(*signal.incident_id) : store::Param(nullptr),
               std::string(healing::ActionTypeName(d.action)), d.target, status,
               d.verdict == healing::Verdict::kDryRun, DumpJson(trigger),
               rule ? DumpJson(rule->action_config) : std::string("{}"),
               int64_t{std::max(1, d.attempt)}, "rule:" + d.rule_name, now, now, d.rule_name,
               std::string(healing::VerdictName(d.verdict)), d.reason, d.signature,
               signal.fingerprint, d.confidence,
               (d.verdict == healing::Verdict::kSkip || d.verdict == healing::Verdict::kEscalate ||
                d.verdict == healing::Verdict::kDryRun)
                   ? store::Param(now)
                   : store::Param(nullptr)}));
      const int64_t id = ins.rows.at(0).GetInt(size_t{0});
      recorded.push_back({{"id", id},
                          {"rule", d.rule_name},
                          {"verdict", std::string(healing::VerdictName(d.verdict))},
                          {"target", d.target},
                          {"reason", d.reason}});
      if (d.verdict == healing::Verdict::kExecute) {
        to_run.push_back(id);
        DAI_RETURN_IF_ERROR(
            conn.Query("UPDATE healing_rules SET last_triggered_at = ? WHERE id = ?",
                       {now, d.rule_id})
                .status());
      } else if (d.verdict == healing::Verdict::kEscalate) {
        escalations.emplace_back(
            id, Json{{"rule", d.rule_name},
                     {"target", d.target},
                     {"actionType", std::string(healing::ActionTypeName(d.action))},
                     {"reason", d.reason},
                     {"actionId", id},
                     {"labels", LabelsJson(signal.labels)}});
      } else if (d.verdict == healing::Verdict::kDryRun) {
        dry_runs.emplace_back(id, d);
      }
    }
    return Status::Ok();
  }));
  for (int64_t id : to_run) Dispatch(id);
  for (const auto& [id, d] : dry_runs) {
    auto ex = executors_.find(std::string(healing::ActionTypeName(d.action)));
    Json plan;
    if (ex == executors_.end() || !ex->second) {
      plan = {{"error", "no executor for " + std::string(healing::ActionTypeName(d.action)) +
                            " is configured"}};
    } else {
      Json cfg = Json::object();
      for (const auto& r : index->rules()) {
        if (r.id == d.rule_id) {
          cfg = ExecutorConfig(r.action_config, healing::ActionTypeName(d.action),
                               r.condition_config);
        }
      }
      auto p = ex->second->DryRun({id, d.rule_name, std::string(healing::ActionTypeName(d.action)),
                                   d.target, cfg, Json{{"labels", LabelsJson(signal.labels)}}});
      plan = p.ok() ? Json{{"plan", *p}} : Json{{"error", p.status().message()}};
    }
    (void)db_.Query("UPDATE healing_actions SET result = ? WHERE id = ?", {DumpJson(plan), id});
  }
  for (const auto& [id, esc] : escalations) {
    Publish("healing.escalated", esc);
    if (hooks_.escalate) {
      Status st = hooks_.escalate(esc);
      Json res = {{"escalation", st.ok() ? Json("incident notified") : Json(st.message())}};
      (void)db_.Query("UPDATE healing_actions SET result = ? WHERE id = ?", {DumpJson(res), id});
    }
  }
  if (!recorded.empty()) Publish("healing.action", {{"count", recorded.size()}});
  return recorded;
}

Status HealingService::Learn(Connection& conn, const std::string& signature,
                             const std::string& condition_type, const std::string& action_type,
                             bool success, double recovery_seconds, TimePoint now) {
  DAI_ASSIGN_OR_RETURN(auto rows,
                       conn.Query("SELECT success_count, failure_count, avg_recovery_seconds FROM "
                                  "healing_patterns WHERE signature = ? AND action_type = ?",
                                  {signature, action_type}));
  healing::PatternStats st;
  if (!rows.rows.empty()) {
    st.successes = static_cast<int>(rows.rows[0].GetInt(size_t{0}));
    st.attempts = st.successes + static_cast<int>(rows.rows[0].GetInt(size_t{1}));
    st.recovery_seconds_sum =
        rows.rows[0].IsNull(size_t{2}) ? 0 : rows.rows[0].GetDouble(size_t{2}) * st.successes;
  }
  st = healing::Learn(st, success, recovery_seconds);
  const store::Param avg =
      st.successes > 0 ? store::Param(st.MeanRecoverySeconds()) : store::Param(nullptr);
  return conn
      .Query(
          "INSERT INTO healing_patterns (signature, condition_type, action_type, description, "
          "occurrences, "
          "success_count, failure_count, success_rate, avg_recovery_seconds, confidence, "
          "last_seen_at, created_at, "
          "updated_at) VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (signature, action_type) DO UPDATE SET occurrences = excluded.occurrences, "
          "success_count = excluded.success_count, failure_count = excluded.failure_count, "
          "success_rate = excluded.success_rate, avg_recovery_seconds = "
          "excluded.avg_recovery_seconds, "
          "confidence = excluded.confidence, last_seen_at = excluded.last_seen_at, updated_at = "
          "excluded.updated_at",
          {signature, condition_type, action_type, int64_t{st.attempts}, int64_t{st.successes},
           int64_t{st.attempts - st.successes}, st.SuccessRate(), avg, st.Confidence(), now, now,
           now})
      .status();
}

Status HealingService::Verify(const std::string& fingerprint, TimePoint now) {
  std::vector<Json> verified;
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    verified.clear();
    DAI_RETURN_IF_ERROR(Lock(conn));
    DAI_ASSIGN_OR_RETURN(
        auto rows,
        conn.Query("SELECT id, rule_id, signature, action_type, created_at, trigger_event "
                   "FROM healing_actions WHERE fingerprint = ? AND status = 'verifying'",
                   {fingerprint}));
    for (const auto& r : rows.rows) {
      const int64_t id = r.GetInt(size_t{0});
      const double recovery = std::chrono::duration<double>(now - r.GetTime(size_t{4})).count();
      DAI_RETURN_IF_ERROR(conn.Query("UPDATE healing_actions SET status = 'succeeded', verified_at "
                                     "= ?, completed_at = ?, "
                                     "recovery_seconds = ?, updated_at = ? WHERE id = ?",
                                     {now, now, recovery, now, id})
                              .status());
      if (auto rule = r.GetOptInt(size_t{1})) {
        DAI_RETURN_IF_ERROR(
            conn.Query("UPDATE healing_rules SET success_count = success_count + 1 WHERE id = ?",
                       {*rule})
                .status());
      }
      const Json trig = ParseOr(r.GetString(size_t{5}), Json::object());
      DAI_RETURN_IF_ERROR(Learn(conn, r.GetString(size_t{2}),
                                trig.value("kind", std::string("alert")), r.GetString(size_t{3}),
                                true, recovery, now));
      verified.push_back({{"id", id}, {"status", "succeeded"}, {"recoverySeconds", recovery}});
    }
    return Status::Ok();
  }));
  for (const auto& v : verified) Publish("healing.action", v);
  return Status::Ok();
}

void HealingService::RunAction(int64_t action_id) {
  const TimePoint started = clock_.Now();
  auto claim = db_.Query(
      "UPDATE healing_actions SET status = 'running', started_at = ?, updated_at = ? "
      "WHERE id = ? AND status = 'approved'",
      {started, started, action_id});
  if (!claim.ok() || claim->affected_rows != 1) return;  // another worker or process has it
  auto rows = db_.Query(
      "SELECT a.action_type, a.target, a.action_config, a.trigger_event, a.rule_name, a.rule_id, "
      "a.signature, "
      "a.fingerprint, COALESCE(r.verify_seconds, 120), r.condition_config FROM healing_actions a "
      "LEFT JOIN "
      "healing_rules r ON r.id = "
      "a.rule_id WHERE a.id = ?",
      {action_id});
  if (!rows.ok() || rows->rows.empty()) return;
  const auto& r = rows->rows[0];
  ActionRequest req;
  req.action_id = action_id;
  req.action_type = r.GetString(size_t{0});
  req.target = r.GetString(size_t{1});
  req.config = ExecutorConfig(
      ParseOr(r.GetString(size_t{2}), Json::object()), req.action_type,
      r.IsNull(size_t{9}) ? Json::object() : ParseOr(r.GetString(size_t{9}), Json::object()));
  const Json trigger = ParseOr(r.GetString(size_t{3}), Json::object());
  req.signal = {{"labels", trigger.value("labels", Json::object())},
                {"fingerprint", trigger.value("fingerprint", "")}};
  req.rule_name = r.GetString(size_t{4});
  const auto rule_id = r.GetOptInt(size_t{5});
  const std::string signature = r.GetString(size_t{6});
  const std::string fingerprint = r.GetString(size_t{7});
  const int64_t verify_seconds = r.GetInt(size_t{8});
  Publish("healing.action", {{"id", action_id}, {"status", "running"}});

  const auto t0 = clock_.Monotonic();
  Result<Json> outcome =
      Status::FailedPrecondition("no executor for " + req.action_type + " is configured");
  auto ex = executors_.find(req.action_type);
  if (ex != executors_.end() && ex->second) outcome = ex->second->Execute(req);
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Monotonic() - t0).count();
  const TimePoint now = clock_.Now();
  if (outcome.ok() && req.action_type == "apply_desired") {
    // Verify a correction at the next tick rather than at the next drift interval.
    std::lock_guard<std::mutex> lock(drift_mu_);
    last_drift_eval_ = TimePoint{};
  }
  if (outcome.ok()) {
    (void)db_.Query(
        "UPDATE healing_actions SET status = 'verifying', result = ?, duration_ms = ?, verify_by = "
        "?, "
        "updated_at = ? WHERE id = ? AND status = 'running'",
        {DumpJson(*outcome), ms, now + std::chrono::seconds(verify_seconds), now, action_id});
    Publish("healing.action", {{"id", action_id}, {"status", "verifying"}});
    bool still_firing;
    {
      std::lock_guard<std::mutex> lock(signals_mu_);
      // A health-check condition is the executor's own check: healthy now means cleared; so
      // is an executor whose success is the verification (a runbook execution that succeeded).
      // Only an executor that saw the condition itself clear says `verified: true` (a runbook's
      // success); details of an immediate check (a deleted pod, a cordoned node) are objects.
      const bool self_verified = outcome->is_object() && outcome->contains("verified") &&
                                 (*outcome)["verified"].is_boolean() &&
                                 (*outcome)["verified"].get<bool>();
      if (trigger.value("kind", std::string()) == "health_check" || self_verified) {
        firing_.erase(fingerprint);
        resolved_recent_[fingerprint] = now;
      }
      // Cleared while we acted only if we saw it resolve; unknown state waits for the window.
      still_firing = firing_.count(fingerprint) > 0 || resolved_recent_.count(fingerprint) == 0;
    }
    if (!still_firing) (void)Verify(fingerprint, now);  // resolved while we acted
    return;
  }
  const std::string error = outcome.status().ToString();
  (void)db_.Transaction([&](Connection& conn) -> Status {
    DAI_RETURN_IF_ERROR(
        conn.Query("UPDATE healing_actions SET status = 'failed', error = ?, duration_ms = ?, "
                   "completed_at = ?, updated_at = ? WHERE id = ? AND status = 'running'",
                   {error, ms, now, now, action_id})
            .status());
    if (rule_id) {
      DAI_RETURN_IF_ERROR(
          conn.Query("UPDATE healing_rules SET failure_count = failure_count + 1 WHERE id = ?",
                     {*rule_id})
              .status());
    }
    return Learn(conn, signature, trigger.value("kind", std::string("alert")), req.action_type,
                 false, 0, now);
  });
  Publish("healing.action", {{"id", action_id}, {"status", "failed"}});
}

Status HealingService::Tick() {
  std::unique_lock<std::mutex> tick_lock(tick_mu_, std::try_to_lock);
  if (!tick_lock.owns_lock()) return Status::Ok();
  const TimePoint now = clock_.Now();
  // 1. Verification windows that passed with the condition still present.
  DAI_RETURN_IF_ERROR(db_.Transaction([&](Connection& conn) -> Status {
    DAI_RETURN_IF_ERROR(Lock(conn));
    DAI_ASSIGN_OR_RETURN(
        auto rows, conn.Query("SELECT id, rule_id, signature, action_type, trigger_event FROM "
                              "healing_actions WHERE status = 'verifying' AND verify_by < ?",
                              {now}));
    for (const auto& r : rows.rows) {
      DAI_RETURN_IF_ERROR(
          conn.Query("UPDATE healing_actions SET status = 'failed', error = ?, completed_at = ?, "
                     "updated_at = ? WHERE id = ?",
                     {std::string("the condition did not clear within the verification window"),
                      now, now, r.GetInt(size_t{0})})
              .status());
      if (auto rule = r.GetOptInt(size_t{1})) {
        DAI_RETURN_IF_ERROR(
            conn.Query("UPDATE healing_rules SET failure_count = failure_count + 1 WHERE id = ?",
                       {*rule})
                .status());
      }
      const Json trig = ParseOr(r.GetString(size_t{4}), Json::object());
      DAI_RETURN_IF_ERROR(Learn(conn, r.GetString(size_t{2}),
                                trig.value("kind", std::string("alert")), r.GetString(size_t{3}),
                                false, 0, now));
    }
    // 2. Runs whose executor died with its process: never repeated, failed as interrupted.
    return conn
        .Query(
            "UPDATE healing_actions SET status = 'failed', error = ?, completed_at = ?, updated_at "
            "= ? "
            "WHERE status = 'running' AND started_at < ?",
            {std::string("interrupted: the process running it stopped; not repeated"), now, now,
             now - options_.running_timeout})
        .status();
  }));
  // 3. Intents recorded but never claimed (a crash between commit and dispatch).
  DAI_ASSIGN_OR_RETURN(auto approved,
                       db_.Query("SELECT id FROM healing_actions WHERE status = 'approved' AND "
                                 "updated_at < ? ORDER BY id LIMIT 100",
                                 {now - std::chrono::seconds(5)}));
  for (const auto& r : approved.rows) Dispatch(r.GetInt(size_t{0}));
  // 4. Signals still firing: decide again (cooldowns, retries and breakers make this safe);
  // skips are not recorded again, every other decision is.
  std::vector<healing::Signal> firing;
  {
    std::lock_guard<std::mutex> lock(signals_mu_);
    for (const auto& [fp, s] : firing_) firing.push_back(s);
    for (auto it = resolved_recent_.begin(); it != resolved_recent_.end();) {
      it = it->second < now - std::chrono::hours(1) ? resolved_recent_.erase(it) : std::next(it);
    }
  }
  (void)OnSignals(firing, "re-evaluation");
  // 5. metric_threshold rules, every metric_interval.
  bool metric_due = false;
  if (options_.instant_query) {
    std::lock_guard<std::mutex> lock(metric_mu_);
    if (now - last_metric_eval_ >= options_.metric_interval) {
      last_metric_eval_ = now;
      metric_due = true;
    }
  }
  if (metric_due) (void)EvaluateMetricRules();
  // 6. config_drift rules, every drift_interval.
  bool drift_due = false;
  {
    std::lock_guard<std::mutex> lock(drift_mu_);
    if (now - last_drift_eval_ >= options_.drift_interval) {
      last_drift_eval_ = now;
      drift_due = true;
    }
  }
  if (drift_due) (void)EvaluateDriftRules();
  return Status::Ok();
}

Status HealingService::EvaluateMetricRules() {
  DAI_ASSIGN_OR_RETURN(auto index, Rules());
  const TimePoint now = clock_.Now();
  std::set<int64_t> live;
  for (const auto& rule : index->rules()) {
    if (!rule.enabled || rule.condition != healing::ConditionType::kMetricThreshold) continue;
    live.insert(rule.id);
    Json status = {{"rule", rule.name}, {"evaluatedAt", FormatIso8601(now)}};
    auto cond = healing::ThresholdFromConfig(rule.condition_config);
    // (A Result is never built from an OK status: start empty, then take the error or data.)
    Result<std::vector<healing::Sample>> samples = std::vector<healing::Sample>{};
    if (!cond.ok()) {
      samples = cond.status();
    } else {
      if (!options_.instant_query) {
        samples = Status::FailedPrecondition(
            "Prometheus is not configured: start the server with --prometheus-url");
      } else {
        auto data = options_.instant_query(cond->query);
        samples = data.ok() ? healing::ParseInstantData(*data)
                            : Result<std::vector<healing::Sample>>(data.status());
      }
    }
    if (!samples.ok()) {
      // A failed evaluation changes nothing: firing series stay firing until a query answers.
      status["error"] = samples.status().ToString();
      std::lock_guard<std::mutex> lock(metric_mu_);
      metric_status_[rule.id] = status;
      continue;
    }
    // Only series the rule's matchers select (the query result may be wider).
    std::vector<healing::Sample> selected;
    for (auto& smp : *samples) {
      bool ok = true;
      for (const auto& m : rule.matchers) ok = ok && m.Matches(smp.labels);
      if (ok) selected.push_back(std::move(smp));
    }
    std::vector<healing::ThresholdTransition> transitions;
    size_t breaching = 0;
    size_t firing = 0;
    {
      std::lock_guard<std::mutex> lock(metric_mu_);
      auto& state = metric_state_[rule.id];
      transitions = healing::StepThreshold(*cond, selected, state, now);
      breaching = state.size();
      for (const auto& [k, st] : state) firing += st.firing ? 1 : 0;
      status["series"] = selected.size();
      status["breaching"] = breaching;
      status["firing"] = firing;
      status["error"] = nullptr;
      metric_status_[rule.id] = status;
    }
    for (const auto& t : transitions) {
      healing::Signal signal;
      signal.kind = healing::ConditionType::kMetricThreshold;
      signal.firing = t.firing;
      signal.labels = t.labels;
      if (!signal.labels.count("alertname")) signal.labels["alertname"] = rule.name;
      signal.labels["healing_rule"] = rule.name;
      signal.labels["value"] = std::to_string(t.value);
      signal.fingerprint = "metric:" + std::to_string(rule.id) + ":" + t.series;
      signal.rule_id = rule.id;
      auto r = OnSignal(signal, "metric_threshold");
      if (!r.ok()) {
        std::lock_guard<std::mutex> lock(metric_mu_);
        metric_status_[rule.id]["error"] = r.status().ToString();
      }
    }
  }
  // Rules deleted, disabled or changed to another kind: their firing series resolve.
  std::vector<std::pair<int64_t, healing::SeriesState>> gone;
  {
    std::lock_guard<std::mutex> lock(metric_mu_);
    for (auto it = metric_state_.begin(); it != metric_state_.end();) {
      if (live.count(it->first)) {
        ++it;
        continue;
      }
      for (const auto& [k, st] : it->second) {
        if (st.firing) gone.emplace_back(it->first, st);
      }
      metric_status_.erase(it->first);
      it = metric_state_.erase(it);
    }
  }
  for (const auto& [rule_id, st] : gone) {
    healing::Signal signal;
    signal.kind = healing::ConditionType::kMetricThreshold;
    signal.firing = false;
    signal.fingerprint = "metric:" + std::to_string(rule_id) + ":" + healing::SeriesKey(st.labels);
    (void)OnSignal(signal, "metric_threshold");
  }
  return Status::Ok();
}

namespace {

// One object of a drift rule, evaluated: its name, its differences, and for text files the
// unified diff.
struct DriftResult {
  std::string object;
  std::vector<healing::Difference> diffs;
  std::string unified;
};

constexpr size_t kMaxDriftObjects = 500;
constexpr size_t kMaxEvidenceDiffs = 50;

Json DriftObjectJson(const DriftResult& r) {
  const size_t shown = std::min(r.diffs.size(), kMaxEvidenceDiffs);
  Json obj = {{"object", r.object},
              {"drifted", !r.diffs.empty()},
              {"differences", healing::DifferencesToJson(std::vector<healing::Difference>(
                                  r.diffs.begin(), r.diffs.begin() + static_cast<long>(shown)))},
              {"differenceCount", r.diffs.size()}};
  if (!r.unified.empty()) obj["unified"] = r.unified;
  return obj;
}

}  // namespace

Status HealingService::EvaluateDriftRules() {
  DAI_ASSIGN_OR_RETURN(auto index, Rules());
  const TimePoint now = clock_.Now();
  std::set<int64_t> live;
  for (const auto& rule : index->rules()) {
    if (!rule.enabled || rule.condition != healing::ConditionType::kConfigDrift) continue;
    live.insert(rule.id);
    const Json& cfg = rule.condition_config;
    const std::string format = cfg.value("format", std::string());
    const std::string desired_path = DesiredStateName(cfg);
    const std::string actual_path = cfg.value("actual", std::string());
    Json status = {{"rule", rule.name},
                   {"format", format},
                   {"desired", desired_path},
                   {"actual", actual_path},
                   {"evaluatedAt", FormatIso8601(now)},
                   {"objects", Json::array()},
                   {"drifted", 0},
                   {"error", nullptr}};
    // An evaluation that cannot finish records its error and changes no state: objects that
    // were drifting stay so until an evaluation succeeds.
    auto fail = [&](const std::string& error) {
      status["error"] = error;
      std::lock_guard<std::mutex> lock(drift_mu_);
      drift_status_[rule.id] = status;
    };
    if (!options_.read_file) {
      fail("drift rules need readable roots: start the server with --drift-roots");
      continue;
    }
    DriftExecutorHooks readers;
    readers.read_file = options_.read_file;
    readers.read_git = options_.read_git;
    auto desired = ReadDesiredState(cfg, readers);
    if (!desired.ok()) {
      fail("desired state " + desired_path + ": " + desired.status().ToString());
      continue;
    }
    std::vector<DriftResult> results;
    std::string error;
    if (format == "kubernetes") {
      if (!options_.get_object) {
        fail("Kubernetes is not configured: start the server with --kubeconfig");
        continue;
      }
      auto objects = posture::ParseManifests(*desired, desired_path);
      if (!objects.ok()) {
        fail(objects.status().ToString());
        continue;
      }
      const std::string ns = cfg.value("namespace", std::string("default"));
      for (const auto& o : *objects) {
        if (results.size() >= kMaxDriftObjects) break;
        auto ref = healing::RefOf(o.doc, ns);
        if (!ref.ok()) {
          error = desired_path + " document " + std::to_string(o.document + 1) + ": " +
                  ref.status().message();
          break;
        }
        const std::string api = o.doc.value("apiVersion", std::string());
        auto live_obj = options_.get_object(api, ref->kind, ref->namespace_, ref->name);
        if (!live_obj.ok()) {
          error = ref->ToString() + ": " + live_obj.status().ToString();
          break;
        }
        results.push_back({ref->ToString(), healing::CompareObject(o.doc, *live_obj), ""});
      }
    } else {
      auto actual = options_.read_file(actual_path);
      std::optional<std::string> actual_text;
      if (actual.ok()) {
        actual_text = std::move(actual).value();
      } else if (actual.status().code() != StatusCode::kNotFound) {
        fail("actual state " + actual_path + ": " + actual.status().ToString());
        continue;
      }
      DriftResult r{actual_path, {}, ""};
      if (!actual_text) {
        r.diffs.push_back({healing::Difference::Kind::kMissing, "", nullptr, nullptr});
      } else if (format == "keyvalue") {
        auto d = healing::ParseKeyValue(*desired);
        auto a = healing::ParseKeyValue(*actual_text);
        if (!d.ok() || !a.ok()) {
          fail(!d.ok() ? desired_path + ": " + d.status().message()
                       : actual_path + ": " + a.status().message());
          continue;
        }
        r.diffs = healing::CompareKeyValue(*d, *a);
      } else {
        healing::TextDiff t = healing::DiffText(*desired, *actual_text);
        if (!t.same) {
          r.diffs.push_back({healing::Difference::Kind::kChanged, "",
                             Json{{"removedLines", t.removed}}, Json{{"addedLines", t.added}}});
          r.unified = t.unified.substr(0, 64 * 1024);
        }
      }
      results.push_back(std::move(r));
    }
    if (!error.empty()) {
      fail(error);
      continue;
    }
    // Transitions against the objects that were drifting.
    std::vector<healing::Signal> signals;
    {
      std::lock_guard<std::mutex> lock(drift_mu_);
      auto& firing = drift_firing_[rule.id];
      std::set<std::string> now_firing;
      size_t drifted = 0;
      for (const auto& r : results) {
        Json obj = DriftObjectJson(r);
        status["objects"].push_back(obj);
        if (r.diffs.empty()) continue;
        ++drifted;
        now_firing.insert(r.object);
        if (firing.count(r.object)) continue;  // still drifting: the ticker re-decides it
        healing::Signal signal;
        signal.kind = healing::ConditionType::kConfigDrift;
        signal.firing = true;
        signal.labels = {{"alertname", "ConfigDrift"},
                         {"healing_rule", rule.name},
                         {"object", r.object},
                         {"format", format},
                         {"differences", std::to_string(r.diffs.size())}};
        signal.fingerprint = "drift:" + std::to_string(rule.id) + ":" + r.object;
        signal.rule_id = rule.id;
        signal.evidence = std::move(obj);
        signals.push_back(std::move(signal));
      }
      for (const auto& object : firing) {
        if (now_firing.count(object)) continue;
        healing::Signal signal;
        signal.kind = healing::ConditionType::kConfigDrift;
        signal.firing = false;
        signal.fingerprint = "drift:" + std::to_string(rule.id) + ":" + object;
        signals.push_back(std::move(signal));
      }
      firing = std::move(now_firing);
      status["drifted"] = drifted;
      drift_status_[rule.id] = status;
    }
    for (const auto& signal : signals) {
      auto r = OnSignal(signal, "config_drift");
      if (!r.ok()) {
        std::lock_guard<std::mutex> lock(drift_mu_);
        drift_status_[rule.id]["error"] = r.status().ToString();
      }
    }
  }
  // Rules deleted, disabled or changed to another kind: their drifting objects resolve.
  std::vector<std::string> gone;
  {
    std::lock_guard<std::mutex> lock(drift_mu_);
    for (auto it = drift_firing_.begin(); it != drift_firing_.end();) {
      if (live.count(it->first)) {
        ++it;
        continue;
      }
      for (const auto& object : it->second) {
        gone.push_back("drift:" + std::to_string(it->first) + ":" + object);
      }
      it = drift_firing_.erase(it);
    }
    for (auto it = drift_status_.begin(); it != drift_status_.end();) {
      it = live.count(it->first) ? std::next(it) : drift_status_.erase(it);
    }
  }
  for (const auto& fp : gone) {
    healing::Signal signal;
    signal.kind = healing::ConditionType::kConfigDrift;
    signal.firing = false;
    signal.fingerprint = fp;
    (void)OnSignal(signal, "config_drift");
  }
  return Status::Ok();
}

Result<Json> HealingService::Request(const std::string& action_type, const std::string& target,
                                     const std::map<std::string, std::string>& labels,
                                     const std::string& source, const Json& evidence) {
  DAI_ASSIGN_OR_RETURN(auto type, healing::ParseActionType(action_type));
  DAI_ASSIGN_OR_RETURN(auto index, Rules());
  const healing::Rule* chosen = nullptr;
  for (const auto& r : index->rules()) {
    if (!r.enabled || r.action != type) continue;
    const bool allows = r.target.fixed.empty()
                            ? std::find(r.target.allowed.begin(), r.target.allowed.end(), target) !=
                                  r.target.allowed.end()
                            : r.target.fixed == target;
    if (!allows) continue;
    if (!chosen || r.priority < chosen->priority ||
        (r.priority == chosen->priority && r.id < chosen->id))
      chosen = &r;
  }
  if (!chosen) {
    return Status::FailedPrecondition(
        "no enabled healing rule allows " + action_type + " on \"" + target +
        "\": create one (its cooldown, retry limit and approval settings then apply)");
  }
  healing::Signal signal;
  signal.kind = chosen->condition;
  signal.labels = labels;
  signal.labels["alertname"] =
      labels.count("alertname") ? labels.at("alertname") : "HealingRequest";
  if (!chosen->target.from_label.empty()) signal.labels[chosen->target.from_label] = target;
  signal.rule_id = chosen->id;
  signal.requested = true;
  signal.evidence = evidence;
  signal.fingerprint = "request:" + source + ":" + std::to_string(chosen->id) + ":" + target;
  DAI_ASSIGN_OR_RETURN(Json recorded, OnSignal(signal, source));
  // A request is one-shot: it is not re-evaluated while "firing".
  {
    std::lock_guard<std::mutex> lock(signals_mu_);
    firing_.erase(signal.fingerprint);
  }
  if (!recorded.is_array() || recorded.empty())
    return Status::Internal("the request for rule \"" + chosen->name + "\" recorded no decision");
  return recorded[0];
}

Result<Json> HealingService::AwaitAction(int64_t id, Millis timeout,
                                         const std::function<bool()>& cancelled) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    DAI_ASSIGN_OR_RETURN(Json a, ActionById(id));
    const std::string st = a["status"].get<std::string>();
    if (st != "approved" && st != "running" && st != "awaiting_approval") return a;
    if (std::chrono::steady_clock::now() >= deadline || (cancelled && cancelled())) return a;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<Json> HealingService::SuggestRules(int min_occurrences) {
  std::vector<healing::ManualFix> fixes;
  std::map<std::string, Json> examples;  // signature → labels of one incident showing it
  auto signature_of = [](const std::string& labels_json) {
    healing::Signal s;
    Json labels = ParseOr(labels_json, Json::object());
    if (labels.is_object()) {
      for (auto it = labels.begin(); it != labels.end(); ++it) {
        if (it.value().is_string()) s.labels[it.key()] = it.value().get<std::string>();
      }
    }
    return std::make_pair(healing::Signature(s), s.labels);
  };
  // 1. Runbooks people started by hand on incidents, that succeeded.
  DAI_ASSIGN_OR_RETURN(
      auto runs,
      db_.Query("SELECT e.runbook_id, i.labels FROM runbook_executions e JOIN incidents i ON "
                "i.id = e.incident_id WHERE e.status = 'succeeded' AND e.dry_run = ? AND "
                "e.triggered_by <> 'system' AND e.triggered_by NOT LIKE 'healing%' "
                "ORDER BY e.id DESC LIMIT 5000",
                {false}));
  for (const auto& r : runs.rows) {
    auto [sig, labels] = signature_of(r.GetString(size_t{1}));
    if (labels.empty()) continue;
    fixes.push_back(
        {sig, healing::ActionType::kRunRunbook, "runbook-" + std::to_string(r.GetInt(size_t{0}))});
    examples.try_emplace(sig, LabelsJson(labels));
  }
  // 2. Healing actions people recorded on incidents (details: {actionType, target}).
  DAI_ASSIGN_OR_RETURN(
      auto acts,
      db_.Query("SELECT a.details, i.labels FROM incident_actions a JOIN incidents i ON i.id = "
                "a.incident_id WHERE a.action_type = 'healing_action' AND a.automated = ? "
                "ORDER BY a.id DESC LIMIT 5000",
                {false}));
  for (const auto& r : acts.rows) {
    Json d = ParseOr(r.GetString(size_t{0}), Json::object());
    if (!d.is_object() || !d.contains("actionType") || !d["actionType"].is_string() ||
        !d.contains("target") || !d["target"].is_string())
      continue;
    auto type = healing::ParseActionType(d["actionType"].get<std::string>());
    if (!type.ok()) continue;
    auto [sig, labels] = signature_of(r.GetString(size_t{1}));
    if (labels.empty()) continue;
    fixes.push_back({sig, *type, d["target"].get<std::string>()});
    examples.try_emplace(sig, LabelsJson(labels));
  }
  // Symptoms an enabled alert rule already matches are covered.
  DAI_ASSIGN_OR_RETURN(auto index, Rules());
  std::vector<std::string> covered;
  for (const auto& [sig, labels] : examples) {
    healing::Signal s;
    for (auto it = labels.begin(); it != labels.end(); ++it)
      s.labels[it.key()] = it.value().get<std::string>();
    if (!index->Match(s).empty()) covered.push_back(sig);
  }
  Json items = Json::array();
  for (const auto& sg : healing::SuggestRules(fixes, min_occurrences, covered)) {
    const Json& labels = examples[sg.signature];
    const std::string alertname = labels.value("alertname", std::string("unnamed"));
    Json matchers = Json::array({"alertname=\"" + alertname + "\""});
    for (const char* key : {"job", "service", "namespace", "deployment", "container"}) {
      if (labels.contains(key))
        matchers.push_back(std::string(key) + "=\"" + labels[key].get<std::string>() + "\"");
    }
    Json action_config = Json::object();
    if (sg.action == healing::ActionType::kRunRunbook && sg.target.rfind("runbook-", 0) == 0) {
      action_config["runbookId"] = std::stoll(sg.target.substr(8));
    } else {
      action_config["target"] = sg.target;
    }
    std::string name;
    for (char c : alertname + "-" + std::string(healing::ActionTypeName(sg.action))) {
      name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '-';
    }
    items.push_back({{"signature", sg.signature},
                     {"actionType", std::string(healing::ActionTypeName(sg.action))},
                     {"target", sg.target},
                     {"occurrences", sg.occurrences},
                     {"spec",
                      {{"name", name.substr(0, 200)},
                       {"description", "Suggested from " + std::to_string(sg.occurrences) +
                                           " manual fixes of " + sg.signature},
                       {"conditionType", "alert"},
                       {"conditionConfig", {{"matchers", matchers}}},
                       {"actionType", std::string(healing::ActionTypeName(sg.action))},
                       {"actionConfig", action_config},
                       {"requiresApproval", true}}}});
  }
  return Json{{"items", items}, {"manualFixes", fixes.size()}};
}

// ---------------------------------------------------------------------------------- actions

Result<Json> HealingService::ActionById(int64_t id) {
  DAI_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kActionColumns +
                                                " FROM healing_actions WHERE id = ?",
                                            {id}));
  if (rows.rows.empty())
    return Status::NotFound("healing action " + std::to_string(id) + " does not exist");
  return ActionJson(rows.rows[0]);
}

Result<Json> HealingService::GetAction(int64_t id) { return ActionById(id); }

Result<Json> HealingService::History(const Json& in) {
  const Json f = in.is_object() ? in : Json::object();
  std::string where = " WHERE 1 = 1";
  Params params;
  if (f.contains("ruleId")) {
    where += " AND rule_id = ?";
    params.push_back(f["ruleId"].get<int64_t>());
  }
  if (f.contains("status")) {
    where += " AND status = ?";
    params.push_back(f["status"].get<std::string>());
  }
  if (f.contains("verdict")) {
    where += " AND verdict = ?";
    params.push_back(f["verdict"].get<std::string>());
  }
  if (f.contains("since")) {
    auto since = ParseIso8601(f["since"].get<std::string>());
    if (!since.ok()) return since.status().WithContext("input.since");
    where += " AND created_at >= ?";
    params.push_back(*since);
  }
  const int64_t limit = f.value("limit", int64_t{50});
  const int64_t offset = f.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count,
                       db_.Query("SELECT COUNT(*) FROM healing_actions" + where, params));
  params.push_back(limit);
  params.push_back(offset);
  DAI_ASSIGN_OR_RETURN(auto rows,
                       db_.Query(std::string("SELECT ") + kActionColumns + " FROM healing_actions" +
                                     where + " ORDER BY id DESC LIMIT ? OFFSET ?",
                                 params));
  Json items = Json::array();
  for (const auto& r : rows.rows) items.push_back(ActionJson(r));
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(size_t{0})},
              {"limit", limit},
              {"offset", offset}};
}

Result<Json> HealingService::Approve(int64_t id, const Identity& who, const std::string& note) {
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("UPDATE healing_actions SET status = 'approved', approved_by = ?, "
                        "approval_note = ?, decided_by = decided_by || ?, updated_at = ? "
                        "WHERE id = ? AND status = 'awaiting_approval'",
                        {who.user_id > 0 ? store::Param(who.user_id) : store::Param(nullptr), note,
                         "; approved by " + who.username, now, id}));
  if (r.affected_rows == 0) {
    DAI_ASSIGN_OR_RETURN(Json a, ActionById(id));
    return Status::FailedPrecondition("healing action " + std::to_string(id) +
                                      " is not awaiting approval (status " +
                                      a["status"].get<std::string>() + ")");
  }
  Publish("healing.action", {{"id", id}, {"status", "approved"}});
  Dispatch(id);
  return ActionById(id);
}

Result<Json> HealingService::Reject(int64_t id, const Identity& who, const std::string& reason) {
  const TimePoint now = clock_.Now();
  DAI_ASSIGN_OR_RETURN(
      auto r, db_.Query("UPDATE healing_actions SET status = 'rejected', approved_by = ?, "
                        "approval_note = ?, decided_by = decided_by || ?, completed_at = ?, "
                        "updated_at = ? WHERE id = ? AND status = 'awaiting_approval'",
                        {who.user_id > 0 ? store::Param(who.user_id) : store::Param(nullptr),
                         reason, "; rejected by " + who.username, now, now, id}));
  if (r.affected_rows == 0) {
    DAI_ASSIGN_OR_RETURN(Json a, ActionById(id));
    return Status::FailedPrecondition("healing action " + std::to_string(id) +
                                      " is not awaiting approval (status " +
                                      a["status"].get<std::string>() + ")");
  }
  Publish("healing.action", {{"id", id}, {"status", "rejected"}});
  return ActionById(id);
}

Result<Json> HealingService::Patterns(const Json& in) {
  const Json f = in.is_object() ? in : Json::object();
  const int64_t limit = f.value("limit", int64_t{50});
  const int64_t offset = f.value("offset", int64_t{0});
  DAI_ASSIGN_OR_RETURN(auto count, db_.Query("SELECT COUNT(*) FROM healing_patterns"));
  DAI_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT id, signature, condition_type, action_type, occurrences, "
                           "success_count, failure_count, success_rate, avg_recovery_seconds, "
                           "confidence, last_seen_at FROM healing_patterns "
                           "ORDER BY confidence DESC, occurrences DESC, id LIMIT ? OFFSET ?",
                           {limit, offset}));
  Json items = Json::array();
  for (const auto& r : rows.rows) {
    items.push_back(
        {{"id", r.GetInt(size_t{0})},
         {"signature", r.GetString(size_t{1})},
         {"conditionType", r.GetString(size_t{2})},
         {"actionType", r.GetString(size_t{3})},
         {"attempts", r.GetInt(size_t{4})},
         {"successes", r.GetInt(size_t{5})},
         {"failures", r.GetInt(size_t{6})},
         {"successRate", r.GetDouble(size_t{7})},
         {"meanRecoverySeconds",
          r.IsNull(size_t{8}) ? Json(nullptr) : Json(r.GetDouble(size_t{8}))},
         {"confidence", r.GetDouble(size_t{9})},
         {"lastSeenAt",
          r.IsNull(size_t{10}) ? Json(nullptr) : Json(FormatIso8601(r.GetTime(size_t{10})))}});
  }
  return Json{{"items", items},
              {"total", count.rows.at(0).GetInt(size_t{0})},
              {"limit", limit},
              {"offset", offset}};
}

Result<Json> HealingService::Stats() {
  DAI_ASSIGN_OR_RETURN(auto rows,
                       db_.Query("SELECT status, COUNT(*) FROM healing_actions GROUP BY status"));
  Json by_status = Json::object();
  for (const auto& r : rows.rows) by_status[r.GetString(size_t{0})] = r.GetInt(size_t{1});
  // Timings of executed actions: decision → start (our own part), action duration, recovery.
  DAI_ASSIGN_OR_RETURN(
      auto t,
      db_.Query("SELECT created_at, started_at, duration_ms, recovery_seconds FROM "
                "healing_actions WHERE started_at IS NOT NULL ORDER BY id DESC LIMIT 1000"));
  std::vector<double> start_ms, duration_ms, recovery_s;
  for (const auto& r : t.rows) {
    start_ms.push_back(
        std::chrono::duration<double, std::milli>(r.GetTime(size_t{1}) - r.GetTime(size_t{0}))
            .count());
    if (!r.IsNull(size_t{2})) duration_ms.push_back(static_cast<double>(r.GetInt(size_t{2})));
    if (!r.IsNull(size_t{3})) recovery_s.push_back(r.GetDouble(size_t{3}));
  }
  auto median = [](std::vector<double> v) -> Json {
    if (v.empty()) return nullptr;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  auto MetricStatus = [this]() {
    std::lock_guard<std::mutex> lock(metric_mu_);
    Json out = Json::array();
    for (const auto& [id, st] : metric_status_) {
      Json j = st;
      j["ruleId"] = id;
      out.push_back(j);
    }
    return out;
  };
  auto DriftStatus = [this]() {
    std::lock_guard<std::mutex> lock(drift_mu_);
    Json out = Json::array();
    for (const auto& [id, st] : drift_status_) {
      Json j = st;
      j["ruleId"] = id;
      out.push_back(j);
    }
    return out;
  };
  std::lock_guard<std::mutex> lock(signals_mu_);
  return Json{{"byStatus", by_status},
              {"signalsReceived", signals_received_.load()},
              {"firingSignals", firing_.size()},
              {"medianDecisionToStartMs", median(start_ms)},
              {"medianActionMs", median(duration_ms)},
              {"medianRecoverySeconds", median(recovery_s)},
              {"executedActions", start_ms.size()},
              {"metricRules", MetricStatus()},
              {"driftRules", DriftStatus()}};
}

}  // namespace dai::self_healing
