// The Security page's vulnerability-policy panel against the shared tRPC stub: the list shows
// thresholds and ignore rules (an expired one marked), viewers get no editing controls, an admin
// creates a policy (the exact input sent), the form refuses what the server would refuse before
// sending, the server's own refusal lands beside the rule it names, and enable/delete send the
// right calls (delete only after a confirmation).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderWithSession } from '../../testing/render';
import { stubTrpc, trpcError } from '../../testing/stub-trpc';
import { PoliciesPanel, checkDraft, describeThreshold, ruleExpired } from './policies-panel';

const t = '2026-11-28T10:00:00Z';
const policy = {
  id: 3,
  name: 'prod-gate',
  description: 'Blocks production deploys',
  enabled: true,
  enforcement: 'block',
  block: { severity: 'critical' },
  warn: { severity: 'high', cvss: 7 },
  ignore: [
    { id: 'GHSA-old', reason: 'not reachable', expires: '2020-01-31' },
    { package: 'lodash', reason: 'dev only', expires: '2999-12-31' },
  ],
  createdAt: t,
  updatedAt: t,
};
const list = (items: unknown[]) => () => ({ items });

afterEach(() => vi.restoreAllMocks());

describe('policy helpers', () => {
  it('describes thresholds and knows when a rule has expired (its last day still applies)', () => {
    expect(describeThreshold({ severity: 'high', cvss: 7 })).toBe('high and above or CVSS ≥ 7');
    expect(describeThreshold(null)).toBe('—');
    expect(ruleExpired({ reason: 'x', expires: '2026-11-27' }, '2026-11-28')).toBe(true);
    expect(ruleExpired({ reason: 'x', expires: '2026-11-28' }, '2026-11-28')).toBe(false);
    expect(ruleExpired({ reason: 'x', expires: null }, '2026-11-28')).toBe(false);
  });
});

describe('PoliciesPanel', () => {
  it('lists thresholds and rules, marks the expired rule, and shows viewers no controls', async () => {
    stubTrpc({ 'securityGuardian.listPolicies': list([policy]) });
    renderWithSession(<PoliciesPanel />, { role: 'viewer' });
    const row = (await screen.findByText('prod-gate')).closest('tr') as HTMLElement;
    expect(within(row).getByText('critical and above')).toBeTruthy();
    expect(within(row).getByText('high and above or CVSS ≥ 7')).toBeTruthy();
    expect(within(row).getByText(/expired 2020-01-31: no longer applies/)).toBeTruthy();
    expect(within(row).getByText(/until 2999-12-31/)).toBeTruthy();
    expect(within(row).getByText('1 of 2 expired')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'New policy' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Edit prod-gate/ })).toBeNull();
  });

  it('creates a policy with an ignore rule, checking the form before sending', async () => {
    const stub = stubTrpc({
      'securityGuardian.listPolicies': list([]),
      'securityGuardian.createPolicy': () => ({ ...policy, id: 9, name: 'staging' }),
    });
    renderWithSession(<PoliciesPanel />, { role: 'admin' });
    fireEvent.click(await screen.findByRole('button', { name: 'New policy' }));
    // Nothing named, a rule with neither an id nor a package: refused here, nothing sent.
    fireEvent.click(screen.getByRole('button', { name: 'Add ignore rule' }));
    fireEvent.change(screen.getByLabelText('Block CVSS'), { target: { value: '11' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create policy' }));
    expect(await screen.findByText('name: required')).toBeTruthy();
    expect(screen.getByText('block.cvss must be a number from 0 to 10')).toBeTruthy();
    expect(screen.getByText('ignore[0] needs an advisory id, a package or both')).toBeTruthy();
    expect(stub.callsTo('securityGuardian.createPolicy')).toHaveLength(0);

    fireEvent.change(screen.getByLabelText('Policy name'), { target: { value: 'staging' } });
    fireEvent.change(screen.getByLabelText('Block CVSS'), { target: { value: '9' } });
    fireEvent.change(screen.getByLabelText('Warn severity'), { target: { value: 'medium' } });
    fireEvent.change(screen.getByLabelText('Rule 1 advisory id'), {
      target: { value: 'CVE-2024-1' },
    });
    fireEvent.change(screen.getByLabelText('Rule 1 reason'), { target: { value: 'patched' } });
    fireEvent.change(screen.getByLabelText('Rule 1 expires'), { target: { value: '2027-01-31' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create policy' }));
    await waitFor(() => expect(stub.callsTo('securityGuardian.createPolicy')).toHaveLength(1));
    expect(stub.callsTo('securityGuardian.createPolicy')[0]?.input).toEqual({
      name: 'staging',
      description: '',
      enabled: true,
      block: { cvss: 9 },
      warn: { severity: 'medium' },
      ignore: [{ id: 'CVE-2024-1', reason: 'patched', expires: '2027-01-31' }],
    });
    await waitFor(() => expect(screen.queryByRole('form', { name: 'New policy' })).toBeNull());
  });

  it("shows the server's refusal beside the rule it names, and keeps the form", async () => {
    stubTrpc({
      'securityGuardian.listPolicies': list([policy]),
      'securityGuardian.updatePolicy': () => {
        throw trpcError('BAD_REQUEST', 'input.ignore[1].expires must be a date YYYY-MM-DD');
      },
    });
    renderWithSession(<PoliciesPanel />, { role: 'admin' });
    fireEvent.click(await screen.findByRole('button', { name: 'Edit prod-gate' }));
    const form = screen.getByRole('form', { name: 'Edit policy prod-gate' });
    expect((within(form).getByLabelText('Rule 2 package') as HTMLInputElement).value).toBe(
      'lodash',
    );
    fireEvent.click(within(form).getByRole('button', { name: 'Save policy' }));
    const rules = await within(form).findAllByTestId('ignore-rule');
    expect((await within(rules[1] as HTMLElement).findByRole('alert')).textContent).toContain(
      'ignore[1].expires',
    );
    expect(within(rules[0] as HTMLElement).queryByRole('alert')).toBeNull();
  });

  it('disables a policy and deletes one only after confirming', async () => {
    const stub = stubTrpc({
      'securityGuardian.listPolicies': list([policy]),
      'securityGuardian.updatePolicy': (input) => ({ ...policy, ...(input as object) }),
      'securityGuardian.deletePolicy': () => ({ deleted: true }),
    });
    renderWithSession(<PoliciesPanel />, { role: 'admin' });
    fireEvent.click(await screen.findByRole('button', { name: 'Disable prod-gate' }));
    await waitFor(() =>
      expect(stub.callsTo('securityGuardian.updatePolicy')[0]?.input).toEqual({
        id: 3,
        enabled: false,
      }),
    );
    const confirm = vi
      .spyOn(window, 'confirm')
      .mockReturnValueOnce(false)
      .mockReturnValueOnce(true);
    fireEvent.click(screen.getByRole('button', { name: 'Delete prod-gate' }));
    expect(stub.callsTo('securityGuardian.deletePolicy')).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: 'Delete prod-gate' }));
    await waitFor(() =>
      expect(stub.callsTo('securityGuardian.deletePolicy')[0]?.input).toEqual({ id: 3 }),
    );
    expect(confirm).toHaveBeenCalledTimes(2);
  });
});

// checkDraft is also what keeps a half-filled rule from reaching the server.
describe('checkDraft', () => {
  it('asks for a reason once a rule names something', () => {
    const d = {
      name: 'x',
      description: '',
      enabled: true,
      block: { severity: '' as const, cvss: '' },
      warn: { severity: '' as const, cvss: '' },
      ignore: [{ id: 'CVE-1', package: '', reason: ' ', expires: '' }],
    };
    expect(checkDraft(d)).toEqual({ 'ignore[0]': 'ignore[0].reason: required' });
  });
});
