// Chaos (issue 13): PostgreSQL restarted under load. Two `devops-ai serve` processes share one
// PostgreSQL; a webhook flood goes to both and 120 durable jobs (diagnostic.echo: each run
// appends one `events` row naming its job) are queued; PostgreSQL is shut down fast (sessions
// terminated) and started again on the same port a couple of seconds later. Asserts:
//  - while it is down both servers answer /readyz 503 naming the store, and no webhook
//    delivery is answered 2xx;
//  - both become ready again by themselves (same processes, no restart);
//  - every alert answered 2xx is stored, exactly once (receive_count 1);
//  - every job finishes and ran exactly once across both processes (none run twice).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Server, Postgres, sleep, waitFor } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('PostgreSQL restarted under load: not ready while down, recovers alone, nothing acknowledged is lost, no job runs twice', async () => {
  const pg = await new Postgres().start();
  cleanups.push(async () => pg.stop());
  const psql = (sql) => execFileSync('psql', [pg.url, '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8', timeout: 30000 }).trim();
  const servers = [];
  for (let i = 0; i < 2; i++) {
    const s = await new Server({ db: pg.url, extraArgs: ['--job-workers', '2'] }).start();
    cleanups.push(async () => { await s.stop(); s.cleanup(); });
    servers.push(s);
  }
  const pids = servers.map((s) => s.proc.pid);
  const token = servers[0].createToken('operator', 'chaos-pg');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  psql(`INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_after, created_at, updated_at)
        SELECT 'diagnostic.echo', json_build_object('n', g, 'sleepMs', 40)::jsonb, 'queued', 0, 10, now(), now(), now()
        FROM generate_series(1, 120) g`);

  // The flood: 6 senders, alternating servers, 5 alerts per request with unique fingerprints.
  let down = false;
  let stop = false;
  const acknowledged = new Set();
  const acknowledgedWhileDown = [];
  const refusals = new Map(); // status -> count
  const sender = async (w) => {
    for (let i = 0; !stop; i++) {
      const batch = Array.from({ length: 5 }, (_, k) => ({
        title: `PG chaos ${w}`, severity: 'warning', fingerprint: `pgc-${w}-${i}-${k}`,
        labels: { service: `svc-${w % 3}`, sender: String(w) },
      }));
      const wasDown = down;
      try {
        const r = await fetch(`${servers[(w + i) % 2].url}/api/webhooks/generic`, {
          method: 'POST', headers, body: JSON.stringify(batch), signal: AbortSignal.timeout(15000),
        });
        const body = await r.text();
        if (r.status >= 200 && r.status < 300) {
          for (const a of batch) acknowledged.add(a.fingerprint);
          if (wasDown && down) acknowledgedWhileDown.push(body);
        } else {
          refusals.set(r.status, (refusals.get(r.status) ?? 0) + 1);
        }
      } catch (e) {
        refusals.set(`transport: ${e.message}`, (refusals.get(`transport: ${e.message}`) ?? 0) + 1);
      }
      await sleep(down ? 50 : 10);
    }
  };
  const senders = Array.from({ length: 6 }, (_, w) => sender(w));

  await waitFor('the flood and the jobs to be under way', async () =>
    acknowledged.size >= 300 && Number(psql(`SELECT count(*) FROM events WHERE type = 'diagnostic.echo'`)) >= 10, 20000, 50);
  const beforeRestart = acknowledged.size;

  pg.down();
  down = true;
  const downAt = Date.now();
  // Not ready while down: /readyz 503 with the store's error, on both servers.
  const notReady = [];
  for (const s of servers) {
    const r = await waitFor(`${s.url} to report not ready`, async () => {
      const res = await fetch(`${s.url}/readyz`, { signal: AbortSignal.timeout(5000) });
      return res.status === 503 ? res.json() : null;
    }, 10000, 100);
    notReady.push(r);
  }
  for (const r of notReady) {
    assert.equal(r.status, 'not ready');
    assert.notEqual(r.checks.store, 'ok', 'the store check names what is wrong');
  }
  // The servers keep answering (liveness) while the database is away.
  for (const s of servers) assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  await sleep(Math.max(0, 2000 - (Date.now() - downAt)));

  down = false;
  pg.up();
  const upAt = Date.now();
  for (const s of servers) {
    await waitFor(`${s.url} to become ready again`, async () => (await fetch(`${s.url}/readyz`)).status === 200, 15000, 100);
  }
  const recoverMs = Date.now() - upAt;
  const afterRestart = acknowledged.size;
  await waitFor('alerts to be acknowledged again after the restart', async () => acknowledged.size >= afterRestart + 200, 15000, 50);
  stop = true;
  await Promise.all(senders);

  assert.deepEqual(servers.map((s) => s.proc.pid), pids, 'the servers were not restarted');
  for (const s of servers) assert.equal(s.proc.exitCode, null, `server exited: ${s.stderr.slice(-2000)}`);
  assert.deepEqual(acknowledgedWhileDown, [], 'no webhook answered 2xx while PostgreSQL was down');
  // Refused with 503 only: a sender retries a 5xx but drops a 4xx (an unreachable store once
  // made the token check answer 401, which would have lost Alertmanager's alerts).
  assert.ok(refusals.get(503) > 0, `deliveries during the outage were refused with 503 (${JSON.stringify([...refusals])})`);
  assert.deepEqual([...refusals.keys()], [503], `deliveries were only ever refused with 503: ${JSON.stringify([...refusals])}`);

  // Every acknowledged alert is stored exactly once.
  const rows = psql(`SELECT fingerprint || ' ' || receive_count FROM alerts WHERE fingerprint LIKE 'pgc-%'`).split('\n').filter(Boolean);
  const stored = new Map(rows.map((l) => { const [f, n] = l.split(' '); return [f, Number(n)]; }));
  const missing = [...acknowledged].filter((f) => !stored.has(f));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acknowledged.size} acknowledged alerts are missing`);
  const twice = [...acknowledged].filter((f) => stored.get(f) !== 1);
  assert.deepEqual(twice.slice(0, 10), [], 'acknowledged alerts were stored once');

  // Every job finishes; each ran exactly once across both processes and the restart.
  await waitFor('every diagnostic job to finish', async () =>
    psql(`SELECT count(*) FROM jobs WHERE kind = 'diagnostic.echo' AND state <> 'succeeded'`) === '0', 30000, 250);
  const runs = psql(`SELECT count(*) || '|' || count(DISTINCT payload->>'jobId') FROM events WHERE type = 'diagnostic.echo'`);
  assert.equal(runs, '120|120', 'each job ran exactly once');
  console.log(`chaos_postgres: ${beforeRestart} alerts acknowledged before the restart, ${acknowledged.size} in all; ` +
    `refused during the outage: ${JSON.stringify([...refusals])}; ready again ${recoverMs} ms after PostgreSQL started`);
});
