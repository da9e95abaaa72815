// The visual pipeline editor in headless Chromium against the real binary: a pipeline created
// through the API (build → test → deploy) is edited on the CI/CD page — a cycle refused with its
// path, a job added and renamed with a command, a `needs` edge drawn by dragging its handle with
// the mouse — then exported as GitLab CI and GitHub Actions YAML by the server's exporter and
// saved; the stored definition is read back through the API.
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

async function trpc(base, token, path, input, kind = 'mutation') {
  const url = kind === 'query'
    ? `${base}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`
    : `${base}/trpc/${path}`;
  const r = await fetch(url, {
    method: kind === 'query' ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: kind === 'query' ? undefined : JSON.stringify(input),
  });
  const body = await r.json();
  if (!r.ok) throw new Error(`${path}: ${JSON.stringify(body)}`);
  return body.result.data;
}

const job = (id, needs, argv) => ({ id, name: id, needs, runsOn: 'ubuntu-latest', image: '', timeoutMinutes: 10, caches: [], steps: [{ name: id, argv }] });

test('the pipeline editor edits a DAG in Chromium and exports YAML', { skip, timeout: 240_000 }, async (t) => {
  mkdirSync(outDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'dai-e2e-dag-'));
  const profile = mkdtempSync(join(tmpdir(), 'dai-e2e-dag-chromium-'));
  const port = await freePort();
  const proc = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--web-dir', webDist,
    '--password-cost', 'minimum'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  t.after(() => {
    proc.kill('SIGTERM');
    writeFileSync(join(outDir, 'pipeline-editor-server.log'), log);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (/setup token:\s*\S+/i.test(log) && /listening on/.test(log)) break;
    if (i > 200) throw new Error(`server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const setupToken = /setup token:\s*(\S+)/i.exec(log)[1];
  const apiToken = execFileSync(bin, ['token', 'create', '--data-dir', dataDir, '--role', 'operator', '--name', 'e2e-dag'],
    { encoding: 'utf8' }).trim().split('\n').pop();
  const created = await trpc(base, apiToken, 'cicdOrchestrator.createPipeline', {
    name: 'shop', repository: '/srv/repos/shop',
    definition: { name: 'shop', branches: ['main'], jobs: [job('build', [], ['make']), job('test', ['build'], ['make', 'test']), job('deploy', ['test'], ['./deploy.sh'])] },
  });

  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath, headless: true, viewport: { width: 1440, height: 1000 }, colorScheme: 'dark',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  t.after(() => context.close().catch(() => {}));
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  t.after(() => page.screenshot({ path: join(outDir, 'pipeline-editor-last.png'), fullPage: true }).catch(() => {}));

  await page.goto(base + '/');
  await page.getByLabel('Setup token').fill(setupToken);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByLabel('Confirm password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();

  await page.goto(`${base}/cicd?pipeline=${created.id}`);
  const graph = page.getByRole('img', { name: 'Pipeline graph' });
  await graph.waitFor();
  await page.getByTestId('edge-build-test').waitFor({ state: 'attached' });
  await page.getByTestId('edge-test-deploy').waitFor({ state: 'attached' });

  // A cycle: build cannot need deploy.
  await page.getByTestId('node-build').click();
  await page.getByTestId('dag-job-panel').getByLabel('deploy').click(); // refused: it stays unticked
  const refusal = await page.getByTestId('dag-refusal').textContent();
  assert.equal(refusal, '"build" cannot need "deploy": that would be a cycle (build → deploy → test → build)');

  // A new job, renamed "lint", with a command.
  await page.getByRole('button', { name: 'Add job' }).click();
  const panel = page.getByTestId('dag-job-panel');
  await panel.getByLabel('Job id').fill('lint');
  await panel.getByLabel('Job id').press('Tab');
  await page.getByTestId('node-lint').waitFor();
  await panel.getByLabel('Step 1 command').fill("npx eslint 'src dir'");
  await panel.getByLabel('Step 1 command').press('Tab');

  // Drag lint's handle onto deploy: deploy now needs lint.
  const handle = await page.getByTestId('handle-lint').boundingBox();
  const target = await page.getByTestId('node-deploy').locator('rect').boundingBox();
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x + 20, target.y + 20, { steps: 8 });
  await page.mouse.up();
  await page.getByTestId('edge-lint-deploy').waitFor({ state: 'attached' });
  await page.screenshot({ path: join(outDir, 'pipeline-editor.png'), fullPage: true });

  // Export through the server: GitLab CI, then GitHub Actions.
  await page.getByLabel('Export format').selectOption('gitlab');
  await page.getByRole('button', { name: 'Export YAML' }).click();
  const gitlab = await page.getByTestId('dag-yaml').textContent();
  assert.match(gitlab, /^lint:$/m, gitlab);
  assert.match(gitlab, /^deploy:\n(?:.*\n)*?\s+needs: \[test, lint\]/m, gitlab);
  assert.match(gitlab, /npx eslint 'src dir'/, gitlab);
  await page.getByLabel('Export format').selectOption('github');
  await page.getByRole('button', { name: 'Export YAML' }).click();
  await page.getByTestId('dag-yaml').filter({ hasText: 'runs-on' }).waitFor();
  const github = await page.getByTestId('dag-yaml').textContent();
  assert.match(github, /^ {2}deploy:\n(?:.*\n)*?\s+needs: \[test, lint\]/m, github);

  // Save, and read the stored definition back.
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('saved', { exact: true }).waitFor();
  const stored = await trpc(base, apiToken, 'cicdOrchestrator.getPipeline', { id: created.id }, 'query');
  assert.deepEqual(stored.definition.jobs.map((j) => [j.id, j.needs]), [['build', []], ['test', ['build']], ['deploy', ['test', 'lint']], ['lint', []]]);
  assert.deepEqual(stored.definition.jobs[3].steps[0].argv, ['npx', 'eslint', 'src dir']);
  assert.deepEqual(pageErrors, []);
});
