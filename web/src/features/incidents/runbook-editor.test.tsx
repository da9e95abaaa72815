// The runbook editor against a stubbed server: steps by type, add/reorder/remove, a message
// beside the field the form's check or the server names, the server's warnings, and the YAML
// tab round-tripping through incidentCommander.validateRunbook.
import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderWithSession } from '../../testing/render';
import { stubTrpc, trpcError } from '../../testing/stub-trpc';
import { RunbookEditor } from './runbook-editor';

const t = '2026-11-28T10:00:00Z';
const draft = {
  id: 7,
  name: 'learned-checkout',
  description: 'Learned from 3 incidents',
  definition: '# learned\nname: learned-checkout\n',
  triggerConditions: { labels: { service: 'checkout' } },
  steps: {
    name: 'learned-checkout',
    description: 'Learned from 3 incidents',
    trigger: { labels: { service: 'checkout' } },
    autoExecute: false,
    requiresApproval: true,
    parameters: [],
    steps: [
      { name: 'ask', approval: 'Run: kubectl rollout undo deploy/checkout' },
      { name: 'heal', healing: { action: 'rollback', target: 'checkout' } },
    ],
  },
  version: 1,
  requiresApproval: true,
  autoExecute: false,
  enabled: false,
  source: 'generated' as const,
  successCount: 0,
  failureCount: 0,
  createdAt: t,
  updatedAt: t,
};

const fieldOf = (label: string) => screen.getByLabelText(label).closest('.rb-field') as HTMLElement;

describe('RunbookEditor', () => {
  it('edits a draft by step type, reorders, and saves YAML the server parses', async () => {
    const stub = stubTrpc({
      'incidentCommander.updateRunbook': () => ({ ...draft, version: 2 }),
    });
    let done = 0;
    renderWithSession(<RunbookEditor runbook={draft} onDone={() => (done += 1)} />);
    const steps = screen.getAllByTestId('runbook-step');
    expect(steps).toHaveLength(2);
    expect(
      (screen.getByLabelText('Step 1 question for the approver') as HTMLInputElement).value,
    ).toBe('Run: kubectl rollout undo deploy/checkout');
    expect((screen.getByLabelText('Step 2 healing action') as HTMLSelectElement).value).toBe(
      'rollback',
    );
    // Turn the approval into a command: a relative executable is refused beside its field.
    fireEvent.change(screen.getByLabelText('Step 1 type'), { target: { value: 'command' } });
    fireEvent.change(screen.getByLabelText('Step 1 executable'), { target: { value: 'kubectl' } });
    expect(
      within(fieldOf('Step 1 executable')).getByText(/absolute path \("kubectl"\)/),
    ).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Save as new version' }));
    expect(screen.getByTestId('runbook-client-errors').textContent).toMatch(/1 field needs/);
    expect(stub.callsTo('incidentCommander.updateRunbook')).toHaveLength(0);
    fireEvent.change(screen.getByLabelText('Step 1 executable'), {
      target: { value: '/usr/bin/kubectl' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add argument to step 1' }));
    fireEvent.change(screen.getByLabelText('Step 1 argument 1'), { target: { value: 'rollout' } });
    // Add a wait, move it first, remove the healing step.
    fireEvent.change(screen.getByLabelText('New step type'), { target: { value: 'wait' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add step' }));
    fireEvent.click(screen.getByRole('button', { name: 'Move step 3 up' }));
    fireEvent.click(screen.getByRole('button', { name: 'Move step 2 up' }));
    fireEvent.click(screen.getByRole('button', { name: 'Remove step 3' }));
    fireEvent.click(screen.getByLabelText('critical'));
    fireEvent.click(screen.getByRole('button', { name: 'Save as new version' }));
    await waitFor(() => expect(done).toBe(1));
    const sent = stub.callsTo('incidentCommander.updateRunbook')[0]?.input as {
      id: number;
      definition: string;
    };
    expect(sent.id).toBe(7);
    expect(sent.definition).toBe(
      [
        'name: learned-checkout',
        'description: "Learned from 3 incidents"',
        'trigger:',
        '  labels:',
        '    service: checkout',
        '  severity: [critical]',
        'autoExecute: false',
        'requiresApproval: true',
        'steps:',
        '  - name: step-3',
        '    wait: 30s',
        '  - name: ask',
        '    command:',
        '      argv: [/usr/bin/kubectl, rollout]',
        '      timeout: 60s',
        '      destructive: true',
        '',
      ].join('\n'),
    );
  });

  it("shows the server's refusal at the field it names and its warnings beside the step", async () => {
    const stub = stubTrpc({
      'incidentCommander.validateRunbook': () => ({
        runbook: {},
        warnings: [
          {
            field: 'steps[0].command.argv[0]',
            message: '/usr/bin/systemctl is not in the allow-list (setting runbook_executables)',
          },
        ],
      }),
      'incidentCommander.createRunbook': () => {
        throw trpcError('BAD_REQUEST', 'steps[0].command.timeout: must be above 0 and at most 1h');
      },
    });
    renderWithSession(<RunbookEditor runbook={null} onDone={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Check with the server' }));
    await screen.findByTestId('runbook-accepted');
    expect(within(fieldOf('Step 1 executable')).getByText(/not in the allow-list/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Create runbook' }));
    const timeout = fieldOf('Step 1 timeout');
    expect(await within(timeout).findByText(/at most 1h/)).toBeTruthy();
    expect(screen.getByLabelText('Step 1 timeout').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('runbook-server-error').textContent).toMatch(/refused/);
    // A name clash is shown at the name.
    stub.routes['incidentCommander.createRunbook'] = () => {
      throw trpcError('CONFLICT', 'a runbook named "restart-service" already exists');
    };
    fireEvent.click(screen.getByRole('button', { name: 'Create runbook' }));
    expect(await within(fieldOf('Name')).findByText(/already exists/)).toBeTruthy();
    // A refusal naming no field is shown for the whole form.
    stub.routes['incidentCommander.createRunbook'] = () => {
      throw trpcError('BAD_REQUEST', 'runbook: expected a map with name and steps');
    };
    fireEvent.click(screen.getByRole('button', { name: 'Create runbook' }));
    await waitFor(() =>
      expect(screen.getByTestId('runbook-server-error').textContent).toBe(
        'runbook: expected a map with name and steps',
      ),
    );
  });

  it('parses the YAML tab through the server before showing the steps', async () => {
    const stub = stubTrpc({
      'incidentCommander.validateRunbook': (input) => {
        const def = (input as { definition: string }).definition;
        if (def.includes('bogus')) throw trpcError('BAD_REQUEST', 'steps[0].bogus: unknown field');
        return {
          runbook: {
            name: 'from-yaml',
            steps: [{ name: 'probe', http: { method: 'POST', url: 'http://127.0.0.1/x' } }],
          },
          warnings: [],
        };
      },
    });
    renderWithSession(<RunbookEditor runbook={null} onDone={() => {}} />);
    fireEvent.click(screen.getByRole('tab', { name: 'YAML' }));
    const yaml = screen.getByLabelText('Definition (YAML)') as HTMLTextAreaElement;
    expect(yaml.value).toContain('name: restart-service');
    fireEvent.change(yaml, { target: { value: 'name: x\nsteps:\n  - {bogus: 1}\n' } });
    fireEvent.click(screen.getByRole('tab', { name: 'Steps' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/steps\[0\]\.bogus/);
    expect(screen.getByRole('tab', { name: 'YAML' }).getAttribute('aria-selected')).toBe('true');
    fireEvent.change(yaml, { target: { value: 'name: from-yaml\n' } });
    fireEvent.click(screen.getByRole('tab', { name: 'Steps' }));
    await screen.findByLabelText('Step 1 URL');
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('from-yaml');
    expect((screen.getByLabelText('Step 1 method') as HTMLSelectElement).value).toBe('POST');
    expect(stub.callsTo('incidentCommander.validateRunbook')).toHaveLength(2);
  });
});
