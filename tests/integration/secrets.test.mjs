// Secrets scanning end to end with the real binary, the real @trpc/client and a real git
// repository built here with the git CLI (argv, no shell): a server-side secrets scan of a
// directory under --scan-roots (working tree and git history: a secret committed then removed
// is reported at the commit that added it), findings redacted and filtered, paths outside the
// roots refused, the compliance scan kind, and the CLI's formats (table, json, SARIF 2.1.0),
// --baseline, --git and exit codes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync, symlinkSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { Server, tempDir, waitFor, runCli, childEnv } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const aws = 'AKIAZ3MQ7RL2XW4PN6TB';
const github = 'ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm';

function client(server, token) {
  return createTRPCUntypedClient({
    links: [httpBatchLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

function git(repo, args, date) {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.org',
    GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.org' };
  if (date) env.GIT_AUTHOR_DATE = env.GIT_COMMITTER_DATE = date;
  return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env }).trim();
}

// A repository whose history holds a GitHub token that is no longer in the working tree, and
// whose working tree holds an AWS key in an uncommitted .env file.
function buildRepo(repo) {
  mkdirSync(repo, { recursive: true });
  git(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'README.md'), 'demo service\n');
  writeFileSync(join(repo, 'deploy.sh'), `#!/bin/sh\nexport GH=${github}\n`);
  git(repo, ['add', '.']);
  git(repo, ['commit', '-q', '-m', 'add deploy script'], '2024-03-01T10:00:00Z');
  const introducing = git(repo, ['rev-parse', 'HEAD']);
  writeFileSync(join(repo, 'deploy.sh'), '#!/bin/sh\nexport GH="$GH_TOKEN"\n');
  git(repo, ['commit', '-q', '-am', 'read the token from the environment'], '2024-03-02T10:00:00Z');
  writeFileSync(join(repo, '.env'), `AWS_ACCESS_KEY_ID=${aws}\n`);
  return introducing;
}

test('server secrets scans: roots, working tree, git history, redaction, compliance', async () => {
  const work = tempDir('secrets');
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const root = join(work, 'root');
  const repo = join(root, 'repo');
  const introducing = buildRepo(repo);
  mkdirSync(join(work, 'outside'));
  writeFileSync(join(work, 'outside', 'k.txt'), `k = ${aws}\n`);
  symlinkSync(join(work, 'outside'), join(root, 'escape'));

  const server = new Server({ extraArgs: ['--scan-roots', root] });
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  await server.start();
  const operator = client(server, server.createToken('operator', 'scanner'));
  const viewer = client(server, server.createToken('viewer', 'reader'));

  const started = await operator.mutation('securityGuardian.scan', { scanType: 'secrets', target: repo, history: true });
  // The answer is the scan's row read after it was queued: a job worker may already have taken it.
  assert.ok(['pending', 'running', 'completed'].includes(started.status), `scan status ${started.status}`);
  assert.equal(started.scanType, 'secrets');
  const done = await waitFor('the secrets scan to complete', async () => {
    const s = await viewer.query('securityGuardian.getScan', { id: started.id });
    if (s.status === 'failed') throw new Error(`scan failed: ${s.error}`);
    return s.status === 'completed' ? s : null;
  }, 20000, 200);
  assert.equal(done.report.targetKind, 'repository');
  assert.equal(done.report.history.commits, 2);
  assert.equal(done.criticalCount, 1, 'the AWS key');
  assert.equal(done.highCount, 1, 'the GitHub token');

  const all = await viewer.query('securityGuardian.getSecretFindings', { scanId: started.id });
  assert.equal(all.total, 2);
  const text = JSON.stringify(all);
  assert.ok(!text.includes(aws) && !text.includes(github), 'no secret in the answer');
  const tree = all.items.find((f) => f.source === 'tree');
  assert.equal(tree.ruleId, 'aws-access-key-id');
  assert.equal(tree.file, '.env');
  assert.equal(tree.line, 1);
  assert.equal(tree.commit, null);
  assert.equal(tree.redacted, 'AKIA****');
  const hist = all.items.find((f) => f.source === 'history');
  assert.equal(hist.ruleId, 'github-pat');
  assert.equal(hist.file, 'deploy.sh');
  assert.equal(hist.line, 2);
  assert.equal(hist.commit, introducing);
  assert.equal(new Date(hist.authorDate).toISOString(), '2024-03-01T10:00:00.000Z');
  assert.match(hist.fingerprint, /^github-pat:deploy\.sh:[0-9a-f]{16}$/);

  const filtered = await viewer.query('securityGuardian.getSecretFindings', { severity: 'critical', limit: 1 });
  assert.equal(filtered.total, 1);
  assert.equal(filtered.items[0].file, '.env');
  const paged = await viewer.query('securityGuardian.getSecretFindings', { scanId: started.id, limit: 1, offset: 1 });
  assert.equal(paged.items.length, 1);
  assert.equal(paged.total, 2);
  assert.equal((await viewer.query('securityGuardian.getSecretFindings', { file: 'deploy' })).total, 1);

  // Refusals, each named: outside the roots (also through a symlink), bad input, viewer role.
  for (const target of [join(work, 'outside'), join(root, 'escape', 'k.txt'), `${root}-evil`]) {
    await assert.rejects(operator.mutation('securityGuardian.scan', { scanType: 'secrets', target }), (e) => {
      assert.ok(e instanceof TRPCClientError);
      assert.equal(e.data.code, 'FORBIDDEN');
      assert.match(e.message, /outside the allowed scan roots/);
      return true;
    });
  }
  await assert.rejects(operator.mutation('securityGuardian.scan', { scanType: 'secrets', target: 'relative' }),
    (e) => e.data.code === 'BAD_REQUEST' && /input\.target/.test(e.message));
  await assert.rejects(viewer.mutation('securityGuardian.scan', { scanType: 'secrets', target: repo }),
    (e) => e.data.code === 'FORBIDDEN');
  await assert.rejects(viewer.query('securityGuardian.getSecretFindings', { severity: 'urgent' }),
    (e) => e.data.code === 'BAD_REQUEST' && /severity/.test(e.message));

  // The compliance scan kind runs the assessment; the secrets findings are its evidence.
  const comp = await operator.mutation('securityGuardian.scan', { scanType: 'compliance', target: 'soc2' });
  assert.equal(comp.status, 'completed');
  const report = await viewer.query('securityGuardian.getComplianceReport', { id: comp.report.complianceReportId });
  const evidence = report.report.controls.flatMap((c) => c.evidence);
  assert.ok(evidence.some((e) => /FAIL secrets findings: 2 \(scan \d+\)/.test(e)), JSON.stringify(evidence));
  await assert.rejects(operator.mutation('securityGuardian.scan', { scanType: 'compliance', target: 'iso9001' }),
    (e) => e.data.code === 'BAD_REQUEST' && /soc2/.test(e.message));

  // The server keeps serving.
  const scans = await viewer.query('securityGuardian.getScans', {});
  assert.ok(scans.total >= 2);
  // The compiled rule database was cached in the data directory for the next start.
  const cached = readdirSync(join(server.dataDir, 'cache')).filter((f) => /^secrets-[0-9a-f]{64}\.hsdb$/.test(f));
  assert.equal(cached.length, 1);

  // A damaged cache file: after a restart the scan still runs (the rules are compiled again),
  // and the server says why in its structured log, as a warning line of JSON.
  const cacheFile = join(server.dataDir, 'cache', cached[0]);
  writeFileSync(cacheFile, readFileSync(cacheFile).subarray(0, 100));
  await server.stop();
  await server.start({ port: server.port });
  const again = await operator.mutation('securityGuardian.scan', { scanType: 'secrets', target: repo });
  const redone = await waitFor('the scan after the restart to complete', async () => {
    const s = await viewer.query('securityGuardian.getScan', { id: again.id });
    if (s.status === 'failed') throw new Error(`scan failed: ${s.error}`);
    return s.status === 'completed' ? s : null;
  }, 20000, 200);
  assert.equal(redone.criticalCount, 1);
  const warning = server.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
    .find((l) => l.msg === 'security' && /secrets rule cache: /.test(l.warning ?? ''));
  assert.ok(warning, `no rule-cache warning in the server log: ${server.stderr.slice(-1500)}`);
  assert.equal(warning.level, 'warn');
  assert.ok(statSync(cacheFile).size > 100, 'the damaged file was replaced');
});

test('CLI scan secrets: formats, baseline, git history and exit codes', () => {
  const work = tempDir('secrets-cli');
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const repo = join(work, 'repo');
  const introducing = buildRepo(repo);

  const table = runCli(['scan', 'secrets', repo]);
  assert.equal(table.code, 1, table.stderr);
  assert.match(table.stdout, /\.env:1:19\taws-access-key-id\tAKIA\*\*\*\*/);
  assert.ok(!table.stdout.includes(aws));

  const json = runCli(['scan', 'secrets', repo, '--format', 'json']);
  assert.equal(json.code, 1);
  const findings = JSON.parse(json.stdout).findings;
  assert.equal(findings.length, 1);
  assert.equal(findings[0].ruleId, 'aws-access-key-id');
  assert.equal(findings[0].secret, 'AKIA****');

  const sarif = JSON.parse(runCli(['scan', 'secrets', repo, '--format', 'sarif']).stdout);
  assert.equal(sarif.version, '2.1.0');
  const result = sarif.runs[0].results[0];
  assert.equal(result.ruleId, 'aws-access-key-id');
  const loc = result.locations[0].physicalLocation;
  assert.equal(loc.artifactLocation.uri, join(repo, '.env'));
  assert.equal(loc.region.startLine, 1);
  assert.ok(sarif.runs[0].tool.driver.rules.some((r) => r.id === 'aws-access-key-id'));
  assert.ok(!JSON.stringify(sarif).includes(aws));

  // A baseline of the current findings suppresses them: exit 0.
  const baseline = join(work, 'baseline.json');
  writeFileSync(baseline, json.stdout);
  const base = runCli(['scan', 'secrets', repo, '--baseline', baseline]);
  assert.equal(base.code, 0, base.stdout);
  assert.equal(base.stdout, '');

  // History: the removed token, at the commit that added it.
  const hist = runCli(['scan', 'secrets', repo, '--git', '--format', 'json']);
  assert.equal(hist.code, 1, hist.stderr);
  const h = JSON.parse(hist.stdout).findings;
  assert.equal(h.length, 1);
  assert.equal(h[0].ruleId, 'github-pat');
  assert.equal(h[0].path, 'deploy.sh');
  assert.equal(h[0].commit, introducing);
  assert.equal(new Date(h[0].authorDate).toISOString(), '2024-03-01T10:00:00.000Z');
  const hs = JSON.parse(runCli(['scan', 'secrets', repo, '--git', '--format', 'sarif']).stdout);
  assert.equal(hs.runs[0].results[0].properties.commit, introducing);

  // Clean input exits 0; bad input exits 2 with the path named.
  mkdirSync(join(work, 'clean'));
  writeFileSync(join(work, 'clean', 'a.txt'), 'nothing to see\n');
  assert.equal(runCli(['scan', 'secrets', join(work, 'clean')]).code, 0);
  const missing = runCli(['scan', 'secrets', join(work, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope: no such file or directory/);
  const notRepo = runCli(['scan', 'secrets', join(work, 'clean'), '--git']);
  assert.equal(notRepo.code, 2);
  assert.match(notRepo.stderr, /is not a git repository/);
  const badBaseline = join(work, 'bad.json');
  writeFileSync(badBaseline, '{"x": 1}');
  const bb = runCli(['scan', 'secrets', repo, '--baseline', badBaseline]);
  assert.equal(bb.code, 2);
  assert.match(bb.stderr, /baseline/);
  assert.equal(runCli(['scan', 'secrets', repo, '--format', 'xml']).code, 2);
});

test('CLI scan secrets: the compiled-rule cache is written, reused, repaired and skippable', () => {
  const work = tempDir('secrets-cache');
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const tree = join(work, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'config.py'), `aws_key = "${aws}"\ntoken = "${github}"\n`);
  const cacheHome = join(work, 'xdg');
  const env = childEnv({ XDG_CACHE_HOME: cacheHome });
  const run = (...extra) => runCli(['scan', 'secrets', tree, '--format', 'json', ...extra], { env });
  const cacheFiles = () => {
    try {
      return readdirSync(join(cacheHome, 'devops-ai')).filter((f) => f.endsWith('.hsdb'));
    } catch { return []; }
  };

  const noCache = run('--no-cache');
  assert.equal(noCache.code, 1, noCache.stderr);
  assert.deepEqual(cacheFiles(), []);  // --no-cache neither reads nor writes
  const rules = JSON.parse(noCache.stdout).findings.map((f) => f.ruleId);
  assert.ok(rules.includes('aws-access-key-id') && rules.includes('github-pat'), rules.join());

  const cold = run();  // compiles and stores
  assert.equal(cold.code, 1, cold.stderr);
  assert.equal(cold.stdout, noCache.stdout);
  const files = cacheFiles();
  assert.equal(files.length, 1);
  assert.match(files[0], /^secrets-[0-9a-f]{64}\.hsdb$/);
  const file = join(cacheHome, 'devops-ai', files[0]);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const good = readFileSync(file);

  const inode = statSync(file).ino;
  const warm = run();  // loads: the file is not rewritten (a rewrite renames a new inode in)
  assert.equal(warm.stdout, noCache.stdout);
  assert.equal(warm.stderr, '');
  assert.equal(statSync(file).ino, inode);

  // A damaged cache file is reported on stderr, ignored, and replaced by a good one.
  writeFileSync(file, good.subarray(0, good.length >> 1));
  const repaired = run();
  assert.equal(repaired.code, 1);
  assert.equal(repaired.stdout, noCache.stdout);
  assert.match(repaired.stderr, /rule cache: .*hsdb: .*serialized database/);
  assert.deepEqual(cacheFiles(), files);
  const replaced = statSync(file).ino;
  assert.notEqual(replaced, inode);
  const after = run();  // the replacement loads without a note
  assert.equal(after.stdout, noCache.stdout);
  assert.equal(after.stderr, '');
  assert.equal(statSync(file).ino, replaced);
});
