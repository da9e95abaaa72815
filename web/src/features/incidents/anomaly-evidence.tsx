// Evidence of anomaly signals on the incident page: an alert raised by a watched query carries
// the series' recent points with their anomaly scores (annotation "evidence", written by the
// server's watch service), the window and the best score. Drawn with the shared uPlot chart:
// the value, and the score in [0, 1] beneath it.
import { useMemo } from 'react';
import type { ProcedureOutput } from '../../api/generated';
import { Panel } from '../../components/procedure-panel';
import { TimeSeriesChart } from '../../components/time-series-chart';
import type { Series } from '../../components/series';

type Alert = ProcedureOutput<'incidentCommander.get'>['alerts'][number];

export interface Evidence {
  fingerprint: string;
  name: string;
  score: string;
  window: string;
  query: string;
  /** One-element arrays, stable across renders (the chart redraws when its array changes). */
  value: Series[];
  scores: Series[];
}

/** The evidence an alert carries, or null when it has none (a plain Alertmanager alert). */
export function parseEvidence(a: Alert): Evidence | null {
  const raw = a.annotations.evidence;
  if (!raw) return null;
  let points: unknown;
  try {
    points = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(points)) return null;
  const times: number[] = [];
  const values: (number | null)[] = [];
  const scores: (number | null)[] = [];
  for (const p of points as { t?: unknown; v?: unknown; score?: unknown }[]) {
    if (typeof p?.t !== 'number') continue;
    times.push(p.t);
    values.push(typeof p.v === 'number' ? p.v : null);
    scores.push(typeof p.score === 'number' ? p.score : null);
  }
  if (times.length === 0) return null;
  const name = a.annotations.summary || a.alertname;
  return {
    fingerprint: a.fingerprint,
    name,
    score: a.annotations.score ?? '',
    window: a.annotations.window ?? '',
    query: a.annotations.query ?? '',
    value: [{ label: 'value', times, values }],
    scores: [{ label: 'anomaly score', times, values: scores }],
  };
}

export function AnomalyEvidence({ alerts }: { alerts: Alert[] }) {
  const evidence = useMemo(
    () => alerts.map(parseEvidence).filter((e): e is Evidence => e !== null),
    [alerts],
  );
  if (evidence.length === 0) return null;
  return (
    <Panel title="Anomaly evidence">
      {evidence.map((e) => (
        <figure key={e.fingerprint} className="evidence">
          <figcaption>
            <strong>{e.name}</strong>
            {e.score ? <> · score {e.score}</> : null}
            {e.window ? <span className="muted"> · window {e.window}</span> : null}
            {e.query ? (
              <div className="small">
                <code>{e.query}</code>
              </div>
            ) : null}
          </figcaption>
          <TimeSeriesChart series={e.value} height={180} />
          <TimeSeriesChart series={e.scores} height={90} />
        </figure>
      ))}
    </Panel>
  );
}
