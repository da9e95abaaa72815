// End-to-end test of the web client: starts the real devops-ai binary on a fresh SQLite store
// serving web/dist, drives headless Chromium through the setup-token flow, visits every page,
// checks real data (an incident sent through the Alertmanager webhook) and the not-built state
// of unbuilt modules, creates an API token, checks role-aware rendering, and signs out.
// Screenshots go to tests/e2e/out/ (gitignored).
//
// Needs: the binary (build/release/src/cli/devops-ai, or DAI_BIN) and web/dist (npm --prefix web
// run build). Skips with a message when either is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
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

// axe-core (npm, devDependency) checks each page as rendered: WCAG 2.1 A/AA and best practices.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page (injected through the DevTools protocol, so no CSP applies) and
 * returns its violations as {id, impact, help, targets}.
 */
async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}${n.failureSummary ? ` (${n.failureSummary.split('\n').slice(1).join(' ').trim()})` : ''}`),
    }));
  });
}

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

const prometheusBin = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

/**
 * Starts a real Prometheus scraping the server's own /metrics every second, so the Metrics page
 * has real series to chart. Resolves with its URL, or null when Prometheus is not installed.
 */
async function startPrometheus(dir, serverPort) {
  if (!existsSync(prometheusBin)) return null;
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    'scrape_configs:',
    '  - job_name: devops-ai',
    `    static_configs: [{ targets: ["127.0.0.1:${serverPort}"] }]`,
  ].join('\n'));
  const proc = spawn(prometheusBin, [`--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`],
  { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) return { proc, url };
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGTERM');
  throw new Error('prometheus did not become ready');
}

/** Starts the server; resolves with its base URL and the setup token it printed. */
async function startServer(dataDir, port, prometheusUrl) {
  const proc = spawn(
    bin,
    ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--web-dir', webDist,
      '--password-cost', 'minimum',
      ...(prometheusUrl ? ['--prometheus-url', prometheusUrl] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const ready = new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = (chunk) => {
      out += chunk.toString();
      const token = /setup token:\s*(\S+)/i.exec(out)?.[1];
      if (token && /listening on/.test(out)) {
        clearTimeout(timer);
        res(token);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => rej(new Error(`server exited with ${code}:\n${out}`)));
  });
  const setupToken = await ready;
  return { proc, base: `http://127.0.0.1:${port}`, setupToken, log: () => out };
}

test('web client end to end against the real server', { skip, timeout: 420_000 }, async (t) => {
  mkdirSync(outDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'dai-e2e-data-'));
  const profile = mkdtempSync(join(tmpdir(), 'dai-e2e-chromium-'));
  const serverPort = await freePort();
  const prometheus = await startPrometheus(dataDir, serverPort);
  if (prometheus) t.after(() => prometheus.proc.kill('SIGTERM'));
  const server = await startServer(dataDir, serverPort, prometheus?.url);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1440, height: 900 },
    colorScheme: 'dark',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(async () => {
    await context.close().catch(() => {});
    server.proc.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const shot = (name) => page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });
  t.after(async () => {
    // Leave the last screen and the server log behind for a failed run.
    await page.screenshot({ path: join(outDir, 'last.png'), fullPage: true }).catch(() => {});
    writeFileSync(join(outDir, 'server.log'), server.log());
  });

  // First start: the setup-token flow creates the first admin.
  await page.goto(server.base + '/');
  await page.getByRole('heading', { name: 'Create the first administrator' }).waitFor();
  await shot('setup');
  await page.getByLabel('Setup token').fill(server.setupToken);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByLabel('Confirm password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();

  // Settings → API tokens: create an operator token (shown once).
  await page.goto(server.base + '/settings?tab=tokens');
  await page.getByLabel('Name').fill('e2e-webhook');
  await page.getByLabel('Role').selectOption('operator');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = await page.getByTestId('new-token').locator('code.secret').textContent();
  assert.ok(secret && secret.length >= 20, `token shown once, got ${secret}`);
  await page.getByRole('cell', { name: 'e2e-webhook' }).waitFor();
  await shot('settings-tokens');

  // Real data through the API: an Alertmanager webhook with that token opens an incident,
  // and the open Incidents page shows it without a reload (SSE incident.created → refetch).
  await page.goto(server.base + '/incidents');
  await page.getByText('No incidents match').waitFor();
  await shot('incidents-empty');
  const now = new Date().toISOString();
  const hook = await fetch(server.base + '/api/alertmanager/webhook', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({
      version: '4', groupKey: '{}:{alertname="E2eCheckoutLatency"}', status: 'firing',
      receiver: 'devops-ai', groupLabels: { alertname: 'E2eCheckoutLatency' },
      commonLabels: { alertname: 'E2eCheckoutLatency', severity: 'critical', service: 'checkout' },
      commonAnnotations: { summary: 'checkout p99 above 2s' }, externalURL: 'http://am.local',
      truncatedAlerts: 0,
      alerts: [{ status: 'firing',
        labels: { alertname: 'E2eCheckoutLatency', severity: 'critical', service: 'checkout' },
        annotations: { summary: 'checkout p99 above 2s' }, startsAt: now,
        endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom.local/graph',
        fingerprint: 'e2e0000000000001' }],
    }),
  });
  assert.equal(hook.status, 200, `webhook answered ${hook.status}: ${await hook.text()}`);
  await page.getByRole('row').filter({ hasText: /E2eCheckoutLatency|checkout p99/ }).first()
    .waitFor({ timeout: 10_000 });

  // Log lines pushed with the same operator token become templates on the Logs page.
  const logLines = [];
  for (let i = 0; i < 6; i++) logLines.push(`ERROR payment ${4000 + i} declined by issuer bank-${i % 2}`);
  const pushed = await fetch(server.base + '/api/logs/push?source=e2e-payments', {
    method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${secret}` },
    body: logLines.join('\n'),
  });
  assert.equal(pushed.status, 200, `log push answered ${pushed.status}: ${await pushed.text()}`);
  await page.goto(server.base + '/logs');
  await page.getByTestId('log-template').filter({ hasText: 'declined by issuer' }).first()
    .waitFor({ timeout: 10_000 });

  // CI/CD: a pipeline over a tiny local git repository, created through the API with the
  // operator token; the page triggers a run, which the server's runner executes, and the run
  // view shows it succeed with its log (SSE cicd.* events refresh it).
  const gitRepo = mkdtempSync(join(tmpdir(), 'dai-e2e-repo-'));
  t.after(() => rmSync(gitRepo, { recursive: true, force: true }));
  writeFileSync(join(gitRepo, 'check.sh'), 'echo "hello from the e2e pipeline"\n');
  const git = (...args) => execFileSync('git', ['-c', 'user.name=E2e', '-c', 'user.email=e2e@example.com',
    '-c', 'init.defaultBranch=main', ...args], { cwd: gitRepo, stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'feat: check script');
  const created = await fetch(server.base + '/trpc/cicdOrchestrator.createPipeline', {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({ name: 'e2e-pipeline', repository: gitRepo, definition: { name: 'e2e', branches: ['main'],
      jobs: [{ id: 'check', name: 'check', needs: [], runsOn: 'local', image: '', timeoutMinutes: 2, caches: [],
        steps: [{ name: 'run check', argv: ['sh', 'check.sh'] }] }] } }),
  });
  assert.equal(created.status, 200, `createPipeline answered ${created.status}: ${await created.text()}`);
  await page.goto(server.base + '/cicd');
  await page.getByRole('button', { name: 'e2e-pipeline' }).waitFor({ timeout: 10_000 });
  await page.getByText('No runs yet').waitFor({ timeout: 10_000 });
  await page.getByRole('button', { name: 'Trigger run' }).click();
  await page.getByTestId('run-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
  await page.getByTestId('run-log').filter({ hasText: 'hello from the e2e pipeline' }).waitFor({ timeout: 10_000 });
  await page.getByTestId('gantt-bar').first().waitFor();
  await shot('cicd-run-succeeded');

  // The Overview's cold render figure is scripts/bench-web (make bench), not part of this test.

  // Every page, in the dark theme.
  const pages = [
    ['overview', '/'], ['incidents', '/incidents'], ['self-healing', '/self-healing'],
    ['security', '/security'], ['cost', '/cost'], ['cicd', '/cicd'], ['docs', '/docs'],
    ['metrics', '/explore?q=rate(devops_ai_http_requests_total%5B1m%5D)&range=15m&step=2s'], ['logs', '/logs'], ['notifications', '/notifications'],
    ['assistant', '/assistant'], ['runbooks', '/incidents/runbooks'], ['watches', '/incidents/watches'],
    ['settings-users', '/settings'], ['settings-tokens', '/settings?tab=tokens'],
    ['settings-integrations', '/settings?tab=integrations'],
  ];
  const notBuilt = {};
  // Accessibility findings of every page in both themes; serious or critical ones fail the test.
  const a11y = [];
  const checkA11y = async (name, theme) => {
    for (const v of await axeViolations(page)) a11y.push({ page: name, theme, ...v });
  };
  for (const [name, path] of pages) {
    console.log(`# page ${path}`);
    await page.goto(server.base + path);
    await page.locator('.page-head h1').waitFor();
    await page.waitForFunction(() => !document.querySelector('.state-loading'), null, { timeout: 10_000 });
    await checkA11y(name, 'dark');
    if (notBuilt[path]) {
      const state = page.getByTestId('not-built').filter({ hasText: notBuilt[path] });
      await state.first().waitFor();
      assert.match(await state.first().textContent(), /501 Not Implemented/);
    }
    await shot(`${name}-dark`);
    if (path === '/docs') {
      // Built (issue #10): the knowledge base answers (empty on a fresh server), no 501 anywhere.
      await page.getByRole('heading', { name: 'Knowledge base' }).waitFor();
      assert.equal(await page.getByTestId('not-built').count(), 0);
    }
  }

  // Metrics: with Prometheus, the explorer charts real series; without, it says why.
  await page.goto(server.base + '/explore?q=devops_ai_http_requests_total&range=15m&step=1s');
  if (prometheus) {
    await page.locator('.chart canvas').waitFor({ timeout: 15_000 });
    await page.locator('.panel').filter({ hasText: /\d+ series, step 1s/ }).first().waitFor();
    await page.getByLabel('PromQL', { exact: true }).fill('sum(');
    await page.getByRole('button', { name: 'Run query' }).click();
    await page.getByRole('alert').waitFor();
    await shot('metrics-bad-query-dark');
  } else {
    await page.getByRole('alert').waitFor();
  }

  // The incident from the webhook shows up, on the Overview and the Incidents page.
  await page.goto(server.base + '/incidents?severity=critical');
  const row = page.getByRole('row').filter({ hasText: /E2eCheckoutLatency|checkout p99/ });
  await row.first().waitFor();
  // One mutation on the module page: acknowledge (operator+, CSRF header).
  await row.first().getByRole('button', { name: 'Acknowledge' }).click();
  await row.first().getByRole('button', { name: 'Acknowledge' }).waitFor({ state: 'detached' });
  await shot('incidents-acknowledged');
  // The detail page (incidentCommander.get) shows its alerts and timeline.
  await row.first().getByRole('link').click();
  await page.waitForURL(/\/incidents\/\d+$/);
  await page.getByRole('cell', { name: 'E2eCheckoutLatency' }).waitFor();
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  const incidentUrl = page.url();
  await shot('incident-detail-dark');
  await page.goto(server.base + '/');
  await page.locator('.sev-count.sev-critical .big', { hasText: '1' }).waitFor();
  await page.goto(incidentUrl);
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  // Respond from the incident page: a note (incidentCommander.addNote) shows on the timeline,
  // and a severity edit (incidentCommander.update) becomes a timeline row too.
  const noteForm = page.getByRole('form', { name: 'Add a note' });
  await noteForm.getByLabel('Note').fill('e2e: rolled back checkout v42');
  await noteForm.getByRole('button', { name: 'Add note' }).click();
  await page.getByRole('listitem').filter({ hasText: 'e2e: rolled back checkout v42' }).waitFor();
  const updateForm = page.getByRole('form', { name: 'Update incident' });
  await updateForm.getByLabel('Severity').selectOption('high');
  await updateForm.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('listitem').filter({ hasText: 'Severity critical → high' }).waitFor();
  await shot('incident-responded-dark');

  // Similar past incidents and relevant docs (issue #10) on the incident page: a second
  // incident (the same alert from the checkout canary, a service of its own, so not grouped into
  // this one) and a knowledge-base document about checkout latency, both through the API with
  // the operator token, show up on the first one's page.
  const later = new Date().toISOString();
  const hook2 = await fetch(server.base + '/api/alertmanager/webhook', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({
      version: '4', groupKey: '{}:{alertname="E2eCheckoutLatency",service="checkout-canary"}', status: 'firing',
      receiver: 'devops-ai', groupLabels: { alertname: 'E2eCheckoutLatency', service: 'checkout-canary' },
      commonLabels: { alertname: 'E2eCheckoutLatency', severity: 'critical', service: 'checkout-canary' },
      commonAnnotations: { summary: 'checkout canary p99 above 2s' }, externalURL: 'http://am.local',
      truncatedAlerts: 0,
      alerts: [{ status: 'firing',
        labels: { alertname: 'E2eCheckoutLatency', severity: 'critical', service: 'checkout-canary' },
        annotations: { summary: 'checkout canary p99 above 2s' }, startsAt: later,
        endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom.local/graph',
        fingerprint: 'e2e0000000000002' }],
    }),
  });
  assert.equal(hook2.status, 200, `webhook answered ${hook2.status}: ${await hook2.text()}`);
  const doc = await fetch(server.base + '/trpc/documentationGenerator.createDoc', {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({ title: 'Checkout latency playbook',
      content: '# Checkout latency playbook\n\nWhen checkout p99 is high, roll back the last checkout deploy.\n' }),
  });
  assert.equal(doc.status, 200, `createDoc answered ${doc.status}: ${await doc.text()}`);
  await page.goto(incidentUrl);
  await page.getByRole('heading', { name: 'Similar past incidents' }).waitFor();
  const similar = page.getByTestId('similar-incidents');
  await similar.getByRole('link', { name: /checkout canary p99|E2eCheckoutLatency/ }).waitFor();
  assert.match(await similar.textContent(), /% similar/);
  const relevant = page.getByTestId('relevant-docs');
  await relevant.getByRole('link', { name: 'Checkout latency playbook' }).waitFor();
  assert.ok(await relevant.locator('mark').count() > 0, 'the relevant doc snippet highlights the match');
  await checkA11y('incident-similar', 'dark');
  await shot('incident-similar-dark');
  await relevant.getByRole('link', { name: 'Checkout latency playbook' }).click();
  await page.waitForURL(/\/docs\?doc=\d+/);
  // The Docs page: a cluster capture without a Kubernetes integration gets the server's answer,
  // and Markdown imported from the CI/CD step's git repository (a file:// URL) becomes searchable.
  await page.getByRole('form', { name: 'Capture the cluster' })
    .getByRole('button', { name: 'Capture from the cluster' }).click();
  await page.getByRole('alert').filter({ hasText: 'Kubernetes is not configured' }).waitFor();
  writeFileSync(join(gitRepo, 'RUNBOOK.md'), '# E2e git runbook\n\nRestart the e2equokka service.\n');
  git('add', '.');
  git('commit', '-qm', 'docs: runbook');
  const gitForm = page.getByRole('form', { name: 'Import from git' });
  await gitForm.getByLabel(/Repository/).fill(`file://${gitRepo}`);
  await gitForm.getByRole('button', { name: 'Import Markdown' }).click();
  await page.getByTestId('git-import-result').filter({ hasText: '1 document(s) imported' }).waitFor();
  await checkA11y('docs-import', 'dark');
  await page.goto(server.base + '/docs?q=e2equokka');
  await page.getByRole('button', { name: 'E2e git runbook' }).waitFor();

  // The runbook editor (issue #10): a runbook built by step type on the Runbooks screen, the
  // form's message beside a field, the server's warnings and refusals, and the YAML view.
  await page.goto(server.base + '/incidents/runbooks');
  const editor = page.getByRole('form', { name: 'New runbook' });
  await editor.getByLabel('Name', { exact: true }).fill('e2e-restart-checkout');
  await editor.getByLabel('Step 1 executable').fill('systemctl');
  await editor.locator('.field-error', { hasText: 'the executable must be an absolute path ("systemctl")' }).waitFor();
  await editor.getByLabel('Step 1 executable').fill('/usr/bin/systemctl');
  await editor.getByLabel('New step type').selectOption('approval');
  await editor.getByRole('button', { name: 'Add step', exact: true }).click();
  await editor.getByLabel('Step 2 question for the approver').fill('Restart checkout?');
  await editor.getByRole('button', { name: 'Move step 2 up' }).click();
  assert.equal(await editor.getByLabel('Step 1 question for the approver').inputValue(), 'Restart checkout?');
  await checkA11y('runbook-editor', 'dark');
  // The server accepts it and warns that the executable is not in this server's allow-list.
  await editor.getByRole('button', { name: 'Check with the server' }).click();
  await page.getByTestId('runbook-accepted').waitFor();
  await editor.locator('.field-warning', { hasText: 'not in the allow-list' }).waitFor();
  await editor.getByRole('button', { name: 'Create runbook' }).click();
  await page.getByRole('row').filter({ hasText: 'e2e-restart-checkout' }).waitFor();
  // The same name again: the server's refusal, which names no field, is shown for the form.
  await editor.getByLabel('Name', { exact: true }).fill('e2e-restart-checkout');
  await editor.getByRole('button', { name: 'Create runbook' }).click();
  await editor.getByTestId('runbook-server-error').filter({ hasText: 'already exists' }).waitFor();
  // Editing opens the stored steps; the YAML tab shows the definition the form wrote.
  await page.getByRole('button', { name: 'Edit e2e-restart-checkout' }).click();
  const edit = page.getByRole('form', { name: 'Edit runbook e2e-restart-checkout' });
  assert.equal(await edit.getByLabel('Step 1 question for the approver').inputValue(), 'Restart checkout?');
  assert.equal(await edit.getByLabel('Step 2 executable').inputValue(), '/usr/bin/systemctl');
  await edit.getByRole('tab', { name: 'YAML' }).click();
  const yamlText = await edit.getByLabel('Definition (YAML)').inputValue();
  assert.match(yamlText, /approval: "Restart checkout\?"/);
  assert.match(yamlText, /argv: \[\/usr\/bin\/systemctl, restart, "\{\{service\}\}"\]/);
  // A YAML edit the server refuses keeps the YAML view, with the server's message.
  await edit.getByLabel('Definition (YAML)').fill('name: e2e-restart-checkout\nsteps:\n  - {name: x, bogus: 1}\n');
  await edit.getByRole('tab', { name: 'Steps' }).click();
  await edit.getByTestId('runbook-server-error').filter({ hasText: 'steps[0]' }).waitFor();
  await shot('runbook-editor-dark');
  await edit.getByRole('button', { name: 'Cancel' }).click();

  // The assistant without an LLM: it says so, and answers "what is on fire" from the incidents.
  await page.goto(server.base + '/assistant');
  await page.getByTestId('llm-status').filter({ hasText: 'An LLM is not configured' }).waitFor();
  await page.getByLabel('Question').fill('What is on fire?');
  await page.getByRole('button', { name: 'Ask' }).click();
  const answer = page.getByTestId('assistant-answer');
  await answer.waitFor();
  assert.match(await answer.textContent(), /open incident/);
  assert.match(await answer.textContent(), /incidentCommander\.list/);
  await shot('assistant-fallback-dark');

  // Revoking the token in Settings makes the server refuse it.
  await page.goto(server.base + '/settings?tab=tokens');
  await page.getByRole('row').filter({ hasText: 'e2e-webhook' }).getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('row').filter({ hasText: 'e2e-webhook' }).waitFor({ state: 'detached' });
  const refused = await fetch(server.base + '/api/alertmanager/webhook', {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: '{}',
  });
  assert.equal(refused.status, 401);

  // Keyboard only: from a fresh load, Tab reaches the navigation, Enter on its Incidents link
  // opens the page, more Tabs reach the Severity filter, and an arrow key changes it (the
  // filter lands in the address).
  await page.goto(server.base + '/');
  await page.locator('.page-head h1').waitFor();
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    return {
      tag: e?.tagName, text: (e?.textContent ?? '').trim(),
      inNav: !!e?.closest('nav[aria-label="Main"]'), inMain: !!e?.closest('main'),
      label: e?.closest('label')?.firstChild?.textContent?.trim() ?? '',
    };
  });
  let f;
  let presses = 0;
  do {
    await page.keyboard.press('Tab');
    f = await focused();
  } while (!(f.inNav && f.text.startsWith('Incidents')) && ++presses < 20);
  assert.ok(f.inNav && f.text.startsWith('Incidents'), `Tab reached the nav's Incidents link: ${JSON.stringify(f)}`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/incidents$/);
  presses = 0;
  do {
    await page.keyboard.press('Tab');
    f = await focused();
  } while (!(f.inMain && f.tag === 'SELECT' && f.label === 'Severity') && ++presses < 60);
  assert.ok(f.inMain && f.label === 'Severity', `Tab reached the Severity filter: ${JSON.stringify(f)}`);
  await page.keyboard.press('ArrowDown');
  await page.waitForURL(/\/incidents\?severity=critical$/);

  // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
  await page.goto(server.base + '/cost');
  await page.locator('.page-head h1').waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  // g i goes to incidents.
  await page.locator('body').press('g');
  await page.locator('body').press('i');
  await page.waitForURL(/\/incidents$/);

  // Security: the dependency section is built (its advisory database state shows, and a bad
  // scan target gets the server's named error, operator control offered).
  await page.goto(server.base + '/security');
  await page.getByTestId('db-age').waitFor();
  const depForm = page.getByRole('form', { name: 'Scan dependencies' });
  await depForm.getByLabel('Target').fill('registry/app:1');
  await depForm.getByRole('button', { name: 'Scan', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: /absolute server-side path/ }).waitFor();

  // Light theme, persisted across a reload.
  await page.getByRole('button', { name: /Switch to light theme/ }).click();
  await page.reload();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  for (const [name, path] of pages) {
    await page.goto(server.base + path);
    await page.locator('.page-head h1').waitFor();
    await page.waitForFunction(() => !document.querySelector('.state-loading'), null, { timeout: 10_000 });
    await checkA11y(name, 'light');
    await shot(`${name}-light`);
  }
  // The runbook editor with a stored runbook open, in the light theme.
  await page.goto(server.base + '/incidents/runbooks');
  await page.getByRole('button', { name: 'Edit e2e-restart-checkout' }).click();
  await page.getByRole('form', { name: 'Edit runbook e2e-restart-checkout' }).getByLabel('Step 2 executable').waitFor();
  await checkA11y('runbook-editor', 'light');
  await shot('runbook-editor-light');
  // The sign-in page is checked after signing out, below.
  const describe = (v) => `${v.page} (${v.theme}): ${v.impact} ${v.id}: ${v.help}: ${v.targets.join(' | ')}`;
  for (const v of a11y.filter((x) => x.impact === 'moderate' || x.impact === 'minor')) {
    t.diagnostic(`a11y ${describe(v)}`);
  }
  const severe = a11y.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.equal(severe.length, 0, `serious/critical accessibility violations:\n${severe.map(describe).join('\n')}`);

  // Role-aware: a viewer is offered no mutation controls.
  await page.goto(server.base + '/settings');
  await page.getByRole('form', { name: 'Add a user' }).getByLabel('Username').fill('vera');
  await page.getByRole('form', { name: 'Add a user' }).getByLabel('Password').fill('viewer password 1');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.getByRole('cell', { name: 'vera' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username').fill('vera');
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Wrong username or password.').waitFor();
  await page.getByLabel('Password').fill('viewer password 1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Signed in before navigating (a goto racing the sign-in answer lands on the sign-in page).
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.goto(server.base + '/incidents');
  await page.getByRole('row').filter({ hasText: /E2eCheckoutLatency|checkout p99/ }).first().waitFor();
  assert.equal(await page.getByRole('button', { name: 'Resolve' }).count(), 0);
  await page.goto(server.base + '/security');
  await page.locator('.page-head h1').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Scan' }).count(), 0);
  await page.goto(server.base + '/settings');
  await page.getByText('Settings are for administrators').waitFor();
  await shot('viewer-settings');

  // Sign out ends the session: the API refuses the old cookie.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const loginSevere = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(loginSevere, [], 'the sign-in page has no serious/critical accessibility violations');
  const me = await page.evaluate(async () => (await fetch('/trpc/auth.me')).status);
  assert.equal(me, 401);

  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});

// The shell's initial JavaScript: the entry script of web/dist/index.html and every chunk it
// imports statically (transitively), gzipped as a server would send it. Pages are code-split and
// load on demand, so they do not count. Budget from issue 11: under 300 KB.
test('initial JS of the shell is under 300 KB gzipped', {
  skip: existsSync(join(webDist, 'index.html')) ? false : 'missing web/dist',
}, (t) => {
  const html = readFileSync(join(webDist, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script[^>]*type="module"[^>]*src="\/([^"]+)"/g)].map((m) => m[1]);
  assert.ok(entries.length > 0, 'index.html names its entry script');
  const seen = new Set();
  const visit = (rel) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const code = readFileSync(join(webDist, rel), 'utf8');
    for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"']+\.js)["']/g)) {
      visit(join(dirname(rel), m[1]));
    }
  };
  entries.forEach(visit);
  let raw = 0;
  let gz = 0;
  for (const rel of seen) {
    const bytes = readFileSync(join(webDist, rel));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  t.diagnostic(`initial JS: ${seen.size} file(s), ${(raw / 1024).toFixed(1)} KB raw, ` +
    `${(gz / 1024).toFixed(1)} KB gzipped (budget 300 KB, ${((gz / (300 * 1024)) * 100).toFixed(0)}% of it)`);
  assert.ok(gz < 300 * 1024, `initial JS ${(gz / 1024).toFixed(1)} KB gzipped exceeds 300 KB`);
});
