// Grafana integration against a fake following Grafana's HTTP API (Grafana is not packaged
// here): a `grafana` notification channel writes incident and self-healing events as
// annotations (service-account token, tags naming the event, its state and service), secrets
// are never returned, a rejected token is a permanent delivery failure with Grafana's answer,
// and the incident page's dashboard links come from Grafana's search at the incident's time
// range. deploy/grafana/devops-ai.json (the platform's own /metrics) is checked against what
// /metrics exports.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, repoRoot, startReceiver, waitFor } from './harness.mjs';
import { startFakeGrafana } from '../fakes/grafana.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const TOKEN = 'glsa_integration_0123456789abcdef';

test('incident and healing events become Grafana annotations; incidents link dashboards', async () => {
  const grafana = await startFakeGrafana({ token: TOKEN, dashboards: [
    { uid: 'checkout-svc', title: 'Checkout service' }, { uid: 'node', title: 'Node exporter' }] });
  cleanups.push(() => grafana.close());
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  const server = await new Server().start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const client = (token) => createTRPCUntypedClient({
    links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
  const admin = client(server.createToken('admin', 'ada'));
  const opToken = server.createToken('operator', 'alerts');

  const bad = await admin.mutation('notifications.createChannel', { name: 'g', type: 'grafana', config: { url: grafana.url, token: 'short' } }).catch((e) => e);
  assert.equal(bad.data?.code, 'BAD_REQUEST');
  assert.match(bad.message, /config\.token/);
  const channel = await admin.mutation('notifications.createChannel', {
    name: 'grafana', type: 'grafana', config: { url: `${grafana.url}/`, token: TOKEN, tags: ['prod'] },
  });
  assert.equal(channel.config.token, '<redacted>');
  assert.equal(channel.config.url, grafana.url);
  await admin.mutation('notifications.createRoute', { name: 'everything to grafana', kinds: ['incident.*', 'healing.*'], channels: [channel.id] });

  // A healing rule that acts on the alert (an http_request to a loopback receiver).
  await admin.mutation('selfHealing.createRule', {
    name: 'poke-checkout', conditionType: 'alert', conditionConfig: { matchers: ['alertname="CheckoutErrors"'] },
    actionType: 'http_request', actionConfig: { url: `${receiver.url}/poke`, target: 'checkout' },
    requiresApproval: false, cooldownSeconds: 1,
  });

  const post = (status) => fetch(`${server.url}/api/alertmanager/webhook`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${opToken}` },
    body: JSON.stringify({ version: '4', status, receiver: 'devops-ai', groupKey: 'g', groupLabels: {}, commonLabels: {},
      commonAnnotations: {}, externalURL: '', alerts: [{ status, labels: { alertname: 'CheckoutErrors', service: 'checkout', severity: 'critical' },
        annotations: { summary: 'Checkout errors' }, startsAt: new Date(Date.now() - 60000).toISOString(),
        endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'c1' }] }),
  });
  assert.equal((await post('firing')).status, 200);
  // The action's start is the moment a system was changed: annotated when it runs.
  await waitFor('the incident and healing annotations', async () =>
    grafana.state.annotations.some((a) => a.tags.includes('incident.open')) &&
    grafana.state.annotations.some((a) => a.tags.includes('healing.action') && a.tags.includes('running')), 20000);
  const open = grafana.state.annotations.find((a) => a.tags.includes('incident.open'));
  assert.ok(open.tags.includes('devops-ai') && open.tags.includes('severity:critical') && open.tags.includes('service:checkout') && open.tags.includes('prod'), JSON.stringify(open.tags));
  assert.match(open.text, /Checkout errors/);
  assert.ok(Math.abs(open.time - Date.now()) < 60000);
  const healed = grafana.state.annotations.filter((a) => a.tags.includes('healing.action'));
  assert.ok(healed.some((a) => a.tags.includes('running')) && healed.some((a) => a.tags.includes('target:checkout')), JSON.stringify(healed));
  assert.ok(grafana.state.requests.every((r) => r.authorization === `Bearer ${TOKEN}`));

  assert.equal((await post('resolved')).status, 200);
  // The alert resolving verifies the action: its outcome is annotated too.
  await waitFor('the resolution annotations', async () =>
    grafana.state.annotations.some((a) => a.tags.includes('incident.resolved')) &&
    grafana.state.annotations.some((a) => a.tags.includes('healing.action') && a.tags.includes('succeeded')), 20000);

  // Dashboard links for the incident's service, at its time range; only Grafana's own paths.
  grafana.state.dashboards.push({ uid: 'x', title: 'checkout elsewhere' });
  const incident = (await admin.query('incidentCommander.list', { limit: 5 })).items[0];
  const links = await admin.query('incidentCommander.grafanaDashboards', { id: incident.id });
  assert.equal(links.configured, true);
  assert.equal(links.error, null);
  assert.deepEqual(links.dashboards.map((d) => d.title).sort(), ['Checkout service', 'checkout elsewhere']);
  const link = new URL(links.dashboards.find((d) => d.title === 'Checkout service').url);
  assert.equal(link.origin, grafana.url);
  assert.equal(link.pathname, '/d/checkout-svc/checkout-svc');
  assert.equal(link.searchParams.get('var-service'), 'checkout');
  assert.ok(Number(link.searchParams.get('from')) < Date.parse(incident.detectedAt));
  assert.ok(Number(link.searchParams.get('to')) >= Date.parse(incident.detectedAt));

  // A revoked token: Grafana's 401 is a permanent failure in the delivery log, with its answer.
  const revoked = await admin.mutation('notifications.createChannel', {
    name: 'grafana-revoked', type: 'grafana', config: { url: grafana.url, token: 'glsa_revoked_0123456789abcdef' },
  });
  await admin.mutation('notifications.createRoute', { name: 'revoked', kinds: ['incident.*'], channels: [revoked.id] });
  assert.equal((await post('firing')).status, 200);
  let failed;
  await waitFor('the failed delivery', async () => {
    const log = await admin.query('notifications.listDeliveries', { channelId: revoked.id, limit: 50 });
    failed = log.items.find((d) => d.status === 'failed');
    return failed;
  }, 20000);
  assert.equal(failed.responseStatus, 401);
  assert.equal(failed.attempts, 1, 'a rejected token is not retried');
  assert.match(failed.lastError, /Invalid API key/);
  await admin.mutation('notifications.deleteChannel', { id: channel.id });
  const noLinks = await admin.query('incidentCommander.grafanaDashboards', { id: incident.id });
  assert.match(noLinks.error, /HTTP 401/);
  assert.deepEqual(noLinks.dashboards, []);
  assert.ok(!server.stderr.includes(TOKEN) && !server.stdout.includes(TOKEN), 'the token never reaches the log');
});

test('deploy/grafana/devops-ai.json charts metrics that /metrics exports', async () => {
  const dash = JSON.parse(readFileSync(join(repoRoot, 'deploy', 'grafana', 'devops-ai.json'), 'utf8'));
  assert.ok(dash.title && Array.isArray(dash.panels) && dash.panels.length >= 4);
  const server = await new Server().start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const exported = new Set(metrics.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
  assert.ok(exported.has('devops_ai_http_requests_total') && exported.has('devops_ai_build_info'), metrics.slice(0, 2000));
  // Families that appear once used (a job finished, a store error) are registered in the source.
  const registry = readFileSync(join(repoRoot, 'src', 'server', 'metrics.cc'), 'utf8');
  for (const m of registry.matchAll(/"(devops_ai_[a-z0-9_]+)"/g)) exported.add(m[1]);
  for (const panel of dash.panels.filter((p) => p.targets)) {
    for (const t of panel.targets) {
      const names = [...t.expr.matchAll(/\b(devops_ai_[a-z0-9_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1]);
      assert.ok(names.length > 0, `panel "${panel.title}" queries no devops_ai metric`);
      for (const n of names) assert.ok(exported.has(n), `panel "${panel.title}" uses ${n}, which /metrics does not export`);
    }
  }
});
