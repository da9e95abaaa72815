// Runbooks (incidentCommander.listRunbooks/createRunbook/updateRunbook/deleteRunbook): the
// definitions with their trigger, approval and auto-execute settings. Operators create, edit
// (runbook-editor.tsx: steps by type, or the YAML; each save is a new version) and
// enable/disable; only admins delete. Drafts learned from incidents arrive disabled.
import { useState } from 'react';
import { Link } from 'react-router';
import type { ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { usePage } from '../../components/pagination';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { RunbookEditor } from './runbook-editor';
import { PendingApprovals } from './runbook-executions';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';

type Runbook = ProcedureOutput<'incidentCommander.listRunbooks'>['items'][number];

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
      <PendingApprovals />
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
                {r.source === 'generated' ? (
                  <span
                    className={r.enabled ? 'sev sev-low' : 'sev sev-medium'}
                    title="Learned from resolved incidents by the Documentation Generator: review every step before enabling it"
                  >
                    {r.enabled
                      ? 'learned from incidents'
                      : 'draft: learned from incidents, review before enabling'}
                  </span>
                ) : null}
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
