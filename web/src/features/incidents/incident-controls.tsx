// The incident page's operator controls: status (detected → investigating → mitigating; resolve
// stays on its own button), severity, assignee (incidentCommander.update) and notes
// (incidentCommander.addNote). Each change becomes a timeline row on the server; errors are
// shown beside the field the server named.
import { useState, type FormEvent } from 'react';
import type { ProcedureInput, ProcedureOutput } from '../../api/generated';
import { useProcedureMutation } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { ErrorState } from '../../components/states';
import { RequireRole } from '../../lib/session';
import { fieldErrors } from './field-errors';

type Incident = ProcedureOutput<'incidentCommander.get'>;
type UpdateInput = ProcedureInput<'incidentCommander.update'>;
const kStatuses = ['detected', 'investigating', 'mitigating'] as const;
const kSeverities = ['critical', 'high', 'medium', 'low'] as const;

export function IncidentControls({ incident }: { incident: Incident }) {
  return (
    <RequireRole min="operator">
      <Panel title="Respond" actions={<code className="proc">incidentCommander.update</code>}>
        <UpdateForm incident={incident} />
        <NoteForm incidentId={incident.id} />
      </Panel>
    </RequireRole>
  );
}

function UpdateForm({ incident }: { incident: Incident }) {
  const update = useProcedureMutation('incidentCommander.update');
  const [status, setStatus] = useState<string>(
    incident.status === 'resolved' ? '' : incident.status,
  );
  const [severity, setSeverity] = useState<string>(incident.severity);
  const [assignee, setAssignee] = useState('');
  const errors = fieldErrors(update.error, ['status', 'severity', 'assignee']);

  function submit(ev: FormEvent) {
    ev.preventDefault();
    const input: UpdateInput = { id: incident.id };
    if (status && status !== incident.status) input.status = status as UpdateInput['status'];
    if (severity !== incident.severity) input.severity = severity as UpdateInput['severity'];
    if (assignee.trim() !== '') input.assignee = assignee.trim() === '-' ? null : assignee.trim();
    update.mutate(input, { onSuccess: () => setAssignee('') });
  }
  const unchanged =
    (status === '' || status === incident.status) &&
    severity === incident.severity &&
    assignee.trim() === '';

  return (
    <form className="inline-form" aria-label="Update incident" onSubmit={submit}>
      <label>
        Status
        <select
          name="status"
          value={status}
          aria-invalid={errors.byField.status ? true : undefined}
          onChange={(e) => setStatus(e.target.value)}
        >
          {incident.status === 'resolved' ? <option value="">resolved (reopen as…)</option> : null}
          {kStatuses.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        {errors.byField.status ? (
          <span className="field-error" role="alert">
            {errors.byField.status}
          </span>
        ) : null}
      </label>
      <label>
        Severity
        <select
          name="severity"
          value={severity}
          aria-invalid={errors.byField.severity ? true : undefined}
          onChange={(e) => setSeverity(e.target.value)}
        >
          {kSeverities.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        {errors.byField.severity ? (
          <span className="field-error" role="alert">
            {errors.byField.severity}
          </span>
        ) : null}
      </label>
      <label>
        Assign to (user name, “-” for nobody)
        <input
          name="assignee"
          value={assignee}
          aria-invalid={errors.byField.assignee ? true : undefined}
          onChange={(e) => setAssignee(e.target.value)}
        />
        {errors.byField.assignee ? (
          <span className="field-error" role="alert">
            {errors.byField.assignee}
          </span>
        ) : null}
      </label>
      <button
        type="submit"
        className="btn btn-primary btn-small"
        disabled={update.isPending || unchanged}
      >
        {update.isPending ? 'Saving…' : 'Save'}
      </button>
      {errors.form ? <ErrorState error={errors.form} title="Update failed" /> : null}
    </form>
  );
}

function NoteForm({ incidentId }: { incidentId: number }) {
  const add = useProcedureMutation('incidentCommander.addNote');
  const [note, setNote] = useState('');
  const errors = fieldErrors(add.error, ['note']);
  function submit(ev: FormEvent) {
    ev.preventDefault();
    if (note.trim() === '') return;
    add.mutate({ id: incidentId, note: note.trim() }, { onSuccess: () => setNote('') });
  }
  return (
    <form className="stack-form" aria-label="Add a note" onSubmit={submit}>
      <label>
        Note
        <textarea
          name="note"
          rows={3}
          value={note}
          aria-invalid={errors.byField.note ? true : undefined}
          onChange={(e) => setNote(e.target.value)}
        />
        {errors.byField.note ? (
          <span className="field-error" role="alert">
            {errors.byField.note}
          </span>
        ) : null}
      </label>
      <button
        type="submit"
        className="btn btn-small"
        disabled={add.isPending || note.trim() === ''}
      >
        {add.isPending ? 'Adding…' : 'Add note'}
      </button>
      {errors.form ? <ErrorState error={errors.form} title="Note not added" /> : null}
    </form>
  );
}
