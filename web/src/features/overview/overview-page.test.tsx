// The Overview tiles against a stubbed tRPC server: real figures from each module's
// procedures with links into its page, designed empty states on a fresh server, and an error
// in one tile that leaves the others working.
import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import { page, stubTrpc, trpcError, type Routes } from '../../testing/stub-trpc';
import { renderWithSession } from '../../testing/render';
import { OverviewPage } from './overview-page';

const now = Date.now();
const ago = (mins: number) => new Date(now - mins * 60_000).toISOString();

function action(id: number, status: string, mins: number) {
  return {
    id,
    ruleId: 1,
    ruleName: 'restart-api',
    incidentId: null,
    actionType: 'restart_process',
    target: 'api',
    status,
    verdict: 'execute',
    reason: '',
    dryRun: false,
    signature: 's',
    fingerprint: 'f',
    signal: {},
    result: null,
    error: null,
    attempt: 1,
    decidedBy: 'rule:restart-api',
    approvedBy: null,
    approvalNote: '',
    confidence: 0,
    createdAt: ago(mins),
    startedAt: null,
    completedAt: null,
    verifiedAt: null,
    durationMs: null,
    recoverySeconds: null,
  };
}

function scan(id: number, target: string, critical: number, high: number, mins: number) {
  return {
    id,
    scanType: 'dependencies',
    target,
    status: 'completed',
    criticalCount: critical,
    highCount: high,
    mediumCount: 0,
    lowCount: 0,
    error: null,
    triggeredBy: 'admin',
    createdAt: ago(mins),
    startedAt: ago(mins),
    completedAt: ago(mins),
  };
}

function report(id: number, framework: string, score: number, mins: number) {
  return {
    id,
    framework,
    score,
    status: 'completed',
    passedControls: Math.round(score / 10),
    failedControls: 10 - Math.round(score / 10),
    totalControls: 10,
    generatedAt: ago(mins),
  };
}

const forecast = {
  horizon: 'month',
  scope: 'all',
  currency: 'USD',
  periodStart: '2026-11-01',
  periodEnd: '2026-12-01',
  asOf: '2026-11-21',
  actualToDate: 2120,
  history: [{ day: '2026-11-01', cost: 100 }],
  daily: [],
  model: 'damped_trend',
  projected: { mean: 3050, lo80: 2900, hi80: 3210, lo95: 2800, hi95: 3300 },
  backtestMape: 0.1,
  seasonalNaiveMape: 0.2,
  backtestPoints: 7,
};

const budget = {
  id: 1,
  name: 'platform',
  scope: 'all',
  period: 'monthly',
  amount: 3000,
  currency: 'USD',
  thresholds: [50, 80, 100],
  actual: 2120,
  actualPercent: 70.7,
  forecast: 3050,
  forecastHigh: 3210,
  forecastPercent: 101.7,
  burnRate: 101,
  status: 'warning',
  crossings: [],
  periodStart: '2026-11-01',
  periodEnd: '2026-12-01',
  asOf: '2026-11-21',
  projectedExhaustion: null,
};

function pipeline(id: number, name: string, lastRunStatus: string | null) {
  return {
    id,
    name,
    repository: '/srv/repo',
    branch: 'main',
    provider: 'local',
    status: 'active',
    generated: false,
    definition: { name, branches: [], jobs: [] },
    avgDurationSeconds: 30,
    successRate: 0.5,
    lastRunAt: lastRunStatus ? ago(5 * id) : null,
    lastRunStatus,
    createdAt: ago(600),
  };
}

function run(id: number, status: string) {
  return {
    id,
    pipelineId: 1,
    runNumber: id,
    status,
    branch: 'main',
    commitSha: null,
    triggerType: 'manual',
    triggeredBy: 'admin',
    failureReason: null,
    createdAt: ago(id),
    startedAt: ago(id),
    finishedAt: ago(id),
    durationMs: 1000,
    steps: [],
  };
}

const systemInfo = {
  version: '0.1.0',
  store: 'sqlite',
  schemaVersion: 12,
  startedAt: ago(60),
  integrations: {
    prometheus: { configured: true, url: 'http://127.0.0.1:9090' },
    alertmanager: { configured: false, url: null },
    kubernetes: { configured: false, url: null },
    llm: { configured: false, url: null },
  },
};

function fullRoutes(): Routes {
  return {
    'incidentCommander.list': () => page([]),
    'selfHealing.getHistory': () =>
      page(
        [
          action(5, 'succeeded', 10),
          action(4, 'failed', 20),
          action(3, 'succeeded', 30),
          action(2, 'awaiting_approval', 40),
          action(1, 'skipped', 50),
        ],
        5,
      ),
    'securityGuardian.getScans': () =>
      page([
        scan(3, 'app:2', 1, 4, 5),
        scan(2, 'api', 2, 3, 10),
        // An older scan of app:2 is superseded by scan 3.
        scan(1, 'app:2', 9, 9, 60),
      ]),
    'securityGuardian.getComplianceReports': () =>
      page([
        report(3, 'soc2', 80, 5),
        report(2, 'cis_kubernetes', 62.5, 10),
        report(1, 'soc2', 40, 90),
      ]),
    'costOptimizer.forecast': () => forecast,
    'costOptimizer.listBudgets': () => ({ items: [budget] }),
    'cicdOrchestrator.listPipelines': () =>
      page([pipeline(1, 'build-api', 'failed'), pipeline(2, 'build-web', 'succeeded')]),
    'cicdOrchestrator.listRuns': () =>
      page([run(1, 'succeeded'), run(2, 'succeeded'), run(3, 'failed'), run(4, 'running')]),
    'cicdOrchestrator.testHealth': (input) =>
      (input as { pipelineId: number }).pipelineId === 1
        ? {
            items: [
              {
                suite: 'api',
                name: 'test_checkout_retry',
                totalRuns: 10,
                failures: 3,
                flakyScore: 0.6,
                isFlaky: true,
                avgDurationMs: 20,
                lastStatus: 'passed',
              },
              {
                suite: 'api',
                name: 'test_ok',
                totalRuns: 10,
                failures: 0,
                flakyScore: 0,
                isFlaky: false,
                avgDurationMs: 20,
                lastStatus: 'passed',
              },
            ],
          }
        : { items: [] },
    'system.info': () => systemInfo,
  };
}

const tile = (id: string) => screen.getByTestId(id);

describe('OverviewPage', () => {
  it('shows real figures in every tile, linking to the module pages', async () => {
    const trpc = stubTrpc(fullRoutes());
    const { container } = renderWithSession(<OverviewPage />);

    const healing = await screen.findByTestId('tile-healing');
    await within(healing).findByText('awaiting approval');
    const succeeded = within(healing).getByRole('link', { name: /^2\s*succeeded$/ });
    expect(succeeded.getAttribute('href')).toBe('/self-healing?status=succeeded');
    expect(within(healing).getByRole('link', { name: /^1\s*failed$/ })).toBeTruthy();
    // The last 24 hours are asked of the server.
    const since = (trpc.callsTo('selfHealing.getHistory')[0]?.input as { since: string }).since;
    expect(Math.abs(Date.parse(since) - (now - 24 * 3600_000))).toBeLessThan(120_000);

    const security = tile('tile-security');
    // Latest scan per target: 1 + 2 critical, 4 + 3 high (the older app:2 scan is ignored).
    const crit = await within(security).findByRole('link', { name: /^3\s*critical$/ });
    expect(crit.getAttribute('href')).toBe('/security?severity=critical');
    expect(within(security).getByRole('link', { name: /^7\s*high$/ })).toBeTruthy();
    expect(within(security).getByText(/each of 2 targets/)).toBeTruthy();
    // Compliance: the newest report per framework.
    expect(await within(security).findByText('SOC 2')).toBeTruthy();
    expect(within(security).getByText('80%')).toBeTruthy();
    expect(within(security).queryByText('40%')).toBeNull();
    expect(within(security).getByText('62.5%')).toBeTruthy();

    const cost = tile('tile-cost');
    expect(await within(cost).findByText('$2,120.00')).toBeTruthy();
    expect(within(cost).getByText('$3,050.00')).toBeTruthy();
    expect(within(cost).getByText(/80% interval \$2,900\.00–\$3,210\.00/)).toBeTruthy();
    expect(await within(cost).findByText('platform')).toBeTruthy();
    expect(within(cost).getByRole('meter', { name: 'Budget platform used' })).toBeTruthy();
    expect(within(cost).getByText('warning')).toBeTruthy();

    const pipelines = tile('tile-pipelines');
    // 2 succeeded of 3 finished runs (the running one does not count).
    expect(await within(pipelines).findByText('66.7%')).toBeTruthy();
    expect(within(pipelines).getByText('success, last 3 runs')).toBeTruthy();
    expect(within(pipelines).getByRole('link', { name: 'build-api' })).toBeTruthy();
    expect(await within(pipelines).findByText(/test_checkout_retry/)).toBeTruthy();
    await waitFor(() =>
      expect(within(pipelines).getByText('flaky tests').previousSibling?.textContent).toBe('1'),
    );

    // Every tile links to its page, and no raw JSON is shown anywhere.
    for (const [name, href] of [
      ['Open Healing, last 24 h', '/self-healing'],
      ['Open Security posture', '/security'],
      ['Open Cost, month to date', '/cost'],
      ['Open Pipeline health', '/cicd'],
      ['Open Open incidents', '/incidents'],
    ]) {
      expect(screen.getByRole('link', { name }).getAttribute('href')).toBe(href);
    }
    expect(container.querySelector('pre')).toBeNull();
  }, 30_000);

  it('shows designed empty states on a fresh server', async () => {
    stubTrpc({
      ...fullRoutes(),
      'selfHealing.getHistory': () => page([]),
      'securityGuardian.getScans': () => page([]),
      'securityGuardian.getComplianceReports': () => page([]),
      'costOptimizer.forecast': () => ({ ...forecast, actualToDate: 0, history: [] }),
      'costOptimizer.listBudgets': () => ({ items: [] }),
      'cicdOrchestrator.listPipelines': () => page([]),
      'cicdOrchestrator.listRuns': () => page([]),
    });
    renderWithSession(<OverviewPage />);
    expect(await screen.findByText('No open incidents')).toBeTruthy();
    expect(await screen.findByText('No healing decisions in the last 24 hours')).toBeTruthy();
    expect(await screen.findByText('No completed scans yet')).toBeTruthy();
    expect(await screen.findByText('No compliance reports yet')).toBeTruthy();
    expect(await screen.findByText('No cost data imported')).toBeTruthy();
    expect(await screen.findByText('No pipelines yet')).toBeTruthy();
  });

  it('keeps the other tiles working when one procedure fails', async () => {
    const trpc = stubTrpc({
      ...fullRoutes(),
      'costOptimizer.forecast': () => {
        throw trpcError('INTERNAL_SERVER_ERROR', 'database is locked');
      },
      'securityGuardian.getComplianceReports': () => {
        throw trpcError('NOT_IMPLEMENTED', 'not built');
      },
      'costOptimizer.listBudgets': () => ({ items: [] }),
    });
    renderWithSession(<OverviewPage />);
    const cost = await screen.findByTestId('tile-cost');
    const alert = await within(cost).findByRole('alert');
    expect(alert.textContent).toMatch(/database is locked/);
    expect(within(cost).getByRole('button', { name: 'Retry' })).toBeTruthy();
    const security = tile('tile-security');
    expect(await within(security).findByTestId('not-built')).toBeTruthy();
    expect(await within(security).findByRole('link', { name: /^3\s*critical$/ })).toBeTruthy();
    expect(await within(tile('tile-healing')).findByText('awaiting approval')).toBeTruthy();
    expect(trpc.callsTo('costOptimizer.forecast')[0]?.input).toEqual({ horizon: 'month' });
  });
});
