// Turns metrics.anomalies' answer into chart series and anomaly marks.
import type { ProcedureOutput } from '../../api/generated';
import { seriesLabel, type Series } from './prometheus';
import type { Mark } from '../../components/time-series-chart';

export type AnomalyAnswer = ProcedureOutput<'metrics.anomalies'>;

export interface Overlay {
  series: Series[];
  marks: Mark[];
  /** Every anomaly, highest score first, with its series label. */
  anomalies: { label: string; t: number; value: number; score: number }[];
}

export function toOverlay(answer: AnomalyAnswer): Overlay {
  const series = answer.series.map((s) => ({
    label: seriesLabel(s.metric),
    times: s.times,
    values: s.values,
  }));
  const marks = answer.series.flatMap((s, i) =>
    s.anomalies.map((a) => ({ series: i, t: a.t, value: a.value })),
  );
  const anomalies = answer.series
    .flatMap((s, i) => s.anomalies.map((a) => ({ label: series[i]!.label, ...a })))
    .sort((a, b) => b.score - a.score || a.t - b.t);
  return { series, marks, anomalies };
}
