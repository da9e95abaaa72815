// The one API client: tRPC's HTTP wire protocol through @trpc/client, typed by the generated
// procedure registry, with one error interceptor (UNAUTHORIZED → sign-in).
import { createTRPCUntypedClient, httpBatchLink } from '@trpc/client';
import type { MutationPath, ProcedureInput, ProcedureOutput, QueryPath } from './generated';
import { ApiError, toApiError } from './errors';

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** Stores the CSRF token that login/setup/me return; it is sent on every mutation. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Registers the handler the interceptor calls when a session has ended. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

function baseUrl(): string {
  const origin = typeof window !== 'undefined' ? window.location.origin : 'http://localhost';
  return `${origin}/trpc`;
}

let client: ReturnType<typeof createTRPCUntypedClient> | null = null;
function trpc() {
  client ??= createTRPCUntypedClient({
    links: [
      httpBatchLink({
        url: baseUrl(),
        // Queries and mutations are never batched together, so the first op decides.
        headers: ({ opList }) =>
          opList[0]?.type === 'mutation' && csrfToken ? { 'x-csrf-token': csrfToken } : {},
        fetch: (url, init) => fetch(url, { ...(init as RequestInit), credentials: 'same-origin' }),
      }),
    ],
  });
  return client;
}

/** Resets the cached client (tests swap `fetch`). */
export function resetClientForTests(): void {
  client = null;
}

function intercept(err: unknown, path: string): never {
  const e = toApiError(err, path);
  // auth.* answers 401 for bad credentials; that is a form error, not an ended session.
  if (e.code === 'UNAUTHORIZED' && !path.startsWith('auth.') && onUnauthorized) onUnauthorized();
  throw e;
}

type Args<P extends QueryPath | MutationPath> =
  ProcedureInput<P> extends void ? [] | [undefined] : [ProcedureInput<P>];

/** Calls a query procedure; rejects with ApiError. */
export async function query<P extends QueryPath>(
  path: P,
  ...args: Args<P>
): Promise<ProcedureOutput<P>> {
  try {
    return (await trpc().query(path, args[0])) as ProcedureOutput<P>;
  } catch (err) {
    return intercept(err, path);
  }
}

/** Calls a mutation procedure (with the CSRF header); rejects with ApiError. */
export async function mutate<P extends MutationPath>(
  path: P,
  ...args: Args<P>
): Promise<ProcedureOutput<P>> {
  try {
    return (await trpc().mutation(path, args[0])) as ProcedureOutput<P>;
  } catch (err) {
    return intercept(err, path);
  }
}

export { ApiError };
