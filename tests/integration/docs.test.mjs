// Documentation Generator through the real @trpc/client against the real binary: knowledge-base
// documents (stored XSS is rendered away, search finds and highlights), an architecture snapshot
// from manifests with its diagram as SVG and PNG (libgvc) and a diff against the next version,
// the platform's API reference, OpenAPI breaking changes, bad input named, and roles; the CLI
// draws the same manifests and flags a breaking API change with exit code 1. Live capture reads
// a cluster through the Kubernetes integration (the fake API server, list pagination followed);
// importDocs reads the Markdown of a git repository cloned from a file:// URL the test creates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { Server, runCli, tempDir, repoRoot } from './harness.mjs';
import { startFakeKube, kubeconfigFor } from '../fakes/kube-apiserver.mjs';

let server;
let operator;
let viewer;

function client(token) {
  return createTRPCUntypedClient({
    links: [httpBatchLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

const manifests = (image) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {team: payments}}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "${image}", env: [{name: DB, value: "postgres://u:secret@orders-db:5432/o"}]}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{port: 80}]}
`;

before(async () => {
  server = new Server();
  await server.start();
  operator = server.createToken('operator', 'docs-operator');
  viewer = server.createToken('viewer', 'docs-viewer');
});

after(async () => {
  await server.stop();
  server.cleanup();
});

test('knowledge base: write, render safely, search with highlights, edit as a new version', async () => {
  const op = client(operator);
  const doc = await op.mutation('documentationGenerator.createDoc', {
    content: '# Failover runbook\n\nPromote the replica.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))',
    tags: ['db'],
  });
  assert.equal(doc.title, 'Failover runbook');
  const got = await client(viewer).query('documentationGenerator.getDoc', { id: doc.id });
  assert.doesNotMatch(got.html, /<script|javascript:/);
  assert.match(got.html, /<h1>Failover runbook<\/h1>/);
  const found = await client(viewer).query('documentationGenerator.searchDocs', { query: 'replica' });
  assert.equal(found.items[0].id, doc.id);
  assert.match(found.items[0].snippet, /<mark>replica<\/mark>/);
  const edited = await op.mutation('documentationGenerator.updateDoc', {
    id: doc.id, content: '# Failover runbook\n\nPromote the standby.', expectedVersion: 1,
  });
  assert.equal(edited.version, 2);
  assert.equal(edited.humanEdited, true);
  await assert.rejects(
    op.mutation('documentationGenerator.updateDoc', { id: doc.id, content: 'x', expectedVersion: 1 }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'CONFLICT',
  );
  const listed = await client(viewer).query('documentationGenerator.listDocs', { search: 'standby' });
  assert.equal(listed.items.length, 1);
  // A viewer cannot write.
  await assert.rejects(
    client(viewer).mutation('documentationGenerator.createDoc', { content: '# x' }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'FORBIDDEN',
  );
});

test('snapshots, diagrams in every format, diffs, and generated documents', async () => {
  const op = client(operator);
  const s1 = await op.mutation('documentationGenerator.captureSnapshot', { name: 'prod', manifests: manifests('shop/api:1') });
  assert.equal(s1.componentCount, 3);
  const s2 = await op.mutation('documentationGenerator.captureSnapshot', { name: 'prod', manifests: manifests('shop/api:2') });
  assert.equal(s2.version, 2);
  assert.deepEqual(s2.diffFromPrevious.changed, [{ id: 'deployment/shop/api', fields: ['attributes.image'] }]);
  const v = client(viewer);
  const svg = await v.query('documentationGenerator.exportDiagram', { format: 'svg' });
  assert.match(svg.content, /<svg/);
  assert.doesNotMatch(svg.content, /secret/);
  const png = await v.query('documentationGenerator.exportDiagram', { format: 'png', snapshotId: s1.id });
  assert.equal(Buffer.from(png.content, 'base64').subarray(0, 4).toString('latin1'), '\x89PNG');
  const mermaid = await v.query('documentationGenerator.exportDiagram', { format: 'mermaid', groupBy: 'team' });
  assert.match(mermaid.content, /^flowchart LR/);
  const diff = await v.query('documentationGenerator.diffSnapshots', { fromId: s1.id, toId: s2.id });
  assert.equal(diff.changed.length, 1);
  const arch = await op.mutation('documentationGenerator.generate', { docType: 'architecture' });
  assert.match(arch.content, /```mermaid/);
  const api = await op.mutation('documentationGenerator.generate', { docType: 'api' });
  assert.match(api.content, /documentationGenerator\.exportDiagram/);
  const log = await op.mutation('documentationGenerator.generate', { docType: 'changelog' });
  assert.match(log.content, /infrastructure change/);
  // Bad input is named.
  await assert.rejects(
    v.query('documentationGenerator.exportDiagram', { format: 'gif' }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'BAD_REQUEST' && /format/.test(e.message),
  );
  await assert.rejects(
    op.mutation('documentationGenerator.captureSnapshot', { manifests: 'kind: [' }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'BAD_REQUEST',
  );
  await assert.rejects(
    op.mutation('documentationGenerator.saveTemplate', {
      name: 'inv', docType: 'architecture', dataSource: 'architecture', template: '{{snapshot.nope}}',
    }),
    (e) => e instanceof TRPCClientError && /unknown field "snapshot.nope"/.test(e.message),
  );
  const breaking = await v.mutation('documentationGenerator.diffApi', {
    before: '{"openapi":"3.0.0","paths":{"/a":{"get":{}}}}', after: '{"openapi":"3.0.0","paths":{}}',
  });
  assert.equal(breaking.breaking, 1);
});

test('CLI: docs diagram and api-diff exit codes', () => {
  const file = join(server.dataDir, 'shop.yaml');
  writeFileSync(file, manifests('shop/api:1'));
  const dot = runCli(['docs', 'diagram', file, '--format', 'dot']);
  assert.equal(dot.code, 0, dot.stderr);
  assert.match(dot.stdout, /digraph architecture/);
  const a = join(server.dataDir, 'a.json');
  const b = join(server.dataDir, 'b.json');
  writeFileSync(a, '{"openapi":"3.0.0","paths":{"/a":{"get":{}}}}');
  writeFileSync(b, '{"openapi":"3.0.0","paths":{}}');
  const diff = runCli(['docs', 'generate', 'api-diff', a, b]);
  assert.equal(diff.code, 1);
  assert.match(diff.stdout, /path removed/);
  assert.equal(runCli(['docs', 'generate', 'api-diff', a, a]).code, 0);
  assert.equal(runCli(['docs', 'diagram', join(server.dataDir, 'missing.yaml')]).code, 2);
});

test('captureSnapshot reads the live cluster through the Kubernetes integration', async () => {
  // Without Kubernetes configured, a cluster capture says so.
  await assert.rejects(
    client(operator).mutation('documentationGenerator.captureSnapshot', { cluster: true }),
    (e) => e instanceof TRPCClientError && e.data?.code === 'PRECONDITION_FAILED' &&
      /Kubernetes is not configured/.test(e.message),
  );
  const fixture = JSON.parse(readFileSync(join(repoRoot, 'tests', 'fakes', 'kube-fixture.json'), 'utf8'));
  const fake = await startFakeKube({ ...fixture, token: 'docs-token' });
  const dir = tempDir('docs-kube');
  const kc = join(dir, 'kubeconfig');
  writeFileSync(kc, kubeconfigFor(fake.url, { token: 'docs-token' }));
  const live = new Server({ extraArgs: ['--kubeconfig', kc] });
  await live.start();
  try {
    // An ingress to the web service and a config map naming the database by URL; 205 config
    // maps in another namespace make the config-map list span two pages (limit 200 + continue).
    fake.kube.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop' },
      spec: { rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix',
        backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
    fake.kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'shop' },
      data: { DATABASE_URL: 'postgres://shop:hunter2@orders-db.shop.svc:5432/orders' } });
    for (let i = 0; i < 205; i++) {
      fake.kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `bulk-${i}`, namespace: 'bulk' }, data: { n: String(i) } });
    }
    const op = createTRPCUntypedClient({
      links: [httpBatchLink({ url: `${live.url}/trpc`, headers: { authorization: `Bearer ${live.createToken('operator', 'kube-docs')}` } })],
    });
    const before = fake.kube.requests.length;
    const snap = await op.mutation('documentationGenerator.captureSnapshot', { name: 'cluster', cluster: true });
    assert.equal(snap.source, 'kubernetes');
    const got = await op.query('documentationGenerator.getSnapshot', { id: snap.id });
    const ids = new Set(got.components.map((c) => c.id));
    for (const id of ['deployment/shop/web', 'statefulset/shop/db', 'service/shop/web', 'ingress/shop/web',
      'configmap/shop/web-config', 'configmap/bulk/bulk-204']) {
      assert.ok(ids.has(id), `${id} captured (got ${[...ids].filter((x) => !x.startsWith('configmap/bulk')).join(', ')})`);
    }
    assert.ok(got.components.some((c) => c.kind === 'database' && /orders-db/.test(c.name)), 'the database named by the config map');
    assert.doesNotMatch(JSON.stringify(got), /hunter2/, 'credentials in a URL are never kept');
    assert.ok(got.connections.some((e) => e.from === 'ingress/shop/web' && e.to === 'service/shop/web'));
    const reqs = fake.kube.requests.slice(before);
    assert.ok(reqs.some((q) => q.path === '/api/v1/configmaps' && /continue=/.test(q.query)), 'the second config-map page was fetched');
    assert.ok(reqs.every((q) => q.tokenMatches === true));
    assert.ok(!reqs.some((q) => q.path.includes('secrets')), 'secrets are never read');
    // One namespace only.
    const ops = await op.mutation('documentationGenerator.captureSnapshot', { name: 'ops', cluster: true, namespace: 'ops' });
    const opsGot = await op.query('documentationGenerator.getSnapshot', { id: ops.id });
    assert.ok(opsGot.components.length > 0 && opsGot.components.every((c) => c.namespace === 'ops'),
      JSON.stringify(opsGot.components.map((c) => c.id)));
    // A deployment removed from the cluster shows in the next capture's diff.
    const removed = await fetch(`${fake.url}/fake/delete`, { method: 'POST',
      body: JSON.stringify({ kind: 'Deployment', namespace: 'shop', name: 'web' }) });
    assert.equal(removed.status, 200, await removed.text());
    const next = await op.mutation('documentationGenerator.captureSnapshot', { name: 'cluster', cluster: true });
    assert.ok(next.diffFromPrevious.removed.some((c) => c.id === 'deployment/shop/web'));
  } finally {
    await live.stop();
    live.cleanup();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('importDocs reads the Markdown of a git repository from a URL or a path', async () => {
  const repo = tempDir('docs-git');
  const git = (...args) => execFileSync('git', ['-c', 'user.name=Docs', '-c', 'user.email=docs@example.com',
    '-c', 'init.defaultBranch=main', ...args], { cwd: repo, stdio: 'pipe' });
  try {
    git('init', '-q');
    mkdirSync(join(repo, 'guides'));
    writeFileSync(join(repo, 'guides', 'failover.md'), '# Database failover\n\nPromote the standby in zone b.\n');
    writeFileSync(join(repo, 'README.markdown'), 'No heading here, about gitimportzebra.\n');
    writeFileSync(join(repo, 'notes.txt'), 'not markdown');
    mkdirSync(join(repo, '.github'));
    writeFileSync(join(repo, '.github', 'hidden.md'), '# Hidden\n');
    git('add', '.');
    git('commit', '-qm', 'docs');
    git('checkout', '-qb', 'next');
    writeFileSync(join(repo, 'guides', 'failover.md'), '# Database failover\n\nPromote the standby in zone c.\n');
    git('commit', '-qam', 'zone c');
    git('checkout', '-q', 'main');
    const admin = client(server.createToken('admin', 'docs-admin'));
    const url = `file://${repo}`;
    const first = await admin.mutation('documentationGenerator.importDocs', { gitUrl: url });
    assert.deepEqual(first.imported.map((d) => d.path).sort(), ['README.markdown', 'guides/failover.md']);
    assert.ok(first.imported.every((d) => d.updated === false));
    assert.match(first.commit, /^[0-9a-f]{40}$/);
    const found = await client(viewer).query('documentationGenerator.searchDocs', { query: 'standby zone' });
    const failover = found.items.find((d) => d.title === 'Database failover');
    assert.ok(failover, JSON.stringify(found.items));
    assert.ok((await client(viewer).query('documentationGenerator.searchDocs', { query: 'gitimportzebra' }))
      .items.some((d) => d.title === 'README'));
    // Another branch of the same URL updates the same documents.
    const next = await admin.mutation('documentationGenerator.importDocs', { gitUrl: url, ref: 'next' });
    assert.ok(next.imported.every((d) => d.updated === true));
    const doc = await client(viewer).query('documentationGenerator.getDoc', { id: failover.id });
    assert.match(doc.content, /zone c/);
    // A repository path on the server is read in place.
    const inPlace = await admin.mutation('documentationGenerator.importDocs', { gitUrl: repo, ref: 'main' });
    assert.equal(inPlace.imported.length, 2);
    // Bad input is named.
    await assert.rejects(admin.mutation('documentationGenerator.importDocs', { gitUrl: 'ssh://example.com/r.git' }),
      (e) => e instanceof TRPCClientError && e.data?.code === 'BAD_REQUEST' && /https:\/\/ or file:\/\//.test(e.message));
    await assert.rejects(admin.mutation('documentationGenerator.importDocs', { gitUrl: url, ref: 'nope' }),
      (e) => e instanceof TRPCClientError && e.data?.code === 'NOT_FOUND' && /ref nope not found/.test(e.message));
    await assert.rejects(admin.mutation('documentationGenerator.importDocs', { gitUrl: url, path: repo }),
      (e) => e instanceof TRPCClientError && /one of path or gitUrl/.test(e.message));
    await assert.rejects(client(operator).mutation('documentationGenerator.importDocs', { gitUrl: url }),
      (e) => e instanceof TRPCClientError && e.data?.code === 'FORBIDDEN');
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
