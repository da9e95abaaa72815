// Links to the Grafana dashboards of the incident's services, opened at its time range
// (incidentCommander.grafanaDashboards: the search of the configured grafana channel). Shows
// nothing when no Grafana is configured.
import { useProcedureQuery } from '../../api/hooks';

export function GrafanaLinks({ incidentId }: { incidentId: number }) {
  const q = useProcedureQuery('incidentCommander.grafanaDashboards', { id: incidentId });
  if (!q.data || !q.data.configured) return null;
  if (q.data.error) {
    return (
      <p className="small warning" role="status">
        Grafana dashboards: {q.data.error}
      </p>
    );
  }
  if (q.data.dashboards.length === 0) {
    return (
      <p className="small muted">No Grafana dashboard matches the incident&apos;s services.</p>
    );
  }
  return (
    <nav aria-label="Grafana dashboards" className="small">
      Grafana:{' '}
      {q.data.dashboards.map((d, i) => (
        <span key={d.url}>
          {i > 0 ? ' · ' : ''}
          <a href={d.url} target="_blank" rel="noreferrer noopener">
            {d.title}
          </a>
        </span>
      ))}
    </nav>
  );
}
