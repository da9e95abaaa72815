// Chaos (issue 13): the disk under the data directory fills up. The server runs on SQLite in
// an 8 MiB tmpfs (mounting needs root: the test SKIPS with that reason otherwise); a filler
// file takes the free space and alerts keep arriving until the store refuses them. Asserts:
//  - writes fail with 503 and an error that says the store is full (webhook and tRPC);
//  - reads keep being served, and the server stays up;
//  - once space returns, writes succeed again without a restart;
//  - every alert answered 2xx (before, during and after) is stored.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Server, tempDir } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// Writes zeros until the filesystem refuses (ENOSPC); returns the bytes written.
function fill(path) {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return written;
}

test('disk full: writes fail with a clear error, reads are served, writes recover when space returns',
  { skip: isRoot ? false : 'needs root to mount a tmpfs (mount -t tmpfs -o size=8m) as the data directory' }, async (t) => {
    const dir = tempDir('diskfull');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { timeout: 10000, stdio: 'pipe' });
    } catch (e) {
      // Root inside a container without CAP_SYS_ADMIN may not mount: say so instead of failing.
      rmSync(dir, { recursive: true, force: true });
      t.skip(`cannot mount a tmpfs here (${String(e.stderr || e.message).trim()})`);
      return;
    }
    cleanups.push(async () => {
      execFileSync('umount', ['-l', dir], { timeout: 10000 });
      rmSync(dir, { recursive: true, force: true });
    });
    const dataDir = join(dir, 'data');
    const server = await new Server({ dataDir }).start();
    cleanups.push(async () => { await server.stop(); });
    const token = server.createToken('operator', 'disk-full');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const acknowledged = new Set();
    let n = 0;
    const send = async () => {
      const batch = Array.from({ length: 20 }, () => {
        const fp = `disk-${n++}`;
        return { title: 'Disk chaos', severity: 'warning', fingerprint: fp,
          labels: { service: 'disk', n: fp, padding: 'x'.repeat(1000) } };
      });
      const r = await fetch(`${server.url}/api/webhooks/generic`, { method: 'POST', headers, body: JSON.stringify(batch) });
      const body = await r.text();
      if (r.status === 200) for (const a of batch) acknowledged.add(a.fingerprint);
      return { status: r.status, body };
    };
    assert.equal((await send()).status, 200, 'alerts are stored while there is space');

    const filler = join(dir, 'filler');
    fill(filler);
    // SQLite reuses its write-ahead log's existing space, so some writes still fit: keep
    // sending until one is refused (bounded).
    let refused;
    for (let i = 0; i < 1000 && !refused; i++) {
      const r = await send();
      if (r.status !== 200) refused = r;
    }
    assert.ok(refused, 'a write was refused once the disk was full');
    assert.equal(refused.status, 503, refused.body);
    assert.match(JSON.parse(refused.body).error ?? refused.body, /full/i, `the error says the store is full: ${refused.body}`);

    // A tRPC mutation fails the same way, with the store's reason.
    const created = await fetch(`${server.url}/trpc/incidentCommander.createRunbook`, {
      method: 'POST', headers,
      body: JSON.stringify({ definition: `name: disk-full-check\ndescription: ${'y'.repeat(8000)}\nsteps:\n  - name: tell\n    notify: "hi"\n` }),
    });
    const createdBody = await created.json();
    assert.equal(created.status, 503, JSON.stringify(createdBody));
    assert.match(createdBody.error.message, /full/i);

    // Reads keep being served.
    for (const path of ['incidentCommander.list', 'system.info', 'auth.me']) {
      const r = await fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent('{}')}`, { headers });
      assert.equal(r.status, 200, `${path} while the disk is full: ${await r.text()}`);
    }
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);

    // Space returns: writes succeed again, same process.
    rmSync(filler);
    const again = await send();
    assert.equal(again.status, 200, `writes recover once space returns: ${again.body}`);
    assert.equal(server.proc.exitCode, null);

    const rows = execFileSync('sqlite3', ['-readonly', join(dataDir, 'devops-ai.db'),
      "SELECT fingerprint FROM alerts WHERE fingerprint LIKE 'disk-%'"], { encoding: 'utf8', timeout: 30000 });
    const stored = new Set(rows.split('\n').filter(Boolean));
    const missing = [...acknowledged].filter((f) => !stored.has(f));
    assert.deepEqual(missing, [], `every acknowledged alert is stored (${acknowledged.size} acknowledged)`);
    console.log(`chaos_disk_full: ${acknowledged.size} alerts acknowledged; refused with ${refused.status}: ${refused.body.slice(0, 200)}`);
  });
