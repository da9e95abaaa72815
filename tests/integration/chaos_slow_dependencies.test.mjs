// Chaos (issue 13): dependencies that accept a connection and never answer. One loopback
// "black hole" (a node socket server that reads and never writes) stands in for Prometheus
// and for a notification webhook receiver. Asserts:
//  - 40 concurrent PromQL queries through the server: a bounded few wait on Prometheus, the
//    rest are refused at once with 429 naming the procedure (the blocking pool is not filled);
//  - while they wait, webhooks and reads are answered (before any of the waiting queries);
//  - every waiting query ends with a timeout error (bounded by the server, not by us);
//  - a notification to the black hole is attempted, times out and is recorded for retry,
//    while the server keeps serving.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Server, waitFor } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('a Prometheus and a webhook receiver that never answer: bounded timeouts, the worker pool keeps serving', async () => {
  const sockets = new Set();
  let accepted = 0;
  const hole = net.createServer((s) => {
    accepted += 1;
    sockets.add(s);
    s.on('data', () => {});  // read the request, never answer
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => hole.listen(0, '127.0.0.1', r));
  cleanups.push(async () => { for (const s of sockets) s.destroy(); hole.close(); });
  const holeUrl = `http://127.0.0.1:${hole.address().port}`;

  const server = await new Server({ extraArgs: ['--prometheus-url', holeUrl, '--dependency-timeout-seconds', '4'] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const viewer = server.createToken('viewer', 'slow-viewer');
  const operator = server.createToken('operator', 'slow-operator');
  const admin = server.createToken('admin', 'slow-admin');
  const h = (t) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });

  // A notification channel pointing at the black hole, for every incident.
  const mutate = async (path, input) => {
    const r = await fetch(`${server.url}/trpc/${path}`, { method: 'POST', headers: h(admin), body: JSON.stringify(input) });
    const body = await r.json();
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(body)}`);
    return body.result.data;
  };
  const channel = await mutate('notifications.createChannel', { name: 'black hole', type: 'webhook', config: { url: `${holeUrl}/hook` } });
  await mutate('notifications.createRoute', { name: 'everything', kinds: ['incident.*'], channels: [channel.id] });

  // 40 PromQL queries at once.
  const t0 = Date.now();
  const finishedAt = [];
  const queries = Array.from({ length: 40 }, async () => {
    const r = await fetch(`${server.url}/trpc/metrics.query?input=${encodeURIComponent(JSON.stringify({ query: 'up' }))}`,
      { headers: h(viewer), signal: AbortSignal.timeout(60000) });
    const body = await r.json();
    if (r.status !== 429) finishedAt.push(Date.now());
    return { status: r.status, body };
  });
  await waitFor('the black hole to hold some queries', async () => accepted >= 1, 10000, 20);

  // Meanwhile: webhooks (on the blocking pool) and reads are answered.
  const served = [];
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${server.url}/api/webhooks/generic`, {
      method: 'POST', headers: h(operator),
      body: JSON.stringify([{ title: 'Slow deps', severity: 'critical', fingerprint: `slow-${i}`, labels: { service: 'slow' } }]),
    });
    served.push(r.status);
    const list = await fetch(`${server.url}/trpc/incidentCommander.list?input=${encodeURIComponent('{}')}`, { headers: h(viewer) });
    served.push(list.status);
  }
  const servedAt = Date.now();
  assert.deepEqual(served, Array(10).fill(200), 'webhooks and reads were answered while Prometheus hung');

  const answers = await Promise.all(queries);
  const byStatus = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  const waited = answers.filter((a) => a.status !== 429);
  assert.ok(waited.length >= 1 && waited.length <= 8, `a bounded number of queries waited on Prometheus: ${JSON.stringify(byStatus)}`);
  for (const a of answers.filter((x) => x.status === 429)) {
    assert.match(a.body.error.message, /metrics\.query already has \d+ calls in progress/);
  }
  for (const a of waited) {
    assert.ok(a.status >= 400, `a query to a Prometheus that never answers fails: ${JSON.stringify(a.body)}`);
    assert.match(a.body.error.message, /time|deadline/i, `the error says it timed out: ${a.body.error.message}`);
  }
  assert.ok(Math.min(...finishedAt) > servedAt, 'the other requests were answered before any waiting query ended');

  // The notification to the black hole: attempted, timed out, recorded as a failed attempt.
  const deliveries = await waitFor('a timed-out delivery attempt to be recorded', async () => {
    const r = await fetch(`${server.url}/trpc/notifications.listDeliveries?input=${encodeURIComponent('{}')}`, { headers: h(viewer) });
    const items = (await r.json()).result?.data?.items ?? [];
    return items.find((d) => d.attempts >= 1 && d.lastError) ? items : null;
  }, 40000, 250);
  const attempted = deliveries.find((d) => d.attempts >= 1 && d.lastError);
  assert.match(attempted.lastError, /time|deadline/i, attempted.lastError);
  assert.notEqual(attempted.status, 'sent');
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  console.log(`chaos_slow_dependencies: queries ${JSON.stringify(byStatus)}, the waiting ones ended after ` +
    `${Math.max(...finishedAt) - t0} ms; delivery: ${attempted.status} after ${attempted.attempts} attempt(s): ${attempted.lastError}`);
});
