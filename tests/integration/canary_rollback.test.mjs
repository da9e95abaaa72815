// Canary auto-rollback end to end: a small exporter started here exposes a baseline and two
// canaries (healthy: the baseline's latency; degraded: three times it) with fresh noise on
// every scrape; the real Prometheus scrapes it every second; judgeCanary queries both windows
// with PromQL. The degraded canary fails and rolls back through Self-Healing — the healing
// rule's Kubernetes rollout undo of shop/web against the fake API server (the JSON patch of
// the previous ReplicaSet's template is asserted as the fake received it), recorded as a
// healing action with the verdict as evidence, audited; the healthy canary passes and nothing
// is sent. The rule's cooldown then holds a second rollback back, and a canary without a
// healing rule for its target reports that instead of acting.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, tempDir, waitFor, freePort, repoRoot, havePath } from './harness.mjs';
import { startFakeKube, kubeconfigFor } from '../fakes/kube-apiserver.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function client(server, token) {
  return createTRPCUntypedClient({
    links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

// Latency in seconds per track; each scrape draws fresh uniform noise of ±2 %.
const LEVELS = { baseline: 0.1, healthy: 0.1, degraded: 0.3 };
async function startExporter() {
  const srv = http.createServer((req, res) => {
    if (req.url !== '/metrics') { res.writeHead(404).end(); return; }
    const lines = ['# TYPE canary_latency_seconds gauge'];
    for (const [track, level] of Object.entries(LEVELS)) {
      lines.push(`canary_latency_seconds{track="${track}"} ${(level * (1 + (Math.random() - 0.5) * 0.04)).toFixed(6)}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(lines.join('\n') + '\n');
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { port: srv.address().port, close: () => new Promise((r) => { srv.closeAllConnections?.(); srv.close(() => r()); }) };
}

async function startScrapingPrometheus(dir, target) {
  const port = await freePort();
  writeFileSync(join(dir, 'prom.yml'), [
    'global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: canary',
    '    static_configs:', `      - targets: ['${target}']`, '',
  ].join('\n'));
  const prom = spawn('prometheus', [`--config.file=${join(dir, 'prom.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  prom.stderr.on('data', (d) => { log = (log + d.toString()).slice(-4000); });
  const exited = new Promise((r) => prom.on('exit', r));
  const close = async () => { prom.kill('SIGTERM'); await exited; };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('Prometheus to be ready', async () => (await fetch(`${url}/-/ready`)).ok, 30000);
  } catch (e) {
    await close();
    throw new Error(`${e.message}\n${log}`);
  }
  return { url, close };
}

const metric = (track) => ({
  name: 'latency', harmful: 'increase',
  baselineQuery: 'canary_latency_seconds{track="baseline"}',
  canaryQuery: `canary_latency_seconds{track="${track}"}`,
});

test('a degraded canary rolls back through Self-Healing (Kubernetes rollout undo), a healthy one does not', { skip: !havePath('prometheus') && 'prometheus is not installed' }, async () => {
  const dir = tempDir('canary');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const exporter = await startExporter();
  cleanups.push(() => exporter.close());
  const prom = await startScrapingPrometheus(dir, `127.0.0.1:${exporter.port}`);
  cleanups.push(() => prom.close());
  const fixture = JSON.parse(readFileSync(join(repoRoot, 'tests', 'fakes', 'kube-fixture.json'), 'utf8'));
  const fake = await startFakeKube({ ...fixture, token: 'canary-token' });
  cleanups.push(() => fake.close());
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigFor(fake.url, { token: 'canary-token' }));
  const server = await new Server({ extraArgs: ['--kubeconfig', join(dir, 'kubeconfig'), '--prometheus-url', prom.url] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const op = client(server, server.createToken('operator', 'olga'));
  const admin = client(server, server.createToken('admin', 'ada'));

  // The healing rule that allows rolling back shop/web; its cooldown is the policy under test.
  const rule = await op.mutation('selfHealing.createRule', {
    name: 'canary-rollback-web', conditionType: 'alert', conditionConfig: { matchers: ['alertname="CanaryFailed"'] },
    actionType: 'rollback', actionConfig: { target: 'web', namespace: 'shop', verifyTimeoutSeconds: 10 },
    requiresApproval: false, cooldownSeconds: 600,
  });
  const pipeline = await op.mutation('cicdOrchestrator.createPipeline', {
    name: 'web', repository: dir,
    definition: { name: 'web', branches: ['main'], jobs: [{ id: 'deploy-prod', name: 'deploy-prod', needs: [], runsOn: 'local', image: '', timeoutMinutes: 5, caches: [], steps: [{ name: 'ship', argv: ['true'] }] }] },
    deployTargets: [{ name: 'prod', rollback: { action: 'rollback', target: 'web' } }, { name: 'staging' }],
  });
  assert.deepEqual(pipeline.deployTargets, [{ name: 'prod', rollback: { action: 'rollback', target: 'web' } }, { name: 'staging' }]);

  // Ten scrapes of every series before judging.
  await waitFor('ten scrapes of the canary series', async () => {
    const r = await (await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent('min(count_over_time(canary_latency_seconds[1m]))')}`)).json();
    return Number(r.data?.result?.[0]?.value?.[1] ?? 0) >= 10;
  }, 40000);

  const webTemplate = () => JSON.stringify(fake.kube.objects.get('apps/deployments/shop/web').spec.template);
  const patchesOfWeb = () => fake.kube.requests.filter((q) => q.method === 'PATCH' && q.path === '/apis/apps/v1/namespaces/shop/deployments/web');
  const before = webTemplate();

  // Healthy: pass, no rollback requested, nothing sent to the cluster.
  const healthy = await op.mutation('cicdOrchestrator.judgeCanary', {
    metrics: [metric('healthy')], windowSeconds: 10, stepSeconds: 1, pipelineId: pipeline.id, deployTarget: 'prod',
  });
  assert.equal(healthy.decision, 'pass', JSON.stringify(healthy));
  assert.equal(healthy.autoRollback.requested, false);
  assert.match(healthy.autoRollback.reason, /canary decision pass .*no rollback/);
  assert.equal((await op.query('selfHealing.getHistory', { ruleId: rule.id })).items.length, 0);
  assert.equal(patchesOfWeb().length, 0);
  assert.equal(webTemplate(), before);

  // Degraded: fail, the pipeline's prod target rolls back through the rule.
  const degraded = await op.mutation('cicdOrchestrator.judgeCanary', {
    metrics: [metric('degraded')], windowSeconds: 10, stepSeconds: 1, pipelineId: pipeline.id, deployTarget: 'prod',
  });
  assert.equal(degraded.decision, 'fail', JSON.stringify(degraded));
  assert.equal(degraded.metrics[0].classification, 'high');
  assert.ok(degraded.metrics[0].canaryMedian > 2.5 * degraded.metrics[0].baselineMedian, JSON.stringify(degraded.metrics));
  const ar = degraded.autoRollback;
  assert.equal(ar.requested, true, JSON.stringify(ar));
  assert.equal(ar.healingVerdict, 'execute', JSON.stringify(ar));
  assert.equal(ar.rule, 'canary-rollback-web');
  assert.equal(ar.from, 'pipeline web deploy target prod');
  const action = await waitFor('the rollback to finish', async () => {
    const a = await op.query('selfHealing.getAction', { id: ar.healingActionId });
    return ['approved', 'running', 'pending'].includes(a.status) ? null : a;
  }, 30000);
  assert.notEqual(action.status, 'failed', JSON.stringify(action));
  assert.equal(action.actionType, 'rollback');
  assert.equal(action.target, 'web');
  // The verdict is the action's recorded reason.
  assert.equal(action.signal.labels.alertname, 'CanaryFailed');
  assert.equal(action.signal.labels.deploy_target, 'prod');
  assert.equal(action.signal.evidence.canary.decision, 'fail');
  assert.equal(action.signal.evidence.canary.score, degraded.score);
  assert.equal(action.signal.evidence.canary.metrics[0].classification, 'high');
  // What the fake API server received: kubectl rollout undo's JSON patch, guarded by a test.
  const patches = patchesOfWeb();
  assert.equal(patches.length, 1, JSON.stringify(patches));
  assert.equal(patches[0].contentType, 'application/json-patch+json');
  const ops = typeof patches[0].body === 'string' ? JSON.parse(patches[0].body) : patches[0].body;
  assert.equal(ops[0].op, 'test');
  assert.equal(ops[1].path, '/spec/template');
  const after = fake.kube.objects.get('apps/deployments/shop/web');
  assert.notEqual(JSON.stringify(after.spec.template), before);
  assert.equal(after.spec.template.spec.containers[0].image, ops[1].value.spec.containers[0].image);

  // Self-Healing's policy holds: right after the rollback (still verifying, and within the
  // rule's cooldown) a second failing canary is decided and recorded, but nothing is executed.
  const again = await op.mutation('cicdOrchestrator.judgeCanary', {
    metrics: [metric('degraded')], windowSeconds: 10, stepSeconds: 1, rollback: { action: 'rollback', target: 'web' },
  });
  assert.equal(again.decision, 'fail');
  assert.equal(again.autoRollback.from, 'request');
  assert.notEqual(again.autoRollback.healingVerdict, 'execute', JSON.stringify(again.autoRollback));
  assert.match(again.autoRollback.reason, /^(cooldown: |the previous action on this target is still being verified)/, JSON.stringify(again.autoRollback));
  assert.equal(patchesOfWeb().length, 1);

  // No rule allows rolling back "api": the verdict says so and nothing acts.
  const norule = await op.mutation('cicdOrchestrator.judgeCanary', {
    metrics: [metric('degraded')], windowSeconds: 10, stepSeconds: 1, rollback: { action: 'rollback', target: 'api' },
  });
  assert.equal(norule.autoRollback.requested, false);
  assert.match(norule.autoRollback.error, /no enabled healing rule allows rollback on "api"/);

  // Bad input names what was wrong.
  const missing = await op.mutation('cicdOrchestrator.judgeCanary', {
    metrics: [metric('degraded')], pipelineId: pipeline.id, deployTarget: 'canada',
  }).catch((e) => e);
  assert.equal(missing.data?.code, 'NOT_FOUND');
  assert.match(missing.message, /no deploy target "canada"/);
  const none = await op.mutation('cicdOrchestrator.judgeCanary', {
    metrics: [metric('degraded')], pipelineId: pipeline.id, deployTarget: 'staging',
  }).catch((e) => e);
  assert.equal(none.data?.code, 'PRECONDITION_FAILED');
  assert.match(none.message, /"staging" .* has no rollback/);
  const bad = await op.mutation('cicdOrchestrator.judgeCanary', {
    metrics: [metric('degraded')], rollback: { action: 'restart_pod', target: 'web' },
  }).catch((e) => e);
  assert.equal(bad.data?.code, 'BAD_REQUEST');
  const dup = await op.mutation('cicdOrchestrator.updatePipeline', {
    id: pipeline.id, deployTargets: [{ name: 'prod' }, { name: 'prod' }],
  }).catch((e) => e);
  assert.equal(dup.data?.code, 'BAD_REQUEST');
  assert.match(dup.message, /deployTargets\[1\]\.name: "prod" is given twice/);

  // Audited: each judgement with its rollback is an audit row.
  const audit = await admin.query('audit.list', {});
  const rows = audit.items.filter((e) => e.procedure === 'cicdOrchestrator.judgeCanary');
  assert.ok(rows.length >= 4, JSON.stringify(audit.items.slice(0, 5)));
});
