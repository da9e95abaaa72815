#include "store/migrations.h"

#include <algorithm>
#include <string>

namespace dai::store {
namespace {

// Migration 1: the foundation tables and every table of the specification. Conventions:
// snake_case, `id` surrogate keys, created_at/updated_at in UTC, enums as CHECK constraints,
// JSON documents in {{JSON}} columns, foreign keys ON DELETE CASCADE for owned children and
// SET NULL for references that may outlive their target.
constexpr std::string_view kMigration1 = R"SQL(
-- ---------------------------------------------------------------- foundation
CREATE TABLE users (
  id {{ID}},
  username TEXT NOT NULL UNIQUE CHECK (length(username) > 0),
  password_hash TEXT,
  role TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),
  disabled {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  last_login_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id {{BIGINT}} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at {{TS}} NOT NULL,
  expires_at {{TS}} NOT NULL,
  last_seen_at {{TS}} NOT NULL,
  user_agent TEXT NOT NULL DEFAULT '',
  remote_addr TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id_idx ON sessions(user_id);
CREATE INDEX sessions_expires_at_idx ON sessions(expires_at);

CREATE TABLE api_tokens (
  id {{ID}},
  name TEXT NOT NULL CHECK (length(name) > 0),
  token_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL DEFAULT '',
  user_id {{BIGINT}} REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),
  scopes {{JSON}} NOT NULL DEFAULT '[]',
  expires_at {{TS}},
  last_used_at {{TS}},
  revoked_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens(user_id);

CREATE TABLE audit_log (
  id {{ID}},
  at {{TS}} NOT NULL,
  actor TEXT NOT NULL,
  actor_type TEXT NOT NULL CHECK (actor_type IN ('user','token','system')),
  procedure TEXT NOT NULL,
  outcome TEXT NOT NULL,
  input_digest TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  remote_addr TEXT NOT NULL DEFAULT '',
  detail {{JSON}} NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log(at);
CREATE INDEX audit_log_actor_idx ON audit_log(actor);
CREATE INDEX audit_log_procedure_idx ON audit_log(procedure);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value {{JSON}} NOT NULL,
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);

CREATE TABLE jobs (
  id {{ID}},
  kind TEXT NOT NULL CHECK (length(kind) > 0),
  payload {{JSON}} NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued','running','succeeded','failed','dead','cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  run_after {{TS}} NOT NULL,
  lease_owner TEXT,
  lease_expires_at {{TS}},
  last_error TEXT,
  result {{JSON}},
  singleton_key TEXT,
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX jobs_due_idx ON jobs(state, run_after);
CREATE INDEX jobs_lease_idx ON jobs(state, lease_expires_at);
CREATE UNIQUE INDEX jobs_singleton_key_idx ON jobs(singleton_key)
  WHERE state IN ('queued','running');

CREATE TABLE events (
  id {{ID}},
  type TEXT NOT NULL CHECK (length(type) > 0),
  payload {{JSON}} NOT NULL DEFAULT '{}',
  created_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX events_created_at_idx ON events(created_at);

-- ---------------------------------------------------------------- AI Incident Commander
CREATE TABLE incidents (
  id {{ID}},
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL CHECK (severity IN ('critical','high','medium','low')),
  status TEXT NOT NULL DEFAULT 'detected'
    CHECK (status IN ('detected','investigating','mitigating','resolved')),
  source TEXT NOT NULL DEFAULT 'manual',
  service TEXT,
  fingerprint TEXT,
  affected_services {{JSON}} NOT NULL DEFAULT '[]',
  labels {{JSON}} NOT NULL DEFAULT '{}',
  root_cause TEXT,
  root_cause_analysis {{JSON}},
  ai_analysis {{JSON}},
  post_mortem TEXT,
  assigned_to {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL,
  acknowledged_by {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL,
  detected_at {{TS}} NOT NULL DEFAULT {{NOW}},
  acknowledged_at {{TS}},
  resolved_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX incidents_status_idx ON incidents(status, severity);
CREATE INDEX incidents_fingerprint_idx ON incidents(fingerprint);
CREATE INDEX incidents_detected_at_idx ON incidents(detected_at);

CREATE TABLE runbooks (
  id {{ID}},
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  trigger_conditions {{JSON}} NOT NULL DEFAULT '{}',
  steps {{JSON}} NOT NULL DEFAULT '[]',
  version INTEGER NOT NULL DEFAULT 1,
  source TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual','generated','imported')),
  requires_approval {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  enabled {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  success_count INTEGER NOT NULL DEFAULT 0,
  failure_count INTEGER NOT NULL DEFAULT 0,
  created_by {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL,
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);

CREATE TABLE runbook_executions (
  id {{ID}},
  runbook_id {{BIGINT}} NOT NULL REFERENCES runbooks(id) ON DELETE CASCADE,
  incident_id {{BIGINT}} REFERENCES incidents(id) ON DELETE SET NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending','awaiting_approval','running','succeeded','failed','cancelled')),
  dry_run {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  triggered_by TEXT NOT NULL DEFAULT '',
  approved_by {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL,
  current_step INTEGER NOT NULL DEFAULT 0,
  step_results {{JSON}} NOT NULL DEFAULT '[]',
  output TEXT,
  error TEXT,
  started_at {{TS}},
  completed_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX runbook_executions_runbook_idx ON runbook_executions(runbook_id);
CREATE INDEX runbook_executions_incident_idx ON runbook_executions(incident_id);

CREATE TABLE incident_actions (
  id {{ID}},
  incident_id {{BIGINT}} NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  action_type TEXT NOT NULL CHECK (action_type IN ('comment','acknowledge','status_change',
    'severity_change','assign','runbook_execution','healing_action','notification',
    'escalation','analysis','resolve','alert_attached','alert_resolved','reopen')),
  description TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  automated {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  status TEXT NOT NULL DEFAULT 'completed'
    CHECK (status IN ('pending','running','completed','failed')),
  details {{JSON}} NOT NULL DEFAULT '{}',
  runbook_execution_id {{BIGINT}} REFERENCES runbook_executions(id) ON DELETE SET NULL,
  created_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX incident_actions_incident_idx ON incident_actions(incident_id, created_at);

-- ---------------------------------------------------------------- AI Security Guardian
CREATE TABLE security_scans (
  id {{ID}},
  scan_type TEXT NOT NULL CHECK (scan_type IN ('container','kubernetes','secrets','compliance')),
  target TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending','running','completed','failed')),
  critical_count INTEGER NOT NULL DEFAULT 0,
  high_count INTEGER NOT NULL DEFAULT 0,
  medium_count INTEGER NOT NULL DEFAULT 0,
  low_count INTEGER NOT NULL DEFAULT 0,
  report {{JSON}},
  sbom {{JSON}},
  error TEXT,
  triggered_by TEXT NOT NULL DEFAULT '',
  started_at {{TS}},
  completed_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX security_scans_type_idx ON security_scans(scan_type, created_at);

CREATE TABLE vulnerabilities (
  id {{ID}},
  scan_id {{BIGINT}} NOT NULL REFERENCES security_scans(id) ON DELETE CASCADE,
  vuln_id TEXT NOT NULL,
  aliases {{JSON}} NOT NULL DEFAULT '[]',
  severity TEXT NOT NULL CHECK (severity IN ('critical','high','medium','low','unknown')),
  cvss_score {{REAL}},
  package_name TEXT NOT NULL DEFAULT '',
  package_version TEXT NOT NULL DEFAULT '',
  ecosystem TEXT NOT NULL DEFAULT '',
  fixed_version TEXT,
  title TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  location TEXT,
  status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open','patched','ignored','false_positive')),
  details {{JSON}} NOT NULL DEFAULT '{}',
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX vulnerabilities_scan_idx ON vulnerabilities(scan_id);
CREATE INDEX vulnerabilities_vuln_id_idx ON vulnerabilities(vuln_id);
CREATE INDEX vulnerabilities_status_idx ON vulnerabilities(status, severity);

CREATE TABLE security_policies (
  id {{ID}},
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  policy_type TEXT NOT NULL
    CHECK (policy_type IN ('vulnerability','secrets','kubernetes','compliance','license')),
  framework TEXT,
  rules {{JSON}} NOT NULL DEFAULT '{}',
  severity_threshold TEXT NOT NULL DEFAULT 'high'
    CHECK (severity_threshold IN ('critical','high','medium','low')),
  enforcement TEXT NOT NULL DEFAULT 'warn' CHECK (enforcement IN ('audit','warn','block')),
  enabled {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);

CREATE TABLE compliance_reports (
  id {{ID}},
  framework TEXT NOT NULL
    CHECK (framework IN ('cis_kubernetes','nsa_cisa','soc2','pci_dss','hipaa','iso27001','custom')),
  scan_id {{BIGINT}} REFERENCES security_scans(id) ON DELETE SET NULL,
  target TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending','running','completed','failed')),
  score {{REAL}},
  passed_controls INTEGER NOT NULL DEFAULT 0,
  failed_controls INTEGER NOT NULL DEFAULT 0,
  total_controls INTEGER NOT NULL DEFAULT 0,
  findings {{JSON}} NOT NULL DEFAULT '[]',
  report {{JSON}},
  generated_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX compliance_reports_framework_idx ON compliance_reports(framework, created_at);

-- ---------------------------------------------------------------- AI Cost Optimizer
CREATE TABLE cost_records (
  id {{ID}},
  provider TEXT NOT NULL,
  account_id TEXT NOT NULL DEFAULT '',
  service TEXT NOT NULL DEFAULT '',
  resource_id TEXT NOT NULL DEFAULT '',
  resource_type TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  namespace TEXT,
  charge_category TEXT NOT NULL DEFAULT 'usage',
  billed_cost {{REAL}} NOT NULL DEFAULT 0,
  effective_cost {{REAL}} NOT NULL DEFAULT 0,
  list_cost {{REAL}},
  usage_quantity {{REAL}},
  usage_unit TEXT,
  currency TEXT NOT NULL DEFAULT 'USD',
  period_start {{TS}} NOT NULL,
  period_end {{TS}} NOT NULL,
  billing_period TEXT NOT NULL DEFAULT '',
  import_id TEXT,
  tags {{JSON}} NOT NULL DEFAULT '{}',
  metadata {{JSON}} NOT NULL DEFAULT '{}',
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  CHECK (period_end >= period_start)
);
CREATE INDEX cost_records_period_idx ON cost_records(period_start, period_end);
CREATE INDEX cost_records_service_idx ON cost_records(provider, service);
CREATE INDEX cost_records_resource_idx ON cost_records(resource_id);
CREATE INDEX cost_records_import_idx ON cost_records(import_id);

CREATE TABLE cost_recommendations (
  id {{ID}},
  recommendation_type TEXT NOT NULL CHECK (recommendation_type IN ('rightsizing','idle_resource',
    'reserved_instance','savings_plan','spot_instance','storage_optimization','scheduling','other')),
  resource_id TEXT NOT NULL DEFAULT '',
  resource_type TEXT NOT NULL DEFAULT '',
  provider TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  current_cost {{REAL}} NOT NULL DEFAULT 0,
  projected_cost {{REAL}} NOT NULL DEFAULT 0,
  estimated_savings {{REAL}} NOT NULL DEFAULT 0,
  currency TEXT NOT NULL DEFAULT 'USD',
  confidence {{REAL}},
  risk_level TEXT NOT NULL DEFAULT 'low' CHECK (risk_level IN ('low','medium','high')),
  status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open','applied','dismissed','expired')),
  details {{JSON}} NOT NULL DEFAULT '{}',
  applied_at {{TS}},
  applied_by {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL,
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX cost_recommendations_status_idx ON cost_recommendations(status, estimated_savings);

CREATE TABLE resource_utilization (
  id {{ID}},
  resource_id TEXT NOT NULL,
  resource_type TEXT NOT NULL DEFAULT '',
  namespace TEXT,
  cpu_request {{REAL}},
  cpu_usage_avg {{REAL}},
  cpu_usage_p95 {{REAL}},
  cpu_usage_max {{REAL}},
  memory_request {{REAL}},
  memory_usage_avg {{REAL}},
  memory_usage_p95 {{REAL}},
  memory_usage_max {{REAL}},
  storage_usage {{REAL}},
  network_bytes {{REAL}},
  sample_count INTEGER NOT NULL DEFAULT 0,
  period_start {{TS}} NOT NULL,
  period_end {{TS}} NOT NULL,
  metadata {{JSON}} NOT NULL DEFAULT '{}',
  created_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX resource_utilization_resource_idx ON resource_utilization(resource_id, period_start);

CREATE TABLE budget_alerts (
  id {{ID}},
  name TEXT NOT NULL UNIQUE,
  scope {{JSON}} NOT NULL DEFAULT '{}',
  amount {{REAL}} NOT NULL CHECK (amount >= 0),
  currency TEXT NOT NULL DEFAULT 'USD',
  period TEXT NOT NULL DEFAULT 'monthly' CHECK (period IN ('daily','weekly','monthly','quarterly','yearly')),
  threshold_percent {{REAL}} NOT NULL DEFAULT 80,
  current_spend {{REAL}} NOT NULL DEFAULT 0,
  forecast_spend {{REAL}},
  status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok','warning','exceeded')),
  notify_channels {{JSON}} NOT NULL DEFAULT '[]',
  enabled {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  last_triggered_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);

-- ---------------------------------------------------------------- AI CI/CD Orchestrator
CREATE TABLE pipelines (
  id {{ID}},
  name TEXT NOT NULL UNIQUE,
  repository TEXT NOT NULL DEFAULT '',
  branch TEXT NOT NULL DEFAULT 'main',
  provider TEXT NOT NULL DEFAULT 'local'
    CHECK (provider IN ('local','github_actions','gitlab_ci','jenkins','other')),
  config {{JSON}} NOT NULL DEFAULT '{}',
  generated {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','paused','archived')),
  last_run_status TEXT,
  last_run_at {{TS}},
  success_rate {{REAL}},
  avg_duration_seconds {{REAL}},
  created_by {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL,
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);

CREATE TABLE pipeline_runs (
  id {{ID}},
  pipeline_id {{BIGINT}} NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  run_number INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued','running','succeeded','failed','cancelled','skipped')),
  trigger_type TEXT NOT NULL DEFAULT 'manual'
    CHECK (trigger_type IN ('manual','push','pull_request','schedule','api','retry')),
  commit_sha TEXT,
  branch TEXT,
  triggered_by TEXT NOT NULL DEFAULT '',
  stages {{JSON}} NOT NULL DEFAULT '[]',
  logs_path TEXT,
  failure_prediction {{REAL}},
  failure_reason TEXT,
  duration_ms {{BIGINT}},
  started_at {{TS}},
  finished_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}},
  UNIQUE (pipeline_id, run_number)
);
CREATE INDEX pipeline_runs_status_idx ON pipeline_runs(status);

CREATE TABLE pipeline_optimizations (
  id {{ID}},
  pipeline_id {{BIGINT}} NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  optimization_type TEXT NOT NULL CHECK (optimization_type IN ('caching','parallelization',
    'test_selection','resource_allocation','step_removal','flaky_test','other')),
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  estimated_time_savings_seconds {{REAL}},
  estimated_cost_savings {{REAL}},
  confidence {{REAL}},
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','applied','dismissed')),
  details {{JSON}} NOT NULL DEFAULT '{}',
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX pipeline_optimizations_pipeline_idx ON pipeline_optimizations(pipeline_id);

CREATE TABLE test_intelligence (
  id {{ID}},
  pipeline_id {{BIGINT}} REFERENCES pipelines(id) ON DELETE CASCADE,
  test_name TEXT NOT NULL,
  test_suite TEXT NOT NULL DEFAULT '',
  file_path TEXT,
  total_runs INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  flaky_score {{REAL}} NOT NULL DEFAULT 0,
  is_flaky {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  avg_duration_ms {{REAL}},
  failure_probability {{REAL}},
  last_status TEXT CHECK (last_status IN ('passed','failed','skipped','error')),
  last_failure_message TEXT,
  quarantined {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  history {{JSON}} NOT NULL DEFAULT '[]',
  last_run_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE UNIQUE INDEX test_intelligence_test_idx ON test_intelligence(pipeline_id, test_suite, test_name);

-- ---------------------------------------------------------------- AI Documentation Generator
CREATE TABLE doc_templates (
  id {{ID}},
  name TEXT NOT NULL UNIQUE,
  doc_type TEXT NOT NULL CHECK (doc_type IN ('runbook','post_mortem','architecture','api',
    'release_notes','changelog','onboarding','custom')),
  description TEXT NOT NULL DEFAULT '',
  template TEXT NOT NULL,
  variables {{JSON}} NOT NULL DEFAULT '[]',
  is_default {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);

CREATE TABLE generated_docs (
  id {{ID}},
  title TEXT NOT NULL,
  doc_type TEXT NOT NULL CHECK (doc_type IN ('runbook','post_mortem','architecture','api',
    'release_notes','changelog','onboarding','custom')),
  content TEXT NOT NULL DEFAULT '',
  format TEXT NOT NULL DEFAULT 'markdown' CHECK (format IN ('markdown','html','json','mermaid')),
  template_id {{BIGINT}} REFERENCES doc_templates(id) ON DELETE SET NULL,
  source_type TEXT,
  source_id TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','published','archived')),
  tags {{JSON}} NOT NULL DEFAULT '[]',
  metadata {{JSON}} NOT NULL DEFAULT '{}',
  generated_by TEXT NOT NULL DEFAULT 'system',
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX generated_docs_type_idx ON generated_docs(doc_type, created_at);
CREATE INDEX generated_docs_source_idx ON generated_docs(source_type, source_id);

CREATE TABLE architecture_snapshots (
  id {{ID}},
  name TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 1,
  source TEXT NOT NULL DEFAULT 'manual'
    CHECK (source IN ('manual','kubernetes','manifests','prometheus','combined')),
  components {{JSON}} NOT NULL DEFAULT '[]',
  connections {{JSON}} NOT NULL DEFAULT '[]',
  diagram TEXT,
  diagram_format TEXT CHECK (diagram_format IN ('mermaid','dot','svg','json')),
  metadata {{JSON}} NOT NULL DEFAULT '{}',
  captured_at {{TS}} NOT NULL DEFAULT {{NOW}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX architecture_snapshots_captured_idx ON architecture_snapshots(captured_at);

-- ---------------------------------------------------------------- Self-Healing Engine
CREATE TABLE healing_rules (
  id {{ID}},
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  condition_type TEXT NOT NULL CHECK (condition_type IN ('alert','metric_threshold','anomaly',
    'deployment_failure','config_drift','log_pattern','health_check')),
  condition_config {{JSON}} NOT NULL DEFAULT '{}',
  action_type TEXT NOT NULL CHECK (action_type IN ('restart_process','restart_service',
    'restart_pod','rollout_restart','scale_up','scale_down','rollback','cordon_node',
    'run_runbook','http_request','notify','custom')),
  action_config {{JSON}} NOT NULL DEFAULT '{}',
  enabled {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  dry_run {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  requires_approval {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  cooldown_seconds INTEGER NOT NULL DEFAULT 300 CHECK (cooldown_seconds >= 0),
  max_retries INTEGER NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
  max_executions_per_hour INTEGER NOT NULL DEFAULT 10 CHECK (max_executions_per_hour >= 0),
  priority INTEGER NOT NULL DEFAULT 100,
  success_count INTEGER NOT NULL DEFAULT 0,
  failure_count INTEGER NOT NULL DEFAULT 0,
  last_triggered_at {{TS}},
  created_by {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL,
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);

CREATE TABLE healing_actions (
  id {{ID}},
  rule_id {{BIGINT}} REFERENCES healing_rules(id) ON DELETE SET NULL,
  incident_id {{BIGINT}} REFERENCES incidents(id) ON DELETE SET NULL,
  action_type TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','awaiting_approval',
    'approved','rejected','running','succeeded','failed','skipped','rolled_back')),
  dry_run {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  trigger_event {{JSON}} NOT NULL DEFAULT '{}',
  action_config {{JSON}} NOT NULL DEFAULT '{}',
  result {{JSON}},
  error TEXT,
  attempt INTEGER NOT NULL DEFAULT 1,
  decided_by TEXT NOT NULL DEFAULT '',
  approved_by {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL,
  started_at {{TS}},
  completed_at {{TS}},
  duration_ms {{BIGINT}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX healing_actions_rule_idx ON healing_actions(rule_id, created_at);
CREATE INDEX healing_actions_status_idx ON healing_actions(status);

CREATE TABLE healing_patterns (
  id {{ID}},
  signature TEXT NOT NULL,
  condition_type TEXT NOT NULL DEFAULT '',
  action_type TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  occurrences INTEGER NOT NULL DEFAULT 0,
  success_count INTEGER NOT NULL DEFAULT 0,
  failure_count INTEGER NOT NULL DEFAULT 0,
  success_rate {{REAL}} NOT NULL DEFAULT 0,
  avg_recovery_seconds {{REAL}},
  confidence {{REAL}} NOT NULL DEFAULT 0,
  features {{JSON}} NOT NULL DEFAULT '{}',
  last_seen_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}},
  UNIQUE (signature, action_type)
);
)SQL";

// Migration 2: the Incident Commander's signal store. One `alerts` row per fingerprint (its
// current state, how often it was received), and `incident_alerts` for membership history.
constexpr std::string_view kMigration2 = R"SQL(
CREATE TABLE alerts (
  id {{ID}},
  fingerprint TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL DEFAULT 'alertmanager',
  status TEXT NOT NULL CHECK (status IN ('firing','resolved')),
  alertname TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL CHECK (severity IN ('critical','high','medium','low')),
  labels {{JSON}} NOT NULL DEFAULT '{}',
  annotations {{JSON}} NOT NULL DEFAULT '{}',
  generator_url TEXT NOT NULL DEFAULT '',
  starts_at {{TS}} NOT NULL,
  ends_at {{TS}},
  incident_id {{BIGINT}} REFERENCES incidents(id) ON DELETE SET NULL,
  inhibited_by TEXT,
  receive_count {{BIGINT}} NOT NULL DEFAULT 1,
  first_received_at {{TS}} NOT NULL,
  last_received_at {{TS}} NOT NULL
);
CREATE INDEX alerts_incident_idx ON alerts(incident_id);
CREATE INDEX alerts_status_idx ON alerts(status, severity);
CREATE TABLE incident_alerts (
  incident_id {{BIGINT}} NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  attached_at {{TS}} NOT NULL,
  resolved_at {{TS}},
  PRIMARY KEY (incident_id, fingerprint)
);
CREATE INDEX incident_alerts_fingerprint_idx ON incident_alerts(fingerprint);
ALTER TABLE incidents ADD COLUMN last_signal_at {{TS}};
ALTER TABLE incidents ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN alert_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN flapping {{BOOL}} NOT NULL DEFAULT {{FALSE}};
CREATE INDEX incidents_open_signal_idx ON incidents(status, last_signal_at);
)SQL";

// Migration 4 (issue #6): the offline OSV advisory database (records kept whole, with their
// ranges, plus one row per affected package for lookup) and per-finding fields of dependency
// scans. security_scans.scan_type 'container' covers every dependency scan (image, root
// filesystem, repository, lockfile); report.targetKind says which.
constexpr std::string_view kMigration4 = R"SQL(
CREATE TABLE advisories (
  id TEXT PRIMARY KEY,
  modified TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  record {{JSON}} NOT NULL,
  imported_at {{TS}} NOT NULL
);
CREATE TABLE advisory_packages (
  advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (advisory_id, ecosystem, name)
);
CREATE INDEX advisory_packages_name_idx ON advisory_packages(name);
CREATE INDEX vulnerabilities_package_idx ON vulnerabilities(package_name);
)SQL";

// Migration 8: runbooks with approvals and durable executions, and watched PromQL queries
// (issue #3). `runbooks.definition` keeps the text the user wrote; `runbook_executions`
// snapshots the definition it runs, so editing a runbook never changes a running execution.
constexpr std::string_view kMigration8 = R"SQL(
ALTER TABLE runbooks ADD COLUMN auto_execute {{BOOL}} NOT NULL DEFAULT {{FALSE}};
ALTER TABLE runbooks ADD COLUMN definition TEXT NOT NULL DEFAULT '';
ALTER TABLE runbook_executions ADD COLUMN requested_by {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE runbook_executions ADD COLUMN parameters {{JSON}} NOT NULL DEFAULT '{}';
ALTER TABLE runbook_executions ADD COLUMN definition {{JSON}} NOT NULL DEFAULT '{}';
ALTER TABLE runbook_executions ADD COLUMN runbook_version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX runbook_executions_status_idx ON runbook_executions(status);
CREATE TABLE runbook_approvals (
  id {{ID}},
  execution_id {{BIGINT}} NOT NULL REFERENCES runbook_executions(id) ON DELETE CASCADE,
  step_index INTEGER NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('approved','rejected')),
  decided_by {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL,
  decided_by_name TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at {{TS}} NOT NULL
);
CREATE UNIQUE INDEX runbook_approvals_step_idx ON runbook_approvals(execution_id, step_index);
CREATE TABLE watched_queries (
  id {{ID}},
  name TEXT NOT NULL UNIQUE,
  query TEXT NOT NULL,
  step_seconds INTEGER NOT NULL DEFAULT 60 CHECK (step_seconds > 0),
  window_seconds INTEGER NOT NULL DEFAULT 86400 CHECK (window_seconds > 0),
  threshold {{REAL}} NOT NULL DEFAULT 0.9,
  severity TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('critical','high','medium','low')),
  labels {{JSON}} NOT NULL DEFAULT '{}',
  enabled {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  last_run_at {{TS}},
  last_error TEXT,
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
)SQL";

// Migration 11: log intelligence (issue #4). Sources with their read position and the miner's
// saved state; templates per source (the miner's cluster id and template text are the identity);
// per-template counts per minute (never the raw lines); a bounded sample of lines per template;
// the signals raised (one row per fingerprint, reopened when it fires again).
constexpr std::string_view kMigration11 = R"SQL(
CREATE TABLE log_sources (
  id {{ID}},
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('file','journald','push')),
  path TEXT NOT NULL DEFAULT '',
  format TEXT NOT NULL DEFAULT '',
  masks {{JSON}} NOT NULL DEFAULT '[]',
  options {{JSON}} NOT NULL DEFAULT '{}',
  enabled {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  position {{JSON}} NOT NULL DEFAULT '{}',
  miner_state TEXT,
  lines_total {{BIGINT}} NOT NULL DEFAULT 0,
  rejected_total {{BIGINT}} NOT NULL DEFAULT 0,
  rejected_reasons {{JSON}} NOT NULL DEFAULT '{}',
  last_error TEXT,
  last_line_at {{TS}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE TABLE log_templates (
  id {{ID}},
  source_id {{BIGINT}} NOT NULL REFERENCES log_sources(id) ON DELETE CASCADE,
  cluster_id {{BIGINT}} NOT NULL,
  template TEXT NOT NULL,
  level TEXT NOT NULL DEFAULT 'unknown',
  mark TEXT NOT NULL DEFAULT 'none' CHECK (mark IN ('none','noise','critical')),
  total {{BIGINT}} NOT NULL DEFAULT 0,
  first_seen {{TS}} NOT NULL,
  last_seen {{TS}} NOT NULL
);
CREATE INDEX log_templates_cluster_idx ON log_templates(source_id, cluster_id);
CREATE TABLE log_template_counts (
  template_id {{BIGINT}} NOT NULL REFERENCES log_templates(id) ON DELETE CASCADE,
  minute {{TS}} NOT NULL,
  count {{BIGINT}} NOT NULL,
  PRIMARY KEY (template_id, minute)
);
CREATE INDEX log_template_counts_minute_idx ON log_template_counts(minute);
CREATE TABLE log_samples (
  id {{ID}},
  template_id {{BIGINT}} NOT NULL REFERENCES log_templates(id) ON DELETE CASCADE,
  source_id {{BIGINT}} NOT NULL REFERENCES log_sources(id) ON DELETE CASCADE,
  at {{TS}} NOT NULL,
  line TEXT NOT NULL
);
CREATE INDEX log_samples_template_idx ON log_samples(template_id, id);
CREATE TABLE log_signals (
  id {{ID}},
  fingerprint TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  source_id {{BIGINT}} REFERENCES log_sources(id) ON DELETE CASCADE,
  template_id {{BIGINT}} REFERENCES log_templates(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('firing','resolved')),
  severity TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',
  details {{JSON}} NOT NULL DEFAULT '{}',
  count INTEGER NOT NULL DEFAULT 1,
  fired_at {{TS}} NOT NULL,
  last_at {{TS}} NOT NULL,
  resolved_at {{TS}}
);
)SQL";

// Migration 3: the Cost Optimizer's imports and pre-aggregates. `cost_imports` makes a file
// import idempotent (one committed import per file digest) and staged (rows are written under a
// 'loading' import and become visible when it commits, replacing the same billing period and
// account of earlier imports in one short transaction). `cost_daily` holds the daily totals per
// dimension that breakdowns and forecasts read; `cost_hourly` the on-demand compute profile that
// commitment sizing reads; `cost_budget_notifications` one row per alerted budget crossing.
constexpr std::string_view kMigration3 = R"SQL(
CREATE TABLE cost_imports (
  id {{ID}},
  digest TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  format TEXT NOT NULL DEFAULT 'focus',
  status TEXT NOT NULL DEFAULT 'loading' CHECK (status IN ('loading','committed','failed','replaced')),
  row_count {{BIGINT}} NOT NULL DEFAULT 0,
  billed_cost {{REAL}} NOT NULL DEFAULT 0,
  effective_cost {{REAL}} NOT NULL DEFAULT 0,
  currency TEXT NOT NULL DEFAULT '',
  periods {{JSON}} NOT NULL DEFAULT '[]',
  error TEXT,
  created_by TEXT NOT NULL DEFAULT '',
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  committed_at {{TS}}
);
CREATE UNIQUE INDEX cost_imports_digest_committed_idx ON cost_imports(digest) WHERE status = 'committed';
CREATE TABLE cost_daily (
  import_id {{BIGINT}} NOT NULL REFERENCES cost_imports(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  billing_period TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  billing_account TEXT NOT NULL DEFAULT '',
  sub_account TEXT NOT NULL DEFAULT '',
  service TEXT NOT NULL DEFAULT '',
  service_category TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  charge_category TEXT NOT NULL DEFAULT '',
  currency TEXT NOT NULL DEFAULT 'USD',
  billed_cost {{REAL}} NOT NULL DEFAULT 0,
  effective_cost {{REAL}} NOT NULL DEFAULT 0,
  list_cost {{REAL}} NOT NULL DEFAULT 0,
  row_count {{BIGINT}} NOT NULL DEFAULT 0
);
CREATE INDEX cost_daily_day_idx ON cost_daily(day);
CREATE INDEX cost_daily_import_idx ON cost_daily(import_id, billing_period, billing_account);
CREATE TABLE cost_hourly (
  import_id {{BIGINT}} NOT NULL REFERENCES cost_imports(id) ON DELETE CASCADE,
  hour {{TS}} NOT NULL,
  billing_period TEXT NOT NULL DEFAULT '',
  on_demand_compute {{REAL}} NOT NULL DEFAULT 0
);
CREATE INDEX cost_hourly_hour_idx ON cost_hourly(hour);
CREATE TABLE cost_budget_notifications (
  budget_id {{BIGINT}} NOT NULL REFERENCES budget_alerts(id) ON DELETE CASCADE,
  crossing TEXT NOT NULL,
  kind TEXT NOT NULL,
  value {{REAL}} NOT NULL DEFAULT 0,
  notified_at {{TS}} NOT NULL,
  PRIMARY KEY (budget_id, crossing)
);
CREATE INDEX cost_records_billing_idx ON cost_records(billing_period, account_id);
ALTER TABLE budget_alerts ADD COLUMN thresholds {{JSON}} NOT NULL DEFAULT '[]';
ALTER TABLE budget_alerts ADD COLUMN burn_rate {{REAL}};
)SQL";

// Migration 6: the Self-Healing Engine (issue #5). healing_actions was never written before
// version 6 (no code used it), so it is recreated with the statuses a decision needs
// (verifying, escalated, dry_run) and the decision's own columns (verdict, reason, symptom
// signature, signal fingerprint, verification). healing_rules gains the breaker, verification
// and learned auto-approval settings.
constexpr std::string_view kMigration6 = R"SQL(
DROP TABLE healing_actions;
CREATE TABLE healing_actions (
  id {{ID}},
  rule_id {{BIGINT}} REFERENCES healing_rules(id) ON DELETE SET NULL,
  incident_id {{BIGINT}} REFERENCES incidents(id) ON DELETE SET NULL,
  action_type TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','awaiting_approval',
    'approved','rejected','running','verifying','succeeded','failed','skipped','escalated',
    'dry_run','rolled_back')),
  dry_run {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  trigger_event {{JSON}} NOT NULL DEFAULT '{}',
  action_config {{JSON}} NOT NULL DEFAULT '{}',
  result {{JSON}},
  error TEXT,
  attempt INTEGER NOT NULL DEFAULT 1,
  decided_by TEXT NOT NULL DEFAULT '',
  approved_by {{BIGINT}} REFERENCES users(id) ON DELETE SET NULL,
  started_at {{TS}},
  completed_at {{TS}},
  duration_ms {{BIGINT}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}},
  rule_name TEXT NOT NULL DEFAULT '',
  verdict TEXT NOT NULL DEFAULT 'skip' CHECK (verdict IN ('execute','dry_run','needs_approval',
    'escalate','skip')),
  reason TEXT NOT NULL DEFAULT '',
  signature TEXT NOT NULL DEFAULT '',
  fingerprint TEXT NOT NULL DEFAULT '',
  confidence {{REAL}} NOT NULL DEFAULT 0,
  verify_by {{TS}},
  verified_at {{TS}},
  recovery_seconds {{REAL}},
  approval_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX healing_actions_rule_idx ON healing_actions(rule_id, created_at);
CREATE INDEX healing_actions_status_idx ON healing_actions(status);
CREATE INDEX healing_actions_created_idx ON healing_actions(created_at);
CREATE INDEX healing_actions_fingerprint_idx ON healing_actions(fingerprint, status);
ALTER TABLE healing_rules ADD COLUMN verify_seconds INTEGER NOT NULL DEFAULT 120;
ALTER TABLE healing_rules ADD COLUMN breaker_failures INTEGER NOT NULL DEFAULT 3;
ALTER TABLE healing_rules ADD COLUMN breaker_reset_seconds INTEGER NOT NULL DEFAULT 1800;
ALTER TABLE healing_rules ADD COLUMN auto_approve_min_confidence {{REAL}} NOT NULL DEFAULT 0;
ALTER TABLE healing_rules ADD COLUMN auto_approve_min_samples INTEGER NOT NULL DEFAULT 5;
)SQL";

// Migration 9 (issue #10, documentation generator): document versions (every generated or human
// revision), a human-edit flag so regeneration never overwrites people's edits, document links
// (incidents, runbooks, services) and tags for the knowledge base, template data sources and
// refresh intervals, and snapshot lookups by name.
constexpr std::string_view kMigration9 = R"SQL(
CREATE TABLE doc_versions (
  id {{ID}},
  doc_id {{BIGINT}} NOT NULL REFERENCES generated_docs(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  title TEXT NOT NULL,
  content TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('generated','human','imported')),
  author TEXT NOT NULL DEFAULT '',
  applied {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  UNIQUE (doc_id, version)
);
ALTER TABLE generated_docs ADD COLUMN human_edited {{BOOL}} NOT NULL DEFAULT {{FALSE}};
ALTER TABLE generated_docs ADD COLUMN links {{JSON}} NOT NULL DEFAULT '[]';
CREATE INDEX generated_docs_updated_idx ON generated_docs(updated_at);
ALTER TABLE doc_templates ADD COLUMN data_source TEXT NOT NULL DEFAULT 'none';
ALTER TABLE doc_templates ADD COLUMN refresh_seconds INTEGER NOT NULL DEFAULT 0;
CREATE INDEX architecture_snapshots_name_idx ON architecture_snapshots(name, version);
)SQL";

// Migration 10 (issue #12): notifications and the assistant. Channels (webhook, Slack, Teams,
// email, the web inbox), routes (rule JSON parsed by engines/notify), messages (one row per
// channel and dedup key: UNIQUE makes "each state change reaches a channel once" a database
// guarantee), every delivery attempt (the delivery log), and the assistant's answers with the
// tool calls they made and the token/cost accounting per request.
constexpr std::string_view kMigration10 = R"SQL(
CREATE TABLE notification_channels (
  id {{ID}},
  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  type TEXT NOT NULL CHECK (type IN ('webhook','slack','teams','email','inbox')),
  config {{JSON}} NOT NULL DEFAULT '{}',
  rate_limit_per_hour INTEGER NOT NULL DEFAULT 60 CHECK (rate_limit_per_hour >= 0),
  enabled {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}},
  updated_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE TABLE notification_routes (
  id {{ID}},
  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  rule {{JSON}} NOT NULL,
  enabled {{BOOL}} NOT NULL DEFAULT {{TRUE}},
  created_at {{TS}} NOT NULL DEFAULT {{NOW}}
);
CREATE TABLE notification_messages (
  id {{ID}},
  channel_id {{BIGINT}} NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
  route_id {{BIGINT}} REFERENCES notification_routes(id) ON DELETE SET NULL,
  dedup_key TEXT NOT NULL,
  event_kind TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL DEFAULT 'low',
  title TEXT NOT NULL,
  body {{JSON}} NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','failed','inbox')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  response_status INTEGER,
  deliver_after {{TS}} NOT NULL,
  created_at {{TS}} NOT NULL,
  sent_at {{TS}},
  read_at {{TS}},
  UNIQUE (channel_id, dedup_key)
);
CREATE INDEX notification_messages_status_idx ON notification_messages(status, created_at);
CREATE INDEX notification_messages_sent_idx ON notification_messages(channel_id, sent_at);
CREATE TABLE notification_attempts (
  id {{ID}},
  message_id {{BIGINT}} NOT NULL REFERENCES notification_messages(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  at {{TS}} NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('sent','failed','deferred')),
  response_status INTEGER,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notification_attempts_message_idx ON notification_attempts(message_id, attempt);
CREATE TABLE assistant_answers (
  id {{ID}},
  asked_by TEXT NOT NULL,
  question TEXT NOT NULL,
  answer TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('llm','fallback')),
  tool_calls {{JSON}} NOT NULL DEFAULT '[]',
  citations {{JSON}} NOT NULL DEFAULT '[]',
  proposals {{JSON}} NOT NULL DEFAULT '[]',
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd {{REAL}} NOT NULL DEFAULT 0,
  error TEXT,
  created_at {{TS}} NOT NULL
);
CREATE INDEX assistant_answers_created_idx ON assistant_answers(created_at);
)SQL";

// Migration 17: the Cost Optimizer's collectors (issue #8). resource_utilization rows say which
// collector wrote them (`source`: prometheus, ...) so an hour collected again replaces its own
// rows only; `cost_collector_state` keeps each scheduled collector's cursor (the first hour not
// yet collected) so missed hours are backfilled; `cost_allocations` holds OpenCost's allocation
// API answers (one row per window and allocation name: namespace, controller, pod, costs);
// `cost_anomalies` one row per raised daily spend anomaly (dimension, key, day), so a day is
// signalled once.
constexpr std::string_view kMigration17 = R"SQL(
ALTER TABLE resource_utilization ADD COLUMN source TEXT NOT NULL DEFAULT '';
CREATE INDEX resource_utilization_source_idx ON resource_utilization(source, period_start);
CREATE TABLE cost_collector_state (
  name TEXT PRIMARY KEY,
  cursor_at {{TS}},
  last_run_at {{TS}},
  last_error TEXT,
  details {{JSON}} NOT NULL DEFAULT '{}'
);
CREATE TABLE cost_allocations (
  id {{ID}},
  source TEXT NOT NULL DEFAULT 'opencost',
  window_start {{TS}} NOT NULL,
  window_end {{TS}} NOT NULL,
  day TEXT NOT NULL,
  name TEXT NOT NULL,
  cluster TEXT NOT NULL DEFAULT '',
  namespace TEXT NOT NULL DEFAULT '',
  controller_kind TEXT NOT NULL DEFAULT '',
  controller TEXT NOT NULL DEFAULT '',
  pod TEXT NOT NULL DEFAULT '',
  container TEXT NOT NULL DEFAULT '',
  cpu_cost {{REAL}} NOT NULL DEFAULT 0,
  ram_cost {{REAL}} NOT NULL DEFAULT 0,
  gpu_cost {{REAL}} NOT NULL DEFAULT 0,
  pv_cost {{REAL}} NOT NULL DEFAULT 0,
  network_cost {{REAL}} NOT NULL DEFAULT 0,
  load_balancer_cost {{REAL}} NOT NULL DEFAULT 0,
  shared_cost {{REAL}} NOT NULL DEFAULT 0,
  external_cost {{REAL}} NOT NULL DEFAULT 0,
  total_cost {{REAL}} NOT NULL DEFAULT 0,
  currency TEXT NOT NULL DEFAULT 'USD',
  properties {{JSON}} NOT NULL DEFAULT '{}',
  collected_at {{TS}} NOT NULL
);
CREATE UNIQUE INDEX cost_allocations_key_idx ON cost_allocations(source, window_start, name);
CREATE INDEX cost_allocations_day_idx ON cost_allocations(day);
CREATE TABLE cost_anomalies (
  id {{ID}},
  dimension TEXT NOT NULL,
  dim_key TEXT NOT NULL,
  day TEXT NOT NULL,
  cost {{REAL}} NOT NULL,
  expected {{REAL}} NOT NULL,
  score {{REAL}} NOT NULL,
  currency TEXT NOT NULL DEFAULT 'USD',
  fingerprint TEXT NOT NULL,
  evidence {{JSON}} NOT NULL DEFAULT '[]',
  created_at {{TS}} NOT NULL,
  UNIQUE (dimension, dim_key, day)
);
)SQL";

// Migration 13 (issue #3): the alerts' service label as an indexed column. Inhibition looks for
// firing critical alerts of the same service; with the label only inside the JSON column every
// warning scanned every critical alert (ingestion slowed down as alerts accumulated).
constexpr std::string_view kMigration13 = R"SQL(
ALTER TABLE alerts ADD COLUMN service TEXT;
UPDATE alerts SET service = {{LABEL:service}};
CREATE INDEX alerts_firing_service_idx ON alerts(status, severity, service);
)SQL";

// Migration 15 (issue #7, Security Guardian part 2): secrets findings of security_scans rows
// with scan_type 'secrets' (working tree and git history; never the secret itself, only a
// redacted prefix and the fingerprint), and the managed secrets that rotateSecrets rotates
// (the current value encrypted with libsodium secretbox under a key kept outside the database)
// with one row per rotation attempt.
constexpr std::string_view kMigration15 = R"SQL(
CREATE TABLE secret_findings (
  id {{ID}},
  scan_id {{BIGINT}} NOT NULL REFERENCES security_scans(id) ON DELETE CASCADE,
  rule_id TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL CHECK (severity IN ('critical','high','medium','low')),
  source TEXT NOT NULL CHECK (source IN ('tree','history')),
  file_path TEXT NOT NULL,
  line INTEGER NOT NULL DEFAULT 0,
  col INTEGER NOT NULL DEFAULT 0,
  commit_sha TEXT,
  author_date {{TS}},
  fingerprint TEXT NOT NULL,
  redacted TEXT NOT NULL,
  entropy {{REAL}} NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open','ignored','false_positive','revoked')),
  created_at {{TS}} NOT NULL
);
CREATE INDEX secret_findings_scan_idx ON secret_findings(scan_id, severity);
CREATE INDEX secret_findings_fingerprint_idx ON secret_findings(fingerprint);

CREATE TABLE managed_secrets (
  id {{ID}},
  name TEXT NOT NULL UNIQUE,
  provider TEXT NOT NULL CHECK (provider IN ('postgres','file','webhook','kubernetes')),
  config {{JSON}} NOT NULL DEFAULT '{}',
  ciphertext TEXT,
  version INTEGER NOT NULL DEFAULT 0,
  last_rotated_at {{TS}},
  created_by TEXT NOT NULL DEFAULT '',
  created_at {{TS}} NOT NULL,
  updated_at {{TS}} NOT NULL
);

CREATE TABLE secret_rotations (
  id {{ID}},
  secret_id {{BIGINT}} NOT NULL REFERENCES managed_secrets(id) ON DELETE CASCADE,
  status TEXT NOT NULL
    CHECK (status IN ('started','consumer_updated','completed','failed','dry_run')),
  dry_run {{BOOL}} NOT NULL DEFAULT {{FALSE}},
  error TEXT,
  requested_by TEXT NOT NULL DEFAULT '',
  started_at {{TS}} NOT NULL,
  completed_at {{TS}}
);
CREATE INDEX secret_rotations_secret_idx ON secret_rotations(secret_id, started_at);
)SQL";

// CI/CD: the change a run built (files, lines, author, dependency files) and the failure
// prediction made for it, with its main reasons (issue #9).
constexpr std::string_view kMigration14 = R"SQL(
ALTER TABLE pipeline_runs ADD COLUMN change_features {{JSON}};
ALTER TABLE pipeline_runs ADD COLUMN prediction {{JSON}};
)SQL";

// healing_rules.action_type gains 'apply_desired' (drift correction). SQLite cannot alter a
// CHECK constraint: the table's stored definition is edited in place (SQLite's documented
// procedure for CHECK changes, which need no change to stored rows); `writable_schema = RESET`
// makes this connection re-read it, and the index created after it bumps the schema cookie so
// every other open connection does too.
constexpr std::string_view kMigration18Sqlite = R"SQL(
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, '''notify'',''custom''', '''notify'',''apply_desired'',''custom''')
 WHERE type = 'table' AND name = 'healing_rules';
PRAGMA writable_schema = RESET;
CREATE INDEX healing_rules_action_type_idx ON healing_rules(action_type);
)SQL";

constexpr std::string_view kMigration18Postgres = R"SQL(
ALTER TABLE healing_rules DROP CONSTRAINT IF EXISTS healing_rules_action_type_check;
ALTER TABLE healing_rules ADD CONSTRAINT healing_rules_action_type_check CHECK (action_type IN (
  'restart_process','restart_service','restart_pod','rollout_restart','scale_up','scale_down',
  'rollback','cordon_node','run_runbook','http_request','notify','apply_desired','custom'));
CREATE INDEX healing_rules_action_type_idx ON healing_rules(action_type);
)SQL";

// Migration 20: LLM calls made for module prose (issue #12: the post-mortem narrative, release
// notes, pipeline refinement, document summaries), so their tokens and cost count toward the
// global LLM budget across restarts like the assistant's answers do.
constexpr std::string_view kMigration20 = R"SQL(
CREATE TABLE llm_calls (
  id {{ID}},
  purpose TEXT NOT NULL,
  model TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('written','failed')),
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd {{REAL}} NOT NULL DEFAULT 0,
  error TEXT,
  created_at {{TS}} NOT NULL
);
CREATE INDEX llm_calls_created_idx ON llm_calls(created_at);
)SQL";

// log_sources.kind gains 'kubernetes' (pod logs through the Kubernetes adapter; the namespace,
// selector and container are in `options`, the per-container read position in `position`).
// The CHECK is edited as in migration 18.
constexpr std::string_view kMigration22Sqlite = R"SQL(
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, '''journald'',''push'')', '''journald'',''push'',''kubernetes'')')
 WHERE type = 'table' AND name = 'log_sources';
PRAGMA writable_schema = RESET;
CREATE INDEX log_sources_kind_idx ON log_sources(kind);
)SQL";

constexpr std::string_view kMigration22Postgres = R"SQL(
ALTER TABLE log_sources DROP CONSTRAINT IF EXISTS log_sources_kind_check;
ALTER TABLE log_sources ADD CONSTRAINT log_sources_kind_check
  CHECK (kind IN ('file','journald','push','kubernetes'));
CREATE INDEX log_sources_kind_idx ON log_sources(kind);
)SQL";

// notification_channels.type gains 'grafana' (incident and healing events written as Grafana
// annotations; its search links dashboards on incident pages). CHECK edited as in migration 18.
constexpr std::string_view kMigration24Sqlite = R"SQL(
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, '''email'',''inbox'')', '''email'',''inbox'',''grafana'')')
 WHERE type = 'table' AND name = 'notification_channels';
PRAGMA writable_schema = RESET;
CREATE INDEX notification_channels_type_idx ON notification_channels(type);
)SQL";

constexpr std::string_view kMigration24Postgres = R"SQL(
ALTER TABLE notification_channels DROP CONSTRAINT IF EXISTS notification_channels_type_check;
ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_type_check
  CHECK (type IN ('webhook','slack','teams','email','inbox','grafana'));
CREATE INDEX notification_channels_type_idx ON notification_channels(type);
)SQL";

// Migration 25 (issue #8): the Cost Optimizer's per-dimension rollup and leaner line items.
// cost_rollup keeps, for each pre-aggregated dimension alone, the totals per value, day and
// currency (imports add their daily totals and subtract the replaced ones), so a breakdown or
// a scoped series reads values x days rows whatever the number of line items. Filled here from
// cost_daily. cost_records loses two indexes nothing reads through (provider/service; import_id,
// whose failed-import cleanup now goes through the billing period and account index) and
// period_end from the period index (only period_start ranges are searched), which every
// imported row paid for.
constexpr std::string_view kMigration25Rollup = R"SQL(
INSERT INTO cost_rollup (dimension, value, day, currency, billed_cost, effective_cost, list_cost, row_count)
  SELECT 'provider', provider, day, currency, SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(row_count) FROM cost_daily GROUP BY provider, day, currency;
INSERT INTO cost_rollup (dimension, value, day, currency, billed_cost, effective_cost, list_cost, row_count)
  SELECT 'billing_account', billing_account, day, currency, SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(row_count) FROM cost_daily GROUP BY billing_account, day, currency;
INSERT INTO cost_rollup (dimension, value, day, currency, billed_cost, effective_cost, list_cost, row_count)
  SELECT 'sub_account', sub_account, day, currency, SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(row_count) FROM cost_daily GROUP BY sub_account, day, currency;
INSERT INTO cost_rollup (dimension, value, day, currency, billed_cost, effective_cost, list_cost, row_count)
  SELECT 'service', service, day, currency, SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(row_count) FROM cost_daily GROUP BY service, day, currency;
INSERT INTO cost_rollup (dimension, value, day, currency, billed_cost, effective_cost, list_cost, row_count)
  SELECT 'service_category', service_category, day, currency, SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(row_count) FROM cost_daily GROUP BY service_category, day, currency;
INSERT INTO cost_rollup (dimension, value, day, currency, billed_cost, effective_cost, list_cost, row_count)
  SELECT 'region', region, day, currency, SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(row_count) FROM cost_daily GROUP BY region, day, currency;
INSERT INTO cost_rollup (dimension, value, day, currency, billed_cost, effective_cost, list_cost, row_count)
  SELECT 'charge_category', charge_category, day, currency, SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(row_count) FROM cost_daily GROUP BY charge_category, day, currency;
DROP INDEX cost_records_service_idx;
DROP INDEX cost_records_import_idx;
DROP INDEX cost_records_period_idx;
CREATE INDEX cost_records_period_idx ON cost_records(period_start);
)SQL";

constexpr std::string_view kMigration25Sqlite = R"SQL(
CREATE TABLE cost_rollup (
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  day TEXT NOT NULL,
  currency TEXT NOT NULL,
  billed_cost REAL NOT NULL DEFAULT 0,
  effective_cost REAL NOT NULL DEFAULT 0,
  list_cost REAL NOT NULL DEFAULT 0,
  row_count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dimension, day, value, currency)
) WITHOUT ROWID;
)SQL";

constexpr std::string_view kMigration25Postgres = R"SQL(
CREATE TABLE cost_rollup (
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  day TEXT NOT NULL,
  currency TEXT NOT NULL,
  billed_cost DOUBLE PRECISION NOT NULL DEFAULT 0,
  effective_cost DOUBLE PRECISION NOT NULL DEFAULT 0,
  list_cost DOUBLE PRECISION NOT NULL DEFAULT 0,
  row_count BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (dimension, day, value, currency)
);
)SQL";

// Migration 26: healing_rules.action_type gains 'argocd_rollback' (a failing canary, or any
// rule, rolls an Argo CD Application back), by migration 18's procedure; the index on
// healing_actions(action_type) bumps the schema cookie.
constexpr std::string_view kMigration26Sqlite = R"SQL(
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, '''apply_desired'',''custom''', '''apply_desired'',''argocd_rollback'',''custom''')
 WHERE type = 'table' AND name = 'healing_rules';
PRAGMA writable_schema = RESET;
CREATE INDEX healing_actions_action_type_idx ON healing_actions(action_type);
)SQL";

constexpr std::string_view kMigration26Postgres = R"SQL(
ALTER TABLE healing_rules DROP CONSTRAINT IF EXISTS healing_rules_action_type_check;
ALTER TABLE healing_rules ADD CONSTRAINT healing_rules_action_type_check CHECK (action_type IN (
  'restart_process','restart_service','restart_pod','rollout_restart','scale_up','scale_down',
  'rollback','cordon_node','run_runbook','http_request','notify','apply_desired',
  'argocd_rollback','custom'));
CREATE INDEX healing_actions_action_type_idx ON healing_actions(action_type);
)SQL";

// Migration 27 (issue #8): an import's partial daily aggregates, spilled while it streams in
// (CostService::Import writes them here whenever the cells held in memory pass a fixed budget,
// so its memory stays flat whatever the file size); the committing transaction adds them up
// into cost_daily and deletes them. Private to the import: nothing else reads this table.
constexpr std::string_view kMigration27 = R"SQL(
CREATE TABLE cost_daily_spill (
  import_id {{BIGINT}} NOT NULL,
  day TEXT NOT NULL,
  billing_period TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  billing_account TEXT NOT NULL DEFAULT '',
  sub_account TEXT NOT NULL DEFAULT '',
  service TEXT NOT NULL DEFAULT '',
  service_category TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  charge_category TEXT NOT NULL DEFAULT '',
  currency TEXT NOT NULL DEFAULT '',
  billed_cost {{REAL}} NOT NULL DEFAULT 0,
  effective_cost {{REAL}} NOT NULL DEFAULT 0,
  list_cost {{REAL}} NOT NULL DEFAULT 0,
  row_count {{BIGINT}} NOT NULL DEFAULT 0
);
CREATE INDEX cost_daily_spill_import_idx ON cost_daily_spill(import_id);
)SQL";

// Migration 31 (issue #8): cost_rollup_month, the rollup per month (same cells as cost_rollup
// with the day's month), so a breakdown over a long range reads values x months cells plus the
// days of the partial months at its ends; and a covering index on cost_rollup by value, through
// which the shown groups' series and a scoped series read their own cells only (not covering,
// SQLite's planner preferred the primary key's day range, every value's cells). Filled here from
// cost_rollup. And cost_daily by billing period and account: an import looks up what it
// replaces that way, once per (period, account) of its file, which scanned the whole table.
constexpr std::string_view kMigration31Rollup = R"SQL(
INSERT INTO cost_rollup_month (dimension, value, month, currency, billed_cost, effective_cost, list_cost, row_count)
  SELECT dimension, value, substr(day, 1, 7), currency, SUM(billed_cost), SUM(effective_cost), SUM(list_cost), SUM(row_count) FROM cost_rollup GROUP BY dimension, value, substr(day, 1, 7), currency;
CREATE INDEX cost_rollup_value_idx ON cost_rollup(dimension, value, day, currency, effective_cost);
CREATE INDEX cost_daily_billing_idx ON cost_daily(billing_period, billing_account);
)SQL";

constexpr std::string_view kMigration31Sqlite = R"SQL(
CREATE TABLE cost_rollup_month (
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  month TEXT NOT NULL,
  currency TEXT NOT NULL,
  billed_cost REAL NOT NULL DEFAULT 0,
  effective_cost REAL NOT NULL DEFAULT 0,
  list_cost REAL NOT NULL DEFAULT 0,
  row_count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dimension, month, value, currency)
) WITHOUT ROWID;
)SQL";

constexpr std::string_view kMigration31Postgres = R"SQL(
CREATE TABLE cost_rollup_month (
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  month TEXT NOT NULL,
  currency TEXT NOT NULL,
  billed_cost DOUBLE PRECISION NOT NULL DEFAULT 0,
  effective_cost DOUBLE PRECISION NOT NULL DEFAULT 0,
  list_cost DOUBLE PRECISION NOT NULL DEFAULT 0,
  row_count BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (dimension, month, value, currency)
);
)SQL";

// Migration 28 (issue #3): fewer B-trees written per ingested alert, and fewer with random
// keys. Each alert changed eight: the alerts table, its fingerprint, incident, status and
// (status, severity, service) indexes, and incident_alerts' table, its (incident_id,
// fingerprint) key and fingerprint index; three of them keyed by the fingerprint, a hash, so
// each alert dirtied its own page in each under a flood. Kept are those a query uses (EXPLAIN
// QUERY PLAN): alerts by fingerprint; firing critical alerts of a service (inhibition), now a
// partial index holding only those; memberships by fingerprint (the unique key, now led by the
// fingerprint) and by incident (an index whose new entries go to the end of their incident's
// range, rows being numbered in insertion order). alerts_incident_idx served no query (nothing
// deletes incidents); alerts_status_idx was a prefix of the (status, severity, service) one.
constexpr std::string_view kMigration28Sqlite = R"SQL(
DROP INDEX alerts_incident_idx;
DROP INDEX alerts_status_idx;
DROP INDEX alerts_firing_service_idx;
CREATE INDEX alerts_critical_firing_idx ON alerts(service)
  WHERE status = 'firing' AND severity = 'critical';
CREATE TABLE incident_alerts_28 (
  incident_id {{BIGINT}} NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  attached_at {{TS}} NOT NULL,
  resolved_at {{TS}},
  PRIMARY KEY (fingerprint, incident_id)
);
INSERT INTO incident_alerts_28 (incident_id, fingerprint, attached_at, resolved_at)
  SELECT incident_id, fingerprint, attached_at, resolved_at FROM incident_alerts
  ORDER BY incident_id, attached_at;
DROP TABLE incident_alerts;
ALTER TABLE incident_alerts_28 RENAME TO incident_alerts;
CREATE INDEX incident_alerts_incident_idx ON incident_alerts(incident_id);
)SQL";

constexpr std::string_view kMigration28Postgres = R"SQL(
DROP INDEX alerts_incident_idx;
DROP INDEX alerts_status_idx;
DROP INDEX alerts_firing_service_idx;
CREATE INDEX alerts_critical_firing_idx ON alerts(service)
  WHERE status = 'firing' AND severity = 'critical';
ALTER TABLE incident_alerts DROP CONSTRAINT incident_alerts_pkey;
DROP INDEX incident_alerts_fingerprint_idx;
ALTER TABLE incident_alerts ADD PRIMARY KEY (fingerprint, incident_id);
CREATE INDEX incident_alerts_incident_idx ON incident_alerts(incident_id);
)SQL";

const std::vector<Migration>& Registry() {
  static const std::string k25Sqlite =
      std::string(kMigration25Sqlite) + std::string(kMigration25Rollup);
  static const std::string k25Postgres =
      std::string(kMigration25Postgres) + std::string(kMigration25Rollup);
  static const std::string k31Sqlite =
      std::string(kMigration31Sqlite) + std::string(kMigration31Rollup);
  static const std::string k31Postgres =
      std::string(kMigration31Postgres) + std::string(kMigration31Rollup);
  static const std::vector<Migration> kAll = {
      {1, "foundation and specification tables", kMigration1},
      {2, "incident commander signals", kMigration2},
      {3, "cost optimizer: imports and aggregates", kMigration3},
      {4, "security guardian: OSV advisory database", kMigration4},
      {6, "self-healing engine", kMigration6},
      {8, "runbooks, approvals and watched queries", kMigration8},
      {9, "documentation: versions, links, template sources", kMigration9},
      {10, "notifications and the assistant", kMigration10},
      {11, "log intelligence", kMigration11},
      {13, "incident commander: indexed alert service", kMigration13},
      {14, "ci/cd change features and predictions", kMigration14},
      {15, "security guardian: secrets findings and rotation", kMigration15},
      {17, "cost optimizer: collectors, allocations, anomalies", kMigration17},
      {18, "self-healing: the apply_desired action", kMigration18Sqlite, kMigration18Postgres},
      {20, "llm calls for module prose", kMigration20},
      {22, "log intelligence: kubernetes pod log sources", kMigration22Sqlite,
       kMigration22Postgres},
      {24, "notifications: grafana annotation channels", kMigration24Sqlite, kMigration24Postgres},
      {25, "cost optimizer: per-dimension rollup, leaner line items", k25Sqlite, k25Postgres},
      {26, "self-healing: the argocd_rollback action", kMigration26Sqlite, kMigration26Postgres},
      {27, "cost optimizer: spilled import aggregates", kMigration27},
      {28, "incident commander: fewer indexes per alert", kMigration28Sqlite, kMigration28Postgres},
      {31, "cost optimizer: monthly rollup, rollup by value", k31Sqlite, k31Postgres},
  };
  return kAll;
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {{TS}} NOT NULL)";

// Arbitrary constant naming the migration lock among advisory locks ("dai-migr").
constexpr int64_t kMigrationLockKey = 0x6461692d6d696772;

Result<int> MaxVersion(Connection& conn) {
  DAI_ASSIGN_OR_RETURN(auto r, conn.Query("SELECT COALESCE(MAX(version), 0) AS v FROM "
                                          "schema_migrations"));
  return static_cast<int>(r.rows.at(0).GetInt(size_t{0}));
}

}  // namespace

const std::vector<Migration>& AllMigrations() { return Registry(); }

int LatestSchemaVersion() {
  int latest = 0;
  for (const Migration& m : Registry()) latest = std::max(latest, m.version);
  return latest;
}

std::string ExpandMigrationSql(std::string_view sql_template, Dialect dialect) {
  const bool pg = dialect == Dialect::kPostgres;
  std::string sql(sql_template);
  sql = ReplaceAll(std::move(sql), "{{ID}}",
                   pg ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
                      : "INTEGER PRIMARY KEY AUTOINCREMENT");
  sql = ReplaceAll(std::move(sql), "{{BIGINT}}", pg ? "BIGINT" : "INTEGER");
  sql = ReplaceAll(std::move(sql), "{{REAL}}", pg ? "DOUBLE PRECISION" : "REAL");
  sql = ReplaceAll(std::move(sql), "{{JSON}}", pg ? "JSONB" : "TEXT");
  sql = ReplaceAll(std::move(sql), "{{TS}}", pg ? "TIMESTAMPTZ" : "TEXT");
  sql = ReplaceAll(std::move(sql), "{{BOOL}}", pg ? "BOOLEAN" : "INTEGER");
  sql = ReplaceAll(std::move(sql), "{{NOW}}",
                   pg ? "now()" : "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
  sql = ReplaceAll(std::move(sql), "{{TRUE}}", pg ? "TRUE" : "1");
  sql = ReplaceAll(std::move(sql), "{{FALSE}}", pg ? "FALSE" : "0");
  // A text value of a {{JSON}} labels column (names are fixed identifiers in the templates).
  sql = ReplaceAll(std::move(sql), "{{LABEL:service}}",
                   pg ? "labels ->> 'service'" : "json_extract(labels, '$.service')");
  return sql;
}

Status Migrate(Database& db) {
  const Dialect dialect = db.dialect();
  const std::string create_table = ExpandMigrationSql(kCreateMigrationsTable, dialect);
  // The lock and the version check run inside each migration's transaction: a second process
  // waits for the first and then sees the version already applied.
  auto lock = [&](Connection& conn) -> Status {
    if (dialect == Dialect::kPostgres) {
      DAI_RETURN_IF_ERROR(
          conn.Query("SELECT pg_advisory_xact_lock(?)", {kMigrationLockKey}).status());
    }
    return conn.ExecScript(create_table);
  };
  // Refuse a database from a newer binary before touching anything.
  DAI_RETURN_IF_ERROR(db.Transaction([&](Connection& conn) -> Status {
    DAI_RETURN_IF_ERROR(lock(conn));
    DAI_ASSIGN_OR_RETURN(int current, MaxVersion(conn));
    if (current > LatestSchemaVersion()) {
      return Status::FailedPrecondition("the database has schema version " +
                                        std::to_string(current) + ", newer than this binary's " +
                                        std::to_string(LatestSchemaVersion()));
    }
    return Status::Ok();
  }));
  for (const Migration& migration : Registry()) {
    Status st = db.Transaction([&](Connection& conn) -> Status {
      DAI_RETURN_IF_ERROR(lock(conn));
      DAI_ASSIGN_OR_RETURN(auto applied,
                           conn.Query("SELECT version FROM schema_migrations WHERE version = ?",
                                      {int64_t{migration.version}}));
      if (!applied.rows.empty()) return Status::Ok();
      const std::string_view sql =
          dialect == Dialect::kPostgres && !migration.postgres_sql_template.empty()
              ? migration.postgres_sql_template
              : migration.sql_template;
      DAI_RETURN_IF_ERROR(conn.ExecScript(ExpandMigrationSql(sql, dialect)));
      return conn
          .Query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                 {int64_t{migration.version}, std::string(migration.name),
                  SystemClock::Instance().Now()})
          .status();
    });
    if (!st.ok()) {
      return st.WithContext("applying migration " + std::to_string(migration.version) + " (" +
                            std::string(migration.name) + ")");
    }
  }
  return Status::Ok();
}

Result<int> SchemaVersion(Database& db) {
  const char* exists_sql =
      db.dialect() == Dialect::kPostgres
          ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = "
            "'schema_migrations' AND table_schema = current_schema()"
          : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
            "'schema_migrations'";
  DAI_ASSIGN_OR_RETURN(auto exists, db.Query(exists_sql));
  if (exists.rows.at(0).GetInt(size_t{0}) == 0) return 0;
  DAI_ASSIGN_OR_RETURN(auto r, db.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return static_cast<int>(r.rows.at(0).GetInt(size_t{0}));
}

}  // namespace dai::store
