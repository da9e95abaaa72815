// Documentation Generator through the real @trpc/client against the real binary: knowledge-base
// documents (stored XSS is rendered away, search finds and highlights), an architecture snapshot
// from manifests with its diagram as SVG and PNG (libgvc) and a diff against the next version,
// the platform's API reference, OpenAPI breaking changes, bad input named, and roles; the CLI
// draws the same manifests and flags a breaking API change with exit code 1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { Server, runCli } from './harness.mjs';

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
