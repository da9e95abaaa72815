// A fake Argo CD API server for tests (Argo CD needs a cluster; none runs here), following its
// REST API (the API server's grpc-gateway, `argocd` CLI and UI use the same endpoints) for what
// devops-ai calls:
// - GET /api/v1/applications/{name}[?appNamespace=] → the Application (argoproj.io/v1alpha1):
//   metadata, spec {source {repoURL, targetRevision, path}, destination, project, syncPolicy},
//   status {sync {status Synced|OutOfSync, revision}, health {status Healthy|Progressing|
//   Degraded, message?}, history [{id, revision, deployedAt, deployStartedAt, source}],
//   operationState {phase Running|Succeeded|Failed, message, startedAt, finishedAt}};
// - POST /api/v1/applications/{name}/sync (ApplicationSyncRequest {name, revision?, prune?,
//   dryRun?, appNamespace?}) → the Application with its `operation` set; the operation runs
//   shortly after (Running → Succeeded), a new history entry records the revision deployed;
// - POST /api/v1/applications/{name}/rollback (ApplicationRollbackRequest {name, id (int64, as a
//   string or number), prune?, dryRun?}) → a sync to that history entry's revision, refused
//   while automated sync is on ("rollback cannot be initiated when auto-sync is enabled",
//   FailedPrecondition) and for an unknown id ("application X does not have deployment with id
//   N", InvalidArgument);
// - another operation running: FailedPrecondition "another operation is already in progress".
// Errors are grpc-gateway bodies {error, code (gRPC), message} with the HTTP status
// grpc-gateway maps the code to (NotFound 404, InvalidArgument/FailedPrecondition 400,
// Unauthenticated 401, PermissionDenied 403). "Authorization: Bearer <token>" is required.
// Test control: `apps` (name → Application), `requests`, `revisionHealth` (revision → health
// the app shows once that revision is deployed; default Healthy), `head` (the target
// revision's current commit per app).
import http from 'node:http';

const GRPC_HTTP = { 3: 400, 5: 404, 7: 403, 9: 400, 16: 401 };

export function argoApp(name, { revisions = [], automated = false, namespace = 'argocd', repoURL = 'https://git.example.com/shop/deploy.git', path = 'web' } = {}) {
  const t0 = Date.parse('2026-11-01T10:00:00Z');
  const history = revisions.map((revision, i) => ({
    id: i, revision, deployedAt: new Date(t0 + i * 3600e3).toISOString(), deployStartedAt: new Date(t0 + i * 3600e3 - 5e3).toISOString(),
    source: { repoURL, targetRevision: 'HEAD', path },
  }));
  const current = revisions[revisions.length - 1] || '';
  return {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
    metadata: { name, namespace, resourceVersion: '1000', uid: `uid-${name}` },
    spec: {
      project: 'default', source: { repoURL, targetRevision: 'HEAD', path },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'shop' },
      ...(automated ? { syncPolicy: { automated: { prune: true, selfHeal: true } } } : { syncPolicy: {} }),
    },
    status: {
      sync: { status: 'Synced', revision: current, comparedTo: { source: { repoURL, targetRevision: 'HEAD', path } } },
      health: { status: 'Healthy' },
      history,
      operationState: history.length ? {
        operation: { sync: { revision: current } }, phase: 'Succeeded', message: 'successfully synced (all tasks run)',
        startedAt: history[history.length - 1].deployStartedAt, finishedAt: history[history.length - 1].deployedAt,
        syncResult: { revision: current },
      } : undefined,
      reconciledAt: new Date().toISOString(),
    },
  };
}

export async function startFakeArgoCd({ token, apps = [], opDelayMs = 150 } = {}) {
  const state = { apps: new Map(apps.map((a) => [a.metadata.name, a])), requests: [], revisionHealth: {}, head: {} };
  const grpcError = (code, message) => ({ code, body: { error: message, code, message } });

  function startOperation(app, revision, { dryRun = false, prune = false } = {}) {
    if (app.operation || app.status.operationState?.phase === 'Running') throw grpcError(9, 'another operation is already in progress');
    const startedAt = new Date().toISOString();
    app.operation = { sync: { revision, prune, dryRun }, initiatedBy: { username: 'admin' } };
    app.status.operationState = { operation: app.operation, phase: 'Running', message: '', startedAt };
    app.status.health = { status: 'Progressing' };
    setTimeout(() => {
      const finishedAt = new Date().toISOString();
      delete app.operation;
      if (!dryRun) {
        const nextId = Math.max(-1, ...app.status.history.map((h) => h.id)) + 1;
        app.status.history.push({ id: nextId, revision, deployedAt: finishedAt, deployStartedAt: startedAt, source: { ...app.spec.source } });
        app.status.sync.revision = revision;
        const head = state.head[app.metadata.name];
        app.status.sync.status = head && head !== revision ? 'OutOfSync' : 'Synced';
        const health = state.revisionHealth[revision] || 'Healthy';
        app.status.health = health === 'Healthy' ? { status: 'Healthy' } : { status: health, message: `revision ${revision} is ${health}` };
      } else {
        app.status.health = { status: 'Healthy' };
      }
      app.status.operationState = { operation: { sync: { revision } }, phase: 'Succeeded', message: 'successfully synced (all tasks run)',
        startedAt, finishedAt, syncResult: { revision } };
      app.metadata.resourceVersion = String(Number(app.metadata.resourceVersion) + 1);
    }, opDelayMs);
  }

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const url = new URL(req.url, 'http://argocd');
      state.requests.push({ method: req.method, path: url.pathname, query: url.search, body,
        authorization: req.headers.authorization ? req.headers.authorization.split(' ')[0] : '' });
      const send = (status, obj) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const fail = (e) => {
        if (e && e.code && e.body) return send(GRPC_HTTP[e.code] || 500, e.body);
        return send(500, { error: String(e), code: 13, message: String(e) });
      };
      if (req.headers.authorization !== `Bearer ${token}`) {
        const e = grpcError(16, 'no session information');
        return send(401, e.body);
      }
      const m = url.pathname.match(/^\/api\/v1\/applications\/([^/]+)(?:\/(sync|rollback))?$/);
      if (!m) return send(404, { error: 'Not Found', code: 5, message: 'Not Found' });
      const name = decodeURIComponent(m[1]);
      const app = state.apps.get(name);
      try {
        if (!app) throw grpcError(5, `applications.argoproj.io "${name}" not found`);
        const appNs = url.searchParams.get('appNamespace');
        if (appNs && appNs !== app.metadata.namespace) throw grpcError(5, `applications.argoproj.io "${name}" not found`);
        if (!m[2]) {
          if (req.method !== 'GET') return send(405, { error: 'Method Not Allowed', code: 12, message: 'Method Not Allowed' });
          return send(200, app);
        }
        if (req.method !== 'POST') return send(405, { error: 'Method Not Allowed', code: 12, message: 'Method Not Allowed' });
        let r;
        try { r = body ? JSON.parse(body) : {}; } catch { throw grpcError(3, 'invalid character in request body'); }
        if (m[2] === 'sync') {
          const revision = r.revision || state.head[name] || app.status.sync.revision;
          startOperation(app, revision, { dryRun: !!r.dryRun, prune: !!r.prune });
          return send(200, app);
        }
        // rollback
        if (app.spec.syncPolicy?.automated) throw grpcError(9, 'rollback cannot be initiated when auto-sync is enabled');
        if (r.id === undefined) throw grpcError(3, 'id: required');
        const id = Number(r.id);
        const entry = app.status.history.find((h) => h.id === id);
        if (!entry) throw grpcError(3, `application ${name} does not have deployment with id ${r.id}`);
        startOperation(app, entry.revision, { dryRun: !!r.dryRun, prune: !!r.prune });
        return send(200, app);
      } catch (e) {
        return fail(e);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`, state,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
