// Runbooks (incidentCommander.listRunbooks/createRunbook/updateRunbook/deleteRunbook): the
// YAML definitions with their trigger, approval and auto-execute settings. Operators create,
// edit (each save is a new version) and enable/disable; only admins delete. The server
// validates a definition and names the part that is wrong ("steps[1].command.argv: ...").
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { usePage } from '../../components/pagination';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';

type Runbook = ProcedureOutput<'incidentCommander.listRunbooks'>['items'][number];

export const kRunbookExample = `name: restart-service
description: Restart the service an incident names
trigger:
  labels: {alertname: ServiceDown}
  severity: [critical, high]
autoExecute: false
requiresApproval: true
parameters: [service]
steps:
  - name: restart
    command:
      argv: [/usr/bin/systemctl, restart, "{{service}}"]
      timeout: 60s
`;

export function RunbooksPage() {
  const { limit, offset, pager } = usePage('runbooksOffset');
  const q = useProcedureQuery('incidentCommander.listRunbooks', { limit, offset });
  const [editing, setEditing] = useState<Runbook | null>(null);
  return (
    <>
      <p className="small">
        <Link to="/incidents">← Incidents</Link>
      </p>
      <div className="page-head">
        <h1>Runbooks</h1>
        <p className="muted">
          Typed steps run for incidents: argv commands from the allow-list, HTTP, PromQL checks,
          waits, approvals and notifications.
        </p>
      </div>
      <Panel
        title="Runbooks"
        actions={<code className="proc">incidentCommander.listRunbooks</code>}
      >
        <QueryView q={q} loadingLabel="Loading runbooks">
          {(data) =>
            data.items.length === 0 ? (
              <Empty title="No runbooks yet">Operators can add one below.</Empty>
            ) : (
              <RunbookTable items={data.items} onEdit={setEditing} />
            )
          }
        </QueryView>
        {pager(q.data?.total)}
      </Panel>
      <RequireRole min="operator">
        <RunbookEditor
          key={editing ? `${editing.id}-${editing.version}` : 'new'}
          runbook={editing}
          onDone={() => setEditing(null)}
        />
      </RequireRole>
    </>
  );
}

function RunbookTable({ items, onEdit }: { items: Runbook[]; onEdit: (r: Runbook) => void }) {
  const toggle = useProcedureMutation('incidentCommander.updateRunbook');
  const remove = useProcedureMutation('incidentCommander.deleteRunbook');
  return (
    <>
      {toggle.error ? <ErrorState error={toggle.error} title="Update failed" /> : null}
      {remove.error ? <ErrorState error={remove.error} title="Delete failed" /> : null}
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Version</th>
            <th>Enabled</th>
            <th>Approval</th>
            <th>Auto-execute</th>
            <th>Runs ok / failed</th>
            <th>Updated</th>
            <RequireRole min="operator">
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </RequireRole>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.id}>
              <td>
                <strong>{r.name}</strong>
                {r.description ? <div className="small muted">{r.description}</div> : null}
              </td>
              <td className="num">{r.version}</td>
              <td>{r.enabled ? 'yes' : 'no'}</td>
              <td>{r.requiresApproval ? 'required' : 'no'}</td>
              <td>{r.autoExecute ? 'yes' : 'no'}</td>
              <td className="num">
                {r.successCount} / {r.failureCount}
              </td>
              <td>
                <Time iso={r.updatedAt} />
              </td>
              <RequireRole min="operator">
                <td className="row-actions">
                  <button type="button" className="btn btn-small" onClick={() => onEdit(r)}>
                    Edit {r.name}
                  </button>
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => toggle.mutate({ id: r.id, enabled: !r.enabled })}
                  >
                    {r.enabled ? 'Disable' : 'Enable'}
                  </button>
                  <RequireRole min="admin">
                    <button
                      type="button"
                      className="btn btn-small btn-danger"
                      onClick={() => {
                        if (window.confirm(`Delete runbook ${r.name}?`))
                          remove.mutate({ id: r.id });
                      }}
                    >
                      Delete
                    </button>
                  </RequireRole>
                </td>
              </RequireRole>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function RunbookEditor({ runbook, onDone }: { runbook: Runbook | null; onDone: () => void }) {
  const create = useProcedureMutation('incidentCommander.createRunbook');
  const update = useProcedureMutation('incidentCommander.updateRunbook');
  const [definition, setDefinition] = useState(runbook ? runbook.definition : kRunbookExample);
  const m = runbook ? update : create;
  // Every validation error of a runbook is about its definition (it names the YAML path).
  const definitionError = m.error && m.error.code === 'BAD_REQUEST' ? m.error.message : null;
  function submit(ev: FormEvent) {
    ev.preventDefault();
    const done = { onSuccess: () => onDone() };
    if (runbook) update.mutate({ id: runbook.id, definition }, done);
    else create.mutate({ definition }, { onSuccess: () => setDefinition(kRunbookExample) });
  }
  const title = runbook ? `Edit runbook ${runbook.name}` : 'New runbook';
  return (
    <Panel
      title={title}
      actions={
        <code className="proc">
          {runbook ? 'incidentCommander.updateRunbook' : 'incidentCommander.createRunbook'}
        </code>
      }
    >
      <form className="stack-form" aria-label={title} onSubmit={submit}>
        <label>
          Definition (YAML)
          <textarea
            name="definition"
            rows={16}
            spellCheck={false}
            value={definition}
            aria-invalid={definitionError ? true : undefined}
            onChange={(e) => setDefinition(e.target.value)}
          />
          {definitionError ? (
            <span className="field-error" role="alert">
              {definitionError}
            </span>
          ) : null}
        </label>
        <div className="row-actions">
          <button type="submit" className="btn btn-primary btn-small" disabled={m.isPending}>
            {m.isPending ? 'Saving…' : runbook ? 'Save as new version' : 'Create runbook'}
          </button>
          {runbook ? (
            <button type="button" className="btn btn-small" onClick={onDone}>
              Cancel
            </button>
          ) : null}
        </div>
        {m.error && !definitionError ? <ErrorState error={m.error} title="Not saved" /> : null}
      </form>
    </Panel>
  );
}
