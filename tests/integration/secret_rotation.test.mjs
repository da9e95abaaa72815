// Secret rotation end to end (issue #7): managed secrets registered through the real
// @trpc/client and rotated by the real binary through each provider — a file (atomic replace,
// mode kept), a Kubernetes Secret (the fake API server; a concurrent change gets the patch a 409
// Conflict, retried on a fresh read), a webhook (HMAC signature checked
// here; a 500 and a hanging receiver fail within the bound and keep the old value current) and
// a PostgreSQL role of the real PostgreSQL the harness starts (two-phase: the consumer's env
// file is written first; afterwards the old password is refused and the new one accepted; a
// role that does not exist fails half-way and the consumer file is restored). No generated
// value, admin URL or signing secret appears in any API answer or in the server's log.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, statSync, chmodSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, Postgres, tempDir } from './harness.mjs';
import { startFakeKube, kubeconfigFor } from '../fakes/kube-apiserver.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const answers = [];  // every API answer's JSON text, searched for leaked values at the end
function client(server, token) {
  const c = createTRPCUntypedClient({
    links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
  const wrap = (fn) => async (path, input) => {
    try {
      const r = await fn(path, input);
      answers.push(JSON.stringify(r));
      return r;
    } catch (e) {
      answers.push(String(e.message));
      throw e;
    }
  };
  return { query: wrap((p, i) => c.query(p, i)), mutation: wrap((p, i) => c.mutation(p, i)) };
}

// psql as a separate process (the fake Kubernetes server runs in this one: never block it).
function psql(conninfo, sql) {
  return new Promise((resolve) => {
    execFile('psql', [conninfo, '-Atc', sql], { encoding: 'utf8', timeout: 20000, env: { ...process.env, PGCONNECT_TIMEOUT: '5' } },
      (err, stdout, stderr) => resolve({ ok: !err, stdout: stdout.trim(), stderr }));
  });
}

const signingSecret = 'webhook-signing-secret-0123456789';
const kubeToken = 'rotation-token';
let server; let admin; let viewer; let pg; let fake; let dir; let receiver;
const received = [];
let receiverMode = 'ok';  // ok | fail | hang

before(async () => {
  dir = tempDir('rotate');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  pg = await new Postgres().start();
  cleanups.push(async () => pg.stop());
  // The role an application uses; password checks on for it (the test cluster trusts others).
  assert.ok((await psql(pg.url, "CREATE ROLE app_user LOGIN PASSWORD 'initial-app-password'")).ok);
  const hba = join(pg.dir, 'data', 'pg_hba.conf');
  writeFileSync(hba, `host all app_user 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
  assert.ok((await psql(pg.url, 'SELECT pg_reload_conf()')).ok);

  fake = await startFakeKube({
    token: kubeToken,
    objects: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api-token', namespace: 'shop' }, type: 'Opaque',
      data: { token: Buffer.from('old-token').toString('base64'), other: Buffer.from('keep').toString('base64') } }],
  });
  cleanups.push(() => fake.close());
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigFor(fake.url, { token: kubeToken }));

  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (receiverMode === 'hang') return;  // never answers
      res.statusCode = receiverMode === 'fail' ? 500 : 200;
      res.end(receiverMode === 'fail' ? `echo ${body}` : 'ok');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => { receiver.closeAllConnections?.(); receiver.close(r); }));

  server = new Server({ extraArgs: ['--kubeconfig', join(dir, 'kubeconfig'), '--secrets-key-file', join(dir, 'secrets.key')] });
  await server.start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  admin = client(server, server.createToken('admin', 'rotator'));
  viewer = client(server, server.createToken('viewer', 'reader'));
});

const generated = [];  // every value the rotations produced, read back from where they went

test('file provider: the env line is replaced atomically, mode kept; the key file is 0600', async () => {
  const file = join(dir, 'app.env');
  writeFileSync(file, 'USER=app\nAPI_KEY=old-value\n');
  chmodSync(file, 0o640);
  const reg = await admin.mutation('securityGuardian.registerManagedSecret',
    { name: 'app-api-key', provider: 'file', config: { path: file, key: 'API_KEY', length: 40 } });
  assert.equal(reg.version, 0);
  assert.equal(reg.lastRotation, null);

  const dry = await admin.mutation('securityGuardian.rotateSecrets', { provider: 'file', secretRef: 'app-api-key', dryRun: true });
  assert.equal(dry.status, 'dry_run');
  assert.equal(dry.ready, true);
  assert.match(dry.wouldDo[0], /app\.env/);
  assert.equal(readFileSync(file, 'utf8'), 'USER=app\nAPI_KEY=old-value\n');  // nothing changed

  const r = await admin.mutation('securityGuardian.rotateSecrets', { provider: 'file', secretRef: 'app-api-key' });
  assert.equal(r.status, 'completed');
  assert.equal(r.version, 1);
  const m = readFileSync(file, 'utf8').match(/^USER=app\nAPI_KEY=([A-Za-z0-9]{40})\n$/);
  assert.ok(m, readFileSync(file, 'utf8'));
  generated.push(m[1]);
  assert.equal(statSync(file).mode & 0o777, 0o640);
  assert.equal(statSync(join(dir, 'secrets.key')).mode & 0o777, 0o600);

  // A second rotation gives another value.
  await admin.mutation('securityGuardian.rotateSecrets', { provider: 'file', secretRef: 'app-api-key' });
  const second = readFileSync(file, 'utf8').match(/API_KEY=(\w+)/)[1];
  assert.notEqual(second, m[1]);
  generated.push(second);
  const got = await admin.query('securityGuardian.getManagedSecret', { name: 'app-api-key' });
  assert.equal(got.version, 2);
  assert.equal(got.lastRotation.status, 'completed');
  assert.deepEqual(got.rotations.map((x) => x.status), ['completed', 'completed', 'dry_run']);
  assert.ok(!('ciphertext' in got));
});

test('kubernetes provider: the Secret data key changes (base64), a concurrent change survives', async () => {
  await admin.mutation('securityGuardian.registerManagedSecret',
    { name: 'shop-api-token', provider: 'kubernetes', config: { namespace: 'shop', name: 'api-token', key: 'token' } });
  // Someone else changes the Secret between the rotation's read and its patch: the patch carries
  // the stale resourceVersion, gets 409 Conflict, and is retried on a fresh read.
  const update = fake.kube.update.bind(fake.kube);
  let raced = false;
  fake.kube.update = (res, ns, name, mutate, expectRv) => {
    if (!raced && res.resource === 'secrets' && name === 'api-token') {
      raced = true;
      update(res, ns, name, (o) => ({ ...o, data: { ...o.data, other: Buffer.from('changed').toString('base64') } }));
    }
    return update(res, ns, name, mutate, expectRv);
  };
  const r = await admin.mutation('securityGuardian.rotateSecrets', { provider: 'kubernetes', secretRef: 'shop-api-token' });
  fake.kube.update = update;
  assert.ok(raced);
  assert.equal(r.status, 'completed');
  const res = await fetch(`${fake.url}/api/v1/namespaces/shop/secrets/api-token`, { headers: { authorization: `Bearer ${kubeToken}` } });
  const secret = await res.json();
  const value = Buffer.from(secret.data.token, 'base64').toString();
  assert.match(value, /^[A-Za-z0-9]{32}$/);
  assert.equal(Buffer.from(secret.data.other, 'base64').toString(), 'changed');
  generated.push(value);
  // Two patches, each carrying the resourceVersion read just before it (optimistic concurrency).
  const patches = fake.kube.requests.filter((q) => q.method === 'PATCH' && q.path.endsWith('/secrets/api-token'));
  assert.equal(patches.length, 2);
  assert.equal(patches[0].contentType, 'application/merge-patch+json');
  const [rv1, rv2] = patches.map((q) => Number(JSON.parse(q.body).metadata.resourceVersion));
  assert.ok(rv2 > rv1, `${rv1} then ${rv2}`);
});

test('webhook provider: signed POST; a 500 or a hanging receiver fails and keeps the old value', async () => {
  await admin.mutation('securityGuardian.registerManagedSecret', {
    name: 'partner-key', provider: 'webhook',
    config: { url: `http://127.0.0.1:${receiver.address().port}/rotate`, signingSecret, timeoutSeconds: 2 },
  });
  const r = await admin.mutation('securityGuardian.rotateSecrets', { provider: 'webhook', secretRef: 'partner-key' });
  assert.equal(r.version, 1);
  assert.equal(received.length, 1);
  const { headers, body } = received[0];
  const ts = headers['x-devops-ai-timestamp'];
  const expected = 'sha256=' + createHmac('sha256', signingSecret).update(`${ts}.${body}`).digest('hex');
  assert.equal(headers['x-devops-ai-signature'], expected);
  const payload = JSON.parse(body);
  assert.equal(payload.secret, 'partner-key');
  assert.equal(payload.version, 1);
  assert.match(payload.value, /^[A-Za-z0-9]{32}$/);
  generated.push(payload.value);

  receiverMode = 'fail';
  await assert.rejects(admin.mutation('securityGuardian.rotateSecrets', { provider: 'webhook', secretRef: 'partner-key' }),
    (e) => /HTTP 500/.test(e.message) && /old value stays current/.test(e.message));
  generated.push(JSON.parse(received[1].body).value);
  receiverMode = 'hang';
  const t0 = Date.now();
  await assert.rejects(admin.mutation('securityGuardian.rotateSecrets', { provider: 'webhook', secretRef: 'partner-key' }),
    (e) => e.data?.code === 'TIMEOUT');
  assert.ok(Date.now() - t0 < 10000, 'bounded by timeoutSeconds');
  generated.push(JSON.parse(received[2].body).value);
  receiverMode = 'ok';
  const got = await admin.query('securityGuardian.getManagedSecret', { name: 'partner-key' });
  assert.equal(got.version, 1);  // the failed rotations did not change the current value
  assert.equal(got.lastRotation.status, 'failed');
  assert.equal(got.config.signingSecret, '<redacted>');
});

test('postgres provider: consumer first, then ALTER ROLE; old password refused, new accepted', async () => {
  const consumer = join(dir, 'db.env');
  writeFileSync(consumer, 'PGUSER=app_user\nPGPASSWORD=initial-app-password\n');
  chmodSync(consumer, 0o600);
  const conn = (pw) => `host=127.0.0.1 port=${pg.port} dbname=postgres user=app_user password=${pw}`;
  assert.ok((await psql(conn('initial-app-password'), 'SELECT 1')).ok, 'the initial password works');

  await admin.mutation('securityGuardian.registerManagedSecret', {
    name: 'app-db', provider: 'postgres',
    config: { adminUrl: pg.url, role: 'app_user', consumer: { type: 'file', path: consumer, key: 'PGPASSWORD' } },
  });
  const dry = await admin.mutation('securityGuardian.rotateSecrets', { provider: 'postgres', secretRef: 'app-db', dryRun: true });
  assert.equal(dry.ready, true, JSON.stringify(dry.checks));
  assert.equal(dry.checks.length, 2);
  assert.ok((await psql(conn('initial-app-password'), 'SELECT 1')).ok, 'a dry run changes nothing');

  const r = await admin.mutation('securityGuardian.rotateSecrets', { provider: 'postgres', secretRef: 'app-db' });
  assert.equal(r.status, 'completed');
  const fresh = readFileSync(consumer, 'utf8').match(/PGPASSWORD=(\w+)/)[1];
  generated.push(fresh);
  assert.equal(statSync(consumer).mode & 0o777, 0o600);
  const old = await psql(conn('initial-app-password'), 'SELECT 1');
  assert.equal(old.ok, false);
  assert.match(old.stderr, /password authentication failed/);
  const now = await psql(conn(fresh), 'SELECT current_user');
  assert.ok(now.ok, now.stderr);
  assert.equal(now.stdout, 'app_user');
  // The stored verifier is SCRAM, and the server's log never saw the clear text.
  assert.match((await psql(pg.url, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_user'")).stdout, /^SCRAM-SHA-256\$/);
  assert.ok(!readFileSync(join(pg.dir, 'log'), 'utf8').includes(fresh));
  const got = await admin.query('securityGuardian.getManagedSecret', { name: 'app-db' });
  assert.equal(got.config.adminUrl, '<redacted>');
});

test('postgres provider failing half-way restores the consumer; bad input is named', async () => {
  const consumer = join(dir, 'ghost.env');
  writeFileSync(consumer, 'PGPASSWORD=ghost-old\n');
  await admin.mutation('securityGuardian.registerManagedSecret', {
    name: 'ghost-db', provider: 'postgres',
    config: { adminUrl: pg.url, role: 'no_such_role', consumer: { type: 'file', path: consumer, key: 'PGPASSWORD' } },
  });
  const dry = await admin.mutation('securityGuardian.rotateSecrets', { provider: 'postgres', secretRef: 'ghost-db', dryRun: true });
  assert.equal(dry.ready, false);
  assert.match(dry.checks[1].error, /no such role/);
  await assert.rejects(admin.mutation('securityGuardian.rotateSecrets', { provider: 'postgres', secretRef: 'ghost-db' }),
    (e) => /ALTER ROLE failed/.test(e.message) && /consumer was restored/.test(e.message));
  assert.equal(readFileSync(consumer, 'utf8'), 'PGPASSWORD=ghost-old\n');
  const got = await admin.query('securityGuardian.getManagedSecret', { name: 'ghost-db' });
  assert.equal(got.version, 0);
  assert.equal(got.lastRotation.status, 'failed');
  assert.match(got.lastRotation.error, /restored/);

  await assert.rejects(admin.mutation('securityGuardian.rotateSecrets', { provider: 'file', secretRef: 'nope' }),
    (e) => e.data?.code === 'NOT_FOUND' && /nope/.test(e.message));
  await assert.rejects(admin.mutation('securityGuardian.rotateSecrets', { provider: 'webhook', secretRef: 'app-api-key' }),
    (e) => e.data?.code === 'BAD_REQUEST' && /input\.provider/.test(e.message));
  await assert.rejects(admin.mutation('securityGuardian.registerManagedSecret', { name: 'x', provider: 'file', config: { path: 'relative' } }),
    (e) => e.data?.code === 'BAD_REQUEST' && /input\.config\.path/.test(e.message));
  await assert.rejects(admin.mutation('securityGuardian.registerManagedSecret', { name: 'y', provider: 'webhook', config: { url: 'http://x/', signingSecret: 'short' } }),
    (e) => /input\.config\.signingSecret/.test(e.message));
  await assert.rejects(admin.mutation('securityGuardian.registerManagedSecret', { name: 'app-api-key', provider: 'file', config: { path: '/tmp/x' } }),
    (e) => e.data?.code === 'CONFLICT');
  await assert.rejects(viewer.query('securityGuardian.listManagedSecrets', {}), (e) => e.data?.code === 'FORBIDDEN');
  // A missing file fails without creating it.
  await admin.mutation('securityGuardian.registerManagedSecret', { name: 'gone', provider: 'file', config: { path: join(dir, 'gone.env') } });
  await assert.rejects(admin.mutation('securityGuardian.rotateSecrets', { provider: 'file', secretRef: 'gone' }), /gone\.env/);
  assert.equal(existsSync(join(dir, 'gone.env')), false);
});

test('the list, the audit log and the server log never hold a value; delete works', async () => {
  const list = await admin.query('securityGuardian.listManagedSecrets', {});
  assert.deepEqual(list.items.map((s) => s.name), ['app-api-key', 'app-db', 'ghost-db', 'gone', 'partner-key', 'shop-api-token']);
  // The rotation audit rows (who, which secret, provider, result), read from the store.
  const rows = await new Promise((resolve) => execFile('sqlite3', ['-json', join(server.dataDir, 'devops-ai.db'),
    "SELECT actor, outcome, detail FROM audit_log WHERE procedure = 'securityGuardian.rotateSecrets' AND detail <> '{}'"],
  { encoding: 'utf8' }, (err, stdout) => resolve(err ? [] : JSON.parse(stdout || '[]'))));
  const details = rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }));
  const pgRow = details.find((r) => r.detail.secret === 'app-db' && r.detail.result === 'completed');
  assert.ok(pgRow, JSON.stringify(details));
  assert.match(pgRow.actor, /rotator/);  // the API token's name
  assert.equal(pgRow.detail.provider, 'postgres');
  assert.ok(details.some((r) => r.detail.secret === 'partner-key' && r.detail.result === 'failed' && r.outcome === 'UNAVAILABLE'));
  answers.push(JSON.stringify(rows));
  assert.equal(generated.length, 7);
  const everything = answers.join('\n') + server.stdout + server.stderr;
  for (const v of [...generated, signingSecret, 'initial-app-password']) {
    assert.ok(!everything.includes(v), `value ${v.slice(0, 4)}… leaked`);
  }
  assert.deepEqual(await admin.mutation('securityGuardian.deleteManagedSecret', { name: 'gone' }), { deleted: true });
  await assert.rejects(admin.query('securityGuardian.getManagedSecret', { name: 'gone' }), (e) => e.data?.code === 'NOT_FOUND');
});
