// The incident's post-mortem: generate (a new revision from the record), read, edit (saved as a
// person's revision; regenerating never overwrites it), and the revision list.
import { useState } from 'react';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { Empty, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';

export function PostMortem({ incidentId }: { incidentId: number }) {
  const q = useProcedureQuery('incidentCommander.getPostMortem', { incidentId });
  const generate = useProcedureMutation('incidentCommander.generatePostMortem');
  const save = useProcedureMutation('incidentCommander.updatePostMortem');
  const [draft, setDraft] = useState<string | null>(null);
  const [shown, setShown] = useState<number | null>(null);
  const error = generate.error ?? save.error;
  return (
    <Panel title="Post-mortem">
      <RequireRole min="operator">
        <div className="actions">
          <button
            type="button"
            disabled={generate.isPending}
            onClick={() => generate.mutate({ incidentId })}
          >
            {q.data?.current ? 'Regenerate' : 'Generate post-mortem'}
          </button>
          {q.data?.current && draft === null ? (
            <button type="button" onClick={() => setDraft(q.data?.current?.content ?? '')}>
              Edit
            </button>
          ) : null}
        </div>
      </RequireRole>
      {error ? (
        <p role="alert" className="error">
          {error.message}
        </p>
      ) : null}
      {draft !== null ? (
        <form
          onSubmit={(ev) => {
            ev.preventDefault();
            save.mutate({ incidentId, content: draft }, { onSuccess: () => setDraft(null) });
          }}
        >
          <label>
            Post-mortem (Markdown)
            <textarea rows={24} value={draft} onChange={(ev) => setDraft(ev.target.value)} />
          </label>
          <button type="submit" disabled={save.isPending || draft.trim() === ''}>
            Save revision
          </button>
          <button type="button" onClick={() => setDraft(null)}>
            Discard
          </button>
        </form>
      ) : null}
      <QueryView q={q} loadingLabel="Loading post-mortem">
        {(pm) => {
          if (!pm.current) return <Empty title="No post-mortem yet" />;
          const rev = pm.revisions.find((r) => r.version === shown) ?? pm.current;
          return (
            <>
              <p className="small muted">
                Revision {rev.version} ({rev.kind} by {rev.author}, <Time iso={rev.createdAt} />)
              </p>
              <pre className="markdown" aria-label="Post-mortem text">
                {rev.content}
              </pre>
              {pm.revisions.length > 1 ? (
                <label>
                  Revisions
                  <select value={rev.version} onChange={(ev) => setShown(Number(ev.target.value))}>
                    {pm.revisions.map((r) => (
                      <option key={r.version} value={r.version}>
                        {r.version}: {r.kind} by {r.author}
                      </option>
                    ))}
                  </select>
                </label>
              ) : null}
              <a
                download={`incident-${incidentId}-post-mortem.md`}
                href={`data:text/markdown;charset=utf-8,${encodeURIComponent(rev.content)}`}
              >
                Download Markdown
              </a>
            </>
          );
        }}
      </QueryView>
    </Panel>
  );
}
