// The CI/CD page against a mocked tRPC server: pipelines with status and success rate, a run
// with its steps, Gantt bars, prediction reasons and a log that follows "cicd.log" events;
// role-aware trigger and cancel; empty and error states; canary judgement input.
import { beforeEach, describe, expect, it } from 'vitest';
import { act, configure, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { stubTrpc, trpcError } from '../../testing/stub-trpc';
import { dispatchEvent } from '../../api/events';
import type { User } from '../../lib/session';
import { renderWithSession } from '../../testing/render';
import { CicdPage, formatDurationMs, parseSamples } from './cicd-page';

// The page issues several batched queries; a loaded CI machine needs more than 1 s for them.
configure({ asyncUtilTimeout: 8000 });

const pipeline = {
  id: 3,
  name: 'calc',
  repository: '/srv/repos/calc',
  branch: 'main',
  provider: 'local',
  generated: true,
  status: 'active',
  definition: { name: 'calc', branches: ['main'], jobs: [] },
  lastRunStatus: 'failed',
  lastRunAt: '2026-11-28T10:00:00.000Z',
  successRate: 0.75,
  avgDurationSeconds: 12.5,
  createdAt: '2026-11-28T09:00:00.000Z',
};

function run(id: number, status: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    pipelineId: 3,
    runNumber: id,
    status,
    triggerType: 'api',
    commitSha: 'abcdef0123456789abcdef0123456789abcdef01',
    branch: 'main',
    triggeredBy: 'alice',
    steps: [
      {
        job: 'build',
        step: 'npm ci',
        status: 'succeeded',
        exitCode: 0,
        startedOffsetMs: 40,
        durationMs: 900,
        error: '',
      },
      {
        job: 'build',
        step: 'npm test',
        status: 'failed',
        exitCode: 1,
        startedOffsetMs: 950,
        durationMs: 1500,
        error: '',
      },
    ],
    failureReason: status === 'failed' ? 'build/npm test: exit 1' : null,
    durationMs: status === 'running' ? null : 2500,
    startedAt: '2026-11-28T10:00:00.000Z',
    finishedAt: null,
    createdAt: '2026-11-28T10:00:00.000Z',
    log: '=== build / npm test\nnot ok 1 - adds\n',
    prediction: {
      probability: 0.62,
      reasons: [{ feature: 'file_failure_rate', contribution: 1.2 }],
      trainedOn: 14,
      note: 'logistic regression over 14 earlier runs of this pipeline (4 failed)',
    },
    change: {
      filesTouched: 2,
      linesChanged: 7,
      author: 'ann@example.com',
      dependencyChange: false,
    },
    ...extra,
  };
}

let calls: { path: string; input: unknown }[];
let pipelines: (typeof pipeline)[];
let current: ReturnType<typeof run>;
let failRuns: boolean;

function answer(path: string): unknown {
  const page = (items: unknown[]) => ({ items, total: items.length, limit: 20, offset: 0 });
  switch (path) {
    case 'cicdOrchestrator.listPipelines':
      return page(pipelines);
    case 'cicdOrchestrator.listRuns':
      return page([
        current,
        run(1, 'succeeded', { durationMs: 2000 }),
        run(0, 'succeeded', { durationMs: 1800 }),
      ]);
    case 'cicdOrchestrator.getRun':
      return current;
    case 'cicdOrchestrator.testHealth':
      return {
        items: [
          {
            suite: 'calc',
            name: 'adds',
            totalRuns: 4,
            failures: 1,
            flakyScore: 0.5,
            isFlaky: true,
            avgDurationMs: 12,
            lastStatus: 'passed',
          },
          {
            suite: 'calc',
            name: 'slow one',
            totalRuns: 4,
            failures: 0,
            flakyScore: 0,
            isFlaky: false,
            avgDurationMs: 4200,
            lastStatus: 'passed',
          },
        ],
      };
    case 'cicdOrchestrator.getOptimizations':
      return {
        items: [
          {
            pipelineId: 3,
            type: 'caching',
            title: 'Cache node_modules',
            description: 'npm ci takes 0.9 s',
            estimatedSecondsSaved: 0.8,
            confidence: 0.7,
          },
        ],
      };
    case 'cicdOrchestrator.triggerRun':
      return run(9, 'queued');
    case 'cicdOrchestrator.cancelRun':
      return current;
    case 'cicdOrchestrator.judgeCanary':
      return {
        score: 0,
        decision: 'fail',
        rollback: true,
        summary: '1 of 1 metrics failed',
        metrics: [
          {
            name: 'latency',
            classification: 'high',
            failed: true,
            pValue: 0.0001,
            baselineMedian: 100,
            canaryMedian: 150,
            relativeShift: 0.5,
          },
        ],
      };
    case 'cicdOrchestrator.selectTests':
      return {
        source: 'run',
        changedFiles: ['src/add.js'],
        historyRuns: 0,
        budgetMs: null,
        totalMs: 0,
        selectedMs: 0,
        selectedCount: 0,
        testCount: 0,
        items: [],
        note: 'no test history for this pipeline yet',
      };
    default:
      throw new Error(`unexpected ${path}`);
  }
}

beforeEach(() => {
  pipelines = [pipeline];
  current = run(2, 'failed');
  failRuns = false;
  // Every procedure is answered by answer(); listRuns fails on demand (failRuns).
  const trpc = stubTrpc(
    new Proxy(
      {},
      {
        get: (_routes, path) => () => {
          if (failRuns && path === 'cicdOrchestrator.listRuns') {
            throw trpcError('INTERNAL_SERVER_ERROR', 'database is locked');
          }
          return answer(String(path));
        },
      },
    ),
  );
  calls = trpc.calls;
});

function renderAs(role: User['role'], route = '/cicd') {
  return renderWithSession(<CicdPage />, { role, route });
}

const section = async (name: string | RegExp) =>
  (await screen.findByRole('heading', { name }, { timeout: 5000 })).closest(
    'section',
  ) as HTMLElement;

describe('CicdPage', { timeout: 20_000 }, () => {
  it('shows pipelines, the newest run with steps, Gantt, prediction and log', async () => {
    renderAs('viewer');
    const list = await section('Pipelines');
    expect(await within(list).findByText('calc')).toBeTruthy();
    expect(within(list).getByText('75%')).toBeTruthy();
    expect(within(list).getByText('12.5 s')).toBeTruthy();
    const runView = await section('Run #2');
    expect(await within(runView).findByText('build/npm test: exit 1')).toBeTruthy();
    expect(within(runView).getAllByTestId('gantt-bar')).toHaveLength(2);
    expect(within(runView).getByText('62%')).toBeTruthy();
    expect(within(runView).getByText(/file failure rate \(\+1\.2\)/)).toBeTruthy();
    expect(within(runView).getByTestId('run-log').textContent).toMatch(/not ok 1 - adds/);
    const tests = await section('Test health');
    expect(await within(tests).findByText('calc :: slow one')).toBeTruthy();
    expect(within(tests).getByText('4.2 s')).toBeTruthy();
    expect(await screen.findByText('Cache node_modules')).toBeTruthy();
    // A viewer may not trigger, cancel or judge.
    expect(screen.queryByRole('button', { name: 'Trigger run' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Judge' })).toBeNull();
  });

  it('follows the live log of the shown run only, and says when there is no prediction', async () => {
    current = run(2, 'running', {
      log: 'start\n',
      prediction: {
        probability: null,
        reasons: [],
        trainedOn: 1,
        note: 'not enough history to predict: 1 earlier finished runs (0 failed)',
      },
    });
    renderAs('operator');
    const runView = await section('Run #2');
    expect(await within(runView).findByText(/not enough history to predict/)).toBeTruthy();
    await waitFor(() => expect(within(runView).getByTestId('run-log').textContent).toBe('start\n'));
    act(() => {
      dispatchEvent('cicd.log', JSON.stringify({ runId: 2, text: 'step two\n', dropped: 0 }));
      dispatchEvent('cicd.log', JSON.stringify({ runId: 7, text: 'other run\n', dropped: 0 }));
    });
    expect(within(runView).getByTestId('run-log').textContent).toBe('start\nstep two\n');
    fireEvent.click(within(runView).getByRole('button', { name: 'Cancel run' }));
    await waitFor(() =>
      expect(calls.some((c) => c.path === 'cicdOrchestrator.cancelRun')).toBe(true),
    );
    expect(calls.find((c) => c.path === 'cicdOrchestrator.cancelRun')?.input).toEqual({ id: 2 });
  });

  it('lets an operator trigger a run and judge a canary from samples', async () => {
    renderAs('operator');
    fireEvent.click(await screen.findByRole('button', { name: 'Trigger run' }));
    await waitFor(() =>
      expect(calls.some((c) => c.path === 'cicdOrchestrator.triggerRun')).toBe(true),
    );
    expect(calls.find((c) => c.path === 'cicdOrchestrator.triggerRun')?.input).toEqual({
      pipelineId: 3,
    });
    const canary = await section('Canary verdict');
    fireEvent.change(within(canary).getByLabelText(/Baseline/), {
      target: { value: '100, 101 99' },
    });
    fireEvent.change(within(canary).getByLabelText(/Canary \(/), {
      target: { value: '150 151 149' },
    });
    fireEvent.click(within(canary).getByRole('button', { name: 'Judge' }));
    expect(await within(canary).findByText('fail')).toBeTruthy();
    expect(calls.find((c) => c.path === 'cicdOrchestrator.judgeCanary')?.input).toEqual({
      metrics: [{ name: 'latency', baseline: [100, 101, 99], canary: [150, 151, 149] }],
    });
  });

  it('shows the empty state without pipelines', async () => {
    pipelines = [];
    renderAs('viewer');
    expect(await screen.findByText('No pipelines yet')).toBeTruthy();
  });

  it('shows an error naming the failure when runs cannot load', async () => {
    failRuns = true;
    renderAs('viewer');
    expect(await screen.findAllByText(/database is locked/)).not.toHaveLength(0);
  });
});

describe('helpers', () => {
  it('formats durations and parses samples', () => {
    expect(formatDurationMs(850)).toBe('850 ms');
    expect(formatDurationMs(12_340)).toBe('12.3 s');
    expect(formatDurationMs(245_000)).toBe('4 min 5 s');
    expect(formatDurationMs(null)).toBe('—');
    expect(parseSamples('1, 2.5 3')).toEqual([1, 2.5, 3]);
    expect(parseSamples('rate(http_requests_total[5m])')).toBeNull();
    expect(parseSamples('  ')).toBeNull();
  });
  it('keeps the chosen pipeline and run in the address; another pipeline resets the run', async () => {
    pipelines = [pipeline, { ...pipeline, id: 4, name: 'web' }];
    const r = renderAs('viewer', '/cicd?pipeline=3&run=1&runsOffset=20');
    await waitFor(() =>
      expect(
        calls.some(
          (c) => c.path === 'cicdOrchestrator.getRun' && (c.input as { id: number }).id === 1,
        ),
      ).toBe(true),
    );
    expect(
      calls.find(
        (c) => c.path === 'cicdOrchestrator.listRuns' && (c.input as { limit: number }).limit > 1,
      )?.input,
    ).toMatchObject({ pipelineId: 3, offset: 20 });
    const list = await section('Pipelines');
    fireEvent.click(await within(list).findByRole('button', { name: 'web' }));
    await waitFor(() => expect(r.location()).toBe('/cicd?pipeline=4'));
  });
});
