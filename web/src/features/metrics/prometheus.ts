// Turns a Prometheus API `data` object (matrix or vector) into chart series.
import { type Series } from '../../components/series';

// Series and alignSeries live with the shared chart component (the incident page charts too).
export { alignSeries, type Series } from '../../components/series';

interface Sample {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

export function seriesLabel(metric: Record<string, string>): string {
  const { __name__: name, ...rest } = metric;
  const labels = Object.entries(rest)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return `${name ?? ''}{${labels}}`;
}

/** Throws when `data` is not a Prometheus result the chart can show. */
export function toSeries(data: unknown): Series[] {
  const d = data as { resultType?: string; result?: Sample[] };
  if (!d || !Array.isArray(d.result)) throw new Error('answer is not a Prometheus result');
  if (d.resultType === 'matrix') {
    return d.result.map((s) => ({
      label: seriesLabel(s.metric),
      times: (s.values ?? []).map((v) => v[0]),
      values: (s.values ?? []).map((v) => {
        const n = Number(v[1]);
        return Number.isFinite(n) ? n : null;
      }),
    }));
  }
  if (d.resultType === 'vector') {
    return d.result.map((s) => ({
      label: seriesLabel(s.metric),
      times: s.value ? [s.value[0]] : [],
      values: s.value ? [Number(s.value[1])] : [],
    }));
  }
  throw new Error(`result type ${d.resultType ?? 'unknown'} cannot be charted`);
}
