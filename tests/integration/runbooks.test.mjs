// Runbooks through the real server and the real @trpc/client: an alert opens an incident, an
// operator starts a runbook on it, the same operator cannot approve it, a second one does, the
// durable job runs the argv command from the allow-list with the incident's label as one
// argument, the incident's timeline records it, and the post-mortem is generated and edited.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTRPCUntypedClient, httpLink, TRPCClientError } from '@trpc/client';
import { Server, waitFor } from './harness.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function client(server, token) {
  return createTRPCUntypedClient({
    links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

test('runbook: second-operator approval, argv execution, timeline and post-mortem', async () => {
  const server = await new Server({ extraArgs: ['--runbook-executables', '/bin/echo,/bin/false'] }).start();
  cleanups.push(async () => { await server.stop(); server.cleanup(); });
  const alice = client(server, server.createToken('operator', 'alice'));
  const bob = client(server, server.createToken('operator', 'bob'));
  const viewer = client(server, server.createToken('viewer', 'vera'));
  const hook = server.createToken('operator', 'alertmanager');

  const r = await fetch(`${server.url}/api/webhooks/generic`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hook}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'API down', severity: 'high', labels: { service: 'api $(reboot)' }, fingerprint: 'api-down' }),
  });
  assert.equal(r.status, 200, await r.text());
  const incidents = await viewer.query('incidentCommander.list', {});
  const incidentId = incidents.items[0].id;

  const bad = await alice.mutation('incidentCommander.createRunbook', { definition: 'name: x\nsteps: [{command: {argv: [echo]}}]' })
    .catch((e) => e);
  assert.ok(bad instanceof TRPCClientError);
  assert.equal(bad.data?.code, 'BAD_REQUEST');
  assert.match(bad.message, /steps\[0\]\.command\.argv\[0\]/);

  const rb = await alice.mutation('incidentCommander.createRunbook', {
    definition: `
name: echo-service
description: say which service
parameters: [service]
steps:
  - name: say
    command: {argv: [/bin/echo, "service=", "{{service}}"], destructive: false}
  - name: tell
    notify: "echoed {{service}}"
`,
  });
  assert.equal(rb.requiresApproval, true);
  const viewerTry = await viewer.mutation('incidentCommander.executeRunbook', { runbookId: rb.id, incidentId }).catch((e) => e);
  assert.equal(viewerTry.data?.code, 'FORBIDDEN');

  const exec = await alice.mutation('incidentCommander.executeRunbook', { runbookId: rb.id, incidentId });
  assert.equal(exec.status, 'awaiting_approval');
  assert.equal(exec.parameters.service, 'api $(reboot)');
  const self = await alice.mutation('incidentCommander.approveExecution', { id: exec.id }).catch((e) => e);
  assert.equal(self.data?.code, 'FORBIDDEN');
  await bob.mutation('incidentCommander.approveExecution', { id: exec.id, note: 'looks right' });

  const done = await waitFor('the execution to finish', async () => {
    const e = await viewer.query('incidentCommander.getExecution', { id: exec.id });
    return e.status === 'succeeded' || e.status === 'failed' ? e : null;
  }, 20000);
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  assert.equal(done.steps[0].output, 'service= api $(reboot)\n');
  assert.deepEqual(done.steps[0].argv, ['/bin/echo', 'service=', 'api $(reboot)']);
  assert.equal(done.approvals[0].by, 'token:bob');

  const detail = await viewer.query('incidentCommander.get', { id: incidentId });
  const types = detail.timeline.map((t) => t.type);
  assert.ok(types.includes('runbook_execution'));
  assert.ok(detail.timeline.some((t) => t.type === 'notification' && t.description === 'echoed api $(reboot)'));

  const pm = await alice.mutation('incidentCommander.generatePostMortem', { incidentId });
  assert.match(pm.current.content, /## Impact/);
  assert.match(pm.current.content, /Runbook \*\*echo-service\*\*: succeeded/);
  const edited = await bob.mutation('incidentCommander.updatePostMortem', { incidentId, content: pm.current.content + '\nReviewed.\n' });
  assert.equal(edited.current.kind, 'edited');
  assert.equal(edited.current.author, 'token:bob');
  const again = await alice.mutation('incidentCommander.generatePostMortem', { incidentId });
  assert.equal(again.revisions.length, 3);
  assert.match(again.revisions[1].content, /Reviewed\./);
});
