// CI/CD Orchestrator through the real @trpc/client against the real server: a pipeline
// generated from a real git repository (npm package with a node:test test), run by the
// server's runner as a durable job, passing; a commit that breaks the test makes the next run
// fail at the test step; JUnit ingestion and test health; canary judgement on samples with a
// known answer; release notes from the repository's conventional commits; bad input named; a
// failed deployment run reaching the Self-Healing rules as a deployment_failure signal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, runCli, startReceiver, tempDir, waitFor } from './harness.mjs';

let server;
let api;
let repo;

function git(...args) {
  execFileSync('git', ['-c', 'user.name=Ann Dev', '-c', 'user.email=ann@example.com', '-c', 'init.defaultBranch=main', ...args],
    { cwd: repo, stdio: 'pipe' });
}

async function waitRun(id) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const run = await api.query('cicdOrchestrator.getRun', { id });
    if (['succeeded', 'failed', 'cancelled'].includes(run.status)) return run;
    assert.ok(Date.now() < deadline, `run ${id} still ${run.status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  repo = tempDir('cicd-repo');
  mkdirSync(join(repo, 'test'), { recursive: true });
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'calc', version: '1.0.0', scripts: { test: 'node --test' } }));
  writeFileSync(join(repo, 'calc.js'), 'exports.add = (a, b) => a + b;\n');
  writeFileSync(join(repo, 'test', 'calc.test.js'),
    "const test = require('node:test');\nconst assert = require('node:assert');\nconst { add } = require('../calc');\n" +
    "test('adds', () => assert.equal(add(2, 2), 4));\n");
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'feat(calc): add numbers (#1)');
  server = await new Server().start();
  const token = server.createToken('operator', 'cicd-test');
  api = createTRPCUntypedClient({ links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })] });
});

after(async () => {
  await server.stop();
  server.cleanup();
  rmSync(repo, { recursive: true, force: true });
});

test('generatePipeline detects npm and emits GitHub and GitLab YAML', async () => {
  const gh = await api.mutation('cicdOrchestrator.generatePipeline', { repository: repo, format: 'github' });
  assert.deepEqual(gh.toolchains.map((t) => t.kind), ['npm']);
  assert.match(gh.yaml, /actions\/checkout@v4/);
  assert.match(gh.yaml, /run: npm test/);
  const gl = await api.mutation('cicdOrchestrator.generatePipeline', { repository: repo, format: 'gitlab' });
  assert.match(gl.yaml, /stages:/);
  await assert.rejects(api.mutation('cicdOrchestrator.generatePipeline', { repository: join(repo, 'nope'), format: 'github' }),
    (err) => err.data?.code === 'NOT_FOUND' && /nope/.test(err.message));
});

test('a generated pipeline runs green, then a breaking commit fails at the test step', async () => {
  const p = await api.mutation('cicdOrchestrator.createPipeline', { name: 'calc', repository: repo });
  assert.equal(p.generated, true);
  assert.ok(p.definition.jobs.length >= 1);
  const list = await api.query('cicdOrchestrator.listPipelines', {});
  assert.ok(list.items.some((x) => x.id === p.id));
  const queued = await api.mutation('cicdOrchestrator.triggerRun', { pipelineId: p.id });
  assert.equal(queued.status, 'queued');
  const ok = await waitRun(queued.id);
  assert.equal(ok.status, 'succeeded', ok.failureReason ?? '');
  assert.equal(ok.commitSha.length, 40);
  assert.ok(ok.steps.some((s) => s.step.includes('npm test') && s.status === 'succeeded'));
  assert.match(ok.log, /adds/);
  // One run of history: no prediction, and the run says why instead of a number.
  assert.equal(ok.prediction.probability, null);
  assert.match(ok.prediction.note, /not enough history/);
  assert.ok(ok.change.filesTouched >= 3, JSON.stringify(ok.change));
  assert.equal(ok.change.author, 'ann@example.com');

  writeFileSync(join(repo, 'calc.js'), 'exports.add = (a, b) => a - b;\n');
  git('commit', '-qam', 'fix(calc)!: subtract instead\n\nBREAKING CHANGE: add now subtracts');
  const second = await api.mutation('cicdOrchestrator.triggerRun', { pipelineId: p.id });
  const bad = await waitRun(second.id);
  assert.equal(bad.status, 'failed');
  const failedStep = bad.steps.find((s) => s.status === 'failed');
  assert.ok(failedStep && failedStep.step.includes('npm test'), JSON.stringify(bad.steps));
  assert.match(bad.failureReason, /npm test/);
  const runs = await api.query('cicdOrchestrator.listRuns', { pipelineId: p.id });
  assert.equal(runs.items.length, 2);
  const opt = await api.query('cicdOrchestrator.getOptimizations', { pipelineId: p.id });
  assert.ok(Array.isArray(opt.items));

  const junit = (outcome) => `<testsuite name="calc"><testcase classname="calc" name="adds" time="0.01">${
    outcome === 'fail' ? '<failure message="boom"/>' : ''}</testcase></testsuite>`;
  await api.mutation('cicdOrchestrator.ingestJunit', { pipelineId: p.id, xml: junit('fail'), commit: 'abc' });
  const r = await api.mutation('cicdOrchestrator.ingestJunit', { pipelineId: p.id, xml: junit('pass'), commit: 'abc' });
  assert.equal(r.tests, 1);
  const health = await api.query('cicdOrchestrator.testHealth', { pipelineId: p.id });
  assert.equal(health.items[0].isFlaky, true, 'failed and passed on the same commit');
  await assert.rejects(api.mutation('cicdOrchestrator.ingestJunit', { pipelineId: p.id, xml: '<testsuite>' }),
    (err) => err.data?.code === 'PARSE_ERROR' || err.data?.code === 'BAD_REQUEST');

  const notes = await api.mutation('cicdOrchestrator.releaseNotes', { repository: repo, title: 'v2.0.0' });
  assert.equal(notes.features, 1);
  assert.equal(notes.breaking, 1);
  assert.match(notes.markdown, /## Breaking changes/);
  assert.match(notes.markdown, /add now subtracts/);
});

test('cancelRun stops a long step: its process is killed and the run ends cancelled', async () => {
  const p = await api.mutation('cicdOrchestrator.createPipeline', {
    name: 'long', repository: repo,
    definition: { name: 'long', branches: ['main'], jobs: [{ id: 'slow', name: 'slow', needs: [], runsOn: 'local', image: '', timeoutMinutes: 5, caches: [],
      steps: [{ name: 'sleep', argv: ['sh', '-c', 'echo pid=$$; exec sleep 120'] }, { name: 'after', argv: ['true'] }] }] },
  });
  const queued = await api.mutation('cicdOrchestrator.triggerRun', { pipelineId: p.id });
  let pid = 0;
  const deadline = Date.now() + 30_000;
  while (!pid) {
    const run = await api.query('cicdOrchestrator.getRun', { id: queued.id });
    const m = /pid=(\d+)/.exec(run.log);
    if (m) pid = Number(m[1]);
    assert.ok(Date.now() < deadline, `the step never started: ${run.status} ${run.log}`);
    if (!pid) await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, 0); // alive before the cancel
  const viewer = createTRPCUntypedClient({ links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${server.createToken('viewer', 'cicd-viewer')}` } })] });
  await assert.rejects(viewer.mutation('cicdOrchestrator.cancelRun', { id: queued.id }), (err) => err.data?.code === 'FORBIDDEN');
  await api.mutation('cicdOrchestrator.cancelRun', { id: queued.id });
  const done = await waitRun(queued.id);
  assert.equal(done.status, 'cancelled');
  assert.match(done.failureReason, /cancelled by token:cicd-test/);
  assert.deepEqual(done.steps.map((s) => s.status), ['cancelled', 'cancelled']);
  assert.ok(done.steps[0].durationMs < 60_000);
  assert.throws(() => process.kill(pid, 0), (err) => err.code === 'ESRCH', `step process ${pid} survived`);
  await assert.rejects(api.mutation('cicdOrchestrator.cancelRun', { id: queued.id }),
    (err) => err.data?.code === 'PRECONDITION_FAILED' && /already cancelled/.test(err.message));
  await assert.rejects(api.mutation('cicdOrchestrator.cancelRun', { id: 999999 }), (err) => err.data?.code === 'NOT_FOUND');
});

test('with enough history a run carries a failure prediction and its main reasons', async () => {
  const p = await api.mutation('cicdOrchestrator.createPipeline', {
    name: 'predict', repository: repo,
    definition: { name: 'predict', branches: ['main'], jobs: [{ id: 'check', name: 'check', needs: [], runsOn: 'local', image: '', timeoutMinutes: 5, caches: [],
      steps: [{ name: 'no broken marker', argv: ['sh', '-c', 'test ! -e broken'] }] }] },
  });
  // Breaking commits touch the marker (and more lines); good ones touch a notes file.
  for (let i = 0; i < 12; i++) {
    const broken = i % 3 === 1;
    if (broken) writeFileSync(join(repo, 'broken'), 'x\n'.repeat(20 + i));
    else rmSync(join(repo, 'broken'), { force: true });
    writeFileSync(join(repo, 'notes.txt'), `note ${i}\n`);
    git('add', '-A');
    git('commit', '-qm', `chore: step ${i}`);
    const run = await api.mutation('cicdOrchestrator.triggerRun', { pipelineId: p.id });
    const done = await waitRun(run.id);
    assert.equal(done.status, broken ? 'failed' : 'succeeded', done.failureReason ?? '');
  }
  rmSync(join(repo, 'broken'), { force: true });
  writeFileSync(join(repo, 'notes.txt'), 'final\n');
  git('add', '-A');
  git('commit', '-qm', 'chore: final');
  const last = await waitRun((await api.mutation('cicdOrchestrator.triggerRun', { pipelineId: p.id })).id);
  assert.equal(last.prediction.trainedOn, 12);
  assert.equal(typeof last.prediction.probability, 'number');
  assert.ok(last.prediction.probability >= 0 && last.prediction.probability <= 1);
  assert.ok(last.prediction.reasons.length <= 3);
  assert.match(last.prediction.note, /logistic regression over 12 earlier runs/);
});

test('the server refuses run workspaces inside its data directory', () => {
  const dir = tempDir('cicd-runs');
  try {
    const r = runCli(['serve', '--data-dir', dir, '--runs-dir', join(dir, 'runs'), '--listen', '127.0.0.1:0'], { timeout: 15000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /setting runs_dir: .* overlaps the data directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('createPipeline refuses a cyclic definition, naming the cycle', async () => {
  const step = { name: 's', argv: ['true'] };
  await assert.rejects(api.mutation('cicdOrchestrator.createPipeline', {
    name: 'cyc', repository: repo,
    definition: { name: 'x', branches: ['main'], jobs: [{ id: 'a', needs: ['b'], steps: [step] }, { id: 'b', needs: ['a'], steps: [step] }] },
  }), (err) => err.data?.code === 'BAD_REQUEST' && /cycle/.test(err.message));
});

test('judgeCanary: a degraded canary fails and asks for rollback, a healthy one passes', async () => {
  const base = Array.from({ length: 40 }, (_, i) => 100 + ((i * 37) % 20));
  const same = Array.from({ length: 40 }, (_, i) => 100 + ((i * 53) % 20));
  const slow = base.map((v) => v * 1.5);
  const healthy = await api.mutation('cicdOrchestrator.judgeCanary', { metrics: [{ name: 'latency', baseline: base, canary: same }] });
  assert.equal(healthy.decision, 'pass');
  const degraded = await api.mutation('cicdOrchestrator.judgeCanary', { metrics: [{ name: 'latency', baseline: base, canary: slow }] });
  assert.equal(degraded.decision, 'fail');
  assert.equal(degraded.rollback, true);
  assert.equal(degraded.metrics[0].classification, 'high');
  await assert.rejects(api.mutation('cicdOrchestrator.judgeCanary', { metrics: [{ name: 'q', baselineQuery: 'up', canaryQuery: 'up' }] }),
    (err) => err.data?.code === 'PRECONDITION_FAILED' && /prometheus-url/.test(err.message));
});

test('a failed deployment run is a deployment_failure signal the healing rules act on; a later green deployment verifies it', async () => {
  const receiver = await startReceiver();
  const { received } = receiver;
  try {
    const rule = await api.mutation('selfHealing.createRule', {
      name: 'rollback-on-failed-deploy', conditionType: 'deployment_failure',
      conditionConfig: { matchers: ['alertname="DeploymentFailed"'] },
      actionType: 'http_request',
      actionConfig: { url: `${receiver.url}/rollback`, targetLabel: 'pipeline', allowedTargets: ['shipit', 'lint-only'] },
      requiresApproval: false, cooldownSeconds: 1, verifySeconds: 120,
    });
    const pipeline = (name, jobId, argv) => api.mutation('cicdOrchestrator.createPipeline', {
      name, repository: repo,
      definition: { name, branches: ['main'], jobs: [{ id: jobId, name: jobId, needs: [], runsOn: 'local', image: '', timeoutMinutes: 5, caches: [],
        steps: [{ name: 'step', argv }] }] },
    });
    // A failing pipeline that deploys nothing is not a deployment failure.
    const lint = await pipeline('lint-only', 'lint', ['false']);
    assert.equal((await waitRun((await api.mutation('cicdOrchestrator.triggerRun', { pipelineId: lint.id })).id)).status, 'failed');
    // A failing deployment (its job's name starts with "deploy"): the rule acts on it.
    const ship = await pipeline('shipit', 'deploy-prod', ['sh', '-c', 'test ! -e broken-deploy']);
    writeFileSync(join(repo, 'broken-deploy'), 'x\n');
    git('add', '-A');
    git('commit', '-qm', 'chore: break the deploy');
    assert.equal((await waitRun((await api.mutation('cicdOrchestrator.triggerRun', { pipelineId: ship.id })).id)).status, 'failed');
    const acted = await waitFor('the deployment rule to act', async () => {
      const h = await api.query('selfHealing.getHistory', { ruleId: rule.id });
      const a = h.items.find((x) => !['pending', 'approved', 'running'].includes(x.status));
      return a && received.length > 0 ? a : null;
    }, 30000).catch(async (e) => {
      const h = await api.query('selfHealing.getHistory', {});
      throw new Error(`${e.message}; received ${received.length}; history ${JSON.stringify(h.items)}`);
    });
    assert.equal(acted.status, 'verifying', JSON.stringify(acted));
    assert.equal(acted.target, 'shipit');
    assert.equal(acted.signal.kind, 'deployment_failure');
    assert.equal(acted.signal.labels.pipeline, 'shipit');
    assert.deepEqual(received.map((r) => r.url), ['/rollback']);
    const all = await api.query('selfHealing.getHistory', { ruleId: rule.id });
    assert.equal(all.items.length, 1, 'the non-deployment failure was not a signal');
    // The next deployment of that pipeline succeeds: the condition cleared, the action succeeded.
    rmSync(join(repo, 'broken-deploy'));
    git('add', '-A');
    git('commit', '-qm', 'fix: the deploy');
    assert.equal((await waitRun((await api.mutation('cicdOrchestrator.triggerRun', { pipelineId: ship.id })).id)).status, 'succeeded');
    const verified = await waitFor('the action to be verified', async () => {
      const a = await api.query('selfHealing.getAction', { id: acted.id });
      return a.status === 'succeeded' ? a : null;
    }, 30000);
    assert.ok(verified.verifiedAt, JSON.stringify(verified));
  } finally {
    await receiver.close();
  }
});
