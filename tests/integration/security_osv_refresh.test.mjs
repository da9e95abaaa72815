// Online OSV refresh (issue #6) against a local fake that follows OSV's API reference
// (POST /v1/querybatch: {queries: [{package: {name, ecosystem}, version, page_token?}]} ->
// {results: [{vulns: [{id, modified}], next_page_token?}]}; GET /v1/vulns/{id} -> the OSV record).
// Nothing reaches the internet: the fake listens on 127.0.0.1.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { execFile } from 'node:child_process';
import { Server, tempDir, waitFor, binary, childEnv } from './harness.mjs';

// The CLI asynchronously: the fake OSV server lives in this process and must keep answering.
function runCliAsync(args) {
  return new Promise((resolve) => {
    execFile(binary, args, { encoding: 'utf8', timeout: 30000, env: childEnv() }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const records = {
  'GHSA-gxpj-cx7g-858c': { id: 'GHSA-gxpj-cx7g-858c', modified: '2023-01-09T05:02:44Z', aliases: ['CVE-2017-16137'],
    summary: 'Regular Expression Denial of Service in debug',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }],
    affected: [{ package: { ecosystem: 'npm', name: 'debug' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.6.9' }] }] }] },
  'GHSA-w9mr-4mfr-499f': { id: 'GHSA-w9mr-4mfr-499f', modified: '2023-02-01T00:00:00Z', summary: 'ms ReDoS',
    affected: [{ package: { ecosystem: 'npm', name: 'ms' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] }] },
  'GHSA-3fw8-66wf-pr7m': { id: 'GHSA-3fw8-66wf-pr7m', modified: '2023-03-01T00:00:00Z', summary: 'ms, second page',
    affected: [{ package: { ecosystem: 'npm', name: 'ms' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.7.3' }] }] }] },
};

function startFakeOsv() {
  const seen = { batches: [], gets: [] };
  let failing = false;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (failing) { res.writeHead(500); res.end('down'); return; }
      if (req.method === 'POST' && req.url === '/v1/querybatch') {
        const q = JSON.parse(body);
        seen.batches.push(q);
        const results = q.queries.map((query) => {
          const { name, ecosystem } = query.package;
          if (ecosystem === 'npm' && name === 'debug' && query.version === '2.5.2')
            return { vulns: [{ id: 'GHSA-gxpj-cx7g-858c', modified: records['GHSA-gxpj-cx7g-858c'].modified }] };
          if (ecosystem === 'npm' && name === 'ms' && query.version === '0.7.2') {
            // Two pages, as OSV paginates a query with many results.
            if (query.page_token === 'p2')
              return { vulns: [{ id: 'GHSA-3fw8-66wf-pr7m', modified: records['GHSA-3fw8-66wf-pr7m'].modified }] };
            return { vulns: [{ id: 'GHSA-w9mr-4mfr-499f', modified: records['GHSA-w9mr-4mfr-499f'].modified }], next_page_token: 'p2' };
          }
          return {};
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ results }));
        return;
      }
      const m = req.method === 'GET' && req.url.match(/^\/v1\/vulns\/([^/]+)$/);
      if (m && records[m[1]]) {
        seen.gets.push(m[1]);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(records[m[1]]));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 5, message: 'Bug not found.' }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`, seen, server,
    setFailing(v) { failing = v; },
  })));
}

function client(server, token) {
  return createTRPCUntypedClient({
    links: [httpBatchLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

test('refreshAdvisories asks OSV querybatch about the scanned packages and imports what it names', async () => {
  const work = tempDir('osvrefresh');
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const fake = await startFakeOsv();
  cleanups.push(async () => new Promise((r) => fake.server.close(r)));
  const repo = join(work, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: {
    '': { dependencies: { debug: '2.5.2' } },
    'node_modules/debug': { version: '2.5.2', dependencies: { ms: '0.7.2' } },
    'node_modules/ms': { version: '0.7.2' } } }));
  const server = new Server();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  await server.start();
  const admin = client(server, server.createToken('admin', 'root'));
  const operator = client(server, server.createToken('operator', 'op'));
  const viewer = client(server, server.createToken('viewer', 'reader'));

  async function scan() {
    const started = await operator.mutation('securityGuardian.scan', { scanType: 'container', target: repo });
    return waitFor('the scan job to complete', async () => {
      const s = await viewer.query('securityGuardian.getScan', { id: started.id });
      if (s.status === 'failed') throw new Error(`scan failed: ${s.error}`);
      return s.status === 'completed' ? s : null;
    }, 20000, 200);
  }
  const before = await scan();
  assert.equal(before.report.findings, 0);
  assert.equal(before.report.database.advisories, 0, 'the database age travels with every report');

  assert.equal((await viewer.query('securityGuardian.getOsvSource')).url, 'https://api.osv.dev');
  await assert.rejects(admin.mutation('securityGuardian.setOsvSource', { url: 'ftp://x.example/osv' }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'BAD_REQUEST' && /input\.url/.test(e.message));
  await assert.rejects(operator.mutation('securityGuardian.setOsvSource', { url: fake.url }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'FORBIDDEN');
  assert.equal((await admin.mutation('securityGuardian.setOsvSource', { url: `${fake.url}/` })).url, fake.url);
  await assert.rejects(operator.mutation('securityGuardian.refreshAdvisories'),
    (e) => e instanceof TRPCClientError && e.data?.code === 'FORBIDDEN');

  const r = await admin.mutation('securityGuardian.refreshAdvisories');
  assert.equal(r.url, fake.url);
  assert.equal(r.packages, 2);
  assert.equal(r.advisoriesNamed, 3);
  assert.equal(r.imported, 3);
  assert.deepEqual(r.skipped, []);
  assert.equal(r.database.advisories, 3);
  // The wire format: one batch with both packages, then the second page of ms with its token.
  assert.equal(fake.seen.batches.length, 2);
  const first = fake.seen.batches[0].queries;
  assert.deepEqual(first.map((q) => `${q.package.ecosystem}/${q.package.name}@${q.version}`).sort(),
    ['npm/debug@2.5.2', 'npm/ms@0.7.2']);
  assert.deepEqual(fake.seen.batches[1].queries, [{ package: { name: 'ms', ecosystem: 'npm' }, version: '0.7.2', page_token: 'p2' }]);
  assert.deepEqual(fake.seen.gets.sort(), Object.keys(records).sort());

  const after1 = await scan();
  assert.equal(after1.report.findings, 3);
  assert.equal(after1.report.database.advisories, 3);
  assert.ok(after1.report.database.importedAt, 'the import time dates the database');

  // Again: everything is current, nothing is fetched.
  const again = await admin.mutation('securityGuardian.refreshAdvisories');
  assert.equal(again.upToDate, 3);
  assert.equal(again.fetched, 0);
  assert.equal(fake.seen.gets.length, 3);

  // The API failing: a named error, and the server keeps serving.
  fake.setFailing(true);
  await assert.rejects(admin.mutation('securityGuardian.refreshAdvisories'),
    (e) => e instanceof TRPCClientError && e.data?.code === 'SERVICE_UNAVAILABLE' && /HTTP 500/.test(e.message));
  assert.equal((await viewer.query('securityGuardian.advisoryDatabase')).advisories, 3);

  // The CLI (for cron) on the same store: only the advisory OSV changed since is fetched.
  await server.stop();
  fake.setFailing(false);
  records['GHSA-gxpj-cx7g-858c'] = { ...records['GHSA-gxpj-cx7g-858c'], modified: '2024-05-01T00:00:00Z' };
  const cli = await runCliAsync(['db', 'refresh', ...server.storeArgs()]);
  assert.equal(cli.code, 0, cli.stderr);
  const out = JSON.parse(cli.stdout);
  assert.equal(out.url, fake.url, 'the stored setting is used');
  assert.equal(out.fetched, 1);
  assert.equal(out.imported, 1);
  assert.equal(out.upToDate, 2);
  assert.equal(fake.seen.gets.at(-1), 'GHSA-gxpj-cx7g-858c');
  const badUrl = await runCliAsync(['db', 'refresh', '--osv-url', 'gopher://x', ...server.storeArgs()]);
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /http:\/\/ or https:\/\//);
});

test('a refresh schedule refreshes at once when due, records every refresh, and is off by default', async () => {
  const work = tempDir('osvschedule');
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const fake = await startFakeOsv();
  cleanups.push(async () => new Promise((r) => fake.server.close(r)));
  const repo = join(work, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: {
    '': { dependencies: { debug: '2.5.2' } }, 'node_modules/debug': { version: '2.5.2' } } }));
  const server = new Server();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  await server.start();
  const admin = client(server, server.createToken('admin', 'root'));
  const operator = client(server, server.createToken('operator', 'op'));
  const viewer = client(server, server.createToken('viewer', 'reader'));
  const started = await operator.mutation('securityGuardian.scan', { scanType: 'container', target: repo });
  await waitFor('the scan job to complete', async () =>
    (await viewer.query('securityGuardian.getScan', { id: started.id })).status === 'completed', 20000, 200);

  // Off by default: nothing refreshed, nothing recorded, and nothing asked of the (default) API.
  const initial = await viewer.query('securityGuardian.getOsvSource');
  assert.equal(initial.refreshHours, 0);
  assert.equal(initial.lastRefresh, null);
  await assert.rejects(admin.mutation('securityGuardian.setOsvSource', { refreshHours: 721 }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'BAD_REQUEST' && /refreshHours/.test(e.message));
  await assert.rejects(operator.mutation('securityGuardian.setOsvSource', { refreshHours: 24 }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'FORBIDDEN');

  // Setting a schedule with no refresh so far: the first one runs at once, in the background.
  const set = await admin.mutation('securityGuardian.setOsvSource', { url: fake.url, refreshHours: 24 });
  assert.equal(set.url, fake.url);
  assert.equal(set.refreshHours, 24);
  const last = await waitFor('the scheduled refresh to be recorded', async () =>
    (await viewer.query('securityGuardian.getOsvSource')).lastRefresh, 20000, 200);
  assert.equal(last.trigger, 'schedule');
  assert.equal(last.ok, true, JSON.stringify(last));
  assert.equal(last.imported, 1);
  assert.equal((await viewer.query('securityGuardian.advisoryDatabase')).advisories, 1);
  assert.equal(fake.seen.batches.length, 1);

  // A manual refresh is recorded too (with who asked), and a failure with its error.
  fake.setFailing(true);
  await assert.rejects(admin.mutation('securityGuardian.refreshAdvisories'), /HTTP 500/);
  const failed = (await viewer.query('securityGuardian.getOsvSource')).lastRefresh;
  assert.equal(failed.trigger, 'manual:token:root');
  assert.equal(failed.ok, false);
  assert.match(failed.error, /HTTP 500/);
  fake.setFailing(false);

  // Not due (the last refresh is minutes old, the schedule is 24 h): neither a restart (the
  // schedule's job runs at start) nor setting the schedule again refreshes. The one-off check
  // runs within the worker's 0.5 s poll; 2 s leaves it room.
  await server.stop();
  await server.start({ port: server.port });
  await admin.mutation('securityGuardian.setOsvSource', { refreshHours: 24 });
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(fake.seen.batches.length, 1, 'no refresh before it is due');
  assert.equal((await viewer.query('securityGuardian.getOsvSource')).lastRefresh.trigger, 'manual:token:root');
  assert.equal((await admin.mutation('securityGuardian.setOsvSource', { refreshHours: 0 })).refreshHours, 0);
});
