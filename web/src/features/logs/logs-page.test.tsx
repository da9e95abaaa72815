// The Logs page against a mocked tRPC server: templates ranked by change with sparkline,
// level and examples; signals; sources; an operator marks a template, a viewer cannot.
import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { stubTrpc } from '../../testing/stub-trpc';
import type { User } from '../../lib/session';
import { renderWithSession } from '../../testing/render';
import { LogsPage } from './logs-page';

function template(id: number, text: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    sourceId: 1,
    sourceName: 'api',
    template: text,
    level: 'error',
    mark: 'none',
    total: 120,
    firstSeen: '2026-11-29T00:00:00.000Z',
    lastSeen: '2026-11-29T01:00:00.000Z',
    windowCount: 100,
    previousCount: 20,
    change: 4.809,
    isNew: false,
    sparkline: [0, 1, 2, 50, 47],
    examples: ['ERROR query 7 failed: deadlock detected'],
    ...extra,
  };
}

let calls: { path: string; input: unknown }[];

function answer(path: string, input: unknown): unknown {
  const page = (items: unknown[]) => ({ items, total: items.length, limit: 50, offset: 0 });
  switch (path) {
    case 'logs.listTemplates':
      return page([
        template(1, 'query <*> failed: deadlock detected'),
        template(2, 'user <*> logged in', { level: 'info', isNew: true, previousCount: 0 }),
      ]);
    case 'logs.listSignals':
      return page([
        {
          id: 3,
          kind: 'LogErrorBurst',
          status: 'firing',
          severity: 'high',
          summary: 'Error burst in api: 41 error lines in a minute (median of the hour before: 1)',
          sourceId: 1,
          sourceName: 'api',
          templateId: null,
          template: null,
          details: {},
          count: 1,
          firedAt: '2026-11-29T01:00:00.000Z',
          lastAt: '2026-11-29T01:00:00.000Z',
          resolvedAt: null,
        },
      ]);
    case 'logs.listSources':
      return [
        {
          id: 1,
          name: 'api',
          kind: 'file',
          path: '/var/log/api.log',
          format: '',
          masks: [],
          units: [],
          kubernetes: null,
          enabled: true,
          linesTotal: 5000,
          rejectedTotal: 2,
          rejectedReasons: { binary: 2 },
          templates: 2,
          lastError: null,
          lastLineAt: '2026-11-29T01:00:00.000Z',
          createdAt: '2026-11-29T00:00:00.000Z',
        },
        {
          id: 2,
          name: 'shop-pods',
          kind: 'kubernetes',
          path: '',
          format: '',
          masks: [],
          units: [],
          kubernetes: { namespace: 'shop', selector: 'app=web', container: '' },
          enabled: true,
          linesTotal: 40,
          rejectedTotal: 0,
          rejectedReasons: {},
          templates: 1,
          lastError: null,
          lastLineAt: '2026-11-29T01:00:00.000Z',
          createdAt: '2026-11-29T00:00:00.000Z',
        },
      ];
    case 'logs.markTemplate':
      return { id: (input as { id: number }).id };
    default:
      throw new Error(`unexpected ${path}`);
  }
}

beforeEach(() => {
  // Every procedure is answered by answer(); stubTrpc speaks the batch wire format.
  const trpc = stubTrpc(
    new Proxy({}, { get: (_routes, path) => (input: unknown) => answer(String(path), input) }),
  );
  calls = trpc.calls;
});

function renderAs(role: User['role'], route = '/logs') {
  return renderWithSession(<LogsPage />, { role, route });
}

describe('LogsPage', () => {
  it('shows templates ranked by change, signals and sources', async () => {
    renderAs('viewer');
    const rows = await screen.findAllByTestId('log-template');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByText('query <*> failed: deadlock detected')).toBeTruthy();
    expect(within(rows[0]!).getByText('ERROR query 7 failed: deadlock detected')).toBeTruthy();
    expect(within(rows[0]!).getByText('+381%')).toBeTruthy();
    expect(within(rows[0]!).getByRole('img', { name: 'Counts of template 1' })).toBeTruthy();
    expect(within(rows[1]!).getByText('new')).toBeTruthy();
    expect(await screen.findByText(/Error burst in api: 41 error lines/)).toBeTruthy();
    expect(await screen.findByText('/var/log/api.log')).toBeTruthy();
    expect(await screen.findByText(/shop app=web/)).toBeTruthy();
    // The first request asks for the ranking by change over the last hour.
    const first = calls.find((c) => c.path === 'logs.listTemplates');
    expect(first?.input).toEqual({ sort: 'change', windowMinutes: 60, offset: 0, limit: 50 });
    // A viewer cannot mark templates.
    expect(screen.queryByRole('combobox', { name: 'Mark template 1' })).toBeNull();
  });

  it('lets an operator mark a template as noise', async () => {
    renderAs('operator');
    const select = await screen.findByRole('combobox', { name: 'Mark template 1' });
    fireEvent.change(select, { target: { value: 'noise' } });
    await waitFor(() => expect(calls.some((c) => c.path === 'logs.markTemplate')).toBe(true));
    expect(calls.find((c) => c.path === 'logs.markTemplate')?.input).toEqual({
      id: 1,
      mark: 'noise',
    });
  });

  it('filters by level and search text', async () => {
    const r = renderAs('viewer');
    await screen.findAllByTestId('log-template');
    fireEvent.change(screen.getByRole('combobox', { name: /Level at least/ }), {
      target: { value: 'error' },
    });
    fireEvent.change(screen.getByRole('searchbox', { name: /Search/ }), {
      target: { value: 'deadlock' },
    });
    await waitFor(() =>
      expect(
        calls.some(
          (c) =>
            c.path === 'logs.listTemplates' &&
            (c.input as { minLevel?: string; search?: string }).minLevel === 'error' &&
            (c.input as { search?: string }).search === 'deadlock',
        ),
      ).toBe(true),
    );
    // The filters are in the address, so the view can be shared.
    expect(r.location()).toBe('/logs?level=error&q=deadlock');
  });

  it('opens with the filters and the page the address names', async () => {
    renderAs('viewer', '/logs?level=warn&window=360&sort=count&templatesOffset=50');
    await screen.findAllByTestId('log-template');
    expect(calls.find((c) => c.path === 'logs.listTemplates')?.input).toEqual({
      sort: 'count',
      windowMinutes: 360,
      minLevel: 'warn',
      limit: 50,
      offset: 50,
    });
    expect(
      (screen.getByRole('combobox', { name: /Level at least/ }) as HTMLSelectElement).value,
    ).toBe('warn');
    expect((screen.getByRole('combobox', { name: /Window/ }) as HTMLSelectElement).value).toBe(
      '360',
    );
  });
});
