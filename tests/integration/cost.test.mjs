// Cost Optimizer through the real @trpc/client against the real binary: the CLI imports the
// FOCUS sample (and refuses a bad file with an error naming the line), then getCosts,
// forecast, setbudget/listBudgets, importCsv (duplicate detection, bad input), recommendations
// and applyRecommendation answer over tRPC; a viewer cannot set a budget.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { Server, runCli, repoRoot } from './harness.mjs';

const sample = join(repoRoot, '..', 'shared', 'data', 'cost', 'focus', 'focus_sample_1.0.csv');
let server;
let operator;
let viewer;

function client(token) {
  return createTRPCUntypedClient({
    links: [httpBatchLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

const header = 'BilledCost,EffectiveCost,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,' +
  'ChargePeriodEnd,ChargeCategory,ProviderName,BillingAccountId,ServiceName\n';

before(async () => {
  server = new Server();
  operator = null;
  await server.start();
  operator = server.createToken('operator', 'cost-operator');
  viewer = server.createToken('viewer', 'cost-viewer');
});

after(async () => {
  await server.stop();
  server.cleanup();
});

test('cost import CLI, then breakdown and forecast over tRPC', { skip: !existsSync(sample) && `shared data absent: ${sample}` }, async () => {
  const r = runCli(['cost', 'import', sample, ...server.storeArgs(), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.rows, 1000);
  assert.equal(out.duplicate, false);
  assert.deepEqual(out.periods.map((p) => p.start), ['2024-09-01', '2024-10-01']);

  const bad = join(server.dataDir, 'bad.csv');
  writeFileSync(bad, header + '1,1,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,S\nx,1,USD,2024-09-01,2024-10-01,2024-09-02,2024-09-02,Usage,AWS,1,S\n');
  const refused = runCli(['cost', 'import', bad, ...server.storeArgs()]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /line 3, column BilledCost: 'x' is not a number/);

  const c = client(viewer);
  const [costs, forecast] = await Promise.all([
    c.query('costOptimizer.getCosts', { start: '2024-09-01T00:00:00Z', end: '2024-10-01T00:00:00Z', groupBy: 'provider' }),
    c.query('costOptimizer.forecast', { horizon: 'month' }),
  ]);
  assert.deepEqual(costs.groups.map((g) => g.key).sort(), ['AWS', 'Microsoft', 'Oracle']);
  assert.equal(costs.days.length, 30);
  assert.ok(Math.abs(costs.groups.reduce((s, g) => s + g.series.reduce((a, b) => a + b, 0), 0) - costs.effectiveCost) < 1e-6);
  assert.equal(forecast.periodStart, '2024-09-01'); // the month of the last charge day
  assert.ok(forecast.projected.lo95 <= forecast.projected.mean && forecast.projected.mean <= forecast.projected.hi95);
});

test('budgets, small imports and recommendations over tRPC', async () => {
  const op = client(operator);
  const csv = header + '5,5,USD,2024-11-01,2024-12-01,2024-11-02,2024-11-03,Usage,AWS,9,EC2\n';
  const first = await op.mutation('costOptimizer.importCsv', { name: 'nov.csv', csv });
  assert.equal(first.rows, 1);
  const again = await op.mutation('costOptimizer.importCsv', { name: 'nov-again.csv', csv });
  assert.equal(again.duplicate, true);
  assert.equal(again.importId, first.importId);
  await assert.rejects(op.mutation('costOptimizer.importCsv', { name: 'x.csv', csv: 'a;b\n1;2\n' }), (err) => {
    assert.ok(err instanceof TRPCClientError);
    assert.equal(err.data?.code, 'BAD_REQUEST');
    assert.match(err.message, /not comma-separated/);
    return true;
  });

  const budget = await op.mutation('costOptimizer.setbudget', {
    name: 'aws', scope: 'provider=AWS', amount: 4, currency: 'USD', period: 'monthly', thresholds: [50, 100],
  });
  assert.equal(budget.status, 'exceeded');
  assert.equal(budget.actual, 5);
  const list = await client(viewer).query('costOptimizer.listBudgets');
  assert.equal(list.items.length, 1);
  await assert.rejects(client(viewer).mutation('costOptimizer.setbudget', {
    name: 'v', scope: 'all', amount: 1, currency: 'USD', period: 'monthly',
  }), (err) => err.data?.code === 'FORBIDDEN');
  await assert.rejects(op.mutation('costOptimizer.setbudget', {
    name: 'bad', scope: 'colour=red', amount: 1, currency: 'USD', period: 'monthly',
  }), (err) => /scope: unknown dimension 'colour'/.test(err.message));

  const refreshed = await op.mutation('costOptimizer.refreshRecommendations', {});
  assert.equal(typeof refreshed.created, 'number');
  const recs = await op.query('costOptimizer.getRecommendations', { status: 'open' });
  assert.equal(recs.items.length, recs.total);
  await assert.rejects(op.mutation('costOptimizer.applyRecommendation', { id: 999999 }), (err) => err.data?.code === 'NOT_FOUND');
  const imports = await op.query('costOptimizer.listImports', {});
  assert.ok(imports.items.some((i) => i.status === 'failed' && /not comma-separated/.test(i.error)));
});
