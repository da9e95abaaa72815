// Real components end to end: Debian's Prometheus evaluates a rule, Debian's Alertmanager
// sends its webhook to devops-ai, the alert becomes an incident that the real @trpc/client
// reads back, and the incident resolves when the rule stops firing. The rule watches our
// own metric devops_ai_sse_clients, so the test turns it on and off by opening and closing
// an event stream.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpBatchLink } from '@trpc/client';
import { Server, freePort, tempDir, waitFor } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function startProcess(cmd, args) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log = (log + d.toString()).slice(-4000); });
  const exited = new Promise((r) => proc.on('exit', r));
  cleanups.push(async () => { proc.kill('SIGTERM'); await exited; });
  return { proc, log: () => log };
}

test('Prometheus rule → Alertmanager webhook → incident → resolved', async () => {
  const server = await new Server().start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const webhookToken = server.createToken('operator', 'alertmanager');
  const viewer = server.createToken('viewer', 'reader');
  const dir = tempDir('am');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const [amPort, amCluster, promPort] = [await freePort(), await freePort(), await freePort()];

  writeFileSync(join(dir, 'token'), webhookToken, { mode: 0o600 });
  writeFileSync(join(dir, 'am.yml'), `
route:
  receiver: devops-ai
  group_by: ['alertname', 'service']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: devops-ai
    webhook_configs:
      - url: http://127.0.0.1:${server.port}/api/alertmanager/webhook
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: ${join(dir, 'token')}
`);
  writeFileSync(join(dir, 'rules.yml'), `
groups:
  - name: devops-ai-test
    interval: 1s
    rules:
      - alert: EventStreamOpen
        expr: devops_ai_sse_clients > 0
        labels:
          severity: warning
          service: devops-ai
        annotations:
          summary: An event stream is open
`);
  writeFileSync(join(dir, 'prom.yml'), `
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ['${join(dir, 'rules.yml')}']
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:${amPort}']
scrape_configs:
  - job_name: devops-ai
    static_configs:
      - targets: ['127.0.0.1:${server.port}']
`);
  const am = startProcess('prometheus-alertmanager', [`--config.file=${join(dir, 'am.yml')}`,
    `--storage.path=${join(dir, 'am-data')}`, `--web.listen-address=127.0.0.1:${amPort}`,
    `--cluster.listen-address=`, `--web.external-url=http://127.0.0.1:${amPort}`]);
  const prom = startProcess('prometheus', [`--config.file=${join(dir, 'prom.yml')}`,
    `--storage.tsdb.path=${join(dir, 'prom-data')}`, `--web.listen-address=127.0.0.1:${promPort}`,
    '--rules.alert.resend-delay=1s']);

  // Open an event stream: the gauge goes to 1 and the rule fires.
  const ctrl = new AbortController();
  const stream = await fetch(`${server.url}/api/events`, { headers: { authorization: `Bearer ${viewer}` }, signal: ctrl.signal });
  assert.equal(stream.status, 200);
  const reader = stream.body.getReader();
  (async () => { try { while (!(await reader.read()).done); } catch { /* aborted */ } })();

  const client = createTRPCUntypedClient({
    links: [httpBatchLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${viewer}` } })],
  });
  const opened = await waitFor('an incident from the Alertmanager webhook', async () => {
    if (am.proc.exitCode !== null) throw new Error(`alertmanager exited: ${am.log()}`);
    if (prom.proc.exitCode !== null) throw new Error(`prometheus exited: ${prom.log()}`);
    const list = await client.query('incidentCommander.list', {});
    return list.items.find((i) => i.title.startsWith('An event stream is open'));
  }, 60000, 500);
  assert.equal(opened.severity, 'medium');
  assert.equal(opened.service, 'devops-ai');
  const detail = await client.query('incidentCommander.get', { id: opened.id });
  assert.equal(detail.alerts.length, 1);
  assert.equal(detail.alerts[0].alertname, 'EventStreamOpen');
  assert.match(detail.alerts[0].fingerprint, /^[0-9a-f]{16}$/);
  assert.ok(detail.timeline.some((e) => e.type === 'alert_attached'));

  // Close the stream: the rule stops firing, Alertmanager sends "resolved", the incident resolves.
  ctrl.abort();
  const resolved = await waitFor('the incident to resolve', async () => {
    const inc = await client.query('incidentCommander.get', { id: opened.id });
    return inc.status === 'resolved' ? inc : null;
  }, 60000, 500);
  assert.ok(resolved.resolvedAt);
  assert.ok(resolved.timeline.some((e) => e.type === 'alert_resolved'));
});
