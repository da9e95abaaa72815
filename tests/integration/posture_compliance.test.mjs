// Kubernetes posture and compliance through the real server and the real @trpc/client: an
// operator scans manifests (inline and from a server-side directory through the durable job),
// a viewer cannot scan, invalid YAML is refused naming its line, the scan's report lists the
// failed checks; checkCompliance stores a report whose controls pass only with evidence, and the
// second report shows the trend; the Markdown export carries the controls. The CLI's
// `scan k8s` gives CI exit codes and SARIF on the same manifests.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, runCli, tempDir, waitFor } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function client(server, token) {
  return createTRPCUntypedClient({
    links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

const privileged = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      hostNetwork: true
      containers:
      - name: api
        image: registry.example/api:1.2
        securityContext: {privileged: true}
`;

test('posture scans, compliance reports and the scan k8s CLI', async () => {
  const server = await new Server().start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const op = client(server, server.createToken('operator', 'olga'));
  const viewer = client(server, server.createToken('viewer', 'vera'));

  const denied = await viewer.mutation('securityGuardian.scanManifests', { manifests: privileged }).catch((e) => e);
  assert.equal(denied.data?.code, 'FORBIDDEN');
  const bad = await op.mutation('securityGuardian.scanManifests', { manifests: 'kind: Pod\n  x: [\n', name: 'bad.yaml' }).catch((e) => e);
  assert.equal(bad.data?.code, 'BAD_REQUEST');
  assert.match(bad.message, /input\.manifests: bad\.yaml:\d+:\d+: invalid YAML/);

  const scan = await op.mutation('securityGuardian.scanManifests', { manifests: privileged, name: 'api.yaml' });
  assert.equal(scan.scanType, 'kubernetes');
  assert.equal(scan.status, 'completed');
  const checks = scan.report.failures.map((f) => f.check);
  for (const c of ['privileged', 'host-network', 'network-policy', 'pod-disruption-budget']) assert.ok(checks.includes(c), c);
  assert.ok(scan.criticalCount >= 1);

  // A server-side directory through the durable job.
  const dir = tempDir('k8s');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app', 'deploy.yaml'), privileged);
  const started = await op.mutation('securityGuardian.scan', { scanType: 'kubernetes', target: join(dir, 'app') });
  const done = await waitFor('kubernetes scan job', async () => {
    const s = await viewer.query('securityGuardian.getScan', { id: started.id });
    return s.status === 'completed' || s.status === 'failed' ? s : null;
  });
  assert.equal(done.status, 'completed', done.error ?? '');
  assert.equal(done.report.tally.privileged.failed, 1);

  const first = await op.mutation('securityGuardian.checkCompliance', { framework: 'cis_kubernetes' });
  assert.ok(first.failedControls > 0);
  const ctl = first.report.controls.find((c) => c.id === '5.2.2');
  assert.equal(ctl.status, 'fail');
  assert.match(ctl.evidence[0], /^FAIL posture check privileged/);
  // Controls without any evidence are not assessed, never passed.
  const pci = await op.mutation('securityGuardian.checkCompliance', { framework: 'pci_dss' });
  const notAssessed = pci.report.controls.filter((c) => c.status === 'not_assessed');
  assert.ok(notAssessed.length > 0);
  for (const c of notAssessed) assert.equal(c.evidence.length, 0);
  assert.equal(pci.report.controls.find((c) => c.id === '8.4.2').status, 'fail'); // no MFA here

  const second = await op.mutation('securityGuardian.checkCompliance', { framework: 'cis_kubernetes' });
  assert.equal(second.report.previousReportId, first.id);
  assert.equal(second.report.trend.unchanged, second.totalControls);
  const list = await viewer.query('securityGuardian.getComplianceReports', { framework: 'cis_kubernetes' });
  assert.equal(list.total, 2);
  const md = await viewer.query('securityGuardian.exportComplianceReport', { id: second.id, format: 'markdown' });
  assert.match(md.body, /\| 5\.2\.2 \|/);
  const catalog = await viewer.query('securityGuardian.getPostureChecks', {});
  assert.ok(catalog.some((c) => c.id === 'privileged' && c.cis.includes('5.2.2')));

  // CLI: exit 1 with failures, SARIF with one result per failed check per object, exit 2 on bad YAML.
  const file = join(dir, 'app', 'deploy.yaml');
  const sarif = runCli(['scan', 'k8s', file, '--format', 'sarif', '--only', 'privileged', '--only', 'hostNetworkSet']);
  assert.equal(sarif.code, 1);
  const doc = JSON.parse(sarif.stdout);
  assert.equal(doc.version, '2.1.0');
  assert.deepEqual(doc.runs[0].results.map((r) => r.ruleId).sort(), ['host-network', 'privileged']);
  assert.equal(runCli(['scan', 'k8s', file, '--only', 'host-pid']).code, 0);
  writeFileSync(join(dir, 'broken.yaml'), 'kind: Pod\n  x: [\n');
  const broken = runCli(['scan', 'k8s', join(dir, 'broken.yaml')]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /broken\.yaml:\d+:\d+: invalid YAML/);
});
