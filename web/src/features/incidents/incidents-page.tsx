// Incidents (incidentCommander): filters in the query string, paged list, acknowledge/resolve
// for operators. incidentCommander.list/get/acknowledge/resolve are built on the server.
import { Link, Route, Routes, useSearchParams } from 'react-router';
import type { ProcedureInput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { Pagination } from '../../components/pagination';
import { MutationForm, Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { formatAge } from '../../lib/format';
import { RequireRole } from '../../lib/session';
import { IncidentDetail } from './incident-detail';
import { RunbooksPage } from './runbooks-page';
import { WatchesPage } from './watches-page';

const kPageSize = 25;
type ListInput = ProcedureInput<'incidentCommander.list'>;

export function IncidentsPage() {
  return (
    <Routes>
      <Route index element={<IncidentList />} />
      <Route path="runbooks" element={<RunbooksPage />} />
      <Route path="watches" element={<WatchesPage />} />
      <Route path=":id" element={<IncidentDetail />} />
    </Routes>
  );
}

function IncidentList() {
  const [params, setParams] = useSearchParams();
  const severity = (params.get('severity') || undefined) as ListInput['severity'];
  const status = (params.get('status') || undefined) as ListInput['status'];
  const search = params.get('q') || undefined;
  const offset = Number(params.get('offset') ?? 0) || 0;
  const input: ListInput = { limit: kPageSize, offset, severity, status, search };
  const q = useProcedureQuery('incidentCommander.list', input);
  const ack = useProcedureMutation('incidentCommander.acknowledge');
  const resolve = useProcedureMutation('incidentCommander.resolve');

  function setFilter(name: string, value: string) {
    if (value) params.set(name, value);
    else params.delete(name);
    params.delete('offset');
    setParams(params);
  }

  return (
    <>
      <div className="page-head">
        <h1>Incidents</h1>
        <p className="muted">
          Grouped alerts and anomalies, newest first. <Link to="/incidents/runbooks">Runbooks</Link>{' '}
          · <Link to="/incidents/watches">Watched queries</Link>
        </p>
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input
            type="search"
            defaultValue={search}
            onKeyDown={(e) => {
              if (e.key === 'Enter') setFilter('q', (e.target as HTMLInputElement).value);
            }}
            onBlur={(e) => setFilter('q', e.target.value)}
          />
        </label>
        <label>
          Severity
          <select value={severity ?? ''} onChange={(e) => setFilter('severity', e.target.value)}>
            <option value="">any</option>
            <option>critical</option>
            <option>high</option>
            <option>medium</option>
            <option>low</option>
          </select>
        </label>
        <label>
          Status
          <select value={status ?? ''} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">any</option>
            <option>detected</option>
            <option>investigating</option>
            <option>mitigating</option>
            <option>resolved</option>
          </select>
        </label>
      </form>
      <Panel title="Incidents" actions={<code className="proc">incidentCommander.list</code>}>
        {ack.error ? <ErrorState error={ack.error} title="Request failed" /> : null}
        {resolve.error ? <ErrorState error={resolve.error} title="Request failed" /> : null}
        <QueryView q={q} loadingLabel="Loading incidents">
          {(data) =>
            data.items.length === 0 ? (
              <Empty title="No incidents match">
                Incidents appear here when Alertmanager or the anomaly detector reports them.
              </Empty>
            ) : (
              <>
                <table className="table">
                  <thead>
                    <tr>
                      <th>Severity</th>
                      <th>Title</th>
                      <th>Service</th>
                      <th>Status</th>
                      <th>Age</th>
                      <th>Alerts</th>
                      <th>Updated</th>
                      <RequireRole min="operator">
                        <th>
                          <span className="sr-only">Actions</span>
                        </th>
                      </RequireRole>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((i) => (
                      <tr key={i.id}>
                        <td>
                          <span className={`sev sev-${i.severity}`}>{i.severity}</span>
                        </td>
                        <td>
                          <Link to={`/incidents/${i.id}`}>{i.title}</Link>
                        </td>
                        <td>{i.service ?? <span className="muted">—</span>}</td>
                        <td>{i.status}</td>
                        <td className="num">{formatAge(i.detectedAt)}</td>
                        <td className="num">{i.alertCount}</td>
                        <td>
                          <Time iso={i.updatedAt} />
                        </td>
                        <RequireRole min="operator">
                          <td className="row-actions">
                            {i.status !== 'resolved' && !i.acknowledgedAt ? (
                              <button
                                type="button"
                                className="btn btn-small"
                                onClick={() => ack.mutate({ id: i.id })}
                              >
                                Acknowledge
                              </button>
                            ) : null}
                            {i.status !== 'resolved' ? (
                              <button
                                type="button"
                                className="btn btn-small"
                                onClick={() => resolve.mutate({ id: i.id })}
                              >
                                Resolve
                              </button>
                            ) : null}
                          </td>
                        </RequireRole>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <Pagination
                  offset={offset}
                  limit={kPageSize}
                  total={data.total}
                  onChange={(o) => {
                    params.set('offset', String(o));
                    setParams(params);
                  }}
                />
              </>
            )
          }
        </QueryView>
      </Panel>
      <MutationForm
        title="Generate a post-mortem"
        path="incidentCommander.generatePostMortem"
        minRole="operator"
        submitLabel="Generate"
        fields={[{ name: 'incidentId', label: 'Incident id', type: 'number', required: true }]}
      />
    </>
  );
}
