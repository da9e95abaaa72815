// The Cost page against a mocked tRPC server speaking the batch wire format: the forecast with
// its interval, the breakdown table by the chosen dimension, budgets, and recommendations whose
// "Show change" asks for a dry run and shows the command; a viewer sees no operator controls.
import { describe, expect, it } from 'vitest';
import { fireEvent, screen, within, waitFor } from '@testing-library/react';
import type { Role } from '../../lib/session';
import { renderWithSession } from '../../testing/render';
import { stubTrpc, type Routes, type TrpcStub } from '../../testing/stub-trpc';
import { CostPage, money } from './cost-page';

let routes: Routes;
let trpc: TrpcStub;

function renderWith(role: Role, route = '/cost') {
  trpc = stubTrpc(routes);
  return renderWithSession(<CostPage />, { role, route });
}

const forecast = {
  horizon: 'month',
  scope: 'all',
  currency: 'USD',
  periodStart: '2024-09-01',
  periodEnd: '2024-10-01',
  asOf: '2024-09-21',
  actualToDate: 212,
  model: 'ets_ann',
  projected: { mean: 318, lo80: 300, hi80: 336, lo95: 290, hi95: 346 },
  history: [
    { day: '2024-09-01', cost: 10.6 },
    { day: '2024-09-02', cost: 10.6 },
  ],
  daily: [{ day: '2024-09-21', mean: 10.6, lo80: 9, hi80: 12, lo95: 8, hi95: 13 }],
  backtestMape: 3.5,
  seasonalNaiveMape: 7.25,
  backtestPoints: 7,
};

function installRoutes() {
  routes = {
    'costOptimizer.forecast': () => forecast,
    'costOptimizer.listBudgets': () => ({
      items: [
        {
          id: 1,
          name: 'aws',
          scope: 'provider=AWS',
          amount: 300,
          currency: 'USD',
          period: 'monthly',
          thresholds: [50, 100],
          periodStart: '2024-09-01',
          periodEnd: '2024-10-01',
          asOf: '2024-09-21',
          actual: 212,
          forecast: 318,
          forecastHigh: 336,
          actualPercent: 70.7,
          forecastPercent: 106,
          burnRate: 1.06,
          projectedExhaustion: null,
          status: 'warning',
          crossings: [],
        },
      ],
    }),
    'costOptimizer.getCosts': (input) => {
      const { groupBy } = input as { groupBy: string };
      const key = groupBy === 'region' ? 'us-east-1' : 'Amazon EC2';
      return {
        start: '2024-08-22',
        end: '2024-09-21',
        groupBy,
        currencies: ['USD'],
        days: ['2024-09-19', '2024-09-20'],
        groups: [{ key, billedCost: 20, effectiveCost: 16, series: [8, 8] }],
        billedCost: 20,
        effectiveCost: 16,
      };
    },
    'costOptimizer.getRecommendations': (input) =>
      (input as { status?: string }).status === 'applied'
        ? {
            items: [
              {
                id: 9,
                type: 'rightsizing',
                resourceId: 'i-big',
                resourceType: 'container',
                provider: 'AWS',
                title: 'Right-size i-big',
                description: '',
                currentCost: 700,
                projectedCost: 200,
                monthlySavings: 500,
                currency: 'USD',
                confidence: 1,
                risk: 'low',
                status: 'applied',
                details: {},
                appliedAt: '2024-09-10T12:00:00Z',
                createdAt: '2024-09-01T00:00:00Z',
                realizedSavings: {
                  beforeDaily: 24,
                  afterDaily: 6,
                  beforeDays: 9,
                  afterDays: 10,
                  monthly: 547.2,
                },
              },
            ],
            total: 1,
            totalMonthlySavings: 500,
          }
        : {
            items: [
              {
                id: 7,
                type: 'idle_resource',
                resourceId: 'arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/idle',
                resourceType: '',
                provider: 'AWS',
                title: 'Idle: Elastic Load Balancing lb',
                description: '',
                currentCost: 18.25,
                projectedCost: 0,
                monthlySavings: 18.25,
                currency: 'USD',
                confidence: 0.6,
                risk: 'medium',
                status: 'open',
                details: { evidence: '480 hourly charges over 20.0 days and no metered usage' },
                appliedAt: null,
                createdAt: '2026-11-29T00:00:00Z',
                realizedSavings: null,
              },
            ],
            total: 1,
            totalMonthlySavings: 18.25,
          },
    'costOptimizer.getEstimate': () => ({
      asOf: '2026-11-29T10:00:00Z',
      currency: 'USD',
      prices: { vcpuHour: 0.04, gibHour: 0.005 },
      method: 'OpenCost',
      hosts: [
        {
          instance: '127.0.0.1:9100',
          cpuCores: 2,
          memoryBytes: 8 * 1024 ** 3,
          cpuUsed: 0.5,
          memoryUsed: 2 * 1024 ** 3,
          assetHourly: 0.12,
          usedHourly: 0.03,
          assetMonthly: 87.6,
        },
      ],
      containers: [],
      totals: {
        assetHourly: 0.12,
        usedHourly: 0.03,
        allocatedHourly: 0,
        idleHourly: 0.12,
        assetMonthly: 87.6,
        allocatedMonthly: 0,
        idleMonthly: 87.6,
      },
    }),
    'costOptimizer.listAnomalies': () => ({
      items: [
        {
          id: 1,
          dimension: 'service',
          key: 'Amazon RDS',
          day: '2024-10-11',
          cost: 450,
          expected: 150,
          score: 0.97,
          currency: 'USD',
          evidence: [{ resourceId: 'big-rds', effectiveCost: 360 }],
          createdAt: '2026-11-29T00:00:00Z',
        },
      ],
    }),
    'costOptimizer.applyRecommendation': (input) => ({
      recommendation: {},
      dryRun: (input as { dryRun: boolean }).dryRun,
      change: {
        format: 'cli',
        command: "aws elbv2 delete-load-balancer --load-balancer-arn 'arn:x'",
        note: 'Review first',
      },
    }),
    'costOptimizer.refreshRecommendations': () => ({ created: 1, asOf: '2024-09-21' }),
  };
}

describe('CostPage', () => {
  it('shows the forecast with its interval, the breakdown, budgets and recommendations', async () => {
    installRoutes();
    const r = renderWith('operator');
    expect(await screen.findByText(/Forecast to 2024-10-01/)).toBeTruthy();
    expect(screen.getByText(/80%: 300 – 336; 95%: 290 – 346/)).toBeTruthy();
    expect(screen.getByText(/hold-out MAPE 3.5% vs seasonal naive 7.3%/)).toBeTruthy();
    expect(
      screen
        .getByRole('img', { name: /forecast with 80% and 95% intervals/ })
        .querySelectorAll('polygon').length,
    ).toBe(2);
    expect(await screen.findByText('Amazon EC2')).toBeTruthy();
    const costCall = trpc.callsTo('costOptimizer.getCosts')[0];
    expect(costCall?.input).toMatchObject({
      start: '2024-08-22T00:00:00Z',
      end: '2024-09-21T00:00:00Z',
      groupBy: 'service',
    });
    fireEvent.change(screen.getByLabelText(/Group by/), { target: { value: 'region' } });
    expect(await screen.findByText('us-east-1')).toBeTruthy();
    expect(r.location()).toBe('/cost?groupBy=region');
    expect(screen.getByText('warning')).toBeTruthy();
    expect(screen.getByText('1.06×')).toBeTruthy();
    expect(await screen.findByText('Idle: Elastic Load Balancing lb')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Show change' }));
    await waitFor(() => expect(screen.getByText(/aws elbv2 delete-load-balancer/)).toBeTruthy());
    expect(trpc.callsTo('costOptimizer.applyRecommendation')[0]?.input).toEqual({
      id: 7,
      dryRun: true,
    });
  }, 60_000);

  it('lists a spot recommendation with its criteria and shows its patch as YAML', async () => {
    installRoutes();
    routes['costOptimizer.getRecommendations'] = () => ({
      items: [
        {
          id: 11,
          type: 'spot_instance',
          resourceId: 'shop/Deployment/web',
          resourceType: 'Deployment',
          provider: 'gcp',
          title: 'Run shop/Deployment/web on spot capacity',
          description: '',
          currentCost: 43.9,
          projectedCost: 17.56,
          monthlySavings: 26.34,
          currency: 'USD',
          confidence: 0.6,
          risk: 'low',
          status: 'open',
          details: {
            evidence: 'kind: met (Deployment); replicated: met (3 replicas)',
            criteria: [
              { name: 'replicated', met: true, detail: '3 replicas' },
              {
                name: 'disruption_budget',
                met: true,
                detail: "PodDisruptionBudget 'web' allows 1",
              },
            ],
          },
          appliedAt: null,
          createdAt: '2026-11-29T00:00:00Z',
          realizedSavings: null,
        },
      ],
      total: 1,
      totalMonthlySavings: 26.34,
    });
    routes['costOptimizer.applyRecommendation'] = (input) => ({
      recommendation: {},
      dryRun: (input as { dryRun: boolean }).dryRun,
      change: {
        format: 'kubernetes-strategic-merge-patch',
        command:
          "kubectl patch deployment 'web' -n 'shop' --type strategic --patch-file spot-patch.yaml",
        yaml: 'spec:\n  template:\n    spec:\n      nodeSelector:\n        cloud.google.com/gke-spot: "true"\n',
        note: 'Save the YAML as spot-patch.yaml.',
      },
    });
    renderWith('operator', '/cost?recType=spot_instance');
    expect(await screen.findByText('Run shop/Deployment/web on spot capacity')).toBeTruthy();
    expect(trpc.callsTo('costOptimizer.getRecommendations')[0]?.input).toMatchObject({
      type: 'spot_instance',
    });
    const criteria = screen.getByRole('list', { name: 'Criteria' });
    expect(within(criteria).getByText('✓ replicated: met')).toBeTruthy();
    expect(within(criteria).getByText('✓ disruption budget: met')).toBeTruthy();
    expect(
      within(screen.getByRole('region', { name: 'Recommendations' })).getByText('26.34 USD'),
    ).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Show change' }));
    const yaml = await screen.findByLabelText('Patch YAML');
    expect(yaml.textContent).toContain('cloud.google.com/gke-spot: "true"');
    expect(screen.getByText(/kubectl patch deployment 'web'/)).toBeTruthy();
    expect(trpc.callsTo('costOptimizer.applyRecommendation')[0]?.input).toEqual({
      id: 11,
      dryRun: true,
    });
  });

  it('shows a proposal awaiting approval and lets an operator approve it', async () => {
    installRoutes();
    const list = routes['costOptimizer.getRecommendations']!;
    routes['costOptimizer.getRecommendations'] = async (input) => {
      const page = structuredClone(await list(input)) as {
        items: { details: Record<string, unknown> }[];
      };
      page.items[0]!.details.proposal = {
        by: 'assistant for ann',
        reason: 'idle for 20 days',
        at: '2026-11-29T00:00:00Z',
        status: 'pending',
      };
      return page;
    };
    routes['costOptimizer.decideProposal'] = () => ({ recommendation: {}, change: null });
    renderWith('operator');
    const group = await screen.findByRole('group', { name: 'Proposal for recommendation 7' });
    expect(group.textContent).toContain('proposed by assistant for ann (idle for 20 days)');
    fireEvent.click(within(group).getByRole('button', { name: 'Approve and apply' }));
    await waitFor(() =>
      expect(trpc.callsTo('costOptimizer.decideProposal')[0]?.input).toEqual({
        id: 7,
        decision: 'approve',
      }),
    );
  });

  it('shows the real-time estimate, cost anomalies and realized savings', async () => {
    installRoutes();
    renderWith('viewer');
    expect(await screen.findByText('host 127.0.0.1:9100')).toBeTruthy();
    expect(screen.getByText(/Hosts 87.60 USD \/ month/)).toBeTruthy();
    expect(await screen.findByText('service Amazon RDS')).toBeTruthy();
    expect(screen.getByText(/big-rds 360/)).toBeTruthy();
    expect(await screen.findByText('Right-size i-big')).toBeTruthy();
    expect(screen.getByText('547 USD')).toBeTruthy();
    expect(screen.getByText(/24.00 USD → 6.00 USD/)).toBeTruthy();
  });

  it('says what is missing when Prometheus is not configured', async () => {
    installRoutes();
    delete routes['costOptimizer.getEstimate'];
    renderWith('viewer');
    await screen.findByText('service Amazon RDS');
    expect(await screen.findByText(/no costOptimizer.getEstimate/)).toBeTruthy();
  });

  it('hides operator controls from a viewer and explains how to import when empty', async () => {
    installRoutes();
    routes['costOptimizer.forecast'] = () => ({ ...forecast, history: [], daily: [] });
    renderWith('viewer');
    expect(await screen.findByText('No billing data yet')).toBeTruthy();
    await screen.findByText('Idle: Elastic Load Balancing lb');
    expect(screen.queryByRole('button', { name: 'Show change' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Save budget' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Refresh recommendations' })).toBeNull();
  });

  it('formats money by magnitude', () => {
    expect(money(1234.5, 'USD')).toBe('1235 USD');
    expect(money(3.14159)).toBe('3.14');
    expect(money(0.000123)).toBe('0.0001');
  });

  it('reads the dimension and the recommendation filters from the address and pages', async () => {
    installRoutes();
    const base = routes['costOptimizer.getRecommendations']!;
    routes['costOptimizer.getRecommendations'] = (input) => ({
      ...(base(input) as object),
      total: 45,
    });
    const r = renderWith('viewer', '/cost?groupBy=region&recStatus=applied&recType=rightsizing');
    expect(await screen.findByText('us-east-1')).toBeTruthy();
    expect(trpc.callsTo('costOptimizer.getCosts')[0]?.input).toMatchObject({ groupBy: 'region' });
    const recPages = () => screen.findByRole('navigation', { name: 'Recommendations pages' });
    expect(await within(await recPages()).findByText('1–20 of 45')).toBeTruthy();
    expect(trpc.callsTo('costOptimizer.getRecommendations')[0]?.input).toEqual({
      status: 'applied',
      type: 'rightsizing',
      limit: 20,
      offset: 0,
    });
    fireEvent.click(within(await recPages()).getByRole('button', { name: 'Next' }));
    await within(await recPages()).findByText('21–40 of 45');
    expect(r.location()).toBe(
      '/cost?groupBy=region&recStatus=applied&recType=rightsizing&recOffset=20',
    );
    fireEvent.change(screen.getByLabelText('Type'), { target: { value: '' } });
    await within(await recPages()).findByText('1–20 of 45');
    expect(r.location()).toBe('/cost?groupBy=region&recStatus=applied');
  });

  it('pages cost anomalies client-side (listAnomalies has no offset) with the page in the address', async () => {
    installRoutes();
    const one = (routes['costOptimizer.listAnomalies']!({}) as { items: object[] }).items[0]!;
    routes['costOptimizer.listAnomalies'] = () => ({
      items: Array.from({ length: 25 }, (_, i) => ({
        ...one,
        id: i + 1,
        key: `svc-${i + 1}`,
      })),
    });
    const r = renderWith('viewer', '/cost?anomaliesOffset=10');
    const pages = await screen.findByRole('navigation', { name: 'Cost anomalies pages' });
    expect(within(pages).getByText('11–20 of 25')).toBeTruthy();
    expect(await screen.findByText('service svc-11')).toBeTruthy();
    expect(screen.queryByText('service svc-1')).toBeNull();
    expect(trpc.callsTo('costOptimizer.listAnomalies')[0]?.input).toEqual({ limit: 500 });
    fireEvent.click(within(pages).getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('service svc-21')).toBeTruthy();
    expect(r.location()).toBe('/cost?anomaliesOffset=20');
  });

  it('falls back to service for an unknown dimension in the address', async () => {
    installRoutes();
    renderWith('viewer', '/cost?groupBy=bogus');
    expect(await screen.findByText('Amazon EC2')).toBeTruthy();
    expect(trpc.callsTo('costOptimizer.getCosts')[0]?.input).toMatchObject({ groupBy: 'service' });
  });
});
