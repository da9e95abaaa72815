// The incident's ranked root causes (incidentCommander.rankRootCauses / getRootCauses): the
// services most likely to have caused it, best first, each with its confidence, its evidence
// (anomalous series with onsets, changes before them, alerts, callers it explains) and a
// plain-English explanation; what the ranking could not read is said, not hidden. With an LLM,
// its narrative of the ranking is shown above it, labelled with the model.
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { Empty, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';

export function RootCauses({ incidentId }: { incidentId: number }) {
  const q = useProcedureQuery('incidentCommander.getRootCauses', { id: incidentId });
  const rank = useProcedureMutation('incidentCommander.rankRootCauses');
  return (
    <Panel title="Likely root causes" actions={<code className="proc">rankRootCauses</code>}>
      <RequireRole min="operator">
        <div className="actions">
          <button
            type="button"
            disabled={rank.isPending}
            onClick={() => rank.mutate({ id: incidentId })}
          >
            {rank.isPending ? 'Ranking…' : q.data ? 'Rank again' : 'Rank root causes'}
          </button>
        </div>
      </RequireRole>
      {rank.error ? (
        <p role="alert" className="error">
          {rank.error.message}
        </p>
      ) : null}
      <QueryView q={q} loadingLabel="Loading root causes">
        {(a) => {
          if (!a)
            return (
              <Empty title="Not ranked yet">
                An operator ranks the causes from the alerts, the service graph, recent changes and
                the metrics in Prometheus.
              </Empty>
            );
          const inputs = a.inputs as {
            services?: number;
            series?: number;
            calls?: number;
            changes?: number;
            missing?: string[];
          };
          return (
            <>
              <p className="small muted">
                Ranked <Time iso={a.computedAt} /> by {a.actor} from {inputs.services ?? 0}{' '}
                services, {inputs.series ?? 0} series, {inputs.calls ?? 0} calls,{' '}
                {inputs.changes ?? 0} changes.
              </p>
              {(inputs.missing ?? []).map((m) => (
                <p key={m} className="small warning">
                  Not read: {m}
                </p>
              ))}
              {a.narrative?.mode === 'llm' && a.narrative.text ? (
                <div className="narrative" data-testid="rca-narrative">
                  <p className="small muted">
                    Written by the LLM <code>{a.narrative.model}</code> from the ranking below
                  </p>
                  <p>{a.narrative.text}</p>
                </div>
              ) : null}
              {a.ranking.length === 0 ? (
                <Empty title="No candidate" />
              ) : (
                <ol className="causes" aria-label="Ranked causes">
                  {a.ranking.slice(0, 5).map((c) => (
                    <li key={c.service}>
                      <strong>{c.service}</strong>{' '}
                      <span className="muted">{Math.round(c.confidence * 100)}% confidence</span>
                      <p className="small">{c.explanation}</p>
                      {c.evidence.length > 0 ? (
                        <ul className="small">
                          {c.evidence.map((e) => (
                            <li key={e}>{e}</li>
                          ))}
                        </ul>
                      ) : null}
                    </li>
                  ))}
                </ol>
              )}
            </>
          );
        }}
      </QueryView>
    </Panel>
  );
}
