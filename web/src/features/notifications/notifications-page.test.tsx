// The Notifications page against a mocked tRPC server: inbox, delivery log with the receiver's
// answer and retry, channels with secrets redacted, routes, and the admin-only forms.
import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { stubTrpc } from '../../testing/stub-trpc';
import type { User } from '../../lib/session';
import { renderWithSession } from '../../testing/render';
import { NotificationsPage } from './notifications-page';

let calls: { path: string; input: unknown }[];

const delivery = (id: number, status: string, log: unknown[]) => ({
  id,
  channelId: 1,
  channel: 'ops-hook',
  channelType: 'webhook',
  kind: 'incident.open',
  subject: `incident:${id}`,
  state: 'detected/critical',
  severity: 'critical',
  title: `[critical] Incident #${id} detected: Checkout errors`,
  status,
  attempts: log.length,
  lastError: status === 'failed' ? 'HTTP 500: boom' : null,
  responseStatus: status === 'failed' ? 500 : 200,
  deliverAfter: '2026-11-29T10:00:00.000Z',
  createdAt: '2026-11-29T10:00:00.000Z',
  sentAt: status === 'sent' ? '2026-11-29T10:00:01.000Z' : null,
  log,
});

function answer(path: string, input: unknown): unknown {
  const page = (items: unknown[]) => ({ items, total: items.length, limit: 50, offset: 0 });
  switch (path) {
    case 'notifications.inbox':
      return page([
        {
          id: 5,
          kind: 'incident.open',
          subject: 'incident:3',
          state: 'detected/high',
          severity: 'high',
          title: 'Disk filling on db1',
          text: '',
          createdAt: '2026-11-29T10:00:00.000Z',
          read: false,
        },
      ]);
    case 'notifications.listDeliveries':
      if ((input as { offset?: number }).offset === 50) {
        return { items: [delivery(3, 'failed', [])], total: 51, limit: 50, offset: 50 };
      }
      return page([
        delivery(2, 'failed', [
          {
            attempt: 1,
            at: '2026-11-29T10:00:00.000Z',
            outcome: 'failed',
            responseStatus: 500,
            detail: 'HTTP 500: boom',
          },
        ]),
        delivery(1, 'sent', [
          {
            attempt: 1,
            at: '2026-11-29T10:00:00.000Z',
            outcome: 'sent',
            responseStatus: 200,
            detail: 'ok',
          },
        ]),
      ]);
    case 'notifications.listChannels':
      return [
        {
          id: 1,
          name: 'ops-hook',
          type: 'webhook',
          config: { url: 'https://hooks.example.com/x', secret: '<redacted>' },
          rateLimitPerHour: 60,
          enabled: true,
          createdAt: '2026-11-29T09:00:00.000Z',
        },
      ];
    case 'notifications.listRoutes':
      return [
        {
          id: 1,
          name: 'oncall',
          modules: [],
          kinds: ['incident.*'],
          minSeverity: 'high',
          labels: { team: 'web' },
          quietHours: { start: '22:00', end: '07:00', breakFor: 'critical' },
          channels: [1],
          template: null,
          enabled: true,
        },
      ];
    case 'notifications.retry':
      return { queued: true };
    case 'notifications.markRead':
      return { updated: 1 };
    case 'notifications.createChannel':
      return { ...(input as object), id: 2, rateLimitPerHour: 60, enabled: true, createdAt: '' };
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

function renderAs(role: User['role'], route = '/notifications') {
  return renderWithSession(<NotificationsPage />, { role, route });
}

const section = async (name: string) =>
  (await screen.findByRole('heading', { name })).closest('section') as HTMLElement;

describe('NotificationsPage', () => {
  it('shows the inbox, the delivery log with the receiver answers, channels and routes', async () => {
    renderAs('viewer');
    expect(await within(await section('Inbox')).findByText('Disk filling on db1')).toBeTruthy();
    const log = await section('Delivery log');
    expect(await within(log).findByText('failed (500): HTTP 500: boom')).toBeTruthy();
    expect(within(log).getByText('sent (200): ok')).toBeTruthy();
    const channels = await section('Channels');
    expect(await within(channels).findByText('https://hooks.example.com/x')).toBeTruthy();
    expect(within(channels).queryByText(/redacted/)).toBeNull();
    const routes = await section('Routes');
    expect(await within(routes).findByText(/team=web, quiet 22:00–07:00 UTC/)).toBeTruthy();
    // A viewer cannot retry, test or configure.
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
    expect(screen.queryByRole('form', { name: 'Add a channel' })).toBeNull();
  });

  it('lets an operator retry a failed message and mark the inbox read', async () => {
    renderAs('operator');
    fireEvent.click(await screen.findByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(calls.some((c) => c.path === 'notifications.retry')).toBe(true));
    expect(calls.find((c) => c.path === 'notifications.retry')?.input).toEqual({ id: 2 });
    fireEvent.click(await screen.findByRole('button', { name: 'Mark message 5 read' }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'notifications.markRead')?.input).toEqual({ ids: [5] }),
    );
  });

  it('lets an admin add an e-mail channel', async () => {
    renderAs('admin');
    const form = await screen.findByRole('form', { name: 'Add a channel' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'mail' } });
    fireEvent.change(within(form).getByLabelText('Type'), { target: { value: 'email' } });
    fireEvent.change(within(form).getByLabelText('SMTP URL'), {
      target: { value: 'smtp://127.0.0.1:25' },
    });
    fireEvent.change(within(form).getByLabelText('To (comma-separated)'), {
      target: { value: 'ops@example.com, lead@example.com' },
    });
    fireEvent.click(within(form).getByRole('button', { name: 'Add' }));
    await waitFor(() =>
      expect(calls.some((c) => c.path === 'notifications.createChannel')).toBe(true),
    );
    expect(calls.find((c) => c.path === 'notifications.createChannel')?.input).toEqual({
      name: 'mail',
      type: 'email',
      config: { smtpUrl: 'smtp://127.0.0.1:25', to: ['ops@example.com', 'lead@example.com'] },
    });
  });
  it('keeps the delivery status filter and the page in the address', async () => {
    const r = renderAs('viewer', '/notifications?delivery=failed&deliveriesOffset=50');
    expect(await screen.findByText('51–51 of 51')).toBeTruthy();
    expect(calls.find((c) => c.path === 'notifications.listDeliveries')?.input).toEqual({
      status: 'failed',
      limit: 50,
      offset: 50,
    });
    const status = screen.getByRole('combobox', { name: 'Delivery status' }) as HTMLSelectElement;
    expect(status.value).toBe('failed');
    // A new filter starts again at the first page.
    fireEvent.change(status, { target: { value: 'sent' } });
    await waitFor(() => expect(r.location()).toBe('/notifications?delivery=sent'));
  });
});
