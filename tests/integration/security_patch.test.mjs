// applyPatch writing a branch (issue #6): a real git repository made by this test, with
// uncommitted work in its tree and index, is scanned through securityGuardian.scan; applyPatch
// with dryRun false creates devops-ai/fix-<package>-<version> from HEAD with exactly the fixing
// change to the manifest as committed, and leaves HEAD, the index and the work tree as they were.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { Server, tempDir, waitFor, runCli } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const flask = {
  id: 'GHSA-m2qf-hxjv-5gpq', modified: '2023-05-02T00:00:00Z', aliases: ['CVE-2023-30861'],
  summary: 'Flask session cookie disclosure',
  affected: [{ package: { ecosystem: 'PyPI', name: 'flask' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.2.5' }] }] }],
};
const debug = {
  id: 'GHSA-gxpj-cx7g-858c', modified: '2023-01-09T05:02:44Z', aliases: ['CVE-2017-16137'],
  summary: 'Regular Expression Denial of Service in debug',
  affected: [{ package: { ecosystem: 'npm', name: 'debug' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.6.9' }] }] }],
};
const lock = { lockfileVersion: 3, packages: {
  '': { dependencies: { debug: '2.5.2' } },
  'node_modules/debug': { version: '2.5.2' } } };

function client(server, token) {
  return createTRPCUntypedClient({
    links: [httpBatchLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

function git(repo, ...args) {
  return execFileSync('git', ['-C', repo, '-c', 'user.name=Test', '-c', 'user.email=t@example.com', ...args],
    { encoding: 'utf8', timeout: 10000 });
}

test('applyPatch commits the fix on a new branch and leaves the work tree alone', async () => {
  const work = tempDir('secpatch');
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const repo = join(work, 'repo');
  mkdirSync(join(repo, 'svc'), { recursive: true });
  const committed = 'click==8.0.0\nFlask==2.0.0\nitsdangerous==2.0.1\n';
  writeFileSync(join(repo, 'svc', 'requirements.txt'), committed);
  writeFileSync(join(repo, 'package-lock.json'), JSON.stringify(lock));
  writeFileSync(join(repo, 'README'), 'hello\n');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'initial');
  // Uncommitted work: an edited manifest in the tree, a staged file, an untracked file.
  const edited = committed + 'requests==2.31.0\n';
  writeFileSync(join(repo, 'svc', 'requirements.txt'), edited);
  writeFileSync(join(repo, 'staged.txt'), 'staged\n');
  git(repo, 'add', 'staged.txt');
  writeFileSync(join(repo, 'untracked.txt'), 'mine\n');
  const headBefore = git(repo, 'rev-parse', 'HEAD').trim();
  const statusBefore = git(repo, 'status', '--porcelain');
  const indexBefore = readFileSync(join(repo, '.git', 'index'));

  const server = new Server();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const osvDir = join(work, 'osv');
  mkdirSync(osvDir);
  writeFileSync(join(osvDir, 'flask.json'), JSON.stringify(flask));
  writeFileSync(join(osvDir, 'debug.json'), JSON.stringify(debug));
  const imp = runCli(['db', 'import', osvDir, ...server.storeArgs()]);
  assert.equal(imp.code, 0, imp.stderr);
  await server.start();
  const operator = client(server, server.createToken('operator', 'patcher'));
  const viewer = client(server, server.createToken('viewer', 'reader'));

  const started = await operator.mutation('securityGuardian.scan', { scanType: 'container', target: repo });
  await waitFor('the scan job to complete', async () => {
    const s = await viewer.query('securityGuardian.getScan', { id: started.id });
    if (s.status === 'failed') throw new Error(`scan failed: ${s.error}`);
    return s.status === 'completed' ? s : null;
  }, 20000, 200);
  const found = await viewer.query('securityGuardian.getVulnerabilities', { scanId: started.id });
  const fl = found.items.find((v) => v.packageName === 'Flask');
  const dbg = found.items.find((v) => v.packageName === 'debug');
  assert.ok(fl && dbg, JSON.stringify(found.items.map((v) => v.packageName)));

  // A dry run previews only: no branch.
  const preview = await operator.mutation('securityGuardian.applyPatch', { vulnerabilityId: fl.id });
  assert.equal(preview.applied, false);
  assert.match(preview.diff, /\+Flask==2\.2\.5/);
  assert.equal(git(repo, 'branch', '--list', 'devops-ai/*'), '');
  await assert.rejects(viewer.mutation('securityGuardian.applyPatch', { vulnerabilityId: fl.id, dryRun: false }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'FORBIDDEN');

  const applied = await operator.mutation('securityGuardian.applyPatch', { vulnerabilityId: fl.id, dryRun: false });
  // The index file first, byte for byte (before any git command of this test could refresh it).
  assert.deepEqual(readFileSync(join(repo, '.git', 'index')), indexBefore);
  assert.equal(applied.applied, true);
  const branch = 'devops-ai/fix-Flask-2.2.5';
  assert.equal(applied.branch, branch);
  assert.equal(applied.baseCommit, headBefore);
  assert.equal(git(repo, 'rev-parse', branch).trim(), applied.commit);
  assert.equal(git(repo, 'rev-parse', `${branch}^`).trim(), headBefore, 'the branch starts at HEAD');
  // The commit's change is exactly the fix, made to the manifest as committed (not the work tree).
  assert.equal(git(repo, 'diff', '--name-only', headBefore, branch), 'svc/requirements.txt\n');
  assert.equal(git(repo, 'diff', '--numstat', headBefore, branch), '1\t1\tsvc/requirements.txt\n');
  assert.equal(git(repo, 'show', `${branch}:svc/requirements.txt`), committed.replace('Flask==2.0.0', 'Flask==2.2.5'));
  const meta = git(repo, 'log', '-1', '--format=%an%n%B', branch);
  assert.match(meta, /^devops-ai\n/);
  assert.match(meta, /GHSA-m2qf-hxjv-5gpq/);
  assert.match(meta, /CVE-2023-30861/);
  assert.match(meta, /2\.0\.0 -> 2\.2\.5/);
  assert.match(meta, /Requested-by: token:patcher/);
  // HEAD, the index, the work tree and the current branch are as they were.
  assert.equal(git(repo, 'rev-parse', 'HEAD').trim(), headBefore);
  assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), 'main');
  assert.equal(git(repo, 'status', '--porcelain'), statusBefore);
  assert.equal(readFileSync(join(repo, 'svc', 'requirements.txt'), 'utf8'), edited);
  // The finding records the branch.
  const after1 = await viewer.query('securityGuardian.getVulnerabilities', { scanId: started.id, package: 'Flask' });
  assert.equal(after1.items[0].details.patchBranch.commit, applied.commit);

  // Again: the branch exists and is not moved.
  await assert.rejects(operator.mutation('securityGuardian.applyPatch', { vulnerabilityId: fl.id, dryRun: false }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'CONFLICT' && /already exists/.test(e.message));
  assert.equal(git(repo, 'rev-parse', branch).trim(), applied.commit);
  // A lockfile only npm may rewrite: refused, naming the command route.
  await assert.rejects(operator.mutation('securityGuardian.applyPatch', { vulnerabilityId: dbg.id, dryRun: false }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'PRECONDITION_FAILED' && /package manager/.test(e.message));
  assert.equal(git(repo, 'branch', '--list', 'devops-ai/*').trim(), branch);
  assert.ok((await viewer.query('securityGuardian.getScans', {})).total >= 1, 'still serving');
});

test('policies: admin-managed thresholds and ignore rules decide a scan, and the CLI --policy exit code', async () => {
  const work = tempDir('secpolicy');
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const repo = join(work, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'package-lock.json'), JSON.stringify(lock));
  const osvDir = join(work, 'osv');
  mkdirSync(osvDir);
  writeFileSync(join(osvDir, 'debug.json'), JSON.stringify({ ...debug,
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }] }));
  const server = new Server();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const imp = runCli(['db', 'import', osvDir, ...server.storeArgs()]);
  assert.equal(imp.code, 0, imp.stderr);
  await server.start();
  const admin = client(server, server.createToken('admin', 'root'));
  const operator = client(server, server.createToken('operator', 'op'));
  const viewer = client(server, server.createToken('viewer', 'reader'));

  const created = await admin.mutation('securityGuardian.createPolicy', {
    name: 'ci', block: { severity: 'medium' }, warn: { severity: 'low' } });
  assert.equal(created.enforcement, 'block');
  await assert.rejects(operator.mutation('securityGuardian.createPolicy', { name: 'x' }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'FORBIDDEN');
  await assert.rejects(admin.mutation('securityGuardian.createPolicy', {
    name: 'bad', ignore: [{ id: 'X', reason: 'r', expires: '31/12/2099' }] }),
  (e) => e instanceof TRPCClientError && e.data?.code === 'BAD_REQUEST' && /ignore\[0\]\.expires/.test(e.message));
  assert.equal((await viewer.query('securityGuardian.listPolicies')).items.length, 1);

  async function scan() {
    const started = await operator.mutation('securityGuardian.scan', { scanType: 'container', target: repo });
    return waitFor('the scan job to complete', async () => {
      const s = await viewer.query('securityGuardian.getScan', { id: started.id });
      if (s.status === 'failed') throw new Error(`scan failed: ${s.error}`);
      return s.status === 'completed' ? s : null;
    }, 20000, 200);
  }
  assert.equal((await scan()).report.policy.verdict, 'block');
  await admin.mutation('securityGuardian.updatePolicy', { id: created.id, ignore: [
    { id: 'CVE-2017-16137', reason: 'not reachable', expires: '2099-12-31' },
    { package: 'debug', reason: 'old waiver', expires: '2020-01-01' }] });
  const waived = await scan();
  assert.equal(waived.report.policy.verdict, 'pass');
  assert.match(waived.report.policy.policies[0].expiredRules[0], /ignore\[1\] \(debug\): expired on 2020-01-01/);
  const v = (await viewer.query('securityGuardian.getVulnerabilities', { scanId: waived.id })).items[0];
  assert.equal(v.status, 'ignored');
  assert.equal(v.details.ignoredBy.reason, 'not reachable');
  await admin.mutation('securityGuardian.deletePolicy', { id: created.id });
  assert.equal((await viewer.query('securityGuardian.listPolicies')).items.length, 0);

  // The CLI: the policy file decides the exit code (YAML and JSON, same fields).
  const yaml = join(work, 'policy.yaml');
  writeFileSync(yaml, 'block:\n  severity: medium\nignore:\n  - id: GHSA-gxpj-cx7g-858c\n    reason: accepted\n    expires: 2020-06-30\n');
  const blocked = runCli(['scan', 'vuln', repo, '--osv', osvDir, '--policy', yaml, '--format', 'json']);
  assert.equal(blocked.code, 1, blocked.stderr);
  const out = JSON.parse(blocked.stdout);
  assert.equal(out.policy.verdict, 'block');
  assert.match(out.policy.expiredRules[0], /expired on 2020-06-30/);
  const json = join(work, 'policy.json');
  writeFileSync(json, JSON.stringify({ block: { severity: 'medium' },
    ignore: [{ id: 'GHSA-gxpj-cx7g-858c', reason: 'accepted', expires: '2099-06-30' }] }));
  const passed = runCli(['scan', 'vuln', repo, '--osv', osvDir, '--policy', json, '--format', 'json']);
  assert.equal(passed.code, 0, passed.stderr);
  assert.equal(JSON.parse(passed.stdout).findings[0].ignoredBy.reason, 'accepted');
  const warnOnly = join(work, 'warn.json');
  writeFileSync(warnOnly, JSON.stringify({ warn: { cvss: 5.0 } }));
  const warned = runCli(['scan', 'vuln', repo, '--osv', osvDir, '--policy', warnOnly, '--format', 'json']);
  assert.equal(warned.code, 0, warned.stderr);
  assert.equal(JSON.parse(warned.stdout).policy.verdict, 'warn');
  const badFile = join(work, 'bad.yaml');
  writeFileSync(badFile, 'block:\n  severity: severe\n');
  const bad = runCli(['scan', 'vuln', repo, '--osv', osvDir, '--policy', badFile]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /block\.severity/);
});
