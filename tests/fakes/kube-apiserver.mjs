// Fake Kubernetes API server for tests (no real one can run here; DESIGN.md allows a fake that
// follows the real wire format). One fake, used by the node integration tests (import
// startFakeKube) and by the C++ tests (run as a process: node kube-apiserver.mjs --port P
// [--fixture F] [--token T]; it prints {"port":P} on stdout once listening).
//
// What it follows from the Kubernetes API conventions:
// - paths /api/v1/..., /apis/<group>/<version>/..., namespaced and cluster-wide lists;
// - lists {kind: <Kind>List, apiVersion, metadata: {resourceVersion, continue, remainingItemCount},
//   items} whose items carry no kind/apiVersion (as the real server sends them);
//   limit + continue pagination (an unknown continue token is 410 Expired);
// - labelSelector (=, ==, !=, in, notin, exists, !exists) and fieldSelector (a=b, a!=b);
// - errors as Status objects {kind: Status, status: Failure, message, reason, details, code};
// - resourceVersion on every object, a global counter; a patch or update carrying a stale
//   metadata.resourceVersion is 409 Conflict;
// - watch=1 streams newline-delimited {"type":"ADDED|MODIFIED|DELETED|ERROR","object":...} until
//   timeoutSeconds; from resourceVersion R it replays later events; a too-old R gives an ERROR
//   event with a 410 Expired Status;
// - PATCH with application/merge-patch+json, application/apply-patch+yaml (server-side apply, merged like strategic merge), application/strategic-merge-patch+json (named lists
//   merged by their merge key) and application/json-patch+json; anything else 415;
// - the scale subresource (autoscaling/v1 Scale) for deployments, statefulsets, replicasets;
// - DELETE of a pod (returned with deletionTimestamp; a pod owned by a ReplicaSet is replaced by
//   a new pod, as its controller would);
// - pods/<name>/log with container, tailLines, sinceSeconds, sinceTime, limitBytes, timestamps
//   (text/plain; a multi-container pod without container= is 400 naming the containers);
// - a bearer token when one is configured (401 otherwise) and forbidden verbs (403 naming user,
//   verb, resource, group and namespace) from the fixture.
// A tiny controller keeps Deployments honest: a spec change bumps metadata.generation; a new pod
// template creates (or re-activates) a ReplicaSet whose deployment.kubernetes.io/revision is the
// next revision; a StatefulSet's new template a ControllerRevision (numbered by .revision, data =
// the template as a strategic-merge patch, status.updateRevision naming it); status.observedGeneration, replicas, updatedReplicas, readyReplicas and
// availableReplicas then follow spec.replicas - unless the object is annotated
// fake.devops-ai.dev/stuck: "true", in which case readyReplicas stays where it was.
// Flux's Kustomization (kustomize.toolkit.fluxcd.io/v1) and HelmRelease (helm.toolkit.fluxcd.io/v2)
// are served as installed custom resources; a reconcile requested by annotation is handled as
// Flux's controllers do (see fluxReconcile).
// Test control (not part of the Kubernetes API): POST /fake/apply {object}, POST /fake/delete
// {kind, namespace, name}, POST /fake/logs {namespace, pod, container, lines:[{time, text}]},
// GET /fake/requests (method, path, query, contentType, authorization present, body).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

// resource (plural) -> {group, version, kind, namespaced}
const RESOURCES = [
  ['', 'v1', 'pods', 'Pod', true],
  ['', 'v1', 'services', 'Service', true],
  ['', 'v1', 'configmaps', 'ConfigMap', true],
  ['', 'v1', 'secrets', 'Secret', true],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', true],
  ['', 'v1', 'events', 'Event', true],
  ['', 'v1', 'namespaces', 'Namespace', false],
  ['', 'v1', 'nodes', 'Node', false],
  ['apps', 'v1', 'deployments', 'Deployment', true],
  ['apps', 'v1', 'statefulsets', 'StatefulSet', true],
  ['apps', 'v1', 'daemonsets', 'DaemonSet', true],
  ['apps', 'v1', 'replicasets', 'ReplicaSet', true],
  ['apps', 'v1', 'controllerrevisions', 'ControllerRevision', true],
  ['batch', 'v1', 'jobs', 'Job', true],
  ['batch', 'v1', 'cronjobs', 'CronJob', true],
  ['networking.k8s.io', 'v1', 'ingresses', 'Ingress', true],
  ['networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true],
  ['policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true],
  ['autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true],
  // Flux's custom resources (their CRDs installed): Kustomization and HelmRelease.
  ['kustomize.toolkit.fluxcd.io', 'v1', 'kustomizations', 'Kustomization', true],
  ['helm.toolkit.fluxcd.io', 'v2', 'helmreleases', 'HelmRelease', true],
].map(([group, version, resource, kind, namespaced]) => ({ group, version, resource, kind, namespaced }));

const byResource = new Map(RESOURCES.map((r) => [`${r.group}/${r.version}/${r.resource}`, r]));
const byKind = new Map(RESOURCES.map((r) => [r.kind, r]));
const SCALABLE = new Set(['deployments', 'statefulsets', 'replicasets']);
const STUCK = 'fake.devops-ai.dev/stuck';
const REVISION = 'deployment.kubernetes.io/revision';
// strategic merge: lists merged by key (the patchMergeKey of the Kubernetes types)
const MERGE_KEYS = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', env: 'name', volumes: 'name',
  volumeMounts: 'mountPath', ports: 'containerPort', imagePullSecrets: 'name', tolerations: 'key',
};

const clone = (o) => (o === undefined ? undefined : JSON.parse(JSON.stringify(o)));

function statusObject(code, reason, message, details = {}) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

class ApiError extends Error {
  constructor(code, reason, message, details) {
    super(message);
    this.status = statusObject(code, reason, message, details);
  }
}

function notFound(res, name) {
  return new ApiError(404, 'NotFound', `${res.resource}${res.group ? '.' + res.group : ''} "${name}" not found`, {
    name, group: res.group || undefined, kind: res.resource,
  });
}

// ---- selectors
function parseLabelSelector(text) {
  const reqs = [];
  if (!text) return reqs;
  // split on commas outside parentheses
  const parts = [];
  let depth = 0, cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { parts.push(cur); cur = ''; } else cur += ch;
  }
  parts.push(cur);
  for (let p of parts) {
    p = p.trim();
    if (!p) throw new ApiError(400, 'BadRequest', `unable to parse requirement: found '', expected: identifier`);
    let m;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      reqs.push({ key: m[1], op: m[2], values: m[3].split(',').map((v) => v.trim()) });
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(p))) {
      reqs.push({ key: m[1], op: m[2] === '!=' ? '!=' : '=', values: [m[3]] });
    } else if ((m = /^!([\w./-]+)$/.exec(p))) {
      reqs.push({ key: m[1], op: '!exists' });
    } else if ((m = /^([\w./-]+)$/.exec(p))) {
      reqs.push({ key: m[1], op: 'exists' });
    } else {
      throw new ApiError(400, 'BadRequest', `unable to parse requirement: ${JSON.stringify(p)}`);
    }
  }
  return reqs;
}

function labelsMatch(reqs, labels = {}) {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case '=': return has && v === r.values[0];
      case '!=': return !has || v !== r.values[0];
      case 'in': return has && r.values.includes(v);
      case 'notin': return !has || !r.values.includes(v);
      case 'exists': return has;
      case '!exists': return !has;
      default: return false;
    }
  });
}

function fieldValue(obj, path) {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur == null) return '';
    cur = cur[part];
  }
  return cur == null ? '' : String(cur);
}

function parseFieldSelector(text) {
  if (!text) return [];
  return text.split(',').map((p) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(p.trim());
    if (!m) throw new ApiError(400, 'BadRequest', `invalid field selector: ${JSON.stringify(p)}`);
    return { path: m[1], neg: m[2] === '!=', value: m[3] };
  });
}

// ---- patches
function mergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const out = target && typeof target === 'object' && !Array.isArray(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function strategicMerge(target, patch, key) {
  if (Array.isArray(patch)) {
    const mk = MERGE_KEYS[key];
    if (!mk || !Array.isArray(target)) return clone(patch);
    const out = clone(target);
    for (const item of patch) {
      if (item && typeof item === 'object' && item.$patch === 'delete') {
        const i = out.findIndex((e) => e && e[mk] === item[mk]);
        if (i >= 0) out.splice(i, 1);
        continue;
      }
      const i = out.findIndex((e) => e && item && e[mk] === item[mk]);
      if (i >= 0) out[i] = strategicMerge(out[i], item, '');
      else out.push(clone(item));
    }
    return out;
  }
  if (patch === null || typeof patch !== 'object') return clone(patch);
  const out = target && typeof target === 'object' && !Array.isArray(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v, k);
  }
  return out;
}

function jsonPointer(path) {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new ApiError(422, 'Invalid', `invalid JSON pointer ${JSON.stringify(path)}`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function jsonPatch(doc, ops) {
  if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'json patch: expected an array of operations');
  let out = clone(doc);
  for (const op of ops) {
    const parts = jsonPointer(op.path ?? '');
    if (parts.length === 0) { out = clone(op.value); continue; }
    let parent = out;
    for (const p of parts.slice(0, -1)) {
      if (parent == null || typeof parent !== 'object' || !(p in parent))
        throw new ApiError(422, 'Invalid', `json patch ${op.op}: path ${op.path} does not exist`);
      parent = parent[p];
    }
    const last = parts[parts.length - 1];
    switch (op.op) {
      case 'add':
        if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, clone(op.value));
        else parent[last] = clone(op.value);
        break;
      case 'replace':
        if (!(last in parent)) throw new ApiError(422, 'Invalid', `json patch replace: path ${op.path} does not exist`);
        parent[last] = clone(op.value);
        break;
      case 'remove':
        if (!(last in parent)) throw new ApiError(422, 'Invalid', `json patch remove: path ${op.path} does not exist`);
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
        break;
      case 'test':
        if (JSON.stringify(parent[last]) !== JSON.stringify(op.value))
          throw new ApiError(422, 'Invalid', `json patch test failed at ${op.path}`);
        break;
      default:
        throw new ApiError(400, 'BadRequest', `json patch: unsupported operation ${JSON.stringify(op.op)}`);
    }
  }
  return out;
}

// ---- the store
export class FakeKube {
  constructor(fixture = {}) {
    this.rv = 100;
    this.objects = new Map(); // key group/resource/ns/name -> object
    this.history = []; // {rv, type, res, object}
    this.historyStart = this.rv;
    this.logs = new Map(); // ns/pod/container -> [{time, text}]
    this.requests = [];
    this.watchers = new Set();
    this.token = fixture.token || '';
    this.user = fixture.user || 'system:serviceaccount:devops-ai:devops-ai';
    this.forbid = fixture.forbid || []; // [{verb, resource, namespace?}]
    for (const o of fixture.objects || []) this.apply(o, { quiet: true });
    for (const l of fixture.logs || []) this.addLogs(l);
    this.historyStart = this.rv;
  }

  key(res, ns, name) {
    return `${res.group}/${res.resource}/${res.namespaced ? ns : ''}/${name}`;
  }

  nextRv() {
    return String(++this.rv);
  }

  record(type, res, obj) {
    const ev = { rv: Number(obj.metadata.resourceVersion), type, res, object: clone(obj) };
    this.history.push(ev);
    if (this.history.length > 1000) {
      this.history.shift();
      this.historyStart = this.history[0].rv - 1;
    }
    for (const w of this.watchers) w(ev);
  }

  apply(obj, { quiet = false } = {}) {
    const res = byKind.get(obj.kind);
    if (!res) throw new ApiError(400, 'BadRequest', `fake: unknown kind ${JSON.stringify(obj.kind)}`);
    const o = clone(obj);
    o.metadata = o.metadata || {};
    if (res.namespaced && !o.metadata.namespace) o.metadata.namespace = 'default';
    if (!res.namespaced) delete o.metadata.namespace;
    const k = this.key(res, o.metadata.namespace, o.metadata.name);
    const old = this.objects.get(k);
    o.metadata.uid = old?.metadata.uid || o.metadata.uid || randomUUID();
    o.metadata.creationTimestamp = old?.metadata.creationTimestamp || o.metadata.creationTimestamp || new Date().toISOString();
    o.metadata.generation = old ? old.metadata.generation + (JSON.stringify(old.spec) !== JSON.stringify(o.spec) ? 1 : 0) : o.metadata.generation || 1;
    o.metadata.resourceVersion = this.nextRv();
    this.objects.set(k, o);
    if (!quiet) this.record(old ? 'MODIFIED' : 'ADDED', res, o);
    else this.history.push({ rv: this.rv, type: 'ADDED', res, object: clone(o) });
    this.reconcile(res, o, old);
    return o;
  }

  remove(res, ns, name) {
    const k = this.key(res, ns, name);
    const o = this.objects.get(k);
    if (!o) throw notFound(res, name);
    this.objects.delete(k);
    o.metadata.resourceVersion = this.nextRv();
    o.metadata.deletionTimestamp = new Date().toISOString();
    this.record('DELETED', res, o);
    // a ReplicaSet's controller replaces a deleted pod
    const owner = (o.metadata.ownerReferences || []).find((r) => r.kind === 'ReplicaSet' && r.controller !== false);
    if (res.resource === 'pods' && owner && this.objects.get(this.key(byResource.get('apps/v1/replicasets'), ns, owner.name))) {
      const fresh = clone(o);
      delete fresh.metadata.deletionTimestamp;
      delete fresh.metadata.uid;
      delete fresh.metadata.creationTimestamp;
      fresh.metadata.name = `${owner.name}-${randomUUID().slice(0, 5)}`;
      fresh.status = { phase: 'Running' };
      this.apply(fresh);
    }
    return o;
  }

  // The deployment / replicaset controllers, reduced to what rollouts and scaling show.
  reconcile(res, o, old) {
    if (['kustomizations', 'helmreleases'].includes(res.resource)) {
      this.fluxReconcile(res, o);
      return;
    }
    if (!['deployments', 'statefulsets', 'replicasets', 'daemonsets'].includes(res.resource)) return;
    const stuck = o.metadata.annotations?.[STUCK] === 'true';
    if (res.resource === 'deployments' && o.spec?.template) {
      const rsRes = byResource.get('apps/v1/replicasets');
      const rss = [...this.objects.values()].filter(
        (x) => x.kind === 'ReplicaSet' && x.metadata.namespace === o.metadata.namespace &&
          (x.metadata.ownerReferences || []).some((r) => r.uid === o.metadata.uid));
      const maxRev = Math.max(0, ...rss.map((x) => Number(x.metadata.annotations?.[REVISION] || 0)));
      const tpl = (t) => {
        const c = clone(t);
        if (c?.metadata?.labels) delete c.metadata.labels['pod-template-hash'];
        return JSON.stringify(c);
      };
      const match = rss.find((x) => tpl(x.spec.template) === tpl(o.spec.template));
      const current = rss.find((x) => Number(x.metadata.annotations?.[REVISION] || 0) === maxRev);
      if (!match || match !== current) {
        const hash = randomUUID().slice(0, 10).replace(/-/g, 'x');
        const rs = match ? clone(match) : {
          apiVersion: 'apps/v1', kind: 'ReplicaSet',
          metadata: {
            name: `${o.metadata.name}-${hash}`, namespace: o.metadata.namespace, labels: { ...(o.spec.template.metadata?.labels || {}), 'pod-template-hash': hash },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: o.metadata.name, uid: o.metadata.uid, controller: true }],
          },
          spec: { selector: o.spec.selector, template: mergePatch(clone(o.spec.template), { metadata: { labels: { 'pod-template-hash': hash } } }) },
        };
        rs.metadata.annotations = { ...(rs.metadata.annotations || {}), [REVISION]: String(maxRev + 1) };
        rs.spec.replicas = o.spec.replicas ?? 1;
        this.applyRaw(rsRes, rs);
        for (const x of rss) {
          if (x !== match && x.spec.replicas !== 0) this.applyRaw(rsRes, { ...clone(x), spec: { ...x.spec, replicas: 0 } });
        }
        o.metadata.annotations = { ...(o.metadata.annotations || {}), [REVISION]: String(maxRev + 1) };
      }
    }
    // The StatefulSet controller's history: a ControllerRevision per distinct template, its data
    // the template as a strategic-merge patch with $patch: replace, numbered by .revision; a
    // template equal to an older revision's re-uses that object with the next number.
    let stsRevision = null;
    if (res.resource === 'statefulsets' && o.spec?.template) {
      const crRes = byResource.get('apps/v1/controllerrevisions');
      const crs = [...this.objects.values()].filter(
        (x) => x.kind === 'ControllerRevision' && x.metadata.namespace === o.metadata.namespace &&
          (x.metadata.ownerReferences || []).some((r) => r.uid === o.metadata.uid));
      const maxRev = Math.max(0, ...crs.map((x) => Number(x.revision || 0)));
      const tpl = (t) => {
        const c = clone(t);
        delete c.$patch;
        return JSON.stringify(c);
      };
      const match = crs.find((x) => tpl(x.data?.spec?.template || {}) === tpl(o.spec.template));
      const current = crs.find((x) => Number(x.revision || 0) === maxRev);
      stsRevision = match;
      if (!match || match !== current) {
        const hash = randomUUID().slice(0, 10).replace(/-/g, 'x');
        const cr = match ? clone(match) : {
          apiVersion: 'apps/v1', kind: 'ControllerRevision',
          metadata: {
            name: `${o.metadata.name}-${hash}`, namespace: o.metadata.namespace,
            labels: { ...(o.spec.selector?.matchLabels || {}), 'controller-revision-hash': `${o.metadata.name}-${hash}` },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: o.metadata.name, uid: o.metadata.uid, controller: true }],
          },
          data: { spec: { template: { ...clone(o.spec.template), $patch: 'replace' } } },
        };
        cr.revision = maxRev + 1;
        this.applyRaw(crRes, cr);
        stsRevision = cr;
      }
    }
    if (!o.spec) return;
    const want = o.spec.replicas ?? 1;
    const prevReady = old?.status?.readyReplicas ?? o.status?.readyReplicas ?? 0;
    o.status = {
      ...(o.status || {}),
      observedGeneration: o.metadata.generation,
      replicas: want,
      updatedReplicas: stuck ? Math.min(prevReady, want) : want,
      readyReplicas: stuck ? Math.min(prevReady, want) : want,
      availableReplicas: stuck ? Math.min(prevReady, want) : want,
    };
    if (res.resource === 'statefulsets') o.status.currentReplicas = o.status.readyReplicas;
    if (stsRevision && !stuck) o.status.currentRevision = o.status.updateRevision = stsRevision.metadata.name;
  }

  // stores an object without running apply's bookkeeping twice (used by the controller)
  applyRaw(res, o) {
    o.metadata.uid = o.metadata.uid || randomUUID();
    o.metadata.creationTimestamp = o.metadata.creationTimestamp || new Date().toISOString();
    o.metadata.generation = o.metadata.generation || 1;
    o.metadata.resourceVersion = this.nextRv();
    const k = this.key(res, o.metadata.namespace, o.metadata.name);
    const existed = this.objects.has(k);
    this.objects.set(k, o);
    this.record(existed ? 'MODIFIED' : 'ADDED', res, o);
  }

  // Flux's controllers, in miniature: a reconcile requested by the
  // reconcile.fluxcd.io/requestedAt annotation is handled shortly after (not in the PATCH's own
  // answer) unless the object is suspended: status.lastHandledReconcileAt takes the
  // annotation's value, the last attempted revision becomes the applied one and Ready turns
  // True (ReconciliationSucceeded), as kustomize-controller and helm-controller report it.
  fluxReconcile(res, o) {
    const requested = o.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
    if (!requested || o.spec?.suspend || o.status?.lastHandledReconcileAt === requested) return;
    setTimeout(() => {
      try {
        this.update(res, o.metadata.namespace, o.metadata.name, (cur) => {
          if (cur.spec?.suspend || cur.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'] !== requested) return cur;
          const st = cur.status || {};
          const rev = st.lastAttemptedRevision || st.lastAppliedRevision || '';
          const ready = { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded',
            message: res.resource === 'helmreleases' ? `Helm upgrade succeeded for release ${cur.metadata.namespace}/${cur.metadata.name}` : `Applied revision: ${rev}`,
            lastTransitionTime: new Date().toISOString(), observedGeneration: cur.metadata.generation };
          cur.status = { ...st, lastHandledReconcileAt: requested, observedGeneration: cur.metadata.generation,
            ...(res.resource === 'kustomizations' ? { lastAppliedRevision: rev } : {}),
            conditions: [ready, ...(st.conditions || []).filter((c) => c.type !== 'Ready')] };
          return cur;
        });
      } catch { /* deleted meanwhile */ }
    }, 100);
  }

  update(res, ns, name, mutate, expectRv) {
    const k = this.key(res, ns, name);
    const old = this.objects.get(k);
    if (!old) throw notFound(res, name);
    if (expectRv && expectRv !== old.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict',
        `Operation cannot be fulfilled on ${res.resource}${res.group ? '.' + res.group : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: res.group || undefined, kind: res.resource });
    }
    const next = mutate(clone(old));
    next.metadata = { ...next.metadata, uid: old.metadata.uid, name: old.metadata.name, namespace: old.metadata.namespace,
      creationTimestamp: old.metadata.creationTimestamp };
    next.kind = old.kind;
    next.apiVersion = old.apiVersion;
    if (JSON.stringify(next.spec) !== JSON.stringify(old.spec)) next.metadata.generation = (old.metadata.generation || 1) + 1;
    else next.metadata.generation = old.metadata.generation;
    next.metadata.resourceVersion = this.nextRv();
    this.reconcile(res, next, old);
    next.metadata.resourceVersion = String(this.rv);
    this.objects.set(k, next);
    this.record('MODIFIED', res, next);
    return next;
  }

  addLogs({ namespace = 'default', pod, container = '', lines = [] }) {
    const k = `${namespace}/${pod}/${container}`;
    if (!this.logs.has(k)) this.logs.set(k, []);
    for (const l of lines) this.logs.get(k).push(typeof l === 'string' ? { time: new Date().toISOString(), text: l } : l);
  }

  forbidden(verb, res, ns, name) {
    const hit = this.forbid.find((f) => f.verb === verb && f.resource === res.resource && (!f.namespace || f.namespace === ns));
    if (!hit) return;
    const what = `${res.resource}${res.group ? '.' + res.group : ''}${name ? ` "${name}"` : ''}`;
    throw new ApiError(403, 'Forbidden',
      `${what} is forbidden: User "${this.user}" cannot ${verb} resource "${res.resource}" in API group "${res.group}"${res.namespaced && ns ? ` in the namespace "${ns}"` : ' at the cluster scope'}`,
      { name: name || undefined, group: res.group || undefined, kind: res.resource });
  }
}

// ---- HTTP
function parsePath(pathname) {
  const seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group, version, rest;
  if (seg[0] === 'api' && seg.length >= 2) { group = ''; version = seg[1]; rest = seg.slice(2); }
  else if (seg[0] === 'apis' && seg.length >= 3) { group = seg[1]; version = seg[2]; rest = seg.slice(3); }
  else return null;
  let ns = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) { ns = rest[1]; rest = rest.slice(2); }
  const res = byResource.get(`${group}/${version}/${rest[0]}`);
  if (!res) return { unknown: `${group ? group + '/' : ''}${version}/${rest[0] ?? ''}` };
  return { res, ns, name: rest[1], sub: rest[2], extra: rest.length > 3 };
}

function sendJson(resp, code, body) {
  const text = JSON.stringify(body);
  resp.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  resp.end(text);
}

function listKind(res) {
  return { kind: `${res.kind}List`, apiVersion: res.group ? `${res.group}/${res.version}` : res.version };
}

function stripTypeMeta(o) {
  const c = clone(o);
  delete c.kind;
  delete c.apiVersion;
  return c;
}

function toScale(o) {
  const sel = o.spec?.selector?.matchLabels || {};
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
    spec: { replicas: o.spec?.replicas ?? 1 },
    status: { replicas: o.status?.replicas ?? 0, selector: Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',') },
  };
}

async function readBody(req, limit = 3 << 20) {
  const chunks = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > limit) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonBody(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `the body of the request was in an unknown format: ${e.message}`);
  }
}

export function createHandler(kube) {
  return async (req, resp) => {
    const url = new URL(req.url, 'http://x');
    const q = url.searchParams;
    let bodyText = '';
    try {
      bodyText = await readBody(req);
      kube.requests.push({
        method: req.method, path: url.pathname, query: url.search, contentType: req.headers['content-type'] || '',
        authorization: req.headers.authorization ? req.headers.authorization.split(' ')[0] : '',
        tokenMatches: kube.token ? req.headers.authorization === `Bearer ${kube.token}` : null, body: bodyText,
      });
      if (kube.requests.length > 2000) kube.requests.shift();
      // test control
      if (url.pathname.startsWith('/fake/')) {
        if (url.pathname === '/fake/requests') return sendJson(resp, 200, kube.requests);
        if (url.pathname === '/fake/apply' && req.method === 'POST') return sendJson(resp, 200, kube.apply(parseJsonBody(bodyText)));
        if (url.pathname === '/fake/delete' && req.method === 'POST') {
          const b = parseJsonBody(bodyText);
          const res = byKind.get(b.kind);
          if (!res) throw new ApiError(400, 'BadRequest', `fake: unknown kind ${b.kind}`);
          return sendJson(resp, 200, kube.remove(res, b.namespace || 'default', b.name));
        }
        if (url.pathname === '/fake/logs' && req.method === 'POST') {
          kube.addLogs(parseJsonBody(bodyText));
          return sendJson(resp, 200, {});
        }
        throw new ApiError(404, 'NotFound', `fake: no control endpoint ${url.pathname}`);
      }
      if (kube.token && req.headers.authorization !== `Bearer ${kube.token}`) {
        throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      }
      if (url.pathname === '/version') return sendJson(resp, 200, { major: '1', minor: '29', gitVersion: 'v1.29.0-fake' });
      const p = parsePath(url.pathname);
      if (!p || p.extra) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      if (p.unknown) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${p.unknown})`);
      const { res, ns, name, sub } = p;
      const watch = q.get('watch') === '1' || q.get('watch') === 'true';
      const verb = {
        GET: name ? 'get' : watch ? 'watch' : 'list', PATCH: 'patch', PUT: 'update', DELETE: 'delete', POST: 'create',
      }[req.method];
      if (!verb) throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      kube.forbidden(sub === 'log' ? 'get' : verb, sub ? { ...res, resource: `${res.resource}/${sub}` } : res, ns, name);

      if (!name) {
        if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const lsel = parseLabelSelector(q.get('labelSelector') || '');
        const fsel = parseFieldSelector(q.get('fieldSelector') || '');
        const match = (o) => (!res.namespaced || !ns || o.metadata.namespace === ns) && labelsMatch(lsel, o.metadata.labels) &&
          fsel.every((f) => (fieldValue(o, f.path) === f.value) !== f.neg);
        if (watch) return watchStream(kube, req, resp, res, match, q);
        const all = [...kube.objects.values()].filter((o) => byKind.get(o.kind) === res && match(o))
          .sort((a, b) => (a.metadata.namespace || '').localeCompare(b.metadata.namespace || '') || a.metadata.name.localeCompare(b.metadata.name));
        let offset = 0;
        let listRv = String(kube.rv);
        if (q.get('continue')) {
          let tok;
          try {
            tok = JSON.parse(Buffer.from(q.get('continue'), 'base64').toString('utf8'));
          } catch {
            tok = null;
          }
          if (!tok || typeof tok.o !== 'number') throw new ApiError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
          offset = tok.o;
          listRv = tok.rv;
        }
        const limit = Number(q.get('limit') || 0);
        const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
        const metadata = { resourceVersion: listRv };
        if (limit > 0 && offset + limit < all.length) {
          metadata.continue = Buffer.from(JSON.stringify({ o: offset + limit, rv: listRv })).toString('base64');
          metadata.remainingItemCount = all.length - offset - limit;
        }
        return sendJson(resp, 200, { ...listKind(res), metadata, items: page.map(stripTypeMeta) });
      }

      const k = kube.key(res, ns, name);
      if (sub === 'log') {
        if (res.resource !== 'pods' || req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const pod = kube.objects.get(k);
        if (!pod) throw notFound(res, name);
        const names = (pod.spec?.containers || []).map((c) => c.name);
        let container = q.get('container') || '';
        if (!container) {
          if (names.length !== 1) throw new ApiError(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
          container = names[0];
        } else if (!names.includes(container)) {
          throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
        }
        let lines = kube.logs.get(`${ns}/${name}/${container}`) || kube.logs.get(`${ns}/${name}/`) || [];
        const now = Date.now();
        if (q.get('sinceSeconds')) {
          const s = Number(q.get('sinceSeconds'));
          if (!(s > 0)) throw new ApiError(422, 'Invalid', 'PodLogOptions "" is invalid: sinceSeconds: Invalid value: must be greater than 0');
          lines = lines.filter((l) => Date.parse(l.time) >= now - s * 1000);
        }
        if (q.get('sinceTime')) {
          const t = Date.parse(q.get('sinceTime'));
          if (Number.isNaN(t)) throw new ApiError(400, 'BadRequest', `invalid sinceTime ${q.get('sinceTime')}`);
          lines = lines.filter((l) => Date.parse(l.time) >= t);
        }
        if (q.get('tailLines')) lines = lines.slice(Math.max(0, lines.length - Number(q.get('tailLines'))));
        const ts = q.get('timestamps') === 'true';
        let text = lines.map((l) => (ts ? `${l.time} ` : '') + l.text + '\n').join('');
        const limit = Number(q.get('limitBytes') || 0);
        if (limit > 0) text = Buffer.from(text).subarray(0, limit).toString('utf8');
        resp.writeHead(200, { 'content-type': 'text/plain' });
        return resp.end(text);
      }
      if (sub && sub !== 'scale' && sub !== 'status') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      if (sub === 'scale' && !SCALABLE.has(res.resource)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');

      if (req.method === 'GET') {
        const o = kube.objects.get(k);
        if (!o) throw notFound(res, name);
        return sendJson(resp, 200, sub === 'scale' ? toScale(o) : o);
      }
      if (req.method === 'DELETE') {
        return sendJson(resp, 200, kube.remove(res, ns, name));
      }
      if (req.method === 'PATCH' || req.method === 'PUT') {
        const ct = (req.headers['content-type'] || '').split(';')[0].trim();
        const body = parseJsonBody(bodyText);
        if (req.method === 'PUT' && ct !== 'application/json') throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
        const apply = {
          'application/merge-patch+json': (o) => mergePatch(o, body),
          'application/strategic-merge-patch+json': (o) => strategicMerge(o, body, ''),
          'application/json-patch+json': (o) => jsonPatch(o, body),
          // Server-side apply: the fake merges like a strategic merge patch and keeps no field
          // ownership (with force=true the real server's result is the same for the fields sent).
          'application/apply-patch+yaml': (o) => {
            if (!url.searchParams.get('fieldManager')) {
              throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
            }
            if (!body || typeof body !== 'object' || !body.apiVersion || !body.kind) {
              throw new ApiError(400, 'BadRequest', 'invalid object type: apiVersion and kind must be set in the applied object');
            }
            return strategicMerge(o, body, '');
          },
          'application/json': () => body,
        }[req.method === 'PUT' ? 'application/json' : ct];
        if (!apply || (req.method === 'PATCH' && ct === 'application/json')) {
          throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
        }
        const expectRv = Array.isArray(body) ? undefined : body?.metadata?.resourceVersion;
        let updated;
        if (sub === 'scale') {
          updated = kube.update(res, ns, name, (o) => {
            const s = apply(toScale(o));
            const n = s?.spec?.replicas;
            if (!Number.isInteger(n) || n < 0) throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(n)}: must be greater than or equal to 0`);
            o.spec.replicas = n;
            return o;
          }, expectRv);
          return sendJson(resp, 200, toScale(updated));
        }
        updated = kube.update(res, ns, name, (o) => {
          const n = apply(o);
          if (sub === 'status') return { ...o, status: n.status };
          if (n?.spec?.replicas !== undefined && (!Number.isInteger(n.spec.replicas) || n.spec.replicas < 0)) {
            throw new ApiError(422, 'Invalid', `${res.kind}.${res.group || 'core'} "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(n.spec.replicas)}: must be greater than or equal to 0`);
          }
          return { ...n, status: o.status };
        }, expectRv);
        return sendJson(resp, 200, updated);
      }
      throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    } catch (e) {
      if (e instanceof ApiError) return sendJson(resp, e.status.code, e.status);
      return sendJson(resp, 500, statusObject(500, 'InternalError', `fake: ${e.message}`));
    }
  };
}

function watchStream(kube, req, resp, res, match, q) {
  const timeout = Math.min(Number(q.get('timeoutSeconds') || 30), 600);
  const fromRv = q.get('resourceVersion') || '';
  resp.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  const send = (type, object) => resp.write(JSON.stringify({ type, object }) + '\n');
  if (!fromRv || fromRv === '0') {
    for (const o of kube.objects.values()) if (byKind.get(o.kind) === res && match(o)) send('ADDED', o);
  } else if (Number(fromRv) < kube.historyStart) {
    send('ERROR', statusObject(410, 'Expired', `too old resource version: ${fromRv} (${kube.historyStart})`));
    return resp.end();
  } else {
    for (const ev of kube.history) if (ev.rv > Number(fromRv) && ev.res === res && match(ev.object)) send(ev.type, ev.object);
  }
  const watcher = (ev) => {
    if (ev.res === res && match(ev.object)) send(ev.type, ev.object);
  };
  kube.watchers.add(watcher);
  const done = () => {
    kube.watchers.delete(watcher);
    clearTimeout(timer);
    resp.end();
  };
  const timer = setTimeout(done, timeout * 1000);
  req.on('close', done);
}

// Starts the fake on 127.0.0.1 (port 0: any free port). Returns {kube, url, port, close()}.
export async function startFakeKube(fixture = {}, port = 0) {
  const kube = new FakeKube(fixture);
  const server = http.createServer(createHandler(kube));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = server.address().port;
  return {
    kube, port: actual, url: `http://127.0.0.1:${actual}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

// Writes a kubeconfig (YAML) pointing at the fake.
export function kubeconfigFor(url, { token = '', context = 'fake', namespace = 'default' } = {}) {
  return [
    'apiVersion: v1', 'kind: Config', `current-context: ${context}`,
    'clusters:', `- name: ${context}-cluster`, '  cluster:', `    server: ${url}`,
    'users:', `- name: ${context}-user`, '  user:', token ? `    token: ${token}` : '    {}',
    'contexts:', `- name: ${context}`, '  context:', `    cluster: ${context}-cluster`, `    user: ${context}-user`, `    namespace: ${namespace}`, '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const fixture = opt('--fixture') ? JSON.parse(readFileSync(opt('--fixture'), 'utf8')) : {};
  if (opt('--token')) fixture.token = opt('--token');
  const { port, close } = await startFakeKube(fixture, Number(opt('--port', '0')));
  process.stdout.write(JSON.stringify({ port }) + '\n');
  const stop = async () => {
    await close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
