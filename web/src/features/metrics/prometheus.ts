// Turns a Prometheus API `data` object (matrix or vector) into chart series.
import type uPlot from 'uplot';

export interface Series {
  label: string;
  /** Unix seconds, ascending. */
  times: number[];
  values: (number | null)[];
}

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

/** Aligns series on the union of their timestamps (uPlot needs one shared x axis). */
export function alignSeries(series: Series[]): uPlot.AlignedData {
  const xs = Array.from(new Set(series.flatMap((s) => s.times))).sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    s.times.forEach((t, i) => {
      col[index.get(t)!] = s.values[i] ?? null;
    });
    return col;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}
