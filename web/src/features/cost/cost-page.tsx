// The Cost page: spend per day by a chosen dimension (stacked bars and a table), the forecast
// to the end of the month with its 80%/95% interval band and the budget line, budgets with burn
// rate, and savings recommendations (refresh; apply shows the change to make). The date range
// follows the latest billing data (exports lag behind "now"). Live before any billing export:
// the real-time estimate (this host and containers from Prometheus, priced by the price sheet),
// and below the billing panels the cost anomalies raised and the realized savings of applied
// recommendations.
// The breakdown's dimension, the recommendations' status/type filters and every list's offset
// live in the address.
import { useState } from 'react';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import type { ProcedureOutput } from '../../api/generated';
import { Pagination, usePage } from '../../components/pagination';
import { Empty, QueryView } from '../../components/states';
import { RequireRole } from '../../lib/session';
import { useUrlOffset, useUrlParam } from '../../lib/url-state';

const kPageSize = 20;
const kRecStatuses = ['open', 'applied', 'dismissed'] as const;
const kRecTypes = ['rightsizing', 'idle_resource', 'savings_plan', 'spot_instance'] as const;

type Costs = ProcedureOutput<'costOptimizer.getCosts'>;
type Forecast = ProcedureOutput<'costOptimizer.forecast'>;
type Budget = ProcedureOutput<'costOptimizer.listBudgets'>['items'][number];
type Recommendation = ProcedureOutput<'costOptimizer.getRecommendations'>['items'][number];
type Estimate = ProcedureOutput<'costOptimizer.getEstimate'>;
type Anomaly = ProcedureOutput<'costOptimizer.listAnomalies'>['items'][number];

const dimensions = [
  'service',
  'provider',
  'account',
  'subAccount',
  'region',
  'serviceCategory',
  'chargeCategory',
  'namespace',
  'resource',
] as const;
const palette = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#888',
];

export function money(v: number, currency = ''): string {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : 4;
  return `${v.toFixed(digits)}${currency ? ` ${currency}` : ''}`;
}

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function StackedBars({ costs }: { costs: Costs }) {
  const w = 640;
  const h = 180;
  const n = costs.days.length;
  const totals = costs.days.map((_, i) =>
    costs.groups.reduce((s, g) => s + Math.max(0, g.series[i] ?? 0), 0),
  );
  const max = Math.max(1e-12, ...totals);
  const bw = w / Math.max(1, n);
  return (
    <svg
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label="Spend per day, stacked by group"
      className="chart"
    >
      {costs.days.map((day, i) => {
        let y = h;
        return (
          <g key={day}>
            {costs.groups.map((g, gi) => {
              const v = Math.max(0, g.series[i] ?? 0);
              const bh = (v / max) * (h - 10);
              y -= bh;
              return (
                <rect
                  key={g.key}
                  x={i * bw + 1}
                  y={y}
                  width={Math.max(1, bw - 2)}
                  height={bh}
                  fill={palette[gi % palette.length]}
                >
                  <title>{`${day} ${g.key}: ${money(v)}`}</title>
                </rect>
              );
            })}
          </g>
        );
      })}
    </svg>
  );
}

function Breakdown({ asOf }: { asOf: string }) {
  const [groupParam, setGroupBy] = useUrlParam('groupBy', 'service');
  // A tag dimension (tag:<key>) is allowed too; anything else falls back to service.
  const groupBy =
    (dimensions as readonly string[]).includes(groupParam) || /^tag:.+/.test(groupParam)
      ? groupParam
      : 'service';
  const start = addDays(asOf, -30);
  const q = useProcedureQuery('costOptimizer.getCosts', {
    start: `${start}T00:00:00Z`,
    end: `${asOf}T00:00:00Z`,
    groupBy,
    top: 8,
  });
  return (
    <section className="panel" aria-label="Spend by dimension">
      <h2>Spend, last 30 days of data</h2>
      <label>
        Group by{' '}
        <select value={groupBy} onChange={(e) => setGroupBy(e.target.value)}>
          {dimensions.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
          {groupBy.startsWith('tag:') ? <option value={groupBy}>{groupBy}</option> : null}
        </select>
      </label>
      <QueryView q={q}>
        {(costs) =>
          costs.groups.length === 0 ? (
            <Empty title="No spend in this range" />
          ) : (
            <>
              <StackedBars costs={costs} />
              <table className="table">
                <thead>
                  <tr>
                    <th>{groupBy}</th>
                    <th>Effective (amortized)</th>
                    <th>Billed</th>
                  </tr>
                </thead>
                <tbody>
                  {costs.groups.map((g, i) => (
                    <tr key={g.key}>
                      <td>
                        <span style={{ color: palette[i % palette.length] }}>■</span> {g.key}
                      </td>
                      <td>{money(g.effectiveCost, costs.currencies[0])}</td>
                      <td>{money(g.billedCost, costs.currencies[0])}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th>Total</th>
                    <th>{money(costs.effectiveCost, costs.currencies[0])}</th>
                    <th>{money(costs.billedCost, costs.currencies[0])}</th>
                  </tr>
                </tfoot>
              </table>
            </>
          )
        }
      </QueryView>
    </section>
  );
}

/** Cumulative spend in the period: actual, then the forecast with its 80% and 95% bands. */
function ForecastChart({ f, budget }: { f: Forecast; budget?: number }) {
  const w = 640;
  const h = 200;
  const actual = f.history.filter((p) => p.day >= f.periodStart);
  let cum = 0;
  const actualCum = actual.map((p) => (cum += p.cost));
  const base = cum;
  const band = f.daily;
  // The band around the cumulative path grows linearly to the interval of the period total
  // (computed by the server from simulated paths); a display approximation between the ends.
  const n = actual.length + band.length;
  const total = f.projected;
  const max = Math.max(1e-12, total.hi95, budget ?? 0, base);
  const x = (i: number) => (i / Math.max(1, n)) * w;
  const y = (v: number) => h - (v / max) * (h - 10);
  let m = base;
  const pts = band.map((d, i) => {
    m += d.mean;
    const frac = (i + 1) / band.length;
    return {
      x: x(actual.length + i + 1),
      mean: m,
      lo95: m - frac * (total.mean - total.lo95),
      hi95: m + frac * (total.hi95 - total.mean),
      lo80: m - frac * (total.mean - total.lo80),
      hi80: m + frac * (total.hi80 - total.mean),
    };
  });
  const start = { x: x(actual.length), v: base };
  const area = (lo: 'lo95' | 'lo80', hi: 'hi95' | 'hi80') =>
    [
      `${start.x},${y(start.v)}`,
      ...pts.map((p) => `${p.x},${y(p[hi])}`),
      ...pts.reverse().map((p) => `${p.x},${y(p[lo])}`),
    ].join(' ');
  const area95 = area('lo95', 'hi95');
  pts.reverse();
  const area80 = area('lo80', 'hi80');
  pts.reverse();
  return (
    <svg
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label="Cumulative spend and forecast with 80% and 95% intervals"
      className="chart"
    >
      {pts.length > 0 ? <polygon points={area95} fill="#4e79a7" opacity={0.15} /> : null}
      {pts.length > 0 ? <polygon points={area80} fill="#4e79a7" opacity={0.3} /> : null}
      <polyline
        fill="none"
        stroke="#222"
        strokeWidth={2}
        points={actualCum.map((v, i) => `${x(i + 1)},${y(v)}`).join(' ')}
      />
      {pts.length > 0 ? (
        <polyline
          fill="none"
          stroke="#4e79a7"
          strokeDasharray="4 3"
          strokeWidth={2}
          points={[`${start.x},${y(start.v)}`, ...pts.map((p) => `${p.x},${y(p.mean)}`)].join(' ')}
        />
      ) : null}
      {budget ? (
        <line x1={0} x2={w} y1={y(budget)} y2={y(budget)} stroke="#e15759" strokeDasharray="6 4" />
      ) : null}
    </svg>
  );
}

function ForecastPanel({ f, budget }: { f: Forecast; budget?: Budget }) {
  const c = f.currency ?? '';
  return (
    <section className="panel" aria-label="Forecast">
      <h2>
        Forecast to {f.periodEnd} ({f.horizon})
      </h2>
      <p>
        Spent so far: <strong>{money(f.actualToDate, c)}</strong>. Projected:{' '}
        <strong>{money(f.projected.mean, c)}</strong> (80%: {money(f.projected.lo80)} –{' '}
        {money(f.projected.hi80)}; 95%: {money(f.projected.lo95)} – {money(f.projected.hi95)})
      </p>
      <ForecastChart f={f} budget={budget?.amount} />
      <p className="muted">
        Model {f.model}
        {f.backtestMape !== null ? `; hold-out MAPE ${f.backtestMape.toFixed(1)}%` : ''}
        {f.seasonalNaiveMape !== null
          ? ` vs seasonal naive ${f.seasonalNaiveMape.toFixed(1)}%`
          : ''}
        {budget ? `; red line: budget "${budget.name}"` : ''}. Data up to {addDays(f.asOf, -1)}.
      </p>
    </section>
  );
}

function Budgets({ items }: { items: Budget[] }) {
  const [form, setForm] = useState({ name: '', scope: 'all', amount: '', currency: 'USD' });
  const save = useProcedureMutation('costOptimizer.setbudget', ['costOptimizer']);
  // costOptimizer.listBudgets answers every budget at once; the table pages them here.
  const [offset, setOffset] = useUrlOffset('budgetsOffset');
  const shown = items.slice(offset, offset + kPageSize);
  return (
    <section className="panel" aria-label="Budgets">
      <h2>Budgets</h2>
      {items.length === 0 ? (
        <Empty title="No budgets yet" />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Scope</th>
              <th>Spent</th>
              <th>Forecast</th>
              <th>Burn rate</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((b) => (
              <tr key={b.id}>
                <td>{b.name}</td>
                <td>{b.scope}</td>
                <td>
                  {money(b.actual, b.currency)} of {money(b.amount)} ({b.actualPercent.toFixed(0)}%)
                </td>
                <td>
                  {money(b.forecast)} ({b.forecastPercent.toFixed(0)}%)
                </td>
                <td>{b.burnRate.toFixed(2)}×</td>
                <td className={`status-${b.status}`}>{b.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {items.length > kPageSize ? (
        <Pagination offset={offset} limit={kPageSize} total={items.length} onChange={setOffset} />
      ) : null}
      <RequireRole min="operator">
        <form
          aria-label="Set a budget"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({
              name: form.name,
              scope: form.scope,
              amount: Number(form.amount),
              currency: form.currency,
              period: 'monthly',
            });
          }}
        >
          <label>
            Name{' '}
            <input
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
              required
            />
          </label>
          <label>
            Scope{' '}
            <input
              value={form.scope}
              onChange={(e) => setForm({ ...form, scope: e.target.value })}
            />
          </label>
          <label>
            Monthly amount{' '}
            <input
              type="number"
              value={form.amount}
              onChange={(e) => setForm({ ...form, amount: e.target.value })}
              required
            />
          </label>
          <label>
            Currency{' '}
            <input
              value={form.currency}
              onChange={(e) => setForm({ ...form, currency: e.target.value })}
            />
          </label>
          <button type="submit" className="btn" disabled={save.isPending}>
            Save budget
          </button>
          {save.error ? <p role="alert">{save.error.message}</p> : null}
        </form>
      </RequireRole>
    </section>
  );
}

function Recommendations() {
  const [statusParam, setStatus] = useUrlParam('recStatus', 'open', ['recOffset']);
  const [typeParam, setType] = useUrlParam('recType', '', ['recOffset']);
  const [offset, setOffset] = useUrlOffset('recOffset');
  const status = (kRecStatuses as readonly string[]).includes(statusParam)
    ? (statusParam as (typeof kRecStatuses)[number])
    : 'open';
  const type = (kRecTypes as readonly string[]).includes(typeParam)
    ? (typeParam as (typeof kRecTypes)[number])
    : undefined;
  const q = useProcedureQuery('costOptimizer.getRecommendations', {
    status,
    type,
    limit: kPageSize,
    offset,
  });
  const refresh = useProcedureMutation('costOptimizer.refreshRecommendations', ['costOptimizer']);
  const apply = useProcedureMutation('costOptimizer.applyRecommendation', []);
  const decide = useProcedureMutation('costOptimizer.decideProposal', ['costOptimizer']);
  const change = apply.data?.change as
    { command?: string; note?: string; yaml?: string } | undefined;
  return (
    <section className="panel" aria-label="Recommendations">
      <h2>Savings recommendations</h2>
      <RequireRole min="operator">
        <button
          type="button"
          className="btn btn-small"
          onClick={() => refresh.mutate({})}
          disabled={refresh.isPending}
        >
          Refresh recommendations
        </button>
      </RequireRole>
      <div className="filters">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            {kRecStatuses.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type{' '}
          <select value={type ?? ''} onChange={(e) => setType(e.target.value)}>
            <option value="">any</option>
            {kRecTypes.map((k) => (
              <option key={k} value={k}>
                {k.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
      </div>
      <QueryView q={q}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty
              title={`No ${status} ${type ? `${type.replace('_', ' ')} ` : ''}recommendations`}
            />
          ) : (
            <>
              <p>
                {data.total} {status}, {money(data.totalMonthlySavings, data.items[0]?.currency)}{' '}
                per month in total.
              </p>
              <table className="table">
                <thead>
                  <tr>
                    <th>Recommendation</th>
                    <th>Saving / month</th>
                    <th>Risk</th>
                    <th>Evidence</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((r: Recommendation) => (
                    <tr key={r.id}>
                      <td>
                        <strong>{r.title}</strong>
                        <div className="muted">{r.type}</div>
                        <Proposal
                          rec={r}
                          pending={decide.isPending}
                          onDecide={(decision) => decide.mutate({ id: r.id, decision })}
                        />
                      </td>
                      <td>{money(r.monthlySavings, r.currency)}</td>
                      <td>{r.risk}</td>
                      <td>
                        <Criteria details={r.details} />
                        {String((r.details as { evidence?: string }).evidence ?? '')}
                      </td>
                      <td>
                        <RequireRole min="operator">
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => apply.mutate({ id: r.id, dryRun: true })}
                          >
                            Show change
                          </button>
                        </RequireRole>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pagination
                offset={offset}
                limit={kPageSize}
                total={data.total}
                onChange={setOffset}
                label="Recommendations pages"
              />
            </>
          )
        }
      </QueryView>
      {change?.command ? (
        <div aria-label="Change to apply">
          <pre>{change.command}</pre>
          {change.yaml ? <pre aria-label="Patch YAML">{change.yaml}</pre> : null}
          {change.note ? <p className="muted">{change.note}</p> : null}
        </div>
      ) : null}
    </section>
  );
}

/** A spot recommendation's criteria, each met or failed, named (the evidence says what was seen). */
function Criteria({ details }: { details: unknown }) {
  const criteria = (details as { criteria?: { name: string; met: boolean; detail: string }[] })
    .criteria;
  if (!Array.isArray(criteria) || criteria.length === 0) return null;
  return (
    <ul className="small" aria-label="Criteria">
      {criteria.map((c) => (
        <li key={c.name} title={c.detail}>
          {c.met ? '✓' : '✗'} {c.name.replace(/_/g, ' ')}: {c.met ? 'met' : 'failed'}
        </li>
      ))}
    </ul>
  );
}

type ProposalDetails = { by?: string; reason?: string; status?: string; decidedBy?: string };

// A proposal to apply the recommendation (the assistant's): it waits here for a person, who
// approves (applies) or rejects it.
function Proposal({
  rec,
  pending,
  onDecide,
}: {
  rec: Recommendation;
  pending: boolean;
  onDecide: (decision: 'approve' | 'reject') => void;
}) {
  const p = (rec.details as { proposal?: ProposalDetails }).proposal;
  if (!p) return null;
  if (p.status !== 'pending') {
    return (
      <div className="small muted">
        Proposal by {p.by} {p.status}
        {p.decidedBy ? ` by ${p.decidedBy}` : ''}
      </div>
    );
  }
  return (
    <div className="small" role="group" aria-label={`Proposal for recommendation ${rec.id}`}>
      <span className="warning">Awaiting approval:</span> proposed by {p.by}
      {p.reason ? ` (${p.reason})` : ''}
      <RequireRole min="operator">
        <div className="actions">
          <button type="button" disabled={pending} onClick={() => onDecide('approve')}>
            Approve and apply
          </button>
          <button type="button" disabled={pending} onClick={() => onDecide('reject')}>
            Reject
          </button>
        </div>
      </RequireRole>
    </div>
  );
}

function bytes(v: number): string {
  const gib = v / 1024 ** 3;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${(v / 1024 ** 2).toFixed(0)} MiB`;
}

/** The real-time estimate: hosts from node_exporter, containers at max(request, usage). */
function LiveEstimate() {
  const q = useProcedureQuery('costOptimizer.getEstimate', {});
  return (
    <section className="panel" aria-label="Real-time estimate">
      <h2>Real-time estimate</h2>
      <QueryView q={q}>
        {(e: Estimate) => (
          <>
            <p>
              Hosts {money(e.totals.assetMonthly, e.currency)} / month; containers allocated{' '}
              {money(e.totals.allocatedMonthly, e.currency)}; idle{' '}
              {money(e.totals.idleMonthly, e.currency)}.
            </p>
            <p className="muted">
              Price sheet: {e.prices.vcpuHour} per vCPU-hour, {e.prices.gibHour} per GiB-hour.{' '}
              {e.method}.
            </p>
            {e.hosts.length === 0 && e.containers.length === 0 ? (
              <Empty title="Prometheus has no node_exporter or container metrics" />
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>Host or container</th>
                    <th>CPU (used / capacity or request)</th>
                    <th>Memory</th>
                    <th>Per hour</th>
                    <th>Per month</th>
                  </tr>
                </thead>
                <tbody>
                  {e.hosts.map((h) => (
                    <tr key={h.instance}>
                      <td>host {h.instance}</td>
                      <td>
                        {h.cpuUsed.toFixed(2)} / {h.cpuCores} cores
                      </td>
                      <td>
                        {bytes(h.memoryUsed)} / {bytes(h.memoryBytes)}
                      </td>
                      <td>{money(h.assetHourly, e.currency)}</td>
                      <td>{money(h.assetMonthly, e.currency)}</td>
                    </tr>
                  ))}
                  {e.containers.slice(0, 20).map((c) => (
                    <tr key={c.id}>
                      <td>{c.id}</td>
                      <td>
                        {c.cpuUsage.toFixed(2)} / {c.cpuRequest.toFixed(2)} cores
                      </td>
                      <td>
                        {bytes(c.memoryUsage)} / {bytes(c.memoryRequest)}
                      </td>
                      <td>{money(c.hourly, e.currency)}</td>
                      <td>{money(c.monthly, e.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}

/** Daily spend anomalies raised as Incident Commander signals, with the top line item. */
function Anomalies() {
  // listAnomalies has no offset: the newest 500 (its maximum) page here client-side.
  const { limit, offset, pager } = usePage('anomaliesOffset', 10, 'Cost anomalies pages');
  const q = useProcedureQuery('costOptimizer.listAnomalies', { limit: 500 });
  return (
    <section className="panel" aria-label="Cost anomalies">
      <h2>Cost anomalies</h2>
      <QueryView q={q}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No cost anomalies raised" />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Day</th>
                  <th>Where</th>
                  <th>Spend (usual)</th>
                  <th>Score</th>
                  <th>Largest line item</th>
                </tr>
              </thead>
              <tbody>
                {data.items.slice(offset, offset + limit).map((a: Anomaly) => {
                  const top = a.evidence[0] as
                    { resourceId?: string; effectiveCost?: number } | undefined;
                  return (
                    <tr key={a.id}>
                      <td>{a.day}</td>
                      <td>
                        {a.dimension} {a.key}
                      </td>
                      <td>
                        {money(a.cost, a.currency)} ({money(a.expected, a.currency)})
                      </td>
                      <td>{a.score.toFixed(2)}</td>
                      <td>
                        {top ? `${top.resourceId ?? ''} ${money(top.effectiveCost ?? 0)}` : ''}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {pager(q.data?.items.length)}
    </section>
  );
}

/** Applied recommendations: spend per day before and after, from the billing data. */
function RealizedSavings() {
  const { limit, offset, pager } = usePage('savingsOffset', 20, 'Realized savings pages');
  const q = useProcedureQuery('costOptimizer.getRecommendations', {
    status: 'applied',
    limit,
    offset,
  });
  return (
    <section className="panel" aria-label="Realized savings">
      <h2>Realized savings</h2>
      <QueryView q={q}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No applied recommendations" />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Applied</th>
                  <th>Expected / month</th>
                  <th>Per day before → after</th>
                  <th>Realized / month</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((r: Recommendation) => (
                  <tr key={r.id}>
                    <td>
                      <strong>{r.title}</strong>
                      <div className="muted">{r.appliedAt ?? ''}</div>
                    </td>
                    <td>{money(r.monthlySavings, r.currency)}</td>
                    {r.realizedSavings ? (
                      <>
                        <td>
                          {money(r.realizedSavings.beforeDaily, r.currency)} →{' '}
                          {money(r.realizedSavings.afterDaily, r.currency)} (
                          {r.realizedSavings.afterDays} days after)
                        </td>
                        <td>{money(r.realizedSavings.monthly, r.currency)}</td>
                      </>
                    ) : (
                      <td colSpan={2} className="muted">
                        waiting for billing data on both sides of the change
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {pager(q.data?.total)}
    </section>
  );
}

export function CostPage() {
  const forecast = useProcedureQuery('costOptimizer.forecast', { horizon: 'month' });
  const budgets = useProcedureQuery('costOptimizer.listBudgets', {});
  return (
    <>
      <div className="page-head">
        <h1>Cost</h1>
        <p className="muted">
          Spend from imported FOCUS / AWS CUR billing files (<code>devops-ai cost import FILE</code>
          ), forecasts, budgets and savings.
        </p>
      </div>
      <QueryView q={forecast}>
        {(f) =>
          f.history.length === 0 ? (
            <Empty title="No billing data yet">
              Import a FOCUS export: <code>devops-ai cost import focus.csv --data-dir DIR</code>
            </Empty>
          ) : (
            <>
              <ForecastPanel f={f} budget={budgets.data?.items[0]} />
              <Breakdown asOf={f.asOf} />
            </>
          )
        }
      </QueryView>
      <QueryView q={budgets}>{(b) => <Budgets items={b.items} />}</QueryView>
      <Recommendations />
      <LiveEstimate />
      <Anomalies />
      <RealizedSavings />
    </>
  );
}
