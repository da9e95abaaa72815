// One incident (incidentCommander.get): summary, operator controls (status, severity,
// assignee, notes), alerts, anomaly evidence charts, timeline, runbook executions with
// approvals, the post-mortem, and similar past incidents with relevant docs.
import { Link, useParams } from 'react-router';
import { useProcedureQuery } from '../../api/hooks';
import { Panel } from '../../components/procedure-panel';
import { Empty, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { formatAge } from '../../lib/format';
import { AnomalyEvidence } from './anomaly-evidence';
import { IncidentControls } from './incident-controls';
import { GrafanaLinks } from './grafana-links';
import { PostMortem } from './post-mortem';
import { RootCauses } from './root-causes';
import { RunbookExecutions } from './runbook-executions';
import { SimilarIncidents } from './similar-incidents';

export function IncidentDetail() {
  const { id } = useParams();
  const q = useProcedureQuery('incidentCommander.get', { id: Number(id) });
  return (
    <>
      <p className="small">
        <Link to="/incidents">← Incidents</Link>
      </p>
      <QueryView q={q} loadingLabel="Loading incident">
        {(i) => (
          <>
            <div className="page-head">
              <h1>
                <span className={`sev sev-${i.severity}`}>{i.severity}</span> {i.title}
              </h1>
              <p className="muted">
                #{i.id} · {i.status} · {i.service ?? 'no service'} · open for{' '}
                {formatAge(i.detectedAt)}
                {i.flapping ? ' · flapping' : ''}
              </p>
            </div>
            {i.description ? <p>{i.description}</p> : null}
            <IncidentControls key={`${i.id}-${i.updatedAt}`} incident={i} />
            <GrafanaLinks incidentId={i.id} />
            <AnomalyEvidence alerts={i.alerts} />
            <RootCauses incidentId={i.id} />
            <div className="grid-2">
              <Panel
                title={
                  i.alerts.length < i.alertCount
                    ? `Alerts (latest ${i.alerts.length} of ${i.alertCount})`
                    : `Alerts (${i.alertCount})`
                }
              >
                {i.alerts.length === 0 ? (
                  <Empty title="No alerts attached" />
                ) : (
                  <table className="table">
                    <thead>
                      <tr>
                        <th>Alert</th>
                        <th>Severity</th>
                        <th>Status</th>
                        <th>Started</th>
                        <th>Received</th>
                      </tr>
                    </thead>
                    <tbody>
                      {i.alerts.map((a) => (
                        <tr key={a.fingerprint}>
                          <td>{a.alertname}</td>
                          <td>{a.severity}</td>
                          <td>{a.status}</td>
                          <td>
                            <Time iso={a.startsAt} />
                          </td>
                          <td className="num">{a.receiveCount}×</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </Panel>
              <Panel
                title={
                  i.timeline.length < i.timelineCount
                    ? `Timeline (latest ${i.timeline.length} of ${i.timelineCount})`
                    : 'Timeline'
                }
              >
                {i.timeline.length === 0 ? (
                  <Empty title="Nothing recorded yet" />
                ) : (
                  <ol className="timeline">
                    {i.timeline.map((e) => (
                      <li key={e.id}>
                        <Time iso={e.at} /> <strong>{e.type}</strong> {e.description}{' '}
                        <span className="muted">— {e.actor}</span>
                      </li>
                    ))}
                  </ol>
                )}
              </Panel>
            </div>
            <div className="grid-2">
              <RunbookExecutions incidentId={i.id} />
              <PostMortem incidentId={i.id} />
            </div>
            <SimilarIncidents incidentId={i.id} />
          </>
        )}
      </QueryView>
    </>
  );
}
