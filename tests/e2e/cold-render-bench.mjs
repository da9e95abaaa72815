// Bench (make bench, via scripts/bench-web): the Overview's cold render time in headless
// Chromium, beside its anchor measured in the same run.
//
// The real binary serves a copy of web/dist on a fresh SQLite store; the first administrator is
// created through auth.setup, and real data through the API (Alertmanager webhooks open
// incidents of every severity, log lines are pushed). Each run opens a new browser context
// (empty HTTP cache, empty query cache, only the session cookie) and times from navigation start
// until the Overview has rendered: all six tiles present, none loading, and the incidents tile
// showing the critical count sent. The anchor is a static HTML page of the same byte size as
// everything the Overview loaded (document, scripts, styles and API answers), served by the same
// binary and timed the same way until its last element is in the document: the floor for
// fetching and painting that many bytes here. Prints medians and the ratio.
//
// Usage: node tests/e2e/cold-render-bench.mjs [runs=9]   (DAI_BIN, DAI_WEB_DIST, CHROMIUM)
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const bin = process.env.DAI_BIN ?? join(repo, 'build/release/src/cli/devops-ai');
const webDist = process.env.DAI_WEB_DIST ?? join(repo, 'web/dist');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const runs = Math.max(3, Number(process.argv[2] ?? 9));
const kCritical = 3;

for (const [p, what] of [[bin, 'the devops-ai binary'], [join(webDist, 'index.html'), 'web/dist'],
  [chromiumPath, 'Chromium']]) {
  if (!existsSync(p)) {
    console.log(`cold-render-bench: SKIP, missing ${what} (${p})`);
    process.exit(0);
  }
}
// The harness reads the binary's path when loaded.
process.env.DEVOPS_AI_BIN = bin;
const { Server } = await import('../integration/harness.mjs');

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function post(url, body, headers = {}) {
  const r = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}: ${await r.text()}`);
  return r;
}

/** Real data through the API: incidents of each severity (webhooks) and pushed log lines. */
async function seed(base, token) {
  const auth = { authorization: `Bearer ${token}` };
  const severities = [...Array(kCritical).fill('critical'), 'high', 'high', 'medium', 'low'];
  const now = new Date().toISOString();
  for (const [i, severity] of severities.entries()) {
    const alertname = `BenchAlert${i}`;
    await post(`${base}/api/alertmanager/webhook`, {
      version: '4', groupKey: `{}:{alertname="${alertname}"}`, status: 'firing', receiver: 'devops-ai',
      groupLabels: { alertname }, commonLabels: { alertname, severity, service: `svc-${i}` },
      commonAnnotations: { summary: `${alertname} on svc-${i}` }, externalURL: 'http://am.local',
      truncatedAlerts: 0,
      alerts: [{ status: 'firing', labels: { alertname, severity, service: `svc-${i}` },
        annotations: { summary: `${alertname} on svc-${i}` }, startsAt: now,
        endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom.local/graph',
        fingerprint: `bench${String(i).padStart(11, '0')}` }],
    }, auth);
  }
  const lines = [];
  for (let i = 0; i < 200; i++) lines.push(`ERROR payment ${4000 + i} declined by issuer bank-${i % 3}`);
  const r = await fetch(`${base}/api/logs/push?source=bench`, {
    method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: lines.join('\n'),
  });
  if (r.status !== 200) throw new Error(`log push answered ${r.status}`);
}

/** One cold load in a new context: ms from navigation start until `ready` holds, and bytes. */
async function coldLoad(browser, url, cookie, ready, arg) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    await context.addCookies([cookie]);
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit', timeout: 30_000 });
    const ms = await (await page.waitForFunction(ready, arg, { polling: 'raf', timeout: 30_000 })).jsonValue();
    const bytes = await page.evaluate(() =>
      performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
        .reduce((n, e) => n + (e.decodedBodySize || 0), 0));
    return { ms, bytes };
  } finally {
    await context.close();
  }
}

function overviewReady(critical) {
  const big = document.querySelector('.sev-count.sev-critical .big');
  return document.querySelectorAll('.tile').length >= 6 && !document.querySelector('.state-loading') &&
    big?.textContent?.trim() === String(critical) && performance.now();
}

function anchorReady() {
  return document.getElementById('end') !== null && performance.now();
}

const dist = mkdtempSync(join(tmpdir(), 'dai-bench-web-'));
cpSync(webDist, dist, { recursive: true });
const server = new Server({ extraArgs: ['--web-dir', dist] });
let browser;
try {
  await server.start();
  const base = server.url;
  const setup = await post(`${base}/trpc/auth.setup`, {
    setupToken: server.setupToken(), username: 'admin', password: 'correct horse battery',
  });
  const session = /dai_session=([^;]+)/.exec(setup.headers.get('set-cookie') ?? '')?.[1];
  if (!session) throw new Error('auth.setup set no session cookie');
  await seed(base, server.createToken('operator', 'bench-webhook'));
  const cookie = { name: 'dai_session', value: session, url: base };

  browser = await chromium.launch({
    executablePath: chromiumPath, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // A warm-up load (the server's first answers, Chromium's own start), not counted; it also
  // measures the bytes the anchor page must have.
  const warm = await coldLoad(browser, `${base}/`, cookie, overviewReady, kCritical);
  const filler = 'anchor page of the same byte size as the Overview, served by the same binary. ';
  const head = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>anchor</title></head><body><pre>';
  const tail = '</pre><p id="end">end</p></body></html>\n';
  const body = filler.repeat(Math.ceil(warm.bytes / filler.length)).slice(0, Math.max(0, warm.bytes - head.length - tail.length));
  writeFileSync(join(dist, 'anchor.html'), head + body + tail);
  await coldLoad(browser, `${base}/anchor.html`, cookie, anchorReady);

  const overview = [];
  const anchor = [];
  let anchorBytes = 0;
  for (let i = 0; i < runs; i++) {
    const a = await coldLoad(browser, `${base}/anchor.html`, cookie, anchorReady);
    anchor.push(a.ms);
    anchorBytes = a.bytes;
    overview.push((await coldLoad(browser, `${base}/`, cookie, overviewReady, kCritical)).ms);
  }
  const o = median(overview);
  const an = median(anchor);
  console.log(`overview cold render: median ${o.toFixed(0)} ms over ${runs} runs ` +
    `(min ${Math.min(...overview).toFixed(0)}, max ${Math.max(...overview).toFixed(0)}), ` +
    `${(warm.bytes / 1024).toFixed(0)} KB loaded (document, scripts, styles, API answers)`);
  console.log(`anchor, static HTML of ${(anchorBytes / 1024).toFixed(0)} KB from the same binary: ` +
    `median ${an.toFixed(0)} ms (min ${Math.min(...anchor).toFixed(0)}, max ${Math.max(...anchor).toFixed(0)})`);
  console.log(`ratio overview/anchor: ${(o / an).toFixed(1)}x; budget (issue 11): under 1000 ms -> ` +
    `${o < 1000 ? 'met' : 'NOT met'}`);
} finally {
  await browser?.close().catch(() => {});
  await server.stop();
  server.cleanup();
  rmSync(dist, { recursive: true, force: true });
}
