// The Kubernetes integration end to end against the fake API server (tests/fakes): the CLI's
// `scan k8s --cluster` reads the live objects through a kubeconfig with a bearer token and runs
// the posture checks (a manifest fixed in the cluster disappears from the findings); the server
// started with --kubeconfig reports the integration, runs `securityGuardian.scan` with
// cluster: true as a durable job, and executes a rollout_restart healing rule fired by an
// Alertmanager webhook: dry-run shows the exact patch, execution patches the Deployment and is
// verified from its status.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { execFile, execFileSync } from 'node:child_process';
import { Server, runCli, tempDir, waitFor, repoRoot, binary, childEnv } from './harness.mjs';

// The fake runs in this process, so the CLI must not block the event loop (runCli is sync).
const runCliAsync = (args) => new Promise((resolve) => {
  execFile(binary, args, { encoding: 'utf8', timeout: 30000, env: childEnv() }, (err, stdout, stderr) => {
    resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
  });
});
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

const fixture = () => JSON.parse(readFileSync(join(repoRoot, 'tests', 'fakes', 'kube-fixture.json'), 'utf8'));
const debugFixed = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: 'shop' },
  spec: { containers: [{ name: 'shell', image: 'busybox:1.36', securityContext: { privileged: false } }, { name: 'sidecar', image: 'busybox:1.36' }] },
};
const privilegedDebug = (results) => results.filter((r) => r.check === 'privileged' && r.outcome === 'fail' && r.name === 'debug');

test('scan k8s --cluster reads the live cluster; a fixed object leaves the findings', async () => {
  const fake = await startFakeKube({ ...fixture(), token: 'cli-token' });
  cleanups.push(() => fake.close());
  const dir = tempDir('kube-cli');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const kc = join(dir, 'kubeconfig');
  writeFileSync(kc, kubeconfigFor(fake.url, { token: 'cli-token' }));

  const r = await runCliAsync(['scan', 'k8s', '--cluster', '--kubeconfig', kc, '--format', 'json']);
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(privilegedDebug(report.results).length, 1);
  // Owned pods and ReplicaSets are checked through their Deployment, not twice.
  assert.ok(!report.results.some((x) => x.kind === 'Pod' && x.name.startsWith('web-')));
  assert.ok(report.results.some((x) => x.kind === 'Deployment' && x.name === 'web'));
  assert.ok(report.results.some((x) => x.kind === 'CronJob' && x.name === 'report'));
  // The token went with every request.
  assert.ok(fake.kube.requests.length >= 10);
  assert.ok(fake.kube.requests.filter((q) => q.path.startsWith('/api')).every((q) => q.tokenMatches === true));
  assert.ok(!fake.kube.requests.some((q) => q.path.includes('secrets')), 'secrets are never read');

  const ops = JSON.parse((await runCliAsync(['scan', 'k8s', '--cluster', '--kubeconfig', kc, '--namespace', 'ops', '--format', 'json'])).stdout);
  assert.ok(ops.results.length > 0 && ops.results.every((x) => x.namespace === 'ops'));

  fake.kube.apply(debugFixed);
  const fixed = JSON.parse((await runCliAsync(['scan', 'k8s', '--cluster', '--kubeconfig', kc, '--format', 'json'])).stdout);
  assert.equal(privilegedDebug(fixed.results).length, 0);

  const ctx = await runCliAsync(['scan', 'k8s', '--cluster', '--kubeconfig', kc, '--context', 'nope']);
  assert.equal(ctx.code, 2);
  assert.match(ctx.stderr, /context "nope" not found/);
  writeFileSync(join(dir, 'bad-token'), kubeconfigFor(fake.url, { token: 'wrong' }));
  const denied = await runCliAsync(['scan', 'k8s', '--cluster', '--kubeconfig', join(dir, 'bad-token')]);
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /rejected the credentials/);
  const both = await runCliAsync(['scan', 'k8s', '--cluster', kc]);
  assert.equal(both.code, 2);
});

test('the server scans the configured cluster and heals through the Kubernetes API', async () => {
  const fake = await startFakeKube({ ...fixture(), token: 'srv-token' });
  cleanups.push(() => fake.close());
  const dir = tempDir('kube-srv');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const kc = join(dir, 'kubeconfig');
  writeFileSync(kc, kubeconfigFor(fake.url, { token: 'srv-token' }));
  const server = await new Server({ extraArgs: ['--kubeconfig', kc] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const token = server.createToken('operator', 'olga');
  const op = client(server, token);

  const info = await op.query('system.info');
  assert.deepEqual(info.integrations.kubernetes, { configured: true, url: fake.url });

  const scanOnce = async () => {
    const started = await op.mutation('securityGuardian.scan', { scanType: 'kubernetes', cluster: true });
    assert.equal(started.target, 'cluster:fake');
    return waitFor('cluster scan', async () => {
      const s = await op.query('securityGuardian.getScan', { id: started.id });
      return s.status === 'completed' || s.status === 'failed' ? s : null;
    });
  };
  const first = await scanOnce();
  assert.equal(first.status, 'completed', first.error ?? '');
  assert.ok(first.report.failures.some((f) => f.check === 'privileged' && f.name === 'debug'));
  fake.kube.apply(debugFixed);
  const second = await scanOnce();
  assert.ok(!second.report.failures.some((f) => f.check === 'privileged' && f.name === 'debug'));

  const bad = await op.mutation('securityGuardian.scan', { scanType: 'container', cluster: true }).catch((e) => e);
  assert.equal(bad.data?.code, 'BAD_REQUEST');
  assert.match(bad.message, /input\.cluster/);

  // A healing rule: alert WebDown -> rollout restart of shop/web, no approval needed.
  const rule = await op.mutation('selfHealing.createRule', {
    name: 'restart-web', conditionType: 'alert', conditionConfig: { matchers: ['alertname="WebDown"'] },
    actionType: 'rollout_restart', actionConfig: { target: 'web', namespace: 'shop', verifyTimeoutSeconds: 10 },
    requiresApproval: false, cooldownSeconds: 1,
  });
  const dry = await op.query('selfHealing.dryRunRule', { id: rule.id, labels: { alertname: 'WebDown' } });
  assert.equal(dry.executor.plan.request.method, 'PATCH');
  assert.equal(dry.executor.plan.request.path, '/apis/apps/v1/namespaces/shop/deployments/web');
  assert.equal(dry.executor.plan.request.contentType, 'application/strategic-merge-patch+json');
  assert.ok(dry.executor.plan.request.body.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);
  const generation = fake.kube.objects.get('apps/deployments/shop/web').metadata.generation;

  const now = new Date().toISOString();
  const hook = await fetch(`${server.url}/api/alertmanager/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      version: '4', groupKey: '{}:{alertname="WebDown"}', status: 'firing', receiver: 'devops-ai',
      groupLabels: { alertname: 'WebDown' }, commonLabels: { alertname: 'WebDown' }, commonAnnotations: {}, externalURL: 'http://am',
      alerts: [{ status: 'firing', labels: { alertname: 'WebDown', severity: 'critical' }, annotations: {}, startsAt: now,
        endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom', fingerprint: 'f00d' }],
    }),
  });
  assert.equal(hook.status, 200, await hook.text());
  const action = await waitFor('the rollout restart to finish', async () => {
    const h = await op.query('selfHealing.getHistory', {});
    const a = h.items.find((x) => x.ruleName === 'restart-web' || x.ruleId === rule.id);
    return a && !['pending', 'running', 'approved'].includes(a.status) ? a : null;
  });
  const web = fake.kube.objects.get('apps/deployments/shop/web');
  assert.ok(web.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], JSON.stringify(action));
  assert.equal(web.metadata.generation, generation + 1);
  assert.ok(fake.kube.requests.some((q) => q.method === 'PATCH' && q.contentType === 'application/strategic-merge-patch+json'));
  assert.notEqual(action.status, 'failed', JSON.stringify(action));

  // Scale on a metric: the HPA formula from the signal's value (2 replicas at load 130 with a
  // target of 50: ceil(2 * 130 / 50) = 6, bounded to maxReplicas 5); within the tolerance
  // (52 / 50) nothing changes; a missing value is named.
  const hpa = await op.mutation('selfHealing.createRule', {
    name: 'scale-web-on-load', conditionType: 'alert', conditionConfig: { matchers: ['alertname="WebLoad"'] },
    actionType: 'scale_up', actionConfig: { target: 'web', namespace: 'shop', targetValue: 50, metricLabel: 'load', minReplicas: 1, maxReplicas: 5 },
    requiresApproval: false,
  });
  const current = fake.kube.objects.get('apps/deployments/shop/web').spec.replicas;
  const scalePlan = await op.query('selfHealing.dryRunRule', { id: hpa.id, labels: { alertname: 'WebLoad', load: '130' } });
  const expected = Math.min(5, Math.ceil((current * 130) / 50));
  assert.deepEqual(scalePlan.executor.plan?.notes?.formula && {
    desired: scalePlan.executor.plan.notes.formula.desired, to: scalePlan.executor.plan.notes.to,
  }, { desired: expected, to: expected }, JSON.stringify(scalePlan));
  assert.equal(scalePlan.executor.plan.request.body.spec.replicas, expected);
  const steady = await op.query('selfHealing.dryRunRule', { id: hpa.id, labels: { alertname: 'WebLoad', load: '52' } });
  assert.match(steady.executor.error ?? '', /the HPA formula gives \d+ replicas for \d+ .*no scale-up/, JSON.stringify(steady));
  const noValue = await op.query('selfHealing.dryRunRule', { id: hpa.id, labels: { alertname: 'WebLoad' } });
  assert.match(noValue.executor.error ?? '', /numeric "load" label/);
  const both = await op.mutation('selfHealing.createRule', {
    name: 'bad-scale', conditionType: 'alert', conditionConfig: { matchers: ['alertname="X"'] },
    actionType: 'scale_up', actionConfig: { target: 'web', namespace: 'shop', targetValue: 50, step: 2, maxReplicas: 5 },
  }).catch((e) => e);
  assert.match(both.message, /step or targetValue, not both/);

  // cordon_node: an alert naming a node (from an allow-list) marks it unschedulable, as kubectl
  // cordon does; the executor reads the node back to verify.
  fake.kube.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'uid-node-a' }, spec: {} });
  const cordon = await op.mutation('selfHealing.createRule', {
    name: 'cordon-pressure', conditionType: 'alert', conditionConfig: { matchers: ['alertname="NodeDiskPressure"'] },
    actionType: 'cordon_node', actionConfig: { targetLabel: 'node', allowedTargets: ['node-a'] },
    requiresApproval: false, cooldownSeconds: 1,
  });
  const cordonPlan = await op.query('selfHealing.dryRunRule', { id: cordon.id, labels: { alertname: 'NodeDiskPressure', node: 'node-a' } });
  assert.equal(cordonPlan.executor.plan.request.path, '/api/v1/nodes/node-a', JSON.stringify(cordonPlan));
  assert.deepEqual(cordonPlan.executor.plan.request.body, { spec: { unschedulable: true } });
  assert.deepEqual(cordonPlan.executor.plan.before, { unschedulable: false });
  const pressure = await fetch(`${server.url}/api/alertmanager/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      version: '4', groupKey: '{}:{alertname="NodeDiskPressure"}', status: 'firing', receiver: 'devops-ai',
      groupLabels: { alertname: 'NodeDiskPressure' }, commonLabels: { alertname: 'NodeDiskPressure' }, commonAnnotations: {}, externalURL: 'http://am',
      alerts: [{ status: 'firing', labels: { alertname: 'NodeDiskPressure', node: 'node-a', severity: 'warning' }, annotations: {},
        startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom', fingerprint: 'd15c' }],
    }),
  });
  assert.equal(pressure.status, 200, await pressure.text());
  const cordoned = await waitFor('the node to be cordoned', async () => {
    const h = await op.query('selfHealing.getHistory', { ruleId: cordon.id });
    const a = h.items[0];
    return a && !['pending', 'running', 'approved'].includes(a.status) ? a : null;
  }).catch((e) => { throw new Error(`${e.message}\nserver log: ${server.stderr.slice(-3000)}`); });
  assert.notEqual(cordoned.status, 'failed', JSON.stringify(cordoned));
  assert.equal(fake.kube.objects.get('/nodes//node-a').spec.unschedulable, true);
});

test('a kubernetes log source mines pod logs once, across a restart of the server', async () => {
  const fake = await startFakeKube({ ...fixture(), token: 'log-token' });
  cleanups.push(() => fake.close());
  const dir = tempDir('kube-logs');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const kc = join(dir, 'kubeconfig');
  writeFileSync(kc, kubeconfigFor(fake.url, { token: 'log-token' }));
  const server = await new Server({ extraArgs: ['--kubeconfig', kc] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const admin = client(server, server.createToken('admin', 'ada'));

  // Lines of the web pod's container, recent, some sharing one timestamp.
  const t0 = Date.now() - 60_000;
  const at = (ms) => new Date(t0 + ms).toISOString();
  const lines = [];
  for (let i = 0; i < 30; i++) lines.push({ time: at(i * 100), text: `GET /api/items/${i} 200 ${10 + i}ms` });
  for (let i = 0; i < 4; i++) lines.push({ time: at(3000), text: `ERROR payment ${400 + i} failed: card declined` });
  fake.kube.addLogs({ namespace: 'shop', pod: 'web-6f7b8c-aaaaa', container: 'web', lines });
  // The debug pod (other labels) must not be read.
  fake.kube.addLogs({ namespace: 'shop', pod: 'debug', container: 'shell', lines: [{ time: at(0), text: 'not selected' }] });

  const bad = await admin.mutation('logs.createSource', { name: 'x', kind: 'kubernetes' }).catch((e) => e);
  assert.equal(bad.data?.code, 'BAD_REQUEST');
  assert.match(bad.message, /namespace: a kubernetes source needs/);
  const wrong = await admin.mutation('logs.createSource', { name: 'x', kind: 'file', path: '/tmp/x.log', namespace: 'shop' }).catch((e) => e);
  assert.match(wrong.message, /namespace: only kubernetes sources/);

  const src = await admin.mutation('logs.createSource', { name: 'shop-web', kind: 'kubernetes', namespace: 'shop', selector: 'app=web' });
  assert.deepEqual(src.kubernetes, { namespace: 'shop', selector: 'app=web', container: '' });
  const source = () => admin.query('logs.listSources').then((all) => all.find((s) => s.id === src.id));
  await waitFor('the pod lines to be mined', async () => (await source()).linesTotal === 34, 15000);
  const templates = await admin.query('logs.listTemplates', { sourceId: src.id, limit: 50 });
  const error = templates.items.find((t) => /ERROR payment <\*> failed: card declined/.test(t.template));
  assert.ok(error, JSON.stringify(templates.items.map((t) => t.template)));
  assert.equal(error.total, 4);
  assert.equal(error.level, 'error');
  assert.ok(!templates.items.some((t) => /not selected/.test(t.template)));

  // New lines, two of them at the timestamp already read: the next poll (sinceTime, to the
  // second) takes only what is new.
  fake.kube.addLogs({ namespace: 'shop', pod: 'web-6f7b8c-aaaaa', container: 'web', lines: [
    { time: at(3000), text: 'ERROR payment 404 failed: card declined' },
    { time: at(5000), text: 'GET /api/items/99 200 12ms' },
  ] });
  await waitFor('the new lines', async () => (await source()).linesTotal === 36, 15000);
  const reads = fake.kube.requests.filter((r) => r.path === '/api/v1/namespaces/shop/pods/web-6f7b8c-aaaaa/log');
  assert.ok(reads.length >= 2);
  const q = (r) => new URLSearchParams(r.query);
  assert.equal(q(reads[0]).get('tailLines'), '1000');
  assert.equal(q(reads[0]).get('timestamps'), 'true');
  assert.match(q(reads[reads.length - 1]).get('sinceTime'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(!fake.kube.requests.some((r) => r.path.includes('/pods/debug/log')));

  // A restart resumes from the saved per-container position: nothing is counted twice.
  await server.stop();
  await server.start({ port: server.port });
  fake.kube.addLogs({ namespace: 'shop', pod: 'web-6f7b8c-aaaaa', container: 'web', lines: [{ time: at(7000), text: 'GET /api/items/100 200 9ms' }] });
  await waitFor('the line after the restart', async () => (await source()).linesTotal === 37, 15000);
  await new Promise((r) => setTimeout(r, 6000));  // another poll: still no duplicates
  assert.equal((await source()).linesTotal, 37);
  assert.equal((await source()).lastError, null);
});

test('without a kubeconfig, cluster scans and Kubernetes actions name the missing setting', async () => {
  const server = await new Server().start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const op = client(server, server.createToken('operator', 'olga'));
  const e = await op.mutation('securityGuardian.scan', { scanType: 'kubernetes', cluster: true }).catch((x) => x);
  assert.equal(e.data?.code, 'PRECONDITION_FAILED');
  assert.match(e.message, /--kubeconfig/);
  const rule = await op.mutation('selfHealing.createRule', {
    name: 'scale-web', conditionType: 'alert', conditionConfig: { matchers: ['alertname="Load"'] },
    actionType: 'scale_up', actionConfig: { target: 'web', namespace: 'shop', maxReplicas: 5 },
  });
  const dry = await op.query('selfHealing.dryRunRule', { id: rule.id, labels: { alertname: 'Load' } });
  assert.match(dry.executor.error, /Kubernetes is not configured/);
  const admin = client(server, server.createToken('admin', 'ada'));
  const logs = await admin.mutation('logs.createSource', { name: 'pods', kind: 'kubernetes', namespace: 'shop' }).catch((x) => x);
  assert.equal(logs.data?.code, 'PRECONDITION_FAILED');
  assert.match(logs.message, /no Kubernetes cluster is configured \(setting kubeconfig\)/);
  const bad = runCli(['serve', '--kubeconfig', 'relative/path', '--listen', '127.0.0.1:0']);
  assert.equal(bad.code !== 0, true);
  assert.match(bad.stderr, /setting kubeconfig/);
});

test('config_drift rules compare manifests with the live cluster and host files with their desired copy', async () => {
  const fake = await startFakeKube({ ...fixture(), token: 'drift-token' });
  cleanups.push(() => fake.close());
  const dir = tempDir('kube-drift');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const kc = join(dir, 'kubeconfig');
  writeFileSync(kc, kubeconfigFor(fake.url, { token: 'drift-token' }));
  writeFileSync(join(dir, 'web.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n' +
    'spec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: web, image: "nginx:9.9", ports: [{containerPort: 80}]}]\n');
  writeFileSync(join(dir, 'app.env'), 'MODE=fast\nPOOL=4\n');
  writeFileSync(join(dir, 'live.env'), 'MODE=slow\nPOOL=4\n', { mode: 0o600 });
  const server = await new Server({ extraArgs: ['--kubeconfig', kc, '--drift-roots', dir] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const op = client(server, server.createToken('operator', 'dana'));
  const notify = { url: 'http://127.0.0.1:9/drift', target: 'ops' };
  await op.mutation('selfHealing.createRule', {
    name: 'web-drift', conditionType: 'config_drift', conditionConfig: { format: 'kubernetes', desired: join(dir, 'web.yaml') },
    actionType: 'notify', actionConfig: notify, dryRun: true,
  });
  await op.mutation('selfHealing.createRule', {
    name: 'env-drift', conditionType: 'config_drift',
    conditionConfig: { format: 'keyvalue', desired: join(dir, 'app.env'), actual: join(dir, 'live.env') },
    actionType: 'notify', actionConfig: notify, dryRun: true,
  });
  await op.mutation('selfHealing.createRule', {
    name: 'outside', conditionType: 'config_drift', conditionConfig: { format: 'text', desired: '/etc/hostname', actual: '/etc/hostname' },
    actionType: 'notify', actionConfig: notify, dryRun: true,
  });
  // Desired state kept in git: read from the repository at a ref, not from its work tree.
  const repo = join(dir, 'gitops');
  const git = (...args) => execFileSync('git', ['-c', 'user.name=Ops', '-c', 'user.email=ops@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: repo, stdio: 'pipe' });
  mkdirSync(join(repo, 'config'), { recursive: true });
  git('init', '-q');
  writeFileSync(join(repo, 'config', 'app.env'), 'MODE=fast\nPOOL=4\n');
  git('add', '.');
  git('commit', '-qm', 'app config');
  writeFileSync(join(repo, 'config', 'app.env'), 'MODE=uncommitted\n');  // the work tree is not the desired state
  await op.mutation('selfHealing.createRule', {
    name: 'git-drift', conditionType: 'config_drift',
    conditionConfig: { format: 'keyvalue', repository: repo, ref: 'main', desired: 'config/app.env', actual: join(dir, 'live.env') },
    actionType: 'notify', actionConfig: notify, dryRun: true,
  });
  const bad = await op.mutation('selfHealing.createRule', {
    name: 'bad', conditionType: 'config_drift', conditionConfig: { format: 'kubernetes', desired: 'web.yaml' },
    actionType: 'notify', actionConfig: notify,
  }).catch((e) => e);
  assert.equal(bad.data?.code, 'BAD_REQUEST');
  assert.match(bad.message, /conditionConfig\.desired: an absolute path/);

  const byRule = async () => Object.fromEntries((await op.mutation('selfHealing.checkDrift', {})).map((r) => [r.rule, r]));
  let rules = await byRule();
  assert.equal(rules['web-drift'].error, null, JSON.stringify(rules['web-drift']));
  assert.equal(rules['web-drift'].drifted, 1);
  const web = rules['web-drift'].objects[0];
  assert.equal(web.object, 'Deployment/shop/web');
  assert.deepEqual(web.differences.map((d) => d.path), ['spec.template.spec.containers[name=web].image']);
  assert.equal(web.differences[0].desired, 'nginx:9.9');
  assert.equal(rules['env-drift'].drifted, 1);
  assert.deepEqual(rules['env-drift'].objects[0].differences, [{ kind: 'changed', path: 'MODE', desired: 'fast', actual: 'slow' }]);
  assert.match(rules.outside.error, /outside drift_roots/);
  assert.equal(rules['git-drift'].error, null, JSON.stringify(rules['git-drift']));
  assert.equal(rules['git-drift'].desired, `${repo}@main:config/app.env`);
  assert.deepEqual(rules['git-drift'].objects[0].differences, [{ kind: 'changed', path: 'MODE', desired: 'fast', actual: 'slow' }]);
  assert.ok(fake.kube.requests.some((q) => q.method === 'GET' && q.path === '/apis/apps/v1/namespaces/shop/deployments/web' && q.tokenMatches));
  // Each drifted object was a config_drift signal: the dry-run decisions carry the differences.
  const history = await op.query('selfHealing.getHistory', { status: 'dry_run' });
  const decided = history.items.find((a) => a.ruleName === 'web-drift');
  assert.ok(decided, JSON.stringify(history.items));
  assert.equal(decided.signal.kind, 'config_drift');
  assert.equal(decided.signal.evidence.differences[0].actual, fake.kube.objects.get('apps/deployments/shop/web').spec.template.spec.containers[0].image);
  // A correcting rule: apply_desired puts the manifest's fields back through the API (a
  // server-side apply of the manifest), without approval; the next evaluation verifies it.
  const fix = await op.mutation('selfHealing.createRule', {
    name: 'web-fix', conditionType: 'config_drift', conditionConfig: { format: 'kubernetes', desired: join(dir, 'web.yaml') },
    actionType: 'apply_desired', actionConfig: {}, requiresApproval: false,
  });
  const plan = await op.query('selfHealing.dryRunRule', { id: fix.id, labels: { object: 'Deployment/shop/web' } });
  assert.equal(plan.executor.plan.apply, 'Deployment/shop/web', JSON.stringify(plan));
  assert.equal(plan.executor.plan.body.spec.template.spec.containers[0].image, 'nginx:9.9');
  await op.mutation('selfHealing.checkDrift', {});
  const applied = await waitFor('the drift correction', async () => {
    const h = await op.query('selfHealing.getHistory', { ruleId: fix.id });
    const a = h.items[0];
    return a && ['verifying', 'succeeded', 'failed'].includes(a.status) ? a : null;
  });
  assert.notEqual(applied.status, 'failed', JSON.stringify(applied));
  const live = fake.kube.objects.get('apps/deployments/shop/web');
  assert.equal(live.spec.template.spec.containers[0].image, 'nginx:9.9');
  assert.equal(live.spec.replicas, 2);
  assert.ok(fake.kube.requests.some((q) => q.method === 'PATCH' && q.path === '/apis/apps/v1/namespaces/shop/deployments/web' &&
    q.contentType === 'application/apply-patch+yaml' && /fieldManager=devops-ai/.test(q.query) && /force=true/.test(q.query)),
  'a server-side apply');
  // The host file is corrected the same way: rewritten from its desired copy, keeping its mode.
  const envFix = await op.mutation('selfHealing.createRule', {
    name: 'env-fix', conditionType: 'config_drift',
    conditionConfig: { format: 'keyvalue', desired: join(dir, 'app.env'), actual: join(dir, 'live.env') },
    actionType: 'apply_desired', actionConfig: {}, requiresApproval: false,
  });
  await op.mutation('selfHealing.checkDrift', {});
  const rewritten = await waitFor('the file correction', async () => {
    const h = await op.query('selfHealing.getHistory', { ruleId: envFix.id });
    const a = h.items[0];
    return a && ['verifying', 'succeeded', 'failed'].includes(a.status) ? a : null;
  });
  assert.notEqual(rewritten.status, 'failed', JSON.stringify(rewritten));
  assert.equal(readFileSync(join(dir, 'live.env'), 'utf8'), 'MODE=fast\nPOOL=4\n');
  assert.equal(statSync(join(dir, 'live.env')).mode & 0o777, 0o600);
  // No drift left anywhere.
  rules = await byRule();
  assert.equal(rules['web-drift'].drifted, 0, JSON.stringify(rules['web-drift']));
  assert.equal(rules['web-fix'].drifted, 0);
  await waitFor('the correction to be verified', async () =>
    (await op.query('selfHealing.getAction', { id: applied.id })).status === 'succeeded');
  assert.equal(rules['env-drift'].drifted, 0);
  assert.equal(rules['git-drift'].drifted, 0);
  // Viewers may look but not trigger an evaluation.
  const viewer = client(server, server.createToken('viewer', 'vic'));
  const denied = await viewer.mutation('selfHealing.checkDrift', {}).catch((e) => e);
  assert.equal(denied.data?.code, 'FORBIDDEN');
});
