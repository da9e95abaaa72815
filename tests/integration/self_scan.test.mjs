// Our own dependencies, checked in CI (issue 13):
//  1. `devops-ai scan sbom` reads each of our npm lockfiles (web/, tests/, tests/e2e/) and its
//     inventory holds every installed package of the lockfile, name and version;
//  2. `devops-ai scan vuln --fail-on critical` matches them against the OSV advisories
//     available offline (../shared/data/osv, SKIPPED with the reason when absent) and fails on
//     a critical finding;
//  3. `npm audit --audit-level=critical` in each directory: fails on a critical finding when
//     the registry answers; SKIPS naming the answer when its audit endpoint refuses (this
//     environment's registry answers 405 Method Not Allowed to the bulk advisory POST).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { binary, childEnv, repoRoot } from './harness.mjs';

const lockfiles = ['web', 'tests', 'tests/e2e'].map((d) => join(repoRoot, d, 'package-lock.json')).filter(existsSync);
const osvDir = resolve(repoRoot, '..', 'shared', 'data', 'osv', 'advisories');

function cli(args) {
  const r = spawnSync(binary, args, { encoding: 'utf8', timeout: 60000, env: childEnv(), maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

test('the scanner inventories every package of our own lockfiles', () => {
  assert.ok(lockfiles.length >= 2, `lockfiles found: ${lockfiles.join(', ')}`);
  for (const lock of lockfiles) {
    const r = cli(['scan', 'sbom', lock, '--format', 'json']);
    assert.equal(r.code, 0, `${lock}: ${r.stderr}`);
    const inv = JSON.parse(r.stdout);
    const found = new Set(inv.packages.map((p) => `${p.name}@${p.version}`));
    // npm lockfile v2/v3: "packages" keyed by node_modules path; "" is the project itself,
    // entries with "link" point at a workspace folder.
    const expected = new Set(Object.entries(JSON.parse(readFileSync(lock, 'utf8')).packages ?? {})
      .filter(([path, p]) => path !== '' && !p.link && p.version)
      .map(([path, p]) => `${p.name ?? path.split('node_modules/').pop()}@${p.version}`));
    const missing = [...expected].filter((k) => !found.has(k));
    assert.deepEqual(missing.slice(0, 10), [], `${lock}: ${missing.length} of ${expected.size} packages missing from the inventory`);
    assert.ok(expected.size > 0);
  }
});

test('no critical advisory matches our own dependencies (offline OSV data)',
  { skip: existsSync(osvDir) ? false : `no offline OSV advisories at ${osvDir}` }, () => {
    const summary = [];
    for (const lock of lockfiles) {
      const r = cli(['scan', 'vuln', lock, '--osv', osvDir, '--fail-on', 'critical', '--format', 'json']);
      assert.ok(r.code === 0 || r.code === 1, `${lock}: exit ${r.code}: ${r.stderr}`);
      const report = JSON.parse(r.stdout);
      assert.ok(report.database.advisories > 0, 'advisories were loaded');
      const critical = report.findings.filter((f) => String(f.severity ?? '').toLowerCase() === 'critical');
      assert.equal(r.code, 0, `${lock}: critical findings: ${JSON.stringify(critical.slice(0, 5))}`);
      summary.push(`${lock.slice(repoRoot.length + 1)}: ${report.packages} packages, ${report.findings.length} findings`);
    }
    console.log(`self-scan: ${summary.join('; ')}`);
  });

// The three audits run at once: each takes ~18 s here before the registry's refusal.
function audit(dir) {
  return new Promise((resolveAudit) => {
    execFile('npm', ['audit', '--json', '--audit-level=critical'], { cwd: dir, encoding: 'utf8', timeout: 90000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => resolveAudit({ error, stdout: stdout ?? '', stderr: stderr ?? '' }));
  });
}

test('npm audit of our lockfiles finds nothing critical', async (t) => {
  const dirs = lockfiles.map((lock) => resolve(lock, '..'));
  const answers = await Promise.all(dirs.map(audit));
  for (const [i, r] of answers.entries()) {
    const name = dirs[i].slice(repoRoot.length + 1);
    let report;
    try {
      report = JSON.parse(r.stdout);
    } catch {
      report = null;
    }
    if (report?.statusCode === 405 || /405 Method Not Allowed/.test(report?.message ?? '')) {
      t.skip(`the registry's audit endpoint refused: ${report.message}`);
      return;
    }
    if (!report || ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ETIMEDOUT'].includes(report.error?.code)) {
      t.skip(`npm audit could not reach the registry: ${report?.error?.summary ?? r.stderr.slice(0, 300)}`);
      return;
    }
    assert.ok(report.metadata?.vulnerabilities, `npm audit of ${name} answered: ${r.stdout.slice(0, 500)}`);
    const critical = report.metadata.vulnerabilities.critical ?? 0;
    assert.equal(critical, 0, `${name}: critical advisories: ${JSON.stringify(Object.keys(report.vulnerabilities ?? {}).slice(0, 10))}`);
  }
});
