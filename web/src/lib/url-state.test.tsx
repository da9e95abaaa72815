import { describe, expect, it } from 'vitest';
import { act, screen } from '@testing-library/react';
import { renderWithSession } from '../testing/render';
import { useUrlOffset, useUrlParam } from './url-state';

let setStatus: (v: string) => void = () => {};
let setOffset: (n: number) => void = () => {};

function Probe() {
  const [status, s1] = useUrlParam('status', '', ['offset']);
  const [offset, s2] = useUrlOffset('offset');
  setStatus = s1;
  setOffset = s2;
  return (
    <p>
      status={status} offset={offset}
    </p>
  );
}

describe('url state', () => {
  it('reads and writes filters and offsets in the query string', () => {
    const r = renderWithSession(<Probe />, { route: '/x?status=failed&offset=40&keep=1' });
    expect(screen.getByText('status=failed offset=40')).toBeTruthy();
    act(() => setOffset(60));
    expect(r.location()).toBe('/x?status=failed&offset=60&keep=1');
    // A new filter goes back to the first page; other parameters stay.
    act(() => setStatus('succeeded'));
    expect(r.location()).toBe('/x?status=succeeded&keep=1');
    act(() => setStatus(''));
    expect(r.location()).toBe('/x?keep=1');
    act(() => setOffset(0));
    expect(screen.getByText('status= offset=0')).toBeTruthy();
  });

  it('treats a bad offset as the first page', () => {
    renderWithSession(<Probe />, { route: '/x?offset=-5' });
    expect(screen.getByText('status= offset=0')).toBeTruthy();
  });
});
