// Test selection for a change (cicdOrchestrator.selectTests): the selected run's recorded
// change, or changed files typed in, ranked by co-failure with those files, path proximity and
// recency; picked within a time budget (greedy by expected catches per second), with reasons.
import { useState, type FormEvent } from 'react';
import type { ProcedureInput } from '../../api/generated';
import { useProcedureQuery } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { Empty, QueryView } from '../../components/states';
import { formatPercent } from '../../lib/format';

type SelectInput = ProcedureInput<'cicdOrchestrator.selectTests'>;

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Parses the budget field: empty means no budget; otherwise a number of seconds >= 0. */
export function parseBudget(text: string): number | null | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) && v >= 0 ? v : null;
}

export function TestSelection({ pipelineId, runId }: { pipelineId: number; runId: number | null }) {
  const [budgetText, setBudgetText] = useState('');
  const [filesText, setFilesText] = useState('');
  const [applied, setApplied] = useState<{ budget?: number; files?: string[] }>({});
  const [formError, setFormError] = useState('');
  const input: SelectInput = { pipelineId };
  if (applied.files && applied.files.length > 0) input.changedFiles = applied.files;
  else if (runId !== null) input.runId = runId;
  if (applied.budget !== undefined) input.budgetSeconds = applied.budget;
  const enabled = input.changedFiles !== undefined || input.runId !== undefined;
  const q = useProcedureQuery('cicdOrchestrator.selectTests', input, { enabled });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const budget = parseBudget(budgetText);
    if (budget === null) {
      setFormError('Budget: a number of seconds, 0 or more (empty: no budget)');
      return;
    }
    setFormError('');
    const files = filesText
      .split('\n')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    setApplied({ budget, files });
  };
  return (
    <Panel
      title="Test selection"
      id="test-selection"
      actions={<code className="proc">cicdOrchestrator.selectTests</code>}
    >
      <form className="form-row" onSubmit={submit} aria-label="Test selection">
        <label>
          Budget (seconds)
          <input
            value={budgetText}
            onChange={(e) => setBudgetText(e.target.value)}
            placeholder="no budget"
            inputMode="decimal"
          />
        </label>
        <label>
          Changed files (one a line; empty: the selected run&apos;s change)
          <textarea rows={3} value={filesText} onChange={(e) => setFilesText(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-small">
          Select tests
        </button>
      </form>
      {formError ? (
        <p role="alert" className="error">
          {formError}
        </p>
      ) : null}
      {!enabled ? (
        <Empty title="No change to rank for">Pick a run or type the changed files.</Empty>
      ) : (
        <QueryView q={q} loadingLabel="Selecting tests">
          {(data) => (
            <>
              <p data-testid="selection-summary">
                {data.selectedCount} of {data.testCount} tests selected, {seconds(data.selectedMs)}{' '}
                of {seconds(data.totalMs)}
                {data.budgetMs !== null
                  ? ` (budget ${seconds(data.budgetMs)})`
                  : ' (no budget)'}{' '}
                for {data.changedFiles.length} changed file
                {data.changedFiles.length === 1 ? '' : 's'}
                {data.source === 'run' ? ' of the selected run' : ''}.
                <span className="muted small"> {data.note}</span>
              </p>
              {data.items.length === 0 ? (
                <Empty title="No tests known">
                  Ingest JUnit reports with their commits (ingestJunit) to rank tests.
                </Empty>
              ) : (
                <table className="table">
                  <thead>
                    <tr>
                      <th>Test</th>
                      <th className="num">Failure chance</th>
                      <th className="num">Duration</th>
                      <th>Selected</th>
                      <th>Reasons</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((t) => (
                      <tr key={t.test} className={t.selected ? 'selected' : undefined}>
                        <td className="mono">{t.test}</td>
                        <td className="num">{formatPercent(t.score)}</td>
                        <td className="num">{seconds(t.durationMs)}</td>
                        <td>{t.selected ? 'yes' : 'no'}</td>
                        <td>
                          {t.reasons.length === 0 ? (
                            <span className="muted">no signal</span>
                          ) : (
                            t.reasons.map((r) => r.text).join('; ')
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          )}
        </QueryView>
      )}
    </Panel>
  );
}
