// Stored XSS (issue 13's attack suite): markup and script payloads stored through the real API
// — a generic-webhook alert's title, labels and annotations (the incident's title, alert name and
// description), an incident note, a post-mortem revision, log lines pushed to the
// Logs module, knowledge-base Markdown (title, body, search snippet) and a runbook's description
// — are then shown on every page that displays them in headless Chromium. On each page the test
// asserts that no payload ran (window.__xss stays undefined), that no element the payloads
// carry exists in the DOM (no inline script, no event-handler attribute, no javascript: link,
// no iframe), that the stored text is visible as text where the page shows it verbatim, and that
// the browser reported no Content-Security-Policy violation (the pages need no inline code).
// It also checks the server's Content-Security-Policy header and that it really blocks an
// inline handler: markup injected into the page on purpose does not run.
//
// Needs: the binary (build/release/src/cli/devops-ai, or DAI_BIN), web/dist and Chromium; skips
// with a message when one is missing. Screenshots go to tests/e2e/out/ (gitignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const bin = process.env.DAI_BIN ?? join(repo, 'build/release/src/cli/devops-ai');
const webDist = process.env.DAI_WEB_DIST ?? join(repo, 'web/dist');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const outDir = join(here, 'out');

const missing = [
  [bin, 'the devops-ai binary (cmake --build build/release)'],
  [join(webDist, 'index.html'), 'web/dist (npm --prefix web ci && npm --prefix web run build)'],
  [chromiumPath, 'Chromium (apt-get install chromium)'],
].filter(([p]) => !existsSync(p));
const skip = missing.length ? `missing ${missing.map(([, what]) => what).join('; ')}` : false;

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// Each payload sets window.__xss if it ever runs (as markup, as a handler or as a link).
const payloads = {
  img: '<img src=x onerror="window.__xss=1">',
  script: '<script>window.__xss=2</script>',
  svg: '<svg onload="window.__xss=3"><circle r=1 /></svg>',
  iframe: '<iframe src="javascript:parent.__xss=4"></iframe>',
  attr: '"><img src=y onerror=window.__xss=5>',
  link: '[click me](javascript:window.__xss=6)',
};
const all = Object.values(payloads).join(' ');

test('stored payloads are shown as text on every page and never run', { skip, timeout: 300_000 }, async (t) => {
  mkdirSync(outDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'dai-e2e-xss-'));
  const profile = mkdtempSync(join(tmpdir(), 'dai-e2e-xss-chromium-'));
  const port = await freePort();
  const proc = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--web-dir', webDist,
    '--password-cost', 'minimum'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  t.after(() => {
    proc.kill('SIGTERM');
    writeFileSync(join(outDir, 'stored-xss-server.log'), log);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (/setup token:\s*\S+/i.test(log) && /listening on/.test(log)) break;
    if (i > 300) throw new Error(`server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const setupToken = /setup token:\s*(\S+)/i.exec(log)[1];
  const token = execFileSync(bin, ['token', 'create', '--data-dir', dataDir, '--role', 'operator', '--name', 'e2e-xss'],
    { encoding: 'utf8' }).trim().split('\n').pop();
  const auth = { authorization: `Bearer ${token}` };
  const trpc = async (path, input, kind = 'mutation') => {
    const url = kind === 'query'
      ? `${base}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`
      : `${base}/trpc/${path}`;
    const r = await fetch(url, {
      method: kind === 'query' ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: kind === 'query' ? undefined : JSON.stringify(input),
    });
    const body = await r.json();
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(body).slice(0, 400)}`);
    return body.result.data;
  };

  // The Content-Security-Policy header of the web client: scripts from this server only, no
  // inline code, never framed; and index.html carries no inline script it would block.
  const index = await fetch(base + '/');
  const csp = index.headers.get('content-security-policy') ?? '';
  assert.match(csp, /(^|;)\s*script-src 'self'\s*(;|$)/, `CSP: ${csp}`);
  assert.match(csp, /default-src 'self'/, `CSP: ${csp}`);
  assert.match(csp, /object-src 'none'/, `CSP: ${csp}`);
  assert.match(csp, /frame-ancestors 'none'/, `CSP: ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, `CSP: ${csp}`);
  assert.doesNotMatch(await index.text(), /<script(?![^>]*\bsrc=)[^>]*>/i, 'index.html has no inline script');
  const api = await fetch(base + '/trpc/auth.status');
  assert.ok(api.headers.get('content-security-policy'), 'API answers carry the policy too');

  // Store the payloads through the real API.
  const hook = await fetch(base + '/api/webhooks/generic', {
    method: 'POST', headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({
      title: `XssTitle ${payloads.img} ${payloads.script}`, severity: 'critical', dedupKey: 'xss-1',
      labels: { service: 'xss-shop', team: payloads.svg },
      annotations: { description: `XssDescription ${payloads.iframe} ${payloads.attr}`, runbook_url: 'javascript:window.__xss=7' },
    }),
  });
  assert.equal(hook.status, 200, `generic webhook: ${hook.status} ${await hook.text()}`);
  const incidents = await trpc('incidentCommander.list', {}, 'query');
  const incident = (incidents.items ?? incidents).find((i) => i.title.includes('XssTitle'));
  assert.ok(incident, `the incident was opened: ${JSON.stringify(incidents).slice(0, 400)}`);
  await trpc('incidentCommander.addNote', { id: incident.id, note: `XssNote ${all}` });
  await trpc('incidentCommander.updatePostMortem', { incidentId: incident.id,
    content: `# XssPostMortem\n\n${all}\n\n<a href="javascript:window.__xss=8">raw link</a>\n` });

  const lines = [];
  for (let i = 0; i < 8; i++) lines.push(`ERROR XssLog request ${payloads.img} ${payloads.script} failed`);
  const pushed = await fetch(`${base}/api/logs/push?source=${encodeURIComponent('xss-src')}`, {
    method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: lines.join('\n') + '\n',
  });
  assert.equal(pushed.status, 200, `log push: ${pushed.status} ${await pushed.text()}`);

  const doc = await trpc('documentationGenerator.createDoc', {
    title: `XssDocTitle ${payloads.img}`,
    content: [
      '# xssquokka handbook', '',
      `Raw HTML in Markdown: ${payloads.img} ${payloads.script}`, '',
      payloads.svg, '',
      `A link: ${payloads.link} and an autolink <javascript:window.__xss=9>`, '',
      `<div onclick="window.__xss=10">${payloads.iframe}</div>`, '',
      'The xssquokka needle: <img src=z onerror="window.__xss=11"> xssquokka',
    ].join('\n'),
  });
  const runbookYaml = [
    'name: xss-runbook',
    `description: ${JSON.stringify(`XssRunbook ${payloads.img} ${payloads.script} ${payloads.svg}`)}`,
    'steps:',
    '  - name: wait',
    '    wait: 1s',
  ].join('\n');
  await trpc('incidentCommander.createRunbook', { definition: runbookYaml });

  // The browser: sign in as the first administrator, then visit every page showing them.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath, headless: true, viewport: { width: 1440, height: 1000 }, colorScheme: 'dark',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  t.after(() => context.close().catch(() => {}));
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  const cspViolations = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`);
  });
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  t.after(() => page.screenshot({ path: join(outDir, 'stored-xss-last.png'), fullPage: true }).catch(() => {}));

  await page.goto(base + '/');
  await page.getByLabel('Setup token').fill(setupToken);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByLabel('Confirm password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();

  // What an executed or injected payload leaves behind, as one list per page.
  const injected = () => page.evaluate(() => {
    const found = [];
    if (window.__xss !== undefined) found.push(`window.__xss = ${window.__xss}`);
    for (const s of document.querySelectorAll('script')) {
      if (!s.src) found.push(`inline <script>: ${s.textContent.slice(0, 80)}`);
    }
    for (const e of document.querySelectorAll('iframe, object, embed, base')) found.push(`<${e.tagName.toLowerCase()}>`);
    for (const e of document.querySelectorAll('*')) {
      for (const a of e.attributes) {
        if (/^on/i.test(a.name)) found.push(`<${e.tagName.toLowerCase()} ${a.name}="${a.value.slice(0, 60)}">`);
        if (/^(href|src|action|formaction|xlink:href)$/i.test(a.name) && /^\s*(javascript|vbscript):/i.test(a.value)) {
          found.push(`<${e.tagName.toLowerCase()} ${a.name}="${a.value.slice(0, 60)}">`);
        }
      }
    }
    for (const i of document.querySelectorAll('img')) {
      if (/^(x|y|z)$/.test(i.getAttribute('src') ?? '')) found.push(`<img src=${i.getAttribute('src')}>`);
    }
    for (const s of document.querySelectorAll('svg circle[r="1"]')) found.push(`injected <svg>: ${s.outerHTML}`);
    return found;
  });

  let visited = 0;
  const visit = async (name, path, mustShow) => {
    await page.goto(base + path);
    await page.locator('.page-head h1').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('.state-loading'), null, { timeout: 15_000 });
    for (const text of mustShow) {
      // Shown as text: the payload's own characters are in the page's text.
      await page.getByText(text, { exact: false }).first().waitFor({ timeout: 15_000 })
        .catch((e) => { throw new Error(`${name} (${path}) does not show ${JSON.stringify(text)} as text: ${e.message}`); });
    }
    await page.waitForTimeout(300); // an injected <img src=x> fails to load within this
    await page.screenshot({ path: join(outDir, `stored-xss-${name}.png`), fullPage: true });
    assert.deepEqual(await injected(), [], `${name} (${path}): a payload became markup`);
    visited += 1;
  };

  await visit('incidents', '/incidents', [`XssTitle ${payloads.img} ${payloads.script}`]);
  await visit('overview', '/', ['XssTitle']);
  await visit('incident', `/incidents/${incident.id}`, [
    `XssTitle ${payloads.img} ${payloads.script}`,
    `XssDescription ${payloads.iframe} ${payloads.attr}`,
    `XssNote ${payloads.img}`,
    payloads.link,
    payloads.svg,
  ]);
  // The post-mortem's Markdown is shown as its text, raw HTML and links included.
  const postMortem = page.getByLabel('Post-mortem text');
  assert.match(await postMortem.textContent(), /<a href="javascript:window.__xss=8">raw link<\/a>/);
  assert.equal(await page.locator('a[href^="javascript:" i]').count(), 0);

  await visit('logs', `/logs?q=${encodeURIComponent('XssLog')}`, ['XssLog']);
  const logText = await page.locator('main').innerText();
  assert.ok(logText.includes('<img') || logText.includes('<script>'),
    `the log template or example shows the markup as text: ${logText.slice(0, 600)}`);

  await visit('docs', '/docs', [`XssDocTitle ${payloads.img}`]);
  // The search snippet is server HTML with <mark>: the stored markup in it must stay text.
  await visit('docs-search', '/docs?q=xssquokka', ['xssquokka']);
  assert.ok(await page.locator('mark').count() > 0, 'the snippet highlights the match');
  // The document itself: CommonMark in safe mode drops raw HTML and javascript: links.
  await visit('doc', `/docs?doc=${doc.id}`, ['xssquokka handbook']);
  const body = page.locator('.doc-body');
  await body.waitFor();
  assert.equal(await body.locator('a', { hasText: 'click me' }).count(), 1, 'the link text stays');
  const html = await body.innerHTML();
  assert.doesNotMatch(html, /(href|src)="\s*javascript:|<script|<iframe|<svg|<img|\son\w+=/i, html);
  assert.match(html, /raw HTML omitted/, 'the raw HTML was dropped by the renderer');

  await visit('runbooks', '/incidents/runbooks', [`XssRunbook ${payloads.img} ${payloads.script} ${payloads.svg}`]);

  assert.equal(visited, 8);
  assert.deepEqual(dialogs, [], 'no dialog was opened by a payload');
  assert.deepEqual(cspViolations, [], 'the pages ran without any Content-Security-Policy violation');
  assert.deepEqual(pageErrors, [], 'no uncaught page errors');

  // The policy is enforced: markup planted on purpose (as a bypass of the client's escaping
  // would) is refused by the browser, and it says so.
  await page.evaluate(() => {
    const div = document.createElement('div');
    div.innerHTML = '<img src=x onerror="window.__xss=99">';
    document.body.append(div);
    const s = document.createElement('script');
    s.textContent = 'window.__xss = 98';
    document.body.append(s);
  });
  await page.waitForTimeout(500);
  const planted = await injected();
  assert.ok(planted.some((x) => x.includes('onerror')) && planted.some((x) => x.includes('inline <script>')),
    `the check above sees planted markup: ${planted.join('; ')}`);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'the CSP blocked the planted handler and script');
  assert.ok(cspViolations.length >= 2, `the browser reported the blocked inline code: ${cspViolations.join('\n')}`);
  assert.ok(!log.includes(token), 'the token never reached the server log');
  console.log(`stored XSS: ${Object.keys(payloads).length} payloads through 4 procedures and 2 HTTP endpoints, ${visited} pages, CSP: ${csp}`);
});
