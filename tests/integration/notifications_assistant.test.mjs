// Notifications and the assistant through the real @trpc/client against the real binary:
// a loopback webhook receiver checks the one signed message per incident state change, and a
// fake OpenAI-compatible server (no LLM runs here; it follows the chat-completions wire format)
// asks for a read-only tool and for a mutation — the server runs the first and refuses the second.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import { Server, runCli, sleep, waitFor } from './harness.mjs';

let server;
let receiver;
let llm;
const received = [];
const llmRequests = [];
let adminToken;
let operatorToken;
let viewerToken;

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

before(async () => {
  receiver = await listen(async (req, res) => {
    received.push({ headers: req.headers, body: await readBody(req) });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  llm = await listen(async (req, res) => {
    const body = JSON.parse(await readBody(req));
    llmRequests.push({ url: req.url, headers: req.headers, body });
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
    extraArgs: ['--llm-url', `http://127.0.0.1:${llm.address().port}/v1`, '--llm-model', 'fake-model'],
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
