// The Security page's managed-secrets panel against a mocked tRPC server speaking the batch wire
// format: admins see each secret's target, version and last rotation; a dry run shows what would
// change; "Rotate" asks for confirmation first and sends nothing when declined; a failed
// rotation shows the server's message; viewers and operators do not see the panel.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import { stubTrpc, trpcError, type TrpcStub } from '../../testing/stub-trpc';
import { SessionContext, type User } from '../../lib/session';
import { ManagedSecretsPanel, describeTarget } from './managed-secrets-panel';

let stub: TrpcStub;

beforeEach(() => {
  stub = stubTrpc({});
});

function user(role: 'viewer' | 'operator' | 'admin'): User {
  return {
    id: 2,
    username: 'bob',
    role,
    disabled: false,
    createdAt: '2026-11-28T00:00:00Z',
    lastLoginAt: null,
  } as User;
}

function renderWith(ui: React.ReactNode, u: User) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <MemoryRouter initialEntries={['/security']}>
      <QueryClientProvider client={qc}>
        <SessionContext.Provider value={{ user: u, logout: async () => {} }}>
          {ui}
        </SessionContext.Provider>
      </QueryClientProvider>
    </MemoryRouter>,
  );
}

const secrets = [
  {
    id: 1,
    name: 'app-db',
    provider: 'postgres',
    config: {
      adminUrl: '<redacted>',
      role: 'app_user',
      consumer: { type: 'file', path: '/etc/app/db.env', key: 'PGPASSWORD' },
      length: 32,
      alphabet: 'alnum',
    },
    version: 3,
    lastRotatedAt: '2026-11-29T10:00:00Z',
    createdBy: 'root',
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-29T10:00:00Z',
    lastRotation: {
      id: 9,
      status: 'completed',
      dryRun: false,
      error: null,
      requestedBy: 'root',
      startedAt: '2026-11-29T10:00:00Z',
      completedAt: '2026-11-29T10:00:01Z',
    },
  },
  {
    id: 2,
    name: 'partner-key',
    provider: 'webhook',
    config: { url: 'https://hooks.example.org/rotate', signingSecret: '<redacted>' },
    version: 0,
    lastRotatedAt: null,
    createdBy: 'root',
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-01T00:00:00Z',
    lastRotation: {
      id: 4,
      status: 'failed',
      dryRun: false,
      error: 'UNAVAILABLE: webhook POST https://hooks.example.org/rotate: answered HTTP 500',
      requestedBy: 'root',
      startedAt: '2026-11-02T00:00:00Z',
      completedAt: '2026-11-02T00:00:02Z',
    },
  },
];

describe('ManagedSecretsPanel', () => {
  it('describes targets from the redacted config', () => {
    expect(describeTarget(secrets[0] as never)).toBe(
      'role app_user → /etc/app/db.env · PGPASSWORD=',
    );
    expect(describeTarget(secrets[1] as never)).toBe('https://hooks.example.org/rotate');
  });

  it(
    'lists secrets, dry-runs, and rotates only after confirmation',
    { timeout: 30000 },
    async () => {
      const rotations: { provider: string; secretRef: string; dryRun: boolean }[] = [];
      stub.routes = {
        'securityGuardian.listManagedSecrets': () => ({ items: secrets }),
        'securityGuardian.rotateSecrets': (input) => {
          const i = input as { provider: string; secretRef: string; dryRun: boolean };
          rotations.push(i);
          if (i.secretRef === 'partner-key')
            throw trpcError('BAD_REQUEST', 'rotation 5 of "partner-key" failed; HTTP 500');
          return i.dryRun
            ? {
                secret: i.secretRef,
                provider: i.provider,
                dryRun: true,
                status: 'dry_run',
                rotationId: 10,
                version: 3,
                wouldDo: ['write the new value to the consumer, file "/etc/app/db.env"'],
                checks: [
                  { target: 'PostgreSQL role "app_user" on db:5432', ok: true, error: null },
                ],
                ready: true,
              }
            : {
                secret: i.secretRef,
                provider: i.provider,
                dryRun: false,
                status: 'completed',
                rotationId: 11,
                version: 4,
                done: [],
                rotatedAt: '2026-11-29T11:00:00Z',
              };
        },
      };
      renderWith(<ManagedSecretsPanel />, user('admin'));
      expect(await screen.findByText('app-db')).toBeTruthy();
      expect(screen.getByText(/answered HTTP 500/)).toBeTruthy();
      expect(screen.getByText('never')).toBeTruthy();
      expect(document.body.textContent).not.toMatch(/sealed|v1:/);

      fireEvent.click(screen.getByRole('button', { name: 'Dry run app-db' }));
      expect(await screen.findByText(/Dry run of app-db: ready/)).toBeTruthy();
      expect(rotations[0]).toEqual({ provider: 'postgres', secretRef: 'app-db', dryRun: true });

      const confirm = vi.fn(() => false);
      vi.stubGlobal('confirm', confirm);
      fireEvent.click(screen.getByRole('button', { name: 'Rotate app-db' }));
      expect(confirm).toHaveBeenCalledOnce();
      expect(rotations.length).toBe(1); // declined: nothing sent

      confirm.mockReturnValue(true);
      fireEvent.click(screen.getByRole('button', { name: 'Rotate app-db' }));
      expect(await screen.findByText('Rotated app-db: version 4')).toBeTruthy();
      expect(rotations[1]).toEqual({ provider: 'postgres', secretRef: 'app-db', dryRun: false });

      fireEvent.click(screen.getByRole('button', { name: 'Rotate partner-key' }));
      expect(await screen.findByText('Rotation failed')).toBeTruthy();
      await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/HTTP 500/));
    },
  );

  it('is not shown below admin', () => {
    stub.routes = {};
    const { container } = renderWith(<ManagedSecretsPanel />, user('operator'));
    expect(container.textContent).toBe('');
    expect(stub.calls.length).toBe(0);
  });
});
