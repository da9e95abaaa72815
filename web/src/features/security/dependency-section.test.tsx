// The dependency part of the Security page against a mocked tRPC server (batched requests):
// database age, scans, findings with their patch assessment, grouping by package, filters and
// the patch preview.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { resetClientForTests } from '../../api/client';
import { renderWithSession } from '../../testing/render';
import { DependencySection } from './dependency-section';

const scan = {
  id: 7,
  scanType: 'container',
  target: '/srv/app',
  status: 'completed',
  criticalCount: 0,
  highCount: 1,
  mediumCount: 1,
  lowCount: 0,
  error: null,
  triggeredBy: 'alice',
  startedAt: '2026-11-28T10:00:00Z',
  completedAt: '2026-11-28T10:00:01Z',
  createdAt: '2026-11-28T10:00:00Z',
};
function finding(id: number, severity: string, pkg: string, version: string, vulnId: string) {
  return {
    id,
    scanId: 7,
    vulnId,
    aliases: ['CVE-2024-0001'],
    severity,
    cvssScore: severity === 'high' ? 7.5 : 5.3,
    packageName: pkg,
    packageVersion: version,
    ecosystem: 'npm',
    fixedVersion: '1.20.3',
    title: `${pkg} is vulnerable`,
    location: 'package-lock.json',
    status: 'open',
    details: {
      patch: {
        minimalFix: '1.20.3',
        distance: 'minor',
        crossesMajor: false,
        riskScore: 75,
        breakingRisk: 'medium',
        rationale: 'HIGH severity, direct runtime dependency; fixed in 1.20.3 (minor)',
      },
      dependencyPath: [`express@4.16.0`, `${pkg}@${version}`],
    },
    createdAt: '2026-11-28T10:00:01Z',
  };
}
const findings = [
  finding(1, 'high', 'body-parser', '1.18.3', 'GHSA-qwcr-r2fm-qrc7'),
  finding(2, 'medium', 'debug', '2.5.2', 'GHSA-gxpj-cx7g-858c'),
];

let calls: { path: string; input: Record<string, unknown> | undefined }[];

beforeEach(() => {
  resetClientForTests();
  calls = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(String(input));
      const paths = url.pathname.replace('/trpc/', '').split(',');
      const inputs = JSON.parse(
        init.body ? String(init.body) : (url.searchParams.get('input') ?? '{}'),
      ) as Record<string, Record<string, unknown>>;
      const out = paths.map((path, i) => {
        const inp = inputs[String(i)];
        calls.push({ path, input: inp });
        if (path === 'securityGuardian.advisoryDatabase')
          return {
            result: {
              data: {
                advisories: 12,
                importedAt: '2026-11-28T09:00:00Z',
                newestModified: '2025-07-16T04:42:25Z',
                ageHours: 1,
              },
            },
          };
        if (path === 'securityGuardian.getScans')
          return { result: { data: { items: [scan], total: 1, limit: 20, offset: 0 } } };
        if (path === 'securityGuardian.applyPatch' && inp?.dryRun === false)
          return {
            result: {
              data: {
                vulnerabilityId: inp?.vulnerabilityId,
                advisory: 'GHSA-qwcr-r2fm-qrc7',
                package: 'body-parser',
                fromVersion: '1.18.3',
                toVersion: '1.20.3',
                file: 'requirements.txt',
                applied: true,
                diff: '--- a/requirements.txt\n+++ b/requirements.txt\n',
                command: null,
                note: '',
                repository: '/srv/app',
                branch: 'devops-ai/fix-body-parser-1.20.3',
                commit: '0123456789abcdef0123456789abcdef01234567',
                baseCommit: 'fedcba9876543210fedcba9876543210fedcba98',
              },
            },
          };
        if (path === 'securityGuardian.applyPatch' && withDiff)
          return {
            result: {
              data: {
                vulnerabilityId: inp?.vulnerabilityId,
                advisory: 'GHSA-qwcr-r2fm-qrc7',
                package: 'body-parser',
                fromVersion: '1.18.3',
                toVersion: '1.20.3',
                file: 'requirements.txt',
                applied: false,
                diff: '--- a/requirements.txt\n+++ b/requirements.txt\n-x==1\n+x==2\n',
                command: null,
                note: '',
              },
            },
          };
        if (path === 'securityGuardian.applyPatch')
          return {
            result: {
              data: {
                vulnerabilityId: inp?.vulnerabilityId,
                advisory: 'GHSA-qwcr-r2fm-qrc7',
                package: 'body-parser',
                fromVersion: '1.18.3',
                toVersion: '1.20.3',
                file: 'package-lock.json',
                applied: false,
                diff: null,
                command: "npm install 'body-parser@1.20.3'",
                note: 'package-lock.json lockfiles are rewritten by their package manager',
              },
            },
          };
        if (path === 'securityGuardian.getVulnerabilities') {
          if (bigScan && inp?.limit === 1000) {
            // A large scan: 30 vulnerable packages among the first 1,000 of 5,000 findings.
            const items = Array.from({ length: 30 }, (_, i) => ({
              ...findings[0],
              id: 100 + i,
              packageName: `pkg-${String(i).padStart(2, '0')}`,
              packageVersion: '1.0.0',
            }));
            return { result: { data: { items, total: 5000, limit: 1000, offset: 0 } } };
          }
          const items = findings.filter((f) => !inp?.severity || f.severity === inp.severity);
          return { result: { data: { items, total: items.length, limit: 25, offset: 0 } } };
        }
        return {
          error: {
            message: 'no',
            code: -32004,
            data: { code: 'NOT_FOUND', httpStatus: 404, path },
          },
        };
      });
      return new Response(JSON.stringify(out), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }),
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
  bigScan = false;
  withDiff = false;
});
let bigScan = false;
let withDiff = false;

function renderSection(route = '/security') {
  return renderWithSession(<DependencySection />, { role: 'operator', route });
}

describe('DependencySection', () => {
  it('shows the database age, scans, findings with risk and the by-package view', async () => {
    renderSection();
    expect((await screen.findByTestId('db-age')).textContent).toMatch(/12 advisories.*1 h old/);
    expect(await screen.findByRole('button', { name: '/srv/app' })).toBeTruthy();
    const table = await screen.findByTestId('findings');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]?.textContent).toContain('body-parser@1.18.3');
    expect(rows[1]?.textContent).toContain('high 7.5');
    expect(rows[1]?.textContent).toContain('minor');
    expect(rows[1]?.textContent).toContain('75');
    const byPkg = await screen.findByTestId('by-package');
    expect(within(byPkg).getByText('debug@2.5.2')).toBeTruthy();
  });

  it('pages the by-package view and says when it grouped only part of a large scan', async () => {
    bigScan = true;
    renderSection();
    const byPkg = await screen.findByTestId('by-package');
    expect(within(byPkg).getAllByRole('row')).toHaveLength(21); // header + 20
    expect(within(byPkg).getByText('pkg-00@1.0.0')).toBeTruthy();
    expect(within(byPkg).queryByText('pkg-20@1.0.0')).toBeNull();
    expect((await screen.findByTestId('by-package-partial')).textContent).toMatch(
      /first 30 of 5,000 findings/,
    );
    const next = within(byPkg.closest('section') as HTMLElement).getByRole('button', {
      name: /next/i,
    });
    fireEvent.click(next);
    await waitFor(() =>
      expect(within(screen.getByTestId('by-package')).getByText('pkg-20@1.0.0')).toBeTruthy(),
    );
    expect(within(screen.getByTestId('by-package')).getAllByRole('row')).toHaveLength(11);
  });

  it('filters by severity, selects a scan and previews a patch', async () => {
    renderSection();
    await screen.findByTestId('findings');
    fireEvent.change(screen.getAllByRole('combobox').at(-1)!, { target: { value: 'medium' } });
    await waitFor(() =>
      expect(
        calls.some((c) => c.path.endsWith('getVulnerabilities') && c.input?.severity === 'medium'),
      ).toBe(true),
    );
    await waitFor(() =>
      expect(within(screen.getByTestId('findings')).getAllByRole('row')).toHaveLength(2),
    );
    fireEvent.click(screen.getByRole('button', { name: '/srv/app' }));
    await waitFor(() =>
      expect(
        calls.some((c) => c.path.endsWith('getVulnerabilities') && c.input?.scanId === 7),
      ).toBe(true),
    );
    fireEvent.click(await screen.findByRole('button', { name: 'GHSA-qwcr-r2fm-qrc7' }));
    const preview = await screen.findByTestId('patch-preview');
    expect(preview.textContent).toContain('body-parser 1.18.3 → 1.20.3');
    expect(preview.textContent).toContain('CVE-2024-0001');
    expect(preview.textContent).toMatch(/Risk of upgrading\s*medium/);
    fireEvent.click(screen.getByRole('button', { name: 'Show the change' }));
    const change = await screen.findByTestId('patch-change');
    expect(change.textContent).toContain("npm install 'body-parser@1.20.3'");
    expect(calls.some((c) => c.path.endsWith('applyPatch') && c.input?.dryRun === true)).toBe(true);
    // A lockfile change has no diff: no branch button.
    expect(screen.queryByRole('button', { name: 'Commit on a new branch' })).toBeNull();
  });

  it('commits a manifest fix on a new branch and shows the dependency path', async () => {
    withDiff = true;
    renderSection();
    fireEvent.click(await screen.findByRole('button', { name: 'GHSA-qwcr-r2fm-qrc7' }));
    const preview = await screen.findByTestId('patch-preview');
    expect(preview.textContent).toMatch(
      /Dependency path\s*express@4\.16\.0 > body-parser@1\.18\.3/,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Show the change' }));
    await screen.findByTestId('patch-change');
    fireEvent.click(screen.getByRole('button', { name: 'Commit on a new branch' }));
    const branch = await screen.findByTestId('patch-branch');
    expect(branch.textContent).toContain('devops-ai/fix-body-parser-1.20.3');
    expect(branch.textContent).toContain('0123456789ab');
    expect(calls.some((c) => c.path.endsWith('applyPatch') && c.input?.dryRun === false)).toBe(
      true,
    );
  });
});
