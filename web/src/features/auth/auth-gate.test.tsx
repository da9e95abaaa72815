// The sign-in flow against a mocked fetch: setup token, wrong password, role-aware shell.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { resetClientForTests } from '../../api/client';
import { RequireRole, useSession } from '../../lib/session';
import { AuthGate } from './auth-gate';

const admin = {
  id: 1,
  username: 'root',
  role: 'admin',
  disabled: false,
  createdAt: '2026-11-28T00:00:00Z',
  lastLoginAt: null,
};
const viewer = { ...admin, id: 2, username: 'vera', role: 'viewer' };

type Reply = { status: number; body: unknown };
let routes: Record<string, (body: unknown) => Reply>;
let seen: { path: string; body: unknown; csrf: string | null }[];

beforeEach(() => {
  resetClientForTests();
  seen = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(String(input));
      const path = url.pathname.replace('/trpc/', '');
      const body = init.body
        ? (JSON.parse(String(init.body)) as Record<string, unknown>)['0']
        : undefined;
      seen.push({ path, body, csrf: new Headers(init.headers).get('x-csrf-token') });
      const handler = routes[path];
      const r = handler
        ? handler(body)
        : {
            status: 404,
            body: {
              error: {
                message: 'no',
                code: -32004,
                data: { code: 'NOT_FOUND', httpStatus: 404, path },
              },
            },
          };
      const payload = 'error' in (r.body as object) ? [r.body] : [{ result: { data: r.body } }];
      return new Response(JSON.stringify(payload), {
        status: r.status,
        headers: { 'content-type': 'application/json' },
      });
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

function Shell() {
  const { user } = useSession();
  return (
    <div>
      <p>signed in as {user.username}</p>
      <RequireRole min="operator">
        <button type="button">Resolve</button>
      </RequireRole>
    </div>
  );
}

function renderGate() {
  const qc = new QueryClient();
  return render(
    <QueryClientProvider client={qc}>
      <AuthGate>
        <Shell />
      </AuthGate>
    </QueryClientProvider>,
  );
}

describe('AuthGate', () => {
  it('runs the setup-token flow when the server needs a first admin', async () => {
    routes = {
      'auth.status': () => ({
        status: 200,
        body: { setupRequired: true, user: null, csrfToken: null },
      }),
      'auth.setup': () => ({ status: 200, body: { user: admin, csrfToken: 'c1' } }),
      'auth.logout': () => ({ status: 200, body: { ok: true } }),
    };
    renderGate();
    await screen.findByRole('heading', { name: 'Create the first administrator' });
    fireEvent.change(screen.getByLabelText('Setup token'), { target: { value: ' tok-1 ' } });
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'root' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long password' } });
    fireEvent.change(screen.getByLabelText('Confirm password'), {
      target: { value: 'long password' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Create administrator' }));
    await screen.findByText('signed in as root');
    expect(seen.find((s) => s.path === 'auth.setup')?.body).toEqual({
      setupToken: 'tok-1',
      username: 'root',
      password: 'long password',
    });
    expect(screen.getByRole('button', { name: 'Resolve' })).toBeTruthy();
  });

  it('refuses differing passwords without calling the server', async () => {
    routes = {
      'auth.status': () => ({
        status: 200,
        body: { setupRequired: true, user: null, csrfToken: null },
      }),
    };
    renderGate();
    await screen.findByLabelText('Setup token');
    fireEvent.change(screen.getByLabelText('Setup token'), { target: { value: 't' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'aaaaaaaa' } });
    fireEvent.change(screen.getByLabelText('Confirm password'), { target: { value: 'bbbbbbbb' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create administrator' }));
    await screen.findByText('The passwords differ.');
    expect(seen.some((s) => s.path === 'auth.setup')).toBe(false);
  });

  it('shows a wrong-password error, then signs a viewer in without operator controls', async () => {
    routes = {
      'auth.status': () => ({
        status: 200,
        body: { setupRequired: false, user: null, csrfToken: null },
      }),
      'auth.login': (b) =>
        (b as { password: string }).password === 'right'
          ? { status: 200, body: { user: viewer, csrfToken: 'c2' } }
          : {
              status: 401,
              body: {
                error: {
                  message: 'bad credentials',
                  code: -32001,
                  data: { code: 'UNAUTHORIZED', httpStatus: 401, path: 'auth.login' },
                },
              },
            },
    };
    renderGate();
    await screen.findByRole('heading', { name: 'Sign in' });
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'vera' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByText('Wrong username or password.');
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'right' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByText('signed in as vera');
    expect(screen.queryByRole('button', { name: 'Resolve' })).toBeNull();
  });

  it('shows the rate-limit message on 429', async () => {
    routes = {
      'auth.status': () => ({
        status: 200,
        body: { setupRequired: false, user: null, csrfToken: null },
      }),
      'auth.login': () => ({
        status: 429,
        body: {
          error: {
            message: 'slow down',
            code: -32029,
            data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429, path: 'auth.login' },
          },
        },
      }),
    };
    renderGate();
    await screen.findByRole('heading', { name: 'Sign in' });
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'x' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'y' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/Too many attempts/));
  });
});
