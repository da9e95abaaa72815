// The Self-Healing page against a mocked tRPC server: rules with their toggle, recent
// decisions with reasons, learned patterns, and the approval flow for an operator.
import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { User } from '../../lib/session';
import { renderWithSession } from '../../testing/render';
import { stubTrpc, trpcError, type TrpcStub } from '../../testing/stub-trpc';
import { SelfHealingPage } from './self-healing-page';

const rule = {
  id: 7,
  name: 'restart-node-exporter',
  description: '',
  enabled: true,
  conditionType: 'alert',
  conditionConfig: { matchers: ['alertname="NodeExporterDown"'] },
  actionType: 'restart_process',
  actionConfig: { target: 'node_exporter' },
  cooldownSeconds: 60,
  maxRetries: 3,
  maxExecutionsPerHour: 10,
  requiresApproval: true,
  dryRun: false,
  priority: 100,
  verifySeconds: 120,
  breakerFailures: 3,
  breakerResetSeconds: 1800,
  autoApprove: null,
  successCount: 3,
  failureCount: 1,
  successRate: 0.75,
  lastTriggeredAt: '2026-11-28T10:00:00.000Z',
  createdAt: '2026-11-28T09:00:00.000Z',
  updatedAt: '2026-11-28T09:00:00.000Z',
};

function action(id: number, status: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    ruleId: 7,
    ruleName: 'restart-node-exporter',
    incidentId: null,
    actionType: 'restart_process',
    target: 'node_exporter',
    status,
    verdict: status === 'awaiting_approval' ? 'needs_approval' : 'execute',
    reason: 'the rule requires approval',
    dryRun: false,
    signature: 'NodeExporterDown{job="node"}',
    fingerprint: 'abc',
    signal: {},
    result: null,
    error: null,
    attempt: 1,
    decidedBy: 'rule:restart-node-exporter',
    approvedBy: null,
    approvalNote: '',
    confidence: 0,
    createdAt: '2026-11-28T10:00:00.000Z',
    startedAt: null,
    completedAt: null,
    verifiedAt: null,
    durationMs: null,
    recoverySeconds: null,
    ...extra,
  };
}

let pending: ReturnType<typeof action>[];
let trpc: TrpcStub;

function answer(path: string, input: unknown): unknown {
  const page = (items: unknown[]) => ({ items, total: items.length, limit: 20, offset: 0 });
  switch (path) {
    case 'selfHealing.listRules':
      return page([rule]);
    case 'selfHealing.getHistory':
      return (input as { status?: string })?.status === 'awaiting_approval'
        ? page(pending)
        : page([
            action(2, 'succeeded', {
              reason: 'rule matched; attempt 1 of 3',
              durationMs: 26,
              recoverySeconds: 3.2,
            }),
            action(1, 'skipped', { verdict: 'skip', reason: 'cooldown: next allowed in 40 s' }),
          ]);
    case 'selfHealing.listPatterns':
      return page([
        {
          id: 1,
          signature: 'NodeExporterDown{job="node"}',
          conditionType: 'alert',
          actionType: 'restart_process',
          attempts: 4,
          successes: 3,
          failures: 1,
          successRate: 0.75,
          meanRecoverySeconds: 3.5,
          confidence: 0.3,
          lastSeenAt: null,
        },
      ]);
    case 'selfHealing.listProcesses':
      return [];
    case 'selfHealing.toggleRule':
      return { ...rule, enabled: (input as { enabled: boolean }).enabled };
    case 'selfHealing.approveAction':
      pending = [];
      return action(9, 'approved');
    case 'selfHealing.suggestRules':
      return {
        manualFixes: 3,
        items: [
          {
            signature: 'DiskFull{job="db"}',
            actionType: 'restart_service',
            target: 'logrotate',
            occurrences: 3,
            spec: {
              name: 'DiskFull-restart_service',
              description: 'Suggested from 3 manual fixes of DiskFull{job="db"}',
              conditionType: 'alert',
              conditionConfig: { matchers: ['alertname="DiskFull"', 'job="db"'] },
              actionType: 'restart_service',
              actionConfig: { target: 'logrotate' },
              requiresApproval: true,
            },
          },
        ],
      };
    case 'selfHealing.createRule': {
      const cfg = (input as { actionConfig: { target?: string } }).actionConfig;
      if (!cfg.target) {
        throw trpcError(
          'BAD_REQUEST',
          'input.actionConfig.target: required (or targetLabel with allowedTargets)',
        );
      }
      return { ...rule, id: 8, name: (input as { name: string }).name };
    }
    case 'selfHealing.updateRule':
      return { ...rule, ...(input as object) };
    default:
      throw new Error(`unexpected ${path}`);
  }
}

const kPaths = [
  'selfHealing.listRules',
  'selfHealing.getHistory',
  'selfHealing.listPatterns',
  'selfHealing.listProcesses',
  'selfHealing.toggleRule',
  'selfHealing.approveAction',
  'selfHealing.suggestRules',
  'selfHealing.createRule',
  'selfHealing.updateRule',
];

beforeEach(() => {
  pending = [action(9, 'awaiting_approval')];
  trpc = stubTrpc(Object.fromEntries(kPaths.map((p) => [p, (input: unknown) => answer(p, input)])));
});

function renderAs(role: User['role'], route = '/self-healing') {
  return renderWithSession(<SelfHealingPage />, { role, route });
}

describe('SelfHealingPage', () => {
  it('shows rules, decisions with their reasons and learned patterns', async () => {
    renderAs('viewer');
    const section = async (name: string) =>
      (await screen.findByRole('heading', { name })).closest('section') as HTMLElement;
    const rules = await section('Rules');
    expect(await within(rules).findByText('restart-node-exporter')).toBeTruthy();
    expect(within(rules).getByText(/alertname="NodeExporterDown"/)).toBeTruthy();
    expect(within(rules).getByText('restart_process → node_exporter')).toBeTruthy();
    expect(within(rules).getByText(/75% of 4/)).toBeTruthy();
    const recent = await section('Recent decisions and actions');
    expect(await within(recent).findByText('cooldown: next allowed in 40 s')).toBeTruthy();
    expect(within(recent).getByText('26 ms')).toBeTruthy();
    expect(within(recent).getByText('3.2 s')).toBeTruthy();
    const patterns = await section('Learned patterns');
    expect(await within(patterns).findByText('NodeExporterDown{job="node"}')).toBeTruthy();
    expect(await screen.findByText('No supervised processes')).toBeTruthy();
    // A viewer sees pending approvals but cannot decide them.
    expect(await screen.findByText('the rule requires approval')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('toggles a rule', async () => {
    renderAs('operator');
    const box = await screen.findByRole('checkbox', { name: 'Enable rule restart-node-exporter' });
    fireEvent.click(box);
    await waitFor(() => expect(trpc.callsTo('selfHealing.toggleRule').length > 0).toBe(true));
    expect(trpc.callsTo('selfHealing.toggleRule')[0]?.input).toEqual({
      id: 7,
      enabled: false,
    });
  });

  it('creates a rule from a suggestion after review', async () => {
    renderAs('operator');
    const panel = (await screen.findByRole('heading', { name: 'Suggested rules' })).closest(
      'section',
    ) as HTMLElement;
    expect(await within(panel).findByText('DiskFull{job="db"}')).toBeTruthy();
    expect(within(panel).getByText('3×')).toBeTruthy();
    fireEvent.click(within(panel).getByRole('button', { name: 'Review and create' }));
    const form = await screen.findByRole('form', { name: 'New rule' });
    expect((within(form).getByLabelText('Name') as HTMLInputElement).value).toBe(
      'DiskFull-restart_service',
    );
    fireEvent.click(within(form).getByRole('button', { name: 'Create rule' }));
    await waitFor(() => expect(trpc.callsTo('selfHealing.createRule').length > 0).toBe(true));
    expect(trpc.callsTo('selfHealing.createRule')[0]?.input).toMatchObject({
      name: 'DiskFull-restart_service',
      conditionType: 'alert',
      conditionConfig: { matchers: ['alertname="DiskFull"', 'job="db"'] },
      actionType: 'restart_service',
      actionConfig: { target: 'logrotate' },
      requiresApproval: true,
    });
    await waitFor(() => expect(screen.queryByRole('form', { name: 'New rule' })).toBeNull());
  });

  it('shows validation errors beside the field they name', async () => {
    renderAs('operator');
    fireEvent.click(await screen.findByRole('button', { name: 'New rule' }));
    const form = await screen.findByRole('form', { name: 'New rule' });
    // Local checks: empty name, JSON that does not parse.
    fireEvent.change(within(form).getByLabelText('Condition config (JSON)'), {
      target: { value: '{matchers' },
    });
    fireEvent.click(within(form).getByRole('button', { name: 'Create rule' }));
    expect(await within(form).findByText('not valid JSON')).toBeTruthy();
    expect(within(form).getByText('required')).toBeTruthy();
    expect(trpc.callsTo('selfHealing.createRule').length).toBe(0);
    // The server's error lands under the field its path names.
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'r1' } });
    fireEvent.change(within(form).getByLabelText('Condition config (JSON)'), {
      target: { value: '{"matchers": ["alertname=\\"X\\""]}' },
    });
    fireEvent.click(within(form).getByRole('button', { name: 'Create rule' }));
    const err = await within(form).findByText(/target: required \(or targetLabel/);
    expect(err.closest('.field')?.querySelector('label')?.textContent).toBe('Action config (JSON)');
  });

  it('edits an existing rule through updateRule', async () => {
    renderAs('operator');
    fireEvent.click(await screen.findByRole('button', { name: 'Edit rule restart-node-exporter' }));
    const form = await screen.findByRole('form', { name: 'Edit rule' });
    fireEvent.change(within(form).getByLabelText('Cooldown (s)'), { target: { value: '120' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save rule' }));
    await waitFor(() => expect(trpc.callsTo('selfHealing.updateRule').length > 0).toBe(true));
    expect(trpc.callsTo('selfHealing.updateRule')[0]?.input).toMatchObject({
      id: 7,
      name: 'restart-node-exporter',
      cooldownSeconds: 120,
      actionConfig: { target: 'node_exporter' },
    });
  });

  it('lets an operator approve a pending action', async () => {
    renderAs('operator');
    const panel = (await screen.findByRole('heading', { name: 'Pending approvals' })).closest(
      'section',
    )!;
    fireEvent.click(await within(panel as HTMLElement).findByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(trpc.callsTo('selfHealing.approveAction').length > 0).toBe(true));
    expect(trpc.callsTo('selfHealing.approveAction')[0]?.input).toEqual({ id: 9 });
    expect(await within(panel as HTMLElement).findByText('Nothing awaits approval')).toBeTruthy();
  });

  it('keeps the outcome filter and the page in the address', async () => {
    const base = answer;
    trpc.routes['selfHealing.getHistory'] = (input) => {
      const i = input as { status?: string; offset?: number };
      if (i.status === 'awaiting_approval') return base('selfHealing.getHistory', input);
      return {
        items: [action(30 + (i.offset ?? 0), i.status ?? 'succeeded')],
        total: 45,
        limit: 20,
        offset: i.offset ?? 0,
      };
    };
    const r = renderAs('viewer', '/self-healing?status=failed');
    const recent = (
      await screen.findByRole('heading', { name: 'Recent decisions and actions' })
    ).closest('section') as HTMLElement;
    await within(recent).findByText('1–20 of 45');
    expect(
      trpc
        .callsTo('selfHealing.getHistory')
        .some((c) => (c.input as { status?: string }).status === 'failed'),
    ).toBe(true);
    expect(
      (within(recent).getByRole('combobox', { name: 'Outcome' }) as HTMLSelectElement).value,
    ).toBe('failed');
    fireEvent.click(within(recent).getByRole('button', { name: 'Next' }));
    await within(recent).findByText('21–40 of 45');
    expect(r.location()).toBe('/self-healing?status=failed&historyOffset=20');
    expect(trpc.calls.at(-1)?.input).toEqual({ limit: 20, offset: 20, status: 'failed' });
    // A new filter starts again at the first page.
    fireEvent.change(within(recent).getByRole('combobox', { name: 'Outcome' }), {
      target: { value: 'escalated' },
    });
    await within(recent).findByText('1–20 of 45');
    expect(r.location()).toBe('/self-healing?status=escalated');
  });
});
