// The Security page's posture and compliance panels against a mocked tRPC server speaking the
// batch wire format: an operator scans pasted manifests and sees failures by workload; the
// compliance panel shows the latest report's controls and runs a new assessment; a viewer sees
// no scan or assess controls.
import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { stubTrpc, trpcError, type TrpcStub } from '../../testing/stub-trpc';
import type { User } from '../../lib/session';
import { renderWithSession } from '../../testing/render';
import { CompliancePanel, PosturePanel } from './posture-compliance';

let stub: TrpcStub;

beforeEach(() => {
  stub = stubTrpc({});
});

function user(role: 'viewer' | 'operator'): User {
  return {
    id: 2,
    username: 'bob',
    role,
    disabled: false,
    createdAt: '2026-11-28T00:00:00Z',
    lastLoginAt: null,
  } as User;
}

function renderWith(ui: React.ReactElement, u: User, route = '/security') {
  return renderWithSession(ui, { role: u.role, route });
}

const t = '2026-11-29T03:00:00Z';
function reportRow(id: number, status: string) {
  return {
    id,
    framework: 'cis_kubernetes',
    status: 'completed',
    score: status === 'pass' ? 100 : 0,
    passedControls: status === 'pass' ? 1 : 0,
    failedControls: status === 'fail' ? 1 : 0,
    totalControls: 2,
    generatedAt: t,
    report: {
      controls: [
        {
          id: '5.2.2',
          title: 'Minimize the admission of privileged containers',
          status,
          evidence: [`${status.toUpperCase()} posture check privileged: 1 failed, 0 passed`],
          previousStatus: null,
        },
        {
          id: '5.1.1',
          title: 'cluster-admin',
          status: 'not_assessed',
          evidence: [],
          previousStatus: null,
        },
      ],
    },
  };
}

describe('PosturePanel', () => {
  it('scans pasted manifests and lists failures by workload', async () => {
    stub.routes = {
      'securityGuardian.scanManifests': (input) => {
        const { manifests } = input as { manifests: string };
        if (!manifests.includes('kind:'))
          throw trpcError('BAD_REQUEST', 'input.manifests: no objects');
        return {
          id: 4,
          scanType: 'kubernetes',
          status: 'completed',
          report: {
            objects: 1,
            failed: 1,
            passed: 30,
            errors: [],
            objectsSummary: [
              {
                kind: 'Deployment',
                name: 'api',
                namespace: 'shop',
                failed: 1,
                passed: 30,
                worst: 'critical',
              },
            ],
            failures: [
              {
                check: 'privileged',
                severity: 'critical',
                kind: 'Deployment',
                name: 'api',
                namespace: 'shop',
                container: 'api',
                message: 'securityContext.privileged is true',
                remediation: 'Remove securityContext.privileged: true',
              },
            ],
          },
        };
      },
    };
    renderWith(<PosturePanel />, user('operator'));
    fireEvent.change(screen.getByLabelText(/Manifests/), {
      target: { value: 'kind: Deployment\nmetadata: {name: api}' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Check posture' }));
    expect(await screen.findByText('securityContext.privileged is true')).toBeTruthy();
    expect(screen.getByText('Deployment/api [api]')).toBeTruthy();
    expect(screen.getByText('1 object(s): 1 failed, 30 passed checks')).toBeTruthy();
    expect(stub.calls.find((c) => c.path === 'securityGuardian.scanManifests')?.input).toEqual({
      manifests: 'kind: Deployment\nmetadata: {name: api}',
      name: 'pasted manifests',
    });
  });

  it('shows the server error for bad input', async () => {
    stub.routes = {
      'securityGuardian.scanManifests': () => {
        throw trpcError(
          'BAD_REQUEST',
          'input.manifests: pasted manifests:2:3: invalid YAML: end of map not found',
        );
      },
    };
    renderWith(<PosturePanel />, user('operator'));
    fireEvent.change(screen.getByLabelText(/Manifests/), { target: { value: 'kind: [' } });
    fireEvent.click(screen.getByRole('button', { name: 'Check posture' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/invalid YAML/);
  });

  it('offers no scan form to a viewer', () => {
    stub.routes = {};
    renderWith(<PosturePanel />, user('viewer'));
    expect(screen.queryByRole('button', { name: 'Check posture' })).toBeNull();
  });
});

describe('CompliancePanel', () => {
  it('shows the latest report and runs a new assessment', async () => {
    let assessed = false;
    stub.routes = {
      'securityGuardian.getComplianceReports': () => ({
        items: [reportRow(1, 'fail')],
        total: 1,
        limit: 10,
        offset: 0,
      }),
      'securityGuardian.getComplianceReport': (input) =>
        reportRow(
          (input as { id: number }).id,
          (input as { id: number }).id === 2 ? 'pass' : 'fail',
        ),
      'securityGuardian.checkCompliance': () => {
        assessed = true;
        return reportRow(2, 'pass');
      },
    };
    renderWith(<CompliancePanel />, user('operator'));
    expect(await screen.findByText(/Report 1/)).toBeTruthy();
    expect(screen.getByText('fail')).toBeTruthy();
    expect(screen.getByText('not assessed')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Assess now' }));
    await waitFor(() => expect(assessed).toBe(true));
    expect(await screen.findByText(/Report 2/)).toBeTruthy();
    expect(stub.calls.find((c) => c.path === 'securityGuardian.checkCompliance')?.input).toEqual({
      framework: 'cis_kubernetes',
    });
  });

  it('reads the framework from the address and pages the controls', async () => {
    const controls = Array.from({ length: 60 }, (_, i) => ({
      id: `C${i + 1}`,
      title: `control ${i + 1}`,
      status: 'pass',
      previousStatus: null,
      evidence: [],
    }));
    stub.routes = {
      'securityGuardian.getComplianceReports': (input) => ({
        items: [{ ...reportRow(5, 'pass'), framework: (input as { framework: string }).framework }],
        total: 1,
        limit: 10,
        offset: 0,
      }),
      'securityGuardian.getComplianceReport': () => ({
        ...reportRow(5, 'pass'),
        framework: 'soc2',
        totalControls: 60,
        passedControls: 60,
        failedControls: 0,
        report: { controls },
      }),
    };
    const r = renderWith(
      <CompliancePanel />,
      user('viewer'),
      '/security?framework=soc2&controlsOffset=50',
    );
    expect(await screen.findByText('control 51')).toBeTruthy();
    expect(screen.queryByText('control 1')).toBeNull();
    expect(screen.getByText('51–60 of 60')).toBeTruthy();
    expect(
      stub.calls.find((c) => c.path === 'securityGuardian.getComplianceReports')?.input,
    ).toMatchObject({
      framework: 'soc2',
    });
    expect((screen.getByRole('combobox', { name: /Framework/ }) as HTMLSelectElement).value).toBe(
      'soc2',
    );
    // Another framework starts at the first page of its controls.
    fireEvent.change(screen.getByRole('combobox', { name: /Framework/ }), {
      target: { value: 'hipaa' },
    });
    await waitFor(() => expect(r.location()).toBe('/security?framework=hipaa'));
  });

  it('hides the assess button from a viewer', async () => {
    stub.routes = {
      'securityGuardian.getComplianceReports': () => ({
        items: [],
        total: 0,
        limit: 10,
        offset: 0,
      }),
    };
    renderWith(<CompliancePanel />, user('viewer'));
    expect(await screen.findByText('No report for cis_kubernetes yet.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Assess now' })).toBeNull();
  });
});
