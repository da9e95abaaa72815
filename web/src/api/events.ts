// Live updates: the server's SSE stream (/api/events) invalidates the queries of the router
// an event concerns, e.g. "incident.updated" → every incidentCommander query. Components that
// follow a stream themselves (a pipeline run's live log, "cicd.log") subscribe with
// subscribeEvents; those high-rate types never invalidate queries.
import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';

const kEventRouters: Record<string, string> = {
  incident: 'incidentCommander',
  runbook: 'incidentCommander',
  healing: 'selfHealing',
  security: 'securityGuardian',
  cost: 'costOptimizer',
  pipeline: 'cicdOrchestrator',
  cicd: 'cicdOrchestrator',
  doc: 'documentationGenerator',
  user: 'users',
  token: 'tokens',
};

/** Event types the server publishes beyond <prefix>.created|updated|deleted. */
const kExtraTypes = ['cicd.run', 'cicd.step', 'cicd.log'];
/** Streams delivered to subscribers only (they would refetch several times a second). */
const kStreamOnly = new Set(['cicd.log']);

/** The router whose queries an event type invalidates, or null. */
export function routerForEvent(type: string): string | null {
  if (kStreamOnly.has(type)) return null;
  const prefix = type.split('.')[0] ?? '';
  return kEventRouters[prefix] ?? null;
}

export type EventListener = (type: string, data: string) => void;
const listeners = new Set<EventListener>();

/** Calls `fn` with every live event (type, JSON text) while subscribed; returns unsubscribe. */
export function subscribeEvents(fn: EventListener): () => void {
  listeners.add(fn);
  return () => {
    listeners.delete(fn);
  };
}

/** Delivers one event to subscribers (the stream handler; tests). */
export function dispatchEvent(type: string, data: string): void {
  for (const fn of [...listeners]) fn(type, data);
}

export function useLiveEvents(enabled: boolean): void {
  const qc = useQueryClient();
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/events', { withCredentials: true });
    const handle = (ev: MessageEvent) => {
      const type = ev.type === 'message' ? String(ev.data) : ev.type;
      const router = routerForEvent(type);
      if (router) void qc.invalidateQueries({ queryKey: [router] });
      if (ev.type !== 'message') dispatchEvent(type, String(ev.data));
    };
    const types = Object.keys(kEventRouters).flatMap((p) => [
      `${p}.created`,
      `${p}.updated`,
      `${p}.deleted`,
    ]);
    for (const t of [...types, ...kExtraTypes]) source.addEventListener(t, handle);
    return () => source.close();
  }, [enabled, qc]);
}
