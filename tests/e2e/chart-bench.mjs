// Chart library benchmark (issue #11): render time of 10 series × 10,000 points in headless
// Chromium for uPlot and ECharts (echarts/core, line + grid + legend + tooltip, canvas), beside
// the anchor measured in the same run: the same lines drawn with plain Canvas 2D.
// Usage: npm --prefix web run build:bench && node tests/e2e/chart-bench.mjs [runs]
// Prints one line per library: median / min / max ms over fresh page loads, and gzipped JS.
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../web/dist-bench');
const runs = Number(process.argv[2] ?? 7);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

const server = createServer((req, res) => {
  const path = join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  let body;
  try {
    body = readFileSync(path);
  } catch {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
  res.end(body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

function gzippedJs(name) {
  const html = readFileSync(join(root, `${name}.html`), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  return files.reduce((n, f) => n + gzipSync(readFileSync(join(root, f))).length, 0);
}

const profile = mkdtempSync(join(tmpdir(), 'dai-bench-chromium-'));
let version = '';
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
version = context.browser()?.version() ?? '';
const page = context.pages()[0] ?? (await context.newPage());
const results = {};
for (let r = 0; r < runs; r++) {
  // Interleave the libraries so drift on a shared machine hits them alike.
  for (const name of ['canvas', 'uplot', 'echarts']) {
    await page.goto(`${base}/${name}.html`);
    await page.waitForFunction(() => window.benchResult, null, { timeout: 60_000 });
    const { ms } = await page.evaluate(() => window.benchResult);
    (results[name] ??= []).push(ms);
  }
}
await context.close();
rmSync(profile, { recursive: true, force: true });
server.close();

console.log(`chart render, 10 series x 10,000 points, ${runs} fresh page loads each ${version}`);
for (const name of ['canvas', 'uplot', 'echarts']) {
  const v = results[name].sort((a, b) => a - b);
  const med = v[Math.floor(v.length / 2)];
  const label = name === 'canvas' ? 'canvas2d (anchor)' : name;
  console.log(
    `${label.padEnd(18)} median ${med.toFixed(1).padStart(7)} ms  min ${v[0].toFixed(1).padStart(7)}  max ${v.at(-1).toFixed(1).padStart(7)}  js ${(gzippedJs(name) / 1024).toFixed(1)} KB gzip`,
  );
}
