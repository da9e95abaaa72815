// Test harness: starts the real devops-ai binary (and real companions) on loopback ports with
// throwaway data directories, and stops them again. Every wait is bounded.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, createWriteStream, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import http from 'node:http';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const binary = process.env.DEVOPS_AI_BIN || join(repoRoot, 'build', 'release', 'src', 'cli', 'devops-ai');

// The environment for child devops-ai processes: ours minus DEVOPS_AI_* (the server refuses
// unknown DEVOPS_AI_ settings, and DEVOPS_AI_BIN is only for this harness).
// XDG_CACHE_HOME is a throwaway directory of this test process (removed at exit), so CLI runs
// never write their compiled-rule cache into the user's ~/.cache; a test may pass its own.
let testCacheHome;
function throwawayCacheHome() {
  if (!testCacheHome) {
    testCacheHome = mkdtempSync(join(tmpdir(), 'dai-cache-'));
    process.on('exit', () => rmSync(testCacheHome, { recursive: true, force: true }));
  }
  return testCacheHome;
}

export function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DEVOPS_AI_')) env[k] = v;
  return { ...env, XDG_CACHE_HOME: throwawayCacheHome(), ...extra };
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

export async function waitFor(what, fn, timeoutMs = 15000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ': ' + last.message : ''}`);
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `dai-${prefix}-`));
}

// Runs a devops-ai subcommand to completion; returns {code, stdout, stderr}.
export function runCli(args, opts = {}) {
  try {
    // maxBuffer: the OpenAPI document alone is over 1 MiB (execFileSync's default limit).
    const stdout = execFileSync(binary, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 30000, maxBuffer: 64 << 20, env: childEnv(), ...opts });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    return { code: e.status ?? 1, stdout: e.stdout?.toString() ?? '', stderr: e.stderr?.toString() ?? '' };
  }
}

// A running `devops-ai serve`. start() resolves once /readyz answers 200.
export class Server {
  constructor({ dataDir, db, extraArgs = [], env = {} } = {}) {
    this.ownsDir = !dataDir;
    this.dataDir = dataDir || tempDir('server');
    this.db = db;
    this.extraArgs = extraArgs;
    this.env = env;
    this.stdout = '';
    this.stderr = '';
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  storeArgs() {
    return ['--data-dir', this.dataDir, ...(this.db ? ['--db', this.db] : [])];
  }

  async start({ port } = {}) {
    this.port = port || (await freePort());
    const args = ['serve', '--listen', `127.0.0.1:${this.port}`, ...this.storeArgs(),
      '--password-cost', 'minimum', '--log-level', 'info', ...this.extraArgs];
    this.proc = spawn(binary, args, { env: childEnv(this.env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => r({ code, signal })));
    this.proc.stdout.on('data', (d) => { this.stdout += d.toString(); });
    this.proc.stderr.on('data', (d) => { this.stderr += d.toString(); });
    await waitFor(`devops-ai on port ${this.port} to be ready`, async () => {
      if (this.proc.exitCode !== null) throw new Error(`server exited early: ${this.stderr.slice(-2000)}`);
      const r = await fetch(`${this.url}/readyz`);
      return r.status === 200;
    }, 20000);
    return this;
  }

  setupToken() {
    const m = this.stdout.match(/setup token: (\S+)/);
    return m ? m[1] : null;
  }

  createToken(role, name) {
    const r = runCli(['token', 'create', ...this.storeArgs(), '--role', role, '--name', name]);
    if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    return lines[lines.length - 1];
  }

  async stop(signal = 'SIGTERM', timeoutMs = 15000) {
    if (!this.proc || this.proc.exitCode !== null) return this.exited;
    this.proc.kill(signal);
    // The timer is cleared once the process exits: a pending one would keep node (and the
    // test file) alive for the whole timeout.
    let timer;
    const timeout = new Promise((r) => { timer = setTimeout(() => r(null), timeoutMs); });
    const res = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (!res) {
      this.proc.kill('SIGKILL');
      return this.exited;
    }
    return res;
  }

  cleanup() {
    if (this.ownsDir) {
      rmSync(this.dataDir, { recursive: true, force: true });
      // pipeline run workspaces default to a sibling of the data dir
      rmSync(`${this.dataDir}-runs`, { recursive: true, force: true });
    }
  }
}

// A throwaway PostgreSQL 15 cluster (scripts/pg-test-cluster), for tests that need one.
export class Postgres {
  constructor() {
    this.dir = tempDir('pg');
  }
  async start() {
    this.port = await freePort();
    const out = execFileSync(join(repoRoot, 'scripts', 'pg-test-cluster'), ['start', this.dir, String(this.port)],
      { encoding: 'utf8', timeout: 60000 });
    this.url = out.trim().split('\n').pop();
    return this;
  }
  // Fast shutdown (sessions terminated, data kept) and start again on the same port: chaos tests.
  down() {
    execFileSync(join(repoRoot, 'scripts', 'pg-test-cluster'), ['down', this.dir], { timeout: 60000 });
  }
  up() {
    execFileSync(join(repoRoot, 'scripts', 'pg-test-cluster'), ['up', this.dir], { timeout: 60000 });
  }
  stop() {
    try {
      execFileSync(join(repoRoot, 'scripts', 'pg-test-cluster'), ['stop', this.dir, String(this.port)], { timeout: 60000 });
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

// The smallest input a JSON schema accepts: required properties only, first enum value.
export function minimalInput(schema) {
  if (!schema) return undefined;
  if (schema.enum) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((k) => [k, minimalInput(schema.properties?.[k] ?? {})]));
    case 'array': return Array.from({ length: schema.minItems ?? 0 }, () => minimalInput(schema.items ?? {}));
    case 'string': return 'x'.repeat(Math.max(schema.minLength ?? 1, 1));
    case 'integer': case 'number': return schema.minimum ?? 1;
    case 'boolean': return false;
    default: return null;
  }
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function haveBinary() {
  return existsSync(binary);
}

export { createWriteStream };

// A webhook receiver on loopback: records each request's path and body, answers 200.
// Returns { url, received, close }.
export async function startReceiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { received.push({ url: req.url, body }); res.end('ok'); });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    close: () => new Promise((r) => server.close(r)),
  };
}

// Whether a program is on PATH (prometheus, promtool ...).
export function havePath(name) {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Debian's Prometheus on a loopback port over a TSDB backfilled with promtool from
// `openMetrics` (OpenMetrics text ending in "# EOF"), so a test has hours of history at once.
// Returns { url, close }; the error names Prometheus's last log lines if it never gets ready.
export async function startBackfilledPrometheus(dir, openMetrics, { promtoolTimeoutMs = 60000 } = {}) {
  writeFileSync(join(dir, 'data.om'), openMetrics);
  mkdirSync(join(dir, 'tsdb'));
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'data.om'), join(dir, 'tsdb')],
    { stdio: 'pipe', timeout: promtoolTimeoutMs });
  const port = await freePort();
  writeFileSync(join(dir, 'prom.yml'), 'global:\n  scrape_interval: 1m\n');
  const prom = spawn('prometheus', [`--config.file=${join(dir, 'prom.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=30d'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  prom.stderr.on('data', (d) => { log = (log + d.toString()).slice(-4000); });
  const exited = new Promise((r) => prom.on('exit', r));
  const close = async () => { prom.kill('SIGTERM'); await exited; };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('Prometheus to be ready', async () => (await fetch(`${url}/-/ready`)).ok, 30000);
  } catch (e) {
    await close();
    throw new Error(`${e.message}\n${log}`);
  }
  return { url, close };
}
