// Assistant (assistant.*): ask a question; the answer shows whether an LLM wrote it or the
// templated fallback did, the records it cites, every tool call (refused ones included) and
// the actions it proposes for a person to approve. It cannot change anything itself: a proposal
// to run a runbook is a runbook execution awaiting approval, decided here or on its incident's
// page through the ordinary approval procedures.
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { usePage } from '../../components/pagination';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';

type Answer = ProcedureOutput<'assistant.ask'>;
type Approval = NonNullable<Answer['proposals'][number]['approval']>;

/** The runbook execution a proposal became: its state, and approve/reject for operators. */
function ProposalApproval({ approval }: { approval: Approval }) {
  const q = useProcedureQuery('incidentCommander.getExecution', { id: approval.executionId });
  const approve = useProcedureMutation('incidentCommander.approveExecution');
  const reject = useProcedureMutation('incidentCommander.rejectExecution');
  const error = approve.error ?? reject.error ?? q.error;
  const status = q.data?.status;
  return (
    <span className="approval" role="group" aria-label={`Approval ${approval.executionId}`}>
      {' '}
      · runbook execution #{approval.executionId}
      {status ? <span className={`status status-${status}`}> {status}</span> : null}
      {approval.incidentId !== null ? (
        <>
          {' '}
          · <Link to={`/incidents/${approval.incidentId}`}>incident #{approval.incidentId}</Link>
        </>
      ) : null}
      {status === 'awaiting_approval' ? (
        <RequireRole min="operator">
          {' '}
          <button
            type="button"
            disabled={approve.isPending}
            onClick={() => approve.mutate({ id: approval.executionId })}
          >
            Approve
          </button>{' '}
          <button
            type="button"
            disabled={reject.isPending}
            onClick={() => reject.mutate({ id: approval.executionId })}
          >
            Reject
          </button>
        </RequireRole>
      ) : null}
      {error ? (
        <span role="alert" className="error">
          {' '}
          {error.message}
        </span>
      ) : null}
    </span>
  );
}

function StatusLine() {
  const q = useProcedureQuery('assistant.status', {});
  return (
    <QueryView q={q} loadingLabel="Loading the assistant's status">
      {(s) =>
        s.llmConfigured ? (
          <p className="muted" data-testid="llm-status">
            LLM: {s.model}
            {s.budgetUsd !== null
              ? ` · budget $${s.budgetUsd.toFixed(2)}, spent $${s.spentUsd.toFixed(2)}`
              : ''}
            {` · ${s.tools.length} read-only tools`}
          </p>
        ) : (
          <p className="muted" data-testid="llm-status">
            An LLM is not configured: the assistant answers a fixed set of questions (what is on
            fire, why is X failing, what did we spend on Y) from the same read-only tools.
          </p>
        )
      }
    </QueryView>
  );
}

function AnswerView({ a }: { a: Answer }) {
  return (
    <div data-testid="assistant-answer">
      <p>
        <span className={`sev ${a.mode === 'llm' ? 'sev-low' : 'sev-medium'}`}>
          {a.mode === 'llm' ? 'LLM' : 'templated'}
        </span>
      </p>
      <pre className="answer">{a.answer}</pre>
      {a.error ? <p className="muted">The LLM failed: {a.error}</p> : null}
      {a.citations.length ? (
        <>
          <h3>Sources</h3>
          <ul className="list">
            {a.citations.map((c, i) => (
              <li key={i}>
                <code>{c.procedure}</code>
                {c.ids.length ? ` — records ${c.ids.map(String).join(', ')}` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {a.proposals.length ? (
        <>
          <h3>Proposed actions (a person decides)</h3>
          <ul className="list">
            {a.proposals.map((p, i) => (
              <li key={i}>
                {p.action} {p.reason ? <span className="muted">— {p.reason}</span> : null}{' '}
                <span className="sev sev-medium">{p.status}</span>
                {p.approval ? <ProposalApproval approval={p.approval} /> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {a.toolCalls.length ? (
        <details>
          <summary>Tool calls ({a.toolCalls.length})</summary>
          <ul className="list">
            {a.toolCalls.map((t, i) => (
              <li key={i}>
                <code>{t.procedure ?? t.tool}</code> {t.allowed ? 'ran' : <strong>refused</strong>}
                {t.error ? <span className="muted"> — {t.error}</span> : null}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {a.usage.promptTokens + a.usage.completionTokens > 0 ? (
        <p className="muted">
          {a.usage.promptTokens} prompt + {a.usage.completionTokens} completion tokens, $
          {a.usage.costUsd.toFixed(4)}
        </p>
      ) : null}
    </div>
  );
}

function History() {
  const { limit, offset, pager } = usePage('historyOffset', 10);
  const q = useProcedureQuery('assistant.history', { limit, offset });
  return (
    <Panel title="Earlier questions" actions={<code className="proc">assistant.history</code>}>
      <QueryView q={q} loadingLabel="Loading history">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No question asked yet" />
          ) : (
            <ul className="list">
              {data.items.map((h) => (
                <li key={h.id}>
                  <strong>{h.question}</strong>{' '}
                  <span className="muted">
                    ({h.mode}, {h.askedBy})
                  </span>{' '}
                  <Time iso={h.createdAt} />
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
      {pager(q.data?.total)}
    </Panel>
  );
}

export function AssistantPage() {
  const ask = useProcedureMutation('assistant.ask');
  const [question, setQuestion] = useState('');
  function submit(ev: FormEvent) {
    ev.preventDefault();
    if (question.trim()) ask.mutate({ question: question.trim() });
  }
  return (
    <>
      <div className="page-head">
        <h1>Assistant</h1>
        <p className="muted">
          Questions about incidents, costs, pipelines and findings, answered through read-only tools
          with the records cited.
        </p>
      </div>
      <StatusLine />
      <Panel title="Ask" actions={<code className="proc">assistant.ask</code>}>
        <form className="inline-form" onSubmit={submit} aria-label="Ask the assistant">
          <label>
            Question
            <input
              name="question"
              value={question}
              placeholder="What is on fire?"
              onChange={(e) => setQuestion(e.target.value)}
            />
          </label>
          <button type="submit" disabled={ask.isPending || !question.trim()}>
            {ask.isPending ? 'Asking…' : 'Ask'}
          </button>
        </form>
        {ask.error ? <ErrorState error={ask.error} title="No answer" /> : null}
        {ask.data ? <AnswerView a={ask.data} /> : null}
      </Panel>
      <History />
    </>
  );
}
