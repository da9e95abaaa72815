// Root-cause ranking of a real incident, end to end: a scenario of ../shared/data/rca (service
// graph, metric series with real noise shapes, alerts, changes) is moved to the present and its
// series are backfilled into Debian's real Prometheus (promtool: OpenMetrics → TSDB blocks); its
// alerts arrive through the Alertmanager webhook and open incidents; the service graph and the
// PromQL per metric are set with setRcaConfig. rankRootCauses, called through the real
// @trpc/client, reads the series from Prometheus and must put the scenario's true root cause
// first, with evidence, store the analysis on the incident and record it on the timeline.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, havePath, startBackfilledPrometheus, tempDir, repoRoot } from './harness.mjs';


const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const dataDir = join(repoRoot, '..', 'shared', 'data', 'rca');
// DAI_RCA_SCENARIO=dev-017 replays another scenario (dev-003: an error burst with an innocent
// deploy, a second anomaly and missing series).
const id = process.env.DAI_RCA_SCENARIO || 'dev-003';

test('rankRootCauses ranks a real incident from Prometheus series, alerts and the service graph', async (t) => {
  if (!havePath('prometheus') || !havePath('promtool')) {
    t.skip('prometheus/promtool are not installed (scripts/bootstrap)');
    return;
  }
  if (!existsSync(join(dataDir, `${id}.json.gz`))) {
    t.skip(`the RCA scenarios are absent (${dataDir}); nothing to replay`);
    return;
  }
  const scenario = JSON.parse(gunzipSync(readFileSync(join(dataDir, `${id}.json.gz`))).toString('utf8'));
  const truth = JSON.parse(readFileSync(join(dataDir, `${id}.truth.json`), 'utf8'));
  const dir = tempDir('rca');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));

  // Move the scenario so its last point is a minute ago (a whole number of steps, so the grid
  // stays aligned with the queries').
  const step = scenario.step_seconds;
  const points = scenario.metrics[0].values.length;
  const lastAt = scenario.start + (points - 1) * step;
  const now = Math.floor(Date.now() / 1000);
  const shift = Math.floor((now - 60 - lastAt) / step) * step;
  const byName = new Map();
  for (const m of scenario.metrics) {
    if (!byName.has(m.name)) byName.set(m.name, []);
    byName.get(m.name).push(m);
  }
  const lines = [];
  for (const [name, series] of byName) {
    lines.push(`# TYPE dai_rca_${name} gauge`);
    for (const m of series) {
      m.values.forEach((v, i) => {
        if (v === null || Number.isNaN(v)) return;
        lines.push(`dai_rca_${name}{service="${m.service}"} ${v} ${scenario.start + shift + i * step}`);
      });
    }
  }
  lines.push('# EOF', '');
  const prom = await startBackfilledPrometheus(dir, lines.join('\n'), { promtoolTimeoutMs: 120000 });
  cleanups.push(prom.close);

  const server = await new Server({ extraArgs: ['--prometheus-url', prom.url] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const trpc = (token) => createTRPCUntypedClient({
    links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
  const opToken = server.createToken('operator', 'sre');
  const op = trpc(opToken);
  const admin = trpc(server.createToken('admin', 'ada'));

  // Before configuration: defaults, and an operator cannot change them.
  const defaults = await op.query('incidentCommander.getRcaConfig');
  assert.equal(defaults.serviceLabel, 'service');
  assert.ok(defaults.metrics.some((m) => m.metric === 'error_rate'));
  const denied = await op.mutation('incidentCommander.setRcaConfig', { metrics: [] }).catch((e) => e);
  assert.equal(denied.data?.code, 'FORBIDDEN');
  const bad = await admin.mutation('incidentCommander.setRcaConfig', { stepSeconds: 1 }).catch((e) => e);
  assert.equal(bad.data?.code, 'BAD_REQUEST');

  await admin.mutation('incidentCommander.setRcaConfig', {
    serviceLabel: 'service',
    stepSeconds: step,
    metrics: [...byName.keys()].map((name) => ({ metric: name, query: `dai_rca_${name}` })),
    calls: scenario.calls,
  });

  // The scenario's alerts through the Alertmanager webhook, at their moved times.
  const alerts = scenario.alerts.map((a, i) => ({
    status: 'firing', labels: a.labels, annotations: { summary: `${a.labels.alertname} on ${a.labels.service}` },
    startsAt: new Date((a.startsAt + shift) * 1000).toISOString(), endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '', fingerprint: `rca-${i}`,
  }));
  const hook = await fetch(`${server.url}/api/alertmanager/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opToken}` },
    body: JSON.stringify({ version: '4', groupKey: 'rca', status: 'firing', receiver: 'devops-ai', groupLabels: {},
      commonLabels: {}, commonAnnotations: {}, externalURL: '', truncatedAlerts: 0, alerts }),
  });
  assert.equal(hook.status, 200, await hook.text());
  // The incident holding the alert that paged (the scenario's incident_start).
  const pagingIndex = scenario.alerts.findIndex((a) => a.startsAt === scenario.incident_start);
  if (pagingIndex < 0) {
    t.skip(`${id} has no alert at its incident_start (opened by a person): nothing pages`);
    return;
  }
  const incidents = (await op.query('incidentCommander.list', { limit: 50 })).items;
  let paged = null;
  for (const i of incidents) {
    const d = await op.query('incidentCommander.get', { id: i.id });
    const pager = scenario.alerts[pagingIndex].labels;
    if (d.alerts.some((a) => a.alertname === pager.alertname && a.labels.service === pager.service)) paged = i;
  }
  // A warning inhibited by a critical alert of its service joins no incident: take that one's.
  const pagerService = scenario.alerts[pagingIndex].labels.service;
  paged ??= incidents.find((i) => i.service === pagerService);
  assert.ok(paged, JSON.stringify(incidents.map((i) => [i.title, i.severity])));
  assert.equal(await op.query('incidentCommander.getRootCauses', { id: paged.id }), null);

  const analysis = await op.mutation('incidentCommander.rankRootCauses', { id: paged.id });
  if (scenario.alerts[pagingIndex].labels.severity === 'critical') {
    assert.equal(analysis.incidentStart, new Date((scenario.incident_start + shift) * 1000).toISOString());
    assert.equal(analysis.inputs.incidentStartFrom, 'first critical alert');
  }
  assert.equal(analysis.inputs.calls, scenario.calls.length);
  assert.ok(analysis.inputs.series >= scenario.metrics.length - 2, JSON.stringify(analysis.inputs));
  assert.deepEqual(analysis.inputs.missing, []);
  const top = analysis.ranking[0];
  assert.equal(top.service, truth.root_cause_service,
    JSON.stringify(analysis.ranking.slice(0, 3).map((c) => [c.service, c.score, c.evidence])));
  assert.ok(top.evidence.length > 0 && top.explanation.length > 0);
  assert.ok(top.series.some((s) => s.metric === truth.root_cause_metric), JSON.stringify(top.series));
  assert.ok(top.confidence > 0 && top.confidence <= 1);

  // Stored on the incident and on its timeline.
  const stored = await op.query('incidentCommander.getRootCauses', { id: paged.id });
  assert.equal(stored.ranking[0].service, truth.root_cause_service);
  const detail = await op.query('incidentCommander.get', { id: paged.id });
  assert.ok(detail.timeline.some((a) => a.type === 'analysis' && a.details.kind === 'root_cause_ranking' && a.description.includes(truth.root_cause_service)),
    JSON.stringify(detail.timeline.map((a) => a.type)));

  const missing = await op.mutation('incidentCommander.rankRootCauses', { id: 999999 }).catch((e) => e);
  assert.equal(missing.data?.code, 'NOT_FOUND');
});
