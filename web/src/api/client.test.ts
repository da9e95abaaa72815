// The API wrapper against a mocked fetch speaking tRPC's wire format.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mutate, query, resetClientForTests, setCsrfToken, setUnauthorizedHandler } from './client';
import { ApiError, describeError } from './errors';

type Handler = (url: URL, init: RequestInit) => { status: number; body: unknown };
let calls: { url: URL; init: RequestInit }[] = [];

function mockFetch(handler: Handler) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(String(input));
      calls.push({ url, init });
      const { status, body } = handler(url, init);
      return new Response(JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    }),
  );
}

/** The ApiError a call rejects with (fails the test if it resolves). */
function rejection(p: Promise<unknown>): Promise<ApiError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as ApiError,
  );
}

const trpcError = (code: string, httpStatus: number, path: string, message: string) => [
  { error: { message, code: -32603, data: { code, httpStatus, path } } },
];

beforeEach(() => {
  calls = [];
  resetClientForTests();
  setCsrfToken(null);
  setUnauthorizedHandler(null);
});
afterEach(() => vi.unstubAllGlobals());

describe('query', () => {
  it('sends a batched GET with JSON input and returns result.data', async () => {
    mockFetch(() => ({
      status: 200,
      body: [{ result: { data: { items: [], total: 0, limit: 10, offset: 0 } } }],
    }));
    const out = await query('users.list', { limit: 10 });
    expect(out.total).toBe(0);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url.pathname).toBe('/trpc/users.list');
    expect(calls[0]!.url.searchParams.get('batch')).toBe('1');
    expect(JSON.parse(calls[0]!.url.searchParams.get('input')!)).toEqual({ 0: { limit: 10 } });
  });

  it('maps NOT_IMPLEMENTED (501) to an ApiError naming the procedure', async () => {
    mockFetch(() => ({
      status: 501,
      body: trpcError('NOT_IMPLEMENTED', 501, 'selfHealing.listRules', 'not implemented yet'),
    }));
    const err = await rejection(query('selfHealing.listRules', {}));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('NOT_IMPLEMENTED');
    expect(err.httpStatus).toBe(501);
    expect(err.path).toBe('selfHealing.listRules');
    expect(err.notImplemented).toBe(true);
    expect(describeError(err)).toContain('selfHealing.listRules');
  });

  it('calls the unauthorized handler once for an ended session, not for auth.*', async () => {
    const onUnauthorized = vi.fn();
    setUnauthorizedHandler(onUnauthorized);
    mockFetch((url) => ({
      status: 401,
      body: trpcError('UNAUTHORIZED', 401, url.pathname.slice(6), 'authentication required'),
    }));
    await expect(query('users.list', {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await expect(mutate('auth.login', { username: 'a', password: 'b' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('maps a failed request to NETWORK', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    const err = await rejection(query('system.info'));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('NETWORK');
    expect(describeError(err)).toMatch(/could not be reached/);
  });
});

describe('mutate', () => {
  it('POSTs JSON with the CSRF header', async () => {
    setCsrfToken('csrf-123');
    mockFetch(() => ({ status: 200, body: [{ result: { data: { ok: true } } }] }));
    await mutate('auth.logout');
    const { url, init } = calls[0]!;
    expect(init.method).toBe('POST');
    expect(url.pathname).toBe('/trpc/auth.logout');
    expect(new Headers(init.headers).get('x-csrf-token')).toBe('csrf-123');
  });

  it('sends no CSRF header on queries', async () => {
    setCsrfToken('csrf-123');
    mockFetch(() => ({ status: 200, body: [{ result: { data: { ok: 1 } } }] }));
    await query('system.info');
    expect(new Headers(calls[0]!.init.headers).get('x-csrf-token')).toBeNull();
  });

  it('reports TOO_MANY_REQUESTS with a sentence to act on', async () => {
    mockFetch(() => ({
      status: 429,
      body: trpcError('TOO_MANY_REQUESTS', 429, 'auth.login', 'rate limited'),
    }));
    const err = await rejection(mutate('auth.login', { username: 'a', password: 'b' }));
    expect(err.code).toBe('TOO_MANY_REQUESTS');
    expect(describeError(err)).toMatch(/Wait a minute/);
  });
});
