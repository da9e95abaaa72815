// Detection latency (issue #3): from a metric turning anomalous in Prometheus to the incident
// existing in devops-ai, end to end with Debian's Prometheus and Alertmanager on loopback, beside
// an anchor measured the same way in the same run. Run by scripts/bench-detection-latency.
//
// A tiny exporter serves `dai_bench_latency_ms{service="svc-N"}` (a level around 100 with
// noise). Prometheus scrapes it every SCRAPE seconds over a TSDB backfilled with promtool (the
// same series' last 30 minutes, so the anomaly engine has its history at once). At staggered
// onset times each series jumps to ~400. Two detection paths:
//   anomaly: devops-ai's watched query (`dai_bench_latency_ms`, step = SCRAPE seconds) read
//            from Prometheus, scored by the anomaly engine, the signal opening an incident;
//   alert:   Prometheus's rule `dai_bench_latency_ms > 250` (for: 0) → Alertmanager (group_wait
//            GROUP_WAIT) → devops-ai's webhook → incident.
// Anchor: the same Alertmanager notification arriving at a plain receiver (the moment
// Alertmanager would page anyone): Prometheus's scrape and rule evaluation plus Alertmanager's
// group_wait, with nothing of ours. Latencies are from the exporter switching the value to the
// incident first listed by incidentCommander.list (polled every 100 ms) or the notification
// arriving. Prints one line per series and the medians.
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, freePort, tempDir, waitFor, sleep, havePath } from './harness.mjs';

const SERIES = Number(process.env.SERIES || 5);
const SCRAPE = Number(process.env.SCRAPE || 1); // seconds: scrape, rule evaluation, watch step
const GROUP_WAIT = process.env.GROUP_WAIT || '1s';
const GAP_MS = Number(process.env.GAP_MS || 12000); // between onsets

if (!havePath('prometheus') || !havePath('promtool') || !havePath('prometheus-alertmanager')) {
  console.log('SKIP: prometheus, promtool and prometheus-alertmanager are needed (scripts/bootstrap)');
  process.exit(0);
}

const cleanups = [];
async function cleanup() {
  for (const c of cleanups.reverse()) {
    try { await c(); } catch { /* best effort */ }
  }
}

function startProcess(cmd, args) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log = (log + d.toString()).slice(-4000); });
  const exited = new Promise((r) => proc.on('exit', r));
  cleanups.push(async () => { proc.kill('SIGTERM'); await exited; });
  return { proc, log: () => log };
}

// Deterministic noise, so every run sees the same series.
let seed = 7;
function noise() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed / 2147483648 - 0.5) * 6;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

async function main() {
  const dir = tempDir('detect');
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const services = Array.from({ length: SERIES }, (_, i) => `svc-${i + 1}`);

  // History: the last 30 minutes at the scrape interval, ending 20 s ago.
  const end = Math.floor(Date.now() / 1000) - 20;
  const lines = ['# HELP dai_bench_latency_ms a bench gauge', '# TYPE dai_bench_latency_ms gauge'];
  for (const s of services) {
    for (let ts = end - 1800; ts <= end; ts += SCRAPE) {
      lines.push(`dai_bench_latency_ms{instance="exporter",job="bench",service="${s}"} ${(100 + noise()).toFixed(3)} ${ts}`);
    }
  }
  writeFileSync(join(dir, 'history.om'), [...lines, '# EOF', ''].join('\n'));
  mkdirSync(join(dir, 'tsdb'));
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'history.om'), join(dir, 'tsdb')],
    { stdio: 'pipe', timeout: 60000 });

  // The exporter: each service's level, switched at its onset.
  const onsetAt = {}; // service → ms when its value switched
  const exporter = http.createServer((req, res) => {
    const now = Date.now();
    const body = ['# TYPE dai_bench_latency_ms gauge'];
    for (const s of services) {
      const level = onsetAt[s] !== undefined && now >= onsetAt[s] ? 400 : 100;
      body.push(`dai_bench_latency_ms{service="${s}"} ${(level + noise()).toFixed(3)}`);
    }
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(body.join('\n') + '\n');
  });
  await new Promise((r) => exporter.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => exporter.close(r)));
  const exporterPort = exporter.address().port;

  // The anchor's receiver: the time each firing notification lands, per series.
  const anchorSeen = {}; // service → ms the notification arrived
  const anchor = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const t = Date.now();
      try {
        for (const a of JSON.parse(body).alerts || []) {
          const s = (a.labels.service || '').replace(/^alert-/, '');
          if (a.status === 'firing' && anchorSeen[s] === undefined) anchorSeen[s] = t;
        }
      } catch { /* not JSON */ }
      res.end('ok');
    });
  });
  await new Promise((r) => anchor.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => anchor.close(r)));
  const anchorUrl = `http://127.0.0.1:${anchor.address().port}`;

  const [amPort, promPort] = [await freePort(), await freePort()];
  const server = await new Server({ extraArgs: ['--prometheus-url', `http://127.0.0.1:${promPort}`] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  writeFileSync(join(dir, 'token'), server.createToken('operator', 'alertmanager'), { mode: 0o600 });
  const op = createTRPCUntypedClient({
    links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${server.createToken('operator', 'bench')}` } })],
  });

  writeFileSync(join(dir, 'am.yml'), `
route:
  receiver: both
  group_by: ['alertname', 'service']
  group_wait: ${GROUP_WAIT}
  group_interval: 5m
  repeat_interval: 1h
receivers:
  - name: both
    webhook_configs:
      - url: http://127.0.0.1:${server.port}/api/alertmanager/webhook
        http_config:
          authorization:
            type: Bearer
            credentials_file: ${join(dir, 'token')}
      - url: ${anchorUrl}/anchor
`);
  writeFileSync(join(dir, 'rules.yml'), `
groups:
  - name: bench
    interval: ${SCRAPE}s
    rules:
      - alert: BenchLatencyHigh
        expr: dai_bench_latency_ms > 250
        labels:
          severity: warning
          service: 'alert-{{ $labels.service }}'
        annotations:
          summary: latency high
`);
  writeFileSync(join(dir, 'prom.yml'), `
global:
  scrape_interval: ${SCRAPE}s
  evaluation_interval: ${SCRAPE}s
rule_files: ['${join(dir, 'rules.yml')}']
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:${amPort}']
scrape_configs:
  - job_name: bench
    static_configs:
      - targets: ['127.0.0.1:${exporterPort}']
        labels: {instance: exporter}
`);
  const am = startProcess('prometheus-alertmanager', [`--config.file=${join(dir, 'am.yml')}`,
    `--storage.path=${join(dir, 'am-data')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=']);
  const prom = startProcess('prometheus', [`--config.file=${join(dir, 'prom.yml')}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`,
    '--storage.tsdb.retention.time=30d']);
  await waitFor('Prometheus and Alertmanager', async () => {
    if (prom.proc.exitCode !== null) throw new Error(`prometheus exited: ${prom.log()}`);
    if (am.proc.exitCode !== null) throw new Error(`alertmanager exited: ${am.log()}`);
    return (await fetch(`http://127.0.0.1:${promPort}/-/ready`)).ok && (await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok;
  }, 30000, 200);
  // Live samples of every series before the watch starts.
  await waitFor('live samples', async () => {
    const r = await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=count(dai_bench_latency_ms)`)).json();
    return Number(r.data?.result?.[0]?.value?.[1]) === SERIES;
  }, 30000, 200);

  const watch = await op.mutation('incidentCommander.createWatch', {
    name: 'bench-latency', query: 'dai_bench_latency_ms', stepSeconds: SCRAPE, windowSeconds: 1800, threshold: 0.9,
  });
  // The scheduled job picks the new watch up within 30 s, then runs every step.
  await waitFor('the watch to run', async () => {
    const w = (await op.query('incidentCommander.listWatches', {})).items.find((x) => x.id === watch.id);
    if (w?.lastError) throw new Error(w.lastError);
    return w?.lastRunAt;
  }, 45000, 200);
  await sleep(3000);
  const before = await op.query('incidentCommander.list', {});
  if (before.total !== 0) throw new Error(`incidents before any onset: ${JSON.stringify(before.items)}`);

  // Onsets, one series at a time; poll the incidents every 100 ms.
  const seen = {}; // incident service → ms first listed
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const list = await op.query('incidentCommander.list', { limit: 100 });
      const t = Date.now();
      for (const i of list.items) if (i.service && seen[i.service] === undefined) seen[i.service] = t;
      await sleep(100);
    }
  })();
  const start = Date.now() + 2000;
  services.forEach((s, k) => { onsetAt[s] = start + k * GAP_MS; });
  await waitFor('every series detected on both paths', async () => {
    if (prom.proc.exitCode !== null || am.proc.exitCode !== null) throw new Error('a companion exited');
    return services.every((s) => seen[s] !== undefined && seen[`alert-${s}`] !== undefined && anchorSeen[s] !== undefined);
  }, start - Date.now() + SERIES * GAP_MS + 60000, 200).catch((e) => {
    console.log(`not every series was detected: ${e.message}`);
  });
  polling = false;
  await poller;

  const rows = { anomaly: [], alert: [], anchor: [] };
  console.log('series  anomaly_ms  alert_ms  anchor_ms (from the value switching at the exporter)');
  for (const s of services) {
    const a = seen[s] !== undefined ? seen[s] - onsetAt[s] : NaN;
    const b = seen[`alert-${s}`] !== undefined ? seen[`alert-${s}`] - onsetAt[s] : NaN;
    const c = anchorSeen[s] !== undefined ? anchorSeen[s] - onsetAt[s] : NaN;
    if (Number.isFinite(a)) rows.anomaly.push(a);
    if (Number.isFinite(b)) rows.alert.push(b);
    if (Number.isFinite(c)) rows.anchor.push(c);
    console.log(`${s}  ${a}  ${b}  ${c}`);
  }
  const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)]));
  console.log(`detection_latency_ms median of ${SERIES} (scrape/evaluation/step ${SCRAPE}s, group_wait ${GROUP_WAIT}): ` +
    `anomaly_watch=${m.anomaly} (max ${Math.max(...rows.anomaly)}) alert_webhook=${m.alert} (max ${Math.max(...rows.alert)}) ` +
    `anchor_alertmanager_notification=${m.anchor} (max ${Math.max(...rows.anchor)})`);
  console.log(`ratio anomaly_watch/anchor=${(m.anomaly / m.anchor).toFixed(2)} alert_webhook/anchor=${(m.alert / m.anchor).toFixed(2)}`);
  const ok = rows.anomaly.length === SERIES && rows.alert.length === SERIES;
  const incidents = await op.query('incidentCommander.list', { limit: 100 });
  console.log(`incidents=${incidents.total} (expected ${2 * SERIES}: one per series per path)`);
  return ok && incidents.total === 2 * SERIES;
}

main()
  .then(async (ok) => { await cleanup(); process.exit(ok ? 0 : 1); })
  .catch(async (e) => { console.error(e); await cleanup(); process.exit(1); });
