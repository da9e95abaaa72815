// Settings: users and roles, API tokens, integrations. Admin procedures; others see a notice.
// The tab, the lists' offsets and the tokens' "show revoked" switch live in the address.
// Integrations are read-only here: the server takes them from its config file, flags or
// environment at start (no procedure changes them at runtime), so each row says where to set it;
// notification channels are the exception, edited at runtime on the Notifications page.
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { Pagination } from '../../components/pagination';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { hasRole, useSession } from '../../lib/session';
import { useUrlOffset, useUrlParam } from '../../lib/url-state';

const kTabs = [
  ['users', 'Users & roles'],
  ['tokens', 'API tokens'],
  ['integrations', 'Integrations'],
] as const;
const kRoles = ['viewer', 'operator', 'admin'] as const;
type Role = (typeof kRoles)[number];

function UsersTab() {
  const [offset, setOffset] = useUrlOffset('usersOffset');
  const q = useProcedureQuery('users.list', { limit: 25, offset });
  const update = useProcedureMutation('users.update');
  const create = useProcedureMutation('users.create');
  const [form, setForm] = useState({ username: '', password: '', role: 'viewer' as Role });
  function submit(ev: FormEvent) {
    ev.preventDefault();
    create.mutate(form, {
      onSuccess: () => setForm({ username: '', password: '', role: 'viewer' }),
    });
  }
  return (
    <>
      <Panel title="Users" actions={<code className="proc">users.list</code>}>
        {update.error ? <ErrorState error={update.error} title="Request failed" /> : null}
        <QueryView q={q}>
          {(data) => (
            <>
              <table className="table">
                <thead>
                  <tr>
                    <th>Username</th>
                    <th>Role</th>
                    <th>Status</th>
                    <th>Created</th>
                    <th>Last sign-in</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((u) => (
                    <tr key={u.id}>
                      <td>{u.username}</td>
                      <td>
                        <select
                          aria-label={`Role of ${u.username}`}
                          value={u.role}
                          onChange={(e) =>
                            update.mutate({ id: u.id, role: e.target.value as Role })
                          }
                        >
                          {kRoles.map((r) => (
                            <option key={r}>{r}</option>
                          ))}
                        </select>
                      </td>
                      <td>
                        <label className="check">
                          <input
                            type="checkbox"
                            checked={!u.disabled}
                            onChange={(e) =>
                              update.mutate({ id: u.id, disabled: !e.target.checked })
                            }
                          />
                          {u.disabled ? 'disabled' : 'active'}
                        </label>
                      </td>
                      <td>
                        <Time iso={u.createdAt} />
                      </td>
                      <td>
                        <Time iso={u.lastLoginAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pagination offset={offset} limit={25} total={data.total} onChange={setOffset} />
            </>
          )}
        </QueryView>
      </Panel>
      <Panel title="Add a user" actions={<code className="proc">users.create</code>}>
        <form className="inline-form" onSubmit={submit} aria-label="Add a user">
          <label>
            Username
            <input
              required
              value={form.username}
              onChange={(e) => setForm({ ...form, username: e.target.value })}
            />
          </label>
          <label>
            Password
            <input
              type="password"
              autoComplete="new-password"
              required
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
          </label>
          <label>
            Role
            <select
              value={form.role}
              onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
            >
              {kRoles.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <button type="submit" className="btn btn-primary btn-small" disabled={create.isPending}>
            Add user
          </button>
        </form>
        {create.error ? <ErrorState error={create.error} title="Request failed" /> : null}
      </Panel>
    </>
  );
}

type CreatedToken = ProcedureOutput<'tokens.create'>;

function TokensTab() {
  const [revokedParam, setRevoked] = useUrlParam('revoked', '', ['tokensOffset']);
  const showRevoked = revokedParam === '1';
  const q = useProcedureQuery('tokens.list', { includeRevoked: showRevoked });
  const create = useProcedureMutation('tokens.create');
  const revoke = useProcedureMutation('tokens.revoke');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [days, setDays] = useState('90');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  // tokens.list answers every token (no limit/offset): this list pages client-side.
  const [offset, setOffset] = useUrlOffset('tokensOffset');
  const kPage = 25;

  function submit(ev: FormEvent) {
    ev.preventDefault();
    create.mutate(
      { name, role, expiresInDays: days ? Number(days) : undefined },
      {
        onSuccess: (t) => {
          setCreated(t);
          setName('');
        },
      },
    );
  }
  return (
    <>
      <Panel title="Create an API token" actions={<code className="proc">tokens.create</code>}>
        <form className="inline-form" onSubmit={submit} aria-label="Create an API token">
          <label>
            Name
            <input
              name="tokenName"
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          <label>
            Role
            <select name="tokenRole" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {kRoles.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <label>
            Expires in (days)
            <input
              name="expiresInDays"
              type="number"
              min={1}
              value={days}
              onChange={(e) => setDays(e.target.value)}
            />
          </label>
          <button type="submit" className="btn btn-primary btn-small" disabled={create.isPending}>
            Create token
          </button>
        </form>
        {create.error ? <ErrorState error={create.error} title="Request failed" /> : null}
        {created ? (
          <div className="secret-once" role="status" data-testid="new-token">
            <div>
              Token <strong>{created.name}</strong> created. Copy it now: it is shown once.
            </div>
            <code className="secret">{created.token}</code>
            <button
              type="button"
              className="btn btn-small"
              onClick={() => void navigator.clipboard?.writeText(created.token)}
            >
              Copy
            </button>
          </div>
        ) : null}
      </Panel>
      <Panel
        title="API tokens"
        actions={
          <label className="check">
            <input
              type="checkbox"
              checked={showRevoked}
              onChange={(e) => setRevoked(e.target.checked ? '1' : '')}
            />
            Show revoked
          </label>
        }
      >
        {revoke.error ? <ErrorState error={revoke.error} title="Request failed" /> : null}
        <QueryView q={q}>
          {(data) =>
            data.items.length === 0 ? (
              <Empty title="No API tokens">Create one above for scripts and CI.</Empty>
            ) : (
              <>
                <table className="table">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Prefix</th>
                      <th>Role</th>
                      <th>Created</th>
                      <th>Expires</th>
                      <th>Last used</th>
                      <th>
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.slice(offset, offset + kPage).map((t) => (
                      <tr key={t.id} className={t.revokedAt ? 'revoked' : undefined}>
                        <td>{t.name}</td>
                        <td>
                          <code>{t.prefix}…</code>
                        </td>
                        <td>{t.role}</td>
                        <td>
                          <Time iso={t.createdAt} />
                        </td>
                        <td>{t.expiresAt ? <Time iso={t.expiresAt} /> : 'never'}</td>
                        <td>
                          <Time iso={t.lastUsedAt} />
                        </td>
                        <td className="row-actions">
                          {t.revokedAt ? (
                            <span className="muted">revoked</span>
                          ) : (
                            <button
                              type="button"
                              className="btn btn-small btn-danger"
                              onClick={() => revoke.mutate({ id: t.id })}
                            >
                              Revoke
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <Pagination
                  offset={offset}
                  limit={kPage}
                  total={data.items.length}
                  onChange={setOffset}
                />
              </>
            )
          }
        </QueryView>
      </Panel>
    </>
  );
}

type IntegrationKey = keyof ProcedureOutput<'system.info'>['integrations'];

/** Where each integration is set: its config-file key (flag --key-with-dashes, env DEVOPS_AI_KEY). */
const kIntegrations: { key: IntegrationKey; label: string; settings: string[] }[] = [
  { key: 'prometheus', label: 'Prometheus', settings: ['prometheus_url'] },
  { key: 'alertmanager', label: 'Alertmanager', settings: ['alertmanager_url'] },
  { key: 'kubernetes', label: 'Kubernetes', settings: ['kubeconfig', 'kube_context'] },
  { key: 'llm', label: 'LLM', settings: ['llm_url', 'llm_model', 'llm_api_key_file'] },
];

function Setting({ name }: { name: string }) {
  return (
    <span className="setting">
      <code>{name}</code> <span className="muted">·</span>{' '}
      <code>--{name.replaceAll('_', '-')}</code> <span className="muted">·</span>{' '}
      <code>DEVOPS_AI_{name.toUpperCase()}</code>
    </span>
  );
}

function IntegrationsTab() {
  const q = useProcedureQuery('system.info', undefined);
  const channels = useProcedureQuery('notifications.listChannels', {});
  return (
    <Panel title="Integrations" actions={<code className="proc">system.info</code>}>
      <p className="muted">
        The server reads its integrations at start from the config file (<code>--config</code> or{' '}
        <code>DEVOPS_AI_CONFIG</code>), flags or environment; no procedure changes them while it
        runs, so they are shown here read-only with the setting to change, which takes effect on the
        next start. Notification channels are edited at runtime on the{' '}
        <Link to="/notifications">Notifications</Link> page.
      </p>
      <QueryView q={q} loadingLabel="Loading integrations">
        {(data) => (
          <table className="table">
            <thead>
              <tr>
                <th>Integration</th>
                <th>Status</th>
                <th>Endpoint</th>
                <th>Set with (config key · flag · environment)</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>Store ({data.store === 'postgres' ? 'PostgreSQL' : 'SQLite'})</td>
                <td>
                  <span className="dot dot-ok" aria-hidden="true" /> {data.store}, schema v
                  {data.schemaVersion}
                </td>
                <td className="muted">—</td>
                <td>
                  <Setting name="db" />
                  <br />
                  <Setting name="data_dir" />
                </td>
              </tr>
              {kIntegrations.map(({ key, label, settings }) => {
                const v = data.integrations[key];
                return (
                  <tr key={key} data-testid={`integration-${key}`}>
                    <td>{label}</td>
                    <td>
                      <span
                        className={v.configured ? 'dot dot-ok' : 'dot dot-off'}
                        aria-hidden="true"
                      />{' '}
                      {v.configured ? 'configured' : 'not configured'}
                    </td>
                    <td>{v.url ?? <span className="muted">—</span>}</td>
                    <td>
                      {settings.map((name, i) => (
                        <span key={name}>
                          {i > 0 ? <br /> : null}
                          <Setting name={name} />
                        </span>
                      ))}
                    </td>
                  </tr>
                );
              })}
              <tr data-testid="integration-channels">
                <td>Notification channels</td>
                <td>
                  {channels.data ? (
                    <>
                      <span
                        className={
                          channels.data.some((c) => c.enabled) ? 'dot dot-ok' : 'dot dot-off'
                        }
                        aria-hidden="true"
                      />{' '}
                      {channels.data.length === 0
                        ? 'none'
                        : `${channels.data.filter((c) => c.enabled).length} of ${channels.data.length} enabled`}
                    </>
                  ) : channels.error ? (
                    <span className="muted">unavailable ({channels.error.message})</span>
                  ) : (
                    <span className="muted">loading…</span>
                  )}
                </td>
                <td className="muted">—</td>
                <td>
                  <Link to="/notifications">Edit on the Notifications page</Link>
                </td>
              </tr>
            </tbody>
          </table>
        )}
      </QueryView>
    </Panel>
  );
}

export function SettingsPage() {
  const { user } = useSession();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'users';
  if (!hasRole(user.role, 'admin')) {
    return (
      <>
        <div className="page-head">
          <h1>Settings</h1>
        </div>
        <Empty title="Settings are for administrators">
          You are signed in as {user.role}. Ask an administrator to change users, tokens or
          integrations.
        </Empty>
      </>
    );
  }
  return (
    <>
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      <div className="tabs" role="tablist" aria-label="Settings sections">
        {kTabs.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            aria-selected={tab === id}
            className={tab === id ? 'tab active' : 'tab'}
            onClick={() => setParams({ tab: id })}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'tokens' ? (
          <TokensTab />
        ) : tab === 'integrations' ? (
          <IntegrationsTab />
        ) : (
          <UsersTab />
        )}
      </div>
    </>
  );
}
