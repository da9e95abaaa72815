// Renders a page as a signed-in user of a given role, with a fresh query cache (no retries)
// and a memory router at `route`; `location()` reads the router's current address, so tests
// can check filters and pages kept in the query string.
import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { SessionContext, type Role, type User } from '../lib/session';

export function testUser(role: Role = 'operator', username = 'alice'): User {
  return {
    id: 1,
    username,
    role,
    disabled: false,
    createdAt: '2026-11-28T00:00:00Z',
    lastLoginAt: null,
  } as User;
}

export interface RenderOptions {
  role?: Role;
  /** The signed-in user's name (default alice). */
  username?: string;
  /** Initial address, e.g. '/cost?groupBy=region'. */
  route?: string;
  /** Route pattern the element is mounted at (default: every path). */
  path?: string;
}

export function renderWithSession(ui: ReactElement, options: RenderOptions = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const where = { current: options.route ?? '/' };
  function Probe() {
    const l = useLocation();
    where.current = `${l.pathname}${l.search}`;
    return null;
  }
  const result = render(
    <QueryClientProvider client={client}>
      <SessionContext.Provider
        value={{ user: testUser(options.role, options.username), logout: async () => {} }}
      >
        <MemoryRouter initialEntries={[options.route ?? '/']}>
          <Probe />
          <Routes>
            <Route path={options.path ?? '*'} element={ui} />
          </Routes>
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
  return { ...result, client, location: () => where.current };
}
