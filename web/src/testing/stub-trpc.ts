// A tRPC server stub for component tests: replaces `fetch` with a handler that speaks the
// batch wire format @trpc/client uses (GET /trpc/a,b?batch=1&input={"0":..}, POST with a JSON
// body), answers each procedure from `routes`, and records every call. A route may throw
// `trpcError(...)` to answer tRPC's error envelope; a path without a route answers NOT_FOUND.
// Undo with vi.unstubAllGlobals() (test-setup.ts does it after every test).
import { vi } from 'vitest';
import { resetClientForTests } from '../api/client';
import type { ApiErrorCode } from '../api/errors';

export type RouteHandler = (input: unknown) => unknown;
export type Routes = Record<string, RouteHandler>;

export interface TrpcCall {
  path: string;
  input: unknown;
  kind: 'query' | 'mutation';
}

const kCodes: Partial<Record<ApiErrorCode, [number, number]>> = {
  PARSE_ERROR: [-32700, 400],
  BAD_REQUEST: [-32600, 400],
  UNAUTHORIZED: [-32001, 401],
  FORBIDDEN: [-32003, 403],
  NOT_FOUND: [-32004, 404],
  CONFLICT: [-32009, 409],
  PRECONDITION_FAILED: [-32012, 412],
  TOO_MANY_REQUESTS: [-32029, 429],
  INTERNAL_SERVER_ERROR: [-32603, 500],
  NOT_IMPLEMENTED: [-32603, 501],
};

/** Thrown by a route handler to answer a tRPC error. */
export class TrpcStubError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function trpcError(code: ApiErrorCode, message: string = code): TrpcStubError {
  return new TrpcStubError(code, message);
}

function errorEnvelope(path: string, code: ApiErrorCode, message: string) {
  const [json, http] = kCodes[code] ?? [-32603, 500];
  return { error: { message, code: json, data: { code, httpStatus: http, path } } };
}

export interface TrpcStub {
  /** Every procedure call, in order. */
  calls: TrpcCall[];
  /** The routes; tests may replace handlers between steps. */
  routes: Routes;
  /** The calls of one procedure. */
  callsTo: (path: string) => TrpcCall[];
}

/** Installs the stub for this test. Handlers may return a value or a promise. */
export function stubTrpc(routes: Routes): TrpcStub {
  resetClientForTests();
  const stub: TrpcStub = {
    calls: [],
    routes,
    callsTo: (path) => stub.calls.filter((c) => c.path === path),
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(String(input));
      const paths = decodeURIComponent(url.pathname.replace(/^.*\/trpc\//, '')).split(',');
      const kind = (init.method ?? 'GET').toUpperCase() === 'POST' ? 'mutation' : 'query';
      const inputs = (
        init.body
          ? JSON.parse(String(init.body))
          : JSON.parse(url.searchParams.get('input') ?? '{}')
      ) as Record<string, unknown>;
      const out = await Promise.all(
        paths.map(async (path, i) => {
          const arg = inputs[String(i)];
          stub.calls.push({ path, input: arg, kind });
          const handler = stub.routes[path];
          if (!handler) return errorEnvelope(path, 'NOT_FOUND', `no ${path}`);
          try {
            return { result: { data: await handler(arg) } };
          } catch (e) {
            if (e instanceof TrpcStubError) return errorEnvelope(path, e.code, e.message);
            throw e;
          }
        }),
      );
      return new Response(JSON.stringify(out), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }),
  );
  return stub;
}

/** The standard page envelope of list procedures. */
export function page<T>(items: T[], total = items.length, offset = 0, limit = 50) {
  return { items, total, limit, offset };
}
