// The incident page's "similar past incidents" and "relevant docs" panels.
import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import { renderWithSession } from '../../testing/render';
import { stubTrpc } from '../../testing/stub-trpc';
import { SimilarIncidents } from './similar-incidents';

describe('SimilarIncidents', () => {
  it('links similar incidents and relevant docs with their highlighted snippets', async () => {
    const stub = stubTrpc({
      'documentationGenerator.similarIncidents': () => ({
        similar: [
          {
            id: 3,
            title: 'checkout p99 high',
            status: 'resolved',
            rootCause: 'bad deploy',
            similarity: 0.82,
          },
        ],
        docs: [
          {
            id: 9,
            title: 'Checkout runbook',
            docType: 'runbook',
            score: 3.1,
            snippet: 'roll back <mark>checkout</mark> &lt;b&gt;',
          },
        ],
      }),
    });
    renderWithSession(<SimilarIncidents incidentId={5} />, { role: 'viewer' });
    const link = await screen.findByRole('link', { name: '#3 checkout p99 high' });
    expect(link.getAttribute('href')).toBe('/incidents/3');
    expect(screen.getByText(/82% similar/)).toBeTruthy();
    expect(screen.getByText('Root cause: bad deploy')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Checkout runbook' }).getAttribute('href')).toBe(
      '/docs?doc=9',
    );
    const mark = screen.getByText('checkout', { selector: 'mark' });
    expect(mark.parentElement?.textContent).toBe('roll back checkout <b>');
    expect(stub.callsTo('documentationGenerator.similarIncidents')[0]?.input).toEqual({
      incidentId: 5,
      limit: 5,
    });
  });

  it('says when there is nothing similar', async () => {
    stubTrpc({ 'documentationGenerator.similarIncidents': () => ({ similar: [], docs: [] }) });
    renderWithSession(<SimilarIncidents incidentId={5} />);
    expect(await screen.findByText('No similar incidents')).toBeTruthy();
    expect(screen.getByText('No relevant documents')).toBeTruthy();
  });
});
