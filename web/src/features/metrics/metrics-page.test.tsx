// The Metrics page's anomaly overlay and "watch this query" against a stubbed tRPC server (the
// uPlot chart is replaced by a probe: jsdom has no canvas).
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { renderWithSession } from '../../testing/render';
import { stubTrpc, trpcError } from '../../testing/stub-trpc';
import { MetricsPage } from './metrics-page';

vi.mock('../../components/time-series-chart', () => ({
  TimeSeriesChart: ({ series, marks }: { series: unknown[]; marks?: unknown[] }) => (
    <div data-testid="chart">
      {series.length} series, {marks?.length ?? 0} marks
    </div>
  ),
}));

const t0 = 1_764_000_000;
const anomalies = {
  threshold: 0.5,
  truncated: false,
  warmupFrom: '2026-11-29T08:00:00Z',
  warnings: [],
  series: [
    {
      metric: { __name__: 'latency_seconds', job: 'api' },
      times: [t0, t0 + 15, t0 + 30],
      values: [0.2, 4.5, 0.21],
      scores: [0.01, 0.93, 0.2],
      maxScore: 0.93,
      anomalies: [{ t: t0 + 15, value: 4.5, score: 0.93 }],
    },
  ],
};

describe('MetricsPage', () => {
  it('scores the query with the anomaly overlay and lists the anomalies', async () => {
    const trpc = stubTrpc({ 'metrics.anomalies': () => anomalies });
    const r = renderWithSession(<MetricsPage />, {
      role: 'viewer',
      route: '/explore?q=latency_seconds&range=1h&step=15s&anomalies=1',
    });
    expect((await screen.findByTestId('chart')).textContent).toBe('1 series, 1 marks');
    const list = await screen.findByTestId('anomaly-list');
    expect(list.textContent).toMatch(/latency_seconds\{job="api"\}/);
    expect(list.textContent).toMatch(/0\.93/);
    const input = trpc.callsTo('metrics.anomalies')[0]?.input as Record<string, unknown>;
    expect(input).toMatchObject({ query: 'latency_seconds', step: 15, threshold: 0.5 });
    expect(Date.parse(input.end as string) - Date.parse(input.start as string)).toBe(3600_000);
    expect(trpc.callsTo('metrics.queryRange')).toHaveLength(0);
    // A viewer is not offered the watch form.
    expect(screen.queryByRole('form', { name: 'Watch this query' })).toBeNull();
    // Turning the overlay off goes back to the plain range query.
    fireEvent.click(screen.getByRole('checkbox', { name: 'Anomaly overlay' }));
    await waitFor(() => expect(r.location()).not.toMatch(/anomalies=1/));
  });

  it('says so when no point is anomalous, and shows errors from the server', async () => {
    stubTrpc({
      'metrics.anomalies': () => ({
        ...anomalies,
        series: [{ ...anomalies.series[0]!, anomalies: [], maxScore: 0.2 }],
      }),
    });
    renderWithSession(<MetricsPage />, { route: '/explore?q=up&anomalies=1' });
    expect(await screen.findByText('No anomalies in this range')).toBeTruthy();
    stubTrpc({
      'metrics.anomalies': () => {
        throw trpcError(
          'PRECONDITION_FAILED',
          'Prometheus is not configured: start the server with --prometheus-url',
        );
      },
    });
    renderWithSession(<MetricsPage />, { route: '/explore?q=rate(x[5m])&anomalies=1' });
    expect((await screen.findByRole('alert')).textContent).toMatch(/--prometheus-url/);
  });

  it('lets an operator watch the query', async () => {
    const trpc = stubTrpc({
      'metrics.queryRange': () => ({ resultType: 'matrix', result: [], warnings: [] }),
      'incidentCommander.createWatch': (input) => ({
        id: 4,
        ...(input as object),
        enabled: true,
        labels: {},
        severity: 'medium',
        threshold: 0.9,
        windowSeconds: 86400,
        lastError: null,
        lastRunAt: null,
        createdAt: '2026-11-29T09:00:00Z',
        updatedAt: '2026-11-29T09:00:00Z',
      }),
    });
    renderWithSession(<MetricsPage />, { role: 'operator', route: '/explore?q=up&step=30s' });
    const form = await screen.findByRole('form', { name: 'Watch this query' });
    fireEvent.change(screen.getByLabelText('Watch name'), { target: { value: 'node-up' } });
    fireEvent.submit(form);
    expect((await screen.findByText(/Watching as “node-up” \(#4\)/)).textContent).toMatch(/30 s/);
    expect(trpc.callsTo('incidentCommander.createWatch')[0]?.input).toEqual({
      name: 'node-up',
      query: 'up',
      stepSeconds: 30,
    });
  });
});
