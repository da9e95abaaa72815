// The Assistant page against a mocked tRPC server: the plain "no LLM" notice, an answer with
// its sources, refused tool calls and proposed actions.
import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { stubTrpc } from '../../testing/stub-trpc';
import { renderWithSession } from '../../testing/render';
import { AssistantPage } from './assistant-page';

let calls: { path: string; input: unknown }[];
let llmConfigured = false;
let executionStatus = 'awaiting_approval';

function answer(path: string, input: unknown): unknown {
  switch (path) {
    case 'assistant.status':
      return llmConfigured
        ? {
            llmConfigured: true,
            model: 'llama3',
            budgetUsd: 10,
            spentUsd: 1.5,
            tools: ['incidentCommander.list'],
          }
        : {
            llmConfigured: false,
            model: null,
            budgetUsd: null,
            spentUsd: 0,
            tools: ['incidentCommander.list'],
          };
    case 'assistant.history':
      return { items: [], total: 0, limit: 10, offset: 0 };
    case 'assistant.ask':
      return {
        id: 1,
        answer: `Answer to: ${(input as { question: string }).question}`,
        mode: 'llm',
        toolCalls: [
          {
            tool: 'incidentCommander__list',
            procedure: 'incidentCommander.list',
            input: {},
            allowed: true,
          },
          {
            tool: 'incidentCommander__resolve',
            procedure: 'incidentCommander.resolve',
            input: { id: 1 },
            allowed: false,
            error: 'PERMISSION_DENIED: tool "incidentCommander.resolve" refused',
          },
        ],
        citations: [{ procedure: 'incidentCommander.list', input: {}, ids: [1, 2] }],
        proposals: [
          { action: 'run runbook 3', reason: 'disk full', status: 'pending approval by a person' },
          {
            action: 'run runbook restart-api',
            reason: 'api errors',
            status: 'awaiting approval (runbook execution 41)',
            approval: { kind: 'runbook_execution', executionId: 41, runbookId: 7, incidentId: 12 },
          },
        ],
        usage: { promptTokens: 120, completionTokens: 30, costUsd: 0.0012 },
        error: null,
      };
    case 'incidentCommander.getExecution':
      return { id: (input as { id: number }).id, status: executionStatus };
    case 'incidentCommander.approveExecution':
      executionStatus = 'pending';
      return { id: (input as { id: number }).id, status: 'pending' };
    default:
      throw new Error(`unexpected ${path}`);
  }
}

beforeEach(() => {
  llmConfigured = false;
  executionStatus = 'awaiting_approval';
  // Every procedure is answered by answer(); stubTrpc speaks the batch wire format.
  const trpc = stubTrpc(
    new Proxy({}, { get: (_routes, path) => (input: unknown) => answer(String(path), input) }),
  );
  calls = trpc.calls;
});

function renderPage(route = '/assistant', role: 'viewer' | 'operator' = 'viewer') {
  return renderWithSession(<AssistantPage />, { role, username: 'vera', route });
}

describe('AssistantPage', () => {
  it('says plainly when no LLM is configured', async () => {
    renderPage();
    expect((await screen.findByTestId('llm-status')).textContent).toMatch(
      /An LLM is not configured/,
    );
  });

  it('asks, and shows sources, refused tool calls and proposals', async () => {
    llmConfigured = true;
    renderPage();
    expect((await screen.findByTestId('llm-status')).textContent).toMatch(
      /llama3 · budget \$10\.00, spent \$1\.50/,
    );
    fireEvent.change(screen.getByLabelText('Question'), { target: { value: 'What is on fire?' } });
    fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
    const a = await screen.findByTestId('assistant-answer');
    expect(within(a).getByText('Answer to: What is on fire?')).toBeTruthy();
    expect(within(a).getByText(/records 1, 2/)).toBeTruthy();
    expect(within(a).getByText('refused')).toBeTruthy();
    expect(within(a).getByText(/run runbook 3/)).toBeTruthy();
    expect(within(a).getByText('pending approval by a person')).toBeTruthy();
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'assistant.ask')?.input).toEqual({
        question: 'What is on fire?',
      }),
    );
  });

  it('shows a proposal that became a runbook approval, and an operator decides it', async () => {
    llmConfigured = true;
    renderPage('/assistant', 'operator');
    fireEvent.change(screen.getByLabelText('Question'), { target: { value: 'fix the api' } });
    fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
    const approval = await screen.findByRole('group', { name: 'Approval 41' });
    await waitFor(() => expect(within(approval).getByText(/awaiting_approval/)).toBeTruthy());
    expect(within(approval).getByRole('link', { name: 'incident #12' }).getAttribute('href')).toBe(
      '/incidents/12',
    );
    fireEvent.click(within(approval).getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'incidentCommander.approveExecution')?.input).toEqual({
        id: 41,
      }),
    );
    await waitFor(() => expect(within(approval).getByText(/pending/)).toBeTruthy());
    expect(within(approval).queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('shows no approve button to a viewer', async () => {
    llmConfigured = true;
    renderPage();
    fireEvent.change(screen.getByLabelText('Question'), { target: { value: 'fix the api' } });
    fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
    const approval = await screen.findByRole('group', { name: 'Approval 41' });
    await waitFor(() => expect(within(approval).getByText(/awaiting_approval/)).toBeTruthy());
    expect(within(approval).queryByRole('button', { name: 'Approve' })).toBeNull();
  });
});
