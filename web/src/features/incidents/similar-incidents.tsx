// "Similar past incidents" and "relevant docs" on the incident page
// (documentationGenerator.similarIncidents): incidents whose signature (alert names, labels,
// service, root cause) is close to this one's, and knowledge-base documents found by BM25 from
// its title, service, root cause and alert names. Snippets come escaped from the server with
// only <mark> added.
import { Link } from 'react-router';
import { useProcedureQuery } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { Empty, QueryView } from '../../components/states';

export function SimilarIncidents({ incidentId }: { incidentId: number }) {
  const q = useProcedureQuery('documentationGenerator.similarIncidents', {
    incidentId,
    limit: 5,
  });
  return (
    <div className="grid-2">
      <Panel
        title="Similar past incidents"
        actions={<code className="proc">documentationGenerator.similarIncidents</code>}
      >
        <QueryView q={q} loadingLabel="Finding similar incidents">
          {(d) =>
            d.similar.length === 0 ? (
              <Empty title="No similar incidents">
                None of the last 500 incidents shares enough of this one&apos;s signature.
              </Empty>
            ) : (
              <ul className="plain-list" data-testid="similar-incidents">
                {d.similar.map((s) => (
                  <li key={s.id}>
                    <Link to={`/incidents/${s.id}`}>
                      #{s.id} {s.title}
                    </Link>{' '}
                    <span className="muted small">
                      {s.status} · {Math.round(s.similarity * 100)}% similar
                    </span>
                    {s.rootCause ? <div className="small">Root cause: {s.rootCause}</div> : null}
                  </li>
                ))}
              </ul>
            )
          }
        </QueryView>
      </Panel>
      <Panel title="Relevant docs">
        <QueryView q={q} loadingLabel="Searching the knowledge base">
          {(d) =>
            d.docs.length === 0 ? (
              <Empty title="No relevant documents">
                The knowledge base has nothing matching this incident yet.
              </Empty>
            ) : (
              <ul className="plain-list" data-testid="relevant-docs">
                {d.docs.map((doc) => (
                  <li key={doc.id}>
                    <Link to={`/docs?doc=${doc.id}`}>{doc.title}</Link>{' '}
                    <span className="muted small">{doc.docType.replace('_', ' ')}</span>
                    {doc.snippet ? (
                      <div
                        className="muted small"
                        dangerouslySetInnerHTML={{ __html: doc.snippet }}
                      />
                    ) : null}
                  </li>
                ))}
              </ul>
            )
          }
        </QueryView>
      </Panel>
    </div>
  );
}
