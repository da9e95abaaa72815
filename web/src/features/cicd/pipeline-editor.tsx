// The visual pipeline editor: a pipeline's jobs as a graph (SVG; each job one column after the
// jobs it needs), edited in place — add, remove and rename jobs, edit their steps (one command
// line per step, split into argv with shell-like quoting), add a `needs` edge by dragging from
// a job's right handle onto the job that should wait for it or by ticking it in the job's
// panel, remove one by its × — with a cycle refused and named. The YAML tab round-trips through
// the server's exporter (cicdOrchestrator.exportPipeline: GitHub Actions or GitLab CI out,
// GitHub Actions in); Save writes the definition to the pipeline (operators).
import { useMemo, useRef, useState, type MouseEvent as ReactMouseEvent } from 'react';
import { useProcedureMutation } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { ErrorState } from '../../components/states';
import { RequireRole } from '../../lib/session';
import {
  addJob,
  addNeed,
  freeId,
  joinArgv,
  kNodeH,
  kNodeW,
  layout,
  removeJob,
  removeNeed,
  renameJob,
  splitArgv,
  updateJob,
  type DagDefinition,
  type DagJob,
  type DagStep,
  type Edit,
} from './dag';

function stepLine(s: DagStep): string {
  if (s.argv && s.argv.length > 0) return joinArgv(s.argv);
  if (s.uses) return `uses: ${s.uses}`;
  return s.run ?? '';
}

function StepsEditor({ job, onChange }: { job: DagJob; onChange: (steps: DagStep[]) => void }) {
  const [errors, setErrors] = useState<Record<number, string>>({});
  return (
    <div className="dag-steps">
      <h4>Steps</h4>
      {job.steps.map((s, i) => (
        <div key={i} className="dag-step">
          <input
            aria-label={`Step ${i + 1} name`}
            value={s.name}
            onChange={(e) =>
              onChange(job.steps.map((x, k) => (k === i ? { ...x, name: e.target.value } : x)))
            }
          />
          {s.uses || (s.run && !s.argv?.length) ? (
            <code className="small" title="imported from YAML; kept as is">
              {stepLine(s)}
            </code>
          ) : (
            <input
              aria-label={`Step ${i + 1} command`}
              className="mono"
              defaultValue={stepLine(s)}
              onBlur={(e) => {
                const argv = splitArgv(e.target.value);
                if ('error' in argv || argv.length === 0) {
                  setErrors({
                    ...errors,
                    [i]: 'error' in argv ? argv.error : 'a step needs a command',
                  });
                  return;
                }
                setErrors({ ...errors, [i]: '' });
                onChange(job.steps.map((x, k) => (k === i ? { ...x, argv } : x)));
              }}
            />
          )}
          <button
            type="button"
            className="btn btn-ghost btn-small"
            aria-label={`Remove step ${i + 1}`}
            onClick={() => onChange(job.steps.filter((_, k) => k !== i))}
          >
            ×
          </button>
          {errors[i] ? (
            <span className="field-error small" role="alert">
              {errors[i]}
            </span>
          ) : null}
        </div>
      ))}
      <button
        type="button"
        className="btn btn-small"
        onClick={() =>
          onChange([...job.steps, { name: `step ${job.steps.length + 1}`, argv: ['true'] }])
        }
      >
        Add step
      </button>
    </div>
  );
}

function JobPanel({
  def,
  job,
  apply,
  onRenamed,
  onRemoved,
}: {
  def: DagDefinition;
  job: DagJob;
  apply: (e: Edit) => void;
  onRenamed: (id: string) => void;
  onRemoved: () => void;
}) {
  const [id, setId] = useState(job.id);
  return (
    <div className="dag-job-panel" data-testid="dag-job-panel" key={job.id}>
      <label>
        Job id{' '}
        <input
          aria-label="Job id"
          value={id}
          onChange={(e) => setId(e.target.value)}
          onBlur={() => {
            const r = renameJob(def, job.id, id.trim());
            apply(r);
            if (r.ok) onRenamed(id.trim());
            else setId(job.id);
          }}
        />
      </label>
      <label>
        Name{' '}
        <input
          aria-label="Job name"
          value={job.name}
          onChange={(e) =>
            apply({ ok: true, def: updateJob(def, job.id, { name: e.target.value }) })
          }
        />
      </label>
      <fieldset className="dag-needs">
        <legend>Needs</legend>
        {def.jobs
          .filter((j) => j.id !== job.id)
          .map((j) => (
            <label key={j.id} className="small">
              <input
                type="checkbox"
                checked={job.needs.includes(j.id)}
                onChange={(e) =>
                  apply(
                    e.target.checked
                      ? addNeed(def, job.id, j.id)
                      : { ok: true, def: removeNeed(def, job.id, j.id) },
                  )
                }
              />{' '}
              {j.id}
            </label>
          ))}
      </fieldset>
      <StepsEditor
        job={job}
        onChange={(steps) => apply({ ok: true, def: updateJob(def, job.id, { steps }) })}
      />
      <button
        type="button"
        className="btn btn-danger btn-small"
        onClick={() => {
          apply({ ok: true, def: removeJob(def, job.id) });
          onRemoved();
        }}
      >
        Remove job {job.id}
      </button>
    </div>
  );
}

/** The graph: jobs as boxes, needs as arrows; drag from a right handle to add a need. */
function Graph({
  def,
  selected,
  onSelect,
  apply,
}: {
  def: DagDefinition;
  selected: string | null;
  onSelect: (id: string) => void;
  apply: (e: Edit) => void;
}) {
  const { nodes, width, height } = useMemo(() => layout(def), [def]);
  const pos = new Map(nodes.map((n) => [n.id, n]));
  const svgRef = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ from: string; x: number; y: number } | null>(null);
  const point = (e: ReactMouseEvent) => {
    const r = svgRef.current?.getBoundingClientRect();
    return { x: e.clientX - (r?.left ?? 0), y: e.clientY - (r?.top ?? 0) };
  };
  const hit = (x: number, y: number) =>
    nodes.find((n) => x >= n.x && x <= n.x + kNodeW && y >= n.y && y <= n.y + kNodeH);
  return (
    <svg
      ref={svgRef}
      width={width + 20}
      height={height}
      role="img"
      aria-label="Pipeline graph"
      className="dag-graph"
      onMouseMove={(e) => {
        if (drag) setDrag({ ...drag, ...point(e) });
      }}
      onMouseUp={(e) => {
        if (!drag) return;
        const p = point(e);
        const target = hit(p.x, p.y);
        if (target && target.id !== drag.from) apply(addNeed(def, target.id, drag.from));
        setDrag(null);
      }}
      onMouseLeave={() => setDrag(null)}
    >
      <defs>
        <marker
          id="dag-arrow"
          viewBox="0 0 10 10"
          refX="10"
          refY="5"
          markerWidth="8"
          markerHeight="8"
          orient="auto-start-reverse"
        >
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#8b949e" />
        </marker>
      </defs>
      {def.jobs.flatMap((j) =>
        j.needs.map((n) => {
          const a = pos.get(n);
          const b = pos.get(j.id);
          if (!a || !b) return null;
          const x1 = a.x + kNodeW;
          const y1 = a.y + kNodeH / 2;
          const x2 = b.x;
          const y2 = b.y + kNodeH / 2;
          const mx = (x1 + x2) / 2;
          return (
            <g key={`${n}->${j.id}`} data-testid={`edge-${n}-${j.id}`}>
              <path
                d={`M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`}
                fill="none"
                stroke="#8b949e"
                strokeWidth={1.5}
                markerEnd="url(#dag-arrow)"
              />
              <text
                x={mx}
                y={(y1 + y2) / 2 - 4}
                className="dag-edge-remove"
                role="button"
                aria-label={`Remove need ${j.id} on ${n}`}
                onClick={() => apply({ ok: true, def: removeNeed(def, j.id, n) })}
              >
                ×
              </text>
            </g>
          );
        }),
      )}
      {nodes.map((n) => {
        const job = def.jobs.find((j) => j.id === n.id);
        return (
          <g
            key={n.id}
            data-testid={`node-${n.id}`}
            data-job={n.id}
            className={`dag-node${selected === n.id ? ' selected' : ''}`}
            onClick={() => onSelect(n.id)}
          >
            <rect
              x={n.x}
              y={n.y}
              width={kNodeW}
              height={kNodeH}
              rx={6}
              fill={selected === n.id ? '#1f6feb33' : '#161b22'}
              stroke={selected === n.id ? '#1f6feb' : '#30363d'}
            />
            <text x={n.x + 10} y={n.y + 18} className="dag-node-id">
              {n.id}
            </text>
            <text x={n.x + 10} y={n.y + 34} className="dag-node-sub small">
              {job?.steps.length ?? 0} step{job?.steps.length === 1 ? '' : 's'}
            </text>
            <circle
              cx={n.x + kNodeW}
              cy={n.y + kNodeH / 2}
              r={7}
              className="dag-handle"
              data-testid={`handle-${n.id}`}
              fill="#1f6feb"
              onMouseDown={(e) => {
                e.stopPropagation();
                e.preventDefault();
                setDrag({ from: n.id, ...point(e) });
              }}
            >
              <title>{`Drag onto the job that needs ${n.id}`}</title>
            </circle>
          </g>
        );
      })}
      {drag ? (
        <line
          x1={(pos.get(drag.from)?.x ?? 0) + kNodeW}
          y1={(pos.get(drag.from)?.y ?? 0) + kNodeH / 2}
          x2={drag.x}
          y2={drag.y}
          stroke="#1f6feb"
          strokeDasharray="4 3"
        />
      ) : null}
    </svg>
  );
}

export function PipelineEditor({
  pipelineId,
  definition,
}: {
  pipelineId: number;
  definition: DagDefinition;
}) {
  const [def, setDef] = useState<DagDefinition>(definition);
  const [selected, setSelected] = useState<string | null>(definition.jobs[0]?.id ?? null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [format, setFormat] = useState<'github' | 'gitlab'>('github');
  const [yamlIn, setYamlIn] = useState('');
  const [dirty, setDirty] = useState(false);
  const exporter = useProcedureMutation('cicdOrchestrator.exportPipeline', []);
  const importer = useProcedureMutation('cicdOrchestrator.exportPipeline', []);
  const save = useProcedureMutation('cicdOrchestrator.updatePipeline');
  const apply = (e: Edit) => {
    if (!e.ok) {
      setRefusal(e.error);
      return;
    }
    setRefusal(null);
    setDef(e.def);
    setDirty(true);
    exporter.reset();
  };
  const job = def.jobs.find((j) => j.id === selected) ?? null;
  return (
    <Panel
      title="Pipeline editor"
      id="pipeline-editor"
      actions={<code className="proc">cicdOrchestrator.updatePipeline</code>}
    >
      <div className="filters">
        <button
          type="button"
          className="btn btn-small"
          onClick={() => {
            const id = freeId(def);
            apply(addJob(def, id));
            setSelected(id);
          }}
        >
          Add job
        </button>
        <label>
          Format{' '}
          <select
            aria-label="Export format"
            value={format}
            onChange={(e) => setFormat(e.target.value as 'github' | 'gitlab')}
          >
            <option value="github">GitHub Actions</option>
            <option value="gitlab">GitLab CI</option>
          </select>
        </label>
        <button
          type="button"
          className="btn btn-small"
          disabled={exporter.isPending}
          onClick={() => exporter.mutate({ definition: def, format })}
        >
          Export YAML
        </button>
        <RequireRole min="operator">
          <button
            type="button"
            className="btn btn-small btn-primary"
            disabled={save.isPending || !dirty}
            onClick={() =>
              save.mutate(
                { id: pipelineId, definition: def },
                {
                  onSuccess: () => setDirty(false),
                },
              )
            }
          >
            Save
          </button>
        </RequireRole>
        {save.isSuccess && !dirty ? <span className="muted small">saved</span> : null}
      </div>
      {refusal ? (
        <p className="field-error" role="alert" data-testid="dag-refusal">
          {refusal}
        </p>
      ) : null}
      {save.error ? <ErrorState error={save.error} title="Save failed" /> : null}
      <div className="dag-editor">
        <div className="dag-canvas">
          {def.jobs.length === 0 ? (
            <p className="muted">No jobs: add one.</p>
          ) : (
            <Graph def={def} selected={selected} onSelect={setSelected} apply={apply} />
          )}
          <p className="muted small">
            Drag from a job&apos;s blue handle onto the job that needs it; × on an arrow removes
            that need.
          </p>
        </div>
        {job ? (
          <JobPanel
            key={job.id}
            def={def}
            job={job}
            apply={apply}
            onRenamed={setSelected}
            onRemoved={() => setSelected(null)}
          />
        ) : null}
      </div>
      {exporter.error ? <ErrorState error={exporter.error} title="Export refused" /> : null}
      {exporter.data ? (
        <pre className="code" data-testid="dag-yaml">
          {exporter.data.yaml}
        </pre>
      ) : null}
      <details>
        <summary>Load GitHub Actions YAML</summary>
        <textarea
          aria-label="Workflow YAML"
          rows={8}
          className="mono"
          value={yamlIn}
          onChange={(e) => setYamlIn(e.target.value)}
        />
        <button
          type="button"
          className="btn btn-small"
          disabled={importer.isPending || yamlIn.trim() === ''}
          onClick={() =>
            importer.mutate(
              { yaml: yamlIn },
              {
                onSuccess: (r) => {
                  apply({ ok: true, def: r.definition as DagDefinition });
                  setSelected(r.definition.jobs[0]?.id ?? null);
                },
              },
            )
          }
        >
          Load
        </button>
        {importer.error ? <ErrorState error={importer.error} title="YAML refused" /> : null}
      </details>
    </Panel>
  );
}
