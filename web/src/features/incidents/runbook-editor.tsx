// The runbook editor (the specification's RunbookEditor): a runbook's steps by type (argv
// command, HTTP, approval gate, wait, healing action, notify, PromQL check, nested runbook),
// added, removed and reordered, its trigger conditions and parameters, with a message beside
// each field. The form checks the engine's rules as you type; the server is the authority:
// "Check with the server" (incidentCommander.validateRunbook) and saving answer its message at
// the field it names, and its warnings (an executable outside the allow-list) beside the step.
// The YAML tab edits the same definition as text: leaving it asks the server to parse it.
// Drafts learned from incidents (documentationGenerator.createRunbook) arrive disabled and are
// reviewed here before a person enables them.
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { ApiError } from '../../api/errors';
import type { ProcedureOutput } from '../../api/generated';
import { useProcedureMutation } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { ErrorState } from '../../components/states';
import {
  fromCanonical,
  kHttpMethods,
  kSeverities,
  kStepTypeLabels,
  kStepTypes,
  newStep,
  serverFieldPath,
  toYaml,
  validate,
  type FieldErrors,
  type Pair,
  type RunbookModel,
  type StepModel,
  type StepType,
} from './runbook-model';

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

const kExampleModel = (): RunbookModel => ({
  name: 'restart-service',
  description: 'Restart the service an incident names',
  labels: [{ key: 'alertname', value: 'ServiceDown' }],
  severities: ['critical', 'high'],
  autoExecute: false,
  requiresApproval: true,
  parameters: ['service'],
  steps: [
    {
      ...newStep('command', 'restart'),
      argv: ['/usr/bin/systemctl', 'restart', '{{service}}'],
    },
  ],
});

const kHealingActions = [
  'restart_process',
  'restart_service',
  'restart_pod',
  'rollout_restart',
  'scale_up',
  'scale_down',
  'rollback',
  'cordon_node',
];

/** A server answer placed at the field it names (null: it names none shown here). */
interface ServerMessage {
  path: string | null;
  message: string;
}

function isDefinitionError(e: ApiError): boolean {
  return e.code === 'BAD_REQUEST' || e.code === 'PARSE_ERROR';
}

export function RunbookEditor({
  runbook,
  onDone,
}: {
  runbook: Runbook | null;
  onDone: () => void;
}) {
  const create = useProcedureMutation('incidentCommander.createRunbook');
  const update = useProcedureMutation('incidentCommander.updateRunbook');
  const check = useProcedureMutation('incidentCommander.validateRunbook');
  const [tab, setTab] = useState<'form' | 'yaml'>('form');
  const [model, setModelState] = useState<RunbookModel>(() =>
    runbook ? fromCanonical(runbook.steps) : kExampleModel(),
  );
  // The text the YAML tab shows: the stored definition (with its comments) until the form
  // changes the model.
  const [yaml, setYaml] = useState(runbook ? runbook.definition : kRunbookExample);
  const [formChanged, setFormChanged] = useState(false);
  const [showErrors, setShowErrors] = useState(false);
  const [server, setServer] = useState<ServerMessage | null>(null);
  const [warnings, setWarnings] = useState<Record<string, string>>({});
  const [accepted, setAccepted] = useState(false);
  const [otherError, setOtherError] = useState<ApiError | null>(null);
  const m = runbook ? update : create;
  const title = runbook ? `Edit runbook ${runbook.name}` : 'New runbook';

  function setModel(next: RunbookModel) {
    setModelState(next);
    setFormChanged(true);
    setShowErrors(true);
    setServer(null);
    setAccepted(false);
  }

  const errors: FieldErrors = showErrors ? validate(model) : {};
  const clientErrorCount = Object.keys(validate(model)).length;

  function placeServerError(e: ApiError, against: RunbookModel) {
    if (e.code === 'CONFLICT') {
      // Another runbook has this name.
      setServer({ path: tab === 'form' ? 'name' : null, message: e.message });
      return;
    }
    if (!isDefinitionError(e)) {
      setOtherError(e);
      return;
    }
    setServer({
      path: tab === 'form' ? serverFieldPath(e.message, against) : null,
      message: e.message,
    });
  }

  function definitionNow(): string | null {
    if (tab === 'yaml') return yaml;
    if (Object.keys(validate(model)).length > 0) {
      setShowErrors(true);
      return null;
    }
    return toYaml(model);
  }

  function reset() {
    setServer(null);
    setOtherError(null);
    setAccepted(false);
    setWarnings({});
  }

  function submit(ev: FormEvent) {
    ev.preventDefault();
    reset();
    const definition = definitionNow();
    if (definition === null) return;
    const onError = (e: ApiError) => placeServerError(e, model);
    if (runbook)
      update.mutate({ id: runbook.id, definition }, { onSuccess: () => onDone(), onError });
    else
      create.mutate(
        { definition },
        {
          onSuccess: () => {
            setModelState(kExampleModel());
            setYaml(kRunbookExample);
            setFormChanged(false);
            setShowErrors(false);
          },
          onError,
        },
      );
  }

  function validateOnServer() {
    reset();
    const definition = definitionNow();
    if (definition === null) return;
    check.mutate(
      { definition },
      {
        onSuccess: (r) => {
          setAccepted(true);
          setWarnings(Object.fromEntries(r.warnings.map((w) => [w.field, w.message])));
        },
        onError: (e) => placeServerError(e, model),
      },
    );
  }

  function switchTab(next: 'form' | 'yaml') {
    if (next === tab) return;
    reset();
    if (next === 'yaml') {
      if (formChanged) setYaml(toYaml(model));
      setTab('yaml');
      return;
    }
    // YAML → form: the server parses the text (the same parser that stores it).
    check.mutate(
      { definition: yaml },
      {
        onSuccess: (r) => {
          setModelState(fromCanonical(r.runbook));
          setFormChanged(false);
          setWarnings(Object.fromEntries(r.warnings.map((w) => [w.field, w.message])));
          setTab('form');
        },
        onError: (e) => placeServerError(e, model),
      },
    );
  }

  // The message a field shows: the server's when it names this field, else the form's check.
  const fieldMessage = (path: string): string | undefined =>
    server?.path === path ? server.message : errors[path];
  const known = knownPaths(model);
  const unplacedServer =
    tab === 'form' && server && (server.path === null || !known.has(server.path)) ? server : null;
  const ctx: FieldCtx = { message: fieldMessage, warning: (p) => warnings[p] };

  return (
    <Panel
      title={title}
      actions={
        <code className="proc">
          {runbook ? 'incidentCommander.updateRunbook' : 'incidentCommander.createRunbook'}
        </code>
      }
    >
      <form className="stack-form" aria-label={title} onSubmit={submit} noValidate>
        <div className="tabs" role="tablist" aria-label="Editor view">
          {(
            [
              ['form', 'Steps'],
              ['yaml', 'YAML'],
            ] as const
          ).map(([id, label]) => (
            <button
              key={id}
              type="button"
              role="tab"
              aria-selected={tab === id}
              className={tab === id ? 'tab active' : 'tab'}
              onClick={() => switchTab(id)}
            >
              {label}
            </button>
          ))}
        </div>
        <div role="tabpanel" aria-label={tab === 'form' ? 'Steps' : 'YAML'}>
          {tab === 'form' ? (
            <RunbookForm model={model} setModel={setModel} ctx={ctx} />
          ) : (
            <label>
              Definition (YAML)
              <textarea
                name="definition"
                rows={18}
                spellCheck={false}
                value={yaml}
                aria-invalid={server ? true : undefined}
                onChange={(e) => {
                  setYaml(e.target.value);
                  setServer(null);
                  setAccepted(false);
                }}
              />
              {server ? (
                <span className="field-error" role="alert" data-testid="runbook-server-error">
                  {server.message}
                </span>
              ) : null}
            </label>
          )}
        </div>
        {unplacedServer ? (
          <p className="field-error" role="alert" data-testid="runbook-server-error">
            {unplacedServer.message}
          </p>
        ) : null}
        {tab === 'form' && server && !unplacedServer ? (
          <p className="field-error" role="alert" data-testid="runbook-server-error">
            The server refused this definition; see the field marked below: {server.message}
          </p>
        ) : null}
        {showErrors && tab === 'form' && clientErrorCount > 0 ? (
          <p className="field-error" data-testid="runbook-client-errors">
            {clientErrorCount === 1 ? '1 field needs' : `${clientErrorCount} fields need`} a change
            before saving.
          </p>
        ) : null}
        {accepted ? (
          <p className="small" role="status" data-testid="runbook-accepted">
            The server accepts this definition
            {Object.keys(warnings).length
              ? `, with ${Object.keys(warnings).length} warning(s) shown beside the steps`
              : ''}
            .
          </p>
        ) : null}
        {tab === 'yaml' && Object.keys(warnings).length ? (
          <ul className="small" data-testid="runbook-warnings">
            {Object.entries(warnings).map(([f, w]) => (
              <li key={f}>
                {f}: {w}
              </li>
            ))}
          </ul>
        ) : null}
        <div className="row-actions">
          <button
            type="button"
            className="btn btn-small"
            onClick={validateOnServer}
            disabled={check.isPending}
          >
            {check.isPending ? 'Checking…' : 'Check with the server'}
          </button>
          <button type="submit" className="btn btn-primary btn-small" disabled={m.isPending}>
            {m.isPending ? 'Saving…' : runbook ? 'Save as new version' : 'Create runbook'}
          </button>
          {runbook ? (
            <button type="button" className="btn btn-small" onClick={onDone}>
              Cancel
            </button>
          ) : null}
        </div>
        {otherError ? <ErrorState error={otherError} title="Not saved" /> : null}
      </form>
    </Panel>
  );
}

/** Every field path the form shows a message for. */
function knownPaths(m: RunbookModel): Set<string> {
  const p = new Set(['name', 'description', 'trigger.labels', 'trigger.severity', 'parameters']);
  p.add('steps');
  m.labels.forEach((_, i) => p.add(`trigger.labels[${i}]`));
  m.steps.forEach((s, i) => {
    const w = `steps[${i}]`;
    const f = `${w}.${s.type}`;
    [w, `${w}.name`, f].forEach((x) => p.add(x));
    for (const k of ['argv', 'workdir', 'env', 'timeout', 'method', 'url', 'body', 'query']) {
      p.add(`${f}.${k}`);
    }
    p.add(`${f}.action`);
    p.add(`${f}.target`);
    s.argv.forEach((_, k) => p.add(`${f}.argv[${k}]`));
    s.env.forEach((_, k) => p.add(`${f}.env[${k}]`));
  });
  return p;
}

interface FieldCtx {
  message: (path: string) => string | undefined;
  warning: (path: string) => string | undefined;
}

/** A labelled control with its message (error, else the server's warning) tied to it. */
function Field({
  label,
  path,
  ctx,
  children,
}: {
  label: ReactNode;
  path: string;
  ctx: FieldCtx;
  children: (a11y: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const error = ctx.message(path);
  const warning = error ? undefined : ctx.warning(path);
  const note = error ?? warning;
  return (
    <div className="rb-field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        ...(error ? { 'aria-invalid': true as const } : {}),
        ...(note ? { 'aria-describedby': `${id}-note` } : {}),
      })}
      {error ? (
        <span className="field-error" id={`${id}-note`} data-field={path}>
          {error}
        </span>
      ) : warning ? (
        <span className="field-warning small" id={`${id}-note`} data-field={path}>
          Warning: {warning}
        </span>
      ) : null}
    </div>
  );
}

/** A message about a group of fields (a list, a whole step). */
function GroupMessage({ path, ctx }: { path: string; ctx: FieldCtx }) {
  const error = ctx.message(path);
  return error ? (
    <span className="field-error" data-field={path}>
      {error}
    </span>
  ) : null;
}

function RunbookForm({
  model,
  setModel,
  ctx,
}: {
  model: RunbookModel;
  setModel: (m: RunbookModel) => void;
  ctx: FieldCtx;
}) {
  const set = (patch: Partial<RunbookModel>) => setModel({ ...model, ...patch });
  const setStep = (i: number, s: StepModel) =>
    set({ steps: model.steps.map((x, k) => (k === i ? s : x)) });
  const move = (i: number, by: number) => {
    const steps = [...model.steps];
    const [s] = steps.splice(i, 1);
    if (s) steps.splice(i + by, 0, s);
    set({ steps });
  };
  return (
    <div className="rb-form">
      <div className="rb-row">
        <Field label="Name" path="name" ctx={ctx}>
          {(a) => (
            <input
              name="name"
              value={model.name}
              onChange={(e) => set({ name: e.target.value })}
              {...a}
            />
          )}
        </Field>
        <Field label="Description" path="description" ctx={ctx}>
          {(a) => (
            <input
              name="description"
              value={model.description}
              onChange={(e) => set({ description: e.target.value })}
              {...a}
            />
          )}
        </Field>
      </div>
      <fieldset className="rb-group">
        <legend>Trigger conditions</legend>
        <p className="small muted">
          The runbook is offered (or started, with auto-execute) for incidents whose labels all
          equal these and whose severity is one of those ticked (none ticked: any).
        </p>
        <PairsEditor
          what="label"
          pathOf={(i) => `trigger.labels[${i}]`}
          listPath="trigger.labels"
          pairs={model.labels}
          onChange={(labels) => set({ labels })}
          ctx={ctx}
        />
        <div className="rb-row" role="group" aria-label="Severity">
          <span>Severity</span>
          {kSeverities.map((s) => (
            <label key={s} className="check">
              <input
                type="checkbox"
                checked={model.severities.includes(s)}
                onChange={(e) =>
                  set({
                    severities: e.target.checked
                      ? [...model.severities, s]
                      : model.severities.filter((x) => x !== s),
                  })
                }
              />
              {s}
            </label>
          ))}
          <GroupMessage path="trigger.severity" ctx={ctx} />
        </div>
        <div className="rb-row">
          <label className="check">
            <input
              type="checkbox"
              checked={model.requiresApproval}
              onChange={(e) => set({ requiresApproval: e.target.checked })}
            />
            Requires an operator&apos;s approval before it starts
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={model.autoExecute}
              onChange={(e) => set({ autoExecute: e.target.checked })}
            />
            Auto-execute when an incident matches
          </label>
        </div>
        <ParametersInput model={model} set={set} ctx={ctx} />
      </fieldset>
      <GroupMessage path="steps" ctx={ctx} />
      <ol className="rb-steps">
        {model.steps.map((s, i) => (
          <li key={s.uid}>
            <StepEditor
              step={s}
              index={i}
              count={model.steps.length}
              onChange={(next) => setStep(i, next)}
              onMove={(by) => move(i, by)}
              onRemove={() => set({ steps: model.steps.filter((_, k) => k !== i) })}
              ctx={ctx}
            />
          </li>
        ))}
      </ol>
      <AddStep
        onAdd={(t) =>
          set({ steps: [...model.steps, newStep(t, `step-${model.steps.length + 1}`)] })
        }
      />
    </div>
  );
}

function ParametersInput({
  model,
  set,
  ctx,
}: {
  model: RunbookModel;
  set: (patch: Partial<RunbookModel>) => void;
  ctx: FieldCtx;
}) {
  // The text as typed (a trailing comma stays while typing); the model holds the names.
  const [raw, setRaw] = useState(model.parameters.join(', '));
  return (
    <Field
      label="Parameters (comma-separated; steps use them as {{name}})"
      path="parameters"
      ctx={ctx}
    >
      {(a) => (
        <input
          name="parameters"
          value={raw}
          onChange={(e) => {
            setRaw(e.target.value);
            set({ parameters: e.target.value.split(/[\s,]+/).filter(Boolean) });
          }}
          {...a}
        />
      )}
    </Field>
  );
}

function AddStep({ onAdd }: { onAdd: (t: StepType) => void }) {
  const [type, setType] = useState<StepType>('command');
  return (
    <div className="rb-row">
      <label className="rb-field">
        <span>New step type</span>
        <select value={type} onChange={(e) => setType(e.target.value as StepType)}>
          {kStepTypes.map((t) => (
            <option key={t} value={t}>
              {kStepTypeLabels[t]}
            </option>
          ))}
        </select>
      </label>
      <button type="button" className="btn btn-small" onClick={() => onAdd(type)}>
        Add step
      </button>
    </div>
  );
}

function PairsEditor({
  what,
  pathOf,
  listPath,
  pairs,
  onChange,
  ctx,
}: {
  what: string;
  pathOf: (i: number) => string;
  listPath: string;
  pairs: Pair[];
  onChange: (p: Pair[]) => void;
  ctx: FieldCtx;
}) {
  const put = (i: number, p: Pair) => onChange(pairs.map((x, k) => (k === i ? p : x)));
  return (
    <div className="rb-pairs">
      {pairs.map((p, i) => (
        <div className="rb-row" key={i}>
          <Field label={`${cap(what)} ${i + 1} name`} path={pathOf(i)} ctx={ctx}>
            {(a) => (
              <input value={p.key} onChange={(e) => put(i, { ...p, key: e.target.value })} {...a} />
            )}
          </Field>
          <label className="rb-field">
            <span>{`${cap(what)} ${i + 1} value`}</span>
            <input value={p.value} onChange={(e) => put(i, { ...p, value: e.target.value })} />
          </label>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => onChange(pairs.filter((_, k) => k !== i))}
          >
            Remove {what} {i + 1}
          </button>
        </div>
      ))}
      <GroupMessage path={listPath} ctx={ctx} />
      <button
        type="button"
        className="btn btn-small"
        onClick={() => onChange([...pairs, { key: '', value: '' }])}
      >
        Add {what}
      </button>
    </div>
  );
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function StepEditor({
  step: s,
  index: i,
  count,
  onChange,
  onMove,
  onRemove,
  ctx,
}: {
  step: StepModel;
  index: number;
  count: number;
  onChange: (s: StepModel) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
  ctx: FieldCtx;
}) {
  const w = `steps[${i}]`;
  const f = `${w}.${s.type}`;
  const n = i + 1;
  const set = (patch: Partial<StepModel>) => onChange({ ...s, ...patch });
  const text = (label: string, path: string, key: keyof StepModel, placeholder?: string) => (
    <Field label={label} path={path} ctx={ctx}>
      {(a) => (
        <input
          value={String(s[key])}
          placeholder={placeholder}
          onChange={(e) => set({ [key]: e.target.value } as Partial<StepModel>)}
          {...a}
        />
      )}
    </Field>
  );
  const destructive = (
    <label className="check">
      <input
        type="checkbox"
        checked={s.destructive}
        onChange={(e) => set({ destructive: e.target.checked })}
      />
      Destructive (a critical incident needs an operator&apos;s yes first)
    </label>
  );
  const onInterrupt = (
    <label className="rb-field">
      <span>{`Step ${n} if the server stops mid-step`}</span>
      <select
        value={s.onInterrupt}
        onChange={(e) => set({ onInterrupt: e.target.value as StepModel['onInterrupt'] })}
      >
        <option value="">default (retry wait, PromQL and HTTP GET; fail the rest)</option>
        <option value="retry">retry the step (it is safe to run twice)</option>
        <option value="fail">fail the execution (never run it twice)</option>
      </select>
    </label>
  );
  return (
    <fieldset className="rb-step" data-testid="runbook-step">
      <legend>
        Step {n}: {s.name || '(unnamed)'} · {kStepTypeLabels[s.type]}
      </legend>
      <GroupMessage path={w} ctx={ctx} />
      <div className="rb-row">
        {text(`Step ${n} name`, `${w}.name`, 'name')}
        <label className="rb-field">
          <span>{`Step ${n} type`}</span>
          <select
            value={s.type}
            onChange={(e) => {
              const t = e.target.value as StepType;
              onChange({ ...newStep(t, s.name), uid: s.uid, onInterrupt: s.onInterrupt });
            }}
          >
            {kStepTypes.map((t) => (
              <option key={t} value={t}>
                {kStepTypeLabels[t]}
              </option>
            ))}
          </select>
        </label>
        {onInterrupt}
        <div className="row-actions">
          <button
            type="button"
            className="btn btn-small"
            disabled={i === 0}
            onClick={() => onMove(-1)}
          >
            Move step {n} up
          </button>
          <button
            type="button"
            className="btn btn-small"
            disabled={i === count - 1}
            onClick={() => onMove(1)}
          >
            Move step {n} down
          </button>
          <button type="button" className="btn btn-small btn-danger" onClick={onRemove}>
            Remove step {n}
          </button>
        </div>
      </div>
      {s.type === 'command' ? (
        <>
          <p className="small muted">
            No shell: one field per argument. The executable is an absolute path from the allow-list
            (setting <code>runbook_executables</code>); parameters fill whole arguments as data.
          </p>
          {s.argv.map((arg, k) => (
            <div className="rb-row" key={k}>
              <Field
                label={k === 0 ? `Step ${n} executable` : `Step ${n} argument ${k}`}
                path={`${f}.argv[${k}]`}
                ctx={ctx}
              >
                {(a) => (
                  <input
                    value={arg}
                    placeholder={k === 0 ? '/usr/bin/systemctl' : undefined}
                    onChange={(e) =>
                      set({ argv: s.argv.map((x, j) => (j === k ? e.target.value : x)) })
                    }
                    {...a}
                  />
                )}
              </Field>
              {k > 0 ? (
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => set({ argv: s.argv.filter((_, j) => j !== k) })}
                >
                  Remove step {n} argument {k}
                </button>
              ) : null}
            </div>
          ))}
          <GroupMessage path={`${f}.argv`} ctx={ctx} />
          <div className="rb-row">
            <button
              type="button"
              className="btn btn-small"
              onClick={() => set({ argv: [...s.argv, ''] })}
            >
              Add argument to step {n}
            </button>
          </div>
          <div className="rb-row">
            {text(`Step ${n} working directory`, `${f}.workdir`, 'workdir', '/')}
            {text(`Step ${n} timeout`, `${f}.timeout`, 'timeout', '60s')}
          </div>
          <PairsEditor
            what={`step ${n} environment variable`}
            pathOf={(k) => `${f}.env[${k}]`}
            listPath={`${f}.env`}
            pairs={s.env}
            onChange={(env) => set({ env })}
            ctx={ctx}
          />
          {destructive}
        </>
      ) : s.type === 'http' ? (
        <>
          <div className="rb-row">
            <Field label={`Step ${n} method`} path={`${f}.method`} ctx={ctx}>
              {(a) => (
                <select
                  value={s.method}
                  onChange={(e) =>
                    set({ method: e.target.value, destructive: e.target.value !== 'GET' })
                  }
                  {...a}
                >
                  {kHttpMethods.map((mth) => (
                    <option key={mth}>{mth}</option>
                  ))}
                </select>
              )}
            </Field>
            {text(`Step ${n} URL`, `${f}.url`, 'url', 'http://127.0.0.1:8080/healthz')}
            {text(`Step ${n} timeout`, `${f}.timeout`, 'timeout', '60s')}
          </div>
          <Field label={`Step ${n} body`} path={`${f}.body`} ctx={ctx}>
            {(a) => (
              <textarea
                rows={3}
                value={s.body}
                onChange={(e) => set({ body: e.target.value })}
                {...a}
              />
            )}
          </Field>
          {destructive}
        </>
      ) : s.type === 'wait' ? (
        text(`Step ${n} duration`, f, 'duration', '30s')
      ) : s.type === 'approval' ? (
        text(`Step ${n} question for the approver`, f, 'text')
      ) : s.type === 'notify' ? (
        text(`Step ${n} message`, f, 'text')
      ) : s.type === 'promql' ? (
        <div className="rb-row">
          {text(`Step ${n} PromQL query (passes when it returns a series)`, `${f}.query`, 'query')}
          {text(`Step ${n} timeout`, `${f}.timeout`, 'timeout', '60s')}
        </div>
      ) : s.type === 'healing' ? (
        <div className="rb-row">
          <Field label={`Step ${n} healing action`} path={`${f}.action`} ctx={ctx}>
            {(a) => (
              <select value={s.action} onChange={(e) => set({ action: e.target.value })} {...a}>
                <option value="">Choose an action</option>
                {[
                  ...kHealingActions,
                  ...(s.action && !kHealingActions.includes(s.action) ? [s.action] : []),
                ].map((x) => (
                  <option key={x}>{x}</option>
                ))}
              </select>
            )}
          </Field>
          {text(`Step ${n} target`, `${f}.target`, 'target', '{{service}}')}
        </div>
      ) : (
        text(`Step ${n} runbook name`, f, 'runbook')
      )}
    </fieldset>
  );
}
