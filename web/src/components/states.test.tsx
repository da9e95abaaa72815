import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { ApiError } from '../api/errors';
import { ErrorState } from './states';

describe('ErrorState', () => {
  it('renders 501 as the not-built state naming the procedure', () => {
    render(
      <ErrorState
        error={
          new ApiError(
            'not implemented yet (issue #5)',
            'NOT_IMPLEMENTED',
            501,
            'selfHealing.listRules',
          )
        }
      />,
    );
    const box = screen.getByTestId('not-built');
    expect(box.textContent).toContain('selfHealing.listRules');
    expect(box.textContent).toContain('501 Not Implemented');
    expect(screen.queryByRole('alert')).toBeNull();
  });
  it('renders other errors as an alert with their code', () => {
    render(<ErrorState error={new ApiError('no', 'FORBIDDEN', 403, 'users.list')} />);
    expect(screen.getByRole('alert').textContent).toMatch(
      /Not allowed.*FORBIDDEN · 403.*role does not allow/,
    );
  });
});
