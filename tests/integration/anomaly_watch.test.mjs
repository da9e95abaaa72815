// Watched PromQL query → anomaly engine → incident, against Debian's real Prometheus. The
// series is backfilled with promtool (OpenMetrics → TSDB blocks) so the detector has hours of
// history at once: two services with a noisy steady level; one of them jumps in its last
// minutes. Evaluating the watch through the real @trpc/client opens an incident for that series
// only, with the score and the recent points as evidence; the same anomaly reaches the
// Self-Healing rules as an `anomaly` signal, and only the rule whose matchers select that series
// acts (a real http_request to a receiver on loopback).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, havePath, startBackfilledPrometheus, startReceiver, tempDir, waitFor } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});


test('an anomaly in a watched query becomes an incident with evidence', async (t) => {
  if (!havePath('prometheus') || !havePath('promtool')) {
    t.skip('prometheus/promtool are not installed (scripts/bootstrap)');
    return;
  }
  const dir = tempDir('watch');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  // 6 hours at 15 s: a deterministic pseudo-random level around 100 (+-3); checkout jumps to
  // 160 for the last 2 minutes, payments stays normal.
  const step = 15;
  const end = Math.floor(Date.now() / 1000) - 30;
  const start = end - 6 * 3600;
  let seed = 42;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648 - 0.5) * 6;
  };
  const lines = ['# HELP dai_watch_latency_ms a test gauge', '# TYPE dai_watch_latency_ms gauge'];
  for (let ts = start; ts <= end; ts += step) {
    const spike = ts > end - 120 ? 60 : 0;
    lines.push(`dai_watch_latency_ms{service="checkout"} ${(100 + noise() + spike).toFixed(3)} ${ts}`);
    lines.push(`dai_watch_latency_ms{service="payments"} ${(100 + noise()).toFixed(3)} ${ts}`);
  }
  // OpenMetrics wants each metric family's samples contiguous and ordered by time per series.
  const body = [lines[0], lines[1],
    ...lines.slice(2).filter((l) => l.includes('checkout')),
    ...lines.slice(2).filter((l) => l.includes('payments')), '# EOF', ''].join('\n');
  const prom = await startBackfilledPrometheus(dir, body);
  cleanups.push(prom.close);

  const server = await new Server({ extraArgs: ['--prometheus-url', prom.url] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const op = createTRPCUntypedClient({
    links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${server.createToken('operator', 'sre')}` } })],
  });

  const watch = await op.mutation('incidentCommander.createWatch', {
    name: 'latency', query: 'dai_watch_latency_ms', stepSeconds: step, windowSeconds: 6 * 3600, threshold: 0.8,
    severity: 'high', labels: { team: 'web' },
  });
  // Self-Healing: one rule per service on the anomaly signal; only checkout is anomalous.
  const receiver = await startReceiver();
  cleanups.push(receiver.close);
  const { received } = receiver;
  const hookUrl = receiver.url;
  const rules = {};
  for (const service of ['checkout', 'payments']) {
    rules[service] = await op.mutation('selfHealing.createRule', {
      name: `scale-${service}-on-anomaly`, conditionType: 'anomaly', conditionConfig: { matchers: [`service="${service}"`] },
      actionType: 'http_request', actionConfig: { url: `${hookUrl}/${service}`, target: service },
      requiresApproval: false, cooldownSeconds: 1,
    });
  }

  const result = await op.mutation('incidentCommander.evaluateWatch', { id: watch.id });
  const bySeries = Object.fromEntries(result.series.map((s) => [s.series, s]));
  const checkout = bySeries['dai_watch_latency_ms{service="checkout"}'];
  const payments = bySeries['dai_watch_latency_ms{service="payments"}'];
  assert.ok(checkout && payments, JSON.stringify(result));
  assert.ok(checkout.points > 1000, `the detector read the history (${checkout.points} points)`);
  assert.equal(checkout.firing, true, JSON.stringify(checkout));
  assert.equal(payments.firing, false, JSON.stringify(payments));
  assert.equal(result.signals, 1);

  const list = await op.query('incidentCommander.list', {});
  assert.equal(list.total, 1);
  const incident = await op.query('incidentCommander.get', { id: list.items[0].id });
  assert.equal(incident.source, 'anomaly');
  assert.equal(incident.severity, 'high');
  const alert = incident.alerts[0];
  assert.equal(alert.labels.service, 'checkout');
  assert.equal(alert.labels.team, 'web');
  assert.ok(Number(alert.annotations.score) >= 0.8, alert.annotations.score);
  const evidence = JSON.parse(alert.annotations.evidence);
  assert.ok(evidence.length >= 10 && evidence.some((p) => p.v > 150), 'the recent points are attached as evidence');

  // The anomaly signal reached the rules: checkout's rule acted once, payments' never.
  const acted = await waitFor('the anomaly rule to act', async () => {
    const h = await op.query('selfHealing.getHistory', { ruleId: rules.checkout.id });
    const a = h.items.find((x) => !['pending', 'approved', 'running'].includes(x.status));
    return a && received.length > 0 ? a : null;
  }, 30000);
  assert.ok(['verifying', 'succeeded'].includes(acted.status), JSON.stringify(acted));
  assert.equal(acted.target, 'checkout');
  assert.equal(acted.signal.kind, 'anomaly', JSON.stringify(acted.signal));
  assert.equal(acted.signal.labels.service, 'checkout');
  // The anomalous value travels with the signal (scale rules compute replicas from it).
  assert.ok(Number(acted.signal.labels.value) > 150, JSON.stringify(acted.signal.labels));
  assert.ok(Number(acted.signal.labels.anomaly_score) >= 0.8);
  assert.deepEqual(received.map((r) => r.url), ['/checkout']);
  const quiet = await op.query('selfHealing.getHistory', { ruleId: rules.payments.id });
  assert.equal(quiet.items.length, 0, JSON.stringify(quiet.items));

  const watches = await op.query('incidentCommander.listWatches', {});
  assert.equal(watches.items[0].lastError, null);
  assert.ok(watches.items[0].lastRunAt);
  // A query Prometheus rejects is recorded on the watch and answered with its message.
  const bad = await op.mutation('incidentCommander.createWatch', { name: 'bad', query: 'rate(' });
  const err = await op.mutation('incidentCommander.evaluateWatch', { id: bad.id }).catch((e) => e);
  assert.equal(err.data?.code, 'BAD_REQUEST');
  const after1 = await op.query('incidentCommander.listWatches', {});
  assert.match(after1.items.find((w) => w.name === 'bad').lastError, /parse error/i);
});
