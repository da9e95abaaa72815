// Notifications (notifications.*): the inbox, the delivery log (every attempt with the
// receiver's answer, retry for a failed message), channels with a test button, routing rules,
// and the forms an admin uses to add channels and routes.
import { useState, type FormEvent } from 'react';
import type { ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { usePage } from '../../components/pagination';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';
import { useUrlParam } from '../../lib/url-state';

type Delivery = ProcedureOutput<'notifications.listDeliveries'>['items'][number];
type Channel = ProcedureOutput<'notifications.listChannels'>[number];

const kStatusClass: Record<string, string> = {
  sent: 'sev-low',
  failed: 'sev-critical',
  pending: 'sev-medium',
};

function Inbox() {
  const { limit, offset, pager } = usePage('inboxOffset');
  const q = useProcedureQuery('notifications.inbox', { limit, offset });
  const mark = useProcedureMutation('notifications.markRead');
  return (
    <Panel title="Inbox" actions={<code className="proc">notifications.inbox</code>}>
      <QueryView q={q} loadingLabel="Loading the inbox">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="The inbox is empty">
              Messages routed to an inbox channel appear here.
            </Empty>
          ) : (
            <ul className="list">
              {data.items.map((m) => (
                <li key={m.id} className={m.read ? 'muted' : undefined}>
                  <span className={`sev sev-${m.severity}`}>{m.severity}</span>{' '}
                  <strong>{m.title}</strong> <Time iso={m.createdAt} />
                  {m.read ? null : (
                    <button
                      type="button"
                      className="link"
                      onClick={() => mark.mutate({ ids: [m.id] })}
                      aria-label={`Mark message ${m.id} read`}
                    >
                      Mark read
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
      {pager(q.data?.total)}
    </Panel>
  );
}

function lastAnswer(d: Delivery): string {
  const last = d.log[d.log.length - 1];
  if (!last) return d.status === 'pending' ? 'waiting for its first attempt' : '';
  return `${last.outcome}${last.responseStatus !== null ? ` (${last.responseStatus})` : ''}: ${last.detail}`;
}

function DeliveryLog() {
  const [statusParam, setStatus] = useUrlParam('delivery', '', ['deliveriesOffset']);
  const status = (['pending', 'sent', 'failed'] as const).find((k) => k === statusParam) ?? '';
  const { limit, offset, pager } = usePage('deliveriesOffset', 50);
  const q = useProcedureQuery(
    'notifications.listDeliveries',
    status ? { status, limit, offset } : { limit, offset },
  );
  const retry = useProcedureMutation('notifications.retry');
  return (
    <Panel
      title="Delivery log"
      actions={
        <label>
          Status{' '}
          <select
            aria-label="Delivery status"
            value={status}
            onChange={(e) => setStatus(e.target.value)}
          >
            <option value="">all</option>
            <option value="pending">pending</option>
            <option value="sent">sent</option>
            <option value="failed">failed</option>
          </select>
        </label>
      }
    >
      {retry.error ? <ErrorState error={retry.error} title="Retry failed" /> : null}
      <QueryView q={q} loadingLabel="Loading deliveries">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="Nothing was sent yet">
              Add a channel and a route; each incident state change is sent once per channel.
            </Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Message</th>
                  <th>Channel</th>
                  <th>Status</th>
                  <th>Attempts</th>
                  <th>Receiver's answer</th>
                  <th>Created</th>
                  <RequireRole min="operator">
                    <th>
                      <span className="sr-only">Retry</span>
                    </th>
                  </RequireRole>
                </tr>
              </thead>
              <tbody>
                {data.items.map((d) => (
                  <tr key={d.id}>
                    <td>{d.title}</td>
                    <td>
                      {d.channel} <span className="muted">({d.channelType})</span>
                    </td>
                    <td>
                      <span className={`sev ${kStatusClass[d.status] ?? ''}`}>{d.status}</span>
                    </td>
                    <td>{d.attempts}</td>
                    <td className="mono">{lastAnswer(d)}</td>
                    <td>
                      <Time iso={d.createdAt} />
                    </td>
                    <RequireRole min="operator">
                      <td>
                        {d.status === 'failed' ? (
                          <button type="button" onClick={() => retry.mutate({ id: d.id })}>
                            Retry
                          </button>
                        ) : null}
                      </td>
                    </RequireRole>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {pager(q.data?.total)}
    </Panel>
  );
}

function describeConfig(c: Channel): string {
  const cfg = c.config as Record<string, unknown>;
  if (typeof cfg.url === 'string') return cfg.url;
  if (typeof cfg.smtpUrl === 'string') {
    return `${cfg.smtpUrl} → ${Array.isArray(cfg.to) ? (cfg.to as string[]).join(', ') : ''}`;
  }
  return 'web inbox';
}

function Channels() {
  // listChannels answers every channel: paged client-side.
  const { limit, offset, pager } = usePage('channelsOffset');
  const q = useProcedureQuery('notifications.listChannels', {});
  const test = useProcedureMutation('notifications.testChannel');
  return (
    <Panel title="Channels" actions={<code className="proc">notifications.listChannels</code>}>
      {test.error ? <ErrorState error={test.error} title="Test failed" /> : null}
      {test.data ? <p className="muted">Test message {test.data.messageId} queued.</p> : null}
      <QueryView q={q} loadingLabel="Loading channels">
        {(channels) =>
          channels.length === 0 ? (
            <Empty title="No channel yet" />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Type</th>
                  <th>Destination</th>
                  <th>Limit / hour</th>
                  <RequireRole min="operator">
                    <th>
                      <span className="sr-only">Test</span>
                    </th>
                  </RequireRole>
                </tr>
              </thead>
              <tbody>
                {channels.slice(offset, offset + limit).map((c) => (
                  <tr key={c.id}>
                    <td>
                      {c.name} {c.enabled ? null : <span className="muted">(disabled)</span>}
                    </td>
                    <td>{c.type}</td>
                    <td className="mono">{describeConfig(c)}</td>
                    <td>{c.rateLimitPerHour === 0 ? 'unlimited' : c.rateLimitPerHour}</td>
                    <RequireRole min="operator">
                      <td>
                        <button type="button" onClick={() => test.mutate({ id: c.id })}>
                          Test
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
      {pager(q.data?.length)}
    </Panel>
  );
}

function Routes() {
  // listRoutes answers every route: paged client-side.
  const { limit, offset, pager } = usePage('routesOffset');
  const q = useProcedureQuery('notifications.listRoutes', {});
  return (
    <Panel title="Routes" actions={<code className="proc">notifications.listRoutes</code>}>
      <QueryView q={q} loadingLabel="Loading routes">
        {(routes) =>
          routes.length === 0 ? (
            <Empty title="No route yet: nothing is sent" />
          ) : (
            <ul className="list">
              {routes.slice(offset, offset + limit).map((r) => (
                <li key={r.id}>
                  <strong>{r.name}</strong>: {r.kinds.length ? r.kinds.join(', ') : 'any event'}
                  {r.modules.length ? ` from ${r.modules.join(', ')}` : ''}, {r.minSeverity} and
                  above
                  {Object.keys(r.labels).length
                    ? `, ${Object.entries(r.labels)
                        .map(([k, v]) => `${k}=${v}`)
                        .join(', ')}`
                    : ''}
                  {r.quietHours ? `, quiet ${r.quietHours.start}–${r.quietHours.end} UTC` : ''} →
                  channels {r.channels.join(', ')}
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
      {pager(q.data?.length)}
    </Panel>
  );
}

function AddChannel() {
  const create = useProcedureMutation('notifications.createChannel');
  const [name, setName] = useState('');
  const [type, setType] = useState<'webhook' | 'slack' | 'teams' | 'email' | 'inbox' | 'grafana'>(
    'webhook',
  );
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [to, setTo] = useState('');
  function submit(ev: FormEvent) {
    ev.preventDefault();
    const config: Record<string, unknown> =
      type === 'inbox'
        ? {}
        : type === 'email'
          ? {
              smtpUrl: url,
              to: to
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            }
          : type === 'grafana'
            ? { url, token: secret }
            : { url, ...(type === 'webhook' && secret ? { secret } : {}) };
    create.mutate({ name, type, config });
  }
  return (
    <RequireRole min="admin">
      <Panel
        title="Add a channel"
        actions={<code className="proc">notifications.createChannel</code>}
      >
        {create.error ? (
          <ErrorState error={create.error} title="The channel was not created" />
        ) : null}
        <form className="inline-form" onSubmit={submit} aria-label="Add a channel">
          <label>
            Name
            <input name="name" required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Type
            <select
              name="type"
              value={type}
              onChange={(e) => setType(e.target.value as typeof type)}
            >
              <option>webhook</option>
              <option>slack</option>
              <option>teams</option>
              <option>email</option>
              <option>inbox</option>
              <option>grafana</option>
            </select>
          </label>
          {type === 'inbox' ? null : (
            <label>
              {type === 'email' ? 'SMTP URL' : type === 'grafana' ? 'Grafana URL' : 'URL'}
              <input name="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
            </label>
          )}
          {type === 'webhook' || type === 'grafana' ? (
            <label>
              {type === 'grafana' ? 'Service account token' : 'Signing secret'}
              <input
                name="secret"
                type={type === 'grafana' ? 'password' : 'text'}
                required={type === 'grafana'}
                value={secret}
                onChange={(e) => setSecret(e.target.value)}
              />
            </label>
          ) : null}
          {type === 'email' ? (
            <label>
              To (comma-separated)
              <input name="to" required value={to} onChange={(e) => setTo(e.target.value)} />
            </label>
          ) : null}
          <button type="submit" disabled={create.isPending}>
            Add
          </button>
        </form>
      </Panel>
    </RequireRole>
  );
}

function AddRoute() {
  const create = useProcedureMutation('notifications.createRoute');
  const [name, setName] = useState('');
  const [kinds, setKinds] = useState('incident.*');
  const [minSeverity, setMinSeverity] = useState<'critical' | 'high' | 'medium' | 'low'>('high');
  const [channels, setChannels] = useState('');
  function submit(ev: FormEvent) {
    ev.preventDefault();
    create.mutate({
      name,
      kinds: kinds
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      minSeverity,
      channels: channels
        .split(',')
        .map((s) => Number(s.trim()))
        .filter((n) => Number.isInteger(n) && n > 0),
    });
  }
  return (
    <RequireRole min="admin">
      <Panel title="Add a route" actions={<code className="proc">notifications.createRoute</code>}>
        {create.error ? (
          <ErrorState error={create.error} title="The route was not created" />
        ) : null}
        <form className="inline-form" onSubmit={submit} aria-label="Add a route">
          <label>
            Name
            <input name="name" required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Event kinds
            <input name="kinds" value={kinds} onChange={(e) => setKinds(e.target.value)} />
          </label>
          <label>
            Minimum severity
            <select
              name="minSeverity"
              value={minSeverity}
              onChange={(e) => setMinSeverity(e.target.value as typeof minSeverity)}
            >
              <option>critical</option>
              <option>high</option>
              <option>medium</option>
              <option>low</option>
            </select>
          </label>
          <label>
            Channel ids
            <input
              name="channels"
              required
              value={channels}
              onChange={(e) => setChannels(e.target.value)}
            />
          </label>
          <button type="submit" disabled={create.isPending}>
            Add
          </button>
        </form>
      </Panel>
    </RequireRole>
  );
}

export function NotificationsPage() {
  return (
    <>
      <div className="page-head">
        <h1>Notifications</h1>
        <p className="muted">
          Channels, routing rules and what was sent to whom: one message per incident state change
          and channel, retried with backoff, rate-limited per channel.
        </p>
      </div>
      <Inbox />
      <DeliveryLog />
      <div className="grid-2">
        <Channels />
        <Routes />
      </div>
      <div className="grid-2">
        <AddChannel />
        <AddRoute />
      </div>
    </>
  );
}
