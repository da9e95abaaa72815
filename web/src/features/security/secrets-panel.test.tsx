// The Security page's secrets panel against a mocked tRPC server speaking the batch wire format:
// redacted findings with their commit, filters and the page kept in the URL (and read back from
// it), pagination, the scan form for operators only, and the server's error shown as sent.
import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, useLocation } from 'react-router';
import { stubTrpc, trpcError, type TrpcStub } from '../../testing/stub-trpc';
import { SessionContext, type User } from '../../lib/session';
import { SecretsPanel } from './secrets-panel';

let stub: TrpcStub;

beforeEach(() => {
  stub = stubTrpc({});
});

function user(role: 'viewer' | 'operator'): User {
  return {
    id: 2,
    username: 'bob',
    role,
    disabled: false,
    createdAt: '2026-11-28T00:00:00Z',
    lastLoginAt: null,
  } as User;
}

function Search() {
  return <output data-testid="search">{useLocation().search}</output>;
}

function renderWith(ui: React.ReactNode, u: User, url = '/security') {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <MemoryRouter initialEntries={[url]}>
      <QueryClientProvider client={qc}>
        <SessionContext.Provider value={{ user: u, logout: async () => {} }}>
          {ui}
          <Search />
        </SessionContext.Provider>
      </QueryClientProvider>
    </MemoryRouter>,
  );
}

function finding(id: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    scanId: 7,
    ruleId: 'aws-access-key-id',
    description: 'AWS access key ID',
    severity: 'critical',
    source: 'tree',
    file: `app/settings${id}.py`,
    line: 2,
    column: 8,
    commit: null,
    authorDate: null,
    fingerprint: `aws-access-key-id:app/settings${id}.py:00112233aabbccdd`,
    redacted: 'AKIA****',
    entropy: 3.9,
    status: 'open',
    createdAt: '2026-11-29T03:00:00Z',
    ...extra,
  };
}

type Query = { limit?: number; offset?: number; severity?: string; source?: string; file?: string };

describe('SecretsPanel', () => {
  // Several round trips through the router and the query cache: slow on a loaded CI machine.
  it(
    'lists redacted findings and keeps filters and the page in the URL',
    { timeout: 30000 },
    async () => {
      const all = [
        finding(1),
        finding(2, {
          source: 'history',
          commit: '0123456789abcdef0123456789abcdef01234567',
          authorDate: '2023-11-14T22:13:20Z',
          severity: 'high',
          ruleId: 'github-pat',
          redacted: 'ghp_****',
        }),
        ...Array.from({ length: 28 }, (_, i) => finding(10 + i)),
      ];
      stub.routes = {
        'securityGuardian.getSecretFindings': (input) => {
          const q = input as Query;
          let items = all;
          if (q.severity) items = items.filter((f) => f.severity === q.severity);
          if (q.source) items = items.filter((f) => f.source === q.source);
          if (q.file) items = items.filter((f) => f.file.includes(q.file!));
          const offset = q.offset ?? 0;
          return {
            items: items.slice(offset, offset + (q.limit ?? 50)),
            total: items.length,
            limit: q.limit ?? 50,
            offset,
          };
        },
      };
      renderWith(<SecretsPanel />, user('viewer'));
      expect(await screen.findByText('app/settings1.py:2')).toBeTruthy();
      expect(screen.getByText('0123456789ab')).toBeTruthy();
      expect(screen.getAllByText('AKIA****').length).toBeGreaterThan(1);
      expect(screen.getByText('1–25 of 30')).toBeTruthy();
      fireEvent.click(screen.getByRole('button', { name: 'Next' }));
      expect(await screen.findByText('26–30 of 30')).toBeTruthy();
      expect(screen.getByTestId('search').textContent).toBe('?secOffset=25');
      fireEvent.change(screen.getByLabelText('Source'), { target: { value: 'history' } });
      expect(await screen.findByText('1–1 of 1')).toBeTruthy();
      // A new filter starts at the first page.
      expect(screen.getByTestId('search').textContent).toBe('?secSource=history');
      expect(screen.getByText('ghp_****')).toBeTruthy();
      expect(screen.queryByRole('button', { name: 'Scan' })).toBeNull();
      const last = stub.calls.filter((c) => c.path === 'securityGuardian.getSecretFindings').pop();
      expect(last?.input).toEqual({ limit: 25, offset: 0, source: 'history' });
    },
  );

  it('reads filters from the URL it is opened with', async () => {
    stub.routes = {
      'securityGuardian.getSecretFindings': () => ({ items: [], total: 0, limit: 25, offset: 0 }),
    };
    renderWith(
      <SecretsPanel />,
      user('viewer'),
      '/security?secSeverity=high&secFile=src%2F&secScan=3',
    );
    expect(await screen.findByText('Nothing matches these filters.')).toBeTruthy();
    expect(stub.calls.find((c) => c.path === 'securityGuardian.getSecretFindings')?.input).toEqual({
      limit: 25,
      offset: 0,
      severity: 'high',
      file: 'src/',
      scanId: 3,
    });
    expect((screen.getByLabelText('Severity') as HTMLSelectElement).value).toBe('high');
  });

  it('starts a secrets scan with history and shows the server error', async () => {
    const scans: unknown[] = [];
    stub.routes = {
      'securityGuardian.getSecretFindings': () => ({ items: [], total: 0, limit: 25, offset: 0 }),
      'securityGuardian.scan': (input) => {
        scans.push(input);
        throw trpcError('BAD_REQUEST', 'input.target: /etc is outside the allowed scan roots');
      },
    };
    renderWith(<SecretsPanel />, user('operator'));
    fireEvent.change(screen.getByLabelText('Directory or repository'), {
      target: { value: '/etc' },
    });
    fireEvent.click(screen.getByLabelText('Include git history'));
    fireEvent.click(screen.getByRole('button', { name: 'Scan' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(
      /outside the allowed scan roots/,
    );
    await waitFor(() =>
      expect(scans).toEqual([{ scanType: 'secrets', target: '/etc', history: true }]),
    );
  });
});
