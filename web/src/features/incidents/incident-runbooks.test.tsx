// The incident page's runbook executions (approve/reject/cancel, start a dry run) and the
// post-mortem panel (generate, edit as a new revision, switch revisions) and the ranked root
// causes (rank, evidence, what could not be read) against a mocked
// tRPC server speaking the batch wire format.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { resetClientForTests } from '../../api/client';
import type { User } from '../../lib/session';
import { renderWithSession } from '../../testing/render';
import { RunbookExecutions } from './runbook-executions';
import { PostMortem } from './post-mortem';
import { RootCauses } from './root-causes';
import { GrafanaLinks } from './grafana-links';

type Handler = (input: unknown) => unknown;
let routes: Record<string, Handler>;
let calls: { path: string; input: unknown }[];

beforeEach(() => {
  resetClientForTests();
  calls = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(String(input));
      const paths = url.pathname.replace('/trpc/', '').split(',');
      const inputs = (
        init.body
          ? JSON.parse(String(init.body))
          : JSON.parse(url.searchParams.get('input') ?? '{}')
      ) as Record<string, unknown>;
      const out = paths.map((path, i) => {
        const arg = inputs[String(i)];
        calls.push({ path, input: arg });
        const h = routes[path];
        if (!h) {
          return {
            error: {
              message: `no ${path}`,
              code: -32004,
              data: { code: 'NOT_FOUND', httpStatus: 404, path },
            },
          };
        }
        try {
          return { result: { data: h(arg) } };
        } catch (e) {
          return {
            error: {
              message: (e as Error).message,
              code: -32003,
              data: { code: 'FORBIDDEN', httpStatus: 403, path },
            },
          };
        }
      });
      const status = out.some((o) => 'error' in o) ? (out.length > 1 ? 207 : 403) : 200;
      return new Response(JSON.stringify(out), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

const operator: User = {
  id: 2,
  username: 'bob',
  role: 'operator',
  disabled: false,
  createdAt: '2026-11-28T00:00:00Z',
  lastLoginAt: null,
} as User;

function renderWith(ui: React.ReactElement, user: User = operator) {
  return renderWithSession(ui, { role: user.role, username: user.username, route: '/incidents/9' });
}

const t = '2026-11-29T01:00:00Z';
function execution(status: string, extra: Record<string, unknown> = {}) {
  return {
    id: 5,
    runbookId: 1,
    runbookName: 'restart-api',
    incidentId: 9,
    status,
    dryRun: false,
    triggeredBy: 'alice',
    parameters: { service: 'api' },
    steps: [
      {
        name: 'restart',
        type: 'command',
        status: status === 'succeeded' ? 'succeeded' : 'pending',
        ...(status === 'succeeded'
          ? { argv: ['/usr/bin/systemctl', 'restart', 'api'], output: 'done\n', exitCode: 0 }
          : {}),
      },
    ],
    approvals:
      status === 'succeeded'
        ? [{ stepIndex: -1, decision: 'approved', by: 'bob', note: '', at: t }]
        : [],
    awaiting:
      status === 'awaiting_approval'
        ? { stepIndex: -1, what: 'the runbook', requestedBy: 'alice' }
        : null,
    error: null,
    startedAt: null,
    completedAt: null,
    createdAt: t,
    updatedAt: t,
    ...extra,
  };
}
const runbook = {
  id: 1,
  name: 'restart-api',
  description: '',
  definition: '',
  triggerConditions: {},
  steps: [],
  version: 1,
  requiresApproval: true,
  autoExecute: false,
  enabled: true,
  source: 'manual' as const,
  successCount: 0,
  failureCount: 0,
  createdAt: t,
  updatedAt: t,
};
const page = (items: unknown[]) => ({ items, total: items.length, limit: 20, offset: 0 });

describe('RunbookExecutions', () => {
  it('approves a waiting execution and shows the step output afterwards', async () => {
    let state = 'awaiting_approval';
    routes = {
      'incidentCommander.listExecutions': () => page([execution(state)]),
      'incidentCommander.listRunbooks': () => page([runbook]),
      'incidentCommander.approveExecution': () => {
        state = 'succeeded';
        return execution(state);
      },
    };
    renderWith(<RunbookExecutions incidentId={9} />);
    await screen.findByText(/Waiting for approval of/);
    expect(screen.getByText('the runbook')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Note'), { target: { value: 'checked the graphs' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await screen.findByText(/approved by|done/);
    expect(calls.find((c) => c.path === 'incidentCommander.approveExecution')?.input).toEqual({
      id: 5,
      note: 'checked the graphs',
    });
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull());
    expect(screen.getByText('["/usr/bin/systemctl","restart","api"]')).toBeTruthy();
  });

  it("shows the server's refusal when the requester tries to approve", async () => {
    routes = {
      'incidentCommander.listExecutions': () => page([execution('awaiting_approval')]),
      'incidentCommander.listRunbooks': () => page([runbook]),
      'incidentCommander.approveExecution': () => {
        throw new Error(
          'the operator who started an execution cannot approve it; another operator must',
        );
      },
    };
    renderWith(<RunbookExecutions incidentId={9} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Approve' }));
    expect((await screen.findByRole('alert')).textContent).toContain('another operator must');
  });

  it('starts a dry run by default and hides operator controls from viewers', async () => {
    routes = {
      'incidentCommander.listExecutions': () => page([]),
      'incidentCommander.listRunbooks': () => page([runbook]),
      'incidentCommander.executeRunbook': () => execution('pending', { dryRun: true }),
    };
    const view = renderWith(<RunbookExecutions incidentId={9} />);
    await screen.findByText('No runbook ran for this incident');
    fireEvent.click(await screen.findByRole('button', { name: 'Run' }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'incidentCommander.executeRunbook')?.input).toEqual({
        runbookId: 1,
        incidentId: 9,
        dryRun: true,
      }),
    );
    view.unmount();
    routes['incidentCommander.listExecutions'] = () => page([execution('awaiting_approval')]);
    renderWith(<RunbookExecutions incidentId={9} />, { ...operator, role: 'viewer' } as User);
    await screen.findByText(/Waiting for approval of/);
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Run' })).toBeNull();
  });
});

describe('PostMortem', () => {
  it('generates, then saves an edit as a new revision and can show older ones', async () => {
    const revisions: {
      id: number;
      version: number;
      content: string;
      author: string;
      kind: string;
      createdAt: string;
    }[] = [];
    const state = () => ({
      incidentId: 9,
      current: revisions[0] ?? null,
      revisions: [...revisions],
    });
    routes = {
      'incidentCommander.getPostMortem': () => state(),
      'incidentCommander.generatePostMortem': () => {
        revisions.unshift({
          id: 1,
          version: 1,
          content: '# Post-mortem: API down\n\n## Impact',
          author: 'system',
          kind: 'generated',
          createdAt: t,
        });
        return state();
      },
      'incidentCommander.updatePostMortem': (input) => {
        const { content } = input as { content: string };
        revisions.unshift({
          id: 2,
          version: 2,
          content,
          author: 'bob',
          kind: 'edited',
          createdAt: t,
        });
        return state();
      },
    };
    renderWith(<PostMortem incidentId={9} />);
    await screen.findByText('No post-mortem yet');
    fireEvent.click(screen.getByRole('button', { name: 'Generate post-mortem' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Post-mortem text').textContent).toContain('## Impact'),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    fireEvent.change(screen.getByLabelText('Post-mortem (Markdown)'), {
      target: { value: '# Post-mortem: API down\n\nReviewed.' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save revision' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Post-mortem text').textContent).toContain('Reviewed.'),
    );
    expect(screen.getByText(/Revision 2 \(edited by bob/)).toBeTruthy();
    expect(calls.find((c) => c.path === 'incidentCommander.updatePostMortem')?.input).toEqual({
      incidentId: 9,
      content: '# Post-mortem: API down\n\nReviewed.',
    });
    fireEvent.change(screen.getByLabelText('Revisions'), { target: { value: '1' } });
    expect(screen.getByLabelText('Post-mortem text').textContent).toContain('## Impact');
    expect(screen.getByRole('button', { name: 'Regenerate' })).toBeTruthy();
  });
});

describe('RootCauses', () => {
  it('ranks on request and shows each cause with its evidence and what was not read', async () => {
    let analysis: unknown = null;
    routes = {
      'incidentCommander.getRootCauses': () => analysis,
      'incidentCommander.rankRootCauses': () => {
        analysis = {
          computedAt: t,
          actor: 'bob',
          incidentStart: t,
          ranking: [
            {
              service: 'rating',
              score: 3.2,
              confidence: 0.71,
              anomaly: 0.9,
              onset: t,
              hiddenCause: false,
              explanation: 'rating turned anomalous first; its callers followed.',
              evidence: ['error_rate held 12.3σ above its baseline from 01:00'],
              series: [],
              changes: [],
              alerts: [],
              anomalousCallees: [],
              anomalousCallers: ['edge-proxy'],
            },
            {
              service: 'edge-proxy',
              score: 0.4,
              confidence: 0.09,
              anomaly: 0.5,
              onset: t,
              hiddenCause: false,
              explanation: 'a symptom of rating.',
              evidence: [],
              series: [],
              changes: [],
              alerts: ['SLOErrorBudgetBurn'],
              anomalousCallees: ['rating'],
              anomalousCallers: [],
            },
          ],
          inputs: {
            services: 13,
            series: 60,
            calls: 23,
            changes: 2,
            missing: ['service graph: none'],
          },
        };
        return analysis;
      },
    };
    renderWith(<RootCauses incidentId={9} />);
    await screen.findByText('Not ranked yet');
    fireEvent.click(screen.getByRole('button', { name: 'Rank root causes' }));
    const list = await screen.findByRole('list', { name: 'Ranked causes' });
    const items = list.querySelectorAll(':scope > li');
    expect(items).toHaveLength(2);
    expect(items[0]?.textContent).toContain('rating');
    expect(items[0]?.textContent).toContain('71% confidence');
    expect(items[0]?.textContent).toContain('error_rate held 12.3σ');
    expect(screen.getByText('Not read: service graph: none')).toBeTruthy();
    expect(screen.getByText(/from 13 services, 60 series, 23 calls, 2 changes/)).toBeTruthy();
    expect(calls.find((c) => c.path === 'incidentCommander.rankRootCauses')?.input).toEqual({
      id: 9,
    });
    expect(screen.getByRole('button', { name: 'Rank again' })).toBeTruthy();
  });

  it("shows the LLM's narrative of the ranking, labelled, only when the LLM wrote one", async () => {
    const base = {
      computedAt: t,
      actor: 'bob',
      incidentStart: t,
      ranking: [],
      inputs: { services: 1 },
    };
    routes = {
      'incidentCommander.getRootCauses': () => ({
        ...base,
        narrative: { mode: 'llm', model: 'llama3', text: 'rating failed first.' },
      }),
    };
    const view = renderWith(<RootCauses incidentId={9} />);
    const n = await screen.findByTestId('rca-narrative');
    expect(n.textContent).toContain('Written by the LLM llama3');
    expect(n.textContent).toContain('rating failed first.');
    view.unmount();
    routes = {
      'incidentCommander.getRootCauses': () => ({
        ...base,
        narrative: { mode: 'deterministic', reason: 'an LLM is not configured' },
      }),
    };
    renderWith(<RootCauses incidentId={9} />);
    await screen.findByText('No candidate');
    expect(screen.queryByTestId('rca-narrative')).toBeNull();
  });

  it('does not offer ranking to a viewer', async () => {
    routes = { 'incidentCommander.getRootCauses': () => null };
    renderWith(<RootCauses incidentId={9} />, { ...operator, role: 'viewer' } as User);
    await screen.findByText('Not ranked yet');
    expect(screen.queryByRole('button', { name: 'Rank root causes' })).toBeNull();
  });
});

describe('GrafanaLinks', () => {
  it('links the dashboards Grafana found, and nothing when Grafana is not configured', async () => {
    routes = {
      'incidentCommander.grafanaDashboards': () => ({
        configured: true,
        error: null,
        dashboards: [
          {
            title: 'Checkout service',
            url: 'http://grafana.example/d/c/c?from=1&to=2&var-service=checkout',
            service: 'checkout',
          },
        ],
      }),
    };
    const { unmount } = renderWith(<GrafanaLinks incidentId={9} />);
    const link = await screen.findByRole('link', { name: 'Checkout service' });
    expect(link.getAttribute('href')).toBe(
      'http://grafana.example/d/c/c?from=1&to=2&var-service=checkout',
    );
    expect(link.getAttribute('rel')).toContain('noopener');
    unmount();
    routes = {
      'incidentCommander.grafanaDashboards': () => ({
        configured: false,
        error: null,
        dashboards: [],
      }),
    };
    renderWith(<GrafanaLinks incidentId={9} />);
    await waitFor(() =>
      expect(calls.filter((c) => c.path === 'incidentCommander.grafanaDashboards')).toHaveLength(2),
    );
    expect(screen.queryByRole('navigation', { name: 'Grafana dashboards' })).toBeNull();
  });
});
