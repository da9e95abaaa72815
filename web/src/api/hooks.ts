// TanStack Query bindings for the API client. Query keys start with the router and the
// procedure name, so an event for a router can invalidate all of its queries.
import { useMutation, useQuery, useQueryClient, type UseQueryOptions } from '@tanstack/react-query';
import type { MutationPath, ProcedureInput, ProcedureOutput, QueryPath } from './generated';
import { mutate, query } from './client';
import type { ApiError } from './errors';

/** The query key for a procedure call: ['router', 'method', input]. */
export function procedureKey(path: string, input?: unknown): unknown[] {
  const [router, method] = path.split('.');
  return input === undefined ? [router, method] : [router, method, input];
}

export function useProcedureQuery<P extends QueryPath>(
  path: P,
  input: ProcedureInput<P>,
  options?: Omit<UseQueryOptions<ProcedureOutput<P>, ApiError>, 'queryKey' | 'queryFn'>,
) {
  return useQuery<ProcedureOutput<P>, ApiError>({
    queryKey: procedureKey(path, input),
    queryFn: () => (query as (p: P, i: unknown) => Promise<ProcedureOutput<P>>)(path, input),
    ...options,
  });
}

export function useProcedureMutation<P extends MutationPath>(path: P, invalidate?: string[]) {
  const qc = useQueryClient();
  return useMutation<ProcedureOutput<P>, ApiError, ProcedureInput<P>>({
    mutationFn: (input) =>
      (mutate as (p: P, i: unknown) => Promise<ProcedureOutput<P>>)(path, input),
    onSuccess: () => {
      for (const router of invalidate ?? [path.split('.')[0] ?? path]) {
        void qc.invalidateQueries({ queryKey: [router] });
      }
    },
  });
}
