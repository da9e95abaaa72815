// Create / edit a healing rule (selfHealing.createRule / updateRule), and the "Suggested rules"
// panel (selfHealing.suggestRules) whose button opens the form filled from a suggestion.
// Validation errors appear beside the field they name: JSON that does not parse is caught here,
// everything else comes from the server, whose messages start with the field's path
// ("input.actionConfig.target: required ...").
import { cloneElement, useState } from 'react';
import type { ProcedureInput, ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { Empty, QueryView } from '../../components/states';
import { RequireRole } from '../../lib/session';

type CreateInput = ProcedureInput<'selfHealing.createRule'>;
type Rule = ProcedureOutput<'selfHealing.listRules'>['items'][number];

const kConditions = [
  'alert',
  'metric_threshold',
  'anomaly',
  'deployment_failure',
  'config_drift',
  'log_pattern',
  'health_check',
] as const;
const kActions = [
  'restart_process',
  'restart_service',
  'restart_pod',
  'rollout_restart',
  'scale_up',
  'scale_down',
  'rollback',
  'cordon_node',
  'run_runbook',
  'http_request',
  'notify',
  'apply_desired',
  'argocd_rollback',
] as const;

export interface RuleDraft {
  name: string;
  description: string;
  conditionType: string;
  conditionConfig: string; // JSON text
  actionType: string;
  actionConfig: string; // JSON text
  cooldownSeconds: string;
  maxRetries: string;
  requiresApproval: boolean;
  dryRun: boolean;
}

export function draftFromSpec(spec: Record<string, unknown>): RuleDraft {
  return {
    name: typeof spec.name === 'string' ? spec.name : '',
    description: typeof spec.description === 'string' ? spec.description : '',
    conditionType: typeof spec.conditionType === 'string' ? spec.conditionType : 'alert',
    conditionConfig: JSON.stringify(spec.conditionConfig ?? { matchers: [] }, null, 2),
    actionType: typeof spec.actionType === 'string' ? spec.actionType : 'restart_process',
    actionConfig: JSON.stringify(spec.actionConfig ?? {}, null, 2),
    cooldownSeconds: String(spec.cooldownSeconds ?? 300),
    maxRetries: String(spec.maxRetries ?? 3),
    requiresApproval: spec.requiresApproval !== false,
    dryRun: spec.dryRun === true,
  };
}

const kEmpty = draftFromSpec({
  conditionConfig: { matchers: ['alertname="NodeExporterDown"'] },
  actionConfig: { target: '' },
});

type Errors = Partial<Record<keyof RuleDraft | 'form', string>>;

/** "input.actionConfig.target: required" → { actionConfig: "target: required" }. */
export function fieldOfServerError(message: string): Errors {
  const m = /^input\.([A-Za-z]+)(\S*?): (.*)$/s.exec(message);
  const known: (keyof RuleDraft)[] = [
    'name',
    'description',
    'conditionType',
    'conditionConfig',
    'actionType',
    'actionConfig',
    'cooldownSeconds',
    'maxRetries',
    'requiresApproval',
    'dryRun',
  ];
  if (m && known.includes(m[1] as keyof RuleDraft)) {
    const rest = m[2] ? `${m[2].replace(/^\./, '')}: ` : '';
    return { [m[1] as keyof RuleDraft]: `${rest}${m[3]}` };
  }
  return { form: message };
}

function parse(draft: RuleDraft): { input?: CreateInput; errors: Errors } {
  const errors: Errors = {};
  if (!draft.name.trim()) errors.name = 'required';
  let condition: unknown;
  let action: unknown;
  try {
    condition = JSON.parse(draft.conditionConfig);
  } catch {
    errors.conditionConfig = 'not valid JSON';
  }
  try {
    action = JSON.parse(draft.actionConfig);
  } catch {
    errors.actionConfig = 'not valid JSON';
  }
  const cooldown = Number(draft.cooldownSeconds);
  if (!Number.isInteger(cooldown) || cooldown < 0) errors.cooldownSeconds = 'a whole number ≥ 0';
  const retries = Number(draft.maxRetries);
  if (!Number.isInteger(retries) || retries < 0) errors.maxRetries = 'a whole number ≥ 0';
  if (Object.keys(errors).length > 0) return { errors };
  return {
    errors,
    input: {
      name: draft.name.trim(),
      description: draft.description,
      conditionType: draft.conditionType as CreateInput['conditionType'],
      conditionConfig: condition,
      actionType: draft.actionType as CreateInput['actionType'],
      actionConfig: action,
      cooldownSeconds: cooldown,
      maxRetries: retries,
      requiresApproval: draft.requiresApproval,
      dryRun: draft.dryRun,
    },
  };
}

function FieldError({ id, text }: { id: string; text?: string }) {
  return text ? (
    <span id={id} className="field-error" role="alert">
      {text}
    </span>
  ) : null;
}

export function RuleForm({
  initial,
  ruleId,
  onDone,
}: {
  initial?: RuleDraft;
  ruleId?: number;
  onDone: () => void;
}) {
  const [draft, setDraft] = useState<RuleDraft>(initial ?? kEmpty);
  const [errors, setErrors] = useState<Errors>({});
  const create = useProcedureMutation('selfHealing.createRule');
  const update = useProcedureMutation('selfHealing.updateRule');
  const busy = create.isPending || update.isPending;
  const set = <K extends keyof RuleDraft>(k: K, v: RuleDraft[K]) =>
    setDraft((d) => ({ ...d, [k]: v }));

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const { input, errors: local } = parse(draft);
    setErrors(local);
    if (!input) return;
    const onError = (err: Error) => setErrors(fieldOfServerError(err.message));
    if (ruleId !== undefined) {
      update.mutate({ id: ruleId, ...input }, { onSuccess: onDone, onError });
    } else {
      create.mutate(input, { onSuccess: onDone, onError });
    }
  };
  const field = (k: keyof RuleDraft, label: string, control: React.ReactElement) => (
    <div className="field">
      <label htmlFor={`rule-${k}`}>{label}</label>
      {cloneElement(control as React.ReactElement<Record<string, unknown>>, {
        id: `rule-${k}`,
        'aria-describedby': errors[k] ? `rule-${k}-error` : undefined,
      })}
      <FieldError id={`rule-${k}-error`} text={errors[k]} />
    </div>
  );
  return (
    <form className="form" onSubmit={submit} aria-label={ruleId ? 'Edit rule' : 'New rule'}>
      {errors.form ? (
        <div className="state state-error" role="alert">
          {errors.form}
        </div>
      ) : null}
      {field(
        'name',
        'Name',
        <input
          value={draft.name}
          aria-invalid={!!errors.name}
          onChange={(e) => set('name', e.target.value)}
        />,
      )}
      {field(
        'description',
        'Description',
        <input value={draft.description} onChange={(e) => set('description', e.target.value)} />,
      )}
      {field(
        'conditionType',
        'Condition',
        <select value={draft.conditionType} onChange={(e) => set('conditionType', e.target.value)}>
          {kConditions.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>,
      )}
      {field(
        'conditionConfig',
        'Condition config (JSON)',
        <textarea
          rows={4}
          value={draft.conditionConfig}
          aria-invalid={!!errors.conditionConfig}
          onChange={(e) => set('conditionConfig', e.target.value)}
        />,
      )}
      {field(
        'actionType',
        'Action',
        <select value={draft.actionType} onChange={(e) => set('actionType', e.target.value)}>
          {kActions.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>,
      )}
      {field(
        'actionConfig',
        'Action config (JSON)',
        <textarea
          rows={4}
          value={draft.actionConfig}
          aria-invalid={!!errors.actionConfig}
          onChange={(e) => set('actionConfig', e.target.value)}
        />,
      )}
      {field(
        'cooldownSeconds',
        'Cooldown (s)',
        <input
          inputMode="numeric"
          value={draft.cooldownSeconds}
          onChange={(e) => set('cooldownSeconds', e.target.value)}
        />,
      )}
      {field(
        'maxRetries',
        'Max retries',
        <input
          inputMode="numeric"
          value={draft.maxRetries}
          onChange={(e) => set('maxRetries', e.target.value)}
        />,
      )}
      <label className="field-inline">
        <input
          type="checkbox"
          checked={draft.requiresApproval}
          onChange={(e) => set('requiresApproval', e.target.checked)}
        />{' '}
        Requires approval
      </label>
      <label className="field-inline">
        <input
          type="checkbox"
          checked={draft.dryRun}
          onChange={(e) => set('dryRun', e.target.checked)}
        />{' '}
        Dry-run only
      </label>
      <div className="row-actions">
        <button type="submit" className="btn" disabled={busy}>
          {ruleId !== undefined ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" className="btn btn-small" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function draftFromRule(r: Rule): RuleDraft {
  return draftFromSpec(r as unknown as Record<string, unknown>);
}

/** Suggested rules from repeated manual fixes; "Review and create" opens the filled form. */
export function Suggestions({ onUse }: { onUse: (d: RuleDraft) => void }) {
  const q = useProcedureQuery('selfHealing.suggestRules', {});
  return (
    <Panel title="Suggested rules" actions={<code className="proc">selfHealing.suggestRules</code>}>
      <QueryView q={q} loadingLabel="Loading suggestions">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No suggestions">
              Repeated manual fixes of the same symptom (runbooks started by hand, healing actions
              recorded on incidents) become suggestions here.
            </Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Symptom</th>
                  <th>Fix</th>
                  <th>Seen</th>
                  <RequireRole min="operator">
                    <th>
                      <span className="sr-only">Create</span>
                    </th>
                  </RequireRole>
                </tr>
              </thead>
              <tbody>
                {data.items.map((s) => (
                  <tr key={`${s.signature}|${s.actionType}|${s.target}`}>
                    <td>
                      <code>{s.signature}</code>
                    </td>
                    <td>
                      {s.actionType} → {s.target}
                    </td>
                    <td className="num">{s.occurrences}×</td>
                    <RequireRole min="operator">
                      <td className="row-actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => onUse(draftFromSpec(s.spec as Record<string, unknown>))}
                        >
                          Review and create
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
    </Panel>
  );
}
