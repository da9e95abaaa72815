// PromQL explorer: query, range and step live in the URL; the chart shows the result of
// metrics.queryRange from the configured Prometheus.
import { useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { query } from '../../api/client';
import type { ApiError } from '../../api/errors';
import type { ProcedureOutput } from '../../api/generated';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, Loading } from '../../components/states';
import { formatNumber, parseDuration } from '../../lib/format';
import { toSeries } from './prometheus';
import { TimeSeriesChart } from '../../components/time-series-chart';

const kRanges = ['15m', '1h', '6h', '24h', '7d'];

export function MetricsPage() {
  const [params, setParams] = useSearchParams();
  const promql = params.get('q') ?? '';
  const range = params.get('range') ?? '1h';
  const stepParam = params.get('step') ?? '';
  const [draft, setDraft] = useState(promql);
  const [draftStep, setDraftStep] = useState(stepParam);

  const rangeSecs = parseDuration(range) ?? 3600;
  const step = parseDuration(stepParam) ?? Math.max(15, Math.round(rangeSecs / 250));
  const q = useQuery<ProcedureOutput<'metrics.queryRange'>, ApiError>({
    queryKey: ['metrics', 'queryRange', promql, range, step],
    enabled: promql !== '',
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
  const parsed = useMemo(() => {
    if (q.data === undefined) return null;
    try {
      return { series: toSeries(q.data), error: null, warnings: q.data.warnings ?? [] };
    } catch (e) {
      return { series: [], error: (e as Error).message, warnings: [] };
    }
  }, [q.data]);

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
        <button type="submit" className="btn btn-primary">
          Run query
        </button>
      </form>
      <Panel title="Result" actions={<code className="proc">metrics.queryRange</code>}>
        {promql === '' ? (
          <Empty title="Enter a PromQL expression">
            The range and step are kept in the address, so the view can be shared.
          </Empty>
        ) : q.error ? (
          q.error.code === 'NOT_FOUND' ? (
            <div className="state state-notbuilt" data-testid="not-built">
              <div className="state-badge">Not built yet</div>
              <div className="state-title">
                <code>metrics.queryRange</code> is not registered on this server
              </div>
              <div className="state-body">{q.error.message}</div>
            </div>
          ) : (
            <ErrorState error={q.error} onRetry={() => void q.refetch()} />
          )
        ) : q.isPending || !parsed ? (
          <Loading label="Querying Prometheus" />
        ) : parsed.error ? (
          <div className="state state-error" role="alert">
            {parsed.error}
          </div>
        ) : parsed.series.length === 0 ? (
          <Empty title="The query returned no series" />
        ) : (
          <>
            <TimeSeriesChart series={parsed.series} />
            <p className="muted small">
              {formatNumber(parsed.series.length)} series, step {step}s
            </p>
            {parsed.warnings.map((w) => (
              <p key={w} className="muted small">
                Prometheus warning: {w}
              </p>
            ))}
          </>
        )}
      </Panel>
    </>
  );
}
