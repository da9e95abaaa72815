// PromQL explorer: query, range, step and the anomaly overlay live in the URL; the chart shows
// the result of metrics.queryRange from the configured Prometheus, or with the overlay on,
// metrics.anomalies (the same series scored by the anomaly engine, anomalies ringed and listed).
// An operator can watch the query (incidentCommander.createWatch).
import { useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { query } from '../../api/client';
import type { ApiError } from '../../api/errors';
import type { ProcedureOutput } from '../../api/generated';
import { Panel } from '../../components/procedure-panel';
import { useProcedureMutation } from '../../api/hooks';
import { Empty, ErrorState, Loading } from '../../components/states';
import { formatDateTime, formatNumber, parseDuration } from '../../lib/format';
import { RequireRole } from '../../lib/session';
import { toOverlay } from './anomalies';
import { toSeries } from './prometheus';
import { TimeSeriesChart } from '../../components/time-series-chart';

const kThreshold = 0.5;

/** Saves the current query as a watched query (operator). */
function WatchForm({ promql, step }: { promql: string; step: number }) {
  const [name, setName] = useState('');
  const create = useProcedureMutation('incidentCommander.createWatch', ['incidentCommander']);
  return (
    <form
      className="inline-form"
      aria-label="Watch this query"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({
          name: name.trim(),
          query: promql,
          stepSeconds: Math.max(1, Math.round(step)),
        });
      }}
    >
      <label>
        Watch name
        <input
          name="watch-name"
          value={name}
          required
          placeholder="checkout-latency"
          onChange={(e) => setName(e.target.value)}
        />
      </label>
      <button type="submit" className="btn" disabled={create.isPending || name.trim() === ''}>
        Watch this query
      </button>
      {create.data ? (
        <span role="status" className="muted">
          Watching as “{create.data.name}” (#{create.data.id}), every{' '}
          {formatNumber(create.data.stepSeconds)} s; anomalies open incidents.
        </span>
      ) : null}
      {create.error ? <ErrorState error={create.error} title="Could not watch" /> : null}
    </form>
  );
}

const kRanges = ['15m', '1h', '6h', '24h', '7d'];

export function MetricsPage() {
  const [params, setParams] = useSearchParams();
  const promql = params.get('q') ?? '';
  const range = params.get('range') ?? '1h';
  const stepParam = params.get('step') ?? '';
  const overlayOn = params.get('anomalies') === '1';
  const [draft, setDraft] = useState(promql);
  const [draftStep, setDraftStep] = useState(stepParam);

  const rangeSecs = parseDuration(range) ?? 3600;
  const step = parseDuration(stepParam) ?? Math.max(15, Math.round(rangeSecs / 250));
  const q = useQuery<ProcedureOutput<'metrics.queryRange'>, ApiError>({
    queryKey: ['metrics', 'queryRange', promql, range, step],
    enabled: promql !== '' && !overlayOn,
    queryFn: () => {
      const end = Date.now();
      return query('metrics.queryRange', {
        query: promql,
        start: new Date(end - rangeSecs * 1000).toISOString(),
        end: new Date(end).toISOString(),
        step,
      });
    },
  });
  const a = useQuery<ProcedureOutput<'metrics.anomalies'>, ApiError>({
    queryKey: ['metrics', 'anomalies', promql, range, step],
    enabled: promql !== '' && overlayOn,
    queryFn: () => {
      const end = Date.now();
      return query('metrics.anomalies', {
        query: promql,
        start: new Date(end - rangeSecs * 1000).toISOString(),
        end: new Date(end).toISOString(),
        step,
        threshold: kThreshold,
      });
    },
  });
  const overlay = useMemo(() => (a.data ? toOverlay(a.data) : null), [a.data]);
  const parsed = useMemo(() => {
    if (overlayOn) {
      if (!overlay || !a.data) return null;
      return { series: overlay.series, error: null, warnings: a.data.warnings };
    }
    if (q.data === undefined) return null;
    try {
      return { series: toSeries(q.data), error: null, warnings: q.data.warnings ?? [] };
    } catch (e) {
      return { series: [], error: (e as Error).message, warnings: [] };
    }
  }, [q.data, overlayOn, overlay, a.data]);
  const result = overlayOn ? a : q;

  function submit(ev: FormEvent) {
    ev.preventDefault();
    const next = new URLSearchParams(params);
    next.set('q', draft.trim());
    if (draftStep.trim()) next.set('step', draftStep.trim());
    else next.delete('step');
    setParams(next);
  }

  return (
    <>
      <div className="page-head">
        <h1>Metrics</h1>
        <p className="muted">PromQL against the configured Prometheus.</p>
      </div>
      <form className="promql" onSubmit={submit} aria-label="PromQL query">
        <label className="grow">
          PromQL
          <input
            name="promql"
            className="mono"
            spellCheck={false}
            placeholder='rate(http_requests_total{job="api"}[5m])'
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
        </label>
        <label>
          Range
          <select
            name="range"
            value={range}
            onChange={(e) => {
              const next = new URLSearchParams(params);
              next.set('range', e.target.value);
              setParams(next);
            }}
          >
            {kRanges.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Step
          <input
            name="step"
            className="mono narrow"
            placeholder={`${step}s`}
            value={draftStep}
            onChange={(e) => setDraftStep(e.target.value)}
          />
        </label>
        <label className="check">
          <input
            type="checkbox"
            name="anomalies"
            checked={overlayOn}
            onChange={(e) => {
              const next = new URLSearchParams(params);
              if (e.target.checked) next.set('anomalies', '1');
              else next.delete('anomalies');
              setParams(next);
            }}
          />
          Anomaly overlay
        </label>
        <button type="submit" className="btn btn-primary">
          Run query
        </button>
      </form>
      <Panel
        title="Result"
        actions={
          <code className="proc">{overlayOn ? 'metrics.anomalies' : 'metrics.queryRange'}</code>
        }
      >
        {promql === '' ? (
          <Empty title="Enter a PromQL expression">
            The range and step are kept in the address, so the view can be shared.
          </Empty>
        ) : result.error ? (
          result.error.code === 'NOT_FOUND' ? (
            <div className="state state-notbuilt" data-testid="not-built">
              <div className="state-badge">Not built yet</div>
              <div className="state-title">
                <code>{overlayOn ? 'metrics.anomalies' : 'metrics.queryRange'}</code> is not
                registered on this server
              </div>
              <div className="state-body">{result.error.message}</div>
            </div>
          ) : (
            <ErrorState error={result.error} onRetry={() => void result.refetch()} />
          )
        ) : result.isPending || !parsed ? (
          <Loading label="Querying Prometheus" />
        ) : parsed.error ? (
          <div className="state state-error" role="alert">
            {parsed.error}
          </div>
        ) : parsed.series.length === 0 ? (
          <Empty title="The query returned no series" />
        ) : (
          <>
            <TimeSeriesChart
              series={parsed.series}
              marks={overlayOn ? overlay?.marks : undefined}
            />
            <p className="muted small">
              {formatNumber(parsed.series.length)} series, step {step}s
            </p>
            {overlayOn && overlay && a.data ? (
              <div data-testid="anomaly-list">
                <h3 className="tile-sub">
                  Anomalies (score ≥ {kThreshold}, scored causally, warmed up from{' '}
                  {formatDateTime(a.data.warmupFrom)})
                </h3>
                {overlay.anomalies.length === 0 ? (
                  <Empty title="No anomalies in this range" />
                ) : (
                  <table className="table">
                    <thead>
                      <tr>
                        <th>Series</th>
                        <th>When</th>
                        <th>Value</th>
                        <th>Score</th>
                      </tr>
                    </thead>
                    <tbody>
                      {overlay.anomalies.slice(0, 20).map((x) => (
                        <tr key={`${x.label}@${x.t}`}>
                          <td>
                            <code>{x.label}</code>
                          </td>
                          <td>{formatDateTime(new Date(x.t * 1000).toISOString())}</td>
                          <td className="num">{formatNumber(x.value, undefined, 4)}</td>
                          <td className="num">{formatNumber(x.score, undefined, 3)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
                {a.data.truncated ? (
                  <p className="muted small">Only the first 50 series were scored.</p>
                ) : null}
              </div>
            ) : null}
            {parsed.warnings.map((w) => (
              <p key={w} className="muted small">
                Prometheus warning: {w}
              </p>
            ))}
          </>
        )}
      </Panel>
      {promql !== '' ? (
        <RequireRole min="operator">
          <Panel
            title="Watch this query"
            actions={<code className="proc">incidentCommander.createWatch</code>}
          >
            <p className="muted small">
              A watched query is evaluated by the anomaly engine every step; anomalies become
              incident signals.
            </p>
            <WatchForm promql={promql} step={step} />
          </Panel>
        </RequireRole>
      ) : null}
    </>
  );
}
