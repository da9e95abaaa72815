// Dependency scanning end to end with the real binary and the real @trpc/client: advisories
// imported with `devops-ai db import` (real OSV records from ../shared/data/osv when present,
// else one written here), a repository scanned through securityGuardian.scan (a durable job),
// findings read back with filters, the SBOM in both formats, a Trivy report imported, and the
// CLI's CI exit codes. Bad input gets named errors and the server keeps serving.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTRPCUntypedClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { Server, tempDir, waitFor, runCli, repoRoot } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const advisory = {
  id: 'GHSA-gxpj-cx7g-858c',
  modified: '2023-01-09T05:02:44Z',
  aliases: ['CVE-2017-16137'],
  summary: 'Regular Expression Denial of Service in debug',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }],
  affected: [{ package: { ecosystem: 'npm', name: 'debug' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.6.9' }] }] }],
};
const lock = { lockfileVersion: 3, packages: {
  '': { dependencies: { debug: '2.5.2' } },
  'node_modules/debug': { version: '2.5.2', dependencies: { ms: '0.7.2' } },
  'node_modules/ms': { version: '0.7.2' } } };

function client(server, token) {
  return createTRPCUntypedClient({
    links: [httpBatchLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

test('scan a repository, read findings and SBOMs, import a Trivy report', async () => {
  const work = tempDir('secscan');
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const server = new Server();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  // Advisories go in before the server starts (the CLI opens the same store).
  const osvDir = join(work, 'osv');
  mkdirSync(osvDir);
  writeFileSync(join(osvDir, 'GHSA-gxpj-cx7g-858c.json'), JSON.stringify(advisory));
  const shared = resolve(repoRoot, '..', 'shared', 'data', 'osv', 'advisories');
  const imp = runCli(['db', 'import', osvDir, ...(existsSync(shared) ? [shared] : []), ...server.storeArgs()]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /imported \d+ advisories/);
  await server.start();
  const operator = client(server, server.createToken('operator', 'scanner'));
  const viewer = client(server, server.createToken('viewer', 'reader'));

  const db = await viewer.query('securityGuardian.advisoryDatabase');
  assert.ok(db.advisories >= 1);
  assert.equal(db.ageHours, 0);

  const repo = join(work, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'package-lock.json'), JSON.stringify(lock));
  const started = await operator.mutation('securityGuardian.scan', { scanType: 'container', target: repo });
  // The answer is the scan's row read after it was queued: a job worker may already have taken it.
  assert.ok(['pending', 'running', 'completed'].includes(started.status), `scan status ${started.status}`);
  const done = await waitFor('the scan job to complete', async () => {
    const s = await viewer.query('securityGuardian.getScan', { id: started.id });
    if (s.status === 'failed') throw new Error(`scan failed: ${s.error}`);
    return s.status === 'completed' ? s : null;
  }, 20000, 200);
  // With the shared OSV data, GHSA-w9mr-4mfr-499f (ms < 2.0.0, MEDIUM) also applies to ms@0.7.2.
  const withShared = existsSync(shared);
  assert.equal(done.mediumCount, withShared ? 2 : 1);
  assert.equal(done.report.targetKind, 'repository');
  assert.equal(done.report.packages, 2);
  assert.ok(done.report.database.advisories >= 1, 'the database age travels with the report');

  const all = await viewer.query('securityGuardian.getVulnerabilities', { scanId: started.id, severity: 'medium' });
  assert.equal(all.total, withShared ? 2 : 1);
  const vulns = await viewer.query('securityGuardian.getVulnerabilities', { scanId: started.id, package: 'debug' });
  assert.equal(vulns.total, 1);
  const v = vulns.items[0];
  assert.equal(v.vulnId, 'GHSA-gxpj-cx7g-858c');
  assert.deepEqual(v.aliases, ['CVE-2017-16137']);
  assert.equal(v.packageName, 'debug');
  assert.equal(v.fixedVersion, '2.6.9');
  assert.equal(v.cvssScore, 5.3);
  assert.equal(v.details.patch.distance, 'minor');
  assert.equal(v.details.patch.breakingRisk, 'medium');
  const patch = await operator.mutation('securityGuardian.applyPatch', { vulnerabilityId: v.id });
  assert.equal(patch.toVersion, '2.6.9');
  assert.equal(patch.command, "npm install 'debug@2.6.9'");
  assert.equal(patch.applied, false);
  await assert.rejects(viewer.mutation('securityGuardian.applyPatch', { vulnerabilityId: v.id }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'FORBIDDEN');
  const none = await viewer.query('securityGuardian.getVulnerabilities', { scanId: started.id, severity: 'critical' });
  assert.equal(none.total, 0);

  const cdx = await viewer.query('securityGuardian.getSbom', { scanId: started.id });
  assert.equal(cdx.bomFormat, 'CycloneDX');
  assert.deepEqual(cdx.components.map((c) => c.purl).sort(), ['pkg:npm/debug@2.5.2', 'pkg:npm/ms@0.7.2']);
  const spdx = await viewer.query('securityGuardian.getSbom', { scanId: started.id, format: 'spdx' });
  assert.equal(spdx.spdxVersion, 'SPDX-2.3');

  const trivy = JSON.stringify({ SchemaVersion: 2, ArtifactName: 'app', Results: [{ Target: 'package-lock.json', Type: 'npm',
    Vulnerabilities: [{ VulnerabilityID: 'CVE-2019-11358', PkgName: 'jquery', InstalledVersion: '3.3.9', FixedVersion: '3.4.0', Severity: 'MEDIUM' }] }] });
  const imported = await operator.mutation('securityGuardian.importReport', { report: trivy });
  assert.equal(imported.status, 'completed');
  assert.equal(imported.report.scanner, 'trivy');
  const scans = await viewer.query('securityGuardian.getScans', {});
  assert.ok(scans.total >= 2);

  // Bad input: named errors, and the server keeps serving.
  await assert.rejects(operator.mutation('securityGuardian.scan', { scanType: 'container', target: 'relative' }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'BAD_REQUEST' && /absolute/.test(e.message));
  await assert.rejects(operator.mutation('securityGuardian.scan', { scanType: 'compliance', target: repo }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'BAD_REQUEST' && /framework/.test(e.message));
  await assert.rejects(viewer.mutation('securityGuardian.scan', { scanType: 'container', target: repo }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'FORBIDDEN');
  await assert.rejects(operator.mutation('securityGuardian.importReport', { report: '{"x":1}' }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'BAD_REQUEST');
  assert.ok((await viewer.query('securityGuardian.getScans', {})).total >= 2);

  // The CLI for CI: exit 1 when a finding reaches --fail-on, 0 when none does.
  const fail = runCli(['scan', 'vuln', repo, '--osv', osvDir, '--fail-on', 'medium']);
  assert.equal(fail.code, 1, fail.stderr);
  const pass = runCli(['scan', 'vuln', repo, '--osv', osvDir, '--fail-on', 'high', '--format', 'json']);
  assert.equal(pass.code, 0, pass.stderr);
  assert.equal(JSON.parse(pass.stdout).findings.length, 1, 'only the advisory in --osv is used');
  const sbom = runCli(['scan', 'sbom', join(repo, 'package-lock.json'), '--format', 'cyclonedx']);
  assert.equal(sbom.code, 0);
  assert.equal(JSON.parse(sbom.stdout).specVersion, '1.5');
});
