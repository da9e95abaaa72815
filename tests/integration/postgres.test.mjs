// Two `devops-ai serve` processes on one PostgreSQL 15: both serve the same data, and the
// durable job queue never hands one job to both (each job's handler runs exactly once).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Server, Postgres, waitFor } from './harness.mjs';

let pg;
const servers = [];

before(async () => {
  pg = await new Postgres().start();
});

after(async () => {
  for (const s of servers) {
    await s.stop();
    s.cleanup();
  }
  if (pg) pg.stop();
});

function psql(sql) {
  return execFileSync('psql', [pg.url, '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8', timeout: 30000 }).trim();
}

test('two servers on one PostgreSQL share data and never run a job twice', async () => {
  const a = await new Server({ db: pg.url, extraArgs: ['--job-workers', '2'] }).start();
  servers.push(a);
  const b = await new Server({ db: pg.url, extraArgs: ['--job-workers', '2'] }).start();
  servers.push(b);

  // Data written through one is read through the other.
  const token = a.createToken('admin', 'pg-admin');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${a.url}/trpc/users.create`, { method: 'POST', headers, body: JSON.stringify({ username: 'shared', password: 'a long enough password', role: 'viewer' }) });
  assert.equal(created.status, 200);
  const list = await (await fetch(`${b.url}/trpc/users.list?input=${encodeURIComponent('{}')}`, { headers })).json();
  assert.ok(list.result.data.items.some((u) => u.username === 'shared'));
  const info = await (await fetch(`${b.url}/trpc/system.info`, { headers })).json();
  assert.equal(info.result.data.store, 'postgres');

  // 200 diagnostic jobs; each run appends one `events` row naming its job id.
  psql(`INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_after, created_at, updated_at)
        SELECT 'diagnostic.echo', json_build_object('n', g, 'sleepMs', 20)::jsonb, 'queued', 0, 3, now(), now(), now()
        FROM generate_series(1, 200) g`);
  await waitFor('every diagnostic job to finish', async () => {
    return psql(`SELECT count(*) FROM jobs WHERE kind = 'diagnostic.echo' AND state <> 'succeeded'`) === '0';
  }, 60000, 250);
  const runs = psql(`SELECT count(*), count(DISTINCT payload->>'jobId') FROM events WHERE type = 'diagnostic.echo'`);
  assert.equal(runs, '200|200', 'each job ran exactly once');
  const owners = psql(`SELECT count(DISTINCT payload->>'owner') FROM events WHERE type = 'diagnostic.echo'`);
  assert.ok(Number(owners) >= 2, `both processes took jobs (owners: ${owners})`);
});
