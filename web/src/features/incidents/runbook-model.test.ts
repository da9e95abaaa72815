// The runbook editor's model: canonical JSON → model → definition round-trips, the YAML it
// writes, the engine's validation rules by field path, and server messages placed at fields.
import { describe, expect, it } from 'vitest';
import {
  emptyRunbook,
  fromCanonical,
  humanDuration,
  newStep,
  serverFieldPath,
  toDefinition,
  toYaml,
  validate,
  type RunbookModel,
} from './runbook-model';

// What Runbook::ToJson stores (listRunbooks' `steps`): every step type, milliseconds.
const canonical = {
  name: 'restart-api',
  description: 'Restart the API',
  trigger: { labels: { service: 'api' }, severity: ['critical', 'high'] },
  autoExecute: false,
  requiresApproval: true,
  parameters: ['service'],
  steps: [
    {
      name: 'restart',
      command: {
        argv: ['/usr/bin/systemctl', 'restart', '{{service}}'],
        timeout: '30000ms',
        destructive: true,
        workdir: '/',
        env: { LANG: 'C' },
      },
    },
    { name: 'settle', wait: '10000ms', onInterrupt: 'fail' },
    { name: 'confirm', approval: 'Is the API answering again?' },
    { name: 'tell', notify: 'Restarted {{service}}' },
    {
      name: 'probe',
      http: {
        method: 'GET',
        url: 'http://127.0.0.1:8080/healthz',
        timeout: '60000ms',
        destructive: false,
      },
    },
    { name: 'healthy', promql: { query: "up{job='api'} == 1", timeout: '120000ms' } },
    { name: 'heal', healing: { action: 'restart_pod', target: '{{service}}' } },
    { name: 'more', runbook: 'other-runbook' },
  ],
};

describe('runbook model', () => {
  it('reads every step type from the canonical form and writes the same definition back', () => {
    const m = fromCanonical(canonical);
    expect(m.steps.map((s) => s.type)).toEqual([
      'command',
      'wait',
      'approval',
      'notify',
      'http',
      'promql',
      'healing',
      'runbook',
    ]);
    expect(m.steps[0]?.timeout).toBe('30s');
    expect(m.steps[1]?.duration).toBe('10s');
    expect(m.steps[5]?.timeout).toBe('2m');
    expect(m.labels).toEqual([{ key: 'service', value: 'api' }]);
    expect(validate(m)).toEqual({});
    const back = toDefinition(m);
    expect(back.trigger).toEqual(canonical.trigger);
    const steps = back.steps as Record<string, unknown>[];
    expect(steps[0]).toEqual({
      name: 'restart',
      command: {
        argv: ['/usr/bin/systemctl', 'restart', '{{service}}'],
        workdir: '/',
        env: { LANG: 'C' },
        timeout: '30s',
        destructive: true,
      },
    });
    expect(steps[6]).toEqual({
      name: 'heal',
      healing: { action: 'restart_pod', target: '{{service}}' },
    });
    expect(steps[7]).toEqual({ name: 'more', runbook: 'other-runbook' });
    // The interruption policy travels when it was given, and only then.
    expect(steps[1]).toEqual({ name: 'settle', onInterrupt: 'fail', wait: '10s' });
    expect(m.steps[1]?.onInterrupt).toBe('fail');
    expect(steps[0]).not.toHaveProperty('onInterrupt');
    // Model → definition → model keeps everything but the React keys.
    const again = fromCanonical(back);
    const strip = (x: RunbookModel) => ({ ...x, steps: x.steps.map((s) => ({ ...s, uid: 0 })) });
    expect(strip(again)).toEqual(strip(m));
  });

  it('writes YAML with values quoted where a plain scalar would change meaning', () => {
    const m = emptyRunbook();
    m.name = 'ok-name';
    m.labels = [
      { key: 'app.kubernetes.io/name', value: 'api' },
      { key: 'port', value: '8080' },
    ];
    m.parameters = ['service'];
    m.steps = [
      { ...newStep('command', 'say'), argv: ['/bin/echo', 'a: b # c', '{{service}}', 'true'] },
      { ...newStep('notify', 'tell'), text: 'line one\nline "two"' },
    ];
    expect(toYaml(m)).toBe(
      [
        'name: ok-name',
        'trigger:',
        '  labels:',
        '    app.kubernetes.io/name: api',
        '    port: "8080"',
        'autoExecute: false',
        'requiresApproval: true',
        'parameters: [service]',
        'steps:',
        '  - name: say',
        '    command:',
        '      argv: [/bin/echo, "a: b # c", "{{service}}", "true"]',
        '      timeout: 60s',
        '      destructive: true',
        '  - name: tell',
        '    notify: "line one\\nline \\"two\\""',
        '',
      ].join('\n'),
    );
  });

  it('names each field the engine would refuse, by its server path', () => {
    const m = emptyRunbook();
    m.name = 'bad name!';
    m.labels = [{ key: '', value: 'x' }];
    m.parameters = ['ok', '9bad', 'ok'];
    m.steps = [
      {
        ...newStep('command', 'a'),
        argv: ['systemctl', '{{nope}}'],
        workdir: 'tmp',
        timeout: '2h',
      },
      { ...newStep('http', 'b'), method: 'PATCH', url: 'ftp://x' },
      { ...newStep('wait', 'c'), duration: '10 minutes' },
      { ...newStep('approval', 'd'), text: '' },
      { ...newStep('healing', 'e'), action: '', target: '{{ok}}' },
      { ...newStep('runbook', 'f'), runbook: '' },
      { ...newStep('promql', 'g'), query: 'up{{' },
      { ...newStep('command', 'h'), argv: ['{{ok}}'] },
    ];
    const e = validate(m);
    expect(e.name).toMatch(/letters, digits/);
    expect(e['trigger.labels[0]']).toMatch(/needs a name/);
    expect(e.parameters).toMatch(/"9bad".*"ok" twice/);
    expect(e['steps[0].command.argv[0]']).toMatch(/absolute path \("systemctl"\)/);
    expect(e['steps[0].command.argv[1]']).toMatch(/does not declare it/);
    expect(e['steps[0].command.workdir']).toMatch(/absolute path/);
    expect(e['steps[0].command.timeout']).toMatch(/at most 1h/);
    expect(e['steps[1].http.method']).toMatch(/GET, POST, PUT or DELETE/);
    expect(e['steps[1].http.url']).toMatch(/http\(s\) URL/);
    expect(e['steps[2].wait']).toMatch(/duration such as/);
    expect(e['steps[3].approval']).toMatch(/non-empty text/);
    expect(e['steps[4].healing.action']).toMatch(/required/);
    expect(e['steps[4].healing.target']).toBeUndefined();
    expect(e['steps[5].runbook']).toMatch(/runbook name/);
    expect(e['steps[6].promql.query']).toMatch(/unclosed/);
    expect(e['steps[7].command.argv[0]']).toMatch(/cannot come from a parameter/);
    m.steps = [];
    expect(validate(m).steps).toMatch(/non-empty/);
  });

  it('places a server message at the field it names', () => {
    const m = fromCanonical(canonical);
    expect(serverFieldPath('steps[0].command.argv[0]: the executable must be ...', m)).toBe(
      'steps[0].command.argv[0]',
    );
    expect(serverFieldPath('steps[0].command.env.LANG: not a valid variable name', m)).toBe(
      'steps[0].command.env[0]',
    );
    expect(serverFieldPath('trigger.labels.service: expected a string', m)).toBe(
      'trigger.labels[0]',
    );
    expect(serverFieldPath('runbook.name: is required', m)).toBe('name');
    expect(serverFieldPath('a runbook named "x" already exists', m)).toBeNull();
    expect(serverFieldPath('runbook: yaml-cpp: error at line 2', m)).toBeNull();
  });

  it('turns canonical milliseconds into readable durations', () => {
    expect(humanDuration('3600000ms')).toBe('1h');
    expect(humanDuration('90000ms')).toBe('90s');
    expect(humanDuration('250ms')).toBe('250ms');
    expect(humanDuration('0ms')).toBe('0s');
    expect(humanDuration(15)).toBe('15s');
  });
});
