// Watched queries (incidentCommander.listWatches/createWatch/updateWatch/deleteWatch/
// evaluateWatch): PromQL queries the server reads from Prometheus on a schedule and feeds
// through the anomaly engine; a score at or above the threshold becomes a signal (an alert in
// an incident, with the series as evidence). Operators create, edit, evaluate now and delete;
// the server's validation errors are shown beside the field they name.
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { ProcedureInput, ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { usePage } from '../../components/pagination';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';
import { fieldErrors } from './field-errors';

type Watch = ProcedureOutput<'incidentCommander.listWatches'>['items'][number];
type CreateInput = ProcedureInput<'incidentCommander.createWatch'>;
const kFields = [
  'name',
  'query',
  'stepSeconds',
  'windowSeconds',
  'threshold',
  'severity',
  'labels',
] as const;
type Values = Record<(typeof kFields)[number], string> & { enabled: boolean };

const kEmpty: Values = {
  name: '',
  query: '',
  stepSeconds: '60',
  windowSeconds: '86400',
  threshold: '0.9',
  severity: 'medium',
  labels: '',
  enabled: true,
};

/** "a=b, c=d" → {a: "b", c: "d"}; an entry without "=" is an error naming it. */
export function parseLabels(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq <= 0) return `labels: "${p}" is not name=value`;
    out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

function valuesOf(w: Watch): Values {
  return {
    name: w.name,
    query: w.query,
    stepSeconds: String(w.stepSeconds),
    windowSeconds: String(w.windowSeconds),
    threshold: String(w.threshold),
    severity: w.severity,
    labels: Object.entries(w.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
    enabled: w.enabled,
  };
}

export function WatchesPage() {
  // listWatches answers every watch: paged client-side.
  const { limit, offset, pager } = usePage('watchesOffset');
  const q = useProcedureQuery('incidentCommander.listWatches', {});
  const [editing, setEditing] = useState<Watch | null>(null);
  return (
    <>
      <p className="small">
        <Link to="/incidents">← Incidents</Link>
      </p>
      <div className="page-head">
        <h1>Watched queries</h1>
        <p className="muted">
          PromQL queries checked for anomalies every 30 s; a score at or above the threshold opens
          or joins an incident with the series as evidence.
        </p>
      </div>
      <Panel
        title="Watched queries"
        actions={<code className="proc">incidentCommander.listWatches</code>}
      >
        <QueryView q={q} loadingLabel="Loading watched queries">
          {(data) =>
            data.items.length === 0 ? (
              <Empty title="No watched queries yet">Operators can add one below.</Empty>
            ) : (
              <WatchTable items={data.items.slice(offset, offset + limit)} onEdit={setEditing} />
            )
          }
        </QueryView>
        {pager(q.data?.items.length)}
      </Panel>
      <RequireRole min="operator">
        <WatchForm
          key={editing ? `${editing.id}-${editing.updatedAt}` : 'new'}
          watch={editing}
          onDone={() => setEditing(null)}
        />
      </RequireRole>
    </>
  );
}

function WatchTable({ items, onEdit }: { items: Watch[]; onEdit: (w: Watch) => void }) {
  const evaluate = useProcedureMutation('incidentCommander.evaluateWatch', ['incidentCommander']);
  const remove = useProcedureMutation('incidentCommander.deleteWatch');
  return (
    <>
      {evaluate.error ? <ErrorState error={evaluate.error} title="Evaluation failed" /> : null}
      {remove.error ? <ErrorState error={remove.error} title="Delete failed" /> : null}
      {evaluate.data ? (
        <p className="small" role="status">
          Watch {evaluate.data.watchId}: {evaluate.data.series.length} series read,{' '}
          {evaluate.data.signals} signal{evaluate.data.signals === 1 ? '' : 's'} raised
          {evaluate.data.series.length > 0
            ? ` (max score ${Math.max(...evaluate.data.series.map((s) => s.maxScore)).toFixed(3)})`
            : ''}
          .
        </p>
      ) : null}
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Query</th>
            <th>Step / window</th>
            <th>Threshold</th>
            <th>Severity</th>
            <th>Enabled</th>
            <th>Last run</th>
            <RequireRole min="operator">
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </RequireRole>
          </tr>
        </thead>
        <tbody>
          {items.map((w) => (
            <tr key={w.id}>
              <td>
                <strong>{w.name}</strong>
              </td>
              <td>
                <code>{w.query}</code>
              </td>
              <td className="num">
                {w.stepSeconds} s / {w.windowSeconds} s
              </td>
              <td className="num">{w.threshold}</td>
              <td>
                <span className={`sev sev-${w.severity}`}>{w.severity}</span>
              </td>
              <td>{w.enabled ? 'yes' : 'no'}</td>
              <td>
                {w.lastRunAt ? <Time iso={w.lastRunAt} /> : <span className="muted">never</span>}
                {w.lastError ? <div className="small field-error">{w.lastError}</div> : null}
              </td>
              <RequireRole min="operator">
                <td className="row-actions">
                  <button type="button" className="btn btn-small" onClick={() => onEdit(w)}>
                    Edit {w.name}
                  </button>
                  <button
                    type="button"
                    className="btn btn-small"
                    disabled={evaluate.isPending}
                    onClick={() => evaluate.mutate({ id: w.id })}
                  >
                    Evaluate now
                  </button>
                  <button
                    type="button"
                    className="btn btn-small btn-danger"
                    onClick={() => {
                      if (window.confirm(`Stop watching ${w.name}?`)) remove.mutate({ id: w.id });
                    }}
                  >
                    Delete
                  </button>
                </td>
              </RequireRole>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function WatchForm({ watch, onDone }: { watch: Watch | null; onDone: () => void }) {
  const create = useProcedureMutation('incidentCommander.createWatch');
  const update = useProcedureMutation('incidentCommander.updateWatch');
  const [v, setV] = useState<Values>(watch ? valuesOf(watch) : kEmpty);
  const [local, setLocal] = useState<Record<string, string>>({});
  const m = watch ? update : create;
  const server = fieldErrors(m.error, [...kFields]);
  const errors = { ...server.byField, ...local };

  function submit(ev: FormEvent) {
    ev.preventDefault();
    const labels = parseLabels(v.labels);
    const problems: Record<string, string> = {};
    if (typeof labels === 'string') problems.labels = labels;
    for (const f of ['stepSeconds', 'windowSeconds', 'threshold'] as const) {
      if (v[f].trim() === '' || !Number.isFinite(Number(v[f])))
        problems[f] = `${f}: enter a number`;
    }
    setLocal(problems);
    if (Object.keys(problems).length > 0 || typeof labels === 'string') return;
    const input: CreateInput = {
      name: v.name,
      query: v.query,
      stepSeconds: Number(v.stepSeconds),
      windowSeconds: Number(v.windowSeconds),
      threshold: Number(v.threshold),
      severity: v.severity as CreateInput['severity'],
      labels,
      enabled: v.enabled,
    };
    if (watch) update.mutate({ id: watch.id, ...input }, { onSuccess: () => onDone() });
    else create.mutate(input, { onSuccess: () => setV(kEmpty) });
  }

  function input(name: (typeof kFields)[number], label: string, type = 'text', className?: string) {
    return (
      <label className={className}>
        {label}
        <input
          name={name}
          type={type}
          step={type === 'number' ? 'any' : undefined}
          value={v[name]}
          aria-invalid={errors[name] ? true : undefined}
          onChange={(e) => setV({ ...v, [name]: e.target.value })}
        />
        {errors[name] ? (
          <span className="field-error" role="alert">
            {errors[name]}
          </span>
        ) : null}
      </label>
    );
  }

  const title = watch ? `Edit watch ${watch.name}` : 'New watched query';
  return (
    <Panel
      title={title}
      actions={
        <code className="proc">
          {watch ? 'incidentCommander.updateWatch' : 'incidentCommander.createWatch'}
        </code>
      }
    >
      <form className="stack-form" aria-label={title} onSubmit={submit} noValidate>
        <div className="inline-form">
          {input('name', 'Name')}
          {input('query', 'PromQL query', 'text', 'grow')}
        </div>
        <div className="inline-form">
          {input('stepSeconds', 'Resolution (s)', 'number')}
          {input('windowSeconds', 'Window (s)', 'number')}
          {input('threshold', 'Threshold (0–1]', 'number')}
          <label>
            Severity
            <select
              name="severity"
              value={v.severity}
              onChange={(e) => setV({ ...v, severity: e.target.value })}
            >
              <option>critical</option>
              <option>high</option>
              <option>medium</option>
              <option>low</option>
            </select>
            {errors.severity ? (
              <span className="field-error" role="alert">
                {errors.severity}
              </span>
            ) : null}
          </label>
          {input('labels', 'Labels (name=value, …)', 'text', 'grow')}
          <label className="check">
            <input
              type="checkbox"
              name="enabled"
              checked={v.enabled}
              onChange={(e) => setV({ ...v, enabled: e.target.checked })}
            />
            Enabled
          </label>
        </div>
        <div className="row-actions">
          <button type="submit" className="btn btn-primary btn-small" disabled={m.isPending}>
            {m.isPending ? 'Saving…' : watch ? 'Save' : 'Create watch'}
          </button>
          {watch ? (
            <button type="button" className="btn btn-small" onClick={onDone}>
              Cancel
            </button>
          ) : null}
        </div>
        {server.form ? <ErrorState error={server.form} title="Not saved" /> : null}
      </form>
    </Panel>
  );
}
