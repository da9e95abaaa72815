// Debian's real Prometheus scrapes the running server's /metrics: up == 1 and our series
// are stored.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Server, freePort, tempDir, waitFor } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('Prometheus scrapes /metrics and sees up == 1', async () => {
  const promPort = await freePort();
  const server = await new Server({ extraArgs: ['--prometheus-url', `http://127.0.0.1:${promPort}`] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const dir = tempDir('prom');
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:', '  scrape_interval: 1s', '  evaluation_interval: 1s',
    'scrape_configs:', '  - job_name: devops-ai', '    static_configs:',
    `      - targets: ['127.0.0.1:${server.port}']`, ''].join('\n'));
  const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prom.stderr.on('data', (d) => { promLog += d.toString(); });
  const promExit = new Promise((r) => prom.on('exit', r));
  cleanups.push(async () => { prom.kill('SIGTERM'); await promExit; rmSync(dir, { recursive: true, force: true }); });

  const q = (expr) => fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`).then((r) => r.json());
  const up = await waitFor('Prometheus to scrape devops-ai', async () => {
    if (prom.exitCode !== null) throw new Error(`prometheus exited: ${promLog.slice(-1500)}`);
    const res = await q('up{job="devops-ai"}');
    return res.status === 'success' && res.data.result.length === 1 && res.data.result[0].value[1] === '1' ? res : null;
  }, 30000, 250);
  assert.equal(up.data.result[0].value[1], '1');
  const build = await q('devops_ai_build_info');
  assert.equal(build.data.result.length, 1);
  // A scrape counts itself after answering, so the counter shows from the second scrape on.
  await waitFor('our request counter in Prometheus', async () => {
    const requests = await q('devops_ai_http_requests_total{procedure="metrics"}');
    return requests.data.result.length >= 1;
  }, 15000, 250);

  // The PromQL explorer's procedures read the same data through the server.
  const token = server.createToken('viewer', 'metrics-reader');
  const headers = { authorization: `Bearer ${token}` };
  const call = async (path, input) => (await fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })).json();
  const instant = await call('metrics.query', { query: 'up{job="devops-ai"}' });
  assert.equal(instant.result.data.resultType, 'vector');
  assert.equal(instant.result.data.result[0].value[1], '1');
  const end = new Date();
  const start = new Date(end.getTime() - 60000);
  const range = await call('metrics.queryRange', { query: 'up', start: start.toISOString(), end: end.toISOString(), step: 1 });
  assert.equal(range.result.data.resultType, 'matrix');
  const bad = await call('metrics.query', { query: 'sum(' });
  assert.equal(bad.error.data.code, 'BAD_REQUEST');
  assert.match(bad.error.message, /parse error/);
});
