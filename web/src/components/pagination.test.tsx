// Pagination: the range text, previous/next, and a distinct name per list (each Panel's title),
// so a page with several paged lists has distinguishable navigation landmarks.
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { Pagination } from './pagination';
import { Panel } from './procedure-panel';

describe('Pagination', () => {
  it('shows the range and moves by one page', () => {
    const onChange = vi.fn();
    render(<Pagination offset={20} limit={20} total={45} onChange={onChange} />);
    expect(screen.getByRole('navigation', { name: 'Pagination' }).textContent).toContain(
      '21–40 of 45',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(onChange).toHaveBeenLastCalledWith(40);
    fireEvent.click(screen.getByRole('button', { name: 'Previous' }));
    expect(onChange).toHaveBeenLastCalledWith(0);
  });

  it('disables what leads nowhere', () => {
    render(<Pagination offset={0} limit={20} total={5} onChange={() => {}} />);
    expect((screen.getByRole('button', { name: 'Previous' }) as HTMLButtonElement).disabled).toBe(
      true,
    );
    expect((screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('is named after its panel, or by an explicit label', () => {
    render(
      <>
        <Panel title="Rules">
          <Pagination offset={0} limit={20} total={45} onChange={() => {}} />
        </Panel>
        <Panel title="History">
          <Pagination offset={0} limit={20} total={45} onChange={() => {}} />
        </Panel>
        <Pagination offset={0} limit={20} total={45} onChange={() => {}} label="Users pages" />
      </>,
    );
    expect(screen.getByRole('navigation', { name: 'Rules pages' })).toBeTruthy();
    expect(screen.getByRole('navigation', { name: 'History pages' })).toBeTruthy();
    expect(screen.getByRole('navigation', { name: 'Users pages' })).toBeTruthy();
  });
});
