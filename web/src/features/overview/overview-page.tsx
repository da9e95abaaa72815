// Overview: one tile per module, each showing the server's answer and linking to its page.
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { QueryPath } from '../../api/generated';
import { useProcedureQuery } from '../../api/hooks';
import { Empty, ErrorState, Loading } from '../../components/states';
import { Time } from '../../components/time';
import { formatAge, formatNumber } from '../../lib/format';

function Tile({ title, to, children }: { title: string; to: string; children: ReactNode }) {
  return (
    <section className="tile" aria-label={title}>
      <header className="tile-head">
        <h2>{title}</h2>
        <Link to={to} className="tile-link">
          Open →
        </Link>
      </header>
      <div className="tile-body">{children}</div>
    </section>
  );
}

/** A tile for a module that is not built yet: shows its answer (today the 501 state). */
function ProcedureTile({
  title,
  to,
  path,
  input,
}: {
  title: string;
  to: string;
  path: QueryPath;
  input: Record<string, unknown>;
}) {
  const q = useProcedureQuery(path, input as never);
  return (
    <Tile title={title} to={to}>
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.isPending ? (
        <Loading />
      ) : (
        <pre className="json">{JSON.stringify(q.data, null, 2)}</pre>
      )}
    </Tile>
  );
}

const kSeverities = ['critical', 'high', 'medium', 'low'] as const;

function IncidentsTile() {
  const q = useProcedureQuery('incidentCommander.list', { limit: 200, offset: 0 });
  const open = q.data?.items.filter((i) => i.status !== 'resolved') ?? [];
  return (
    <Tile title="Open incidents" to="/incidents">
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.isPending ? (
        <Loading />
      ) : open.length === 0 ? (
        <Empty title="No open incidents" />
      ) : (
        <>
          <div className="sev-row">
            {kSeverities.map((s) => (
              <Link key={s} to={`/incidents?severity=${s}`} className={`sev-count sev-${s}`}>
                <span className="big">
                  {formatNumber(open.filter((i) => i.severity === s).length)}
                </span>
                <span>{s}</span>
              </Link>
            ))}
          </div>
          <ul className="compact-list">
            {open.slice(0, 5).map((i) => (
              <li key={i.id}>
                <span className={`sev sev-${i.severity}`}>{i.severity}</span>
                <span className="grow">{i.title}</span>
                <span className="muted num" title="age">
                  {formatAge(i.detectedAt)}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </Tile>
  );
}

function SystemTile() {
  const q = useProcedureQuery('system.info', undefined);
  return (
    <Tile title="System" to="/settings?tab=integrations">
      {q.error ? (
        <ErrorState error={q.error} />
      ) : q.isPending ? (
        <Loading />
      ) : (
        <dl className="kv">
          <dt>Version</dt>
          <dd>{q.data.version}</dd>
          <dt>Store</dt>
          <dd>
            {q.data.store} · schema v{q.data.schemaVersion}
          </dd>
          <dt>Started</dt>
          <dd>
            <Time iso={q.data.startedAt} />
          </dd>
          {Object.entries(q.data.integrations).map(([name, v]) => (
            <div key={name} className="kv-row">
              <dt>{name}</dt>
              <dd>
                <span className={v.configured ? 'dot dot-ok' : 'dot dot-off'} aria-hidden="true" />
                {v.configured ? (v.url ?? 'configured') : 'not configured'}
              </dd>
            </div>
          ))}
        </dl>
      )}
    </Tile>
  );
}

export function OverviewPage() {
  const d = new Date();
  const monthStart = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
        <p className="muted">What needs attention now, across every module.</p>
      </div>
      <div className="tiles">
        <IncidentsTile />
        <ProcedureTile
          title="Healing, last 24 h"
          to="/self-healing"
          path="selfHealing.getHistory"
          input={{ limit: 20, offset: 0 }}
        />
        <ProcedureTile
          title="Security posture"
          to="/security"
          path="securityGuardian.getVulnerabilities"
          input={{ severity: 'critical', limit: 20, offset: 0 }}
        />
        <ProcedureTile
          title="Cost, month to date"
          to="/cost"
          path="costOptimizer.getCosts"
          input={{ start: monthStart, end: d.toISOString() }}
        />
        <ProcedureTile
          title="Cost forecast"
          to="/cost"
          path="costOptimizer.forecast"
          input={{ horizon: 'month' }}
        />
        <ProcedureTile
          title="Pipeline health"
          to="/cicd"
          path="cicdOrchestrator.listPipelines"
          input={{ limit: 20, offset: 0 }}
        />
        <SystemTile />
      </div>
    </>
  );
}
