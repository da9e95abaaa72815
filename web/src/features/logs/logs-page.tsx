// Logs (logs.*): templates mined from every source ranked by how much their rate changed
// (new templates first), with a sparkline, level, counts and examples; an operator marks a
// template as noise (no signals) or critical (a signal whenever it appears). Below: the log
// anomaly signals sent to the Incident Commander, and the sources with their counters. The
// templates' filters and every list's offset live in the address.
import type { ProcedureInput, ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { usePage } from '../../components/pagination';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { formatNumber } from '../../lib/format';
import { hasRole, useSession } from '../../lib/session';
import { useUrlParam } from '../../lib/url-state';

type Template = ProcedureOutput<'logs.listTemplates'>['items'][number];
type Sort = NonNullable<ProcedureInput<'logs.listTemplates'>['sort']>;
type Level = NonNullable<ProcedureInput<'logs.listTemplates'>['minLevel']>;

/** A tiny inline bar chart of per-bucket counts (SVG, no chart library). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const max = Math.max(1, ...values);
  const w = 90;
  const h = 20;
  const bw = values.length > 0 ? w / values.length : w;
  return (
    <svg
      width={w}
      height={h}
      role="img"
      aria-label={label}
      className="sparkline"
      fill="currentColor"
      style={{ color: 'var(--accent, #6ea8fe)' }}
    >
      {values.map((v, i) => {
        const bh = v === 0 ? 0 : Math.max(1, (v / max) * h);
        return <rect key={i} x={i * bw} y={h - bh} width={Math.max(1, bw - 1)} height={bh} />;
      })}
    </svg>
  );
}

const kLevelClass: Record<string, string> = {
  fatal: 'sev-critical',
  error: 'sev-high',
  warn: 'sev-medium',
  info: 'sev-low',
};

function LevelBadge({ level }: { level: string }) {
  return <span className={`sev ${kLevelClass[level] ?? ''}`}>{level}</span>;
}

function changeText(t: Template): string {
  if (t.isNew) return 'new';
  if (t.previousCount === 0 && t.windowCount === 0) return '—';
  const pct = Math.round((t.change - 1) * 100);
  return pct === 0 ? '±0%' : `${pct > 0 ? '+' : ''}${formatNumber(pct)}%`;
}

const kSorts = ['change', 'count', 'recent', 'new'];
const kLevels = ['info', 'warn', 'error', 'fatal'];
const kWindows = [15, 60, 360, 1440];

function Templates() {
  const resets = ['templatesOffset'];
  const [sortParam, setSort] = useUrlParam('sort', 'change', resets);
  const [levelParam, setMinLevel] = useUrlParam('level', '', resets);
  const [search, setSearch] = useUrlParam('q', '', resets);
  const [windowParam, setWindow] = useUrlParam('window', '60', resets);
  const sort = (kSorts.find((k) => k === sortParam) ?? 'change') as Sort;
  const minLevel = (kLevels.find((k) => k === levelParam) ?? '') as Level | '';
  const window = kWindows.includes(Number(windowParam)) ? Number(windowParam) : 60;
  const { limit, offset, pager } = usePage('templatesOffset', 50);
  const input: ProcedureInput<'logs.listTemplates'> = {
    sort,
    windowMinutes: window,
    limit,
    offset,
  };
  if (minLevel) input.minLevel = minLevel;
  if (search) input.search = search;
  const q = useProcedureQuery('logs.listTemplates', input, { refetchInterval: 15000 });
  const mark = useProcedureMutation('logs.markTemplate');
  const canMark = hasRole(useSession().user.role, 'operator');
  return (
    <Panel title="Templates" actions={<code className="proc">logs.listTemplates</code>}>
      <div className="filters">
        <label>
          Sort{' '}
          <select value={sort} onChange={(e) => setSort(e.target.value)}>
            <option value="change">by change</option>
            <option value="count">by count</option>
            <option value="recent">most recent</option>
            <option value="new">newest</option>
          </select>
        </label>
        <label>
          Level at least{' '}
          <select value={minLevel} onChange={(e) => setMinLevel(e.target.value)}>
            <option value="">any</option>
            <option value="info">info</option>
            <option value="warn">warn</option>
            <option value="error">error</option>
            <option value="fatal">fatal</option>
          </select>
        </label>
        <label>
          Window{' '}
          <select value={window} onChange={(e) => setWindow(e.target.value)}>
            <option value={15}>15 min</option>
            <option value={60}>1 h</option>
            <option value={360}>6 h</option>
            <option value={1440}>24 h</option>
          </select>
        </label>
        <label>
          Search{' '}
          <input
            type="search"
            value={search}
            placeholder="text in the template"
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
      </div>
      {mark.error ? <ErrorState error={mark.error} title="Marking failed" /> : null}
      <QueryView q={q} loadingLabel="Loading templates">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No log templates yet">
              Add a source with logs.createSource, or push lines to /api/logs/push?source=NAME or
              Loki&apos;s /loki/api/v1/push.
            </Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Template</th>
                  <th>Source</th>
                  <th>Level</th>
                  <th>Window</th>
                  <th>Before</th>
                  <th>Change</th>
                  <th>Trend</th>
                  <th>Last seen</th>
                  <th>Mark</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((t) => (
                  <tr key={t.id} data-testid="log-template">
                    <td>
                      <code className="template">{t.template}</code>
                      {t.examples[0] ? (
                        <div className="muted example" title={t.examples.join('\n')}>
                          {t.examples[0]}
                        </div>
                      ) : null}
                    </td>
                    <td>{t.sourceName}</td>
                    <td>
                      <LevelBadge level={t.level} />
                    </td>
                    <td>{formatNumber(t.windowCount)}</td>
                    <td>{formatNumber(t.previousCount)}</td>
                    <td>{changeText(t)}</td>
                    <td>
                      <Sparkline values={t.sparkline} label={`Counts of template ${t.id}`} />
                    </td>
                    <td>
                      <Time iso={t.lastSeen} />
                    </td>
                    <td>
                      {canMark ? (
                        <select
                          aria-label={`Mark template ${t.id}`}
                          value={t.mark}
                          onChange={(e) =>
                            mark.mutate({
                              id: t.id,
                              mark: e.target.value as 'none' | 'noise' | 'critical',
                            })
                          }
                        >
                          <option value="none">none</option>
                          <option value="noise">noise</option>
                          <option value="critical">critical</option>
                        </select>
                      ) : (
                        <span className="muted">{t.mark === 'none' ? '—' : t.mark}</span>
                      )}
                    </td>
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

function Signals() {
  const { limit, offset, pager } = usePage('signalsOffset');
  const q = useProcedureQuery('logs.listSignals', { limit, offset }, { refetchInterval: 15000 });
  return (
    <Panel title="Log anomaly signals" actions={<code className="proc">logs.listSignals</code>}>
      <QueryView q={q} loadingLabel="Loading signals">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No log anomalies signalled" />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Signal</th>
                  <th>Status</th>
                  <th>Summary</th>
                  <th>Times</th>
                  <th>Last</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((s) => (
                  <tr key={s.id}>
                    <td>{s.kind}</td>
                    <td>
                      <span className={`sev ${s.status === 'firing' ? 'sev-high' : 'sev-low'}`}>
                        {s.status}
                      </span>
                    </td>
                    <td>{s.summary}</td>
                    <td>{formatNumber(s.count)}</td>
                    <td>
                      <Time iso={s.lastAt} />
                    </td>
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

function Sources() {
  // listSources answers every source: paged client-side.
  const { limit, offset, pager } = usePage('sourcesOffset');
  const q = useProcedureQuery('logs.listSources', {}, { refetchInterval: 15000 });
  return (
    <Panel title="Sources" actions={<code className="proc">logs.listSources</code>}>
      <QueryView q={q} loadingLabel="Loading sources">
        {(data) =>
          data.length === 0 ? (
            <Empty title="No log sources">
              An admin adds files, the systemd journal or Kubernetes pods with logs.createSource;
              pushed lines create a push source of their name.
            </Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Source</th>
                  <th>Kind</th>
                  <th>Lines</th>
                  <th>Rejected</th>
                  <th>Templates</th>
                  <th>Last line</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {data.slice(offset, offset + limit).map((s) => (
                  <tr key={s.id}>
                    <td>{s.name}</td>
                    <td>
                      {s.kind}
                      {s.path ? <span className="muted"> {s.path}</span> : null}
                      {s.kubernetes ? (
                        <span className="muted">
                          {' '}
                          {s.kubernetes.namespace}
                          {s.kubernetes.selector ? ` ${s.kubernetes.selector}` : ''}
                          {s.kubernetes.container ? ` (${s.kubernetes.container})` : ''}
                        </span>
                      ) : null}
                    </td>
                    <td>{formatNumber(s.linesTotal)}</td>
                    <td
                      title={Object.entries(s.rejectedReasons as Record<string, number>)
                        .map(([k, v]) => `${k}: ${v}`)
                        .join(', ')}
                    >
                      {formatNumber(s.rejectedTotal)}
                    </td>
                    <td>{formatNumber(s.templates)}</td>
                    <td>{s.lastLineAt ? <Time iso={s.lastLineAt} /> : '—'}</td>
                    <td>{s.enabled ? (s.lastError ?? 'ok') : 'disabled'}</td>
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

export function LogsPage() {
  return (
    <>
      <div className="page-head">
        <h1>Logs</h1>
        <p className="muted">
          Log templates mined from your sources, ranked by how much their rate changed; anomalies
          become incident signals.
        </p>
      </div>
      <Templates />
      <Signals />
      <Sources />
    </>
  );
}
