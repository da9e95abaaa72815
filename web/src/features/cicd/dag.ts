// The pipeline editor's model: pure functions over a pipeline definition (the API's model: jobs
// with ids, needs and steps). Every edit returns a new definition or a refusal naming why (a
// cycle names its path), so the editor never holds a graph the server would refuse. Layout puts
// each job one column after the deepest job it needs (longest-path layering).

export interface DagStep {
  name: string;
  argv?: string[];
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  workingDirectory?: string;
  timeoutSeconds?: number;
}

export interface DagJob {
  id: string;
  name: string;
  needs: string[];
  runsOn: string;
  image: string;
  timeoutMinutes: number;
  steps: DagStep[];
  caches: { path: string; key: string }[];
}

export interface DagDefinition {
  name: string;
  branches: string[];
  jobs: DagJob[];
}

export type Edit = { ok: true; def: DagDefinition } | { ok: false; error: string };

const kIdPattern = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A job id GitHub Actions and GitLab CI both accept, or why not. */
export function checkJobId(id: string): string | null {
  if (id === '') return 'a job id cannot be empty';
  if (!kIdPattern.test(id))
    return `"${id}": a job id starts with a letter or _ and holds only letters, digits, - and _`;
  return null;
}

export function newJob(id: string): DagJob {
  return {
    id,
    name: id,
    needs: [],
    runsOn: 'ubuntu-latest',
    image: '',
    timeoutMinutes: 30,
    steps: [{ name: 'run', argv: ['true'] }],
    caches: [],
  };
}

/** A free id "job", "job-2", "job-3" ... */
export function freeId(def: DagDefinition, base = 'job'): string {
  const ids = new Set(def.jobs.map((j) => j.id));
  if (!ids.has(base)) return base;
  for (let i = 2; ; ++i) if (!ids.has(`${base}-${i}`)) return `${base}-${i}`;
}

export function addJob(def: DagDefinition, id: string): Edit {
  const bad = checkJobId(id);
  if (bad) return { ok: false, error: bad };
  if (def.jobs.some((j) => j.id === id)) return { ok: false, error: `a job "${id}" exists` };
  return { ok: true, def: { ...def, jobs: [...def.jobs, newJob(id)] } };
}

/** Removes the job and every `needs` edge to it. */
export function removeJob(def: DagDefinition, id: string): DagDefinition {
  return {
    ...def,
    jobs: def.jobs
      .filter((j) => j.id !== id)
      .map((j) => (j.needs.includes(id) ? { ...j, needs: j.needs.filter((n) => n !== id) } : j)),
  };
}

/** Renames a job's id; the jobs that need it follow. */
export function renameJob(def: DagDefinition, from: string, to: string): Edit {
  if (from === to) return { ok: true, def };
  const bad = checkJobId(to);
  if (bad) return { ok: false, error: bad };
  if (def.jobs.some((j) => j.id === to)) return { ok: false, error: `a job "${to}" exists` };
  return {
    ok: true,
    def: {
      ...def,
      jobs: def.jobs.map((j) => ({
        ...j,
        id: j.id === from ? to : j.id,
        name: j.id === from && j.name === from ? to : j.name,
        needs: j.needs.map((n) => (n === from ? to : n)),
      })),
    },
  };
}

export function updateJob(def: DagDefinition, id: string, patch: Partial<DagJob>): DagDefinition {
  return { ...def, jobs: def.jobs.map((j) => (j.id === id ? { ...j, ...patch, id: j.id } : j)) };
}

/** A path of needs from `from` to `to` (both included), or null. */
export function needsPath(def: DagDefinition, from: string, to: string): string[] | null {
  const byId = new Map(def.jobs.map((j) => [j.id, j]));
  const seen = new Set<string>();
  const walk = (id: string): string[] | null => {
    if (id === to) return [id];
    if (seen.has(id)) return null;
    seen.add(id);
    for (const n of byId.get(id)?.needs ?? []) {
      const p = walk(n);
      if (p) return [id, ...p];
    }
    return null;
  };
  return walk(from);
}

/** `job` needs `need` (need runs first); refused when it would close a cycle. */
export function addNeed(def: DagDefinition, job: string, need: string): Edit {
  const j = def.jobs.find((x) => x.id === job);
  if (!j) return { ok: false, error: `no job "${job}"` };
  if (!def.jobs.some((x) => x.id === need)) return { ok: false, error: `no job "${need}"` };
  if (job === need) return { ok: false, error: `a job cannot need itself ("${job}")` };
  if (j.needs.includes(need)) return { ok: true, def };
  const back = needsPath(def, need, job);
  if (back) {
    return {
      ok: false,
      error: `"${job}" cannot need "${need}": that would be a cycle (${[job, ...back].join(' → ')})`,
    };
  }
  return { ok: true, def: updateJob(def, job, { needs: [...j.needs, need] }) };
}

export function removeNeed(def: DagDefinition, job: string, need: string): DagDefinition {
  const j = def.jobs.find((x) => x.id === job);
  return j ? updateJob(def, job, { needs: j.needs.filter((n) => n !== need) }) : def;
}

/** A cycle in the definition as a path (first job repeated at the end), or null. */
export function findCycle(def: DagDefinition): string[] | null {
  for (const j of def.jobs) {
    for (const n of j.needs) {
      const p = needsPath(def, n, j.id);
      if (p) return [j.id, ...p];
    }
  }
  return null;
}

/** Column per job: one after the deepest job it needs (0 for jobs without needs). */
export function layers(def: DagDefinition): Map<string, number> {
  const byId = new Map(def.jobs.map((j) => [j.id, j]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const of = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle (refused on edit; tolerated when loaded)
    visiting.add(id);
    let d = 0;
    for (const n of byId.get(id)?.needs ?? []) if (byId.has(n)) d = Math.max(d, of(n) + 1);
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const j of def.jobs) of(j.id);
  return depth;
}

export interface NodeBox {
  id: string;
  x: number;
  y: number;
}

export const kNodeW = 150;
export const kNodeH = 44;
const kGapX = 70;
const kGapY = 24;

/** Node positions: columns by layer, rows in declaration order within a column. */
export function layout(def: DagDefinition): { nodes: NodeBox[]; width: number; height: number } {
  const ly = layers(def);
  const rows = new Map<number, number>();
  const nodes = def.jobs.map((j) => {
    const col = ly.get(j.id) ?? 0;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    return { id: j.id, x: 10 + col * (kNodeW + kGapX), y: 10 + row * (kNodeH + kGapY) };
  });
  const cols = Math.max(1, ...[...ly.values()].map((c) => c + 1));
  const maxRows = Math.max(1, ...rows.values());
  return {
    nodes,
    width: 20 + cols * kNodeW + (cols - 1) * kGapX,
    height: 20 + maxRows * kNodeH + (maxRows - 1) * kGapY,
  };
}

/** Splits a command line into argv: whitespace separates, '…' and "…" quote, \ escapes. */
export function splitArgv(line: string): string[] | { error: string } {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; ++i) {
    const c = line[i] ?? '';
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) return { error: `unclosed ${quote} quote` };
  if (has) out.push(cur);
  return out;
}

/** The inverse of splitArgv: arguments quoted only when they need it. */
export function joinArgv(argv: string[]): string {
  return argv
    .map((a) =>
      a !== '' && /^[A-Za-z0-9_./=:,+@%~-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`,
    )
    .join(' ');
}
