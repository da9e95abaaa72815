import { describe, expect, it } from 'vitest';
import { dispatchEvent, routerForEvent, subscribeEvents } from './events';

describe('routerForEvent', () => {
  it('maps event types to the router whose queries they invalidate', () => {
    expect(routerForEvent('incident.updated')).toBe('incidentCommander');
    expect(routerForEvent('runbook.updated')).toBe('incidentCommander');
    expect(routerForEvent('healing.created')).toBe('selfHealing');
    expect(routerForEvent('heartbeat')).toBeNull();
  });

  it('maps the CI/CD runner events to cicdOrchestrator; the live log only to subscribers', () => {
    expect(routerForEvent('cicd.run')).toBe('cicdOrchestrator');
    expect(routerForEvent('cicd.step')).toBe('cicdOrchestrator');
    expect(routerForEvent('cicd.log')).toBeNull();
    const seen: string[] = [];
    const stop = subscribeEvents((type, data) => seen.push(`${type} ${data}`));
    dispatchEvent('cicd.log', '{"runId":1}');
    stop();
    dispatchEvent('cicd.log', '{"runId":2}');
    expect(seen).toEqual(['cicd.log {"runId":1}']);
  });
});
