// Self-Healing (selfHealing.*): pending approvals first (approve/reject, operator), rules with
// enable toggles, recent decisions and actions with outcome, reason and timings, learned
// patterns, the processes this server supervises, suggested rules, and the create/edit form.
// Every list pages; the history's outcome filter, the rules' enabled filter and each list's
// offset live in the address.
import { useState } from 'react';
import type { ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { Pagination } from '../../components/pagination';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { formatNumber, formatPercent } from '../../lib/format';
import { RequireRole } from '../../lib/session';
import { RuleForm, Suggestions, draftFromRule, type RuleDraft } from './rule-form';
import { useUrlOffset, useUrlParam } from '../../lib/url-state';

const kPageSize = 20;

const kStatuses = [
  'awaiting_approval',
  'approved',
  'rejected',
  'running',
  'verifying',
  'succeeded',
  'failed',
  'skipped',
  'escalated',
  'dry_run',
] as const;
type HistoryStatus = (typeof kStatuses)[number];

type Rule = ProcedureOutput<'selfHealing.listRules'>['items'][number];
type Action = ProcedureOutput<'selfHealing.getHistory'>['items'][number];

function target(rule: Rule): string {
  const cfg = rule.actionConfig as Record<string, unknown> | null;
  if (cfg && typeof cfg.target === 'string') return cfg.target;
  if (cfg && typeof cfg.targetLabel === 'string') {
    const allowed = Array.isArray(cfg.allowedTargets)
      ? (cfg.allowedTargets as string[]).join(', ')
      : '';
    return `label ${cfg.targetLabel} ∈ {${allowed}}`;
  }
  return '—';
}

function matchers(rule: Rule): string {
  const m = (rule.conditionConfig as { matchers?: unknown } | null)?.matchers;
  if (Array.isArray(m)) return m.join(', ');
  if (m && typeof m === 'object') {
    return Object.entries(m as Record<string, string>)
      .map(([k, v]) => `${k}="${v}"`)
      .join(', ');
  }
  return '';
}

function seconds(n: number | null): string {
  return n === null ? '—' : `${formatNumber(n, undefined, 1)} s`;
}

const kStatusClass: Record<string, string> = {
  succeeded: 'sev-low',
  failed: 'sev-critical',
  escalated: 'sev-high',
  awaiting_approval: 'sev-medium',
};

function StatusBadge({ status }: { status: string }) {
  return <span className={`sev ${kStatusClass[status] ?? ''}`}>{status.replace('_', ' ')}</span>;
}

function Approvals() {
  const [offset, setOffset] = useUrlOffset('pendingOffset');
  const q = useProcedureQuery('selfHealing.getHistory', {
    status: 'awaiting_approval',
    limit: kPageSize,
    offset,
  });
  const approve = useProcedureMutation('selfHealing.approveAction');
  const reject = useProcedureMutation('selfHealing.rejectAction');
  return (
    <Panel
      title="Pending approvals"
      actions={<code className="proc">selfHealing.approveAction</code>}
    >
      {approve.error ? <ErrorState error={approve.error} title="Approval failed" /> : null}
      {reject.error ? <ErrorState error={reject.error} title="Rejection failed" /> : null}
      <QueryView q={q} loadingLabel="Loading approvals">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="Nothing awaits approval" />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Rule</th>
                  <th>Action</th>
                  <th>Target</th>
                  <th>Why</th>
                  <th>Since</th>
                  <RequireRole min="operator">
                    <th>
                      <span className="sr-only">Decide</span>
                    </th>
                  </RequireRole>
                </tr>
              </thead>
              <tbody>
                {data.items.map((a) => (
                  <tr key={a.id}>
                    <td>{a.ruleName}</td>
                    <td>{a.actionType}</td>
                    <td>{a.target}</td>
                    <td>{a.reason}</td>
                    <td>
                      <Time iso={a.createdAt} />
                    </td>
                    <RequireRole min="operator">
                      <td className="row-actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => approve.mutate({ id: a.id })}
                        >
                          Approve
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => reject.mutate({ id: a.id })}
                        >
                          Reject
                        </button>
                      </td>
                    </RequireRole>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {q.data && q.data.total > kPageSize ? (
        <Pagination offset={offset} limit={kPageSize} total={q.data.total} onChange={setOffset} />
      ) : null}
    </Panel>
  );
}

function Rules({ onEdit }: { onEdit: (draft?: RuleDraft, id?: number) => void }) {
  const [enabled, setEnabled] = useUrlParam('enabled', '', ['rulesOffset']);
  const [offset, setOffset] = useUrlOffset('rulesOffset');
  const q = useProcedureQuery('selfHealing.listRules', {
    limit: kPageSize,
    offset,
    enabled: enabled === '' ? undefined : enabled === 'yes',
  });
  const toggle = useProcedureMutation('selfHealing.toggleRule');
  return (
    <Panel
      title="Rules"
      actions={
        <>
          <label className="inline">
            Show{' '}
            <select value={enabled} onChange={(e) => setEnabled(e.target.value)}>
              <option value="">all rules</option>
              <option value="yes">enabled</option>
              <option value="no">disabled</option>
            </select>
          </label>
          <RequireRole min="operator">
            <button type="button" className="btn btn-small" onClick={() => onEdit()}>
              New rule
            </button>
          </RequireRole>{' '}
          <code className="proc">selfHealing.listRules</code>
        </>
      }
    >
      {toggle.error ? <ErrorState error={toggle.error} title="Toggle failed" /> : null}
      <QueryView q={q} loadingLabel="Loading rules">
        {(data) =>
          data.items.length === 0 ? (
            enabled !== '' && data.total === 0 ? (
              <Empty title={`No ${enabled === 'yes' ? 'enabled' : 'disabled'} rules`} />
            ) : (
              <Empty title="No healing rules">
                Create one with selfHealing.createRule or start the server with
                --healing-rules-file.
              </Empty>
            )
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Enabled</th>
                  <th>Rule</th>
                  <th>When</th>
                  <th>Do</th>
                  <th>Safety</th>
                  <th>Success</th>
                  <th>Last triggered</th>
                  <RequireRole min="operator">
                    <th>
                      <span className="sr-only">Edit</span>
                    </th>
                  </RequireRole>
                </tr>
              </thead>
              <tbody>
                {data.items.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Enable rule ${r.name}`}
                        checked={r.enabled}
                        disabled={toggle.isPending}
                        onChange={(e) => toggle.mutate({ id: r.id, enabled: e.target.checked })}
                      />
                    </td>
                    <td>
                      {r.name}
                      {r.dryRun ? <span className="muted"> (dry-run)</span> : null}
                    </td>
                    <td>
                      {r.conditionType}: <code>{matchers(r)}</code>
                    </td>
                    <td>
                      {r.actionType} → {target(r)}
                    </td>
                    <td className="muted">
                      cooldown {r.cooldownSeconds} s, {r.maxRetries} retries,{' '}
                      {r.maxExecutionsPerHour}/h
                      {r.requiresApproval ? ', approval' : ''}
                    </td>
                    <td className="num">
                      {r.successRate === null
                        ? '—'
                        : `${formatPercent(r.successRate)} of ${r.successCount + r.failureCount}`}
                    </td>
                    <td>
                      <Time iso={r.lastTriggeredAt} />
                    </td>
                    <RequireRole min="operator">
                      <td className="row-actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          aria-label={`Edit rule ${r.name}`}
                          onClick={() => onEdit(draftFromRule(r), r.id)}
                        >
                          Edit
                        </button>
                      </td>
                    </RequireRole>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {q.data && q.data.total > 0 ? (
        <Pagination offset={offset} limit={kPageSize} total={q.data.total} onChange={setOffset} />
      ) : null}
    </Panel>
  );
}

function ActionRow({ a }: { a: Action }) {
  return (
    <tr>
      <td>
        <StatusBadge status={a.status} />
      </td>
      <td>{a.ruleName}</td>
      <td>
        {a.actionType} → {a.target || '—'}
      </td>
      <td>{a.error ?? a.reason}</td>
      <td className="num">{a.durationMs === null ? '—' : `${a.durationMs} ms`}</td>
      <td className="num">{seconds(a.recoverySeconds)}</td>
      <td>
        <Time iso={a.createdAt} />
      </td>
    </tr>
  );
}

function RecentActions() {
  const [status, setStatus] = useUrlParam('status', '', ['historyOffset']);
  const [offset, setOffset] = useUrlOffset('historyOffset');
  const known = (kStatuses as readonly string[]).includes(status);
  const q = useProcedureQuery('selfHealing.getHistory', {
    limit: kPageSize,
    offset,
    status: known ? (status as HistoryStatus) : undefined,
  });
  return (
    <Panel
      title="Recent decisions and actions"
      actions={
        <>
          <label className="inline">
            Outcome{' '}
            <select value={known ? status : ''} onChange={(e) => setStatus(e.target.value)}>
              <option value="">any</option>
              {kStatuses.map((k) => (
                <option key={k} value={k}>
                  {k.replace('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          <code className="proc">selfHealing.getHistory</code>
        </>
      }
    >
      <QueryView q={q} loadingLabel="Loading actions">
        {(data) =>
          data.items.length === 0 ? (
            known ? (
              <Empty title={`No ${status.replace('_', ' ')} decisions`} />
            ) : (
              <Empty title="No decisions yet">
                Every decision, including not acting, appears here.
              </Empty>
            )
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Outcome</th>
                  <th>Rule</th>
                  <th>Action</th>
                  <th>Reason / error</th>
                  <th>Took</th>
                  <th>Recovery</th>
                  <th>When</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((a) => (
                  <ActionRow key={a.id} a={a} />
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {q.data && q.data.total > 0 ? (
        <Pagination offset={offset} limit={kPageSize} total={q.data.total} onChange={setOffset} />
      ) : null}
    </Panel>
  );
}

function Patterns() {
  const [offset, setOffset] = useUrlOffset('patternsOffset');
  const q = useProcedureQuery('selfHealing.listPatterns', { limit: kPageSize, offset });
  return (
    <Panel
      title="Learned patterns"
      actions={<code className="proc">selfHealing.listPatterns</code>}
    >
      <QueryView q={q} loadingLabel="Loading patterns">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="Nothing learned yet">
              Verified outcomes of actions build these figures.
            </Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Symptom</th>
                  <th>Action</th>
                  <th>Attempts</th>
                  <th>Success</th>
                  <th>Confidence</th>
                  <th>Mean recovery</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <code>{p.signature}</code>
                    </td>
                    <td>{p.actionType}</td>
                    <td className="num">{p.attempts}</td>
                    <td className="num">{formatPercent(p.successRate)}</td>
                    <td className="num" title="Wilson 95% lower bound of the success rate">
                      {formatNumber(p.confidence, undefined, 2)}
                    </td>
                    <td className="num">{seconds(p.meanRecoverySeconds)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {q.data && q.data.total > 0 ? (
        <Pagination offset={offset} limit={kPageSize} total={q.data.total} onChange={setOffset} />
      ) : null}
    </Panel>
  );
}

function Processes() {
  // listProcesses answers every supervised process: paged client-side.
  const [offset, setOffset] = useUrlOffset('processesOffset');
  const q = useProcedureQuery('selfHealing.listProcesses', {});
  return (
    <Panel
      title="Supervised processes"
      actions={<code className="proc">selfHealing.listProcesses</code>}
    >
      <QueryView q={q} loadingLabel="Loading processes">
        {(data) =>
          data.length === 0 ? (
            <Empty title="No supervised processes">Start the server with --supervise-file.</Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Process</th>
                  <th>State</th>
                  <th>PID</th>
                  <th>Restarts</th>
                  <th>Last exit</th>
                </tr>
              </thead>
              <tbody>
                {data.slice(offset, offset + kPageSize).map((p) => (
                  <tr key={p.name}>
                    <td>{p.name}</td>
                    <td>{p.running ? 'running' : 'stopped'}</td>
                    <td className="num">{p.pid ?? '—'}</td>
                    <td className="num">{p.restarts}</td>
                    <td>{p.lastExit ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {q.data && q.data.length > kPageSize ? (
        <Pagination offset={offset} limit={kPageSize} total={q.data.length} onChange={setOffset} />
      ) : null}
    </Panel>
  );
}

export function SelfHealingPage() {
  const [editing, setEditing] = useState<{ draft?: RuleDraft; id?: number; n: number } | null>(
    null,
  );
  const edit = (draft?: RuleDraft, id?: number) =>
    setEditing((e) => ({ draft, id, n: (e?.n ?? 0) + 1 }));
  return (
    <>
      <div className="page-head">
        <h1>Self-Healing</h1>
        <p className="muted">
          Rules that detect and fix, every decision with its reason, and what the engine has
          learned.
        </p>
      </div>
      <Approvals />
      {editing ? (
        <Panel title={editing.id !== undefined ? 'Edit rule' : 'New rule'}>
          <RuleForm
            key={editing.n}
            initial={editing.draft}
            ruleId={editing.id}
            onDone={() => setEditing(null)}
          />
        </Panel>
      ) : null}
      <Rules onEdit={edit} />
      <Suggestions onUse={(d) => edit(d)} />
      <RecentActions />
      <div className="grid-2">
        <Patterns />
        <Processes />
      </div>
    </>
  );
}
