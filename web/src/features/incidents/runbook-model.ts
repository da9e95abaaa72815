// The runbook editor's model: the Incident Commander's runbook definition (src/engines/runbook/
// runbook.h) as form state, built from the canonical JSON the server stores (listRunbooks'
// `steps`, validateRunbook's `runbook`) and written back as YAML the server parses. `validate`
// mirrors the engine's rules so each field says what is wrong while it is edited; the server
// stays the authority (its message names the same field paths, "steps[1].command.argv[0]: ...").

export const kStepTypes = [
  'command',
  'http',
  'approval',
  'wait',
  'healing',
  'notify',
  'promql',
  'runbook',
] as const;
export type StepType = (typeof kStepTypes)[number];

export const kStepTypeLabels: Record<StepType, string> = {
  command: 'Command (argv)',
  http: 'HTTP request',
  approval: 'Approval gate',
  wait: 'Wait',
  healing: 'Healing action',
  notify: 'Notify',
  promql: 'PromQL check',
  runbook: 'Run another runbook',
};

export const kSeverities = ['critical', 'high', 'medium', 'low'] as const;
export const kHttpMethods = ['GET', 'POST', 'PUT', 'DELETE'] as const;

export interface Pair {
  key: string;
  value: string;
}

export interface StepModel {
  /** React key only; never sent. */
  uid: number;
  name: string;
  type: StepType;
  // command
  argv: string[];
  workdir: string;
  env: Pair[];
  timeout: string;
  destructive: boolean;
  // wait
  duration: string;
  // approval / notify
  text: string;
  // http
  method: string;
  url: string;
  body: string;
  // promql
  query: string;
  // healing
  action: string;
  target: string;
  // runbook
  runbook: string;
  /** onInterrupt: '' = the engine's default (retry wait, promql and http GET; fail the rest). */
  onInterrupt: '' | 'retry' | 'fail';
}

export interface RunbookModel {
  name: string;
  description: string;
  labels: Pair[];
  severities: string[];
  autoExecute: boolean;
  requiresApproval: boolean;
  parameters: string[];
  steps: StepModel[];
}

let nextUid = 1;

/** A new step of `type` with the engine's defaults. */
export function newStep(type: StepType, name = ''): StepModel {
  return {
    uid: nextUid++,
    name,
    type,
    argv: type === 'command' ? [''] : [],
    workdir: '',
    env: [],
    timeout: type === 'command' || type === 'http' || type === 'promql' ? '60s' : '',
    // The engine's defaults: commands are destructive unless said otherwise; http is when its
    // method is not GET; healing and nested runbooks always are.
    destructive: type === 'command',
    duration: type === 'wait' ? '30s' : '',
    text: '',
    method: 'GET',
    url: '',
    body: '',
    query: '',
    action: '',
    target: '',
    runbook: '',
    onInterrupt: '',
  };
}

export function emptyRunbook(): RunbookModel {
  return {
    name: '',
    description: '',
    labels: [],
    severities: [],
    autoExecute: false,
    requiresApproval: true,
    parameters: [],
    steps: [newStep('command', 'step-1')],
  };
}

/** "60000ms" → "1m": the canonical form keeps milliseconds; people read seconds. */
export function humanDuration(value: unknown): string {
  if (typeof value === 'number') return `${value}s`;
  if (typeof value !== 'string') return '';
  const m = /^(\d+)ms$/.exec(value);
  if (!m) return value;
  const ms = Number(m[1]);
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return value;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));
const pairs = (v: unknown): Pair[] =>
  isObj(v) ? Object.entries(v).map(([key, value]) => ({ key, value: str(value) })) : [];

/** The model of a canonical runbook JSON (Runbook::ToJson). */
export function fromCanonical(doc: unknown): RunbookModel {
  const d = isObj(doc) ? doc : {};
  const trigger = isObj(d.trigger) ? d.trigger : {};
  const sev = trigger.severity;
  const steps = Array.isArray(d.steps) ? d.steps : [];
  return {
    name: str(d.name),
    description: str(d.description),
    labels: pairs(trigger.labels),
    severities: Array.isArray(sev) ? sev.map(str) : typeof sev === 'string' ? [sev] : [],
    autoExecute: d.autoExecute === true,
    requiresApproval: d.requiresApproval !== false,
    parameters: Array.isArray(d.parameters) ? d.parameters.map(str) : [],
    steps: steps.map((s) => stepFromCanonical(s)),
  };
}

function stepFromCanonical(raw: unknown): StepModel {
  const s = isObj(raw) ? raw : {};
  const type = kStepTypes.find((t) => t in s) ?? 'wait';
  const step = newStep(type, str(s.name));
  if (s.onInterrupt === 'retry' || s.onInterrupt === 'fail') step.onInterrupt = s.onInterrupt;
  const v = s[type];
  switch (type) {
    case 'command': {
      const c = isObj(v) ? v : {};
      step.argv = Array.isArray(c.argv) ? c.argv.map(str) : [''];
      step.workdir = str(c.workdir);
      step.env = pairs(c.env);
      step.timeout = c.timeout === undefined ? '60s' : humanDuration(c.timeout);
      step.destructive = c.destructive !== false;
      break;
    }
    case 'wait':
      step.duration = humanDuration(v);
      break;
    case 'approval':
    case 'notify':
      step.text = str(v);
      break;
    case 'runbook':
      step.runbook = str(v);
      break;
    case 'http': {
      const h = isObj(v) ? v : {};
      step.method = str(h.method) || 'GET';
      step.url = str(h.url);
      step.body = str(h.body);
      step.timeout = h.timeout === undefined ? '60s' : humanDuration(h.timeout);
      step.destructive = typeof h.destructive === 'boolean' ? h.destructive : step.method !== 'GET';
      break;
    }
    case 'promql': {
      const p = isObj(v) ? v : {};
      step.query = str(p.query);
      step.timeout = p.timeout === undefined ? '60s' : humanDuration(p.timeout);
      break;
    }
    case 'healing': {
      const h = isObj(v) ? v : {};
      step.action = str(h.action);
      step.target = str(h.target);
      break;
    }
  }
  return step;
}

/** The definition as the JSON document the engine parses (only what the model says). */
export function toDefinition(m: RunbookModel): Obj {
  const doc: Obj = { name: m.name };
  if (m.description) doc.description = m.description;
  const trigger: Obj = {};
  if (m.labels.length) trigger.labels = Object.fromEntries(m.labels.map((p) => [p.key, p.value]));
  if (m.severities.length) trigger.severity = kSeverities.filter((s) => m.severities.includes(s));
  if (Object.keys(trigger).length) doc.trigger = trigger;
  doc.autoExecute = m.autoExecute;
  doc.requiresApproval = m.requiresApproval;
  if (m.parameters.length) doc.parameters = [...m.parameters];
  doc.steps = m.steps.map(stepToDefinition);
  return doc;
}

function stepToDefinition(s: StepModel): Obj {
  const out: Obj = { name: s.name };
  if (s.onInterrupt) out.onInterrupt = s.onInterrupt;
  switch (s.type) {
    case 'command': {
      const c: Obj = { argv: [...s.argv] };
      if (s.workdir) c.workdir = s.workdir;
      if (s.env.length) c.env = Object.fromEntries(s.env.map((p) => [p.key, p.value]));
      if (s.timeout) c.timeout = s.timeout;
      c.destructive = s.destructive;
      out.command = c;
      break;
    }
    case 'wait':
      out.wait = s.duration;
      break;
    case 'approval':
    case 'notify':
      out[s.type] = s.text;
      break;
    case 'runbook':
      out.runbook = s.runbook;
      break;
    case 'http': {
      const h: Obj = { method: s.method, url: s.url };
      if (s.body) h.body = s.body;
      if (s.timeout) h.timeout = s.timeout;
      h.destructive = s.destructive;
      out.http = h;
      break;
    }
    case 'promql': {
      const p: Obj = { query: s.query };
      if (s.timeout) p.timeout = s.timeout;
      out.promql = p;
      break;
    }
    case 'healing':
      out.healing = { action: s.action, target: s.target };
      break;
  }
  return out;
}

// ---- YAML

const kPlain = /^[A-Za-z0-9_/][A-Za-z0-9_./-]*$/;
const kReserved = /^(true|false|null|yes|no|on|off|y|n|~)$/i;
// Anything a YAML reader could take for a number ("8080", "1.5", "1e3", "0x1F") stays quoted.
const kNumberLike = /^(\d[\d._]*([eE][-+]?\d+)?|0[xXoObB][0-9A-Fa-f_]+)$/;

/** A scalar as YAML: plain when that reads back as the same string, else double-quoted
 * (a JSON string is a valid YAML double-quoted scalar). */
function scalar(v: unknown): string {
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  const s = str(v);
  return kPlain.test(s) && !kReserved.test(s) && !kNumberLike.test(s) ? s : JSON.stringify(s);
}

function emit(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isObj(item)) {
        const lines: string[] = [];
        emit(item, indent + '  ', lines);
        out.push(indent + '- ' + (lines[0] ?? '{}').trimStart(), ...lines.slice(1));
      } else {
        out.push(`${indent}- ${scalar(item)}`);
      }
    }
    return;
  }
  if (isObj(v)) {
    for (const [k, val] of Object.entries(v)) {
      const key = scalar(k);
      if (Array.isArray(val) && val.every((x) => !isObj(x) && !Array.isArray(x))) {
        out.push(`${indent}${key}: [${val.map(scalar).join(', ')}]`);
      } else if (Array.isArray(val) || (isObj(val) && Object.keys(val).length)) {
        out.push(`${indent}${key}:`);
        emit(val, indent + '  ', out);
      } else if (isObj(val)) {
        out.push(`${indent}${key}: {}`);
      } else {
        out.push(`${indent}${key}: ${scalar(val)}`);
      }
    }
  }
}

/** The YAML definition the Runbooks screen stores (block style, quoted where needed). */
export function toYaml(m: RunbookModel): string {
  const out: string[] = [];
  emit(toDefinition(m), '', out);
  return out.join('\n') + '\n';
}

// ---- validation (the engine's rules, by field path)

export type FieldErrors = Record<string, string>;

const kSafeName = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;
const kParamName = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const kDuration = /^\d{1,9}(ms|s|m|h)?$/;

function durationMs(s: string): number | null {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(s.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
}

function checkTemplate(text: string, declared: Set<string>): string | null {
  const re = /\{\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const end = text.indexOf('}}', m.index + 2);
    if (end < 0) return 'unclosed {{';
    const name = text.slice(m.index + 2, end);
    if (!kParamName.test(name)) return `"{{${name}}}" is not a parameter name`;
    if (!declared.has(name)) return `uses {{${name}}} but "parameters" does not declare it`;
    re.lastIndex = end + 2;
  }
  return null;
}

/** Every problem the engine would refuse, keyed by the server's field path. */
export function validate(m: RunbookModel): FieldErrors {
  const e: FieldErrors = {};
  if (!m.name) e.name = 'is required';
  else if (!kSafeName.test(m.name)) e.name = `use letters, digits, '-', '_' and '.' ("${m.name}")`;
  const seenLabels = new Set<string>();
  m.labels.forEach((p, i) => {
    if (!p.key) e[`trigger.labels[${i}]`] = 'a label needs a name';
    else if (seenLabels.has(p.key)) e[`trigger.labels[${i}]`] = `"${p.key}" twice`;
    seenLabels.add(p.key);
  });
  const declared = new Set<string>();
  const badParams: string[] = [];
  m.parameters.forEach((p) => {
    if (!kParamName.test(p)) badParams.push(`invalid parameter name "${p}"`);
    else if (declared.has(p)) badParams.push(`"${p}" twice`);
    declared.add(p);
  });
  if (badParams.length) e.parameters = badParams.join('; ');
  if (m.steps.length === 0) e.steps = 'expected a non-empty list of steps';
  if (m.steps.length > 100) e.steps = 'more than 100 steps';
  m.steps.forEach((s, i) => {
    const w = `steps[${i}]`;
    const f = `${w}.${s.type}`;
    const put = (path: string, msg: string) => {
      e[path] ??= msg;
    };
    const tmpl = (path: string, text: string) => {
      const bad = checkTemplate(text, declared);
      if (bad) put(path, bad);
    };
    if (s.name.length > 200) put(`${w}.name`, 'longer than 200 bytes');
    const timeout = (path: string) => {
      if (!s.timeout) return;
      const ms = kDuration.test(s.timeout) ? durationMs(s.timeout) : null;
      if (ms === null)
        put(path, `expected a duration such as 30s, 5m or 250ms, got "${s.timeout}"`);
      else if (ms <= 0 || ms > 3_600_000) put(path, 'must be above 0 and at most 1h');
    };
    switch (s.type) {
      case 'command': {
        if (s.argv.length === 0 || (s.argv.length === 1 && !s.argv[0]))
          put(
            `${f}.argv`,
            'expected a non-empty list of strings (no shell: one element per argument)',
          );
        if (s.argv.length > 64) put(`${f}.argv`, 'more than 64 elements');
        s.argv.forEach((a, k) => {
          const af = `${f}.argv[${k}]`;
          if (a.length > 4096) put(af, 'longer than 4096 bytes');
          if (k === 0) {
            if (a.includes('{{')) put(af, 'the executable cannot come from a parameter');
            else if (!a.startsWith('/'))
              put(af, `the executable must be an absolute path ("${a}")`);
          } else tmpl(af, a);
        });
        if (s.workdir && !s.workdir.startsWith('/'))
          put(`${f}.workdir`, 'must be an absolute path');
        s.env.forEach((p, k) => {
          if (!kParamName.test(p.key))
            put(`${f}.env[${k}]`, `"${p.key}" is not a valid variable name`);
          else tmpl(`${f}.env[${k}]`, p.value);
        });
        timeout(`${f}.timeout`);
        break;
      }
      case 'wait': {
        const ms = kDuration.test(s.duration) ? durationMs(s.duration) : null;
        if (ms === null)
          put(f, `expected a duration such as 30s, 5m or 250ms, got "${s.duration}"`);
        else if (ms > 3_600_000) put(f, 'must be between 0 and 1h');
        break;
      }
      case 'approval':
      case 'notify':
        if (!s.text) put(f, 'expected a non-empty text');
        else if (s.text.length > 4096) put(f, 'longer than 4096 bytes');
        else tmpl(f, s.text);
        break;
      case 'http':
        if (!(kHttpMethods as readonly string[]).includes(s.method))
          put(`${f}.method`, 'expected GET, POST, PUT or DELETE');
        if (!s.url) put(`${f}.url`, 'is required');
        else if (!/^https?:\/\//.test(s.url)) put(`${f}.url`, 'expected an http(s) URL');
        else tmpl(`${f}.url`, s.url);
        tmpl(`${f}.body`, s.body);
        timeout(`${f}.timeout`);
        break;
      case 'promql':
        if (!s.query) put(`${f}.query`, 'is required');
        else tmpl(`${f}.query`, s.query);
        timeout(`${f}.timeout`);
        break;
      case 'healing':
        if (!s.action) put(`${f}.action`, 'is required');
        else if (!kSafeName.test(s.action) || s.action.length > 100)
          put(`${f}.action`, 'not a valid action name');
        if (!s.target) put(`${f}.target`, 'is required');
        else tmpl(`${f}.target`, s.target);
        break;
      case 'runbook':
        if (!kSafeName.test(s.runbook)) put(f, 'expected a runbook name');
        break;
    }
  });
  return e;
}

const kRoots = new Set([
  'name',
  'description',
  'trigger',
  'autoExecute',
  'requiresApproval',
  'parameters',
  'steps',
]);

/**
 * The field path a server message names ("steps[1].command.argv[0]: the executable ..." →
 * "steps[1].command.argv[0]"), or null when it names none. env and label messages name the
 * key ("steps[0].command.env.LANG"); they map to the row with that key.
 */
export function serverFieldPath(message: string, m: RunbookModel): string | null {
  const colon = message.indexOf(': ');
  if (colon <= 0) return null;
  let path = message.slice(0, colon);
  if (path.startsWith('runbook.')) path = path.slice('runbook.'.length);
  const root = /^[A-Za-z]+/.exec(path)?.[0] ?? '';
  if (!kRoots.has(root)) return null;
  const env = /^(steps\[(\d+)\]\.command\.env)\.(.+)$/.exec(path);
  if (env?.[1] && env[3] !== undefined) {
    const k = m.steps[Number(env[2])]?.env.findIndex((p) => p.key === env[3]) ?? -1;
    return k >= 0 ? `${env[1]}[${k}]` : env[1];
  }
  const label = /^trigger\.labels\.(.+)$/.exec(path);
  if (label) {
    const k = m.labels.findIndex((p) => p.key === label[1]);
    return k >= 0 ? `trigger.labels[${k}]` : 'trigger.labels';
  }
  return path;
}
