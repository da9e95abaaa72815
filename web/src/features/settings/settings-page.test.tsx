// Settings against the tRPC stub: users page through the server's limit/offset with the offset in
// the address; tokens page client-side (tokens.list answers all) with "show revoked" and the
// offset in the address; integrations read-only with the setting that changes each; viewers
// are offered nothing.
import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderWithSession } from '../../testing/render';
import { page, stubTrpc, type TrpcStub } from '../../testing/stub-trpc';
import { SettingsPage } from './settings-page';

function user(id: number) {
  return {
    id,
    username: `user${id}`,
    role: 'viewer',
    disabled: false,
    createdAt: '2026-11-28T00:00:00Z',
    lastLoginAt: null,
  };
}

function token(id: number, revoked = false) {
  return {
    id,
    name: `token-${id}`,
    prefix: `dai_${id}`,
    role: 'operator',
    userId: 1,
    createdAt: '2026-11-28T00:00:00Z',
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: revoked ? '2026-11-28T01:00:00Z' : null,
  };
}

let trpc: TrpcStub;

beforeEach(() => {
  trpc = stubTrpc({
    'users.list': (input) => {
      const { limit, offset } = input as { limit: number; offset: number };
      const all = Array.from({ length: 60 }, (_, i) => user(i + 1));
      return page(all.slice(offset, offset + limit), all.length, offset, limit);
    },
    'tokens.list': (input) => {
      const all = Array.from({ length: 30 }, (_, i) => token(i + 1));
      if ((input as { includeRevoked?: boolean }).includeRevoked) all.push(token(99, true));
      return { items: all };
    },
    'system.info': () => ({
      version: '0.1.0',
      store: 'sqlite',
      schemaVersion: 14,
      startedAt: '2026-11-28T00:00:00Z',
      integrations: {
        prometheus: { configured: true, url: 'http://127.0.0.1:9090' },
        alertmanager: { configured: false, url: null },
        kubernetes: { configured: false, url: null },
        llm: { configured: false, url: null },
      },
    }),
    'notifications.listChannels': () => [
      { id: 1, name: 'ops-slack', type: 'slack', enabled: true },
      { id: 2, name: 'pager', type: 'webhook', enabled: false },
    ],
  });
});

describe('SettingsPage', () => {
  it('pages users through the server with the offset in the address', async () => {
    const r = renderWithSession(<SettingsPage />, { role: 'admin', route: '/settings' });
    const users = (await screen.findByRole('heading', { name: 'Users' })).closest(
      'section',
    ) as HTMLElement;
    await within(users).findByText('1–25 of 60');
    fireEvent.click(within(users).getByRole('button', { name: 'Next' }));
    await within(users).findByText('26–50 of 60');
    expect(await within(users).findByText('user26')).toBeTruthy();
    expect(r.location()).toBe('/settings?usersOffset=25');
    expect(trpc.callsTo('users.list').at(-1)?.input).toEqual({ limit: 25, offset: 25 });
  });

  it('opens at the page the address names', async () => {
    renderWithSession(<SettingsPage />, { role: 'admin', route: '/settings?usersOffset=50' });
    expect(await screen.findByText('51–60 of 60')).toBeTruthy();
    expect(screen.getByText('user60')).toBeTruthy();
  });

  it('pages tokens client-side and keeps "show revoked" in the address', async () => {
    const r = renderWithSession(<SettingsPage />, {
      role: 'admin',
      route: '/settings?tab=tokens&tokensOffset=25',
    });
    const list = (await screen.findByRole('heading', { name: 'API tokens' })).closest(
      'section',
    ) as HTMLElement;
    await within(list).findByText('26–30 of 30');
    expect(within(list).getByText('token-26')).toBeTruthy();
    expect(within(list).queryByText('token-1')).toBeNull();
    fireEvent.click(within(list).getByRole('checkbox', { name: 'Show revoked' }));
    // A new filter goes back to the first page.
    await waitFor(() => expect(r.location()).toBe('/settings?tab=tokens&revoked=1'));
    await within(list).findByText('1–25 of 31');
    expect(trpc.callsTo('tokens.list').at(-1)?.input).toEqual({ includeRevoked: true });
  });

  it('shows integrations read-only with the setting that changes each', async () => {
    renderWithSession(<SettingsPage />, { role: 'admin', route: '/settings?tab=integrations' });
    const prom = await screen.findByTestId('integration-prometheus');
    expect(prom.textContent).toContain('configured');
    expect(prom.textContent).toContain('http://127.0.0.1:9090');
    expect(prom.textContent).toContain('--prometheus-url');
    expect(prom.textContent).toContain('DEVOPS_AI_PROMETHEUS_URL');
    expect(screen.getByTestId('integration-kubernetes').textContent).toContain('--kube-context');
    expect(screen.getByTestId('integration-llm').textContent).toMatch(/not configured.*llm_url/);
    const channels = screen.getByTestId('integration-channels');
    await within(channels).findByText(/1 of 2 enabled/);
    expect(
      within(channels)
        .getByRole('link', { name: 'Edit on the Notifications page' })
        .getAttribute('href'),
    ).toBe('/notifications');
    // Nothing here edits an integration.
    expect(screen.queryByRole('textbox')).toBeNull();
  });

  it('offers viewers nothing and calls no admin procedure', async () => {
    renderWithSession(<SettingsPage />, { role: 'viewer', route: '/settings' });
    expect(await screen.findByText('Settings are for administrators')).toBeTruthy();
    expect(trpc.calls.length).toBe(0);
  });
});
