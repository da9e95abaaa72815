// The pipeline editor's model: edits keep the graph valid, a cycle is refused naming its path,
// renames carry the needs along, layout columns follow the needs, argv round-trips.
import { describe, expect, it } from 'vitest';
import {
  addJob,
  addNeed,
  findCycle,
  joinArgv,
  layers,
  removeJob,
  renameJob,
  splitArgv,
  type DagDefinition,
} from './dag';

function def(edges: Record<string, string[]>): DagDefinition {
  return {
    name: 'p',
    branches: ['main'],
    jobs: Object.entries(edges).map(([id, needs]) => ({
      id,
      name: id,
      needs,
      runsOn: 'ubuntu-latest',
      image: '',
      timeoutMinutes: 30,
      steps: [{ name: 'x', argv: ['true'] }],
      caches: [],
    })),
  };
}

describe('pipeline DAG edits', () => {
  it('adds a need and refuses one that closes a cycle, naming it', () => {
    const d = def({ build: [], test: ['build'], deploy: ['test'] });
    const r = addNeed(d, 'build', 'deploy');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toBe(
      '"build" cannot need "deploy": that would be a cycle (build → deploy → test → build)',
    );
    expect(addNeed(d, 'test', 'test')).toEqual({
      ok: false,
      error: 'a job cannot need itself ("test")',
    });
    const ok = addNeed(d, 'deploy', 'build');
    expect(ok.ok && ok.def.jobs.find((j) => j.id === 'deploy')?.needs).toEqual(['test', 'build']);
    expect(findCycle(d)).toBeNull();
    expect(findCycle(def({ a: ['b'], b: ['a'] }))).toEqual(['a', 'b', 'a']);
  });

  it('renames a job and the jobs needing it follow; removing drops its edges', () => {
    const d = def({ build: [], test: ['build'] });
    const r = renameJob(d, 'build', 'compile');
    expect(r.ok && r.def.jobs.map((j) => [j.id, j.name, j.needs])).toEqual([
      ['compile', 'compile', []],
      ['test', 'test', ['compile']],
    ]);
    expect(renameJob(d, 'build', 'test')).toEqual({ ok: false, error: 'a job "test" exists' });
    expect(renameJob(d, 'build', '1 bad').ok).toBe(false);
    expect(removeJob(d, 'build').jobs).toEqual([
      expect.objectContaining({ id: 'test', needs: [] }),
    ]);
    expect(addJob(d, 'build')).toEqual({ ok: false, error: 'a job "build" exists' });
  });

  it('lays jobs out one column after their deepest need', () => {
    const l = layers(def({ a: [], b: ['a'], c: ['a', 'b'], d: [] }));
    expect(Object.fromEntries(l)).toEqual({ a: 0, b: 1, c: 2, d: 0 });
  });

  it('splits and joins command lines with quoting', () => {
    expect(splitArgv(`npm run "unit tests" --grep 'a "b"' x\\ y`)).toEqual([
      'npm',
      'run',
      'unit tests',
      '--grep',
      'a "b"',
      'x y',
    ]);
    expect(splitArgv(`echo 'a b`)).toEqual({ error: "unclosed ' quote" });
    const argv = ['sh', '-c', "echo it's fine", ''];
    expect(splitArgv(joinArgv(argv))).toEqual(argv);
  });
});
