// Load and soak (issue 13): a mixed workload against one real `devops-ai serve` (SQLite, or
// PostgreSQL with SOAK_PG=1), for SOAK_SECONDS. Workload: Alertmanager-style alerts through the
// generic webhook at a steady rate with bursts (new, repeated and resolved fingerprints), UI
// reads as tRPC batches, SSE clients, runbook executions (wait + notify steps) started on
// incidents. With SOAK_PG=1, two instances share one PostgreSQL and the load alternates. Every few seconds it samples the server's resident memory, open file
// descriptors, database size and job backlog. Prints a report (requests, errors, 5xx, p50/p99
// per procedure per window, memory slope after warm-up) and writes it as JSON to SOAK_OUT.
//
// Exit status 1 when any request failed with 5xx or a transport error, or when an SSE client
// lost its stream. Memory growth is reported, and judged only on runs of 10 minutes or more
// (SOAK_MAX_SLOPE_MB_PER_HOUR, default 20): a 2-minute run is dominated by warm-up.
//
//   node tests/soak/soak.mjs                  # 120 s (make test runs this as ctest soak_short)
//   SOAK_SECONDS=3600 node tests/soak/soak.mjs   # the published figure (make soak)
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Server, Postgres, sleep } from '../integration/harness.mjs';

const seconds = Number(process.env.SOAK_SECONDS ?? 120);
const alertRate = Number(process.env.SOAK_ALERTS_PER_SECOND ?? 40);
const burstEvery = Number(process.env.SOAK_BURST_EVERY_SECONDS ?? 30);
const burstSize = Number(process.env.SOAK_BURST_ALERTS ?? 400);
const readers = Number(process.env.SOAK_READERS ?? 3);
const sseClients = Number(process.env.SOAK_SSE_CLIENTS ?? 4);
const sampleEvery = Number(process.env.SOAK_SAMPLE_SECONDS ?? 5);
const windowSeconds = Number(process.env.SOAK_WINDOW_SECONDS ?? Math.max(30, Math.round(seconds / 12)));
const maxSlope = Number(process.env.SOAK_MAX_SLOPE_MB_PER_HOUR ?? 20);
const out = process.env.SOAK_OUT ?? join(process.cwd(), 'soak-report.json');
// Extra `devops-ai serve` flags, space-separated (e.g. SOAK_SERVER_ARGS='--sqlite-memory-mb 8').
const serverArgs = (process.env.SOAK_SERVER_ARGS ?? '').split(/\s+/).filter(Boolean);

const started = Date.now();
const elapsed = () => (Date.now() - started) / 1000;
const stats = new Map(); // procedure -> [{t, ms, status}]
let transportErrors = 0;
const errorSamples = [];

function record(name, ms, status) {
  if (!stats.has(name)) stats.set(name, []);
  stats.get(name).push({ t: elapsed(), ms, status });
  if (status >= 500 && errorSamples.length < 20) errorSamples.push(`${name}: ${status}`);
}

async function timed(name, url, init) {
  const t0 = performance.now();
  try {
    const r = await fetch(url, init);
    const body = await r.text();
    record(name, performance.now() - t0, r.status);
    return { status: r.status, body };
  } catch (e) {
    transportErrors += 1;
    if (errorSamples.length < 20) errorSamples.push(`${name}: ${e.message}`);
    record(name, performance.now() - t0, 0);
    return { status: 0, body: '' };
  }
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function procStatus(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  // RssAnon is the heap (and stacks); RssFile the mapped binary and libraries as they are paged in.
  return { rssMb: kb('VmRSS') / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024,
    threads: kb('Threads'), fds: readdirSync(`/proc/${pid}/fd`).length };
}

function dirBytes(dir) {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const st = statSync(join(dir, name));
    total += st.isDirectory() ? dirBytes(join(dir, name)) : st.size;
  }
  return total;
}

// Least-squares slope of y over x.
function slope(points) {
  const n = points.length;
  if (n < 3) return null;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den ? num / den : null;
}

async function main() {
  let pg;
  if (process.env.SOAK_PG === '1') pg = await new Postgres().start();
  // On PostgreSQL two instances share the database (and its job queue), as in a HA deployment.
  const servers = [];
  for (let i = 0; i < Number(process.env.SOAK_INSTANCES ?? (pg ? 2 : 1)); i++) {
    servers.push(await new Server({ db: pg?.url, extraArgs: ['--sse-heartbeat-seconds', '5', ...serverArgs] }).start());
  }
  const server = servers[0];
  let rr = 0;
  const next = () => servers[rr++ % servers.length].url;
  const operator = server.createToken('operator', 'soak-operator');
  const approver = server.createToken('operator', 'soak-approver');
  const viewer = server.createToken('viewer', 'soak-viewer');
  const auth = (t) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
  let stop = false;
  const tasks = [];

  // A runbook the workload executes on incidents: a short wait and a notify step.
  const rb = await timed('incidentCommander.createRunbook', `${server.url}/trpc/incidentCommander.createRunbook`, {
    method: 'POST', headers: auth(operator),
    body: JSON.stringify({ definition: 'name: soak-check\nrequiresApproval: false\nsteps:\n  - name: settle\n    wait: 1\n  - name: tell\n    notify: "soak check done"\n' }),
  });
  if (rb.status !== 200) throw new Error(`createRunbook: ${rb.status} ${rb.body}`);
  const runbookId = JSON.parse(rb.body).result.data.id;

  // Webhook sender: steady rate, bursts, repeats (dedup) and resolutions.
  let seq = 0;
  const firing = [];
  const sendBatch = async (n) => {
    const batch = [];
    for (let i = 0; i < n; i++) {
      const r = Math.random();
      if (r < 0.15 && firing.length) {
        const fp = firing.splice(Math.floor(Math.random() * firing.length), 1)[0];
        batch.push({ title: 'Soak alert', severity: 'warning', fingerprint: fp, status: 'resolved', labels: { service: 'soak' } });
      } else if (r < 0.45 && firing.length) {
        const fp = firing[Math.floor(Math.random() * firing.length)];
        batch.push({ title: 'Soak alert', severity: 'warning', fingerprint: fp, labels: { service: 'soak' } });
      } else {
        const fp = `soak-${seq++}`;
        firing.push(fp);
        if (firing.length > 2000) firing.shift();
        const svc = `svc-${seq % 23}`;
        batch.push({ title: `Soak ${svc} latency`, severity: seq % 17 === 0 ? 'critical' : 'warning', fingerprint: fp,
          labels: { service: svc, instance: `10.0.${seq % 250}.${seq % 7}:9100`, alertname: 'SoakLatency' } });
      }
    }
    await timed('webhook.generic', `${next()}/api/webhooks/generic`, { method: 'POST', headers: auth(operator), body: JSON.stringify(batch) });
  };
  tasks.push((async () => {
    const perTick = Math.max(1, Math.round(alertRate / 10));
    let nextBurst = burstEvery;
    while (!stop) {
      const t0 = Date.now();
      await sendBatch(perTick);
      if (elapsed() >= nextBurst) {
        nextBurst += burstEvery;
        await Promise.all(Array.from({ length: 8 }, () => sendBatch(Math.ceil(burstSize / 8))));
      }
      await sleep(Math.max(0, 100 - (Date.now() - t0)));
    }
  })());

  // UI readers: the batches the web client sends (incidents, overview tiles, settings).
  const batches = [
    ['incidentCommander.list', 'system.info', 'selfHealing.getHistory'],
    ['incidentCommander.list', 'notifications.inbox'],
    ['auth.me', 'securityGuardian.getVulnerabilities', 'costOptimizer.listBudgets'],
  ];
  for (let r = 0; r < readers; r++) {
    tasks.push((async () => {
      let i = r;
      while (!stop) {
        const procs = batches[i++ % batches.length];
        const input = Object.fromEntries(procs.map((_, k) => [k, {}]));
        const res = await timed(`batch(${procs.join(',')})`,
          `${next()}/trpc/${procs.join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`, { headers: auth(viewer) });
        if (res.status === 200 && procs[0] === 'incidentCommander.list' && Math.random() < 0.05) {
          const items = JSON.parse(res.body)[0]?.result?.data?.items ?? [];
          if (items.length) {
            const id = items[Math.floor(Math.random() * items.length)].id;
            await timed('incidentCommander.get', `${server.url}/trpc/incidentCommander.get?input=${encodeURIComponent(JSON.stringify({ id }))}`, { headers: auth(viewer) });
          }
        }
        await sleep(100);
      }
    })());
  }

  // Runbook executions on open incidents, every 5 s.
  tasks.push((async () => {
    while (!stop) {
      await sleep(5000);
      const list = await timed('incidentCommander.list', `${server.url}/trpc/incidentCommander.list?input=${encodeURIComponent('{}')}`, { headers: auth(viewer) });
      const items = list.status === 200 ? JSON.parse(list.body).result.data.items : [];
      if (!items.length) continue;
      await timed('incidentCommander.executeRunbook', `${server.url}/trpc/incidentCommander.executeRunbook`, {
        method: 'POST', headers: auth(approver), body: JSON.stringify({ runbookId, incidentId: items[0].id }),
      });
    }
  })());

  // SSE clients: each must keep its stream for the whole run. One token each: the server keeps
  // one stream per credential open (a newer one replaces the older, as a reloaded tab would).
  const sseTokens = Array.from({ length: sseClients }, (_, c) => server.createToken('viewer', `soak-sse-${c}`));
  let sseEvents = 0;
  let sseLost = 0;
  const controllers = [];
  for (let c = 0; c < sseClients; c++) {
    const ac = new AbortController();
    controllers.push(ac);
    tasks.push((async () => {
      try {
        const r = await fetch(`${servers[c % servers.length].url}/api/events`, { headers: { authorization: `Bearer ${sseTokens[c]}` }, signal: ac.signal });
        if (r.status !== 200) { sseLost += 1; return; }
        for await (const chunk of r.body) sseEvents += (Buffer.from(chunk).toString().match(/^data:/gm) ?? []).length;
        if (!stop) sseLost += 1;
      } catch (e) {
        if (!stop) { sseLost += 1; errorSamples.push(`sse: ${e.message}`); }
      }
    })());
  }

  // Samples.
  const samples = [];
  const sample = async () => {
    // Per instance; the report's memory figures are of the larger one.
    const per = servers.map((x) => procStatus(x.proc.pid));
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text()).catch(() => '');
    const backlog = [...metrics.matchAll(/^devops_ai_jobs_queue_depth\{state="(?:pending|queued|running)"\} ([0-9.e+]+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    const big = per.reduce((a, x) => (x.rssMb > a.rssMb ? x : a));
    samples.push({ t: Math.round(elapsed()), rssMb: +big.rssMb.toFixed(1), anonMb: +big.anonMb.toFixed(1),
      fileMb: +big.fileMb.toFixed(1), threads: big.threads,
      fds: Math.max(...per.map((x) => x.fds)), dbBytes: pg ? null : dirBytes(server.dataDir), jobBacklog: backlog });
  };
  await sample();
  while (elapsed() < seconds) {
    await sleep(sampleEvery * 1000);
    await sample();
  }
  stop = true;
  for (const ac of controllers) ac.abort();
  await Promise.race([Promise.allSettled(tasks), sleep(15000)]);
  await sample();
  for (const x of servers) {
    await x.stop();
    if (process.env.SOAK_KEEP === '1') console.log(`soak: data directory kept: ${x.dataDir}`);
    else x.cleanup();
  }
  if (pg) pg.stop();

  // Report.
  const perProcedure = {};
  let requests = 0;
  let fivexx = 0;
  for (const [name, rows] of stats) {
    requests += rows.length;
    fivexx += rows.filter((r) => r.status >= 500).length;
    const windows = [];
    for (let w = 0; w * windowSeconds < seconds; w++) {
      const ms = rows.filter((r) => r.t >= w * windowSeconds && r.t < (w + 1) * windowSeconds).map((r) => r.ms).sort((a, b) => a - b);
      if (ms.length) windows.push({ from: w * windowSeconds, n: ms.length, p50: +percentile(ms, 50).toFixed(1), p99: +percentile(ms, 99).toFixed(1) });
    }
    const all = rows.map((r) => r.ms).sort((a, b) => a - b);
    perProcedure[name] = { n: rows.length, errors: rows.filter((r) => r.status === 0 || r.status >= 400).length,
      p50: +percentile(all, 50).toFixed(1), p99: +percentile(all, 99).toFixed(1), windows };
  }
  const warm = samples.filter((s) => s.t >= Math.min(60, seconds / 3));
  const slopeMbPerHour = slope(warm.map((s) => [s.t / 3600, s.rssMb]));
  const anonSlope = slope(warm.map((s) => [s.t / 3600, s.anonMb]));
  const report = {
    seconds, store: pg ? 'postgresql' : 'sqlite', instances: servers.length, alertRate, burstEvery, burstSize, readers, sseClients,
    requests, fivexx, transportErrors, sseEvents, sseLost, alertsSent: seq,
    rssMb: { first: samples[0].rssMb, max: Math.max(...samples.map((s) => s.rssMb)), last: samples.at(-1).rssMb },
    rssSlopeMbPerHourAfterWarmup: slopeMbPerHour === null ? null : +slopeMbPerHour.toFixed(1),
    anonSlopeMbPerHourAfterWarmup: anonSlope === null ? null : +anonSlope.toFixed(1),
    rssAnonMb: { first: samples[0].anonMb, max: Math.max(...samples.map((s) => s.anonMb)), last: samples.at(-1).anonMb },
    rssFileMb: { first: samples[0].fileMb, last: samples.at(-1).fileMb },
    threads: { first: samples[0].threads, max: Math.max(...samples.map((s) => s.threads)) },
    fds: { first: samples[0].fds, max: Math.max(...samples.map((s) => s.fds)), last: samples.at(-1).fds },
    dbBytes: { first: samples[0].dbBytes, last: samples.at(-1).dbBytes },
    maxJobBacklog: Math.max(...samples.map((s) => s.jobBacklog)),
    errorSamples, perProcedure, samples,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2));
  console.log(`soak: ${seconds}s on ${report.store} (${servers.length} instance${servers.length > 1 ? 's' : ''}): ${requests} requests (${(requests / seconds).toFixed(0)}/s), ` +
    `${seq} alerts, 5xx ${fivexx}, transport errors ${transportErrors}, SSE events ${sseEvents}, SSE streams lost ${sseLost}`);
  console.log(`soak: RSS ${report.rssMb.first} → max ${report.rssMb.max} → ${report.rssMb.last} MB, slope after warm-up ` +
    `${report.rssSlopeMbPerHourAfterWarmup} MB/h (anonymous ${report.rssAnonMb.first} → ${report.rssAnonMb.last} MB, ` +
    `${report.anonSlopeMbPerHourAfterWarmup} MB/h; mapped files ${report.rssFileMb.first} → ${report.rssFileMb.last} MB; ` +
    `threads ${report.threads.max}); fds ${report.fds.first} → ${report.fds.last}; ` +
    `db ${report.dbBytes.first} → ${report.dbBytes.last} bytes; max job backlog ${report.maxJobBacklog}`);
  for (const [name, p] of Object.entries(perProcedure)) {
    console.log(`soak: ${name.padEnd(70)} n=${String(p.n).padStart(6)} p50=${p.p50} ms p99=${p.p99} ms errors=${p.errors}`);
  }
  console.log(`soak: report in ${out}`);
  const failures = [];
  if (fivexx) failures.push(`${fivexx} answers were 5xx`);
  if (transportErrors) failures.push(`${transportErrors} requests failed in transport`);
  if (sseLost) failures.push(`${sseLost} SSE streams were lost`);
  if (seconds >= 600 && slopeMbPerHour !== null && slopeMbPerHour > maxSlope) {
    failures.push(`resident memory grows ${slopeMbPerHour.toFixed(1)} MB/h after warm-up (limit ${maxSlope})`);
  }
  if (failures.length) {
    console.error(`soak: FAILED: ${failures.join('; ')}\n${errorSamples.join('\n')}`);
    process.exit(1);
  }
}

main().catch((e) => { console.error(`soak: ${e.stack}`); process.exit(1); });
