// Test selection (cicdOrchestrator.selectTests) through the real @trpc/client against the real
// server: runs of a real git repository record their changed files, JUnit reports are ingested
// per commit, and a change to a file ranks first the test that failed with it before, with the
// co-failure reason; a run's selection sees only the history before it; a commit range is read
// with git; bad input is named. Then the replay machinery (scripts/cicd-replay-eval) on a tiny
// history: every seeded fault is caught by the runner's run and the table is printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, binary, repoRoot, tempDir } from './harness.mjs';

let server;
let api;
let repo;

function git(dir, ...args) {
  return execFileSync('git', ['-c', 'user.name=Ann Dev', '-c', 'user.email=ann@example.com', '-c', 'init.defaultBranch=main', ...args],
    { cwd: dir, stdio: 'pipe' }).toString().trim();
}

async function waitRun(id) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const run = await api.query('cicdOrchestrator.getRun', { id });
    if (['succeeded', 'failed', 'cancelled'].includes(run.status)) return run;
    assert.ok(Date.now() < deadline, `run ${id} still ${run.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const junit = (failing) => `<testsuites>
  <testsuite name="test/a.test.js"><testcase classname="test" name="a works" time="0.4">${
    failing === 'a' ? '<failure message="a broke"/>' : ''}</testcase></testsuite>
  <testsuite name="test/b.test.js"><testcase classname="test" name="b works" time="0.3">${
    failing === 'b' ? '<failure message="b broke"/>' : ''}</testcase></testsuite>
  <testsuite name="test/slow.test.js"><testcase classname="test" name="slow" time="5"/></testsuite>
</testsuites>`;

before(async () => {
  repo = tempDir('select-repo');
  mkdirSync(join(repo, 'src'), { recursive: true });
  writeFileSync(join(repo, 'src', 'a.js'), 'exports.a = 1;\n');
  writeFileSync(join(repo, 'src', 'b.js'), 'exports.b = 1;\n');
  git(repo, 'init', '-q');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'initial');
  server = await new Server().start();
  const token = server.createToken('operator', 'select-test');
  api = createTRPCUntypedClient({ links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })] });
});

after(async () => {
  await server.stop();
  server.cleanup();
  rmSync(repo, { recursive: true, force: true });
});

test('selectTests ranks by co-failure with the changed files, within a budget, with reasons', async () => {
  const p = await api.mutation('cicdOrchestrator.createPipeline', {
    name: 'select', repository: repo,
    definition: { name: 'select', branches: ['main'], jobs: [{ id: 't', name: 't', needs: [], runsOn: 'local', image: '', timeoutMinutes: 5, caches: [],
      steps: [{ name: 'noop', argv: ['true'] }] }] },
  });
  const empty = await api.query('cicdOrchestrator.selectTests', { pipelineId: p.id, changedFiles: ['src/a.js'] });
  assert.equal(empty.historyRuns, 0);
  assert.equal(empty.items.length, 0);
  assert.match(empty.note, /no test history/);

  // Each commit: a run (which records its changed files), then that commit's JUnit report.
  const runs = [];
  for (const [file, failing] of [['src/a.js', 'a'], ['src/b.js', 'b'], ['src/a.js', 'a'], ['src/b.js', ''], ['src/a.js', '']]) {
    writeFileSync(join(repo, file), `exports.v = ${runs.length};\n`);
    git(repo, 'commit', '-qam', `change ${file}`);
    const queued = await api.mutation('cicdOrchestrator.triggerRun', { pipelineId: p.id });
    const run = await waitRun(queued.id);
    assert.equal(run.status, 'succeeded', run.failureReason ?? '');
    runs.push(run);
    await api.mutation('cicdOrchestrator.ingestJunit', { pipelineId: p.id, xml: junit(failing), commit: run.commitSha });
  }
  const all = await api.query('cicdOrchestrator.selectTests', { pipelineId: p.id, changedFiles: ['src/a.js'] });
  assert.equal(all.source, 'files');
  assert.equal(all.historyRuns, 5);
  assert.equal(all.testCount, 3);
  assert.equal(all.items[0].test, 'test/a.test.js::a works');
  assert.equal(all.items[0].suite, 'test/a.test.js');
  assert.equal(all.items[0].reasons[0].kind, 'co-failure');
  // src/a.js changed in runs 1, 3, 5 (the first run's change is the whole initial tree's
  // files only when there is no earlier run; here run 1 changed src/a.js alone).
  assert.equal(all.items[0].reasons[0].text, 'failed in 2 of 3 earlier runs that changed src/a.js');
  assert.ok(all.items.every((t) => t.selected), 'no budget: every test');
  assert.ok(all.items[0].score > all.items[1].score);
  const slow = all.items.find((t) => t.name === 'slow');
  assert.equal(slow.score, 0);
  assert.ok(Math.abs(slow.durationMs - 5000) < 1e-6);

  const budget = await api.query('cicdOrchestrator.selectTests', { pipelineId: p.id, changedFiles: ['src/a.js'], budgetSeconds: 1 });
  assert.equal(budget.budgetMs, 1000);
  assert.ok(budget.selectedMs <= 1000);
  assert.deepEqual(budget.items.filter((t) => t.selected).map((t) => t.name).sort(), ['a works', 'b works']);
  assert.equal(budget.items.find((t) => t.name === 'slow').selected, false);

  // The third run's own selection sees runs 1 and 2 only.
  const third = await api.query('cicdOrchestrator.selectTests', { pipelineId: p.id, runId: runs[2].id });
  assert.equal(third.source, 'run');
  assert.deepEqual(third.changedFiles, ['src/a.js']);
  assert.equal(third.historyRuns, 2);
  assert.equal(third.items[0].reasons[0].text, 'failed in 1 of 1 earlier runs that changed src/a.js');

  const range = await api.query('cicdOrchestrator.selectTests', { pipelineId: p.id, from: 'HEAD~2', to: 'HEAD' });
  assert.deepEqual(range.changedFiles.sort(), ['src/a.js', 'src/b.js']);

  const bad = (input, code, re) => assert.rejects(api.query('cicdOrchestrator.selectTests', input),
    (err) => err.data?.code === code && re.test(err.message));
  await bad({ pipelineId: p.id, runId: runs[0].id, changedFiles: ['x'] }, 'BAD_REQUEST', /exactly one of/);
  await bad({ pipelineId: p.id }, 'BAD_REQUEST', /exactly one of/);
  await bad({ pipelineId: p.id, from: '--output=/tmp/x' }, 'BAD_REQUEST', /must not start with '-'/);
  await bad({ pipelineId: p.id, from: 'no-such-ref' }, 'BAD_REQUEST', /git diff/);
  await bad({ pipelineId: p.id, changedFiles: ['a'], budgetSeconds: -1 }, 'BAD_REQUEST', /budgetSeconds/);
  await bad({ pipelineId: 99999, changedFiles: ['a'] }, 'NOT_FOUND', /pipeline 99999/);
  await bad({ pipelineId: p.id, runId: 99999 }, 'NOT_FOUND', /run 99999/);
});

test('the replay machinery: seeded faults are caught by the runner and the table is printed', async () => {
  // A tiny history: six commits touching source files in two directories.
  const hist = tempDir('replay-history');
  const out = tempDir('replay-out');
  try {
    git(hist, 'init', '-q');
    for (let i = 0; i < 6; i++) {
      const dir = join(hist, 'src', i % 2 ? 'x' : 'y');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `f${i % 3}.cc`), `int v = ${i};\n`);
      git(hist, 'add', '.');
      git(hist, 'commit', '-qm', `c${i}`);
    }
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'cicd-replay-eval'), '--bin', binary,
      '--history', hist, '--commits', '6', '--warmup', '2', '--fault-rate', '1', '--seeds', '3', '--out', out],
    { encoding: 'utf8', timeout: 240_000 });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const { runs } = JSON.parse(readFileSync(join(out, 'runs.json'), 'utf8'));
    assert.equal(runs.length, 6);
    for (const run of runs) {
      // Every commit touches a source module, so every run has a fault and fails; the fault's
      // module's test is among the failures.
      assert.ok(run.seededFaults.length >= 1, JSON.stringify(run));
      assert.equal(run.status, 'failed', JSON.stringify(run));
      const xml = readFileSync(run.junit, 'utf8');
      const mod = run.seededFaults[0].split(':')[0].replace(/^src\//, 'test/').replace(/\.js$/, '.test.js');
      const suite = xml.split('<testsuite ').find((s) => s.startsWith(`name="${mod}"`));
      assert.ok(suite && suite.includes('<failure'), `${mod} should fail in ${run.junit}`);
    }
    assert.match(r.stdout, /run everything\s+100%\s+100%/);
    assert.match(r.stdout, /selection, budget 10\.0%/);
    assert.match(r.stdout, /random, equal cost \(median of 3\)/);
    assert.match(r.stdout, /failure prediction/);
  } finally {
    rmSync(hist, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});
