// Runbook executions of one incident: per-step state and output, approve/reject/cancel for
// operators (the server refuses an approval by the operator who started the execution), and a
// form to start a runbook (dry-run by default).
import { useState } from 'react';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import type { ProcedureOutput } from '../../api/generated';
import { Panel } from '../../components/procedure-panel';
import { usePage } from '../../components/pagination';
import { Empty, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';

type Execution = ProcedureOutput<'incidentCommander.getExecution'>;

function ExecutionCard({ e }: { e: Execution }) {
  const approve = useProcedureMutation('incidentCommander.approveExecution');
  const reject = useProcedureMutation('incidentCommander.rejectExecution');
  const cancel = useProcedureMutation('incidentCommander.cancelExecution');
  const [note, setNote] = useState('');
  const error = approve.error ?? reject.error ?? cancel.error;
  const unfinished =
    e.status === 'pending' || e.status === 'running' || e.status === 'awaiting_approval';
  return (
    <article className="execution" aria-label={`Execution ${e.id}`}>
      <h3>
        {e.runbookName} <span className={`status status-${e.status}`}>{e.status}</span>
        {e.dryRun ? <span className="muted"> (dry run)</span> : null}
      </h3>
      <p className="small muted">
        #{e.id} · started by {e.triggeredBy} · <Time iso={e.createdAt} />
      </p>
      {e.awaiting ? (
        <div className="approval" role="group" aria-label="Approval">
          <p>
            Waiting for approval of <strong>{e.awaiting.what}</strong> (requested by{' '}
            {e.awaiting.requestedBy}).
          </p>
          <RequireRole min="operator">
            <label>
              Note
              <input value={note} onChange={(ev) => setNote(ev.target.value)} />
            </label>
            <button
              type="button"
              disabled={approve.isPending}
              onClick={() => approve.mutate({ id: e.id, ...(note ? { note } : {}) })}
            >
              Approve
            </button>
            <button
              type="button"
              disabled={reject.isPending}
              onClick={() => reject.mutate({ id: e.id, ...(note ? { note } : {}) })}
            >
              Reject
            </button>
          </RequireRole>
        </div>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error.message}
        </p>
      ) : null}
      {e.error ? <p className="error">{e.error}</p> : null}
      <ol className="steps">
        {e.steps.map((s, i) => (
          <li key={i}>
            <strong>{s.name}</strong> <span className="muted">{s.type}</span>{' '}
            <span className={`status status-${s.status}`}>{s.status}</span>
            {s.approvedBy ? <span className="muted"> · approved by {s.approvedBy}</span> : null}
            {s.durationMs !== undefined ? (
              <span className="muted"> · {s.durationMs} ms</span>
            ) : null}
            {s.argv ? <code className="argv">{JSON.stringify(s.argv)}</code> : null}
            {s.error ? <p className="error small">{s.error}</p> : null}
            {s.output ? (
              <pre className="output">
                {s.output}
                {s.truncated ? `\n… (${s.outputBytes} bytes in all)` : ''}
              </pre>
            ) : null}
          </li>
        ))}
      </ol>
      {unfinished ? (
        <RequireRole min="operator">
          <button type="button" onClick={() => cancel.mutate({ id: e.id })}>
            Cancel execution
          </button>
        </RequireRole>
      ) : null}
    </article>
  );
}

function StartRunbook({ incidentId }: { incidentId: number }) {
  const runbooks = useProcedureQuery('incidentCommander.listRunbooks', { limit: 100 });
  const start = useProcedureMutation('incidentCommander.executeRunbook');
  const [runbookId, setRunbookId] = useState<number | null>(null);
  const [dryRun, setDryRun] = useState(true);
  const items = runbooks.data?.items.filter((r) => r.enabled) ?? [];
  if (items.length === 0) return <p className="small muted">No runbooks defined yet.</p>;
  const chosen = runbookId ?? items[0]?.id ?? null;
  return (
    <form
      className="inline-form"
      onSubmit={(ev) => {
        ev.preventDefault();
        if (chosen !== null) start.mutate({ runbookId: chosen, incidentId, dryRun });
      }}
    >
      <label>
        Runbook
        <select value={chosen ?? ''} onChange={(ev) => setRunbookId(Number(ev.target.value))}>
          {items.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
              {r.requiresApproval ? ' (needs approval)' : ''}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input type="checkbox" checked={dryRun} onChange={(ev) => setDryRun(ev.target.checked)} />{' '}
        Dry run
      </label>
      <button type="submit" disabled={start.isPending}>
        Run
      </button>
      {start.error ? (
        <p role="alert" className="error">
          {start.error.message}
        </p>
      ) : null}
    </form>
  );
}

/** Every execution waiting for a person's approval, with or without an incident (the ones the
 *  assistant proposed included): the Runbooks screen's approval queue. */
export function PendingApprovals() {
  const { limit, offset, pager } = usePage('approvalsOffset');
  const q = useProcedureQuery('incidentCommander.listExecutions', {
    status: 'awaiting_approval',
    limit,
    offset,
  });
  return (
    <Panel title="Waiting for approval">
      <QueryView q={q} loadingLabel="Loading executions waiting for approval">
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="Nothing waits for an approval" />
          ) : (
            <>
              {page.items.map((e) => (
                <ExecutionCard key={e.id} e={e} />
              ))}
            </>
          )
        }
      </QueryView>
      {pager(q.data?.total)}
    </Panel>
  );
}

export function RunbookExecutions({ incidentId }: { incidentId: number }) {
  const { limit, offset, pager } = usePage('executionsOffset');
  const q = useProcedureQuery('incidentCommander.listExecutions', { incidentId, limit, offset });
  return (
    <Panel title="Runbooks">
      <RequireRole min="operator">
        <StartRunbook incidentId={incidentId} />
      </RequireRole>
      <QueryView q={q} loadingLabel="Loading runbook executions">
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="No runbook ran for this incident" />
          ) : (
            <>
              {page.items.map((e) => (
                <ExecutionCard key={e.id} e={e} />
              ))}
            </>
          )
        }
      </QueryView>
      {pager(q.data?.total)}
    </Panel>
  );
}
