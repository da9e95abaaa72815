// Overview: what needs attention now, one tile per module, each with designed loading, empty
// and error states and links into its page: open incidents by severity with their age, healing
// decisions of the last 24 hours by outcome, security posture (critical/high findings of each
// target's latest scan, compliance score per framework), month-to-date cost against the budget
// and the forecast, pipeline health (run success rate, flaky tests), and this server.
import { useMemo, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useQueries } from '@tanstack/react-query';
import { query } from '../../api/client';
import type { ApiError } from '../../api/errors';
import type { ProcedureOutput } from '../../api/generated';
import { procedureKey, useProcedureQuery } from '../../api/hooks';
import { Empty, ErrorState, Loading } from '../../components/states';
import { Time } from '../../components/time';
import { formatAge, formatMoney, formatNumber, formatPercent } from '../../lib/format';
import {
  countOutcomes,
  findingTotals,
  kOutcomes,
  latestReportPerFramework,
  latestScanPerTarget,
  mainBudget,
  runSuccessRate,
} from './summaries';

function Tile({
  title,
  to,
  children,
  testId,
}: {
  title: string;
  to: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className="tile" aria-label={title} data-testid={testId}>
      <header className="tile-head">
        <h2>{title}</h2>
        <Link to={to} className="tile-link" aria-label={`Open ${title}`}>
          Open →
        </Link>
      </header>
      <div className="tile-body">{children}</div>
    </section>
  );
}

/** Loading / error / content of one query inside a tile. */
function Part<T>({
  q,
  children,
  label,
}: {
  q: { isPending: boolean; error: ApiError | null; data: T | undefined; refetch: () => unknown };
  children: (data: T) => ReactNode;
  label?: string;
}) {
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  if (q.isPending || q.data === undefined) return <Loading label={label} />;
  return <>{children(q.data)}</>;
}

/** A big figure with a caption, optionally a link. */
function Figure({
  value,
  caption,
  to,
  tone,
}: {
  value: string;
  caption: string;
  to?: string;
  tone?: string;
}) {
  const body = (
    <>
      <span className="big">{value}</span>
      <span>{caption}</span>
    </>
  );
  const cls = `sev-count ${tone ?? ''}`;
  return to ? (
    <Link to={to} className={cls}>
      {body}
    </Link>
  ) : (
    <div className={cls}>{body}</div>
  );
}

const kSeverities = ['critical', 'high', 'medium', 'low'] as const;

function IncidentsTile() {
  const q = useProcedureQuery('incidentCommander.list', { limit: 200, offset: 0 });
  return (
    <Tile title="Open incidents" to="/incidents">
      <Part q={q} label="Loading incidents">
        {(data) => {
          const open = data.items.filter((i) => i.status !== 'resolved');
          if (open.length === 0) return <Empty title="No open incidents" />;
          return (
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
                    <Link className="grow" to={`/incidents/${i.id}`}>
                      {i.title}
                    </Link>
                    <span className="muted num" title="age">
                      {formatAge(i.detectedAt)}
                    </span>
                  </li>
                ))}
              </ul>
            </>
          );
        }}
      </Part>
    </Tile>
  );
}

const kOutcomeTone: Record<string, string> = {
  succeeded: 'tone-ok',
  failed: 'sev-critical',
  escalated: 'sev-high',
  awaiting_approval: 'sev-medium',
};

/** The start of the last 24 hours, rounded down to the minute so remounts share the cache. */
function dayAgo(): string {
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  return new Date(now - 24 * 3600_000).toISOString();
}

function HealingTile() {
  const since = useMemo(dayAgo, []);
  const q = useProcedureQuery('selfHealing.getHistory', { since, limit: 100 });
  return (
    <Tile title="Healing, last 24 h" to="/self-healing" testId="tile-healing">
      <Part q={q} label="Loading healing actions">
        {(data) => {
          if (data.total === 0)
            return (
              <Empty title="No healing decisions in the last 24 hours">
                <Link to="/self-healing">Rules and history</Link>
              </Empty>
            );
          const counts = countOutcomes(data.items);
          const shown = kOutcomes.filter(
            (k) => counts[k] > 0 || k === 'succeeded' || k === 'failed',
          );
          return (
            <>
              <div className="figure-row">
                {shown.map((k) => (
                  <Figure
                    key={k}
                    value={formatNumber(counts[k])}
                    caption={k.replace('_', ' ')}
                    to={`/self-healing?status=${k}`}
                    tone={kOutcomeTone[k]}
                  />
                ))}
              </div>
              <ul className="compact-list">
                {data.items.slice(0, 3).map((a) => (
                  <li key={a.id}>
                    <span className={`sev ${kOutcomeTone[a.status] ?? ''}`}>
                      {a.status.replace('_', ' ')}
                    </span>
                    <Link className="grow" to={`/self-healing?status=${a.status}`}>
                      {a.ruleName || a.actionType} → {a.target || '—'}
                    </Link>
                    <Time iso={a.createdAt} />
                  </li>
                ))}
              </ul>
              {data.total > data.items.length ? (
                <p className="muted small">
                  Counts of the latest {formatNumber(data.items.length)} of{' '}
                  {formatNumber(data.total)} decisions.
                </p>
              ) : null}
            </>
          );
        }}
      </Part>
    </Tile>
  );
}

const kFrameworkNames: Record<string, string> = {
  cis_kubernetes: 'CIS Kubernetes',
  nsa_cisa: 'NSA/CISA',
  soc2: 'SOC 2',
  hipaa: 'HIPAA',
  pci_dss: 'PCI DSS',
};

function SecurityTile() {
  const scans = useProcedureQuery('securityGuardian.getScans', { status: 'completed', limit: 100 });
  const reports = useProcedureQuery('securityGuardian.getComplianceReports', { limit: 100 });
  return (
    <Tile title="Security posture" to="/security" testId="tile-security">
      <Part q={scans} label="Loading scans">
        {(data) => {
          const latest = latestScanPerTarget(data.items);
          if (latest.length === 0)
            return (
              <Empty title="No completed scans yet">Scan a target on the Security page.</Empty>
            );
          const t = findingTotals(latest);
          return (
            <>
              <div className="figure-row">
                <Figure
                  value={formatNumber(t.critical)}
                  caption="critical"
                  tone="sev-critical"
                  to="/security?severity=critical"
                />
                <Figure
                  value={formatNumber(t.high)}
                  caption="high"
                  tone="sev-high"
                  to="/security?severity=high"
                />
              </div>
              <p className="muted small">
                Findings in the latest scan of each of {formatNumber(latest.length)} target
                {latest.length === 1 ? '' : 's'}.
              </p>
            </>
          );
        }}
      </Part>
      <h3 className="tile-sub">Compliance</h3>
      <Part q={reports} label="Loading compliance reports">
        {(data) => {
          const latest = latestReportPerFramework(data.items);
          if (latest.length === 0) return <Empty title="No compliance reports yet" />;
          return (
            <ul className="compact-list">
              {latest.map((r) => (
                <li key={r.framework}>
                  <span className="grow">{kFrameworkNames[r.framework] ?? r.framework}</span>
                  <span className="num">
                    {r.score === null ? '—' : formatPercent(r.score / 100)}
                  </span>
                  <span className="muted small num">
                    {formatNumber(r.passedControls)}/{formatNumber(r.totalControls)}
                  </span>
                  <Time iso={r.generatedAt} />
                </li>
              ))}
            </ul>
          );
        }}
      </Part>
    </Tile>
  );
}

function money(v: number, currency: string | null): string {
  return currency ? formatMoney(v, currency) : formatNumber(v);
}

function Meter({ label, ratio, tone }: { label: string; ratio: number; tone: string }) {
  const pct = Math.max(0, Math.min(1, ratio)) * 100;
  return (
    <div
      className="meter"
      role="meter"
      aria-label={label}
      aria-valuenow={Math.round(ratio * 100)}
      aria-valuemin={0}
      aria-valuemax={100}
    >
      <span className={`meter-fill ${tone}`} style={{ width: `${pct}%` }} />
    </div>
  );
}

function CostTile() {
  const forecast = useProcedureQuery('costOptimizer.forecast', { horizon: 'month' });
  const budgets = useProcedureQuery('costOptimizer.listBudgets', {});
  return (
    <Tile title="Cost, month to date" to="/cost" testId="tile-cost">
      <Part q={forecast} label="Loading cost">
        {(f) => {
          if (f.history.length === 0)
            return (
              <Empty title="No cost data imported">
                Import a FOCUS or CUR file on the <Link to="/cost">Cost page</Link>.
              </Empty>
            );
          return (
            <>
              <div className="figure-row">
                <Figure value={money(f.actualToDate, f.currency)} caption="spent this month" />
                <Figure
                  value={money(f.projected.mean, f.currency)}
                  caption="forecast for the month"
                />
              </div>
              <p className="muted small">
                80% interval {money(f.projected.lo80, f.currency)}–
                {money(f.projected.hi80, f.currency)}; {f.periodStart} to {f.periodEnd}, data as of{' '}
                {f.asOf}
                {f.model === 'insufficient_history' ? ' (too little history to forecast)' : ''}.
              </p>
              <Part q={budgets} label="Loading budgets">
                {(b) => {
                  const budget = mainBudget(b.items);
                  if (!budget)
                    return (
                      <p className="muted small">
                        No monthly budget set. <Link to="/cost">Set one</Link>
                      </p>
                    );
                  const tone =
                    budget.status === 'exceeded'
                      ? 'tone-crit'
                      : budget.status === 'warning'
                        ? 'tone-warn'
                        : 'tone-good';
                  return (
                    <div className="budget-line">
                      <div>
                        Budget <strong>{budget.name}</strong>:{' '}
                        {money(budget.amount, budget.currency)} ·{' '}
                        {formatPercent(budget.actualPercent / 100)} used, forecast{' '}
                        {formatPercent(budget.forecastPercent / 100)}{' '}
                        <span
                          className={`sev ${tone === 'tone-good' ? 'tone-ok' : tone === 'tone-warn' ? 'sev-medium' : 'sev-critical'}`}
                        >
                          {budget.status}
                        </span>
                      </div>
                      <Meter
                        label={`Budget ${budget.name} used`}
                        ratio={budget.actualPercent / 100}
                        tone={tone}
                      />
                    </div>
                  );
                }}
              </Part>
            </>
          );
        }}
      </Part>
    </Tile>
  );
}

type Health = ProcedureOutput<'cicdOrchestrator.testHealth'>;

function PipelinesTile() {
  const pipelines = useProcedureQuery('cicdOrchestrator.listPipelines', { limit: 50 });
  const runs = useProcedureQuery('cicdOrchestrator.listRuns', { limit: 100 });
  // Test health of the most recently run pipelines (at most 5 calls, batched into one request).
  const recent = (pipelines.data?.items ?? [])
    .filter((p) => p.lastRunAt !== null)
    .sort((a, b) => Date.parse(b.lastRunAt ?? '') - Date.parse(a.lastRunAt ?? ''))
    .slice(0, 5);
  const health = useQueries({
    queries: recent.map((p) => ({
      queryKey: procedureKey('cicdOrchestrator.testHealth', { pipelineId: p.id }),
      queryFn: () => query('cicdOrchestrator.testHealth', { pipelineId: p.id }) as Promise<Health>,
    })),
  });
  const flaky = health.flatMap((h) => (h.data?.items ?? []).filter((t) => t.isFlaky));
  flaky.sort((a, b) => b.flakyScore - a.flakyScore);
  return (
    <Tile title="Pipeline health" to="/cicd" testId="tile-pipelines">
      <Part q={pipelines} label="Loading pipelines">
        {(p) =>
          p.total === 0 ? (
            <Empty title="No pipelines yet">
              Create or generate one on the <Link to="/cicd">CI/CD page</Link>.
            </Empty>
          ) : (
            <Part q={runs} label="Loading runs">
              {(r) => {
                const s = runSuccessRate(r.items);
                const failing = p.items.filter((x) => x.lastRunStatus === 'failed');
                return (
                  <>
                    <div className="figure-row">
                      <Figure
                        value={s.rate === null ? '—' : formatPercent(s.rate)}
                        caption={`success, last ${formatNumber(s.finished)} runs`}
                        tone={s.rate !== null && s.rate < 0.8 ? 'sev-high' : 'tone-ok'}
                      />
                      <Figure
                        value={formatNumber(failing.length)}
                        caption={`of ${formatNumber(p.total)} pipelines failing`}
                        tone={failing.length > 0 ? 'sev-critical' : undefined}
                      />
                      <Figure
                        value={health.some((h) => h.isPending) ? '…' : formatNumber(flaky.length)}
                        caption="flaky tests"
                        tone={flaky.length > 0 ? 'sev-medium' : undefined}
                      />
                    </div>
                    {health.find((h) => h.error)?.error ? (
                      <ErrorState error={health.find((h) => h.error)!.error as ApiError} />
                    ) : null}
                    <ul className="compact-list">
                      {failing.slice(0, 3).map((x) => (
                        <li key={`p${x.id}`}>
                          <span className="sev sev-critical">failed</span>
                          <Link className="grow" to={`/cicd?pipeline=${x.id}`}>
                            {x.name}
                          </Link>
                          <Time iso={x.lastRunAt} />
                        </li>
                      ))}
                      {flaky.slice(0, 3).map((t) => (
                        <li key={`t${t.suite}/${t.name}`}>
                          <span className="sev sev-medium">flaky</span>
                          <span className="grow">
                            {t.suite ? `${t.suite} › ` : ''}
                            {t.name}
                          </span>
                          <span className="muted small num">
                            {formatNumber(t.failures)}/{formatNumber(t.totalRuns)} failed
                          </span>
                        </li>
                      ))}
                    </ul>
                  </>
                );
              }}
            </Part>
          )
        }
      </Part>
    </Tile>
  );
}

function SystemTile() {
  const q = useProcedureQuery('system.info', undefined);
  return (
    <Tile title="System" to="/settings?tab=integrations">
      <Part q={q}>
        {(data) => (
          <dl className="kv">
            <dt>Version</dt>
            <dd>{data.version}</dd>
            <dt>Store</dt>
            <dd>
              {data.store} · schema v{data.schemaVersion}
            </dd>
            <dt>Started</dt>
            <dd>
              <Time iso={data.startedAt} />
            </dd>
            {Object.entries(data.integrations).map(([name, v]) => (
              <div key={name} className="kv-row">
                <dt>{name}</dt>
                <dd>
                  <span
                    className={v.configured ? 'dot dot-ok' : 'dot dot-off'}
                    aria-hidden="true"
                  />
                  {v.configured ? (v.url ?? 'configured') : 'not configured'}
                </dd>
              </div>
            ))}
          </dl>
        )}
      </Part>
    </Tile>
  );
}

export function OverviewPage() {
  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
        <p className="muted">What needs attention now, across every module.</p>
      </div>
      <div className="tiles">
        <IncidentsTile />
        <HealingTile />
        <SecurityTile />
        <CostTile />
        <PipelinesTile />
        <SystemTile />
      </div>
    </>
  );
}
