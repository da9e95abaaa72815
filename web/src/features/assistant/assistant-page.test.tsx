// The Assistant page against a mocked tRPC server: the plain "no LLM" notice, an answer with
// its sources, refused tool calls and proposed actions.
import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { stubTrpc } from '../../testing/stub-trpc';
import { renderWithSession } from '../../testing/render';
import { AssistantPage } from './assistant-page';

let calls: { path: string; input: unknown }[];
let llmConfigured = false;

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
        ],
        usage: { promptTokens: 120, completionTokens: 30, costUsd: 0.0012 },
        error: null,
      };
    default:
      throw new Error(`unexpected ${path}`);
  }
}

beforeEach(() => {
  llmConfigured = false;
  // Every procedure is answered by answer(); stubTrpc speaks the batch wire format.
  const trpc = stubTrpc(
    new Proxy({}, { get: (_routes, path) => (input: unknown) => answer(String(path), input) }),
  );
  calls = trpc.calls;
});

function renderPage(route = '/assistant') {
  return renderWithSession(<AssistantPage />, { role: 'viewer', username: 'vera', route });
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
});
