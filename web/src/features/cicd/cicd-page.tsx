// CI/CD (cicdOrchestrator.*): pipelines with their last status, success rate and duration
// trend; a pipeline's runs (paginated) with trigger and cancel for operators; a run's steps as
// a table and a Gantt chart, its failure prediction with the main reasons, and its log
// following live ("cicd.log" events); the pipeline's test health (flaky and slowest tests)
// and optimizations; test selection for the selected run or typed files (test-selection.tsx);
// and canary judgement (Mann-Whitney U per metric) on demand.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { ProcedureInput, ProcedureOutput } from '../../api/generated';
import { subscribeEvents } from '../../api/events';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { Pagination } from '../../components/pagination';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { formatNumber, formatPercent } from '../../lib/format';
import { RequireRole } from '../../lib/session';
import { useUrlOffset, useUrlParam } from '../../lib/url-state';
import { PipelineEditor } from './pipeline-editor';
import { TestSelection } from './test-selection';

type Pipeline = ProcedureOutput<'cicdOrchestrator.listPipelines'>['items'][number];
type Run = ProcedureOutput<'cicdOrchestrator.getRun'>;
type Step = Run['steps'][number];

const kPageSize = 20;

const kStatusClass: Record<string, string> = {
  succeeded: 'sev-low',
  failed: 'sev-critical',
  timed_out: 'sev-critical',
  interrupted: 'sev-critical',
  cancelled: 'sev-medium',
  running: 'sev-high',
  queued: '',
  skipped: '',
};

const kBarColor: Record<string, string> = {
  succeeded: '#3fb950',
  failed: '#f85149',
  timed_out: '#f85149',
  interrupted: '#f85149',
  cancelled: '#d29922',
  skipped: '#8b949e',
};

export function StatusBadge({ status }: { status: string | null }) {
  if (!status) return <span className="muted">never run</span>;
  return <span className={`sev ${kStatusClass[status] ?? ''}`}>{status.replace('_', ' ')}</span>;
}

/** "850 ms", "12.3 s", "4 min 5 s". */
export function formatDurationMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${formatNumber(ms, undefined, 0)} ms`;
  if (ms < 60_000) return `${formatNumber(ms / 1000, undefined, 1)} s`;
  const min = Math.floor(ms / 60_000);
  return `${min} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const isActive = (status: string) => status === 'queued' || status === 'running';

/** Durations of finished runs, oldest first, as bars (SVG, no chart library). */
export function DurationTrend({ runs }: { runs: { durationMs: number | null; status: string }[] }) {
  const done = runs.filter((r) => r.durationMs !== null && !isActive(r.status)).reverse();
  if (done.length < 2) return <span className="muted small">not enough runs for a trend</span>;
  const max = Math.max(1, ...done.map((r) => r.durationMs ?? 0));
  const w = 160;
  const h = 24;
  const bw = w / done.length;
  return (
    <svg width={w} height={h} role="img" aria-label="Duration trend" className="sparkline">
      {done.map((r, i) => {
        const bh = Math.max(1, ((r.durationMs ?? 0) / max) * h);
        return (
          <rect
            key={i}
            x={i * bw}
            y={h - bh}
            width={Math.max(1, bw - 1)}
            height={bh}
            fill={kBarColor[r.status] ?? '#8b949e'}
          >
            <title>{`${formatDurationMs(r.durationMs)} (${r.status})`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

/** Steps laid out on the run's time axis (startedOffsetMs, durationMs). */
export function StepGantt({ steps }: { steps: Step[] }) {
  if (steps.length === 0) return <Empty title="No steps have run yet" />;
  const total = Math.max(1, ...steps.map((s) => s.startedOffsetMs + s.durationMs));
  const rowH = 18;
  const labelW = 190;
  const barW = 420;
  return (
    <svg
      width={labelW + barW + 70}
      height={steps.length * rowH + 4}
      role="img"
      aria-label="Step timeline"
      className="gantt"
    >
      {steps.map((s, i) => {
        const x = labelW + (s.startedOffsetMs / total) * barW;
        const width = Math.max(2, (s.durationMs / total) * barW);
        const label = `${s.job} / ${s.step}`;
        return (
          <g key={i} data-testid="gantt-bar">
            <text x={0} y={i * rowH + 13} fontSize={11} fill="currentColor">
              {label.length > 30 ? `${label.slice(0, 29)}…` : label}
            </text>
            <rect
              x={x}
              y={i * rowH + 3}
              width={width}
              height={rowH - 6}
              fill={kBarColor[s.status] ?? '#8b949e'}
            >
              <title>{`${label}: ${s.status}, ${formatDurationMs(s.durationMs)} from +${formatDurationMs(s.startedOffsetMs)}`}</title>
            </rect>
            <text x={x + width + 4} y={i * rowH + 13} fontSize={10} fill="currentColor">
              {formatDurationMs(s.durationMs)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function Prediction({ run }: { run: Run }) {
  const p = run.prediction;
  if (!p) return <span className="muted">no prediction (made when the checkout is ready)</span>;
  if (p.probability === null) return <span className="muted">{p.note}</span>;
  return (
    <span>
      <strong>{formatPercent(p.probability)}</strong> chance of failure
      {p.reasons.length > 0 ? (
        <>
          {' '}
          — main reasons:{' '}
          {p.reasons
            .map((r) => `${r.feature.replaceAll('_', ' ')} (+${formatNumber(r.contribution)})`)
            .join(', ')}
        </>
      ) : null}
      <span className="muted small"> · {p.note}</span>
    </span>
  );
}

/** Follows the run's log: the stored tail from getRun plus live chunks since it was fetched. */
function useLiveLog(runId: number, fetchedAt: number): string {
  const [live, setLive] = useState('');
  useEffect(() => setLive(''), [runId, fetchedAt]);
  useEffect(
    () =>
      subscribeEvents((type, data) => {
        if (type !== 'cicd.log') return;
        try {
          const e = JSON.parse(data) as { runId?: number; text?: string; dropped?: number };
          if (e.runId !== runId) return;
          const extra = e.dropped ? `\n[${e.dropped} bytes not streamed; in the stored log]\n` : '';
          setLive((l) => (l + (e.text ?? '') + extra).slice(-65536));
        } catch {
          // not JSON: ignore
        }
      }),
    [runId],
  );
  return live;
}

function RunView({ runId }: { runId: number }) {
  const q = useProcedureQuery(
    'cicdOrchestrator.getRun',
    { id: runId },
    {
      refetchInterval: (query) =>
        query.state.data && isActive(query.state.data.status) ? 3000 : false,
    },
  );
  const cancel = useProcedureMutation('cicdOrchestrator.cancelRun');
  const live = useLiveLog(runId, q.dataUpdatedAt);
  return (
    <Panel
      title={q.data ? `Run #${q.data.runNumber}` : 'Run'}
      id="run"
      actions={
        q.data && isActive(q.data.status) ? (
          <RequireRole min="operator">
            <button
              type="button"
              className="btn btn-small btn-danger"
              disabled={cancel.isPending}
              onClick={() => cancel.mutate({ id: runId })}
            >
              Cancel run
            </button>
          </RequireRole>
        ) : null
      }
    >
      {cancel.error ? <ErrorState error={cancel.error} title="Cancel failed" /> : null}
      <QueryView q={q} loadingLabel="Loading run">
        {(run) => (
          <>
            <dl className="kv">
              <div className="kv-row">
                <dt>Status</dt>
                <dd data-testid="run-status">
                  <StatusBadge status={run.status} />
                </dd>
              </div>
              <div className="kv-row">
                <dt>Commit</dt>
                <dd className="mono">
                  {run.commitSha ? run.commitSha.slice(0, 12) : '—'}{' '}
                  {run.branch ? `(${run.branch})` : ''}
                </dd>
              </div>
              <div className="kv-row">
                <dt>Change</dt>
                <dd>
                  {run.change
                    ? `${run.change.filesTouched} files, ${run.change.linesChanged} lines by ${run.change.author || 'unknown'}${run.change.dependencyChange ? ', dependencies changed' : ''}`
                    : '—'}
                </dd>
              </div>
              <div className="kv-row">
                <dt>Prediction</dt>
                <dd>
                  <Prediction run={run} />
                </dd>
              </div>
              <div className="kv-row">
                <dt>Duration</dt>
                <dd>{formatDurationMs(run.durationMs)}</dd>
              </div>
              <div className="kv-row">
                <dt>Triggered</dt>
                <dd>
                  by {run.triggeredBy} <Time iso={run.createdAt} />
                </dd>
              </div>
              {run.failureReason ? (
                <div className="kv-row">
                  <dt>Reason</dt>
                  <dd>{run.failureReason}</dd>
                </div>
              ) : null}
            </dl>
            <h3>Steps</h3>
            <StepGantt steps={run.steps} />
            {run.steps.length > 0 ? (
              <table className="table">
                <thead>
                  <tr>
                    <th>Job</th>
                    <th>Step</th>
                    <th>Status</th>
                    <th className="num">Exit</th>
                    <th className="num">Duration</th>
                    <th>Error</th>
                  </tr>
                </thead>
                <tbody>
                  {run.steps.map((s, i) => (
                    <tr key={i}>
                      <td>{s.job}</td>
                      <td className="mono">{s.step}</td>
                      <td>
                        <StatusBadge status={s.status} />
                      </td>
                      <td className="num">{s.exitCode}</td>
                      <td className="num">{formatDurationMs(s.durationMs)}</td>
                      <td>{s.error}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
            <h3>Log</h3>
            <pre className="json run-log" data-testid="run-log" aria-live="polite">
              {(run.log ?? '') + live || 'No output yet'}
            </pre>
          </>
        )}
      </QueryView>
    </Panel>
  );
}

function Runs({
  pipeline,
  selected,
  onSelect,
}: {
  pipeline: Pipeline;
  selected: number | null;
  onSelect: (id: number) => void;
}) {
  // Choosing another pipeline clears this offset (see CicdPage).
  const [offset, setOffset] = useUrlOffset('runsOffset');
  const q = useProcedureQuery('cicdOrchestrator.listRuns', {
    pipelineId: pipeline.id,
    limit: kPageSize,
    offset,
  });
  const trigger = useProcedureMutation('cicdOrchestrator.triggerRun');
  return (
    <Panel
      title={`Runs of ${pipeline.name}`}
      id="runs"
      actions={
        <RequireRole min="operator">
          <button
            type="button"
            className="btn btn-small btn-primary"
            disabled={trigger.isPending}
            onClick={() =>
              trigger.mutate({ pipelineId: pipeline.id }, { onSuccess: (run) => onSelect(run.id) })
            }
          >
            Trigger run
          </button>
        </RequireRole>
      }
    >
      {trigger.error ? <ErrorState error={trigger.error} title="Trigger failed" /> : null}
      <QueryView q={q} loadingLabel="Loading runs">
        {(data) =>
          data.items.length === 0 && offset === 0 ? (
            <Empty title="No runs yet">Trigger a run to build this pipeline on the server.</Empty>
          ) : (
            <>
              <div className="small">
                Duration trend: <DurationTrend runs={data.items} />
              </div>
              <table className="table">
                <thead>
                  <tr>
                    <th>Run</th>
                    <th>Status</th>
                    <th>Commit</th>
                    <th className="num">Duration</th>
                    <th className="num">Failure risk</th>
                    <th>By</th>
                    <th>Created</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((r) => (
                    <tr key={r.id} className={r.id === selected ? 'selected' : undefined}>
                      <td>
                        <button
                          type="button"
                          className="btn btn-ghost btn-small"
                          onClick={() => onSelect(r.id)}
                        >
                          #{r.runNumber}
                        </button>
                      </td>
                      <td>
                        <StatusBadge status={r.status} />
                      </td>
                      <td className="mono">{r.commitSha ? r.commitSha.slice(0, 8) : '—'}</td>
                      <td className="num">{formatDurationMs(r.durationMs)}</td>
                      <td className="num">
                        {r.prediction?.probability != null
                          ? formatPercent(r.prediction.probability)
                          : '—'}
                      </td>
                      <td>{r.triggeredBy}</td>
                      <td>
                        <Time iso={r.createdAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pagination
                offset={offset}
                limit={kPageSize}
                total={data.total}
                onChange={setOffset}
              />
            </>
          )
        }
      </QueryView>
    </Panel>
  );
}

function TestHealth({ pipelineId }: { pipelineId: number }) {
  const q = useProcedureQuery('cicdOrchestrator.testHealth', { pipelineId });
  return (
    <Panel
      title="Test health"
      id="tests"
      actions={<code className="proc">cicdOrchestrator.testHealth</code>}
    >
      <QueryView q={q} loadingLabel="Loading test health">
        {(data) => {
          if (data.items.length === 0)
            return (
              <Empty title="No test results yet">
                JUnit XML reports ingested for this pipeline (ingestJunit) show here.
              </Empty>
            );
          const flaky = data.items.filter((t) => t.isFlaky);
          const slow = [...data.items]
            .sort((a, b) => b.avgDurationMs - a.avgDurationMs)
            .slice(0, 10);
          return (
            <>
              <h3>Flaky tests</h3>
              {flaky.length === 0 ? (
                <p className="muted">No test both failed and passed on the same commit.</p>
              ) : (
                <table className="table">
                  <thead>
                    <tr>
                      <th>Test</th>
                      <th className="num">Flaky score</th>
                      <th className="num">Failures</th>
                      <th>Last</th>
                    </tr>
                  </thead>
                  <tbody>
                    {flaky.map((t) => (
                      <tr key={`${t.suite}::${t.name}`}>
                        <td className="mono">
                          {t.suite} :: {t.name}
                        </td>
                        <td className="num">{formatNumber(t.flakyScore)}</td>
                        <td className="num">
                          {t.failures} of {t.totalRuns}
                        </td>
                        <td>
                          <StatusBadge status={t.lastStatus} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <h3>Slowest tests</h3>
              <table className="table">
                <thead>
                  <tr>
                    <th>Test</th>
                    <th className="num">Average</th>
                    <th className="num">Runs</th>
                  </tr>
                </thead>
                <tbody>
                  {slow.map((t) => (
                    <tr key={`${t.suite}::${t.name}`}>
                      <td className="mono">
                        {t.suite} :: {t.name}
                      </td>
                      <td className="num">{formatDurationMs(t.avgDurationMs)}</td>
                      <td className="num">{t.totalRuns}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          );
        }}
      </QueryView>
    </Panel>
  );
}

function Optimizations({ pipelineId }: { pipelineId: number }) {
  const q = useProcedureQuery('cicdOrchestrator.getOptimizations', { pipelineId });
  return (
    <Panel
      title="Optimizations"
      id="optimizations"
      actions={<code className="proc">cicdOrchestrator.getOptimizations</code>}
    >
      <QueryView q={q} loadingLabel="Loading optimizations">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No optimizations found">
              Suggestions come from finished runs: slow steps, caching, parallel jobs, flaky tests.
            </Empty>
          ) : (
            <ul className="compact-list">
              {data.items.map((o, i) => (
                <li key={i}>
                  <strong>{o.title}</strong> <span className="muted small">({o.type})</span>
                  <div className="small">{o.description}</div>
                  <div className="muted small">
                    saves ~{formatDurationMs(o.estimatedSecondsSaved * 1000)} per run · confidence{' '}
                    {formatPercent(o.confidence)}
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
    </Panel>
  );
}

type CanaryMetric = ProcedureInput<'cicdOrchestrator.judgeCanary'>['metrics'][number];

/** "1, 2.5 3" → numbers; null when the text is not a list of numbers (then it is PromQL). */
export function parseSamples(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) return null;
  const nums = parts.map(Number);
  return nums.every((n) => Number.isFinite(n)) ? nums : null;
}

function Canary() {
  const [name, setName] = useState('latency');
  const [baseline, setBaseline] = useState('');
  const [canary, setCanary] = useState('');
  const judge = useProcedureMutation('cicdOrchestrator.judgeCanary');
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const b = parseSamples(baseline);
    const c = parseSamples(canary);
    const metric: CanaryMetric =
      b && c
        ? { name, baseline: b, canary: c }
        : { name, baselineQuery: baseline.trim(), canaryQuery: canary.trim() };
    judge.mutate({ metrics: [metric] });
  };
  const v = judge.data;
  return (
    <Panel
      title="Canary verdict"
      id="canary"
      actions={<code className="proc">cicdOrchestrator.judgeCanary</code>}
    >
      <RequireRole min="operator">
        <form className="filters" onSubmit={onSubmit}>
          <label>
            Metric <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label>
            Baseline (samples or PromQL){' '}
            <input value={baseline} onChange={(e) => setBaseline(e.target.value)} required />
          </label>
          <label>
            Canary (samples or PromQL){' '}
            <input value={canary} onChange={(e) => setCanary(e.target.value)} required />
          </label>
          <button type="submit" className="btn btn-small" disabled={judge.isPending}>
            Judge
          </button>
        </form>
      </RequireRole>
      {judge.error ? <ErrorState error={judge.error} title="Judgement failed" /> : null}
      {v ? (
        <div data-testid="canary-verdict">
          <p>
            <span
              className={`sev ${v.decision === 'pass' ? 'sev-low' : v.decision === 'fail' ? 'sev-critical' : 'sev-medium'}`}
            >
              {v.decision}
            </span>{' '}
            score {formatNumber(v.score)} {v.rollback ? '— roll back' : ''}
          </p>
          <p className="small">{v.summary}</p>
          <table className="table">
            <thead>
              <tr>
                <th>Metric</th>
                <th>Class</th>
                <th className="num">p-value</th>
                <th className="num">Baseline median</th>
                <th className="num">Canary median</th>
              </tr>
            </thead>
            <tbody>
              {v.metrics.map((m) => (
                <tr key={m.name}>
                  <td>{m.name}</td>
                  <td>{m.classification}</td>
                  <td className="num">{formatNumber(m.pValue, undefined, 4)}</td>
                  <td className="num">{formatNumber(m.baselineMedian)}</td>
                  <td className="num">{formatNumber(m.canaryMedian)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted small">
          Compares canary and baseline with the Mann–Whitney U test; PromQL needs a configured
          Prometheus.
        </p>
      )}
    </Panel>
  );
}

export function CicdPage() {
  // The pipelines' page, the chosen pipeline and run, and the runs' page are in the address.
  const [offset, setOffset] = useUrlOffset('pipelinesOffset');
  const [pipelineParam, setPipelineParam] = useUrlParam('pipeline', '', ['runsOffset', 'run']);
  const [runParam, setRunParam] = useUrlParam('run', '');
  const pipelineId = Number(pipelineParam) > 0 ? Number(pipelineParam) : null;
  const runId = Number(runParam) > 0 ? Number(runParam) : null;
  const setPipelineId = (id: number) => setPipelineParam(String(id));
  const setRunId = (id: number) => setRunParam(String(id));
  const q = useProcedureQuery('cicdOrchestrator.listPipelines', { limit: kPageSize, offset });
  const pipeline = useMemo(() => {
    const items = q.data?.items ?? [];
    return items.find((p) => p.id === pipelineId) ?? items[0] ?? null;
  }, [q.data, pipelineId]);
  return (
    <>
      <div className="page-head">
        <h1>CI/CD</h1>
        <p className="muted">
          Pipelines run on this server&apos;s runner: runs with live logs, step timings, failure
          predictions, test health and optimizations.
        </p>
      </div>
      <Panel
        title="Pipelines"
        id="pipelines"
        actions={<code className="proc">cicdOrchestrator.listPipelines</code>}
      >
        <QueryView q={q} loadingLabel="Loading pipelines">
          {(data) =>
            data.items.length === 0 && offset === 0 ? (
              <Empty title="No pipelines yet">
                Create one with <code>cicdOrchestrator.createPipeline</code> (generated from a
                repository) or <code>devops-ai pipeline generate PATH</code>.
              </Empty>
            ) : (
              <>
                <table className="table">
                  <thead>
                    <tr>
                      <th>Pipeline</th>
                      <th>Repository</th>
                      <th>Last run</th>
                      <th className="num">Success rate</th>
                      <th className="num">Avg duration</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((p) => (
                      <tr key={p.id} className={p.id === pipeline?.id ? 'selected' : undefined}>
                        <td>
                          <button
                            type="button"
                            className="btn btn-ghost btn-small"
                            aria-pressed={p.id === pipeline?.id}
                            onClick={() => {
                              setPipelineId(p.id);
                            }}
                          >
                            {p.name}
                          </button>
                          {p.generated ? <span className="muted small"> generated</span> : null}
                        </td>
                        <td className="mono small">{p.repository}</td>
                        <td>
                          <StatusBadge status={p.lastRunStatus} /> <Time iso={p.lastRunAt} />
                        </td>
                        <td className="num">
                          {p.successRate === null ? '—' : formatPercent(p.successRate)}
                        </td>
                        <td className="num">
                          {p.avgDurationSeconds === null
                            ? '—'
                            : formatDurationMs(p.avgDurationSeconds * 1000)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <Pagination
                  offset={offset}
                  limit={kPageSize}
                  total={data.total}
                  onChange={setOffset}
                />
              </>
            )
          }
        </QueryView>
      </Panel>
      {pipeline ? (
        <>
          <div className="grid-2">
            <Runs pipeline={pipeline} selected={runId} onSelect={setRunId} />
            {runId !== null ? (
              <RunView runId={runId} />
            ) : (
              <LatestRun pipelineId={pipeline.id} onSelect={setRunId} />
            )}
          </div>
          <div className="grid-2">
            <TestHealth pipelineId={pipeline.id} />
            <Optimizations pipelineId={pipeline.id} />
          </div>
          <TestSelection pipelineId={pipeline.id} runId={runId} />
          <PipelineEditor
            key={pipeline.id}
            pipelineId={pipeline.id}
            definition={pipeline.definition}
          />
        </>
      ) : null}
      <Canary />
    </>
  );
}

/** Shows the pipeline's newest run until the user picks one. */
function LatestRun({
  pipelineId,
  onSelect,
}: {
  pipelineId: number;
  onSelect: (id: number) => void;
}) {
  const q = useProcedureQuery('cicdOrchestrator.listRuns', { pipelineId, limit: 1, offset: 0 });
  const latest = q.data?.items[0];
  useEffect(() => {
    if (latest) onSelect(latest.id);
  }, [latest, onSelect]);
  if (q.error) return <ErrorState error={q.error} />;
  return (
    <Panel title="Run" id="run">
      <Empty title="No run selected">Pick a run to see its steps and log.</Empty>
    </Panel>
  );
}
