// The test-selection panel against a stubbed tRPC server: ranks for the selected run by
// default, shows selected tests with their reasons and the time spent against the budget,
// sends typed changed files and a budget, and refuses a bad budget without calling.
import { describe, expect, it } from 'vitest';
import { configure, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { stubTrpc, trpcError } from '../../testing/stub-trpc';
import { renderWithSession } from '../../testing/render';
import { TestSelection, parseBudget } from './test-selection';

configure({ asyncUtilTimeout: 8000 });

function answer(input: Record<string, unknown>) {
  const budget = typeof input.budgetSeconds === 'number' ? input.budgetSeconds * 1000 : null;
  return {
    source: input.runId !== undefined ? 'run' : 'files',
    changedFiles: (input.changedFiles as string[] | undefined) ?? ['src/calc/add.js'],
    historyRuns: 12,
    budgetMs: budget,
    totalMs: 3000,
    selectedMs: budget === null ? 3000 : 400,
    selectedCount: budget === null ? 2 : 1,
    testCount: 2,
    items: [
      {
        test: 'test/calc/add.test.js::adds',
        suite: 'test/calc/add.test.js',
        name: 'adds',
        score: 0.72,
        durationMs: 400,
        selected: true,
        reasons: [
          {
            kind: 'co-failure',
            text: 'failed in 3 of 4 earlier runs that changed src/calc/add.js',
            value: 0.6,
          },
          { kind: 'recency', text: 'last failed 2 runs ago', value: 0.22 },
        ],
      },
      {
        test: 'test/ui/render.test.js::draws',
        suite: 'test/ui/render.test.js',
        name: 'draws',
        score: 0,
        durationMs: 2600,
        selected: budget === null,
        reasons: [],
      },
    ],
    note: 'ranked from 12 earlier test runs (10 matched by commit to a run’s changed files)',
  };
}

describe('TestSelection', () => {
  it('ranks the selected run by default and shows reasons and time', async () => {
    const trpc = stubTrpc({ 'cicdOrchestrator.selectTests': (i) => answer(i as never) });
    renderWithSession(<TestSelection pipelineId={3} runId={7} />);
    const summary = await screen.findByTestId('selection-summary');
    expect(summary.textContent).toContain('2 of 2 tests selected');
    expect(summary.textContent).toContain('3.0 s of 3.0 s (no budget)');
    expect(summary.textContent).toContain('of the selected run');
    expect(trpc.callsTo('cicdOrchestrator.selectTests')[0]!.input).toEqual({
      pipelineId: 3,
      runId: 7,
    });
    const row = screen.getByText('test/calc/add.test.js::adds').closest('tr')!;
    expect(within(row).getByText('72%')).toBeTruthy();
    expect(row.textContent).toContain(
      'failed in 3 of 4 earlier runs that changed src/calc/add.js; last failed 2 runs ago',
    );
    const other = screen.getByText('test/ui/render.test.js::draws').closest('tr')!;
    expect(other.textContent).toContain('no signal');
  });

  it('sends typed files and a budget; only what fits is selected', async () => {
    const trpc = stubTrpc({ 'cicdOrchestrator.selectTests': (i) => answer(i as never) });
    renderWithSession(<TestSelection pipelineId={3} runId={null} />);
    expect(screen.getByText('No change to rank for')).toBeTruthy();
    expect(trpc.callsTo('cicdOrchestrator.selectTests')).toHaveLength(0);
    fireEvent.change(screen.getByLabelText(/Budget/), { target: { value: '0.5' } });
    fireEvent.change(screen.getByLabelText(/Changed files/), {
      target: { value: 'src/calc/add.js\n\n  src/calc/sub.js \n' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Select tests' }));
    const summary = await screen.findByTestId('selection-summary');
    expect(summary.textContent).toContain('1 of 2 tests selected, 400 ms of 3.0 s (budget 500 ms)');
    expect(trpc.callsTo('cicdOrchestrator.selectTests').at(-1)!.input).toEqual({
      pipelineId: 3,
      changedFiles: ['src/calc/add.js', 'src/calc/sub.js'],
      budgetSeconds: 0.5,
    });
    const other = screen.getByText('test/ui/render.test.js::draws').closest('tr')!;
    expect(within(other).getByText('no')).toBeTruthy();
  });

  it('refuses a bad budget and shows server errors', async () => {
    const trpc = stubTrpc({
      'cicdOrchestrator.selectTests': () => {
        throw trpcError('PRECONDITION_FAILED', 'run 7 has no recorded change yet');
      },
    });
    renderWithSession(<TestSelection pipelineId={3} runId={7} />);
    await screen.findByText(/run 7 has no recorded change yet/);
    const before = trpc.callsTo('cicdOrchestrator.selectTests').length;
    fireEvent.change(screen.getByLabelText(/Budget/), { target: { value: '-3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Select tests' }));
    expect(await screen.findByText(/Budget: a number of seconds/)).toBeTruthy();
    await waitFor(() => expect(trpc.callsTo('cicdOrchestrator.selectTests').length).toBe(before));
  });

  it('parses budgets', () => {
    expect(parseBudget('')).toBeUndefined();
    expect(parseBudget(' 12.5 ')).toBe(12.5);
    expect(parseBudget('0')).toBe(0);
    expect(parseBudget('-1')).toBeNull();
    expect(parseBudget('ten')).toBeNull();
  });
});
