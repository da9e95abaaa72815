// Chaos (issue 13): dependencies that accept a connection and never answer. One loopback
// "black hole" (a node socket server that reads and never writes) stands in for Prometheus
// and for a notification webhook receiver; a second one, which accepts and never sends the
// SMTP greeting, stands in for the SMTP server of an email channel. Asserts:
//  - 40 concurrent PromQL queries through the server: a bounded few wait on Prometheus, the
//    rest are refused at once with 429 naming the procedure (the blocking pool is not filled);
//  - while they wait, webhooks and reads are answered (before any of the waiting queries);
//  - every waiting query ends with a timeout error (bounded by the server, not by us);
//  - a notification to the black hole is attempted, times out and is recorded for retry,
//    while the server keeps serving;
//  - an email to the silent SMTP server: the server gives up within
//    dependency_timeout_seconds (it closes the connection; measured on our side), the delivery
//    records a timeout error and stays pending for a retry.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Server, waitFor } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('a Prometheus, a webhook receiver and an SMTP server that never answer: bounded timeouts, the worker pool keeps serving', async () => {
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
  // The SMTP server that never speaks: records how long each connection was held open.
  const smtpHeld = [];
  const smtp = net.createServer((s) => {
    const at = Date.now();
    sockets.add(s);
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => { sockets.delete(s); smtpHeld.push(Date.now() - at); });
  });
  await new Promise((r) => smtp.listen(0, '127.0.0.1', r));
  cleanups.push(async () => { smtp.close(); });
  const timeoutSeconds = 4;

  const server = await new Server({ extraArgs: ['--prometheus-url', holeUrl, '--dependency-timeout-seconds', String(timeoutSeconds)] }).start();
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
  const mail = await mutate('notifications.createChannel', {
    name: 'silent smtp', type: 'email',
    config: { smtpUrl: `smtp://127.0.0.1:${smtp.address().port}`, from: 'devops-ai@example.com', to: ['oncall@example.com'] },
  });
  await mutate('notifications.createRoute', { name: 'everything', kinds: ['incident.*'], channels: [channel.id, mail.id] });

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
  const attempted = deliveries.find((d) => d.channelId === channel.id && d.attempts >= 1 && d.lastError)
    ?? deliveries.find((d) => d.attempts >= 1 && d.lastError);
  assert.match(attempted.lastError, /time|deadline/i, attempted.lastError);
  assert.notEqual(attempted.status, 'sent');
  // The email: attempted, timed out, pending for a retry; the connection was given up within
  // the timeout, not held until we closed it.
  const email = await waitFor('a timed-out email attempt to be recorded', async () => {
    const r = await fetch(`${server.url}/trpc/notifications.listDeliveries?input=${encodeURIComponent(JSON.stringify({ channelId: mail.id }))}`,
      { headers: h(viewer) });
    const items = (await r.json()).result?.data?.items ?? [];
    return items.find((d) => d.attempts >= 1 && d.lastError) ?? null;
  }, 40000, 250);
  assert.equal(email.channelType, 'email');
  assert.match(email.lastError, /time/i, email.lastError);
  assert.equal(email.status, 'pending', `an email that timed out waits for a retry: ${JSON.stringify(email)}`);
  assert.equal(email.log[0].outcome, 'failed');
  assert.ok(smtpHeld.length >= 1, 'the SMTP server was connected to, and the connection ended');
  assert.ok(smtpHeld[0] <= timeoutSeconds * 1000 + 1500, `the SMTP attempt gave up after ${smtpHeld[0]} ms (timeout ${timeoutSeconds} s)`);
  assert.ok(smtpHeld[0] >= timeoutSeconds * 1000 - 500, `the SMTP attempt ended by its timeout, not earlier: ${smtpHeld[0]} ms`);
  // Meanwhile the server answered: a webhook and a read, at once.
  const late = await fetch(`${server.url}/api/webhooks/generic`, {
    method: 'POST', headers: h(operator),
    body: JSON.stringify([{ title: 'Slow deps', severity: 'critical', fingerprint: 'slow-late', labels: { service: 'slow' } }]),
  });
  assert.equal(late.status, 200);
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  console.log(`chaos_slow_dependencies: email ${email.status} after ${email.attempts} attempt(s), connection held ${smtpHeld[0]} ms: ${email.lastError}`);
  console.log(`chaos_slow_dependencies: queries ${JSON.stringify(byStatus)}, the waiting ones ended after ` +
    `${Math.max(...finishedAt) - t0} ms; delivery: ${attempted.status} after ${attempted.attempts} attempt(s): ${attempted.lastError}`);
});
