// Argo CD and Flux end to end against fakes that follow their APIs (tests/fakes/argocd.mjs, the
// Flux custom resources of tests/fakes/kube-apiserver.mjs): status of an Application and of a
// Kustomization; a Flux reconcile by annotation and suspend/resume; an Argo CD sync, a manual
// rollback and its refusals; and a failing canary rolling an Application back through the
// argocd_rollback healing action (the request the fake received is asserted). The token is
// read from a file and never appears in the server's output; operators only; audited.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, tempDir, waitFor, repoRoot } from './harness.mjs';
import { startFakeKube, kubeconfigFor } from '../fakes/kube-apiserver.mjs';
import { startFakeArgoCd, argoApp } from '../fakes/argocd.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function client(server, token) {
  return createTRPCUntypedClient({
    links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

const TOKEN = 'argo-secret-token-5f0c2e';

test('Argo CD and Flux: status, sync/reconcile, suspend, rollback, and a canary rolling back through Self-Healing', async () => {
  const dir = tempDir('gitops');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const web = argoApp('web', { revisions: ['aaa1111', 'bbb2222'] });
  web.status.health = { status: 'Degraded', message: 'Deployment web: 0/3 ready' };
  const auto = argoApp('auto', { revisions: ['ccc3333', 'ddd4444'], automated: true });
  const argo = await startFakeArgoCd({ token: TOKEN, apps: [web, auto] });
  cleanups.push(() => argo.close());
  argo.state.head.web = 'bbb2222';
  argo.state.revisionHealth.bbb2222 = 'Degraded';

  const fixture = JSON.parse(readFileSync(join(repoRoot, 'tests', 'fakes', 'kube-fixture.json'), 'utf8'));
  fixture.objects.push({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization',
    metadata: { name: 'apps', namespace: 'flux-system' },
    spec: { interval: '10m', path: './apps', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
    status: {
      lastAppliedRevision: 'main@sha1:1111111', lastAttemptedRevision: 'main@sha1:2222222', observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'False', reason: 'HealthCheckFailed', message: 'health check failed after 30s: timeout waiting for: [Deployment/shop/web status: \'InProgress\']', lastTransitionTime: '2026-11-29T10:00:00Z' }],
    },
  });
  const kube = await startFakeKube({ ...fixture, token: 'kube-token' });
  cleanups.push(() => kube.close());
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigFor(kube.url, { token: 'kube-token' }));
  writeFileSync(join(dir, 'argocd-token'), `${TOKEN}\n`);

  const server = await new Server({ extraArgs: ['--kubeconfig', join(dir, 'kubeconfig'), '--argocd-url', argo.url, '--argocd-token-file', join(dir, 'argocd-token')] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const op = client(server, server.createToken('operator', 'olga'));
  const viewer = client(server, server.createToken('viewer', 'vic'));
  const admin = client(server, server.createToken('admin', 'ada'));

  // Status: an Argo CD Application and a Flux Kustomization in one shape.
  const a = await viewer.query('cicdOrchestrator.gitopsStatus', { provider: 'argocd', name: 'web' });
  assert.equal(a.sync, 'Synced');
  assert.equal(a.health, 'Degraded');
  assert.equal(a.revision, 'bbb2222');
  assert.equal(a.autoSync, false);
  assert.deepEqual(a.history.map((h) => [h.id, h.revision]), [[0, 'aaa1111'], [1, 'bbb2222']]);
  assert.equal(argo.state.requests[0].authorization, 'Bearer');
  const f = await viewer.query('cicdOrchestrator.gitopsStatus', { provider: 'flux', name: 'apps' });
  assert.equal(f.health, 'Degraded');
  assert.equal(f.sync, 'OutOfSync');
  assert.equal(f.revision, 'main@sha1:1111111');
  assert.match(f.message, /^HealthCheckFailed: health check failed/);
  const missing = await viewer.query('cicdOrchestrator.gitopsStatus', { provider: 'argocd', name: 'nope' }).catch((e) => e);
  assert.equal(missing.data?.code, 'NOT_FOUND');
  assert.match(missing.message, /applications.argoproj.io "nope" not found/);

  // Operators only.
  const denied = await viewer.mutation('cicdOrchestrator.gitopsSync', { provider: 'flux', name: 'apps' }).catch((e) => e);
  assert.equal(denied.data?.code, 'FORBIDDEN');

  // Flux reconcile: the annotation patch `flux reconcile` sends, handled by the controller.
  const requested = await op.mutation('cicdOrchestrator.gitopsSync', { provider: 'flux', name: 'apps' });
  assert.equal(requested.operation.phase, 'Running');
  const patch = kube.kube.requests.find((q) => q.method === 'PATCH' && q.path === '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps');
  assert.equal(patch.contentType, 'application/merge-patch+json');
  const at = JSON.parse(patch.body).metadata.annotations['reconcile.fluxcd.io/requestedAt'];
  assert.ok(!Number.isNaN(Date.parse(at)), at);
  const reconciled = await waitFor('Flux to handle the reconcile', async () => {
    const s = await op.query('cicdOrchestrator.gitopsStatus', { provider: 'flux', name: 'apps' });
    return s.operation?.phase === 'Succeeded' ? s : null;
  });
  assert.equal(reconciled.health, 'Healthy');
  assert.equal(reconciled.revision, 'main@sha1:2222222');
  // Suspend and resume (spec.suspend, as `flux suspend` / `flux resume`).
  const suspended = await op.mutation('cicdOrchestrator.gitopsSuspend', { name: 'apps', suspend: true });
  assert.equal(suspended.suspended, true);
  assert.equal(suspended.health, 'Suspended');
  assert.equal(kube.kube.objects.get('kustomize.toolkit.fluxcd.io/kustomizations/flux-system/apps').spec.suspend, true);
  const resumed = await op.mutation('cicdOrchestrator.gitopsSuspend', { name: 'apps', suspend: false });
  assert.equal(resumed.suspended, false);
  assert.equal('suspend' in kube.kube.objects.get('kustomize.toolkit.fluxcd.io/kustomizations/flux-system/apps').spec, false);
  const fluxRollback = await op.mutation('cicdOrchestrator.gitopsRollback', { provider: 'flux', name: 'apps' }).catch((e) => e);
  assert.equal(fluxRollback.data?.code, 'BAD_REQUEST');
  assert.match(fluxRollback.message, /Flux keeps no deployment history/);

  // Argo CD refusals, as Argo CD words them.
  const autoSync = await op.mutation('cicdOrchestrator.gitopsRollback', { provider: 'argocd', name: 'auto', historyId: 0 }).catch((e) => e);
  assert.equal(autoSync.data?.code, 'PRECONDITION_FAILED');
  assert.match(autoSync.message, /rollback cannot be initiated when auto-sync is enabled/);
  const noEntry = await op.mutation('cicdOrchestrator.gitopsRollback', { provider: 'argocd', name: 'web', historyId: 99 }).catch((e) => e);
  assert.equal(noEntry.data?.code, 'BAD_REQUEST');
  assert.match(noEntry.message, /does not have deployment with id 99/);

  // A failing canary rolls web back through the argocd_rollback healing rule.
  const rule = await op.mutation('selfHealing.createRule', {
    name: 'canary-rollback-argo', conditionType: 'alert', conditionConfig: { matchers: ['alertname="CanaryFailed"'] },
    actionType: 'argocd_rollback', actionConfig: { target: 'web', verifyTimeoutSeconds: 10 },
    requiresApproval: false, cooldownSeconds: 600,
  });
  const dry = await op.query('selfHealing.dryRunRule', { id: rule.id, labels: { alertname: 'CanaryFailed' } });
  assert.equal(dry.executor.plan.request.path, '/api/v1/applications/web/rollback', JSON.stringify(dry));
  assert.deepEqual(dry.executor.plan.to.revision, 'aaa1111');
  const base = Array.from({ length: 30 }, (_, i) => 100 + ((i * 37) % 20));
  const verdict = await op.mutation('cicdOrchestrator.judgeCanary', {
    metrics: [{ name: 'latency', baseline: base, canary: base.map((v) => v * 2) }],
    rollback: { action: 'argocd_rollback', target: 'web' },
  });
  assert.equal(verdict.decision, 'fail');
  assert.equal(verdict.autoRollback.healingVerdict, 'execute', JSON.stringify(verdict.autoRollback));
  const action = await waitFor('the Argo CD rollback to finish', async () => {
    const x = await op.query('selfHealing.getAction', { id: verdict.autoRollback.healingActionId });
    return ['approved', 'running', 'pending'].includes(x.status) ? null : x;
  }, 30000);
  assert.notEqual(action.status, 'failed', JSON.stringify(action));
  assert.equal(action.signal.evidence.canary.decision, 'fail');
  const rb = argo.state.requests.filter((q) => q.method === 'POST' && q.path === '/api/v1/applications/web/rollback');
  assert.equal(rb.length, 1);
  assert.deepEqual(JSON.parse(rb[0].body), { name: 'web', id: '0', prune: false, dryRun: false });
  assert.equal(web.status.sync.revision, 'aaa1111');
  assert.equal(web.status.health.status, 'Healthy');
  assert.equal(web.status.sync.status, 'OutOfSync', 'git still says bbb2222');

  // Sync forward again (to the target revision's head), and a manual rollback to entry 0.
  const synced = await op.mutation('cicdOrchestrator.gitopsSync', { provider: 'argocd', name: 'web' });
  assert.equal(synced.operation.phase, 'Running');
  await waitFor('the sync to finish', async () => (await op.query('cicdOrchestrator.gitopsStatus', { provider: 'argocd', name: 'web' })).operation?.phase === 'Succeeded');
  const busy = await op.mutation('cicdOrchestrator.gitopsRollback', { provider: 'argocd', name: 'web' });
  assert.equal(busy.rolledBackTo.revision, 'aaa1111', 'the entry before the current one (bbb2222)');

  // The token never reaches the server's output; the mutations are audited.
  assert.ok(!server.stderr.includes(TOKEN) && !server.stdout.includes(TOKEN));
  const audit = await admin.query('audit.list', {});
  const procs = new Set(audit.items.map((e) => e.procedure));
  for (const p of ['cicdOrchestrator.gitopsSync', 'cicdOrchestrator.gitopsSuspend', 'cicdOrchestrator.gitopsRollback', 'cicdOrchestrator.judgeCanary'])
    assert.ok(procs.has(p), p);
  assert.ok(!JSON.stringify(audit.items).includes(TOKEN));
});

test('without Argo CD configured, the GitOps procedures name the missing settings', async () => {
  const server = await new Server().start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const op = client(server, server.createToken('operator', 'olga'));
  const e = await op.query('cicdOrchestrator.gitopsStatus', { provider: 'argocd', name: 'web' }).catch((x) => x);
  assert.equal(e.data?.code, 'PRECONDITION_FAILED');
  assert.match(e.message, /argocd_url and argocd_token_file/);
  const k = await op.query('cicdOrchestrator.gitopsStatus', { provider: 'flux', name: 'apps' }).catch((x) => x);
  assert.match(k.message, /setting kubeconfig/);
});
