// Pure summaries behind the Overview tiles (tested in summaries.test.ts).
import type { ProcedureOutput } from '../../api/generated';

type Action = ProcedureOutput<'selfHealing.getHistory'>['items'][number];
type Scan = ProcedureOutput<'securityGuardian.getScans'>['items'][number];
type Report = ProcedureOutput<'securityGuardian.getComplianceReports'>['items'][number];
type Run = ProcedureOutput<'cicdOrchestrator.listRuns'>['items'][number];
type Budget = ProcedureOutput<'costOptimizer.listBudgets'>['items'][number];

/** Healing outcomes shown on the tile, in this order; everything else counts as "other". */
export const kOutcomes = [
  'succeeded',
  'failed',
  'escalated',
  'awaiting_approval',
  'skipped',
  'dry_run',
] as const;
export type Outcome = (typeof kOutcomes)[number] | 'other';

export function countOutcomes(actions: Action[]): Record<Outcome, number> {
  const out = Object.fromEntries([...kOutcomes, 'other'].map((k) => [k, 0])) as Record<
    Outcome,
    number
  >;
  for (const a of actions) {
    const k = (kOutcomes as readonly string[]).includes(a.status) ? (a.status as Outcome) : 'other';
    out[k] += 1;
  }
  return out;
}

/** The newest completed scan of each target (scans arrive newest first, but do not rely on it). */
export function latestScanPerTarget(scans: Scan[]): Scan[] {
  const best = new Map<string, Scan>();
  for (const s of scans) {
    if (s.status !== 'completed') continue;
    const key = `${s.scanType}\u0000${s.target}`;
    const cur = best.get(key);
    const t = (x: Scan) => Date.parse(x.completedAt ?? x.createdAt ?? '') || 0;
    if (!cur || t(s) > t(cur) || (t(s) === t(cur) && s.id > cur.id)) best.set(key, s);
  }
  return [...best.values()];
}

export function findingTotals(scans: Scan[]): { critical: number; high: number } {
  return scans.reduce(
    (acc, s) => ({ critical: acc.critical + s.criticalCount, high: acc.high + s.highCount }),
    { critical: 0, high: 0 },
  );
}

/** The newest report of each framework, sorted by framework name. */
export function latestReportPerFramework(reports: Report[]): Report[] {
  const best = new Map<string, Report>();
  for (const r of reports) {
    const cur = best.get(r.framework);
    const t = (x: Report) => Date.parse(x.generatedAt) || 0;
    if (!cur || t(r) > t(cur) || (t(r) === t(cur) && r.id > cur.id)) best.set(r.framework, r);
  }
  return [...best.values()].sort((a, b) => a.framework.localeCompare(b.framework));
}

/** Success rate of finished runs (succeeded / (succeeded + failed)); null when none finished. */
export function runSuccessRate(runs: Run[]): { rate: number | null; finished: number } {
  let ok = 0;
  let failed = 0;
  for (const r of runs) {
    if (r.status === 'succeeded') ok += 1;
    else if (r.status === 'failed') failed += 1;
  }
  const finished = ok + failed;
  return { rate: finished === 0 ? null : ok / finished, finished };
}

/** The budget the cost tile compares with: a monthly budget over everything, else the first monthly one. */
export function mainBudget(budgets: Budget[]): Budget | undefined {
  const monthly = budgets.filter((b) => b.period === 'monthly');
  return monthly.find((b) => b.scope === 'all') ?? monthly[0];
}
