// The Docs page against a mocked tRPC server: search with highlighted snippets, a document with
// its sources and versions, editing as an operator, the diagram and a snapshot diff, and a runbook
// draft from an incident cluster.
import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { stubTrpc } from '../../testing/stub-trpc';
import type { User } from '../../lib/session';
import { renderWithSession } from '../../testing/render';
import { DocsPage } from './docs-page';

function doc(id: number, title: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    title,
    docType: 'runbook',
    format: 'markdown',
    templateId: null,
    sourceType: 'runbook',
    sourceId: '3',
    version: 1,
    status: 'draft',
    tags: ['runbook', 'learned'],
    links: [{ type: 'incident', id: '4' }],
    generatedBy: 'ann',
    humanEdited: false,
    createdAt: '2026-11-28T10:00:00.000Z',
    updatedAt: '2026-11-28T10:00:00.000Z',
    ...extra,
  };
}

const snapshots = [
  {
    id: 2,
    name: 'prod',
    version: 2,
    source: 'manifests',
    componentCount: 4,
    connectionCount: 3,
    warnings: [],
    capturedAt: '2026-11-28T11:00:00.000Z',
  },
  {
    id: 1,
    name: 'prod',
    version: 1,
    source: 'manifests',
    componentCount: 3,
    connectionCount: 2,
    warnings: ['x'],
    capturedAt: '2026-11-28T10:00:00.000Z',
  },
];

let calls: { path: string; input: unknown }[];

function answer(path: string, input: unknown): unknown {
  const page = (items: unknown[]) => ({ items, total: items.length, limit: 50, offset: 0 });
  switch (path) {
    case 'documentationGenerator.listDocs':
      return (input as { search?: string })?.search
        ? page([doc(7, 'Restart the API', { snippet: 'then <mark>restart</mark> it &amp; wait' })])
        : page([doc(7, 'Restart the API'), doc(8, 'Database failover', { docType: 'custom' })]);
    case 'documentationGenerator.getDoc':
      return {
        ...doc(7, 'Restart the API'),
        content: '# Restart the API\n\nsteps',
        html: '<h1>Restart the API</h1><p>steps</p>',
        versions: [
          {
            version: 2,
            title: 't',
            origin: 'generated',
            author: 'schedule',
            applied: false,
            createdAt: '2026-11-28T12:00:00.000Z',
          },
          {
            version: 1,
            title: 't',
            origin: 'human',
            author: 'ann',
            applied: true,
            createdAt: '2026-11-28T10:00:00.000Z',
          },
        ],
      };
    case 'documentationGenerator.updateDoc':
      return { ...doc(7, 'Restart the API'), version: 2 };
    case 'documentationGenerator.listSnapshots':
      return page(snapshots);
    case 'documentationGenerator.exportDiagram':
      return {
        snapshotId: 2,
        format: 'svg',
        components: 4,
        content: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        encoding: 'utf-8',
      };
    case 'documentationGenerator.diffSnapshots':
      return {
        fromId: 1,
        toId: 2,
        added: [{ id: 'deployment/shop/worker' }],
        removed: [],
        changed: [{ id: 'deployment/shop/api', fields: ['attributes.image'] }],
        addedConnections: [],
        removedConnections: [],
        markdown: '',
      };
    case 'documentationGenerator.runbookCandidates':
      return {
        items: [
          { label: 'HighLatency, service=api', incidentIds: [1, 3, 4], steps: 2, draftable: true },
        ],
        incidents: 5,
      };
    case 'documentationGenerator.createRunbook':
      return {
        runbookId: 3,
        name: 'respond-to-highlatency',
        enabled: false,
        definition: {},
        incidentIds: [1, 3, 4],
        docId: 7,
        markdown: '',
      };
    case 'documentationGenerator.captureSnapshot':
      return {
        id: 3,
        name: 'cluster',
        version: 1,
        source: 'kubernetes',
        componentCount: 12,
        connectionCount: 9,
        warnings: ['cluster: NetworkPolicy: forbidden'],
        capturedAt: '2026-11-28T12:00:00.000Z',
      };
    case 'documentationGenerator.importDocs':
      return {
        imported: [{ id: 9, path: 'guides/failover.md', updated: false }],
        errors: [{ path: 'big.md', error: 'larger than 2097152 bytes' }],
        commit: '0123456789abcdef0123456789abcdef01234567',
      };
    default:
      throw new Error(`unexpected ${path}`);
  }
}

beforeEach(() => {
  // Every procedure is answered by answer(); stubTrpc speaks the batch wire format.
  const trpc = stubTrpc(
    new Proxy({}, { get: (_routes, path) => (input: unknown) => answer(String(path), input) }),
  );
  calls = trpc.calls;
});

function renderAs(role: User['role'], route = '/docs') {
  return renderWithSession(<DocsPage />, { role, route });
}

const section = async (name: string) =>
  (await screen.findByRole('heading', { name })).closest('section') as HTMLElement;

describe('DocsPage', () => {
  it('searches the knowledge base and shows highlighted snippets', async () => {
    const r = renderAs('viewer');
    const kb = await section('Knowledge base');
    expect(await within(kb).findByText('Database failover')).toBeTruthy();
    fireEvent.change(within(kb).getByRole('searchbox'), { target: { value: 'restart' } });
    fireEvent.click(within(kb).getByRole('button', { name: 'Search' }));
    const mark = await within(kb).findByText('restart', { selector: 'mark' });
    expect(mark.parentElement?.textContent).toBe('then restart it & wait');
    expect(
      calls.some(
        (c) =>
          c.path === 'documentationGenerator.listDocs' &&
          (c.input as { search?: string }).search === 'restart',
      ),
    ).toBe(true);
    expect(within(kb).queryByText('Database failover')).toBeNull();
    // The search is in the address.
    expect(r.location()).toBe('/docs?q=restart');
  });

  it('opens the search, the page and the document the address names', async () => {
    renderAs('viewer', '/docs?q=restart&docsOffset=50&doc=7');
    expect(
      await within(await section('Document')).findByRole('heading', {
        name: 'Restart the API',
        level: 1,
      }),
    ).toBeTruthy();
    await waitFor(() =>
      expect(calls.find((c) => c.path === 'documentationGenerator.listDocs')?.input).toEqual({
        search: 'restart',
        limit: 50,
        offset: 50,
      }),
    );
    const kb = await section('Knowledge base');
    expect((within(kb).getByRole('searchbox') as HTMLInputElement).value).toBe('restart');
  });

  it('opens a document with its sources and versions; a viewer cannot edit', async () => {
    renderAs('viewer');
    const kb = await section('Knowledge base');
    fireEvent.click(await within(kb).findByRole('button', { name: 'Restart the API' }));
    const view = await section('Document');
    expect(
      await within(view).findByRole('heading', { name: 'Restart the API', level: 1 }),
    ).toBeTruthy();
    expect(within(view).getByText(/source: runbook 3/)).toBeTruthy();
    expect(within(view).getByText(/Links: incident 4/)).toBeTruthy();
    expect(within(view).getByText(/not applied/)).toBeTruthy();
    expect(within(view).queryByRole('button', { name: 'Edit' })).toBeNull();
  });

  it('lets an operator save an edit as a new version with the expected version', async () => {
    renderAs('operator');
    const kb = await section('Knowledge base');
    fireEvent.click(await within(kb).findByRole('button', { name: 'Restart the API' }));
    const view = await section('Document');
    fireEvent.click(await within(view).findByRole('button', { name: 'Edit' }));
    fireEvent.change(within(view).getByRole('textbox'), { target: { value: '# Restart\n\nnew' } });
    fireEvent.click(within(view).getByRole('button', { name: 'Save version' }));
    await waitFor(() =>
      expect(calls.some((c) => c.path === 'documentationGenerator.updateDoc')).toBe(true),
    );
    expect(calls.find((c) => c.path === 'documentationGenerator.updateDoc')?.input).toEqual({
      id: 7,
      content: '# Restart\n\nnew',
      expectedVersion: 1,
    });
  });

  it('shows the diagram, zooms, and compares two snapshots', async () => {
    renderAs('viewer');
    const arch = await section('Architecture');
    const img = (await within(arch).findByRole('img')) as HTMLImageElement;
    expect(img.src.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(img.alt).toContain('4 components');
    fireEvent.click(within(arch).getByRole('button', { name: 'Zoom in' }));
    expect(within(arch).getByText('125%')).toBeTruthy();
    fireEvent.click(within(arch).getByRole('button', { name: 'Compare' }));
    expect(await within(arch).findByText('added deployment/shop/worker')).toBeTruthy();
    expect(within(arch).getByText('changed deployment/shop/api: attributes.image')).toBeTruthy();
  });

  it('drafts a runbook from an incident cluster', async () => {
    renderAs('operator');
    const rb = await section('Runbooks from incident history');
    expect(await within(rb).findByText('HighLatency, service=api')).toBeTruthy();
    fireEvent.click(within(rb).getByRole('button', { name: 'Draft runbook' }));
    expect(await within(rb).findByText(/stays disabled until a person enables it/)).toBeTruthy();
    expect(
      within(rb)
        .getByRole('link', { name: 'Review it in the runbook editor' })
        .getAttribute('href'),
    ).toBe('/incidents/runbooks');
    expect(calls.find((c) => c.path === 'documentationGenerator.createRunbook')?.input).toEqual({
      incidentIds: [1, 3, 4],
    });
  });

  it('captures the live cluster and imports Markdown from git (admins)', async () => {
    renderAs('admin');
    const arch = await section('Architecture');
    const form = within(arch).getByRole('form', { name: 'Capture the cluster' });
    fireEvent.change(within(form).getByLabelText('Namespace'), { target: { value: 'shop' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Capture from the cluster' }));
    expect((await within(arch).findByTestId('capture-result')).textContent).toBe(
      'cluster v1: 12 components, 9 connections (cluster: NetworkPolicy: forbidden)',
    );
    expect(calls.find((c) => c.path === 'documentationGenerator.captureSnapshot')?.input).toEqual({
      cluster: true,
      name: 'cluster',
      namespace: 'shop',
    });
    const git = await section('Import from git');
    fireEvent.change(within(git).getByLabelText(/Repository/), {
      target: { value: 'https://git.example.com/docs.git' },
    });
    fireEvent.change(within(git).getByLabelText('Ref'), { target: { value: 'main' } });
    fireEvent.click(within(git).getByRole('button', { name: 'Import Markdown' }));
    expect((await within(git).findByTestId('git-import-result')).textContent).toMatch(
      /1 document\(s\) imported from 0123456789ab; left out: big\.md/,
    );
    expect(calls.find((c) => c.path === 'documentationGenerator.importDocs')?.input).toEqual({
      gitUrl: 'https://git.example.com/docs.git',
      ref: 'main',
    });
  });

  it('offers the git import to admins only', async () => {
    renderAs('operator');
    await section('Architecture');
    expect(screen.queryByRole('heading', { name: 'Import from git' })).toBeNull();
    expect(screen.getByRole('form', { name: 'Capture the cluster' })).toBeTruthy();
  });
});
