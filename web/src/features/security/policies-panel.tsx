// Security page, vulnerability policies (securityGuardian.listPolicies / createPolicy /
// updatePolicy / deletePolicy, issue #6): every policy with its block and warn thresholds and its
// ignore rules (an expired rule is marked: the server stops applying it after its last day), and
// for admins an editor — thresholds by severity and CVSS, ignore rules by advisory id and/or
// package with a reason and an expiry date. The form checks what the server would refuse before
// sending; the server stays the authority and its refusal is shown beside the field it names.
import { useState } from 'react';
import type { ProcedureInput, ProcedureOutput } from '../../api/generated';
import type { ApiError } from '../../api/errors';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';

type Policy = ProcedureOutput<'securityGuardian.listPolicies'>['items'][number];
type Severity = 'critical' | 'high' | 'medium' | 'low';
const kSeverities: Severity[] = ['critical', 'high', 'medium', 'low'];

export interface Threshold {
  severity?: Severity;
  cvss?: number;
}
export interface IgnoreRule {
  id?: string;
  package?: string;
  reason: string;
  expires?: string | null;
}

function asThreshold(v: unknown): Threshold | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const t: Threshold = {};
  if (typeof o.severity === 'string' && kSeverities.includes(o.severity as Severity))
    t.severity = o.severity as Severity;
  if (typeof o.cvss === 'number') t.cvss = o.cvss;
  return t.severity === undefined && t.cvss === undefined ? null : t;
}

function asRules(v: unknown): IgnoreRule[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((r): r is Record<string, unknown> => !!r && typeof r === 'object')
    .map((r) => ({
      id: typeof r.id === 'string' ? r.id : undefined,
      package: typeof r.package === 'string' ? r.package : undefined,
      reason: typeof r.reason === 'string' ? r.reason : '',
      expires: typeof r.expires === 'string' ? r.expires : null,
    }));
}

/** "high or CVSS ≥ 7" — what a threshold blocks or warns at. */
export function describeThreshold(t: Threshold | null): string {
  if (!t) return '—';
  const parts: string[] = [];
  if (t.severity) parts.push(`${t.severity} and above`);
  if (t.cvss !== undefined) parts.push(`CVSS ≥ ${t.cvss}`);
  return parts.join(' or ');
}

/** Whether an ignore rule no longer applies on `today` (YYYY-MM-DD): its last day has passed. */
export function ruleExpired(rule: IgnoreRule, today: string): boolean {
  return !!rule.expires && rule.expires < today;
}

function todayIso(): string {
  return new Date().toISOString().slice(0, 10);
}

export function PoliciesPanel() {
  const q = useProcedureQuery('securityGuardian.listPolicies', {});
  const update = useProcedureMutation('securityGuardian.updatePolicy');
  const remove = useProcedureMutation('securityGuardian.deletePolicy');
  const [editing, setEditing] = useState<Policy | 'new' | null>(null);
  const today = todayIso();
  return (
    <Panel
      title="Vulnerability policies"
      actions={
        <RequireRole min="admin">
          <button type="button" className="btn btn-small" onClick={() => setEditing('new')}>
            New policy
          </button>
        </RequireRole>
      }
    >
      {update.error ? <ErrorState error={update.error} title="Update failed" /> : null}
      {remove.error ? <ErrorState error={remove.error} title="Delete failed" /> : null}
      {editing ? (
        <PolicyEditor policy={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />
      ) : null}
      <QueryView q={q} loadingLabel="Loading policies">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No policies">
              Without a policy a scan reports findings and decides nothing. A policy blocks or warns
              at a severity or CVSS score and can ignore advisories for a reason, until a date.
            </Empty>
          ) : (
            <table className="table" aria-label="Vulnerability policies">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Enabled</th>
                  <th>Block at</th>
                  <th>Warn at</th>
                  <th>Ignore rules</th>
                  <th>Updated</th>
                  <RequireRole min="admin">
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </RequireRole>
                </tr>
              </thead>
              <tbody>
                {data.items.map((p) => {
                  const rules = asRules(p.ignore);
                  const expired = rules.filter((r) => ruleExpired(r, today)).length;
                  return (
                    <tr key={p.id}>
                      <td>
                        <strong>{p.name}</strong>
                        {p.description ? <div className="small muted">{p.description}</div> : null}
                      </td>
                      <td>{p.enabled ? 'yes' : 'no'}</td>
                      <td>{describeThreshold(asThreshold(p.block))}</td>
                      <td>{describeThreshold(asThreshold(p.warn))}</td>
                      <td>
                        {rules.length === 0 ? (
                          <span className="muted">none</span>
                        ) : (
                          <ul className="plain-list small">
                            {rules.map((r, i) => (
                              <li key={i}>
                                <code>{[r.id, r.package].filter(Boolean).join(' in ')}</code> —{' '}
                                {r.reason}
                                {r.expires ? (
                                  ruleExpired(r, today) ? (
                                    <span className="sev sev-medium">
                                      {' '}
                                      expired {r.expires}: no longer applies
                                    </span>
                                  ) : (
                                    <span className="muted"> until {r.expires}</span>
                                  )
                                ) : null}
                              </li>
                            ))}
                          </ul>
                        )}
                        {expired > 0 ? (
                          <div className="small">
                            {expired} of {rules.length} expired
                          </div>
                        ) : null}
                      </td>
                      <td>{p.updatedAt ? <Time iso={p.updatedAt} /> : null}</td>
                      <RequireRole min="admin">
                        <td className="row-actions">
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => setEditing(p)}
                          >
                            Edit {p.name}
                          </button>
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => update.mutate({ id: p.id, enabled: !p.enabled })}
                          >
                            {p.enabled ? 'Disable' : 'Enable'} {p.name}
                          </button>
                          <button
                            type="button"
                            className="btn btn-small btn-danger"
                            onClick={() => {
                              if (window.confirm(`Delete policy ${p.name}?`))
                                remove.mutate({ id: p.id });
                            }}
                          >
                            Delete {p.name}
                          </button>
                        </td>
                      </RequireRole>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        }
      </QueryView>
    </Panel>
  );
}

interface Draft {
  name: string;
  description: string;
  enabled: boolean;
  block: { severity: Severity | ''; cvss: string };
  warn: { severity: Severity | ''; cvss: string };
  ignore: { id: string; package: string; reason: string; expires: string }[];
}

function toDraft(p: Policy | null): Draft {
  const th = (v: unknown) => {
    const t = asThreshold(v);
    return { severity: t?.severity ?? ('' as const), cvss: t?.cvss?.toString() ?? '' };
  };
  return {
    name: p?.name ?? '',
    description: p?.description ?? '',
    enabled: p?.enabled ?? true,
    block: th(p?.block),
    warn: th(p?.warn),
    ignore: asRules(p?.ignore).map((r) => ({
      id: r.id ?? '',
      package: r.package ?? '',
      reason: r.reason,
      expires: r.expires ?? '',
    })),
  };
}

/** Field key → message: "name", "block", "warn", "ignore" or "ignore[2]". */
type Problems = Record<string, string>;

/** What the server would refuse, found before sending (the server checks again). */
export function checkDraft(d: Draft): Problems {
  const out: Problems = {};
  if (!d.name.trim()) out.name = 'name: required';
  for (const k of ['block', 'warn'] as const) {
    const c = d[k].cvss.trim();
    if (c && !(Number(c) >= 0 && Number(c) <= 10))
      out[k] = `${k}.cvss must be a number from 0 to 10`;
  }
  d.ignore.forEach((r, i) => {
    if (!r.id.trim() && !r.package.trim())
      out[`ignore[${i}]`] = `ignore[${i}] needs an advisory id, a package or both`;
    else if (!r.reason.trim()) out[`ignore[${i}]`] = `ignore[${i}].reason: required`;
  });
  return out;
}

/** The server's refusal, placed at the field it names ("input.ignore[0].expires must ..."). */
export function serverProblem(error: ApiError | null): Problems {
  if (!error) return {};
  const m = /^(?:input\.)?(name|description|block|warn|ignore)(\[\d+\])?/.exec(error.message);
  if (!m || !m[1]) return {};
  return { [m[1] === 'ignore' && m[2] ? `ignore${m[2]}` : m[1]]: error.message };
}

function toInput(d: Draft): ProcedureInput<'securityGuardian.createPolicy'> {
  const th = (t: Draft['block']): Threshold | undefined => {
    const out: Threshold = {};
    if (t.severity) out.severity = t.severity;
    if (t.cvss.trim()) out.cvss = Number(t.cvss);
    return out.severity === undefined && out.cvss === undefined ? undefined : out;
  };
  return {
    name: d.name.trim(),
    description: d.description,
    enabled: d.enabled,
    block: th(d.block) ?? {},
    warn: th(d.warn) ?? {},
    ignore: d.ignore.map((r) => ({
      ...(r.id.trim() ? { id: r.id.trim() } : {}),
      ...(r.package.trim() ? { package: r.package.trim() } : {}),
      reason: r.reason.trim(),
      expires: r.expires || null,
    })),
  };
}

function Problem({ text }: { text?: string }) {
  return text ? (
    <span role="alert" className="field-error">
      {text}
    </span>
  ) : null;
}

function PolicyEditor({ policy, onDone }: { policy: Policy | null; onDone: () => void }) {
  const create = useProcedureMutation('securityGuardian.createPolicy');
  const update = useProcedureMutation('securityGuardian.updatePolicy');
  const [d, setD] = useState<Draft>(() => toDraft(policy));
  const [checked, setChecked] = useState<Problems>({});
  const active = policy ? update : create;
  const problems = { ...serverProblem(active.error), ...checked };
  const unplaced =
    active.error && Object.keys(serverProblem(active.error)).length === 0 ? active.error : null;

  function save() {
    const found = checkDraft(d);
    setChecked(found);
    if (Object.keys(found).length > 0) return;
    const input = toInput(d);
    if (policy) update.mutate({ id: policy.id, ...input }, { onSuccess: onDone });
    else create.mutate(input, { onSuccess: onDone });
  }
  const set = (patch: Partial<Draft>) => setD((cur) => ({ ...cur, ...patch }));
  const thresholdRow = (k: 'block' | 'warn', label: string) => (
    <fieldset className="rb-field">
      <legend>{label}</legend>
      <label>
        {label}: severity
        <select
          aria-label={`${label} severity`}
          value={d[k].severity}
          onChange={(e) => set({ [k]: { ...d[k], severity: e.target.value as Severity | '' } })}
        >
          <option value="">none</option>
          {kSeverities.map((s) => (
            <option key={s} value={s}>
              {s} and above
            </option>
          ))}
        </select>
      </label>
      <label>
        {label}: CVSS at or above
        <input
          aria-label={`${label} CVSS`}
          inputMode="decimal"
          value={d[k].cvss}
          onChange={(e) => set({ [k]: { ...d[k], cvss: e.target.value } })}
        />
      </label>
      <Problem text={problems[k]} />
    </fieldset>
  );

  return (
    <form
      className="stack-form"
      aria-label={policy ? `Edit policy ${policy.name}` : 'New policy'}
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <label className="rb-field">
        Name
        <input
          aria-label="Policy name"
          value={d.name}
          onChange={(e) => set({ name: e.target.value })}
        />
        <Problem text={problems.name} />
      </label>
      <label className="rb-field">
        Description
        <input
          aria-label="Policy description"
          value={d.description}
          onChange={(e) => set({ description: e.target.value })}
        />
      </label>
      <label>
        <input
          type="checkbox"
          checked={d.enabled}
          onChange={(e) => set({ enabled: e.target.checked })}
        />{' '}
        Enabled (applied to every dependency scan)
      </label>
      {thresholdRow('block', 'Block')}
      {thresholdRow('warn', 'Warn')}
      <fieldset className="rb-field">
        <legend>Ignore rules</legend>
        <Problem text={problems.ignore} />
        {d.ignore.map((r, i) => {
          const change = (patch: Partial<Draft['ignore'][number]>) =>
            set({ ignore: d.ignore.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
          return (
            <div key={i} className="rb-field" data-testid="ignore-rule">
              <input
                aria-label={`Rule ${i + 1} advisory id`}
                placeholder="GHSA-… or CVE-…"
                value={r.id}
                onChange={(e) => change({ id: e.target.value })}
              />
              <input
                aria-label={`Rule ${i + 1} package`}
                placeholder="package"
                value={r.package}
                onChange={(e) => change({ package: e.target.value })}
              />
              <input
                aria-label={`Rule ${i + 1} reason`}
                placeholder="why it does not apply"
                value={r.reason}
                onChange={(e) => change({ reason: e.target.value })}
              />
              <input
                aria-label={`Rule ${i + 1} expires`}
                type="date"
                value={r.expires}
                onChange={(e) => change({ expires: e.target.value })}
              />
              <button
                type="button"
                className="btn btn-small"
                onClick={() => set({ ignore: d.ignore.filter((_, j) => j !== i) })}
              >
                Remove rule {i + 1}
              </button>
              <Problem text={problems[`ignore[${i}]`]} />
            </div>
          );
        })}
        <button
          type="button"
          className="btn btn-small"
          onClick={() =>
            set({ ignore: [...d.ignore, { id: '', package: '', reason: '', expires: '' }] })
          }
        >
          Add ignore rule
        </button>
      </fieldset>
      {unplaced ? <ErrorState error={unplaced} title="Save failed" /> : null}
      <div className="row-actions">
        <button type="submit" className="btn" disabled={active.isPending}>
          {policy ? 'Save policy' : 'Create policy'}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
