// The incident page's controls (status, severity, assignee, notes) and anomaly evidence, and
// the runbook and watched-query screens, against a mocked tRPC server speaking the batch wire
// format. Validation errors come back as the server sends them (BAD_REQUEST, "field: why") and
// must appear beside the field they name.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import { resetClientForTests } from '../../api/client';
import { SessionContext, type User } from '../../lib/session';
import type { ProcedureOutput } from '../../api/generated';
import type { Series } from '../../components/series';

// uPlot needs a canvas, which jsdom lacks: the chart stand-in renders the data it was given.
vi.mock('../../components/time-series-chart', () => ({
  TimeSeriesChart: ({ series }: { series: Series[] }) => (
    <div data-testid="chart">
      {series.map((s) => `${s.label}:${s.times.length}:${s.values.join(',')}`).join('|')}
    </div>
  ),
}));

import { IncidentControls } from './incident-controls';
import { AnomalyEvidence, parseEvidence } from './anomaly-evidence';
import { RunbooksPage } from './runbooks-page';
import { WatchesPage, parseLabels } from './watches-page';
import { fieldErrors } from './field-errors';
import { ApiError } from '../../api/errors';

class RpcError extends Error {
  constructor(
    message: string,
    readonly code = 'BAD_REQUEST',
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}

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
      let status = 200;
      const out = paths.map((path, i) => {
        const arg = inputs[String(i)];
        calls.push({ path, input: arg });
        const h = routes[path];
        try {
          if (!h) throw new RpcError(`no ${path}`, 'NOT_FOUND', 404);
          return { result: { data: h(arg) } };
        } catch (e) {
          const err =
            e instanceof RpcError ? e : new RpcError((e as Error).message, 'FORBIDDEN', 403);
          status = paths.length > 1 ? 207 : err.httpStatus;
          return {
            error: {
              message: err.message,
              code: -32600,
              data: { code: err.code, httpStatus: err.httpStatus, path },
            },
          };
        }
      });
      return new Response(JSON.stringify(out), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    }),
  );
  vi.stubGlobal('confirm', () => true);
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
const viewer = { ...operator, role: 'viewer' } as User;
const admin = { ...operator, role: 'admin' } as User;

function renderWith(ui: React.ReactNode, user: User = operator) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <SessionContext.Provider value={{ user, logout: async () => {} }}>
        <MemoryRouter>{ui}</MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}

const t = '2026-11-29T01:00:00Z';
type Incident = ProcedureOutput<'incidentCommander.get'>;
function incident(extra: Partial<Incident> = {}): Incident {
  return {
    id: 7,
    title: 'checkout p99 high',
    description: '',
    severity: 'high',
    status: 'detected',
    source: 'alertmanager',
    service: 'checkout',
    labels: { service: 'checkout' },
    affectedServices: ['checkout'],
    alertCount: 1,
    reopenCount: 0,
    flapping: false,
    rootCause: null,
    acknowledgedBy: null,
    acknowledgedAt: null,
    resolvedAt: null,
    lastSignalAt: t,
    detectedAt: t,
    updatedAt: t,
    timeline: [],
    timelineCount: 0,
    alerts: [],
    ...extra,
  };
}

describe('fieldErrors', () => {
  it('maps a validation message to the field it names, else keeps it form-level', () => {
    const bad = new ApiError('threshold: must be in (0, 1]', 'BAD_REQUEST', 400, 'p');
    expect(fieldErrors(bad, ['threshold']).byField).toEqual({
      threshold: 'threshold: must be in (0, 1]',
    });
    expect(fieldErrors(bad, ['name']).form).toBe(bad);
    const nested = new ApiError('labels.team: expected a string', 'BAD_REQUEST', 400, 'p');
    expect(Object.keys(fieldErrors(nested, ['labels']).byField)).toEqual(['labels']);
    const denied = new ApiError('threshold: no', 'FORBIDDEN', 403, 'p');
    expect(fieldErrors(denied, ['threshold']).form).toBe(denied);
    expect(fieldErrors(null, ['x'])).toEqual({ byField: {}, form: null });
  });
});

describe('IncidentControls', () => {
  it('sends only the changed fields, then adds a note', async () => {
    routes = {
      'incidentCommander.update': () => incident({ severity: 'critical', status: 'mitigating' }),
      'incidentCommander.addNote': () => incident(),
    };
    renderWith(<IncidentControls incident={incident()} />);
    const save = screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Severity'), { target: { value: 'critical' } });
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'mitigating' } });
    fireEvent.click(save);
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'incidentCommander.update')?.input).toEqual({
        id: 7,
        status: 'mitigating',
        severity: 'critical',
      }),
    );
    fireEvent.change(screen.getByLabelText('Note'), {
      target: { value: '  rolled back the deploy  ' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add note' }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'incidentCommander.addNote')?.input).toEqual({
        id: 7,
        note: 'rolled back the deploy',
      }),
    );
    await waitFor(() =>
      expect((screen.getByLabelText('Note') as HTMLTextAreaElement).value).toBe(''),
    );
  });

  it("shows the server's refusal of an unknown assignee beside the assignee field", async () => {
    routes = {
      'incidentCommander.update': () => {
        throw new RpcError('assignee: no user named "mallory"');
      },
    };
    renderWith(<IncidentControls incident={incident()} />);
    const field = screen.getByLabelText(/Assign to/);
    fireEvent.change(field, { target: { value: 'mallory' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const label = field.closest('label') as HTMLElement;
    expect((await within(label).findByRole('alert')).textContent).toContain('no user named');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(calls.find((c) => c.path === 'incidentCommander.update')?.input).toEqual({
      id: 7,
      assignee: 'mallory',
    });
  });

  it('unassigns with "-" and is hidden from viewers', async () => {
    routes = { 'incidentCommander.update': () => incident() };
    const view = renderWith(<IncidentControls incident={incident()} />);
    fireEvent.change(screen.getByLabelText(/Assign to/), { target: { value: '-' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'incidentCommander.update')?.input).toEqual({
        id: 7,
        assignee: null,
      }),
    );
    view.unmount();
    renderWith(<IncidentControls incident={incident()} />, viewer);
    expect(screen.queryByRole('form', { name: 'Update incident' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add note' })).toBeNull();
  });
});

describe('AnomalyEvidence', () => {
  const anomaly = {
    alertname: 'Anomaly: latency',
    annotations: {
      summary: 'Anomaly in http_p99{service="api"} (watch latency)',
      score: '0.973',
      window: '2026-11-29T00:00:00Z/2026-11-29T01:00:00Z',
      query: 'http_p99',
      evidence: JSON.stringify([
        { t: 100, v: 1.5, score: 0.1 },
        { t: 160, v: null, score: 0.2 },
        { t: 220, v: 9.5, score: 0.973 },
      ]),
    },
    attachedAt: t,
    endsAt: null,
    fingerprint: 'f1',
    generatorUrl: '',
    labels: {},
    receiveCount: 1,
    resolvedAt: null,
    severity: 'high',
    startsAt: t,
    status: 'firing' as const,
  };
  it('charts the value and the score of each anomaly signal and skips plain alerts', () => {
    const plain = { ...anomaly, fingerprint: 'f2', annotations: { summary: 'disk full' } };
    const broken = { ...anomaly, fingerprint: 'f3', annotations: { evidence: '{not json' } };
    expect(parseEvidence(plain)).toBeNull();
    expect(parseEvidence(broken)).toBeNull();
    renderWith(<AnomalyEvidence alerts={[plain, anomaly, broken]} />);
    const charts = screen.getAllByTestId('chart').map((c) => c.textContent);
    expect(charts).toEqual(['value:3:1.5,,9.5', 'anomaly score:3:0.1,0.2,0.973']);
    expect(screen.getByText(/score 0.973/)).toBeTruthy();
    expect(screen.getByText('http_p99')).toBeTruthy();
  });
  it('renders nothing without evidence', () => {
    const view = renderWith(<AnomalyEvidence alerts={[]} />);
    expect(view.container.textContent).toBe('');
  });
});

const runbook = {
  id: 1,
  name: 'restart-api',
  description: 'Restart the API',
  definition: 'name: restart-api\nsteps: []\n',
  triggerConditions: {},
  steps: [],
  version: 2,
  requiresApproval: true,
  autoExecute: false,
  enabled: true,
  source: 'manual' as const,
  successCount: 3,
  failureCount: 1,
  createdAt: t,
  updatedAt: t,
};
const page = (items: unknown[]) => ({ items, total: items.length, limit: 200, offset: 0 });

describe('RunbooksPage', () => {
  it('creates a runbook and shows a definition error beside the definition', async () => {
    let created = 0;
    routes = {
      'incidentCommander.listRunbooks': () => page([runbook]),
      'incidentCommander.createRunbook': (input) => {
        created += 1;
        if (String((input as { definition: string }).definition).includes('rm -rf')) {
          throw new RpcError('steps[0].command.argv: expected a list of strings');
        }
        return runbook;
      },
    };
    renderWith(<RunbooksPage />);
    await screen.findByText('restart-api');
    fireEvent.click(screen.getByRole('tab', { name: 'YAML' }));
    const def = screen.getByLabelText('Definition (YAML)') as HTMLTextAreaElement;
    expect(def.value).toContain('name: restart-service');
    fireEvent.change(def, { target: { value: 'name: x\nsteps:\n  - command: {argv: rm -rf}\n' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create runbook' }));
    const label = def.closest('label') as HTMLElement;
    expect((await within(label).findByRole('alert')).textContent).toContain(
      'steps[0].command.argv',
    );
    fireEvent.change(def, { target: { value: 'name: ok\nsteps: []\n' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create runbook' }));
    await waitFor(() => expect(created).toBe(2));
    await waitFor(() => expect(within(label).queryByRole('alert')).toBeNull());
  });

  it('labels runbooks learned from incidents, and says a disabled one is a draft to review', async () => {
    const learned = { ...runbook, id: 2, name: 'learned-checkout', source: 'generated' as const };
    routes = {
      'incidentCommander.listRunbooks': () =>
        page([runbook, { ...learned, enabled: false }, { ...learned, id: 3, name: 'learned-db' }]),
    };
    renderWith(<RunbooksPage />);
    const row = async (name: string) =>
      (await screen.findByText(name)).closest('tr') as HTMLElement;
    expect(
      within(await row('learned-checkout')).getByText(/^draft: learned from incidents/),
    ).toBeTruthy();
    expect(within(await row('learned-db')).getByText('learned from incidents')).toBeTruthy();
    expect(within(await row('restart-api')).queryByText(/learned from incidents/)).toBeNull();
  });

  it("lists every execution waiting for approval, the assistant's proposals included", async () => {
    let status = 'awaiting_approval';
    const execution = () => ({
      id: 41,
      runbookId: 1,
      runbookName: 'restart-api',
      incidentId: null,
      status,
      dryRun: false,
      triggeredBy: 'assistant for vera',
      currentStep: -1,
      steps: [],
      parameters: {},
      approvals: [],
      awaiting:
        status === 'awaiting_approval'
          ? { stepIndex: -1, what: 'the runbook', requestedBy: 'assistant for vera' }
          : null,
      error: null,
      createdAt: t,
      startedAt: null,
      completedAt: null,
    });
    routes = {
      'incidentCommander.listRunbooks': () => page([runbook]),
      'incidentCommander.listExecutions': (input) => {
        expect((input as { status?: string }).status).toBe('awaiting_approval');
        return page(status === 'awaiting_approval' ? [execution()] : []);
      },
      'incidentCommander.approveExecution': () => {
        status = 'pending';
        return execution();
      },
    };
    renderWith(<RunbooksPage />);
    const card = await screen.findByRole('article', { name: 'Execution 41' });
    expect(card.textContent).toContain('started by assistant for vera');
    fireEvent.click(within(card).getByRole('button', { name: 'Approve' }));
    await screen.findByText('Nothing waits for an approval');
    expect(calls.find((c) => c.path === 'incidentCommander.approveExecution')?.input).toEqual({
      id: 41,
    });
  });

  it('edits as a new version, toggles, and offers delete to admins only', async () => {
    routes = {
      'incidentCommander.listRunbooks': () => page([runbook]),
      'incidentCommander.updateRunbook': () => ({ ...runbook, version: 3 }),
      'incidentCommander.deleteRunbook': () => ({ deleted: true }),
    };
    const view = renderWith(<RunbooksPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit restart-api' }));
    fireEvent.click(screen.getByRole('tab', { name: 'YAML' }));
    const def = screen.getByLabelText('Definition (YAML)') as HTMLTextAreaElement;
    expect(def.value).toBe(runbook.definition);
    fireEvent.change(def, { target: { value: 'name: restart-api\nsteps: []\n# v3\n' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save as new version' }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'incidentCommander.updateRunbook')?.input).toEqual({
        id: 1,
        definition: 'name: restart-api\nsteps: []\n# v3\n',
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Disable' }));
    await waitFor(() =>
      expect(calls.filter((c) => c.path === 'incidentCommander.updateRunbook')[1]?.input).toEqual({
        id: 1,
        enabled: false,
      }),
    );
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
    view.unmount();
    renderWith(<RunbooksPage />, admin);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete' }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'incidentCommander.deleteRunbook')?.input).toEqual({
        id: 1,
      }),
    );
  });

  it('is read-only for viewers', async () => {
    routes = { 'incidentCommander.listRunbooks': () => page([runbook]) };
    renderWith(<RunbooksPage />, viewer);
    await screen.findByText('restart-api');
    expect(screen.queryByLabelText('Definition (YAML)')).toBeNull();
    expect(screen.queryByRole('tab', { name: 'Steps' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Edit/ })).toBeNull();
  });
});

const watch = {
  id: 4,
  name: 'latency',
  query: 'histogram_quantile(0.99, rate(http_bucket[5m]))',
  stepSeconds: 60,
  windowSeconds: 86400,
  threshold: 0.9,
  severity: 'high' as const,
  labels: { team: 'web' },
  enabled: true,
  lastRunAt: null,
  lastError: 'query: bad_data: parse error',
  createdAt: t,
  updatedAt: t,
};

describe('WatchesPage', () => {
  it('parses labels and names a malformed entry', () => {
    expect(parseLabels('team=web, tier = db ,')).toEqual({ team: 'web', tier: 'db' });
    expect(parseLabels('team')).toBe('labels: "team" is not name=value');
    expect(parseLabels('')).toEqual({});
  });

  it("creates a watch and shows the server's threshold error beside the threshold", async () => {
    routes = {
      'incidentCommander.listWatches': () => ({ items: [watch] }),
      'incidentCommander.createWatch': (input) => {
        if ((input as { threshold: number }).threshold > 1) {
          throw new RpcError('threshold: must be in (0, 1]');
        }
        return watch;
      },
    };
    renderWith(<WatchesPage />);
    await screen.findByText('latency');
    expect(screen.getByText('query: bad_data: parse error')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'errors' } });
    fireEvent.change(screen.getByLabelText('PromQL query'), {
      target: { value: 'rate(errors[5m])' },
    });
    fireEvent.change(screen.getByLabelText('Threshold (0–1]'), { target: { value: '5' } });
    fireEvent.change(screen.getByLabelText(/Labels/), { target: { value: 'team=web' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create watch' }));
    const threshold = screen.getByLabelText('Threshold (0–1]');
    const label = threshold.closest('label') as HTMLElement;
    expect((await within(label).findByRole('alert')).textContent).toContain('must be in (0, 1]');
    expect(calls.find((c) => c.path === 'incidentCommander.createWatch')?.input).toEqual({
      name: 'errors',
      query: 'rate(errors[5m])',
      stepSeconds: 60,
      windowSeconds: 86400,
      threshold: 5,
      severity: 'medium',
      labels: { team: 'web' },
      enabled: true,
    });
    // A malformed label never reaches the server.
    fireEvent.change(screen.getByLabelText(/Labels/), { target: { value: 'oops' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create watch' }));
    const labels = screen.getByLabelText(/Labels/).closest('label') as HTMLElement;
    expect((await within(labels).findByRole('alert')).textContent).toContain('"oops"');
    expect(calls.filter((c) => c.path === 'incidentCommander.createWatch')).toHaveLength(1);
  });

  it('edits, evaluates now and deletes; viewers only read', async () => {
    routes = {
      'incidentCommander.listWatches': () => ({ items: [watch] }),
      'incidentCommander.updateWatch': () => ({ ...watch, threshold: 0.95 }),
      'incidentCommander.evaluateWatch': () => ({
        watchId: 4,
        series: [{ series: 'http{}', points: 60, maxScore: 0.42, firing: false, fingerprint: 'x' }],
        signals: 0,
        ingest: null,
      }),
      'incidentCommander.deleteWatch': () => ({ deleted: true }),
    };
    const view = renderWith(<WatchesPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit latency' }));
    expect((screen.getByLabelText(/Labels/) as HTMLInputElement).value).toBe('team=web');
    fireEvent.change(screen.getByLabelText('Threshold (0–1]'), { target: { value: '0.95' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'incidentCommander.updateWatch')?.input).toMatchObject({
        id: 4,
        threshold: 0.95,
        labels: { team: 'web' },
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Evaluate now' }));
    expect((await screen.findByRole('status')).textContent).toContain('max score 0.420');
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'incidentCommander.deleteWatch')?.input).toEqual({
        id: 4,
      }),
    );
    view.unmount();
    renderWith(<WatchesPage />, viewer);
    await screen.findByText('latency');
    expect(screen.queryByRole('button', { name: 'Evaluate now' })).toBeNull();
    expect(screen.queryByLabelText('PromQL query')).toBeNull();
  });
});
