import { describe, expect, it } from 'vitest';
import { routerForEvent } from './events';

describe('routerForEvent', () => {
  it('maps event types to the router whose queries they invalidate', () => {
    expect(routerForEvent('incident.updated')).toBe('incidentCommander');
    expect(routerForEvent('runbook.updated')).toBe('incidentCommander');
    expect(routerForEvent('healing.created')).toBe('selfHealing');
    expect(routerForEvent('heartbeat')).toBeNull();
  });
});
