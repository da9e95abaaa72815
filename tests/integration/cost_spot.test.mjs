// Spot suitability (issue #8) end to end: the server started with --kubeconfig reads the
// workloads, budgets, autoscalers and nodes of the fake Kubernetes API server (the real wire
// format), `costOptimizer.assessSpot` says for each workload which criterion is met or failed,
// `refreshRecommendations` raises a spot_instance recommendation for the suitable one only, and
// `applyRecommendation` returns the nodeSelector/tolerations patch as YAML without sending
// anything to the cluster. Without a cluster the procedure names the setting.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, tempDir } from './harness.mjs';
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

const template = (app, extra = {}) => ({
  metadata: { labels: { app } },
  spec: {
    containers: [{ name: 'app', image: `${app}:1`, resources: { requests: { cpu: '500m', memory: '1Gi' } } }],
    ...extra,
  },
});
const deployment = (name, replicas, extra = {}) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop' },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name, extra) },
});
const pdb = (name, app, budget) => ({
  apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'shop' },
  spec: { selector: { matchLabels: { app } }, ...budget },
});

const fixture = {
  objects: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops' } },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { providerID: 'gce://demo/europe-west1-b/n1' } },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' }, spec: { providerID: 'gce://demo/europe-west1-b/n2' } },
    deployment('web', 3, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }] }),
    pdb('web', 'web', { maxUnavailable: 1 }),
    deployment('cache', 1),
    deployment('payments', 3),
    pdb('payments', 'payments', { minAvailable: '100%' }),
    deployment('already', 2, { nodeSelector: { 'cloud.google.com/gke-spot': 'true' } }),
    {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'shop' },
      spec: {
        replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db'),
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
      },
    },
    {
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'ops' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent') },
    },
  ],
};

test('assessSpot, refreshRecommendations and applyRecommendation through the fake cluster', async () => {
  const fake = await startFakeKube({ ...fixture, token: 'spot-token' });
  cleanups.push(() => fake.close());
  const dir = tempDir('cost-spot');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigFor(fake.url, { token: 'spot-token' }));
  const server = await new Server({ extraArgs: ['--kubeconfig', join(dir, 'kubeconfig')] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const viewer = client(server, server.createToken('viewer', 'spot-viewer'));
  const operator = client(server, server.createToken('operator', 'spot-operator'));

  const a = await viewer.query('costOptimizer.assessSpot', {});
  assert.equal(a.provider, 'gcp'); // from the nodes' providerID
  assert.equal(a.discount, 0.6);
  assert.equal(a.noticeSeconds, 30);
  assert.match(a.discountSource, /60-91%/);
  const by = Object.fromEntries(a.workloads.map((w) => [w.id, w]));
  assert.deepEqual(Object.keys(by).sort(), [
    'ops/DaemonSet/agent', 'shop/Deployment/already', 'shop/Deployment/cache', 'shop/Deployment/payments',
    'shop/Deployment/web', 'shop/StatefulSet/db',
  ]);
  assert.equal(by['shop/Deployment/web'].suitable, true, by['shop/Deployment/web'].evidence);
  assert.equal(by['shop/Deployment/web'].risk, 'low');
  assert.ok(by['shop/Deployment/web'].criteria.every((c) => c.met));
  assert.deepEqual(by['shop/Deployment/cache'].failed, ['replicated']);
  assert.deepEqual(by['shop/StatefulSet/db'].failed, ['stateless']);
  assert.match(by['shop/StatefulSet/db'].evidence, /volumeClaimTemplate 'data'/);
  assert.deepEqual(by['ops/DaemonSet/agent'].failed, ['kind', 'replicated']);
  assert.deepEqual(by['shop/Deployment/payments'].failed, ['disruption_budget']);
  assert.match(by['shop/Deployment/payments'].evidence, /PodDisruptionBudget 'payments' allows no disruption \(minAvailable 100% of 3\)/);
  assert.deepEqual(by['shop/Deployment/already'].failed, ['not_already_spot']);
  // 3 pods x (0.5 core x 0.031611 + 1 GiB x 0.004237) x 730 h on demand, 60% off.
  const monthly = 3 * (0.5 * 0.031611 + 1 * 0.004237) * 730;
  assert.ok(Math.abs(by['shop/Deployment/web'].monthlyCost - monthly) < 1e-6);
  assert.ok(Math.abs(by['shop/Deployment/web'].monthlySavings - monthly * 0.6) < 1e-6);
  assert.equal(by['shop/Deployment/cache'].monthlySavings, 0);

  const aws = await viewer.query('costOptimizer.assessSpot', { provider: 'aws', spotDiscount: 0.7 });
  assert.equal(aws.provider, 'aws');
  assert.equal(aws.noticeSeconds, 120);
  assert.ok(Math.abs(aws.workloads.find((w) => w.id === 'shop/Deployment/web').monthlySavings - monthly * 0.7) < 1e-6);
  await assert.rejects(viewer.query('costOptimizer.assessSpot', { provider: 'ibm' }), (err) => err.data?.code === 'BAD_REQUEST');
  await assert.rejects(viewer.query('costOptimizer.assessSpot', { spotDiscount: 1.5 }),
    (err) => err.data?.code === 'BAD_REQUEST' && /spotDiscount: must be in \(0, 1\)/.test(err.message));

  const refreshed = await operator.mutation('costOptimizer.refreshRecommendations', {});
  assert.deepEqual(refreshed.spot, { assessed: 6, suitable: 1 });
  const recs = await viewer.query('costOptimizer.getRecommendations', { type: 'spot_instance' });
  assert.equal(recs.total, 1);
  const rec = recs.items[0];
  assert.equal(rec.resourceId, 'shop/Deployment/web');
  assert.equal(rec.provider, 'gcp');
  assert.equal(rec.risk, 'low');
  assert.ok(Math.abs(rec.monthlySavings - monthly * 0.6) < 1e-6);
  assert.ok(rec.details.criteria.some((c) => c.name === 'disruption_budget' && c.met));

  const dry = await operator.mutation('costOptimizer.applyRecommendation', { id: rec.id, dryRun: true });
  assert.equal(dry.change.format, 'kubernetes-strategic-merge-patch');
  assert.deepEqual(dry.change.target, { kind: 'Deployment', namespace: 'shop', name: 'web' });
  const pod = dry.change.patch.spec.template.spec;
  assert.deepEqual(pod.nodeSelector, { 'cloud.google.com/gke-spot': 'true' });
  // The existing toleration is kept (a strategic merge replaces the list) and the pool's added.
  assert.deepEqual(pod.tolerations.map((t) => t.key), ['dedicated', 'cloud.google.com/gke-spot']);
  assert.match(dry.change.yaml, /^spec:\n {2}template:\n {4}spec:\n {6}nodeSelector:\n {8}cloud\.google\.com\/gke-spot: "true"\n/);
  assert.match(dry.change.command, /^kubectl patch deployment 'web' -n 'shop' --type strategic --patch-file spot-patch\.yaml$/);
  const applied = await operator.mutation('costOptimizer.applyRecommendation', { id: rec.id });
  assert.equal(applied.recommendation.status, 'applied');
  // Nothing was sent to the cluster but reads.
  assert.ok(fake.kube.requests.length > 0);
  assert.deepEqual([...new Set(fake.kube.requests.map((q) => q.method))], ['GET']);
  // An applied recommendation is not raised again.
  await operator.mutation('costOptimizer.refreshRecommendations', {});
  assert.equal((await viewer.query('costOptimizer.getRecommendations', { type: 'spot_instance', status: 'open' })).total, 0);
});

test('without a cluster, assessSpot names the setting and refresh leaves spot out', async () => {
  const server = await new Server().start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const op = client(server, server.createToken('operator', 'spot-op'));
  await assert.rejects(op.query('costOptimizer.assessSpot', {}), (err) => /--kubeconfig/.test(err.message));
  const refreshed = await op.mutation('costOptimizer.refreshRecommendations', {});
  assert.equal(refreshed.spot, undefined);
});
