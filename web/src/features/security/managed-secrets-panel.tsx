// Security page, secret rotation part (securityGuardian, issue #7; admin only): the managed
// secrets with their provider, target, version, last rotation and its outcome, and per secret a
// dry run (what would change; the targets checked) and "Rotate" after a confirmation. The
// server never returns a value: nothing here can show one.
import { useState } from 'react';
import type { ProcedureInput, ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';

type Secret = ProcedureOutput<'securityGuardian.listManagedSecrets'>['items'][number];
type Rotation = ProcedureOutput<'securityGuardian.rotateSecrets'>;
type Provider = ProcedureInput<'securityGuardian.rotateSecrets'>['provider'];

/** Where the provider writes the value, from the (redacted) configuration. */
export function describeTarget(s: Secret): string {
  const c = (s.config ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : '');
  const kube = (o: Record<string, unknown>) =>
    `Secret ${String(o.namespace)}/${String(o.name)} · ${String(o.key)}`;
  const file = (o: Record<string, unknown>) =>
    `${String(o.path)}${typeof o.key === 'string' ? ` · ${o.key}=` : ''}`;
  switch (s.provider) {
    case 'file':
      return file(c);
    case 'kubernetes':
      return kube(c);
    case 'webhook':
      return str('url');
    case 'postgres': {
      const consumer = (c.consumer ?? {}) as Record<string, unknown>;
      return `role ${str('role')} → ${consumer.type === 'kubernetes' ? kube(consumer) : file(consumer)}`;
    }
    default:
      return '';
  }
}

export function ManagedSecretsPanel() {
  return (
    <RequireRole min="admin">
      <ManagedSecretsTable />
    </RequireRole>
  );
}

function ManagedSecretsTable() {
  const q = useProcedureQuery('securityGuardian.listManagedSecrets', {});
  const rotate = useProcedureMutation('securityGuardian.rotateSecrets');
  const [result, setResult] = useState<Rotation | null>(null);

  function run(s: Secret, dryRun: boolean) {
    if (
      !dryRun &&
      !window.confirm(
        `Rotate ${s.name}? A new value is written to ${describeTarget(s)}; the old one stops working.`,
      )
    ) {
      return;
    }
    setResult(null);
    rotate.mutate(
      { provider: s.provider as Provider, secretRef: s.name, dryRun },
      { onSuccess: (r) => setResult(r) },
    );
  }

  return (
    <Panel
      title="Managed secrets"
      actions={<code className="proc">securityGuardian.rotateSecrets</code>}
    >
      <QueryView q={q} loadingLabel="Loading managed secrets">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No managed secrets">
              Register one with securityGuardian.registerManagedSecret (provider postgres, file,
              kubernetes or webhook); its first rotation sets its value.
            </Empty>
          ) : (
            <table className="table" aria-label="Managed secrets">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Provider</th>
                  <th>Target</th>
                  <th className="num">Version</th>
                  <th>Last rotation</th>
                  <th>Status</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <strong>{s.name}</strong>
                    </td>
                    <td>{s.provider}</td>
                    <td>
                      <code>{describeTarget(s)}</code>
                    </td>
                    <td className="num">{s.version}</td>
                    <td>
                      {s.lastRotatedAt ? (
                        <Time iso={s.lastRotatedAt} />
                      ) : (
                        <span className="muted">never</span>
                      )}
                    </td>
                    <td>
                      {s.lastRotation ? (
                        <>
                          <span
                            className={
                              s.lastRotation.status === 'failed' ? 'sev sev-high' : undefined
                            }
                          >
                            {s.lastRotation.status.replace('_', ' ')}
                          </span>
                          {s.lastRotation.error ? (
                            <div className="small field-error">{s.lastRotation.error}</div>
                          ) : null}
                        </>
                      ) : (
                        <span className="muted">none</span>
                      )}
                    </td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={rotate.isPending}
                        onClick={() => run(s, true)}
                      >
                        Dry run {s.name}
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        disabled={rotate.isPending}
                        onClick={() => run(s, false)}
                      >
                        Rotate {s.name}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {rotate.error ? <ErrorState error={rotate.error} title="Rotation failed" /> : null}
      {result ? (
        <div className="state" role="status">
          {result.dryRun ? (
            <>
              <div className="state-title">
                Dry run of {result.secret}: {result.ready ? 'ready' : 'a check failed'}
              </div>
              <ul>
                {(result.wouldDo ?? []).map((step) => (
                  <li key={step}>{step}</li>
                ))}
              </ul>
              <ul>
                {(
                  (result.checks ?? []) as { target: string; ok: boolean; error: string | null }[]
                ).map((c) => (
                  <li key={c.target}>
                    {c.ok ? '✓' : '✗'} {c.target}
                    {c.error ? <span className="field-error"> — {c.error}</span> : null}
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <div className="state-title">
              Rotated {result.secret}: version {result.version}
            </div>
          )}
        </div>
      ) : null}
    </Panel>
  );
}
