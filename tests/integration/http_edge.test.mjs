// The HTTP edge of the real binary: health, metrics, OpenAPI, the setup → login → CSRF flow,
// login rate limit, SSE, and bad input (malformed JSON, wrong method, unknown procedure,
// oversized body, invalid UTF-8, deep nesting, a slow client, a connection flood) — after
// each, the server still answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Server, sleep, waitFor } from './harness.mjs';

let server;
let admin;

before(async () => {
  server = await new Server({ extraArgs: ['--max-body-bytes', '65536', '--sse-heartbeat-seconds', '1'] }).start();
  admin = server.createToken('admin', 'edge-admin');
});

after(async () => {
  await server.stop();
  server.cleanup();
});

async function trpcGet(path, input, headers = {}) {
  const q = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const r = await fetch(`${server.url}/trpc/${path}${q}`, { headers });
  return { status: r.status, body: await r.json(), headers: r.headers };
}

async function trpcPost(path, body, headers = {}) {
  const r = await fetch(`${server.url}/trpc/${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = { raw: text }; }
  return { status: r.status, body: json, headers: r.headers };
}

async function stillServing() {
  const r = await fetch(`${server.url}/healthz`);
  assert.equal(r.status, 200);
}

const bearer = () => ({ authorization: `Bearer ${admin}` });

test('health, readiness, metrics and OpenAPI', async () => {
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  const ready = await (await fetch(`${server.url}/readyz`)).json();
  assert.equal(ready.status, 'ready');
  assert.equal(ready.checks.migrations, 'ok');
  await trpcGet('system.info', undefined, bearer());
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /devops_ai_http_requests_total\{[^}]*procedure="system.info"/);
  assert.match(metrics, /devops_ai_http_request_duration_seconds_bucket/);
  assert.match(metrics, /devops_ai_jobs_queue_depth/);
  const openapi = await (await fetch(`${server.url}/api/openapi.json`)).json();
  assert.equal(openapi.openapi, '3.1.0');
  for (const p of ['incidentCommander.generatePostMortem', 'costOptimizer.setbudget', 'selfHealing.toggleRule',
    'securityGuardian.rotateSecrets', 'cicdOrchestrator.generatePipeline', 'documentationGenerator.exportDiagram']) {
    assert.ok(openapi.paths[`/trpc/${p}`], `OpenAPI lists ${p}`);
  }
});

test('setup token, then password login with cookie and CSRF', async () => {
  const status = await trpcGet('auth.status');
  assert.equal(status.body.result.data.setupRequired, true);
  const token = server.setupToken();
  assert.ok(token, 'the setup token is printed on standard output');
  const bad = await trpcPost('auth.setup', { setupToken: 'wrong', username: 'root', password: 'a long enough password' });
  assert.equal(bad.body.error.data.code, 'UNAUTHORIZED');
  const ok = await trpcPost('auth.setup', { setupToken: token, username: 'root', password: 'a long enough password' });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const cookie = ok.headers.get('set-cookie');
  assert.match(cookie, /dai_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
  const session = cookie.split(';')[0];
  const csrf = ok.body.result.data.csrfToken;
  // The token works once.
  const again = await trpcPost('auth.setup', { setupToken: token, username: 'x', password: 'a long enough password' });
  assert.notEqual(again.status, 200);
  // Cookie session: queries work; mutations need the CSRF token.
  const me = await trpcGet('auth.me', undefined, { cookie: session });
  assert.equal(me.body.result.data.user.username, 'root');
  const noCsrf = await trpcPost('tokens.create', { name: 't', role: 'viewer' }, { cookie: session });
  assert.equal(noCsrf.status, 403);
  assert.match(noCsrf.body.error.message, /CSRF/);
  const withCsrf = await trpcPost('tokens.create', { name: 't', role: 'viewer' }, { cookie: session, 'x-csrf-token': csrf });
  assert.equal(withCsrf.status, 200);
  assert.match(withCsrf.body.result.data.token, /^dai_/);
  // The audit log has the mutation, without its input.
  const audit = await trpcGet('audit.list', {}, { cookie: session });
  const row = audit.body.result.data.items.find((e) => e.procedure === 'tokens.create');
  assert.ok(row);
  assert.equal(row.actor, 'root');
  assert.match(row.inputDigest, /^[0-9a-f]{64}$/);
  // Logout ends the session.
  const out = await trpcPost('auth.logout', undefined, { cookie: session, 'x-csrf-token': csrf });
  assert.equal(out.status, 200);
  assert.equal((await trpcGet('auth.me', undefined, { cookie: session })).status, 401);
  // Login works with the new password.
  const login = await trpcPost('auth.login', { username: 'root', password: 'a long enough password' });
  assert.equal(login.status, 200);
});

test('login is rate limited', async () => {
  let last;
  for (let i = 0; i < 8; i++) {
    last = await trpcPost('auth.login', { username: 'ghost', password: 'wrong password ' + i });
  }
  assert.equal(last.status, 429);
  assert.equal(last.body.error.data.code, 'TOO_MANY_REQUESTS');
  await stillServing();
});

test('bad input gets the right status and a clear message', async () => {
  let r = await trpcPost('users.create', '{"username":', bearer());
  assert.equal(r.status, 400);
  assert.equal(r.body.error.data.code, 'PARSE_ERROR');
  r = await trpcPost('users.create', { username: 5, password: 'x', role: 'viewer' }, bearer());
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /input\.username: expected string/);
  r = await trpcPost('users.create', { password: 'a long enough password', role: 'viewer' }, bearer());
  assert.match(r.body.error.message, /input\.username: is required/);
  r = await trpcPost('system.info', {}, bearer());
  assert.equal(r.status, 405);
  assert.equal(r.body.error.data.code, 'METHOD_NOT_SUPPORTED');
  r = await trpcGet('users.create', {}, bearer());
  assert.equal(r.status, 405);
  r = await trpcGet('no.such', undefined, bearer());
  assert.equal(r.status, 404);
  assert.equal(r.body.error.data.code, 'NOT_FOUND');
  r = await trpcPost('users.create', Buffer.from('{"username":"\xff\xfe","password":"x","role":"viewer"}', 'latin1'), bearer());
  assert.equal(r.status, 400);
  r = await trpcPost('users.create', '['.repeat(5000) + ']'.repeat(5000), bearer());
  assert.equal(r.status, 400);
  r = await trpcPost('users.create', JSON.stringify({ username: 'x'.repeat(100000) }), bearer());
  assert.equal(r.status, 413);
  await stillServing();
});

test('a slow client is dropped without blocking others', async () => {
  const sock = net.connect(server.port, '127.0.0.1');
  await new Promise((r) => sock.on('connect', r));
  sock.write('POST /trpc/users.create HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"user');
  // Others are served meanwhile.
  for (let i = 0; i < 5; i++) await stillServing();
  sock.destroy();
});

test('a flood of connections does not stop the server', async () => {
  const socks = [];
  for (let i = 0; i < 400; i++) {
    const s = net.connect(server.port, '127.0.0.1');
    s.on('error', () => {});
    socks.push(s);
  }
  await sleep(300);
  await stillServing();
  for (const s of socks) s.destroy();
  await stillServing();
});

test('the event stream needs authentication and sends heartbeats', async () => {
  const anon = await fetch(`${server.url}/api/events`);
  assert.equal(anon.status, 401);
  await anon.body?.cancel();
  const ctrl = new AbortController();
  const r = await fetch(`${server.url}/api/events`, { headers: bearer(), signal: ctrl.signal });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/event-stream/);
  const reader = r.body.getReader();
  let text = '';
  await waitFor('a heartbeat on the event stream', async () => {
    const { value } = await reader.read();
    text += new TextDecoder().decode(value);
    return text.includes(':');
  }, 5000, 0);
  ctrl.abort();
});
