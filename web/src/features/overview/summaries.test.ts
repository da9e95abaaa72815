import { describe, expect, it } from 'vitest';
import {
  latestReportPerFramework,
  latestScanPerTarget,
  mainBudget,
  runSuccessRate,
} from './summaries';

const scan = (id: number, target: string, completedAt: string, status = 'completed') =>
  ({
    id,
    target,
    scanType: 'image',
    status,
    completedAt,
    createdAt: completedAt,
    criticalCount: id,
    highCount: 0,
  }) as never;

describe('overview summaries', () => {
  it('keeps the newest completed scan of each target', () => {
    const got = latestScanPerTarget([
      scan(1, 'a', '2026-11-01T00:00:00Z'),
      scan(2, 'a', '2026-11-02T00:00:00Z'),
      scan(3, 'b', '2026-11-01T00:00:00Z'),
      scan(4, 'b', '2026-11-03T00:00:00Z', 'failed'),
    ]);
    expect(got.map((s: { id: number }) => s.id).sort()).toEqual([2, 3]);
  });

  it('keeps the newest report per framework, ties broken by id', () => {
    const r = (id: number, framework: string, generatedAt: string) =>
      ({ id, framework, generatedAt, score: id }) as never;
    const got = latestReportPerFramework([
      r(1, 'soc2', '2026-11-01T00:00:00Z'),
      r(2, 'soc2', '2026-11-01T00:00:00Z'),
      r(3, 'hipaa', '2026-10-01T00:00:00Z'),
    ]);
    expect(got.map((x: { id: number }) => x.id)).toEqual([3, 2]);
  });

  it('computes the run success rate over finished runs only', () => {
    const runs = ['succeeded', 'failed', 'cancelled', 'running', 'succeeded'].map(
      (status) => ({ status }) as never,
    );
    expect(runSuccessRate(runs)).toEqual({ rate: 2 / 3, finished: 3 });
    expect(runSuccessRate([])).toEqual({ rate: null, finished: 0 });
  });

  it('prefers the monthly budget over everything', () => {
    const b = (id: number, period: string, scope: string) => ({ id, period, scope }) as never;
    expect(
      (
        mainBudget([
          b(1, 'quarterly', 'all'),
          b(2, 'monthly', 'service=S3'),
          b(3, 'monthly', 'all'),
        ]) as { id: number }
      ).id,
    ).toBe(3);
    expect(
      (mainBudget([b(1, 'quarterly', 'all'), b(2, 'monthly', 'service=S3')]) as { id: number }).id,
    ).toBe(2);
    expect(mainBudget([b(1, 'yearly', 'all')])).toBeUndefined();
  });
});
