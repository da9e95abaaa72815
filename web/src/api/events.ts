// Live updates: the server's SSE stream (/api/events) invalidates the queries of the router
// an event concerns, e.g. "incident.updated" → every incidentCommander query.
import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';

const kEventRouters: Record<string, string> = {
  incident: 'incidentCommander',
  runbook: 'incidentCommander',
  healing: 'selfHealing',
  security: 'securityGuardian',
  cost: 'costOptimizer',
  pipeline: 'cicdOrchestrator',
  doc: 'documentationGenerator',
  user: 'users',
  token: 'tokens',
};

/** The router whose queries an event type invalidates, or null. */
export function routerForEvent(type: string): string | null {
  const prefix = type.split('.')[0] ?? '';
  return kEventRouters[prefix] ?? null;
}

export function useLiveEvents(enabled: boolean): void {
  const qc = useQueryClient();
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/events', { withCredentials: true });
    const handle = (ev: MessageEvent) => {
      const router = routerForEvent(ev.type === 'message' ? String(ev.data) : ev.type);
      if (router) void qc.invalidateQueries({ queryKey: [router] });
    };
    const types = Object.keys(kEventRouters).flatMap((p) => [
      `${p}.created`,
      `${p}.updated`,
      `${p}.deleted`,
    ]);
    for (const t of types) source.addEventListener(t, handle);
    return () => source.close();
  }, [enabled, qc]);
}
