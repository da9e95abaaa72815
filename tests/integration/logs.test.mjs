// Log intelligence through the real @trpc/client and plain HTTP against the real binary: lines
// pushed to /api/logs/push and Loki's /loki/api/v1/push become templates with counts and
// samples; a file source is tailed (appends, rename rotation) and survives a restart without
// counting a line twice; a new error template reaches the Incident Commander as a signal;
// marking, searching, roles and bad input answer as documented.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { Server, waitFor } from './harness.mjs';

let server;
let admin;
let operator;
let viewer;

function client(token) {
  return createTRPCUntypedClient({
    links: [httpBatchLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

async function post(path, body, token, type = 'text/plain') {
  const r = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body,
  });
  return { status: r.status, text: await r.text() };
}

async function totalOf(c, search) {
  const t = await c.query('logs.listTemplates', { search, limit: 1000 });
  return t.items.reduce((s, i) => s + i.total, 0);
}

before(async () => {
  server = new Server();
  await server.start();
  admin = server.createToken('admin', 'logs-admin');
  operator = server.createToken('operator', 'logs-operator');
  viewer = server.createToken('viewer', 'logs-viewer');
});

after(async () => {
  await server.stop();
  server.cleanup();
});

test('pushed lines and Loki pushes become templates with counts and samples', async () => {
  const lines = [];
  for (let i = 0; i < 12; i++) lines.push(`{"level":"info","msg":"order ${1000 + i} shipped to warehouse ${i % 3}"}`);
  lines.push('\u0000\u0001\u0002\u0003\u00ff binary');
  const pushed = await post('/api/logs/push?source=shop', lines.join('\n'), operator);
  assert.equal(pushed.status, 200, pushed.text);
  const body = JSON.parse(pushed.text);
  assert.equal(body.sources[0].accepted, 12);

  const loki = await post('/loki/api/v1/push', JSON.stringify({
    streams: [{ stream: { job: 'payments' }, values: [[`${Date.now()}000000`, 'level=error msg="card 4242 declined by issuer"']] }],
  }), operator, 'application/json');
  assert.equal(loki.status, 204, loki.text);

  const v = client(viewer);
  const t = await v.query('logs.listTemplates', { sort: 'count' });
  const shop = t.items.find((i) => i.sourceName === 'shop');
  assert.equal(shop.template, 'order <*> shipped to warehouse <*>');
  assert.equal(shop.total, 12);
  assert.equal(shop.examples.length, 3);
  const pay = t.items.find((i) => i.sourceName === 'payments');
  assert.equal(pay.level, 'error');
  assert.equal(pay.isNew, true);

  const sources = await v.query('logs.listSources');
  const shopSource = sources.find((s) => s.name === 'shop');
  assert.equal(shopSource.kind, 'push');
  assert.ok(shopSource.rejectedTotal >= 0);

  const found = await v.query('logs.searchLines', { contains: 'declined' });
  assert.equal(found.total, 1);
  assert.match(found.items[0].line, /card 4242 declined/);

  // The new error template went to the Incident Commander as a signal.
  const signals = await v.query('logs.listSignals', {});
  assert.ok(signals.items.some((s) => s.kind === 'LogNewErrorTemplate' && s.sourceName === 'payments'));
  const incidents = await v.query('incidentCommander.list', {});
  assert.ok(incidents.items.some((i) => /LogNewErrorTemplate|New error log template/.test(i.title)), JSON.stringify(incidents.items.map((i) => i.title)));

  // Marking: operators may, viewers may not.
  await assert.rejects(v.mutation('logs.markTemplate', { id: shop.id, mark: 'noise' }), (err) => err.data?.code === 'FORBIDDEN');
  const marked = await client(operator).mutation('logs.markTemplate', { id: shop.id, mark: 'noise' });
  assert.equal(marked.mark, 'noise');
  await assert.rejects(client(operator).mutation('logs.markTemplate', { id: shop.id, mark: 'loud' }), (err) => {
    assert.ok(err instanceof TRPCClientError);
    assert.equal(err.data?.code, 'BAD_REQUEST');
    assert.match(err.message, /mark/);
    return true;
  });
});

test('bad pushes are refused with a clear message', async () => {
  const noSource = await post('/api/logs/push', 'x', operator);
  assert.equal(noSource.status, 400);
  assert.match(noSource.text, /source/);
  const badLoki = await post('/loki/api/v1/push', '{"streams":[{"values":[[1,"x"]]}]}', operator, 'application/json');
  assert.equal(badLoki.status, 400);
  assert.match(badLoki.text, /streams\[0\]\.values\[0\]\[0\]/);
  const proto = await post('/loki/api/v1/push', 'xx', operator, 'application/x-protobuf');
  assert.equal(proto.status, 415);
  const viewerPush = await post('/api/logs/push?source=shop', 'x', viewer);
  assert.equal(viewerPush.status, 403);
  await assert.rejects(client(operator).mutation('logs.createSource', { name: 'f', kind: 'file', path: '/tmp/x' }),
    (err) => err.data?.code === 'FORBIDDEN');
  await assert.rejects(client(admin).mutation('logs.createSource', { name: 'f', kind: 'file', path: 'relative' }),
    (err) => err.data?.code === 'BAD_REQUEST' && /path/.test(err.message));
});

test('a tailed file follows rotation and resumes after a restart without duplicates', async () => {
  const path = join(server.dataDir, 'app.log');
  let a = client(admin);
  const src = await a.mutation('logs.createSource', { name: 'app', kind: 'file', path });
  assert.equal(src.kind, 'file');
  let text = '';
  for (let i = 0; i < 5; i++) text += `2026-11-29T00:00:0${i}Z INFO job ${i} finished in ${i * 3}ms\n`;
  appendFileSync(path, text);
  await waitFor('5 lines counted', async () => (await totalOf(a, 'finished')) === 5);

  await server.stop();
  appendFileSync(path, '2026-11-29T00:00:05Z INFO job 5 finished in 15ms\n');
  renameSync(path, `${path}.1`);
  appendFileSync(path, '2026-11-29T00:00:06Z INFO job 6 finished in 18ms\n');
  await server.start();
  a = client(admin);  // the restarted server listens on a new port
  await waitFor('7 lines counted after the restart', async () => (await totalOf(a, 'finished')) === 7);
  appendFileSync(path, '2026-11-29T00:00:07Z INFO job 7 finished in 21ms\n');
  await waitFor('8 lines counted', async () => (await totalOf(a, 'finished')) === 8);
  const sources = await a.query('logs.listSources');
  assert.equal(sources.find((s) => s.name === 'app').linesTotal, 8);
  const evaluated = await client(operator).mutation('logs.evaluate', {});
  assert.ok(Array.isArray(evaluated.bursts));
});
